"""Time integration: `simulate`, `scan_saves` and the checkpoint schemes of reverse mode.

A run is n_saves blocks of steps_per_save steps; something is recorded after each block (the
state for `simulate`, a misfit for a streaming loss). All schemes compute the same numbers and
the same gradients; they differ in what reverse mode keeps and recomputes. With nt = n_saves *
steps_per_save, s = steps_per_save, B = `RECURSIVE_BLOCK`, and "sweeps" the number of times
each step runs forward during one value-and-gradient (the backward sweep not counted):

| scheme      | carries kept            | step intermediates kept | forward sweeps          |
|-------------|-------------------------|-------------------------|-------------------------|
| `none`      | -                       | nt                      | 1                       |
| `step`      | nt                      | 1                       | 2                       |
| `nested`    | n_saves                 | s                       | 2                       |
| `sqrt`      | ~sqrt(nt)               | ~sqrt(nt)               | 2 (3 if s > 2 sqrt(nt)) |
| `recursive` | <~ B log_B(nt)          | min(s, B)               | 2 + levels              |

`sqrt` checkpoints blocks of about sqrt(nt) steps whatever the output interval. `recursive`
nests checkpointed `lax.scan`s, each level holding at most about B units (saves, or blocks of
the level below; the steps of a long save interval likewise), with ceil(log_B(count)) - 1 block
levels, and checkpoints every save, so memory grows like O(B log_B nt) and the recompute factor
like the number of levels (one block level up to B² saves, two up to B³). Steps are not
checkpointed one by one: that would keep one carry instead of min(s, B) steps' intermediates,
but the recomputed steps then round differently (fused with their derivative; up to 1e-9
relative in components that cancel), while `nested`, `sqrt` and `recursive` give gradients equal
to those of `none` to 1e-15 (bit for bit when no padding is needed). Counts need no factors: the
last block of each level is filled with padding iterations that a `lax.cond` skips
(`nested_scan`), so a prime costs no more than a round number and the step appears once in the
compiled program. `plan` gives the block sizes and `Plan.cost` the model of memory and
recomputation of this table (measured figures: `calib profile-memory`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float

from calib.common.vocabulary import CHECKPOINT_SCHEMES
from calib.core.closures.base import Diffusivities
from calib.core.model import Carry, ColumnModel, initial_carry, step
from calib.core.state import State

RECURSIVE_BLOCK = 64  # most units per level of the `recursive` scheme (see benchmarks/)


class Trajectory(eqx.Module):
    """Saved states at t = 0, dt * steps_per_save, ... (n_saves + 1 records).

    Attributes:
        time: seconds since the start (n_saves + 1,).
        state: State whose leaves are (n_saves + 1, nz).
        closure_state: the closure's state at the save times (leaves with a leading time axis).
        diffusivities: viscosity and diffusivity used in the last step before each save.
    """

    time: Float[Array, "nsave"]
    state: State
    closure_state: object
    diffusivities: Diffusivities


@dataclasses.dataclass(frozen=True)
class Plan:
    """How a run of n_saves x steps_per_save steps is arranged into checkpointed scans.

    Attributes:
        n_saves, steps_per_save: the run plan.
        step_blocks: nested block sizes over the steps of one save, innermost first; each block
            is a checkpointed scan (padding skipped at run time fills the last one).
        save_blocks: the same over the saves.
        remat_step: checkpoint every single step.
        remat_save: checkpoint every save block.
    """

    n_saves: int
    steps_per_save: int
    step_blocks: tuple[int, ...] = ()
    save_blocks: tuple[int, ...] = ()
    remat_step: bool = False
    remat_save: bool = False

    def cost(self) -> dict[str, int]:
        """Model of what one value-and-gradient keeps and recomputes (module docstring table).

        Returns:
            carries: carries (model states) kept at checkpoints at the same time;
            kept_steps: steps whose intermediates are kept at the same time;
            forward_sweeps: times each step runs forward (1 = no recomputation).
        """
        s, n = self.steps_per_save, self.n_saves
        saves_at_once = 1 if self.remat_save else _plain_span(n, self.save_blocks)
        carries = _kept(n, self.save_blocks, self.remat_save)
        carries += saves_at_once * _kept(s, self.step_blocks, self.remat_step)
        kept_steps = 1 if self.remat_step else saves_at_once * _plain_span(s, self.step_blocks)
        levels = _levels(s, self.step_blocks) + _levels(n, self.save_blocks)
        levels += self.remat_save + self.remat_step
        return dict(carries=carries, kept_steps=kept_steps, forward_sweeps=1 + levels)


def _arrange(count: int, blocks: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(the blocks `nested_scan` applies to `count` units, the number of outermost units).

    A level applies while more units remain than its block holds; the outermost count is
    rounded up, so that padded units (skipped at run time) fill the last blocks."""
    applied: list[int] = []
    for size in blocks:
        if count <= size:
            break
        applied.append(size)
        count = -(-count // size)
    return tuple(applied), count


def _levels(count: int, blocks: tuple[int, ...]) -> int:
    """Checkpointed block levels `nested_scan` builds for `count` units."""
    return len(_arrange(count, blocks)[0])


def _plain_span(count: int, blocks: tuple[int, ...]) -> int:
    """Most units `nested_scan` runs in one stretch without a checkpoint."""
    applied, _ = _arrange(count, blocks)
    return applied[0] if applied else count


def _kept(count: int, blocks: tuple[int, ...], body_checkpointed: bool) -> int:
    """Carries `nested_scan` keeps at once over `count` units (each unit's carry is kept only
    when the body is checkpointed)."""
    applied, outer = _arrange(count, blocks)
    if not applied:
        return count if body_checkpointed else 0
    return outer + sum(applied[1:]) + (applied[0] if body_checkpointed else 0)


def block_sizes(count: int, size: int) -> tuple[int, ...]:
    """Block sizes (innermost first) of a nesting in which no level holds more than `size`
    units: ceil(log_size(count)) - 1 levels of blocks of `size`; () when count <= size."""
    levels = 1
    while size**levels < count:
        levels += 1
    return (size,) * (levels - 1)


def plan(n_saves: int, steps_per_save: int, checkpoint: str) -> Plan:
    """The `Plan` of a checkpoint scheme (see the module docstring)."""
    base = Plan(n_saves, steps_per_save)
    remat_save = n_saves > 1  # checkpointing a single save block only recomputes it
    if checkpoint == "none":
        return base
    if checkpoint == "step":
        return dataclasses.replace(base, remat_step=True)
    if checkpoint == "nested":
        return dataclasses.replace(base, remat_save=remat_save)
    if checkpoint == "sqrt":
        root = max(1, round(math.sqrt(n_saves * steps_per_save)))
        if steps_per_save >= root:
            blocks = (root,) if steps_per_save >= 2 * root else ()
            return dataclasses.replace(base, step_blocks=blocks, remat_save=remat_save)
        group = round(root / steps_per_save)
        if group <= 1 or n_saves < 2 * group:
            return dataclasses.replace(base, remat_save=remat_save)
        return dataclasses.replace(base, save_blocks=(group,))
    if checkpoint == "recursive":
        return dataclasses.replace(
            base,
            step_blocks=block_sizes(steps_per_save, RECURSIVE_BLOCK),
            save_blocks=block_sizes(n_saves, RECURSIVE_BLOCK),
            remat_save=remat_save,
        )
    raise ValueError(f"unknown checkpoint scheme {checkpoint!r}; choose one of {CHECKPOINT_SCHEMES}")


def _checkpoint(function: Callable) -> Callable:
    return jax.checkpoint(function, prevent_cse=False)


def nested_scan(body: Callable, carry, xs, length: int, blocks: tuple[int, ...]):
    """`lax.scan(body, carry, xs, length=length)` arranged as nested checkpointed scans.

    Iterations run in checkpointed blocks of blocks[0], those in checkpointed blocks of
    blocks[1], and so on while a level has more units than its block (`_arrange`). When
    `length` does not fill the blocks, the last iterations are padding skipped by a `lax.cond`,
    so the body appears once in the program, whatever the count (compile time does not grow
    with leftovers). The iteration index travels in the carry and each iteration reads its
    slice of `xs` by index: `xs` is never sliced or copied. Outputs are stacked along one
    leading axis of `length`, as `lax.scan` would stack them.
    """
    applied, outer = _arrange(length, blocks)
    padded = outer * math.prod(applied)

    def unit(indexed, _):
        inner, index = indexed
        x = jax.tree.map(lambda a: a[index], xs)
        if padded == length:
            inner, y = body(inner, x)
        else:
            skip = lambda c, x: (c, _zeros(jax.eval_shape(body, c, x)[1]))  # noqa: E731
            inner, y = lax.cond(index < length, body, skip, inner, x)
        return (inner, index + 1), y

    (carry, _), ys = _nest(unit, (carry, jnp.zeros((), jnp.int32)), padded, applied)
    return carry, jax.tree.map(lambda y: y[:length], ys) if padded > length else ys


def _zeros(shapes):
    return jax.tree.map(lambda shape: jnp.zeros(shape.shape, shape.dtype), shapes)


def _nest(unit: Callable, carry, length: int, blocks: tuple[int, ...]):
    """Nested scans over `length` units, a multiple of prod(blocks)."""
    if not blocks:
        return lax.scan(unit, carry, None, length=length)
    size = blocks[0]
    block = _checkpoint(lambda c, _: lax.scan(unit, c, None, length=size))
    carry, ys = _nest(block, carry, length // size, blocks[1:])
    return carry, jax.tree.map(lambda y: y.reshape((length,) + y.shape[2:]), ys)


def scan_saves(
    model: ColumnModel,
    carry: Carry,
    n_saves: int,
    steps_per_save: int,
    record: Callable[[Carry, object], object],
    xs=None,
    *,
    checkpoint: str = "nested",
    accumulate: bool = False,
) -> tuple[Carry, object]:
    """Advance `carry` by n_saves blocks of steps_per_save steps, recording after each block.

    Args:
        record: (carry after the block, x of this save) -> pytree of arrays for this save, e.g.
            the state, or a misfit against this save's target.
        xs: pytree with a leading axis of n_saves (targets), or None.
        checkpoint: one of `CHECKPOINT_SCHEMES`.
        accumulate: sum the records over the saves instead of stacking them (a streaming loss:
            memory then does not grow with the number of saves).

    Returns:
        The final carry and the records, stacked along a leading axis of n_saves or summed.
    """
    if n_saves < 1 or steps_per_save < 1:
        raise ValueError("n_saves and steps_per_save must be >= 1")
    arrangement = plan(n_saves, steps_per_save, checkpoint)

    def one_step(c, _):
        return step(model, c), None

    if arrangement.remat_step:
        one_step = _checkpoint(one_step)

    def one_save(c, x):
        c, _ = nested_scan(one_step, c, None, steps_per_save, arrangement.step_blocks)
        return c, record(c, x)

    if accumulate:
        total = _zeros(jax.eval_shape(record, carry, jax.tree.map(lambda x: x[0], xs)))
        one_save = _summing(one_save)
        carry = (carry, total)
    if arrangement.remat_save:
        one_save = _checkpoint(one_save)
    carry, records = nested_scan(one_save, carry, xs, n_saves, arrangement.save_blocks)
    return carry if accumulate else (carry, records)


def _summing(body: Callable) -> Callable:
    """(c, x) -> (c, y) made into ((c, total), x) -> ((c, total + y), None)."""

    def summed(carry_and_total, x):
        carry, total = carry_and_total
        carry, y = body(carry, x)
        return (carry, jax.tree.map(jnp.add, total, y)), None

    return summed


def _saved(carry: Carry, _=None):
    return carry.state, carry.closure_state, carry.diffusivities


def run_saves(
    model: ColumnModel, carry: Carry, n_saves: int, steps_per_save: int, *, checkpoint: str = "nested"
) -> tuple[Carry, tuple]:
    """Advance `carry` by n_saves blocks of steps_per_save steps.

    Returns the final carry and the saved (state, closure_state, diffusivities) after each
    block, with a leading axis of length n_saves. `simulate` is this plus the initial record;
    the command line calls it in chunks to show progress on long runs.
    """
    return scan_saves(model, carry, n_saves, steps_per_save, _saved, checkpoint=checkpoint)


def simulate(
    model: ColumnModel,
    initial: State,
    n_saves: int,
    steps_per_save: int,
    *,
    checkpoint: str = "nested",
) -> Trajectory:
    """Run n_saves * steps_per_save steps from `initial` and return the saved trajectory.

    Args:
        model: the column physics (closure parameters are its differentiable leaves).
        initial: state at t = 0.
        n_saves, steps_per_save: the run plan (static Python ints).
        checkpoint: one of `CHECKPOINT_SCHEMES` (see the module docstring).
    """
    carry0 = initial_carry(model, initial)
    _, saved = run_saves(model, carry0, n_saves, steps_per_save, checkpoint=checkpoint)
    return assemble(model, carry0, [saved], steps_per_save)


def assemble(model: ColumnModel, carry0: Carry, chunks: list, steps_per_save: int) -> Trajectory:
    """Trajectory from the initial carry and the saved outputs of one or more `run_saves` calls."""
    first = jax.tree.map(lambda x: x[None], _saved(carry0))
    saved = jax.tree.map(lambda *parts: jnp.concatenate(parts), first, *chunks)
    n_records = saved[0].T.shape[0]
    time = jnp.arange(n_records) * (steps_per_save * model.dt)
    return Trajectory(time=time, state=saved[0], closure_state=saved[1], diffusivities=saved[2])
