"""Gauss–Newton (Laplace) uncertainty at the optimum, honest about correlated residuals, with
identifiability diagnostics.

With weighted residuals r(p) (loss = sum r², `Problem.residuals`) and J their Jacobian with
respect to the physical parameters at the optimum, the Laplace approximation of the posterior is
Gaussian with covariance s² (J^T J)^+, s² = RSS / (n - p) (n observed values, p parameters). J
comes from central differences of the residuals returned by the fit's own compiled evaluation
(2p runs, no new compile; `jacobian`); the loss gradient it implies (2 J^T r) is checked against
the reverse-mode gradient of the fit (`derivative_mismatch`).

Correlated residuals. s² (J^T J)^+ assumes n independent errors; the misfit of a column model is
smooth in time and depth, so the data hold far fewer independent values and that formula is
overconfident. The estimate here is the sandwich (robust) covariance of least squares,
A^+ (J^T Sigma J) A^+ with A = J^T J, where Sigma, the covariance of the residuals, is modelled per
fitted variable as its residual variance times a separable AR(1) correlation in time and depth
whose lag-one coefficients are measured on the misfit itself (`residual_covariance`); the prior's
rows count as independent. Setting the correlations to zero gives the independent-error numbers,
reported beside them, and n_eff,i = n (std_indep,i / std_i)² says how many independent values the
data are worth for parameter i. In a twin experiment with red noise (tests/test_calibration_trust.py)
the reported standard deviations match the spread of the estimates over noise draws to within
10 % and their 1-sigma intervals cover the truth 68 % of the time, against 46 % for the
independent ones. Where the loss is far from quadratic over the uncertainty (large noise, a
parameter near a bound) no Gaussian estimate is right: then refit from other starts or use
`calib run-batch` over the range.

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
import scipy.signal

from calib.calibration.loss import Problem, misfit_of
from calib.common.vocabulary import FITTABLE

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
        n_observations: n; n_effective: per parameter, the number of independent observations
            the data are worth for it, n (std_independent / std)² (module docstring).
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
        for name in FITTABLE:  # the order of `Problem.errors_of`
            observed = getattr(group.targets, name)
            if observed is None:
                continue
            observed = np.asarray(observed)
            seen = np.isfinite(observed)
            if vector is None:
                field = np.asarray(misfit_of(name, jnp.asarray(getattr(states, name)), observed))
            else:
                field = vector[offset : offset + observed.size].reshape(observed.shape)
            offset += observed.size
            yield name, np.where(seen, field, np.nan), seen


def _rhos(fields: list[np.ndarray]) -> tuple[float, float]:
    """Mean lag-one autocorrelations along time (axis 1) and depth (axis 2), clipped to [0, MAX_RHO]."""
    rho_t = float(np.clip(np.mean([lag_one(f, 1) for f in fields]), 0.0, MAX_RHO))
    rho_z = float(np.clip(np.mean([lag_one(f, 2) for f in fields]), 0.0, MAX_RHO))
    return rho_t, rho_z


def ar1_apply(field: np.ndarray, rho: float, axis: int) -> np.ndarray:
    """Sigma x along `axis` for the AR(1) correlation matrix Sigma_ij = rho^|i - j|, in O(n): a
    forward plus a backward exponential filter, less the field itself."""
    if rho == 0.0:
        return field
    forward = scipy.signal.lfilter([1.0], [1.0, -rho], field, axis=axis)
    backward = np.flip(scipy.signal.lfilter([1.0], [1.0, -rho], np.flip(field, axis), axis=axis), axis)
    return forward + backward - field


def residual_covariance(problem: Problem, predictions, residuals: np.ndarray, columns: np.ndarray, correlated=True):
    """(n_v and (rho_t, rho_z) per variable, J_d^T Sigma J_d (p, p)) for the data rows.

    Sigma, the covariance of the data residuals, is modelled per variable v as s_v^2 (the mean
    squared weighted residual of v) times the separable AR(1) correlation rho_t^|i - j| rho_z^|k - l|
    within each member's (time, depth) field, the rhos being the misfit's lag-one
    autocorrelations; variables and members are independent of each other. Unobserved values are
    zero rows of J and drop out. `correlated=False` sets the rhos to zero."""
    counts: dict[str, int] = {}
    misfits: dict[str, list] = {}
    squares: dict[str, float] = {}
    for (name, field, seen), (_, weighted, _) in zip(
        _fields(problem, predictions), _fields(problem, predictions, residuals), strict=True
    ):
        counts[name] = counts.get(name, 0) + int(seen.sum())
        misfits.setdefault(name, []).append(field)
        squares[name] = squares.get(name, 0.0) + float(np.nansum(weighted**2))
    rhos = {name: _rhos(fields) if correlated else (0.0, 0.0) for name, fields in misfits.items()}
    blocks = [list(_fields(problem, predictions, column)) for column in columns.T]
    p = columns.shape[1]
    middle = np.zeros((p, p))
    for b, (name, _, _) in enumerate(blocks[0] if p else []):
        rho_t, rho_z = rhos[name]
        variance = squares[name] / max(counts[name], 1)
        fields = [np.nan_to_num(blocks[i][b][1]) for i in range(p)]
        for j in range(p):
            smoothed = ar1_apply(ar1_apply(fields[j], rho_t, 1), rho_z, 2)
            for i in range(p):
                middle[i, j] += variance * float(np.sum(fields[i] * smoothed))
    return counts, rhos, 0.5 * (middle + middle.T)


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
    data_rows, prior_rows = J[: J.shape[0] - p], J[J.shape[0] - p :]  # the last p rows are the prior's
    data_residuals = residuals[: residuals.size - p]
    counts, rhos, middle = residual_covariance(problem, best.aux[1], data_residuals, data_rows)
    _, _, middle_independent = residual_covariance(problem, best.aux[1], data_residuals, data_rows, correlated=False)
    n = int(sum(counts.values()))
    misfit_variance = float(np.sum(data_residuals**2)) / max(n - p, 1)
    bread = np.linalg.pinv(J.T @ J, rcond=1e-13, hermitian=True)
    prior_part = misfit_variance * prior_rows.T @ prior_rows  # prior rows: independent, variance s^2
    covariance = bread @ (middle + prior_part) @ bread
    independent = _std(bread @ (middle_independent + prior_part) @ bread)
    std = _std(covariance)
    with np.errstate(invalid="ignore", divide="ignore"):
        effective = np.where(np.isfinite(std), n * (independent / std) ** 2, float(n))
        correlation = covariance / np.outer(std, std)
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
        f"{effective}; std from the sandwich covariance"
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
