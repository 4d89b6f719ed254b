"""What a calibration produced (`FitResult`), whichever optimiser produced it."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from calib.calibration.loss import Problem
from calib.calibration.optimise import Minimum


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
