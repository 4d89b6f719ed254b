"""A GOTM case (gotm.yaml + text files, or the text files alone) -> calib observation and forcing
NetCDF and a case YAML that runs.

With a gotm.yaml (`calib.io.gotm_case.read_gotm_yaml`) the files, their columns and the methods
come from it; without one, GOTM's common file names are recognised (`ROLES`). Either way any file
may be given by role (``{"heat_flux": "heat.dat"}`` or ``{"heat_flux": ("fluxes.dat", 1)}``; the
command line writes ROLE=PATH[:COLUMN]). Only the files the chosen methods need are read.

Signs and units: GOTM's heat flux, net longwave, stresses and P - E are positive into the ocean
(GOTM's heat flux < 0 = loss), which is calib's convention (`calib.io.conventions`): unchanged.
GOTM's precipitation is in m s-1, air pressure in Pa, specific humidity in kg kg-1 (calib's
units); an air temperature in kelvin, a pressure in hPa or a specific humidity in g kg-1 is
converted and the conversion recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from calib.common.errors import DataError
from calib.common.vocabulary import METEOROLOGY, VARIABLES
from calib.io.conventions import gotm_heat_flux_to_calib, looks_like_kelvin
from calib.io.gotm import read_gotm_profiles, read_gotm_timeseries
from calib.io.gotm_case import BULK, GotmSetup, Input, read_gotm_yaml, relative, write_case_yaml
from calib.io.import_common import EARTH_ROTATION, FORCING_ATTRS, SIGN_CONVENTION, TIME_ATTRS, _write_pair
from calib.io.observations import Z_ATTRS


@dataclass(frozen=True)
class Role:
    """A kind of GOTM input file: profile or series, the calib names of its value columns, file names."""

    kind: str
    names: tuple[str, ...]
    file_names: tuple[str, ...] = ()


ROLES: dict[str, Role] = {
    "temperature": Role(
        "profile", ("T",), ("t_prof.dat", "tprof.dat", "t_prof_file.dat", "temp_prof.dat", "tempprof.dat")
    ),
    "salinity": Role(
        "profile", ("S",), ("s_prof.dat", "sprof.dat", "s_prof_file.dat", "salt_prof.dat", "saltprof.dat")
    ),
    "epsilon": Role("profile", ("epsilon",), ("eps_prof.dat", "epsprof.dat", "epsilon_prof.dat", "eps.dat")),
    "heat_flux": Role(
        "series", ("heat_flux",), ("heat_flux.dat", "heatflux.dat", "heatflux_file.dat", "heat.dat")
    ),
    "momentum_flux": Role(
        "series",
        ("wind_stress_x", "wind_stress_y"),
        ("momentum_flux.dat", "momentumflux.dat", "momentumflux_file.dat", "tau.dat"),
    ),
    "tx": Role("series", ("wind_stress_x",), ("tx.dat",)),
    "ty": Role("series", ("wind_stress_y",), ("ty.dat",)),
    "shortwave": Role("series", ("shortwave",), ("swr.dat", "swr_file.dat", "swrad.dat", "shortwave.dat")),
    "freshwater_flux": Role("series", ("freshwater_flux",), ("pme.dat", "pme_file.dat", "p_e.dat")),
    "meteo": Role(
        "series",
        ("wind_x", "wind_y", "air_pressure", "air_temperature", "humidity", "cloud_cover"),
        ("meteo.dat", "meteo_file.dat", "meteofile.dat"),
    ),
    "wind": Role("series", ("wind_x", "wind_y"), ("u10.dat", "wind.dat", "u10v10.dat")),
    "wind_x": Role("series", ("wind_x",), ()),
    "wind_y": Role("series", ("wind_y",), ()),
    "air_temperature": Role("series", ("air_temperature",), ("airt.dat", "t2m.dat")),
    "humidity": Role("series", ("humidity",), ("hum.dat", "humidity.dat")),
    "air_pressure": Role("series", ("air_pressure",), ("airp.dat", "slp.dat")),
    "longwave": Role("series", ("longwave",), ("lwr.dat", "longwave.dat")),
    "cloud_cover": Role("series", ("cloud_cover",), ("cloud.dat", "tcc.dat")),
    "precipitation": Role("series", ("precipitation",), ("precip.dat", "precipitation.dat")),
    "sst": Role("series", ("SST",), ("sst.dat", "sst_file.dat")),
    "sss": Role("series", ("SSS",), ("sss.dat", "sss_file.dat")),
}
"""Role -> kind, the calib name of each value column, GOTM's common file names for it."""

GOTM_FILES = {
    role: (spec.file_names[0], role == "temperature") for role, spec in ROLES.items() if spec.file_names
}
"""Role -> (standard file name, required?) (kept for the command line's file-name lookup)."""

SINGLE = {  # a value name -> the setup input role it fills
    "wind_stress_x": "tx",
    "wind_stress_y": "ty",
    "wind_x": "wind_x",
    "wind_y": "wind_y",
    "air_pressure": "air_pressure",
    "air_temperature": "air_temperature",
    "humidity": "humidity",
    "cloud_cover": "cloud_cover",
}
FLUX_ROLES = ("heat_flux", "tx", "ty", "shortwave", "freshwater_flux")
METEO_ROLES = (
    "wind_x",
    "wind_y",
    "air_temperature",
    "humidity",
    "air_pressure",
    "longwave",
    "cloud_cover",
    "precipitation",
    "shortwave",
)
SST_ATTRS = {
    "units": "degree_Celsius",
    "long_name": "sea surface temperature",
    "standard_name": "sea_surface_temperature",
}
EPSILON_ATTRS = {
    "units": "m2 s-3",
    "long_name": "TKE dissipation rate",
    "standard_name": "specific_turbulent_kinetic_energy_dissipation_in_sea_water",
}
EXTRA_ATTRS = {
    "pressure_gradient_x": {"units": "1", "long_name": "eastward slope of the sea surface d(eta)/dx"},
    "pressure_gradient_y": {"units": "1", "long_name": "northward slope of the sea surface d(eta)/dy"},
    "extinction_A": {"units": "1", "long_name": "fraction of shortwave absorbed with length g1"},
    "extinction_g1": {"units": "m", "long_name": "e-folding length of the first shortwave band"},
    "extinction_g2": {"units": "m", "long_name": "e-folding length of the second shortwave band"},
}


class GotmImport(NamedTuple):
    """What `import_gotm_case` wrote and what it could not reproduce."""

    observations: Path
    forcing: Path
    case: Path | None
    unsupported: list[str]
    notes: list[str]


def parse_role(item: str) -> tuple[str, Path, int]:
    """``ROLE=PATH[:COLUMN]`` -> (role, path, 1-based column); a one-line DataError otherwise."""
    role, separator, rest = item.partition("=")
    role = role.strip()
    if not separator or not rest:
        raise DataError(f"{item}: expected ROLE=PATH[:COLUMN] with ROLE one of {', '.join(ROLES)}")
    if role not in ROLES:
        raise DataError(f"{item}: unknown role {role!r}; roles are {', '.join(ROLES)}")
    path, colon, column = rest.rpartition(":")
    if colon and column.strip().isdigit() and path:
        if int(column) < 1:
            raise DataError(f"{item}: column {column} must be 1 or more (1 = first value column)")
        return role, Path(path), int(column)
    return role, Path(rest), 1


def _inputs_of(role: str, path: Path, column: int) -> dict[str, Input]:
    """The setup inputs a role's file fills (a two-column role fills two, from its column on)."""
    names = ROLES[role].names
    if len(names) == 1:
        return {role: Input(role, path, column)}
    return {SINGLE[name]: Input(SINGLE[name], path, column + i) for i, name in enumerate(names)}


def _found_by_name(folder: Path) -> dict[str, Input]:
    inputs: dict[str, Input] = {}
    for role, spec in ROLES.items():
        for name in spec.file_names:
            if (folder / name).is_file():
                for target, value in _inputs_of(role, folder / name, 1).items():
                    inputs.setdefault(target, value)
                break
    return inputs


def _setup(source, files: Mapping | None, latitude, longitude) -> GotmSetup:
    """The GotmSetup of a folder / gotm.yaml / role mapping, with the explicit files applied."""
    given: dict[str, Input] = {}
    mapping = dict(files or {})
    if isinstance(source, Mapping):
        mapping = {**source, **mapping}
        source = None
    for role, value in mapping.items():
        if role not in ROLES:
            raise DataError(f"unknown GOTM file role {role!r}; roles are {', '.join(ROLES)}")
        path, column = value if isinstance(value, tuple) else (value, 1)
        given.update(_inputs_of(role, Path(path), int(column)))
    yaml_path = None
    if source is not None:
        source = Path(source)
        if source.is_file() and source.suffix in (".yaml", ".yml"):
            yaml_path = source
        elif (source / "gotm.yaml").is_file():
            yaml_path = source / "gotm.yaml"
        elif not source.is_dir():
            raise DataError(f"{source}: not a folder or a gotm.yaml; give a GOTM case folder")
    if yaml_path is not None:
        setup = read_gotm_yaml(yaml_path)
        for role, value in given.items():
            if role in setup.inputs or role in ("sst", "epsilon", "sss"):
                setup.inputs[role] = value
            else:
                setup.notes.append(f"{role}={value.file}: not used by the methods of {yaml_path.name}")
    else:
        setup = GotmSetup(source=None, albedo=0.0)
        setup.name = Path(source).resolve().name if source is not None else "gotm_case"
        setup.inputs = {**(_found_by_name(source) if source is not None else {}), **given}
        _methods_from_files(setup)
        setup.notes.append(
            "no gotm.yaml: GOTM's defaults (TEOS-10, Jerlov I, k-epsilon); shortwave used as given "
            "(albedo 0); grid from the deepest observation"
        )
    if latitude is not None:
        setup.latitude = float(latitude)
    if longitude is not None:
        setup.longitude = float(longitude)
    return setup


def _methods_from_files(setup: GotmSetup) -> None:
    """Without gotm.yaml: prescribed fluxes when flux files are there, else bulk formulae."""
    inputs = setup.inputs
    if any(role in inputs for role in ("heat_flux", "tx", "ty")):
        setup.flux_method = "off"
        for role in (
            "wind_x",
            "wind_y",
            "air_temperature",
            "humidity",
            "air_pressure",
            "longwave",
            "cloud_cover",
            "precipitation",
        ):
            if role in inputs:
                setup.notes.append(
                    f"{inputs.pop(role).file.name} ({role}): not used, the fluxes are prescribed"
                )
        return
    if "wind_x" in inputs or "air_temperature" in inputs:
        setup.flux_method = "fairall"
        setup.longwave_method = "net" if "longwave" in inputs else "clark"
        if "longwave" in inputs and "cloud_cover" in inputs:
            setup.notes.append(
                f"{inputs.pop('cloud_cover').file.name} (cloud_cover): not used, longwave is given"
            )
        setup.humidity_type = "specific"
        setup.notes.append("no gotm.yaml: bulk formulae (COARE 3.5); humidity taken as specific (kg kg-1)")


def _report_unused(setup: GotmSetup) -> None:
    """Inputs found or given that the chosen methods do not read: noted, SSS listed as unsupported."""
    read = {"temperature", "salinity", "epsilon", "sst"} | set(_forcing_roles(setup))
    for role in list(setup.inputs):
        value = setup.inputs[role]
        if role in read or value is None:
            continue
        setup.inputs.pop(role)
        if role == "sss":
            if not value.key:  # gotm.yaml's surface.sss is listed by read_gotm_yaml
                setup.unsupported.append(
                    f"sss = {value.file.name}: not imported (calib has no surface-salinity observation; "
                    "use the S profiles)"
                )
        elif value.file is not None:
            setup.notes.append(f"{value.file.name} ({role}): not used by the chosen methods")


def _check_files(setup: GotmSetup) -> None:
    """Every input the methods need names an existing file or is a constant; one-line errors."""
    needed = ["temperature"] if "T" not in setup.initial else []
    if setup.flux_method == "off":
        if setup.source is None and not any(r in setup.inputs for r in ("heat_flux", "tx", "ty")):
            raise DataError(
                "no heat_flux or momentum_flux file (heat_flux.dat, momentum_flux.dat ...) and no "
                "meteorology (u10.dat, airt.dat ...); give them as ROLE=PATH[:COLUMN]"
            )
    else:
        needed += ["wind_x", "wind_y", "air_temperature", "humidity"]
        needed.append("longwave" if setup.longwave_method == "net" else "cloud_cover")
    for role in needed:
        if role not in setup.inputs:
            names = ", ".join(_file_names(role)) or role
            raise DataError(f"{role}: no file found ({names}); give it as {_cli_role(role)}=PATH[:COLUMN]")
    for role, value in setup.inputs.items():
        if value is not None and value.file is not None and not value.file.is_file():
            where = f" (set by {value.key} in {setup.source})" if value.key and setup.source else ""
            raise DataError(
                f"{role}: file {value.file} not found{where}; give it as {_cli_role(role)}=PATH[:COLUMN]"
            )


def _file_names(role: str) -> tuple[str, ...]:
    for name, spec in ROLES.items():
        fills = role == name or (len(spec.names) > 1 and role in {SINGLE.get(n) for n in spec.names})
        if fills and spec.file_names:
            return spec.file_names
    return ()


def _cli_role(role: str) -> str:
    return role


# --- reading ----------------------------------------------------------------------------------


def _series(value: Input, name: str) -> xr.DataArray:
    data = read_gotm_timeseries(value.file, name, columns=value.column)[name]
    if value.scale_factor != 1.0 or value.offset != 0.0:
        data = data * value.scale_factor + value.offset
    return data


def _units(name: str, data: xr.DataArray, setup: GotmSetup, source: Path) -> xr.DataArray:
    """GOTM's units -> calib's, with the few foreign units real files use (recorded in notes)."""
    values = data.values
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise DataError(f"{name}: no finite value in its GOTM file {source}; check the file")
    if name == "heat_flux":
        return data.copy(data=gotm_heat_flux_to_calib(values))
    if name == "air_temperature" and looks_like_kelvin(finite):
        setup.notes.append(f"{source.name}: air temperature in kelvin converted to degC")
        return data - 273.15
    if name == "air_pressure" and np.median(finite) < 2000.0:
        setup.notes.append(f"{source.name}: air pressure in hPa converted to Pa (x 100)")
        return data * 100.0
    if name == "humidity" and setup.humidity_type == "specific" and np.median(finite) > 0.5:
        setup.notes.append(f"{source.name}: specific humidity in g kg-1 converted to kg kg-1")
        return data / 1000.0
    return data


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


def _observations(setup: GotmSetup, start, end) -> xr.Dataset:
    """T, S (and epsilon) profiles on the union of their levels, SST on its own times."""
    parts, label = [], None
    for role, name in (("temperature", "T"), ("salinity", "S"), ("epsilon", "epsilon")):
        value = setup.inputs.get(role)
        if value is not None and value.file is not None:
            profiles = read_gotm_profiles(value.file, name, columns=value.column)
            if value.scale_factor != 1.0 or value.offset != 0.0:
                profiles[name] = profiles[name] * value.scale_factor + value.offset
            parts.append(profiles)
            label = label or str(value.file)
    sst = setup.inputs.get("sst")
    if sst is not None and sst.file is not None:
        parts.append(_series(sst, "SST").to_dataset())
        label = label or str(sst.file)
    if not parts and {"T", "S"} <= set(setup.initial) and setup.start is not None:
        return _initial_profiles(setup)
    if not parts:
        raise DataError(
            "temperature: no profile file (t_prof.dat ...) and no SST or epsilon file; give one "
            "as temperature=PATH[:COLUMN]"
        )
    obs = _crop(xr.merge(parts, join="outer", combine_attrs="drop"), start, end, label)
    if "T" in obs and looks_like_kelvin(obs["T"].values):
        raise DataError(
            f"{setup.inputs['temperature'].file}: T looks like kelvin; convert to degC (T - 273.15)"
        )
    if "SST" in obs and looks_like_kelvin(obs["SST"].values):
        raise DataError(f"{sst.file}: SST looks like kelvin; convert to degC (SST - 273.15)")
    for name in obs.data_vars:
        attrs = {"SST": SST_ATTRS, "epsilon": EPSILON_ATTRS}.get(str(name))
        obs[name].attrs = dict(attrs or VARIABLES[str(name)].attributes())
    if "z" in obs.coords:
        obs["z"].attrs = dict(Z_ATTRS)
    obs["time"].attrs = dict(TIME_ATTRS)
    return obs


def _centres(setup: GotmSetup) -> np.ndarray:
    """Cell-centre heights (m, bottom first) of the GOTM grid."""
    depths = np.asarray(setup.levels if setup.levels else np.linspace(0.0, setup.depth, setup.nlev + 1))
    return -0.5 * (depths[1:] + depths[:-1])[::-1]


def _profile_values(spec, z: np.ndarray) -> np.ndarray:
    """A case initial profile (number, linear, mixed_layer) evaluated at heights z."""
    if isinstance(spec, (int, float)):
        return np.full(z.shape, float(spec))
    if spec["type"] == "linear":
        return spec["surface"] + spec["gradient"] * z
    below = np.minimum(z + spec["depth"], 0.0)
    return spec["surface"] + spec["gradient"] * below


def _initial_profiles(setup: GotmSetup) -> xr.Dataset:
    """No observation files (an analytic GOTM case): the initial T and S on the grid at time.start."""
    z = _centres(setup)
    data = {v: (("time", "z"), _profile_values(setup.initial[v], z)[None, :]) for v in ("T", "S")}
    obs = xr.Dataset(data, coords={"time": [setup.start.astype("datetime64[ns]")], "z": z})
    for name in ("T", "S"):
        obs[name].attrs = dict(VARIABLES[name].attributes())
        obs[name].attrs["comment"] = (
            "GOTM's analytic initial profile on its grid (no observations in the case)"
        )
    obs["z"].attrs = dict(Z_ATTRS)
    obs["time"].attrs = dict(TIME_ATTRS)
    setup.notes.append("no observation files: the observation file holds the initial T and S profiles only")
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
    union = np.unique(np.concatenate([s["time"].values for s in series.values()]))
    union = union[(union >= begin) & (union <= finish)]
    ds = xr.Dataset(coords={"time": union})
    for name, values in series.items():
        ds[name] = values.interp(time=union)
        filled = int(union.size - np.isin(union, values["time"].values).sum())
        ds[name].attrs = {**_attrs(name), "records_filled_by_linear_interpolation": filled}
    return ds


def _attrs(name: str) -> dict:
    if name in FORCING_ATTRS:
        return dict(FORCING_ATTRS[name])
    if name in METEOROLOGY:
        return dict(METEOROLOGY[name].attributes())
    return dict(EXTRA_ATTRS.get(name, {}))


FORCING_NAMES = {"tx": "wind_stress_x", "ty": "wind_stress_y"}


def _forcing_roles(setup: GotmSetup) -> list[str]:
    roles = list(FLUX_ROLES) if setup.flux_method == "off" else list(METEO_ROLES)
    roles += [f"extinction_{k}" for k in (setup.extinction or {})]
    roles += [f"pressure_gradient_{axis}" for axis in ("x", "y") if axis in setup.pressure_gradient]
    return roles


def _forcing_input(setup: GotmSetup, role: str) -> Input | None:
    if role.startswith("extinction_"):
        return (setup.extinction or {}).get(role.removeprefix("extinction_"))
    if role.startswith("pressure_gradient_"):
        return setup.pressure_gradient.get(role.removeprefix("pressure_gradient_"))
    return setup.inputs.get(role)


def _forcing(setup: GotmSetup, start, end) -> tuple[xr.Dataset | None, dict[str, float]]:
    """The file series (calib names, signs and units) and the constants, by calib name."""
    series: dict[str, xr.DataArray] = {}
    constants: dict[str, float] = {}
    for role in _forcing_roles(setup):
        value = _forcing_input(setup, role)
        if value is None:
            continue
        name = FORCING_NAMES.get(role, role)
        if value.file is None:
            constants[name] = float(value.constant) * value.scale_factor + value.offset
        else:
            series[name] = _units(name, _series(value, name), setup, value.file)
        if name == "precipitation":
            _precipitation(setup, value, series, constants)
    if not series:
        return None, constants
    label = str(next(v.file for r in _forcing_roles(setup) if (v := _forcing_input(setup, r)) and v.file))
    forcing = _on_common_time(series)
    if setup.flux_method == "off" and "freshwater_flux" not in forcing and "freshwater_flux" not in constants:
        forcing["freshwater_flux"] = (0.0 * forcing[next(iter(series))]).assign_attrs(
            _attrs("freshwater_flux")
        )
    forcing["time"].attrs = dict(TIME_ATTRS)
    return _crop(forcing, start, end, label), constants


PME_NEGATIVE_SHARE = 0.25  # negative sum / positive sum above which a "precipitation" is P - E


def _precipitation(setup: GotmSetup, value: Input, series: dict, constants: dict) -> None:
    """Bulk precipitation must be >= 0: small negative noise (a real rain gauge record) is set to 0;
    a series whose negative part is large (P - E, e.g. GOTM's pme.dat) is not used: calib's bulk
    formulae subtract their own evaporation."""
    where = f"{value.key or 'precipitation'}.file = {value.file.name}" if value.file else "precipitation"
    if "precipitation" in constants:
        if constants["precipitation"] < 0:
            constants.pop("precipitation")
            setup.unsupported.append(f"{where}: negative constant precipitation; none is used")
        return
    data = series["precipitation"]
    values = data.values[np.isfinite(data.values)]
    negative, positive = -values[values < 0].sum(), values[values > 0].sum()
    if negative == 0:
        return
    if negative > PME_NEGATIVE_SHARE * max(positive, 1e-30):
        series.pop("precipitation")
        setup.unsupported.append(
            f"{where}: {negative / max(positive, 1e-30):.0%} of it is negative (P - E, not a precipitation); "
            "calib's bulk formulae subtract their own evaporation, so no precipitation is used"
        )
        return
    series["precipitation"] = data.clip(min=0.0)
    setup.notes.append(
        f"{where}: {int((values < 0).sum())} small negative values (noise, {negative / positive:.0%} of the "
        "total) set to 0"
    )


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


# --- the case ---------------------------------------------------------------------------------


def _time_plan(setup: GotmSetup, obs: xr.Dataset, forcing: xr.Dataset | None, start, end) -> dict:
    """time.start/dt/duration/output_interval: GOTM's period within the data, whole output intervals."""
    begin = np.datetime64(start, "s") if start is not None else setup.start
    stop = np.datetime64(end, "s") if end is not None else setup.stop
    times = [obs["time"].values[0].astype("datetime64[s]")]
    if forcing is not None:
        times.append(forcing["time"].values[0].astype("datetime64[s]"))
    begin = max(times) if begin is None else begin
    if forcing is not None:
        last = forcing["time"].values[-1].astype("datetime64[s]")
        first = forcing["time"].values[0].astype("datetime64[s]")
        if begin < first:
            setup.notes.append(f"time.start {begin} is before the forcing begins: moved to {first}")
            begin = first
        if stop is None or stop > last:
            if stop is not None:
                setup.notes.append(f"time.stop {stop} is after the forcing ends: the run stops at {last}")
            stop = last
    elif stop is None:
        stop = obs["time"].values[-1].astype("datetime64[s]")
    dt = float(setup.dt)
    interval = setup.output_interval or 3600.0
    interval = max(dt, round(interval / dt) * dt)
    total = float((stop - begin) / np.timedelta64(1, "s"))
    if total <= 0:
        raise DataError(
            f"time: stop {stop} is not after start {begin}; check time.start/stop or --start/--end"
        )
    count = int(total // interval)
    if count == 0:
        interval = max(dt, (total // dt) * dt)
        count = 1
    if count * interval < total:
        setup.notes.append(f"duration {total:g} s cut to {count * interval:g} s (whole output intervals)")
    return {
        "start": str(begin),
        "dt": f"{dt:g} s",
        "duration": f"{count * interval:g} s",
        "output_interval": f"{interval:g} s",
    }


def _grid(setup: GotmSetup, obs: xr.Dataset) -> dict:
    if setup.levels is not None:
        return {"levels": setup.levels}
    if setup.source is not None:
        return {"depth": float(setup.depth), "nz": int(setup.nlev)}
    deepest = float(-obs["z"].min()) if "z" in obs.coords else 50.0
    depth = float(np.ceil(deepest / 10.0) * 10.0)
    return {"depth": depth, "nz": int(min(max(depth, 10), 500))}


def case_document(
    setup: GotmSetup,
    paths: dict[str, Path],
    obs: xr.Dataset,
    forcing: xr.Dataset | None,
    constants: dict[str, float],
    start,
    end,
) -> dict[str, Any]:
    """The case YAML as a mapping, with the keys of docs/case-format.md, paths relative to the case."""
    folder = paths["case"].parent
    obs_file, forcing_file = relative(paths["observations"], folder), relative(paths["forcing"], folder)

    def series(name: str):
        if forcing is not None and name in forcing:
            return {"file": forcing_file, "variable": name}
        return constants.get(name)

    description = setup.title or f"imported from {setup.source or 'GOTM files'}"
    document: dict[str, Any] = {"name": paths["case"].stem, "description": description}
    document["grid"] = _grid(setup, obs)
    document["time"] = _time_plan(setup, obs, forcing, start, end)
    initial: dict[str, Any] = {} if {"T", "S"} <= set(setup.initial) else {"observations": obs_file}
    initial.update(setup.initial)
    document["initial"] = initial
    document["equation_of_state"] = dict(setup.equation_of_state)
    forcing_doc: dict[str, Any] = {
        "latitude": float(setup.latitude or 0.0),
        "longitude": float(setup.longitude or 0.0),
    }
    if setup.flux_method == "off":
        for name in ("wind_stress_x", "wind_stress_y", "heat_flux", "freshwater_flux", "shortwave"):
            value = series(name)
            if value is not None:
                forcing_doc[name] = value
    else:
        if series("shortwave") is not None:
            forcing_doc["shortwave"] = series("shortwave")
        bulk: dict[str, Any] = {"algorithm": BULK[setup.flux_method]}
        for name in ("wind_x", "wind_y", "air_temperature", "humidity"):
            bulk[name] = series(name)
        bulk["humidity_type"] = setup.humidity_type
        if series("air_pressure") is not None:
            bulk["air_pressure"] = series("air_pressure")
        bulk["longwave_method"] = setup.longwave_method
        key = "longwave" if setup.longwave_method == "net" else "cloud_cover"
        bulk[key] = series(key)
        if series("precipitation") is not None:
            bulk["precipitation"] = series("precipitation")
        bulk["rain_heat_flux"] = bool(setup.rain_heat_flux)
        bulk["relative_wind"] = bool(setup.relative_wind)
        forcing_doc["bulk"] = bulk
    forcing_doc["albedo"] = setup.albedo
    if setup.bottom_drag_coefficient > 0:
        forcing_doc["bottom_drag_coefficient"] = setup.bottom_drag_coefficient
    if setup.extinction is not None:
        forcing_doc["extinction"] = {k: series(f"extinction_{k}") for k in ("A", "g1", "g2")}
    else:
        forcing_doc["water_type"] = setup.water_type
    document["forcing"] = forcing_doc
    relaxation = {}
    for variable, entry in setup.relaxation.items():
        if variable in obs:
            relaxation[variable] = {"observations": obs_file, "variable": variable, **entry}
    if relaxation:
        document["relaxation"] = relaxation
    gradient: dict[str, Any] = {}
    for axis in ("x", "y"):
        value = series(f"pressure_gradient_{axis}")
        if value is not None:
            gradient[axis] = value
    if setup.pressure_gradient.get("tides"):
        gradient["tides"] = setup.pressure_gradient["tides"]
    if gradient:
        document["pressure_gradient"] = gradient
    document["closure"] = setup.closure
    return document


def _header(setup: GotmSetup, paths: dict[str, Path]) -> list[str]:
    source = setup.source or "GOTM text files"
    lines = [
        f"Imported by `calib import gotm` from {source}.",
        f"Observations: {paths['observations'].name}; forcing: {paths['forcing'].name} "
        "(fluxes positive into the ocean).",
        "GOTM's heat flux and net longwave (< 0 = loss) are calib's into-ocean sign: kept as they are.",
    ]
    if setup.notes:
        lines.append("Conversions and assumptions:")
        lines += [f"  - {note}" for note in setup.notes]
    return lines


def import_gotm_case(
    source: str | Path | Mapping[str, Any] | None,
    out_obs: str | Path,
    out_forcing: str | Path,
    out_case: str | Path | None = None,
    start: str | np.datetime64 | None = None,
    end: str | np.datetime64 | None = None,
    *,
    files: Mapping[str, Any] | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    attrs: Mapping[str, str] | None = None,
    force: bool = False,
) -> GotmImport:
    """A GOTM case -> observation NetCDF, forcing NetCDF and (when ``out_case``) a case YAML.

    Args:
        source: a GOTM case folder (with or without gotm.yaml), a gotm.yaml, a mapping role ->
            file (or (file, column)), or None when ``files`` names every file.
        out_obs: observation file to write (T, S profiles, SST series, epsilon profiles).
        out_forcing: forcing file to write (flux series, or the meteorology of the bulk formulae).
        out_case: case YAML to write (paths in it relative to its folder); None = none.
        start: first time (default time.start of gotm.yaml, else the data's common start).
        end: last time (default time.stop of gotm.yaml, else the end of the forcing).
        files: role -> file or (file, column), overriding gotm.yaml and the file names
            (roles: `ROLES`; a two-column role such as momentum_flux or wind reads COLUMN and
            COLUMN + 1).
        latitude, longitude: the site (degrees), overriding gotm.yaml's location.
        attrs: extra global attributes for both NetCDF files.
        force: overwrite existing outputs.

    Returns:
        `GotmImport`: the paths, the unsupported gotm.yaml settings and the conversions made.
    """
    from calib.io.files import check_outputs

    setup = _setup(source, files, latitude, longitude)
    _report_unused(setup)
    outputs = [out_obs, out_forcing] + ([out_case] if out_case is not None else [])
    check_outputs(*outputs, force=force)
    _check_files(setup)
    begin = start if start is not None else setup.start
    finish = end if end is not None else setup.stop
    obs = _observations(setup, begin, finish)
    forcing, constants = _forcing(setup, begin, finish)
    common = {
        **_site_attrs(setup.latitude, setup.longitude),
        "Conventions": "CF-1.8",
        "sign_convention": SIGN_CONVENTION,
    }
    sources = sorted({v.file.name for v in setup.inputs.values() if v is not None and v.file is not None})
    title = setup.title or (f"GOTM case {setup.name}" if setup.source else "GOTM text files")
    common.update(
        {
            "title": title,
            "summary": f"imported by calib import gotm from {setup.source or 'GOTM files'}",
            "source_files": ", ".join(sources),
            **(attrs or {}),
        }
    )
    obs.attrs = {**common, "conversions": "none: GOTM z (m, negative down) kept as height"}
    series_forcing = forcing
    if forcing is None:  # constants only: a two-record file keeps the forcing file readable
        first, last = obs["time"].values[0], obs["time"].values[-1]
        if setup.start is not None and setup.stop is not None:
            first, last = setup.start.astype("datetime64[ns]"), setup.stop.astype("datetime64[ns]")
        times = np.array([first, last])
        forcing = xr.Dataset(
            {k: ("time", [v, v], _attrs(k)) for k, v in constants.items()}, coords={"time": times}
        )
        forcing["time"].attrs = dict(TIME_ATTRS)
    if "T" in obs or "S" in obs:
        observed, forced = obs["time"].values, forcing["time"].values
        if observed[-1] < forced[0] or observed[0] > forced[-1]:
            label = setup.inputs["temperature"].file if "temperature" in setup.inputs else "observations"
            raise DataError(
                f"{label}: no time overlap with the forcing (profiles {observed[0]!s:.19} to "
                f"{observed[-1]!s:.19}, fluxes {forced[0]!s:.19} to {forced[-1]!s:.19}); "
                "give files of one period"
            )
    forcing.attrs = {
        **common,
        "conversions": "; ".join(setup.notes) or "none: GOTM's signs and units are calib's",
    }
    paths = {"observations": Path(out_obs), "forcing": Path(out_forcing)}
    document = None
    if out_case is not None:
        paths["case"] = Path(out_case)
        document = case_document(setup, paths, obs, series_forcing, constants, start, end)
    written = _write_pair((obs, "float32"), (forcing, "float32"), (out_obs, out_forcing), force)
    case_path = None
    if document is not None:
        case_path = write_case_yaml(paths["case"], document, _header(setup, paths), setup.unsupported)
    return GotmImport(written[0], written[1], case_path, list(setup.unsupported), list(setup.notes))


def import_gotm(
    directory_or_files: str | Path | Mapping[str, Any],
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
    """GOTM text files -> an observation NetCDF and a forcing NetCDF (no case YAML; see
    `import_gotm_case`, which this calls).

    Forcing series are put on the union of their time stamps within their common period;
    a record missing from one file is filled by linear interpolation in time (as GOTM
    interpolates between records), counted in each variable's
    ``records_filled_by_linear_interpolation`` attribute. Signs: GOTM's heat flux,
    stresses and P - E are already positive into the ocean (see
    `calib.io.conventions.gotm_heat_flux_to_calib`); a missing ``pme.dat`` gives zero.

    Returns:
        (observation path, forcing path).
    """
    result = import_gotm_case(
        directory_or_files,
        out_obs,
        out_forcing,
        None,
        start,
        end,
        latitude=latitude,
        longitude=longitude,
        attrs=attrs,
        force=force,
    )
    return result.observations, result.forcing


__all__ = ["GOTM_FILES", "ROLES", "GotmImport", "import_gotm", "import_gotm_case", "parse_role"]
