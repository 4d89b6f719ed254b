"""Observations -> `Targets` on the model grid and save times, one per time window.

Time origin: the model's t = 0 is the case's `time.start`; a case without a start is taken to
begin at the first observation time (say so in the case if that is wrong).

Windows: each window ``[start, end]`` is its own run of (end - start) / output_interval saves.
The window starting at t = 0 begins from the case's initial state; a later window begins from
the observed profiles nearest its start (interpolated onto the grid, extended to the surface
and the bottom with the nearest observed value); a variable not observed there keeps the
case's initial profile. Targets are the observations at the window's save times after its
start, NaN where nothing was observed (see `calib.io.observations.align`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import equinox as eqx
import numpy as np
import xarray as xr

from calib.common.errors import ConfigError, DataError
from calib.common.vocabulary import FITTABLE, variance_floors
from calib.config.fit import WindowBound
from calib.config.schema import Case
from calib.core.grid import Grid
from calib.core.state import State
from calib.io.observations import align

# Floors of the normalising variance (roughly instrument accuracy squared, from the vocabulary),
# so that a variable that barely varies (e.g. constant salinity) does not get an enormous weight.
VARIANCE_FLOOR = variance_floors()  # K², psu², (m s-1)²


class Targets(eqx.Module):
    """Observed values mirroring `State`: leaves (n_saves, nz), NaN = not observed, None =
    variable not fitted."""

    u: np.ndarray | None = None
    v: np.ndarray | None = None
    T: np.ndarray | None = None
    S: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class Window:
    """A run of `n_saves` saves starting `start_step` steps after the time origin."""

    start_s: float
    end_s: float
    start_step: int
    n_saves: int


def time_origin(case: Case, observations: xr.Dataset) -> np.datetime64:
    """The model's t = 0: the case's time.start, else the first observation time."""
    if case.time.start is not None:
        return np.datetime64(case.time.start, "ns")
    return np.datetime64(observations["time"].values[0], "ns")


def _seconds(bound: WindowBound, origin: np.datetime64) -> float:
    if isinstance(bound, float | int):
        return float(bound)
    return float((np.datetime64(bound, "ns") - origin) / np.timedelta64(1, "s"))


def resolve_windows(case: Case, windows, origin: np.datetime64, where: str, length=None) -> list[Window]:
    """Windows in seconds and steps, checked against the run (whole output intervals inside it).

    Args:
        windows: (start, end) pairs; none = the whole run.
        length: instead, consecutive windows of this length (s) from t = 0 while inside the run.

    Raises:
        ConfigError: a window outside the run, empty, or not on the output grid.
    """
    interval, duration = case.time.output_interval, case.time.duration
    if length is not None:
        count = int(duration // length + 1e-9)
        if count < 1:
            raise ConfigError(f"{where}: windows of {length / 3600:g} h do not fit in the run; shorten them")
        windows = tuple((k * length, (k + 1) * length) for k in range(count))
    pairs = windows or ((0.0, duration),)
    result = []
    for start_bound, end_bound in pairs:
        start, end = _seconds(start_bound, origin), _seconds(end_bound, origin)
        label = f"{where}: window [{start / 3600:g} h, {end / 3600:g} h]"
        if not 0.0 <= start < end <= duration + 1e-6:
            raise ConfigError(
                f"{label}: must satisfy 0 <= start < end <= the run length ({duration / 3600:g} h); "
                "choose times inside the run"
            )
        for value in (start, end):
            if abs(value / interval - round(value / interval)) > 1e-6:
                raise ConfigError(
                    f"{label}: {value:g} s is not a whole number of output intervals ({interval:g} s); "
                    "round the window to the output interval"
                )
        steps = round(start / case.time.dt)
        result.append(Window(start, end, steps, round((end - start) / interval)))
    return result


def fitted_variables(
    observations: xr.Dataset, weights: dict[str, float] | None, path: Path
) -> dict[str, float]:
    """Variable -> weight of the variables both requested and observed.

    Raises:
        DataError: none of the requested variables is in the file.
    """
    observed = [name for name in FITTABLE if name in observations.data_vars]
    wanted = weights if weights is not None else dict.fromkeys(FITTABLE, 1.0)
    chosen = {name: float(weight) for name, weight in wanted.items() if name in observed}
    if not chosen:
        raise DataError(
            f"{path}: none of the fitted variables ({', '.join(wanted)}) is observed "
            f"(the file has {', '.join(observed) or 'none of T, S, u, v'}); fit observed variables "
            "with --weights or fit.weights"
        )
    return chosen


def check_overlap(observations: xr.Dataset, grid: Grid, origin, windows: list[Window], path: Path) -> None:
    """Raise a DataError when the observations miss the run in time or in depth."""
    times = observations["time"].values
    first, last = times.min(), times.max()
    run_start = origin + np.timedelta64(round(min(w.start_s for w in windows)), "s")
    run_end = origin + np.timedelta64(round(max(w.end_s for w in windows)), "s")
    if last < run_start or first > run_end:
        raise DataError(
            f"{path}: observations cover {_date(first)} to {_date(last)} but the fit runs from "
            f"{_date(run_start)} to {_date(run_end)}; set time.start (and the windows) inside the "
            "observation period"
        )
    z = observations["z"].values
    centres = np.asarray(grid.z_centers)
    if not np.any((centres >= z.min()) & (centres <= z.max())):
        raise DataError(
            f"{path}: observations lie between {z.min():g} m and {z.max():g} m, where the model "
            f"grid ({centres.min():g} m to {centres.max():g} m) has no cell centre; check the depth "
            "axis (positive down?) and the grid depth"
        )


def _date(value) -> str:
    return str(np.datetime_as_string(np.datetime64(value, "s")))


def window_targets(
    observations: xr.Dataset,
    z_centers: np.ndarray,
    window: Window,
    interval: float,
    origin: np.datetime64,
    variables: dict[str, float],
    tolerance: float | None,
) -> Targets:
    """Observed profiles at the window's saves after its start, on the model grid."""
    times = window.start_s + interval * np.arange(1, window.n_saves + 1)
    tolerance = 0.5 * interval if tolerance is None else tolerance
    selected = observations[list(variables)]
    aligned = align(selected, z_centers, times, origin, tolerance_seconds=tolerance)
    return Targets(**{name: aligned[name] for name in variables})


def _filled(profile: np.ndarray, z_centers: np.ndarray) -> np.ndarray | None:
    """NaN gaps filled by linear interpolation, ends by the nearest value; None if all NaN."""
    seen = np.isfinite(profile)
    if not seen.any():
        return None
    return np.interp(z_centers, z_centers[seen], profile[seen])


def window_initial(
    observations: xr.Dataset,
    initial: State,
    z_centers: np.ndarray,
    window: Window,
    origin: np.datetime64,
    tolerance: float,
) -> State:
    """Initial state of a window (see the module docstring)."""
    if window.start_step == 0:
        return initial
    variables = [name for name in FITTABLE if name in observations.data_vars]
    aligned = align(observations[variables], z_centers, np.array([window.start_s]), origin,
                    tolerance_seconds=tolerance)  # fmt: skip
    values = {name: np.asarray(getattr(initial, name)) for name in FITTABLE}
    for name in variables:
        filled = _filled(aligned[name][0], z_centers)
        if filled is not None:
            values[name] = filled
    return State(**values)


def normalising_variances(all_targets: list[Targets]) -> dict[str, float]:
    """Per variable, the variance of every finite target value (floored, see VARIANCE_FLOOR)."""
    result = {}
    for name in FITTABLE:
        arrays = [getattr(t, name) for t in all_targets if getattr(t, name) is not None]
        if not arrays:
            continue
        values = np.concatenate([a[np.isfinite(a)] for a in arrays])
        variance = float(np.var(values)) if values.size else 0.0
        result[name] = max(variance, VARIANCE_FLOOR[name])
    return result


def counts(all_targets: list[Targets]) -> dict[str, int]:
    """Per variable, the number of finite target values over all windows and cases."""
    result: dict[str, int] = {}
    for targets in all_targets:
        for name in FITTABLE:
            array = getattr(targets, name)
            if array is not None:
                result[name] = result.get(name, 0) + int(np.isfinite(array).sum())
    return result
