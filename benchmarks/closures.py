#!/usr/bin/env python
"""Speed of the turbulence closures on the Kato–Phillips case, forward and reverse mode.

The case is the one of benchmarks/README.md (and /work/shared/benchmarks/tunax_reference.py):
a 50 m column, u* = 0.01 m/s, N² = 1e-4 s-2 (16 °C at the surface, alpha = 2e-4), no heat
flux, no rotation, dt = 30 s, a save every 10 steps, float64. Per closure and nz it reports:

  * compile_fwd_s, compile_grad_s: jit lowering + XLA compilation of the forward run and of
    value_and_grad (wall time, first call);
  * fwd_us_step, grad_us_step: the fastest of `--repeats` runs of the compiled call divided by
    the number of steps (the best estimate on a shared machine); *_median_us the median;
  * depth_m: mixed-layer depth after the run (depth of the largest N²) and Price (1979)'s
    1.05 u* t^(1/2) N^(-1/2) (30.9 m after 24 h).

The gradient is that of the MSE of u, v, T against a reference run with default parameters,
evaluated at perturbed parameters (two coefficients changed by +10 % and -5 %), with respect to
every calibratable leaf of the closure, with `checkpoint="nested"` (one carry per save).

    python benchmarks/closures.py                        # k_epsilon, tke, constant; nz 50, 200
    python benchmarks/closures.py --nz 50 --steps 2880 --out benchmarks/closures.md
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from calib.core.closures import CLOSURES  # noqa: E402
from calib.core.eos import LinearEquationOfState  # noqa: E402
from calib.core.forcing import Forcing  # noqa: E402
from calib.core.grid import Grid  # noqa: E402
from calib.core.integrate import simulate  # noqa: E402
from calib.core.model import ColumnModel  # noqa: E402
from calib.core.state import State  # noqa: E402

DEPTH, U_STAR, N2, DT, SAVE_EVERY = 50.0, 0.01, 1e-4, 30.0, 10
EOS = LinearEquationOfState(rho0=1027.0, alpha=2e-4, beta=0.0, T0=16.0, S0=35.0)
PERTURBATIONS = {  # where the gradient is evaluated: (parameter, factor)
    "k_epsilon": (("c_epsilon1", 1.10), ("c_epsilon2", 0.95)),
    "tke": (("c_k", 1.10), ("c_epsilon", 0.95)),
    "pacanowski_philander": (("nu0", 1.10), ("alpha", 0.95)),
    "constant": (("viscosity", 1.10), ("diffusivity", 0.95)),
}


def perturbations(name: str) -> tuple[tuple[str, float], ...]:
    """The two perturbed coefficients: the table above, else the first two of the closure's
    default calibration set (top-level names only)."""
    if name in PERTURBATIONS:
        return PERTURBATIONS[name]
    names = [n for n in CLOSURES[name].calibration_set if "." not in n][:2]
    return tuple(zip(names, (1.10, 0.95), strict=False))


def kato_phillips(closure, nz: int) -> tuple[ColumnModel, State]:
    grid = Grid.uniform(DEPTH, nz)
    forcing = Forcing.constant(wind_stress_x=EOS.rho0 * U_STAR**2)
    state = State(
        u=jnp.zeros(nz),
        v=jnp.zeros(nz),
        T=16.0 + N2 / (EOS.gravity * EOS.alpha) * grid.z_centers,
        S=jnp.full(nz, 35.0),
    )
    return ColumnModel(grid=grid, eos=EOS, forcing=forcing, closure=closure, dt=DT), state


def mixed_layer_depth(T, grid: Grid) -> float:
    buoyancy = EOS.gravity * EOS.alpha * np.asarray(T)
    gradient = np.diff(buoyancy) / np.asarray(grid.dz_faces[1:-1])
    return float(-np.asarray(grid.z_faces[1:-1])[np.argmax(gradient)])


def timed(function, *args, repeats: int) -> tuple[float, list[float], object]:
    """(compile s, run times s, output) of eqx.filter_jit(function)(*args)."""
    compiled_function = eqx.filter_jit(function)
    start = time.perf_counter()
    compiled = compiled_function.lower(*args).compile()
    compile_seconds = time.perf_counter() - start
    output = jax.block_until_ready(compiled(*args))
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        runs.append(time.perf_counter() - start)
    return compile_seconds, runs, output


def measure(name: str, nz: int, steps: int, repeats: int) -> dict:
    n_saves = steps // SAVE_EVERY
    model, state0 = kato_phillips(CLOSURES[name](), nz)

    def forward(model):
        return simulate(model, state0, n_saves, SAVE_EVERY, checkpoint="nested")

    compile_forward, run_forward, reference = timed(forward, model, repeats=repeats)
    depth = mixed_layer_depth(reference.state.T[-1], model.grid)

    def loss(closure):
        saved = simulate(eqx.tree_at(lambda m: m.closure, model, closure), state0, n_saves, SAVE_EVERY).state
        return sum(jnp.mean((getattr(saved, v) - getattr(reference.state, v)) ** 2) for v in ("u", "v", "T"))

    closure = model.closure
    for parameter, factor in perturbations(name):
        closure = eqx.tree_at(
            lambda c, p=parameter: getattr(c, p), closure, getattr(closure, parameter) * factor
        )
    compile_gradient, run_gradient, (value, gradient) = timed(
        eqx.filter_value_and_grad(loss), closure, repeats=repeats
    )
    leaves = jax.tree.leaves(eqx.filter(gradient, eqx.is_inexact_array))
    return dict(
        closure=name,
        nz=nz,
        steps=steps,
        compile_fwd_s=compile_forward,
        fwd_us_step=1e6 * min(run_forward) / steps,
        fwd_median_us=1e6 * statistics.median(run_forward) / steps,
        compile_grad_s=compile_gradient,
        grad_us_step=1e6 * min(run_gradient) / steps,
        grad_median_us=1e6 * statistics.median(run_gradient) / steps,
        grad_over_fwd=min(run_gradient) / min(run_forward),
        n_grad_leaves=len(leaves),
        grad_finite=all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves),
        depth_m=depth,
        price_m=1.05 * U_STAR * (steps * DT) ** 0.5 * N2**-0.25,
    )


COLUMNS = (
    ("closure", "{}"),
    ("nz", "{}"),
    ("steps", "{}"),
    ("fwd_us_step", "{:.1f}"),
    ("fwd_median_us", "{:.1f}"),
    ("grad_us_step", "{:.1f}"),
    ("grad_median_us", "{:.1f}"),
    ("grad_over_fwd", "{:.1f}"),
    ("compile_fwd_s", "{:.1f}"),
    ("compile_grad_s", "{:.1f}"),
    ("n_grad_leaves", "{}"),
    ("grad_finite", "{}"),
    ("depth_m", "{:.1f}"),
    ("price_m", "{:.1f}"),
)


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(c for c, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(f.format(row[c]) for c, f in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closures", nargs="+", default=["k_epsilon", "tke", "constant"])
    parser.add_argument("--nz", nargs="+", type=int, default=[50, 200])
    parser.add_argument("--steps", type=int, default=2880, help="multiple of 10 (24 h at dt = 30 s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args()
    rows = []
    for name in args.closures:
        for nz in args.nz:
            rows.append(measure(name, nz, args.steps, args.repeats))
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    table = markdown(rows)
    print(f"\njax {jax.__version__}, backend {jax.default_backend()}, float64\n\n{table}")
    if args.out:
        with open(args.out, "w") as file:
            file.write(table + "\n")


if __name__ == "__main__":
    main()
