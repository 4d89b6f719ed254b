"""The reference of the case format: every key of a case YAML file, its type, units, default,
meaning and an example; the one source of `docs/case-format.md` (`python -m
calib.config.reference > docs/case-format.md`, kept complete and current by a test) and of the
comments `calib example` writes. Imports no JAX.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import yaml

from calib.common.vocabulary import CHECKPOINT_SCHEMES, FITTABLE, ROTATIONS, SOLVERS, WATER_TYPES
from calib.config.schema import (
    BULK_ALGORITHMS,
    BULK_PARAMETERS,
    EQUATION_OF_STATE_TYPES,
    HUMIDITY_TYPES,
    LONGWAVE_METHODS,
    SALINITY_KINDS,
)


@dataclasses.dataclass(frozen=True)
class Key:
    """One key of the case format.

    Attributes:
        path: dotted key, e.g. ``time.dt``; ``<var>`` stands for T, S, u or v, ``<series>`` for a
            forcing variable, ``<field>`` for a closure's variant field.
        kind: its YAML type in words.
        units: physical units, or "".
        default: its value when not given ("required" when it must be given).
        meaning: what it does.
        example: a valid YAML value.
    """

    path: str
    kind: str
    units: str
    default: str
    meaning: str
    example: str


_SERIES = "number, {time, values} or {file, variable, time_variable}"
_PROFILE_TYPES = "constant, linear, mixed_layer, cosine, file, observations"


def _keys() -> list[Key]:
    K = Key
    keys = [
        K("name", "text", "", "the file name", "short identifier of the case; names the outputs", "kato_phillips"),
        K("description", "text", "", '""', "free text, stored in the outputs", "Wind mixing into N² = 1e-4"),
        # grid
        K("grid", "mapping", "", "required", "the vertical grid: depth + nz (+ stretching), or levels", "{depth: 50, nz: 100}"),
        K("grid.depth", "number > 0", "m", "required (unless levels)", "depth of the column", "50"),
        K("grid.nz", "integer >= 2", "", "required (unless levels)", "number of cells", "100"),
        K("grid.stretching", "number in [0, 50]", "", "0 (uniform)",
          "refinement toward the surface: faces at -depth (exp(s ξ) - 1) / (exp(s) - 1), ξ from 1 to 0", "2.0"),
        K("grid.levels", "list of numbers", "m", "none",
          "the cell interfaces, as depths (all >= 0) or heights (all <= 0) in any order; must contain 0", "[0, 1, 2.5, 5, 10, 20]"),
        # time
        K("time", "mapping", "", "required", "the time step, run length and output interval", "{dt: 60 s, duration: 24 h, output_interval: 10 min}"),
        K("time.dt", "duration", "s", "required", "the time step; output_interval is a whole number of steps", "60 s"),
        K("time.duration", "duration", "s", "required", "length of the run; a whole number of output intervals", "24 h"),
        K("time.output_interval", "duration", "s", "required", "time between saved states", "10 min"),
        K("time.start", "ISO date", "UTC", "none (the first observation time in a fit)",
          "the date of t = 0; aligns forcing files and observations", "2012-03-21T00:00:00"),
        # initial
        K("initial", "mapping", "", "required", "initial profiles of u, v, T, S", "{T: {type: linear, surface: 16, gradient: 0.05}, S: 35}"),
        K("initial.T", "profile", "°C", "required (unless initial.observations)", "initial temperature", "16.0"),
        K("initial.S", "profile", "psu", "required (unless initial.observations)", "initial salinity", "35.0"),
        K("initial.u", "profile", "m s-1", "0", "initial eastward velocity", "0.0"),
        K("initial.v", "profile", "m s-1", "0", "initial northward velocity", "0.0"),
        K("initial.observations", "file", "", "none",
          "short for {type: observations, file: FILE} for every variable not given (u, v at rest when not observed)",
          "../data/ows_papa_2012_obs.nc"),
        K("initial.<var>", "number or mapping", "", "", f"a number (constant) or a mapping with `type` ({_PROFILE_TYPES})", "{type: linear, surface: 16.0, gradient: 0.05}"),
        K("initial.<var>.type", "text", "", "required in a mapping", f"the profile shape: {_PROFILE_TYPES}", "linear"),
        K("initial.<var>.value", "number", "the variable's", "required for constant", "constant: the value; observations: the value where the file has no such variable", "35.0"),
        K("initial.<var>.surface", "number", "the variable's", "required for linear, mixed_layer", "value at the surface (linear: surface + gradient z)", "16.0"),
        K("initial.<var>.gradient", "number", "per m", "required for linear, mixed_layer",
          "d/dz, positive = increasing upward (mixed_layer: below the layer)", "0.05097"),
        K("initial.<var>.depth", "number > 0", "m", "required for mixed_layer; cosine: the column depth",
          "mixed_layer: thickness of the uniform layer; cosine: the length of the mode", "20"),
        K("initial.<var>.mean", "number", "the variable's", "required for cosine", "cosine: mean + amplitude cos(mode π z / depth)", "10.0"),
        K("initial.<var>.amplitude", "number", "the variable's", "required for cosine", "cosine: the amplitude", "1.0"),
        K("initial.<var>.mode", "integer >= 1", "", "1", "cosine: the mode number", "1"),
        K("initial.<var>.file", "file", "", "required for file, observations", "a NetCDF file, relative to the case file", "profile.nc"),
        K("initial.<var>.variable", "text", "", "required for file; observations: found by name", "the variable in the file", "temp"),
        K("initial.<var>.depth_variable", "text", "", "the variable's only coordinate", "file: the depth or height coordinate", "depth"),
        K("initial.<var>.time", "ISO date", "UTC", "time.start, else the first observation", "observations: the time of the profile (the nearest observed one is used)", "2012-03-21T00:00:00"),
        # equation of state
        K("equation_of_state", "mapping", "", "the defaults below (linear)",
          "the equation of state: linear ρ = ρ0 (1 - α (T - T0) + β (S - S0)), or teos10 (Roquet et al. 2015 polynomial; T is conservative temperature)",
          "{type: teos10, salinity: practical}"),
        K("equation_of_state.type", "text", "", "linear", f"the equation of state: {', '.join(EQUATION_OF_STATE_TYPES)}", "linear"),
        K("equation_of_state.rho0", "number > 0", "kg m-3", "1027", "reference density (also converts fluxes to kinematic units)", "1027.0"),
        K("equation_of_state.alpha", "number", "K-1", "2e-4", "linear: thermal expansion coefficient α", "2.0e-4"),
        K("equation_of_state.beta", "number", "psu-1", "7.6e-4", "linear: haline contraction coefficient β", "7.6e-4"),
        K("equation_of_state.T0", "number", "°C", "10", "linear: reference temperature", "10.0"),
        K("equation_of_state.S0", "number", "psu", "35", "linear: reference salinity", "35.0"),
        K("equation_of_state.gravity", "number > 0", "m s-2", "9.81", "gravitational acceleration", "9.81"),
        K("equation_of_state.heat_capacity", "number in [1000, 10000]", "J kg-1 K-1", "3985 (linear), 3991.868 (teos10, cp0)",
          "specific heat capacity cp: converts heat fluxes (W m-2) into temperature fluxes (e.g. 4200 for a lake)", "4200.0"),
        K("equation_of_state.salinity", "text", "", "absolute",
          f"teos10: the kind of the state's S: {', '.join(SALINITY_KINDS)} (practical: SA = S 35.16504 / 35)", "practical"),
        # forcing
        K("forcing", "mapping", "", "no forcing", "surface forcing, every flux positive into the ocean", "{wind_stress_x: 0.1027, heat_flux: -100}"),
        K("forcing.latitude", "number in [-90, 90]", "degrees north", "0 (no rotation)", "sets the Coriolis parameter f = 2 Ω sin(latitude)", "50.1"),
        K("forcing.wind_stress_x", "series", "Pa", "0", "eastward wind stress on the ocean", "0.1027"),
        K("forcing.wind_stress_y", "series", "Pa", "0", "northward wind stress on the ocean", "0.0"),
        K("forcing.heat_flux", "series", "W m-2", "0", "non-solar heat flux into the ocean (> 0 warms)", "-100.0"),
        K("forcing.longitude", "number in [-360, 360]", "degrees east", "0", "longitude of the column (solar altitude of albedo: payne)", "-144.9"),
        K("forcing.shortwave", "series in [0, 1500]", "W m-2", "0",
          "downward shortwave radiation at the surface; (1 - albedo) of it is absorbed, with depth by water_type or extinction", "200.0"),
        K("forcing.albedo", "number in [0, 1) or payne", "", "0",
          "fraction of the downward shortwave reflected: a constant, or payne (Payne 1972, from solar altitude and transmittance; needs time.start)", "0.06"),
        K("forcing.freshwater_flux", "series", "m s-1", "0", "precipitation minus evaporation (> 0 freshens)", "1.0e-8"),
        K("forcing.<series>", "series", "the variable's", "0", f"a {_SERIES}; a series must cover the run", "{file: forcing.nc, variable: heat_flux}"),
        K("forcing.<series>.time", "list of durations", "s", "required for an inline series", "times since the start, increasing", "[0, 6 h, 12 h]"),
        K("forcing.<series>.values", "list of numbers", "the variable's", "required for an inline series", "one value per time; linear in time between them", "[0.0, 0.1, 0.0]"),
        K("forcing.<series>.file", "file", "", "required for a file series", "a NetCDF file, relative to the case file", "../data/ows_papa_2012_forcing.nc"),
        K("forcing.<series>.variable", "text", "", "required for a file series", "the variable in the file", "heat_flux"),
        K("forcing.<series>.time_variable", "text", "", "time", "the file's time variable (CF dates are aligned with time.start)", "time"),
        K("forcing.water_type", "text", "", "I", f"Jerlov optical water type of the shortwave penetration: {', '.join(WATER_TYPES)}", "IB"),
        K("forcing.extinction", "mapping", "", "none (water_type)",
          "time-varying two-band light extinction instead of water_type: a fraction A decays over g1, 1 - A over g2", "{A: 0.58, g1: 0.35, g2: 23.0}"),
        K("forcing.extinction.A", "series in [0, 1]", "1", "required", "fraction of the light with e-folding length g1", "0.58"),
        K("forcing.extinction.g1", "series > 0", "m", "required", "e-folding length of the first (red) band", "0.35"),
        K("forcing.extinction.g2", "series > 0", "m", "required", "e-folding length of the second (blue-green) band", "23.0"),
        K("forcing.bulk", "mapping", "", "none (the flux series)",
          "bulk formulae: wind stress, non-solar heat flux and P - E computed every step from meteorological series and the model SST and surface current (not together with wind_stress_x/y, heat_flux, freshwater_flux)",
          "{algorithm: coare35, wind_x: 8.0, wind_y: 0.0, air_temperature: 15.0, humidity: 0.008, longwave: -50}"),
        K("forcing.bulk.algorithm", "text", "", "coare35", f"the bulk algorithm: {', '.join(BULK_ALGORITHMS)} (COARE 3.5, Kondo 1975, Large & Yeager 2004)", "coare35"),
        K("forcing.bulk.wind_x", "series", "m s-1", "required", "eastward wind at heights.wind", "8.0"),
        K("forcing.bulk.wind_y", "series", "m s-1", "required", "northward wind at heights.wind", "0.0"),
        K("forcing.bulk.air_temperature", "series in [-60, 60]", "°C", "required", "air temperature at heights.temperature", "15.0"),
        K("forcing.bulk.humidity", "series", "see humidity_type", "required", "air humidity at heights.humidity", "0.008"),
        K("forcing.bulk.humidity_type", "text", "", "specific",
          f"units of humidity: {', '.join(HUMIDITY_TYPES)} (kg kg-1, %, °C)", "relative"),
        K("forcing.bulk.air_pressure", "series in [85000, 110000]", "Pa", "101325", "sea-level air pressure", "101325.0"),
        K("forcing.bulk.longwave_method", "text", "", "net",
          f"net longwave: {', '.join(LONGWAVE_METHODS)} (net: the series is the net longwave into the ocean; downward: the downwelling longwave; clark, berliand, josey: from cloud_cover)", "net"),
        K("forcing.bulk.longwave", "series", "W m-2", "required by net and downward", "net (positive into the ocean) or downwelling longwave radiation", "-50.0"),
        K("forcing.bulk.cloud_cover", "series in [0, 1]", "1", "required by clark, berliand, josey", "cloud cover fraction", "0.7"),
        K("forcing.bulk.precipitation", "series in [0, 1e-3]", "m s-1", "0", "precipitation; P - E = precipitation - evaporation", "3.0e-8"),
        K("forcing.bulk.rain_heat_flux", "true or false", "", "false", "add the heat flux of rain at the wet-bulb temperature (Gosnell et al. 1995)", "true"),
        K("forcing.bulk.relative_wind", "true or false", "", "true", "use the wind relative to the surface current", "true"),
        K("forcing.bulk.heights", "mapping", "m", "{wind: 10, temperature: 2, humidity: 2}", "measurement heights of wind, temperature and humidity", "{wind: 10, temperature: 2, humidity: 2}"),
        K("forcing.bulk.parameters", "mapping", "", "all 1",
          f"multipliers of the transfer coefficients, each in [0.25, 4]: {', '.join(BULK_PARAMETERS)} (calibratable)", "{latent_scale: 1.1}"),
        K("forcing.bottom_drag_coefficient", "number >= 0", "", "0 (free slip)", "quadratic drag coefficient C_d at the sea floor", "2.5e-3"),
        # relaxation
        K("relaxation", "mapping", "", "none",
          "relaxation (nudging) of T and S toward observed profiles, T <- T_obs + (T - T_obs) exp(-dt / tau), after each step; profiles put on the grid linear in depth and time, constant beyond the ends",
          "{T: {observations: ../data/ows_papa_2012_obs.nc, timescale: 10 days}}"),
        K("relaxation.<var>", "mapping", "", "not relaxed", "T or S: the observations and timescales", "{observations: obs.nc, timescale: 10 days}"),
        K("relaxation.<var>.observations", "file", "", "required", "observation NetCDF (read as calib fit reads observations), relative to the case file", "../data/ows_papa_2012_obs.nc"),
        K("relaxation.<var>.variable", "text", "", "found by name and standard_name", "the variable in the file", "temp"),
        K("relaxation.<var>.timescale", "duration", "s", "required", "relaxation timescale tau in the interior", "10 days"),
        K("relaxation.<var>.surface_layer", "mapping", "", "none", "{thickness (m), timescale}: cells whose centre is within thickness of the surface relax with this timescale", "{thickness: 20 m, timescale: 1 day}"),
        K("relaxation.<var>.bottom_layer", "mapping", "", "none", "{thickness (m), timescale}: the same for the cells near the sea floor", "{thickness: 20 m, timescale: 1 day}"),
        # pressure gradient
        K("pressure_gradient", "mapping", "", "none",
          "external (barotropic) pressure gradient as surface-elevation slopes; every level gets du/dt = -g d(eta)/dx, dv/dt = -g d(eta)/dy",
          "{x: 1.0e-6, tides: [{period: 44714 s, x: 1.0e-6}]}"),
        K("pressure_gradient.x", "series", "m m-1", "0", "surface slope d(eta)/dx", "1.0e-6"),
        K("pressure_gradient.y", "series", "m m-1", "0", "surface slope d(eta)/dy", "0.0"),
        K("pressure_gradient.tides", "list of {period, x, y, phase}", "s, m m-1", "none",
          "tidal slopes: each adds (x, y) sin(2 π (t - phase) / period)", "[{period: 44714 s, x: 1.0e-6, y: 0.0, phase: 0 s}]"),
        # closure
        K("closure", "text or mapping", "", "required", "the turbulence closure: a name, or {name, parameters, variant choices} (calib closures)", "k_epsilon"),
        K("closure.name", "text", "", "required", "the closure (calib closures lists them)", "k_epsilon"),
        K("closure.parameters", "mapping", "each parameter's unit", "the closure's defaults",
          "(dotted) parameter name -> value, checked against its bounds; sub-Module parameters are dotted", "{c_epsilon1: 1.44, stability.C1: 0.08}"),
        K("closure.<field>", "text", "", "the closure's default variant",
          "the implementation of a variant field, e.g. stability: kantha_clayson (calib closures NAME lists them)", "kantha_clayson"),
        # numerics
        K("numerics", "mapping", "", "the defaults below", "choices that change the compiled program", "{checkpoint: nested}"),
        K("numerics.checkpoint", "text", "", "nested", f"checkpoint scheme of reverse mode: {', '.join(CHECKPOINT_SCHEMES)}", "recursive"),
        K("numerics.solver", "text", "", "auto", f"tridiagonal solver: {', '.join(SOLVERS)}", "auto"),
        K("numerics.rotation", "text", "", "exact", f"Coriolis integration: {', '.join(ROTATIONS)}", "exact"),
        # output
        K("output", "mapping", "", "every variable", "what runs write", "{variables: [T, u, v]}"),
        K("output.variables", "list of names", "", "all", "variables to write (state, viscosity, diffusivity, closure state)", "[T, u, v]"),
        # fit
        K("fit", "mapping", "", "none", "calibration settings of `calib fit` (its options override them)", "{parameters: [c_epsilon1]}"),
        K("fit.parameters", "list of names", "", "required by calib fit", "(dotted) closure parameters to fit (--params)", "[c_epsilon1, c_epsilon3_stable]"),
        K("fit.observations", "file", "", "none (--obs)", "observation NetCDF, relative to the case file (--obs)", "../data/les_strong_wind_obs.nc"),
        K("fit.weights", "mapping", "", "every observed variable of u, v, T, S, weight 1 (epsilon, SST: when "
          "the file holds nothing else)", f"variable -> weight >= 0 ({', '.join(FITTABLE)}; epsilon on a log10 "
          "scale); 0 drops a variable (--weights)", "{T: 1, u: 0.5}"),
        K("fit.windows", "list of [start, end], or {every: duration}", "s or dates", "the whole run",
          "time windows, each its own run from observed profiles (--window)", "[[0 h, 24 h], [24 h, 48 h]]"),
        K("fit.optimizer", "text", "", "lbfgs", "lbfgs, adam or eki (--optimizer)", "lbfgs"),
        K("fit.iterations", "integer >= 1", "", "50 (lbfgs), 200 (adam), 10 (eki)", "most parameter updates (--iterations)", "30"),
        K("fit.tolerance", "number > 0", "", "1e-6", "relative stop tolerance of the loss and gradient (--tolerance)", "1.0e-6"),
        K("fit.learning_rate", "number > 0", "unconstrained units", "0.05", "Adam's peak learning rate (--learning-rate)", "0.05"),
        K("fit.prior", "number >= 0", "", "0", "weight of the Gaussian pull toward the starting values (--prior)", "0.1"),
        K("fit.save_every", "integer >= 1", "iterations", "5", "iterations between saves of the resume files (--save-every)", "5"),
        K("fit.checkpoint_every", "integer >= 1", "iterations", "5", "old name of fit.save_every", "5"),
        K("fit.checkpoint", "text", "", "auto", f"checkpoint scheme of the loss gradient: auto (step when the saved states fit in 1 GiB, else recursive) or one of {', '.join(CHECKPOINT_SCHEMES)}", "step"),
        K("fit.spin_up", "duration", "s", "1 day", "closure spin-up for windows that start from observed profiles (0: start from the closure's minima)", "12 h"),
        K("fit.time_tolerance", "duration", "s", "half the output interval", "largest |observation time - save time| that pairs them", "30 min"),
        K("fit.landscape", "list of two names", "", "none", "also map the loss over these two parameters (--landscape)", "[c_epsilon1, sigma_k]"),
        K("observations", "mapping", "", "none", "reserved for observation settings, kept as given", "{}"),
    ]  # fmt: skip
    return keys


KEYS: tuple[Key, ...] = tuple(_keys())
BY_PATH = {key.path: key for key in KEYS}

SECTIONS = {
    "": "Top level",
    "grid": "grid — the vertical grid",
    "time": "time — steps, run length, outputs",
    "initial": "initial — initial profiles",
    "equation_of_state": "equation_of_state",
    "forcing": "forcing — surface fluxes, positive into the ocean",
    "relaxation": "relaxation — nudging toward observed profiles",
    "pressure_gradient": "pressure_gradient — external pressure gradient",
    "closure": "closure — the turbulence closure",
    "numerics": "numerics",
    "output": "output",
    "fit": "fit — calibration settings",
    "observations": "observations",
}

INTRO = """# The case format

A case is one YAML file: a grid, a time plan, initial profiles, an equation of state, surface
forcing and a turbulence closure, plus optional numerics, outputs and calibration settings.
`calib example NAME` writes a commented case to start from; `calib closures NAME` lists a
closure's parameters and variants. This page is generated from `calib/config/reference.py`
(`python -m calib.config.reference > docs/case-format.md`); a test keeps it complete.

Conventions: z is height (m, negative below the surface); every surface flux is positive
**into** the ocean; a **duration** is a number of seconds or a string with a unit ("600 s",
"10 min", "24 h", "2 days"); file paths are relative to the folder of the case file. Every
mistake (unknown key, wrong type, value out of range, missing file) is one line naming the file,
the key and the fix, with a did-you-mean for misspelt names.

```yaml
name: kato_phillips
grid: {depth: 50, nz: 100}
time: {dt: 60 s, duration: 24 h, output_interval: 10 min}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05097}, S: 35.0}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0, T0: 16.0, S0: 35.0}
forcing: {latitude: 0.0, wind_stress_x: 0.1027}
closure: {name: k_epsilon, parameters: {c_epsilon1: 1.44}}
fit: {parameters: [c_epsilon1, c_epsilon3_stable], optimizer: lbfgs, iterations: 30}
```

In the tables, `<var>` is one of T, S, u, v (relaxation: T or S); `<series>` one of the forcing variables
(wind_stress_x, wind_stress_y, heat_flux, shortwave, freshwater_flux); `<field>` a variant field of
the closure (e.g. `stability`, `surface`, `bottom`, `mixing_length`).
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def markdown() -> str:
    """docs/case-format.md."""
    lines = [INTRO.rstrip(), ""]
    for section, title in SECTIONS.items():
        keys = [
            k for k in KEYS if (k.path.split(".")[0] if "." in k.path else "") == section or k.path == section
        ]
        if section == "":
            keys = [k for k in KEYS if "." not in k.path and k.path not in SECTIONS]
        lines += [
            f"## {title}",
            "",
            "| key | type | units | default | meaning | example |",
            "|---|---|---|---|---|---|",
        ]
        for k in keys:
            lines.append(f"| `{k.path}` | {_cell(k.kind)} | {_cell(k.units)} | {_cell(k.default)} | "
                         f"{_cell(k.meaning)} | `{_cell(k.example)}` |")  # fmt: skip
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def describe(path: str) -> Key | None:
    """The Key of a concrete dotted path (``initial.T.type`` -> ``initial.<var>.type``)."""
    if path in BY_PATH:
        return BY_PATH[path]
    parts = path.split(".")
    for index, placeholder in ((1, "<var>"), (1, "<series>"), (1, "<field>")):
        if len(parts) > index:
            generic = ".".join([*parts[:index], placeholder, *parts[index + 1 :]])
            if generic in BY_PATH:
                return BY_PATH[generic]
    return None


def _comment(path: str) -> str:
    key = describe(path)
    if key is None:
        return ""
    units = f" ({key.units})" if key.units and key.units not in ("the variable's",) else ""
    return f"  # {key.meaning}{units}"


def _scalar(value: Any) -> str:
    return (
        yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1000)
        .strip()
        .removesuffix("...")
        .strip()
    )


def commented(data: dict, header: str = "") -> str:
    """YAML text of a case mapping with a comment from the reference after every key."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]

    def emit(mapping: dict, prefix: str, indent: int) -> None:
        for key, value in mapping.items():
            path = f"{prefix}{key}"
            pad = " " * indent
            if isinstance(value, dict) and value and path != "closure.parameters":
                lines.append(f"{pad}{key}:{_comment(path)}")
                emit(value, f"{path}.", indent + 2)
            else:
                lines.append(f"{pad}{key}: {_scalar(value)}{_comment(path)}")

    emit(data, "", 0)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
