"""Reader for LESbrary horizontally averaged statistics (Oceananigans JLD2 = HDF5 files).

A file holds ``grid/`` (with ``Hz`` halo cells on each side of the ``Nz`` interior cells),
``parameters/`` (case constants), ``buoyancy/``, ``coriolis/`` and
``timeseries/<field>/<iteration>`` profiles shaped (Nz + 2 Hz, 1, 1) including the halos,
with the time (s) of each iteration in ``timeseries/t/<iteration>``.

Fluxes in ``parameters/`` keep the **Oceananigans convention** (kinematic, positive upward,
out of the ocean); convert them with `calib.io.conventions` before use as calib forcing.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from calib.common.errors import DataError

EPOCH = np.datetime64("2000-01-01T00:00:00", "ns")  # LES time 0 (the LES has no calendar)

FIELDS = {
    # field: (units, long name); T, u, v are required, b and e are read when present
    "T": ("degC", "horizontally averaged temperature"),
    "u": ("m s-1", "horizontally averaged x velocity"),
    "v": ("m s-1", "horizontally averaged y velocity"),
    "b": ("m s-2", "horizontally averaged buoyancy"),
    "e": ("m2 s-2", "resolved turbulent kinetic energy"),
}
REQUIRED_FIELDS = ("T", "u", "v")

PARAMETERS = {
    # calib key: HDF5 path in the file
    "name": "parameters/name",
    "momentum_flux": "parameters/momentum_flux",  # m2 s-2, > 0 upward
    "temperature_flux": "parameters/temperature_flux",  # K m s-1, > 0 upward
    "buoyancy_flux": "parameters/buoyancy_flux",  # m2 s-3, > 0 upward
    "coriolis_parameter": "coriolis/f",  # s-1
    "N2_surface_layer": "parameters/N²_surface_layer",  # s-2
    "N2_thermocline": "parameters/N²_thermocline",  # s-2
    "N2_deep": "parameters/N²_deep",  # s-2
    "surface_layer_depth": "parameters/surface_layer_depth",  # m
    "thermocline_width": "parameters/thermocline_width",  # m
    "temperature_surface": "parameters/θ_surface",  # degC
    "temperature_gradient_bottom": "parameters/boundary_condition_θ_bottom",  # K m-1
    "thermal_expansion": "buoyancy/model/equation_of_state/α",  # K-1
    "haline_contraction": "buoyancy/model/equation_of_state/β",  # psu-1
    "gravity": "buoyancy/model/gravitational_acceleration",  # m s-2
    "reference_salinity": "buoyancy/model/constant_salinity",  # psu
    "lesbrary_commit": "parameters/LESbrary_jl_commit_SHA1",
}


def _scalar(value) -> float | int | str:
    """A Python scalar from an HDF5 scalar (JLD2 strings are a (string, offset, length) record)."""
    if isinstance(value, np.void) and "string" in (value.dtype.names or ()):
        value = value["string"]
    if isinstance(value, bytes):
        return value.decode().strip()
    return value.item() if isinstance(value, np.generic) else value


def _parameters(path: Path, file: h5py.File) -> dict:
    """Case constants (see `PARAMETERS`); keys missing from the file are left out."""
    parameters = {
        key: _scalar(file[address][()])
        for key, address in PARAMETERS.items()
        if address in file and isinstance(file[address], h5py.Dataset)
    }
    parameters["flux_convention"] = "Oceananigans: kinematic, positive upward (out of the ocean)"
    return parameters


def _interior(path: Path, file: h5py.File) -> tuple[slice, np.ndarray, np.ndarray]:
    """(slice of the interior cells, their centre heights, the interior face heights) in m."""
    try:
        halo, nz = int(file["grid/Hz"][()]), int(file["grid/Nz"][()])
        centers, faces = file["grid/zᵃᵃᶜ"][()], file["grid/zᵃᵃᶠ"][()]
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


def read_lesbrary(path: str | Path) -> tuple[xr.Dataset, dict]:
    """Read one LESbrary statistics file.

    Args:
        path: a ``*_instantaneous_statistics.jld2`` file.

    Returns:
        (observations, parameters). observations has dims (time, z): ``T`` (degC), ``u``,
        ``v`` (m s-1) and, when present, ``b`` (m s-2) and ``e`` (m2 s-2) on the interior
        cell centres (m, negative, bottom-first); ``z_face`` holds the nz + 1 interior face
        heights (bottom-first, last = 0). time is datetime64 counted from `EPOCH`
        (2000-01-01), recorded in the ``time_origin`` attribute. parameters holds the case
        constants of `PARAMETERS`, fluxes in the Oceananigans convention (kinematic,
        positive upward); they are also the Dataset's attributes.

    Raises:
        DataError: the file is not HDF5 or lacks the grid, times or T, u, v.
    """
    path = Path(path)
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise DataError(
            f"{path}: cannot open as HDF5/JLD2 ({error}); expected an LESbrary .jld2 file"
        ) from None
    with file:
        interior, centers, faces = _interior(path, file)
        keys, seconds = _iterations(path, file)
        parameters = _parameters(path, file)
        data = {}
        for name, (units, long_name) in FIELDS.items():
            if f"timeseries/{name}" not in file:
                if name in REQUIRED_FIELDS:
                    raise DataError(f"{path}: no timeseries/{name}; expected T, u and v profiles")
                continue
            values = _field(path, file, name, keys, interior)
            data[name] = (("time", "z"), values, {"units": units, "long_name": long_name})
    time = EPOCH + np.round(seconds * 1e9).astype("timedelta64[ns]")
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
    return xr.Dataset(data, coords=coords, attrs=attrs), parameters


__all__ = ["EPOCH", "read_lesbrary"]
