"""What every importer shares: constants, CF attributes and the atomic writing of a file pair."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.history import history_line
from calib.common.vocabulary import FORCING
from calib.io.files import atomic_writes, check_outputs

REFERENCE_DENSITY = 1027.0  # kg m-3, default rho0 of calib.core.eos.LinearEquationOfState
HEAT_CAPACITY = 3985.0  # J kg-1 K-1, calib.core.forcing.HEAT_CAPACITY
EARTH_ROTATION = 7.2921e-5  # rad s-1
TIME_ATTRS = {"standard_name": "time", "axis": "T"}
SIGN_CONVENTION = "surface fluxes positive into the ocean; z height in m, negative below the surface"

FORCING_ATTRS = {name: variable.attributes() for name, variable in FORCING.items()}


def _encoding(ds: xr.Dataset, dtype: str) -> dict:
    """zlib-compressed variables of the given float dtype; CF time in seconds since the first time."""
    compressed = {"zlib": True, "complevel": 5, "dtype": dtype, "_FillValue": np.nan}
    encoding = {str(name): dict(compressed) for name in ds.data_vars}
    encoding.update({str(name): {"_FillValue": None} for name in ds.coords if name != "time"})
    first = str(ds["time"].values[0].astype("datetime64[s]")).replace("T", " ")
    encoding["time"] = {"units": f"seconds since {first}", "calendar": "proleptic_gregorian", "dtype": "f8"}
    return encoding


def _write_pair(observations: tuple[xr.Dataset, str], forcing: tuple[xr.Dataset, str], paths, force: bool):
    """Write the observation and forcing files (compressed NetCDF4, the given float dtypes)
    together and atomically: both or neither (see `calib.io.files`)."""
    check_outputs(*paths, force=force)
    with atomic_writes(paths) as temporaries:
        for (ds, dtype), temporary in zip((observations, forcing), temporaries, strict=True):
            ds.attrs["history"] = history_line()
            ds.to_netcdf(temporary, engine="netcdf4", encoding=_encoding(ds, dtype))
    return tuple(Path(p) for p in paths)
