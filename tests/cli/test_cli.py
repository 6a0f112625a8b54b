"""Command-line smoke tests: train, resume, evaluate, presets and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from maml_gui.cli import main
from maml_gui.core.checkpoint import load_run

from .processes import interrupt_once_saved

TINY = ["--preset", "finn2017-sinusoid", "--set", "training.val_interval=10", "--set", "training.val_tasks=20",
        "--set", "training.meta_batch=5", "--threads", "1", "--quiet"]


def train(tmp_path, name="run", iterations=20, extra=()):
    out = tmp_path / name
    assert main(["train", *TINY, "--iterations", str(iterations), "--out", str(out), *extra]) == 0
    return out


def test_train_writes_a_complete_run(tmp_path):
    out = train(tmp_path)
    run = load_run(out)
    assert run.iteration == 20
    assert run.config.training.iterations == 20
    assert run.history.rows[-1][0] == 20
    assert [v.iteration for v in run.history.validations] == [0, 10, 20]
    assert (out / "resume.pt").is_file()


def test_resume_reaches_the_same_weights_as_an_uninterrupted_run(tmp_path):
    whole = train(tmp_path, "whole", iterations=30)
    short = tmp_path / "short"
    assert main(["train", *TINY, "--iterations", "12", "--out", str(short)]) == 0
    # --iterations on a fresh run sets the config total; rewrite it to 30 so the runs share a config
    cfg = (short / "config.toml").read_text().replace("iterations = 12", "iterations = 30")
    (short / "config.toml").write_text(cfg)
    assert main(["train", "--resume", str(short), "--threads", "1", "--quiet"]) == 0
    a, b = load_run(whole).snapshot, load_run(short).snapshot
    assert b.iteration == 30
    assert all(torch.equal(x, y) for x, y in zip(a.params, b.params))
    assert all(torch.equal(x, y) for x, y in zip(a.baseline_params, b.baseline_params))


def test_evaluate_json_has_the_documented_keys(tmp_path, capsys):
    out = train(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--tasks", "30", "--shots", "5", "--steps", "0,1,5", "--baseline", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["shots"] == 5 and result["tasks"] == 30 and result["steps"] == [0, 1, 5]
    for key in ("mse", "ci95", "baseline_mse"):
        assert len(result[key]) == 3
    assert all(v > 0 for v in result["ci95"])


def test_evaluate_prints_a_table(tmp_path, capsys):
    out = train(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--tasks", "20", "--steps", "0,1"]) == 0
    text = capsys.readouterr().out
    assert "meta-learned" in text and len(text.strip().splitlines()) == 4


@pytest.mark.parametrize("toml, field", [
    ("[training]\ninner_lr = -1\n", "training.inner_lr"),
    ("[task]\nshots = 0\n", "task.shots"),
    ("[task]\nx_range = [1.0, 1.0]\n", "x_range"),
    ('[training]\nalgorithm = "maml3"\n', "training.algorithm"),
    ("[training]\nbogus = 1\n", "training.bogus"),
    ("[training\n", "malformed TOML"),
])
def test_bad_config_exits_2_with_one_line(tmp_path, capsys, toml, field):
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    assert main(["train", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_user_errors_exit_2(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "not a MAML Studio run" in capsys.readouterr().err
    assert main(["train", "--preset", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "unknown preset" in capsys.readouterr().err
    assert main(["train", "--preset", "finn2017-sinusoid"]) == 2
    assert "--out" in capsys.readouterr().err
    out = train(tmp_path)
    assert main(["train", *TINY, "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["evaluate", str(out), "--steps", "a,b"]) == 2
    assert "--steps" in capsys.readouterr().err


def test_absent_device_is_a_clear_error(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["train", *TINY, "--device", "cuda", "--out", str(tmp_path / "o")]) == 2
    assert "not available" in capsys.readouterr().err


def test_presets_lists_the_paper_setup(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "finn2017-sinusoid" in out and "reptile-sinusoid" in out
    assert main(["presets", "--show", "finn2017-sinusoid"]) == 0
    assert "iterations = 70000" in capsys.readouterr().out


def test_ctrl_c_saves_a_state_that_resumes_exactly(tmp_path):
    """SIGINT stops between iterations, so resuming reaches the uninterrupted run's weights
    (the run goes through ``python -m maml_gui``, the entry point).

    The interrupted run is set to a million iterations, so it is still training whenever the
    signal comes, however slow or fast the machine; both runs then end at the same iteration."""
    settings = ["--set", "training.baseline=false", "--set", "training.val_interval=100000",
                "--set", "training.autosave_interval=10"]
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen([sys.executable, "-m", "maml_gui", "train", *TINY, *settings, "--iterations",
                                "1000000", "--out", str(interrupted)], stderr=subprocess.PIPE, text=True)
    err = interrupt_once_saved(process, interrupted, 20)  # training is under way: it autosaved past 20
    assert process.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    stopped_at = load_run(interrupted).iteration
    assert stopped_at >= 20
    end = stopped_at + 15
    assert main(["train", "--resume", str(interrupted), "--iterations", str(end), "--threads", "1", "--quiet"]) == 0
    straight = train(tmp_path, "straight", iterations=end, extra=settings)
    a, b = load_run(straight).snapshot, load_run(interrupted).snapshot
    assert a.iteration == b.iteration == end
    assert all(torch.equal(x, y) for x, y in zip(a.params, b.params))


def test_out_directory_with_other_files_is_refused(tmp_path, capsys):
    (tmp_path / "config.toml").write_text("# my notes\n")
    assert main(["train", *TINY, "--out", str(tmp_path)]) == 2
    assert "choose an empty --out" in capsys.readouterr().err
    assert (tmp_path / "config.toml").read_text() == "# my notes\n"
    first = train(tmp_path, "first")
    other = train(tmp_path, "other", iterations=10)
    before = (other / "model.safetensors").read_bytes()
    assert main(["train", "--resume", str(first), "--out", str(other), "--quiet"]) == 2
    assert (other / "model.safetensors").read_bytes() == before


def test_evaluate_json_is_strict_json_when_adaptation_diverges(tmp_path, capsys):
    out = train(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--tasks", "5", "--lr", "1e30", "--json"]) == 0
    text = capsys.readouterr().out
    result = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert result["mse"][1] is None and result["diverged"][1] == 5


def test_unknown_command_is_not_opened_as_a_run(capsys):
    assert main(["evalute", "somewhere"]) == 2
    assert "neither a command" in capsys.readouterr().err


def test_evaluate_and_export_do_not_need_the_metrics(tmp_path, capsys):
    out = train(tmp_path)
    (out / "metrics.csv").write_text("garbage\n")
    assert main(["evaluate", str(out), "--tasks", "10", "--json"]) == 0
    assert main(["export", str(out), "--format", "safetensors", "--out", str(tmp_path / "m.safetensors")]) == 0
    assert main(["train", "--resume", str(out), "--quiet"]) == 2
    assert "metrics.csv" in capsys.readouterr().err
