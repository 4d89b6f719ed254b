"""PNG figures of a fit (matplotlib, Agg backend, written atomically).

- ``loss.png``: loss and gradient norm per evaluation (log scale), rejected points marked;
- ``parameters.png``: each fitted parameter per evaluation, with its bounds if close;
- ``profiles.png``: for each fitted variable, observed profiles (dots) and the model before
  (dashed) and after (solid) the fit at three times, and the RMS error against time;
- ``landscape.png``: the loss over two parameters with the optimiser's path
  (`calib.calibration.landscape`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np

from calib.analysis.plotting import new_figure
from calib.analysis.plotting import save_figure as _save
from calib.common.vocabulary import display_units


def save_figure(figure, path: Path) -> Path:
    """Save a fit figure as PNG atomically."""
    return _save(figure, path, dpi=110)


def plot_loss(path: Path, history: list[dict]) -> Path:
    """Loss and gradient norm against evaluation."""
    figure, (top, bottom) = new_figure(2, 1, figsize=(6, 5), sharex=True)
    index = np.arange(len(history))
    loss = np.array([row["loss"] for row in history], dtype=float)
    gradient = np.array([row["gradient_norm"] for row in history], dtype=float)
    ok = np.array([row["event"] == "ok" for row in history])
    top.semilogy(index[ok], loss[ok], "o-", ms=3)
    top.plot(index[~ok], np.full((~ok).sum(), np.nanmax(np.where(ok, loss, np.nan))), "rx", label="rejected")
    top.set_ylabel("loss")
    bottom.semilogy(index[ok], gradient[ok], "o-", ms=3, color="tab:green")
    bottom.set_ylabel("|gradient| (unconstrained)")
    bottom.set_xlabel("evaluation")
    if (~ok).any():
        top.legend()
    return save_figure(figure, path)


def plot_parameters(path: Path, names, values: np.ndarray, units: dict[str, str]) -> Path:
    """Each parameter (column of `values`) against evaluation."""
    figure, axes = new_figure(len(names), 1, figsize=(6, 1.8 * len(names) + 0.6), sharex=True, squeeze=False)
    for i, name in enumerate(names):
        axis = axes[i, 0]
        axis.plot(values[:, i], "o-", ms=3)
        axis.set_ylabel(f"{name}\n({units.get(name, '1')})")
    axes[-1, 0].set_xlabel("evaluation")
    return save_figure(figure, path)


def _observed_saves(experiment, variables) -> np.ndarray:
    """Indices of the saves at which any fitted variable was observed."""
    seen = np.zeros(experiment.n_saves, dtype=bool)
    for name in variables:
        seen |= np.isfinite(np.asarray(getattr(experiment.targets, name))).any(axis=1)
    return np.flatnonzero(seen)


def _snapshots(experiments, variables) -> list[tuple[int, int]]:
    """(experiment, save) pairs of up to three observation times spread over the fit (profiles
    are drawn where there is something to compare with)."""
    observed = [
        (e, save)
        for e, experiment in enumerate(experiments)
        for save in _observed_saves(experiment, variables)
    ]
    if not observed:
        return [(0, experiments[0].n_saves - 1)]
    picks = sorted({round(f * (len(observed) - 1)) for f in (1 / 3, 2 / 3, 1.0)})
    return [observed[i] for i in picks]


def plot_profiles(path: Path, experiments, before: list, after: list, variables, z: np.ndarray) -> Path:
    """Observed vs model profiles before/after, and RMS error against time (see module docstring).

    Args:
        experiments: the fit's experiments (targets, save times).
        before, after: per experiment, a dict variable -> (n_saves, nz) model values.
        variables: fitted variable names.
        z: cell-centre heights (m).
    """
    moments = _snapshots(experiments, variables)
    size = (3.2 * (len(moments) + 1), 3.4 * len(variables))
    figure, axes = new_figure(len(variables), len(moments) + 1, figsize=size, squeeze=False)
    for row, name in enumerate(variables):
        for column, (e, save) in enumerate(moments):
            axis = axes[row, column]
            observed = getattr(experiments[e].targets, name)[save]
            axis.plot(observed, z, "k.", ms=4, label="observed")
            axis.plot(before[e][name][save], z, "--", color="tab:blue", label="before")
            axis.plot(after[e][name][save], z, "-", color="tab:red", label="after")
            axis.set_title(f"{experiments[e].save_times[save] / 3600:g} h", fontsize=9)
            axis.set_xlabel(f"{name} ({display_units(name)})")
            axis.set_ylabel("z (m)")
        _rms_panel(axes[row, -1], experiments, before, after, name)
    axes[0, 0].legend(fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)


def _rms_panel(axis, experiments, before, after, name: str) -> None:
    """RMS model - observed error at every save with an observation of `name` (points joined
    within an experiment), before and after."""
    drawn = False
    for values, style, label in ((before, "o--", "before"), (after, "o-", "after")):
        color = "tab:blue" if label == "before" else "tab:red"
        for e, experiment in enumerate(experiments):
            observed = np.asarray(getattr(experiment.targets, name))
            seen = np.isfinite(observed)
            saves = np.flatnonzero(seen.any(axis=1))
            if not saves.size:
                continue
            errors = np.where(seen, values[e][name] - np.where(seen, observed, 0.0), 0.0)[saves]
            rms = np.sqrt((errors**2).sum(axis=1) / seen[saves].sum(axis=1))
            axis.plot(experiment.save_times[saves] / 86400, rms, style, ms=2.5, color=color,
                      label=label if not drawn or e == 0 else None)  # fmt: skip
            drawn = True
    axis.set_xlabel("time (days)")
    axis.set_ylabel(f"RMS error of {name} ({display_units(name)})")
    if drawn:
        axis.legend(fontsize=8)
    else:
        axis.text(0.5, 0.5, f"no observed {name}", ha="center", va="center", transform=axis.transAxes)


def plot_landscape(path: Path, landscape, path_values: np.ndarray | None, units: dict[str, str]) -> Path:
    """Filled contours of log10(loss) over two parameters, with the optimiser's path."""
    figure, axis = new_figure(figsize=(6, 5))
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.log10(np.where(landscape.loss > 0, landscape.loss, np.nan))
    filled = axis.contourf(landscape.x, landscape.y, level.T, levels=20, cmap="viridis")
    figure.colorbar(filled, ax=axis, label="log10 loss")
    if path_values is not None and len(path_values):
        axis.plot(path_values[:, 0], path_values[:, 1], "w.-", lw=1.2, ms=5, label="optimiser path")
        axis.plot(path_values[0, 0], path_values[0, 1], "wo", ms=8, mfc="none", label="start")
        axis.plot(path_values[-1, 0], path_values[-1, 1], "r*", ms=12, label="end")
        axis.legend(fontsize=8, loc="best")
    name_x, name_y = landscape.names
    axis.set_xlabel(f"{name_x} ({units.get(name_x, '1')})")
    axis.set_ylabel(f"{name_y} ({units.get(name_y, '1')})")
    for log, scale, ticks in ((landscape.log_scaled[0], axis.set_xscale, axis.xaxis),
                              (landscape.log_scaled[1], axis.set_yscale, axis.yaxis)):  # fmt: skip
        if log:
            scale("log")
            ticks.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.3g"))
            ticks.set_minor_formatter(matplotlib.ticker.NullFormatter())
    return save_figure(figure, path)
