#!/usr/bin/env python
"""Which tridiagonal solver is fastest, forward and with its derivatives? Writes tridiagonal.md.

Workload: what one k-epsilon step of `calib` solves, inside a `lax.scan` of `--steps` steps:
four (nz)-level systems (u, v, T, S; the diffusivities depend on the state, so derivatives
flow through the matrix) and two (nz + 1)-level systems (k and epsilon at the faces), float64.
Each step is wrapped in `jax.checkpoint` for the derivatives, as in a checkpointed gradient, so
that the figures show the solver's adjoint and not the memory traffic of stacked residuals.

Measured per implementation and nz: microseconds per step of the forward run, of
`value_and_grad` (reverse) and of `jvp` (one tangent, forward mode), medians of `--repeats`
timed calls after a warm-up call, with compile time apart.

    python benchmarks/tridiagonal.py --nz 50 200 --out benchmarks/tridiagonal.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

from calib.core.tridiag import LapackSolver, PlainThomasSolver, ThomasSolver  # noqa: E402

SOLVERS = {
    "Thomas, custom_linear_solve (one-solve adjoint)": ThomasSolver(),
    "Thomas, custom_linear_solve, unroll=4": ThomasSolver(unroll=4),
    "Thomas, scans differentiated by JAX": PlainThomasSolver(),
    "LAPACK gtsv (lax.linalg.tridiagonal_solve, JAX rule)": LapackSolver(),
}
DT = 30.0  # s
DZ = 1.0  # m


def diffusion_bands(kappa):
    """Backward-Euler diffusion bands for face diffusivities kappa (..., n + 1)."""
    r = DT * kappa / DZ**2
    below, above = r[..., :-1], r[..., 1:]
    return -below, 1.0 + below + above, -above


def make_run(solver, nz: int, n_steps: int):
    """params (2,) -> scalar: n_steps checkpointed steps of the solves of one k-epsilon step."""

    def run(params):
        def one_step(carry, _):
            phi, turbulence = carry  # (4, nz), (2, nz + 1)
            kappa = params[0] * (1.0 + jnp.tanh(turbulence[:1]))  # (1, nz + 1): depends on the state
            lower, diag, upper = diffusion_bands(jnp.concatenate([kappa, kappa[:, :1]], axis=-1))
            turbulence = solver(lower, diag, upper, turbulence + 1e-3)
            lower, diag, upper = diffusion_bands(params[1] * (1.0 + jnp.tanh(turbulence[:1])))
            phi = solver(lower, diag, upper, phi + 1e-3)
            return (phi, turbulence), None

        start = (jnp.ones((4, nz)), jnp.zeros((2, nz + 1)))
        (phi, turbulence), _ = lax.scan(jax.checkpoint(one_step), start, None, length=n_steps)
        return jnp.sum(phi**2) + jnp.sum(turbulence**2)

    return run


def time_call(function, argument, repeats: int) -> tuple[float, float]:
    """(compile s, median run s) of jax.jit(function)(argument)."""
    started = time.perf_counter()
    compiled = jax.jit(function).lower(argument).compile()
    compile_s = time.perf_counter() - started
    jax.block_until_ready(compiled(argument))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(compiled(argument))
        times.append(time.perf_counter() - started)
    return compile_s, statistics.median(times)


def measure(solver, nz: int, n_steps: int, repeats: int) -> dict[str, float]:
    """Microseconds per step of forward, reverse and jvp, and the reverse compile time."""
    run = make_run(solver, nz, n_steps)
    params = jnp.array([1e-2, 2e-2])
    modes = {
        "forward": run,
        "reverse": jax.value_and_grad(run),
        "jvp": lambda p: jax.jvp(run, (p,), (jnp.ones_like(p),)),
    }
    row = {}
    for mode, function in modes.items():
        compile_s, run_s = time_call(function, params, repeats)
        row[mode] = 1e6 * run_s / n_steps
        row[f"{mode}_compile"] = compile_s
    return row


def table(results: dict, args) -> str:
    """Markdown table of the measurements and how they were made."""
    lines = [
        "# Tridiagonal solvers (benchmarks/tridiagonal.py)",
        "",
        f"jax {jax.__version__}, Python {platform.python_version()}, {jax.devices()[0]}, float64; "
        f"load average before the run {args.load:.2f}; {args.steps} steps, median of {args.repeats}.",
        "",
        "| solver | nz | forward µs/step | reverse µs/step | jvp µs/step | reverse / forward "
        "| reverse compile s |",
        "|---|---|---|---|---|---|---|",
    ]
    for (name, nz), row in results.items():
        lines.append(
            f"| {name} | {nz} | {row['forward']:.2f} | {row['reverse']:.2f} | {row['jvp']:.2f} | "
            f"{row['reverse'] / row['forward']:.2f} | {row['reverse_compile']:.2f} |"
        )
    lines += ["", f"Command: `python benchmarks/tridiagonal.py --nz {' '.join(map(str, args.nz))} "
              f"--steps {args.steps} --repeats {args.repeats}`", ""]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nz", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=None, help="markdown file to write")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    results = {}
    for nz in args.nz:
        for name, solver in SOLVERS.items():
            results[(name, nz)] = measure(solver, nz, args.steps, args.repeats)
            print(name, nz, {k: round(v, 2) for k, v in results[(name, nz)].items()}, flush=True)
    text = table(results, args)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
