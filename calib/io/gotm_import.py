"""GOTM case folders (text profiles and flux series) -> calib observation and forcing NetCDF.

See `calib.io.importers` for the file layouts and `calib.io.gotm` for the text readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import DataError
from calib.common.vocabulary import VARIABLES
from calib.io.conventions import gotm_heat_flux_to_calib, looks_like_kelvin
from calib.io.gotm import read_gotm_profiles, read_gotm_timeseries
from calib.io.import_common import EARTH_ROTATION, FORCING_ATTRS, SIGN_CONVENTION, TIME_ATTRS, _write_pair
from calib.io.observations import Z_ATTRS

GOTM_FILES = {
    # role: (file name in a GOTM case folder, required?)
    "temperature": ("t_prof.dat", True),
    "salinity": ("s_prof.dat", False),
    "heat_flux": ("heat_flux.dat", True),
    "momentum_flux": ("momentum_flux.dat", True),
    "shortwave": ("swr.dat", True),
    "freshwater_flux": ("pme.dat", False),
}


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
