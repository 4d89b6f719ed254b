"""One function per foreign sign or unit convention, converting into calib's conventions.

calib's conventions (see `calib.core.grid` and `calib.core.forcing`): z is height in metres, negative
below the surface; a surface flux is positive **into** the ocean; wind stress in Pa, heat
flux in W m-2, temperature in degC.

Foreign conventions handled here:
- GOTM text forcing: heat flux in W m-2, negative = the ocean loses heat (same sign as calib).
- Oceananigans / LESbrary: kinematic fluxes, positive = **upward** (out of the ocean):
  momentum flux (m2 s-2), temperature flux (K m s-1), buoyancy flux (m2 s-3).
- Depth axes given as positive depths below the surface.

Every conversion has its own test in ``tests/test_io_readers.py``; sign conventions and units
are the classic bug class of column models, so do not inline these elsewhere.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

KELVIN_THRESHOLD = 100.0  # degC; a mean sea temperature above this is surely in kelvin
ZERO_CELSIUS = 273.15  # K


def gotm_heat_flux_to_calib(heat_flux: ArrayLike) -> NDArray[np.float64]:
    """GOTM surface heat flux (W m-2, < 0 = loss) -> calib heat flux (W m-2, > 0 into ocean).

    GOTM's ``heat_flux.dat`` is positive when the ocean gains heat, which is already calib's
    convention, so the values are returned unchanged (as a float array). The function exists
    so that the assumption is stated and tested in one place.

    Args:
        heat_flux: GOTM heat flux (W m-2), negative when the ocean loses heat.

    Returns:
        Heat flux into the ocean (W m-2).
    """
    return np.array(heat_flux, dtype=float)


def oceananigans_flux_to_calib(flux: ArrayLike) -> NDArray[np.float64]:
    """Oceananigans flux (positive upward, out of the ocean) -> calib (positive into the ocean).

    Units are kept (e.g. buoyancy flux m2 s-3 stays m2 s-3): only the sign flips.

    Args:
        flux: any surface flux in the Oceananigans convention (> 0 = upward).

    Returns:
        The same flux, positive into the ocean.
    """
    return -np.asarray(flux, dtype=float)


def oceananigans_momentum_flux_to_wind_stress(flux: ArrayLike, rho0: float) -> NDArray[np.float64]:
    """Oceananigans kinematic momentum flux (m2 s-2, > 0 upward) -> wind stress (Pa).

    tau = -rho0 * flux: a negative (downward) flux of x-momentum is a wind pushing the
    water toward +x, i.e. a positive stress into the ocean.

    Args:
        flux: kinematic momentum flux, e.g. ``boundary_condition_u_top`` (m2 s-2).
        rho0: reference density used to dimensionalise (kg m-3).

    Returns:
        Wind stress on the ocean (Pa), positive toward +x/+y.
    """
    return -rho0 * np.asarray(flux, dtype=float)


def oceananigans_temperature_flux_to_heat_flux(
    flux: ArrayLike, rho0: float, heat_capacity: float
) -> NDArray[np.float64]:
    """Oceananigans kinematic temperature flux (K m s-1, > 0 upward) -> heat flux (W m-2).

    Q = -rho0 cp F: a positive (upward) temperature flux cools the ocean, i.e. Q < 0.

    Args:
        flux: kinematic temperature flux (K m s-1), positive upward.
        rho0: reference density (kg m-3).
        heat_capacity: specific heat capacity cp (J kg-1 K-1).

    Returns:
        Heat flux into the ocean (W m-2).
    """
    return -rho0 * heat_capacity * np.asarray(flux, dtype=float)


def looks_like_kelvin(temperature: ArrayLike) -> bool:
    """Whether a temperature field is probably in kelvin rather than degC.

    Sea water lies between about -2 and 35 degC (271 to 308 K), so a mean above
    `KELVIN_THRESHOLD` (100) can only be kelvin. NaNs are ignored; an all-NaN field is not
    kelvin.

    Args:
        temperature: temperature values of unknown unit.

    Returns:
        True when the finite values average above 100.
    """
    values = np.asarray(temperature, dtype=float)
    finite = values[np.isfinite(values)]
    return bool(finite.size and finite.mean() > KELVIN_THRESHOLD)


def kelvin_to_celsius(temperature: ArrayLike) -> NDArray[np.float64]:
    """Temperature in K -> degC (T - 273.15)."""
    return np.asarray(temperature, dtype=float) - ZERO_CELSIUS


def depth_to_height(depth: ArrayLike) -> NDArray[np.float64]:
    """Depth below the surface (m, positive down) -> height z (m, negative below the surface).

    Args:
        depth: depths, >= 0 below the surface.

    Returns:
        Heights z = -depth (0 stays 0.0, not -0.0).
    """
    return 0.0 - np.asarray(depth, dtype=float)


__all__ = [
    "depth_to_height",
    "gotm_heat_flux_to_calib",
    "kelvin_to_celsius",
    "looks_like_kelvin",
    "oceananigans_flux_to_calib",
    "oceananigans_momentum_flux_to_wind_stress",
    "oceananigans_temperature_flux_to_heat_flux",
]
