"""A folder where a drawn-work file belongs: a save that would write or remove that file is refused
in one line before anything is written (not after the config and weights were replaced)."""

from __future__ import annotations

import pytest

from maml_gui.core.checkpoint import CONFIG, DRAWING, load_run, save_run
from maml_gui.core.config import ExperimentConfig
from maml_gui.core.drawn_task import DrawnTask
from maml_gui.core.drawn_work import CLASS_POINTS
from maml_gui.core.run_validation import RunError

DRAWN = DrawnTask.empty(2, 1).with_example(("support", 0, 0), (((0.1, 0.1), (0.9, 0.9)),))


@pytest.mark.parametrize("name, work", [(CLASS_POINTS, {"class_points": [(1.0, 2.0, 1)]}),
                                        (CLASS_POINTS, {"class_points": []}),
                                        (DRAWING, {"drawing": DRAWN}),
                                        (DRAWING, {"drawing": DrawnTask.empty(2, 1)})])
def test_a_folder_in_a_drawn_files_place_refuses_the_save_before_anything_is_written(tmp_path, name, work):
    save_run(tmp_path, ExperimentConfig(name="before"))
    (tmp_path / name).mkdir()
    config = (tmp_path / CONFIG).read_text()
    with pytest.raises(RunError, match=f"{name} is not a regular file"):
        save_run(tmp_path, ExperimentConfig(name="after"), **work)
    assert (tmp_path / CONFIG).read_text() == config and (tmp_path / name).is_dir()
    assert load_run(tmp_path).config.name == "before"
    save_run(tmp_path, ExperimentConfig(name="after"))     # saying nothing of that file: saved, the folder left
    assert load_run(tmp_path).config.name == "after" and (tmp_path / name).is_dir()
