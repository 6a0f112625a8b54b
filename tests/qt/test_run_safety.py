"""A run on disk is never overwritten by a different training without an explicit choice;
Save As creates a typed folder, asks again instead of giving up, and asks before replacing a run."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from pathlib import Path  # noqa: E402

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from maml_gui.cli import main  # noqa: E402
from maml_gui.core.checkpoint import load_run  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.experiment_commands import TrainChoice  # noqa: E402
from maml_gui.qt.folder_dialog import SaveFolderDialog  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.session import TrainingState  # noqa: E402
from maml_gui.qt.settings import AppSettings  # noqa: E402
from tests.qt.helpers import tiny_config  # noqa: E402
from tests.recorders import tree_digest  # noqa: E402

Button = QMessageBox.StandardButton


@pytest.fixture(scope="module")
def cli_run_source(tmp_path_factory):
    """A run made by ``maml-gui train`` (40 iterations of the tiny config), copied per test."""
    folder = tmp_path_factory.mktemp("cli")
    config = folder / "tiny.toml"
    config.write_text(tiny_config().to_toml())
    assert main(["train", str(config), "--out", str(folder / "run"), "--threads", "1", "--quiet"]) == 0
    return folder / "run"


@pytest.fixture
def cli_run(cli_run_source, tmp_path):
    import shutil

    return shutil.copytree(cli_run_source, tmp_path / "cli-run")


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    return shown


@pytest.fixture
def window(qtbot, errors):
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    made.show()
    yield made
    made.settings.set(keys.CONFIRM_DISCARD, False)
    made.close()


def answer_train(window, choice: TrainChoice) -> list:
    asked = []
    window.commands.ask_how_to_train = lambda run, why_not: asked.append((run, why_not)) or choice
    return asked


def wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE, timeout=20_000)
    qtbot.wait(30)  # the last queued reports


def test_train_on_an_opened_run_as_a_new_run_leaves_the_folder_untouched(qtbot, window, cli_run):
    before = tree_digest(cli_run)
    assert window.files.open_run(cli_run)
    asked = answer_train(window, TrainChoice.NEW_RUN)
    window.window_actions.start.trigger()  # F5
    assert asked and asked[0][0] == cli_run
    assert "raise Iterations" in asked[0][1]  # trained to its end: it cannot continue as it is
    wait_idle(qtbot, window)
    assert window.session.iteration == 40 and window.session.unsaved
    assert window.session.run_path is None and str(cli_run) not in window.windowTitle()
    assert tree_digest(cli_run) == before
    window.settings.set(keys.CONFIRM_DISCARD, True)
    window.ask_save_before_closing = lambda: Button.Discard
    assert window.close()
    assert tree_digest(cli_run) == before  # "Discard" on close leaves no autosave behind


def test_train_on_an_opened_run_can_continue_it(qtbot, window, cli_run):
    original = load_run(cli_run)
    assert window.files.open_run(cli_run)
    window.config_panel.training.iterations.setValue(60)
    asked = answer_train(window, TrainChoice.CONTINUE)
    window.window_actions.start.trigger()
    assert asked == [(cli_run, None)]
    wait_idle(qtbot, window)
    assert window.session.iteration == 60 and window.session.run_path == cli_run
    assert window.loss_plot.point_count() == 60  # the opened curve goes on
    continued = load_run(cli_run)  # autosaved into the run it continues
    assert continued.iteration == 60
    assert continued.history.rows[:40] == original.history.rows


def test_train_cancelled_changes_nothing(qtbot, window, cli_run):
    before = tree_digest(cli_run)
    window.files.open_run(cli_run)
    opened = window.session.snapshot
    answer_train(window, TrainChoice.CANCEL)
    window.window_actions.start.trigger()
    assert window.session.state is TrainingState.IDLE and window.session.snapshot is opened
    assert window.session.run_path == cli_run and tree_digest(cli_run) == before


def test_a_fresh_experiment_trains_without_asking(qtbot, window):
    window.session.new_experiment(tiny_config())
    asked = answer_train(window, TrainChoice.CANCEL)
    window.window_actions.start.trigger()
    wait_idle(qtbot, window)
    assert asked == [] and window.session.iteration == 40


def test_session_start_training_never_autosaves_into_a_saved_run(qtbot, window, tmp_path):
    session = window.session
    session.new_experiment(tiny_config())
    assert session.start_training()
    wait_idle(qtbot, window)
    assert session.save_run(tmp_path / "run")
    before = tree_digest(tmp_path / "run")
    assert session.start_training()  # called directly: no dialog, still no overwrite
    assert session.run_path is None
    wait_idle(qtbot, window)
    assert tree_digest(tmp_path / "run") == before


def test_a_folder_saved_without_a_model_takes_the_first_training(qtbot, window, tmp_path):
    session = window.session
    session.new_experiment(tiny_config())
    assert session.save_run(tmp_path / "setup")  # only the config and the points
    assert session.start_training()
    wait_idle(qtbot, window)
    assert session.run_path == tmp_path / "setup" and load_run(tmp_path / "setup").iteration == 40


def folder_answers(window, *answers: str) -> list[str]:
    """Answer the Save As folder dialog with ``answers`` in turn, then cancel."""
    pending = list(answers)
    asked = []

    def ask(title: str) -> str:
        asked.append(title)
        return pending.pop(0) if pending else ""
    window.files.ask_save_folder = ask
    return asked


def test_save_as_asks_again_after_a_folder_with_other_files(qtbot, window, errors, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    asked = folder_answers(window, str(tmp_path / "busy"), str(tmp_path / "run"))
    assert window.files.save_run_as()
    assert len(asked) == 2 and "holds other files" in errors[0]
    assert window.session.run_path == tmp_path / "run" and (tmp_path / "run" / "config.toml").is_file()
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]


def test_save_as_cancelled_after_a_refusal_saves_nothing(qtbot, window, errors, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    asked = folder_answers(window, str(tmp_path))
    assert not window.files.save_run_as()
    assert len(asked) == 2 and window.session.run_path is None


def test_save_as_asks_before_replacing_another_run(qtbot, window, cli_run, tmp_path):
    before = tree_digest(cli_run)
    window.session.new_experiment(tiny_config())
    asked = folder_answers(window, str(cli_run), str(tmp_path / "mine"), str(cli_run))
    replies = [False, True]
    window.files.ask_replace_run = lambda target: replies.pop(0)
    assert window.files.save_run_as()
    assert len(asked) == 2 and replies == [True]  # No: it asked for another folder
    assert tree_digest(cli_run) == before and window.session.run_path == tmp_path / "mine"
    assert window.files.save_run_as() and replies == []  # Yes: replaced
    assert window.session.run_path == cli_run and load_run(cli_run).iteration == 0


def test_save_folder_dialog_creates_a_typed_folder(qtbot, tmp_path):
    dialog = SaveFolderDialog(None, "Save", str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("new-run")
    assert dialog.save_button.isEnabled()
    dialog.accept()
    assert dialog.result() == SaveFolderDialog.DialogCode.Accepted
    assert (tmp_path / "new-run").is_dir() and dialog.selectedFiles() == [str(tmp_path / "new-run")]


def test_save_folder_dialog_does_not_create_inside_a_missing_folder(qtbot, tmp_path):
    dialog = SaveFolderDialog(None, "Save", str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.name_edit.setText(str(tmp_path / "missing" / "run"))
    assert dialog.new_folder() is None
    assert not (tmp_path / "missing").exists()


def test_dialogs_start_in_a_folder_that_exists(tmp_path, monkeypatch):
    from PySide6.QtCore import QStandardPaths

    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda location: str(tmp_path / "no-Documents"))
    settings = AppSettings()
    settings.set(keys.LAST_DIRECTORY, str(tmp_path / "deleted"))
    assert settings.start_directory() == str(Path.home())
    (tmp_path / "runs" / "a").mkdir(parents=True)
    settings.add_recent_run(tmp_path / "runs" / "a")
    assert settings.start_directory() == str((tmp_path / "runs").resolve())


def click_in_next_message_box(text: str, seen: list) -> None:
    """When the next message box shows, record its buttons (text: enabled) and its informative
    text, then click the button ``text``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        buttons = {b.text().replace("&", ""): b for b in box.buttons()}
        seen.append({name: b.isEnabled() for name, b in buttons.items()})
        seen.append(box.informativeText())
        buttons[text].click()
    QTimer.singleShot(0, click)


def test_the_train_dialog_offers_continue_only_where_it_can(qtbot, window, cli_run):
    window.files.open_run(cli_run)
    seen = []
    click_in_next_message_box("Cancel", seen)
    window.window_actions.start.trigger()
    assert seen[0] == {"Continue this run": False, "Start a new run": True, "Cancel": True}
    assert "raise Iterations" in seen[1]  # trained to its end: says why it cannot continue
    assert window.session.state is TrainingState.IDLE and window.session.run_path == cli_run
    window.config_panel.training.iterations.setValue(60)
    click_in_next_message_box("Start a new run", seen)
    window.window_actions.start.trigger()
    assert seen[2]["Continue this run"] is True and "cannot" not in seen[3]
    assert window.session.run_path is None and window.session.state is not TrainingState.IDLE
    wait_idle(qtbot, window)
