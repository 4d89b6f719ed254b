"""Reader for LESbrary horizontally averaged statistics: Oceananigans JLD2 (= HDF5) files and
their NetCDF export.

Three layouts are read:

1. **Temperature suite** (the "two-day suite" of OceananigansArtifacts.jl): ``grid/`` (with
   ``Hz`` halo cells on each side of the ``Nz`` interior cells), ``parameters/`` (case
   constants), ``buoyancy/`` (linear equation of state), ``coriolis/`` and
   ``timeseries/<field>/<iteration>`` profiles shaped (Nz + 2 Hz, 1, 1) including the halos,
   with the time (s) of each iteration in ``timeseries/t/<iteration>``; fields ``T`` (degC),
   ``u``, ``v``, ``b``, ``e``.
2. **Buoyancy suite** (LESbrary.jl ``three_layer_constant_fluxes``, the LES that calibrated
   CATKE, Wagner et al. 2025): the same JLD2 layout with a ``BuoyancyTracer`` (``b``, m s-2,
   instead of ``T``), a passive tracer ``c``, a **stretched** z grid (non-uniform
   ``grid/zᵃᵃᶠ``; newer Oceananigans store ``grid/z/cᵃᵃᶠ`` and ``grid/z/cᵃᵃᶜ``) and the case in
   ``parameters/``: ``momentum_flux``, ``buoyancy_flux``, ``N²_surface_layer``,
   ``N²_thermocline``, ``N²_deep`` (also read as ``N2_...``), ``coriolis_parameter``, the
   tracer source and Stokes drift constants.
3. **NetCDF export** of layout 2: dims ``time``, ``zr`` (cell centres) and ``zw`` (faces),
   profiles ``b`` (or ``T``), ``u``, ``v`` (and ``c`` or ``pt``, ``e``) on (time, zr), scalars
   ``grav`` (m s-2), ``fcor`` (s-1), ``ustr_sfc`` (and ``vstr_sfc``) and ``b_sfc`` (as
   variables or global attributes).

   ``ustr_sfc`` is read by its ``units``: ``m2 s-2`` = kinematic wind stress (the CROCO /
   single-column-model meaning of ``ustr``: stress / rho0), ``m s-1`` = friction velocity
   u* (stress = rho0 u* abs(u*), toward +x for u* > 0), ``Pa`` / ``N m-2`` = stress. A file
   without units is read as kinematic stress. ``ustr_sfc`` and ``b_sfc`` are taken as
   positive **into the ocean** (the ocean-model convention of these names), unless their
   attributes say the flux is positive upward (``positive: up``, or "upward", "out of the
   ocean" or "Oceananigans" in the long name / sign-convention attributes).

Whatever the layout, the returned parameters use the **Oceananigans convention** (kinematic,
positive upward, out of the ocean) for ``momentum_flux``, ``momentum_flux_y``,
``temperature_flux`` and ``buoyancy_flux``; convert them with `calib.io.conventions` before
use as calib forcing.
"""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from calib.common.errors import DataError, one_line
from calib.io.import_common import REFERENCE_DENSITY  # the rho0 that turns a stress into m2 s-2

EPOCH = np.datetime64("2000-01-01T00:00:00", "ns")  # LES time 0 (the LES has no calendar)

FIELDS = {
    # field: (units, long name); u, v and one of T or b are required, the rest read when present
    "T": ("degC", "horizontally averaged temperature"),
    "u": ("m s-1", "horizontally averaged x velocity"),
    "v": ("m s-1", "horizontally averaged y velocity"),
    "b": ("m s-2", "horizontally averaged buoyancy"),
    "e": ("m2 s-2", "resolved turbulent kinetic energy"),
    "c": ("1", "horizontally averaged passive tracer concentration"),
}
REQUIRED_FIELDS = ("u", "v")
STATE_FIELDS = ("T", "b")  # at least one of them

PARAMETERS = {
    # calib key: HDF5 paths in the file, first found wins
    "name": ("parameters/name",),
    "momentum_flux": ("parameters/momentum_flux",),  # m2 s-2, > 0 upward
    "temperature_flux": ("parameters/temperature_flux",),  # K m s-1, > 0 upward
    "buoyancy_flux": ("parameters/buoyancy_flux",),  # m2 s-3, > 0 upward
    "penetrating_buoyancy_flux": ("parameters/penetrating_buoyancy_flux",),  # m2 s-3, > 0 upward
    "first_light_penetration_fraction": ("parameters/first_light_penetration_fraction",),
    "first_light_penetration_scale": ("parameters/first_light_penetration_scale",),  # m
    "second_light_penetration_scale": ("parameters/second_light_penetration_scale",),  # m
    "coriolis_parameter": ("coriolis/f", "parameters/coriolis_parameter"),  # s-1
    "N2_surface_layer": ("parameters/N²_surface_layer", "parameters/N2_surface_layer"),  # s-2
    "N2_thermocline": ("parameters/N²_thermocline", "parameters/N2_thermocline"),  # s-2
    "N2_deep": ("parameters/N²_deep", "parameters/N2_deep"),  # s-2
    "surface_layer_depth": ("parameters/surface_layer_depth",),  # m
    "thermocline_width": ("parameters/thermocline_width",),  # m
    "temperature_surface": ("parameters/θ_surface",),  # degC
    "temperature_gradient_bottom": ("parameters/boundary_condition_θ_bottom",),  # K m-1
    "buoyancy_gradient_bottom": ("parameters/boundary_condition_b_bottom",),  # s-2
    "tracer_forcing_timescale": ("parameters/tracer_forcing_timescale",),  # s
    "tracer_forcing_width": ("parameters/tracer_forcing_width",),  # m
    "tracer_forcing_depth": ("parameters/tracer_forcing_depth",),  # m (positive)
    "stokes_drift_surface_velocity": ("parameters/stokes_drift_surface_velocity",),  # m s-1
    "thermal_expansion": ("buoyancy/model/equation_of_state/α",),  # K-1
    "haline_contraction": ("buoyancy/model/equation_of_state/β",),  # psu-1
    "gravity": (
        "buoyancy/model/gravitational_acceleration",
        "buoyancy/gravitational_acceleration",
        "parameters/gravitational_acceleration",
    ),  # m s-2
    "reference_salinity": ("buoyancy/model/constant_salinity",),  # psu
    "lesbrary_commit": ("parameters/LESbrary_jl_commit_SHA1",),
}
GRIDS = (  # (centres, faces) addresses: Oceananigans < 0.95, then >= 0.95
    ("grid/zᵃᵃᶜ", "grid/zᵃᵃᶠ"),
    ("grid/z/cᵃᵃᶜ", "grid/z/cᵃᵃᶠ"),
)
UPWARD = "Oceananigans: kinematic, positive upward (out of the ocean)"

# NetCDF export: profile names in the file for each field, scalar names
NETCDF_FIELDS = {"T": ("T", "temp"), "u": ("u",), "v": ("v",), "b": ("b",), "e": ("e", "tke"),
                 "c": ("c", "pt")}  # fmt: skip
NETCDF_SCALARS = {"gravity": "grav", "coriolis_parameter": "fcor"}
STRESS_UNITS = {  # units of ustr_sfc -> meaning
    "m2 s-2": "kinematic", "m2/s2": "kinematic", "m^2 s^-2": "kinematic", "m^2/s^2": "kinematic",
    "m2.s-2": "kinematic", "m s-1": "friction_velocity", "m/s": "friction_velocity",
    "m.s-1": "friction_velocity", "m s^-1": "friction_velocity", "pa": "stress", "n m-2": "stress",
    "n/m2": "stress", "n m^-2": "stress",
}  # fmt: skip


def _scalar(value) -> float | int | str:
    """A Python scalar from an HDF5 scalar (JLD2 strings are a (string, offset, length) record)."""
    if isinstance(value, np.void) and "string" in (value.dtype.names or ()):
        value = value["string"]
    if isinstance(value, bytes):
        return value.decode().strip()
    return value.item() if isinstance(value, np.generic) else value


def _parameters(path: Path, file: h5py.File) -> dict:
    """Case constants (see `PARAMETERS`); keys missing from the file, or whose value is not a
    number or a string (e.g. Julia's ``nothing``), are left out."""
    parameters = {}
    for key, addresses in PARAMETERS.items():
        for address in addresses:
            if address in file and isinstance(file[address], h5py.Dataset):
                try:
                    value = _scalar(file[address][()])
                except (TypeError, ValueError, OSError):
                    continue
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    parameters[key] = value
                    break
    parameters["flux_convention"] = UPWARD
    return parameters


def _interior(path: Path, file: h5py.File) -> tuple[slice, np.ndarray, np.ndarray]:
    """(slice of the interior cells, their centre heights, the interior face heights) in m."""
    addresses = next((pair for pair in GRIDS if pair[0] in file and pair[1] in file), GRIDS[0])
    try:
        halo, nz = int(file["grid/Hz"][()]), int(file["grid/Nz"][()])
        centers, faces = file[addresses[0]][()], file[addresses[1]][()]
        interior = slice(halo, halo + nz)
        centers, faces = np.asarray(centers[interior], float), np.asarray(faces[halo : halo + nz + 1], float)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as error:
        raise DataError(
            f"{path}: missing or malformed grid entry ({error}); "
            "expected an Oceananigans JLD2 statistics file"
        ) from None
    if halo < 0 or nz < 1 or centers.size != nz or faces.size != nz + 1:
        raise DataError(f"{path}: grid/Nz = {nz} and grid/Hz = {halo} do not match the grid heights stored")
    return interior, centers, faces


def _iterations(path: Path, file: h5py.File) -> tuple[list[str], np.ndarray]:
    """Saved iterations in order and their times (s)."""
    if "timeseries/t" not in file:
        raise DataError(f"{path}: no timeseries/t group; expected LESbrary instantaneous statistics")
    try:
        keys = sorted((k for k in file["timeseries/t"] if k.isascii() and k.isdigit()), key=int)
        seconds = np.array([float(file[f"timeseries/t/{k}"][()]) for k in keys])
    except (TypeError, ValueError) as error:
        raise DataError(f"{path}: timeseries/t is not a group of scalar times ({error})") from None
    if seconds.size == 0 or np.any(np.diff(seconds) <= 0):
        raise DataError(f"{path}: timeseries/t is empty or not increasing; the file may be truncated")
    return keys, seconds


def _field(path: Path, file: h5py.File, name: str, keys: list[str], interior: slice) -> np.ndarray:
    """(n_times, nz) interior values of one centred field, halos stripped."""
    group = file[f"timeseries/{name}"]
    missing = [k for k in keys if k not in group]
    if missing:
        raise DataError(f"{path}: timeseries/{name} lacks iteration {missing[0]} that timeseries/t has")
    try:
        profiles = [np.asarray(group[k][()], dtype=float).reshape(-1)[interior] for k in keys]
    except (TypeError, ValueError) as error:
        raise DataError(f"{path}: timeseries/{name} holds something other than profiles ({error})") from None
    if any(p.size != interior.stop - interior.start for p in profiles):
        raise DataError(f"{path}: timeseries/{name}: a profile is shorter than grid/Nz + 2 grid/Hz")
    return np.stack(profiles)


def _missing_state(path: Path, where: str) -> DataError:
    return DataError(
        f"{path}: no {where}T or {where}b; expected temperature (T, degC) or buoyancy (b, m s-2) "
        "profiles with u and v"
    )


def _read_jld2(path: Path, file: h5py.File) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, dict]:
    """(fields, seconds, centres, faces, parameters) of an Oceananigans JLD2 statistics file."""
    interior, centers, faces = _interior(path, file)
    keys, seconds = _iterations(path, file)
    parameters = _parameters(path, file)
    if not any(f"timeseries/{name}" in file for name in STATE_FIELDS):
        raise _missing_state(path, "timeseries/")
    data = {}
    for name in FIELDS:
        if f"timeseries/{name}" not in file:
            if name in REQUIRED_FIELDS:
                raise DataError(f"{path}: no timeseries/{name}; expected u and v profiles with T or b")
            continue
        data[name] = _field(path, file, name, keys, interior)
    return data, seconds, centers, faces, parameters


def _text_attrs(variable: xr.DataArray | None, ds: xr.Dataset) -> str:
    """The attributes that may state a sign convention, lower case, in one string."""
    attrs = dict(variable.attrs) if variable is not None else {}
    words = [str(attrs.get(key, "")) for key in ("positive", "long_name", "sign_convention", "comment")]
    words.append(str(ds.attrs.get("sign_convention", "")) + " " + str(ds.attrs.get("flux_convention", "")))
    return " ".join(words).lower()


def _is_upward(variable: xr.DataArray | None, ds: xr.Dataset) -> bool:
    """Whether the attributes say the flux is positive upward (out of the ocean)."""
    text = _text_attrs(variable, ds)
    if variable is not None and str(variable.attrs.get("positive", "")).lower() in ("up", "upward"):
        return True
    return bool(re.search(r"upward|out of the ocean|oceananigans|positive up\b", text))


def _netcdf_scalar(path: Path, ds: xr.Dataset, name: str) -> tuple[float | None, xr.DataArray | None]:
    """(value, variable) of a scalar given as a 0-d (or constant 1-d) variable or a global attribute."""
    if name in ds.variables:
        values = np.asarray(ds[name].values, dtype=float).reshape(-1)
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise DataError(f"{path}: {name}: empty or not finite; expected one number")
        if np.ptp(values) > 1e-12 * max(np.abs(values).max(), 1e-300):
            raise DataError(f"{path}: {name}: varies in time; only constant LES fluxes are supported")
        return float(values[0]), ds[name]
    if name in ds.attrs:
        try:
            return float(np.asarray(ds.attrs[name]).reshape(-1)[0]), None
        except (TypeError, ValueError):
            raise DataError(f"{path}: global attribute {name} = {ds.attrs[name]!r} is not a number") from None
    return None, None


def _momentum_flux(path: Path, ds: xr.Dataset, name: str, rho0: float) -> tuple[float | None, str]:
    """Oceananigans kinematic momentum flux (m2 s-2, > 0 upward) from ustr_sfc / vstr_sfc, and
    a note of how the file's value was read."""
    value, variable = _netcdf_scalar(path, ds, name)
    if value is None:
        return None, ""
    units = str(variable.attrs.get("units", "")).strip().lower() if variable is not None else ""
    meaning = STRESS_UNITS.get(" ".join(units.split())) if units else "kinematic"
    if meaning is None:
        raise DataError(
            f"{path}: {name}: units {units!r} not understood; expected m2 s-2 (kinematic stress), "
            "m s-1 (friction velocity) or Pa"
        )
    kinematic = {"kinematic": value, "friction_velocity": value * abs(value), "stress": value / rho0}[meaning]
    upward = _is_upward(variable, ds)
    note = (
        f"{name} = {value:g} read as {meaning.replace('_', ' ')}"
        f"{'' if units else ' (no units attribute)'}, positive {'upward' if upward else 'into the ocean'}"
    )
    return (kinematic if upward else -kinematic), note


def _read_netcdf(path: Path, ds: xr.Dataset) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, dict]:
    """(fields, seconds, centres, faces, parameters) of the NetCDF export (dims time, zr, zw)."""
    for dim in ("time", "zr", "zw"):
        if dim not in ds.dims:
            raise DataError(
                f"{path}: no dimension {dim!r} (has {list(ds.dims)}); expected the LES NetCDF export "
                "with dims time, zr (cell centres) and zw (faces)"
            )
    for coordinate in ("zr", "zw"):
        if coordinate not in ds.variables:
            raise DataError(f"{path}: no variable {coordinate!r} with the heights of the {coordinate} levels")
    centers, faces = (np.asarray(ds[name].values, dtype=float) for name in ("zr", "zw"))
    if faces.size != centers.size + 1 or not (np.isfinite(centers).all() and np.isfinite(faces).all()):
        raise DataError(f"{path}: zw has {faces.size} faces for {centers.size} zr centres; expected nz + 1")
    if np.all(faces >= 0) and np.all(centers >= 0):  # depths, positive down
        centers, faces = -centers, -faces
    order, face_order = np.argsort(centers), np.argsort(faces)
    centers, faces = centers[order], faces[face_order]
    if abs(faces[-1]) > 1e-6 * max(abs(faces[0]), 1.0) or np.any(np.diff(faces) <= 0):
        raise DataError(
            f"{path}: zw must hold distinct face heights ending at the surface (0); got {faces[-1]:g}"
        )
    faces[-1] = 0.0
    seconds = _netcdf_seconds(path, ds)
    found = {
        name: next((n for n in names if n in ds.data_vars), None) for name, names in NETCDF_FIELDS.items()
    }
    if found["T"] is None and found["b"] is None:
        raise _missing_state(path, "variable ")
    data = {}
    for name, variable in found.items():
        if variable is None:
            if name in REQUIRED_FIELDS:
                raise DataError(f"{path}: no variable {name!r}; expected u and v profiles with T or b")
            continue
        array = ds[variable]
        if set(array.dims) != {"time", "zr"}:
            raise DataError(f"{path}: {variable}: dims {array.dims}; expected (time, zr)")
        data[name] = np.asarray(array.transpose("time", "zr").values, dtype=float)[:, order]
    parameters: dict = {"name": str(ds.attrs.get("name", path.stem))}
    for key, name in NETCDF_SCALARS.items():
        value, _ = _netcdf_scalar(path, ds, name)
        if value is not None:
            parameters[key] = value
    notes = []
    for key, name in (("momentum_flux", "ustr_sfc"), ("momentum_flux_y", "vstr_sfc")):
        value, note = _momentum_flux(path, ds, name, REFERENCE_DENSITY)
        if value is not None:
            parameters[key] = value
            notes.append(note)
    for key, name in (("buoyancy_flux", "b_sfc"), ("temperature_flux", "t_sfc")):
        value, variable = _netcdf_scalar(path, ds, name)
        if value is not None:
            upward = _is_upward(variable, ds)
            parameters[key] = value if upward else -value
            notes.append(f"{name} = {value:g} read as positive {'upward' if upward else 'into the ocean'}")
    parameters["flux_convention"] = UPWARD
    parameters["netcdf_flux_reading"] = "; ".join(notes)
    return data, seconds, centers, faces, parameters


def _netcdf_seconds(path: Path, ds: xr.Dataset) -> np.ndarray:
    """Seconds since the first record (times as numbers of seconds or as dates)."""
    if "time" not in ds.variables:
        raise DataError(f"{path}: no time coordinate values; add a 'time' variable (s)")
    time = ds["time"].values
    if np.issubdtype(time.dtype, np.datetime64):
        seconds = (time - time[0]) / np.timedelta64(1, "s")
    elif np.issubdtype(time.dtype, np.timedelta64):
        seconds = time / np.timedelta64(1, "s")
    elif np.issubdtype(time.dtype, np.number):
        seconds = np.asarray(time, dtype=float)
    else:
        raise DataError(f"{path}: time of type {time.dtype}; expected seconds or CF dates")
    if seconds.size == 0 or not np.isfinite(seconds).all() or np.any(np.diff(seconds) <= 0):
        raise DataError(f"{path}: time is empty, not finite or not increasing")
    return np.asarray(seconds, dtype=float)


def _open(path: Path):
    """('jld2', h5py.File) or ('netcdf', xr.Dataset)."""
    try:
        file = h5py.File(path, "r")
    except OSError as h5_error:
        try:
            return "netcdf", xr.open_dataset(path, decode_times=True)
        except (OSError, ValueError, TypeError) as error:
            raise DataError(
                f"{path}: cannot open as HDF5/JLD2 ({h5_error}) or as NetCDF ({one_line(error)}); "
                "expected an LESbrary .jld2 file or its NetCDF export"
            ) from None
    if "timeseries" not in file and "zr" in file:  # a NetCDF-4 file is HDF5 too
        file.close()
        try:
            return "netcdf", xr.open_dataset(path, decode_times=True)
        except (OSError, ValueError, TypeError) as error:
            raise DataError(f"{path}: cannot read as NetCDF ({one_line(error)})") from None
    return "jld2", file


def read_lesbrary(path: str | Path) -> tuple[xr.Dataset, dict]:
    """Read one LESbrary statistics file (any of the three layouts of this module).

    Args:
        path: a ``*_instantaneous_statistics.jld2`` file or its NetCDF export.

    Returns:
        (observations, parameters). observations has dims (time, z): ``T`` (degC) and/or
        ``b`` (m s-2), ``u``, ``v`` (m s-1) and, when present, ``e`` (m2 s-2) and ``c``
        on the interior cell centres (m, negative, bottom-first); ``z_face`` holds the nz + 1
        interior face heights (bottom-first, last = 0), stretched as in the LES. time is
        datetime64 counted from `EPOCH` (2000-01-01), recorded in the ``time_origin``
        attribute. parameters holds the case constants of `PARAMETERS` (plus ``layout``:
        "jld2" or "netcdf"), fluxes in the Oceananigans convention (kinematic, positive
        upward); they are also the Dataset's attributes.

    Raises:
        DataError: the file is neither HDF5 nor NetCDF, or lacks the grid, times, u, v, or
            both T and b.
    """
    path = Path(path)
    kind, file = _open(path)
    with file:
        reader = _read_jld2 if kind == "jld2" else _read_netcdf
        data, seconds, centers, faces, parameters = reader(path, file)
    parameters["layout"] = kind
    time = EPOCH + np.round(seconds * 1e9).astype("timedelta64[ns]")
    variables = {
        name: (("time", "z"), values, {"units": FIELDS[name][0], "long_name": FIELDS[name][1]})
        for name, values in data.items()
    }
    coords = {
        "time": ("time", time),
        "z": ("z", centers, {"units": "m", "positive": "up", "long_name": "height of cell centres"}),
        "z_face": (
            "z_face",
            faces,
            {"units": "m", "positive": "up", "long_name": "height of cell interfaces"},
        ),
    }
    attrs = {**parameters, "source": str(path), "time_origin": str(EPOCH.astype("datetime64[s]"))}
    return xr.Dataset(variables, coords=coords, attrs=attrs), parameters


__all__ = ["EPOCH", "read_lesbrary"]
