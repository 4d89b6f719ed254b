"""Case -> objects: the one place where names in a case file become Modules and arrays.

`build(case)` turns a validated `calib.config.schema.Case` into a `ColumnModel`, the initial `State`
and the run plan. Names that need the model to be checked are checked here, each with a
one-line `ConfigError`: the closure name (against `calib.core.closures.CLOSURES`), closure parameter
names and bounds (against `calib.core.params.parameter_info`), NetCDF variable names, whether forcing
series cover the run, and the output variable names.
"""

from __future__ import annotations

import dataclasses
import datetime

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from calib.common.errors import ConfigError, suggest
from calib.common.vocabulary import DIFFUSIVITY_NAMES
from calib.config import inputs
from calib.config.schema import Case, GridConfig
from calib.core import airsea
from calib.core.closures import CLOSURES, AbstractClosure, Diffusivities
from calib.core.eos import EQUATIONS_OF_STATE, AbstractEquationOfState
from calib.core.forcing import BulkForcing, Extinction, Forcing, ShortwaveAbsorption, coriolis_parameter
from calib.core.grid import Grid
from calib.core.model import ColumnModel, ExactRotation, SemiImplicitRotation, initial_carry
from calib.core.params import get_parameter, parameter_info, set_parameters, variant_options
from calib.core.relaxation import PressureGradient, Relaxation, RelaxedProfile
from calib.core.state import State
from calib.core.tridiag import LapackSolver, ThomasSolver, default_solver
from calib.io.conventions import looks_like_kelvin

ROTATIONS = {"exact": ExactRotation, "semi_implicit": SemiImplicitRotation}
SOLVERS = {"auto": default_solver, "thomas": ThomasSolver, "lapack": LapackSolver}


@dataclasses.dataclass(frozen=True)
class Built:
    """Everything `calib.core.integrate.simulate` needs for a case.

    Attributes:
        model: the column physics.
        initial: state at t = 0.
        n_saves: saved states after the initial one.
        steps_per_save: time steps between saves.
        checkpoint: checkpoint scheme name (`calib.core.integrate.CHECKPOINT_SCHEMES`).
        case: the case it was built from.
    """

    model: ColumnModel
    initial: State
    n_saves: int
    steps_per_save: int
    checkpoint: str
    case: Case


def build(case: Case) -> Built:
    """Build the model, the initial state and the run plan of a case (see the module docstring)."""
    grid = build_grid(case.grid)
    model = ColumnModel(
        grid=grid,
        eos=build_equation_of_state(case),
        forcing=build_forcing(case),
        closure=build_closure(case),
        dt=case.time.dt,
        rotation=ROTATIONS[case.numerics.rotation](),
        bottom_drag_coefficient=case.forcing.bottom_drag_coefficient,
        solver=SOLVERS[case.numerics.solver](),
        pressure_gradient=build_pressure_gradient(case),
        relaxation=build_relaxation(case, grid),
    )
    initial = build_initial(case, grid)
    check_output_variables(case, model, initial)
    return Built(
        model=model,
        initial=initial,
        n_saves=case.time.n_saves,
        steps_per_save=case.time.steps_per_save,
        checkpoint=case.numerics.checkpoint,
        case=case,
    )


def _fail(case: Case, key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{case.source}: {key}: {problem}; {fix}")


def build_grid(config: GridConfig) -> Grid:
    """Grid from explicit levels, or uniform / stretched from depth and nz."""
    if config.levels is not None:
        return Grid.from_faces(config.levels)
    if config.stretching:
        return Grid.stretched(config.depth, config.nz, config.stretching)
    return Grid.uniform(config.depth, config.nz)


def build_closure(case: Case) -> AbstractClosure:
    """Closure class by name, its variants chosen by name, the case's (dotted) parameters
    overriding the defaults; every name checked with a did-you-mean."""
    name = case.closure.name
    if name not in CLOSURES:
        raise _fail(
            case,
            "closure.name",
            f"unknown closure {name!r}{suggest(name, CLOSURES)}",
            f"use one of {', '.join(CLOSURES)}",
        )
    closure = CLOSURES[name]()
    # outer choices first: `stability.limiter` applies to the chosen `stability`
    for field, choice in sorted(case.closure.variants.items(), key=lambda item: item[0].count(".")):
        options = variant_options(closure)
        key = f"closure.{field}"
        if field not in options:
            allowed = ", ".join(["name", "parameters", *options])
            raise _fail(case, key, f"{name} has no variant field {field!r}{suggest(field, options)}",
                        f"use one of {allowed}")  # fmt: skip
        if choice not in options[field]:
            raise _fail(case, key, f"unknown {field} {choice!r}{suggest(choice, options[field])}",
                        f"use one of {', '.join(options[field])}")  # fmt: skip
        closure = eqx.tree_at(lambda c, f=field: get_parameter(c, f), closure, options[field][choice]())
    info = parameter_info(closure)
    for parameter, value in case.closure.parameters.items():
        key = f"closure.parameters.{parameter}"
        if parameter not in info:
            raise _fail(
                case,
                key,
                f"{name} has no parameter {parameter!r}{suggest(parameter, info)}",
                f"use one of {', '.join(info) or '(none)'}",
            )
        bounds = info[parameter]
        if not bounds.lower <= value <= bounds.upper:
            units = "" if bounds.units == "1" else f" {bounds.units}"
            raise _fail(
                case,
                key,
                f"must be within [{bounds.lower:g}, {bounds.upper:g}]{units} (got {value:g})",
                "choose a value inside the bounds",
            )
    values = {parameter: float(value) for parameter, value in case.closure.parameters.items()}
    closure = set_parameters(closure, values)
    check_steady_state(case, closure)
    return closure


def check_steady_state(case: Case, closure: AbstractClosure) -> None:
    """A c3- derived from a steady-state Richardson number needs that steady state to exist
    under the chosen stability functions (else it would quietly follow from a limit)."""
    richardson = getattr(getattr(closure, "stable_buoyancy", None), "richardson", None)
    stability = getattr(closure, "stability", None)
    if richardson is None or stability is None or stability.has_steady_state(float(richardson)):
        return
    raise _fail(
        case,
        "closure.stable_buoyancy",
        f"the {getattr(stability, 'name', type(stability).__name__)} stability functions have no steady "
        f"state at Ri_st = {float(richardson):g} (P + B = epsilon has no root there)",
        "use stable_buoyancy: parameter with an explicit c3- (c_epsilon3_stable, c_psi3_stable), "
        "or another stability function",
    )


def build_equation_of_state(case: Case) -> AbstractEquationOfState:
    """The equation of state by type (`calib.core.eos.EQUATIONS_OF_STATE`) with the case's values."""
    config = case.equation_of_state
    return EQUATIONS_OF_STATE[config.type](**config.arguments())


def _on_common_times(case: Case, specs: dict[str, tuple[str, object, str | None]]):
    """(times, name -> values on them) of several series on the union of their times ([0.0] and
    the constants when none varies); specs: name -> (key, SeriesConfig, plausibility quantity)."""
    series = {name: inputs.series_values(case, name, spec, key, quantity)
              for name, (key, spec, quantity) in specs.items()}  # fmt: skip
    times = sorted({t for time, _ in series.values() if time is not None for t in time})
    if not times:
        return [0.0], {name: np.asarray(values, dtype=float) for name, (_, values) in series.items()}
    return times, {name: inputs.on_times(times, time, value) for name, (time, value) in series.items()}


def start_seconds(case: Case) -> float | None:
    """time.start in seconds since 1970-01-01T00:00 UTC, or None."""
    if case.time.start is None:
        return None
    return (case.time.start - datetime.datetime(1970, 1, 1)).total_seconds()


def build_forcing(case: Case) -> Forcing:
    """Forcing on the union of the times of all its series (constants broadcast), with its
    albedo, extinction series and bulk formulae."""
    config = case.forcing
    specs = {name: (f"forcing.{name}", spec, name) for name, spec in config.series().items()}
    times, values = _on_common_times(case, specs)
    arguments = dict(
        coriolis=coriolis_parameter(config.latitude),
        shortwave_absorption=ShortwaveAbsorption.jerlov(config.water_type),
        latitude=config.latitude,
        longitude=config.longitude,
        start_time=start_seconds(case) or 0.0,
        albedo=build_albedo(case),
        extinction=build_extinction(case),
        bulk=build_bulk(case),
    )
    return Forcing.from_series(times, **arguments, **values)


def build_albedo(case: Case) -> airsea.AbstractAlbedo | None:
    """None for albedo 0 (nothing reflected), else a constant or Payne's albedo."""
    albedo = case.forcing.albedo
    if albedo == "payne":
        if case.time.start is None:
            raise _fail(case, "forcing.albedo", "payne needs the date and time of the run (solar altitude)",
                        "set time.start, e.g. 2012-03-21T00:00:00")  # fmt: skip
        return airsea.ALBEDO["payne"]()
    if float(albedo) == 0.0:
        return None
    return airsea.ALBEDO["constant"](value=float(albedo))


def build_extinction(case: Case) -> Extinction | None:
    """A, g1, g2 series on their common times, or None."""
    config = case.forcing.extinction
    if config is None:
        return None
    specs = {name: (f"forcing.extinction.{name}", getattr(config, name), None) for name in ("A", "g1", "g2")}
    times, values = _on_common_times(case, specs)
    columns = [np.broadcast_to(values[name], (len(times),)) for name in ("A", "g1", "g2")]
    if np.any(columns[0] < 0) or np.any(columns[0] > 1) or np.any(columns[1] <= 0) or np.any(columns[2] <= 0):
        raise _fail(
            case, "forcing.extinction", "A must be within [0, 1] and g1, g2 > 0 (m)", "check the series"
        )
    return Extinction(time=jnp.asarray(times, dtype=float), values=jnp.asarray(np.stack(columns, axis=-1)))


def build_bulk(case: Case) -> BulkForcing | None:
    """The bulk formula with the case's parameters, the longwave formula and the meteorological
    series (columns in the order of `calib.common.vocabulary.METEOROLOGY`), or None."""
    config = case.forcing.bulk
    if config is None:
        return None
    for option, table in (("algorithm", airsea.BULK_FORMULAE), ("longwave_method", airsea.LONGWAVE)):
        if getattr(config, option) not in table:
            raise _fail(case, f"forcing.bulk.{option}", f"{getattr(config, option)!r} is not available",
                        f"use one of {', '.join(table)}")  # fmt: skip
    quantities = {"humidity": f"humidity:{config.humidity_type}"}
    specs = {name: (f"forcing.bulk.{name}", spec, quantities.get(name, name))
             for name, spec in config.series().items()}  # fmt: skip
    times, values = _on_common_times(case, specs)
    columns = [np.broadcast_to(values[name], (len(times),)) for name in specs]
    formula = set_parameters(airsea.BULK_FORMULAE[config.algorithm](), dict(config.parameters))
    wind, temperature, humidity = config.heights
    return BulkForcing(
        formula=formula,
        longwave=airsea.LONGWAVE[config.longwave_method](),
        time=jnp.asarray(times, dtype=float),
        values=jnp.asarray(np.stack(columns, axis=-1)),
        heights=airsea.Heights(wind=wind, temperature=temperature, humidity=humidity),
        humidity_type=config.humidity_type,
        rain_heat_flux=config.rain_heat_flux,
        relative_wind=config.relative_wind,
    )


def build_pressure_gradient(case: Case) -> PressureGradient | None:
    """Surface slopes x, y on their common times plus the tides, or None."""
    config = case.pressure_gradient
    if config is None:
        return None
    specs = {name: (f"pressure_gradient.{name}", getattr(config, name), None) for name in ("x", "y")}
    times, values = _on_common_times(case, specs)
    columns = [np.broadcast_to(values[name], (len(times),)) for name in ("x", "y")]
    tides = tuple((tide.period, tide.x, tide.y, tide.phase) for tide in config.tides)
    values = jnp.asarray(np.stack(columns, axis=-1))
    return PressureGradient(time=jnp.asarray(times, dtype=float), values=values, tides=tides)


def relaxation_rate(z: np.ndarray, depth: float, config) -> np.ndarray:
    """1 / timescale at heights z (s-1): the surface and bottom layers' own timescales within
    their thickness of the surface / sea floor (the surface layer wins where they overlap)."""
    rate = np.full_like(np.asarray(z, dtype=float), 1.0 / config.timescale)
    if config.bottom_layer is not None:
        rate = np.where(z < -depth + config.bottom_layer.thickness, 1.0 / config.bottom_layer.timescale, rate)
    if config.surface_layer is not None:
        rate = np.where(z > -config.surface_layer.thickness, 1.0 / config.surface_layer.timescale, rate)
    return rate


def build_relaxation(case: Case, grid: Grid) -> Relaxation | None:
    """Observed T, S profiles on the grid (linear in time, constant beyond the ends) and the
    relaxation rate of every cell, or None."""
    config = case.relaxation
    if config is None:
        return None
    z = np.asarray(jax.device_get(grid.z_centers), dtype=float)
    parts = {}
    for name in ("T", "S"):
        variable = getattr(config, name)
        if variable is None:
            continue
        seconds, profiles = inputs.relaxation_profiles(case, f"relaxation.{name}", variable, z)
        parts[name] = RelaxedProfile(
            time=jnp.asarray(seconds),
            profiles=jnp.asarray(profiles),
            rate=jnp.asarray(relaxation_rate(z, float(grid.depth), variable)),
        )
    return Relaxation(**parts) if parts else None


def build_initial(case: Case, grid: Grid) -> State:
    """Initial u, v, T, S at the cell centres."""
    z = jax.device_get(grid.z_centers)
    profiles = {
        name: inputs.profile_values(
            case, f"initial.{name}", getattr(case.initial, name), z, float(grid.depth)
        )
        for name in ("u", "v", "T", "S")
    }
    with np.errstate(over="ignore"):
        if looks_like_kelvin(profiles["T"]):
            mean = float(np.mean(profiles["T"]))
            raise _fail(
                case, "initial.T", f"mean {mean:.4g} > 100 looks like kelvin", "give degC (T - 273.15)"
            )
    for name in ("T", "S"):
        inputs.check_initial(case, name, profiles[name])
    return State(**{name: jnp.asarray(values) for name, values in profiles.items()})


def output_variable_names(model: ColumnModel, initial: State) -> tuple[str, ...]:
    """Names a trajectory can save: the state, the diffusivities and the closure state fields."""
    carry = jax.eval_shape(initial_carry, model, initial)
    names = [field.name for field in dataclasses.fields(State)]
    names += [DIFFUSIVITY_NAMES[field.name] for field in dataclasses.fields(Diffusivities)
              if getattr(carry.diffusivities, field.name) is not None]  # fmt: skip
    if dataclasses.is_dataclass(carry.closure_state):
        names += [field.name for field in dataclasses.fields(carry.closure_state)]
    return tuple(names)


def check_output_variables(case: Case, model: ColumnModel, initial: State) -> None:
    """Every name in output.variables must be one the trajectory holds."""
    if case.output.variables is None:
        return
    known = output_variable_names(model, initial)
    for index, name in enumerate(case.output.variables):
        if name not in known:
            raise _fail(
                case,
                f"output.variables[{index}]",
                f"unknown variable {name!r}{suggest(name, known)}",
                f"use some of {', '.join(known)}",
            )
