"""Gauss–Newton (Laplace) uncertainty and normalised sensitivity at the optimum.

With residuals r(p) of the physical parameters p (loss = sum r², `Problem.residuals`) and J
their Jacobian at the optimum, the Laplace approximation of the posterior is Gaussian with

    Cov = s² (J^T J)^+,   s² = loss / (n - p)

(n observed values, p parameters; s² estimates the misfit variance in the weighted units, so
the result does not depend on how the residuals are scaled). J is computed in forward mode
(`jax.jacfwd`, one tangent per parameter) when p <= n, as it always is in practice, else in
reverse mode. Directions that the data do not constrain show up as huge standard deviations
and correlations near +-1.

Sensitivity of parameter i: |p_i| ||J[:, i]||, the change of the root of the weighted mean
squared (normalised) model output per unit relative change d p_i / p_i; the table also gives
it relative to the most sensitive parameter.
"""

from __future__ import annotations

import dataclasses
import time as clock

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from calib.calibration.loss import Problem
from calib.common.vocabulary import FITTABLE

MISMATCH_WARNING = 1e-3


@dataclasses.dataclass(frozen=True)
class Uncertainty:
    """Laplace estimate at the optimum (see the module docstring).

    Attributes:
        names: parameter names.
        values: optimum (physical units).
        std: standard deviations (physical units; inf where unconstrained).
        correlation: (p, p) correlation matrix.
        sensitivity: |p_i| ||J_i|| (see the module docstring).
        misfit_variance: s².
        n_observations: n.
        jacobian_s: wall time of the Jacobian, compile included (s).
        derivative_mismatch: |g_fwd - g_rev| / |g_rev| between the loss gradient from this
            forward-mode Jacobian and the optimiser's reverse-mode gradient at the same point
            (None if not given); more than `MISMATCH_WARNING` means the loss is not smooth
            there (rounding amplified by an unstable model) and the estimate is unreliable.
    """

    names: tuple[str, ...]
    values: np.ndarray
    std: np.ndarray
    correlation: np.ndarray
    sensitivity: np.ndarray
    misfit_variance: float
    n_observations: int
    jacobian_s: float
    derivative_mismatch: float | None = None


def _residuals_of_values(values, *, problem: Problem):
    return problem.residuals(problem.trainable.to_theta(values))


@eqx.filter_jit
def _jacobian(values, problem: Problem, forward: bool):
    return (jax.jacfwd if forward else jax.jacrev)(lambda v: _residuals_of_values(v, problem=problem))(values)


def count_observations(problem: Problem) -> int:
    """Number of finite target values over every group."""
    total = 0
    for group in problem.groups:
        for name in FITTABLE:
            observed = getattr(group.targets, name)
            if observed is not None:
                total += int(np.isfinite(np.asarray(observed)).sum())
    return total


def _mismatch(problem: Problem, values, jacobian, residuals, reverse_gradient) -> float | None:
    """Relative difference of the forward-mode loss gradient (2 J^T r) and a reverse-mode one,
    both in the unconstrained space."""
    if reverse_gradient is None:
        return None
    theta = problem.trainable.to_theta(values)
    scale = np.diag(np.asarray(jax.jacfwd(problem.trainable.to_values)(theta)))  # d value / d theta
    forward = 2.0 * (jacobian.T @ residuals) * scale
    reverse = np.asarray(reverse_gradient, dtype=float)
    return float(np.linalg.norm(forward - reverse) / max(np.linalg.norm(reverse), 1e-300))


def laplace(problem: Problem, values, reverse_gradient=None) -> Uncertainty:
    """Standard deviations, correlations and sensitivities of the fitted parameters at `values`.

    Args:
        problem: the fit's problem.
        values: the optimum (physical units).
        reverse_gradient: the optimiser's gradient at `values` (unconstrained space), to check
            that forward and reverse derivatives agree (see `Uncertainty.derivative_mismatch`).
    """
    values = jnp.asarray(values, dtype=float)
    n, p = count_observations(problem), problem.trainable.size
    started = clock.perf_counter()
    jacobian = np.asarray(_jacobian(values, problem, forward=p <= n))
    residuals = np.asarray(_residuals_of_values(values, problem=problem))
    elapsed = clock.perf_counter() - started
    misfit_variance = float(np.sum(residuals**2)) / max(n - p, 1)
    covariance = misfit_variance * np.linalg.pinv(jacobian.T @ jacobian, rcond=1e-13, hermitian=True)
    variances = np.diag(covariance).copy()
    std = np.sqrt(np.where(variances > 0, variances, np.inf))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(std, std)
    np.fill_diagonal(correlation, 1.0)
    data_rows = jacobian[: jacobian.shape[0] - p]  # the last p rows are the prior's
    sensitivity = np.abs(np.asarray(values)) * np.linalg.norm(data_rows, axis=0)
    return Uncertainty(
        problem.trainable.names, np.asarray(values), std, np.nan_to_num(correlation), sensitivity,
        misfit_variance, n, elapsed, _mismatch(problem, values, jacobian, residuals, reverse_gradient),
    )  # fmt: skip


def table(uncertainty: Uncertainty, units: dict[str, str]) -> str:
    """Text table: value ± std, relative std, sensitivity (absolute and relative), then correlations."""
    largest = max(float(np.max(uncertainty.sensitivity)), 1e-300)
    lines = [f"{'parameter':<22}{'value':>11} {'± std':>10}{'rel.std':>9}{'sensit.':>9}{'rel.':>6}  units"]
    for i, name in enumerate(uncertainty.names):
        value, std, s = uncertainty.values[i], uncertainty.std[i], uncertainty.sensitivity[i]
        relative_std = std / abs(value) if value else np.inf
        lines.append(
            f"{name[:21]:<22}{value:>11.5g} {std:>10.3g}{relative_std:>9.2%}{s:>9.3g}{s / largest:>6.2f}  "
            f"{units.get(name, '1')}"
        )
    mismatch = uncertainty.derivative_mismatch
    if mismatch is not None and mismatch > MISMATCH_WARNING:
        lines.append(
            f"warning: forward and reverse derivatives differ by {mismatch:.1%} here: the loss is not "
            "smooth at this point (an unstable model amplifies rounding), so these numbers are unreliable"
        )
    lines.append("")
    lines.append("correlation matrix")
    width = max(10, max(len(name) for name in uncertainty.names) + 1)
    lines.append(" " * width + "".join(f"{name[:9]:>10}" for name in uncertainty.names))
    for i, name in enumerate(uncertainty.names):
        lines.append(f"{name:<{width}}" + "".join(f"{c:>10.3f}" for c in uncertainty.correlation[i]))
    return "\n".join(lines)
