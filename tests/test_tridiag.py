"""Tridiagonal solvers against dense solves; their derivatives against central differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from calib.core.tridiag import (
    LapackSolver,
    ThomasSolver,
    solve_tridiagonal,
    transpose_bands,
    tridiagonal_matvec,
)

SOLVERS = [ThomasSolver(), ThomasSolver(unroll=4), LapackSolver()]


def random_system(seed=0, batch=(3,), n=7):
    rng = np.random.default_rng(seed)
    lower = rng.uniform(-1, 0, batch + (n,))
    upper = rng.uniform(-1, 0, batch + (n,))
    diag = 2.5 + rng.uniform(0, 1, batch + (n,))  # diagonally dominant, like diffusion
    rhs = rng.normal(size=batch + (n,))
    return tuple(jnp.asarray(a) for a in (lower, diag, upper, rhs))


def dense(lower, diag, upper):
    n = diag.shape[-1]
    return jnp.diag(diag) + jnp.diag(lower[1:], -1) + jnp.diag(upper[:-1], 1) + 0.0 * jnp.eye(n)


@pytest.mark.parametrize("solver", SOLVERS, ids=repr)
def test_matches_dense_solve(solver):
    lower, diag, upper, rhs = random_system()
    x = solver(lower, diag, upper, rhs)
    for i in range(rhs.shape[0]):
        expected = jnp.linalg.solve(dense(lower[i], diag[i], upper[i]), rhs[i])
        np.testing.assert_allclose(x[i], expected, rtol=1e-12, atol=1e-12)


def test_matvec_and_transpose_are_consistent():
    lower, diag, upper, rhs = random_system(batch=())
    A = dense(lower, diag, upper)
    np.testing.assert_allclose(tridiagonal_matvec(lower, diag, upper, rhs), A @ rhs, rtol=1e-13)
    np.testing.assert_allclose(dense(*transpose_bands(lower, diag, upper)), A.T, rtol=1e-13)


def test_shared_matrix_broadcasts_over_right_hand_sides():
    lower, diag, upper, _ = random_system(batch=())
    rhs = random_system(seed=1, batch=(4,))[3]
    x = solve_tridiagonal(lower, diag, upper, rhs, ThomasSolver())
    np.testing.assert_allclose(tridiagonal_matvec(lower, diag, upper, x), rhs, rtol=1e-12)


@pytest.mark.parametrize("solver", SOLVERS, ids=repr)
@pytest.mark.parametrize("argnum", [0, 1, 2, 3])
def test_gradient_matches_central_differences(solver, argnum):
    args = random_system(seed=2)
    weights = jnp.asarray(np.random.default_rng(3).normal(size=args[3].shape))

    def loss(*a):
        return jnp.sum(weights * solver(*a) ** 2)

    grad = jax.grad(loss, argnums=argnum)(*args)
    tangent = jnp.asarray(np.random.default_rng(4).normal(size=args[argnum].shape))
    if argnum == 0:
        tangent = tangent.at[..., 0].set(0.0)  # ignored corner
    if argnum == 2:
        tangent = tangent.at[..., -1].set(0.0)
    h = 1e-6

    def shifted(sign):
        a = list(args)
        a[argnum] = a[argnum] + sign * h * tangent
        return loss(*a)

    finite_difference = (shifted(1) - shifted(-1)) / (2 * h)
    np.testing.assert_allclose(jnp.sum(grad * tangent), finite_difference, rtol=1e-7)
    forward = jax.jvp(
        lambda a: loss(*[a if i == argnum else x for i, x in enumerate(args)]), (args[argnum],), (tangent,)
    )[1]
    np.testing.assert_allclose(forward, finite_difference, rtol=1e-7)
