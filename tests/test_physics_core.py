"""Discretisation, conservation and rotation of the column model (constant diffusivity)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from calib.core.closures.constant import ConstantDiffusivity
from calib.core.forcing import Forcing, ShortwaveAbsorption, heat_flux_to_kinematic
from calib.core.integrate import simulate
from calib.core.model import ExactRotation, SemiImplicitRotation
from calib.core.state import State
from tests.helpers import EOS, make_model

KAPPA = 1e-2  # m2 s-1
DEPTH = 100.0  # m


def cosine_error(nz: int, dt: float, duration: float) -> float:
    """Max error of the decaying cosine mode cos(pi z / H) against exp(-kappa (pi/H)² t)."""
    model = make_model(
        nz=nz, depth=DEPTH, dt=dt, closure=ConstantDiffusivity(viscosity=KAPPA, diffusivity=KAPPA)
    )
    z = model.grid.z_centers
    mode = jnp.cos(jnp.pi * z / DEPTH)
    state = State(u=jnp.zeros(nz), v=jnp.zeros(nz), T=10.0 + mode, S=35.0 + mode)
    steps = round(duration / dt)
    trajectory = jax.jit(lambda m, s: simulate(m, s, 1, steps, checkpoint="none"))(model, state)
    exact = 10.0 + mode * np.exp(-KAPPA * (np.pi / DEPTH) ** 2 * duration)
    return float(jnp.max(jnp.abs(trajectory.state.T[-1] - exact)))


def observed_order(errors, refinement=2.0):
    return np.log(np.asarray(errors[:-1]) / np.asarray(errors[1:])) / np.log(refinement)


def test_cosine_mode_converges_first_order_in_time():
    errors = [cosine_error(nz=200, dt=dt, duration=20_000.0) for dt in (1000.0, 500.0, 250.0)]
    order = observed_order(errors)
    assert np.all(np.abs(order - 1.0) < 0.1), (errors, order)


def test_cosine_mode_converges_second_order_in_space():
    errors = [cosine_error(nz=nz, dt=2.0, duration=20_000.0) for nz in (10, 20, 40)]
    order = observed_order(errors)
    assert np.all(np.abs(order - 2.0) < 0.15), (errors, order)


def heat_content(model, T):
    return T @ model.grid.dz


@pytest.mark.parametrize("shortwave", [0.0, 300.0])
def test_heat_content_changes_by_exactly_the_surface_flux(shortwave):
    heat_flux = -250.0  # W m-2, cooling
    forcing = Forcing.constant(heat_flux=heat_flux, shortwave=shortwave, wind_stress_x=0.1)
    model = make_model(nz=30, depth=60.0, dt=300.0, forcing=forcing)
    state = State(u=jnp.zeros(30), v=jnp.zeros(30), T=jnp.full(30, 12.0), S=jnp.full(30, 35.0))
    trajectory = simulate(model, state, 6, 20)
    gained = heat_content(model, trajectory.state.T) - heat_content(model, trajectory.state.T[0])
    expected = heat_flux_to_kinematic(heat_flux + shortwave, EOS.rho0) * trajectory.time
    # exact up to round-off of the 720 K m heat content (~1e-13 relative)
    np.testing.assert_allclose(gained, expected, rtol=1e-10, atol=1e-10)


def test_momentum_content_changes_by_the_wind_stress():
    stress = 0.2  # Pa, toward +x
    model = make_model(nz=30, forcing=Forcing.constant(wind_stress_x=stress))
    state = State(u=jnp.zeros(30), v=jnp.zeros(30), T=jnp.full(30, 12.0), S=jnp.full(30, 35.0))
    trajectory = simulate(model, state, 4, 10)
    transport = trajectory.state.u @ model.grid.dz
    np.testing.assert_allclose(transport, stress / EOS.rho0 * trajectory.time, rtol=1e-11, atol=1e-14)
    assert float(trajectory.state.u[-1, -1]) > 0  # the current follows the stress


@pytest.mark.parametrize("water_type", ["I", "IA", "IB", "II", "III"])
def test_shortwave_absorption_integrates_to_the_surface_flux(water_type):
    model = make_model(nz=40, depth=80.0)
    absorbed = ShortwaveAbsorption.jerlov(water_type).heating(model.grid)
    np.testing.assert_allclose(jnp.sum(absorbed), 1.0, rtol=1e-14)
    assert bool(jnp.all(absorbed >= 0.0))
    assert float(absorbed[-1]) > float(absorbed[-2]) > float(absorbed[0])  # most light near the top


def test_shortwave_penetration_matches_two_band_formula():
    model = make_model(nz=50, depth=50.0)
    water = ShortwaveAbsorption.jerlov("IB")
    absorbed = water.heating(model.grid)
    # light remaining below the top 10 m = A e^(-10/zeta1) + (1-A) e^(-10/zeta2)
    below_10m = float(jnp.sum(absorbed[model.grid.z_centers < -10.0]))
    expected = 0.67 * np.exp(-10.0 / 1.0) + 0.33 * np.exp(-10.0 / 17.0)
    np.testing.assert_allclose(below_10m, expected, rtol=1e-12)


def test_freshwater_flux_freshens_and_conserves_salt_budget():
    pme = 1e-6  # m s-1 of rain (8.6 cm per day)
    model = make_model(nz=20, forcing=Forcing.constant(freshwater_flux=pme))
    state = State(u=jnp.zeros(20), v=jnp.zeros(20), T=jnp.full(20, 12.0), S=jnp.full(20, 35.0))
    trajectory = simulate(model, state, 30, 1)
    salt = trajectory.state.S @ model.grid.dz
    assert float(trajectory.state.S[-1, -1]) < 35.0
    # virtual salt flux -S_surface (P - E), S_surface taken at the start of each step
    expected = -pme * model.dt * jnp.concatenate([jnp.zeros(1), jnp.cumsum(trajectory.state.S[:-1, -1])])
    np.testing.assert_allclose(salt - salt[0], expected, rtol=1e-10, atol=1e-10)  # 1750 psu m content


@pytest.mark.parametrize("rotation", [ExactRotation(), SemiImplicitRotation()], ids=repr)
def test_inertial_rotation_conserves_kinetic_energy(rotation):
    f = 1e-4
    model = make_model(
        nz=10,
        dt=600.0,
        forcing=Forcing.constant(coriolis=f),
        rotation=rotation,
        closure=ConstantDiffusivity(viscosity=1e-7, diffusivity=1e-7),
    )
    state = State(u=jnp.full(10, 0.3), v=jnp.full(10, -0.1), T=jnp.full(10, 12.0), S=jnp.full(10, 35.0))
    trajectory = simulate(model, state, 50, 10)
    speed2 = trajectory.state.u**2 + trajectory.state.v**2
    np.testing.assert_allclose(speed2, 0.1, rtol=1e-12)


def test_exact_rotation_has_the_inertial_period():
    f = 1e-4
    period = 2 * np.pi / f
    model = make_model(nz=4, dt=period / 200, forcing=Forcing.constant(coriolis=f))
    state = State(u=jnp.full(4, 1.0), v=jnp.zeros(4), T=jnp.full(4, 12.0), S=jnp.full(4, 35.0))
    trajectory = simulate(model, state, 4, 50)  # quarter periods
    # Northern hemisphere: the current turns clockwise, +x -> -y after a quarter period
    np.testing.assert_allclose(trajectory.state.v[1], -1.0, atol=1e-12)
    np.testing.assert_allclose(trajectory.state.u[4], 1.0, atol=1e-12)


def test_bottom_drag_slows_the_current():
    model = make_model(
        nz=10,
        depth=20.0,
        bottom_drag_coefficient=2.5e-3,
        closure=ConstantDiffusivity(viscosity=1e-2, diffusivity=1e-5),
    )
    state = State(u=jnp.full(10, 0.5), v=jnp.zeros(10), T=jnp.full(10, 12.0), S=jnp.full(10, 35.0))
    trajectory = simulate(model, state, 5, 12)
    transport = trajectory.state.u @ model.grid.dz
    assert bool(jnp.all(jnp.diff(transport) < 0.0))
    # first step: the bottom stress C_d u|u| acts on the bottom cell
    one = simulate(model, state, 1, 1)
    lost = transport[0] - one.state.u[-1] @ model.grid.dz
    np.testing.assert_allclose(lost, model.dt * 2.5e-3 * 0.5 * float(one.state.u[-1, 0]), rtol=1e-12)


def test_stable_without_closure_mixing_keeps_state_still():
    model = make_model(nz=8)
    state = State(u=jnp.zeros(8), v=jnp.zeros(8), T=jnp.full(8, 5.0), S=jnp.full(8, 33.0))
    trajectory = eqx.filter_jit(simulate)(model, state, 2, 5)
    np.testing.assert_allclose(trajectory.state.T, 5.0, rtol=0, atol=1e-13)
