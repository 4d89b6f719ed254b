"""Gauss–Newton (Laplace) uncertainty at the optimum, honest about correlated residuals, with
identifiability diagnostics.

With weighted residuals r(p) (loss = sum r², `Problem.residuals`) and J their Jacobian with
respect to the physical parameters at the optimum, the Laplace approximation of the posterior is
Gaussian with covariance s² (J^T J)^+, s² = RSS / (n - p) (n observed values, p parameters). J
comes from central differences of the residuals returned by the fit's own compiled evaluation
(2p runs, no new compile; `jacobian`); the loss gradient it implies (2 J^T r) is checked against
the reverse-mode gradient of the fit (`derivative_mismatch`).

Correlated residuals. s² (J^T J)^+ assumes n independent errors; the misfit of a column model is
smooth in time and depth, so the data hold fewer independent values. What matters for parameter i
is the product of the misfit with its sensitivity (the Jacobian column): for AR(1) series with
lag-one autocorrelations r (misfit) and s (sensitivity) the effective number of independent
products is n (1 - r s) / (1 + r s) (Bretherton et al. 1999, eq. 31), applied separably along time
and depth and summed over the fitted variables (`effective_counts`). Row and column i of the
covariance are inflated by sqrt(n / n_eff,i). Both the independent-error and the corrected standard
deviations are reported; the corrected ones are the estimate (in a twin experiment with red noise
their 1-sigma intervals cover the truth about 68 % of the time, the independent ones far less:
tests/test_calibration_trust.py).

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
        n_observations: n; n_effective: per parameter, the effective number of independent
            observations behind it (module docstring).
        autocorrelation: variable -> (rho_t, rho_z) of the misfit.
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
    n_effective: np.ndarray
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


def _fields(problem: Problem, predictions, vector: np.ndarray | None = None):
    """(variable, field (members, n_saves, nz), observed mask) for every group and fitted
    variable: the misfit at `predictions`, or the matching slice of a residual-shaped `vector`
    (a Jacobian column); NaN where nothing was observed."""
    offset = 0
    for group, states in zip(problem.groups, predictions, strict=True):
        for name in ("u", "v", "T", "S"):
            observed = getattr(group.targets, name)
            if observed is None:
                continue
            observed = np.asarray(observed)
            seen = np.isfinite(observed)
            if vector is None:
                field = np.asarray(getattr(states, name)) - observed
            else:
                field = vector[offset : offset + observed.size].reshape(observed.shape)
            offset += observed.size
            yield name, np.where(seen, field, np.nan), seen


def _rhos(fields: list[np.ndarray]) -> tuple[float, float]:
    """Mean lag-one autocorrelations along time (axis 1) and depth (axis 2), clipped to [0, MAX_RHO]."""
    rho_t = float(np.clip(np.mean([lag_one(f, 1) for f in fields]), 0.0, MAX_RHO))
    rho_z = float(np.clip(np.mean([lag_one(f, 2) for f in fields]), 0.0, MAX_RHO))
    return rho_t, rho_z


def _factor(rho_a: float, rho_b: float) -> float:
    """(1 - ra rb) / (1 + ra rb): the share of independent values in products of two AR(1) series."""
    product = rho_a * rho_b
    return (1.0 - product) / (1.0 + product)


def effective_counts(problem: Problem, predictions, jacobian_columns=None):
    """(n_v per variable, (rho_t, rho_z) of the misfit per variable, n_eff per parameter).

    The effective number of independent observations behind parameter i is
    sum_v n_v f(rho_t,v, rho_t,v,i) f(rho_z,v, rho_z,v,i), f = (1 - r s) / (1 + r s), with r the
    misfit's and s the sensitivity's (Jacobian column's) lag-one autocorrelation (Bretherton et
    al. 1999, eq. 31, applied in time and in depth); without columns s = 1 (the misfit alone)."""
    counts: dict[str, int] = {}
    misfits: dict[str, list] = {}
    for name, field, seen in _fields(problem, predictions):
        counts[name] = counts.get(name, 0) + int(seen.sum())
        misfits.setdefault(name, []).append(field)
    rhos = {name: _rhos(fields) for name, fields in misfits.items()}
    columns = [None] if jacobian_columns is None else list(jacobian_columns.T)
    effective = []
    for column in columns:
        sensitivity: dict[str, list] = {}
        if column is not None:
            for name, field, _ in _fields(problem, predictions, column):
                sensitivity.setdefault(name, []).append(field)
        total = 0.0
        for name, (rho_t, rho_z) in rhos.items():
            s_t, s_z = _rhos(sensitivity[name]) if column is not None else (1.0, 1.0)
            total += counts[name] * _factor(rho_t, s_t) * _factor(rho_z, s_z)
        effective.append(max(total, 1.0))
    return counts, rhos, np.asarray(effective)


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
    counts, rhos, effective = effective_counts(problem, best.aux[1], jacobian_theta[: J.shape[0] - p])
    n = int(sum(counts.values()))
    rss = float(np.sum(residuals[: residuals.size - p] ** 2))
    misfit_variance = rss / max(n - p, 1)
    information = J.T @ J
    covariance = misfit_variance * np.linalg.pinv(information, rcond=1e-13, hermitian=True)
    independent = _std(covariance)
    inflation = np.sqrt(n / effective)  # per parameter
    inflated = covariance * np.outer(inflation, inflation)
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
        effective, rhos, sloppiest, pairs, elapsed, mismatch,
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
    effective = ", ".join(f"{name} {n:.0f}" for name, n in zip(u.names, u.n_effective, strict=True))
    lines.append(
        f"correlated residuals ({rho}): of n = {u.n_observations} values, effectively independent for "
        f"{effective}; std inflated by sqrt(n / n_eff)"
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
        combination = " ".join(f"{c:+.2f} {name}" for c, name in zip(vector, u.names, strict=True))
        lines.append(
            f"sloppiest direction (relative changes): {combination}; a 10 % move along it changes the "
            f"loss by {eigenvalue * 0.01:.3g} (Gauss–Newton)"
        )
    return lines
