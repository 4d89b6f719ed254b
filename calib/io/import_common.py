"""What every importer shares: constants, CF attributes and the atomic writing of a file pair."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from calib.common.history import history_line
from calib.common.vocabulary import FORCING, METEOROLOGY
from calib.io import cf
from calib.io.files import atomic_writes, check_outputs

REFERENCE_DENSITY = 1027.0  # kg m-3, default rho0 of calib.core.eos.LinearEquationOfState
HEAT_CAPACITY = 3985.0  # J kg-1 K-1, calib.core.forcing.HEAT_CAPACITY
EARTH_ROTATION = 7.2921e-5  # rad s-1
TIME_ATTRS = {"standard_name": "time", "long_name": "time", "axis": "T"}
SIGN_CONVENTION = "surface fluxes positive into the ocean; z height in m, negative below the surface"

FORCING_ATTRS = {name: variable.attributes() for name, variable in FORCING.items()}


def _encoding(ds: xr.Dataset, dtype: str) -> dict:
    """zlib-compressed variables of the given float dtype, no fill value on coordinates; CF time in
    float64 seconds since the first time (`calib.io.cf.encoding`)."""
    return cf.encoding(ds, dtype)


def _vocabulary_attributes(ds: xr.Dataset) -> None:
    """A forcing or meteorological variable derived from another series (e.g. a zero P - E made
    from the heat flux) does not keep that series' standard name: it gets its own, or none where
    CF has none. A standard name the importer chose deliberately (specific_humidity ...) stays."""
    borrowed = {v.standard_name for v in (*FORCING.values(), *METEOROLOGY.values()) if v.standard_name}
    for name in ds.data_vars:
        variable = FORCING.get(str(name)) or METEOROLOGY.get(str(name))
        if variable is None:
            continue
        attrs = dict(ds[name].attrs)
        if attrs.get("standard_name") in borrowed - {variable.standard_name}:
            attrs.pop("standard_name")
        if variable.standard_name:
            attrs.setdefault("standard_name", variable.standard_name)
        attrs.setdefault("units", variable.units)
        attrs.setdefault("long_name", variable.long_name)
        ds[name].attrs = attrs


def _finalized(ds: xr.Dataset, content: str, role: str) -> xr.Dataset:
    """The Dataset with the CF/ACDD attributes of `calib.io.cf.finalize` and the history line."""
    ds = ds.copy()
    _vocabulary_attributes(ds)
    ds.attrs["history"] = history_line()
    title = ds.attrs.get("title") or f"calib {role} file"
    if "title" in ds.attrs and role not in str(title):
        title = f"{title}: {role}"
    summary = ds.attrs.get("summary") or f"{role.capitalize()} converted by calib for its 1-D column model"
    return cf.finalize(ds.assign_attrs(title=title, summary=summary), content=content)


def _write_pair(
    observations: tuple[xr.Dataset, str],
    forcing: tuple[xr.Dataset, str],
    paths,
    force: bool,
    *,
    content: str = "physicalMeasurement",
):
    """Write the observation and forcing files (compressed NetCDF4, the given float dtypes)
    together and atomically: both or neither (see `calib.io.files`), with the CF/ACDD
    attributes of `calib.io.cf` (`content`: ACDD coverage_content_type of the data variables,
    "modelResult" for LES output)."""
    check_outputs(*paths, force=force)
    with atomic_writes(paths) as temporaries:
        for (ds, dtype), temporary, role in zip(
            (observations, forcing), temporaries, ("observations", "forcing"), strict=True
        ):
            ds = _finalized(ds, content, role)
            ds.to_netcdf(temporary, engine="netcdf4", encoding=_encoding(ds, dtype))
    return tuple(Path(p) for p in paths)
