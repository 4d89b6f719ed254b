"""Prognostic state, surface fluxes and the `Column` a closure reads.

Conventions (see also `calib.core.grid`): all prognostic variables sit at cell centres, index 0 at
the bottom. A **surface flux is positive into the ocean**: a positive heat flux warms the
column, a positive momentum flux (wind stress / rho0) accelerates the current along the stress,
a positive salt flux makes the column saltier. Fluxes here are kinematic (already divided by
rho0, or rho0 cp); the conversions from W m-2 and Pa live in `calib.core.forcing`.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp

from calib.common.vocabulary import VARIABLES
from calib.core.eos import AbstractEquationOfState, to_faces_gradient
from calib.core.grid import Grid
from calib.core.numerics import safe_sqrt, speed
from calib.core.shapes import Centers, Faces, Scalar
from calib.core.tridiag import AbstractTridiagonalSolver, ThomasSolver


def _meta(name: str) -> dict:
    """Field metadata (units, long_name, standard_name) from `calib.common.vocabulary`."""
    variable = VARIABLES[name]
    return dict(units=variable.units, long_name=variable.long_name, standard_name=variable.standard_name)


class State(eqx.Module):
    """Prognostic variables at cell centres, bottom first."""

    u: Centers = eqx.field(metadata=_meta("u"))
    v: Centers = eqx.field(metadata=_meta("v"))
    T: Centers = eqx.field(metadata=_meta("T"))
    S: Centers = eqx.field(metadata=_meta("S"))


class SurfaceFluxes(eqx.Module):
    """Kinematic fluxes at the surface at one time, positive into the ocean.

    Attributes:
        momentum_x, momentum_y: wind stress / rho0 (m2 s-2).
        heat: non-solar heat flux / (rho0 cp) (K m s-1).
        shortwave: shortwave flux just below the surface / (rho0 cp) (K m s-1), >= 0.
        salt: virtual salt flux (psu m s-1), from -S_surface (P - E).
        buoyancy: total surface buoyancy flux into the ocean (m2 s-3), shortwave included.
    """

    momentum_x: Scalar
    momentum_y: Scalar
    heat: Scalar
    shortwave: Scalar
    salt: Scalar
    buoyancy: Scalar

    @property
    def friction_velocity(self) -> Scalar:
        """u* = |tau / rho0|^(1/2) (m s-1)."""
        return safe_sqrt(speed(self.momentum_x, self.momentum_y))


class Column(eqx.Module):
    """Everything a closure may read at one time step.

    Attributes:
        grid: the vertical grid.
        state: u, v, T, S at the centres.
        N2: buoyancy frequency squared at the faces (s-2).
        S2: shear squared (du/dz)² + (dv/dz)² at the faces (s-2).
        surface: surface fluxes at this step.
        bottom_friction_velocity: u* at the sea floor from the quadratic drag law (m s-1).
        buoyancy: b = -g (rho - rho0) / rho0 at the centres (m s-2).
        coriolis: the Coriolis parameter f (s-1).
        shear_production: the rate at which the last mean-flow step lost kinetic energy to
            vertical friction, per unit mass at the faces (m2 s-3): nu du_new/dz . d(u_new + u_old)/(2 dz),
            the energy-conserving shear production of Burchard (2002); nu S² of the current state
            before the first step.
        shortwave_buoyancy: the buoyancy flux carried by the shortwave light still passing down
            through each face (m2 s-3, >= 0; the surface value is the shortwave part of
            `surface.buoyancy`), so that surface.buoyancy - shortwave_buoyancy is the buoyancy
            forcing of the water above each face (KPP's B_f); None where unknown (then all the
            shortwave counts as absorbed at the surface).
        solver: the model's tridiagonal solver (closures solve their own equations with it).
    """

    grid: Grid
    state: State
    N2: Faces
    S2: Faces
    surface: SurfaceFluxes
    bottom_friction_velocity: Scalar
    buoyancy: Centers
    coriolis: Scalar
    shear_production: Faces | None = None
    shortwave_buoyancy: Faces | None = None
    solver: AbstractTridiagonalSolver = eqx.field(static=True, default=ThomasSolver())


def make_column(
    grid: Grid,
    state: State,
    surface: SurfaceFluxes,
    eos: AbstractEquationOfState,
    bottom_drag_coefficient: float = 0.0,
    *,
    coriolis: Scalar = 0.0,
    shear_production: Faces | None = None,
    solver: AbstractTridiagonalSolver | None = None,
    shortwave_passing: Faces | None = None,
) -> Column:
    """Derive N², shear², buoyancy and the bottom friction velocity from a state.

    `shortwave_passing` (optional): the fraction of the surface shortwave flux that passes down
    through each face (1 at the surface); gives `Column.shortwave_buoyancy`."""
    buoyancy = eos.buoyancy(state.T, state.S)
    N2 = to_faces_gradient(buoyancy, grid)
    S2 = to_faces_gradient(state.u, grid) ** 2 + to_faces_gradient(state.v, grid) ** 2
    return Column(
        grid=grid,
        state=state,
        N2=N2,
        S2=S2,
        surface=surface,
        bottom_friction_velocity=bottom_drag_coefficient**0.5 * speed(state.u[0], state.v[0]),
        buoyancy=buoyancy,
        coriolis=jnp.asarray(coriolis, dtype=buoyancy.dtype),
        shear_production=shear_production,
        shortwave_buoyancy=None
        if shortwave_passing is None
        else eos.buoyancy_flux(surface.shortwave * shortwave_passing, 0.0, state.T[-1], state.S[-1]),
        solver=solver if solver is not None else ThomasSolver(),
    )
