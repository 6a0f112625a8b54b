"""The meta-loss and adaptation plots drawing the visible runs (or groups of runs) in their colours.

:class:`MetaLossOverlay` draws each run's training query loss after adaptation against the
iteration or the seconds trained, smoothed with the meta-loss dock's own slider (the raw
losses faintly behind, for up to :data:`RAW_RUNS` runs); grouped, each group's smoothed curves become their mean with a 95%
band over the group's runs. :class:`AdaptationOverlay` draws each run's last validation
curve (the metric after 0, 1, ... inner steps); grouped, the mean over the group's runs with
its 95% band.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from superqt.utils import qthrottled

from maml_gui.core.compared_run import X_WALL_TIME, ComparedRun
from maml_gui.core.run_groups import curves_mean_band, group_runs, steps_mean_band
from maml_gui.qt.plots.smoothing import MAX_WEIGHT, debiased_ema
from maml_gui.qt.runs.plot_overlay import RAW_ALPHA, PlotOverlay, drawable, flat_config, group_color
from maml_gui.qt.runs.runs_model import RunEntry

RAW_RUNS = 10  # the raw losses are drawn faintly behind the smoothed ones of at most this many runs
SMOOTHING_INTERVAL_MS = 80  # a dragged smoothing slider redraws the compared runs at most this often
LOSS_NAMES = {"regression": "query MSE", "classification": "query cross-entropy"}
METRIC_NAMES = {"mse": "query MSE", "accuracy": "query accuracy"}


def _has_losses(run: ComparedRun) -> bool:
    return bool(run.history.rows)


def _has_validation(run: ComparedRun) -> bool:
    return run.adaptation_curve() is not None


def _group_text(label: str, count: int) -> str:
    return f"{label} ({count} run{'s' if count != 1 else ''})"


class MetaLossOverlay(PlotOverlay):
    """Over the :class:`~maml_gui.qt.plots.loss_plot.MetaLossPlot`; ``smoothing()`` gives the slider's weight."""

    def __init__(self, plot, model, smoothing_slider) -> None:
        super().__init__(plot, model)
        self.smoothing_slider = smoothing_slider
        self._redraw_soon = qthrottled(self.redraw, SMOOTHING_INTERVAL_MS, parent=self)
        smoothing_slider.valueChanged.connect(self._on_smoothing_changed)

    def restore_plot(self) -> None:
        self.plot.refresh_view()

    def smoothing(self) -> float:
        return min(max(float(self.smoothing_slider.value()), 0.0), MAX_WEIGHT)

    @Slot(float)
    def _on_smoothing_changed(self, _weight: float) -> None:
        if self.active:
            self._redraw_soon()

    def _smoothed(self, run: ComparedRun):
        x, y = run.loss_curve(self.model.x_axis)
        return x, y, debiased_ema(y, self.smoothing())[0]

    def draw(self, entries: list[RunEntry]) -> None:
        entries, note = drawable(entries, _has_losses)
        kind = entries[0].run.task_kind if entries else "regression"
        self.item.setLabel("left", f"{LOSS_NAMES.get(kind, 'query loss')} after adaptation (training)")
        self.item.setLabel("bottom", "seconds trained" if self.model.x_axis == X_WALL_TIME else "meta-iteration")
        fields = self.model.group_fields
        if fields is None:
            for entry in entries:
                x, raw, smooth = self._smoothed(entry.run)
                if len(entries) <= RAW_RUNS:
                    self.add_line(f"raw {entry.key}", entry.color, x, raw, alpha=RAW_ALPHA)
                self.add_line(entry.key, entry.color, x, smooth, name=entry.name)
        else:
            colors = self.model.group_colors()
            for index, group in enumerate(group_runs(entries, fields, flat_config)):
                color = colors.get(group.label, group_color(index))
                curves = [(x, smooth) for x, _, smooth in (self._smoothed(e.run) for e in group.members)]
                band = curves_mean_band(curves)
                if band is None:
                    continue
                if band.count > 1:
                    self.add_band(group.label, color, band.x, band.mean, band.lower, band.upper)
                self.add_line(group.label, color, band.x, band.mean, name=_group_text(group.label, band.count))
        self.set_title(note)


class AdaptationOverlay(PlotOverlay):
    """Over the :class:`~maml_gui.qt.plots.adaptation_plot.AdaptationCurvePlot`."""

    def restore_plot(self) -> None:
        self.plot.show_record(self.plot.record)

    def draw(self, entries: list[RunEntry]) -> None:
        entries, note = drawable(entries, _has_validation)
        metric = entries[0].run.adaptation_curve().metric if entries else "mse"
        entries = [entry for entry in entries if entry.run.adaptation_curve().metric == metric]
        self.item.setLabel("left", f"{METRIC_NAMES.get(metric, metric)} (validation tasks)")
        self.item.setLabel("bottom", "inner gradient steps · last validation of each run")
        fields = self.model.group_fields
        if fields is None:
            for entry in entries:
                curve = entry.run.adaptation_curve()
                self.add_line(entry.key, entry.color, curve.steps, curve.values, name=entry.name, symbol="o")
            title = "each run's last validation"
        else:
            colors = self.model.group_colors()
            for index, group in enumerate(group_runs(entries, fields, flat_config)):
                color = colors.get(group.label, group_color(index))
                curves = [(e.run.adaptation_curve().steps, e.run.adaptation_curve().values) for e in group.members]
                band = steps_mean_band(curves)
                if band is None:
                    continue
                if band.count > 1:
                    self.add_band(group.label, color, band.x, band.mean, band.lower, band.upper)
                self.add_line(group.label, color, band.x, band.mean, name=_group_text(group.label, band.count),
                              symbol="o")
            title = "mean over each group's runs, 95% band"
        self.set_title(" · ".join(part for part in (title, note) if part))
