"""Defects found by the review against GOTM and NEMO, each held by a test that failed before the
fix: TKE's enhanced convective diffusion inside its buoyancy production, the Canuto-A limiters,
the Dirichlet surface k of windless convection, the Pacanowski–Philander diffusivity, closures
ignoring the model's solver, shear production that does not conserve energy, the wave-breaking
epsilon flux, and gradients never checked on the convective branch."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from calib.core.closures._stability import CanutoA, EquilibriumLimiter, PoleLimiter
from calib.core.closures._wall import LogLayerMixed, WallConstants, WallGeometry, WaveBreakingFlux
from calib.core.closures.k_epsilon import KEpsilon, OldStateShear
from calib.core.closures.richardson import PacanowskiPhilander
from calib.core.closures.tke import TurbulentKineticEnergy
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import HEAT_CAPACITY, Forcing
from calib.core.grid import Grid
from calib.core.integrate import simulate
from calib.core.model import ColumnModel, initial_carry, step
from calib.core.state import State, make_column
from calib.core.tridiag import ThomasSolver

EOS = LinearEquationOfState(rho0=1027.0, alpha=2e-4, beta=0.0, T0=16.0, S0=35.0)
GRID = Grid.uniform(50.0, 100)


def stratified(N2: float, u: float = 0.0) -> State:
    return State(
        u=jnp.full(GRID.nz, u),
        v=jnp.zeros(GRID.nz),
        T=16.0 + N2 / (EOS.gravity * EOS.alpha) * GRID.z_centers,
        S=jnp.full(GRID.nz, 35.0),
    )


def model(closure, forcing, dt=60.0, **kwargs) -> ColumnModel:
    return ColumnModel(grid=GRID, eos=EOS, forcing=forcing, closure=closure, dt=dt, **kwargs)


COOLING = Forcing.constant(heat_flux=-100.0)


def test_tke_convection_does_not_feed_the_enhanced_diffusivity_back_into_tke():
    """Free convection (-100 W m-2 into N² = 1e-5 s-2), every step saved for 6 h: TKE stays below
    2 w*² (w* = (B0 h)^(1/3) with h = 34 m, the 24 h depth), as NEMO, whose buoyancy production
    uses the closure's own K_rho. With the enhanced 100 m2 s-1 inside B = -K_rho N², e reached
    5.4 w*² at hourly snapshots (7.6e-4 m2 s-2)."""
    B0 = EOS.gravity * EOS.alpha * 100.0 / (EOS.rho0 * HEAT_CAPACITY)
    w_star_squared = (B0 * 34.0) ** (2.0 / 3.0)
    trajectory = eqx.filter_jit(simulate)(model(TurbulentKineticEnergy(), COOLING), stratified(1e-5), 360, 1)
    tke = np.asarray(trajectory.closure_state.tke)[:, 1:-1]
    assert tke.max() < 2.0 * w_star_squared, (tke.max(), w_star_squared)
    # the tracers are still mixed by the enhanced diffusion where the column is unstable
    assert float(np.asarray(trajectory.diffusivities.tracers).max()) > 10.0


def test_canuto_a_limiters_are_gotms_under_the_equilibrium_choice():
    """Umlauf & Burchard (2005) as GOTM applies them: alpha_N >= half the alpha_N of shear-free
    convective equilibrium (-1.53 for Canuto A) and alpha_M <= their eq. (44) (1 / d2 = 34.8 at
    alpha_N = 0); the former limits were -4.18 and about 790. Under the GOTM limits c_mu' at the
    convective floor is 0.17, against 1.1 under the pole limits."""
    gotm = CanutoA(limiter=EquilibriumLimiter())
    assert gotm.limiter.alpha_N_min(gotm) == pytest.approx(-1.528, abs=1e-3)
    assert float(gotm.limiter.alpha_M_max(gotm, jnp.asarray(0.0))) == pytest.approx(34.82, abs=0.01)
    c_mu, c_mu_prime = gotm(jnp.asarray(0.0), jnp.asarray(-100.0))
    assert float(c_mu_prime) == pytest.approx(0.167, abs=0.005)
    poles = CanutoA(limiter=PoleLimiter())
    assert poles.limiter.alpha_N_min(poles) == pytest.approx(-4.18, abs=0.01)
    assert float(poles(jnp.asarray(0.0), jnp.asarray(-100.0))[1]) == pytest.approx(1.11, abs=0.02)
    # the shear cap binds: beyond it c_mu alpha_M (the momentum flux) is constant
    flux = [float(gotm(jnp.asarray(a), jnp.asarray(0.0))[0]) * min(a, 34.82) for a in (40.0, 400.0)]
    assert flux[0] == pytest.approx(flux[1], rel=1e-3)


def test_canuto_a_coefficients_follow_from_the_published_constants():
    """The rational coefficients computed from Canuto's constants (Umlauf & Burchard 2005, A.9-
    A.12) are the tabulated ones (n0 = 0.1067, d1 = 0.2555, d5 = -3.4e-5 ...) and c_mu0 is GOTM's
    0.526464711 (gotm.log of the reference runs; GOTM evaluates their approximation A.22, calib
    the exact root of the rational functions, 3e-8 apart)."""
    canuto = CanutoA()
    assert float(canuto.neutral_cmu0()) == pytest.approx(0.52646471083532442, rel=1e-7)
    tabulated = dict(n0=0.1067, n1=0.01741, n2=-0.00012, nb0=0.1120, nb1=0.004519, nb2=0.00088,
                     d1=0.2555, d2=0.02872, d3=0.008677, d4=0.005222, d5=-0.0000337)  # fmt: skip
    for name, value in tabulated.items():
        assert getattr(canuto, name) == pytest.approx(value, rel=0.01, abs=2e-6), name


def test_windless_convection_keeps_surface_tke():
    """Free convection without wind: with the default flux (Neumann) condition the top face keeps
    the convective TKE (GOTM's default); the Dirichlet log-layer value u*²/c_mu0² = 0 pins it at
    k_min = 1e-10 at the top face."""
    outputs = {}
    for label, closure in (("flux", KEpsilon()), ("dirichlet", KEpsilon(surface=LogLayerMixed()))):
        trajectory = eqx.filter_jit(simulate)(model(closure, COOLING), stratified(1e-5), 24, 60)
        outputs[label] = np.asarray(trajectory.closure_state.k)[-1]
    assert outputs["flux"][-1] > 1e-5 and outputs["dirichlet"][-1] == pytest.approx(1e-10)


def test_pacanowski_philander_diffusivity_is_eq_2_of_pp81():
    """kappa = nu / (1 + alpha Ri) + kappa_b with nu = nu0 / (1 + alpha Ri)^n + nu_b: the
    background viscosity is damped into the diffusivity too (it was left out)."""
    closure = PacanowskiPhilander(background_viscosity=1e-3)
    state = stratified(1e-4, u=0.0)
    state = eqx.tree_at(lambda s: s.u, state, 0.01 * GRID.z_centers)  # S² = 1e-4: Ri = 1 inside
    surface = Forcing.constant().surface_fluxes(jnp.asarray(0), 60.0, state.S[-1], EOS)
    column = make_column(GRID, state, surface, EOS)
    diffusivities, _ = closure(column, None, 60.0)
    damping = 1.0 / (1.0 + closure.alpha * 1.0)
    nu = closure.nu0 * damping**closure.exponent + closure.background_viscosity
    np.testing.assert_allclose(diffusivities.momentum[10:-10], nu, rtol=1e-9)
    np.testing.assert_allclose(diffusivities.tracers[10:-10], nu * damping + closure.background_diffusivity, rtol=1e-9)


class CountingSolver(ThomasSolver):
    """A Thomas solver that counts the systems it is traced with."""

    def __call__(self, lower, diag, upper, rhs):
        CALLS.append(rhs.shape)
        return super().__call__(lower, diag, upper, rhs)


CALLS: list = []


@pytest.mark.parametrize("closure", [KEpsilon(), TurbulentKineticEnergy()], ids=["k_epsilon", "tke"])
def test_closures_solve_with_the_models_solver(closure):
    """One traced step calls the model's solver twice: the closure's face equations and the mean
    flow (the closures used the platform default whatever the model's choice)."""
    CALLS.clear()
    m = model(closure, COOLING, solver=CountingSolver())
    jax.eval_shape(lambda c: step(m, c), initial_carry(m, stratified(1e-5)))
    assert len(CALLS) >= 2 and any(shape[0] != 4 for shape in CALLS), CALLS


def kinetic_energy(state: State) -> float:
    return float(jnp.sum(0.5 * (state.u**2 + state.v**2) * GRID.dz))


@pytest.mark.parametrize("shear", ["energy_conserving", "old_state"])
def test_shear_production_is_the_kinetic_energy_the_mean_flow_loses(shear):
    """Kato–Phillips wind on k-epsilon, no rotation: over each step the mean kinetic energy
    changes by the wind work minus the friction loss, and with the energy-conserving form
    (Burchard 2002) the friction loss is exactly the TKE production of the next step, face by
    face. The old form nu S² of the start of the step misses it by far more than rounding."""
    closure = KEpsilon() if shear == "energy_conserving" else KEpsilon(shear_production=OldStateShear())
    wind = Forcing.constant(wind_stress_x=0.1027)
    m = model(closure, wind)
    carry = initial_carry(m, stratified(1e-4))
    advance = eqx.filter_jit(lambda c: step(m, c))
    for _ in range(30):  # spin up
        carry = advance(carry)
    errors = []
    for _ in range(10):
        new = advance(carry)
        tau = 0.1027 / EOS.rho0
        wind_work = m.dt * tau * 0.5 * float(carry.state.u[-1] + new.state.u[-1])
        loss = wind_work - (kinetic_energy(new.state) - kinetic_energy(carry.state))
        # the production the closure uses at the next step
        column = make_column(GRID, new.state, m.forcing.surface_fluxes(new.step, m.dt, 35.0, EOS), EOS,
                             shear_production=new.shear_production)  # fmt: skip
        production = closure.shear_production(column, new.diffusivities.momentum)
        used = m.dt * float(jnp.sum(production[1:-1] * GRID.dz_faces[1:-1]))
        errors.append(abs(used - loss) / loss)
        carry = new
    if shear == "energy_conserving":
        assert max(errors) < 1e-9, errors
    else:
        assert max(errors) > 1e-3, errors


def test_wave_breaking_epsilon_flux_uses_the_shear_free_stability_function():
    """In the wave-affected layer k = A s^-a, l = L s (shear-free: c_mu = c_mu(0, 0) = 0.107 for
    Canuto A, not c_mu0⁴ = 0.077), the epsilon flux (nu / sigma_eps) |d eps / ds| of the analytic
    profile, differentiated numerically, is what the boundary condition prescribes."""
    closure = KEpsilon(surface=WaveBreakingFlux())
    cmu0 = float(closure.stability.neutral_cmu0())
    c_sf = float(closure.stability(jnp.asarray(0.0), jnp.asarray(0.0))[0])
    constants = WallConstants(cmu0=cmu0, von_karman=0.4, sigma_k=1.0, sigma_epsilon=1.3, c_epsilon2=1.92,
                              k_min=1e-10, epsilon_min=1e-12, c_mu_shear_free=c_sf)  # fmt: skip
    a = float(closure.surface.decay_exponent(constants))
    slope = np.sqrt(2.0 * constants.sigma_k * cmu0**6 / (3.0 * a**2 * c_sf))  # L from the k equation
    s0, A = 1.5, 1e-3
    k = lambda s: A * s**-a  # noqa: E731
    epsilon = lambda s: cmu0**3 * k(s) ** 1.5 / (slope * s)  # noqa: E731
    h = 1e-6
    d_epsilon = (epsilon(s0 + h) - epsilon(s0 - h)) / (2 * h)
    nu = c_sf * k(s0) ** 2 / epsilon(s0)
    analytic = nu / constants.sigma_epsilon * abs(d_epsilon)
    wall = WallGeometry(friction_velocity=0.01, roughness=1.0, centre_distance=s0 - 1.0, k_near=k(s0))
    _, flux = closure.surface(wall, constants)
    assert float(flux.value) == pytest.approx(analytic, rel=1e-6)
    # and the k equation holds: d/ds (nu / sigma_k dk/ds) = epsilon
    flux_k = lambda s: c_sf * k(s) ** 2 / epsilon(s) / constants.sigma_k * (k(s + h) - k(s - h)) / (2 * h)  # noqa: E731
    assert (flux_k(s0 + 1e-3) - flux_k(s0 - 1e-3)) / 2e-3 == pytest.approx(epsilon(s0), rel=1e-4)


def test_steady_richardson_without_a_steady_state_is_refused():
    """Kantha–Clayson's quasi-equilibrium functions have no equilibrium P + B = epsilon at
    Ri = 0.25 (their flux Richardson number levels off near 0.22): deriving c3- from Ri_st = 0.25
    would silently take it from a runaway Newton iteration. Where the equilibrium exists, the
    returned alpha_M solves it."""
    import calib
    from calib.common.errors import ConfigError
    from calib.core.closures._stability import CanutoA, KanthaClaysonQuasiEquilibrium

    kantha_clayson = KanthaClaysonQuasiEquilibrium()
    assert not kantha_clayson.has_steady_state(0.25)
    for stability, richardson in ((kantha_clayson, 0.2), (CanutoA(), 0.25)):
        alpha_M = stability.steady_alpha_M(jnp.asarray(richardson))
        assert abs(float(stability.steady_residual(alpha_M, jnp.asarray(richardson)))) < 1e-9
    text = """
grid: {depth: 50, nz: 10}
time: {dt: 600 s, duration: 1 h, output_interval: 1 h}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35.0}
forcing: {wind_stress_x: 0.1}
closure: {name: k_epsilon, stability: kantha_clayson, stable_buoyancy: steady_richardson}
"""
    with pytest.raises(ConfigError, match="no steady state at Ri_st = 0.25"):
        calib.run(calib.parse_case(text))
