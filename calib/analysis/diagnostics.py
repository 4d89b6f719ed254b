"""Sea-surface temperature and mixed-layer depth: the one definition of each that every calib
output uses (run summary, `calib plot`, `calib compare`, the fit report).

- **SST**: temperature at `SST_DEPTH` = 1 m below the surface, linear in depth; the shallowest
  value where no level is that shallow (a grid or sensor deeper than 1 m, e.g. the LES's top
  centre at 2 m). 1 m is the shallowest OWS Papa sensor; on a grid of 0.5 m cells it is within
  a few hundredths of a degree of the top cell, which is what GOTM users quote as model SST.
- **MLD**: the depth where T first falls `MLD_THRESHOLD` = 0.2 K below its value at
  `MLD_REFERENCE_DEPTH` = 10 m (de Boyer Montégut et al. 2004), linear in depth between
  levels; the deepest level when the criterion is never met. This is the definition of the
  monthly tables of the GOTM reference runs (`shared/reference/gotm/README.md`), so calib's
  numbers compare with GOTM output processed the same way. GOTM's own `mld_surf` is a TKE
  threshold and is not comparable with observations.

Both take the threshold and reference depths as arguments, work on profiles T (..., nz) on
heights z (nz,) (negative below the surface, any order) and use only the finite levels of each
profile (observed profiles with gaps); a profile without a level on each side of the depth asked
for gives NaN. Plain NumPy on saved trajectories: nothing here is differentiated.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

SST_DEPTH = 1.0  # m
MLD_THRESHOLD = 0.2  # K
MLD_REFERENCE_DEPTH = 10.0  # m


def definitions(
    sst_depth: float = SST_DEPTH,
    threshold: float = MLD_THRESHOLD,
    reference_depth: float = MLD_REFERENCE_DEPTH,
) -> str:
    """The two definitions in words, as every report prints them."""
    return (
        f"SST = T at {sst_depth:g} m; MLD = depth where T is {threshold:g} °C below T({reference_depth:g} m)"
    )


def _at_height(T: np.ndarray, z: np.ndarray, height: float, *, above: bool = False) -> np.ndarray:
    """T (n, nz) linearly interpolated at one height (z increasing); NaN outside the levels, or
    there the top value when `above` and the height is above the top level."""
    if above and z.size and height > z[-1]:
        return T[:, -1]
    if z.size == 0 or not z[0] <= height <= z[-1]:
        return np.full(T.shape[0], np.nan)
    if z.size == 1:
        return T[:, 0]
    upper = int(np.clip(np.searchsorted(z, height), 1, z.size - 1))
    lower = upper - 1
    weight = (height - z[lower]) / (z[upper] - z[lower])
    return (1.0 - weight) * T[:, lower] + weight * T[:, upper]


def _threshold_depth(T: np.ndarray, z: np.ndarray, threshold: float) -> np.ndarray:
    """Depth (m, positive) where T (n, k) first drops `threshold` below its first (top) value;
    z (k,) decreasing from the top; the deepest level when never met."""
    difference = T[:, :1] - T  # >= threshold below the mixed layer
    crossed = difference >= threshold
    index = np.argmax(crossed, axis=-1)
    found = crossed.any(axis=-1)
    lower = np.clip(index, 1, z.size - 1)
    d1 = np.take_along_axis(difference, lower[:, None], -1)[:, 0]
    d0 = np.take_along_axis(difference, (lower - 1)[:, None], -1)[:, 0]
    weight = np.clip((threshold - d0) / np.where(d1 > d0, d1 - d0, 1.0), 0.0, 1.0)
    depth = -(z[lower - 1] + weight * (z[lower] - z[lower - 1]))
    return np.where(found, depth, -z[-1])


def _mld(T: np.ndarray, z: np.ndarray, threshold: float, reference_depth: float) -> np.ndarray:
    """MLD of profiles T (n, nz) that share their levels z (increasing)."""
    reference = -reference_depth
    reference_T = _at_height(T, z, reference, above=True)
    below = z < reference
    if not below.any() or not np.isfinite(reference_T).any():
        return np.full(T.shape[0], np.nan)
    heights = np.concatenate([[min(reference, z[-1])], z[below][::-1]])  # top down
    profiles = np.concatenate([reference_T[:, None], T[:, below][:, ::-1]], axis=1)
    if heights.size < 2:
        return np.full(T.shape[0], np.nan)
    return _threshold_depth(profiles, heights, threshold)


def _by_level_pattern(T, z, function) -> np.ndarray:
    """function(T_group, z_group) -> (n_group,) applied to the profiles sharing finite levels."""
    T = np.asarray(T, dtype=float)
    scalar = T.ndim == 1
    T = np.atleast_2d(T)
    shape = T.shape[:-1]
    T = T.reshape(-1, T.shape[-1])
    z = np.asarray(z, dtype=float)
    order = np.argsort(z)
    T, z = T[:, order], z[order]
    seen = np.isfinite(T)
    patterns, inverse = np.unique(seen, axis=0, return_inverse=True)
    out = np.full(T.shape[0], np.nan)
    for index, pattern in enumerate(patterns):
        rows = np.flatnonzero(inverse.ravel() == index)
        if pattern.any():
            out[rows] = function(T[np.ix_(rows, pattern)], z[pattern])
    out = out.reshape(shape)
    return out[0] if scalar else out


def sea_surface_temperature(T, z, depth: float = SST_DEPTH) -> np.ndarray:
    """SST (°C) of profiles T (..., nz) on heights z (nz,): T at `depth` (m, positive), linear in
    depth; the shallowest finite value when no level is that shallow (module docstring)."""
    return _by_level_pattern(T, z, lambda values, heights: _at_height(values, heights, -depth, above=True))


def mixed_layer_depth(
    T, z, threshold: float = MLD_THRESHOLD, reference_depth: float = MLD_REFERENCE_DEPTH
) -> np.ndarray:
    """MLD (m, positive) of profiles T (..., nz) on heights z (nz,): where T first drops
    `threshold` (K) below T at `reference_depth` (m; 0 = the shallowest level); see the module
    docstring. NaN when no level lies below the reference depth."""
    return _by_level_pattern(T, z, lambda values, heights: _mld(values, heights, threshold, reference_depth))


def surface_series(
    dataset: xr.Dataset,
    *,
    sst_depth: float = SST_DEPTH,
    threshold: float = MLD_THRESHOLD,
    reference_depth: float = MLD_REFERENCE_DEPTH,
) -> xr.Dataset:
    """Time series ``sst`` (°C) and ``mld`` (m) of a Dataset with T on (time, z)."""
    T = dataset["T"].transpose("time", "z").values
    z = dataset["z"].values
    return xr.Dataset(
        {
            "sst": ("time", sea_surface_temperature(T, z, sst_depth),
                    {"units": "degree_Celsius", "long_name": f"temperature at {sst_depth:g} m"}),
            "mld": ("time", mixed_layer_depth(T, z, threshold, reference_depth),
                    {"units": "m", "long_name": f"mixed-layer depth ({threshold:g} K below T at "
                                                f"{reference_depth:g} m)"}),
        },
        coords={"time": dataset["time"].values},
    )  # fmt: skip


def monthly_means(times, series: dict[str, np.ndarray], start=None, end=None) -> dict:
    """Calendar-month means of time series over the months lying entirely within [start, end].

    Args:
        times: datetime64 times of the series (n,).
        series: name -> values (n,); NaNs are skipped.
        start, end: the period covered (default: the first and last time); a month counts when
            start <= its first day and the first day of the next month <= end.

    Returns:
        {month (datetime64[M]): {name: mean}} in time order, only months with at least one time.
    """
    times = np.asarray(times).astype("datetime64[ns]")
    start = times.min() if start is None else np.datetime64(start, "ns")
    end = times.max() if end is None else np.datetime64(end, "ns")
    months = times.astype("datetime64[M]")
    result = {}
    for month in np.unique(months):
        first = month.astype("datetime64[ns]")
        following = (month + np.timedelta64(1, "M")).astype("datetime64[ns]")
        if first < start or following > end:
            continue
        chosen = months == month
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice": no data that month
            result[month] = {name: float(np.nanmean(values[chosen])) for name, values in series.items()}
    return result


def depth_of_maximum_stratification(N2_faces: np.ndarray, z_faces: np.ndarray) -> np.ndarray:
    """Depth (m, positive) of the interior face with the largest N² (the entrainment-layer proxy
    of the Kato–Phillips experiment, e.g. Umlauf & Burchard 2005). Works on (..., nface)."""
    inner = np.asarray(N2_faces)[..., 1:-1]
    return -np.asarray(z_faces)[1:-1][np.argmax(inner, axis=-1)]


__all__ = [
    "MLD_REFERENCE_DEPTH",
    "MLD_THRESHOLD",
    "SST_DEPTH",
    "definitions",
    "depth_of_maximum_stratification",
    "mixed_layer_depth",
    "monthly_means",
    "sea_surface_temperature",
    "surface_series",
]
