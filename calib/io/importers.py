"""Convert foreign data sets into calib's observation and forcing NetCDF files.

Observation file: variables ``T`` (degC), ``S`` (psu), ``u``, ``v`` (m s-1) on (time, z), z
height (m, ``positive: up``, bottom-first), NaN where not observed; readable by
`calib.io.observations.load_observations`.
Forcing file: ``wind_stress_x``, ``wind_stress_y`` (Pa), ``heat_flux`` (non-solar, W m-2),
``shortwave`` (W m-2), ``freshwater_flux`` (P - E, m s-1) on ``time``, all positive **into
the ocean** (the names and units of `calib.core.forcing.FORCING_VARIABLES`); global attributes give
the latitude and Coriolis parameter.

Regenerate the files in ``data/`` with ``python -m calib.io.importers [SHARED_DATA_DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import DataError
from calib.common.history import history_line
from calib.common.vocabulary import FORCING, VARIABLES
from calib.io.conventions import (
    gotm_heat_flux_to_calib,
    looks_like_kelvin,
    oceananigans_momentum_flux_to_wind_stress,
    oceananigans_temperature_flux_to_heat_flux,
)
from calib.io.files import atomic_writes, check_outputs
from calib.io.gotm import read_gotm_profiles, read_gotm_timeseries
from calib.io.lesbrary import read_lesbrary
from calib.io.observations import Z_ATTRS

REFERENCE_DENSITY = 1027.0  # kg m-3, default rho0 of calib.core.eos.LinearEquationOfState
HEAT_CAPACITY = 3985.0  # J kg-1 K-1, calib.core.forcing.HEAT_CAPACITY
EARTH_ROTATION = 7.2921e-5  # rad s-1
TIME_ATTRS = {"standard_name": "time", "axis": "T"}
SIGN_CONVENTION = "surface fluxes positive into the ocean; z height in m, negative below the surface"

FORCING_ATTRS = {name: variable.attributes() for name, variable in FORCING.items()}
GOTM_FILES = {
    # role: (file name in a GOTM case folder, required?)
    "temperature": ("t_prof.dat", True),
    "salinity": ("s_prof.dat", False),
    "heat_flux": ("heat_flux.dat", True),
    "momentum_flux": ("momentum_flux.dat", True),
    "shortwave": ("swr.dat", True),
    "freshwater_flux": ("pme.dat", False),
}


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


def _gotm_paths(directory_or_files: str | Path | Mapping[str, str | Path]) -> dict[str, Path]:
    """Role -> file, from a GOTM case folder (standard names) or an explicit mapping."""
    if isinstance(directory_or_files, Mapping):
        paths = {role: Path(p) for role, p in directory_or_files.items()}
        unknown = set(paths) - set(GOTM_FILES)
        if unknown:
            raise DataError(f"unknown GOTM file roles {sorted(unknown)}; expected some of {list(GOTM_FILES)}")
    else:
        folder = Path(directory_or_files)
        paths = {role: folder / name for role, (name, _) in GOTM_FILES.items() if (folder / name).exists()}
    missing = [GOTM_FILES[r][0] for r, (_, required) in GOTM_FILES.items() if required and r not in paths]
    if missing:
        raise DataError(
            f"{directory_or_files}: missing GOTM files {missing}; pass a folder holding them or a mapping"
        )
    return paths


def _crop(ds: xr.Dataset, start, end, label: str) -> xr.Dataset:
    """Records in [start, end], widened to the records just outside so the interval is covered."""
    time = ds["time"].values
    start = time[0] if start is None else np.datetime64(start)
    end = time[-1] if end is None else np.datetime64(end)
    if start > time[-1] or end < time[0] or end < start:
        raise DataError(f"{label}: no data between {start} and {end} (data cover {time[0]} to {time[-1]})")
    first = max(int(np.searchsorted(time, start, side="right")) - 1, 0)
    last = int(np.searchsorted(time, end, side="left")) + 1
    return ds.isel(time=slice(first, last))


def _gotm_observations(paths: dict[str, Path], start, end) -> xr.Dataset:
    """T (and S) profiles on the union of their levels, CF attributes."""
    parts = [read_gotm_profiles(paths["temperature"], "T")]
    if "salinity" in paths:
        parts.append(read_gotm_profiles(paths["salinity"], "S"))
    obs = _crop(xr.merge(parts, join="outer", combine_attrs="drop"), start, end, str(paths["temperature"]))
    if looks_like_kelvin(obs["T"].values):
        raise DataError(f"{paths['temperature']}: T looks like kelvin; convert to degC (T - 273.15)")
    for name in obs.data_vars:
        obs[name].attrs = dict(VARIABLES[str(name)].attributes())
    obs["z"].attrs = dict(Z_ATTRS)
    obs["time"].attrs = dict(TIME_ATTRS)
    return obs


def _on_common_time(series: dict[str, xr.DataArray]) -> xr.Dataset:
    """Series on the union of their times within their common period, gaps interpolated linearly."""
    begin = max(s["time"].values[0] for s in series.values())
    finish = min(s["time"].values[-1] for s in series.values())
    if begin > finish:
        spans = ", ".join(
            f"{name} {values['time'].values[0]!s:.19} to {values['time'].values[-1]!s:.19}"
            for name, values in series.items()
        )
        raise DataError(f"the forcing files have no time in common ({spans}); give files of one period")
    for name, values in series.items():
        if not np.isfinite(values.values).any():
            raise DataError(f"{name}: no finite value in its GOTM file; check the file")
    union = np.unique(np.concatenate([s["time"].values for s in series.values()]))
    union = union[(union >= begin) & (union <= finish)]
    ds = xr.Dataset(coords={"time": union})
    for name, values in series.items():
        ds[name] = values.interp(time=union)
        filled = int(union.size - np.isin(union, values["time"].values).sum())
        ds[name].attrs = {**FORCING_ATTRS[name], "records_filled_by_linear_interpolation": filled}
    return ds


def _gotm_forcing(paths: dict[str, Path], start, end) -> xr.Dataset:
    """The five forcing series from GOTM files, calib's signs and units."""
    heat = read_gotm_timeseries(paths["heat_flux"], "heat_flux")["heat_flux"]
    stress = read_gotm_timeseries(paths["momentum_flux"], ["wind_stress_x", "wind_stress_y"])
    series = {
        "wind_stress_x": stress["wind_stress_x"],
        "wind_stress_y": stress["wind_stress_y"],
        "heat_flux": heat.copy(data=gotm_heat_flux_to_calib(heat.values)),
        "shortwave": read_gotm_timeseries(paths["shortwave"], "shortwave")["shortwave"],
    }
    if "freshwater_flux" in paths:
        pme = read_gotm_timeseries(paths["freshwater_flux"], "freshwater_flux")
        series["freshwater_flux"] = pme["freshwater_flux"]
    forcing = _on_common_time(series)
    if "freshwater_flux" not in forcing:  # no pme.dat: no freshwater flux
        forcing["freshwater_flux"] = (0.0 * forcing["heat_flux"]).assign_attrs(
            FORCING_ATTRS["freshwater_flux"]
        )
    forcing["time"].attrs = dict(TIME_ATTRS)
    return _crop(forcing, start, end, str(paths["heat_flux"]))


def _site_attrs(latitude: float | None, longitude: float | None) -> dict:
    """Latitude, longitude and Coriolis parameter f = 2 Omega sin(latitude) (s-1)."""
    attrs = {}
    if latitude is not None and not -90.0 <= latitude <= 90.0:
        raise DataError(f"--latitude {latitude}: must be within [-90, 90] degrees north")
    if latitude is not None:
        attrs["latitude"] = float(latitude)
        attrs["coriolis_parameter"] = 2.0 * EARTH_ROTATION * float(np.sin(np.deg2rad(latitude)))
    if longitude is not None:
        attrs["longitude"] = float(longitude)
    return attrs


def import_gotm(
    directory_or_files: str | Path | Mapping[str, str | Path],
    out_obs: str | Path,
    out_forcing: str | Path,
    start: str | np.datetime64 | None = None,
    end: str | np.datetime64 | None = None,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    attrs: Mapping[str, str] | None = None,
    force: bool = False,
) -> tuple[Path, Path]:
    """GOTM text files -> an observation NetCDF and a forcing NetCDF.

    Forcing series are put on the union of their time stamps within their common period;
    a record missing from one file is filled by linear interpolation in time (as GOTM
    interpolates between records), counted in each variable's
    ``records_filled_by_linear_interpolation`` attribute. Signs: GOTM's heat flux,
    stresses and P - E are already positive into the ocean (see
    `calib.io.conventions.gotm_heat_flux_to_calib`); a missing ``pme.dat`` gives zero.

    Args:
        directory_or_files: a GOTM case folder with the standard names of `GOTM_FILES`, or a
            mapping role -> file (roles: temperature, salinity, heat_flux, momentum_flux,
            shortwave, freshwater_flux).
        out_obs: observation file to write (T, S profiles; float32, zlib).
        out_forcing: forcing file to write (float32, zlib).
        start: first time to keep (the record at or before it is kept too); None = all.
        end: last time to keep (the record at or after it is kept too); None = all.
        latitude: site latitude (degrees north), recorded with the Coriolis parameter.
        longitude: site longitude (degrees east).
        attrs: extra global attributes for both files (title, source, licence ...).
        force: overwrite existing output files.

    Returns:
        (observation path, forcing path).
    """
    paths = _gotm_paths(directory_or_files)
    common = {**_site_attrs(latitude, longitude), "Conventions": "CF-1.8", "sign_convention": SIGN_CONVENTION}
    common.update({"source_files": ", ".join(p.name for p in paths.values()), **(attrs or {})})
    obs = _gotm_observations(paths, start, end)
    obs.attrs = {**common, "conversions": "none: GOTM z (m, negative down) kept as height"}
    forcing = _gotm_forcing(paths, start, end)
    observed, forced = obs["time"].values, forcing["time"].values
    if observed[-1] < forced[0] or observed[0] > forced[-1]:
        raise DataError(
            f"{paths['temperature']}: no time overlap with the forcing (profiles {observed[0]!s:.19} to "
            f"{observed[-1]!s:.19}, fluxes {forced[0]!s:.19} to {forced[-1]!s:.19}); give files of one period"
        )
    conversions = "heat_flux = GOTM heat_flux (same sign); wind stress, shortwave, P - E unchanged"
    forcing.attrs = {**common, "conversions": conversions}
    return _write_pair((obs, "float32"), (forcing, "float32"), (out_obs, out_forcing), force)


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


def regenerate(shared_data: str | Path, out: str | Path = "data") -> list[Path]:
    """Write every file of ``data/`` from the shared raw data (see data/README.md)."""
    shared_data, out = Path(shared_data), Path(out)
    written = list(
        import_gotm(
            shared_data / "ows_papa_2012", out / "ows_papa_2012_obs.nc", out / "ows_papa_2012_forcing.nc",
            latitude=50.1, longitude=-144.9,
            attrs={"title": "Ocean Station Papa 2012-2013 (GOTM 'langmuir' case inputs)",
                   "source": "gotm-model/cases langmuir/ @ a5d5076; NOAA PMEL Ocean Climate Stations mooring",
                   "acknowledgement": "Data from NOAA PMEL OCS (Station Papa) via the GOTM test cases (GPL)"},
            force=True,
        )
    )  # fmt: skip
    for case in ("free_convection", "strong_wind"):
        source = shared_data / "lesbrary_two_day_4m" / f"{case}_instantaneous_statistics.jld2"
        written += import_lesbrary(
            source, out / f"les_{case}_obs.nc", out / f"les_{case}_forcing.nc", force=True
        )
    return written


if __name__ == "__main__":
    REPOSITORY = Path(__file__).resolve().parents[2]
    SHARED_DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else REPOSITORY.parent / "shared" / "data"
    for written_path in regenerate(SHARED_DATA, REPOSITORY / "data"):
        print(f"{written_path}  {written_path.stat().st_size / 1e6:.2f} MB")
