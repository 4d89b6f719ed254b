"""Surface forcing: time series of fluxes interpolated at t = step * dt, Coriolis, shortwave.

Raw forcing is stored in the units a user knows, positive **into the ocean**:
wind stress (Pa), non-solar heat flux (W m-2), downward shortwave (W m-2, >= 0; the ocean absorbs
(1 - albedo) of it), freshwater flux P - E (m s-1, > 0 freshens). Each conversion to kinematic
units lives in one function below.

Optional parts (None = off, and then they cost nothing in the compiled step):
- `albedo`: the fraction of the downward shortwave reflected (`calib.core.airsea`);
- `extinction`: time-varying two-band light extinction (A, g1, g2 series) instead of a Jerlov type;
- `bulk`: wind stress, non-solar heat flux and P - E computed every step by bulk formulae from
  meteorological series and the model's own sea surface temperature and surface current.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from calib.common.vocabulary import FORCING, METEOROLOGY
from calib.core import airsea
from calib.core.grid import Grid
from calib.core.shapes import Centers, Scalar, Step
from calib.core.state import State, SurfaceFluxes

HEAT_CAPACITY = 3985.0  # specific heat of sea water, J kg-1 K-1 (the value GOTM and NEMO use)
EARTH_ROTATION = 7.2921e-5  # rad s-1

__all__ = [
    "EARTH_ROTATION",
    "FORCING_VARIABLES",
    "HEAT_CAPACITY",
    "JERLOV_WATER_TYPES",
    "METEOROLOGY_VARIABLES",
    "BulkForcing",
    "Extinction",
    "Forcing",
    "ShortwaveAbsorption",
    "coriolis_parameter",
    "freshwater_to_salt_flux",
    "heat_flux_to_kinematic",
    "interpolate",
    "two_band_fractions",
    "wind_stress_to_kinematic",
]


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


def interpolate(time: Float[Array, "nt"], values: Float[Array, "nt ..."], t) -> Float[Array, "..."]:
    """values at time t, linear between the samples, held constant beyond the ends."""
    if time.shape[0] == 1:
        return values[0]
    upper = jnp.clip(jnp.searchsorted(time, t, side="right"), 1, time.shape[0] - 1)
    t0, t1 = time[upper - 1], time[upper]
    weight = jnp.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return (1.0 - weight) * values[upper - 1] + weight * values[upper]


def two_band_fractions(grid: Grid, fraction_red, length_red, length_blue) -> Centers:
    """Fraction of the surface shortwave flux absorbed in each cell (sums to 1) for light
    A exp(z / g1) + (1 - A) exp(z / g2) reaching height z; the sea floor absorbs what is left."""
    z = grid.z_faces
    passing = fraction_red * jnp.exp(z / length_red) + (1.0 - fraction_red) * jnp.exp(z / length_blue)
    passing = passing.at[0].set(0.0)  # the sea floor absorbs what is left
    return jnp.diff(passing)


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
        return two_band_fractions(grid, self.fraction_red, self.length_red, self.length_blue)


JERLOV_WATER_TYPES = {
    "I": (0.58, 0.35, 23.0),
    "IA": (0.62, 0.60, 20.0),
    "IB": (0.67, 1.00, 17.0),
    "II": (0.77, 1.50, 14.0),
    "III": (0.78, 1.40, 7.9),
}


class Extinction(eqx.Module):
    """Time-varying two-band light extinction (GOTM's A, g1, g2 series).

    Attributes:
        time: seconds since the start of the run (nt,).
        values: (nt, 3) columns A (fraction of the light with e-folding length g1), g1 (m), g2 (m),
            linear in time, held constant beyond the ends.
    """

    time: Float[Array, "nt"]
    values: Float[Array, "nt 3"]

    def heating(self, grid: Grid, t) -> Centers:
        """Fraction of the surface shortwave absorbed in each cell at time t (sums to 1)."""
        A, g1, g2 = interpolate(self.time, self.values, t)
        return two_band_fractions(grid, A, g1, g2)


FORCING_VARIABLES = {name: (v.units, v.long_name) for name, v in FORCING.items()}
"""name -> (units, long name); the order is the column order of `Forcing.values`."""

METEOROLOGY_VARIABLES = {name: (v.units, v.long_name) for name, v in METEOROLOGY.items()}
"""name -> (units, long name); the column order of `BulkForcing.values`."""


class BulkForcing(eqx.Module):
    """Wind stress, non-solar heat flux and P - E from bulk formulae, every step, from
    meteorological series and the model's sea surface temperature (top cell T) and surface current.

    Attributes:
        formula: the bulk algorithm (`calib.core.airsea.AbstractBulkFormula`); its drag, sensible
            and latent scales are array leaves (calibratable, differentiable).
        longwave: the net longwave formula (`calib.core.airsea.AbstractLongwave`).
        time: seconds since the start of the run (nt,).
        values: (nt, 8) in the order of `METEOROLOGY_VARIABLES` (wind_x, wind_y at heights.wind (m s-1),
            air_temperature (degC), humidity (see humidity_type), air_pressure (Pa), longwave
            (W m-2), cloud_cover (0-1), precipitation (m s-1)).
        heights: measurement heights of wind, temperature and humidity (`calib.core.airsea.Heights`).
        humidity_type: "specific" (kg kg-1), "relative" (%) or "dew_point" (degC), static.
        rain_heat_flux: add the heat flux of rain at the wet-bulb temperature (Gosnell et al. 1995).
        relative_wind: use the wind relative to the surface current.
    """

    formula: airsea.AbstractBulkFormula
    longwave: airsea.AbstractLongwave
    time: Float[Array, "nt"]
    values: Float[Array, "nt 8"]
    heights: airsea.Heights = airsea.Heights()
    humidity_type: str = eqx.field(static=True, default="specific")
    rain_heat_flux: bool = eqx.field(static=True, default=False)
    relative_wind: bool = eqx.field(static=True, default=True)

    def fluxes(self, t, sst: Scalar, u_surface: Scalar, v_surface: Scalar, latitude: float):
        """(tau_x, tau_y (Pa), non-solar heat flux (W m-2), P - E (m s-1)) into the ocean at time t."""
        wind_x, wind_y, air_temperature, humidity, pressure, longwave, cloud, rain = interpolate(
            self.time, self.values, t
        )
        if self.relative_wind:
            wind_x, wind_y = wind_x - u_surface, wind_y - v_surface
        q_air = airsea.specific_humidity(self.humidity_type, humidity, air_temperature, pressure)
        bulk = self.formula(wind_x, wind_y, sst, air_temperature, q_air, pressure, heights=self.heights)
        heat = bulk.sensible + bulk.latent
        heat = heat + self.longwave(longwave, cloud, sst, air_temperature, q_air, pressure, latitude)
        if self.rain_heat_flux:
            heat = heat + airsea.rain_heat_flux(rain, sst, air_temperature, q_air, pressure)
        return bulk.tau_x, bulk.tau_y, heat, rain - bulk.evaporation


class Forcing(eqx.Module):
    """Surface forcing time series, linearly interpolated in time, held constant beyond its ends.

    Attributes:
        time: seconds since the start of the run, strictly increasing (nt,).
        values: (nt, 5) columns in the order of `FORCING_VARIABLES`, positive into the ocean;
            `shortwave` is the downward shortwave at the surface.
        coriolis: Coriolis parameter f (s-1).
        shortwave_absorption: how shortwave light penetrates (when `extinction` is None).
        latitude, longitude: degrees north and east (albedo and longwave formulae).
        start_time: the date of t = 0 in seconds since 1970-01-01T00:00 UTC (Payne's albedo).
        albedo: `calib.core.airsea.AbstractAlbedo`, or None (no reflection).
        extinction: time-varying extinction, or None (`shortwave_absorption` holds).
        bulk: `BulkForcing`, or None (the flux series are used).
    """

    time: Float[Array, "nt"]
    values: Float[Array, "nt 5"]
    coriolis: float = eqx.field(static=True, default=0.0)
    shortwave_absorption: ShortwaveAbsorption = ShortwaveAbsorption()
    latitude: float = eqx.field(static=True, default=0.0)
    longitude: float = eqx.field(static=True, default=0.0)
    start_time: float = eqx.field(static=True, default=0.0)
    albedo: airsea.AbstractAlbedo | None = None
    extinction: Extinction | None = None
    bulk: BulkForcing | None = None

    @classmethod
    def from_series(cls, time, *, coriolis=0.0, shortwave_absorption=None, **series) -> Forcing:
        """Forcing from named series (keys of FORCING_VARIABLES; missing ones are zero).

        Each series is a scalar (constant) or an array on `time` (s since the start). Keyword
        arguments that are fields of `Forcing` (latitude, albedo, extinction, bulk, ...) are set."""
        options = {name: series.pop(name) for name in list(series) if name in _OPTIONS}
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
            **options,
        )

    @classmethod
    def constant(cls, **kwargs) -> Forcing:
        """Forcing constant in time (keyword arguments as in `from_series`)."""
        return cls.from_series(0.0, **kwargs)

    def at(self, step: Step, dt: float) -> Float[Array, "5"]:
        """Raw forcing values at t = step * dt, linearly interpolated."""
        return interpolate(self.time, self.values, step * dt)

    def heating(self, step: Step, dt: float, grid: Grid) -> Centers:
        """Fraction of the surface shortwave absorbed in each cell at t = step * dt (sums to 1)."""
        if self.extinction is None:
            return self.shortwave_absorption.heating(grid)
        return self.extinction.heating(grid, step * dt)

    def surface_fluxes(
        self, step: Step, dt: float, surface_salinity: Scalar, eos, *, state: State | None = None
    ) -> SurfaceFluxes:
        """Kinematic surface fluxes at t = step * dt (positive into the ocean).

        `state` gives the sea surface temperature (top cell T) and surface current that the bulk
        formulae and the surface expansion coefficients need (required with `bulk`)."""
        t = step * dt
        tau_x, tau_y, heat, shortwave, freshwater = self.at(step, dt)
        if self.albedo is not None:
            shortwave = (
                1.0 - self.albedo(shortwave, self.start_time + t, self.latitude, self.longitude)
            ) * shortwave
        surface_temperature = None if state is None else state.T[-1]
        if self.bulk is not None:
            if state is None:
                raise ValueError("bulk forcing needs the state (surface_fluxes(..., state=state))")
            tau_x, tau_y, heat, freshwater = self.bulk.fluxes(
                t, state.T[-1], state.u[-1], state.v[-1], self.latitude
            )
        heat_capacity = getattr(eos, "heat_capacity", HEAT_CAPACITY)
        heat_kinematic = heat_flux_to_kinematic(heat, eos.rho0, heat_capacity)
        shortwave_kinematic = heat_flux_to_kinematic(shortwave, eos.rho0, heat_capacity)
        salt = freshwater_to_salt_flux(freshwater, surface_salinity)
        return SurfaceFluxes(
            momentum_x=wind_stress_to_kinematic(tau_x, eos.rho0),
            momentum_y=wind_stress_to_kinematic(tau_y, eos.rho0),
            heat=heat_kinematic,
            shortwave=shortwave_kinematic,
            salt=salt,
            buoyancy=surface_buoyancy_flux(
                eos, heat_kinematic + shortwave_kinematic, salt, surface_temperature, surface_salinity
            ),
        )


_OPTIONS = ("latitude", "longitude", "start_time", "albedo", "extinction", "bulk")


def surface_buoyancy_flux(eos, heat_kinematic, salt_kinematic, T=None, S=None):
    """g (alpha F_T - beta F_S) with alpha, beta at the surface (T, S) (m2 s-3)."""
    return eos.buoyancy_flux(heat_kinematic, salt_kinematic, T, S)
