"""Running cases from Python: `run` a case into an xarray Dataset, or get a `simulator`, a
function from named parameters to named outputs that JAX can differentiate and vectorise.

    ds = calib.run("cases/kato_phillips.yaml")                       # xr.Dataset
    f = calib.simulator("cases/kato_phillips.yaml", ["c_epsilon1"], outputs=["T"])
    dT = jax.grad(lambda p: f(p)["T"][-1, -1])(f.defaults)           # d SST / d c_epsilon1

`calib run` is `run` followed by `calib.io.netcdf.write_dataset` and `summary`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from calib import config
from calib.analysis.diagnostics import definitions, depth_of_maximum_stratification, surface_series
from calib.common.errors import CalibError
from calib.common.vocabulary import DIFFUSIVITY_NAMES, check_scheme
from calib.config import build as builder
from calib.core import batch
from calib.core.eos import buoyancy_frequency_squared
from calib.core.integrate import simulate
from calib.core.model import ColumnModel
from calib.core.params import get_parameter, parameter_info
from calib.core.runner import RunTimings, chunk_sizes
from calib.core.runner import run as run_chunks
from calib.core.state import State
from calib.io.netcdf import trajectory_to_dataset

CaseLike = config.Case | str | Path


def as_case(case: CaseLike) -> config.Case:
    """A Case from a Case, or from the path of a case file."""
    if isinstance(case, config.Case):
        return case
    if isinstance(case, str | Path):
        return config.load_case(case)
    raise CalibError(f"{type(case).__name__}: not a case; give a calib.load_case(...) result or a YAML path")


def require_float64(float32: bool = False) -> None:
    """calib computes in float64 unless float32 is asked for (importing calib enables x64)."""
    if not float32 and not jax.config.jax_enable_x64:
        raise CalibError(
            "JAX runs in float32 (jax_enable_x64 is off), which calib refuses unless asked; call "
            "jax.config.update('jax_enable_x64', True) or pass float32=True"
        )


def prepared(case: CaseLike, closure: str | None = None, parameters: dict | None = None) -> config.Case:
    """The case with another closure and/or parameter values (`calib.config.with_closure`)."""
    case = as_case(case)
    if closure is None and not parameters:
        return case
    return config.with_closure(case, closure, parameters=parameters)


def _progress_callback(progress, total: int) -> tuple[Callable | None, Callable[[], None]]:
    """(callback(done, total), close) for a rich bar when `progress` is True (or a Console)."""
    if not progress:
        return None, lambda: None
    from calib.api.progress import progress_bar

    bar = progress_bar("simulating", total, "steps", console=None if progress is True else progress)
    bar.start()
    task = bar.add_task("run", total=total)
    return (lambda done, _total: bar.update(task, completed=done)), bar.stop


def run(
    case: CaseLike,
    *,
    closure: str | None = None,
    parameters: dict[str, float] | None = None,
    checkpoint: str | None = None,
    float32: bool = False,
    progress=False,
) -> xr.Dataset:
    """Simulate a case and return its trajectory as a CF-style xarray Dataset.

    Args:
        case: a `calib.load_case` result or the path of a case YAML file.
        closure: run this closure (its defaults) instead of the case's.
        parameters: (dotted) closure parameter values overriding the case's, e.g.
            ``{"c_epsilon1": 1.5}``; checked against their bounds.
        checkpoint: checkpoint scheme of the time loop (default: the case's).
        float32: single precision (float64 otherwise).
        progress: show a progress bar on long runs (True, or a rich Console to draw on).

    Returns:
        The Dataset `calib run` writes: u, v, T, S, viscosity, diffusivity and the closure's own
        state on (time, z|z_face), the case YAML and parameters in its attributes, and the
        compile and run times in ``calib_compile_s``, ``calib_run_s``.

    Raises:
        ConfigError: a bad case, closure, parameter or scheme. ModelDiverged: the run produced
        non-finite values (the message names the first time and variable).
    """
    require_float64(float32)
    if checkpoint is not None:
        check_scheme(checkpoint)
    case = prepared(case, closure, parameters)
    built = builder.build(case)
    if float32:
        built = dataclasses.replace(
            built, model=batch.cast(built.model, jnp.float32), initial=batch.cast(built.initial, jnp.float32)
        )
    total = built.n_saves * built.steps_per_save
    chunked = len(chunk_sizes(built.n_saves, built.steps_per_save)) > 1
    callback, close = _progress_callback(progress if chunked else False, total)
    try:
        trajectory, timings = run_chunks(built, checkpoint=checkpoint, progress=callback)
    finally:
        close()
    dataset = trajectory_to_dataset(trajectory, built.model, case=case)
    if case.output.variables:
        dataset = dataset[[name for name in dataset.data_vars if name in case.output.variables]]
    final = jax.tree.map(lambda x: x[-1], trajectory.state)
    N2 = buoyancy_frequency_squared(built.model.eos, final.T, final.S, built.model.grid)
    dataset.attrs.update(
        calib_compile_s=timings.compile_s,
        calib_run_s=timings.run_s,
        calib_steps=timings.n_steps,
        depth_of_maximum_N2_m=float(
            depth_of_maximum_stratification(np.asarray(N2), built.model.grid.z_faces)
        ),
    )
    return dataset


def summary(dataset: xr.Dataset, *, wall_s: float | None = None, written: Path | None = None) -> str:
    """One paragraph about a run: what ran, the final SST and mixed layer (the definitions of
    `calib.analysis.diagnostics`, as `calib plot` and `calib compare` use them) and its cost."""
    attrs = dataset.attrs
    series = surface_series(dataset)
    sst, mld = series["sst"].values, series["mld"].values
    hours = float((dataset["time"].values[-1] - dataset["time"].values[0]) / np.timedelta64(1, "h"))
    z_face = dataset["z_face"].values
    timings = RunTimings(attrs.get("calib_compile_s", 0.0), attrs.get("calib_run_s", 0.0),
                         int(attrs.get("calib_steps", 0)))  # fmt: skip
    speed = ""
    if "u" in dataset and "v" in dataset:
        speed = f", surface current {float(np.hypot(dataset['u'][-1, -1], dataset['v'][-1, -1])):.3f} m/s"
    entrainment = attrs.get("depth_of_maximum_N2_m")
    strongest = f"; maximum N² at {entrainment:.1f} m" if entrainment is not None else ""
    cost = (
        f"compile {timings.compile_s:.1f} s, run {timings.run_s:.2f} s "
        f"({timings.microseconds_per_step:.1f} µs/step)"
    )
    wall = f"Wall time {wall_s:.1f} s: {cost}" if wall_s is not None else f"Time: {cost}"
    return (
        f"{attrs.get('case_name', 'run')}: {hours:g} h with the {attrs.get('closure')} closure, "
        f"{dataset.sizes['z']} levels over {-float(z_face[0]):g} m, dt = {attrs.get('time_step_s', 0):g} s "
        f"({timings.n_steps:,} steps). Final SST {sst[-1]:.3f} °C (initial {sst[0]:.3f} °C), "
        f"mixed-layer depth {mld[-1]:.1f} m ({definitions()}{strongest}){speed}. "
        f"{wall}." + (f" Wrote {written}." if written is not None else "")
    )


class Simulator(eqx.Module):
    """Named closure parameters -> named outputs of a case, as a pure JAX function.

    Call it with a dict {parameter: value} (any of `names`; the others keep the case's values)
    to get {output: array (n_saves + 1, nz or nz + 1)}, the trajectory at the save times
    `time` (s) on the levels `z` (m). It is an `eqx.Module`, so `jax.grad`, `jax.jacfwd`,
    `jax.vmap` and `jax.jit` apply to it directly; reverse mode goes through the checkpoint
    scheme given when it was made (memory O(log steps) for ``recursive``).
    """

    model: ColumnModel
    initial: State
    names: tuple[str, ...] = eqx.field(static=True)
    outputs: tuple[str, ...] = eqx.field(static=True)
    n_saves: int = eqx.field(static=True)
    steps_per_save: int = eqx.field(static=True)
    checkpoint: str = eqx.field(static=True)

    @property
    def defaults(self) -> dict[str, jax.Array]:
        """The case's values of the parameters, a valid argument."""
        return {name: jnp.asarray(get_parameter(self.model.closure, name)) for name in self.names}

    @property
    def time(self) -> np.ndarray:
        """Save times (s since the start), n_saves + 1 of them."""
        return np.arange(self.n_saves + 1) * self.steps_per_save * self.model.dt

    @property
    def z(self) -> np.ndarray:
        """Heights of the cell centres (m, bottom first)."""
        return np.asarray(self.model.grid.z_centers)

    def __call__(self, parameters: dict[str, jax.Array]) -> dict[str, jax.Array]:
        unknown = sorted(set(parameters) - set(self.names))
        if unknown:
            raise CalibError(
                f"simulator: {unknown[0]!r} is not one of its parameters ({', '.join(self.names)})"
            )
        names = list(parameters)
        closure = eqx.tree_at(
            lambda c: [get_parameter(c, n) for n in names],
            self.model.closure,
            [
                jnp.asarray(parameters[n], dtype=jnp.result_type(get_parameter(self.model.closure, n)))
                for n in names
            ],
        )
        model = eqx.tree_at(lambda m: m.closure, self.model, closure)
        trajectory = simulate(
            model, self.initial, self.n_saves, self.steps_per_save, checkpoint=self.checkpoint
        )
        return {name: _output(trajectory, name) for name in self.outputs}


def _output(trajectory, name: str):
    if name in ("u", "v", "T", "S"):
        return getattr(trajectory.state, name)
    fields = {output: field for field, output in DIFFUSIVITY_NAMES.items()}
    if name in fields:
        return getattr(trajectory.diffusivities, fields[name])
    return getattr(trajectory.closure_state, name)


def simulator(
    case: CaseLike,
    parameters: Sequence[str] | None = None,
    outputs: Sequence[str] = ("T",),
    *,
    checkpoint: str = "recursive",
) -> Simulator:
    """A differentiable function from named closure parameters to named outputs of a case.

    Args:
        case: a `calib.load_case` result or the path of a case YAML file.
        parameters: the (dotted) parameters it takes (default: every parameter of the closure).
        outputs: trajectory variables it returns: u, v, T, S, viscosity, diffusivity or a field of
            the closure's state (k, epsilon, tke, ...).
        checkpoint: checkpoint scheme of reverse mode (`calib.common.vocabulary.CHECKPOINT_SCHEMES`).

    Returns:
        A `Simulator`; `simulator(...).defaults` is the case's parameter dict.
    """
    require_float64()
    check_scheme(checkpoint)
    case = as_case(case)
    built = builder.build(case)
    known = parameter_info(built.model.closure)
    names = tuple(parameters) if parameters is not None else tuple(known)
    for name in names:
        if name not in known:
            raise CalibError(
                f"simulator: {built.model.closure.name} has no parameter {name!r}; "
                f"use some of {', '.join(known)}"
            )
    available = builder.output_variable_names(built.model, built.initial)
    for name in outputs:
        if name not in available:
            raise CalibError(f"simulator: no output {name!r}; choose some of {', '.join(available)}")
    return Simulator(built.model, built.initial, names, tuple(outputs), built.n_saves, built.steps_per_save,
                     checkpoint)  # fmt: skip


__all__ = ["Simulator", "as_case", "prepared", "require_float64", "run", "simulator", "summary"]
