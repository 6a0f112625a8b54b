"""Comparing runs in the app (issue 11): the Runs panel, overlays, grouping, results table, sweep view.

The API other parts of the app build on is :class:`~maml_gui.qt.runs.runs_model.RunsModel`
(``window.runs.model`` in the main window)::

    model.add_run(path) -> bool        # read one run directory now; False + a `problem` line if it cannot be read;
                                       #   a run already in the model is read again in place (colour, tick kept)
    model.add_compared(run)            # a ComparedRun read elsewhere (core.compared_run.read_compared_run)
    model.open_folder(path)            # a run, a folder of runs or a sweep folder, read in a worker thread;
                                       #   again on the same folder: its runs re-read in place (a live sweep)
    model.runs() / visible_runs() / opened_runs()   # list[RunEntry]: key, name, color, visible, run
    entry.run                          # core.compared_run.ComparedRun: path, config, history, snapshot,
                                       #   iteration, evaluation (evaluation.json or None), sweep folder
    model.set_visible(key, bool), remove(key), clear()
    model.group_fields / set_group_fields(("training.algorithm",))   # None: one curve per run
    model.x_axis / set_x_axis("iteration" | "wall time")
    signals: changed (runs added/removed/shown/hidden), current_changed (the current experiment grew),
             view_changed (grouping, x axis), problem(str), loading_changed(bool), folder_read(FolderRead)

The current experiment is the entry whose ``is_current`` is True (key ``"current experiment"``),
kept up to date by :class:`~maml_gui.qt.runs.runs_feature.RunsFeature` from the session.

Modules: ``runs_model`` (the model), ``runs_loader`` (reading folders off the UI thread),
``runs_panel`` (the dock), ``plot_overlay`` + ``compare_overlays`` (meta-loss and adaptation
plots drawing the visible runs or groups), ``results_table`` + ``results_window`` (the table,
CSV export) and ``sweep_view`` (parallel coordinates / scatter), ``runs_feature`` (the wiring
into the main window). Qt-free helpers: :mod:`maml_gui.core.compared_run`,
:mod:`maml_gui.core.run_groups`, :mod:`maml_gui.core.run_table`, :mod:`maml_gui.core.sweep_axes`.
"""
