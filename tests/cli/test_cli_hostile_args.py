"""Hostile command lines: every refusal is exit status 2 and exactly one line, nothing created."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
import torch

from maml_gui.cli import main

TINY = ["--preset", "finn2017-sinusoid", "--set", "training.val_interval=10", "--set", "training.val_tasks=4",
        "--set", "training.meta_batch=2", "--set", "model.hidden=[8]", "--quiet"]


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def refused(argv, capsys) -> str:
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse
        code = stop.code
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err and not captured.out, captured
    assert lines[0].startswith("maml-gui")
    return lines[0]


@pytest.mark.parametrize("argv, expected", [
    (["train", "--threads", "x"], "--threads"),
    (["train", "--threads", "0"], "between 1 and 1024"),
    (["train", "--threads", "5000"], "between 1 and 1024"),
    (["train", "--bogus"], "unrecognized arguments"),
    (["evaluate"], "required"),
    (["export", "somewhere", "--format", "gif", "--out", "x"], "invalid choice"),
    (["train", "--iterations", "1e3"], "invalid int"),
    (["--no-such-flag"], "unrecognized arguments"),
])
def test_argparse_errors_are_one_line_without_usage(argv, expected, capsys):
    assert expected in refused(argv, capsys)


def test_config_that_is_not_a_regular_file_is_refused(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "loop.toml").symlink_to(tmp_path / "loop.toml")
    (tmp_path / "big.toml").write_bytes(b"# " * (1 << 20))
    for config, reason in (("/dev/zero", "not a regular file"), (tmp_path / "fifo.toml", "not a regular file"),
                           (tmp_path / "loop.toml", "symlink loop"), (tmp_path / ("c" * 400 + ".toml"), "too long"),
                           (tmp_path / "big.toml", "at most 1,048,576"), (tmp_path, "directory")):
        assert reason in refused(["train", str(config), "--out", str(tmp_path / "out")], capsys)
    assert not (tmp_path / "out").exists()


def test_out_path_too_long_or_in_a_loop_is_refused(tmp_path, capsys):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    refused(["train", *TINY, "--out", str(tmp_path / ("o" * 400))], capsys)
    refused(["train", *TINY, "--out", str(tmp_path / "loop" / "run")], capsys)


def test_resume_refusals_create_no_folder(tmp_path, capsys):
    missing, new = tmp_path / "missing", tmp_path / "new" / "deeper"
    refused(["train", "--resume", str(missing), "--quiet"], capsys)
    refused(["train", "--resume", str(missing), "--out", str(new), "--quiet"], capsys)
    (tmp_path / "empty").mkdir()
    refused(["train", "--resume", str(tmp_path / "empty"), "--out", str(new), "--quiet"], capsys)
    assert not missing.exists() and not (tmp_path / "new").exists()


@pytest.mark.parametrize("override, expected", [
    ('format_version="999"', "format_version"),
    ("format_version=999", "newer"),
    ("training=5", "is a section"),
    ("task=[1, 2]", "is a section"),
    ("nosuch.key=1", "unknown section 'nosuch'"),
    ("training.inner_lr.deeper=1", "not a section 'training.inner_lr'"),
    ("training.baseline_lr=1e300", "training.baseline_lr"),
    ("training.threads=5000", "training.threads"),
    ("training.seed=" + "9" * 5000, "training.seed"),
    ("training.inner_lr=" + "[" * 5000 + "]" * 5000, "training.inner_lr"),
    ("training.inner_lr=" + "[" * 100000, "training.inner_lr"),
    ("=3", "expected section.key=value"),
])
def test_bad_overrides_are_refused_before_training(override, expected, tmp_path, capsys):
    assert expected in refused(["train", *TINY, "--set", override, "--out", str(tmp_path / "out")], capsys)
    assert not (tmp_path / "out").exists()


def test_formula_errors_print_no_syntax_warning(tmp_path, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = refused(["train", *TINY, "--set", "task.family=formula", "--set", 'task.expression="5(x)"',
                           "--out", str(tmp_path / "o")], capsys)
    assert "calling '5'" in message and not [w for w in caught if issubclass(w.category, SyntaxWarning)]


@pytest.mark.parametrize("text", ["\u202eevil", "a\x1b[2Jb", "new\nline", "nul\x00byte", "bell\x07", "\u2067iso"])
def test_control_and_bidi_characters_are_escaped_in_messages(text, tmp_path, capsys):
    for argv in (["train", *TINY, "--set", f"training.{text}=1", "--out", str(tmp_path / "o")],
                 ["train", *TINY, "--set", "task.family=formula", "--set", f"task.expression={text}",
                  "--out", str(tmp_path / "o")],
                 ["train", str(tmp_path / f"{text}.toml".replace("\x00", "")), "--out", str(tmp_path / "o")],
                 [text], ["presets", "--show", text]):
        line = refused(argv, capsys)
        assert all(ch.isprintable() for ch in line), (argv, line)


def test_a_config_too_big_for_memory_is_refused_before_the_out_folder(tmp_path, capsys):
    message = refused(["train", *TINY, "--set", "training.meta_batch=4096", "--set", "model.hidden=[4096,4096,4096]",
                       "--set", "training.inner_steps=100", "--out", str(tmp_path / "out")], capsys)
    assert "needs about" in message and "meta_batch" in message
    assert not (tmp_path / "out").exists()


def test_threads_above_the_cores_are_clamped_with_a_note(tmp_path, capsys):
    assert main(["train", *TINY, "--iterations", "2", "--threads", "1024", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "note: 1024 threads asked for" in err


def test_evaluate_guard_counts_inner_steps(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--iterations", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    message = refused(["evaluate", str(out), "--tasks", "4096", "--queries", "1000", "--steps", "0,10000"], capsys)
    assert "--steps" in message and "needs about" in message


def test_subprocess_refusals_are_one_line(tmp_path):
    for argv in (["train", "--threads", "many"], ["train", "/dev/zero", "--out", str(tmp_path / "o")],
                 ["train", "--preset", "finn2017-sinusoid", "--set", "task.family=formula",
                  "--set", 'task.expression="5(x)"', "--out", str(tmp_path / "o")]):
        result = subprocess.run([sys.executable, "-m", "maml_gui", *argv], capture_output=True, text=True,
                                timeout=120, env={**os.environ, "PYTHONWARNINGS": "default"})
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr and "Warning" not in result.stderr


def test_an_empty_preset_name_is_refused_not_taken_for_the_list(capsys):
    assert main(["presets", "--show", ""]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown preset ''" in err


def test_empty_steps_ask_for_integers():
    from maml_gui.cli import UsageError, _parse_steps

    with pytest.raises(UsageError, match="expected comma-separated integers"):
        _parse_steps(" , ", default_max=10)
