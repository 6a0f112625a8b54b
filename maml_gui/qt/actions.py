"""Every window action, built in one place with its shortcut and tooltip.

Menus, toolbars and the training panel share these ``QAction``\\ s, so enabling one
(e.g. Stop while nothing trains) is seen everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

StandardKey = QKeySequence.StandardKey


@dataclass
class WindowActions:
    new_experiment: QAction
    open_run: QAction
    save_run: QAction
    save_run_as: QAction
    import_config: QAction
    export_config: QAction
    quit: QAction
    clear_points: QAction
    edit_toml: QAction
    start: QAction
    continue_: QAction
    pause: QAction
    stop: QAction
    reset: QAction
    reset_layout: QAction
    loss_log_scale: QAction
    about: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def _action(parent: QWidget, text: str, name: str, tip: str, shortcut=None) -> QAction:
    action = QAction(text, parent)
    action.setObjectName(name)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    return action


def create_actions(parent: QWidget) -> WindowActions:
    actions = WindowActions(
        new_experiment=_action(parent, "&New", "new_experiment", "a new experiment with the default settings "
                               "(Finn et al. 2017 sinusoids), no model and no points", StandardKey.New),
        open_run=_action(parent, "&Open Run…", "open_run", "open a run directory (config, weights, curves, points)",
                         StandardKey.Open),
        save_run=_action(parent, "&Save Experiment", "save_run", "save the experiment's run directory (training "
                         "goes on); later autosaves go to the same folder", StandardKey.Save),
        save_run_as=_action(parent, "Save Experiment &As…", "save_run_as", "save the experiment (config, model, "
                            "curves, drawn points) in a new run directory", StandardKey.SaveAs),
        import_config=_action(parent, "&Import config…", "import_config", "load an experiment config (TOML)"),
        export_config=_action(parent, "&Export config…", "export_config", "write the experiment config as TOML"),
        quit=_action(parent, "&Quit", "quit", "close MAML Studio", StandardKey.Quit),
        clear_points=_action(parent, "Clear &Points", "clear_points", "remove every support point drawn in the "
                             "playground (undoable)", "Ctrl+Shift+Backspace"),
        edit_toml=_action(parent, "Edit config as &TOML…", "edit_toml", "every setting, as TOML text", "Ctrl+T"),
        start=_action(parent, "Train", "start", "meta-train a fresh model from the current settings", "F5"),
        continue_=_action(parent, "Continue", "continue", "go on training the current model up to the "
                          "iterations set", "Ctrl+F5"),
        pause=_action(parent, "Pause", "pause", "pause or resume training", "F6"),
        stop=_action(parent, "Stop", "stop", "stop training; the model so far is kept", "Shift+F5"),
        reset=_action(parent, "Reset", "reset", "discard the trained model and its curves; the next Train starts "
                      "afresh from the current settings", "Ctrl+R"),
        reset_layout=_action(parent, "Reset &Layout", "reset_layout", "put every panel back where it was at first"),
        loss_log_scale=_action(parent, "Log scale meta-loss", "loss_log_scale", "logarithmic y axis for the "
                               "meta-loss plot"),
        about=_action(parent, "&About MAML Studio", "about", "versions of the app, torch and Qt; the "
                      "device found"),
    )
    actions.pause.setCheckable(True)
    actions.loss_log_scale.setCheckable(True)
    for action, fallback in ((actions.save_run_as, "Ctrl+Shift+S"), (actions.quit, "Ctrl+Q")):
        if action.shortcut().isEmpty():  # not every platform defines SaveAs and Quit
            action.setShortcut(QKeySequence(fallback))
    return actions
