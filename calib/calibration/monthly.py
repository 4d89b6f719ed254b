"""Monthly sea-surface temperature and mixed-layer depth of a fit, before and after, against the
observations (long records such as OWS Papa).

Model and observed profiles go through the definitions of `calib.analysis.diagnostics` (the same
numbers as `calib compare` on the same run): the model at every save of the fit's windows, the
observations where a temperature profile was observed (on the model grid, observed cells only).
A month counts when the windows cover it entirely.
"""

from __future__ import annotations

import numpy as np

from calib.analysis.diagnostics import definitions, mixed_layer_depth, monthly_means, sea_surface_temperature


def _series(experiments, values: list[dict] | None, z: np.ndarray):
    """(times, SST, MLD) over every save of every experiment: of the model values, or (None) of the
    observed temperature."""
    times, profiles = [], []
    for index, experiment in enumerate(experiments):
        times.append(experiment.origin + (experiment.save_times * 1e3).astype("timedelta64[ms]"))
        profiles.append(experiment.targets.T if values is None else values[index]["T"])
    times, profiles = np.concatenate(times), np.concatenate(profiles)
    order = np.argsort(times)
    times, profiles = times[order], profiles[order]
    return times, sea_surface_temperature(profiles, z), mixed_layer_depth(profiles, z)


def monthly_rows(experiments, before: list[dict], after: list[dict], z: np.ndarray) -> dict:
    """month -> {observed_sst, before_sst, after_sst, observed_mld, before_mld, after_mld}."""
    columns = {}
    span = None
    for label, values in (("observed", None), ("before", before), ("after", after)):
        times, sst, mld = _series(experiments, values, z)
        span = span or (times.min() - _interval(experiments), times.max())
        for month, means in monthly_means(times, {"sst": sst, "mld": mld}, *span).items():
            columns.setdefault(month, {}).update({f"{label}_sst": means["sst"], f"{label}_mld": means["mld"]})
    return columns


def _interval(experiments) -> np.timedelta64:
    """One output interval: the saves start one interval after each window's start."""
    times = experiments[0].save_times
    seconds = float(times[1] - times[0]) if times.size > 1 else float(times[0])
    return np.timedelta64(round(seconds * 1e3), "ms")


def monthly_table(experiments, before: list[dict], after: list[dict], z: np.ndarray) -> str:
    """Text table of monthly SST and MLD, observed and model before -> after ('' when the fit
    covers fewer than two whole months or does not fit T)."""
    if "T" not in before[0]:
        return ""
    rows = monthly_rows(experiments, before, after, z)
    if len(rows) < 2:
        return ""
    lines = [
        f"monthly means ({definitions()}): observed, model before -> after",
        f"{'month':<9}{'SST obs':>9}{'SST model °C':>20}{'MLD obs':>9}{'MLD model m':>18}",
    ]
    for month, r in rows.items():
        lines.append(
            f"{np.datetime_as_string(month):<9}{r['observed_sst']:>9.2f}"
            f"{r['before_sst']:>10.2f} -> {r['after_sst']:<6.2f}{r['observed_mld']:>9.0f}"
            f"{r['before_mld']:>8.0f} -> {r['after_mld']:<6.0f}"
        )
    return "\n".join(lines)
