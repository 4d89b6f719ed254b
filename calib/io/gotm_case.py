"""A GOTM case's gotm.yaml -> the settings calib can reproduce, and the case YAML that says so.

`read_gotm_yaml` reads a gotm.yaml (GOTM 6/7 layout) into a `GotmSetup`: the site, the time plan,
the grid, which inputs the chosen methods need (file + 1-based column, or a constant, with GOTM's
``scale_factor`` and ``offset``), the bulk-flux, albedo, extinction, relaxation, pressure-gradient,
equation-of-state and closure choices translated into the keys of calib's case format
(docs/case-format.md). Every leaf of the yaml is classified as

- **used**: read into the calib case;
- **ignored**: irrelevant under the chosen methods (e.g. ``two_layer`` values when the profile comes
  from a file) or output/bookkeeping settings that do not change the physics;
- **unsupported**: a setting that changes GOTM's physics and that calib cannot reproduce (ice,
  seagrass, internal pressure, vertical advection, FABM, Charnock roughness ...), or a leaf calib
  does not recognise. These are listed in `GotmSetup.unsupported`, in the comment block at the top
  of the case YAML and on the console: nothing is dropped silently.

`write_case_yaml` writes the case document with that comment block. No GOTM code is used: the
meaning of the keys is GOTM's documented one (the comments of ``gotm --write_yaml``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from calib.common.errors import DataError

RELAX_OFF = 1.0e15  # s; GOTM's "no relaxation" timescale (and anything longer)
MOLECULAR_VISCOSITY = 1.3e-6  # m2 s-1, GOTM's avmolu (the calib reference cases use it)
MOLECULAR_DIFFUSIVITY = 1.4e-7  # m2 s-1, GOTM's avmolt
BOTTOM_Z0_PER_H0B = 0.03  # z0 = 0.03 h0b: hydraulic roughness of a physical roughness h0b (Nikuradse)
JERLOV = {"jerlov-i": "I", "jerlov-ia": "IA", "jerlov-ib": "IB", "jerlov-ii": "II", "jerlov-iii": "III"}
BULK = {"fairall": "coare35", "kondo": "kondo"}  # GOTM method -> calib.core.airsea algorithm
LONGWAVE = {"file": "net", "clark": "clark", "berliand_berliand": "berliand", "josey1": "josey"}
HUMIDITY = {"specific": "specific", "relative": "relative", "dew_point": "dew_point"}
STABILITY = {
    "canuto-a": "canuto_a",
    "canuto-b": "canuto_b",
    "cheng": "cheng",
    "kantha_clayson": "kantha_clayson",
}
C_MU0 = {
    "canuto_a": 0.526465,
    "canuto_b": 0.553987,
    "cheng": 0.527046,
    "kantha_clayson": 0.554832,
}  # neutral c_mu0 of calib's functions
TIME_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


@dataclass
class Input:
    """One GOTM input: a file column or a constant, with GOTM's linear transform."""

    role: str
    file: Path | None = None
    column: int = 1
    constant: float | None = None
    scale_factor: float = 1.0
    offset: float = 0.0
    key: str = ""  # where in gotm.yaml it was set ("" = command line or file name)

    def describe(self) -> str:
        where = f" ({self.key})" if self.key else ""
        if self.file is None:
            return f"{self.role} = {self.constant}{where}"
        return f"{self.role} = {self.file}:{self.column}{where}"


@dataclass
class GotmSetup:
    """What calib takes from a GOTM case (see the module docstring)."""

    source: Path | None = None
    name: str = "gotm_case"
    title: str = ""
    latitude: float | None = None
    longitude: float | None = None
    depth: float | None = None
    start: np.datetime64 | None = None
    stop: np.datetime64 | None = None
    dt: float = 600.0
    nlev: int | None = None
    levels: list[float] | None = None  # explicit interface depths (m, >= 0) when zoomed
    inputs: dict[str, Input] = field(default_factory=dict)
    flux_method: str = "off"  # off (prescribed fluxes) | kondo | fairall
    humidity_type: str = "specific"
    longwave_method: str = "net"
    albedo: float | str = 0.0
    rain_heat_flux: bool = False
    relative_wind: bool = True
    bottom_drag_coefficient: float = 0.0
    water_type: str | None = "I"
    extinction: dict[str, Input] | None = None
    equation_of_state: dict = field(default_factory=lambda: {"type": "teos10", "salinity": "practical"})
    initial: dict[str, Any] = field(default_factory=dict)  # T/S -> number or profile mapping (not file)
    relaxation: dict[str, dict] = field(default_factory=dict)  # T/S -> {timescale, surface_layer, ...}
    pressure_gradient: dict[str, Any] = field(default_factory=dict)  # x/y -> Input, tides -> list
    closure: dict[str, Any] = field(default_factory=lambda: {"name": "k_epsilon"})
    output_interval: float | None = None
    used: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # conversions and assumptions made


class _Tree:
    """The parsed yaml with a record of what happened to each leaf (used / ignored / unsupported)."""

    def __init__(self, data: dict, source: Path):
        self.data, self.source = data, source
        self.marks: dict[str, tuple[str, str]] = {}  # dotted path (leaf or branch) -> (state, why)

    def has(self, path: str) -> bool:
        return self._lookup(path) is not _MISSING

    def _lookup(self, path: str):
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
        return node

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path (default when absent or empty); the leaf becomes used."""
        value = self._lookup(path)
        if value is _MISSING or value is None or value == "":
            if value is not _MISSING:
                self.marks.setdefault(path, ("used", ""))
            return default
        if not isinstance(value, dict) and self.marks.get(path, ("",))[0] != "unsupported":
            self.marks[path] = ("used", "")
        return value

    def number(self, path: str, default: float | None = None) -> float | None:
        value = self.get(path, default)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise DataError(f"{self.source}: {path} = {value!r} is not a number; write a number") from None

    def ignore(self, path: str, why: str = "irrelevant under the chosen methods") -> None:
        if self.has(path):
            self.marks.setdefault(path, ("ignored", why))

    def unsupported(self, path: str, why: str) -> None:
        if self.has(path):
            self.marks[path] = ("unsupported", why)

    def leaves(self, node=None, prefix: str = ""):
        node = self.data if node is None else node
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and value:
                yield from self.leaves(value, path + ".")
            else:
                yield path, value

    def classify(self, setup: GotmSetup) -> None:
        """Fill setup.used / ignored / unsupported: every leaf in exactly one of them."""
        reported: set[str] = set()
        for path, value in self.leaves():
            state, why, marked = "unsupported", "not interpreted by calib", path
            for candidate in _prefixes(path):
                if candidate in self.marks:
                    (state, why), marked = self.marks[candidate], candidate
                    break
            text = f"{path} = {_show(value)}"
            if state == "used":
                setup.used.append(text)
            elif state == "ignored":
                setup.ignored.append(f"{text} ({why})")
            elif marked not in reported or marked == path:
                reported.add(marked)
                shown = text if marked == path else f"{marked}.* ({path} = {_show(value)} ...)"
                setup.unsupported.append(f"{shown}: {why}")


_MISSING = object()


def _prefixes(path: str):
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        yield ".".join(parts[:end])


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}"
    return str(value)


def _date(tree: _Tree, path: str):
    value = tree.get(path)
    if value is None:
        return None
    try:
        return np.datetime64(str(value).strip().replace(" ", "T"), "s")
    except ValueError:
        raise DataError(
            f"{tree.source}: {path} = {value!r} is not a date; write YYYY-MM-DD HH:MM:SS"
        ) from None


def _input(tree: _Tree, path: str, role: str, methods=("constant", "file")) -> Input | None:
    """A GOTM input block (method, constant_value, file, column, scale_factor, offset)."""
    if not tree.has(path):
        return None
    method = str(tree.get(f"{path}.method", "constant"))
    if method not in methods:
        return None  # the caller handles other methods (tidal, calculate, off ...)
    scale = tree.number(f"{path}.scale_factor", 1.0)
    offset = tree.number(f"{path}.offset", 0.0)
    if method == "file":
        name = tree.get(f"{path}.file")
        if name is None:
            raise DataError(f"{tree.source}: {path}.method is file but {path}.file is empty; name the file")
        column = int(tree.number(f"{path}.column", 1))
        tree.ignore(f"{path}.constant_value", "method file")
        return Input(role, (tree.source.parent / str(name)), column, None, scale, offset, path)
    for key in ("file", "column"):
        tree.ignore(f"{path}.{key}", f"method {method}")
    return Input(role, None, 1, tree.number(f"{path}.constant_value", 0.0), scale, offset, path)


class _GotmLoader(yaml.SafeLoader):
    """YAML 1.1 without on/off/yes/no booleans: GOTM writes ``method: off`` meaning the word."""


_GotmLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_GotmLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_gotm_yaml(path: str | Path) -> GotmSetup:
    """Read a gotm.yaml into a `GotmSetup` (see the module docstring)."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(), Loader=_GotmLoader)  # noqa: S506 (a safe loader)
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror}); check the path") from None
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise DataError(f"{path}: not valid YAML{where}; check the file") from None
    if not isinstance(data, dict):
        raise DataError(
            f"{path}: expected a gotm.yaml mapping (location, time, grid ...), got {type(data).__name__}"
        )
    tree = _Tree(data, path)
    setup = GotmSetup(source=path)
    _general(tree, setup)
    _profiles(tree, setup)
    _surface(tree, setup)
    _light(tree, setup)
    _equation_of_state(tree, setup)
    _buoyancy_profiles(setup)
    _pressure(tree, setup)
    _turbulence(tree, setup)
    _unsupported_models(tree)
    _output(tree, setup)
    tree.classify(setup)
    return setup


def _general(tree: _Tree, setup: GotmSetup) -> None:
    tree.get("version")
    setup.title = str(tree.get("title", ""))
    setup.name = _identifier(
        str(tree.get("location.name", setup.source.parent.name if setup.source else "gotm"))
    )
    setup.latitude = tree.number("location.latitude", 0.0)
    setup.longitude = tree.number("location.longitude", 0.0)
    setup.depth = tree.number("location.depth", 100.0)
    setup.start, setup.stop = _date(tree, "time.start"), _date(tree, "time.stop")
    setup.dt = tree.number("time.dt", 3600.0)
    tree.ignore("time.method", "calib runs from time.start to time.stop")
    tree.ignore("time.MaxN", "calib runs from time.start to time.stop")
    setup.nlev = int(tree.number("grid.nlev", 100))
    method = tree.get("grid.method", "analytical")
    if method == "analytical":
        tree.ignore("grid.file", "grid.method analytical")
        ddu, ddl = tree.number("grid.ddu", 0.0), tree.number("grid.ddl", 0.0)
        if ddu or ddl:
            setup.levels = zoomed_levels(setup.depth, setup.nlev, ddu, ddl)
            setup.notes.append(f"grid: GOTM zooming ddu = {ddu}, ddl = {ddl} written as explicit levels")
    else:
        tree.unsupported(
            "grid.method", f"grid.method {method}: calib reads no layer-thickness file; uniform layers used"
        )
        tree.ignore("grid.file", "grid.method not supported")
        tree.ignore("grid.ddu", "grid.method not analytical")
        tree.ignore("grid.ddl", "grid.method not analytical")
    tree.ignore("restart.load", "off") if not tree.get("restart.load", False) else tree.unsupported(
        "restart.load", "calib does not read GOTM restart files; it starts from the observed profiles"
    )


def zoomed_levels(depth: float, nlev: int, ddu: float, ddl: float) -> list[float]:
    """Interface depths (m, 0 = surface) of GOTM's analytical zooming (Burchard & Bolding 2001):
    height above the bed z_i = D (tanh((ddl + ddu) i / N - ddl) + tanh(ddl)) / (tanh(ddl) + tanh(ddu))."""
    i = np.arange(nlev + 1)
    if ddl + ddu <= 0:
        above_bed = depth * i / nlev
    else:
        above_bed = (
            depth * (np.tanh((ddl + ddu) * i / nlev - ddl) + np.tanh(ddl)) / (np.tanh(ddl) + np.tanh(ddu))
        )
    return [round(float(depth - h), 6) for h in above_bed[::-1]]


def _identifier(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in text.strip())
    return cleaned or "gotm_case"


def _profiles(tree: _Tree, setup: GotmSetup) -> None:
    """temperature / salinity: initial profiles (and relaxation)."""
    for variable, key, value_key in (("T", "temperature", "t"), ("S", "salinity", "s")):
        role = "temperature" if variable == "T" else "salinity"
        if not tree.has(key):
            continue
        method = str(tree.get(f"{key}.method", "off"))
        source = _input(tree, key, role, methods=("file", "constant"))
        if method == "file":
            setup.inputs[role] = source
        elif method == "constant":
            setup.initial[variable] = source.constant
        elif method == "buoyancy":  # uniform N² from this variable alone (resolved with the EOS below)
            setup.initial[variable] = (
                "buoyancy",
                tree.number(f"{key}.constant_value", 0.0),
                tree.number(f"{key}.NN", 0.0),
            )
            tree.ignore(f"{key}.two_layer", f"{key}.method buoyancy")
        elif method == "two_layer":
            z_s, z_b = tree.number(f"{key}.two_layer.z_s", 0.0), tree.number(f"{key}.two_layer.z_b", 0.0)
            v_s = tree.number(f"{key}.two_layer.{value_key}_s", 0.0)
            v_b = tree.number(f"{key}.two_layer.{value_key}_b", 0.0)
            gradient = (v_s - v_b) / (z_b - z_s) if z_b > z_s else 0.0
            setup.initial[variable] = {
                "type": "mixed_layer",
                "surface": v_s,
                "depth": max(z_s, 1e-3),
                "gradient": gradient,
            }
            tree.unsupported(
                f"{key}.two_layer.{value_key}_b",
                f"two_layer: calib's mixed_layer profile keeps "
                f"the gradient below {z_b} m instead of a constant {v_b}",
            )
        else:
            tree.unsupported(
                f"{key}.method", f"{key}.method {method}: give the initial {variable} as a file or constant"
            )
        for sub in ("file", "column", "constant_value", "scale_factor", "offset"):
            tree.ignore(f"{key}.{sub}", f"{key}.method {method}")
        if method != "two_layer":
            tree.ignore(f"{key}.two_layer", f"{key}.method {method}")
        if method != "buoyancy":
            tree.ignore(f"{key}.NN", f"{key}.method {method}")
        if variable == "T":
            kind = str(tree.get("temperature.type", "in-situ"))
            if (
                kind != "conservative"
                and tree.get("equation_of_state.method", "full_teos-10") == "full_teos-10"
            ):
                tree.unsupported(
                    "temperature.type",
                    f"{kind} temperature: calib's TEOS-10 state is conservative "
                    "temperature; the profiles are used without conversion",
                )
        else:
            setup.equation_of_state["salinity"] = (
                "absolute" if tree.get("salinity.type") == "absolute" else "practical"
            )
        _relaxation(tree, setup, key, variable, method)


GRAVITY = 9.81  # m s-2, GOTM's g


def _buoyancy_profiles(setup: GotmSetup) -> None:
    """GOTM's ``method: buoyancy``: a linear profile with the given N² (the other variable held), the
    top cell at ``constant_value``: dT/dz = N² / (g alpha), dS/dz = -N² / (g beta)."""
    eos = setup.equation_of_state
    for variable in ("T", "S"):
        spec = setup.initial.get(variable)
        if not isinstance(spec, tuple):
            continue
        _, top, nn = spec
        if eos["type"] == "linear":
            alpha, beta = eos["alpha"], eos["beta"]
        else:
            other = setup.initial.get("S" if variable == "T" else "T")
            other = other if isinstance(other, (int, float)) else (35.0 if variable == "T" else 10.0)
            alpha, beta = _teos10_coefficients(
                top if variable == "T" else other, other if variable == "T" else top
            )
        coefficient = alpha if variable == "T" else -beta
        gradient = nn / (GRAVITY * coefficient) if coefficient else 0.0
        half_cell = (setup.levels[1] if setup.levels else setup.depth / setup.nlev) / 2.0
        setup.initial[variable] = {"type": "linear", "surface": round(top + gradient * half_cell, 8),
                                   "gradient": round(gradient, 10)}  # fmt: skip
        setup.notes.append(f"{variable} from N² = {nn:g} s-2: {gradient:.6g} per m, {top:g} in the top cell")


def _relaxation(tree: _Tree, setup: GotmSetup, key: str, variable: str, method: str) -> None:
    tau = tree.number(f"{key}.relax.tau", RELAX_OFF)
    tau_s, tau_b = tree.number(f"{key}.relax.tau_s", RELAX_OFF), tree.number(f"{key}.relax.tau_b", RELAX_OFF)
    h_s, h_b = tree.number(f"{key}.relax.h_s", 0.0), tree.number(f"{key}.relax.h_b", 0.0)
    active = [
        t for t in (tau, tau_s if h_s > 0 else RELAX_OFF, tau_b if h_b > 0 else RELAX_OFF) if t < RELAX_OFF
    ]
    if not active:
        return
    if method != "file":
        tree.unsupported(
            f"{key}.relax", f"relaxation to a {method} {key} profile: calib relaxes to observed files"
        )
        return
    entry: dict[str, Any] = {"timescale": _seconds(min(tau, RELAX_OFF))}
    if h_s > 0 and tau_s < RELAX_OFF:
        entry["surface_layer"] = {"thickness": h_s, "timescale": _seconds(tau_s)}
    if h_b > 0 and tau_b < RELAX_OFF:
        entry["bottom_layer"] = {"thickness": h_b, "timescale": _seconds(tau_b)}
    setup.relaxation[variable] = entry


def _seconds(value: float) -> str:
    return f"{value:g} s"


METEO = {  # GOTM surface key -> calib role
    "u10": "wind_x",
    "v10": "wind_y",
    "airp": "air_pressure",
    "airt": "air_temperature",
    "hum": "humidity",
    "cloud": "cloud_cover",
    "precip": "precipitation",
}


def _surface(tree: _Tree, setup: GotmSetup) -> None:
    method = str(tree.get("surface.fluxes.method", "off"))
    if method not in ("off", *BULK):
        tree.unsupported(
            "surface.fluxes.method", f"bulk method {method}: calib has fairall (COARE 3.5) and kondo"
        )
        method = "fairall"
    setup.flux_method = method
    swr = str(tree.get("surface.swr.method", "constant"))
    if swr == "calculate":
        tree.unsupported(
            "surface.swr.method",
            "swr calculate (clear-sky from cloud cover): calib needs a shortwave series or constant",
        )
    else:
        setup.inputs["shortwave"] = _input(tree, "surface.swr", "shortwave")
    if method == "off":
        for role, key in (("heat_flux", "heat"), ("tx", "tx"), ("ty", "ty")):
            setup.inputs[role] = _input(tree, f"surface.fluxes.{key}", role)
        for key in ("u10", "v10", "airp", "airt", "hum", "cloud", "longwave_radiation"):
            tree.ignore(f"surface.{key}", "surface.fluxes.method off (prescribed fluxes)")
        tree.ignore("surface.precip.flux_impact", "surface.fluxes.method off")
        tree.ignore("surface.ssuv_method", "surface.fluxes.method off (no bulk wind stress)")
        tree.ignore("surface.calc_evaporation", "surface.fluxes.method off: precip is the freshwater flux")
        if tree.get("surface.calc_evaporation", False):
            tree.unsupported("surface.calc_evaporation", "evaporation needs the bulk formulae; none is added")
        precip = _input(tree, "surface.precip", "freshwater_flux")
        if precip is not None:
            setup.inputs["freshwater_flux"] = precip
    else:
        tree.ignore("surface.fluxes.heat", f"surface.fluxes.method {method}: computed by bulk formulae")
        tree.ignore("surface.fluxes.tx", f"surface.fluxes.method {method}")
        tree.ignore("surface.fluxes.ty", f"surface.fluxes.method {method}")
        for key, role in METEO.items():
            if key == "cloud":
                continue
            block = _input(tree, f"surface.{key}", role)
            if block is not None:
                setup.inputs[role] = block
        kind = str(tree.get("surface.hum.type", "relative"))
        if kind not in HUMIDITY:
            tree.unsupported(
                "surface.hum.type", f"humidity type {kind}: calib takes specific, relative or dew_point"
            )
        setup.humidity_type = HUMIDITY.get(kind, "relative")
        longwave = str(tree.get("surface.longwave_radiation.method", "clark"))
        if longwave not in LONGWAVE:
            tree.unsupported(
                "surface.longwave_radiation.method",
                f"longwave formula {longwave}: calib has file (net), clark, berliand_berliand, josey1; "
                "clark used",
            )
        setup.longwave_method = LONGWAVE.get(longwave, "clark")
        if setup.longwave_method == "net":
            setup.inputs["longwave"] = _input(
                tree, "surface.longwave_radiation", "longwave", methods=("file",)
            )
            tree.ignore("surface.cloud", "longwave from a file")
        else:
            tree.ignore("surface.longwave_radiation.file", f"longwave method {longwave}")
            tree.ignore("surface.longwave_radiation.column", f"longwave method {longwave}")
            setup.inputs["cloud_cover"] = _input(tree, "surface.cloud", "cloud_cover")
        setup.relative_wind = str(tree.get("surface.ssuv_method", "relative")) != "absolute"
        impact = bool(tree.get("surface.precip.flux_impact", False))
        setup.rain_heat_flux = impact
        if impact:
            setup.notes.append("precip.flux_impact: calib adds the rain heat flux (Gosnell et al. 1995) only")
        if not tree.get("surface.calc_evaporation", False):
            tree.unsupported(
                "surface.calc_evaporation",
                "calib's bulk formulae always subtract the evaporation from the precipitation",
            )
    albedo = str(tree.get("surface.albedo.method", "payne"))
    if albedo == "constant":
        setup.albedo = tree.number("surface.albedo.constant_value", 0.0)
    else:
        tree.ignore("surface.albedo.constant_value", f"albedo method {albedo}")
        if albedo != "payne":
            tree.unsupported(
                "surface.albedo.method", f"albedo {albedo}: calib has constant and payne; payne used"
            )
        setup.albedo = "payne"
    sst = _input(tree, "surface.sst", "sst", methods=("file",))
    if sst is not None:
        setup.inputs["sst"] = sst
    else:
        tree.ignore("surface.sst", "no SST file")
    if tree.get("surface.sss.method") == "file":
        tree.unsupported("surface.sss", "calib imports no surface-salinity observations (use the S profiles)")
    else:
        tree.ignore("surface.sss", "no SSS file")
    if tree.get("surface.roughness.charnock", False):
        tree.unsupported("surface.roughness.charnock", "calib has no Charnock roughness; z0s_min used as z0")
        tree.ignore("surface.roughness.charnock_val", "Charnock not supported")
    else:
        tree.ignore("surface.roughness.charnock_val", "charnock false")
    model = str(tree.get("surface.ice.model", "simple"))
    if model != "no_ice":
        tree.unsupported(
            "surface.ice.model", f"ice model {model}: calib has no ice model (water may cool below freezing)"
        )
    tree.ignore("surface.ice.H", "no ice model in calib")
    tree.ignore("surface.ice", "ice model no_ice")


def _light(tree: _Tree, setup: GotmSetup) -> None:
    method = str(tree.get("light_extinction.method", "jerlov-i"))
    if method == "custom":
        setup.water_type = None
        setup.extinction = {
            name: _input(tree, f"light_extinction.{name}", f"extinction_{name}") for name in ("A", "g1", "g2")
        }
        return
    for name in ("A", "g1", "g2"):
        tree.ignore(f"light_extinction.{name}", f"light_extinction.method {method}")
    if method not in JERLOV:
        tree.unsupported("light_extinction.method", f"{method}: calib has Jerlov I, IA, IB, II, III; I used")
    setup.water_type = JERLOV.get(method, "I")


def _equation_of_state(tree: _Tree, setup: GotmSetup) -> None:
    method = str(tree.get("equation_of_state.method", "full_teos-10"))
    rho0 = tree.number("equation_of_state.rho0", 1027.0)
    if method == "full_teos-10":
        setup.equation_of_state = {
            "type": "teos10",
            "salinity": setup.equation_of_state.get("salinity", "practical"),
            "rho0": rho0,
        }
        tree.ignore("equation_of_state.linear", "equation_of_state.method full_teos-10")
        return
    linear = {
        key: tree.number(f"equation_of_state.linear.{key}", default)
        for key, default in (
            ("T0", 15.0),
            ("S0", 35.0),
            ("alpha", 2e-4),
            ("beta", 7.5e-4),
            ("cp", 3991.86795711963),
        )
    }
    if method == "linear_teos-10":
        tree.ignore("equation_of_state.linear.alpha", "computed from TEOS-10 at T0, S0")
        tree.ignore("equation_of_state.linear.beta", "computed from TEOS-10 at T0, S0")
        tree.ignore("equation_of_state.linear.cp", "TEOS-10 cp0")
        linear["alpha"], linear["beta"] = _teos10_coefficients(linear["T0"], linear["S0"])
        linear["cp"] = 3991.86795711963
        if tree.number("equation_of_state.linear.p0", 0.0):
            tree.unsupported("equation_of_state.linear.p0", "calib linearises TEOS-10 at p = 0")
    elif method != "linear_custom":
        tree.unsupported(
            "equation_of_state.method", f"{method}: calib has full_teos-10, linear_custom, linear_teos-10"
        )
    else:
        tree.ignore("equation_of_state.linear.p0", "linear_custom takes alpha and beta as given")
    setup.equation_of_state = {
        "type": "linear",
        "rho0": rho0,
        "alpha": linear["alpha"],
        "beta": linear["beta"],
        "T0": linear["T0"],
        "S0": linear["S0"],
        "heat_capacity": linear["cp"],
    }


def _teos10_coefficients(T0: float, S0: float) -> tuple[float, float]:
    """alpha, beta of calib's TEOS-10 polynomial at (T0, S0, p = 0)."""
    from calib.core.eos import Teos10Polynomial

    alpha, beta = Teos10Polynomial().expansion_coefficients(np.float64(T0), np.float64(S0))
    return float(alpha), float(beta)


def _pressure(tree: _Tree, setup: GotmSetup) -> None:
    base = "mimic_3d.ext_pressure"
    kind = str(tree.get(f"{base}.type", "elevation"))
    tides = []
    for axis, key in (("x", "dpdx"), ("y", "dpdy")):
        path = f"{base}.{key}"
        method = str(tree.get(f"{path}.method", "constant"))
        if method == "tidal":
            for sub in ("file", "column", "constant_value"):
                tree.ignore(f"{path}.{sub}", "method tidal")
            for harmonic in (1, 2):
                amplitude = tree.number(f"{path}.tidal.amp_{harmonic}", 0.0)
                phase = tree.number(f"{path}.tidal.phase_{harmonic}", 0.0)
                period = tree.number(f"{base}.period_{harmonic}", 44714.0 if harmonic == 1 else 43200.0)
                if amplitude:
                    tides.append(
                        {
                            "period": _seconds(period),
                            "x": amplitude if axis == "x" else 0.0,
                            "y": amplitude if axis == "y" else 0.0,
                            "phase": _seconds(phase),
                        }
                    )
            continue
        tree.ignore(f"{path}.tidal", f"method {method}")
        block = _input(tree, path, f"pressure_gradient_{axis}")
        if block is None:
            tree.unsupported(f"{path}.method", f"ext_pressure method {method} unknown")
        elif block.file is not None or block.constant:
            setup.pressure_gradient[axis] = block
    for harmonic in (1, 2):
        tree.ignore(f"{base}.period_{harmonic}", "no tidal harmonic")
    active = tides or setup.pressure_gradient
    if active and kind != "elevation":
        tree.unsupported(
            f"{base}.type", f"ext_pressure type {kind}: calib takes surface-elevation slopes only"
        )
        setup.pressure_gradient.clear()
        tides = []
    tree.ignore(f"{base}.h", "ext_pressure type elevation")
    tree.ignore(f"{base}.type", "no external pressure gradient") if not active else None
    if tides:
        setup.pressure_gradient["tides"] = tides
    tree.ignore("mimic_3d.zeta", "surface elevation: used by GOTM only with velocity-type ext_pressure")


def _turbulence(tree: _Tree, setup: GotmSetup) -> None:
    method = str(tree.get("turbulence.turb_method", "second_order"))
    z0s = tree.number("surface.roughness.z0s_min", 0.02)
    h0b = tree.number("bottom.h0b", 0.05)
    stress = tree.get("bottom.calc_bottom_stress", True)
    if not stress:
        tree.ignore("bottom.h0b", "calc_bottom_stress false")
    elif h0b > 0:  # GOTM's log-law bottom stress as a quadratic drag on the bottom cell
        z0 = BOTTOM_Z0_PER_H0B * h0b
        bottom_cell = (setup.levels[-1] - setup.levels[-2]) if setup.levels else setup.depth / setup.nlev
        setup.bottom_drag_coefficient = round((0.4 / math.log((z0 + 0.5 * bottom_cell) / z0)) ** 2, 8)
        setup.notes.append(
            f"bottom stress: C_d = (0.4 / ln((z0 + h/2) / z0))² = {setup.bottom_drag_coefficient:.4g} with "
            f"z0 = 0.03 h0b = {z0:g} m and the bottom cell h = {bottom_cell:g} m"
        )
    if method == "cvmix":
        setup.closure = _kpp(tree)
        tree.ignore("turbulence", "turb_method cvmix")
        tree.ignore("surface.roughness.z0s_min", "KPP has no roughness")
        tree.ignore("bottom.h0b", "KPP has no bottom boundary layer")
        return
    tree.ignore("cvmix", f"turb_method {method}")
    if method != "second_order":
        tree.unsupported("turbulence.turb_method", f"turb_method {method}: calib runs k_epsilon instead")
        setup.closure = {"name": "k_epsilon"}
        tree.ignore("turbulence", "turb_method not supported")
        return
    tke = str(tree.get("turbulence.tke_method", "tke"))
    length = str(tree.get("turbulence.len_scale_method", "dissipation"))
    parameters: dict[str, float] = {
        "surface_roughness": z0s,
        "background_viscosity": MOLECULAR_VISCOSITY,
        "background_diffusivity": MOLECULAR_DIFFUSIVITY,
    }
    if stress:
        parameters["bottom_roughness"] = BOTTOM_Z0_PER_H0B * h0b
        setup.notes.append(
            f"bottom.h0b {h0b} m -> closure bottom_roughness z0 = 0.03 h0b = "
            f"{parameters['bottom_roughness']:g} m"
        )
    closure: dict[str, Any] = {}
    scnd = str(tree.get("turbulence.scnd.scnd_coeff", "canuto-a"))
    stability = STABILITY.get(scnd)
    if stability is None:
        tree.unsupported(
            "turbulence.scnd.scnd_coeff",
            f"stability functions {scnd}: calib has canuto-a, canuto-b, cheng, kantha_clayson; canuto_a used",
        )
        stability = "canuto_a"
    scnd_method = str(tree.get("turbulence.scnd.method", "weak_eq_kb_eq"))
    if scnd_method == "weak_eq_kb_eq":
        closure["stability.limiter"] = "equilibrium"
    elif scnd_method == "quasi_eq" and stability == "kantha_clayson":
        pass
    else:
        tree.unsupported(
            "turbulence.scnd.method",
            f"{scnd_method}: calib's {stability} stability functions are "
            "the weak-equilibrium form (pole limiter)",
        )
    tree.ignore("turbulence.stab_method", "second-order closure")
    tree.ignore("turbulence.turb_param.cm0_fix", "second-order closure")
    tree.ignore("turbulence.turb_param.Prandtl0_fix", "second-order closure")
    tree.ignore("turbulence.turb_param.const_num", "turb_method second_order")
    tree.ignore("turbulence.turb_param.const_nuh", "turb_method second_order")
    tree.ignore("turbulence.turb_param.kb_min", "no buoyancy-variance equation in calib's closures")
    tree.ignore("turbulence.turb_param.epsb_min", "no buoyancy-variance equation in calib's closures")
    if tke == "tke" and length == "dissipation":
        name = "k_epsilon"
        _keps(tree, parameters, closure, stability)
        for section in ("generic", "kw", "my"):
            tree.ignore(f"turbulence.{section}", "len_scale_method dissipation")
    elif tke == "tke" and length in ("gls", "omega"):
        name = _gls(tree, parameters, closure, stability, length)
        for section in ("keps", "my"):
            tree.ignore(f"turbulence.{section}", f"len_scale_method {length}")
    elif tke == "mellor_yamada" and length == "mellor_yamada":
        name = "k_kl"
        for section in ("keps", "kw", "generic"):
            tree.ignore(f"turbulence.{section}", "Mellor-Yamada closure")
        tree.unsupported(
            "turbulence.my", "k_kl runs with calib's Mellor-Yamada constants, not the my.* values"
        )
        tree.ignore("turbulence.turb_param.compute_c3", "k_kl: E3 is a closure parameter")
        tree.ignore("turbulence.turb_param.Ri_st", "k_kl: E3 is a closure parameter")
        tree.ignore("turbulence.turb_param.compute_kappa", "k_kl: kappa is a closure parameter")
        closure.pop("stability.limiter", None)
    else:
        tree.unsupported(
            "turbulence.len_scale_method",
            f"tke_method {tke} with len_scale_method {length}: no such closure in calib; k_epsilon used",
        )
        name = "k_epsilon"
        for section in ("keps", "kw", "generic", "my"):
            tree.ignore(f"turbulence.{section}", "closure not supported")
    if name != "k_kl":
        closure = {"stability": stability, **closure}
    _boundaries(tree, closure, parameters)
    _length_limits(tree, parameters)
    iw = str(tree.get("turbulence.iw.method", "off"))
    tree.ignore("turbulence.iw.alpha", "Mellor internal-wave model only")
    if iw != "off":
        tree.unsupported(
            "turbulence.iw.method",
            f"internal-wave mixing {iw}: calib adds only constant "
            "(molecular) background viscosity and diffusivity",
        )
    setup.closure = {"name": name, **closure, "parameters": parameters}


KEPS_KEYS = {
    "c1": ("ce1", 1.44),
    "c2": ("ce2", 1.92),
    "c3plus": ("ce3plus", 1.5),
    "c3minus": ("ce3minus", 0.0),
    "sigma_k": ("sig_k", 1.0),
    "sigma_psi": ("sig_e", 1.3),
}
GENERIC_KEYS = {
    "c1": ("cpsi1", 1.44),
    "c2": ("cpsi2", 1.92),
    "c3plus": ("cpsi3plus", 1.0),
    "c3minus": ("cpsi3minus", 0.0),
    "sigma_k": ("sig_kpsi", 1.0),
    "sigma_psi": ("sig_psi", 1.3),
}
OMEGA_KEYS = {
    "c1": ("cw1", 0.555),
    "c2": ("cw2", 0.833),
    "c3plus": ("cw3plus", 0.5),
    "c3minus": ("cw3minus", 0.0),
    "sigma_k": ("sig_kw", 2.0),
    "sigma_psi": ("sig_w", 2.0),
}


def _coefficients(tree: _Tree, base: str, keys: dict) -> dict[str, float]:
    return {name: tree.number(f"{base}.{key}", default) for name, (key, default) in keys.items()}


def _keps(
    tree: _Tree,
    parameters: dict,
    closure: dict,
    stability: str,
    base: str = "turbulence.keps",
    keys: dict = KEPS_KEYS,
) -> None:
    """k-epsilon coefficients (from keps.*, or generic.* with k-epsilon exponents)."""
    c = _coefficients(tree, base, keys)
    parameters.update(
        {
            "c_epsilon1": c["c1"],
            "c_epsilon2": c["c2"],
            "c_epsilon3_unstable": c["c3plus"],
            "sigma_k": c["sigma_k"],
            "sigma_epsilon": c["sigma_psi"],
        }
    )
    closure["schmidt_epsilon"] = "parameter"
    if tree.get("turbulence.turb_param.compute_kappa", True):
        tree.ignore("turbulence.turb_param.kappa", "compute_kappa true")
        parameters["von_karman"] = round(
            math.sqrt(c["sigma_psi"] * (c["c2"] - c["c1"])) * C_MU0[stability], 5
        )
    else:
        parameters["von_karman"] = tree.number("turbulence.turb_param.kappa", 0.4)
    _c3(tree, parameters, closure, c["c3minus"], "c_epsilon3_stable", f"{base}.{keys['c3minus'][0]}")
    if base == "turbulence.keps":
        if tree.number(f"{base}.cex", 1.44) != c["c1"] or tree.number(f"{base}.ce4", 0.0) != 0.0:
            tree.unsupported(
                f"{base}.cex",
                "calib's k-epsilon has no separate cex / ce4 (internal-wave and wave-breaking terms)",
            )
        if tree.get(f"{base}.sig_peps", False):
            tree.unsupported(f"{base}.sig_peps", "no Burchard (2001) wave-breaking sigma_epsilon in calib")


def _c3(tree: _Tree, parameters: dict, closure: dict, c3minus: float, name: str, key: str) -> None:
    """c3- from the steady-state Richardson number (compute_c3) or as given."""
    if tree.get("turbulence.turb_param.compute_c3", True):
        closure["stable_buoyancy"] = "steady_richardson"
        parameters["stable_buoyancy.richardson"] = tree.number("turbulence.turb_param.Ri_st", 0.25)
        tree.ignore(key, "compute_c3 true: c3- from Ri_st")
    else:
        closure["stable_buoyancy"] = "parameter"
        parameters[name] = c3minus
        tree.ignore("turbulence.turb_param.Ri_st", "compute_c3 false")


def _gls(tree: _Tree, parameters: dict, closure: dict, stability: str, length: str) -> str:
    """k-omega (omega equation) or a GLS member (gls: generic exponents m, n, p)."""
    if length == "omega":
        base, keys = "turbulence.kw", OMEGA_KEYS
        tree.ignore("turbulence.generic", "len_scale_method omega")
        tree.ignore(f"{base}.cwx", "no separate cwx in calib")
        if tree.number(f"{base}.cw4", 0.15):
            tree.unsupported(f"{base}.cw4", "no cw4 (wave-breaking) term in calib's k-omega")
        name = "k_omega"
    else:
        base, keys = "turbulence.generic", GENERIC_KEYS
        tree.ignore("turbulence.kw", "len_scale_method gls")
        m, n, p = (tree.number(f"{base}.gen_{k}", d) for k, d in (("m", 1.5), ("n", -1.0), ("p", 3.0)))
        members = {(1.5, -1.0, 3.0): "k_epsilon", (0.5, -1.0, -1.0): "k_omega", (1.0, -0.67, 2.0): "gls_gen"}
        name = members.get((m, n, p))
        if name is None:
            tree.unsupported(
                f"{base}.gen_m",
                f"GLS exponents m {m}, n {n}, p {p}: calib's gls closure sets them "
                "only in code; gls_gen used",
            )
            name = "gls_gen"
        if tree.get(f"{base}.compute_param", False):
            tree.unsupported(f"{base}.compute_param", "calib takes the GLS coefficients as given")
        for key in ("cpsix", "cpsi4", "gen_d", "gen_alpha", "gen_l"):
            tree.ignore(f"{base}.{key}", "derived or unused by calib's GLS")
        if name == "k_epsilon":
            _keps(tree, parameters, closure, stability, base, keys)
            return name
    c = _coefficients(tree, base, keys)
    parameters.update(
        {
            "c_psi1": c["c1"],
            "c_psi2": c["c2"],
            "c_psi3_unstable": c["c3plus"],
            "sigma_k": c["sigma_k"],
            "sigma_psi": c["sigma_psi"],
        }
    )
    _c3(tree, parameters, closure, c["c3minus"], "c_psi3_stable", f"{base}.{keys['c3minus'][0]}")
    closure["schmidt_psi"] = "parameter"
    if tree.get(
        "turbulence.turb_param.compute_kappa", True
    ):  # log layer: kappa = c_mu0 (sigma_psi (c2 - c1))^½ / |n|
        tree.ignore("turbulence.turb_param.kappa", "compute_kappa true")
        exponent_n = 1.0 if name == "k_omega" else 0.67
        kappa = C_MU0[stability] * math.sqrt(max(c["sigma_psi"] * (c["c2"] - c["c1"]), 0.0)) / exponent_n
        parameters["von_karman"] = round(kappa, 5)
    else:
        parameters["von_karman"] = tree.number("turbulence.turb_param.kappa", 0.4)
    return name


def _boundaries(tree: _Tree, closure: dict, parameters: dict) -> None:
    upper = (
        "law_of_the_wall" if tree.get("turbulence.bc.k_ubc", "neumann") == "dirichlet" else "log_layer_flux"
    )
    lower = (
        "law_of_the_wall" if tree.get("turbulence.bc.k_lbc", "neumann") == "dirichlet" else "log_layer_flux"
    )
    tree.get("turbulence.bc.psi_ubc")
    tree.get("turbulence.bc.psi_lbc")
    tree.get("turbulence.bc.lbc_type")
    ubc = str(tree.get("turbulence.bc.ubc_type", "logarithmic"))
    if ubc == "tke_injection":
        if closure.get("schmidt_epsilon") is not None:  # k-epsilon has the wave-breaking surface
            upper = "wave_breaking"
            parameters["surface.craig_banner_coefficient"] = tree.number("turbulence.turb_param.cw", 100.0)
        else:
            tree.unsupported(
                "turbulence.bc.ubc_type", "wave-breaking TKE injection: only calib's k_epsilon has it"
            )
    else:
        tree.ignore("turbulence.turb_param.cw", "ubc_type logarithmic")
    closure["surface"], closure["bottom"] = upper, lower


def _length_limits(tree: _Tree, parameters: dict) -> None:
    if tree.get("turbulence.turb_param.length_lim", True):
        parameters["galperin_limit"] = tree.number("turbulence.turb_param.galp", 0.27)
    else:
        tree.unsupported(
            "turbulence.turb_param.length_lim", "calib always applies the Galperin limit (1.0 is its weakest)"
        )
        parameters["galperin_limit"] = 1.0
        tree.ignore("turbulence.turb_param.galp", "length_lim false")
    k_min = tree.number("turbulence.turb_param.k_min", 1e-10)
    eps_min = tree.number("turbulence.turb_param.eps_min", 1e-12)
    for name, value, lower, upper, key in (
        ("k_min", k_min, 1e-14, 1e-6, "k_min"),
        ("epsilon_min", eps_min, 1e-16, 1e-8, "eps_min"),
    ):
        if lower <= value <= upper:
            parameters[name] = value
        else:
            tree.unsupported(
                f"turbulence.turb_param.{key}",
                f"{value} outside calib's bounds [{lower}, {upper}]; calib's default used",
            )


def _kpp(tree: _Tree) -> dict:
    base = "cvmix.surface_layer"
    closure: dict[str, Any] = {"name": "kpp"}
    parameters = {
        "critical_richardson": tree.number(f"{base}.Ri_c", 0.3),
        "surface_layer_fraction": tree.number(f"{base}.surface_layer_extent", 0.1),
    }
    if not tree.get(f"{base}.use", True):
        tree.unsupported(f"{base}.use", "KPP without its surface layer: calib's kpp always has one")
    shapes = {"simple": "simple", "gradient": "match_gradient", "both": "match_both"}
    match = str(tree.get(f"{base}.match_technique", "simple"))
    if match not in shapes:
        tree.unsupported(f"{base}.match_technique", f"{match}: calib has simple, gradient, both; simple used")
    closure["shape"] = shapes.get(match, "simple")
    crossing = str(tree.get(f"{base}.bulk_Ri_interp_type", "quadratic"))
    if crossing not in ("linear", "quadratic"):
        tree.unsupported(f"{base}.bulk_Ri_interp_type", f"{crossing}: calib has linear and quadratic")
    closure["crossing"] = crossing if crossing in ("linear", "quadratic") else "quadratic"
    closure["base"] = "enhanced" if tree.get(f"{base}.use_enhanced_diff", True) else "plain"
    ekman, monin = (
        tree.get(f"{base}.check_Ekman_length", False),
        tree.get(f"{base}.check_MonOb_length", False),
    )
    closure["stable_limit"] = {
        (False, False): "none",
        (True, False): "ekman",
        (False, True): "monin_obukhov",
        (True, True): "lmd94",
    }[(bool(ekman), bool(monin))]
    langmuir = str(tree.get(f"{base}.langmuir_method", "none"))
    if langmuir not in ("none", "lwf16"):
        tree.unsupported(f"{base}.langmuir_method", f"{langmuir}: calib has none and lwf16 (li2016)")
    closure["langmuir"] = "li2016" if langmuir == "lwf16" else "none"
    if not tree.get(f"{base}.use_noDGat1", True):
        tree.unsupported(f"{base}.use_noDGat1", "calib's shape function has zero gradient at the OBL base")
    if closure["shape"] == "simple":
        tree.ignore(f"{base}.OBL_interp_type", "simple shapes")
    elif tree.get(f"{base}.OBL_interp_type", "lmd94") != "lmd94":
        tree.unsupported(f"{base}.OBL_interp_type", "calib interpolates as LMD94")
    if tree.get("cvmix.bottom_layer.use", False):
        tree.unsupported("cvmix.bottom_layer", "calib's kpp has no bottom boundary layer")
    else:
        tree.ignore("cvmix.bottom_layer", "bottom_layer.use false")
    interior = "cvmix.interior"
    if tree.get(f"{interior}.use", False):
        closure["interior"] = "lmd94"
        parameters["interior.shear_viscosity"] = tree.number(f"{interior}.shear.KPP_nu_zero", 0.005)
        parameters["interior.shear_richardson"] = tree.number(f"{interior}.shear.KPP_Ri_zero", 0.7)
        parameters["interior.background_viscosity"] = tree.number(f"{interior}.background.viscosity", 1e-4)
        parameters["interior.background_diffusivity"] = tree.number(
            f"{interior}.background.diffusivity", 1e-5
        )
        parameters["interior.convective_diffusivity"] = tree.number(f"{interior}.convection.diffusivity", 1.0)
        for key in ("tidal_mixing", "double_diffusion"):
            if tree.get(f"{interior}.{key}.use", False):
                tree.unsupported(f"{interior}.{key}", f"no {key} in calib's kpp")
        tree.ignore(interior, "interior options calib's lmd94 interior fixes")
    else:
        closure["interior"] = "background"
        parameters["interior.background_viscosity"] = MOLECULAR_VISCOSITY
        parameters["interior.background_diffusivity"] = MOLECULAR_DIFFUSIVITY
        tree.ignore(interior, "interior.use false (molecular background only)")
    closure["parameters"] = parameters
    return closure


def _unsupported_models(tree: _Tree) -> None:
    """Switches of GOTM models calib lacks: listed when on, ignored (with their subtrees) when off."""
    switches = {
        "fabm.use": (False, "FABM biogeochemistry: not in calib"),
        "seagrass.method": (0, "seagrass drag: not in calib"),
        "mimic_3d.int_pressure.type": ("none", "internal pressure gradients / plumes: not in calib"),
        "mimic_3d.w.max.method": ("off", "vertical velocity (advection): not in calib"),
        "stim.ice_model": (None, "STIM ice: not in calib"),
    }
    for path, (neutral, why) in switches.items():
        branch = path.rsplit(".", 1)[0] if path.count(".") > 1 else path.split(".")[0]
        if not tree.has(path):
            tree.ignore(branch, "absent switch")
            continue
        value = tree.get(path)
        if value == neutral or value is None or str(value) == str(neutral):
            tree.ignore(branch, f"{path} = {value}")
        else:
            tree.unsupported(path, why)
            tree.ignore(branch, f"{path} on: listed as unsupported")
    for section in ("fabm", "seagrass", "stim"):
        if tree.has(section) and not tree.get(f"{section}.use", False) and section != "seagrass":
            tree.ignore(section, f"{section} off")
    tree.ignore("mimic_3d.int_pressure", "int_pressure type none")
    tree.ignore("mimic_3d.w", "no vertical velocity")
    if tree.has("o2"):
        tree.ignore("o2", "FABM oxygen input") if not tree.get("fabm.use", False) else tree.unsupported(
            "o2", "FABM input"
        )
    for section in ("waves", "us", "stokes_drift"):
        if tree.has(section):
            tree.unsupported(section, f"{section}: not used by calib")
    tree.ignore("title", "case description")
    tree.ignore("location.name", "case name")


def _output(tree: _Tree, setup: GotmSetup) -> None:
    """The shortest output interval of the output files; the rest of output is bookkeeping."""
    outputs = tree.get("output") or {}
    intervals = []
    for name, spec in outputs.items() if isinstance(outputs, dict) else []:
        if not isinstance(spec, dict):
            continue
        unit, step = str(spec.get("time_unit", "day")), float(spec.get("time_step", 1))
        if unit == "dt":
            intervals.append(step * setup.dt)
        elif unit in TIME_UNITS:
            intervals.append(step * TIME_UNITS[unit])
        tree.ignore(f"output.{name}", "output files: calib writes its own (time.output_interval)")
    tree.ignore("output", "output files")
    if intervals:
        setup.output_interval = min(intervals)


# --- the case YAML ----------------------------------------------------------------------------


def relative(path: str | Path, folder: Path) -> str:
    """A path as written in a case file: relative to the case's folder (POSIX separators)."""
    return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()


def write_case_yaml(path: str | Path, document: dict, header: list[str], unsupported: list[str]) -> Path:
    """Write the case YAML with a comment header and the unsupported-settings block on top."""
    path = Path(path)
    lines = [f"# {line}" if line else "#" for line in header]
    lines.append("#")
    if unsupported:
        lines.append(f"# UNSUPPORTED GOTM SETTINGS ({len(unsupported)}): calib does not reproduce these")
        lines += [f"#   - {item}" for item in unsupported]
    else:
        lines.append("# UNSUPPORTED GOTM SETTINGS: none")
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=110, allow_unicode=True)
    text = "\n".join(lines) + "\n\n" + body
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
    return path


__all__ = ["GotmSetup", "Input", "read_gotm_yaml", "relative", "write_case_yaml", "zoomed_levels"]
