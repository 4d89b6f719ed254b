"""The column model: one time step of rotation + closure + implicit vertical diffusion.

Within a step (time t = step * dt, operator splitting):
1. surface fluxes at t from the forcing; N², shear² from the current state (`make_column`);
2. the closure gives viscosity/diffusivity at the faces and advances its own state;
3. Coriolis rotates (u, v) over dt (exactly, or with the energy-conserving Crank–Nicolson rule);
4. u, v, T, S diffuse implicitly (backward Euler) in one batched tridiagonal solve, with the
   surface fluxes, the absorbed shortwave as a heat source and, optionally, quadratic bottom
   drag (linearised about the current bottom speed, applied implicitly); an external pressure
   gradient, when given, is a uniform source of u and v in the same solve;
5. relaxation toward observed T and S profiles, when given: exact exponential decay over dt.
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax.numpy as jnp

from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.eos import AbstractEquationOfState, to_faces_gradient
from calib.core.forcing import Forcing
from calib.core.grid import Grid
from calib.core.numerics import speed
from calib.core.relaxation import PressureGradient, Relaxation
from calib.core.shapes import Centers, Faces, Step
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
        eos: equation of state (`calib.core.eos.AbstractEquationOfState`); its heat capacity
            converts heat fluxes.
        forcing: surface forcing time series and Coriolis parameter.
        closure: turbulence closure (its parameters are the calibratable leaves).
        dt: time step (s), static.
        rotation: Coriolis integrator.
        bottom_drag_coefficient: quadratic drag coefficient C_d (0 = free-slip, no bottom stress).
        solver: tridiagonal solver implementation.
        pressure_gradient: external pressure gradient, or None.
        relaxation: relaxation of T and S toward observed profiles, or None.
    """

    grid: Grid
    eos: AbstractEquationOfState
    forcing: Forcing
    closure: AbstractClosure
    dt: float = eqx.field(static=True)
    rotation: AbstractRotation = ExactRotation()
    bottom_drag_coefficient: float = eqx.field(static=True, default=0.0)
    solver: AbstractTridiagonalSolver = ThomasSolver()
    pressure_gradient: PressureGradient | None = None
    relaxation: Relaxation | None = None


class Carry(eqx.Module):
    """What the time loop carries: the step counter, the state, the closure's own state, the
    diffusivities of the last step (kept for diagnostics) and the shear production of the last
    mean-flow step (`calib.core.state.Column.shear_production`)."""

    step: Step
    state: State
    closure_state: object
    diffusivities: Diffusivities
    shear_production: Faces


def _column(model: ColumnModel, step_index: Step, state: State, shear_production=None, absorbed=None):
    surface = model.forcing.surface_fluxes(step_index, model.dt, state.S[-1], model.eos, state=state)
    if absorbed is None:
        absorbed = model.forcing.heating(step_index, model.dt, model.grid)  # per cell, bottom first
    passing = jnp.concatenate([jnp.zeros_like(absorbed[:1]), jnp.cumsum(absorbed)])  # through each face
    return make_column(
        model.grid, state, surface, model.eos, model.bottom_drag_coefficient,
        coriolis=model.forcing.coriolis, shear_production=shear_production, solver=model.solver,
        shortwave_passing=passing,
    )  # fmt: skip


def initial_carry(model: ColumnModel, state: State) -> Carry:
    """Carry at step 0: the closure state from `init_state` and the diffusivities it implies;
    the shear production nu S² of the initial state."""
    zero = jnp.zeros((), dtype=jnp.int32)
    column = _column(model, zero, state)
    closure_state = model.closure.init_state(column)
    diffusivities, _ = model.closure(column, closure_state, model.dt)
    return Carry(step=zero, state=state, closure_state=closure_state, diffusivities=diffusivities,
                 shear_production=diffusivities.momentum * column.S2)  # fmt: skip


def _nonlocal(diffusivities: Diffusivities, surface):
    """Downward non-local fluxes (u, v, T, S) at the faces, or None for a local closure."""
    gamma = diffusivities.nonlocal_
    if gamma is None:
        return None
    zero = jnp.zeros_like(gamma)
    return jnp.stack([zero, zero, gamma * surface.heat, gamma * surface.salt])


def energy_conserving_shear_production(viscosity: Faces, old: State, new: State, grid: Grid) -> Faces:
    """nu du_new/dz . d(u_new + u_old)/dz / 2 (both components), >= 0: exactly the mean kinetic
    energy that one backward-Euler friction step removes, face by face (Burchard 2002)."""
    product = 0.0
    for before, after in ((old.u, new.u), (old.v, new.v)):
        gradient = to_faces_gradient(after, grid)
        product = product + gradient * 0.5 * (gradient + to_faces_gradient(before, grid))
    return jnp.maximum(viscosity * product, 0.0)


def step(model: ColumnModel, carry: Carry) -> Carry:
    """Advance the carry by one time step (see the module docstring for the splitting)."""
    state = carry.state
    absorbed = model.forcing.heating(carry.step, model.dt, model.grid)
    column = _column(model, carry.step, state, carry.shear_production, absorbed)
    diffusivities, closure_state = model.closure(column, carry.closure_state, model.dt)
    u, v = model.rotation(state.u, state.v, model.forcing.coriolis, model.dt)
    rotated = State(u=u, v=v, T=state.T, S=state.S)
    surface = column.surface

    phi = jnp.stack([u, v, state.T, state.S])
    kappa = jnp.stack(
        [diffusivities.momentum, diffusivities.momentum, diffusivities.tracers, diffusivities.tracers]
    )
    surface_flux = jnp.stack([surface.momentum_x, surface.momentum_y, surface.heat, surface.salt])
    sources = jnp.zeros_like(phi).at[2].set(surface.shortwave * absorbed)
    if model.pressure_gradient is not None:
        accel_x, accel_y = model.pressure_gradient.acceleration(carry.step * model.dt, model.eos.gravity)
        sources = sources.at[0].set(accel_x * model.grid.dz).at[1].set(accel_y * model.grid.dz)
    drag = model.bottom_drag_coefficient * speed(state.u[0], state.v[0])
    bottom_drag = jnp.stack([drag, drag, jnp.zeros_like(drag), jnp.zeros_like(drag)])

    u, v, T, S = implicit_diffusion(
        phi, kappa, surface_flux, model.grid, model.dt,
        sources=sources, bottom_drag=bottom_drag, solver=model.solver,
        nonlocal_flux=_nonlocal(diffusivities, surface),
    )  # fmt: skip
    if model.relaxation is not None:
        T, S = model.relaxation(T, S, (carry.step + 1) * model.dt, model.dt)
    new = State(u=u, v=v, T=T, S=S)
    return Carry(
        step=carry.step + 1,
        state=new,
        closure_state=closure_state,
        diffusivities=diffusivities,
        shear_production=energy_conserving_shear_production(diffusivities.momentum, rotated, new, model.grid),
    )
