"""Memory estimate before allocating, the thread choice, one-line messages and safe file reads."""

from __future__ import annotations

import os

import pytest

from maml_gui.core.config import ConfigError, from_dict
from maml_gui.core.messages import one_line
from maml_gui.core.resources import (ResourceError, adaptation_bytes, check_evaluation_fits, check_training_fits, evaluation_bytes,
                                     ModelShape, training_bytes)
from maml_gui.core.safe_read import UnreadableFile, read_regular_file
from maml_gui.core.threads import choose_threads

HUGE = {"model": {"hidden": [4096] * 8}, "training": {"meta_batch": 4096, "inner_steps": 100}}


def test_training_estimate_grows_with_every_size_that_matters():
    base = training_bytes(from_dict({}))
    for change in ({"training": {"meta_batch": 50}}, {"training": {"inner_steps": 5}},
                   {"model": {"hidden": [80, 80]}}, {"task": {"queries": 100}}, {"training": {"val_tasks": 5000}}):
        assert training_bytes(from_dict(change)) > base, change


def test_second_order_keeps_every_step_first_order_does_not():
    shape = ModelShape((40, 40))
    assert adaptation_bytes(shape, 25, 20, 10, keep_graph=True) > 5 * adaptation_bytes(shape, 25, 20, 10, keep_graph=False)
    small_validation = {"val_tasks": 1, "inner_steps": 10}
    second = training_bytes(from_dict({"training": {**small_validation, "algorithm": "maml"}}))
    first = training_bytes(from_dict({"training": {**small_validation, "algorithm": "fomaml"}}))
    assert second > first


def test_a_config_that_cannot_fit_is_refused_in_one_line_before_allocating():
    with pytest.raises(ResourceError) as info:
        check_training_fits(from_dict(HUGE), available=16 * 2**30)
    message = str(info.value)
    assert "\n" not in message and "meta_batch" in message and "GiB" in message
    check_training_fits(from_dict({}), available=16 * 2**30)  # the paper's setup fits


def test_trainer_refuses_a_huge_config_with_a_config_error():
    from maml_gui.core.training import Trainer

    with pytest.raises(ConfigError, match="needs about"):
        Trainer(from_dict(HUGE), threads=1)


def test_evaluation_estimate_counts_inner_steps():
    shape = ModelShape((40, 40))
    assert evaluation_bytes(shape, 600, 10, 100, 1000) > evaluation_bytes(shape, 600, 10, 100, 10) + 4 * 600 * 100 * 990
    with pytest.raises(ResourceError, match="--steps"):
        check_evaluation_fits(from_dict({}), 4096, 10, 1000, 10000, available=16 * 2**30)
    check_evaluation_fits(from_dict({}), 600, 10, 100, 10, available=16 * 2**30)


def test_automatic_threads_is_one_for_measured_model_sizes():
    assert choose_threads(None, cores=16).count == 1
    assert choose_threads(0, hidden=(1024, 1024), cores=16).count == 1
    assert choose_threads(None, hidden=(4096,) * 4, cores=16, leave_free=1).count == 15  # not measured: free cores


def test_threads_far_above_the_cores_are_clamped_with_a_note():
    choice = choose_threads(5000, cores=2)
    assert choice.count == 2 and "5000" in choice.note and "\n" not in choice.note
    assert choose_threads(2, cores=2) == choose_threads(2, cores=2) and choose_threads(2, cores=2).note is None


@pytest.mark.parametrize("raw, escaped", [
    ("a\nb", "a\\x0ab"), ("\x1b[31mred", "\\x1b[31mred"), ("abc\u202edef", "abc\\u202edef"),
    ("\u2066x\u2069", "\\u2066x\\u2069"), ("zero\u200bwidth", "zero\\u200bwidth"), ("line\u2028sep", "line\\u2028sep"),
    ("\ud800", "\\ud800"), ("é 中 ∑", "é 中 ∑"), ("tab\there", "tab\\x09here"),
])
def test_one_line_escapes_control_and_bidi_characters(raw, escaped):
    assert one_line(raw) == escaped


def test_one_line_cuts_long_messages():
    assert len(one_line("x" * 10_000)) == 2000


def test_only_regular_files_of_bounded_size_are_read(tmp_path):
    (tmp_path / "ok.toml").write_text("a = 1\n")
    assert read_regular_file(tmp_path / "ok.toml") == b"a = 1\n"
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big.toml").write_bytes(b"#" * (2 << 20))
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    cases = {"/dev/zero": "not a regular file", str(tmp_path / "fifo"): "not a regular file",
             str(tmp_path): "directory", str(tmp_path / "big.toml"): "bytes",
             str(tmp_path / "loop"): "symlink loop", str(tmp_path / ("n" * 300)): "too long",
             str(tmp_path / "missing"): "No such file", "a\0b": "NUL"}
    for path, reason in cases.items():
        with pytest.raises(UnreadableFile) as info:
            read_regular_file(path)
        assert reason in str(info.value) and "\n" not in str(info.value), path
