"""What a fit costs and how it compares with ensemble Kalman inversion (EKI), on the LES
strong-wind case (cases/les_strong_wind.yaml against data/les_strong_wind_obs.nc).

    .venv/bin/python benchmarks/fits.py [--parts cli,budget,windows] [--out benchmarks/fits.json]

Parts (each prints JSON rows and writes them to --out; benchmarks/fits.md quotes them):
- ``cli``: `calib fit --case cases/les_strong_wind.yaml --obs data/les_strong_wind_obs.nc` with
  nothing else (the default calibration set of k-epsilon), cold (an empty compilation cache) then
  warm (the same cache, a second identical invocation): whole-process wall time, and the
  compile / iterations / uncertainty / outputs seconds the report gives.
- ``budget``: on the same parameters and loss, the gradient fit (L-BFGS to tolerance) against EKI
  with 30 members x 10 iterations (as ParameterEstimocean uses), with 3 parameters (the default
  set) and with 8. Forward-run equivalents: EKI counts one per member per iteration (plus the
  ensemble mean); a gradient evaluation counts its measured cost over a forward run.
- ``windows``: OWS Papa in 30-day windows (April-July 2012), c_epsilon1 and c_epsilon3_stable:
  the loss at the start and after the fit with the closure spun up for 1 day before each window
  (the default) and cold (k and epsilon at their minima).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "cases" / "les_strong_wind.yaml"
OBS = ROOT / "data" / "les_strong_wind_obs.nc"
EIGHT = ("c_epsilon1", "c_epsilon2", "c_epsilon3_stable", "sigma_k", "galperin_limit", "von_karman",
         "surface_roughness", "background_diffusivity")  # fmt: skip


def cli_runs() -> list[dict]:
    """Part ``cli``: cold and warm whole-process runs of `calib fit --obs ... --case ...`."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        for label in ("cold", "warm"):
            out = Path(folder) / label
            command = [sys.executable, "-m", "calib", "fit", "--case", str(CASE), "--obs", str(OBS),
                       "--out", str(out), "--cache-dir", str(cache)]  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
            wall = time.perf_counter() - started
            stages = dict(re.findall(r"(compile|iterations|uncertainty|outputs) ([\d.]+) s", done.stdout))
            status = next(line for line in done.stdout.splitlines() if line.startswith("stopped"))
            loss = re.search(r"loss: ([\d.e+-]+) -> ([\d.e+-]+)", done.stdout).groups()
            rows.append(dict(part="cli", run=label, wall_s=wall, **{k: float(v) for k, v in stages.items()},
                             status=status, loss_start=float(loss[0]), loss_end=float(loss[1])))  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
    return rows


def _problem(names):
    from calib.api import fitting
    from calib.calibration.problem import build_problem, settings_of

    inputs = fitting.gather_inputs([CASE], [OBS])
    settings = dataclasses.replace(settings_of(inputs[0].case), parameters=tuple(names))
    return build_problem(inputs, settings)[0], settings


def _forward_and_gradient_cost(problem) -> tuple[float, float]:
    """Median seconds of one compiled forward loss and of one compiled value-and-gradient."""
    import equinox as eqx
    import jax
    import numpy as np

    from calib.calibration.loss import loss_and_outputs
    from calib.calibration.optimise import compile_evaluation

    forward = eqx.filter_jit(lambda theta, p: p.loss(theta)).lower(problem.theta_start, problem).compile()
    evaluate, _ = compile_evaluation(loss_and_outputs, problem, problem.theta_start)
    times = {"forward": [], "gradient": []}
    for _ in range(5):
        started = time.perf_counter()
        jax.block_until_ready(forward(problem.theta_start, problem))
        times["forward"].append(time.perf_counter() - started)
        started = time.perf_counter()
        evaluate(np.asarray(problem.theta_start))
        times["gradient"].append(time.perf_counter() - started)
    return float(np.median(times["forward"])), float(np.median(times["gradient"]))


def budget() -> list[dict]:
    """Part ``budget``: gradient fit against EKI 30 x 10, with 3 and with 8 parameters; for the
    gradient fit also the forward-run equivalents it took to first reach EKI's final loss."""
    from calib.calibration.calibrate import calibrate
    from calib.calibration.eki import eki
    from calib.core.closures.k_epsilon import KEpsilon

    rows = []
    for names in (KEpsilon.calibration_set, EIGHT):
        problem, settings = _problem(names)
        started = time.perf_counter()
        ensemble = eki(problem, ensemble_size=30, iterations=10, seed=0)
        wall = time.perf_counter() - started
        runs = ensemble.minimum.history[-1]["evaluations"]
        eki_row = dict(part="budget", parameters=len(names), method="EKI, 30 members x 10 iterations",
                       loss_end=ensemble.loss_end, evaluations=runs, forward_equivalents=runs,
                       iterations=ensemble.minimum.iterations, status=ensemble.minimum.status,
                       compile_s=ensemble.minimum.compile_s, run_s=ensemble.minimum.run_s, wall_s=wall)  # fmt: skip
        forward_s, gradient_s = _forward_and_gradient_cost(problem)
        ratio = gradient_s / forward_s
        started = time.perf_counter()
        result = calibrate(problem, dataclasses.replace(settings, iterations=100))
        wall = time.perf_counter() - started
        history = result.minimum.history
        reached = next((row for row in history if row["loss"] <= ensemble.loss_end), None)
        rows.append(dict(
            part="budget", parameters=len(names), method="L-BFGS (reverse-mode gradients)",
            loss_end=result.loss_end, evaluations=result.minimum.evaluations,
            forward_equivalents=result.minimum.evaluations * ratio, gradient_over_forward=ratio,
            forward_s=forward_s, gradient_s=gradient_s,
            equivalents_to_reach_eki=None if reached is None else reached["evaluations"] * ratio,
            seconds_to_reach_eki=None if reached is None else reached["elapsed_s"],
            iterations=result.minimum.iterations, status=result.minimum.status,
            compile_s=result.minimum.compile_s, run_s=result.minimum.run_s, wall_s=wall,
        ))  # fmt: skip
        rows.append(eki_row)
        for row in rows[-2:]:
            print(json.dumps(row), flush=True)
    return rows


def windows() -> list[dict]:
    """Part ``windows``: OWS Papa, 30-day windows, spun-up against cold closure states."""
    from calib.api import fitting
    from calib.calibration.calibrate import calibrate
    from calib.calibration.problem import build_problem, settings_of
    from calib.config import load_case

    case = load_case(ROOT / "cases" / "ows_papa_2012.yaml")
    rows = []
    for spin_up in (86400.0, 0.0):
        inputs = fitting.gather_inputs([case], [ROOT / "data" / "ows_papa_2012_obs.nc"])
        months = tuple(
            (datetime.datetime(2012, m, 1), datetime.datetime(2012, m + 1, 1)) for m in range(4, 8)
        )
        settings = dataclasses.replace(settings_of(case), parameters=("c_epsilon1", "c_epsilon3_stable"),
                                       iterations=15, windows=months, spin_up=spin_up)  # fmt: skip
        problem, _ = build_problem(inputs, settings)
        result = calibrate(problem, settings)
        rows.append(dict(part="windows", spin_up_s=spin_up, loss_start=result.loss_start,
                         loss_end=result.loss_end, fitted=dict(zip(result.names, result.fitted_values.tolist(),
                                                                   strict=True)),
                         iterations=result.minimum.iterations, evaluations=result.minimum.evaluations,
                         compile_s=result.minimum.compile_s, wall_s=result.wall_s))  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="cli,budget,windows")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "fits.json")
    args = parser.parse_args()
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    rows = []
    for part in args.parts.split(","):
        rows += {"cli": cli_runs, "budget": budget, "windows": windows}[part]()
    machine = dict(cpus=os.cpu_count(), load=os.getloadavg(), python=sys.version.split()[0])
    args.out.write_text(json.dumps(dict(machine=machine, rows=rows), indent=1))


if __name__ == "__main__":
    main()
