"""Model against observations: monthly SST and mixed-layer depth, RMS temperature error.

Plain NumPy/xarray on saved trajectories (`calib.io.netcdf.read_dataset`) and observations
(`calib.io.observations.load_observations`); nothing here is differentiated. Heights z < 0,
bottom first. Model and observations go through the same definitions:

- SST: temperature at `SST_DEPTH` (1 m, the shallowest Papa sensor), linear in depth (the
  shallowest value when no level is that shallow, e.g. the LES's top centre at 2 m);
- MLD: depth where T first drops `MLD_THRESHOLD` (0.2 K) below its value at
  `MLD_REFERENCE_DEPTH` (10 m), linear in depth (de Boyer Montégut et al. 2004), through
  `calib.analysis.diagnostics.mixed_layer_depth`; the deepest level when never met.

Observed profiles with missing levels use only their finite levels; a profile without levels
on both sides of the depth asked for gives NaN.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from calib.analysis.diagnostics import mixed_layer_depth
from calib.common.errors import DataError
from calib.io.observations import align

SST_DEPTH = 1.0  # m
MLD_REFERENCE_DEPTH = 10.0  # m
MLD_THRESHOLD = 0.2  # K


def _at_height(T: np.ndarray, z: np.ndarray, height: float, *, above: bool = False) -> np.ndarray:
    """T (n, nz) linearly interpolated at one height (z increasing); NaN below z[0] and above
    z[-1], or there the top value when `above`."""
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


def _mld_below_reference(T: np.ndarray, z: np.ndarray, reference: float, threshold: float) -> np.ndarray:
    """MLD (m) of profiles T (n, nz) on one set of levels, referenced to T at height `reference`."""
    below = z < reference
    reference_T = _at_height(T, z, reference)
    if below.sum() < 1 or not np.isfinite(reference_T).any():
        return np.full(T.shape[0], np.nan)
    heights = np.concatenate([z[below], [reference]])
    profiles = np.concatenate([T[:, below], reference_T[:, None]], axis=1)
    return mixed_layer_depth(profiles, heights, threshold)


def _by_level_pattern(T: np.ndarray, z: np.ndarray, function) -> np.ndarray:
    """Apply function(T_group, z_group) -> (n_group,) to groups of profiles sharing finite levels."""
    T = np.atleast_2d(np.asarray(T, dtype=float))
    z = np.asarray(z, dtype=float)
    order = np.argsort(z)
    T, z = T[:, order], z[order]
    seen = np.isfinite(T)
    patterns, inverse = np.unique(seen, axis=0, return_inverse=True)
    out = np.full(T.shape[0], np.nan)
    for index, pattern in enumerate(patterns):
        rows = np.flatnonzero(inverse.ravel() == index)
        out[rows] = function(T[np.ix_(rows, pattern)], z[pattern])
    return out


def surface_temperature(T: np.ndarray, z: np.ndarray, depth: float = SST_DEPTH) -> np.ndarray:
    """Temperature (degC) at `depth` (m, positive) of profiles T (nt, nz) on heights z (nz,);
    the shallowest value when no level is that shallow (a grid or sensor deeper than `depth`)."""
    return _by_level_pattern(T, z, lambda values, heights: _at_height(values, heights, -depth, above=True))


def mixed_layer_depth_10m(
    T: np.ndarray,
    z: np.ndarray,
    reference_depth: float = MLD_REFERENCE_DEPTH,
    threshold: float = MLD_THRESHOLD,
) -> np.ndarray:
    """MLD (m, positive) of profiles T (nt, nz): T first `threshold` K below T(reference_depth)."""
    return _by_level_pattern(
        T, z, lambda values, heights: _mld_below_reference(values, heights, -reference_depth, threshold)
    )


def surface_series(dataset: xr.Dataset) -> xr.Dataset:
    """Time series ``sst`` (degC) and ``mld`` (m) of a Dataset with T on (time, z)."""
    T = dataset["T"].transpose("time", "z")
    z = dataset["z"].values
    return xr.Dataset(
        {
            "sst": (
                "time",
                surface_temperature(T.values, z),
                {"units": "degC", "long_name": f"T at {SST_DEPTH:g} m"},
            ),
            "mld": (
                "time",
                mixed_layer_depth_10m(T.values, z),
                {"units": "m", "long_name": "mixed-layer depth"},
            ),
        },
        coords={"time": dataset["time"].values},
    )


@dataclasses.dataclass(frozen=True)
class MonthlyStatistics:
    """Monthly means of one calendar month (degC and m) and the model errors (model - obs)."""

    month: str
    model_sst: float
    observed_sst: float
    model_mld: float
    observed_mld: float

    @property
    def sst_error(self) -> float:
        """Model minus observed monthly mean SST (K)."""
        return self.model_sst - self.observed_sst

    @property
    def mld_error(self) -> float:
        """Model minus observed monthly mean MLD (m)."""
        return self.model_mld - self.observed_mld


def _monthly_means(series: xr.Dataset) -> xr.Dataset:
    return series.resample(time="MS").mean()


def monthly_comparison(model: xr.Dataset, observations: xr.Dataset) -> list[MonthlyStatistics]:
    """Monthly mean SST and MLD of model and observations over the calendar months the run covers.

    Args:
        model: trajectory Dataset (T on time, z; time datetime64).
        observations: `load_observations` output (T on time, z).

    Returns:
        One entry per calendar month lying entirely within the run, in time order.
    """
    start, end = model["time"].values[0], model["time"].values[-1]
    observed = observations.sel(time=slice(start, end))
    model_months = _monthly_means(surface_series(model))
    observed_months = _monthly_means(surface_series(observed))
    rows = []
    for month in model_months["time"].values:
        following = (month.astype("datetime64[M]") + np.timedelta64(1, "M")).astype(model["time"].dtype)
        if month < start or following > end or month not in observed_months["time"].values:
            continue
        m, o = model_months.sel(time=month), observed_months.sel(time=month)
        rows.append(
            MonthlyStatistics(
                month=str(month.astype("datetime64[M]")),
                model_sst=float(m.sst),
                observed_sst=float(o.sst),
                model_mld=float(m.mld),
                observed_mld=float(o.mld),
            )
        )
    return rows


def monthly_table(rows: list[MonthlyStatistics]) -> str:
    """Markdown table of `monthly_comparison`, with the RMS and mean error over the months."""
    lines = [
        "| month | SST model °C | SST obs °C | SST error K | MLD model m | MLD obs m | MLD error m |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.month} | {r.model_sst:.2f} | {r.observed_sst:.2f} | {r.sst_error:+.2f} | "
            f"{r.model_mld:.0f} | {r.observed_mld:.0f} | {r.mld_error:+.0f} |"
        )
    if rows:
        sst = np.array([r.sst_error for r in rows])
        mld = np.array([r.mld_error for r in rows])
        lines.append(
            f"| mean error | | | {np.nanmean(sst):+.2f} | | | {np.nanmean(mld):+.0f} |\n"
            f"| RMS error | | | {np.sqrt(np.nanmean(sst**2)):.2f} | | | {np.sqrt(np.nanmean(mld**2)):.0f} |"
        )
    return "\n".join(lines)


def seconds_since_start(dataset: xr.Dataset) -> np.ndarray:
    """Times of a Dataset in seconds since its first time."""
    time = dataset["time"].values
    return (time - time[0]) / np.timedelta64(1, "s")


def rms_temperature_error(
    model: xr.Dataset, observations: xr.Dataset, times_seconds=None, *, tolerance_seconds: float | None = None
) -> np.ndarray:
    """RMS of model - observed T (K) over the model levels, at given times of the run.

    Observations are put on the model grid with `calib.io.observations.align` (nearest
    observed time within the tolerance; linear in depth within the observed range only).

    Args:
        model: trajectory Dataset (T on time, z).
        observations: `load_observations` output.
        times_seconds: seconds since the model's first time; default: the last saved time.
        tolerance_seconds: largest accepted distance to an observed or saved time (s);
            default half the model's save interval.

    Returns:
        One RMS error per time; NaN where no level was observed.
    """
    seconds = seconds_since_start(model)
    wanted = np.atleast_1d(np.asarray(seconds[-1] if times_seconds is None else times_seconds, dtype=float))
    if tolerance_seconds is None:
        tolerance_seconds = 0.5 * float(np.min(np.diff(seconds))) if seconds.size > 1 else 0.0
    z = model["z"].values
    observed = align(
        observations[["T"]], z, wanted, model["time"].values[0], tolerance_seconds=tolerance_seconds
    )["T"]
    index = np.abs(seconds[None, :] - wanted[:, None]).argmin(axis=1)
    if np.any(np.abs(seconds[index] - wanted) > tolerance_seconds):
        raise DataError(
            f"times {wanted.tolist()} s: not all are saved times of the run (0 to {seconds[-1]:g} s); "
            "ask for times at which the run saved its state"
        )
    error = model["T"].transpose("time", "z").values[index] - observed
    seen = np.isfinite(error)
    squares = np.where(seen, error, 0.0) ** 2
    return np.where(seen.any(axis=1), np.sqrt(squares.sum(axis=1) / np.maximum(seen.sum(axis=1), 1)), np.nan)
