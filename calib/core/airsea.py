"""Air-sea fluxes: bulk formulae, humidity, longwave, albedo and rain heat flux.

Pure JAX (differentiable, jit-safe, no Python control flow on traced values, no I/O).
Every flux is **positive into the ocean** (W m-2 for heat, Pa for the stress on the ocean);
evaporation (m s-1 of fresh water) is positive when water leaves the ocean.

Units: temperatures in degC, specific humidity in kg kg-1, pressure in Pa, wind in m s-1
**relative to the surface current** at `Heights.wind`.

Contents:
- thermodynamics: `saturation_vapour_pressure`, `saturation_specific_humidity`,
  `sea_surface_specific_humidity` (0.98 factor over sea water), `specific_humidity` (from specific,
  relative or dew-point humidity), `latent_heat_of_vaporisation`, `air_density`;
- bulk formulae (`AbstractBulkFormula`): `Coare35`, `Kondo1975`, `LargeYeager2004`;
  `BULK_FORMULAE = {name: class}`;
- longwave (`AbstractLongwave`): `NetLongwave`, `DownwardLongwave`, `ClarkLongwave`,
  `BerliandLongwave`, `JoseyLongwave`; `LONGWAVE = {name: class}`;
- albedo (`AbstractAlbedo`): `ConstantAlbedo`, `PayneAlbedo`; `solar_altitude`; `ALBEDO`;
- `rain_heat_flux` (Gosnell et al. 1995).
"""

from __future__ import annotations

import abc
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from calib.core.params import param

__all__ = [
    "ALBEDO",
    "BULK_FORMULAE",
    "DEFAULT_HEIGHTS",
    "LONGWAVE",
    "AbstractAlbedo",
    "AbstractBulkFormula",
    "AbstractLongwave",
    "BerliandLongwave",
    "BulkFluxes",
    "ClarkLongwave",
    "Coare35",
    "ConstantAlbedo",
    "DownwardLongwave",
    "Heights",
    "JoseyLongwave",
    "Kondo1975",
    "LargeYeager2004",
    "NetLongwave",
    "PayneAlbedo",
    "air_density",
    "cloud_coefficient",
    "kondo_neutral_coefficients",
    "kondo_stability_factors",
    "large_yeager_neutral_drag",
    "latent_heat_of_vaporisation",
    "payne_albedo",
    "psi_momentum_coare",
    "psi_scalar_coare",
    "rain_heat_flux",
    "saturation_specific_humidity",
    "saturation_vapour_pressure",
    "sea_surface_specific_humidity",
    "solar_altitude",
    "solar_declination_and_equation_of_time",
    "specific_humidity",
    "top_of_atmosphere_shortwave",
]

KELVIN = 273.15  # K at 0 degC
STEFAN_BOLTZMANN = 5.67e-8  # W m-2 K-4
GAS_CONSTANT_DRY_AIR = 287.1  # J kg-1 K-1 (as in COARE 3.5)
HEAT_CAPACITY_AIR = 1004.67  # J kg-1 K-1 (as in COARE 3.5)
HEAT_CAPACITY_RAIN = 4000.0  # J kg-1 K-1 (as in COARE 3.5)
FRESH_WATER_DENSITY = 1000.0  # kg m-3: evaporation mass flux -> m s-1
VON_KARMAN = 0.4
GRAVITY = 9.81  # m s-2
SEA_WATER_VAPOUR_FACTOR = 0.98  # vapour pressure over sea water / over pure water (salinity 35)
EPSILON = 0.622  # molar mass water / dry air
SOLAR_CONSTANT = 1368.0  # W m-2


# --------------------------------------------------------------------------------------------
# thermodynamics


def saturation_vapour_pressure(T, pressure):
    """Saturation vapour pressure over pure water (Pa) at T (degC) and air pressure (Pa).

    Buck (1981) with the pressure enhancement factor, the form of the COARE 3.5 code:
    e_s = 6.1121 exp(17.502 T / (T + 240.97)) (1.0007 + 3.46e-6 p[hPa]) hPa.
    """
    hpa = pressure / 100.0
    return 100.0 * 6.1121 * jnp.exp(17.502 * T / (T + 240.97)) * (1.0007 + 3.46e-6 * hpa)


def _specific_from_vapour_pressure(e, pressure):
    return EPSILON * e / (pressure - (1.0 - EPSILON) * e)


def saturation_specific_humidity(T, pressure, *, factor=1.0):
    """Saturation specific humidity (kg kg-1) over pure water at T (degC), pressure (Pa).

    q_s = 0.622 e / (p - 0.378 e) with e = factor * e_s(T, p); `factor=0.98` gives sea water
    (`sea_surface_specific_humidity`).
    """
    e = factor * saturation_vapour_pressure(T, pressure)
    return _specific_from_vapour_pressure(e, pressure)


def sea_surface_specific_humidity(sst, pressure):
    """Specific humidity (kg kg-1) at saturation over sea water: the vapour pressure over
    water of salinity ~35 is 0.98 of that over pure water (Sverdrup et al. 1942; COARE)."""
    return saturation_specific_humidity(sst, pressure, factor=SEA_WATER_VAPOUR_FACTOR)


def specific_humidity(kind: str, value, air_temperature, pressure):
    """Specific humidity (kg kg-1) of air from a humidity measurement.

    Args:
        kind: "specific" (value in kg kg-1, returned as is), "relative" (value in %) or
            "dew_point" (value = dew-point temperature, degC). A Python string (static).
        value: the measurement.
        air_temperature: degC (used by "relative").
        pressure: Pa.
    """
    if kind == "specific":
        return jnp.asarray(value)
    if kind == "relative":
        e = value / 100.0 * saturation_vapour_pressure(air_temperature, pressure)
        return _specific_from_vapour_pressure(e, pressure)
    if kind == "dew_point":
        return saturation_specific_humidity(value, pressure)
    raise ValueError(f"humidity kind {kind!r}: use specific, relative or dew_point")


def latent_heat_of_vaporisation(T):
    """Latent heat of vaporisation of water (J kg-1) at T (degC): (2.501 - 0.00237 T) 1e6
    (Gill 1982; the COARE 3.5 form)."""
    return (2.501 - 0.00237 * T) * 1e6


def air_density(air_temperature, pressure, q_air):
    """Density of moist air (kg m-3): p / (R_d T_v), virtual temperature T_v = T (1 + 0.61 q)."""
    return pressure / (GAS_CONSTANT_DRY_AIR * (air_temperature + KELVIN) * (1.0 + 0.61 * q_air))


def _speed(wind_x, wind_y, floor=0.0):
    """|U| with a smooth lower bound (keeps the gradient finite at zero wind)."""
    return jnp.sqrt(wind_x**2 + wind_y**2 + floor**2)


# --------------------------------------------------------------------------------------------
# bulk formulae


class Heights(eqx.Module):
    """Measurement heights above the sea surface (m) of wind, air temperature and humidity."""

    wind: float = eqx.field(static=True, default=10.0)
    temperature: float = eqx.field(static=True, default=2.0)
    humidity: float = eqx.field(static=True, default=2.0)


DEFAULT_HEIGHTS = Heights()


class BulkFluxes(eqx.Module):
    """Turbulent air-sea fluxes.

    Attributes:
        tau_x, tau_y: stress on the ocean (Pa), along the relative wind.
        sensible: sensible heat flux into the ocean (W m-2; > 0 when the air is warmer).
        latent: latent heat flux into the ocean (W m-2; < 0 when water evaporates).
        evaporation: evaporation rate (m s-1 of fresh water; > 0 = water leaves the ocean).
    """

    tau_x: jax.Array
    tau_y: jax.Array
    sensible: jax.Array
    latent: jax.Array
    evaporation: jax.Array


def _evaporation(latent, sst):
    """Evaporation (m s-1, > 0 leaving the ocean) from the latent heat flux into the ocean."""
    return -latent / (latent_heat_of_vaporisation(sst) * FRESH_WATER_DENSITY)


class AbstractBulkFormula(eqx.Module):
    """Turbulent fluxes of momentum, sensible and latent heat from bulk meteorology.

    Every formula has three calibratable multipliers of its transfer coefficients:
    `drag_scale` (C_D), `sensible_scale` (C_H) and `latent_scale` (C_E).
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def __call__(
        self, wind_x, wind_y, sst, air_temperature, q_air, pressure, *, heights: Heights = DEFAULT_HEIGHTS
    ) -> BulkFluxes:
        """Fluxes for wind (m s-1, relative to the surface current, at heights.wind), sst (degC),
        air temperature (degC, at heights.temperature), q_air (kg kg-1, at heights.humidity),
        pressure (Pa)."""


_SCALE_SOURCE = "multiplier of the published coefficient (1 = as published)"


def _drag_scale():
    return param(1.0, 0.25, 4.0, doc="multiplier of the drag coefficient C_D", source=_SCALE_SOURCE)


def _sensible_scale():
    return param(
        1.0, 0.25, 4.0, doc="multiplier of the sensible heat transfer coefficient C_H", source=_SCALE_SOURCE
    )


def _latent_scale():
    return param(
        1.0, 0.25, 4.0, doc="multiplier of the latent heat transfer coefficient C_E", source=_SCALE_SOURCE
    )


# --- Monin-Obukhov stability functions of COARE 3.5 (Fairall et al. 1996, 2003; Grachev et al.
# 2000; Beljaars & Holtslag 1991 for the stable side). Each branch is evaluated on a clipped
# argument so that jnp.where never differentiates through a NaN.


def _psi_convective(zeta_neg, coefficient):
    """Free-convection limit of psi (Fairall et al. 1996), zeta <= 0."""
    y = (1.0 - coefficient * zeta_neg) ** (1.0 / 3.0)
    sqrt3 = math.sqrt(3.0)
    return (
        1.5 * jnp.log((y * y + y + 1.0) / 3.0) - sqrt3 * jnp.arctan((2.0 * y + 1.0) / sqrt3) + math.pi / sqrt3
    )


def _psi_kansas_momentum(zeta_neg, coefficient):
    x = (1.0 - coefficient * zeta_neg) ** 0.25
    return 2.0 * jnp.log((1.0 + x) / 2.0) + jnp.log((1.0 + x * x) / 2.0) - 2.0 * jnp.arctan(x) + math.pi / 2.0


def _blend(zeta_neg, kansas, convective):
    f = zeta_neg**2 / (1.0 + zeta_neg**2)
    return (1.0 - f) * kansas + f * convective


def _psi_stable_momentum(zeta_pos, a):
    b, c, d = 0.75, 5.0, 0.35
    return -(a * zeta_pos + b * (zeta_pos - c / d) * jnp.exp(-jnp.minimum(d * zeta_pos, 50.0)) + b * c / d)


def psi_momentum_coare(zeta, *, kansas=15.0, convective=10.15, stable_a=0.7):
    """COARE 3.5 psi_u(zeta) (`psiu_26`; kansas=18, convective=10, stable_a=1 give `psiu_40`)."""
    neg = jnp.minimum(zeta, 0.0)
    pos = jnp.maximum(zeta, 0.0)
    unstable = _blend(neg, _psi_kansas_momentum(neg, kansas), _psi_convective(neg, convective))
    return jnp.where(zeta < 0.0, unstable, _psi_stable_momentum(pos, stable_a))


def psi_scalar_coare(zeta):
    """COARE 3.5 psi_t(zeta) (`psit_26`)."""
    neg = jnp.minimum(zeta, 0.0)
    pos = jnp.maximum(zeta, 0.0)
    x = jnp.sqrt(1.0 - 15.0 * neg)
    kansas = 2.0 * jnp.log((1.0 + x) / 2.0)
    unstable = _blend(neg, kansas, _psi_convective(neg, 34.15))
    b, c, d = 0.6667, 5.0, 0.35
    stable = -(
        (1.0 + 2.0 / 3.0 * pos) ** 1.5
        + b * (pos - c / d) * jnp.exp(-jnp.minimum(d * pos, 50.0))
        + b * c / d
        - 1.0
    )
    return jnp.where(zeta < 0.0, unstable, stable)


class Coare35(AbstractBulkFormula):
    """COARE 3.5 bulk algorithm (Fairall et al. 2003, J. Climate 16, 571; Edson et al. 2013,
    J. Phys. Oceanogr. 43, 1589), warm layer and cool skin off (sst is the interface temperature).

    Charnock coefficient a1 U10N + a2 (a1 = 0.0017, a2 = -0.005, U10N capped at 19 m s-1);
    scalar roughness z_0q = z_0t = min(1.6e-4, 5.8e-5 Re*^-0.72); smooth-flow roughness
    0.11 nu / u*; gustiness beta (B zi)^(1/3) (beta = 1.2, zi = 600 m) in convection, 0.2 m s-1
    otherwise; Monin-Obukhov functions with the Grachev et al. (2000) convective forms. The
    iteration runs a fixed number of times (`iterations`, static): 5 by default, which agree with
    the reference code's 10 within 0.5 % on the test conditions at half the cost (measured on
    this 2-core CPU inside a 2000-step scan: 10 iterations 16-29 us/step forward and 90-115
    us/step for the gradient, 3 iterations 8.5 and 30 us/step).
    The transfer-coefficient multipliers scale the converged fluxes. Checked against the NOAA
    reference code (tests/test_airsea.py: within 1 % for 0.5-30 m s-1, -12 < z/L < 9); for
    z/L > 50 (fluxes below 0.01 W m-2) the reference keeps its first iterate, we clip z/L.
    """

    name: ClassVar[str] = "coare35"
    drag_scale: jax.Array = _drag_scale()
    sensible_scale: jax.Array = _sensible_scale()
    latent_scale: jax.Array = _latent_scale()
    boundary_layer_height: float = eqx.field(static=True, default=600.0)
    gravity: float = eqx.field(static=True, default=GRAVITY)
    iterations: int = eqx.field(static=True, default=5)

    def __call__(self, wind_x, wind_y, sst, air_temperature, q_air, pressure, *, heights=DEFAULT_HEIGHTS):
        von, grav, zi, beta = VON_KARMAN, self.gravity, self.boundary_layer_height, 1.2
        zu, zt, zq = heights.wind, heights.temperature, heights.humidity
        t = air_temperature
        du = _speed(wind_x, wind_y, 1e-6)
        qs = sea_surface_specific_humidity(sst, pressure)
        dt = sst - t - 0.0098 * zt  # potential temperature difference
        dq = qs - q_air
        ta = t + 273.16
        rhoa = air_density(t, pressure, q_air)
        latent_heat = latent_heat_of_vaporisation(sst)
        visa = 1.326e-5 * (1.0 + 6.542e-3 * t + 8.301e-6 * t**2 - 4.84e-9 * t**3)

        # first guess (Fairall et al. 2003)
        ut = jnp.sqrt(du**2 + 0.5**2)
        u10 = ut * math.log(10.0 / 1e-4) / math.log(zu / 1e-4)
        usr = 0.035 * u10
        zo10 = 0.011 * usr**2 / grav + 0.11 * visa / usr
        cd10 = (von / jnp.log(10.0 / zo10)) ** 2
        ct10 = 0.00115 / jnp.sqrt(cd10)
        zot10 = 10.0 / jnp.exp(von / ct10)
        cd = (von / jnp.log(zu / zo10)) ** 2
        ct = von / jnp.log(zt / zot10)
        cc = von * ct / cd
        ribcu = -zu / zi / 0.004 / beta**3
        ribu = -grav * zu / ta * (dt + 0.61 * ta * dq) / ut**2
        ribu_neg = jnp.minimum(ribu, 0.0)
        zetu = jnp.where(
            ribu < 0.0, cc * ribu_neg / (1.0 + ribu_neg / ribcu), cc * ribu * (1.0 + 27.0 / 9.0 * ribu / cc)
        )
        zetu = jnp.minimum(zetu, 50.0)  # the reference keeps the first iterate beyond 50
        usr = (
            ut
            * von
            / (jnp.log(zu / zo10) - psi_momentum_coare(zetu, kansas=18.0, convective=10.0, stable_a=1.0))
        )
        tsr = -dt * von / (jnp.log(zt / zot10) - psi_scalar_coare(zetu * zt / zu))
        qsr = -dq * von / (jnp.log(zq / zot10) - psi_scalar_coare(zetu * zq / zu))
        charnock = jnp.clip(0.0017 * u10 - 0.005, None, 0.0017 * 19.0 - 0.005)

        def iterate(_, carry):
            usr, tsr, qsr, ut, charnock = carry
            zet = von * grav * zu / ta * (tsr + 0.61 * ta * qsr) / usr**2
            zet = jnp.clip(zet, -1e3, 1e3)
            zo = charnock * usr**2 / grav + 0.11 * visa / usr
            rr = zo * usr / visa
            zoq = jnp.minimum(1.6e-4, 5.8e-5 / rr**0.72)
            usr = ut * von / (jnp.log(zu / zo) - psi_momentum_coare(zet))
            qsr = -dq * von / (jnp.log(zq / zoq) - psi_scalar_coare(zet * zq / zu))
            tsr = -dt * von / (jnp.log(zt / zoq) - psi_scalar_coare(zet * zt / zu))
            tvsr = tsr + 0.61 * ta * qsr
            bf = -grav / ta * usr * tvsr
            gust = jnp.where(bf > 0.0, beta * (jnp.maximum(bf, 1e-12) * zi) ** (1.0 / 3.0), 0.2)
            ut_new = jnp.sqrt(du**2 + gust**2)
            u10n = usr / von * jnp.log(10.0 / zo) * du / ut_new
            charnock = 0.0017 * jnp.minimum(u10n, 19.0) - 0.005
            return usr, tsr, qsr, ut_new, charnock

        usr, tsr, qsr, ut, _ = jax.lax.fori_loop(0, self.iterations, iterate, (usr, tsr, qsr, ut, charnock))
        stress_over_wind = rhoa * usr**2 / ut  # tau = rho u*^2 du / ut, along the relative wind
        sensible = self.sensible_scale * rhoa * HEAT_CAPACITY_AIR * usr * tsr
        latent = self.latent_scale * rhoa * latent_heat * usr * qsr
        return BulkFluxes(
            tau_x=self.drag_scale * stress_over_wind * wind_x,
            tau_y=self.drag_scale * stress_over_wind * wind_y,
            sensible=sensible,
            latent=latent,
            evaporation=_evaporation(latent, sst),
        )


# Kondo (1975), Boundary-Layer Meteorol. 9, 91-112, Table 1: neutral 10 m coefficients
# 10^3 C = a + b U10^p + c (U10 - 8)^2 in five wind ranges (upper bounds in m s-1).
_KONDO_UPPER = (2.2, 5.0, 8.0, 25.0, 50.0)
_KONDO_DRAG = (
    (0.0, 1.08, 0.0, -0.15),
    (0.771, 0.0858, 0.0, 1.0),
    (0.867, 0.0667, 0.0, 1.0),
    (1.2, 0.025, 0.0, 1.0),
    (0.0, 0.073, 0.0, 1.0),
)
_KONDO_HEAT = (
    (0.0, 1.185, 0.0, -0.157),
    (0.927, 0.0546, 0.0, 1.0),
    (1.15, 0.01, 0.0, 1.0),
    (1.17, 0.0075, -0.00045, 1.0),
    (1.652, -0.017, 0.0, 1.0),
)
_KONDO_VAPOUR = (
    (0.0, 1.23, 0.0, -0.16),
    (0.969, 0.0521, 0.0, 1.0),
    (1.18, 0.01, 0.0, 1.0),
    (1.196, 0.008, -0.0004, 1.0),
    (1.68, -0.016, 0.0, 1.0),
)


def _kondo_neutral(table, speed):
    """Neutral 10 m coefficient of Kondo (1975) Table 1 at wind speed (m s-1)."""
    value = jnp.zeros_like(speed)
    lower = 0.0
    for upper, (a, b, c, p) in zip(_KONDO_UPPER, table, strict=True):
        inside = (speed >= lower) & (speed < upper) if lower > 0.0 else speed < upper
        value = jnp.where(inside, (a + b * speed**p + c * (speed - 8.0) ** 2) * 1e-3, value)
        lower = upper
    a, b, c, p = table[-1]
    return jnp.where(speed >= _KONDO_UPPER[-1], (a + b * 50.0**p + c * 42.0**2) * 1e-3, value)


def kondo_neutral_coefficients(speed):
    """(C_DN, C_HN, C_EN) at 10 m of Kondo (1975) Table 1 for a 10 m wind speed (m s-1)."""
    return (
        _kondo_neutral(_KONDO_DRAG, speed),
        _kondo_neutral(_KONDO_HEAT, speed),
        _kondo_neutral(_KONDO_VAPOUR, speed),
    )


def kondo_stability_factors(sst, air_temperature, speed):
    """Stability multipliers (momentum, heat/vapour) of Kondo (1975) as documented by GOTM.

    S0 = 0.25 (T_s - T_a) / U^2 (degC, m s-1; the 0.25 is GOTM's documented choice for its
    10 m wind), S = S0 |S0| / (|S0| + 0.01); unstable (S > 0): 1 + 0.47 sqrt(S) (drag),
    1 + 0.63 sqrt(S) (heat, vapour); stable (-3.3 < S <= 0): 0.1 + 0.03 S + 0.9 exp(4.8 S)
    (1 at S = 0); S <= -3.3: 0.
    """
    s0 = 0.25 * (sst - air_temperature) / speed**2
    s = s0 * jnp.abs(s0) / (jnp.abs(s0) + 0.01)
    s_pos = jnp.maximum(s, 0.0)
    s_neg = jnp.clip(s, -3.3, 0.0)
    stable = jnp.where(s > -3.3, 0.1 + 0.03 * s_neg + 0.9 * jnp.exp(4.8 * s_neg), 0.0)
    drag = jnp.where(s > 0.0, 1.0 + 0.47 * jnp.sqrt(s_pos + 1e-30), stable)
    heat = jnp.where(s > 0.0, 1.0 + 0.63 * jnp.sqrt(s_pos + 1e-30), stable)
    return drag, heat


class Kondo1975(AbstractBulkFormula):
    """Bulk transfer coefficients of Kondo (1975), Boundary-Layer Meteorol. 9, 91-112.

    Neutral 10 m coefficients from wind-speed ranges (Table 1) times stability factors of the
    stability parameter S (see `kondo_stability_factors`). The published coefficients are for
    10 m: the heights are taken as given (no height correction); wind speeds below 0.3 m s-1
    are raised to 0.3.
    """

    name: ClassVar[str] = "kondo"
    drag_scale: jax.Array = _drag_scale()
    sensible_scale: jax.Array = _sensible_scale()
    latent_scale: jax.Array = _latent_scale()

    def __call__(self, wind_x, wind_y, sst, air_temperature, q_air, pressure, *, heights=DEFAULT_HEIGHTS):
        speed = jnp.maximum(_speed(wind_x, wind_y, 1e-3), 0.3)
        cdn, chn, cen = kondo_neutral_coefficients(speed)
        drag_factor, heat_factor = kondo_stability_factors(sst, air_temperature, speed)
        rhoa = air_density(air_temperature, pressure, q_air)
        qs = sea_surface_specific_humidity(sst, pressure)
        cd = self.drag_scale * cdn * drag_factor
        ch = self.sensible_scale * chn * heat_factor
        ce = self.latent_scale * cen * heat_factor
        sensible = rhoa * HEAT_CAPACITY_AIR * ch * speed * (air_temperature - sst)
        latent = rhoa * latent_heat_of_vaporisation(sst) * ce * speed * (q_air - qs)
        return BulkFluxes(
            tau_x=rhoa * cd * speed * wind_x,
            tau_y=rhoa * cd * speed * wind_y,
            sensible=sensible,
            latent=latent,
            evaporation=_evaporation(latent, sst),
        )


def large_yeager_neutral_drag(u10n):
    """Neutral 10 m drag coefficient of Large & Yeager (2004), eq. (6a):
    C_DN = (2.7 / U + 0.142 + U / 13.09) 1e-3."""
    return (2.7 / u10n + 0.142 + u10n / 13.09) * 1e-3


def _psi_momentum_businger(zeta):
    """psi_m of Large & Yeager (2004) eq. (8c)/(8d) (Paulson 1970; stable -5 zeta)."""
    neg = jnp.minimum(zeta, 0.0)
    x = (1.0 - 16.0 * neg) ** 0.25
    unstable = (
        2.0 * jnp.log((1.0 + x) / 2.0) + jnp.log((1.0 + x * x) / 2.0) - 2.0 * jnp.arctan(x) + math.pi / 2.0
    )
    return jnp.where(zeta < 0.0, unstable, -5.0 * jnp.maximum(zeta, 0.0))


def _psi_scalar_businger(zeta):
    neg = jnp.minimum(zeta, 0.0)
    x = (1.0 - 16.0 * neg) ** 0.25
    return jnp.where(zeta < 0.0, 2.0 * jnp.log((1.0 + x * x) / 2.0), -5.0 * jnp.maximum(zeta, 0.0))


class LargeYeager2004(AbstractBulkFormula):
    """CORE bulk formulae of Large & Yeager (2004), NCAR Tech. Note TN-460+STR, section 2.1.

    Neutral 10 m coefficients C_DN = (2.7/U10N + 0.142 + U10N/13.09) 1e-3, C_EN = 34.6e-3
    sqrt(C_DN), C_HN = 18.0e-3 sqrt(C_DN) (stable) or 32.7e-3 sqrt(C_DN) (unstable); wind
    speed at least 0.5 m s-1; stability functions of eq. (8) with |zeta| <= 10; temperature
    and humidity shifted to the wind height; `iterations` passes (LY04 recommend 2, we use 5).
    Air density from pressure, temperature and humidity and heat capacity 1004.67 J kg-1 K-1
    (LY04 use constants 1.22 kg m-3 and 1000.5). Checked against the NCAR option of
    AirSeaFluxCode 1.3.4 (tests/test_airsea.py: stress and latent within 1 %).
    """

    name: ClassVar[str] = "large_yeager"
    drag_scale: jax.Array = _drag_scale()
    sensible_scale: jax.Array = _sensible_scale()
    latent_scale: jax.Array = _latent_scale()
    gravity: float = eqx.field(static=True, default=GRAVITY)
    iterations: int = eqx.field(static=True, default=5)

    def __call__(self, wind_x, wind_y, sst, air_temperature, q_air, pressure, *, heights=DEFAULT_HEIGHTS):
        von, grav = VON_KARMAN, self.gravity
        zu, zt, zq = heights.wind, heights.temperature, heights.humidity
        speed = jnp.maximum(_speed(wind_x, wind_y, 1e-3), 0.5)
        qs = sea_surface_specific_humidity(sst, pressure)
        theta_t = air_temperature + KELVIN + 0.0098 * zt  # potential temperature at zt (K)
        sst_k = sst + KELVIN
        rhoa = air_density(air_temperature, pressure, q_air)

        def transfer(u10n, stable):
            cdn = large_yeager_neutral_drag(u10n)
            sqrt_cdn = jnp.sqrt(cdn)
            chn = jnp.where(stable, 18.0e-3, 32.7e-3) * sqrt_cdn
            cen = 34.6e-3 * sqrt_cdn
            return sqrt_cdn, chn / sqrt_cdn, cen / sqrt_cdn  # sqrt(C_D), C_H/sqrt(C_D), C_E/sqrt(C_D)

        # first guess: neutral at the measured wind, scalars at their own heights
        stable0 = theta_t - sst_k > 0.0
        sqrt_cd, ch_r, ce_r = transfer(speed, stable0)

        def iterate(_, carry):
            sqrt_cd, ch_r, ce_r, theta, q = carry
            ustar = sqrt_cd * speed
            tstar = ch_r * (theta - sst_k)
            qstar = ce_r * (q - qs)
            theta_v = theta * (1.0 + 0.608 * q)
            zeta = von * grav * zu / ustar**2 * (tstar / theta_v + qstar / (q + 1.0 / 0.608))
            zeta = jnp.clip(zeta, -10.0, 10.0)
            psi_m = _psi_momentum_businger(zeta)
            psi_h = _psi_scalar_businger(zeta)
            # shift the wind to 10 m neutral and the scalars to the wind height (LY04 eq. 9)
            u10n = jnp.maximum(speed / (1.0 + sqrt_cd / von * (math.log(zu / 10.0) - psi_m)), 0.5)
            theta = theta_t - tstar / von * (math.log(zt / zu) + psi_h - _psi_scalar_businger(zeta * zt / zu))
            q = q_air - qstar / von * (math.log(zq / zu) + psi_h - _psi_scalar_businger(zeta * zq / zu))
            sqrt_cdn, ch_rn, ce_rn = transfer(u10n, zeta > 0.0)
            # back to the wind height and stability (LY04 eq. 10)
            shift_m = math.log(zu / 10.0) - psi_m
            shift_h = math.log(zu / 10.0) - psi_h
            sqrt_cd = sqrt_cdn / (1.0 + sqrt_cdn / von * shift_m)
            ch_r = ch_rn / (1.0 + ch_rn / von * shift_h)  # C_H / sqrt(C_D) at the wind height
            ce_r = ce_rn / (1.0 + ce_rn / von * shift_h)
            return sqrt_cd, ch_r, ce_r, theta, q

        sqrt_cd, ch_r, ce_r, theta, q = jax.lax.fori_loop(
            0, self.iterations, iterate, (sqrt_cd, ch_r, ce_r, theta_t, q_air)
        )
        cd = self.drag_scale * sqrt_cd**2
        ch = self.sensible_scale * ch_r * sqrt_cd
        ce = self.latent_scale * ce_r * sqrt_cd
        sensible = rhoa * HEAT_CAPACITY_AIR * ch * speed * (theta - sst_k)
        latent = rhoa * latent_heat_of_vaporisation(sst) * ce * speed * (q - qs)
        return BulkFluxes(
            tau_x=rhoa * cd * speed * wind_x,
            tau_y=rhoa * cd * speed * wind_y,
            sensible=sensible,
            latent=latent,
            evaporation=_evaporation(latent, sst),
        )


BULK_FORMULAE: dict[str, type[AbstractBulkFormula]] = {
    cls.name: cls for cls in (Coare35, Kondo1975, LargeYeager2004)
}


# --------------------------------------------------------------------------------------------
# longwave


# Cloud-cover correction of the clear-sky net longwave, Q = Q_clear (1 - lambda C^2), with lambda
# of latitude as tabulated for the Clark et al. (1974) formula by Fung, Harrison & Lacis (1984),
# Rev. Geophys. Space Phys. 22, 177-193 (bands |lat| <= 2, 7, 15, 25, 35, 45, 55 deg). The table
# stops at 55 deg; the 45-55 deg value is used poleward of it.
_CLOUD_BAND_EDGES = (2.0, 7.0, 15.0, 25.0, 35.0, 45.0)
_CLOUD_LAMBDA = (0.51, 0.53, 0.56, 0.60, 0.64, 0.69, 0.73)


def cloud_coefficient(latitude):
    """lambda(|latitude|) of the cloud factor (1 - lambda C^2) of the Clark et al. (1974) and
    Berliand & Berliand (1952) formulae (Fung et al. 1984 table; 0.73 poleward of 45 deg)."""
    index = jnp.searchsorted(jnp.asarray(_CLOUD_BAND_EDGES), jnp.abs(latitude), side="left")
    return jnp.asarray(_CLOUD_LAMBDA)[index]


class AbstractLongwave(eqx.Module):
    """Net longwave radiation into the ocean (W m-2, usually < 0)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, longwave_series, cloud_cover, sst, air_temperature, q_air, pressure, latitude):
        """Net longwave into the ocean (W m-2) from a longwave series (net or downward, W m-2,
        unused by the cloud formulae), cloud cover (0-1), sst and air temperature (degC), q_air
        (kg kg-1), pressure (Pa), latitude (degrees)."""


class NetLongwave(AbstractLongwave):
    """The series is the net longwave into the ocean (W m-2): returned as is."""

    name: ClassVar[str] = "net"

    def __call__(self, longwave_series, cloud_cover, sst, air_temperature, q_air, pressure, latitude):
        return jnp.asarray(longwave_series)


class DownwardLongwave(AbstractLongwave):
    """The series is the downwelling longwave L_down (W m-2):
    net = emissivity (L_down - sigma SST^4), i.e. absorbed (emissivity L_down) minus emitted;
    emissivity 0.97 (COARE 3.5 code)."""

    name: ClassVar[str] = "downward"
    emissivity: jax.Array = param(
        0.97, 0.9, 1.0, doc="sea-surface longwave emissivity", source="Fairall et al. (2003), COARE 3.5 code"
    )

    def __call__(self, longwave_series, cloud_cover, sst, air_temperature, q_air, pressure, latitude):
        return self.emissivity * (longwave_series - STEFAN_BOLTZMANN * (sst + KELVIN) ** 4)


def _vapour_pressure_hpa(q_air, pressure):
    """Water vapour pressure (hPa) from specific humidity and pressure (Pa)."""
    return q_air * pressure / (EPSILON + (1.0 - EPSILON) * q_air) / 100.0


class ClarkLongwave(AbstractLongwave):
    """Clark et al. (1974): net = -[eps sigma Ts^4 (0.39 - 0.05 sqrt(e_a)) (1 - lambda C^2)
    + 4 eps sigma Ts^3 (Ts - Ta)], e_a vapour pressure (hPa), lambda the cloud
    coefficient of latitude (`cloud_coefficient`), emissivity 0.98."""

    name: ClassVar[str] = "clark"
    emissivity: jax.Array = param(
        0.98, 0.9, 1.0, doc="sea-surface longwave emissivity", source="Clark et al. (1974)"
    )

    def __call__(self, longwave_series, cloud_cover, sst, air_temperature, q_air, pressure, latitude):
        ts = sst + KELVIN
        ta = air_temperature + KELVIN
        ea = _vapour_pressure_hpa(q_air, pressure)
        cloud = 1.0 - cloud_coefficient(latitude) * cloud_cover**2
        loss = self.emissivity * STEFAN_BOLTZMANN * ts**4 * (
            0.39 - 0.05 * jnp.sqrt(ea)
        ) * cloud + 4.0 * self.emissivity * STEFAN_BOLTZMANN * ts**3 * (ts - ta)
        return -loss


class BerliandLongwave(AbstractLongwave):
    """Berliand & Berliand (1952): net = -[eps sigma Ta^4 (0.39 - 0.05 sqrt(e_a)) (1 - lambda C^2)
    + 4 eps sigma Ta^3 (Ts - Ta)], e_a vapour pressure (hPa), lambda of `cloud_coefficient`,
    emissivity 0.98."""

    name: ClassVar[str] = "berliand"
    emissivity: jax.Array = param(
        0.98, 0.9, 1.0, doc="sea-surface longwave emissivity", source="Berliand & Berliand (1952)"
    )

    def __call__(self, longwave_series, cloud_cover, sst, air_temperature, q_air, pressure, latitude):
        ts = sst + KELVIN
        ta = air_temperature + KELVIN
        ea = _vapour_pressure_hpa(q_air, pressure)
        cloud = 1.0 - cloud_coefficient(latitude) * cloud_cover**2
        loss = self.emissivity * STEFAN_BOLTZMANN * ta**4 * (
            0.39 - 0.05 * jnp.sqrt(ea)
        ) * cloud + 4.0 * self.emissivity * STEFAN_BOLTZMANN * ta**3 * (ts - ta)
        return -loss


class JoseyLongwave(AbstractLongwave):
    """Josey et al. (2003), J. Geophys. Res. 108(C4), 3108, formula 1:
    L_down = sigma (Ta + a C^2 + b C + c)^4 with a = 10.77, b = 2.34, c = -18.44 K;
    net = (1 - albedo_LW) L_down - eps sigma Ts^4, eps = 0.98, albedo_LW = 0.045."""

    name: ClassVar[str] = "josey"
    emissivity: jax.Array = param(
        0.98, 0.9, 1.0, doc="sea-surface longwave emissivity", source="Josey et al. (2003)"
    )

    def __call__(self, longwave_series, cloud_cover, sst, air_temperature, q_air, pressure, latitude):
        ts = sst + KELVIN
        ta = air_temperature + KELVIN
        effective = ta + 10.77 * cloud_cover**2 + 2.34 * cloud_cover - 18.44
        down = STEFAN_BOLTZMANN * effective**4
        return (1.0 - 0.045) * down - self.emissivity * STEFAN_BOLTZMANN * ts**4


LONGWAVE: dict[str, type[AbstractLongwave]] = {
    cls.name: cls for cls in (NetLongwave, DownwardLongwave, ClarkLongwave, BerliandLongwave, JoseyLongwave)
}


# --------------------------------------------------------------------------------------------
# sun and albedo

_SECONDS_PER_DAY = 86400.0


def _civil_year_and_day(days_since_epoch):
    """(year, zero-based day of the year) of whole days since 1970-01-01 (proleptic Gregorian;
    H. Hinnant's days-to-civil algorithm on float arrays, exact for integers)."""
    z = jnp.floor(days_since_epoch) + 719468.0
    era = jnp.floor(z / 146097.0)
    doe = z - era * 146097.0
    yoe = jnp.floor(
        (doe - jnp.floor(doe / 1460.0) + jnp.floor(doe / 36524.0) - jnp.floor(doe / 146096.0)) / 365.0
    )
    year = yoe + era * 400.0
    doy_march = doe - (365.0 * yoe + jnp.floor(yoe / 4.0) - jnp.floor(yoe / 100.0))  # from 1 March
    mp = jnp.floor((5.0 * doy_march + 2.0) / 153.0)
    month = jnp.where(mp < 10.0, mp + 3.0, mp - 9.0)
    year = jnp.where(month <= 2.0, year + 1.0, year)
    leap = ((jnp.mod(year, 4.0) == 0.0) & (jnp.mod(year, 100.0) != 0.0)) | (jnp.mod(year, 400.0) == 0.0)
    # day of year from 1 January: March-based day + Jan + Feb (59 or 60) wrapped
    jan_feb = jnp.where(leap, 60.0, 59.0)
    days_in_year = jnp.where(leap, 366.0, 365.0)
    doy = jnp.where(month <= 2.0, doy_march - 306.0, doy_march + jan_feb)
    return year, doy, days_in_year


def _fractional_year(time_seconds_utc):
    """Spencer's day angle Gamma = 2 pi (day_of_year - 1 + hour/24) / days_in_year (rad) and
    the UTC hour."""
    days = time_seconds_utc / _SECONDS_PER_DAY
    whole = jnp.floor(days)
    _, doy, days_in_year = _civil_year_and_day(whole)
    hour = (days - whole) * 24.0
    return 2.0 * math.pi * (doy + hour / 24.0) / days_in_year, hour


def solar_declination_and_equation_of_time(time_seconds_utc):
    """Solar declination (rad) and equation of time (minutes) of Spencer (1971), Search 2, 172."""
    g, _ = _fractional_year(time_seconds_utc)
    declination = (
        0.006918
        - 0.399912 * jnp.cos(g)
        + 0.070257 * jnp.sin(g)
        - 0.006758 * jnp.cos(2 * g)
        + 0.000907 * jnp.sin(2 * g)
        - 0.002697 * jnp.cos(3 * g)
        + 0.00148 * jnp.sin(3 * g)
    )
    equation_of_time = 229.18 * (
        0.000075
        + 0.001868 * jnp.cos(g)
        - 0.032077 * jnp.sin(g)
        - 0.014615 * jnp.cos(2 * g)
        - 0.040849 * jnp.sin(2 * g)
    )
    return declination, equation_of_time


def solar_altitude(time_seconds_utc, latitude, longitude):
    """Solar altitude above the horizon (degrees; < 0 at night) at a time (s since
    1970-01-01T00:00 UTC), latitude and longitude (degrees, east positive).

    Declination and equation of time of Spencer (1971); hour angle from the true solar time.
    """
    declination, equation_of_time = solar_declination_and_equation_of_time(time_seconds_utc)
    _, hour = _fractional_year(time_seconds_utc)
    solar_time = hour + longitude / 15.0 + equation_of_time / 60.0
    hour_angle = jnp.deg2rad(15.0 * (solar_time - 12.0))
    lat = jnp.deg2rad(latitude)
    sin_alt = jnp.sin(lat) * jnp.sin(declination) + jnp.cos(lat) * jnp.cos(declination) * jnp.cos(hour_angle)
    return jnp.rad2deg(jnp.arcsin(jnp.clip(sin_alt, -1.0, 1.0)))


def top_of_atmosphere_shortwave(time_seconds_utc, latitude, longitude):
    """Shortwave on a horizontal surface at the top of the atmosphere (W m-2, 0 at night):
    S0 (1 + 0.033 cos(Gamma)) sin(altitude), S0 = 1368 W m-2."""
    g, _ = _fractional_year(time_seconds_utc)
    sin_alt = jnp.sin(jnp.deg2rad(solar_altitude(time_seconds_utc, latitude, longitude)))
    return SOLAR_CONSTANT * (1.0 + 0.033 * jnp.cos(g)) * jnp.maximum(sin_alt, 0.0)


class AbstractAlbedo(eqx.Module):
    """Sea-surface shortwave albedo (0-1): absorbed = (1 - albedo) * shortwave_down."""

    name: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, shortwave_down, time_seconds_utc, latitude, longitude):
        """Albedo from the downward shortwave (W m-2), time (s since 1970-01-01 UTC), latitude
        and longitude (degrees)."""


class ConstantAlbedo(AbstractAlbedo):
    """A constant albedo."""

    name: ClassVar[str] = "constant"
    value: jax.Array = param(0.0, 0.0, 0.5, doc="sea-surface shortwave albedo")

    def __call__(self, shortwave_down, time_seconds_utc, latitude, longitude):
        return self.value + jnp.zeros_like(jnp.asarray(shortwave_down, dtype=float))


# Payne (1972), J. Atmos. Sci. 29, 959-970, Table 1 (doi:10.1175/1520-0469(1972)029<0959:AOTSS>2.0.CO;2):
# albedo of the sea surface; one row per atmospheric transmittance T = 0, 0.05, ..., 1, one column
# per solar altitude 0, 2, ..., 90 degrees (the 90-degree column is given to two decimals). Values
# as transcribed in ClimaOcean.jl (MIT), `tabulated_albedo.jl`.
# fmt: off
_PAYNE_TABLE: tuple[tuple[float, ...], ...] = (
    (  # T = 0.00
        0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061,
        0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061,
        0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061,
        0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.06,
    ),
    (  # T = 0.05
        0.062, 0.062, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061,
        0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061,
        0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061,
        0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.061, 0.06,
    ),
    (  # T = 0.10
        0.072, 0.070, 0.068, 0.065, 0.065, 0.063, 0.062, 0.061, 0.061, 0.061, 0.061, 0.061,
        0.061, 0.061, 0.061, 0.061, 0.060, 0.061, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060,
        0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060,
        0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.06,
    ),
    (  # T = 0.15
        0.087, 0.083, 0.079, 0.073, 0.070, 0.068, 0.066, 0.065, 0.064, 0.063, 0.062, 0.061,
        0.061, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060,
        0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060,
        0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.06,
    ),
    (  # T = 0.20
        0.115, 0.108, 0.098, 0.086, 0.082, 0.077, 0.072, 0.071, 0.067, 0.067, 0.065, 0.063,
        0.062, 0.061, 0.061, 0.060, 0.060, 0.060, 0.060, 0.061, 0.061, 0.061, 0.061, 0.060,
        0.059, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060,
        0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.060, 0.059, 0.059, 0.05,
    ),
    (  # T = 0.25
        0.163, 0.145, 0.130, 0.110, 0.101, 0.092, 0.084, 0.079, 0.072, 0.072, 0.068, 0.067,
        0.064, 0.063, 0.062, 0.061, 0.061, 0.061, 0.060, 0.060, 0.060, 0.060, 0.060, 0.059,
        0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059,
        0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.05,
    ),
    (  # T = 0.30
        0.235, 0.198, 0.174, 0.150, 0.131, 0.114, 0.103, 0.094, 0.083, 0.080, 0.074, 0.074,
        0.070, 0.067, 0.065, 0.064, 0.063, 0.062, 0.061, 0.060, 0.060, 0.060, 0.059, 0.059,
        0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059,
        0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.058, 0.058, 0.05,
    ),
    (  # T = 0.35
        0.318, 0.263, 0.228, 0.192, 0.168, 0.143, 0.127, 0.113, 0.099, 0.092, 0.084, 0.082,
        0.076, 0.072, 0.070, 0.067, 0.065, 0.064, 0.062, 0.062, 0.060, 0.060, 0.060, 0.059,
        0.059, 0.059, 0.059, 0.059, 0.059, 0.059, 0.058, 0.058, 0.058, 0.058, 0.058, 0.058,
        0.058, 0.058, 0.057, 0.058, 0.058, 0.058, 0.058, 0.057, 0.057, 0.05,
    ),
    (  # T = 0.40
        0.395, 0.336, 0.290, 0.248, 0.208, 0.176, 0.151, 0.134, 0.117, 0.107, 0.097, 0.091,
        0.085, 0.079, 0.075, 0.071, 0.068, 0.067, 0.065, 0.063, 0.062, 0.061, 0.060, 0.060,
        0.060, 0.059, 0.059, 0.058, 0.058, 0.058, 0.057, 0.057, 0.057, 0.057, 0.057, 0.057,
        0.057, 0.056, 0.056, 0.056, 0.056, 0.056, 0.056, 0.056, 0.056, 0.05,
    ),
    (  # T = 0.45
        0.472, 0.415, 0.357, 0.306, 0.252, 0.210, 0.176, 0.154, 0.135, 0.125, 0.111, 0.102,
        0.094, 0.086, 0.081, 0.076, 0.072, 0.071, 0.068, 0.066, 0.065, 0.063, 0.062, 0.061,
        0.060, 0.059, 0.058, 0.057, 0.057, 0.057, 0.056, 0.055, 0.055, 0.055, 0.055, 0.055,
        0.055, 0.054, 0.053, 0.054, 0.053, 0.053, 0.054, 0.054, 0.053, 0.05,
    ),
    (  # T = 0.50
        0.542, 0.487, 0.424, 0.360, 0.295, 0.242, 0.198, 0.173, 0.150, 0.136, 0.121, 0.110,
        0.101, 0.093, 0.086, 0.081, 0.076, 0.073, 0.069, 0.067, 0.065, 0.064, 0.062, 0.060,
        0.059, 0.058, 0.057, 0.056, 0.055, 0.055, 0.054, 0.053, 0.053, 0.052, 0.052, 0.052,
        0.051, 0.051, 0.050, 0.050, 0.050, 0.050, 0.051, 0.050, 0.050, 0.05,
    ),
    (  # T = 0.55
        0.604, 0.547, 0.498, 0.407, 0.331, 0.272, 0.219, 0.185, 0.160, 0.141, 0.127, 0.116,
        0.105, 0.097, 0.089, 0.083, 0.077, 0.074, 0.069, 0.066, 0.063, 0.061, 0.059, 0.057,
        0.056, 0.055, 0.054, 0.053, 0.053, 0.052, 0.051, 0.050, 0.050, 0.049, 0.049, 0.049,
        0.048, 0.047, 0.047, 0.047, 0.046, 0.046, 0.047, 0.047, 0.046, 0.04,
    ),
    (  # T = 0.60
        0.655, 0.595, 0.556, 0.444, 0.358, 0.288, 0.236, 0.190, 0.164, 0.145, 0.130, 0.119,
        0.107, 0.098, 0.090, 0.084, 0.076, 0.073, 0.068, 0.064, 0.060, 0.058, 0.056, 0.054,
        0.053, 0.051, 0.050, 0.049, 0.048, 0.048, 0.047, 0.046, 0.046, 0.045, 0.045, 0.045,
        0.044, 0.043, 0.043, 0.043, 0.042, 0.042, 0.043, 0.042, 0.042, 0.04,
    ),
    (  # T = 0.65
        0.693, 0.631, 0.588, 0.469, 0.375, 0.296, 0.245, 0.193, 0.165, 0.145, 0.131, 0.118,
        0.106, 0.097, 0.088, 0.081, 0.074, 0.069, 0.065, 0.061, 0.057, 0.055, 0.052, 0.050,
        0.049, 0.047, 0.046, 0.046, 0.044, 0.044, 0.043, 0.042, 0.042, 0.041, 0.041, 0.040,
        0.040, 0.039, 0.039, 0.039, 0.038, 0.038, 0.038, 0.038, 0.038, 0.03,
    ),
    (  # T = 0.70
        0.719, 0.656, 0.603, 0.480, 0.385, 0.300, 0.250, 0.193, 0.164, 0.145, 0.131, 0.116,
        0.103, 0.092, 0.084, 0.076, 0.071, 0.065, 0.061, 0.057, 0.054, 0.051, 0.049, 0.047,
        0.045, 0.043, 0.043, 0.042, 0.041, 0.040, 0.039, 0.039, 0.038, 0.038, 0.037, 0.036,
        0.036, 0.035, 0.035, 0.034, 0.034, 0.034, 0.034, 0.034, 0.034, 0.03,
    ),
    (  # T = 0.75
        0.732, 0.670, 0.592, 0.474, 0.377, 0.291, 0.246, 0.190, 0.162, 0.144, 0.130, 0.114,
        0.100, 0.088, 0.080, 0.072, 0.067, 0.062, 0.058, 0.054, 0.050, 0.047, 0.045, 0.043,
        0.041, 0.039, 0.039, 0.038, 0.037, 0.036, 0.036, 0.035, 0.035, 0.034, 0.033, 0.032,
        0.032, 0.032, 0.031, 0.031, 0.031, 0.030, 0.030, 0.030, 0.030, 0.03,
    ),
    (  # T = 0.80
        0.730, 0.652, 0.556, 0.444, 0.356, 0.273, 0.235, 0.188, 0.160, 0.143, 0.129, 0.113,
        0.097, 0.086, 0.077, 0.069, 0.064, 0.060, 0.055, 0.051, 0.047, 0.044, 0.042, 0.039,
        0.037, 0.035, 0.035, 0.035, 0.034, 0.033, 0.033, 0.032, 0.032, 0.032, 0.029, 0.029,
        0.029, 0.029, 0.028, 0.028, 0.028, 0.028, 0.027, 0.027, 0.028, 0.02,
    ),
    (  # T = 0.85
        0.681, 0.602, 0.488, 0.386, 0.320, 0.252, 0.222, 0.185, 0.159, 0.142, 0.127, 0.111,
        0.096, 0.084, 0.075, 0.067, 0.062, 0.058, 0.054, 0.050, 0.046, 0.042, 0.040, 0.036,
        0.035, 0.033, 0.032, 0.032, 0.031, 0.030, 0.030, 0.030, 0.030, 0.029, 0.027, 0.027,
        0.027, 0.027, 0.026, 0.026, 0.026, 0.026, 0.026, 0.026, 0.026, 0.02,
    ),
    (  # T = 0.90
        0.581, 0.494, 0.393, 0.333, 0.288, 0.237, 0.211, 0.182, 0.158, 0.141, 0.126, 0.110,
        0.095, 0.083, 0.074, 0.066, 0.061, 0.057, 0.053, 0.049, 0.045, 0.041, 0.039, 0.034,
        0.033, 0.032, 0.031, 0.030, 0.029, 0.028, 0.028, 0.028, 0.028, 0.027, 0.026, 0.026,
        0.026, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.02,
    ),
    (  # T = 0.95
        0.453, 0.398, 0.342, 0.301, 0.266, 0.226, 0.205, 0.180, 0.157, 0.140, 0.125, 0.109,
        0.095, 0.083, 0.074, 0.065, 0.061, 0.057, 0.052, 0.048, 0.044, 0.040, 0.038, 0.033,
        0.032, 0.031, 0.030, 0.029, 0.028, 0.027, 0.027, 0.026, 0.026, 0.026, 0.025, 0.025,
        0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.02,
    ),
    (  # T = 1.00
        0.425, 0.370, 0.325, 0.290, 0.255, 0.220, 0.200, 0.178, 0.157, 0.140, 0.122, 0.108,
        0.095, 0.083, 0.074, 0.065, 0.061, 0.056, 0.052, 0.048, 0.044, 0.040, 0.038, 0.033,
        0.032, 0.031, 0.030, 0.029, 0.028, 0.027, 0.026, 0.026, 0.026, 0.026, 0.025, 0.025,
        0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.025, 0.02,
    ),
)
# fmt: on


class PayneAlbedo(AbstractAlbedo):
    """Albedo of Payne (1972), J. Atmos. Sci. 29, 959-970: his Table 1 of albedo against solar
    altitude (0-90 deg, 2 deg steps) and atmospheric transmittance T = SW_down / SW_toa (0-1,
    0.05 steps), bilinearly interpolated; SW_toa = `top_of_atmosphere_shortwave`; where SW_toa < 1 W m-2
    (night) T is taken as 0 and the albedo is the overcast 0.061.

    Typical values: overcast 0.06 at any sun; clear sky (T ~ 0.7) 0.03 for a high sun, 0.3-0.5
    for a sun 4-10 deg above the horizon; Payne's mean over a day is about 0.06.
    """

    name: ClassVar[str] = "payne"

    def __call__(self, shortwave_down, time_seconds_utc, latitude, longitude):
        altitude = solar_altitude(time_seconds_utc, latitude, longitude)
        toa = top_of_atmosphere_shortwave(time_seconds_utc, latitude, longitude)
        daylight = toa > 1.0  # W m-2
        transmittance = jnp.where(daylight, jnp.clip(shortwave_down / jnp.maximum(toa, 1.0), 0.0, 1.0), 0.0)
        return payne_albedo(altitude, transmittance)


def payne_albedo(altitude, transmittance):
    """Albedo of Payne (1972) Table 1, bilinearly interpolated, at solar altitude (degrees,
    clipped to [0, 90]) and atmospheric transmittance (clipped to [0, 1])."""
    table = jnp.asarray(_PAYNE_TABLE)  # [transmittance, altitude]
    a = jnp.clip(altitude, 0.0, 90.0) / 2.0
    t = jnp.clip(transmittance, 0.0, 1.0) / 0.05
    i0 = jnp.clip(jnp.floor(a), 0.0, table.shape[1] - 2.0)
    j0 = jnp.clip(jnp.floor(t), 0.0, table.shape[0] - 2.0)
    fa, ft = a - i0, t - j0
    i, j = i0.astype(int), j0.astype(int)
    return (1.0 - ft) * ((1.0 - fa) * table[j, i] + fa * table[j, i + 1]) + ft * (
        (1.0 - fa) * table[j + 1, i] + fa * table[j + 1, i + 1]
    )


ALBEDO: dict[str, type[AbstractAlbedo]] = {"constant": ConstantAlbedo, "payne": PayneAlbedo}


# --------------------------------------------------------------------------------------------
# rain


def rain_heat_flux(precipitation, sst, air_temperature, q_air, pressure):
    """Heat flux into the ocean carried by rain (W m-2; < 0 when rain is colder than the sea).

    Gosnell, Fairall & Webster (1995), J. Geophys. Res. 100, 18437, as in the COARE 3.5 code:
    rain falls at the wet-bulb temperature, Q = -R c_pw alpha [(T_s - T_a) + (q_s - q_a) L / c_pa]
    with R the rain mass flux (kg m-2 s-1 = precipitation (m s-1) * 1000 kg m-3), alpha the
    wet-bulb factor 1 / (1 + 0.622 dq_s/dT L D_w / (c_pa D_h)), D_w, D_h the diffusivities of
    water vapour and heat in air.
    """
    t = air_temperature
    rhoa = air_density(t, pressure, q_air)
    latent_heat = latent_heat_of_vaporisation(sst)
    qs = sea_surface_specific_humidity(sst, pressure)
    dwat = 2.11e-5 * ((t + 273.16) / 273.16) ** 1.94  # water vapour diffusivity (m2 s-1)
    dtmp = (1.0 + 3.309e-3 * t - 1.44e-6 * t**2) * 0.02411 / (rhoa * HEAT_CAPACITY_AIR)  # heat
    dqs_dt = q_air * latent_heat / (GAS_CONSTANT_DRY_AIR * (t + 273.16) ** 2)  # Clausius-Clapeyron
    alpha = 1.0 / (1.0 + 0.622 * (dqs_dt * latent_heat * dwat) / (HEAT_CAPACITY_AIR * dtmp))
    mass_flux = precipitation * FRESH_WATER_DENSITY
    return (
        -mass_flux * alpha * HEAT_CAPACITY_RAIN * ((sst - t) + (qs - q_air) * latent_heat / HEAT_CAPACITY_AIR)
    )
