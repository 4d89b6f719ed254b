"""Case(s) + observation file(s) + settings -> a `Problem` ready for the optimiser.

A case comes from a YAML file, or from an observation file written by `calib run`, which
stores the case's YAML text in its global attribute ``case_yaml`` and its path in
``case_path``: relative paths inside that text are resolved against the folder of
``case_path`` when it still exists, else against the observation file's folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from calib import config
from calib.calibration import targets as tgt
from calib.calibration.loss import Experiment, Problem, make_groups
from calib.common.errors import ConfigError, DataError, one_line
from calib.common.vocabulary import FITTABLE
from calib.config import build as builder
from calib.config.fit import FitSettings, parse_fit_section
from calib.core.model import initial_carry
from calib.core.trainable import Trainable
from calib.io.observations import load_observations


@dataclasses.dataclass(frozen=True)
class FitInput:
    """One case and its observations.

    Attributes:
        case: the validated case (its closure parameters are the starting point; its text is
            what the fitted case file is written from).
        observations_path: the observation file (or a label for a Dataset given in Python).
        observations: its canonical Dataset (`calib.io.observations.load_observations`).
        built: model, initial state and run plan of the case.
    """

    case: config.Case
    observations_path: Path | str
    observations: xr.Dataset
    built: builder.Built


def case_from_observations(source: Path | xr.Dataset) -> config.Case:
    """The case recorded by `calib run` in its output (attributes case_yaml, case_path,
    case_base_dir), for `calib fit --obs FILE` with no case.

    Raises:
        DataError: the file records no case.
    """
    label = "the observation Dataset" if isinstance(source, xr.Dataset) else str(source)
    try:
        if isinstance(source, xr.Dataset):
            attrs = dict(source.attrs)
        else:
            with xr.open_dataset(source) as ds:
                attrs = dict(ds.attrs)
    except (OSError, ValueError) as error:
        raise DataError(
            f"{label}: cannot open as NetCDF ({one_line(error)}); give an observation NetCDF file"
        ) from None
    text, recorded = attrs.get("case_yaml", ""), attrs.get("case_path", "")
    if not text:
        raise DataError(
            f"{label}: records no case (no 'case_yaml' attribute); name the case with --case CASE.yaml"
        )
    candidates = [attrs.get("case_base_dir", ""), str(Path(recorded).parent) if recorded else ""]
    folder = Path(source).parent if not isinstance(source, xr.Dataset) else Path.cwd()
    base = next((Path(c) for c in candidates if c and Path(c).is_dir()), folder)
    return config.parse_case(text, source=recorded or f"{label}:case_yaml", base_dir=base)


def settings_of(case: config.Case) -> FitSettings:
    """The case's `fit:` section as FitSettings (defaults when it has none)."""
    return parse_fit_section(case.fit, case.source, case.base_dir) if case.fit else FitSettings()


def load_input(case: config.Case, observations: Path | str | xr.Dataset | None) -> FitInput:
    """Read the observations (a file, a Dataset, or the case's fit.observations) and build the case.

    Raises:
        ConfigError: no observation file given anywhere.
    """
    source = observations if observations is not None else settings_of(case).observations
    if source is None:
        raise ConfigError(
            f"{case.source}: fit.observations: no observation file for case {case.name!r}; "
            "pass --obs FILE.nc or add 'observations: FILE.nc' to the case's fit section"
        )
    label = "the observation Dataset" if isinstance(source, xr.Dataset) else Path(source)
    return FitInput(case, label, load_observations(source), builder.build(case))


def experiments_of(item: FitInput, settings: FitSettings) -> list[Experiment]:
    """One Experiment per window of a case (see `calib.calibration.targets`)."""
    case, built, observations = item.case, item.built, item.observations
    origin = tgt.time_origin(case, observations)
    where = f"{case.source}: fit.windows"
    windows = tgt.resolve_windows(case, settings.windows, origin, where, settings.window_length)
    variables = tgt.fitted_variables(observations, settings.weights, item.observations_path)
    if "epsilon" in variables:
        check_dissipation(item)
    grid = built.model.grid
    tgt.check_overlap(observations, grid, origin, windows, item.observations_path)
    z = np.asarray(grid.z_centers)
    tgt.check_against_initial(observations, built.initial, z, origin, item.observations_path)
    sst_weights = tgt.sst_weights(z) if "SST" in variables else None
    interval = case.time.output_interval
    tolerance = 0.5 * interval if settings.time_tolerance is None else settings.time_tolerance
    checkpoint = gradient_scheme(settings.checkpoint, built, windows)
    spin_up = round(settings.spin_up / case.time.dt)
    result = []
    for window in windows:
        initial = tgt.window_initial(observations, built.initial, z, window, origin, tolerance)
        result.append(Experiment(
            label=f"{case.name} [{window.start_s / 3600:g} h, {window.end_s / 3600:g} h]",
            model=built.model,
            initial=jax_state(initial),
            start_step=window.start_step,
            n_saves=window.n_saves,
            steps_per_save=built.steps_per_save,
            checkpoint=checkpoint,
            targets=tgt.window_targets(observations, z, window, interval, origin, variables,
                                       settings.time_tolerance, z_faces=np.asarray(grid.z_faces)),
            save_times=window.start_s + interval * np.arange(1, window.n_saves + 1),
            origin=origin,
            spin_up_steps=spin_up if window.start_step > 0 else 0,
            sst_weights=sst_weights,
        ))  # fmt: skip
    return result


def check_dissipation(item: FitInput) -> None:
    """Raise a ConfigError when epsilon is fitted with a closure whose state has no dissipation
    rate (k-epsilon and the GLS closures have one; TKE, CATKE, KPP and the algebraic ones do not)."""
    closure = item.built.model.closure
    carry = jax.eval_shape(initial_carry, item.built.model, item.built.initial)
    if not hasattr(carry.closure_state, "epsilon"):
        raise ConfigError(
            f"{item.case.source}: closure {closure.name} has no dissipation rate epsilon in its state, so "
            f"the epsilon observations of {item.observations_path} cannot be fitted; use closure k_epsilon "
            "or a gls closure, or fit other variables (--weights / fit.weights without epsilon)"
        )


CHECKPOINT_MEMORY = 2**30  # bytes of saved carries under which the gradient checkpoints every step


def gradient_scheme(setting: str, built: builder.Built, windows) -> str:
    """The checkpoint scheme of a fit's gradient: `setting`, or for "auto" ``step`` (one saved
    carry per step: the fastest to compile, 5.7 s against 10.6 s for ``nested`` and 16.0 s for
    ``recursive`` on the LES strong-wind fit, and as fast to run) while the carries of the
    longest window fit in `CHECKPOINT_MEMORY`, else ``recursive`` (memory O(log steps))."""
    if setting != "auto":
        return setting
    carry = jax.eval_shape(initial_carry, built.model, built.initial)
    carry_bytes = sum(np.prod(leaf.shape) * leaf.dtype.itemsize for leaf in jax.tree.leaves(carry))
    steps = max(w.n_saves for w in windows) * built.steps_per_save
    return "step" if steps * carry_bytes * len(windows) <= CHECKPOINT_MEMORY else "recursive"


def jax_state(state):
    """A State with jnp float64 leaves."""
    return type(state)(
        **{k: jnp.asarray(np.asarray(getattr(state, k)), dtype=float) for k in ("u", "v", "T", "S")}
    )


def build_problem(inputs: list[FitInput], settings: FitSettings) -> tuple[Problem, list[Experiment]]:
    """The Problem for one or more cases (they must share the closure), and its experiments in
    the order of the problem's groups and their members.

    Raises:
        ConfigError: cases with different closures, or unknown parameter names.
        DataError: no observation of a fitted variable at any save time and level.
    """
    closures = {item.built.model.closure.name for item in inputs}
    if len(closures) > 1:
        raise ConfigError(
            f"the cases use different closures ({', '.join(sorted(closures))}); "
            "fit cases of one closure together"
        )
    first = inputs[0]
    closure = first.built.model.closure
    names = settings.parameters or default_parameters(closure)
    trainable = Trainable.select(closure, names, f"{first.case.source}: fit.parameters")
    experiments = [e for item in inputs for e in experiments_of(item, settings)]
    all_targets = [e.targets for e in experiments]
    counts = tgt.counts(all_targets)
    if not any(counts.values()):
        names = ", ".join(counts)
        raise DataError(
            f"{', '.join(str(i.observations_path) for i in inputs)}: no observation of {names} falls on a "
            "model save time and level; check time.start, the windows and --time-tolerance"
        )
    variances = tgt.normalising_variances(all_targets)
    weights = settings.weights or {}
    scales = {
        name: jnp.asarray(weights.get(name, 1.0) / (variances[name] * max(count, 1)))
        for name, count in counts.items()
    }
    groups, experiments = make_groups(experiments)
    labels = tuple(e.label for e in experiments)
    theta_start = trainable.to_theta(trainable.values_of(closure))
    center, scale = prior_of(trainable)
    prior = jnp.asarray(float(settings.prior))
    problem = Problem(trainable, groups, scales, theta_start, prior, center, scale, labels)
    return problem, experiments


def default_parameters(closure) -> tuple[str, ...]:
    """The closure's default calibration set (`AbstractClosure.calibration_set`)."""
    names = tuple(getattr(type(closure), "calibration_set", ()))
    if not names:
        raise ConfigError(
            f"{closure.name} declares no default calibration set; name the parameters to fit with "
            "--params or fit.parameters (calib closures NAME lists them)"
        )
    return names


def prior_of(trainable: Trainable) -> tuple[jax.Array, jax.Array]:
    """(centre, standard deviations) of the prior in unconstrained units: the parameters' class
    defaults and their published spreads mapped through the transform at the defaults."""
    defaults = jnp.asarray([info.default for info in trainable.info], dtype=float)
    spreads = jnp.asarray([info.spread for info in trainable.info], dtype=float)
    center = trainable.to_theta(defaults)
    slope = jnp.abs(jnp.diag(jax.jacfwd(trainable.to_theta)(defaults)))  # d theta / d value
    return center, jnp.maximum(spreads * slope, 1e-6)


@eqx.filter_jit
def _predictions(theta, problem: Problem):
    return problem.predictions(theta)


def values_of(problem: Problem, predictions) -> list[dict[str, np.ndarray]]:
    """Predictions (one State per group) as one dict {variable: (n_saves, nz)} of the fitted
    variables per experiment, in the problem's order."""
    values = []
    for group, states in zip(problem.groups, predictions, strict=True):
        names = [n for n in FITTABLE if getattr(group.targets, n) is not None]
        for member in range(group.start_step.shape[0]):
            values.append({n: np.asarray(getattr(states, n)[member]) for n in names})
    return values


def predicted(problem: Problem, theta) -> list[dict[str, np.ndarray]]:
    """Model values of the fitted variables at theta (`values_of` a forward run)."""
    return values_of(problem, _predictions(theta, problem))


def describe(problem: Problem, experiments: list[Experiment]) -> str:
    """One line: experiments, groups and observation counts."""
    counts = tgt.counts([e.targets for e in experiments])
    observed = ", ".join(f"{n} {name}" for name, n in counts.items())
    return (
        f"{len(experiments)} run(s) in {len(problem.groups)} batch(es), {observed} observations, "
        f"fitting {', '.join(problem.trainable.names)}"
    )


__all__ = ["FitInput", "build_problem", "case_from_observations", "load_input", "predicted", "settings_of"]
