"""Equations of state: TEOS-10 75-term polynomial against the TEOS-10 GSW toolbox, locally referenced N²,
cabbeling, surface expansion coefficients, and the linear equation of state unchanged.

Reference values: the Python `gsw` package (GSW-Python 3.6.23, the TEOS-10 toolbox, whose `rho`/`specvol`
are the same 75-term polynomial of Roquet et al. 2015); the values hard-coded below were printed by it, so
those tests also run where `gsw` is not installed.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from calib.common.errors import ConfigError
from calib.core.eos import (
    EQUATIONS_OF_STATE,
    GRAVITY,
    AbstractEquationOfState,
    LinearEquationOfState,
    Teos10Polynomial,
    buoyancy_frequency_squared,
    specific_volume_teos10,
    to_faces_gradient,
)
from calib.core.grid import Grid

UPS = 35.16504 / 35.0  # (g/kg) per psu, TEOS-10 uPS

# (SA g/kg, CT degC, p dbar): fresh to salty, freezing to tropical, 0-6000 dbar.
POINTS = np.array(
    [
        [35.0, 10.0, 0.0],
        [30.0, 10.0, 1000.0],
        [34.7118, 28.8099, 10.0],
        [35.16504, 2.0, 4000.0],
        [10.0, 5.0, 50.0],
        [0.0, 4.0, 0.0],
        [40.0, 30.0, 200.0],
        [34.5, -1.8, 6000.0],
        [36.5, 18.0, 500.0],
    ]
)


def test_teos10_density_published_values():
    """gsw 3.6.23: specvol(30, 10, 1000) = 9.732819627722662e-4 m3 kg-1, rho = 1027.4514870815349;
    rho(35.16504, 2, 4000) = 1045.958830846702; rho(35, 10, 0) = 1026.8246444578683."""
    assert float(specific_volume_teos10(30.0, 10.0, 1000.0)) == pytest.approx(9.732819627722662e-4, rel=1e-12)
    eos = Teos10Polynomial()
    assert abs(float(eos.density(10.0, 30.0, -1000.0)) - 1027.4514870815349) < 1e-6
    assert abs(float(eos.density(2.0, 35.16504, -4000.0)) - 1045.958830846702) < 1e-6
    assert abs(float(eos.density(10.0, 35.0)) - 1026.8246444578683) < 1e-6
    # NEMO's 55-term Boussinesq fit of the same TEOS-10 (Roquet et al. 2015) quotes 1027.45140 here.
    assert abs(float(eos.density(10.0, 30.0, -1000.0)) - 1027.45140) < 1e-3


def test_teos10_polynomial_has_75_terms():
    from calib.core.eos import _SPECVOL_COEFFICIENTS

    assert len(_SPECVOL_COEFFICIENTS) == 75
    assert all(sum(int(c) for c in key) <= 6 for key in _SPECVOL_COEFFICIENTS)  # degree 6 in (ys, xs, zp)


def test_teos10_density_matches_gsw():
    gsw = pytest.importorskip("gsw")
    SA, CT, p = POINTS.T
    rho = np.asarray(Teos10Polynomial().density(jnp.asarray(CT), jnp.asarray(SA), -jnp.asarray(p)))
    np.testing.assert_allclose(rho, gsw.rho(SA, CT, p), rtol=0, atol=1e-3)


def test_teos10_expansion_coefficients_published_values():
    """gsw 3.6.23 at p = 0: alpha, beta (K-1, (g/kg)-1)."""
    eos = Teos10Polynomial()
    for (SA, CT), (alpha, beta) in {
        (35.0, 10.0): (0.00016625612540220982, 0.0007536678449908712),
        (35.16504, 2.0): (7.833041975506235e-05, 0.0007748130875140742),
        (35.16504, 20.0): (0.00025725750283014974, 0.000732373589093535),
        (10.0, 5.0): (4.221423782123744e-05, 0.0007807752855552179),
    }.items():
        a, b = eos.expansion_coefficients(CT, SA)
        assert float(a) == pytest.approx(alpha, rel=0.01)
        assert float(b) == pytest.approx(beta, rel=0.01)


def test_teos10_expansion_coefficients_match_gsw():
    gsw = pytest.importorskip("gsw")
    SA, CT, _ = POINTS.T
    alpha, beta = Teos10Polynomial().expansion_coefficients(jnp.asarray(CT), jnp.asarray(SA))
    np.testing.assert_allclose(np.asarray(alpha), gsw.alpha(SA, CT, 0.0), rtol=0.01)
    np.testing.assert_allclose(np.asarray(beta), gsw.beta(SA, CT, 0.0), rtol=0.01)


def test_practical_salinity_is_converted_to_absolute():
    """salinity: practical -> SA = SP * 35.16504 / 35; beta is per psu (= beta_SA * uPS)."""
    practical, absolute = Teos10Polynomial(salinity="practical"), Teos10Polynomial()
    SP, CT = 34.0, 12.0
    assert float(practical.density(CT, SP, -500.0)) == pytest.approx(
        float(absolute.density(CT, SP * UPS, -500.0)), rel=1e-14
    )
    # 34 psu reads as 34.16 g/kg: denser than 34 g/kg by ~ beta rho0 0.16 ~ 0.12 kg m-3.
    assert float(practical.density(CT, SP) - absolute.density(CT, SP)) == pytest.approx(0.12, rel=0.1)
    beta_practical = practical.expansion_coefficients(CT, SP)[1]
    beta_absolute = absolute.expansion_coefficients(CT, SP * UPS)[1]
    assert float(beta_practical) == pytest.approx(float(beta_absolute) * UPS, rel=1e-12)
    with pytest.raises(ConfigError, match="salinity"):
        Teos10Polynomial(salinity="psu")


def test_teos10_buoyancy_is_surface_referenced():
    """b = -g (rho(T, S, 0) - rho0) / rho0 (gsw 3.6.23: rho(35, 10, 0) = 1026.8246444578683)."""
    eos = Teos10Polynomial()
    b = float(eos.buoyancy(jnp.asarray([10.0]), jnp.asarray([35.0]))[0])
    assert b == pytest.approx(-GRAVITY * (1026.8246444578683 - 1027.0) / 1027.0, rel=1e-9)


def test_defaults_and_registry():
    assert LinearEquationOfState().heat_capacity == 3985.0
    assert Teos10Polynomial().heat_capacity == 3991.86795711963  # TEOS-10 cp0
    assert Teos10Polynomial().rho0 == 1027.0
    assert dict(EQUATIONS_OF_STATE) == {"linear": LinearEquationOfState, "teos10": Teos10Polynomial}
    assert all(issubclass(cls, AbstractEquationOfState) for cls in EQUATIONS_OF_STATE.values())


def _stratified(nz=40, depth=400.0):
    grid = Grid.stretched(depth, nz, 1.5)
    z = grid.z_centers
    T = 4.0 + 14.0 * jnp.exp(z / 80.0)  # thermocline
    S = 34.6 + 0.5 * jnp.exp(z / 120.0)  # salty surface water (destabilising salinity)
    return grid, T, S


def test_linear_n2_is_the_buoyancy_gradient():
    grid, T, S = _stratified()
    eos = LinearEquationOfState(alpha=1.7e-4, beta=7.4e-4, T0=12.0, S0=34.0, rho0=1025.0)
    old = to_faces_gradient(eos.buoyancy(T, S), grid)
    assert np.array_equal(np.asarray(eos.buoyancy_frequency_squared(T, S, grid)), np.asarray(old))
    assert np.array_equal(np.asarray(buoyancy_frequency_squared(eos, T, S, grid)), np.asarray(old))
    # and it is g (alpha dT/dz - beta dS/dz) at the interior faces
    expected = GRAVITY * (1.7e-4 * jnp.diff(T) - 7.4e-4 * jnp.diff(S)) / grid.dz_faces[1:-1]
    np.testing.assert_allclose(np.asarray(old[1:-1]), np.asarray(expected), rtol=1e-10)
    # the general (density-difference) formula agrees with the gradient to rounding
    general = AbstractEquationOfState.buoyancy_frequency_squared(eos, T, S, grid)
    np.testing.assert_allclose(np.asarray(general), np.asarray(old), rtol=1e-8, atol=1e-15)


def test_linear_ignores_surface_state_in_buoyancy_flux():
    eos = LinearEquationOfState()
    flux = eos.buoyancy_flux(1e-5, 2e-6, T=25.0, S=30.0)
    assert flux == pytest.approx(GRAVITY * (2e-4 * 1e-5 - 7.6e-4 * 2e-6))
    assert eos.buoyancy_flux(1e-5, 2e-6) == flux


def test_teos10_uniform_column_has_no_n2_but_density_grows_with_depth():
    """Locally referenced N²: a well-mixed column is neutral although compressibility makes the in-situ
    density grow by ~ 4.5 kg m-3 per 1000 dbar."""
    grid = Grid.stretched(2000.0, 30, 2.0)
    T = jnp.full(grid.nz, 3.0)
    S = jnp.full(grid.nz, 34.9)
    eos = Teos10Polynomial()
    N2 = np.asarray(eos.buoyancy_frequency_squared(T, S, grid))
    assert N2.shape == (grid.nz + 1,)
    assert np.max(np.abs(N2)) < 1e-12
    rho = np.asarray(eos.density(T, S, grid.z_centers))
    assert np.all(np.diff(rho) < 0)  # index 0 = bottom: densest
    assert 7.0 < rho[0] - rho[-1] < 11.0  # ~ 2000 dbar of compression
    # the naive in-situ gradient would report a huge spurious instability
    naive = -(GRAVITY / eos.rho0) * np.diff(rho) / np.asarray(grid.dz_faces[1:-1])
    assert np.min(naive) > 3e-5


def test_teos10_n2_matches_gsw_nsquared():
    """gsw.Nsquared (alpha, beta at the mid-point pressure) at the same faces: within 1 % (p = -z dbar
    and rho0 in place of the local density differ by < 1 %; measured 0.5 %)."""
    gsw = pytest.importorskip("gsw")
    grid, T, S = _stratified()
    N2 = np.asarray(Teos10Polynomial().buoyancy_frequency_squared(T, S, grid))
    p = -np.asarray(grid.z_centers)
    # gsw wants pressure increasing along the axis: reverse to surface first
    ref, _ = gsw.Nsquared(np.asarray(S)[::-1], np.asarray(T)[::-1], p[::-1])
    ref = ref[::-1]  # back to bottom first: interior faces 1..nz-1
    np.testing.assert_allclose(N2[1:-1], ref, rtol=0.01)
    assert N2[0] == N2[1] and N2[-1] == N2[-2]


def test_cabbeling_mixing_equal_density_waters_gives_denser_water():
    """Cold fresh and warm salty water of equal surface density: their 50/50 mixture (CT and SA mix
    linearly) is denser than both (cabbeling, from the curvature of rho in CT)."""
    eos = Teos10Polynomial()
    T_cold, S_cold, T_warm = 2.0, 34.0, 15.0
    target = eos.density(T_cold, S_cold)
    S_warm = S_cold
    for _ in range(20):  # Newton on the salinity of the warm water
        rho, drho = jax.jvp(lambda s: eos.density(T_warm, s), (jnp.asarray(S_warm),), (jnp.asarray(1.0),))
        S_warm = S_warm - (rho - target) / drho
    assert abs(float(eos.density(T_warm, S_warm) - target)) < 1e-9
    mixture = eos.density(0.5 * (T_cold + T_warm), 0.5 * (S_cold + S_warm))
    assert 0.05 < float(mixture - target) < 0.5  # ~0.17 kg m-3 for these water masses
    # the linear equation of state has no cabbeling
    linear = LinearEquationOfState()
    S_lin = S_cold + linear.alpha / linear.beta * (T_warm - T_cold)
    mixed = linear.density(0.5 * (T_cold + T_warm), 0.5 * (S_cold + S_lin))
    assert float(mixed) == pytest.approx(float(linear.density(T_cold, S_cold)), abs=1e-10)


def test_teos10_buoyancy_flux_uses_the_surface_expansion_coefficients():
    eos = Teos10Polynomial()
    alpha_warm, beta_warm = eos.expansion_coefficients(20.0, 35.0)
    alpha_cold, _ = eos.expansion_coefficients(2.0, 35.0)
    assert float(alpha_warm) > 2.5 * float(alpha_cold)  # 2.57e-4 vs 7.8e-5 K-1
    heating = 1e-5  # K m s-1 (~ 41 W m-2)
    warm = eos.buoyancy_flux(heating, 0.0, T=20.0, S=35.0)
    cold = eos.buoyancy_flux(heating, 0.0, T=2.0, S=35.0)
    assert float(warm) > 2.5 * float(cold) > 0.0
    assert float(warm) == pytest.approx(GRAVITY * float(alpha_warm) * heating, rel=1e-12)
    evaporation = 1e-6  # salt flux into the ocean (psu m s-1): loses buoyancy
    salty = eos.buoyancy_flux(0.0, evaporation, T=20.0, S=35.0)
    assert float(salty) == pytest.approx(-GRAVITY * float(beta_warm) * evaporation, rel=1e-12)
    # None -> alpha, beta at 10 degC, 35
    alpha_10, _ = eos.expansion_coefficients(10.0, 35.0)
    assert float(eos.buoyancy_flux(heating, 0.0)) == pytest.approx(GRAVITY * float(alpha_10) * heating)


def test_gradient_through_teos10_n2_is_finite_and_correct():
    grid, T, S = _stratified(nz=12, depth=200.0)
    T = T.at[0].set(0.0)  # CT = 0 exactly (powers of ys at 0)
    eos = Teos10Polynomial(salinity="practical")

    def loss(T, S):
        N2 = eos.buoyancy_frequency_squared(T, S, grid)
        return jnp.sum(N2**2) * 1e8 + jnp.sum(eos.buoyancy_flux(1e-5, 1e-6, T[-1], S[-1])) * 1e6

    gT, gS = jax.jit(jax.grad(loss, argnums=(0, 1)))(T, S)
    assert np.all(np.isfinite(np.asarray(gT))) and np.all(np.isfinite(np.asarray(gS)))
    assert float(jnp.max(jnp.abs(gT))) > 0.0
    direction = jnp.linspace(-1.0, 1.0, grid.nz)
    h = 1e-5
    numeric = (loss(T + h * direction, S) - loss(T - h * direction, S)) / (2 * h)
    assert float(jnp.dot(gT, direction)) == pytest.approx(float(numeric), rel=1e-6)
