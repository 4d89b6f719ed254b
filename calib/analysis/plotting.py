"""One figure that shows at a glance how a run compares with observations.

Panels, top to bottom: SST and mixed-layer depth time series (model and observed, the
definitions of `calib.analysis.compare`), then depth-time sections of model T and of observed T on the
model grid and save times (`calib.io.observations.align`), on one colour scale, each with its
mixed-layer depth drawn over it. Without observations only the model is drawn.

Matplotlib is imported inside the functions and used through its object API with the Agg
canvas (no pyplot, no global backend switch), so importing this module is cheap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from calib.analysis.compare import seconds_since_start
from calib.analysis.diagnostics import definitions, surface_series
from calib.io.files import atomic_write
from calib.io.observations import align

MODEL_STYLE = {"color": "tab:blue", "linewidth": 1.2, "label": "model"}
OBSERVED_STYLE = {"color": "black", "linewidth": 0.6, "alpha": 0.7, "label": "observed"}


def _observed_on_model_grid(model: xr.Dataset, observations: xr.Dataset) -> xr.Dataset:
    """Observed T on the model levels and save times (NaN where not observed)."""
    seconds = seconds_since_start(model)
    aligned = align(observations[["T"]], model["z"].values, seconds, model["time"].values[0])
    return xr.Dataset(
        {"T": (("time", "z"), aligned["T"])}, coords={"time": model["time"].values, "z": model["z"].values}
    )


def _colour_limits(*fields: np.ndarray) -> tuple[float, float]:
    """Shared colour scale: 1st to 99th percentile of all finite values."""
    values = np.concatenate([np.asarray(f, dtype=float).ravel() for f in fields])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    low, high = np.percentile(values, [1, 99])
    return float(low), float(high if high > low else low + 1e-6)


def _section(axes, dataset: xr.Dataset, limits, title: str):
    """Depth-time section of T with its mixed-layer depth; returns the colour mesh."""
    depth = -dataset["z"].values
    mesh = axes.pcolormesh(
        dataset["time"].values, depth, dataset["T"].transpose("z", "time").values,
        shading="nearest", cmap="RdYlBu_r", vmin=limits[0], vmax=limits[1],
    )  # fmt: skip
    axes.plot(dataset["time"].values, surface_series(dataset)["mld"].values, color="k", linewidth=0.8)
    axes.set_ylim(depth.max(), 0.0)
    axes.set_ylabel("depth (m)")
    axes.set_title(title, fontsize=10, loc="left")
    return mesh


def _time_series(axes_sst, axes_mld, model: xr.Dataset, observations: xr.Dataset | None) -> None:
    """SST and MLD of the model and, within the run, of the observations."""
    series = {"model": (surface_series(model), MODEL_STYLE)}
    if observations is not None:
        within = observations.sel(time=slice(model["time"].values[0], model["time"].values[-1]))
        if within.sizes["time"]:
            series["observed"] = (surface_series(within), OBSERVED_STYLE)
    for values, style in series.values():
        axes_sst.plot(values["time"].values, values["sst"].values, **style)
        axes_mld.plot(values["time"].values, values["mld"].values, **style)
    axes_sst.set_ylabel("SST (°C)")
    axes_sst.set_title(definitions(), fontsize=9, loc="left")
    axes_sst.legend(loc="best", fontsize=8)
    axes_mld.set_ylabel("MLD (m)")
    axes_mld.invert_yaxis()


def comparison_figure(model: xr.Dataset, observations: xr.Dataset | None = None, *, title: str = ""):
    """A matplotlib Figure (Agg canvas) of a run against optional observations.

    Args:
        model: trajectory Dataset written by `calib run` (T on time, z).
        observations: `calib.io.observations.load_observations` output, or None.
        title: figure title.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    observed = _observed_on_model_grid(model, observations) if observations is not None else None
    rows = 4 if observed is not None else 3
    figure = Figure(figsize=(10, 2.4 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, 1, sharex=True, height_ratios=[1, 1, 1.6, 1.6][:rows])
    _time_series(axes[0], axes[1], model, observations)
    fields = [model["T"].values] + ([observed["T"].values] if observed is not None else [])
    limits = _colour_limits(*fields)
    mesh = _section(axes[2], model, limits, "model T (°C), black: mixed-layer depth")
    if observed is not None:
        _section(axes[3], observed, limits, "observed T (°C) on the model grid")
    figure.colorbar(mesh, ax=axes[2:], label="T (°C)", shrink=0.9)
    axes[-1].set_xlabel("time (UTC)")
    if title:
        figure.suptitle(title)
    return figure


def check_figure_path(path: str | Path) -> None:
    """A CalibError unless matplotlib can write the format that the suffix of `path` names."""
    from matplotlib.backend_bases import FigureCanvasBase

    from calib.common.errors import CalibError

    suffix = Path(path).suffix.lstrip(".").lower() or "png"
    if suffix not in FigureCanvasBase.get_supported_filetypes():
        raise CalibError(f"{path}: cannot write a .{suffix} figure; use .png, .pdf or .svg")
    if Path(path).is_dir():
        raise CalibError(f"{path}: is a folder; give the path of the figure file")


def new_figure(rows: int = 1, columns: int = 1, *, figsize=(6, 4), **subplots):
    """(Figure, axes) drawn on an Agg canvas without pyplot, so a notebook's backend is untouched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure, figure.subplots(rows, columns, **subplots)


def save_figure(figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Save a Figure atomically (`calib.io.files`); the format follows the suffix of `path`
    (png when there is none)."""
    path = Path(path)
    check_figure_path(path)
    suffix = path.suffix.lstrip(".").lower() or "png"
    return atomic_write(
        path, lambda temporary: figure.savefig(temporary, dpi=dpi, format=suffix, bbox_inches="tight")
    )


def plot_run(
    model: xr.Dataset, observations: xr.Dataset | None, path: str | Path, *, title: str = ""
) -> Path:
    """Draw `comparison_figure` and save it to `path` (PNG by default); returns the path."""
    return save_figure(comparison_figure(model, observations, title=title), path)
