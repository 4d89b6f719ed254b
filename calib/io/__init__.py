"""Data in and out: foreign readers (GOTM text, LESbrary), sign/unit conventions,
observation files and their alignment onto the model grid, trajectories as CF NetCDF, importers
that write calib's observation and forcing NetCDF files, and `files`: the one way calib writes a
file (refuse to overwrite, atomic, one-line errors).

Submodules are imported on first use (``calib.io.read_gotm_profiles`` etc.), so importing
one of them, e.g. `calib.io.netcdf`, does not pull in h5py or the other readers.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "depth_to_height": "conventions",
    "gotm_heat_flux_to_calib": "conventions",
    "looks_like_kelvin": "conventions",
    "oceananigans_flux_to_calib": "conventions",
    "oceananigans_momentum_flux_to_wind_stress": "conventions",
    "oceananigans_temperature_flux_to_heat_flux": "conventions",
    "read_gotm_profiles": "gotm",
    "read_gotm_timeseries": "gotm",
    "read_lesbrary": "lesbrary",
    "align": "observations",
    "load_observations": "observations",
    "import_gotm": "importers",
    "import_lesbrary": "importers",
    "read_dataset": "netcdf",
    "read_trajectory": "netcdf",
    "trajectory_to_dataset": "netcdf",
    "write_dataset": "netcdf",
    "atomic_write": "files",
    "check_outputs": "files",
}


def __getattr__(name: str):
    """Import the submodule that defines `name` when it is first asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'calib.io' has no attribute {name!r}")
    return getattr(importlib.import_module(f"calib.io.{_EXPORTS[name]}"), name)


__all__ = sorted(_EXPORTS)
