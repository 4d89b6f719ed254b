"""Many columns at once: batches of parameter sets and/or cases, vmapped and sharded.

A batch is a `ColumnModel` whose array leaves carry a leading batch axis where they differ
between members, and a `batched` filter tree (True at those leaves): an ensemble of parameter
sets of one case batches only the closure parameters, so the grid and the forcing stay shared
(one copy, no per-member gathers). `simulate_batch` vmaps `calib.core.integrate.simulate` over the
members; `simulate_sharded` also splits the batch axis over every visible device with
`jax.sharding` (the batch is padded to a multiple of the device count by repeating its last
member, and the padding is dropped from the result). Under `vmap` the tridiagonal solve keeps
depth as its scan axis and puts the batch inside each scan row (see benchmarks/batch.md).

Parameter sets to batch are sampled by `calib.core.sampling.sample_values`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from calib.common.errors import CalibError
from calib.core.integrate import Trajectory, simulate
from calib.core.model import ColumnModel
from calib.core.params import get_parameter
from calib.core.state import State
from calib.core.trainable import Trainable

FLOAT32_GRADIENT_STEPS = 1000  # longer float32 gradients trigger a PrecisionWarning
BATCH_AXIS = "batch"
CPU_CHUNK = 8  # members vmapped at a time on CPU (`default_chunk`)


class PrecisionWarning(UserWarning):
    """A float32 computation whose result may be inaccurate."""


def cast(tree, dtype):
    """The tree with every floating-point array leaf converted to `dtype` (e.g. jnp.float32)."""
    return jax.tree.map(lambda x: x.astype(dtype) if eqx.is_inexact_array(x) else x, tree)


def warn_float32_gradient(dtype, n_steps: int) -> bool:
    """Warn (PrecisionWarning) when a reverse-mode gradient over more than
    `FLOAT32_GRADIENT_STEPS` steps runs in float32, where it can differ from the float64
    gradient by tens of percent. Returns whether it warned."""
    if jnp.dtype(dtype) != jnp.float32 or n_steps <= FLOAT32_GRADIENT_STEPS:
        return False
    warnings.warn(
        f"float32 gradient over {n_steps} steps: long-horizon float32 gradients can differ from "
        "float64 by tens of percent; check with `calib check-grad` or run in float64",
        PrecisionWarning,
        stacklevel=2,
    )
    return True


def _same(a, b) -> bool:
    if eqx.is_array(a):
        return a is b or (a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b)))
    return a == b


def stack(trees: Sequence) -> tuple:
    """Stack pytrees of one structure into a batch; leaves equal in every member stay unstacked.

    Returns:
        (stacked tree, batched): `batched` mirrors the tree with True at the stacked leaves.

    Raises:
        CalibError: the members differ in structure, a static setting, a shape or a non-array
            value (only cases of equal grid size, forcing length, dt and options batch).
    """
    if not trees:
        raise CalibError("stack: no member given; pass at least one model or state")
    first_leaves, treedef = jax.tree.flatten(trees[0])
    all_leaves = [first_leaves]
    for index, tree in enumerate(trees[1:], start=1):
        leaves, other = jax.tree.flatten(tree)
        if other != treedef:
            raise CalibError(
                f"batch member {index} differs from member 0 in structure or a static setting "
                "(closure, dt, latitude, options); batch only alike cases"
            )
        all_leaves.append(leaves)
    stacked, flags = [], []
    for position, first in enumerate(first_leaves):
        column = [leaves[position] for leaves in all_leaves]
        if all(_same(first, leaf) for leaf in column[1:]):
            stacked.append(first)
            flags.append(False)
        elif eqx.is_array(first) and all(jnp.shape(x) == jnp.shape(first) for x in column):
            stacked.append(jnp.stack(column))
            flags.append(True)
        else:
            raise CalibError(
                f"batch members differ in the shape or value of leaf {position} ({jnp.shape(first)}); "
                "batch only cases of equal grid size and forcing length"
            )
    return jax.tree.unflatten(treedef, stacked), jax.tree.unflatten(treedef, flags)


def stack_states(states: Sequence[State]) -> State:
    """Initial states (nz,) of the members stacked along a new leading axis (B, nz), always
    (unlike `stack`, which batches only the leaves that differ)."""
    if not states:
        raise CalibError("stack_states: no state given; pass one initial state per member")
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *states)


def unbatched(tree):
    """A `batched` filter tree with no batched leaf (one member used as a batch of one)."""
    return jax.tree.map(lambda _: False, tree)


def batch_size(tree, batched) -> int:
    """Length of the batch axis (1 when no leaf is batched)."""
    sizes = {
        x.shape[0] for x, flag in zip(jax.tree.leaves(tree), jax.tree.leaves(batched), strict=True) if flag
    }
    if len(sizes) > 1:
        raise CalibError(f"batched leaves have different batch sizes {sorted(sizes)}; stack members together")
    return sizes.pop() if sizes else 1


def with_parameter_sets(models: ColumnModel, batched, trainable: Trainable, values) -> tuple:
    """Every member of a model batch run with every parameter set: member c * K + k is case c
    with parameter set k.

    Args:
        models: one model or a stacked batch of C models (`stack`).
        batched: the batch's filter tree (`unbatched(model)` for one model).
        trainable: which closure parameters the sets give.
        values: physical values, shape (K, p).

    Returns:
        (models, batched) of C * K members; only leaves that differ are batched.
    """
    values = np.asarray(values, dtype=float)
    cases = batch_size(models, batched)
    count = values.shape[0]
    models = jax.tree.map(lambda x, flag: jnp.repeat(x, count, axis=0) if flag else x, models, batched)
    tiled = np.tile(values, (cases, 1))
    where = lambda tree: [get_parameter(tree.closure, n) for n in trainable.names]  # noqa: E731
    closure = models.closure
    new = [
        jnp.asarray(tiled[:, i], dtype=jnp.result_type(get_parameter(closure, n)))
        for i, n in enumerate(trainable.names)
    ]
    models = eqx.tree_at(where, models, new)
    batched = eqx.tree_at(where, batched, [True] * trainable.size)
    return models, batched


def repeat_states(states: State, count: int) -> State:
    """Stacked states (C, nz) repeated to (C * count, nz), in the order of `with_parameter_sets`."""
    return jax.tree.map(lambda x: jnp.repeat(x, count, axis=0), states)


def simulate_batch(
    models: ColumnModel,
    states: State,
    n_saves: int,
    steps_per_save: int,
    *,
    checkpoint: str = "nested",
    batched=None,
    chunk: int | None = None,
) -> Trajectory:
    """`calib.core.integrate.simulate` for every member of a batch, vmapped (not jitted).

    Args:
        models: model batch; leaves where `batched` is True have a leading batch axis.
        states: initial states, leaves (B, nz).
        n_saves, steps_per_save, checkpoint: the run plan, shared by every member.
        batched: filter tree of `models` (default: every array leaf is batched).
        chunk: vmap this many members at a time, the chunks one after the other (`lax.map`);
            None vmaps the whole batch at once (best on GPU; on CPU small chunks keep the
            working set in cache, see benchmarks/batch.md).

    Returns:
        The trajectories, every leaf with a leading batch axis (B, n_saves + 1, ...).
    """
    if batched is None:
        batched = jax.tree.map(eqx.is_array, models)
    varying, shared = eqx.partition(models, batched)

    def one(varying_part, state):
        model = eqx.combine(varying_part, shared)
        return simulate(model, state, n_saves, steps_per_save, checkpoint=checkpoint)

    if chunk is None or chunk >= jax.tree.leaves(states)[0].shape[0]:
        return eqx.filter_vmap(one)(varying, states)
    return jax.lax.map(lambda pair: one(*pair), (varying, states), batch_size=chunk)


def default_chunk() -> int | None:
    """Members vmapped at a time on this platform: 8 on CPU, where a wide vmap leaves the cache
    (3-5x slower per column, see benchmarks/batch.md); the whole batch on accelerators."""
    return CPU_CHUNK if jax.default_backend() == "cpu" else None


def batch_mesh(devices=None) -> Mesh:
    """A one-axis mesh named "batch" over the given devices (default: every visible device,
    on every host after `jax.distributed.initialize()`)."""
    return Mesh(np.array(devices if devices is not None else jax.devices()), (BATCH_AXIS,))


def shard_batch(tree, batched=None, *, mesh: Mesh | None = None) -> tuple:
    """Pad the batch axis to a multiple of the device count and split it over the devices.

    Batched leaves are padded by repeating their last member and placed with
    `NamedSharding(mesh, P("batch"))`; other array leaves are replicated. With several processes
    (`jax.distributed.initialize()`), every process passes the same whole batch and fills the
    shards of its own devices.

    Returns:
        (tree on the devices, the batch size before padding).
    """
    mesh = mesh or batch_mesh()
    batched = jax.tree.map(eqx.is_array, tree) if batched is None else batched
    size = batch_size(tree, batched)
    padded_size = -(-size // mesh.size) * mesh.size
    split = NamedSharding(mesh, PartitionSpec(BATCH_AXIS))
    replicated = NamedSharding(mesh, PartitionSpec())

    def place(x, flag):
        if not eqx.is_array(x):
            return x
        host = np.asarray(x)
        if flag:
            host = np.pad(host, [(0, padded_size - size)] + [(0, 0)] * (host.ndim - 1), mode="edge")
        # every process holds the whole batch and fills the shards of its own devices
        return jax.make_array_from_callback(
            host.shape, split if flag else replicated, lambda index: host[index]
        )

    return jax.tree.map(place, tree, batched), size


def unpad(tree, size: int):
    """The first `size` members of every array leaf (drops the padding of `shard_batch`)."""
    return jax.tree.map(lambda x: x[:size] if eqx.is_array(x) else x, tree)


@eqx.filter_jit
def _simulate_jit(models, states, n_saves, steps_per_save, checkpoint, batched, chunk):
    return simulate_batch(
        models, states, n_saves, steps_per_save, checkpoint=checkpoint, batched=batched, chunk=chunk
    )


def compile_batch(
    models, states, n_saves: int, steps_per_save: int, *, checkpoint: str = "nested", batched=None, chunk=None
):
    """`simulate_batch` compiled ahead of time for these inputs (sharded or not): returns a
    function (models, states) -> Trajectory, so compile and run can be timed apart."""
    batched = jax.tree.map(eqx.is_array, models) if batched is None else batched
    compiled = _simulate_jit.lower(
        models, states, n_saves, steps_per_save, checkpoint, batched, chunk
    ).compile()
    return lambda m, s: compiled(m, s, n_saves, steps_per_save, checkpoint, batched, chunk)


def simulate_sharded(
    models: ColumnModel,
    states: State,
    n_saves: int,
    steps_per_save: int,
    *,
    checkpoint: str = "nested",
    batched=None,
    mesh: Mesh | None = None,
    chunk: int | None = None,
) -> Trajectory:
    """`simulate_batch`, jitted, with the batch split over every device of `mesh` (see
    `shard_batch`); equal to the unsharded result member by member. `chunk` applies on a
    single device only (chunks run one after the other, which would serialise the devices)."""
    mesh = mesh or batch_mesh()
    batched = jax.tree.map(eqx.is_array, models) if batched is None else batched
    models, size = shard_batch(models, batched, mesh=mesh)
    states, _ = shard_batch(states, mesh=mesh)
    chunk = chunk if mesh.size == 1 else None
    return unpad(_simulate_jit(models, states, n_saves, steps_per_save, checkpoint, batched, chunk), size)


__all__ = [
    "PrecisionWarning",
    "batch_mesh",
    "batch_size",
    "cast",
    "compile_batch",
    "default_chunk",
    "repeat_states",
    "shard_batch",
    "simulate_batch",
    "simulate_sharded",
    "stack",
    "stack_states",
    "unbatched",
    "unpad",
    "warn_float32_gradient",
    "with_parameter_sets",
]
