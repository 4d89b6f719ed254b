"""LESbrary statistics -> calib observation and forcing NetCDF and a runnable case YAML.

See `calib.io.lesbrary` for the three file layouts (temperature suite JLD2, buoyancy suite
JLD2, NetCDF export of the buoyancy suite) and the reader.

**Buoyancy LES.** calib's state is temperature and salinity, so buoyancy is mapped through a
linear equation of state with constant salinity, exactly and both ways:

    T = T0 + b / (g alpha),  S = S0   <=>   b = g alpha (T - T0) - g beta (S - S0) = g alpha (T - T0)

with alpha = `ALPHA` (2e-4 K-1), S0 = `S0` (35), g = the LES's gravity (the
file's ``grav`` / ``gravitational_acceleration``, else 9.81) and T0 chosen so that the top cell of the
first profile is at `SURFACE_TEMPERATURE` (20 degC): T0 = 20 - b_top / (g alpha) (T0 = 20 for the
LESbrary suites, whose surface buoyancy starts at 0; any buoyancy offset, e.g. g (alpha T - beta S)
of a seawater buoyancy, still gives sea temperatures). The LES surface buoyancy flux B
(m2 s-3, Oceananigans: positive upward, out of the ocean) becomes the heat flux into the ocean
Q = -rho0 cp B / (g alpha) (W m-2), rho0 = `REFERENCE_DENSITY`, cp = `HEAT_CAPACITY`. The case
written uses that same equation of state (type linear, alpha, T0, S0, rho0, gravity, and cp),
so that the model's buoyancy equals the LES buoyancy and its surface buoyancy flux
g alpha Q / (rho0 cp) equals -B: the LES flux, into the ocean. The observation file keeps ``b``
itself (not fitted: calib fits T, S, u, v) next to the ``T`` derived from it, in float64 so
that b -> T -> b is exact to rounding.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import ConfigError, DataError
from calib.common.vocabulary import VARIABLES
from calib.io.conventions import (
    oceananigans_momentum_flux_to_wind_stress,
    oceananigans_temperature_flux_to_heat_flux,
)
from calib.io.files import check_outputs, write_text
from calib.io.import_common import (
    EARTH_ROTATION,
    FORCING_ATTRS,
    HEAT_CAPACITY,
    REFERENCE_DENSITY,
    SIGN_CONVENTION,
    TIME_ATTRS,
    _write_pair,
)
from calib.io.lesbrary import EPOCH, read_lesbrary
from calib.io.observations import Z_ATTRS

ALPHA = 2.0e-4  # K-1, thermal expansion of the linear equation of state that carries the LES buoyancy
T0 = 20.0  # degC, reference temperature of the temperature suite's case
SURFACE_TEMPERATURE = 20.0  # degC, the temperature given to the first LES surface buoyancy
S0 = 35.0  # psu, the constant salinity
BETA = 7.8e-4  # psu-1 (irrelevant: S = S0 everywhere), the value of the LESbrary two-day suite
GRAVITY = 9.81  # m s-2 when the file does not give it (calib.core.eos.GRAVITY)
DEFAULT_CLOSURE = "catke"  # the closure Wagner et al. (2025) calibrated on these LES
MAX_DT = 60.0  # s, the longest time step of the written case
NOT_EXPORTED = ("layout", "netcdf_flux_reading")  # reader keys that are not file attributes

Note = Callable[[str], None]


def buoyancy_to_temperature(b, gravity: float, alpha: float = ALPHA, T0: float = T0):  # noqa: N803
    """Buoyancy (m s-2) -> temperature (degC) of the linear EOS: T0 + b / (g alpha)."""
    return T0 + np.asarray(b, dtype=float) / (gravity * alpha)


def buoyancy_flux_to_heat_flux(
    flux,
    gravity: float,
    alpha: float = ALPHA,
    rho0: float = REFERENCE_DENSITY,
    heat_capacity: float = HEAT_CAPACITY,
):
    """Oceananigans surface buoyancy flux (m2 s-3, > 0 upward = the ocean loses buoyancy) ->
    heat flux into the ocean (W m-2): Q = -rho0 cp B / (g alpha)."""
    return -rho0 * heat_capacity * np.asarray(flux, dtype=float) / (gravity * alpha)


def latitude_of(coriolis_parameter: float, source: Path) -> float:
    """Latitude (degrees north) whose f = 2 Omega sin(latitude) is the LES's Coriolis parameter."""
    ratio = coriolis_parameter / (2.0 * EARTH_ROTATION)
    if abs(ratio) > 1.0:
        raise DataError(
            f"{source}: coriolis parameter {coriolis_parameter:g} s-1 exceeds 2 Omega = "
            f"{2 * EARTH_ROTATION:g} s-1; no latitude has it"
        )
    return math.degrees(math.asin(ratio))


def _number(parameters: dict, key: str, path: Path, what: str = "the forcing needs it") -> float:
    value = parameters.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise DataError(f"{path}: parameters/{key} is missing or not a number; {what}")
    return float(value)


def _forcing(observations: xr.Dataset, values: dict[str, float]) -> xr.Dataset:
    """Constant fluxes at the first and last saved time."""
    time = observations["time"].values[[0, -1]]
    data = {name: ("time", np.full(2, float(value)), FORCING_ATTRS[name]) for name, value in values.items()}
    return xr.Dataset(data, coords={"time": ("time", time, TIME_ATTRS)})


def _lesbrary_attrs(parameters: dict, source: Path) -> dict:
    """Global attributes: case constants, equation of state and the conversion constants."""
    keep = {k: v for k, v in parameters.items() if k != "flux_convention" and k not in NOT_EXPORTED}
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


def _z_bounds(ds: xr.Dataset, faces: np.ndarray) -> xr.Dataset:
    ds = ds.assign_coords(z_bounds=(("z", "nv"), np.stack([faces[:-1], faces[1:]], axis=1), {"units": "m"}))
    ds["z"].attrs = {**Z_ATTRS, "bounds": "z_bounds"}
    ds["time"].attrs = dict(TIME_ATTRS)
    return ds


def _temperature_suite(path: Path, observations: xr.Dataset, parameters: dict):
    """(obs, forcing, dtype, eos, not-modelled list) of a temperature-based LES (two-day suite)."""
    momentum = _number(parameters, "momentum_flux", path)
    temperature_flux = _number(parameters, "temperature_flux", path)
    attrs = _lesbrary_attrs(parameters, path)
    obs = observations[["T", "u", "v"] + (["e"] if "e" in observations else [])]
    for name in ("T", "u", "v"):
        obs[name].attrs = {**VARIABLES[name].attributes(), "long_name": observations[name].attrs["long_name"]}
    obs = _z_bounds(obs, observations["z_face"].values)
    obs.attrs = {**attrs, "conversions": "halos stripped; z = Oceananigans cell centres (already heights)"}
    tau = oceananigans_momentum_flux_to_wind_stress(momentum, REFERENCE_DENSITY)
    heat = oceananigans_temperature_flux_to_heat_flux(temperature_flux, REFERENCE_DENSITY, HEAT_CAPACITY)
    values = dict(wind_stress_x=tau, wind_stress_y=0.0, heat_flux=heat, shortwave=0.0, freshwater_flux=0.0)
    forcing = _forcing(observations, values)
    forcing.attrs = {
        **attrs,
        "conversions": "tau_x = -rho0 momentum_flux; heat_flux = -rho0 cp temperature_flux",
    }
    eos = {
        "alpha": float(parameters.get("thermal_expansion", ALPHA)),
        "beta": float(parameters.get("haline_contraction", BETA)),
        "T0": T0,
        "S0": float(parameters.get("reference_salinity", S0)),
        "gravity": float(parameters.get("gravity", GRAVITY)),
    }
    missing = []
    if "temperature_gradient_bottom" in parameters:
        missing.append(
            f"the LES bottom boundary condition dT/dz = {parameters['temperature_gradient_bottom']:.6g} "
            "K m-1 "
            "(the model bottom is insulating)"
        )
    if "b" in observations:
        missing.append("the LES buoyancy b is not imported (T is observed directly)")
    return obs, forcing, "float32", eos, missing


def _penetrating(parameters: dict) -> float:
    value = parameters.get("penetrating_buoyancy_flux")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _buoyancy_suite(path: Path, observations: xr.Dataset, parameters: dict, extinction_supported: bool):
    """(obs, forcing, dtype, eos, not-modelled list) of a buoyancy-based LES (CATKE suite)."""
    momentum = _number(parameters, "momentum_flux", path)
    momentum_y = float(parameters.get("momentum_flux_y", 0.0))
    buoyancy_flux = _number(parameters, "buoyancy_flux", path)
    gravity = float(parameters.get("gravity", GRAVITY))
    if not (math.isfinite(gravity) and gravity > 0):
        raise DataError(f"{path}: gravity {gravity!r} m s-2 is not a positive number")
    b = observations["b"]
    T0 = SURFACE_TEMPERATURE - float(b.values[0, -1]) / (gravity * ALPHA)  # noqa: N806
    attrs = _lesbrary_attrs(parameters, path)
    attrs["equation_of_state"] = (
        f"linear, constant salinity: T = T0 + b / (g alpha), alpha = {ALPHA:g} K-1, T0 = {T0!r} degC, "
        f"S = {S0:g}, g = {gravity:g} m s-2 (b = g alpha (T - T0) exactly)"
    )
    obs = xr.Dataset(coords=observations.coords)
    obs["T"] = (("time", "z"), buoyancy_to_temperature(b.values, gravity, T0=T0), {
        **VARIABLES["T"].attributes(),
        "comment": f"from the LES buoyancy b: T = {T0!r} + b / ({gravity!r} * {ALPHA!r})",
    })  # fmt: skip
    obs["b"] = (("time", "z"), b.values, {
        "units": "m s-2", "long_name": "horizontally averaged buoyancy (LES)",
        "comment": "the LES state variable; not fitted (calib fits T, derived from it)",
    })  # fmt: skip
    for name in ("u", "v"):
        obs[name] = observations[name]
        obs[name].attrs = {**VARIABLES[name].attributes(), "long_name": observations[name].attrs["long_name"]}
    for name in ("e", "c"):
        if name in observations:
            obs[name] = observations[name]
    if "c" in obs:
        obs["c"].attrs["comment"] = "passive tracer of the LES; not modelled by calib"
    obs = _z_bounds(obs.drop_vars("z_face"), observations["z_face"].values)
    obs.attrs = {**attrs, "conversions": "halos stripped; T from b through the linear equation of state"}
    heat = buoyancy_flux_to_heat_flux(buoyancy_flux, gravity)
    penetrating = _penetrating(parameters)
    shortwave = buoyancy_flux_to_heat_flux(penetrating, gravity) if extinction_supported else 0.0
    values = dict(
        wind_stress_x=oceananigans_momentum_flux_to_wind_stress(momentum, REFERENCE_DENSITY),
        wind_stress_y=oceananigans_momentum_flux_to_wind_stress(momentum_y, REFERENCE_DENSITY),
        heat_flux=heat, shortwave=shortwave, freshwater_flux=0.0,
    )  # fmt: skip
    forcing = _forcing(observations, values)
    forcing.attrs = {
        **attrs,
        "conversions": "tau = -rho0 momentum_flux; heat_flux = -rho0 cp buoyancy_flux / (g alpha)"
        + (f"; {parameters['netcdf_flux_reading']}" if parameters.get("netcdf_flux_reading") else ""),
    }
    eos = {"alpha": ALPHA, "beta": BETA, "T0": T0, "S0": S0, "gravity": gravity}
    return (
        obs,
        forcing,
        "float64",
        eos,
        _not_modelled(observations, parameters, penetrating, extinction_supported),
    )


def _not_modelled(
    observations: xr.Dataset, parameters: dict, penetrating: float, extinction: bool
) -> list[str]:
    """What the buoyancy LES has and the written case does not."""
    missing = []
    if "c" in observations:
        source = ""
        if "tracer_forcing_timescale" in parameters:
            source = (
                f" and its source (Gaussian at {parameters.get('tracer_forcing_depth', '?')} m depth, width "
                f"{parameters.get('tracer_forcing_width', '?')} m, "
                f"rate 1/{parameters['tracer_forcing_timescale']:g} s-1)"
            )
        missing.append(f"the passive tracer c{source}: recorded in the observation file, not simulated")
    if isinstance(parameters.get("stokes_drift_surface_velocity"), int | float):
        missing.append(
            f"Stokes drift (surface {parameters['stokes_drift_surface_velocity']:.4g} m s-1): calib has no "
            "wave forcing"
        )
    if penetrating and not extinction:
        missing.append(
            f"the penetrating buoyancy flux ({penetrating:g} m2 s-3): this calib has no forcing.extinction"
        )
    if "N2_deep" in parameters or "buoyancy_gradient_bottom" in parameters:
        gradient = parameters.get("buoyancy_gradient_bottom", parameters.get("N2_deep"))
        missing.append(
            f"the LES bottom boundary condition db/dz = {gradient:g} s-2 (the model bottom is insulating)"
        )
    missing.append("the LES bottom sponge layer (relaxation of u, v, b near the bottom)")
    if "e" in observations:
        missing.append("e (resolved LES TKE) is recorded, not fitted")
    return missing


def buoyancy_budget_check(observations: xr.Dataset, parameters: dict) -> str | None:
    """A warning when the LES buoyancy content changes against the sign of its surface fluxes.

    Over the run, the depth integral of b changes by -(B + I0) * duration (B: surface, I0:
    penetrating buoyancy flux, both positive upward) plus what the bottom sponge and the bottom
    gradient condition add, which are small while the boundary layer stays off the bottom. A
    change of the opposite sign and at least a quarter of the size says the flux sign was
    probably read wrongly (the NetCDF export's b_sfc has no sign convention of its own).
    """
    if "b" not in observations or not isinstance(parameters.get("buoyancy_flux"), int | float):
        return None
    seconds = (observations["time"].values[-1] - observations["time"].values[0]) / np.timedelta64(1, "s")
    expected = -(float(parameters["buoyancy_flux"]) + _penetrating(parameters)) * seconds
    b, dz = observations["b"].values, np.diff(observations["z_face"].values)
    change = float(np.sum((b[-1] - b[0]) * dz))
    if expected == 0.0 or np.sign(change) == np.sign(expected) or abs(change) < 0.25 * abs(expected):
        return None
    return (
        f"the LES buoyancy content changes by {change:.3g} m2 s-2 over the run, but the surface fluxes "
        f"give {expected:.3g} m2 s-2: check the sign of the buoyancy flux (b_sfc) in the file"
    )


def _time_plan(seconds: np.ndarray, path: Path, note: Note) -> dict[str, float]:
    """dt, output_interval (the LES save interval) and duration (the LES length), in s."""
    if seconds.size < 2:
        raise DataError(f"{path}: only one saved time; a case needs at least two")
    steps = np.diff(seconds)
    interval = max(float(np.round(np.median(steps))), 1.0)
    if np.max(np.abs(steps - interval)) > 0.01 * interval:
        note(
            f"the LES saves are irregular ({steps.min():g} to {steps.max():g} s); "
            f"the case saves every {interval:g} s"
        )
    n_saves = max(int(round((seconds[-1] - seconds[0]) / interval)), 1)
    dt = interval / math.ceil(interval / MAX_DT)
    return {"dt": dt, "output_interval": interval, "duration": n_saves * interval}


def _fmt(value: float) -> str:
    """A float YAML reads back exactly (shortest round trip)."""
    text = repr(float(value))
    return text if ("." in text or "e" in text or "n" in text) else text + ".0"


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()


def case_text(
    *,
    name: str,
    description: str,
    header: list[str],
    faces: np.ndarray,
    start: np.datetime64,
    plan: dict[str, float],
    obs: str,
    forcing: str,
    eos: dict[str, float],
    latitude: float,
    closure: str,
    shortwave: dict | None = None,
    salinity: float = S0,
) -> str:
    """The case YAML (keys of docs/case-format.md); `header` lines become the leading comment."""
    levels = [_fmt(z) for z in faces]
    rows: list[str] = []
    for level in levels:  # rows of at most ~90 characters
        if rows and len(rows[-1]) + len(level) < 88:
            rows[-1] += f", {level}"
        else:
            rows.append(level)
    eos_items = {"type": "linear", "rho0": REFERENCE_DENSITY, **eos, "heat_capacity": HEAT_CAPACITY}
    eos_text = ", ".join(f"{k}: {v if isinstance(v, str) else _fmt(v)}" for k, v in eos_items.items())
    lines = [*(f"# {line}" if line else "#" for line in header)]
    lines += [
        f"name: {_quote(name)}",
        f"description: {_quote(description)}",
        "",
        "grid:",
        f"  levels: [{(',' + chr(10) + '           ').join(rows)}]   # the LES cell faces (m)",
        "",
        "time:",
        f"  start: {start.astype('datetime64[s]')}   # the first LES save (LES t = 0 -> 2000-01-01)",
        f"  dt: {plan['dt']:g} s",
        f"  duration: {plan['duration']:g} s    # the LES length",
        f"  output_interval: {plan['output_interval']:g} s   # the LES save interval",
        "",
        "initial:",
        f"  observations: {obs}   # the first LES profile (T, u, v)",
        f"  S: {_fmt(salinity)}",
        "",
        f"equation_of_state: {{{eos_text}}}",
        "",
        "forcing:",
        f"  latitude: {_fmt(latitude)}   # f = 2 Omega sin(latitude) = the LES coriolis parameter",
    ]
    for variable in ("wind_stress_x", "wind_stress_y", "heat_flux"):
        lines.append(f"  {variable}: {{file: {forcing}, variable: {variable}}}")
    if shortwave:
        lines.append(f"  shortwave: {{file: {forcing}, variable: shortwave}}")
        lines.append(
            "  extinction: {" + ", ".join(f"{key}: {_fmt(shortwave[key])}" for key in ("A", "g1", "g2")) + "}"
        )
    lines += ["", "closure:", f"  name: {closure}", "", "fit:", f"  observations: {obs}", ""]
    return "\n".join(lines)


def _quote(text: str) -> str:
    import json

    return json.dumps(str(text), ensure_ascii=False)


def default_case_path(out_obs: str | Path) -> Path:
    """Where the case goes when no path is given: next to the observation file, named after it
    (``X_obs.nc`` -> ``X.yaml``, ``X.nc`` -> ``X_case.yaml``)."""
    out_obs = Path(out_obs)
    stem = out_obs.stem
    name = stem[: -len("_obs")] + ".yaml" if stem.endswith("_obs") and len(stem) > 4 else stem + "_case.yaml"
    return out_obs.with_name(name)


def _check_closure(closure: str) -> None:
    from calib.core.closures import CLOSURES

    if closure not in CLOSURES:
        raise ConfigError(
            f"--closure {closure}: unknown closure; choose one of {', '.join(sorted(CLOSURES))}"
        )


def import_lesbrary(
    path: str | Path,
    out_obs: str | Path,
    out_forcing: str | Path,
    *,
    out_case: str | Path | None = None,
    closure: str = DEFAULT_CLOSURE,
    note: Note | None = None,
    force: bool = False,
) -> tuple[Path, Path]:
    """LESbrary statistics file -> an observation NetCDF, a forcing NetCDF and (with `out_case`)
    a case YAML that runs them.

    Temperature LES (two-day suite): observations T, u, v (e), float32; fluxes
    tau_x = -rho0 * momentum_flux, heat_flux = -rho0 cp temperature_flux.
    Buoyancy LES (CATKE suite, JLD2 or NetCDF export): observations T (from b, see the module
    docstring), b, u, v (e, c), float64; fluxes tau = -rho0 * momentum_flux,
    heat_flux = -rho0 cp buoyancy_flux / (g alpha). rho0 = `REFERENCE_DENSITY`,
    cp = `HEAT_CAPACITY`, recorded as attributes so that a model dividing by the same
    constants recovers the LES kinematic fluxes exactly. Freshwater flux is zero; the fluxes
    are constant over the run (two records, at the first and last LES time).

    The case: grid `levels` = the LES faces (stretched grids kept), time plan = the LES's
    (start at its first save, output interval = its save interval, duration = its length, dt
    <= 60 s dividing the interval), initial state = the first observed profile, the linear
    equation of state above, latitude from the Coriolis parameter, `closure`, and
    ``fit: {observations: OBS}``. What the LES has and the case cannot represent is listed
    in the case's comment header and passed to `note`.

    Args:
        path: a LESbrary ``*_instantaneous_statistics.jld2`` file or its NetCDF export.
        out_obs: observation file to write (``z_bounds`` gives the LES cells).
        out_forcing: forcing file to write (float64; two records, constant in time).
        out_case: case YAML to write (paths in it relative to its folder); None = no case.
        closure: the closure of the case (a key of `calib.core.closures.CLOSURES`).
        note: called with each line worth telling the user (what is not modelled).
        force: overwrite existing output files.

    Returns:
        (observation path, forcing path).

    Raises:
        DataError: unreadable file, missing fluxes; ConfigError: unknown closure.
    """
    path = Path(path)
    note = note or (lambda line: None)
    check_outputs(out_obs, out_forcing, out_case, force=force)
    if out_case is not None:
        _check_closure(closure)
    observations, parameters = read_lesbrary(path)
    extinction = True
    if "T" in observations:
        obs, forcing, dtype, eos, missing = _temperature_suite(path, observations, parameters)
        kind = "temperature"
    else:
        obs, forcing, dtype, eos, missing = _buoyancy_suite(path, observations, parameters, extinction)
        kind = "buoyancy"
    checks = (
        [check] if kind == "buoyancy" and (check := buoyancy_budget_check(observations, parameters)) else []
    )
    for line in checks:
        note(f"check: {line}")
    f = parameters.get("coriolis_parameter", 0.0)
    f = float(f) if isinstance(f, int | float) else 0.0
    latitude = latitude_of(f, path)
    title = f"LESbrary {parameters.get('name', path.stem)}: horizontally averaged LES ({kind} suite)"
    summary = (
        f"Horizontally averaged profiles of an Oceananigans large-eddy simulation ({path.name}), "
        "constant surface fluxes, converted by calib import lesbrary"
    )
    for ds, what in ((obs, "observed profiles"), (forcing, "surface forcing")):
        ds.attrs.update(title=f"{title}, {what}", summary=summary, latitude=latitude)
    plan = _time_plan((observations["time"].values - EPOCH) / np.timedelta64(1, "s"), path, note)
    outputs = _write_pair((obs, dtype), (forcing, "float64"), (out_obs, out_forcing), force, content="modelResult")
    if out_case is None:
        return outputs
    out_case = Path(out_case)
    folder = out_case.parent
    shortwave = None
    if kind == "buoyancy" and extinction and _penetrating(parameters):
        shortwave = {
            "A": float(parameters.get("first_light_penetration_fraction", 0.6)),
            "g1": float(parameters.get("first_light_penetration_scale", 1.0)),
            "g2": float(parameters.get("second_light_penetration_scale", 20.0)),
        }
    header = _header(path, kind, parameters, eos, latitude, f, missing, closure)
    header += [f"Check: {line}" for line in checks]
    text = case_text(
        name=str(parameters.get("name") or path.stem).replace("/", "_") or path.stem,
        description=f"LESbrary {parameters.get('name', path.stem)} ({kind} LES) imported from {path.name}",
        header=header, faces=observations["z_face"].values, start=observations["time"].values[0], plan=plan,
        obs=_relative(outputs[0], folder), forcing=_relative(outputs[1], folder), eos=eos, latitude=latitude,
        closure=closure, shortwave=shortwave, salinity=eos["S0"],
    )  # fmt: skip
    write_text(out_case, text)
    for line in missing:
        note(f"not modelled: {line}")
    return outputs


def _header(path: Path, kind: str, parameters: dict, eos: dict, latitude: float, f: float,
            missing: list[str], closure: str) -> list[str]:  # fmt: skip
    """The comment block at the top of the case."""
    g, alpha = eos["gravity"], eos["alpha"]
    lines = [
        f"LESbrary {parameters.get('name', path.stem)} ({kind} LES), "
        f"written by `calib import lesbrary {path.name}`.",
        "LES fluxes (Oceananigans convention, > 0 upward): "
        f"momentum {parameters.get('momentum_flux', 0.0):g} m2 s-2"
        + (
            f", buoyancy {parameters['buoyancy_flux']:g} m2 s-3"
            if kind == "buoyancy"
            else f", temperature {parameters.get('temperature_flux', 0.0):g} K m s-1"
        )
        + f"; f = {f:g} s-1 (latitude {latitude:.6g}).",
    ]
    if kind == "buoyancy":
        lines += [
            "Buoyancy is observed through the linear equation of state below: T = T0 + b / (g alpha),",
            f"T0 = {eos['T0']:.10g} (the first surface b at {SURFACE_TEMPERATURE:g} degC), g = {g:g} m s-2,",
            f"alpha = {alpha:g} K-1, S = {eos['S0']:g} constant, so the model's buoyancy",
            "g alpha (T - T0) is the LES b and its surface buoyancy flux g alpha Q / (rho0 cp) the LES one",
            f"(Q = -rho0 cp B / (g alpha), rho0 = {REFERENCE_DENSITY:g}, cp = {HEAT_CAPACITY:g}).",
        ]
        if parameters.get("netcdf_flux_reading"):
            lines.append(f"NetCDF fluxes: {parameters['netcdf_flux_reading']}.")
    lines.append(
        f"Closure {closure}: "
        + (
            "the closure Wagner et al. (2025) calibrated on these LES."
            if closure == "catke"
            else "chosen with --closure."
        )
    )
    if missing:
        lines.append("Not modelled (the LES has it, this case does not):")
        lines += [f"  - {line}" for line in missing]
    return lines
