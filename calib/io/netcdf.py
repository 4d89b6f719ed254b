"""Model trajectories <-> CF-style NetCDF (through xarray), written atomically.

A file has dimensions `time`, `z` (cell centres) and `z_face` (interfaces), heights in metres
with `positive: up`, `z_bounds` from the faces and scalar `lat`/`lon` where the position is known;
every variable carries `units` and `long_name` (and a CF `standard_name` where one exists); global
attributes record the case YAML, the closure and its parameters, the calib version, the Coriolis
parameter (`coriolis_parameter`, s-1) and the ACDD discovery attributes (`calib.io.cf`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from calib.common.history import VERSION, history_line
from calib.common.vocabulary import DIFFUSIVITY_NAMES
from calib.io import cf
from calib.io.files import atomic_write, check_outputs


def _attributes(field: dataclasses.Field) -> dict:
    return {k: v for k, v in field.metadata.items() if k in ("units", "long_name", "standard_name") and v}


def _module_variables(module, grid_nz: int, rename: dict | None = None) -> dict:
    """(name -> (dims, values, attrs)) for every array field of a Module with a time axis."""
    out = {}
    if module is None or not dataclasses.is_dataclass(module):
        return out
    for field in dataclasses.fields(module):
        value = getattr(module, field.name)
        if not hasattr(value, "shape") or value.ndim not in (1, 2):
            continue
        if value.ndim == 1:
            dims = ("time",)
        else:
            dims = ("time", "z") if value.shape[1] == grid_nz else ("time", "z_face")
        out[(rename or {}).get(field.name, field.name)] = (dims, np.asarray(value), _attributes(field))
    return out


def trajectory_to_dataset(
    trajectory,
    model,
    *,
    case=None,
    start=None,
    case_text: str = "",
    case_name: str = "",
    case_path: str = "",
) -> xr.Dataset:
    """xarray Dataset of a `Trajectory` (see the module docstring for the layout).

    Args:
        trajectory: output of `calib.core.integrate.simulate`.
        model: the ColumnModel that produced it (grid, closure, dt).
        case: the `calib.config.Case` it ran (its text, name, file, folder and start date
            fill the arguments below that are not given).
        start: datetime of t = 0 (numpy datetime64 or ISO string); default 2000-01-01.
        case_text: YAML text of the case, stored in the `case_yaml` attribute.
        case_name: short name of the case.
        case_path: absolute path of the case file, stored in `case_path`; its folder (or the
            case's own folder) is stored in `case_base_dir` so that relative paths in
            `case_yaml` can be resolved (`calib fit --obs` reads them).
    """
    base_dir = ""
    if case is not None:
        case_text = case_text or case.text
        case_name = case_name or case.name
        if not case_path and case.source != "<string>" and Path(case.source).is_file():
            case_path = str(Path(case.source).resolve())
        base_dir = str(Path(case.base_dir).resolve())
        if start is None and case.time.start is not None:
            start = np.datetime64(case.time.start, "s")
    base_dir = base_dir or (str(Path(case_path).parent) if case_path else "")
    from calib.core.params import get_parameter, parameter_values, variant_name, variant_options

    grid = model.grid
    nz = grid.nz
    start = np.datetime64(start or "2000-01-01T00:00:00", "s")
    seconds = np.asarray(trajectory.time, dtype=float)
    time = start + (seconds * 1e3).round().astype("timedelta64[ms]")
    variables = _module_variables(trajectory.state, nz)
    variables.update(_module_variables(trajectory.diffusivities, nz, DIFFUSIVITY_NAMES))
    variables.update(_module_variables(trajectory.closure_state, nz))
    ds = xr.Dataset(
        {name: xr.Variable(dims, values, attrs) for name, (dims, values, attrs) in variables.items()},
        coords={
            "time": ("time", time, {"long_name": "time", "standard_name": "time"}),
            "z": ("z", np.asarray(grid.z_centers), _height_attrs("height of cell centres")),
            "z_face": ("z_face", np.asarray(grid.z_faces), _height_attrs("height of cell interfaces")),
            "dz": (
                "z",
                np.asarray(grid.dz),
                {"units": "m", "long_name": "cell thickness", "standard_name": "cell_thickness"},
            ),
        },
    )
    _seawater_attributes(ds, model.eos)
    closure = model.closure
    ds.attrs = {
        "title": f"calib column run {case_name}".strip(),
        "source": f"calib {VERSION} (differentiable 1-D ocean column model)",
        "history": history_line("calib.run"),
        "calib_version": VERSION,
        "case_name": case_name,
        "case_yaml": case_text,
        "case_path": case_path,
        "case_base_dir": base_dir,
        "closure": closure.name,
        "closure_parameters": json.dumps(parameter_values(closure)),
        "closure_variants": json.dumps(
            {f: variant_name(get_parameter(closure, f)) for f in variant_options(closure)}
        ),
        "time_step_s": float(model.dt),
        "coriolis_parameter": float(model.forcing.coriolis),
        "sign_convention": "surface fluxes positive into the ocean; z positive up, z = 0 at the surface",
    }
    latitude, longitude = _position(case, model)
    summary = (
        f"Simulation of the case {case_name or 'given from Python'} by calib, a differentiable 1-D ocean "
        f"water-column model, with the {closure.name} closure: prognostic velocity, temperature and "
        "salinity profiles, eddy viscosity and diffusivity"
    )
    ds = cf.finalize(ds, summary=summary, content="modelResult", latitude=latitude, longitude=longitude)
    ds.time.encoding.update(units=f"seconds since {np.datetime_as_string(start)}", calendar="standard")
    return ds


def _seawater_attributes(ds: xr.Dataset, eos) -> None:
    """T and S of a TEOS-10 model are conservative temperature and absolute (g kg-1) or practical
    salinity (the `salinity` of `calib.core.eos.Teos10Polynomial`)."""
    if type(eos).__name__ != "Teos10Polynomial":
        return
    if "T" in ds:
        ds["T"].attrs.update(standard_name="sea_water_conservative_temperature",
                             long_name="sea water conservative temperature")  # fmt: skip
    if "S" in ds and getattr(eos, "salinity", "absolute") == "absolute":
        ds["S"].attrs.update(standard_name="sea_water_absolute_salinity", units="g kg-1",
                             long_name="sea water absolute salinity")  # fmt: skip


def _longitude_of_forcing_files(forcing, latitude: float | None) -> float | None:
    """The `longitude` global attribute of the case's forcing files (as calib's importers write
    it), when their `latitude` is the case's."""
    import netCDF4

    for series in vars(forcing).values():
        path = getattr(series, "file", None)
        if path is None or not Path(path).is_file():
            continue
        try:
            with netCDF4.Dataset(path) as dataset:
                attrs = {name: dataset.getncattr(name) for name in dataset.ncattrs()}
        except OSError:
            continue
        if "longitude" not in attrs:
            continue
        if latitude is not None and abs(float(attrs.get("latitude", latitude)) - latitude) > 0.01:
            continue
        return float(attrs["longitude"])
    return None


def _given_in_yaml(text: str, key: str) -> bool:
    """Whether the case YAML gives forcing.<key>."""
    try:
        forcing = (yaml.safe_load(text) or {}).get("forcing")
    except (yaml.YAMLError, AttributeError):
        return False
    return isinstance(forcing, dict) and key in forcing


def _position(case, model) -> tuple[float | None, float | None]:
    """(latitude, longitude) in degrees: the case's forcing.latitude (else the latitude of the model's
    Coriolis parameter) and forcing.longitude when the case gives one."""
    forcing = getattr(case, "forcing", None)
    latitude = getattr(forcing, "latitude", None)
    if latitude is None:
        latitude = cf.latitude_from_coriolis(float(model.forcing.coriolis))
    longitude = getattr(forcing, "longitude", None)
    if longitude is not None and not _given_in_yaml(getattr(case, "text", ""), "longitude"):
        longitude = None  # the default (0) is no position
    if longitude is None and forcing is not None:
        longitude = _longitude_of_forcing_files(forcing, latitude)
    return (None if latitude is None else float(latitude)), (None if longitude is None else float(longitude))


def _height_attrs(long_name: str) -> dict:
    return {"units": "m", "long_name": long_name, "standard_name": "height", "positive": "up", "axis": "Z"}


def write_dataset(
    ds: xr.Dataset, path: str | os.PathLike, *, force: bool = False, encoding: dict | None = None
) -> Path:
    """Write a Dataset to NetCDF atomically (`calib.io.files.atomic_write`).

    An interrupted or failed write leaves the previous file (or none), never a half-written one,
    and fails with one line naming the reason (a full disk, no permission). Data variables are
    zlib-compressed unless `encoding` says otherwise.

    Args:
        ds: the Dataset.
        path: the NetCDF file to write.
        force: overwrite an existing file (by default an existing file is an error, as on the
            command line).
        encoding: per-variable NetCDF encoding (xarray's `to_netcdf` argument), on top of
            `calib.io.cf.encoding` (no fill value on coordinates, float64 CF time).

    The CF/ACDD attributes of `calib.io.cf.finalize` are added where the Dataset lacks them.
    """
    check_outputs(path, force=force)
    ds = cf.finalize(ds, feature_type=ds.attrs.get("featureType", "auto"))
    encoding = cf.merge_encoding(ds, encoding)
    return atomic_write(path, lambda temporary: ds.to_netcdf(temporary, engine="netcdf4", encoding=encoding))


def read_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open a NetCDF written by calib (loaded into memory, file closed)."""
    with xr.open_dataset(path) as ds:
        return ds.load()


def read_trajectory(path: str | os.PathLike) -> xr.Dataset:
    """A trajectory written by `calib run` (T on time, z; CF time), checked, in memory.

    Raises:
        DataError: unreadable, or not a trajectory (the message says what is missing).
    """
    from calib.common.errors import DataError, one_line

    try:
        model = read_dataset(path)
    except (OSError, ValueError) as error:
        raise DataError(
            f"{path}: cannot read the trajectory ({one_line(error)}); give a NetCDF written by calib run"
        ) from None
    if "T" not in model or "z" not in model.coords or set(model["T"].dims) != {"time", "z"}:
        raise DataError(
            f"{path}: no T on (time, z); give a NetCDF written by calib run with T among its outputs"
        )
    numeric_T = np.issubdtype(model["T"].dtype, np.number)
    if not numeric_T or not np.issubdtype(model["time"].dtype, np.datetime64):
        raise DataError(f"{path}: T is not numeric or time is not a CF time; give a file of calib run")
    if model.sizes["time"] == 0 or model.sizes["z"] == 0:
        raise DataError(f"{path}: no saved state (empty time or z); give a file of calib run")
    return model
