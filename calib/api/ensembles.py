"""Many columns at once from Python: `ensemble` (one case, many parameter sets -> a Dataset with
a `member` dimension) and `run_batch` (several cases, each with or without an ensemble, run as
batches of columns by `calib.core.batch`); `calib run-batch` writes one NetCDF per case.

Cases whose models and run plans have the same shapes (grid size, forcing length, number of
steps and saves) and static settings (closure, dt, latitude, numerics) run in one batch; the
others form batches of their own. With an ensemble of K sets, case c with set k is member
c * K + k of its batch; its file gets a `member` dimension and one variable per sampled
parameter.
"""

from __future__ import annotations

import dataclasses
import time as clock
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from calib.api.simulation import CaseLike, as_case, require_float64
from calib.common.errors import ConfigError, ModelDiverged
from calib.config import build as builder
from calib.core import batch, sampling
from calib.core.batch import default_chunk
from calib.core.params import parameter_info
from calib.core.trainable import Trainable
from calib.io.netcdf import trajectory_to_dataset


@dataclasses.dataclass(frozen=True)
class EnsembleRequest:
    """How to sample parameter sets (`calib.core.sampling.sample_values`); size 0 = no ensemble."""

    size: int = 0
    names: tuple[str, ...] = ()
    spread: float | None = 0.5
    seed: int = 0
    method: str = "latin_hypercube"


def _group_key(built: builder.Built):
    leaves, treedef = jax.tree.flatten(built.model)
    shapes = tuple((jnp.shape(x), jnp.result_type(x)) if hasattr(x, "shape") else x for x in leaves)
    return built.n_saves, built.steps_per_save, treedef, shapes


def group_cases(builts: list[builder.Built]) -> list[list[int]]:
    """Indices of the cases that can run in one batch (see the module docstring)."""
    groups: dict = {}
    for index, built in enumerate(builts):
        groups.setdefault(_group_key(built), []).append(index)
    return list(groups.values())


def _trainable(built: builder.Built, request: EnsembleRequest) -> Trainable:
    closure = built.model.closure
    names = request.names or tuple(parameter_info(closure))
    return Trainable.select(closure, names, f"{built.case.source}: --params")


def _member_datasets(trajectory, built, first: int, count: int) -> list[xr.Dataset]:
    return [
        trajectory_to_dataset(jax.tree.map(lambda x, i=i: x[i], trajectory), built.model, case=built.case)
        for i in range(first, first + count)
    ]


def case_dataset(trajectory, built, first: int, values, trainable) -> xr.Dataset:
    """The dataset of one case: its members of the batch trajectory, stacked along `member`
    when it has an ensemble (`values` (K, p) physical parameter values), else a single run."""
    count = 1 if values is None else len(values)
    members = _member_datasets(trajectory, built, first, count)
    if values is None:
        return members[0]
    ds = xr.concat(members, dim="member", combine_attrs="override", data_vars="all", coords="minimal")
    for name in ("z_bounds",):  # the same for every member (CF: bounds have the dimensions of z)
        if name in members[0]:
            ds[name] = members[0][name]
    info = parameter_info(built.model.closure)
    for index, name in enumerate(trainable.names):
        attributes = {"units": info[name].units, "long_name": f"closure parameter {name} of each member",
                      "coverage_content_type": "auxiliaryInformation"}  # fmt: skip
        ds[name] = ("member", np.asarray(values)[:, index], attributes)
    finite = np.isfinite(ds["T"].values).all(axis=(1, 2))
    ds["diverged"] = (
        "member",
        (~finite).astype("i1"),
        {
            "units": "1",
            "long_name": "1 = the run produced non-finite values",
            "coverage_content_type": "qualityInformation",
            "flag_values": np.array([0, 1], dtype="i1"),
            "flag_meanings": "finite diverged",
        },
    )
    return ds


def _run_group(builts, indices, request: EnsembleRequest, float32: bool, chunk: int | None):
    """Run one group; returns (trajectory batch, parameter values or None, trainable,
    (compile seconds, run seconds))."""
    members = [builts[i] for i in indices]
    models, batched = batch.stack([b.model for b in members])
    states = jax.tree.map(lambda *xs: jnp.stack(xs), *[b.initial for b in members])
    values = trainable = None
    if request.size:
        trainable = _trainable(members[0], request)
        center = trainable.values_of(members[0].model.closure)
        values = sampling.sample_values(trainable, request.size, seed=request.seed, method=request.method,
                                     center=center, spread=request.spread)  # fmt: skip
        models, batched = batch.with_parameter_sets(models, batched, trainable, values)
        states = batch.repeat_states(states, request.size)
    if float32:
        models, states = batch.cast(models, jnp.float32), batch.cast(states, jnp.float32)
    first = members[0]
    started = clock.perf_counter()
    models, size = batch.shard_batch(models, batched)
    states, _ = batch.shard_batch(states)
    chunk = chunk if len(jax.devices()) == 1 else None  # chunks would serialise the devices
    simulation = batch.compile_batch(
        models, states, first.n_saves, first.steps_per_save, checkpoint="none", batched=batched, chunk=chunk
    )
    compiled_at = clock.perf_counter()
    trajectory = jax.block_until_ready(simulation(models, states))
    timings = (compiled_at - started, clock.perf_counter() - compiled_at)
    return batch.unpad(trajectory, size), values, trainable, timings


def run_batch(
    cases: list[CaseLike],
    request: EnsembleRequest = EnsembleRequest(),
    *,
    float32: bool = False,
    chunk: int | None = None,
) -> tuple[list[xr.Dataset], list[str]]:
    """Run every case (with its ensemble) in as few batches as possible.

    `chunk` vmaps that many columns at a time on a single device (`calib.core.batch.simulate_batch`).

    Returns:
        (one Dataset per case, in the order given; one summary line per batch).

    Raises:
        ConfigError: no case, or two cases with the same name.
        ModelDiverged: a case run without an ensemble diverged (ensemble members that diverge
            are only flagged in the `diverged` variable).
    """
    require_float64(float32)
    if not cases:
        raise ConfigError("calib run-batch: no case given; pass one or more CASE.yaml files")
    cases = [as_case(case) for case in cases]
    names = [case.name for case in cases]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise ConfigError(
            f"calib run-batch: two cases are named {repeated!r}; give each case its own name "
            "(outputs are OUT/NAME.nc)"
        )
    builts = [builder.build(case) for case in cases]
    datasets: list[xr.Dataset | None] = [None] * len(cases)
    lines = []
    for indices in group_cases(builts):
        trajectory, values, trainable, timings = _run_group(builts, indices, request, float32, chunk)
        per_case = request.size or 1
        for position, index in enumerate(indices):
            ds = case_dataset(trajectory, builts[index], position * per_case, values, trainable)
            if values is None and not np.isfinite(ds["T"].values).all():
                raise ModelDiverged(
                    f"{cases[index].source}: the run diverged (non-finite values); shorten time.dt or bring "
                    "the closure parameters back toward their defaults"
                )
            datasets[index] = ds
        lines.append(_summary([names[i] for i in indices], per_case, builts[indices[0]], timings, trajectory))
    return datasets, lines


def ensemble(
    case: CaseLike,
    size: int,
    *,
    parameters: Sequence[str] | None = None,
    spread: float | None = 0.5,
    seed: int = 0,
    method: str = "latin_hypercube",
    float32: bool = False,
    chunk: int | None = None,
) -> xr.Dataset:
    """Run one case with `size` parameter sets as one batch of columns.

    Args:
        case: a case (Case or YAML path).
        size: number of parameter sets (members).
        parameters: the (dotted) parameters that vary (default: every parameter of the closure).
        spread: half-width of the sampling box around the case's values, in the unconstrained
            space of `calib.core.trainable` (None: the whole bounds).
        seed, method: of the sampling (`calib.core.sampling.sample_values`).
        float32: single precision; chunk: columns vmapped at a time (default: the platform's).

    Returns:
        The trajectories on (member, time, z|z_face), the parameter values per member and a
        `diverged` flag per member.
    """
    if size < 1:
        raise ConfigError(f"ensemble size {size}: must be >= 1")
    if spread is not None and spread <= 0:
        raise ConfigError(f"spread {spread}: must be > 0 (or None for the whole bounds)")
    request = EnsembleRequest(size, tuple(parameters or ()), spread, seed, method)
    datasets, _ = run_batch(
        [case], request, float32=float32, chunk=default_chunk() if chunk is None else chunk
    )
    return datasets[0]


def _summary(names: list[str], per_case: int, built, timings: tuple[float, float], trajectory) -> str:
    columns = len(names) * per_case
    steps = built.n_saves * built.steps_per_save
    finite = np.isfinite(np.asarray(trajectory.state.T)).all(axis=(1, 2))
    diverged = f", {int((~finite).sum())} diverged" if not finite.all() else ""
    compile_s, run_s = timings
    return (
        f"{', '.join(names)}: {columns} column(s) x {steps:,} steps on {len(jax.devices())} device(s): "
        f"compile {compile_s:.1f} s, run {run_s:.2f} s ({1e6 * run_s / (columns * steps):.3g} µs per "
        f"column-step){diverged}"
    )


__all__ = ["EnsembleRequest", "case_dataset", "ensemble", "group_cases", "run_batch"]
