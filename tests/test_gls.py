"""The generic-length-scale closures (Umlauf & Burchard 2003): k-epsilon as a member, the
law-of-the-wall psi flux, wind-driven entrainment (Price 1979) and free convection (Deardorff
et al. 1980) for every member, and gradients against central differences.

Depths measured with the published constants (u* = 1 cm/s into N² = 1e-4 s-2, 24 h; -100 W m-2
into N² = 1e-5 s-2, depth at 6/12/18/24 h against 1.67 (B0 t)^(1/2) / N = 17.0/24.0/29.4/34.0 m):

| closure | Kato–Phillips (Price 30.9 m) | free convection (m)   |
|---------|------------------------------|-----------------------|
| k_omega | 30.5 m                       | 14.5, 22, 27.5, 32    |
| k_kl    | 29.0 m                       | 13.5, 20.5, 25.5, 30  |
| gls_gen | 31.0 m                       | 15.5, 23, 29, 34      |
| gls     | 31.0 m                       | 15, 22.5, 28.5, 33    |

k-kl's free convection is 21 % too shallow at 6 h and 12 % at 24 h (`ENTRAINMENT` below).
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest
from conftest_paths import ROOT

from calib.core.closures import CLOSURES
from calib.core.closures._gls_wall import PsiWallConstants, log_layer_psi, log_layer_psi_flux
from calib.core.closures._wall import LogLayerFlux, WallConstants, WallGeometry
from calib.core.closures.gls import (
    GenericLengthScale,
    GenericModel,
    KKl,
    KOmega,
    LogLayerPsiSchmidt,
    NearestWallFunction,
    ParameterPsiBuoyancy,
)
from calib.core.closures.k_epsilon import KEpsilon
from calib.core.forcing import HEAT_CAPACITY, Forcing
from calib.core.integrate import simulate
from tests.test_closures import (
    CONVECTIVE,
    FORCED,
    finite_difference,
    get,
    initial_state,
    loss_of_run,
    model_for,
    param_paths,
    value_and_grad_of_run,
)
from tests.test_turbulence_physics import EOS, convective_layer_depth, mixed_layer_depth, run_hourly

MEMBERS = {"k_omega": KOmega, "k_kl": KKl, "gls_gen": GenericModel, "gls": GenericLengthScale}


def k_epsilon_as_gls() -> GenericLengthScale:
    """psi = epsilon with KEpsilon()'s coefficients and choices (sigma from the log layer, c3- given)."""
    return GenericLengthScale(
        p=3.0, m=1.5, n=-1.0, c_psi1=1.44, c_psi2=1.92, c_psi3_stable=-0.63, c_psi3_unstable=1.0, sigma_k=1.0,
        schmidt_psi=LogLayerPsiSchmidt(), stable_buoyancy=ParameterPsiBuoyancy(),
    )  # fmt: skip


def test_registered_under_their_names():
    for name, cls in MEMBERS.items():
        assert CLOSURES[name] is cls


def test_k_epsilon_is_a_member():
    """The psi path (psi built from k and epsilon by powers, solved, epsilon recovered, the
    general psi flux at the walls) with p = 3, m = 3/2, n = -1 reproduces KEpsilon over 3 h of
    wind, cooling and stratification to round-off."""
    run = eqx.filter_jit(lambda closure: simulate(model_for(closure), initial_state(), 3, 12))
    reference, generic = run(KEpsilon()), run(k_epsilon_as_gls())
    for name in ("T", "u", "v"):
        expected, got = getattr(reference.state, name), getattr(generic.state, name)
        change = float(jnp.max(jnp.abs(expected - expected[:1])))
        assert change > 1e-3  # the run does something
        assert float(jnp.max(jnp.abs(got - expected))) <= 1e-10 * change, name
    for name in ("k", "epsilon"):
        expected, got = getattr(reference.closure_state, name), getattr(generic.closure_state, name)
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-10)


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_psi_flux_is_the_log_layer_flux(name):
    """-(nu / sigma_psi) dpsi/dz of the analytic log layer psi = c_mu0^p k^m (kappa s)^n, nu =
    kappa u* s (k = u*² / c_mu0²), by a central difference in s; for k-epsilon it is
    LogLayerFlux's epsilon flux u*⁴ / (sigma s)."""
    closure = MEMBERS[name]()
    cmu0, kappa, sigma, u_star = 0.53, 0.4, 1.3, 0.01
    k = u_star**2 / cmu0**2
    constants = PsiWallConstants(cmu0, kappa, sigma, 1e-10, closure.p, closure.m, closure.n)
    wall = WallGeometry(u_star, 0.02, 0.25, k)
    s, h = 0.27, 1e-6
    slope = (log_layer_psi(constants, k, s + h) - log_layer_psi(constants, k, s - h)) / (2 * h)
    expected = -kappa * u_star * s / sigma * slope  # into the column: down the gradient of psi(s)
    boundary = log_layer_psi_flux(wall, constants)
    if closure.n < 0:
        assert float(boundary.value) == pytest.approx(float(expected), rel=1e-8)
    else:  # outflow = rate * psi at the first interior face (distance 2 d + z0)
        outflow = boundary.rate * log_layer_psi(constants, k, 2 * 0.25 + 0.02)
        assert float(-outflow) == pytest.approx(float(expected), rel=1e-8)
    if name == "gls":
        epsilon_constants = WallConstants(cmu0, kappa, 1.0, sigma, 1.92, 1e-10, 1e-12, 0.1)
        _, epsilon_flux = LogLayerFlux()(wall, epsilon_constants)
        assert float(boundary.value) == pytest.approx(u_star**4 / (sigma * s), rel=1e-8)
        assert float(boundary.value) == pytest.approx(float(epsilon_flux.value), rel=1e-8)


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_epsilon_and_psi_are_inverse(name):
    closure = MEMBERS[name]()
    k, epsilon, cmu0 = jnp.array([1e-10, 1e-6, 3e-4]), jnp.array([1e-12, 1e-9, 2e-7]), jnp.asarray(0.53)
    psi = closure.psi_of(k, epsilon, cmu0)
    np.testing.assert_allclose(np.asarray(closure.epsilon_of(k, psi, cmu0)), np.asarray(epsilon), rtol=1e-12)
    if name == "k_omega":  # omega = epsilon / (c_mu0⁴ k)
        np.testing.assert_allclose(np.asarray(psi), np.asarray(epsilon / (cmu0**4 * k)), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_kato_phillips_mixed_layer_depth(name):
    """Price (1979): h = 1.05 u* t^(1/2) N^(-1/2) = 30.9 m after 24 h (u* = 1 cm/s, N² = 1e-4
    s-2), within 10 %, with each member's published constants."""
    u_star, N2 = 0.01, 1e-4
    trajectory = run_hourly(MEMBERS[name](), Forcing.constant(wind_stress_x=EOS.rho0 * u_star**2), N2)
    depth = mixed_layer_depth(trajectory.state.T[-1])
    assert depth == pytest.approx(1.05 * u_star * 86400.0**0.5 * N2**-0.25, rel=0.10)


# tolerance on 1.67 (B0 t)^(1/2) / N: 15 %, except k-kl (measured -21 % at 6 h, -12 % at 24 h with
# its published constants and c_psi3+ = 1.5; -24 % / -13 % with Warner et al.'s 1.0)
ENTRAINMENT = {"k_omega": 0.15, "k_kl": 0.25, "gls_gen": 0.15, "gls": 0.15}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_free_convection_deepens_like_deardorff(name):
    """-100 W m-2 into N² = 1e-5 s-2: h = 1.67 (B0 t)^(1/2) / N (entrainment ratio 0.2) at 6, 12,
    18 and 24 h (tests/test_turbulence_physics.py)."""
    heat_flux, N2 = -100.0, 1e-5
    B0 = EOS.gravity * EOS.alpha * -heat_flux / (EOS.rho0 * HEAT_CAPACITY)
    trajectory = run_hourly(MEMBERS[name](), Forcing.constant(heat_flux=heat_flux), N2)
    hours = np.array([6, 12, 18, 24])
    depth = convective_layer_depth(np.asarray(trajectory.state.T)[hours - 1], N2)
    deardorff = 1.67 * np.sqrt(B0 * hours * 3600.0) / np.sqrt(N2)
    np.testing.assert_allclose(depth, deardorff, rtol=ENTRAINMENT[name])


def gradient_case(name):
    """Each member at its defaults; k-omega's c_psi3+ (0 by default) at 0.1 so that a relative
    finite-difference step exists."""
    closure = MEMBERS[name]()
    if name == "k_omega":
        closure = eqx.tree_at(lambda c: c.c_psi3_unstable, closure, jnp.asarray(0.1))
    return closure


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_gradient_matches_central_differences(name):
    """Every parameter (nested ones included) in the wind-mixed, cooled, stable case of
    tests/test_closures.py, 1e-5 relative (a parameter without effect: a tiny gradient)."""
    closure = gradient_case(name)
    loss, gradient = value_and_grad_of_run(closure, initial_state(), FORCED)
    for path in param_paths(closure):
        value = float(get(closure, path))
        scaled_gradient = value * float(get(gradient, path))
        scaled_difference = value * finite_difference(loss_of_run, closure, path)
        tolerance = 1e-5 * abs(scaled_difference) + 1e-9 * float(loss)
        assert abs(scaled_gradient - scaled_difference) <= tolerance, (
            path,
            scaled_gradient,
            scaled_difference,
        )


def convective_parameters(closure) -> tuple[str, ...]:
    """The coefficients that act in convection: von Karman only where it enters (with n = -1 and
    sigma_psi a parameter the log-layer psi flux has kappa^(n+1) = 1), and the stable-side
    coefficient in use (it acts at the base of the layer)."""
    stable = (
        "c_psi3_stable"
        if isinstance(closure.stable_buoyancy, ParameterPsiBuoyancy)
        else "stable_buoyancy.richardson"
    )
    kappa = (
        ()
        if closure.n == -1.0 and not isinstance(closure.wall_function, NearestWallFunction)
        else ("von_karman",)
    )
    return ("c_psi1", "c_psi2", "c_psi3_unstable", "sigma_k", "sigma_psi", *kappa, stable)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_gradient_matches_central_differences_in_convection(name):
    """300 W m-2 of cooling under a light wind into N² = 1e-6 s-2 for 3 h (c_psi3+ and the
    convective limits of the stability functions active): 1e-4 relative."""
    closure = gradient_case(name)
    state0 = initial_state(N2=1e-6, u=0.0)
    loss_at = lambda c, s, f: loss_of_run(c, state0, CONVECTIVE)  # noqa: E731
    loss, gradient = value_and_grad_of_run(closure, state0, CONVECTIVE)
    for dotted in convective_parameters(closure):
        path = tuple(dotted.split("."))
        value = float(get(closure, path))
        scaled_gradient = value * float(get(gradient, path))
        scaled_difference = value * finite_difference(loss_at, closure, path)
        if dotted not in ("c_psi3_stable", "stable_buoyancy.richardson"):
            assert abs(scaled_gradient) > 1e-8 * float(loss), (dotted, "has no effect here")
        tolerance = 1e-4 * abs(scaled_difference) + 1e-9 * float(loss)
        assert abs(scaled_gradient - scaled_difference) <= tolerance, (
            dotted,
            scaled_gradient,
            scaled_difference,
        )


def test_members_and_variants_are_chosen_by_name_in_a_case():
    """`closure: {name: ..., <variant field>: <name>}` builds the member with those variants."""
    from calib.config import parse_case
    from calib.config.build import build_closure

    text = """
name: choice
grid: {depth: 50, nz: 10}
time: {dt: 60 s, duration: 1 h, output_interval: 1 h}
initial: {T: 16.0, S: 35.0}
closure:
  name: k_kl
  stability: canuto_a
  wall_function: parabolic
  stable_buoyancy: steady_richardson
  parameters: {c_psi1: 0.95, wall_function.E2: 1.5}
"""
    closure = build_closure(parse_case(text))
    assert isinstance(closure, KKl)
    assert type(closure.stability).__name__ == "CanutoA"
    assert type(closure.wall_function).__name__ == "ParabolicWallFunction"
    assert type(closure.stable_buoyancy).__name__ == "SteadyRichardsonPsi"
    assert float(closure.c_psi1) == 0.95 and float(closure.wall_function.E2) == 1.5
    # with Canuto A the steady Richardson number is well posed: c_psi3- = c2 - (c2 - c1) / Rf
    assert 2.0 < float(closure.stable_buoyancy(closure)) < 3.0


def test_k_omega_on_gotm_kato_phillips_case():
    """The k-omega case on GOTM's Kato–Phillips setup runs; its depth of the largest dT/dz at 24 h
    is within 10 % of Price's 30.9 m. (GOTM's output there is k-epsilon, so the difference from it
    is a sanity number for the report, not a tolerance.)"""
    import calib

    ds = calib.run(calib.load_case(ROOT / "cases" / "reference" / "gotm_kato_phillips_gls_k_omega.yaml"))
    temperature = ds["T"].isel(time=-1).values
    z = ds["z"].values if "z" in ds else None
    assert np.all(np.isfinite(temperature)) and z is not None
    gradient = np.diff(temperature) / np.diff(z)
    depth = -0.5 * (z[1:] + z[:-1])[np.argmax(gradient)]
    assert depth == pytest.approx(30.9, rel=0.10)
