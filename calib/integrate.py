"""Time integration: `simulate` and the checkpoint schemes for reverse-mode memory.

The run is n_saves blocks of steps_per_save steps; the state after each block is saved. All
schemes compute the same numbers and the same gradients; they differ only in what reverse
mode keeps in memory and recomputes:

| scheme      | kept for the backward pass                       | recompute |
|-------------|--------------------------------------------------|-----------|
| `none`      | every step's intermediates                        | 1x        |
| `step`      | one carry per step                                | ~2x       |
| `nested`    | one carry per save + one block's intermediates    | ~2x       |
| `sqrt`      | ~sqrt(nt) carries + ~sqrt(nt) steps' intermediates| ~2x       |
| `recursive` | k levels of checkpointed scans: ~k nt^(1/k)       | ~(k+1)x   |

`recursive` splits both counts into factors (levels) of about `RECURSIVE_BASE`, each level a
`lax.scan` whose body is wrapped in `jax.checkpoint`, so memory grows like O(nt^(1/k)) with k
levels (O(log nt) when the factors stay bounded). Counts that are prime cannot be split and
give one level.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float

from calib.closures.base import Diffusivities
from calib.model import Carry, ColumnModel, initial_carry, step
from calib.state import State

CHECKPOINT_SCHEMES = ("none", "step", "nested", "sqrt", "recursive")
RECURSIVE_BASE = 16


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


def _saved(carry: Carry):
    return carry.state, carry.closure_state, carry.diffusivities


def _factor(n: int, target: int) -> list[int]:
    """Split n into factors each close to `target` (exact divisors; [n] when n is prime)."""
    primes, m, p = [], n, 2
    while p * p <= m:
        while m % p == 0:
            primes.append(p)
            m //= p
        p += 1
    if m > 1:
        primes.append(m)
    factors: list[int] = []
    for prime in sorted(primes, reverse=True):
        for i, f in enumerate(factors):
            if f * prime <= target:
                factors[i] *= prime
                break
        else:
            factors.append(prime)
    return sorted(factors, reverse=True) or [1]


def _split_near(n: int, size: int) -> tuple[int, int]:
    """(n // b, b) with b the divisor of n closest to `size`."""
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    block = min(divisors, key=lambda d: abs(math.log(d) - math.log(max(size, 1))))
    return n // block, block


def _repeat(body: Callable, lengths: list[int], remat: bool, with_output: bool) -> Callable:
    """carry -> (carry, outputs): body applied prod(lengths) times as nested scans.

    Each level's body is wrapped in `jax.checkpoint` when `remat`. With `with_output` the
    innermost body returns one output per call and the outputs are flattened to one axis.
    """
    if not lengths:
        return body
    inner = _repeat(body, lengths[1:], remat, with_output)
    if remat:
        inner = jax.checkpoint(inner, prevent_cse=False)

    def run(carry):
        carry, out = lax.scan(lambda c, _: inner(c), carry, length=lengths[0])
        if with_output and len(lengths) > 1:
            out = jax.tree.map(lambda x: x.reshape((-1,) + x.shape[2:]), out)
        return carry, out

    return run


def _plan(n_saves: int, steps_per_save: int, checkpoint: str):
    """(save levels, step levels, remat saves, remat steps, remat single step)."""
    total = n_saves * steps_per_save
    if checkpoint == "none":
        return [n_saves], [steps_per_save], False, False, False
    if checkpoint == "step":
        return [n_saves], [steps_per_save], False, False, True
    if checkpoint == "nested":
        return [n_saves], [steps_per_save], True, False, False
    if checkpoint == "sqrt":
        root = max(1, round(math.sqrt(total)))
        if steps_per_save >= root:
            return [n_saves], list(_split_near(steps_per_save, root)), True, True, False
        return list(_split_near(n_saves, root // steps_per_save)), [steps_per_save], True, False, False
    if checkpoint == "recursive":
        return _factor(n_saves, RECURSIVE_BASE), _factor(steps_per_save, RECURSIVE_BASE), True, True, False
    raise ValueError(f"unknown checkpoint scheme {checkpoint!r}; choose one of {CHECKPOINT_SCHEMES}")


def run_saves(
    model: ColumnModel, carry: Carry, n_saves: int, steps_per_save: int, *, checkpoint: str = "nested"
) -> tuple[Carry, tuple]:
    """Advance `carry` by n_saves blocks of steps_per_save steps.

    Returns the final carry and the saved (state, closure_state, diffusivities) after each
    block, with a leading axis of length n_saves. `simulate` is this plus the initial record;
    the command line calls it in chunks to show progress on long runs.
    """
    if n_saves < 1 or steps_per_save < 1:
        raise ValueError("n_saves and steps_per_save must be >= 1")
    save_levels, step_levels, remat_saves, remat_steps, remat_each = _plan(n_saves, steps_per_save, checkpoint)

    one_step = lambda c: (step(model, c), None)  # noqa: E731
    if remat_each:
        one_step = jax.checkpoint(one_step, prevent_cse=False)
    run_steps = _repeat(one_step, step_levels[1:], remat_steps, with_output=False)
    if remat_steps and len(step_levels) > 1:
        run_steps = jax.checkpoint(run_steps, prevent_cse=False)

    def block(carry):
        carry, _ = lax.scan(lambda c, _: run_steps(c), carry, length=step_levels[0])
        return carry, _saved(carry)

    return _repeat(block, save_levels, remat_saves, with_output=True)(carry)


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
