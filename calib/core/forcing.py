"""Surface forcing: time series of fluxes interpolated at t = step * dt, Coriolis, shortwave.

Raw forcing is stored in the units a user knows, positive **into the ocean**:
wind stress (Pa), non-solar heat flux (W m-2), shortwave (W m-2, >= 0), freshwater flux
P - E (m s-1, > 0 freshens). Each conversion to kinematic units lives in one function below.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from calib.common.vocabulary import FORCING
from calib.core.eos import LinearEquationOfState
from calib.core.grid import Grid
from calib.core.shapes import Centers, Scalar, Step
from calib.core.state import SurfaceFluxes

HEAT_CAPACITY = 3985.0  # specific heat of sea water, J kg-1 K-1 (the value GOTM and NEMO use)
EARTH_ROTATION = 7.2921e-5  # rad s-1


def heat_flux_to_kinematic(heat_flux, rho0: float, heat_capacity: float = HEAT_CAPACITY):
    """W m-2 -> K m s-1: Q / (rho0 cp). Sign kept (positive into the ocean)."""
    return heat_flux / (rho0 * heat_capacity)


def wind_stress_to_kinematic(stress, rho0: float):
    """Pa -> m2 s-2: tau / rho0. Sign kept (positive = momentum into the ocean along +x/+y)."""
    return stress / rho0


def freshwater_to_salt_flux(freshwater, surface_salinity):
    """Virtual salt flux (psu m s-1) from a freshwater flux P - E (m s-1, > 0 into the ocean).

    Rain dilutes the surface layer, so a positive freshwater flux is a negative salt flux:
    F_S = -S_surface (P - E).
    """
    return -surface_salinity * freshwater


def coriolis_parameter(latitude_degrees: float) -> float:
    """f = 2 Omega sin(latitude) (s-1)."""
    return float(2.0 * EARTH_ROTATION * np.sin(np.deg2rad(latitude_degrees)))


class ShortwaveAbsorption(eqx.Module):
    """Two-band exponential penetration of shortwave light (Paulson & Simpson 1977).

    The fraction of the surface flux that reaches height z < 0 is
    A exp(z / zeta1) + (1 - A) exp(z / zeta2). Whatever reaches the sea floor is absorbed in the
    bottom cell, so the column absorbs exactly the surface shortwave flux.
    """

    fraction_red: float = eqx.field(static=True, default=0.58)
    length_red: float = eqx.field(static=True, default=0.35)  # m
    length_blue: float = eqx.field(static=True, default=23.0)  # m

    @classmethod
    def jerlov(cls, water_type: str) -> ShortwaveAbsorption:
        """Coefficients for Jerlov water types I, IA, IB, II, III (Paulson & Simpson 1977)."""
        return cls(*JERLOV_WATER_TYPES[water_type])

    def heating(self, grid: Grid) -> Centers:
        """Fraction of the surface shortwave flux absorbed in each cell (sums to 1)."""
        z = grid.z_faces
        passing = self.fraction_red * jnp.exp(z / self.length_red) + (1.0 - self.fraction_red) * jnp.exp(
            z / self.length_blue
        )
        passing = passing.at[0].set(0.0)  # the sea floor absorbs what is left
        return jnp.diff(passing)


JERLOV_WATER_TYPES = {
    "I": (0.58, 0.35, 23.0),
    "IA": (0.62, 0.60, 20.0),
    "IB": (0.67, 1.00, 17.0),
    "II": (0.77, 1.50, 14.0),
    "III": (0.78, 1.40, 7.9),
}

FORCING_VARIABLES = {name: (v.units, v.long_name) for name, v in FORCING.items()}
"""name -> (units, long name); the order is the column order of `Forcing.values`."""


class Forcing(eqx.Module):
    """Surface forcing time series, linearly interpolated in time, held constant beyond its ends.

    Attributes:
        time: seconds since the start of the run, strictly increasing (nt,).
        values: (nt, 5) columns in the order of `FORCING_VARIABLES`, positive into the ocean.
        coriolis: Coriolis parameter f (s-1).
        shortwave_absorption: how shortwave light penetrates.
        heat_capacity: cp (J kg-1 K-1).
    """

    time: Float[Array, "nt"]
    values: Float[Array, "nt 5"]
    coriolis: float = eqx.field(static=True, default=0.0)
    shortwave_absorption: ShortwaveAbsorption = ShortwaveAbsorption()
    heat_capacity: float = eqx.field(static=True, default=HEAT_CAPACITY)

    @classmethod
    def from_series(cls, time, *, coriolis=0.0, shortwave_absorption=None, **series) -> Forcing:
        """Forcing from named series (keys of FORCING_VARIABLES; missing ones are zero).

        Each series is a scalar (constant) or an array on `time` (s since the start)."""
        unknown = set(series) - set(FORCING_VARIABLES)
        if unknown:
            raise ValueError(f"unknown forcing variables {sorted(unknown)}")
        time = np.atleast_1d(np.asarray(time, dtype=float))
        if time.size > 1 and not np.all(np.diff(time) > 0):
            raise ValueError("forcing times must increase strictly")
        columns = []
        for name in FORCING_VARIABLES:
            value = np.asarray(series.get(name, 0.0), dtype=float)
            columns.append(np.broadcast_to(value, time.shape))
        return cls(
            time=jnp.asarray(time),
            values=jnp.asarray(np.stack(columns, axis=-1)),
            coriolis=float(coriolis),
            shortwave_absorption=shortwave_absorption or ShortwaveAbsorption(),
        )

    @classmethod
    def constant(cls, **kwargs) -> Forcing:
        """Forcing constant in time (keyword arguments as in `from_series`)."""
        return cls.from_series(0.0, **kwargs)

    def at(self, step: Step, dt: float) -> Float[Array, "5"]:
        """Raw forcing values at t = step * dt, linearly interpolated."""
        t = step * dt
        if self.time.shape[0] == 1:
            return self.values[0]
        upper = jnp.clip(jnp.searchsorted(self.time, t, side="right"), 1, self.time.shape[0] - 1)
        t0, t1 = self.time[upper - 1], self.time[upper]
        weight = jnp.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        return (1.0 - weight) * self.values[upper - 1] + weight * self.values[upper]

    def surface_fluxes(
        self, step: Step, dt: float, surface_salinity: Scalar, eos: LinearEquationOfState
    ) -> SurfaceFluxes:
        """Kinematic surface fluxes at t = step * dt (positive into the ocean)."""
        tau_x, tau_y, heat, shortwave, freshwater = self.at(step, dt)
        heat_kinematic = heat_flux_to_kinematic(heat, eos.rho0, self.heat_capacity)
        shortwave_kinematic = heat_flux_to_kinematic(shortwave, eos.rho0, self.heat_capacity)
        salt = freshwater_to_salt_flux(freshwater, surface_salinity)
        return SurfaceFluxes(
            momentum_x=wind_stress_to_kinematic(tau_x, eos.rho0),
            momentum_y=wind_stress_to_kinematic(tau_y, eos.rho0),
            heat=heat_kinematic,
            shortwave=shortwave_kinematic,
            salt=salt,
            buoyancy=eos.buoyancy_flux(heat_kinematic + shortwave_kinematic, salt),
        )
