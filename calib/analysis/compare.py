"""Model against observations: monthly SST and mixed-layer depth, RMS temperature error.

Plain NumPy/xarray on saved trajectories (`calib.io.netcdf.read_dataset`) and observations
(`calib.io.observations.load_observations`); nothing here is differentiated. Model and
observations go through the same definitions of SST and MLD (`calib.analysis.diagnostics`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from calib.analysis.diagnostics import monthly_means, surface_series
from calib.common.errors import DataError
from calib.io.observations import align


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


def monthly_comparison(model: xr.Dataset, observations: xr.Dataset) -> list[MonthlyStatistics]:
    """Monthly mean SST and MLD of model and observations over the calendar months the run covers.

    Args:
        model: trajectory Dataset (T on time, z; time datetime64).
        observations: `load_observations` output (T on time, z).

    Returns:
        One entry per calendar month lying entirely within the run and observed, in time order.
    """
    start, end = model["time"].values[0], model["time"].values[-1]
    observed = observations.sel(time=slice(start, end))
    model_series, observed_series = surface_series(model), surface_series(observed)
    model_months = monthly_means(model_series["time"].values, _values(model_series), start, end)
    observed_months = monthly_means(observed_series["time"].values, _values(observed_series), start, end)
    return [
        MonthlyStatistics(
            month=str(month), model_sst=means["sst"], observed_sst=observed_months[month]["sst"],
            model_mld=means["mld"], observed_mld=observed_months[month]["mld"],
        )
        for month, means in model_months.items()
        if month in observed_months
    ]  # fmt: skip


def _values(series: xr.Dataset) -> dict[str, np.ndarray]:
    return {"sst": series["sst"].values, "mld": series["mld"].values}


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


def check_overlap(model: xr.Dataset, observed: xr.Dataset, label) -> None:
    """The observations must share some time with the run (there is nothing to compare otherwise).

    Raises:
        DataError: naming both periods.
    """
    start, end = model["time"].values[0], model["time"].values[-1]
    times = observed["time"].values
    if times.size == 0 or times[-1] < start or times[0] > end:
        raise DataError(
            f"{label}: no time overlap with the run (observations {str(times[0])[:19]} to "
            f"{str(times[-1])[:19]}, run {str(start)[:19]} to {str(end)[:19]}); "
            "give observations of the period the run covers"
        )


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
