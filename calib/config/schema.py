"""A case as frozen dataclasses, read strictly from YAML. Imports no JAX (`calib --help` is instant).

Layout of a case file (every section is documented on its dataclass below)::

    name: kato_phillips            # optional, defaults to the file name
    description: ...               # optional
    grid: {depth: 50, nz: 100}     # or {depth, nz, stretching} or {levels: [...]}
    time: {dt: 60 s, duration: 24 h, output_interval: 10 min, start: 2010-06-15T00:00}
    initial: {T: {type: linear, surface: 16, gradient: 0.05}, S: 35}
    equation_of_state: {type: linear, rho0: 1027, alpha: 2.0e-4}   # or {type: teos10}
    forcing: {latitude: 45, wind_stress_x: 0.1, heat_flux: -100, water_type: IB}   # or bulk: {...}
    relaxation: {T: {observations: obs.nc, timescale: 10 days}}   # optional
    pressure_gradient: {x: 1.0e-6}   # optional
    closure: {name: pacanowski_philander, parameters: {nu0: 1.0e-2}}
    numerics: {checkpoint: nested, solver: auto, rotation: exact}
    output: {variables: [T, u]}
    fit: {...}                     # optional, free-form, kept as given (calibration settings)
    observations: {...}            # optional, free-form, kept as given

Durations (`time.dt`, `time.duration`, `time.output_interval`, inline forcing times) are
numbers of seconds or strings with a unit: "600 s", "10 min", "24 h", "2 days" (units s, sec,
second(s), min, minute(s), h, hr, hour(s), d, day(s)). File paths are relative to the folder
of the case file. Every mistake raises a one-line `calib.common.errors.ConfigError`. Names that need
the model (closure names, closure parameters, output variables) are checked by `calib.config.build`.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

from calib.common.vocabulary import FORCING, METEOROLOGY

INITIAL_PROFILE_TYPES = ("constant", "linear", "mixed_layer", "cosine", "file", "observations")
EQUATION_OF_STATE_TYPES = ("linear", "teos10")
SALINITY_KINDS = ("practical", "absolute")
BULK_ALGORITHMS = ("coare35", "kondo", "large_yeager")  # keys of calib.core.airsea.BULK_FORMULAE
LONGWAVE_METHODS = ("net", "downward", "clark", "berliand", "josey")  # calib.core.airsea.LONGWAVE
HUMIDITY_TYPES = ("specific", "relative", "dew_point")
BULK_PARAMETERS = ("drag_scale", "sensible_scale", "latent_scale")


@dataclasses.dataclass(frozen=True)
class GridConfig:
    """Vertical grid: `depth` + `nz` (+ `stretching`), or explicit `levels`.

    In YAML, `levels` lists the interface positions in any order, either as depths (all >= 0,
    e.g. [0, 1, 2.5, 5, 10]) or as heights (all <= 0, e.g. [-10, -5, -2.5, -1, 0]); the
    surface (0) must be one of them.

    Attributes:
        depth: column depth (m, > 0).
        nz: number of cells (>= 2).
        stretching: surface refinement of `calib.core.grid.Grid.stretched` (0 = uniform).
        levels: interface heights bottom first, ending at 0 (m), or None.
    """

    depth: float
    nz: int
    stretching: float = 0.0
    levels: tuple[float, ...] | None = None


@dataclasses.dataclass(frozen=True)
class TimeConfig:
    """Run length and output plan (all in seconds).

    Attributes:
        dt: time step (s); output_interval is a whole number of steps.
        duration: run length (s); a whole number of output intervals.
        output_interval: time between saved states (s).
        start: date of t = 0 (naive UTC), used to align forcing files; None = unknown.
    """

    dt: float
    duration: float
    output_interval: float
    start: datetime.datetime | None = None

    @property
    def steps_per_save(self) -> int:
        """Time steps between two saved states."""
        return round(self.output_interval / self.dt)

    @property
    def n_saves(self) -> int:
        """Number of saved states after the initial one."""
        return round(self.duration / self.output_interval)


@dataclasses.dataclass(frozen=True)
class ProfileConfig:
    """Initial profile of one variable, evaluated at the cell centres (z < 0, m).

    Types and their keys (`gradient` is d/dz per metre, positive = increasing upward):
        constant: value.
        linear: surface + gradient * z.
        mixed_layer: surface down to `depth` (m), then decreasing with `gradient` below.
        cosine: mean + amplitude * cos(mode * pi * z / depth); depth defaults to the column's.
        file: `variable` of NetCDF `file` against `depth_variable` (default: its only
            coordinate), linear in depth, constant beyond the data.
        observations: the profile of an observation NetCDF `file` (read by
            `calib.io.observations.load_observations`; `variable` overrides its search by name)
            observed nearest to `time` (default: time.start, else the first observation),
            linear in depth, constant beyond the observed levels; `value`, if given, is used
            when the file has no such variable.
    """

    type: str
    value: float | None = None
    surface: float | None = None
    gradient: float | None = None
    depth: float | None = None
    mean: float | None = None
    amplitude: float | None = None
    mode: int = 1
    file: Path | None = None
    variable: str | None = None
    depth_variable: str | None = None
    time: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class InitialConfig:
    """Initial profiles; u and v default to rest, T and S are required.

    In YAML, ``observations: FILE`` next to (or instead of) the variables is short for
    ``{type: observations, file: FILE}`` for every variable not given, with u and v at rest
    when the file has no velocities.
    """

    T: ProfileConfig
    S: ProfileConfig
    u: ProfileConfig = ProfileConfig("constant", value=0.0)
    v: ProfileConfig = ProfileConfig("constant", value=0.0)


@dataclasses.dataclass(frozen=True)
class EquationOfStateConfig:
    """Equation of state (`calib.core.eos.EQUATIONS_OF_STATE`): linear (rho0, alpha, beta, T0, S0)
    or teos10 (the 75-term polynomial; `salinity` practical or absolute); both take rho0,
    gravity and heat_capacity. None = the class default."""

    type: str = "linear"
    rho0: float | None = None
    alpha: float | None = None
    beta: float | None = None
    T0: float | None = None
    S0: float | None = None
    gravity: float | None = None
    heat_capacity: float | None = None
    salinity: str | None = None

    def arguments(self) -> dict[str, float | str]:
        """Keyword arguments for the equation of state (only the values given)."""
        fields = ("rho0", "alpha", "beta", "T0", "S0", "gravity", "heat_capacity", "salinity")
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}


@dataclasses.dataclass(frozen=True)
class SeriesConfig:
    """One forcing variable: a constant, an inline series, or a NetCDF variable.

    In YAML: a number; or {time: [...], values: [...]} (times in s or with units); or
    {file: path, variable: name, time_variable: time}. A series must cover the whole run.
    """

    value: float | None = None
    time: tuple[float, ...] | None = None
    values: tuple[float, ...] | None = None
    file: Path | None = None
    variable: str | None = None
    time_variable: str = "time"

    @property
    def kind(self) -> str:
        """'constant', 'inline' or 'file'."""
        return "file" if self.file else "inline" if self.time is not None else "constant"


@dataclasses.dataclass(frozen=True)
class ExtinctionConfig:
    """Time-varying two-band extinction: a fraction A of the light decays over g1 (m), 1 - A over g2 (m)."""

    A: SeriesConfig
    g1: SeriesConfig
    g2: SeriesConfig


@dataclasses.dataclass(frozen=True)
class BulkConfig:
    """Bulk air-sea fluxes from meteorological series (`calib.core.airsea`).

    Attributes:
        algorithm: coare35, kondo or large_yeager.
        wind_x, wind_y: wind at heights.wind (m s-1).
        air_temperature: degC at heights.temperature.
        humidity: in the units of humidity_type, at heights.humidity.
        humidity_type: specific (kg kg-1), relative (%) or dew_point (degC).
        air_pressure: sea-level pressure (Pa).
        longwave_method: net, downward, clark, berliand or josey.
        longwave: W m-2 (net into the ocean, or downwelling), for net and downward.
        cloud_cover: fraction 0-1, for clark, berliand and josey.
        precipitation: m s-1.
        rain_heat_flux: add the heat flux of rain (Gosnell et al. 1995).
        relative_wind: use the wind relative to the surface current.
        heights: (wind, temperature, humidity) measurement heights (m).
        parameters: drag_scale, sensible_scale, latent_scale (multipliers of the transfer coefficients).
    """

    wind_x: SeriesConfig
    wind_y: SeriesConfig
    air_temperature: SeriesConfig
    humidity: SeriesConfig
    algorithm: str = "coare35"
    humidity_type: str = "specific"
    air_pressure: SeriesConfig = SeriesConfig(101325.0)
    longwave_method: str = "net"
    longwave: SeriesConfig | None = None
    cloud_cover: SeriesConfig | None = None
    precipitation: SeriesConfig = SeriesConfig(0.0)
    rain_heat_flux: bool = False
    relative_wind: bool = True
    heights: tuple[float, float, float] = (10.0, 2.0, 2.0)
    parameters: dict[str, float] = dataclasses.field(default_factory=dict)

    def series(self) -> dict[str, SeriesConfig]:
        """Name -> series in the order of `calib.common.vocabulary.METEOROLOGY` (missing: 0)."""
        return {name: getattr(self, name) or SeriesConfig(0.0) for name in METEOROLOGY}


@dataclasses.dataclass(frozen=True)
class ForcingConfig:
    """Surface forcing, positive into the ocean.

    Attributes:
        latitude: degrees north, sets the Coriolis parameter (0 = no rotation).
        longitude: degrees east (Payne's albedo).
        wind_stress_x, wind_stress_y: Pa.
        heat_flux: non-solar heat flux (W m-2, > 0 warms the ocean).
        shortwave: downward shortwave at the surface, W m-2 (>= 0); (1 - albedo) of it is absorbed.
        freshwater_flux: precipitation minus evaporation (m s-1).
        albedo: a number in [0, 1) or "payne".
        water_type: Jerlov type for shortwave penetration (I, IA, IB, II, III).
        extinction: time-varying extinction instead of water_type, or None.
        bulk: bulk formulae instead of wind stress, heat flux and freshwater flux, or None.
        bottom_drag_coefficient: quadratic drag at the sea floor (>= 0).
    """

    latitude: float = 0.0
    wind_stress_x: SeriesConfig = SeriesConfig(0.0)
    wind_stress_y: SeriesConfig = SeriesConfig(0.0)
    heat_flux: SeriesConfig = SeriesConfig(0.0)
    shortwave: SeriesConfig = SeriesConfig(0.0)
    freshwater_flux: SeriesConfig = SeriesConfig(0.0)
    water_type: str = "I"
    bottom_drag_coefficient: float = 0.0
    longitude: float = 0.0
    albedo: float | str = 0.0
    extinction: ExtinctionConfig | None = None
    bulk: BulkConfig | None = None

    def series(self) -> dict[str, SeriesConfig]:
        """Name -> series for the five forcing variables."""
        return {name: getattr(self, name) for name in FORCING}


@dataclasses.dataclass(frozen=True)
class LayerTimescale:
    """A layer at the surface or the bottom with its own relaxation timescale (both > 0)."""

    thickness: float
    timescale: float


@dataclasses.dataclass(frozen=True)
class RelaxedVariableConfig:
    """Relaxation of one variable toward the profiles of an observation file.

    Attributes:
        observations: NetCDF read by `calib.io.observations.load_observations`.
        variable: the variable in it (None: found by name and standard_name).
        timescale: relaxation timescale (s) in the interior.
        surface_layer, bottom_layer: their own timescales, or None.
    """

    observations: Path
    timescale: float
    variable: str | None = None
    surface_layer: LayerTimescale | None = None
    bottom_layer: LayerTimescale | None = None


@dataclasses.dataclass(frozen=True)
class RelaxationConfig:
    """Relaxation (nudging) of T and S toward observed profiles; either may be None."""

    T: RelaxedVariableConfig | None = None
    S: RelaxedVariableConfig | None = None


@dataclasses.dataclass(frozen=True)
class TideConfig:
    """A tidal slope x sin(2 pi (t - phase) / period) along x and y."""

    period: float
    x: float = 0.0
    y: float = 0.0
    phase: float = 0.0


@dataclasses.dataclass(frozen=True)
class PressureGradientConfig:
    """External pressure gradient as surface slopes d(eta)/dx, d(eta)/dy (m m-1) plus tides."""

    x: SeriesConfig = SeriesConfig(0.0)
    y: SeriesConfig = SeriesConfig(0.0)
    tides: tuple[TideConfig, ...] = ()


@dataclasses.dataclass(frozen=True)
class ClosureConfig:
    """Closure name (a key of `calib.core.closures.CLOSURES`), variant choices and parameters.

    Attributes:
        name: the closure, e.g. ``k_epsilon``.
        variants: field -> implementation name, e.g. ``{"stability": "kantha_clayson"}``
            (the fields and names a closure offers: ``calib closures NAME``).
        parameters: (dotted) parameter name -> value, e.g. ``{"c_epsilon1": 1.44,
            "stability.C1": 0.08}``; names and bounds are checked by `calib.config.build`.
    """

    name: str
    parameters: dict[str, float] = dataclasses.field(default_factory=dict)
    variants: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class NumericsConfig:
    """checkpoint: one of CHECKPOINT_SCHEMES; solver: auto | thomas | lapack;
    rotation: exact | semi_implicit (Coriolis)."""

    checkpoint: str = "nested"
    solver: str = "auto"
    rotation: str = "exact"


@dataclasses.dataclass(frozen=True)
class OutputConfig:
    """variables: names to write (None = all)."""

    variables: tuple[str, ...] | None = None


TOP_LEVEL_KEYS = (
    "name",
    "description",
    "grid",
    "time",
    "initial",
    "equation_of_state",
    "forcing",
    "relaxation",
    "pressure_gradient",
    "closure",
    "numerics",
    "output",
    "fit",
    "observations",
)
REQUIRED_KEYS = ("grid", "time", "initial", "closure")


@dataclasses.dataclass(frozen=True)
class Case:
    """A complete, validated case.

    Attributes:
        name: short identifier (defaults to the file name without extension).
        description: free text.
        grid, time, initial, equation_of_state, forcing, closure, numerics, output: sections.
        relaxation, pressure_gradient: optional sections (None when not given).
        fit: calibration settings, kept as given (e.g. `parameters`, `observations`).
        observations: observation settings, kept as given.
        source: the file the case was read from ("<string>" when parsed from text).
        base_dir: folder that relative paths were resolved against.
        text: the case as YAML text (stored in every output, so that a run can be repeated and
            `calib fit --obs` can rebuild it).
    """

    name: str
    description: str
    grid: GridConfig
    time: TimeConfig
    initial: InitialConfig
    equation_of_state: EquationOfStateConfig
    forcing: ForcingConfig
    closure: ClosureConfig
    numerics: NumericsConfig
    output: OutputConfig
    fit: dict[str, Any]
    observations: dict[str, Any]
    source: str
    base_dir: Path
    text: str = ""
    relaxation: RelaxationConfig | None = None
    pressure_gradient: PressureGradientConfig | None = None
