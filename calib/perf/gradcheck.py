"""Gradients of a calibration loss computed three ways, and their comparison (`calib check-grad`).

The problem is a twin experiment, as in the Tunax benchmark: targets are u, v and T saved by a
run at the closure's own parameters; the loss is the mean squared misfit of u, v and T (summed
over the three variables, averaged over saves and levels) of a run at a point off those
parameters (the first two selected parameters scaled by `OFFSET`). The misfit is accumulated
save by save inside the time loop (`calib.core.integrate.scan_saves`), so no trajectory is kept in
memory: what a gradient costs is the model's, not the output's.

Gradient modes (all return (loss, gradient over the selected parameters)):
- `reverse`: `jax.value_and_grad` through the checkpointed scans (cost independent of the
  number of parameters P);
- `jacfwd`: forward mode, P tangents carried along one run (cheaper when P is small);
- `fd`: central differences, 2P + 1 runs batched with `vmap`, relative step `FD_STEP`;
- `forward`: the loss alone (the reference cost for the ratios).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from calib import config
from calib.common.errors import ConfigError
from calib.config import build
from calib.core.closures import CLOSURES
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import Forcing
from calib.core.grid import Grid
from calib.core.integrate import scan_saves
from calib.core.model import ColumnModel, initial_carry
from calib.core.params import get_parameter, parameter_info
from calib.core.state import State
from calib.core.tridiag import default_solver

GRADIENT_MODES = ("forward", "reverse", "jacfwd", "fd")
OFFSET = (1.10, 0.95)  # evaluation point: first two parameters times these factors
FD_STEP = 1e-5  # relative step of central differences
FITTED = ("u", "v", "T")


@dataclasses.dataclass(frozen=True)
class GradientProblem:
    """A model, a run plan and the closure parameters to differentiate.

    Attributes:
        model: the column; its closure holds the parameters of the reference run.
        initial: state at t = 0.
        n_saves, steps_per_save: run plan (targets at each save).
        names: closure parameters differentiated, in this order.
        label: short description for tables.
    """

    model: ColumnModel
    initial: State
    n_saves: int
    steps_per_save: int
    names: tuple[str, ...]
    label: str

    @property
    def reference(self) -> np.ndarray:
        """Parameter values of the reference (target) run."""
        return np.array([float(get_parameter(self.model.closure, name)) for name in self.names])

    @property
    def point(self) -> np.ndarray:
        """Where gradients are evaluated: the reference with the first two values scaled by
        `OFFSET` (kept inside their bounds)."""
        values = self.reference.copy()
        info = parameter_info(self.model.closure)
        for index, factor in enumerate(OFFSET[: len(values)]):
            bounds = info[self.names[index]]
            values[index] = np.clip(values[index] * factor, bounds.lower, bounds.upper)
        return values


def kato_phillips(
    nz: int = 50,
    n_steps: int = 4000,
    *,
    closure: str = "k_epsilon",
    dt: float = 30.0,
    steps_per_save: int = 10,
    names: tuple[str, ...] | None = None,
) -> GradientProblem:
    """The Tunax benchmark column: 50 m, u* = 0.01 m s-1, N² = 1e-4 s-2, no heat flux or rotation.

    Args:
        nz: levels; n_steps: time steps (a multiple of steps_per_save); dt: step (s).
        closure: a name in `calib.core.closures.CLOSURES` (default parameters).
        names: parameters to differentiate (default: all of the closure's).
    """
    eos = LinearEquationOfState(rho0=1027.0, alpha=2e-4, beta=0.0, T0=16.0, S0=35.0, gravity=9.81)
    grid = Grid.uniform(50.0, nz)
    forcing = Forcing.constant(wind_stress_x=eos.rho0 * 0.01**2)
    closure_model = CLOSURES[closure]()
    model = ColumnModel(
        grid=grid, eos=eos, forcing=forcing, closure=closure_model, dt=dt, solver=default_solver()
    )
    initial = State(u=jnp.zeros(nz), v=jnp.zeros(nz), T=16.0 + 0.051 * grid.z_centers, S=jnp.full(nz, 35.0))
    label = f"Kato-Phillips {closure}, nz={nz}, dt={dt:g} s"
    return _problem(model, initial, n_steps, steps_per_save, names, label, "--steps")


def from_case(
    path: Path, n_steps: int | None = None, names: tuple[str, ...] | None = None
) -> GradientProblem:
    """The problem of a case file: its model and plan, `n_steps` overriding the duration."""
    built = build.build(config.load_case(path))
    n_steps = n_steps or built.n_saves * built.steps_per_save
    label = (
        f"{built.case.name} ({built.model.closure.name}, nz={built.model.grid.nz}, dt={built.model.dt:g} s)"
    )
    return _problem(
        built.model, built.initial, n_steps, built.steps_per_save, names, label, f"{path}: --steps"
    )


def _problem(model, initial, n_steps, steps_per_save, names, label, where) -> GradientProblem:
    if n_steps < steps_per_save or n_steps % steps_per_save:
        raise ConfigError(
            f"{where} {n_steps}: not a positive multiple of the output interval "
            f"({steps_per_save} steps); choose a multiple of {steps_per_save}"
        )
    known = tuple(parameter_info(model.closure))
    names = tuple(names) if names else known
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(
            f"--params: {model.closure.name} has no parameter {unknown[0]!r}; use some of {', '.join(known)}"
        )
    return GradientProblem(model, initial, n_steps // steps_per_save, steps_per_save, names, label)


def with_values(problem: GradientProblem, values) -> ColumnModel:
    """The model with the selected closure parameters set to `values` (P,)."""
    return eqx.tree_at(
        lambda m: [get_parameter(m.closure, name) for name in problem.names],
        problem.model,
        [values[i] for i in range(len(problem.names))],
    )


def targets(problem: GradientProblem) -> tuple:
    """(u, v, T) saved by the reference run, each (n_saves, nz)."""

    def run(model):
        carry = initial_carry(model, problem.initial)
        record = lambda c, _: tuple(getattr(c.state, name) for name in FITTED)  # noqa: E731
        return scan_saves(model, carry, problem.n_saves, problem.steps_per_save, record, checkpoint="none")[1]

    return eqx.filter_jit(run)(problem.model)


def loss(problem: GradientProblem, values, observed: tuple, *, checkpoint: str = "recursive"):
    """Mean squared misfit of u, v, T over the saves, accumulated inside the time loop."""
    model = with_values(problem, values)

    def record(carry, target):
        return sum(
            jnp.sum((getattr(carry.state, name) - x) ** 2) for name, x in zip(FITTED, target, strict=True)
        )

    carry = initial_carry(model, problem.initial)
    _, misfit = scan_saves(
        model, carry, problem.n_saves, problem.steps_per_save, record, observed,
        checkpoint=checkpoint, accumulate=True,
    )  # fmt: skip
    return misfit / (problem.n_saves * problem.model.grid.nz)


def gradient_function(problem: GradientProblem, mode: str, checkpoint: str = "recursive"):
    """(values, observed) -> (loss, gradient (P,)); for `forward`, (loss, None). Not jitted."""
    objective = lambda values, observed: loss(problem, values, observed, checkpoint=checkpoint)  # noqa: E731
    if mode == "forward":
        return lambda values, observed: (objective(values, observed), None)
    if mode == "reverse":
        return jax.value_and_grad(objective)
    if mode == "jacfwd":

        def forward_mode(values, observed):
            both = lambda v: (objective(v, observed),) * 2  # noqa: E731
            gradient, value = jax.jacfwd(both, has_aux=True)(values)
            return value, gradient

        return forward_mode
    if mode == "fd":
        return lambda values, observed: _central_differences(objective, values, observed)
    raise ValueError(f"unknown gradient mode {mode!r}; choose one of {GRADIENT_MODES}")


def _central_differences(objective, values, observed):
    step = FD_STEP * jnp.where(values != 0, jnp.abs(values), 1.0)
    shifts = jnp.diag(step)
    points = jnp.concatenate([values[None] + shifts, values[None] - shifts, values[None]])
    losses = jax.vmap(lambda v: objective(v, observed))(points)
    size = values.shape[0]
    return losses[-1], (losses[:size] - losses[size : 2 * size]) / (2 * step)


def compare(
    problem: GradientProblem, modes=("reverse", "jacfwd", "fd"), checkpoint: str = "recursive"
) -> dict:
    """Loss and gradient of each mode at `problem.point`: {mode: (loss, gradient (P,))}."""
    observed = targets(problem)
    point = jnp.asarray(problem.point)
    results = {}
    for mode in modes:
        value, gradient = jax.jit(gradient_function(problem, mode, checkpoint))(point, observed)
        results[mode] = (float(value), np.asarray(gradient))
    return results


def relative_differences(
    gradients: dict[str, np.ndarray], reference: str = "reverse"
) -> dict[str, np.ndarray]:
    """|g - g_ref| / max(|g|, |g_ref|, 1e-12 max|g_ref|) per parameter, for every other mode."""
    base = gradients[reference]
    floor = 1e-12 * max(float(np.max(np.abs(base))), np.finfo(float).tiny)
    return {
        mode: np.abs(g - base) / np.maximum(np.maximum(np.abs(g), np.abs(base)), floor)
        for mode, g in gradients.items()
        if mode != reference
    }
