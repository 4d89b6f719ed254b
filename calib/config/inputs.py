"""Numbers from a case: initial profiles at the cell centres and forcing series on seconds.

NumPy and xarray only (no JAX); used by `calib.config.build`. Errors are one-line `ConfigError`s
naming the case file and key, or `DataError`s for files that cannot be read at all.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import ConfigError, DataError, one_line, suggest
from calib.config.schema import Case, ProfileConfig, SeriesConfig


def _fail(case: Case, key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{case.source}: {key}: {problem}; {fix}")


def profile_values(case: Case, key: str, profile: ProfileConfig, z: np.ndarray, depth: float) -> np.ndarray:
    """Values of one initial profile at heights z (m, < 0), see `calib.config.schema.ProfileConfig`."""
    z = np.asarray(z, dtype=float)
    if profile.type == "constant":
        return np.full_like(z, profile.value)
    if profile.type == "linear":
        return profile.surface + profile.gradient * z
    if profile.type == "mixed_layer":
        below = profile.surface + profile.gradient * (z + profile.depth)
        return np.where(z >= -profile.depth, profile.surface, below)
    if profile.type == "cosine":
        length = profile.depth or depth
        return profile.mean + profile.amplitude * np.cos(profile.mode * np.pi * z / length)
    if profile.type == "observations":
        return _profile_from_observations(case, key, profile, z)
    return _profile_from_file(case, key, profile, z)


def _open(case: Case, key: str, path: Path) -> xr.Dataset:
    try:
        return xr.open_dataset(path)
    except Exception as error:  # netCDF4/xarray raise many kinds
        raise DataError(
            f"{case.source}: {key}: cannot read {path} as NetCDF ({one_line(error)}); check the file"
        ) from None


def _variable(case: Case, key: str, dataset: xr.Dataset, name: str, path: Path) -> xr.DataArray:
    if name not in dataset.variables:
        names = list(dataset.variables)
        raise _fail(
            case,
            key,
            f"no variable {name!r} in {path.name}{suggest(name, names)}",
            f"use one of {', '.join(names)}",
        )
    return dataset[name]


def _one_dimensional(case: Case, key: str, array: xr.DataArray, path: Path) -> xr.DataArray:
    """Drop length-1 dimensions; exactly one must remain."""
    array = array.isel({dim: 0 for dim in array.dims if array.sizes[dim] == 1})
    if not np.issubdtype(array.dtype, np.number):
        raise _fail(
            case,
            key,
            f"{array.name!r} in {path.name} holds {array.dtype} values, not numbers",
            "check the file",
        )
    if array.ndim != 1:
        raise _fail(
            case,
            key,
            f"{array.name!r} in {path.name} has dimensions {array.dims}, expected one",
            "give a variable with a single dimension",
        )
    return array


def _heights(case: Case, key: str, coordinate: xr.DataArray) -> np.ndarray:
    """Heights (m, < 0 below the surface) from a depth or height coordinate."""
    if not np.issubdtype(coordinate.dtype, np.number):
        raise _fail(
            case, key, f"coordinate {coordinate.name!r} holds {coordinate.dtype} values", "give depths in m"
        )
    values = np.asarray(coordinate.values, dtype=float)
    positive = str(coordinate.attrs.get("positive", "")).lower()
    if positive == "down" or (positive != "up" and np.all(values[np.isfinite(values)] >= 0)):
        return -values
    if positive == "up" or np.all(values[np.isfinite(values)] <= 0):
        return values
    raise _fail(
        case,
        key,
        f"coordinate {coordinate.name!r} mixes positive and negative values",
        "give depths (>= 0) or heights (<= 0), or set its 'positive' attribute",
    )


def _profile_from_file(case: Case, key: str, profile: ProfileConfig, z: np.ndarray) -> np.ndarray:
    """Linear interpolation in depth of a NetCDF profile, constant beyond its ends."""
    with _open(case, f"{key}.file", profile.file) as dataset:
        array = _variable(case, f"{key}.variable", dataset, profile.variable, profile.file)
        array = _one_dimensional(case, f"{key}.variable", array, profile.file)
        if profile.depth_variable is not None:
            coordinate = _variable(
                case, f"{key}.depth_variable", dataset, profile.depth_variable, profile.file
            )
        elif array.dims[0] in dataset.variables:
            coordinate = dataset[array.dims[0]]
        else:
            raise _fail(case, key, f"{profile.variable!r} has no depth coordinate", "set depth_variable")
        heights = _heights(case, f"{key}.depth_variable", coordinate)
        values = np.asarray(array.values, dtype=float)
    if heights.shape != values.shape:
        raise _fail(
            case,
            f"{key}.depth_variable",
            f"has {heights.size} values for {values.size} data",
            "use the profile's own depth",
        )
    seen = np.isfinite(heights) & np.isfinite(values)
    if not np.any(seen):
        raise _fail(case, f"{key}.variable", f"{profile.variable!r} has no finite values", "check the file")
    if np.unique(heights[seen]).size != np.count_nonzero(seen):
        raise _fail(case, f"{key}.depth_variable", "contains the same depth twice", "remove or average them")
    order = np.argsort(heights[seen])
    return np.interp(z, heights[seen][order], values[seen][order])


def _profile_from_observations(case: Case, key: str, profile: ProfileConfig, z: np.ndarray) -> np.ndarray:
    """The observed profile nearest in time to the start, linear in depth, constant beyond it.

    `key` is ``initial.<name>``; <name> (T, S, u or v) is the canonical variable looked up.
    """
    from calib.io.observations import load_observations

    name = key.rpartition(".")[2]
    names = {name: profile.variable} if profile.variable is not None else None
    observations = load_observations(profile.file, names)
    if name not in observations:
        if profile.value is not None:
            return np.full_like(z, profile.value)
        raise _fail(
            case, key, f"no variable for {name!r} found in {profile.file.name}", "set 'variable:' to its name"
        )
    array = observations[name]
    times = array["time"].values[np.isfinite(array.values).any(axis=1)]
    when = profile.time or case.time.start
    when = times[0] if when is None else np.datetime64(when, "ns")
    if not times[0] <= when <= times[-1]:
        raise _fail(
            case,
            key,
            f"{when} is outside the observations of {name!r} in {profile.file.name} "
            f"({times[0]} to {times[-1]})",
            "set time.start (or the profile's 'time:') within them",
        )
    nearest = times[np.argmin(np.abs(times - when))]
    values = array.sel(time=nearest).values
    heights = array["z"].values
    seen = np.isfinite(values)
    return np.interp(z, heights[seen], values[seen])  # z is bottom-first, increasing


def series_values(
    case: Case, name: str, spec: SeriesConfig, key: str | None = None, quantity: str | None = None
) -> tuple[np.ndarray | None, np.ndarray | float]:
    """(times in s since the start, values) of one forcing variable; times is None for a constant.

    `key` is its dotted key (default ``forcing.<name>``); `quantity` names its plausible range in
    `PLAUSIBLE` (default `name`; none: not checked)."""
    key = key or f"forcing.{name}"
    if spec.kind == "constant":
        time, values = None, spec.value
    else:
        if spec.kind == "inline":
            time, values = np.asarray(spec.time, dtype=float), np.asarray(spec.values, dtype=float)
        else:
            time, values = _series_from_file(case, key, spec)
        _check_coverage(case, key, time, case.time.duration)
    check_plausible(case, key, quantity or name, values, spec)
    return time, values


def _kelvin_hint(values: np.ndarray) -> str | None:
    return "it looks like kelvin: give degC (subtract 273.15)" if np.nanmin(values) > 150.0 else None


def _pressure_hint(values: np.ndarray) -> str | None:
    if np.nanmin(values) >= 850.0 and np.nanmax(values) <= 1100.0:
        return "it looks like hPa: give Pa (multiply by 100)"
    return None


def _humidity_hint(values: np.ndarray) -> str | None:
    if 1.0 < np.nanmax(values) <= 50.0:
        return "it looks like g/kg: give kg/kg (divide by 1000)"
    return None


def _freshwater_hint(values: np.ndarray) -> str | None:
    return "give m s-1 (mm/day: divide by 8.64e7; mm/h: by 3.6e6)"


_PERCENT = "it looks like a fraction: give relative humidity in % (multiply by 100)"
PLAUSIBLE: dict[str, tuple[float, float, str, object]] = {
    # quantity: (lower, upper, units, hint(values) -> str | None)
    "wind_stress_x": (-10.0, 10.0, "Pa", lambda v: "give the wind stress in Pa (N m-2)"),
    "wind_stress_y": (-10.0, 10.0, "Pa", lambda v: "give the wind stress in Pa (N m-2)"),
    "heat_flux": (-3000.0, 3000.0, "W m-2", lambda v: "give the non-solar heat flux in W m-2"),
    "shortwave": (0.0, 1500.0, "W m-2", lambda v: "give the downward shortwave in W m-2"),
    "freshwater_flux": (-1e-3, 1e-3, "m s-1", _freshwater_hint),
    "precipitation": (0.0, 1e-3, "m s-1", _freshwater_hint),
    "wind_x": (-75.0, 75.0, "m s-1", lambda v: "give the wind in m s-1"),
    "wind_y": (-75.0, 75.0, "m s-1", lambda v: "give the wind in m s-1"),
    "air_temperature": (-60.0, 60.0, "degC", _kelvin_hint),
    "humidity:dew_point": (-80.0, 60.0, "degC", _kelvin_hint),
    "air_pressure": (85000.0, 110000.0, "Pa", _pressure_hint),
    "humidity:relative": (0.0, 100.0, "%", lambda v: None),
    "humidity:specific": (0.0, 0.05, "kg kg-1", _humidity_hint),
    "cloud_cover": (0.0, 1.0, "1", lambda v: "give the cloud cover as a fraction 0-1 (oktas: divide by 8)"),
    "longwave": (-1000.0, 1000.0, "W m-2", lambda v: "give the longwave radiation in W m-2"),
}
"""Physical ranges of forcing quantities: a value outside is a one-line ConfigError."""


def check_plausible(case: Case, key: str, quantity: str, values, spec: SeriesConfig | None = None) -> None:
    """A one-line ConfigError naming the key (and the file and variable) when a value of a forcing
    series is outside its physical range (`PLAUSIBLE`), with a hint at the likely unit error."""
    if quantity not in PLAUSIBLE:
        return
    lower, upper, units, hint = PLAUSIBLE[quantity]
    values = np.atleast_1d(np.asarray(values, dtype=float))
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    where = (
        f" (variable {spec.variable!r} of {spec.file})" if spec is not None and spec.kind == "file" else ""
    )
    if quantity == "humidity:relative" and np.nanmax(values) <= 1.0 and np.nanmax(values) > 0.0:
        raise _fail(case, key, f"relative humidity at most {np.nanmax(values):g} %{where}", _PERCENT)
    outside = values[(values < lower) | (values > upper)]
    if outside.size:
        worst = outside[np.argmax(np.abs(outside - np.clip(outside, lower, upper)))]
        fix = hint(values) or "check the units and the file"
        problem = f"{worst:g} {units} is outside the plausible range [{lower:g}, {upper:g}] {units}{where}"
        raise _fail(case, key, problem, fix)


INITIAL_RANGES = {"T": (-3.0, 40.0, "degC"), "S": (0.0, 50.0, "psu")}


def check_initial(case: Case, name: str, values: np.ndarray) -> None:
    """Initial T within [-3, 40] degC and S within [0, 50]: else a one-line ConfigError."""
    if name not in INITIAL_RANGES:
        return
    lower, upper, units = INITIAL_RANGES[name]
    values = np.asarray(values, dtype=float)
    outside = values[~((values >= lower) & (values <= upper))]
    if outside.size:
        profile = getattr(case.initial, name)
        where = f" (from {profile.file})" if profile.file is not None else ""
        fix = ("give salinity in psu or g/kg" if name == "S"
               else "give temperature in degC")  # fmt: skip
        raise _fail(case, f"initial.{name}", f"{outside[0]:g} {units} is outside the plausible range "
                    f"[{lower:g}, {upper:g}] {units}{where}", fix)  # fmt: skip


def relaxation_profiles(case: Case, key: str, config, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(seconds since the start (nt,), profiles at heights z (nt, nz)) of the observations of one
    relaxed variable (`key` = ``relaxation.<T|S>``): linear in depth and constant beyond the
    observed levels; times with no finite value are dropped."""
    from calib.io.observations import load_observations

    name = key.rpartition(".")[2]
    names = {name: config.variable} if config.variable is not None else None
    observations = load_observations(config.observations, names)
    if name not in observations:
        raise _fail(case, key, f"no variable for {name!r} found in {config.observations.name}",
                    "set 'variable:' to its name")  # fmt: skip
    array = observations[name].transpose("time", "z")
    values = np.asarray(array.values, dtype=float)
    heights = np.asarray(array["z"].values, dtype=float)
    seconds = _seconds_since_start(
        case, f"{key}.observations", np.asarray(array["time"].values), case.time.start
    )
    keep = np.isfinite(values).any(axis=1) & np.isfinite(seconds)
    if not np.any(keep):
        raise _fail(
            case, key, f"{name!r} in {config.observations.name} has no finite value", "check the file"
        )
    profiles = []
    for row in values[keep]:
        seen = np.isfinite(row)
        order = np.argsort(heights[seen])
        profiles.append(np.interp(np.asarray(z, dtype=float), heights[seen][order], row[seen][order]))
    seconds = seconds[keep]
    order = np.argsort(seconds)
    return seconds[order], np.asarray(profiles)[order]


def _series_from_file(case: Case, key: str, spec: SeriesConfig) -> tuple[np.ndarray, np.ndarray]:
    with _open(case, f"{key}.file", spec.file) as dataset:
        array = _one_dimensional(
            case,
            f"{key}.variable",
            _variable(case, f"{key}.variable", dataset, spec.variable, spec.file),
            spec.file,
        )
        time = _variable(case, f"{key}.time_variable", dataset, spec.time_variable, spec.file)
        seconds = _seconds_since_start(case, f"{key}.time_variable", np.asarray(time.values), case.time.start)
        values = np.asarray(array.values, dtype=float)
    if seconds.shape != values.shape:
        raise _fail(
            case,
            f"{key}.time_variable",
            f"has {seconds.size} times for {values.size} values",
            "use the variable's own time",
        )
    seen = np.isfinite(values) & np.isfinite(seconds)  # NaN values and missing (NaT) times
    seconds, values = seconds[seen], values[seen]
    order = np.argsort(seconds)
    seconds, values = seconds[order], values[order]
    if seconds.size == 0 or np.any(np.diff(seconds) <= 0):
        raise _fail(
            case,
            f"{key}.time_variable",
            "times must be distinct with at least one finite value",
            "check the file",
        )
    return seconds, values


def _seconds_since_start(
    case: Case, key: str, time: np.ndarray, start: datetime.datetime | None
) -> np.ndarray:
    """Seconds since the case start (or the first time in the file) from dates, durations or numbers."""
    if time.size == 0:
        raise _fail(case, key, "holds no time", "give a series with at least one record")
    if np.issubdtype(time.dtype, np.datetime64):
        origin = np.datetime64(start, "ns") if start is not None else time.min()
        return (time - origin) / np.timedelta64(1, "s")
    if np.issubdtype(time.dtype, np.timedelta64):
        return time / np.timedelta64(1, "s")
    if np.issubdtype(time.dtype, np.number):
        return time.astype(float)  # plain numbers: seconds since the start of the run
    raise _fail(case, key, f"cannot read times of type {time.dtype}", "use CF times on a standard calendar")


def _check_coverage(case: Case, key: str, time: np.ndarray, duration: float) -> None:
    tolerance = 1e-9 * max(duration, 1.0)
    if time[0] > tolerance or time[-1] < duration - tolerance:
        raise _fail(
            case,
            key,
            f"covers {time[0]:g} s to {time[-1]:g} s of the run, which lasts 0 s to {duration:g} s",
            "extend the series, shorten time.duration or set time.start",
        )


def on_times(times, time: np.ndarray | None, values) -> np.ndarray:
    """A series (or a constant when `time` is None) linearly interpolated onto `times`."""
    times = np.asarray(times, dtype=float)
    if time is None:
        return np.full_like(times, values)
    return np.interp(times, time, values)
