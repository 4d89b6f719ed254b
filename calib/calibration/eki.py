"""Ensemble Kalman inversion (EKI), a derivative-free calibration (Iglesias, Law & Stuart 2013).

The J members theta_j live in the unconstrained space of `calib.core.trainable.Trainable` (so
every member stays inside the bounds). At each iteration the forward model runs for every member
and for the ensemble mean in one vmapped batch, giving whitened residuals

    g_j = Gamma^(-1/2) (model(theta_j) - observed)        (m,), unobserved entries 0,

and every member moves by the Kalman update toward the data (Iglesias et al. 2013)

    theta_j <- theta_j + C_tg (C_gg + I)^(-1) (eta_j - g_j),

with the ensemble covariances C_tg = (1/J) sum (theta_j - mean)(g_j - mean)^T and C_gg likewise,
eta_j ~ N(0, I) with `perturb` (perturbed observations, as in the paper; the default) and 0
without (the deterministic variant, whose ensemble collapses sooner and stalls earlier). With
Theta and A the centred parameter and residual ensembles, the update is computed in ensemble
space, Delta Theta = Theta (J I + A^T A)^(-1) A^T (eta - G), which costs O(J^2 m) and never
forms an m x m matrix.

Observation noise: Gamma_v = noise_fraction * var_v / w_v for every observation of variable v
(var_v the variance of its observations, w_v its weight), so the EKI misfit |g|^2 is the
calibration loss of `calib.calibration.loss` times N_v / noise_fraction per variable. The prior of the
loss, if any, enters as extra observations of theta with the mean N_v. The budget is fixed:
`iterations` updates and at most `evaluations` forward runs (each iteration costs J + 1).
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from calib.calibration.loss import Problem
from calib.calibration.optimise import EXACT, Minimum
from calib.calibration.result import FitResult
from calib.common.errors import CalibError, ModelDiverged
from calib.core.sampling import sample_values

DEFAULT_NOISE_FRACTION = 1e-4  # observation error variance / observation variance
DEFAULT_SPREAD = 1.0  # half-width of the initial ensemble box, unconstrained units
COLLAPSED = 1e-9  # ensemble spread (unconstrained units) below which EKI stops


def default_ensemble_size(parameters: int) -> int:
    """Members for p parameters: 10 + 4 p (well above p, as EKI needs J > p)."""
    return 10 + 4 * parameters


def observation_weights(problem: Problem, noise_fraction: float) -> dict[str, jax.Array]:
    """Per variable, N_v / noise_fraction: multiplying a loss residual sqrt(scale_v) * error
    by its square root whitens it with Gamma_v (see the module docstring)."""
    counts = {name: 0 for name in problem.scales}
    for group in problem.groups:
        for name in counts:
            observed = getattr(group.targets, name, None)
            if observed is not None:
                counts[name] += int(np.isfinite(np.asarray(observed)).sum())
    return {name: jnp.asarray(max(count, 1) / noise_fraction) for name, count in counts.items()}


def _member(theta, problem: Problem, weights: dict) -> tuple[jax.Array, jax.Array]:
    """(loss, whitened residuals) of one parameter vector; the loss equals `Problem.loss`."""
    errors = problem.errors(theta)
    data = [(jnp.sqrt(problem.scales[name] * weights[name]) * error).reshape(-1) for name, error in errors]
    prior = problem.prior_residuals(theta)
    mean_weight = sum(weights.values()) / len(weights)
    return problem.loss_of(errors, theta), jnp.concatenate([*data, jnp.sqrt(mean_weight) * prior])


def evaluate(thetas, problem: Problem, weights: dict) -> tuple[jax.Array, jax.Array]:
    """Losses (J,) and whitened residuals (J, m) of an ensemble, vmapped over its members."""
    return jax.vmap(lambda theta: _member(theta, problem, weights))(thetas)


@jax.jit
def update(thetas, residuals, noise) -> jax.Array:
    """One EKI update of the ensemble (J, p) from its residuals (J, m) and noise draws (J, m)
    (zeros for the deterministic variant); members with non-finite residuals take no part in
    the statistics and are pulled halfway to the mean of the others."""
    finite = jnp.all(jnp.isfinite(residuals), axis=1)
    weight = finite.astype(thetas.dtype)
    count = jnp.maximum(jnp.sum(weight), 1.0)
    residuals = jnp.where(finite[:, None], residuals, 0.0)
    theta_mean = jnp.sum(weight[:, None] * thetas, axis=0) / count
    residual_mean = jnp.sum(weight[:, None] * residuals, axis=0) / count
    centred_theta = weight[:, None] * (thetas - theta_mean[None, :])  # Theta^T (J, p)
    centred_residual = weight[:, None] * (residuals - residual_mean[None, :])  # A^T (J, m)
    gram = centred_residual @ centred_residual.T  # A^T A (J, J)
    innovation = centred_residual @ (noise - residuals).T  # A^T (eta - G) (J, J)
    system = count * jnp.eye(thetas.shape[0], dtype=thetas.dtype) + gram
    step = (jnp.linalg.solve(system, innovation)).T @ centred_theta  # (J, p)
    pulled = 0.5 * (thetas + theta_mean[None, :])
    return jnp.where(finite[:, None], thetas + step, pulled)


@eqx.filter_jit
def _evaluate_with_mean(thetas, problem: Problem, weights: dict):
    members = jnp.concatenate([thetas, jnp.mean(thetas, axis=0, keepdims=True)])
    return evaluate(members, problem, weights)


def initial_ensemble(problem: Problem, size: int, spread: float, seed: int) -> jax.Array:
    """Latin hypercube in a box of half-width `spread` (unconstrained units) around the starting
    parameters, recentred so that its mean is exactly the start."""
    trainable = problem.trainable
    start = trainable.to_values(problem.theta_start)
    values = sample_values(trainable, size, seed=seed, center=np.asarray(start), spread=spread)
    thetas = jax.vmap(trainable.to_theta)(jnp.asarray(values))
    return thetas - jnp.mean(thetas, axis=0, keepdims=True) + problem.theta_start[None, :]


def _row(iteration, loss, theta, losses, evaluations, thetas, elapsed) -> dict:
    finite = np.isfinite(losses)
    return dict(
        iteration=iteration, loss=loss, gradient_norm=math.nan, theta=[float(x) for x in theta],
        max_step=math.inf, event="ok" if math.isfinite(loss) else "rejected", elapsed_s=elapsed,
        evaluations=evaluations, best_member_loss=float(np.min(losses[finite])) if finite.any() else math.inf,
        spread=float(np.mean(np.std(thetas, axis=0))), diverged_members=int((~finite).sum()),
    )  # fmt: skip


def _budget(iterations: int, evaluations: int | None, size: int) -> int:
    if evaluations is None:
        return iterations
    affordable = evaluations // (size + 1) - 1
    if affordable < 1:
        raise CalibError(
            f"EKI budget of {evaluations} evaluations is below two iterations of {size} members + mean "
            f"({2 * (size + 1)}); raise the evaluation budget or lower the ensemble size"
        )
    return min(iterations, affordable)


def eki(
    problem: Problem,
    *,
    ensemble_size: int | None = None,
    iterations: int = 10,
    evaluations: int | None = None,
    noise_fraction: float = DEFAULT_NOISE_FRACTION,
    spread: float = DEFAULT_SPREAD,
    perturb: bool = True,
    seed: int = 0,
    on_evaluation: Callable[[dict], None] | None = None,
) -> FitResult:
    """Calibrate the problem's parameters by ensemble Kalman inversion (module docstring).

    Args:
        problem: as for the gradient fit (`calib.calibration.problem.build_problem`).
        ensemble_size: members J (default `default_ensemble_size(p)`).
        iterations: most ensemble updates; evaluations: most forward runs (J + 1 per iteration).
        noise_fraction: observation error variance as a fraction of the observations' variance.
        spread: half-width of the initial ensemble box in unconstrained units.
        perturb: perturbed observations (Iglesias et al. 2013) instead of the deterministic update.
        on_evaluation: called with each history row (one per iteration, at the ensemble mean).

    Returns:
        A FitResult whose history has one row per iteration: the loss at the ensemble mean,
        its unconstrained parameters and the forward runs spent so far.

    Raises:
        ModelDiverged: the loss at the starting parameters is not finite.
    """
    size = ensemble_size or default_ensemble_size(problem.trainable.size)
    if size < 2:
        raise CalibError(f"EKI ensemble size {size}: needs at least 2 members; use --ensemble 2 or more")
    updates = _budget(iterations, evaluations, size)
    weights = observation_weights(problem, noise_fraction)
    thetas = initial_ensemble(problem, size, spread, seed)
    key = jax.random.key(seed)
    started = clock.perf_counter()
    compiled = _evaluate_with_mean.lower(thetas, problem, weights).compile()
    compile_s, history, status, best = clock.perf_counter() - started, [], "iterations", 0
    run_started = clock.perf_counter()
    for iteration in range(updates + 1):
        losses, residuals = jax.block_until_ready(compiled(thetas, problem, weights))
        losses_np, mean_theta = np.asarray(losses), np.asarray(jnp.mean(thetas, axis=0))
        elapsed = clock.perf_counter() - run_started
        row = _row(iteration, float(losses_np[-1]), mean_theta, losses_np[:-1], (iteration + 1) * (size + 1),
                   np.asarray(thetas), elapsed)  # fmt: skip
        history.append(row)
        if on_evaluation is not None:
            on_evaluation(row)
        if iteration == 0 and not math.isfinite(row["loss"]):
            raise ModelDiverged(
                "the loss is not finite at the starting parameters; start from values closer to the "
                "defaults (closure.parameters in the case) or shorten time.dt"
            )
        if math.isfinite(row["loss"]) and row["loss"] < history[best]["loss"]:
            best = iteration
        if row["loss"] <= EXACT or row["spread"] < COLLAPSED:
            status = "exact" if row["loss"] <= EXACT else "collapsed"
            break
        if iteration < updates:
            key, subkey = jax.random.split(key)
            noise = jax.random.normal(subkey, residuals[:-1].shape, residuals.dtype) if perturb else 0.0
            thetas = update(thetas, residuals[:-1], jnp.zeros_like(residuals[:-1]) + noise)
    if evaluations is not None and updates < iterations and status == "iterations":
        status = "evaluations"
    trainable = problem.trainable
    minimum = Minimum(np.asarray(history[best]["theta"]), history[best]["loss"], status, len(history) - 1,
                      history, compile_s, clock.perf_counter() - run_started,
                      evaluations=history[-1]["evaluations"])  # fmt: skip
    return FitResult(
        names=trainable.names,
        start_values=np.asarray(trainable.to_values(problem.theta_start)),
        fitted_values=np.asarray(trainable.to_values(jnp.asarray(minimum.theta))),
        loss_start=float(history[0]["loss"]),
        loss_end=float(minimum.loss),
        minimum=minimum,
        wall_s=clock.perf_counter() - started,
    )


__all__ = [
    "default_ensemble_size",
    "eki",
    "evaluate",
    "initial_ensemble",
    "observation_weights",
    "update",
]
