"""Tridiagonal solves and the backward-Euler vertical diffusion step.

A tridiagonal system is given by three bands and a right-hand side, all shaped (..., n):
row i reads ``lower[i] x[i-1] + diag[i] x[i] + upper[i] x[i+1] = rhs[i]``; ``lower[0]`` and
``upper[n-1]`` are ignored. Leading axes are independent systems solved together.

Three implementations sit behind `solve_tridiagonal`:
- `ThomasSolver`: the Thomas algorithm as two `lax.scan`s over depth, vectorised over all the
  systems of a step, wrapped in `lax.custom_linear_solve` so that both forward- and
  reverse-mode derivatives are one more tridiagonal solve (the adjoint is the transposed
  system) instead of a differentiated scan;
- `PlainThomasSolver`: the same scans differentiated by JAX (for comparison);
- `LapackSolver`: `jax.lax.linalg.tridiagonal_solve` (LAPACK gtsv on CPU, cuSPARSE on GPU) with
  JAX's own differentiation rule.
`default_solver()` picks the fastest for the platform, as measured by benchmarks/tridiagonal.py
(table in benchmarks/tridiagonal.md).
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float

from calib.core.grid import Grid

Bands = Float[Array, "*batch n"]


def _broadcast(*arrays):
    """Broadcast to a common shape explicitly (allowed under strict rank promotion)."""
    shape = jnp.broadcast_shapes(*(jnp.shape(a) for a in arrays))
    return tuple(jnp.broadcast_to(a, shape) for a in arrays)


def thomas_scan(lower: Bands, diag: Bands, upper: Bands, rhs: Bands, unroll: int = 1) -> Bands:
    """Thomas algorithm, depth as the scan axis, every leading axis vectorised.

    Stable without pivoting for the diagonally dominant systems of implicit diffusion. Its
    derivatives, if taken directly, are those of the two scans; `ThomasSolver` avoids that.
    """
    lower, diag, upper, rhs = (jnp.moveaxis(a, -1, 0) for a in _broadcast(lower, diag, upper, rhs))
    zero = jnp.zeros_like(rhs[0])

    def eliminate(carry, row):
        upper_prev, rhs_prev = carry
        a, b, c, d = row
        denominator = b - a * upper_prev
        upper_new = c / denominator
        rhs_new = (d - a * rhs_prev) / denominator
        return (upper_new, rhs_new), (upper_new, rhs_new)

    _, (upper_mod, rhs_mod) = lax.scan(eliminate, (zero, zero), (lower, diag, upper, rhs), unroll=unroll)

    def substitute(x_above, row):
        c, d = row
        x = d - c * x_above
        return x, x

    _, x = lax.scan(substitute, zero, (upper_mod, rhs_mod), reverse=True, unroll=unroll)
    return jnp.moveaxis(x, 0, -1)


def tridiagonal_matvec(lower: Bands, diag: Bands, upper: Bands, x: Bands) -> Bands:
    """A @ x for the tridiagonal A given by its bands (ignored corners treated as zero)."""
    lower, diag, upper, x = _broadcast(lower, diag, upper, x)
    below = jnp.concatenate([jnp.zeros_like(x[..., :1]), x[..., :-1]], axis=-1)
    above = jnp.concatenate([x[..., 1:], jnp.zeros_like(x[..., :1])], axis=-1)
    lower = lower.at[..., 0].set(0.0)
    upper = upper.at[..., -1].set(0.0)
    return lower * below + diag * x + upper * above


def transpose_bands(lower: Bands, diag: Bands, upper: Bands) -> tuple[Bands, Bands, Bands]:
    """Bands of A^T: lower_T[i] = upper[i-1], upper_T[i] = lower[i+1]."""
    pad = jnp.zeros_like(lower[..., :1])
    lower_t = jnp.concatenate([pad, upper[..., :-1]], axis=-1)
    upper_t = jnp.concatenate([lower[..., 1:], pad], axis=-1)
    return lower_t, diag, upper_t


class AbstractTridiagonalSolver(eqx.Module):
    """Solves a batch of tridiagonal systems; differentiable in all four arguments."""

    @abc.abstractmethod
    def __call__(self, lower: Bands, diag: Bands, upper: Bands, rhs: Bands) -> Bands:
        """x with A x = rhs, shaped like rhs."""


class ThomasSolver(AbstractTridiagonalSolver):
    """Vectorised Thomas algorithm with a one-solve adjoint (`lax.custom_linear_solve`).

    Attributes:
        unroll: `lax.scan` unroll factor over depth (helps on GPU, not on CPU).
    """

    unroll: int = eqx.field(static=True, default=1)

    def __call__(self, lower, diag, upper, rhs):
        lower, diag, upper, rhs = _broadcast(lower, diag, upper, rhs)
        transposed = transpose_bands(lower, diag, upper)
        return lax.custom_linear_solve(
            lambda x: tridiagonal_matvec(lower, diag, upper, x),
            rhs,
            solve=lambda _, b: thomas_scan(lower, diag, upper, b, self.unroll),
            transpose_solve=lambda _, b: thomas_scan(*transposed, b, self.unroll),
        )


class PlainThomasSolver(AbstractTridiagonalSolver):
    """`thomas_scan` differentiated through its scans by JAX (slower adjoint; for comparison)."""

    unroll: int = eqx.field(static=True, default=1)

    def __call__(self, lower, diag, upper, rhs):
        return thomas_scan(*_broadcast(lower, diag, upper, rhs), self.unroll)


class LapackSolver(AbstractTridiagonalSolver):
    """`jax.lax.linalg.tridiagonal_solve` (LAPACK gtsv on CPU) with JAX's derivative rule."""

    def __call__(self, lower, diag, upper, rhs):
        lower, diag, upper, rhs = _broadcast(lower, diag, upper, rhs)
        lower = lower.at[..., 0].set(0.0)
        upper = upper.at[..., -1].set(0.0)
        x = lax.linalg.tridiagonal_solve(lower, diag, upper, rhs[..., None])
        return x[..., 0]


def default_solver() -> AbstractTridiagonalSolver:
    """The fastest implementation on this platform, as measured by benchmarks/tridiagonal.py.

    CPU (jax 0.12, float64, 2 cores; benchmarks/tridiagonal.md): the vectorised Thomas scan with
    its one-solve adjoint beats LAPACK gtsv by 1.3-3x forward and in reverse mode, and unrolling
    its scans by 4 saves another 10-20 % (a loop iteration costs more than its arithmetic). On
    GPU (not measured here) the many small sequential iterations favour a longer unroll.
    """
    if jax.default_backend() == "gpu":
        return ThomasSolver(unroll=64)
    return ThomasSolver(unroll=4)


def solve_tridiagonal(lower, diag, upper, rhs, solver: AbstractTridiagonalSolver | None = None):
    """Solve A x = rhs for a batch of tridiagonal systems (see the module docstring)."""
    return (solver or default_solver())(lower, diag, upper, rhs)


def implicit_diffusion(
    phi: Float[Array, "*batch nz"],
    kappa: Float[Array, "*batch nface"],
    surface_flux: Float[Array, "*batch"],
    grid: Grid,
    dt: float,
    *,
    sources: Float[Array, "*batch nz"] | None = None,
    bottom_flux: Float[Array, "*batch"] | None = None,
    bottom_drag: Float[Array, "*batch"] | None = None,
    solver: AbstractTridiagonalSolver | None = None,
    nonlocal_flux: Float[Array, "*batch nface"] | None = None,
) -> Float[Array, "*batch nz"]:
    """One backward-Euler step of d(phi)/dt = d/dz(kappa d(phi)/dz) + sources / dz.

    Args:
        phi: values at the cell centres, bottom first.
        kappa: diffusivity at the nz + 1 faces (the boundary faces are not used).
        surface_flux: flux into the ocean through the surface (phi-units m s-1).
        sources: amount entering each cell per unit area and time (phi-units m s-1), e.g. the
            absorbed shortwave; divided by the cell thickness here.
        bottom_flux: flux into the column through the sea floor (default 0).
        bottom_drag: linear drag coefficient r (m s-1) of the bottom cell, treated implicitly:
            the bottom flux gains -r * phi[0] at the new time level.
        nonlocal_flux: an explicit flux through each face, positive downward (phi-units m s-1;
            the boundary faces are not used), e.g. the non-local transport of KPP: each cell
            gains (F_above - F_below) / dz.

    Without drag, sum(phi * dz) changes by exactly dt * (surface_flux + bottom_flux + sum(sources))
    (the non-local flux only moves phi between cells).
    """
    dt_over_dz = jnp.broadcast_to(dt / grid.dz, phi.shape)
    inner_kappa = kappa[..., 1:-1]
    coupling = inner_kappa / jnp.broadcast_to(grid.dz_faces[1:-1], inner_kappa.shape)  # (..., nz - 1)
    zero = jnp.zeros_like(coupling[..., :1])
    below = jnp.concatenate([zero, coupling], axis=-1)  # coefficient of the face under each cell
    above = jnp.concatenate([coupling, zero], axis=-1)  # coefficient of the face over each cell
    lower = -dt_over_dz * below
    upper = -dt_over_dz * above
    diag = 1.0 + dt_over_dz * (below + above)
    rhs = phi
    rhs = rhs.at[..., -1].add(dt_over_dz[..., -1] * surface_flux)
    if bottom_flux is not None:
        rhs = rhs.at[..., 0].add(dt_over_dz[..., 0] * bottom_flux)
    if bottom_drag is not None:
        diag = diag.at[..., 0].add(dt_over_dz[..., 0] * bottom_drag)
    if sources is not None:
        rhs = rhs + dt_over_dz * sources
    if nonlocal_flux is not None:
        inner = nonlocal_flux[..., 1:-1]
        zero_flux = jnp.zeros_like(inner[..., :1])
        rhs = rhs + dt_over_dz * (jnp.concatenate([inner, zero_flux], -1) - jnp.concatenate([zero_flux, inner], -1))
    return solve_tridiagonal(lower, diag, upper, rhs, solver)
