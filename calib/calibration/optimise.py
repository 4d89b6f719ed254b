"""Minimise a loss of an unconstrained vector: one compiled value-and-gradient, driven from the host.

The loss, its gradient and what the outputs need (the weighted residuals and the model's
predictions, as auxiliary results) come from one function compiled once per problem shape,
ahead of time (`compile_evaluation`; with JAX's persistent compilation cache, which the command
line turns on, a later fit of the same shapes skips XLA). The optimiser runs around it on the
host, in NumPy, so nothing of it is compiled and every evaluation of the model is counted:

- ``lbfgs``: limited-memory BFGS (Nocedal & Wright 2006, algorithms 7.4 and 7.5) with the last
  `MEMORY` pairs (s, y), the initial inverse Hessian gamma I with gamma = s^T y / y^T y, and a
  strong-Wolfe line search (scipy.optimize.line_search, c1 = `ARMIJO`, c2 = 0.9); when it fails,
  backtracking on the Armijo condition f(x + a p) <= f(x) + c1 a g^T p. A trial point whose loss
  or gradient is not finite (a diverging model) counts as a failed trial and shrinks the step. A
  steepest-descent step (no pairs yet) has length at most 1 (theta is O(1)). A pair is kept only
  when s^T y > 0, so the inverse Hessian stays positive definite.
- ``adam``: Adam (Kingma & Ba 2015) with a warm-up + cosine-decay schedule (optax); a step to a
  non-finite point is undone and retried at half the size (`MAX_BACKOFFS` times at most).

Stopping (the first that holds; `tolerance` is relative):
- ``gradient``: the largest |d loss / d theta| <= tolerance * loss;
- ``loss``: the relative decrease (L_prev - L) / L_prev stays below `tolerance` (Adam: in
  absolute value) for `PATIENCE` consecutive iterations (2 for L-BFGS, 5 for Adam);
- ``exact``: loss <= 1e-20 (the loss is normalised, so this is rounding) or below 1e-20 of
  the starting loss (a twin experiment without noise, fitted to rounding);
- ``line_search``: no trial step lowered the loss (L-BFGS; a minimum to the model's precision);
- ``iterations``: the budget of parameter updates is spent;
- ``diverged``: every step tried from the last good point gave a non-finite loss.
`status_sentence` says which, in words. The loop's state (`LoopState`) is plain NumPy, so an
interrupted fit saved with `calib.calibration.resume` continues with the same arithmetic.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import math
import time as clock
import warnings
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.optimize

from calib.common.errors import ModelDiverged

TRACES: collections.Counter = collections.Counter()  # traces of the compiled evaluation
PATIENCE = {"lbfgs": 2, "adam": 5}
MEMORY = 10  # L-BFGS pairs kept
ARMIJO = 1e-4  # sufficient-decrease constant of the line search
MAX_TRIALS = 12  # backtracking trials before giving up
WOLFE_TRIALS = 10  # iterations of the strong-Wolfe search
ROUNDING = 1e-20  # a loss below this fraction of the start's is at the level of rounding: exact
MAX_BACKOFFS = 12  # Adam: halvings of a step that reached a non-finite loss
EXACT = 1e-20  # the loss is normalised (1 = as bad as a constant at the observed mean): this is rounding
_COMPILED: dict = {}


@dataclasses.dataclass
class Evaluation:
    """One evaluation of the compiled function at theta: loss, gradient and auxiliary results."""

    theta: np.ndarray
    loss: float
    gradient: np.ndarray
    aux: Any = None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.loss) and bool(np.all(np.isfinite(self.gradient)))


def compile_evaluation(function: Callable, data, theta) -> tuple[Callable, float]:
    """`function(theta, data) -> (loss, aux)` compiled with its gradient, once per shapes of
    (theta, data) and per function (cached in this process); returns (evaluate, compile seconds,
    0 when cached). `evaluate(theta)` -> `Evaluation`."""
    leaves, treedef = jax.tree.flatten(eqx.partition(data, eqx.is_array))
    signature = tuple((np.shape(x), jnp.result_type(x)) if eqx.is_array(x) else x for x in leaves)
    key = (function, treedef, signature, np.shape(theta))
    compile_s = 0.0
    if key not in _COMPILED:

        def value_and_grad(t, d):
            TRACES[getattr(function, "__name__", "loss")] += 1
            return jax.value_and_grad(function, has_aux=True)(t, d)

        started = clock.perf_counter()
        theta = jnp.asarray(theta, dtype=float)
        _COMPILED[key] = eqx.filter_jit(value_and_grad).lower(theta, data).compile()
        compile_s = clock.perf_counter() - started
    compiled = _COMPILED[key]

    def evaluate(theta) -> Evaluation:
        theta = np.asarray(theta, dtype=float)
        (loss, aux), gradient = compiled(jnp.asarray(theta), data)
        return Evaluation(theta, float(loss), np.asarray(gradient, dtype=float), aux)

    return evaluate, compile_s


@functools.lru_cache(maxsize=16)
def adam(iterations: int, learning_rate: float) -> optax.GradientTransformation:
    """Adam with a warm-up + cosine-decay schedule (the same arguments give the same object)."""
    warmup = max(1, iterations // 20)
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, learning_rate, warmup, max(iterations, warmup + 1), end_value=0.01 * learning_rate
    )
    return optax.adam(schedule)


@dataclasses.dataclass
class LoopState:
    """Everything needed to continue a minimisation (what the resume files hold), plain NumPy.

    Attributes:
        iteration: parameter updates done so far.
        theta, loss, gradient: the current point (evaluated).
        memory: optimiser memory: L-BFGS pairs ``s``, ``y`` (k, p); Adam ``mu``, ``nu``, ``count``.
        history: one dict per accepted point (iteration, loss, gradient_norm, gradient, theta,
            event, elapsed_s, evaluations).
        best: index in history of the lowest loss.
        calm: consecutive iterations with a relative decrease below the tolerance.
        evaluations: evaluations of the model so far (line-search trials included).
        status: "running" or why the loop stopped.
        checked: the stopping rules were applied to the current point.
    """

    iteration: int
    theta: np.ndarray
    loss: float
    gradient: np.ndarray
    memory: dict = dataclasses.field(default_factory=dict)
    history: list = dataclasses.field(default_factory=list)
    best: int = 0
    calm: int = 0
    evaluations: int = 1
    status: str = "running"
    checked: bool = False


@dataclasses.dataclass(frozen=True)
class Minimum:
    """Result of `minimise`: best theta, its loss, why it stopped, history, counts and timings (s).

    Attributes:
        evaluations: evaluations of the model (value and gradient) the minimisation used.
        start, best: the evaluations at the first and at the best point (their auxiliary
            results feed the outputs without running the model again), or None.
    """

    theta: np.ndarray
    loss: float
    status: str
    iterations: int
    history: list
    compile_s: float
    run_s: float
    evaluations: int = 0
    start: Evaluation | None = None
    best: Evaluation | None = None


STATUS = {
    "exact": "stopped: the loss fell to rounding level (an exact fit)",
    "gradient": "stopped: every gradient component fell below {tolerance:g} times the loss",
    "loss": "stopped: the loss changed by less than {tolerance:g} (relative) for {patience} iterations",
    "line_search": "stopped: no step along the search direction lowered the loss "
    "(converged to the model's precision)",
    "iterations": "stopped: the budget of {iterations} iterations was spent (raise --iterations to go on)",
    "diverged": "stopped: every step tried from the last good point made the model diverge; "
    "the best point is kept",
    "interrupted": "stopped: interrupted; run the same command with --resume to continue",
    "collapsed": "stopped: the ensemble collapsed (spread below 1e-9 in unconstrained units)",
    "evaluations": "stopped: the budget of forward runs was spent",
}


def status_sentence(
    status: str, *, tolerance: float = 0.0, iterations: int = 0, optimizer: str = "lbfgs"
) -> str:
    """Why a minimisation stopped, as a sentence for reports."""
    text = STATUS.get(status, f"stopped: {status}")
    return text.format(tolerance=tolerance, iterations=iterations, patience=PATIENCE.get(optimizer, 2))


def _row(loop: LoopState, event: str, elapsed: float) -> dict:
    return dict(
        iteration=loop.iteration,
        loss=loop.loss,
        gradient_norm=float(np.linalg.norm(loop.gradient)),
        gradient=[float(x) for x in loop.gradient],
        theta=[float(x) for x in loop.theta],
        event=event,
        elapsed_s=elapsed,
        evaluations=loop.evaluations,
    )


def _converged(loop: LoopState, previous: float | None, name: str, tolerance: float) -> str | None:
    """Why to stop at the current point, or None; updates the calm counter."""
    if loop.loss <= max(EXACT, ROUNDING * loop.history[0]["loss"]):
        return "exact"
    if np.max(np.abs(loop.gradient)) <= tolerance * loop.loss:
        return "gradient"
    if previous is None:
        return None
    decrease = (previous - loop.loss) / max(abs(previous), 1e-300)
    still = decrease <= tolerance if name == "lbfgs" else abs(decrease) <= tolerance
    loop.calm = loop.calm + 1 if still else 0
    return "loss" if loop.calm >= PATIENCE[name] else None


def _lbfgs_direction(gradient: np.ndarray, memory: dict) -> np.ndarray:
    """-H g by the two-loop recursion over the stored pairs (oldest first)."""
    s_list, y_list = (
        memory.get("s", np.zeros((0, gradient.size))),
        memory.get("y", np.zeros((0, gradient.size))),
    )
    q = gradient.copy()
    alphas = []
    for s, y in zip(s_list[::-1], y_list[::-1], strict=True):
        rho = 1.0 / float(y @ s)
        alpha = rho * float(s @ q)
        q -= alpha * y
        alphas.append((rho, alpha))
    if len(s_list):
        s, y = s_list[-1], y_list[-1]
        q *= float(s @ y) / float(y @ y)
    for (rho, alpha), s, y in zip(alphas[::-1], s_list, y_list, strict=True):
        beta = rho * float(y @ q)
        q += (alpha - beta) * s
    return -q


def _remember(memory: dict, s: np.ndarray, y: np.ndarray) -> dict:
    if float(s @ y) <= 1e-12 * float(np.linalg.norm(s) * np.linalg.norm(y)):
        return memory  # no curvature information: keep the inverse Hessian positive definite
    s_list = np.concatenate([memory.get("s", np.zeros((0, s.size))), s[None]])[-MEMORY:]
    y_list = np.concatenate([memory.get("y", np.zeros((0, y.size))), y[None]])[-MEMORY:]
    return {"s": s_list, "y": y_list}


def _wolfe(loop: LoopState, evaluate, direction: np.ndarray, previous: float | None):
    """Strong-Wolfe line search (scipy.optimize.line_search, Nocedal & Wright algorithm 3.5) with
    the compiled evaluation: (accepted Evaluation or None, evaluations)."""
    cache: dict[bytes, Evaluation] = {}

    def at(x: np.ndarray) -> Evaluation:
        key = np.asarray(x, dtype=float).tobytes()
        if key not in cache:
            cache[key] = evaluate(x)
        return cache[key]

    def value(x):
        point = at(x)
        return point.loss if point.finite else np.inf

    def gradient(x):
        point = at(x)
        return point.gradient if point.finite else np.full_like(x, np.nan)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LineSearchWarning: the fallback takes over
        alpha, *_ = scipy.optimize.line_search(
            value, gradient, loop.theta, direction, gfk=loop.gradient, old_fval=loop.loss,
            old_old_fval=previous, c1=ARMIJO, c2=0.9, maxiter=WOLFE_TRIALS,
        )  # fmt: skip
    if alpha is None or not np.isfinite(alpha) or alpha <= 0:
        return None, len(cache)
    point = at(loop.theta + alpha * direction)
    return (point if point.finite and point.loss < loop.loss else None), len(cache)


def _lbfgs_step(loop: LoopState, evaluate, previous: float | None) -> tuple[Evaluation | None, int]:
    """One L-BFGS iteration: the two-loop direction, a strong-Wolfe line search (backtracking on
    the Armijo condition if that fails); (accepted evaluation or None, evaluations)."""
    gradient = loop.gradient
    direction = _lbfgs_direction(gradient, loop.memory)
    slope = float(gradient @ direction)
    if not slope < 0.0:  # not a descent direction: forget the curvature pairs
        loop.memory = {}
        direction, slope = -gradient, -float(gradient @ gradient)
    if not loop.memory:  # steepest descent: a first step of length at most 1
        direction = direction * min(1.0, 1.0 / max(float(np.linalg.norm(direction)), 1e-300))
        slope = float(gradient @ direction)
    candidate, used = _wolfe(loop, evaluate, direction, previous)
    if candidate is None:
        candidate, trials = _backtrack(loop, evaluate, direction, slope)
        used += trials
    if candidate is None and loop.memory:  # the curvature pairs may mislead (a kink): steepest descent
        loop.memory = {}
        steepest = -gradient * min(1.0, 1.0 / max(float(np.linalg.norm(gradient)), 1e-300))
        candidate, trials = _backtrack(loop, evaluate, steepest, float(gradient @ steepest))
        used += trials
    if candidate is not None:
        loop.memory = _remember(loop.memory, candidate.theta - loop.theta, candidate.gradient - gradient)
    return candidate, used


def _backtrack(
    loop: LoopState, evaluate, direction: np.ndarray, slope: float
) -> tuple[Evaluation | None, int]:
    """Backtracking on the Armijo condition; non-finite trial points shrink the step."""
    step = 1.0
    for trial in range(1, MAX_TRIALS + 1):
        candidate = evaluate(loop.theta + step * direction)
        if candidate.finite and candidate.loss <= loop.loss + ARMIJO * step * slope:
            return candidate, trial
        if candidate.finite:  # quadratic interpolation of the step, kept within [0.1, 0.5] of it
            curvature = candidate.loss - loop.loss - slope * step
            guess = -slope * step * step / (2.0 * curvature) if curvature > 0 else 0.5 * step
            step = min(max(guess, 0.1 * step), 0.5 * step)
        else:
            step *= 0.25
    return None, MAX_TRIALS


def _adam_step(loop: LoopState, evaluate, optimizer) -> tuple[Evaluation | None, int]:
    """One Adam update from the current point (halved while it reaches non-finite losses)."""
    template = optimizer.init(jnp.asarray(loop.theta))
    leaves = (
        [loop.memory[f"state_{i}"] for i in range(len(jax.tree.leaves(template)))] if loop.memory else None
    )
    state = jax.tree.unflatten(jax.tree.structure(template), leaves) if leaves else template
    updates, new_state = optimizer.update(jnp.asarray(loop.gradient), state, jnp.asarray(loop.theta))
    updates = np.asarray(updates)
    for trial in range(1, MAX_BACKOFFS + 1):
        candidate = evaluate(loop.theta + updates)
        if candidate.finite:
            loop.memory = {
                f"state_{i}": np.asarray(leaf) for i, leaf in enumerate(jax.tree.leaves(new_state))
            }
            return candidate, trial
        updates = 0.5 * updates
    return None, MAX_BACKOFFS


def minimise(
    function: Callable,
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
    start: Evaluation | None = None,
    compile_s: float | None = None,
) -> Minimum:
    """Minimise function(theta, data)[0] from theta0 (see the module docstring).

    Args:
        function: pure JAX function (theta, data) -> (loss, aux); a module-level function, so
            that its compiled form is reused between fits.
        data: pytree of arrays passed to it (jit arguments, not constants).
        theta0: starting unconstrained vector (p,).
        name: "lbfgs" or "adam"; iterations, tolerance, learning_rate: see FitSettings.
        resume: a LoopState from resume files to continue instead of starting at theta0.
        on_evaluation: called with each history row (progress display).
        save: called with the LoopState every `save_every` updates, at the end and on
            KeyboardInterrupt.
        stop_after: stop (status "interrupted") after this many updates (tests).
        start: the evaluation at theta0, when the caller made it already.
        compile_s: the compile time to report, when the caller compiled the function.

    Raises:
        ModelDiverged: the loss or its gradient is not finite at the very first point.
    """
    evaluate, compiled_s = compile_evaluation(function, data, theta0)
    compile_s = compiled_s if compile_s is None else compile_s
    run_started = clock.perf_counter()
    optimizer = adam(iterations, learning_rate) if name == "adam" else None
    best = None
    if resume is None:
        start = start if start is not None else evaluate(theta0)
        if not start.finite:
            raise ModelDiverged(
                "the loss or its gradient is not finite at the starting parameters; start from values "
                "closer to the defaults (closure.parameters in the case) or shorten time.dt"
            )
        loop = LoopState(0, start.theta, start.loss, start.gradient)
        best = start
        loop.history.append(_row(loop, "ok", clock.perf_counter() - run_started))
        if on_evaluation is not None:
            on_evaluation(loop.history[-1])
        previous = None
    else:
        start, loop = None, resume
        previous = loop.history[-2]["loss"] if len(loop.history) > 1 else None
    offset = loop.history[-1]["elapsed_s"] if resume is not None else 0.0
    loop.status = "running" if loop.checked else _converged(loop, previous, name, tolerance) or "running"
    loop.checked = True
    try:
        while loop.status == "running":
            if loop.iteration >= iterations:
                loop.status = "iterations"
                break
            if stop_after is not None and loop.iteration >= stop_after:
                loop.status = "interrupted"
                break
            if name == "lbfgs":
                candidate, trials = _lbfgs_step(loop, evaluate, previous)
            else:
                candidate, trials = _adam_step(loop, evaluate, optimizer)
            loop.evaluations += trials
            if candidate is None:
                loop.status = "line_search" if name == "lbfgs" else "diverged"
                break
            previous = loop.loss
            loop.iteration += 1
            loop.theta, loop.loss, loop.gradient = candidate.theta, candidate.loss, candidate.gradient
            loop.checked = False
            loop.history.append(_row(loop, "ok", offset + clock.perf_counter() - run_started))
            if loop.loss < loop.history[loop.best]["loss"]:
                loop.best, best = len(loop.history) - 1, candidate
            if on_evaluation is not None:
                on_evaluation(loop.history[-1])
            loop.status = _converged(loop, previous, name, tolerance) or "running"
            loop.checked = True
            if save is not None and loop.status == "running" and loop.iteration % save_every == 0:
                save(loop)
    except KeyboardInterrupt:
        loop.status = "interrupted"
        if save is not None:
            save(loop)
        raise
    if save is not None:
        save(loop)
    row = loop.history[loop.best]
    return Minimum(
        np.asarray(row["theta"]), row["loss"], loop.status, loop.iteration, loop.history, compile_s,
        clock.perf_counter() - run_started, loop.evaluations, start, best,
    )  # fmt: skip


def evaluate_at(function: Callable, data, theta) -> Evaluation:
    """One evaluation with the compiled function of `function` (compiled if needed)."""
    evaluate, _ = compile_evaluation(function, data, theta)
    return evaluate(theta)


__all__ = [
    "EXACT",
    "Evaluation",
    "LoopState",
    "Minimum",
    "TRACES",
    "adam",
    "compile_evaluation",
    "evaluate_at",
    "minimise",
    "status_sentence",
]
