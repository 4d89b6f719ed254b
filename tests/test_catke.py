"""CATKE (Wagner et al. 2025): wind-driven entrainment against Price (1979), free convection
against Deardorff et al. (1980), the surface TKE flux and the stability function against the
paper's formulas written out here, the background mixing of the minimum TKE, and the gradient
of a short run with respect to every coefficient against central differences in stable,
neutral, convective and entraining regimes."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

from calib.core.closures.catke import CATKE, CATKEEquation, stability_function, surface_tke_flux
from calib.core.forcing import HEAT_CAPACITY, Forcing
from calib.core.params import set_parameters
from calib.core.state import State, SurfaceFluxes, make_column
from tests.test_closures import (
    CONVECTIVE,
    finite_difference,
    get,
    initial_state,
    loss_of_run,
    param_paths,
    value_and_grad_of_run,
)
from tests.test_turbulence_physics import EOS, GRID, convective_layer_depth, mixed_layer_depth, run_hourly


def test_kato_phillips_mixed_layer_depth():
    """Price (1979): h = 1.05 u* t^(1/2) N^(-1/2) = 30.9 m after 24 h for u* = 1 cm/s,
    N² = 1e-4 s-2 (50 m, 100 cells, dt = 60 s, no rotation). Required within 10 %."""
    u_star, N2, seconds = 0.01, 1e-4, 86400.0
    trajectory = run_hourly(CATKE(), Forcing.constant(wind_stress_x=EOS.rho0 * u_star**2), N2)
    assert np.all(np.isfinite(np.asarray(trajectory.state.T)))
    depth = mixed_layer_depth(trajectory.state.T[-1])
    assert depth == pytest.approx(1.05 * u_star * seconds**0.5 * N2**-0.25, rel=0.10)


def test_free_convection_deepens_like_deardorff():
    """Cooling by Q = -100 W m-2 into N² = 1e-5 s-2: h = 1.67 (B0 t)^(1/2) / N (Deardorff et al.
    1980, entrainment ratio 0.2) within 15 % at 6, 12, 18 and 24 h. CATKE's penetration
    coefficient C_e_c = 0.112 is its entrainment ratio, so it deepens as 1.57 (B0 t)^(1/2) / N."""
    heat_flux, N2 = -100.0, 1e-5
    B0 = EOS.gravity * EOS.alpha * -heat_flux / (EOS.rho0 * HEAT_CAPACITY)
    trajectory = run_hourly(CATKE(), Forcing.constant(heat_flux=heat_flux), N2)
    hours = np.array([6, 12, 18, 24])
    depth = convective_layer_depth(np.asarray(trajectory.state.T)[hours - 1], N2)  # save i is hour i + 1
    np.testing.assert_allclose(depth, 1.67 * np.sqrt(B0 * hours * 3600.0 / N2), rtol=0.15)


def test_surface_tke_flux_is_into_the_ocean_and_scales_with_u_star_cubed():
    """J_e = C_W_ustar u*³ + C_W_wdelta max(J_b, 0) dz_top (Wagner et al. 2025), into the ocean."""
    equation = CATKEEquation()
    u_star = jnp.asarray([0.005, 0.01, 0.02])
    wind_only = surface_tke_flux(equation, u_star, jnp.asarray(0.0), 0.5)
    np.testing.assert_allclose(np.asarray(wind_only), 3.179 * np.asarray(u_star) ** 3, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(wind_only[1:] / wind_only[:-1]), 8.0, rtol=1e-12)
    cooling = surface_tke_flux(equation, jnp.asarray(0.01), jnp.asarray(5e-8), 0.5)  # J_b > 0: cooling
    assert float(cooling) == pytest.approx(3.179e-6 + 0.383 * 5e-8 * 0.5, rel=1e-14)
    warming = surface_tke_flux(equation, jnp.asarray(0.01), jnp.asarray(-5e-8), 0.5)
    assert float(warming) == pytest.approx(3.179e-6, rel=1e-14)  # stabilising flux adds nothing
    # in the model: one step of wind on e = e_min raises e below the surface, nowhere else
    closure = CATKE()
    column = _column(N2=1e-4, wind=0.1)
    state = closure.init_state(column)
    _, new = closure(column, state, 60.0)
    assert float(new.tke[-2]) > 100.0 * float(closure.minimum_tke)
    assert float(new.tke[GRID.nz // 2]) == pytest.approx(float(closure.minimum_tke))


def _paper_stability_function(Ri, unstable, low, high, Ri_0, Ri_delta):
    """Wagner et al. (2025): C_un for Ri < 0, else C_lo + (C_hi - C_lo) clip((Ri - Ri_0) / Ri_delta, 0, 1)."""
    if Ri < 0.0:
        return unstable
    return low + (high - low) * min(1.0, max(0.0, (Ri - Ri_0) / Ri_delta))


def test_stability_function_matches_the_paper():
    """Limits at Ri -> -inf (C_un), Ri < Ri_0 (C_lo), Ri > Ri_0 + Ri_delta (C_hi) and the linear
    step between, for the tracer coefficients (C_un, C_lo, C_hi) = (0.572, 0.369, 0.098)."""
    constants = (0.572, 0.369, 0.098, 0.254, 1.02)
    S2 = 1e-4
    for Ri in (-1e9, -10.0, -1e-2, 0.0, 0.1, 0.254, 0.5, 0.764, 1.0, 1.274, 2.0, 1e9):
        N2 = Ri * S2
        expected = _paper_stability_function(Ri, *constants)
        got = float(stability_function(jnp.asarray(N2 / S2), jnp.asarray(N2), *constants))
        assert got == pytest.approx(expected, rel=1e-12), Ri
    assert _paper_stability_function(-1e9, *constants) == 0.572
    assert _paper_stability_function(0.1, *constants) == 0.369
    assert _paper_stability_function(1e9, *constants) == pytest.approx(0.098, rel=1e-14)


def _column(N2: float, wind: float = 0.0, heat_flux: float = 0.0):
    """A column of GRID at rest with uniform N², under the given stress (Pa) and heat flux (W m-2)."""
    state = State(
        u=jnp.zeros(GRID.nz),
        v=jnp.zeros(GRID.nz),
        T=16.0 + N2 / (EOS.gravity * EOS.alpha) * GRID.z_centers,
        S=jnp.full(GRID.nz, 35.0),
    )
    surface = Forcing.constant(wind_stress_x=wind, heat_flux=heat_flux).surface_fluxes(
        jnp.asarray(0), 60.0, state.S[-1], EOS
    )
    return make_column(GRID, state, surface, EOS)


def test_minimum_tke_gives_the_background_mixing_of_oceananigans():
    """At rest in stratification, e = e_min gives K_c = C_hi_c e_min / N and K_u = C_hi_u e_min / N
    (the background mixing documented for Oceananigans' CATKEVerticalDiffusivity)."""
    closure = CATKE()
    N2 = 1e-4
    column = _column(N2)
    l_u, l_c, _, _ = closure.lengths(closure.init_state(column).tke, column, jnp.asarray(0.0))
    e_min = float(closure.minimum_tke)
    interior = slice(1, -1)
    np.testing.assert_allclose(np.asarray(l_c[interior]) * e_min**0.5, 0.098 * e_min / N2**0.5, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(l_u[interior]) * e_min**0.5, 0.242 * e_min / N2**0.5, rtol=1e-6)


def test_convective_length_matches_the_paper():
    """In a convecting layer (N² < -1e-7 s-2, no shear) l = min(H, max(C_un l_*, C_c w³ / J_b))
    with l_* = min(C_s d, C_b h), and just below it l_c = max(C_hi_c w / N, C_e_c J_b / (w N²)):
    values computed by hand from Wagner et al. (2025)'s formulas."""
    closure = CATKE()
    base = 20  # the faces above this one are unstable
    b = EOS.gravity * EOS.alpha * 1e-3 * GRID.z_centers  # N² = 1.96e-6 s-2 below
    b = jnp.where(jnp.arange(GRID.nz) >= base, b[base] - 2e-6 * (GRID.z_centers - GRID.z_centers[base]), b)
    T = 16.0 + b / (EOS.gravity * EOS.alpha)
    state = State(u=jnp.zeros(GRID.nz), v=jnp.zeros(GRID.nz), T=T, S=jnp.full(GRID.nz, 35.0))
    J_b = 4e-8  # out of the ocean (cooling)
    surface = SurfaceFluxes(*(jnp.asarray(x) for x in (0.0, 0.0, 0.0, 0.0, 0.0, -J_b)))
    column = make_column(GRID, state, surface, EOS)
    e = 1e-5
    l_u, l_c, _, l_D = (
        np.asarray(x) for x in closure.lengths(jnp.full(GRID.nz + 1, e), column, jnp.asarray(J_b))
    )
    w, flux = e**0.5, J_b + 1e-11
    N2 = np.asarray(column.N2)
    depth = -np.asarray(GRID.z_faces)
    height = np.asarray(GRID.z_faces - GRID.z_faces[0])
    stable = np.minimum(1.131 * depth, 0.28 * height)
    convecting = np.arange(base + 1, GRID.nz)
    assert np.all(N2[convecting] < -1e-7)
    for length, C_un, C_c in ((l_c, 0.572, 4.793), (l_u, 0.370, 3.705)):
        expected = np.minimum(50.0, np.maximum(C_un * stable, C_c * w**3 / flux))
        np.testing.assert_allclose(length[convecting], expected[convecting], rtol=1e-12)
    expected_D = np.minimum(50.0, np.maximum(stable / 0.923, 3.254 * w**3 / flux))
    np.testing.assert_allclose(l_D[convecting], expected_D[convecting], rtol=1e-12)
    assert np.any(3.705 * w**3 / flux > 0.370 * stable[convecting])  # both branches are tested
    assert np.any(3.705 * w**3 / flux < 0.370 * stable[convecting])
    assert N2[base] > 0  # the base of the layer: entrainment
    penetrative = 0.112 * J_b / (w * N2[base] + 1e-11)
    stratified = 0.098 * min(w / N2[base] ** 0.5, stable[base])
    assert penetrative > stratified
    assert l_c[base] == pytest.approx(penetrative, rel=1e-12)


# ---- gradients against central differences -------------------------------------------------

WIND = Forcing.constant(wind_stress_x=0.08, wind_stress_y=0.04)
# the coefficients whose published value is 0 are moved off 0 (the differences step relative to
# the value), so that every coefficient is tested where it acts
TESTED = set_parameters(
    CATKE(),
    {"mixing_length.C_e_u": 0.05, "mixing_length.C_e_e": 0.05, "tke_equation.C_e_D": 0.05,
     "background_viscosity": 1e-5, "background_diffusivity": 1e-6},
)  # fmt: skip
CONVECTIVE_ONLY = (
    "mixing_length.C_sp", "mixing_length.C_c_u", "mixing_length.C_c_c", "mixing_length.C_c_e",
    "mixing_length.C_e_u", "mixing_length.C_e_c", "mixing_length.C_e_e", "mixing_length.C_un_u",
    "mixing_length.C_un_c", "mixing_length.C_un_e", "tke_equation.C_c_D", "tke_equation.C_e_D",
    "tke_equation.C_un_D", "tke_equation.C_W_wdelta",
)  # fmt: skip
# regime: (forcing, initial N², initial u, relative tolerance, tolerance floor / loss,
#          parameters without effect, parameters that must act)
REGIMES = {
    "stable": (WIND, 1e-4, 0.1, 1e-5, 1e-9, CONVECTIVE_ONLY, ("mixing_length.C_s", "mixing_length.C_hi_c")),
    "neutral": (WIND, 1e-8, 0.1, 1e-5, 1e-9, CONVECTIVE_ONLY, ("mixing_length.C_s", "mixing_length.C_lo_c")),
    # round-off: in a mixed layer N² is a difference of nearly equal temperatures, known to 1e-11
    # relative; the differences of the weakest coefficients are noisy at ~1e-9 of the loss
    "convective": (
        CONVECTIVE,
        1e-6,
        0.0,
        1e-4,
        1e-8,
        (),
        (
            "mixing_length.C_sp",
            "mixing_length.C_c_u",
            "mixing_length.C_c_c",
            "mixing_length.C_c_e",
            "mixing_length.C_un_u",
            "mixing_length.C_un_c",
            "mixing_length.C_un_e",
            "tke_equation.C_c_D",
            "tke_equation.C_un_D",
            "tke_equation.C_W_wdelta",
        ),
    ),  # fmt: skip
    # N² = 1e-4: the convective layer stays shallow and entrains through its base (C_e_c)
    "entraining": (CONVECTIVE, 1e-4, 0.0, 1e-5, 1e-9, (), ("mixing_length.C_e_c", "mixing_length.C_c_c")),
}


@pytest.mark.slow
@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_gradient_of_every_coefficient_matches_central_differences(regime):
    """d loss / d p for every CATKE coefficient (3 h on the 16-cell column of tests/test_closures)
    against Richardson-extrapolated central differences. Without cooling the convective
    coefficients have no effect (exactly zero gradient); under cooling they act."""
    forcing, N2, u, relative, floor, inactive, active = REGIMES[regime]
    state0 = initial_state(N2=N2, u=u)
    loss_at = lambda c, s, f: loss_of_run(c, state0, forcing)  # noqa: E731
    loss, gradient = value_and_grad_of_run(TESTED, state0, forcing)
    loss = float(loss)
    for path in param_paths(TESTED):
        name = ".".join(path)
        value = float(get(TESTED, path))
        scaled_gradient = value * float(get(gradient, path))
        if name in inactive:
            assert abs(scaled_gradient) <= 1e-12 * loss, (name, scaled_gradient)
        if name in active:
            assert abs(scaled_gradient) > 1e-6 * loss, (name, "has no effect: the test misses the branch")
        scaled_difference = value * finite_difference(loss_at, TESTED, path)
        assert abs(scaled_gradient - scaled_difference) <= relative * abs(scaled_difference) + floor * loss, (
            name, scaled_gradient, scaled_difference,
        )  # fmt: skip


def test_closure_is_a_module_with_nested_coefficients():
    """The coefficient groups are sub-Modules (as Oceananigans' CATKEMixingLength / CATKEEquation)."""
    closure = CATKE()
    assert isinstance(closure.mixing_length, eqx.Module) and isinstance(closure.tke_equation, eqx.Module)
    moved = set_parameters(closure, {"mixing_length.C_s": 2.0})
    assert float(moved.mixing_length.C_s) == 2.0 and float(closure.mixing_length.C_s) == 1.131
