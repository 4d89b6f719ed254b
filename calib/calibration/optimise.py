"""Minimise a loss of an unconstrained vector with optax: L-BFGS (zoom line search) or Adam.

One compiled step does everything of an iteration: value and gradient at theta (for L-BFGS
reused from the line search through `optax.value_and_grad_from_state`), the optimiser update
(with its line search) and a clip of the update to `max_step`. The step is compiled once
ahead of time and reused for every iteration (and for later fits of the same shapes), with
every argument strongly typed, so nothing recompiles; `TRACES` counts its traces.

Stopping (the first that holds; `tolerance` is relative):
- ``gradient``: the largest |d loss / d theta| <= tolerance * loss (theta is O(1), so no
  step can lower the loss by more than about that fraction);
- ``loss``: the relative decrease (L_prev - L) / L_prev stays below `tolerance` (L-BFGS: an
  increase included; Adam: in absolute value) for `PATIENCE` consecutive evaluations (2 for
  L-BFGS, 5 for Adam);
- ``exact``: loss <= 1e-30 (a twin experiment without noise);
- ``iterations``: the budget of parameter updates is spent.

Back-off: when the loss or its gradient is not finite at a new point (a diverging model), the
point is rejected, the last good (theta, optimiser state) is restored and the update is
clipped to half the rejected step; `max_step` doubles back after each good step. After
`MAX_BACKOFFS` rejections in a row the fit stops with status ``diverged`` (best point kept).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import math
import time as clock
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from calib.common.errors import ModelDiverged

TRACES: collections.Counter = collections.Counter()  # traces of the step, by optimiser name
PATIENCE = {"lbfgs": 2, "adam": 5}
MAX_BACKOFFS = 12
EXACT = 1e-30
_COMPILED: dict = {}


@functools.lru_cache(maxsize=1)
def _lbfgs() -> optax.GradientTransformation:
    return optax.lbfgs()


@functools.lru_cache(maxsize=16)
def make_optimizer(name: str, iterations: int, learning_rate: float) -> optax.GradientTransformation:
    """optax.lbfgs() (zoom line search), or Adam with a warm-up + cosine-decay schedule.

    The same arguments give the same object, so compiled steps are found again in the cache.
    """
    if name == "lbfgs":
        return _lbfgs()
    warmup = max(1, iterations // 20)
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, learning_rate, warmup, max(iterations, warmup + 1), end_value=0.01 * learning_rate
    )
    return optax.adam(schedule)


def strong(tree):
    """The tree with every array leaf strongly typed (weak types would retrace the step)."""
    return jax.tree.map(lambda x: jnp.asarray(x, dtype=jnp.result_type(x)) if eqx.is_array(x) else x, tree)


def _step_function(value_fn: Callable, optimizer, name: str) -> Callable:
    # The loss is an inner jit: the line search calls it at three places, and one shared
    # lowered function compiles about twice as fast as three inlined copies.
    inner = jax.jit(value_fn)

    def step(theta, state, max_step, data):
        TRACES[name] += 1
        function = lambda t: inner(t, data=data)  # noqa: E731
        if name == "lbfgs":
            value, grad = optax.value_and_grad_from_state(function)(theta, state=state)
            updates, state = optimizer.update(grad, state, theta, value=value, grad=grad, value_fn=function)
        else:
            value, grad = jax.value_and_grad(function)(theta)
            updates, state = optimizer.update(grad, state, theta)
        factor = jnp.minimum(1.0, max_step / jnp.maximum(jnp.linalg.norm(updates), 1e-300))
        if name == "lbfgs":  # a clipped step invalidates the value cached by the line search
            cached = optax.tree.get(state, "value")
            state = optax.tree.set(state, value=jnp.where(factor < 1.0, jnp.inf, cached))
        return theta + factor * updates, strong(state), value, grad

    return step


def compiled_step(value_fn: Callable, name: str, optimizer, arguments: tuple) -> tuple[Callable, float]:
    """The step compiled for these argument shapes (cached), and the compile time (s, 0 if cached)."""
    leaves, treedef = jax.tree.flatten(eqx.partition(arguments, eqx.is_array))
    signature = tuple((np.shape(x), jnp.result_type(x)) if eqx.is_array(x) else x for x in leaves)
    key = (value_fn, name, optimizer, treedef, signature)
    if key in _COMPILED:
        return _COMPILED[key], 0.0
    started = clock.perf_counter()
    compiled = eqx.filter_jit(_step_function(value_fn, optimizer, name)).lower(*arguments).compile()
    _COMPILED[key] = compiled
    return compiled, clock.perf_counter() - started


@dataclasses.dataclass
class LoopState:
    """Everything needed to continue a minimisation (what the resume files hold).

    Attributes:
        iteration: parameter updates done so far.
        theta, opt_state: the point to evaluate next and the optimiser state that goes with it.
        previous: (theta, opt_state) of the last good evaluated point, or None.
        max_step: largest update norm allowed (inf unless backing off).
        history: one dict per evaluation (iteration, loss, gradient_norm, gradient, theta,
            max_step, event, elapsed_s).
        best: index in history of the lowest finite loss, or -1.
        calm: consecutive evaluations with a relative decrease below the tolerance.
        backoffs: consecutive rejected points.
        status: "running" or why the loop stopped.
        restored: the point to evaluate next is a restored one (skip the convergence test).
    """

    iteration: int
    theta: Any
    opt_state: Any
    previous: tuple | None = None
    max_step: float = math.inf
    history: list = dataclasses.field(default_factory=list)
    best: int = -1
    calm: int = 0
    backoffs: int = 0
    status: str = "running"
    restored: bool = False


@dataclasses.dataclass(frozen=True)
class Minimum:
    """Result of `minimise`: best theta, its loss, why it stopped, history and timings (s)."""

    theta: np.ndarray
    loss: float
    status: str
    iterations: int
    history: list
    compile_s: float
    run_s: float


def _record(loop: LoopState, value: float, grad: np.ndarray, event: str, elapsed: float) -> dict:
    row = dict(
        iteration=loop.iteration,
        loss=value,
        gradient_norm=float(np.linalg.norm(grad)) if np.all(np.isfinite(grad)) else math.inf,
        gradient=[float(x) for x in grad],
        theta=[float(x) for x in np.asarray(loop.theta)],
        max_step=loop.max_step,
        event=event,
        elapsed_s=elapsed,
    )
    loop.history.append(row)
    return row


def _converged(loop: LoopState, value: float, grad: np.ndarray, name: str, tolerance: float) -> str | None:
    """Why to stop at this (finite) evaluation, or None; updates the calm counter."""
    if value <= EXACT:
        return "exact"
    if np.max(np.abs(grad)) <= tolerance * value:
        return "gradient"
    if loop.restored or not loop.history:
        return None
    previous = loop.history[-1]["loss"]
    decrease = (previous - value) / max(abs(previous), 1e-300)
    # For L-BFGS an increase means the line search failed; Adam's loss may rise and fall.
    still = decrease <= tolerance if name == "lbfgs" else abs(decrease) <= tolerance
    loop.calm = loop.calm + 1 if still else 0
    return "loss" if loop.calm >= PATIENCE[name] else None


def _accept(loop: LoopState, new_theta, new_state, value: float, status: str | None, iterations: int) -> None:
    """Move to the next point after a finite evaluation of loop.theta."""
    if loop.best < 0 or value < loop.history[loop.best]["loss"]:
        loop.best = len(loop.history) - 1
    loop.status = status or ("iterations" if loop.iteration >= iterations else "running")
    loop.backoffs, loop.restored = 0, False
    if loop.status == "running":
        loop.previous = (loop.theta, loop.opt_state)
        loop.theta, loop.opt_state = new_theta, new_state
        loop.iteration += 1
        loop.max_step = math.inf if loop.max_step * 2.0 > 1e3 else loop.max_step * 2.0


def _back_off(loop: LoopState) -> None:
    """Reject loop.theta (non-finite loss or gradient) and return to the last good point."""
    if loop.previous is None:
        raise ModelDiverged(
            "the loss or its gradient is not finite at the starting parameters; start from values "
            "closer to the defaults (closure.parameters in the case) or shorten time.dt"
        )
    previous_theta, previous_state = loop.previous
    rejected = float(np.linalg.norm(np.asarray(loop.theta) - np.asarray(previous_theta)))
    loop.theta, loop.opt_state = previous_theta, previous_state
    loop.max_step = 0.5 * rejected
    loop.backoffs += 1
    loop.restored = True
    if loop.backoffs > MAX_BACKOFFS:
        loop.status = "diverged"


def minimise(
    value_fn: Callable,
    data: Any,
    theta0,
    *,
    name: str = "lbfgs",
    iterations: int = 50,
    tolerance: float = 1e-6,
    learning_rate: float = 0.05,
    resume: LoopState | None = None,
    on_evaluation: Callable[[dict], None] | None = None,
    save: Callable[[LoopState], None] | None = None,
    save_every: int = 5,
    stop_after: int | None = None,
) -> Minimum:
    """Minimise value_fn(theta, data=data) from theta0 (see the module docstring).

    Args:
        value_fn: pure JAX function (theta, *, data) -> scalar; a module-level function, so
            that compiled steps are reused between fits.
        data: pytree of arrays passed to value_fn (jit arguments, not constants).
        theta0: starting unconstrained vector (p,).
        name: "lbfgs" or "adam"; iterations, tolerance, learning_rate: see FitSettings.
        resume: a LoopState from resume files to continue instead of starting at theta0.
        on_evaluation: called with each history row (progress display).
        save: called with the LoopState every `save_every` updates, at the end and on
            KeyboardInterrupt.
        stop_after: stop (status "interrupted") after this many updates (tests).

    Raises:
        ModelDiverged: the loss is not finite at the very first point.
    """
    optimizer = make_optimizer(name, iterations, learning_rate)
    theta0 = jnp.asarray(theta0, dtype=float)
    loop = resume or LoopState(0, theta0, strong(optimizer.init(theta0)))
    loop.status = "running"
    max_step = lambda: jnp.asarray(loop.max_step, dtype=float)  # noqa: E731
    step, compile_s = compiled_step(value_fn, name, optimizer, (loop.theta, loop.opt_state, max_step(), data))
    run_s = 0.0
    try:
        while loop.status == "running":
            started = clock.perf_counter()
            new_theta, new_state, value, grad = step(loop.theta, loop.opt_state, max_step(), data)
            value, grad = float(value), np.asarray(grad)
            run_s += clock.perf_counter() - started
            if math.isfinite(value) and np.all(np.isfinite(grad)):
                status = _converged(loop, value, grad, name, tolerance)
                row = _record(loop, value, grad, "ok", run_s)
                _accept(loop, new_theta, new_state, value, status, iterations)
            else:
                row = _record(loop, value, grad, "rejected", run_s)
                _back_off(loop)
            if on_evaluation is not None:
                on_evaluation(row)
            if stop_after is not None and loop.iteration >= stop_after and loop.status == "running":
                loop.status = "interrupted"
            if save is not None and (loop.status != "running" or row["event"] == "ok"
                                     and loop.iteration % save_every == 0):  # fmt: skip
                save(loop)
    except KeyboardInterrupt:
        loop.status = "interrupted"
        if save is not None:
            save(loop)
        raise
    best = loop.history[loop.best] if loop.best >= 0 else loop.history[-1]
    return Minimum(np.asarray(best["theta"]), best["loss"], loop.status, loop.iteration, loop.history,
                   compile_s, run_s)  # fmt: skip
