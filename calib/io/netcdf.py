"""Model trajectories <-> CF-style NetCDF (through xarray), written atomically.

A file has dimensions `time`, `z` (cell centres) and `z_face` (interfaces), heights in metres
with `positive: up`; every variable carries `units` and `long_name`; global attributes record
the case YAML, the closure and its parameters, the calib version and the creation time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import CalibError

VERSION = "0.1.0"


def _attributes(field: dataclasses.Field) -> dict:
    return {k: v for k, v in field.metadata.items() if k in ("units", "long_name", "standard_name") and v}


def _module_variables(module, grid_nz: int, rename: dict | None = None) -> dict:
    """(name -> (dims, values, attrs)) for every array field of a Module with a time axis."""
    out = {}
    if module is None or not dataclasses.is_dataclass(module):
        return out
    for field in dataclasses.fields(module):
        value = getattr(module, field.name)
        if not hasattr(value, "shape") or value.ndim != 2:
            continue
        dims = ("time", "z") if value.shape[1] == grid_nz else ("time", "z_face")
        out[(rename or {}).get(field.name, field.name)] = (dims, np.asarray(value), _attributes(field))
    return out


def trajectory_to_dataset(
    trajectory, model, *, start=None, case_text: str = "", case_name: str = "", case_path: str = ""
) -> xr.Dataset:
    """xarray Dataset of a `Trajectory` (see the module docstring for the layout).

    Args:
        trajectory: output of `calib.core.integrate.simulate`.
        model: the ColumnModel that produced it (grid, closure, dt).
        start: datetime of t = 0 (numpy datetime64 or ISO string); default 2000-01-01.
        case_text: YAML text of the case, stored in the `case_yaml` attribute.
        case_name: short name of the case.
        case_path: absolute path of the case file, stored in `case_path` so that relative paths
            in `case_yaml` can be resolved (`calib fit --obs` reads both).
    """
    from calib.core.params import parameter_values

    grid = model.grid
    nz = grid.nz
    start = np.datetime64(start or "2000-01-01T00:00:00", "s")
    seconds = np.asarray(trajectory.time, dtype=float)
    time = start + (seconds * 1e3).round().astype("timedelta64[ms]")
    variables = _module_variables(trajectory.state, nz)
    variables.update(
        _module_variables(trajectory.diffusivities, nz, {"momentum": "viscosity", "tracers": "diffusivity"})
    )
    variables.update(_module_variables(trajectory.closure_state, nz))
    ds = xr.Dataset(
        {name: xr.Variable(dims, values, attrs) for name, (dims, values, attrs) in variables.items()},
        coords={
            "time": ("time", time, {"long_name": "time", "standard_name": "time"}),
            "z": ("z", np.asarray(grid.z_centers), _height_attrs("height of cell centres")),
            "z_face": ("z_face", np.asarray(grid.z_faces), _height_attrs("height of cell interfaces")),
            "dz": ("z", np.asarray(grid.dz), {"units": "m", "long_name": "cell thickness"}),
        },
    )
    closure = model.closure
    ds.attrs = {
        "Conventions": "CF-1.8",
        "title": f"calib column run {case_name}".strip(),
        "source": f"calib {VERSION} (differentiable 1-D ocean column model)",
        "history": f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} created by calib {VERSION}",
        "calib_version": VERSION,
        "case_name": case_name,
        "case_yaml": case_text,
        "case_path": case_path,
        "closure": closure.name,
        "closure_parameters": json.dumps(parameter_values(closure)),
        "time_step_s": float(model.dt),
        "coriolis_parameter_s-1": float(model.forcing.coriolis),
        "sign_convention": "surface fluxes positive into the ocean; z positive up, z = 0 at the surface",
    }
    ds.time.encoding.update(units=f"seconds since {np.datetime_as_string(start)}", calendar="standard")
    return ds


def _height_attrs(long_name: str) -> dict:
    return {"units": "m", "long_name": long_name, "standard_name": "height", "positive": "up", "axis": "Z"}


def write_dataset(
    ds: xr.Dataset, path: str | os.PathLike, *, force: bool = True, encoding: dict | None = None
) -> Path:
    """Write a Dataset to NetCDF atomically: a temporary file in the same folder, then rename.

    An interrupted write leaves the previous file (or none), never a half-written one. The file
    gets the usual permissions (0666 less the umask). Data variables are zlib-compressed unless
    `encoding` says otherwise.
    """
    path = Path(path)
    if path.exists() and not force:
        raise CalibError(f"{path}: exists; pass --force to overwrite it or choose another --out")
    if path.is_dir():
        raise CalibError(f"{path}: is a folder; give the path of the NetCDF file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise CalibError(
            f"{path}: cannot write there ({error.strerror}); choose another output path"
        ) from None
    os.close(descriptor)
    try:
        if encoding is None:
            encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars}
        ds.to_netcdf(temporary, engine="netcdf4", encoding=encoding)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open a NetCDF written by calib (loaded into memory, file closed)."""
    with xr.open_dataset(path) as ds:
        return ds.load()
