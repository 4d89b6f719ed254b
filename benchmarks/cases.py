"""Forward cost of every bundled case: compile time, run time and µs per step at nz = 50 and 200.

    .venv/bin/python benchmarks/cases.py [--steps 2880] [--out benchmarks/cases.md]

Each case is rebuilt on a uniform grid of its own depth with nz = 50 and nz = 200 (its closure,
forcing and dt unchanged) and run for at most --steps steps; run time is the median of three
calls after the compiled call, compile time (lowering + XLA) is reported apart. float64, CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from pathlib import Path

import equinox as eqx
import jax

jax.config.update("jax_enable_x64", True)

from calib.config import GridConfig, load_case  # noqa: E402
from calib.config.build import build  # noqa: E402
from calib.core.integrate import simulate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def measure(case, nz: int, max_steps: int) -> dict:
    case = dataclasses.replace(case, grid=GridConfig(depth=case.grid.depth or 100.0, nz=nz))
    built = build(case)
    steps_per_save = built.steps_per_save
    n_saves = max(1, min(built.n_saves, max_steps // steps_per_save))
    function = eqx.filter_jit(lambda m, s: simulate(m, s, n_saves, steps_per_save, checkpoint="nested"))
    start = time.perf_counter()
    compiled = function.lower(built.model, built.initial).compile()
    compile_s = time.perf_counter() - start
    jax.block_until_ready(compiled(built.model, built.initial))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        jax.block_until_ready(compiled(built.model, built.initial))
        times.append(time.perf_counter() - start)
    steps = n_saves * steps_per_save
    run_s = statistics.median(times)
    return dict(
        case=case.name,
        closure=case.closure.name,
        nz=nz,
        steps=steps,
        compile_s=compile_s,
        run_s=run_s,
        us_per_step=1e6 * run_s / steps,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2880)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "cases.md"))
    args = parser.parse_args()
    rows = []
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        case = load_case(path)
        for nz in (50, 200):
            row = measure(case, nz, args.steps)
            rows.append(row)
            print(row, flush=True)
    lines = [
        f"Forward cost per case (jax {jax.__version__}, float64, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end); `python benchmarks/cases.py --steps {args.steps}`",
        "",
        "| case | closure | nz | steps | compile s | run s | µs/step |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['case']} | {r['closure']} | {r['nz']} | {r['steps']} | {r['compile_s']:.2f} | "
        f"{r['run_s']:.3f} | {r['us_per_step']:.1f} |"
        for r in rows
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
