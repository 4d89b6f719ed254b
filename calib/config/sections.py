"""One reader per section of a case file (see `calib.config.schema` for the layout).

Each function takes the `Node` of its section and returns the frozen dataclass of
`calib.config.schema`, raising a one-line `ConfigError` for anything malformed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from calib.common.vocabulary import CHECKPOINT_SCHEMES, ROTATIONS, SOLVERS, WATER_TYPES
from calib.config.reader import Node
from calib.config.schema import (
    BULK_ALGORITHMS,
    BULK_PARAMETERS,
    EQUATION_OF_STATE_TYPES,
    HUMIDITY_TYPES,
    INITIAL_PROFILE_TYPES,
    LONGWAVE_METHODS,
    SALINITY_KINDS,
    BulkConfig,
    ClosureConfig,
    EquationOfStateConfig,
    ExtinctionConfig,
    ForcingConfig,
    GridConfig,
    InitialConfig,
    LayerTimescale,
    NumericsConfig,
    OutputConfig,
    PressureGradientConfig,
    ProfileConfig,
    RelaxationConfig,
    RelaxedVariableConfig,
    SeriesConfig,
    TideConfig,
    TimeConfig,
)

_NZ_FIX = "give the number of cells as an integer >= 2"
MAX_LEVELS = 100_000  # cells of one column (more is a typo, and would exhaust memory)
MAX_STEPS = 10**9  # time steps of one run
MAX_STRETCHING = 50.0  # beyond it the top cells are thinner than rounding (and exp overflows)


def grid(node: Node) -> GridConfig:
    """`depth` + `nz` (+ `stretching`), or `levels` (depths >= 0 or heights <= 0)."""
    fields = node.mapping(("depth", "nz", "stretching", "levels"))
    if "levels" in fields:
        if len(fields) > 1:
            node.fail("give either 'levels' or 'depth' and 'nz', not both", "remove one of them")
        levels = _levels(fields["levels"])
        return GridConfig(depth=-levels[0], nz=len(levels) - 1, levels=levels)
    node.mapping(("depth", "nz", "stretching"), required=("depth", "nz"))
    stretching = (
        fields["stretching"].number(lower=0.0, upper=MAX_STRETCHING) if "stretching" in fields else 0.0
    )
    nz = fields["nz"].integer(2, _NZ_FIX)
    if nz > MAX_LEVELS:
        fields["nz"].fail(f"must be <= {MAX_LEVELS:,} (got {nz:,})", "give a realistic number of cells")
    return GridConfig(
        depth=fields["depth"].positive("m", "give the column depth in metres"),
        nz=nz,
        stretching=stretching,
    )


def _levels(node: Node) -> tuple[float, ...]:
    """Interface heights bottom first, from depths (>= 0) or heights (<= 0) in any order."""
    values = node.number_list(min_length=3)
    if not (all(v >= 0 for v in values) or all(v <= 0 for v in values)):
        node.fail("mixes positive and negative values", "give all depths (>= 0) or all heights (<= 0)")
    if 0.0 not in values:
        node.fail("does not contain the surface (0)", "add 0 to the levels")
    if len(set(values)) != len(values):
        node.fail("contains the same level twice", "remove the repeated level")
    heights = sorted(-abs(v) for v in values)
    return tuple(heights)


def time(node: Node) -> TimeConfig:
    """dt, duration, output_interval (durations) and an optional ISO `start`."""
    fields = node.mapping(
        ("dt", "duration", "output_interval", "start"), ("dt", "duration", "output_interval")
    )
    dt = fields["dt"].duration("time step")
    duration = fields["duration"].duration("run length")
    interval = fields["output_interval"].duration("output interval")
    if dt > interval:
        fields["dt"].fail(
            f"is longer than output_interval ({dt:g} s > {interval:g} s)", "shorten dt or save less often"
        )
    if duration / dt > MAX_STEPS:
        fields["dt"].fail(
            f"gives {duration / dt:.3g} time steps (more than {MAX_STEPS:.0e})",
            "lengthen dt or shorten duration",
        )
    _check_multiple(fields["output_interval"], interval, dt, "dt")
    _check_multiple(fields["duration"], duration, interval, "output_interval")
    start = fields["start"].timestamp() if "start" in fields else None
    if start is not None and not 1678 <= start.year <= 2261:
        fields["start"].fail(
            f"year {start.year} is outside 1678-2261 (the range of datetime64[ns])",
            "give a date in that range",
        )
    return TimeConfig(dt=dt, duration=duration, output_interval=interval, start=start)


def _check_multiple(node: Node, value: float, unit: float, unit_name: str) -> None:
    ratio = value / unit
    if abs(ratio - round(ratio)) > 1e-9 * max(ratio, 1.0) or round(ratio) < 1:
        node.fail(
            f"must be a whole multiple of {unit_name} (got {value:g} s = {ratio:.4g} x {unit:g} s)",
            f"make it {max(round(ratio), 1) * unit:g} s or change {unit_name}",
        )


def initial(node: Node) -> InitialConfig:
    """Profiles of u, v (default: at rest), T and S (required unless `observations` is given)."""
    fields = node.mapping(("u", "v", "T", "S", "observations"))
    profiles = {name: profile(child) for name, child in fields.items() if name != "observations"}
    if "observations" in fields:
        path = fields["observations"].existing_file()
        for name in ("u", "v", "T", "S"):
            rest = 0.0 if name in ("u", "v") else None  # velocities default to rest
            profiles.setdefault(name, ProfileConfig("observations", file=path, value=rest))
    node.mapping(("u", "v", "T", "S", "observations"), required=("T", "S") if len(profiles) < 4 else ())
    return InitialConfig(**profiles)


_PROFILE_KEYS = {
    "constant": (("value",), ()),
    "linear": (("surface", "gradient"), ()),
    "mixed_layer": (("surface", "depth", "gradient"), ()),
    "cosine": (("mean", "amplitude"), ("depth", "mode")),
    "file": (("file", "variable"), ("depth_variable",)),
    "observations": (("file",), ("variable", "time", "value")),
}


def profile(node: Node) -> ProfileConfig:
    """A number (constant) or a mapping with `type` and that type's keys."""
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return ProfileConfig("constant", value=node.number())
    fields = node.mapping(
        ("type", *dict.fromkeys(k for keys in _PROFILE_KEYS.values() for k in keys[0] + keys[1])), ("type",)
    )
    kind = fields["type"].choice(INITIAL_PROFILE_TYPES)
    required, optional = _PROFILE_KEYS[kind]
    fields = node.mapping(("type", *required, *optional), ("type", *required))
    values: dict = {}
    for name, child in fields.items():
        if name in ("type",):
            continue
        if name == "file":
            values[name] = child.existing_file()
        elif name in ("variable", "depth_variable"):
            values[name] = child.string()
        elif name == "mode":
            values[name] = child.integer(1, "give the cosine mode as a positive integer")
        elif name == "depth":
            values[name] = child.positive("m")
        elif name == "time":
            values[name] = child.timestamp()
        else:
            values[name] = child.number()
    return ProfileConfig(kind, **values)


_LINEAR_ONLY = ("alpha", "beta", "T0", "S0")


def equation_of_state(node: Node) -> EquationOfStateConfig:
    """linear (rho0, alpha, beta, T0, S0) or teos10 (salinity); both take rho0, gravity and
    heat_capacity; omitted coefficients keep their defaults."""
    fields = node.mapping(
        ("type", "rho0", "alpha", "beta", "T0", "S0", "gravity", "heat_capacity", "salinity")
    )
    kind = fields["type"].choice(EQUATION_OF_STATE_TYPES) if "type" in fields else "linear"
    values: dict = {"type": kind}
    for name, child in fields.items():
        if name == "type":
            continue
        if kind != "linear" and name in _LINEAR_ONLY:
            child.fail(f"is a coefficient of the linear equation of state, not of {kind}",
                       "remove it (or use type: linear)")  # fmt: skip
        if name == "salinity":
            if kind != "teos10":
                child.fail("applies to type: teos10 only", "remove it (or use type: teos10)")
            values[name] = child.choice(SALINITY_KINDS)
        elif name in ("rho0", "gravity"):
            values[name] = child.positive()
        elif name == "heat_capacity":
            values[name] = child.number(lower=1000.0, upper=10000.0, units="J kg-1 K-1")
        else:
            values[name] = child.number()
    return EquationOfStateConfig(**values)


_BULK_EXCLUDES = ("wind_stress_x", "wind_stress_y", "heat_flux", "freshwater_flux")


def forcing(node: Node) -> ForcingConfig:
    """Surface fluxes (constants or series) or bulk formulae, latitude, longitude, albedo, water
    type or extinction series, and bottom drag."""
    fields = node.mapping(field.name for field in dataclasses.fields(ForcingConfig))
    if "bulk" in fields:
        for name in _BULK_EXCLUDES:
            if name in fields:
                fields[name].fail("cannot be given together with forcing.bulk (the bulk formulae compute it)",
                                  f"remove {name} or bulk")  # fmt: skip
    if "extinction" in fields and "water_type" in fields:
        fields["extinction"].fail("cannot be given together with forcing.water_type", "remove one of them")
    values: dict = {}
    for name, child in fields.items():
        if name == "latitude":
            values[name] = child.number(lower=-90.0, upper=90.0, units="degrees north")
        elif name == "longitude":
            values[name] = child.number(lower=-360.0, upper=360.0, units="degrees east")
        elif name == "water_type":
            values[name] = child.choice(WATER_TYPES)
        elif name == "bottom_drag_coefficient":
            values[name] = child.number(lower=0.0)
        elif name == "albedo":
            if isinstance(child.value, str):
                values[name] = child.choice(("payne",))
            else:
                values[name] = child.number(lower=0.0, upper=0.999)
        elif name == "extinction":
            parts = child.mapping(("A", "g1", "g2"), ("A", "g1", "g2"))
            values[name] = ExtinctionConfig(**{key: series(part) for key, part in parts.items()})
            _check_series_range(parts["A"], values[name].A, 0.0, 1.0, "a fraction in [0, 1]")
            for key in ("g1", "g2"):
                _check_series_range(parts[key], getattr(values[name], key), 1e-6, 1e4, "a length > 0 in m")
        elif name == "bulk":
            values[name] = bulk(child)
        else:
            values[name] = series(child)
            given = values[name].values or (values[name].value,)
            if name == "shortwave" and any(v is not None and v < 0 for v in given):
                child.fail("must be >= 0 (W m-2 into the ocean)", "give the downward shortwave radiation")
    return ForcingConfig(**values)


def _check_series_range(node: Node, spec: SeriesConfig, lower: float, upper: float, what: str) -> None:
    """Inline values and constants of a series within [lower, upper] (files: checked on reading)."""
    for value in spec.values or (spec.value,):
        if value is not None and not lower <= value <= upper:
            node.fail(f"must be {what} (got {value:g})", f"give values within [{lower:g}, {upper:g}]")


def boolean(node: Node) -> bool:
    """true or false."""
    if not isinstance(node.value, bool):
        node.fail(f"must be true or false (got {node.value!r})", "write true or false")
    return node.value


def bulk(node: Node) -> BulkConfig:
    """forcing.bulk: the algorithm, meteorological series, longwave method, options, parameters."""
    names = [field.name for field in dataclasses.fields(BulkConfig)]
    fields = node.mapping(names, ("wind_x", "wind_y", "air_temperature", "humidity"))
    values: dict = {}
    for name, child in fields.items():
        if name == "algorithm":
            values[name] = child.choice(BULK_ALGORITHMS)
        elif name == "humidity_type":
            values[name] = child.choice(HUMIDITY_TYPES)
        elif name == "longwave_method":
            values[name] = child.choice(LONGWAVE_METHODS)
        elif name in ("rain_heat_flux", "relative_wind"):
            values[name] = boolean(child)
        elif name == "heights":
            parts = child.mapping(("wind", "temperature", "humidity"))
            default = dict(zip(("wind", "temperature", "humidity"), BulkConfig.heights, strict=True))
            given = {key: part.number(lower=0.1, upper=1000.0, units="m") for key, part in parts.items()}
            values[name] = tuple({**default, **given}.values())
        elif name == "parameters":
            parts = child.mapping(BULK_PARAMETERS)
            values[name] = {key: part.number(lower=0.25, upper=4.0) for key, part in parts.items()}
        else:
            values[name] = series(child)
    method = values.get("longwave_method", "net")
    needed = "longwave" if method in ("net", "downward") else "cloud_cover"
    if needed not in values:
        node.child(needed, None).fail(f"missing, needed by longwave_method {method}",
                                      f"add '{needed}:' to forcing.bulk")  # fmt: skip
    return BulkConfig(**values)


def relaxation(node: Node) -> RelaxationConfig | None:
    """relaxation: {T: {...}, S: {...}} (either optional)."""
    if node.value in ({}, None):
        return None
    fields = node.mapping(("T", "S"))
    return RelaxationConfig(**{name: _relaxed_variable(child) for name, child in fields.items()})


def _relaxed_variable(node: Node) -> RelaxedVariableConfig:
    fields = node.mapping(
        ("observations", "variable", "timescale", "surface_layer", "bottom_layer"),
        ("observations", "timescale"),
    )
    values: dict = {
        "observations": fields["observations"].existing_file(),
        "timescale": fields["timescale"].duration("relaxation timescale"),
    }
    if "variable" in fields:
        values["variable"] = fields["variable"].string()
    for name in ("surface_layer", "bottom_layer"):
        if name in fields:
            parts = fields[name].mapping(("thickness", "timescale"), ("thickness", "timescale"))
            values[name] = LayerTimescale(
                thickness=_metres(parts["thickness"]),
                timescale=parts["timescale"].duration("relaxation timescale"),
            )
    return RelaxedVariableConfig(**values)


def _metres(node: Node) -> float:
    """A thickness > 0: a number of metres or a string such as '20 m'."""
    if isinstance(node.value, str):
        text = node.value.strip().removesuffix("m").strip()
        try:
            value = float(text)
        except ValueError:
            node.fail(f"cannot read {node.value!r} as a thickness", "write metres, e.g. 20 or '20 m'")
        node = dataclasses.replace(node, value=value)
    return node.positive("m")


def pressure_gradient(node: Node) -> PressureGradientConfig | None:
    """pressure_gradient: {x: SERIES, y: SERIES, tides: [{period, x, y, phase}, ...]}."""
    if node.value in ({}, None):
        return None
    fields = node.mapping(("x", "y", "tides"))
    values: dict = {name: series(child) for name, child in fields.items() if name in ("x", "y")}
    if "tides" in fields:
        tides_node = fields["tides"]
        if not isinstance(tides_node.value, list):
            tides_node.fail(
                "must be a list of {period, x, y, phase}", "write e.g. [{period: 44714 s, x: 1.0e-6}]"
            )
        tides = []
        for index, item in enumerate(tides_node.value):
            parts = tides_node.child(index, item).mapping(("period", "x", "y", "phase"), ("period",))
            tides.append(TideConfig(
                period=parts["period"].duration("tidal period"),
                x=parts["x"].number() if "x" in parts else 0.0,
                y=parts["y"].number() if "y" in parts else 0.0,
                phase=parts["phase"].duration("phase", positive=False) if "phase" in parts else 0.0,
            ))  # fmt: skip
        values["tides"] = tuple(tides)
    return PressureGradientConfig(**values)


def series(node: Node) -> SeriesConfig:
    """A number, {time, values} or {file, variable[, time_variable]}."""
    if not isinstance(node.value, dict):
        return SeriesConfig(value=node.number())
    if "file" in node.value or "variable" in node.value:
        fields = node.mapping(("file", "variable", "time_variable"), ("file", "variable"))
        time_variable = fields["time_variable"].string() if "time_variable" in fields else "time"
        return SeriesConfig(
            file=fields["file"].existing_file(),
            variable=fields["variable"].string(),
            time_variable=time_variable,
        )
    fields = node.mapping(("time", "values"), ("time", "values"))
    times_node = fields["time"]
    if not isinstance(times_node.value, list) or not times_node.value:
        times_node.fail("must be a list of times", "write [0, 3600, ...] in seconds or with units")
    times = tuple(_seconds(times_node.child(i, v)) for i, v in enumerate(times_node.value))
    values = fields["values"].number_list()
    if len(values) != len(times):
        fields["values"].fail(f"has {len(values)} values for {len(times)} times", "give one value per time")
    if any(b <= a for a, b in zip(times, times[1:], strict=False)):
        times_node.fail("must increase strictly", "sort the times and remove repeats")
    return SeriesConfig(time=times, values=values)


def _seconds(node: Node) -> float:
    """A time of a series: seconds since the start (any sign) or a duration string."""
    return node.duration("time", positive=False)


def closure(node: Node) -> ClosureConfig:
    """A closure name, or {name, parameters: {name: value}, FIELD: VARIANT ...}; the names of
    closures, variant fields, variants and parameters are checked by calib.config.build."""
    if isinstance(node.value, str):
        return ClosureConfig(name=node.string())
    if not isinstance(node.value, dict):
        node.fail("must be a closure name or a mapping", "write e.g. 'closure: k_epsilon'")
    if "name" not in node.value:
        node.child("name", None).fail("missing required key", "add 'name:' to closure")
    fields = {key: node.child(str(key), value) for key, value in node.value.items()}
    parameters = {}
    if "parameters" in fields and fields["parameters"].value is not None:
        given = fields["parameters"]
        if not isinstance(given.value, dict):
            given.fail("must be a mapping of parameter names to numbers", "write e.g. 'nu0: 1.0e-2'")
        for name, value in given.value.items():
            parameters[str(name)] = given.child(str(name), value).number()
    variants = {
        str(key): child.string() for key, child in fields.items() if key not in ("name", "parameters")
    }
    return ClosureConfig(name=fields["name"].string(), parameters=parameters, variants=variants)


def numerics(node: Node) -> NumericsConfig:
    """checkpoint, solver and rotation choices."""
    fields = node.mapping(("checkpoint", "solver", "rotation"))
    options = {"checkpoint": CHECKPOINT_SCHEMES, "solver": SOLVERS, "rotation": ROTATIONS}
    return NumericsConfig(**{name: child.choice(options[name]) for name, child in fields.items()})


def output(node: Node) -> OutputConfig:
    """variables: a list of names (checked by calib.config.build), default all."""
    fields = node.mapping(("variables",))
    if "variables" not in fields:
        return OutputConfig()
    names_node = fields["variables"]
    if not isinstance(names_node.value, list) or not names_node.value:
        names_node.fail("must be a non-empty list of names", "write e.g. [T, u, v]")
    names = tuple(names_node.child(i, v).string() for i, v in enumerate(names_node.value))
    if len(set(names)) != len(names):
        names_node.fail("lists a variable twice", "remove the repeated name")
    return OutputConfig(variables=names)


def free_form(node: Node) -> dict[str, Any]:
    """A mapping kept as given (`fit`, `observations`: reserved for calibration settings)."""
    if not isinstance(node.value, dict):
        node.fail("must be a mapping", "write it as 'key: value' lines")
    return dict(node.value)
