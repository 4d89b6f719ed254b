"""Run a calibration: minimise the loss of a `Problem`, saving resume files into an output folder.

`calibrate(problem, settings, out=...)` is what `calib fit` calls between building the problem
and writing the outputs; tests call it directly. Before the first step it refuses parameters
that cannot change the loss in the configuration at hand (an exactly zero gradient, e.g. the
von Kármán constant under a wall condition that does not use it).
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from calib.calibration import resume as resume_files
from calib.calibration.eki import eki
from calib.calibration.loss import Problem, loss_and_outputs
from calib.calibration.optimise import compile_evaluation, minimise
from calib.calibration.result import FitResult
from calib.common.errors import CalibError, ConfigError, ModelDiverged
from calib.config.fit import FitSettings


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


class InertParameters(ConfigError):
    """Parameters that cannot change the loss (`names`): refused when named, dropped from a
    closure's default calibration set (`calib.api.fitting.calibrate_inputs`)."""

    def __init__(self, message: str, names: tuple[str, ...]):
        super().__init__(message)
        self.names = names


def check_sensitive(problem: Problem, gradient: np.ndarray, where: str = "fit.parameters") -> None:
    """Refuse parameters whose gradient at the start is exactly zero: by construction they cannot
    change the loss here (the closure does not use them in this configuration, or no observation
    depends on them)."""
    inert = [name for name, g in zip(problem.trainable.names, gradient, strict=True) if g == 0.0]
    if inert:
        raise InertParameters(
            f"{where}: {', '.join(inert)} cannot change the loss in this configuration (its gradient is "
            "exactly zero: the closure's variants or the case do not use it); fit other parameters "
            "(calib closures NAME lists them)",
            tuple(inert),
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
        InertParameters: a parameter that cannot change the loss (`check_sensitive`).
        ModelDiverged: the loss is not finite at the starting parameters.
    """
    if settings.optimizer == "eki":  # ensemble Kalman inversion: no gradients, no resume files
        if resume:
            raise CalibError(
                "--resume: EKI fits are not saved for resuming; run the fit again without --resume"
            )
        return eki(problem, iterations=settings.iterations, on_evaluation=on_evaluation)
    fit_identity = identity(problem, settings)
    started = clock.perf_counter()
    evaluate, compile_s = compile_evaluation(loss_and_outputs, problem, problem.theta_start)
    loop = None
    if resume:
        if out is None:
            raise CalibError("--resume needs --out DIR, the folder of the interrupted fit")
        loop = resume_files.load(out, fit_identity)
    else:
        first = evaluate(problem.theta_start)
        if not first.finite:
            raise ModelDiverged(
                "the loss or its gradient is not finite at the starting parameters; start from values "
                "closer to the defaults (closure.parameters in the case) or shorten time.dt"
            )
        if first.loss > 0.0:  # a loss of exactly zero has a zero gradient: nothing to refuse
            check_sensitive(problem, first.gradient)
    save = (lambda state: resume_files.save(out, state, fit_identity)) if out is not None else None
    minimum = minimise(
        loss_and_outputs, problem, problem.theta_start,
        name=settings.optimizer, iterations=settings.iterations, tolerance=settings.tolerance,
        learning_rate=settings.learning_rate, resume=loop, on_evaluation=on_evaluation, save=save,
        save_every=settings.save_every, stop_after=stop_after, start=None if resume else first,
        compile_s=compile_s,
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


def evaluation_at(problem: Problem, theta):
    """The compiled evaluation of the problem's loss (compiled if needed) at theta: loss,
    gradient and (residuals, predictions)."""
    evaluate, _ = compile_evaluation(loss_and_outputs, problem, problem.theta_start)
    return evaluate(theta)
