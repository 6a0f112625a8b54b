"""Bad run directories and export targets: one clear line, nothing changed on disk, no code run."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import stat
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as save_safetensors_bytes

from maml_gui.core import atomic_files
from maml_gui.core import export as export_module
from maml_gui.core.checkpoint import (
    CONFIG, RESUME, RUN_INFO, WEIGHTS, RunError, load_resume_state, load_run, resume_trainer, save_trainer,
    snapshot_from_bytes, snapshot_metadata, snapshot_tensors,
)
from maml_gui.core.config import ConfigError, from_dict
from maml_gui.core.export import ExportError, export_run, export_snapshot
from maml_gui.core.training import Trainer

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


def tree_digest(folder: Path) -> str:
    """Hash of every file name, mode and content under ``folder`` (to prove nothing changed)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(str(stat.S_IMODE(path.stat().st_mode)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def assert_one_line(err: BaseException) -> str:
    text = str(err)
    assert text and "\n" not in text and "Traceback" not in text, text
    return text


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    config = from_dict({"model": {"hidden": [8, 8]},
                        "training": {"algorithm": "metasgd", "iterations": 20, "val_interval": 10, "val_tasks": 10}})
    trainer = Trainer(config, device="cpu", threads=1)
    list(trainer.run())
    return save_trainer(tmp_path_factory.mktemp("runs") / "trained", trainer)


@pytest.fixture
def run(trained_run, tmp_path) -> Path:
    """A fresh copy of the trained run, to damage."""
    return Path(shutil.copytree(trained_run, tmp_path / "run"))


def refused_everywhere(run: Path, match: str, *, resume: bool = True) -> None:
    """load_run (and resume_trainer) raise RunError, export_run ExportError; the folder is unchanged."""
    before = tree_digest(run.parent)
    with pytest.raises(RunError, match=match) as caught:
        load_run(run)
    assert_one_line(caught.value)
    if resume:
        with pytest.raises(RunError, match=match) as caught:
            resume_trainer(run, device="cpu", threads=1)
        assert_one_line(caught.value)
    for fmt in ("torchscript", "safetensors"):
        with pytest.raises(ExportError, match=match) as caught:
            export_run(run, fmt, run.parent / f"out.{fmt}")
        assert_one_line(caught.value)
    assert tree_digest(run.parent) == before


def test_the_intact_run_loads_resumes_and_exports(run):
    data = load_run(run)
    assert data.snapshot is not None and data.iteration == 20
    trainer, _ = resume_trainer(run, device="cpu", threads=1)
    assert trainer.iteration == 20
    assert export_run(run, "torchscript", run.parent / "m.pt").is_file()


def test_a_folder_that_is_not_a_run(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8\xff")
    refused_everywhere(folder, "not a MAML Studio run")
    refused_everywhere(tmp_path / "missing", "not a directory")
    refused_everywhere(folder / "cat.jpg", "not a directory")


def test_a_truncated_weights_file(run):
    data = (run / WEIGHTS).read_bytes()
    (run / WEIGHTS).write_bytes(data[: len(data) // 2])
    refused_everywhere(run, "model.safetensors is not a valid safetensors file")
    (run / WEIGHTS).write_bytes(data[:5])  # shorter than the 8-byte header length
    refused_everywhere(run, "model.safetensors is not a valid safetensors file")
    (run / WEIGHTS).write_bytes(b"")
    refused_everywhere(run, "model.safetensors is not a valid safetensors file")


def test_flipped_bytes_in_the_weights_header(run):
    data = bytearray((run / WEIGHTS).read_bytes())
    header_len = int.from_bytes(data[:8], "little")
    for offset in (8, 9, 8 + header_len // 2):  # the opening brace, a quote, the middle of the JSON
        damaged = bytearray(data)
        damaged[offset] ^= 0xFF
        (run / WEIGHTS).write_bytes(bytes(damaged))
        refused_everywhere(run, "model.safetensors")
    huge = bytearray(data)
    huge[:8] = (2**62).to_bytes(8, "little")  # a header length far past the end of the file
    (run / WEIGHTS).write_bytes(bytes(huge))
    refused_everywhere(run, "model.safetensors is not a valid safetensors file")


def test_weights_with_the_wrong_shapes(run):
    snapshot = load_run(run).snapshot
    tensors = snapshot_tensors(snapshot)
    tensors["model.layers.0.weight"] = torch.zeros(9, 1)  # the config says 8 hidden units
    (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata=snapshot_metadata(snapshot)))
    refused_everywhere(run, "does not describe a model this version can read: tensor 'layers.0.weight' has shape")
    tensors = snapshot_tensors(snapshot)
    del tensors["model.layers.2.bias"]
    (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata=snapshot_metadata(snapshot)))
    refused_everywhere(run, "missing tensor 'layers.2.bias'")


def test_weights_not_written_by_this_app(run):
    (run / WEIGHTS).write_bytes(save_safetensors_bytes({"w": torch.zeros(2)}))
    refused_everywhere(run, "was not written by MAML Studio")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_damage_to_the_weights_is_refused_or_harmless(trained_run, data):
    original = (trained_run / WEIGHTS).read_bytes()
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        offset = data.draw(st.integers(0, len(damaged) - 1))
        damaged[offset] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(damaged)))
    try:
        snapshot = snapshot_from_bytes(bytes(damaged[:cut]))
    except RunError as err:
        assert_one_line(err)
    else:  # damage to tensor values only: still a well-formed model
        assert len(snapshot.params) == 6


def test_a_config_from_a_newer_version(run):
    text = (run / CONFIG).read_text()
    (run / CONFIG).write_text(text.replace("format_version = 1", "format_version = 99", 1))
    assert "format_version = 99" in (run / CONFIG).read_text()
    refused_everywhere(run, "newer MAML Studio")
    from maml_gui.core.config import load_config
    with pytest.raises(ConfigError, match="newer MAML Studio") as caught:
        load_config(run / CONFIG)
    assert_one_line(caught.value)


def test_a_run_from_a_newer_version(run):
    info = json.loads((run / RUN_INFO).read_text())
    info["format_version"] = 99
    (run / RUN_INFO).write_text(json.dumps(info))
    refused_everywhere(run, r"newer MAML Studio \(run format 99\)")


def test_weights_from_a_newer_version(run):
    snapshot = load_run(run).snapshot
    metadata = dict(snapshot_metadata(snapshot), format_version="99")
    (run / WEIGHTS).write_bytes(save_safetensors_bytes(snapshot_tensors(snapshot), metadata=metadata))
    refused_everywhere(run, r"newer MAML Studio \(format 99\)")


@pytest.mark.parametrize("damage", ["malformed toml", "unknown key", "invalid value"])
def test_a_damaged_config(run, damage):
    text = (run / CONFIG).read_text()
    text = {"malformed toml": text + "\n[training\n",
            "unknown key": text.replace("[training]", "[training]\nturbo = true", 1),
            "invalid value": text.replace("[training]", "[training]\nmeta_batch = -3", 1).replace(
                "\nmeta_batch = 25", "", 1)}[damage]
    (run / CONFIG).write_text(text)
    refused_everywhere(run, "config.toml")


def test_damaged_run_info_and_points(run):
    (run / RUN_INFO).write_text("{not json")
    refused_everywhere(run, "run.json is not valid JSON")


class RunsAShellCommand:
    """Unpickling this would run a shell command that creates a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
@pytest.mark.parametrize("writer", ["torch.save", "pickle.dumps"])
def test_a_resume_state_that_would_run_code(run, tmp_path, writer):
    marker = tmp_path / "code-was-executed"
    payload = {"iteration": 20, "evil": RunsAShellCommand(marker)}
    if writer == "torch.save":
        torch.save(payload, run / RESUME)
    else:
        (run / RESUME).write_bytes(pickle.dumps(payload))
    before = tree_digest(run.parent)
    for attempt in (lambda: load_resume_state(run), lambda: resume_trainer(run, device="cpu", threads=1)):
        with pytest.raises(RunError, match="resume.pt: refused to load") as caught:
            attempt()
        message = assert_one_line(caught.value)
        assert "weights_only" not in message  # no advice to load it unsafely
        expected = (r"a pickled object of type \w+\.system" if writer == "torch.save"
                    else r"not a file torch.save wrote \(pickle instruction \d+ is not allowed\)")
        assert re.search(expected, message), message
    assert not marker.exists(), "loading the resume state executed code from the file"
    assert tree_digest(run.parent) == before
    # the weights themselves are fine: the run still opens and exports
    assert load_run(run).snapshot is not None


def test_a_resume_state_of_plain_tensors_that_is_not_ours(run):
    torch.save({"weights": torch.zeros(3)}, run / RESUME)
    with pytest.raises(RunError, match="not a MAML Studio resume state"):
        load_resume_state(run)
    (run / RESUME).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RunError, match="resume.pt: damaged: not a readable PyTorch file") as caught:
        resume_trainer(run, device="cpu", threads=1)
    assert_one_line(caught.value)
    (run / RESUME).unlink()
    with pytest.raises(RunError, match="cannot be resumed"):
        load_resume_state(run)


# -- export targets ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["torchscript", "safetensors", "onnx"])
def test_unwritable_export_paths(run, tmp_path, fmt, monkeypatch):
    monkeypatch.setattr(export_module, "onnx_available", lambda: None)  # reach the path checks
    snapshot = load_run(run).snapshot
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    cases = {
        tmp_path / "missing" / "m.out": "the folder .* does not exist",
        tmp_path / "a-folder": "it is a folder",
        tmp_path / "a-file" / "m.out": "is not a folder",
    }
    before = tree_digest(tmp_path)
    for target, match in cases.items():
        with pytest.raises(ExportError, match=match) as caught:
            export_snapshot(snapshot, fmt, target)
        assert_one_line(caught.value)
        with pytest.raises(ExportError, match=match):
            export_run(run, fmt, target)
    assert tree_digest(tmp_path) == before


def test_safetensors_export_refuses_when_the_sidecar_is_a_folder(run, tmp_path):
    (tmp_path / "m.safetensors.json").mkdir()
    before = tree_digest(tmp_path)
    with pytest.raises(ExportError, match="it is a folder"):
        export_run(run, "safetensors", tmp_path / "m.safetensors")
    assert tree_digest(tmp_path) == before


def test_a_write_refused_by_the_system(run, tmp_path, monkeypatch):
    def no_permission(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic_files.tempfile, "mkstemp", no_permission)
    before = tree_digest(tmp_path)
    with pytest.raises(ExportError, match="cannot write .*m.pt: Permission denied") as caught:
        export_run(run, "torchscript", tmp_path / "m.pt")
    assert_one_line(caught.value)
    assert tree_digest(tmp_path) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_folder(run, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="no permission to write"):
            export_run(run, "torchscript", folder / "m.pt")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)
