"""Observation files (NetCDF through xarray) -> canonical Dataset -> arrays on the model grid.

`load_observations` finds temperature, salinity, velocity, the dissipation rate of TKE and the
sea-surface temperature in a NetCDF file whatever their names, depth axis or time encoding, and
returns a Dataset with variables ``T``, ``S``, ``u``, ``v``, ``epsilon`` (those present) on
coordinates ``time`` (datetime64) and ``z`` (height, m, negative below the surface,
bottom-first), and ``SST`` on ``time`` only. `align` turns it into (n_saves, nz) arrays on a
model grid ((n_saves, 1) for SST), NaN where nothing was observed.

Implausible values are refused with a one-line DataError naming the file, the variable and the
value (`PLAUSIBLE`): T and SST outside [-3, 40] degC (kelvin gets its own hint), S outside
[0, 50], |u|, |v| above 5 m s-1, epsilon <= 0 or above 1 m2 s-3. Non-positive epsilon is an
error rather than a silent mask: epsilon is fitted on a log scale, and zeros or negatives are
either fill values the file does not declare or log10(epsilon) stored as epsilon.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import DataError, one_line
from calib.common.vocabulary import FITTABLE, VARIABLES
from calib.io.conventions import depth_to_height, looks_like_kelvin

OBSERVABLE = FITTABLE  # variables an observation file may hold (`calib.common.vocabulary`)
SERIES = tuple(name for name in OBSERVABLE if VARIABLES[name].location == "surface")  # on (time,)
# (lowest, highest) plausible value, in the file's canonical units; epsilon's lower bound is exclusive
PLAUSIBLE = {"T": (-3.0, 40.0), "SST": (-3.0, 40.0), "S": (0.0, 50.0), "u": (-5.0, 5.0),
             "v": (-5.0, 5.0), "epsilon": (0.0, 1.0)}  # fmt: skip
_HINTS = {
    "T": "check the units (degC expected; degF?) and the fill value",
    "SST": "check the units (degC expected; degF?) and the fill value",
    "S": "check the units (psu or g kg-1 expected) and the fill value",
    "u": "check the units (m s-1 expected; cm s-1?) and the fill value",
    "v": "check the units (m s-1 expected; cm s-1?) and the fill value",
    "epsilon": "check the units (m2 s-3 = W kg-1 expected; W m-3?) and the fill value",
}
VERTICAL_NAMES = ("z", "depth", "deptht", "depthu", "depthv", "lev", "level", "height", "pres_depth")
TIME_NAMES = ("time", "t", "time_counter")
Z_ATTRS = {"units": "m", "positive": "up", "long_name": "height", "standard_name": "height", "axis": "Z"}


def _find(ds: xr.Dataset, canonical: str) -> str | None:
    """Name of the file variable holding `canonical` (by name first, then by standard_name)."""
    names, standard_names = VARIABLES[canonical].file_names, VARIABLES[canonical].standard_names
    smallest = 1 if canonical in SERIES else 2  # profiles: skips time-like 't' etc.
    profiles = [name for name in ds.data_vars if ds[name].ndim >= smallest]
    candidates = [name for name in profiles if str(name).lower() in names]
    candidates += [name for name in profiles if ds[name].attrs.get("standard_name") in standard_names]
    return str(candidates[0]) if candidates else None


def _vertical_dim(path: Path, variable: xr.DataArray) -> str:
    """The dimension of `variable` that is its vertical axis."""
    for dim in variable.dims:
        attrs = variable[dim].attrs if dim in variable.coords else {}
        if str(dim).lower() in VERTICAL_NAMES or attrs.get("axis") == "Z" or "positive" in attrs:
            return str(dim)
    raise DataError(
        f"{path}: {variable.name}: no vertical dimension among {variable.dims}; "
        f"name it one of {VERTICAL_NAMES} or give it the attribute axis='Z'"
    )


def _time_dim(path: Path, variable: xr.DataArray) -> str:
    """The dimension of `variable` that is its time axis."""
    for dim in variable.dims:
        if str(dim).lower() in TIME_NAMES or np.issubdtype(variable[dim].dtype, np.datetime64):
            return str(dim)
        if variable[dim].dtype == object or variable[dim].attrs.get("axis") == "T":
            return str(dim)
    raise DataError(f"{path}: {variable.name}: no time dimension among {variable.dims}; name it 'time'")


def _heights(path: Path, axis: xr.DataArray) -> np.ndarray:
    """Heights (m, negative below the surface) from a vertical axis that may be positive down.

    The CF ``positive`` attribute decides; without it, an axis with no negative values is
    taken as depth (positive down) and one with no positive values as height.
    """
    if not np.issubdtype(axis.dtype, np.number):
        raise DataError(f"{path}: {axis.name}: levels of type {axis.dtype}, not numbers; give heights in m")
    values = np.asarray(axis.values, dtype=float)
    if not np.isfinite(values).all():
        raise DataError(f"{path}: {axis.name}: missing (NaN) or infinite levels; remove them")
    positive = str(axis.attrs.get("positive", "")).lower()
    if positive == "down" or (positive != "up" and np.all(values >= 0)):
        values = depth_to_height(values)
    elif positive != "up" and np.any(values > 0):
        raise DataError(
            f"{path}: {axis.name}: values of both signs and no 'positive' attribute; "
            "set positive='up' (heights) or 'down' (depths)"
        )
    if np.any(values > 0):
        raise DataError(f"{path}: {axis.name}: heights above the surface ({values.max()} m); expected z <= 0")
    return values


def _canonical(path: Path, ds: xr.Dataset, canonical: str, name: str) -> xr.DataArray:
    """One variable squeezed to dims (time, z), z as heights sorted bottom-first."""
    variable = ds[name]
    if not np.issubdtype(variable.dtype, np.number):
        raise DataError(
            f"{path}: {name}: values of type {variable.dtype}, not numbers; choose another variable"
        )
    vertical, time = _vertical_dim(path, variable), _time_dim(path, variable)
    extra = [d for d in variable.dims if d not in (vertical, time)]
    if any(variable.sizes[d] > 1 for d in extra):
        raise DataError(f"{path}: {name}: extra dimensions {extra} of size > 1; select one column first")
    variable = variable.isel({d: 0 for d in extra}, drop=True).transpose(time, vertical)
    heights = _heights(path, variable[vertical]) if vertical in variable.indexes else None
    if heights is None:
        raise DataError(f"{path}: {name}: the vertical dimension {vertical!r} has no coordinate values")
    if np.unique(heights).size != heights.size:
        raise DataError(f"{path}: {name}: duplicate levels in {vertical!r}; remove or average them")
    variable = variable.drop_vars(vertical).rename({time: "time", vertical: "z"})
    variable = _decode_time(path, name, variable.assign_coords(z=heights).sortby("z"))
    return variable.astype(float).rename(canonical)


def _canonical_series(path: Path, ds: xr.Dataset, canonical: str, name: str) -> xr.DataArray:
    """A time series (SST) squeezed to dims (time,)."""
    variable = ds[name]
    if not np.issubdtype(variable.dtype, np.number):
        raise DataError(
            f"{path}: {name}: values of type {variable.dtype}, not numbers; choose another variable"
        )
    time = _time_dim(path, variable)
    extra = [d for d in variable.dims if d != time]
    if any(variable.sizes[d] > 1 for d in extra):
        raise DataError(
            f"{path}: {name}: {canonical} must be a time series on (time,) but has dimensions "
            f"{dict(variable.sizes)}; select one point first (e.g. the shallowest level)"
        )
    variable = variable.isel({d: 0 for d in extra}, drop=True).rename({time: "time"})
    variable = variable.drop_vars([c for c in variable.coords if c != "time"])
    return _decode_time(path, name, variable).astype(float).rename(canonical)


def _decode_time(path: Path, name: str, ds: xr.DataArray) -> xr.DataArray:
    """cftime axis -> datetime64 (non-standard calendars mapped onto the standard one); checks order."""
    if "time" not in ds.indexes:
        raise DataError(f"{path}: {name}: its time dimension has no coordinate values; add a CF time axis")
    if isinstance(ds.indexes["time"], xr.CFTimeIndex):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                index = ds.indexes["time"].to_datetimeindex(unsafe=True, time_unit="ns")
            except ValueError as error:
                raise DataError(
                    f"{path}: {name}: cannot map its calendar onto datetime64 ({error})"
                ) from None
        ds = ds.assign_coords(time=index)
    time = ds["time"].values
    if not np.issubdtype(time.dtype, np.datetime64):
        raise DataError(f"{path}: {name}: time is not a decodable CF time; give it units 'seconds since ...'")
    if np.isnat(time).any():
        raise DataError(f"{path}: {name}: missing (NaT) times; drop those records or fix the time axis")
    if time.size > 1 and np.any(np.diff(time) <= np.timedelta64(0, "ns")):
        raise DataError(
            f"{path}: {name}: duplicate or decreasing times; sort the file by time and drop duplicates"
        )
    return ds


def _check(path: Path, name: str, variable: xr.DataArray) -> None:
    """All-NaN fields, temperatures in kelvin and values outside `PLAUSIBLE` are errors."""
    values = variable.values
    if not np.isfinite(values).any():
        raise DataError(f"{path}: {name}: no finite value; check the fill value or choose another variable")
    canonical = str(variable.name)
    if canonical in ("T", "SST") and looks_like_kelvin(values):
        mean = float(np.nanmean(values))
        raise DataError(f"{path}: {name}: mean {mean:.1f} looks like kelvin; convert to degC (T - 273.15)")
    lowest, highest = PLAUSIBLE[canonical]
    finite = values[np.isfinite(values)]
    units = VARIABLES[canonical].display_units
    if canonical == "epsilon" and np.any(finite <= 0.0):
        bad = int(np.sum(finite <= 0.0))
        raise DataError(
            f"{path}: {name}: {bad} value(s) <= 0 (smallest {finite.min():.4g} {units}); the dissipation "
            "rate must be > 0 (it is fitted as log10): mask them (NaN or the variable's _FillValue), or "
            "give 10**value if the file stores log10(epsilon)"
        )
    outside = (finite < lowest) | (finite > highest)
    if outside.any():
        worst = finite[outside][np.argmax(np.abs(finite[outside] - 0.5 * (lowest + highest)))]
        raise DataError(
            f"{path}: {name}: value {worst:.4g} {units} ({int(outside.sum())} value(s) in all) outside "
            f"the plausible range [{lowest:g}, {highest:g}] {units} of {canonical}; {_HINTS[canonical]}"
        )


def load_observations(source: str | Path | xr.Dataset, names: dict[str, str] | None = None) -> xr.Dataset:
    """Read observed T, S, u, v, epsilon profiles and SST series into calib's conventions.

    Args:
        source: a NetCDF file readable by xarray, or an `xr.Dataset` (e.g. what `calib.run`
            returns, or observations read by other means).
        names: optional mapping canonical name ("T", "S", "u", "v", "epsilon", "SST") -> variable in the file;
            it overrides the automatic search by name and CF standard_name.

    Returns:
        Dataset with the variables found among ``T`` (degC), ``S`` (psu), ``u``, ``v``
        (m s-1), ``epsilon`` (m2 s-3), dims (time, z), and ``SST`` (degC), dims (time,); time
        is datetime64, z is height (m, < 0, bottom-first), the union of every variable's
        levels (NaN where a variable has no such level).

    Raises:
        DataError: unreadable file, no recognised variable, unknown name in `names`, no
            vertical or time axis, duplicate or unordered times, an all-NaN variable, a
            temperature in kelvin, or an implausible value (`PLAUSIBLE`).
    """
    if isinstance(source, xr.Dataset):
        path, ds = Path("<observation Dataset>"), source
        found = _select(path, ds, names or {})
        arrays = [_canonical_of(path, ds, key, name).load() for key, name in found.items()]
    else:
        path = Path(source)
        try:
            ds = xr.open_dataset(path)
        except (OSError, ValueError) as error:
            raise DataError(
                f"{path}: cannot open as NetCDF ({one_line(error)}); give a NetCDF observation file"
            ) from None
        with ds:
            found = _select(path, ds, names or {})
            arrays = [_canonical_of(path, ds, key, name).load() for key, name in found.items()]
    for array, name in zip(arrays, found.values(), strict=True):
        _check(path, name, array)  # before the merge, which pads with NaN
    out = xr.merge(arrays, join="outer", compat="no_conflicts")
    for key in found:
        out[key].attrs = VARIABLES[key].attributes()
    if "z" in out.coords:
        out["z"].attrs = dict(Z_ATTRS)
    out.attrs = {"source": str(path)}
    return out


def _canonical_of(path: Path, ds: xr.Dataset, canonical: str, name: str) -> xr.DataArray:
    """`_canonical_series` for SST, `_canonical` for the profile variables."""
    if canonical in SERIES:
        return _canonical_series(path, ds, canonical, name)
    return _canonical(path, ds, canonical, name)


def _select(path: Path, ds: xr.Dataset, names: dict[str, str]) -> dict[str, str]:
    """Canonical name -> file variable for every variable found (`names` overrides the search)."""
    found = {key: _find(ds, key) for key in OBSERVABLE}
    for key, name in names.items():
        if key not in OBSERVABLE or name not in ds.data_vars:
            raise DataError(
                f"{path}: names[{key!r}] = {name!r}: expected a key of {list(OBSERVABLE)} "
                f"and a variable of {list(ds.data_vars)}"
            )
        found[key] = name
    found = {key: name for key, name in found.items() if name is not None}
    if not found:
        raise DataError(
            f"{path}: no temperature, salinity or velocity among {list(ds.data_vars)}, nor a dissipation "
            "rate or sea-surface temperature; "
            "pass names={'T': 'your_variable'} or set a CF standard_name"
        )
    return found


def _nearest_times(observed: np.ndarray, wanted: np.ndarray, tolerance: float) -> np.ndarray:
    """Index of the nearest observed time for each wanted time, -1 when farther than tolerance."""
    if observed.size == 0:
        return np.full(wanted.shape, -1)
    right = np.clip(np.searchsorted(observed, wanted), 0, observed.size - 1)
    left = np.clip(right - 1, 0, observed.size - 1)
    nearest = np.where(np.abs(observed[left] - wanted) <= np.abs(observed[right] - wanted), left, right)
    return np.where(np.abs(observed[nearest] - wanted) <= tolerance, nearest, -1)


def _profile_on(z_centers: np.ndarray, z: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation in z, NaN outside the range of finite observations."""
    seen = np.isfinite(values)
    if not seen.any():
        return np.full(z_centers.shape, np.nan)
    return np.interp(z_centers, z[seen], values[seen], left=np.nan, right=np.nan)


def align(
    observations: xr.Dataset,
    z_centers: np.ndarray,
    times_seconds: np.ndarray,
    start: np.datetime64,
    *,
    tolerance_seconds: float | None = None,
) -> dict[str, np.ndarray]:
    """Observations on the model grid and save times, NaN where nothing was observed.

    In time, each save time takes the **nearest** observed profile within
    `tolerance_seconds` (default half the smallest save interval; exact match when there is
    one save). Nearest rather than linear in time keeps gaps in the record as gaps instead
    of inventing profiles across them, and keeps each target a real observation.
    In z, each profile is interpolated linearly onto `z_centers`, **only within** the range
    of its finite values (no extrapolation above the shallowest or below the deepest one).

    Args:
        observations: output of `load_observations` (dims time, z; z bottom-first).
        z_centers: model cell-centre heights (m, bottom-first).
        times_seconds: model save times (s since `start`), increasing.
        start: the model's time origin.
        tolerance_seconds: largest accepted |observation time - save time| (s).

    Returns:
        {name: array (len(times_seconds), len(z_centers))} for each profile variable of
        `observations`, (len(times_seconds), 1) for each time series (SST).
    """
    z_centers = np.asarray(z_centers, dtype=float)
    times_seconds = np.atleast_1d(np.asarray(times_seconds, dtype=float))
    if tolerance_seconds is None:
        tolerance_seconds = 0.5 * np.diff(times_seconds).min() if times_seconds.size > 1 else 0.0
    offsets = observations["time"].values - np.datetime64(start, "ns")
    observed_seconds = offsets / np.timedelta64(1, "s")
    chosen = _nearest_times(observed_seconds, times_seconds, tolerance_seconds)
    if "z" in observations.dims:
        observations = observations.sortby("z")  # np.interp needs increasing heights
        z = observations["z"].values.astype(float)
    aligned = {}
    for name, variable in observations.data_vars.items():
        if "z" not in variable.dims:  # a time series
            series = variable.values
            aligned[str(name)] = np.where(chosen >= 0, series[np.maximum(chosen, 0)], np.nan)[:, None]
            continue
        values = variable.transpose("time", "z").values
        out = np.full((times_seconds.size, z_centers.size), np.nan)
        for row, index in enumerate(chosen):
            if index >= 0:
                out[row] = _profile_on(z_centers, z, values[index])
        aligned[str(name)] = out
    return aligned


__all__ = ["align", "load_observations"]
