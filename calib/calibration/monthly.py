"""Monthly sea-surface temperature and mixed-layer depth errors of a fit, before and after.

For long records (OWS Papa): per calendar month, the bias and RMS of
- SST: the model minus the observation at the uppermost model cell that has an observed
  temperature (observations are never extrapolated, so this is the shallowest sensor's cell);
- MLD: `calib.analysis.diagnostics.mixed_layer_depth` (0.2 °C below the uppermost value) of the model
  profile minus that of the observed profile (observed cells only, so both use the same top).
"""

from __future__ import annotations

import numpy as np

from calib.analysis.diagnostics import mixed_layer_depth


def _pairs(experiments, values: list[dict], z: np.ndarray):
    """(month, SST error, MLD error) for every save with an observed temperature profile."""
    for experiment, model in zip(experiments, values, strict=True):
        observed = experiment.targets.T
        times = experiment.origin + (experiment.save_times * 1e3).astype("timedelta64[ms]")
        months = times.astype("datetime64[M]")
        for row in range(observed.shape[0]):
            seen = np.isfinite(observed[row])
            if seen.sum() < 3:
                continue
            top = np.flatnonzero(seen)[-1]
            sst_error = model["T"][row, top] - observed[row, top]
            model_mld = mixed_layer_depth(model["T"][row, : top + 1], z[: top + 1])
            observed_mld = mixed_layer_depth(observed[row, seen], z[seen])
            yield months[row], sst_error, float(model_mld - observed_mld)


def monthly_errors(experiments, values: list[dict], z: np.ndarray) -> dict:
    """month (numpy datetime64[M]) -> (SST bias, SST RMS, MLD bias, MLD RMS)."""
    table: dict = {}
    for month, sst, mld in _pairs(experiments, values, z):
        table.setdefault(month, []).append((sst, mld))
    result = {}
    for month, errors in sorted(table.items()):
        sst, mld = np.array(errors).T
        result[month] = (sst.mean(), np.sqrt((sst**2).mean()), mld.mean(), np.sqrt((mld**2).mean()))
    return result


def monthly_table(experiments, before: list[dict], after: list[dict], z: np.ndarray) -> str:
    """Text table of monthly SST and MLD errors before -> after ('' when under two months or no T)."""
    if "T" not in before[0]:
        return ""
    first, second = monthly_errors(experiments, before, z), monthly_errors(experiments, after, z)
    if len(first) < 2:
        return ""
    lines = [
        "monthly errors, model - observed, before -> after (SST °C at the shallowest observed cell; "
        "MLD m, 0.2 °C criterion)",
        f"{'month':<9}{'SST bias':>18}{'SST RMS':>18}{'MLD bias':>18}{'MLD RMS':>18}",
    ]
    for month, old in first.items():
        new = second[month]
        cells = "".join(f"{a:>8.2f} -> {b:<6.2f}" for a, b in zip(old, new, strict=True))
        lines.append(f"{np.datetime_as_string(month):<9}{cells}")
    return "\n".join(lines)
