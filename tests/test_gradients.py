"""Gradient modes and checkpoint schemes: they agree, and `recursive` keeps memory small."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from calib.core import integrate
from calib.core.integrate import CHECKPOINT_SCHEMES, block_sizes, nested_scan, plan
from calib.perf import gradcheck

PARAMS = ("nu0", "alpha", "background_viscosity", "background_diffusivity")


def small_problem(n_steps=39, steps_per_save=3, nz=8):
    """A quickly compiled column: Pacanowski-Philander, 13 saves of 3 steps of 5 min."""
    return gradcheck.kato_phillips(
        nz, n_steps, closure="pacanowski_philander", dt=300.0, steps_per_save=steps_per_save, names=PARAMS
    )


@pytest.fixture(scope="module")
def problem():
    return small_problem()


@pytest.fixture(scope="module")
def observed(problem):
    return gradcheck.targets(problem)


def gradient(problem, observed, mode, scheme="none"):
    function = jax.jit(gradcheck.gradient_function(problem, mode, scheme))
    value, grad = function(jnp.asarray(problem.point), observed)
    return float(value), np.asarray(grad)


@pytest.fixture(scope="module")
def reference(problem, observed):
    return gradient(problem, observed, "reverse", "none")


@pytest.mark.parametrize("scheme", CHECKPOINT_SCHEMES)
def test_every_checkpoint_scheme_gives_the_same_gradient(problem, observed, reference, scheme, monkeypatch):
    monkeypatch.setattr(integrate, "RECURSIVE_BLOCK", 3)  # 13 saves: nested blocks and leftovers
    value, grad = gradient(problem, observed, "reverse", scheme)
    np.testing.assert_allclose(value, reference[0], rtol=1e-12)
    np.testing.assert_allclose(grad, reference[1], rtol=1e-9)


def test_forward_mode_gives_the_same_gradient(problem, observed, reference):
    value, grad = gradient(problem, observed, "jacfwd", "recursive")
    np.testing.assert_allclose(value, reference[0], rtol=1e-12)
    np.testing.assert_allclose(grad, reference[1], rtol=1e-9)


def test_central_differences_agree(problem, observed, reference):
    value, grad = gradient(problem, observed, "fd")
    np.testing.assert_allclose(value, reference[0], rtol=1e-12)
    np.testing.assert_allclose(grad, reference[1], rtol=1e-5)
    assert np.all(np.abs(reference[1]) > 0), "every parameter should matter in this test"


def test_relative_differences_are_per_parameter():
    gradients = {"reverse": np.array([1.0, 0.0]), "fd": np.array([1.1, 0.0])}
    differences = gradcheck.relative_differences(gradients)
    np.testing.assert_allclose(differences["fd"], [0.1 / 1.1, 0.0])


def compiled_temp_bytes(n_saves, scheme):
    problem = small_problem(n_steps=n_saves, steps_per_save=1, nz=4)
    shape = jax.ShapeDtypeStruct((n_saves, 4), jnp.float64)
    function = jax.jit(gradcheck.gradient_function(problem, "reverse", scheme))
    compiled = function.lower(jnp.asarray(problem.point), (shape,) * 3).compile()
    return compiled.memory_analysis().temp_size_in_bytes


def test_recursive_memory_grows_less_than_twofold_for_ten_times_more_steps():
    """Memory only (compile, no run): 1000 -> 10 000 steps on a 4-level column."""
    small, large = compiled_temp_bytes(1000, "recursive"), compiled_temp_bytes(10_000, "recursive")
    assert large < 2 * small, (small, large)
    assert compiled_temp_bytes(1000, "nested") > 3 * small  # one carry per save grows linearly


@pytest.mark.parametrize("length", [1, 5, 16, 17, 64, 101])
@pytest.mark.parametrize("blocks", [(), (4,), (3, 2), (4, 4, 4)])
def test_nested_scan_is_a_scan(length, blocks):
    xs = {"a": jnp.arange(length, dtype=float), "b": jnp.ones((length, 2))}

    def body(carry, x):
        carry = 0.9 * carry + x["a"] + jnp.sum(x["b"])
        return carry, (carry, 2.0 * x["a"])

    expected = lax.scan(body, jnp.asarray(1.0), xs)
    got = nested_scan(body, jnp.asarray(1.0), xs, length, blocks)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-14), got, expected)


def test_accumulated_records_equal_the_sum_of_stacked_ones(problem, observed):
    model = gradcheck.with_values(problem, jnp.asarray(problem.point))
    carry = integrate.initial_carry(model, problem.initial)
    record = lambda c, x: jnp.sum((c.state.T - x[2]) ** 2)  # noqa: E731
    args = (model, carry, problem.n_saves, problem.steps_per_save, record, observed)
    _, stacked = integrate.scan_saves(*args, checkpoint="recursive")
    _, total = integrate.scan_saves(*args, checkpoint="recursive", accumulate=True)
    assert stacked.shape == (problem.n_saves,)
    np.testing.assert_allclose(total, jnp.sum(stacked), rtol=1e-13)


@pytest.mark.parametrize("count", [1, 63, 64, 65, 4096, 4097, 1_000_000])
def test_block_sizes_bound_every_level(count):
    blocks = block_sizes(count, 64)
    assert all(b == 64 for b in blocks)
    assert count <= 64 ** (len(blocks) + 1)
    assert len(blocks) == 0 or count > 64 ** len(blocks)


def test_cost_model_of_the_schemes():
    assert plan(1600, 10, "none").cost() == dict(carries=0, kept_steps=16_000, forward_sweeps=1)
    assert plan(1600, 10, "step").cost() == dict(carries=16_000, kept_steps=1, forward_sweeps=2)
    assert plan(1600, 10, "nested").cost() == dict(carries=1600, kept_steps=10, forward_sweeps=2)
    recursive = plan(100_000, 10, "recursive").cost()
    assert recursive["carries"] <= 3 * 64 and recursive["forward_sweeps"] == 4
