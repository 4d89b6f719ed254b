"""Gradients through `simulate`: central differences, checkpoint schemes, forward mode."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from calib.core.closures.richardson import PacanowskiPhilander
from calib.core.forcing import Forcing
from calib.core.integrate import CHECKPOINT_SCHEMES, block_sizes, simulate
from tests.helpers import make_model, stratified_state

N_SAVES, STEPS_PER_SAVE = 6, 4


def setup():
    forcing = Forcing.constant(wind_stress_x=0.1, heat_flux=-80.0, coriolis=1e-4)
    model = make_model(nz=24, depth=40.0, dt=120.0, forcing=forcing, closure=PacanowskiPhilander())
    return model, stratified_state(model.grid, N2=2e-5)


def loss_of(closure, model, state, checkpoint):
    model = eqx.tree_at(lambda m: m.closure, model, closure)
    trajectory = simulate(model, state, N_SAVES, STEPS_PER_SAVE, checkpoint=checkpoint)
    return jnp.mean((trajectory.state.T - 15.0) ** 2) + jnp.mean(trajectory.state.u**2)


@pytest.fixture(scope="module")
def reverse_gradients():
    model, state = setup()
    return {
        scheme: eqx.filter_jit(eqx.filter_grad(loss_of))(model.closure, model, state, scheme)
        for scheme in CHECKPOINT_SCHEMES
    }


def test_every_checkpoint_scheme_gives_the_same_gradient(reverse_gradients):
    reference = reverse_gradients["none"]
    for scheme, grads in reverse_gradients.items():
        for name in ("nu0", "alpha", "exponent", "background_viscosity", "convective_diffusivity"):
            np.testing.assert_allclose(
                getattr(grads, name), getattr(reference, name), rtol=1e-9, err_msg=scheme
            )


@pytest.mark.parametrize("name", ["nu0", "alpha", "exponent", "background_diffusivity"])
def test_gradient_matches_central_differences(reverse_gradients, name):
    model, state = setup()
    value = float(getattr(model.closure, name))
    step = 1e-2 * value  # large step for round-off; Richardson extrapolation for truncation

    def loss_at(x):
        closure = eqx.tree_at(lambda c: getattr(c, name), model.closure, jnp.asarray(x))
        return float(loss_of(closure, model, state, "none"))

    def central(h):
        return (loss_at(value + h) - loss_at(value - h)) / (2 * h)

    central = (4 * central(step / 2) - central(step)) / 3  # error O(step**4)
    np.testing.assert_allclose(getattr(reverse_gradients["nested"], name), central, rtol=1e-5)


def test_forward_mode_matches_reverse_mode(reverse_gradients):
    model, state = setup()
    nu0 = model.closure.nu0

    def loss_nu0(x):
        return loss_of(eqx.tree_at(lambda c: c.nu0, model.closure, x), model, state, "nested")

    np.testing.assert_allclose(jax.jacfwd(loss_nu0)(nu0), reverse_gradients["nested"].nu0, rtol=1e-10)


def test_trajectory_records_initial_state_and_times():
    model, state = setup()
    trajectory = simulate(model, state, N_SAVES, STEPS_PER_SAVE)
    assert trajectory.state.T.shape == (N_SAVES + 1, model.grid.nz)
    assert trajectory.diffusivities.momentum.shape == (N_SAVES + 1, model.grid.nz + 1)
    np.testing.assert_array_equal(trajectory.state.T[0], state.T)
    np.testing.assert_allclose(trajectory.time, np.arange(N_SAVES + 1) * STEPS_PER_SAVE * model.dt)


def test_unknown_checkpoint_scheme_is_rejected():
    model, state = setup()
    with pytest.raises(ValueError, match="unknown checkpoint scheme"):
        simulate(model, state, 2, 2, checkpoint="binomial")


@pytest.mark.parametrize("n", [1, 7, 64, 1000, 2880, 1_000_000])
def test_recursive_blocks_keep_every_level_small(n):
    blocks = block_sizes(n, 16)
    assert all(2 <= b <= 16 for b in blocks) and n // int(np.prod(blocks)) <= 16
