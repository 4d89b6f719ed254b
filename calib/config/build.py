"""Case -> objects: the one place where names in a case file become Modules and arrays.

`build(case)` turns a validated `calib.config.schema.Case` into a `ColumnModel`, the initial `State`
and the run plan. Names that need the model to be checked are checked here, each with a
one-line `ConfigError`: the closure name (against `calib.core.closures.CLOSURES`), closure parameter
names and bounds (against `calib.core.params.parameter_info`), NetCDF variable names, whether forcing
series cover the run, and the output variable names.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from calib.common.errors import ConfigError, suggest
from calib.common.vocabulary import DIFFUSIVITY_NAMES
from calib.config import inputs
from calib.config.schema import Case, GridConfig
from calib.core.closures import CLOSURES, AbstractClosure, Diffusivities
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import Forcing, ShortwaveAbsorption, coriolis_parameter
from calib.core.grid import Grid
from calib.core.model import ColumnModel, ExactRotation, SemiImplicitRotation, initial_carry
from calib.core.params import get_parameter, parameter_info, set_parameters, variant_options
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
        eos=LinearEquationOfState(**case.equation_of_state.arguments()),
        forcing=build_forcing(case),
        closure=build_closure(case),
        dt=case.time.dt,
        rotation=ROTATIONS[case.numerics.rotation](),
        bottom_drag_coefficient=case.forcing.bottom_drag_coefficient,
        solver=SOLVERS[case.numerics.solver](),
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


def build_forcing(case: Case) -> Forcing:
    """Forcing on the union of the times of all its series (constants broadcast)."""
    config = case.forcing
    series = {name: inputs.series_values(case, name, spec) for name, spec in config.series().items()}
    times = sorted({t for time, _ in series.values() if time is not None for t in time})
    arguments = dict(
        coriolis=coriolis_parameter(config.latitude),
        shortwave_absorption=ShortwaveAbsorption.jerlov(config.water_type),
    )
    if not times:
        return Forcing.constant(**arguments, **{name: values for name, (_, values) in series.items()})
    values = {name: inputs.on_times(times, time, value) for name, (time, value) in series.items()}
    return Forcing.from_series(times, **arguments, **values)


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
