"""Relaxation (nudging) of T and S toward observed profiles, and the external pressure gradient.

Both are optional parts of `calib.core.model.ColumnModel` (None = off).
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from calib.core.forcing import interpolate
from calib.core.shapes import Centers

__all__ = ["PressureGradient", "Relaxation", "RelaxedProfile"]


class RelaxedProfile(eqx.Module):
    """Observed profiles of one variable on the model grid and the relaxation rate.

    Attributes:
        time: seconds since the start of the run (nt,); the profiles are linear in time between
            them and held constant beyond the ends.
        profiles: (nt, nz) observed values at the cell centres.
        rate: 1 / timescale at each cell (s-1, >= 0; 0 = not relaxed).
    """

    time: Float[Array, "nt"]
    profiles: Float[Array, "nt nz"]
    rate: Centers

    def __call__(self, phi: Centers, t, dt: float) -> Centers:
        """phi after dt of d(phi)/dt = -(phi - phi_obs(t)) / tau, exactly:
        phi_obs + (phi - phi_obs) exp(-dt / tau)."""
        observed = interpolate(self.time, self.profiles, t)
        return observed + (phi - observed) * jnp.exp(-dt * self.rate)


class Relaxation(eqx.Module):
    """Relaxation of T and S (either may be None), applied after the diffusion step (operator split)."""

    T: RelaxedProfile | None = None
    S: RelaxedProfile | None = None

    def __call__(self, T: Centers, S: Centers, t, dt: float) -> tuple[Centers, Centers]:
        """(T, S) relaxed over dt toward the observations at time t."""
        if self.T is not None:
            T = self.T(T, t, dt)
        if self.S is not None:
            S = self.S(S, t, dt)
        return T, S


class PressureGradient(eqx.Module):
    """External (barotropic) pressure gradient as surface-elevation slopes d(eta)/dx, d(eta)/dy.

    Every level gets du/dt = -g d(eta)/dx, dv/dt = -g d(eta)/dy.

    Attributes:
        time: seconds since the start (nt,).
        values: (nt, 2) slopes (m m-1) along x and y, linear in time, constant beyond the ends.
        tides: static ((period s, x amplitude, y amplitude, phase s), ...): each adds
            amplitude * sin(2 pi (t - phase) / period) to the slopes.
    """

    time: Float[Array, "nt"]
    values: Float[Array, "nt 2"]
    tides: tuple[tuple[float, float, float, float], ...] = eqx.field(static=True, default=())

    def slopes(self, t):
        """(d(eta)/dx, d(eta)/dy) at time t."""
        slope_x, slope_y = interpolate(self.time, self.values, t)
        for period, x, y, phase in self.tides:
            wave = jnp.sin(2.0 * jnp.pi * (t - phase) / period)
            slope_x, slope_y = slope_x + x * wave, slope_y + y * wave
        return slope_x, slope_y

    def acceleration(self, t, gravity: float):
        """(du/dt, dv/dt) = -g (d(eta)/dx, d(eta)/dy) (m s-2)."""
        slope_x, slope_y = self.slopes(t)
        return -gravity * slope_x, -gravity * slope_y
