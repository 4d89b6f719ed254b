"""Gauss–Newton (Laplace) uncertainty at the optimum, honest about correlated residuals, with
identifiability diagnostics.

With weighted residuals r(p) (loss = sum r², `Problem.residuals`) and J their Jacobian with
respect to the physical parameters at the optimum, the Laplace approximation of the posterior is
Gaussian with covariance s² (J^T J)^+, s² = RSS / (n - p) (n observed values, p parameters). J
comes from central differences of the residuals returned by the fit's own compiled evaluation
(2p runs, no new compile; `jacobian`); the loss gradient it implies (2 J^T r) is checked against
the reverse-mode gradient of the fit (`derivative_mismatch`).

Correlated residuals. s² (J^T J)^+ assumes n independent errors; the misfit of a column model is
smooth in time and depth, so the data hold fewer independent values. For each fitted variable
the lag-one autocorrelations of its misfit along time (rho_t) and depth (rho_z) give, for AR(1)
errors in both directions, n_eff,v = n_v (1 - rho_t) / (1 + rho_t) (1 - rho_z) / (1 + rho_z)
(the effective sample size of Bretherton et al. 1999, applied separably); the covariance is
inflated by n / sum(n_eff,v). Both the independent-error and the corrected standard deviations
are reported; the corrected ones are the estimate (its 1-sigma intervals cover the truth about
68 % of the time in twin experiments with red noise, tests/test_uncertainty.py).

Identifiability. Pairs with |correlation| > `CORRELATED` are flagged; the eigenvector of the
Gauss–Newton Hessian J^T J (in relative units, d r / d ln p) with the smallest eigenvalue is the
sloppiest combination of parameters, and lambda_min * delta² is how much a relative move delta
along it changes the loss.

Sensitivity of parameter i: |p_i| ||J[:, i]||, the change of the root of the weighted mean
squared (normalised) model output per unit relative change d p_i / p_i.
"""

from __future__ import annotations

import dataclasses
import time as clock

import jax
import jax.numpy as jnp
import numpy as np

from calib.calibration.loss import Problem

MISMATCH_WARNING = 1e-3
CORRELATED = 0.95
FD_STEP = 1e-5  # central-difference step in unconstrained units (times max(1, |theta|))
MAX_RHO = 0.99


@dataclasses.dataclass(frozen=True)
class Uncertainty:
    """Laplace estimate at the optimum (see the module docstring).

    Attributes:
        names: parameter names.
        values: optimum (physical units).
        std: standard deviations corrected for correlated residuals (physical units; inf where
            unconstrained).
        std_independent: the same assuming independent residuals.
        correlation: (p, p) correlation matrix.
        sensitivity: |p_i| ||J_i||.
        misfit_variance: s².
        n_observations: n; n_effective: sum of n_eff,v.
        autocorrelation: variable -> (rho_t, rho_z).
        sloppiest: (eigenvector over the parameters in relative units, its eigenvalue of J^T J).
        correlated_pairs: ((name, name, correlation), ...) with |correlation| > CORRELATED.
        jacobian_s: wall time of the Jacobian (s).
        derivative_mismatch: |2 J^T r - g_reverse| / |g_reverse| in unconstrained space, or None;
            above `MISMATCH_WARNING` the loss is not smooth there and the estimate is unreliable.
    """

    names: tuple[str, ...]
    values: np.ndarray
    std: np.ndarray
    std_independent: np.ndarray
    correlation: np.ndarray
    sensitivity: np.ndarray
    misfit_variance: float
    n_observations: int
    n_effective: float
    autocorrelation: dict
    sloppiest: tuple[np.ndarray, float]
    correlated_pairs: tuple
    jacobian_s: float
    derivative_mismatch: float | None = None


def lag_one(errors: np.ndarray, axis: int) -> float:
    """Lag-one autocorrelation of a misfit field (NaN = unobserved) along `axis`, over the pairs
    both observed; 0 when there are none."""
    a = np.moveaxis(errors, axis, -1)
    x, y = a[..., :-1].ravel(), a[..., 1:].ravel()
    both = np.isfinite(x) & np.isfinite(y)
    if both.sum() < 3:
        return 0.0
    x, y = x[both], y[both]
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denominator) if denominator > 0 else 0.0


def effective_counts(problem: Problem, predictions) -> tuple[dict[str, int], dict[str, float], dict]:
    """(n_v, n_eff,v, (rho_t, rho_z) per variable) of the misfits at `predictions`."""
    counts: dict[str, int] = {}
    effective: dict[str, float] = {}
    pieces: dict[str, list] = {}
    for group, states in zip(problem.groups, predictions, strict=True):
        for name in ("u", "v", "T", "S"):
            observed = getattr(group.targets, name)
            if observed is None:
                continue
            model = np.asarray(getattr(states, name))
            observed = np.asarray(observed)
            pieces.setdefault(name, []).append(np.where(np.isfinite(observed), model - observed, np.nan))
    rhos = {}
    for name, fields in pieces.items():
        n = int(sum(np.isfinite(f).sum() for f in fields))
        # fields are (members, n_saves, nz): time is axis 1, depth axis 2
        rho_t = float(np.clip(np.mean([lag_one(f, 1) for f in fields]), 0.0, MAX_RHO))
        rho_z = float(np.clip(np.mean([lag_one(f, 2) for f in fields]), 0.0, MAX_RHO))
        counts[name] = n
        effective[name] = max(n * (1 - rho_t) / (1 + rho_t) * (1 - rho_z) / (1 + rho_z), 1.0)
        rhos[name] = (rho_t, rho_z)
    return counts, effective, rhos


def jacobian(evaluate, theta: np.ndarray, step: float = FD_STEP) -> tuple[np.ndarray, float]:
    """(d r / d theta (n, p) by central differences with the compiled evaluation, seconds)."""
    started = clock.perf_counter()
    columns = []
    for i in range(theta.size):
        h = step * max(1.0, abs(float(theta[i])))
        plus, minus = theta.copy(), theta.copy()
        plus[i] += h
        minus[i] -= h
        r_plus = np.asarray(evaluate(plus).aux[0])
        r_minus = np.asarray(evaluate(minus).aux[0])
        columns.append((r_plus - r_minus) / (2 * h))
    return np.stack(columns, axis=1), clock.perf_counter() - started


def laplace(problem: Problem, best, evaluate) -> Uncertainty:
    """Standard deviations, correlations, sensitivities and identifiability at the optimum.

    Args:
        problem: the fit's problem.
        best: the fit's `calib.calibration.optimise.Evaluation` at the optimum (loss, reverse-mode
            gradient, residuals and predictions).
        evaluate: the fit's compiled evaluation (theta -> Evaluation).
    """
    trainable = problem.trainable
    theta = np.asarray(best.theta, dtype=float)
    values = np.asarray(trainable.to_values(jnp.asarray(theta)))
    jacobian_theta, elapsed = jacobian(evaluate, theta)
    scale = np.diag(np.asarray(jax.jacfwd(trainable.to_values)(jnp.asarray(theta))))  # d value / d theta
    J = jacobian_theta / scale[None, :]
    residuals = np.asarray(best.aux[0])
    p = trainable.size
    data_rows = J[: J.shape[0] - p]  # the last p rows are the prior's
    counts, effective, rhos = effective_counts(problem, best.aux[1])
    n = int(sum(counts.values()))
    n_effective = float(sum(effective.values()))
    rss = float(np.sum(residuals[: residuals.size - p] ** 2))
    misfit_variance = rss / max(n - p, 1)
    information = J.T @ J
    covariance = misfit_variance * np.linalg.pinv(information, rcond=1e-13, hermitian=True)
    independent = _std(covariance)
    inflated = covariance * (n / max(n_effective, 1.0))
    std = _std(inflated)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = inflated / np.outer(std, std)
    correlation = np.nan_to_num(correlation)
    np.fill_diagonal(correlation, 1.0)
    sensitivity = np.abs(values) * np.linalg.norm(data_rows, axis=0)
    relative = J * np.where(values != 0, np.abs(values), 1.0)[None, :]
    eigenvalues, eigenvectors = np.linalg.eigh(relative.T @ relative)
    sloppiest = (
        eigenvectors[:, 0] * np.sign(eigenvectors[np.argmax(np.abs(eigenvectors[:, 0])), 0]),
        float(eigenvalues[0]),
    )
    pairs = tuple(
        (trainable.names[i], trainable.names[j], float(correlation[i, j]))
        for i in range(p)
        for j in range(i + 1, p)
        if abs(correlation[i, j]) > CORRELATED
    )
    forward = 2.0 * (jacobian_theta.T @ residuals)
    reverse = np.asarray(best.gradient, dtype=float)
    mismatch = float(np.linalg.norm(forward - reverse) / max(np.linalg.norm(reverse), 1e-300))
    return Uncertainty(
        trainable.names, values, std, independent, correlation, sensitivity, misfit_variance, n,
        n_effective, rhos, sloppiest, pairs, elapsed, mismatch,
    )  # fmt: skip


def _std(covariance: np.ndarray) -> np.ndarray:
    variances = np.diag(covariance).copy()
    return np.sqrt(np.where(variances > 0, variances, np.inf))


def table(uncertainty: Uncertainty, units: dict[str, str]) -> str:
    """Text: value ± std (corrected, and assuming independence), sensitivity, correlations, the
    identifiability warnings and what to do about them."""
    u = uncertainty
    largest = max(float(np.max(u.sensitivity)), 1e-300)
    lines = [
        f"{'parameter':<26}{'value':>11} {'± std':>10}{'(indep.)':>10}{'rel.std':>9}{'sensit.':>9}"
        f"{'rel.':>6}  units"
    ]
    for i, name in enumerate(u.names):
        value, std, s = u.values[i], u.std[i], u.sensitivity[i]
        relative_std = std / abs(value) if value else np.inf
        lines.append(
            f"{name[:25]:<26}{value:>11.5g} {std:>10.3g}{u.std_independent[i]:>10.3g}{relative_std:>9.2%}"
            f"{s:>9.3g}{s / largest:>6.2f}  {units.get(name, '1')}"
        )
    rho = ", ".join(f"{name} ρt {t:.2f} ρz {z:.2f}" for name, (t, z) in u.autocorrelation.items())
    lines.append(
        f"correlated residuals: n = {u.n_observations}, effective n = {u.n_effective:.0f} ({rho}); "
        f"std inflated by {np.sqrt(u.n_observations / max(u.n_effective, 1.0)):.2f}"
    )
    if u.derivative_mismatch is not None and u.derivative_mismatch > MISMATCH_WARNING:
        lines.append(
            f"warning: the finite-difference and reverse-mode gradients differ by "
            f"{u.derivative_mismatch:.1%}: "
            "the loss is not smooth here (an unstable model amplifies rounding); these numbers are unreliable"
        )
    lines += ["", "correlation matrix"]
    width = max(10, max(len(name) for name in u.names) + 1)
    lines.append(" " * width + "".join(f"{name[:9]:>10}" for name in u.names))
    for i, name in enumerate(u.names):
        lines.append(f"{name:<{width}}" + "".join(f"{c:>10.3f}" for c in u.correlation[i]))
    lines += identifiability_lines(u)
    return "\n".join(lines)


def identifiability_lines(u: Uncertainty) -> list[str]:
    """Warnings about strongly correlated pairs and the sloppiest direction, with advice."""
    lines = []
    for first, second, value in u.correlated_pairs:
        lines.append(
            f"warning: {first} and {second} are correlated at {value:+.3f}: the data constrain only a "
            "combination of them; fix one (leave it out of --params), add a prior (--prior), or add a case "
            "that separates them"
        )
    vector, eigenvalue = u.sloppiest
    if len(u.names) > 1:
        combination = " ".join(f"{c:+.2f} ln({name})" for c, name in zip(vector, u.names, strict=True))
        lines.append(
            f"sloppiest direction: {combination}; a 10 % move along it changes the loss by "
            f"{eigenvalue * 0.01:.3g} (Gauss–Newton)"
        )
    return lines
