"""Equation of state: temperature and salinity -> buoyancy and N².

Buoyancy b = -g (rho - rho0) / rho0 (m s-2); N² = db/dz at the faces (s-2).
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp

from calib.core.grid import Grid
from calib.core.shapes import Centers, Faces

GRAVITY = 9.81  # m s-2


class LinearEquationOfState(eqx.Module):
    """rho = rho0 (1 - alpha (T - T0) + beta (S - S0)).

    Attributes:
        rho0: reference density (kg m-3).
        alpha: thermal expansion coefficient (K-1).
        beta: haline contraction coefficient (psu-1).
        T0: reference temperature (degC).
        S0: reference salinity (psu).
        gravity: gravitational acceleration (m s-2).
    """

    rho0: float = eqx.field(static=True, default=1027.0)
    alpha: float = eqx.field(static=True, default=2e-4)
    beta: float = eqx.field(static=True, default=7.6e-4)
    T0: float = eqx.field(static=True, default=10.0)
    S0: float = eqx.field(static=True, default=35.0)
    gravity: float = eqx.field(static=True, default=GRAVITY)

    def density(self, T: Centers, S: Centers) -> Centers:
        """In-situ density (kg m-3)."""
        return self.rho0 * (1.0 - self.alpha * (T - self.T0) + self.beta * (S - self.S0))

    def buoyancy(self, T: Centers, S: Centers) -> Centers:
        """Buoyancy -g (rho - rho0) / rho0 (m s-2)."""
        return self.gravity * (self.alpha * (T - self.T0) - self.beta * (S - self.S0))

    def buoyancy_flux(self, heat_flux_kinematic, salt_flux_kinematic):
        """Surface buoyancy flux into the ocean (m2 s-3) from kinematic T (K m s-1) and S
        (psu m s-1) fluxes into the ocean. Positive = the column gains buoyancy (stabilising)."""
        return self.gravity * (self.alpha * heat_flux_kinematic - self.beta * salt_flux_kinematic)


def to_faces_gradient(phi: Centers, grid: Grid) -> Faces:
    """d(phi)/dz at the nz + 1 faces; the two boundary faces copy the nearest interior value."""
    inner = jnp.diff(phi) / grid.dz_faces[1:-1]
    return jnp.concatenate([inner[:1], inner, inner[-1:]])


def buoyancy_frequency_squared(eos: LinearEquationOfState, T: Centers, S: Centers, grid: Grid) -> Faces:
    """N² = db/dz at the faces (s-2), boundary faces copied from their neighbours."""
    return to_faces_gradient(eos.buoyancy(T, S), grid)
