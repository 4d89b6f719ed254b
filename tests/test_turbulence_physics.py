"""Turbulence closures against classic results: wind-driven entrainment (Kato & Phillips 1969,
Price 1979), free convection (Deardorff et al. 1980) and the calibration of the k-epsilon
stability functions (Umlauf & Burchard 2005).

The mixed-layer depth h is the depth of the face with the largest N² (the base of the
entrainment layer), resolved to one cell (0.5 m here).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq, fsolve

from calib.core.closures._stability import CanutoA, KanthaClaysonQuasiEquilibrium
from calib.core.closures.k_epsilon import KEpsilon
from calib.core.closures.kpp import KPP
from calib.core.closures.tke import TurbulentKineticEnergy
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import HEAT_CAPACITY, Forcing
from calib.core.grid import Grid
from calib.core.integrate import simulate
from calib.core.model import ColumnModel
from calib.core.params import parameter_info
from calib.core.state import State

EOS = LinearEquationOfState(rho0=1027.0, alpha=2e-4, beta=0.0, T0=16.0, S0=35.0)
GRID = Grid.uniform(50.0, 100)
CLOSURES = {"k_epsilon": KEpsilon(), "tke": TurbulentKineticEnergy(), "kpp": KPP()}


def run_hourly(closure, forcing: Forcing, N2: float, hours: int = 24):
    """Linear stratification N² at rest, no rotation, dt = 60 s; states saved every hour."""
    state0 = State(
        u=jnp.zeros(GRID.nz),
        v=jnp.zeros(GRID.nz),
        T=16.0 + N2 / (EOS.gravity * EOS.alpha) * GRID.z_centers,
        S=jnp.full(GRID.nz, 35.0),
    )
    model = ColumnModel(grid=GRID, eos=EOS, forcing=forcing, closure=closure, dt=60.0)
    return simulate(model, state0, n_saves=hours, steps_per_save=60)


def mixed_layer_depth(T) -> np.ndarray:
    """Depth (m, positive) of the interior face with the largest N², per saved profile."""
    buoyancy = EOS.gravity * EOS.alpha * np.asarray(T)
    N2 = np.diff(buoyancy, axis=-1) / np.asarray(GRID.dz_faces[1:-1])
    return -np.asarray(GRID.z_faces[1:-1])[np.argmax(N2, axis=-1)]


@pytest.mark.parametrize("name", sorted(CLOSURES))
def test_kato_phillips_mixed_layer_depth(name):
    """Price (1979): a constant stress u*² on a linearly stratified fluid at rest deepens the
    mixed layer as h = 1.05 u* t^(1/2) N^(-1/2): 30.9 m after 24 h for u* = 1 cm/s,
    N² = 1e-4 s-2. Required within 10 %."""
    u_star, N2, seconds = 0.01, 1e-4, 86400.0
    forcing = Forcing.constant(wind_stress_x=EOS.rho0 * u_star**2)
    trajectory = run_hourly(CLOSURES[name], forcing, N2)
    assert np.all(np.isfinite(np.asarray(trajectory.state.T)))
    depth = mixed_layer_depth(trajectory.state.T[-1])
    price = 1.05 * u_star * seconds**0.5 * N2**-0.25
    assert depth == pytest.approx(price, rel=0.10)


def convective_layer_depth(T, N2_background: float) -> np.ndarray:
    """Depth (m, positive) of the base of a convective layer, per saved profile: the face of
    largest N² where entrainment has sharpened the base (N² above 1.05 times the background),
    else, under pure encroachment (the interior keeps its N² exactly, so its largest N² is
    ill-defined), the shallowest face whose N² exceeds half the background."""
    buoyancy = EOS.gravity * EOS.alpha * np.asarray(T)
    N2 = np.diff(buoyancy, axis=-1) / np.asarray(GRID.dz_faces[1:-1])
    depths = -np.asarray(GRID.z_faces[1:-1])
    out = []
    for row in N2:
        if row.max() > 1.05 * N2_background:
            out.append(depths[np.argmax(row)])
        else:
            out.append(depths[np.flatnonzero(row > 0.5 * N2_background)[-1]])
    return np.array(out)


# entrainment ratio A of each closure's free convection: k-epsilon entrains (A = 0.2, the tank
# and LES value); the TKE closure convects by NEMO's enhanced diffusion, which mixes the unstable
# layer but carries no entrainment flux (A = 0, encroachment)
ENTRAINMENT = {"k_epsilon": (0.2, 0.15), "tke": (0.0, 0.10), "kpp": (0.2, 0.15)}
# KPP entrains through the unresolved shear V_t² (LMD94 eq. 23, built for A = 0.2)


@pytest.mark.parametrize("name", sorted(CLOSURES))
def test_free_convection_deepens_like_deardorff(name):
    """Cooling by B0 = g alpha Q / (rho0 cp) into uniform N²: a well-mixed layer whose base
    entrains a buoyancy flux -A B0 deepens as h = sqrt(2 (1 + 2A) B0 t) / N (Deardorff et al.
    1980; Turner 1973), h = 1.67 sqrt(B0 t) / N for the entrainment ratio A = 0.2 measured in
    convection tanks and LES, 1.41 for pure encroachment (A = 0). Required at 6, 12, 18 and 24 h
    within the tolerance of `ENTRAINMENT`, for Q = -100 W m-2, N² = 1e-5 s-2 (h = 34 m after 24 h
    with A = 0.2), h from `convective_layer_depth`."""
    heat_flux, N2 = -100.0, 1e-5
    ratio, tolerance = ENTRAINMENT[name]
    B0 = EOS.gravity * EOS.alpha * -heat_flux / (EOS.rho0 * HEAT_CAPACITY)
    trajectory = run_hourly(CLOSURES[name], Forcing.constant(heat_flux=heat_flux), N2)
    hours = np.array([6, 12, 18, 24])
    depth = convective_layer_depth(np.asarray(trajectory.state.T)[hours - 1], N2)  # save i is hour i + 1
    deardorff = np.sqrt(2.0 * (1.0 + 2.0 * ratio) * B0 * hours * 3600.0) / np.sqrt(N2)
    np.testing.assert_allclose(depth, deardorff, rtol=tolerance)


def steady_state_richardson_number(stability_functions, c1, c2, c3):
    """Ri = N²/S² of homogeneous, stationary stratified shear turbulence in the k-epsilon model:
    P + B = epsilon and c1 P + c3 B = c2 epsilon (Burchard & Baumert 1995), with
    P/epsilon = c_mu alpha_M and B/epsilon = -c_mu' alpha_N."""
    flux_richardson = (c2 - c1) / (c2 - c3)

    def equations(log_alphas):
        alpha_M, alpha_N = np.exp(log_alphas)
        c_mu, c_mu_prime = (float(x) for x in stability_functions(jnp.asarray(alpha_M), jnp.asarray(alpha_N)))
        production = c_mu * alpha_M
        return [
            production * (1.0 - flux_richardson) - 1.0,
            c_mu_prime * alpha_N - flux_richardson * production,
        ]

    alpha_M, alpha_N = np.exp(fsolve(equations, [np.log(20.0), np.log(5.0)], xtol=1e-12))
    return alpha_N / alpha_M


def test_canuto_a_constants_match_umlauf_burchard():
    """Umlauf & Burchard (2005): Canuto A has c_mu0 = 0.527, and c3- = -0.63 gives the steady
    Richardson number 0.25 in the k-epsilon model."""
    canuto = CanutoA()
    assert float(canuto.neutral_cmu0()) == pytest.approx(0.527, abs=1e-3)
    closure = KEpsilon()
    richardson = steady_state_richardson_number(canuto, 1.44, 1.92, float(closure.c_epsilon3_stable))
    assert richardson == pytest.approx(0.25, abs=2e-3)
    c3 = brentq(lambda c: steady_state_richardson_number(canuto, 1.44, 1.92, c) - 0.25, -1.0, 0.0)
    assert c3 == pytest.approx(-0.63, abs=0.01)


def test_kantha_clayson_reduces_to_mellor_yamada_in_neutral_flow():
    """Neutral c_mu = 4 S_M / B1 with S_M = A1 (1 - 3 C1 - 6 A1 / B1) (Galperin et al. 1988):
    0.0948, i.e. c_mu0 = 0.555; the functions fall with stratification and rise in convection."""
    functions = KanthaClaysonQuasiEquilibrium()
    assert float(functions.neutral_cmu0()) ** 4 == pytest.approx(
        4 * 0.92 * (1 - 0.24 - 6 * 0.92 / 16.6) / 16.6
    )
    alpha_N = jnp.array([-1.0, 0.0, 5.0])
    c_mu, c_mu_prime = functions(jnp.zeros(3), alpha_N)
    assert np.all(np.diff(np.asarray(c_mu)) < 0) and np.all(np.diff(np.asarray(c_mu_prime)) < 0)
    galperin = KanthaClaysonQuasiEquilibrium.galperin1988()
    assert float(galperin.C2) == 0.0 and float(galperin.C3) == 0.0


def test_kantha_clayson_is_finite_over_its_parameter_box():
    """Any constants inside the bounds give finite, non-negative functions and c_mu0."""
    rng = np.random.default_rng(3)
    info = parameter_info(KanthaClaysonQuasiEquilibrium)
    alpha_N = jnp.linspace(-200.0, 200.0, 41)
    for _ in range(50):
        functions = KanthaClaysonQuasiEquilibrium(
            **{name: rng.uniform(item.lower, item.upper) for name, item in info.items()}
        )
        c_mu, c_mu_prime = functions(jnp.zeros(41), alpha_N)
        assert np.isfinite(float(functions.neutral_cmu0()))
        for values in (np.asarray(c_mu), np.asarray(c_mu_prime)):
            assert np.all(np.isfinite(values)) and np.all(values >= 0.0)


def test_canuto_a_stays_finite_beyond_its_limits():
    """Clipping keeps c_mu, c_mu' positive and finite for extreme shear and convection."""
    alpha = jnp.array([-1e3, -10.0, 0.0, 10.0, 1e3, 1e6])
    for alpha_M in (jnp.zeros(6), jnp.full(6, 1e6)):
        c_mu, c_mu_prime = CanutoA()(alpha_M, alpha)
        assert np.all(np.isfinite(np.asarray(c_mu))) and np.all(np.asarray(c_mu) >= 0.0)
        assert np.all(np.isfinite(np.asarray(c_mu_prime))) and np.all(np.asarray(c_mu_prime) >= 0.0)
