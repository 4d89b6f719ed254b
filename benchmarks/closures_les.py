#!/usr/bin/env python
"""Every closure against the LES: error with its default parameters and after fitting its
default calibration set.

For each closure and each LESbrary case (`cases/les_strong_wind.yaml`: 1.027 Pa of wind into a
three-layer stratification, f = 1e-4 s-1; `cases/les_free_convection.yaml`: surface cooling, no
wind), both two days on the LES's 64 x 4 m grid, dt 60 s:

  * rms_default_K: RMS of model - LES temperature over every saved time (10 min) and level, with
    the closure's published defaults (`calib.run(case, closure=NAME)`), and the RMS of the
    velocity vector;
  * the same after `calib.fit` of the closure's default calibration set (`calibration_set`,
    what `calib fit --obs` fits when no parameter is named; members with no effect in a case,
    such as a wind coefficient without wind, are dropped and named) on that case's LES T, u, v
    (strong wind) or T (free convection: its u, v are noise), L-BFGS, at most `--iterations`
    iterations;
  * the fitted values, the fit's wall time and its number of model evaluations.

The error of the whole record (not only the last profile) is what a fit minimises, so the
"fitted" column is an in-sample figure; the fit of one case evaluated on the other is the
out-of-sample check (`--cross`).

    python benchmarks/closures_les.py                           # every closure in CLOSURES
    python benchmarks/closures_les.py --closures kpp catke --iterations 20
    python benchmarks/closures_les.py --out benchmarks/closures_les.md
"""

from __future__ import annotations

import argparse
import json
import re
import time
import warnings
from pathlib import Path

import numpy as np

import calib
from calib.analysis.compare import rms_temperature_error, seconds_since_start
from calib.config import with_closure
from calib.core.closures import CLOSURES

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "strong_wind": (ROOT / "cases/les_strong_wind.yaml", ROOT / "data/les_strong_wind_obs.nc"),
    "free_convection": (ROOT / "cases/les_free_convection.yaml", ROOT / "data/les_free_convection_obs.nc"),
}
# what each fit is weighted on: the windless LES's u and v are noise of 0.04 cm/s that no
# closure can (or should) reproduce, so the free-convection fits see T alone
WEIGHTS = {"strong_wind": {"T": 1.0, "u": 1.0, "v": 1.0}, "free_convection": {"T": 1.0}}
INERT = re.compile(r"^(.+?): no effect in this case")
SKIP = {"constant"}  # no turbulence closure: nothing to compare


def record_rms(model, observations) -> float:
    """RMS (K) of model - LES T over every saved time after the start and every observed level."""
    seconds = seconds_since_start(model)[1:]
    per_time = rms_temperature_error(model, observations, seconds)
    return float(np.sqrt(np.nanmean(per_time**2)))


def velocity_rms(model, observations) -> float:
    """RMS (m s-1) of the model - LES horizontal velocity vector over the record (the LES saves
    on the model's times and levels: same 10 min record, same 4 m centres)."""
    error = 0.0
    for name in ("u", "v"):
        observed = observations[name].interp(z=model["z"], time=model["time"]).transpose("time", "z").values
        error = error + (model[name].transpose("time", "z").values - observed) ** 2
    return float(np.sqrt(np.nanmean(error[1:])))


def measure(name: str, label: str, iterations: int) -> dict:
    case_path, obs_path = CASES[label]
    case = with_closure(calib.load_case(case_path), name)
    observations = calib.load_observations(obs_path)
    start = time.perf_counter()
    default = calib.run(case)
    run_s = time.perf_counter() - start
    row = dict(closure=name, case=label, rms_default_K=record_rms(default, observations), run_s=run_s,
               rms_velocity_default=velocity_rms(default, observations))
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as notes:  # members of the set with no effect here
            warnings.simplefilter("always")
            result = calib.fit(case, obs_path, parameters=None, iterations=iterations, weights=WEIGHTS[label],
                               uncertainty=False)  # fmt: skip
    except Exception as error:  # a failed fit is a row of the table, not the end of the sitting
        row.update(rms_fitted_K=float("nan"), fit_s=time.perf_counter() - start, fitted={}, error=str(error))
        return row
    inert = [INERT.search(str(note.message)) for note in notes]
    row["inert"] = [name for match in inert if match for name in match.group(1).split(", ")]
    fit_s = time.perf_counter() - start
    fitted = calib.run(result.fitted_case)
    row.update(
        rms_fitted_K=record_rms(fitted, observations),
        rms_velocity_fitted=velocity_rms(fitted, observations),
        loss_start=float(result.result.loss_start),
        loss_end=float(result.result.loss_end),
        fit_s=fit_s,
        evaluations=len(result.result.minimum.history),
        start={k: float(v) for k, v in result.start.items()},
        fitted={k: float(v) for k, v in result.parameters.items()},
        status=str(getattr(result.result.minimum, "status", "")),
    )
    return row


def markdown(rows: list[dict]) -> str:
    lines = [
        "| closure | case | RMS T default → fitted (K) | RMS velocity default → fitted (cm/s) | loss start → end "
        "| calibration set: start → fitted | fit s | evaluations |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        fitted = ", ".join(f"{k} {row['start'][k]:.4g}→{v:.4g}" for k, v in row.get("fitted", {}).items())
        if row.get("inert"):
            fitted += f" ({', '.join(row['inert'])}: no effect here, not fitted)"
        if row.get("error"):
            fitted = f"fit failed: {row['error'][:80]}"
        lines.append(
            f"| {row['closure']} | {row['case']} | {row['rms_default_K']:.4f} → {row['rms_fitted_K']:.4f} | "
            f"{100 * row['rms_velocity_default']:.2f} → {100 * row.get('rms_velocity_fitted', np.nan):.2f} | "
            f"{row.get('loss_start', np.nan):.3g} → {row.get('loss_end', np.nan):.3g} | "
            f"{fitted} | {row['fit_s']:.0f} | {row.get('evaluations', '')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closures", nargs="+", default=sorted(set(CLOSURES) - SKIP))
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--out", help="also write the markdown table to this file")
    parser.add_argument("--json", help="append the rows as JSON lines to this file")
    args = parser.parse_args()
    rows = []
    for name in args.closures:
        for label in args.cases:
            rows.append(measure(name, label, args.iterations))
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
            if args.json:
                with open(args.json, "a") as file:
                    file.write(json.dumps(rows[-1]) + "\n")
    table = markdown(rows)
    print("\n" + table)
    if args.out:
        Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
