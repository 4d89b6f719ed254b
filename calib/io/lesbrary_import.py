"""LESbrary statistics (Oceananigans JLD2) -> calib observation and forcing NetCDF.

See `calib.io.importers` for the file layouts and `calib.io.lesbrary` for the reader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import DataError
from calib.common.vocabulary import VARIABLES
from calib.io.conventions import (
    oceananigans_momentum_flux_to_wind_stress,
    oceananigans_temperature_flux_to_heat_flux,
)
from calib.io.import_common import (
    FORCING_ATTRS,
    HEAT_CAPACITY,
    REFERENCE_DENSITY,
    SIGN_CONVENTION,
    TIME_ATTRS,
    _write_pair,
)
from calib.io.lesbrary import read_lesbrary
from calib.io.observations import Z_ATTRS


def _lesbrary_forcing(observations: xr.Dataset, parameters: dict) -> xr.Dataset:
    """Constant LES fluxes at the first and last saved time, converted to calib's conventions."""
    time = observations["time"].values[[0, -1]]
    tau = oceananigans_momentum_flux_to_wind_stress(parameters["momentum_flux"], REFERENCE_DENSITY)
    temperature_flux = parameters["temperature_flux"]
    heat = oceananigans_temperature_flux_to_heat_flux(temperature_flux, REFERENCE_DENSITY, HEAT_CAPACITY)
    values = dict(wind_stress_x=tau, wind_stress_y=0.0, heat_flux=heat, shortwave=0.0, freshwater_flux=0.0)
    data = {name: ("time", np.full(2, value), FORCING_ATTRS[name]) for name, value in values.items()}
    return xr.Dataset(data, coords={"time": ("time", time, TIME_ATTRS)})


def _lesbrary_attrs(parameters: dict, source: Path) -> dict:
    """Global attributes: case constants, equation of state and the conversion constants."""
    keep = {k: v for k, v in parameters.items() if k != "flux_convention"}
    renamed = {f"les_{k}" if k.endswith("_flux") else k: v for k, v in keep.items()}
    return {
        **renamed,
        "les_flux_convention": parameters["flux_convention"],
        "equation_of_state": "linear in T only: b = g alpha (T - T0), constant salinity",
        "rho0_used_for_conversion": REFERENCE_DENSITY,
        "heat_capacity_used_for_conversion": HEAT_CAPACITY,
        "bottom_boundary_condition": "LES bottom dT/dz = temperature_gradient_bottom (K m-1), not a flux",
        "source_file": source.name,
        "time_origin_note": "LES time 0 is mapped to 2000-01-01T00:00:00 (the LES has no calendar)",
        "Conventions": "CF-1.8",
        "sign_convention": SIGN_CONVENTION,
        "license": "MIT (CliMA OceananigansArtifacts.jl / LESbrary.jl)",
    }


def import_lesbrary(
    path: str | Path, out_obs: str | Path, out_forcing: str | Path, *, force: bool = False
) -> tuple[Path, Path]:
    """LESbrary statistics file -> an observation NetCDF (T, u, v, e) and a forcing NetCDF.

    Fluxes: tau_x = -rho0 * momentum_flux, heat_flux = -rho0 cp temperature_flux (the LES
    fluxes are kinematic and positive upward), with rho0 = `REFERENCE_DENSITY` and
    cp = `HEAT_CAPACITY`, recorded as attributes so that a model dividing by the same
    constants recovers the LES kinematic fluxes exactly. Shortwave and P - E are zero.

    Args:
        path: a LESbrary ``*_instantaneous_statistics.jld2`` file.
        out_obs: observation file to write (float32, zlib; ``z_bounds`` gives the LES cells).
        out_forcing: forcing file to write (float64; two records, constant in time).
        force: overwrite existing output files.

    Returns:
        (observation path, forcing path).
    """
    path = Path(path)
    observations, parameters = read_lesbrary(path)
    for key in ("momentum_flux", "temperature_flux"):
        if not isinstance(parameters.get(key), int | float) or isinstance(parameters[key], bool):
            raise DataError(f"{path}: parameters/{key} is missing or not a number; the forcing needs it")
    attrs = _lesbrary_attrs(parameters, path)
    faces = observations["z_face"].values
    obs = observations[["T", "u", "v"] + (["e"] if "e" in observations else [])]
    for name in ("T", "u", "v"):
        obs[name].attrs = {**VARIABLES[name].attributes(), "long_name": observations[name].attrs["long_name"]}
    obs = obs.assign_coords(z_bounds=(("z", "nv"), np.stack([faces[:-1], faces[1:]], axis=1), {"units": "m"}))
    obs["z"].attrs = {**Z_ATTRS, "bounds": "z_bounds"}
    obs["time"].attrs = dict(TIME_ATTRS)
    obs.attrs = {**attrs, "conversions": "halos stripped; z = Oceananigans cell centres (already heights)"}
    forcing = _lesbrary_forcing(observations, parameters)
    conversions = "tau_x = -rho0 momentum_flux; heat_flux = -rho0 cp temperature_flux"
    forcing.attrs = {**attrs, "conversions": conversions}
    return _write_pair((obs, "float32"), (forcing, "float64"), (out_obs, out_forcing), force)
