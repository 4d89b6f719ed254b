"""Run a calibration: minimise the loss of a `Problem`, checkpointing into an output folder.

`calibrate(problem, settings, out=...)` is what `calib fit` calls between building the problem
and writing the outputs; tests call it directly.
"""

from __future__ import annotations

import dataclasses
import time as clock
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from calib.calibration import resume as checkpoint
from calib.calibration.loss import Problem
from calib.calibration.optimise import Minimum, make_optimizer, minimise, strong
from calib.common.errors import CalibError
from calib.config.fit import FitSettings


def loss_value(theta, *, data: Problem):
    """The loss of a Problem (module level, so compiled steps are shared between fits)."""
    return data.loss(theta)


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What a calibration produced.

    Attributes:
        names: fitted parameter names.
        start_values, fitted_values: physical values before and after.
        loss_start, loss_end: loss at the start and at the optimum.
        minimum: the optimiser's result (history in unconstrained space, status, timings).
        wall_s: wall time of the whole minimisation, compile included (s).
    """

    names: tuple[str, ...]
    start_values: np.ndarray
    fitted_values: np.ndarray
    loss_start: float
    loss_end: float
    minimum: Minimum
    wall_s: float

    def history_values(self, problem: Problem) -> np.ndarray:
        """(evaluations, p) physical parameter values along the optimiser's path."""
        thetas = np.array([row["theta"] for row in self.minimum.history])
        return np.array([np.asarray(problem.trainable.to_values(jnp.asarray(t))) for t in thetas])


def identity(problem: Problem, settings: FitSettings) -> dict:
    """What a checkpoint must match to be resumed by this fit."""
    return dict(
        parameters=list(problem.trainable.names),
        experiments=list(problem.labels),
        optimizer=settings.optimizer,
        iterations=settings.iterations,
        learning_rate=settings.learning_rate,
        tolerance=settings.tolerance,
        prior=settings.prior,
        theta_start=[float(x) for x in np.asarray(problem.theta_start)],
    )


def calibrate(
    problem: Problem,
    settings: FitSettings,
    *,
    out: Path | None = None,
    resume: bool = False,
    on_evaluation: Callable[[dict], None] | None = None,
    stop_after: int | None = None,
) -> FitResult:
    """Minimise the problem's loss from its starting parameters.

    Args:
        problem: see `calib.calibration.problem.build_problem`.
        settings: optimiser, iterations, tolerance, learning rate, checkpoint interval.
        out: folder for checkpoints (none written when None).
        resume: continue from the checkpoint in `out`.
        on_evaluation: called with each history row.
        stop_after: stop after this many updates, as an interruption would (tests).

    Raises:
        CalibError: `resume` without `out` or without a matching checkpoint there.
    """
    if settings.optimizer == "eki":  # ensemble Kalman inversion: no gradients, no checkpoints
        if resume:
            raise CalibError("--resume: EKI fits are not checkpointed; run the fit again without --resume")
        from calib.calibration.eki import eki

        return eki(problem, iterations=settings.iterations, on_evaluation=on_evaluation)
    fit_identity = identity(problem, settings)
    loop = None
    if resume:
        if out is None:
            raise CalibError("--resume needs --out DIR, the folder of the interrupted fit")
        optimizer = make_optimizer(settings.optimizer, settings.iterations, settings.learning_rate)
        template = strong(optimizer.init(problem.theta_start))
        loop = checkpoint.load(out, template, fit_identity)
    save = (lambda state: checkpoint.save(out, state, fit_identity)) if out is not None else None
    started = clock.perf_counter()
    minimum = minimise(
        loss_value, problem, problem.theta_start,
        name=settings.optimizer, iterations=settings.iterations, tolerance=settings.tolerance,
        learning_rate=settings.learning_rate, resume=loop, on_evaluation=on_evaluation, save=save,
        checkpoint_every=settings.checkpoint_every, stop_after=stop_after,
    )  # fmt: skip
    trainable = problem.trainable
    return FitResult(
        names=trainable.names,
        start_values=np.asarray(trainable.to_values(problem.theta_start)),
        fitted_values=np.asarray(trainable.to_values(jnp.asarray(minimum.theta))),
        loss_start=float(minimum.history[0]["loss"]),
        loss_end=float(minimum.loss),
        minimum=minimum,
        wall_s=clock.perf_counter() - started,
    )
