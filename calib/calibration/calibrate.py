"""Run a calibration: minimise the loss of a `Problem`, saving resume files into an output folder.

`calibrate(problem, settings, out=...)` is what `calib fit` calls between building the problem
and writing the outputs; tests call it directly.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from calib.calibration import resume as resume_files
from calib.calibration.eki import eki
from calib.calibration.loss import Problem
from calib.calibration.optimise import make_optimizer, minimise, strong
from calib.calibration.result import FitResult
from calib.common.errors import CalibError
from calib.config.fit import FitSettings


def loss_value(theta, *, data: Problem):
    """The loss of a Problem (module level, so compiled steps are shared between fits)."""
    return data.loss(theta)


def identity(problem: Problem, settings: FitSettings) -> dict:
    """What a saved fit must match to be resumed by this fit."""
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
        settings: optimiser, iterations, tolerance, learning rate, save interval.
        out: folder for the resume files (none written when None).
        resume: continue the fit saved in `out`.
        on_evaluation: called with each history row.
        stop_after: stop after this many updates, as an interruption would (tests).

    Raises:
        CalibError: `resume` without `out` or without a matching saved fit there.
    """
    if settings.optimizer == "eki":  # ensemble Kalman inversion: no gradients, no resume files
        if resume:
            raise CalibError(
                "--resume: EKI fits are not saved for resuming; run the fit again without --resume"
            )
        return eki(problem, iterations=settings.iterations, on_evaluation=on_evaluation)
    fit_identity = identity(problem, settings)
    loop = None
    if resume:
        if out is None:
            raise CalibError("--resume needs --out DIR, the folder of the interrupted fit")
        optimizer = make_optimizer(settings.optimizer, settings.iterations, settings.learning_rate)
        template = strong(optimizer.init(problem.theta_start))
        loop = resume_files.load(out, template, fit_identity)
    save = (lambda state: resume_files.save(out, state, fit_identity)) if out is not None else None
    started = clock.perf_counter()
    minimum = minimise(
        loss_value, problem, problem.theta_start,
        name=settings.optimizer, iterations=settings.iterations, tolerance=settings.tolerance,
        learning_rate=settings.learning_rate, resume=loop, on_evaluation=on_evaluation, save=save,
        save_every=settings.save_every, stop_after=stop_after,
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
