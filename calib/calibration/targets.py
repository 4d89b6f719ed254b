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

from calib.analysis.diagnostics import sea_surface_temperature
from calib.common.errors import ConfigError, DataError
from calib.common.vocabulary import FITTABLE, PROGNOSTIC, display_units, variance_floors
from calib.config.fit import WindowBound
from calib.config.schema import Case
from calib.core.grid import Grid
from calib.core.state import State
from calib.io.observations import align

# Floors of the normalising variance (roughly instrument accuracy squared, from the vocabulary),
# so that a variable that barely varies (e.g. constant salinity) does not get an enormous weight.
VARIANCE_FLOOR = variance_floors()  # K², psu², (m s-1)², decades² (epsilon), K² (SST)
LOGARITHMIC = ("epsilon",)  # fitted as log10 (misfit, normalising variance)


class Targets(eqx.Module):
    """Observed values of the fitted variables, NaN = not observed, None = variable not fitted.

    Shapes: u, v, T, S (n_saves, nz) at cell centres; epsilon (n_saves, nz + 1) at the faces
    (m2 s-3, > 0); SST (n_saves, 1) (a profile of one level, so that every target is
    (time, level)). The model's values of the same variables (`calib.calibration.loss.Group.states`)
    come in a Targets too."""

    u: np.ndarray | None = None
    v: np.ndarray | None = None
    T: np.ndarray | None = None
    S: np.ndarray | None = None
    epsilon: np.ndarray | None = None
    SST: np.ndarray | None = None


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

    Without weights: every observed profile variable (u, v, T, S), weight 1; SST and epsilon only
    when the file holds no profile variable (else they are fitted when `weights` names them).

    Raises:
        DataError: none of the requested variables is in the file.
    """
    observed = [name for name in FITTABLE if name in observations.data_vars]
    if weights is None:
        profiles = [name for name in observed if name in PROGNOSTIC]
        wanted = dict.fromkeys(profiles or observed or FITTABLE, 1.0)
    else:
        wanted = weights
    chosen = {name: float(weight) for name, weight in wanted.items() if name in observed}
    if not chosen:
        raise DataError(
            f"{path}: none of the fitted variables ({', '.join(wanted)}) is observed "
            f"(the file has {', '.join(observed) or 'none of ' + ', '.join(FITTABLE)}); fit observed "
            "variables with --weights or fit.weights"
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
    if "z" not in observations.dims:  # a time series (SST) only
        return
    z = observations["z"].values
    centres = np.asarray(grid.z_centers)
    if not np.any((centres >= z.min()) & (centres <= z.max())):
        raise DataError(
            f"{path}: observations lie between {z.min():g} m and {z.max():g} m, where the model "
            f"grid ({centres.min():g} m to {centres.max():g} m) has no cell centre; check the depth "
            "axis (positive down?) and the grid depth"
        )


# |observed - initial| of the means above which the observations are refused at fit set-up: no
# column changes this much in a month, a unit or variable mix-up does (1 psu vs 35 psu, degF).
INITIAL_OFFSET_LIMITS = {"T": 15.0, "S": 10.0, "SST": 15.0}  # K, psu, K
INITIAL_PERIOD = np.timedelta64(30, "D")  # observations this close to t = 0 are compared
_LIKELY_CAUSE = {
    "T": "in other units (degF?) or another variable (air temperature? a fill value?)",
    "S": "in other units (kg kg-1 instead of g kg-1?) or another variable (conductivity in S m-1?)",
    "SST": "in other units (degF?) or another variable (air temperature?)",
}


def check_against_initial(
    observations: xr.Dataset, initial: State, z_centers: np.ndarray, origin: np.datetime64, path
) -> None:
    """Refuse observations whose mean over the first `INITIAL_PERIOD` lies farther from the case's
    initial state (at the same depths) than `INITIAL_OFFSET_LIMITS`: a unit or variable error.

    Raises:
        DataError: naming the file, the variable, both means and the likely cause.
    """
    times = observations["time"].values
    near = np.abs(times - np.datetime64(origin, "ns")) <= INITIAL_PERIOD
    if not near.any():
        return
    z_centers = np.asarray(z_centers, dtype=float)
    order = np.argsort(z_centers)
    for name, limit in INITIAL_OFFSET_LIMITS.items():
        if name not in observations.data_vars:
            continue
        values = observations[name].isel(time=near)
        if name == "SST":
            observed = values.values
            model = np.full(observed.shape, float(sea_surface_temperature(np.asarray(initial.T), z_centers)))
        else:
            values = values.transpose("time", "z")
            z = np.broadcast_to(observations["z"].values, values.shape)
            observed = np.where((z >= z_centers.min()) & (z <= z_centers.max()), values.values, np.nan)
            profile = np.asarray(getattr(initial, name), dtype=float)[order]
            model = np.interp(z, z_centers[order], profile)
        seen = np.isfinite(observed) & np.isfinite(model)
        if not seen.any():
            continue
        observed_mean, model_mean = float(observed[seen].mean()), float(model[seen].mean())
        units, days = display_units(name), INITIAL_PERIOD.astype(int)
        if abs(observed_mean - model_mean) > limit:
            raise DataError(
                f"{path}: {name}: observed mean {observed_mean:.4g} {units} (first {days} days) against "
                f"{model_mean:.4g} {units} in the case's initial state at the same depths, more than "
                f"{limit:g} {units} apart; the observations are probably {_LIKELY_CAUSE[name]}: check "
                f"the file's {name} (units, variable) or the case's initial {'T' if name == 'SST' else name}"
            )


def _date(value) -> str:
    return str(np.datetime_as_string(np.datetime64(value, "s")))


def sst_weights(z_centers: np.ndarray) -> np.ndarray:
    """w (nz,) with SST = w @ T: the one SST definition (`calib.analysis.diagnostics`, T at 1 m
    linear in depth, the top cell when it is deeper) as the linear map it is on a fixed grid."""
    z_centers = np.asarray(z_centers, dtype=float)
    return np.asarray(sea_surface_temperature(np.eye(z_centers.size), z_centers), dtype=float)


def window_targets(
    observations: xr.Dataset,
    z_centers: np.ndarray,
    window: Window,
    interval: float,
    origin: np.datetime64,
    variables: dict[str, float],
    tolerance: float | None,
    *,
    z_faces: np.ndarray | None = None,
) -> Targets:
    """Observed values at the window's saves after its start: profiles on the model's cell
    centres, epsilon on its faces (interpolated in log10), SST as (n_saves, 1)."""
    times = window.start_s + interval * np.arange(1, window.n_saves + 1)
    tolerance = 0.5 * interval if tolerance is None else tolerance
    result = {}
    profiles = [name for name in variables if name in PROGNOSTIC]
    if profiles:
        result.update(align(observations[profiles], z_centers, times, origin, tolerance_seconds=tolerance))
    if "epsilon" in variables:
        if z_faces is None:
            raise ValueError("window_targets: epsilon is fitted at the faces; pass z_faces")
        logarithm = np.log10(observations["epsilon"]).to_dataset(name="epsilon")
        aligned = align(logarithm, z_faces, times, origin, tolerance_seconds=tolerance)
        result["epsilon"] = 10.0 ** aligned["epsilon"]
    if "SST" in variables:
        result.update(align(observations[["SST"]], z_centers, times, origin, tolerance_seconds=tolerance))
    return Targets(**result)


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
    variables = [name for name in PROGNOSTIC if name in observations.data_vars]
    values = {name: np.asarray(getattr(initial, name)) for name in PROGNOSTIC}
    if not variables:
        return State(**values)
    aligned = align(observations[variables], z_centers, np.array([window.start_s]), origin,
                    tolerance_seconds=tolerance)  # fmt: skip
    for name in variables:
        filled = _filled(aligned[name][0], z_centers)
        if filled is not None:
            values[name] = filled
    return State(**values)


def normalising_variances(all_targets: list[Targets]) -> dict[str, float]:
    """Per variable, the variance of every finite target value (of its log10 for `LOGARITHMIC`
    variables), floored (see VARIANCE_FLOOR)."""
    result = {}
    for name in FITTABLE:
        arrays = [np.asarray(getattr(t, name)) for t in all_targets if getattr(t, name) is not None]
        if not arrays:
            continue
        values = np.concatenate([a[np.isfinite(a)] for a in arrays])
        if name in LOGARITHMIC:
            values = np.log10(values[values > 0])
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
