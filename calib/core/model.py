"""The column model: one time step of rotation + closure + implicit vertical diffusion.

Within a step (time t = step * dt, operator splitting):
1. surface fluxes at t from the forcing; N², shear² from the current state (`make_column`);
2. the closure gives viscosity/diffusivity at the faces and advances its own state;
3. Coriolis rotates (u, v) over dt (exactly, or with the energy-conserving Crank–Nicolson rule);
4. u, v, T, S diffuse implicitly (backward Euler) in one batched tridiagonal solve, with the
   surface fluxes, the absorbed shortwave as a heat source and, optionally, quadratic bottom
   drag (linearised about the current bottom speed, applied implicitly).
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax.numpy as jnp

from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import Forcing
from calib.core.grid import Grid
from calib.core.numerics import speed
from calib.core.shapes import Centers, Step
from calib.core.state import State, make_column
from calib.core.tridiag import AbstractTridiagonalSolver, ThomasSolver, default_solver, implicit_diffusion

__all__ = [
    "AbstractRotation",
    "Carry",
    "ColumnModel",
    "ExactRotation",
    "SemiImplicitRotation",
    "default_solver",
    "initial_carry",
    "step",
]


class AbstractRotation(eqx.Module):
    """Integrates du/dt = f v, dv/dt = -f u over one step."""

    @abc.abstractmethod
    def __call__(self, u: Centers, v: Centers, coriolis: float, dt: float) -> tuple[Centers, Centers]:
        """(u, v) after dt of pure inertial rotation."""


class ExactRotation(AbstractRotation):
    """Exact rotation of the velocity vector by -f dt; conserves u² + v² to round-off."""

    def __call__(self, u, v, coriolis, dt):
        angle = coriolis * dt
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        return u * cos + v * sin, v * cos - u * sin


class SemiImplicitRotation(AbstractRotation):
    """Crank–Nicolson rotation; also conserves u² + v² exactly, with a phase error O((f dt)³)."""

    def __call__(self, u, v, coriolis, dt):
        a = 0.5 * coriolis * dt
        scale = 1.0 / (1.0 + a * a)
        return ((1 - a * a) * u + 2 * a * v) * scale, ((1 - a * a) * v - 2 * a * u) * scale


class ColumnModel(eqx.Module):
    """Physics of one water column. The run plan (number of steps, saves, checkpointing) is
    not part of it: see `calib.core.integrate.simulate`.

    Attributes:
        grid: vertical grid.
        eos: equation of state.
        forcing: surface forcing time series and Coriolis parameter.
        closure: turbulence closure (its parameters are the calibratable leaves).
        dt: time step (s), static.
        rotation: Coriolis integrator.
        bottom_drag_coefficient: quadratic drag coefficient C_d (0 = free-slip, no bottom stress).
        solver: tridiagonal solver implementation.
    """

    grid: Grid
    eos: LinearEquationOfState
    forcing: Forcing
    closure: AbstractClosure
    dt: float = eqx.field(static=True)
    rotation: AbstractRotation = ExactRotation()
    bottom_drag_coefficient: float = eqx.field(static=True, default=0.0)
    solver: AbstractTridiagonalSolver = ThomasSolver()


class Carry(eqx.Module):
    """What the time loop carries: the step counter, the state, the closure's own state and the
    diffusivities of the last step (kept for diagnostics)."""

    step: Step
    state: State
    closure_state: object
    diffusivities: Diffusivities


def _column(model: ColumnModel, step_index: Step, state: State):
    surface = model.forcing.surface_fluxes(step_index, model.dt, state.S[-1], model.eos)
    return make_column(model.grid, state, surface, model.eos, model.bottom_drag_coefficient)


def initial_carry(model: ColumnModel, state: State) -> Carry:
    """Carry at step 0: the closure state from `init_state` and the diffusivities it implies."""
    zero = jnp.zeros((), dtype=jnp.int32)
    column = _column(model, zero, state)
    closure_state = model.closure.init_state(column)
    diffusivities, _ = model.closure(column, closure_state, model.dt)
    return Carry(step=zero, state=state, closure_state=closure_state, diffusivities=diffusivities)


def step(model: ColumnModel, carry: Carry) -> Carry:
    """Advance the carry by one time step (see the module docstring for the splitting)."""
    state = carry.state
    column = _column(model, carry.step, state)
    diffusivities, closure_state = model.closure(column, carry.closure_state, model.dt)
    u, v = model.rotation(state.u, state.v, model.forcing.coriolis, model.dt)
    surface = column.surface

    phi = jnp.stack([u, v, state.T, state.S])
    kappa = jnp.stack(
        [diffusivities.momentum, diffusivities.momentum, diffusivities.tracers, diffusivities.tracers]
    )
    surface_flux = jnp.stack([surface.momentum_x, surface.momentum_y, surface.heat, surface.salt])
    heating = surface.shortwave * model.forcing.shortwave_absorption.heating(model.grid)
    sources = jnp.zeros_like(phi).at[2].set(heating)
    drag = model.bottom_drag_coefficient * speed(state.u[0], state.v[0])
    bottom_drag = jnp.stack([drag, drag, jnp.zeros_like(drag), jnp.zeros_like(drag)])

    u, v, T, S = implicit_diffusion(
        phi, kappa, surface_flux, model.grid, model.dt,
        sources=sources, bottom_drag=bottom_drag, solver=model.solver,
    )  # fmt: skip
    return Carry(
        step=carry.step + 1,
        state=State(u=u, v=v, T=T, S=S),
        closure_state=closure_state,
        diffusivities=diffusivities,
    )
