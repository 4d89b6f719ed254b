"""KPP's options (calib/core/closures/kpp.py) against hand calculations of LMD94 / CVMix's formulas,
and the gradients of every KPP parameter, the new ones included, against central differences in
stable, neutral and convective forcing.

The Kato–Phillips and free-convection checks of the default options are in
tests/test_turbulence_physics.py; the comparison with GOTM/CVMix in tests/test_gotm_reference.py.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from calib.core.closures.kpp import (
    KPP,
    BackgroundInterior,
    EkmanLimit,
    EkmanMoninObukhovLimit,
    EnhancedBase,
    LiLangmuir,
    LinearCrossing,
    MatchedShape,
    MatchGradientShape,
    McWilliamsSullivanLangmuir,
    MoninObukhovLimit,
    NoStableLimit,
    PlainBase,
    QuadraticCrossing,
    SimpleShape,
    buoyancy_forcing,
    interior_at_depth,
    matched_cubic,
    shape_matching,
)
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import Forcing, ShortwaveAbsorption
from calib.core.grid import Grid
from calib.core.state import State, make_column
from tests.test_closures import (
    CONVECTIVE,
    finite_difference,
    get,
    initial_state,
    loss_of_run,
    param_paths,
    value_and_grad_of_run,
)

EOS = LinearEquationOfState(rho0=1027.0, alpha=2e-4, beta=0.0, T0=16.0, S0=35.0)
GRID = Grid.uniform(32.0, 64)  # 0.5 m cells
KAPPA = 0.4


def column_with(
    forcing: Forcing,
    *,
    mixed_layer: float = 8.0,
    N2: float = 1e-4,
    current: float = 0.0,
    penetrating: bool = True,
    coriolis: float = 0.0,
):
    """A mixed layer of depth `mixed_layer` (uniform T and u = `current`) over N² at rest."""
    z = GRID.z_centers
    T = 16.0 + N2 / (EOS.gravity * EOS.alpha) * jnp.minimum(z + mixed_layer, 0.0)
    u = jnp.where(z > -mixed_layer, current, 0.0)
    state = State(u=u, v=jnp.zeros_like(u), T=T, S=jnp.full_like(u, 35.0))
    surface = forcing.surface_fluxes(0, 60.0, 35.0, EOS)
    absorbed = forcing.shortwave_absorption.heating(GRID)
    passing = jnp.concatenate([jnp.zeros(1), jnp.cumsum(absorbed)]) if penetrating else None
    return make_column(GRID, state, surface, EOS, coriolis=coriolis, shortwave_passing=passing)


def hand_ws(depth_sigma, B, ustar):
    """w_s of LMD94 (eq. 13 with the phi_s of appendix B), written with zeta."""
    zeta = depth_sigma * KAPPA * B / ustar**3
    if B >= 0:
        phi = 1.0 + 5.0 * zeta
    elif zeta >= -1.0:
        phi = (1.0 - 16.0 * zeta) ** -0.5
    else:
        phi = (-28.86 - 98.96 * zeta) ** (-1.0 / 3.0)
    return KAPPA * ustar / phi


def hand_boundary_layer_depth(column, B_of_depth, Ri_c=0.3, eps=0.1, C_v=1.7):
    """h by LMD94 eqs. 21–23 with a linear crossing, in plain numpy; the mixed layer is deeper than
    eps h, so the surface-layer reference is the top cell."""
    b = np.asarray(column.buoyancy)[::-1]
    N2 = np.asarray(column.N2)[::-1]
    depth = -np.asarray(GRID.z_centers)[::-1]
    ustar = float(column.surface.friction_velocity)
    Ri = np.zeros_like(depth)
    for i, d in enumerate(depth):
        B = B_of_depth(d)
        N = np.sqrt(max(N2[i], N2[i + 1], 0.0) + 1e-30)
        w_s = hand_ws((eps if B < 0 else 1.0) * d, B, ustar)
        cv = C_v * max(1.0, (2.1 - 200.0 * N) / 1.7)
        vt2 = cv * np.sqrt(0.2 / (98.96 * eps)) / KAPPA**2 * d * N * w_s / Ri_c
        Ri[i] = (1.0 - eps / 2.0) * d * (b[0] - b[i]) / (vt2 + 1e-14)
    j = int(np.argmax(Ri > Ri_c))
    return depth[j - 1] + (Ri_c - Ri[j - 1]) * (depth[j] - depth[j - 1]) / (Ri[j] - Ri[j - 1])


# ---------------------------------------------------------------------------------------------
# 1. Penetrating shortwave in B_f


SUNNY = Forcing.constant(wind_stress_x=0.02, heat_flux=-120.0, shortwave=150.0)  # net +30 W m-2


def test_buoyancy_forcing_counts_the_shortwave_absorbed_above_each_depth():
    column = column_with(SUNNY)
    to_buoyancy = EOS.gravity * EOS.alpha / (EOS.rho0 * EOS.heat_capacity)
    non_solar, shortwave = -120.0 * to_buoyancy, 150.0 * to_buoyancy
    absorption = ShortwaveAbsorption()
    depth = -np.asarray(GRID.z_faces)[::-1][:-1]  # every face but the sea floor
    passing = absorption.fraction_red * np.exp(-depth / absorption.length_red) + (
        1 - absorption.fraction_red
    ) * np.exp(-depth / absorption.length_blue)
    np.testing.assert_allclose(
        buoyancy_forcing(column, jnp.asarray(depth)),
        non_solar + shortwave * (1.0 - passing),
        rtol=1e-9,
        atol=1e-15,
    )
    assert float(column.surface.buoyancy) == pytest.approx(non_solar + shortwave)
    assert float(column.surface.buoyancy) > 0.0 > float(buoyancy_forcing(column, jnp.asarray(1.0)))


def test_penetrating_shortwave_deepens_h_and_turns_on_the_nonlocal_flux():
    """Net warming (+30 W m-2) but cooling of the water above h (the shortwave absorbed above ~9 m
    is less than the 120 W m-2 lost): with the shortwave penetrating, B_f(h) < 0 (convective
    velocity scales, non-local transport); counting it all at the surface, the layer is stable."""
    kpp = KPP(crossing=LinearCrossing())
    penetrating, surface_only = column_with(SUNNY), column_with(SUNNY, penetrating=False)
    h_penetrating = float(kpp.boundary_layer_depth(penetrating))
    h_surface = float(kpp.boundary_layer_depth(surface_only))
    hand_penetrating = hand_boundary_layer_depth(
        penetrating, lambda d: float(buoyancy_forcing(penetrating, d))
    )
    hand_surface = hand_boundary_layer_depth(surface_only, lambda d: float(surface_only.surface.buoyancy))
    assert h_penetrating == pytest.approx(hand_penetrating, rel=1e-9)
    assert h_surface == pytest.approx(hand_surface, rel=1e-9)
    assert h_penetrating > h_surface + 0.1
    assert float(buoyancy_forcing(penetrating, h_penetrating)) < 0.0
    gamma_penetrating = kpp(penetrating, kpp.init_state(penetrating), 60.0)[0].nonlocal_
    gamma_surface = kpp(surface_only, kpp.init_state(surface_only), 60.0)[0].nonlocal_
    assert float(jnp.max(gamma_penetrating)) > 0.5 and float(jnp.max(jnp.abs(gamma_surface))) == 0.0


# ---------------------------------------------------------------------------------------------
# 2. Stable limits (LMD94 eq. 24)

STABLE_HEATING = Forcing.constant(wind_stress_x=0.1, heat_flux=1000.0)


def test_monin_obukhov_and_ekman_limits_equal_their_formulas_when_active():
    f = 2e-3
    column = column_with(STABLE_HEATING, mixed_layer=12.0, N2=1e-5, current=0.3, coriolis=f)
    ustar, B = float(column.surface.friction_velocity), float(column.surface.buoyancy)
    L, ekman = ustar**3 / (KAPPA * B), 0.7 * ustar / f
    h_free = float(KPP().boundary_layer_depth(column))
    assert h_free > max(L, ekman)  # both limits bind
    assert float(KPP(stable_limit=MoninObukhovLimit()).boundary_layer_depth(column)) == pytest.approx(
        L, rel=1e-12
    )
    assert float(KPP(stable_limit=EkmanLimit()).boundary_layer_depth(column)) == pytest.approx(
        ekman, rel=1e-12
    )
    both = float(KPP(stable_limit=EkmanMoninObukhovLimit()).boundary_layer_depth(column))
    assert both == pytest.approx(min(L, ekman), rel=1e-12)
    # inactive in convection, and the Ekman depth without rotation
    cooled = column_with(Forcing.constant(wind_stress_x=0.1, heat_flux=-100.0), mixed_layer=12.0, N2=1e-5,
                         current=0.3, coriolis=f)  # fmt: skip
    assert float(KPP(stable_limit=EkmanMoninObukhovLimit()).boundary_layer_depth(cooled)) == pytest.approx(
        float(KPP().boundary_layer_depth(cooled)), rel=1e-14
    )
    no_rotation = column_with(STABLE_HEATING, mixed_layer=12.0, N2=1e-5, current=0.3)
    assert float(KPP(stable_limit=EkmanLimit()).boundary_layer_depth(no_rotation)) == pytest.approx(
        float(KPP().boundary_layer_depth(no_rotation)), rel=1e-14
    )


# ---------------------------------------------------------------------------------------------
# 3. Matched shape and enhanced diffusivity


def test_matched_cubic_has_the_prescribed_value_and_slope_at_one():
    for at_one, slope in [(0.0, 0.0), (0.05, -0.3), (0.2, 0.0), (0.01, -1.0)]:
        G = lambda s, a=at_one, b=slope: matched_cubic(s, a, b)  # noqa: E731
        assert float(G(0.0)) == 0.0 and float(jax.grad(G)(0.0)) == pytest.approx(1.0)
        assert float(G(1.0)) == pytest.approx(at_one, abs=1e-14)
        assert float(jax.grad(G)(1.0)) == pytest.approx(slope, abs=1e-14)
    assert float(matched_cubic(0.3, 0.0, 0.0)) == pytest.approx(float(SimpleShape()(0.3)))


def test_lmd94_interpolation_of_the_interior_diffusivity():
    top_faces = jnp.linspace(0.0, 10.0, 11)  # 1 m cells
    K = 1e-2 - 5e-4 * top_faces  # dK/dz = +5e-4 (K decreasing downward)
    for h in (2.3, 5.0, 7.9):
        value, slope = interior_at_depth(K, top_faces, jnp.asarray(h))
        assert float(value) == pytest.approx(1e-2 - 5e-4 * h, rel=1e-12)
        assert float(slope) == pytest.approx(5e-4, rel=1e-12)
    # a kink at 5 m: gradient 1e-3 above, 0 below; h = 4.25 in the cell [4, 5]: weight 0.75 on "above"
    K = jnp.where(top_faces < 5.0, 1e-2 - 1e-3 * (top_faces - 5.0), 1e-2)
    value, slope = interior_at_depth(K, top_faces, jnp.asarray(4.25))
    assert float(slope) == pytest.approx(0.75 * 1e-3, rel=1e-12)
    assert float(value) == pytest.approx(1e-2 + 0.75e-3 * 0.75, rel=1e-12)


def test_shape_matching_formula():
    at_one, slope = shape_matching(2e-3, 1e-4, 20.0, 0.01, -1e-7, 0.01)  # unstable
    assert float(at_one) == pytest.approx(2e-3 / (20.0 * 0.01)) and float(slope) == pytest.approx(
        -1e-4 / 0.01
    )
    at_one, slope = shape_matching(2e-3, 1e-6, 20.0, 0.01, 1e-9, 0.01)  # stable: + 5 B K / u*^4
    assert float(slope) == pytest.approx(min(0.0, -1e-6 / 0.01 + 5.0 * 1e-9 * 2e-3 / 0.01**4))
    _, slope = shape_matching(2e-3, 0.0, 20.0, 0.01, 1e-7, 0.01)
    assert float(slope) == 0.0  # clipped at 0 (G'(1) <= 0)


COOLED = Forcing.constant(wind_stress_x=0.05, heat_flux=-200.0)
STRONG_INTERIOR = BackgroundInterior(background_viscosity=5e-3, background_diffusivity=2e-3)


def test_matched_profile_meets_the_interior_diffusivity_at_h():
    """Convection, constant interior K: G(1) = K_int / (h w_s), G'(1) = 0, and w_s constant below
    eps h, so K(sigma) = h w_s G(sigma) tends to K_int at the base (the simple shape to 0)."""
    column = column_with(COOLED, N2=1e-5)
    kpp = KPP(shape=MatchedShape(), base=PlainBase(), interior=STRONG_INTERIOR)
    diffusivities, state = kpp(column, kpp.init_state(column), 60.0)
    h = float(state.boundary_layer_depth)
    B, ustar = float(column.surface.buoyancy), float(column.surface.friction_velocity)
    w = hand_ws(0.1 * h, B, ustar)  # below eps h
    at_one = 2e-3 / (h * w)
    depth = -np.asarray(GRID.z_faces)
    inside = (depth > 0) & (depth < h)
    sigma = depth[inside] / h
    w_faces = np.array([hand_ws(min(s, 0.1) * h, B, ustar) for s in sigma])
    expected = h * w_faces * (sigma + (3 * at_one - 2) * sigma**2 + (1 - 2 * at_one) * sigma**3)
    np.testing.assert_allclose(np.asarray(diffusivities.tracers)[inside], expected, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(diffusivities.tracers)[~inside], 2e-3, rtol=1e-12)
    assert h * w * float(matched_cubic(1.0, at_one, 0.0)) == pytest.approx(2e-3, rel=1e-12)


def test_enhanced_diffusivity_at_the_base_is_lmd94_d6():
    column = column_with(COOLED, N2=1e-5)
    plain = KPP(base=PlainBase(), interior=STRONG_INTERIOR)
    enhanced = KPP(base=EnhancedBase(), interior=STRONG_INTERIOR)
    K_plain, state = plain(column, plain.init_state(column), 60.0)
    K_enhanced, _ = enhanced(column, enhanced.init_state(column), 60.0)
    h = float(state.boundary_layer_depth)
    centres, faces = -np.asarray(GRID.z_centers)[::-1], -np.asarray(GRID.z_faces)[::-1]
    k = int(np.sum(centres < h)) - 1  # deepest centre above h
    face = k + 1  # top-first index of the face below it
    delta = (h - centres[k]) / (centres[k + 1] - centres[k])
    B, ustar = float(column.surface.buoyancy), float(column.surface.friction_velocity)
    w = hand_ws(0.1 * h, B, ustar)
    G = lambda s: s * (1 - s) ** 2  # noqa: E731
    K_centre = h * w * G(centres[k] / h)
    inside = faces[face] < h
    K_face = h * w * G(faces[face] / h) if inside else 2e-3
    expected = (1 - delta) * 2e-3 + delta * ((1 - delta) ** 2 * K_centre + delta**2 * K_face)
    enhanced_top, plain_top = np.asarray(K_enhanced.tracers)[::-1], np.asarray(K_plain.tracers)[::-1]
    assert enhanced_top[face] == pytest.approx(expected, rel=1e-10)
    others = np.arange(faces.size) != face
    np.testing.assert_array_equal(enhanced_top[others], plain_top[others])
    gamma_enhanced, gamma_plain = np.asarray(K_enhanced.nonlocal_)[::-1], np.asarray(K_plain.nonlocal_)[::-1]
    if inside:  # CVMix rescales the non-local term by K_enhanced / K_boundary-layer
        assert gamma_enhanced[face] == pytest.approx(
            gamma_plain[face] * expected / plain_top[face], rel=1e-10
        )
    else:
        assert gamma_enhanced[face] == 0.0


# ---------------------------------------------------------------------------------------------
# 4. Interpolation of the crossing


DEPTHS = jnp.array([0.25, 0.75, 1.25, 1.75, 2.25, 2.75])


def cvmix_quadratic_root(x0, y0, x1, y1, x2, y2, critical):
    """Root in [x1, x2] of the quadratic f with f(x1) = y1, f(x2) = y2, f'(x1) = (y1 - y0)/(x1 - x0)."""
    slope = (y1 - y0) / (x1 - x0)
    c = (y2 - y1 - slope * (x2 - x1)) / (x2 - x1) ** 2  # f = y1 + slope (x - x1) + c (x - x1)²
    roots = np.roots([c, slope, y1 - critical]) + x1
    return float(next(r.real for r in roots if abs(r.imag) < 1e-12 and x1 - 1e-12 <= r.real <= x2 + 1e-12))


def test_quadratic_crossing_against_the_cvmix_quadratic():
    Ri = jnp.array([0.0, 0.05, 0.12, 0.4, 0.9, 2.0])
    h = float(QuadraticCrossing()(DEPTHS, Ri, 0.3))
    assert h == pytest.approx(cvmix_quadratic_root(0.75, 0.05, 1.25, 0.12, 1.75, 0.4, 0.3), rel=1e-12)
    assert float(LinearCrossing()(DEPTHS, Ri, 0.3)) == pytest.approx(1.25 + 0.5 * 0.18 / 0.28, rel=1e-12)
    # crossing between the first two centres: the backward difference from the surface (Ri_b = 0)
    Ri = jnp.array([0.1, 0.5, 0.9, 1.0, 1.0, 1.0])
    h = float(QuadraticCrossing()(DEPTHS, Ri, 0.3))
    assert h == pytest.approx(cvmix_quadratic_root(0.0, 0.0, 0.25, 0.1, 0.75, 0.5, 0.3), rel=1e-12)
    # with Ri_b = 0 at the top centre (always: its surface layer lies within the top cell) this is
    # CVMix's zero slope: 0.4 s² = 0.3
    Ri = jnp.array([0.0, 0.4, 0.9, 1.0, 1.0, 1.0])
    assert float(QuadraticCrossing()(DEPTHS, Ri, 0.3)) == pytest.approx(0.25 + 0.5 * np.sqrt(0.75), rel=1e-12)


def test_both_crossings_are_exact_for_a_linear_profile():
    Ri = 0.2 * DEPTHS
    for crossing in (LinearCrossing(), QuadraticCrossing()):
        for critical in (0.1, 0.3, 0.41):
            assert float(crossing(DEPTHS, Ri, critical)) == pytest.approx(critical / 0.2, rel=1e-12)


def test_quadratic_crossing_is_differentiable_in_ri_c_and_the_profile():
    Ri = jnp.array([0.0, 0.05, 0.12, 0.4, 0.9, 2.0])
    h = lambda critical, profile: QuadraticCrossing()(DEPTHS, profile, critical)  # noqa: E731
    dh_dc, dh_dRi = jax.grad(h, argnums=(0, 1))(0.3, Ri)
    step = 1e-6
    assert float(dh_dc) == pytest.approx(float(h(0.3 + step, Ri) - h(0.3 - step, Ri)) / (2 * step), rel=1e-6)
    for i in (1, 2, 3):
        e = jnp.zeros_like(Ri).at[i].set(step)
        fd = float(h(0.3, Ri + e) - h(0.3, Ri - e)) / (2 * step)
        assert float(dh_dRi[i]) == pytest.approx(fd, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("crossing", [LinearCrossing(), QuadraticCrossing()], ids=["linear", "quadratic"])
def test_boundary_layer_depth_derivative_near_a_level_crossing(crossing):
    """h within a tenth of a cell of a centre (on either side), in a sheared, cooled column:
    d h / d Ri_c by autodiff against central differences small enough to stay on one branch."""
    column = column_with(COOLED, mixed_layer=10.0, N2=1e-5, current=0.1)
    h_of = jax.jit(lambda c: KPP(critical_richardson=c, crossing=crossing).boundary_layer_depth(column))
    grad_of = jax.jit(
        jax.grad(lambda c: KPP(critical_richardson=c, crossing=crossing).boundary_layer_depth(column))
    )
    grid_c = np.linspace(0.15, 0.6, 451)
    hs = np.array([float(h_of(c)) for c in grid_c])
    centres = -np.asarray(GRID.z_centers)
    checked = 0
    for side in (-0.1, 0.1):  # a tenth of a cell above / below a centre
        target = np.array([np.min(np.abs(h - centres - side * 0.5)) for h in hs])
        c = float(grid_c[int(np.argmin(target))])
        h = float(h_of(c))
        assert np.min(np.abs(h - centres)) < 0.5 * 0.2  # near a centre
        step = 1e-7
        fd = (float(h_of(c + step)) - float(h_of(c - step))) / (2 * step)
        assert float(grad_of(c)) == pytest.approx(fd, rel=1e-5), (c, h)
        assert abs(fd) > 0.0
        checked += 1
    assert checked == 2


# ---------------------------------------------------------------------------------------------
# 5. Langmuir enhancement


def test_langmuir_factors_follow_their_formulas():
    assert float(McWilliamsSullivanLangmuir(langmuir_number=0.3).velocity_factor()) == pytest.approx(
        np.sqrt(1 + 0.08 / 0.3**4)
    )
    assert float(McWilliamsSullivanLangmuir().entrainment_factor()) == 1.0
    li = LiLangmuir(langmuir_number=0.3)
    expected = np.sqrt(1 + 1 / (1.5 * 0.3) ** 2 + 1 / (5.4 * 0.3) ** 4)
    assert float(li.velocity_factor()) == pytest.approx(expected) == float(li.entrainment_factor())
    assert float(LiLangmuir(langmuir_number=1e6).velocity_factor()) == pytest.approx(1.0)


def test_langmuir_enhancement_scales_the_boundary_layer_diffusivity():
    column = column_with(COOLED, N2=1e-5, current=0.05)
    plain, langmuir = KPP(base=PlainBase()), KPP(base=PlainBase(), langmuir=McWilliamsSullivanLangmuir())
    K, state = plain(column, plain.init_state(column), 60.0)
    K_l, state_l = langmuir(column, langmuir.init_state(column), 60.0)
    assert float(state_l.boundary_layer_depth) == float(state.boundary_layer_depth)  # no entrainment effect
    depth = -np.asarray(GRID.z_faces)
    inside = (depth > 0) & (depth < float(state.boundary_layer_depth))
    E = float(McWilliamsSullivanLangmuir().velocity_factor())
    np.testing.assert_allclose(np.asarray(K_l.tracers)[inside], E * np.asarray(K.tracers)[inside], rtol=1e-12)
    np.testing.assert_allclose(
        np.asarray(K_l.momentum)[inside], E * np.asarray(K.momentum)[inside], rtol=1e-12
    )
    li = KPP(langmuir=LiLangmuir())
    assert float(li.boundary_layer_depth(column)) > float(state.boundary_layer_depth)  # V_t² enhanced


# ---------------------------------------------------------------------------------------------
# 7. Gradients of every parameter against central differences, three regimes

STABLE = Forcing.constant(wind_stress_x=0.1, heat_flux=50.0, coriolis=3e-3)
NEUTRAL = Forcing.constant(wind_stress_x=0.1, wind_stress_y=0.05)
REGIMES = {
    # Ekman depth 0.7 u*/f = 2.3 m < h from Ri_b (2.7 to 3.5 m): the limit binds
    "stable": (STABLE, KPP(shape=MatchedShape(), stable_limit=EkmanLimit(),
                           langmuir=McWilliamsSullivanLangmuir())),
    "neutral": (NEUTRAL, KPP(shape=MatchedShape(), crossing=LinearCrossing(), langmuir=LiLangmuir())),
    "convective": (CONVECTIVE, KPP(shape=MatchedShape(), stable_limit=EkmanMoninObukhovLimit(),
                                   langmuir=LiLangmuir(), interior=BackgroundInterior())),
}  # fmt: skip
MUST_ACT = {  # parameters whose gradient must not vanish in that regime
    "stable": ("critical_richardson", "stable_limit.ekman_coefficient", "langmuir.langmuir_number",
               "langmuir.langmuir_coefficient", "von_karman"),
    "neutral": ("critical_richardson", "unresolved_shear", "langmuir.langmuir_number", "von_karman"),
    "convective": ("critical_richardson", "nonlocal_amplitude", "entrainment_ratio", "surface_layer_fraction",
                   "langmuir.langmuir_number"),
}  # fmt: skip


def check_gradients_against_differences(regime, names=None):
    """d loss / d p (scaled by p) by autodiff against `finite_difference` for the parameters
    `names` (all when None) of the closure of a regime; those of MUST_ACT must matter."""
    forcing, closure = REGIMES[regime]
    N2 = 1e-6 if regime == "convective" else 1e-4
    state0 = initial_state(N2=N2, u=0.0 if regime == "convective" else 0.1)
    loss_at = lambda c, s, f: loss_of_run(c, state0, forcing)  # noqa: E731
    loss, gradient = value_and_grad_of_run(closure, state0, forcing)
    for path in param_paths(closure):
        name = ".".join(path)
        if names is not None and name not in names:
            continue
        value = float(get(closure, path))
        scaled_gradient = value * float(get(gradient, path))
        scaled_difference = value * finite_difference(loss_at, closure, path)
        if name in MUST_ACT[regime]:
            assert abs(scaled_difference) > 1e-6 * float(loss), (name, scaled_difference)
        tolerance = 1e-4 * abs(scaled_difference) + 1e-9 * float(loss)
        assert abs(scaled_gradient - scaled_difference) <= tolerance, (
            name,
            scaled_gradient,
            scaled_difference,
        )


@pytest.mark.slow  # 35-60 s on the 2-core CI machine
def test_gradients_of_the_new_kpp_parameters_in_stable_forcing():
    """The Ekman coefficient (the limit binds) and the Langmuir parameters; every other parameter
    and the other regimes in the slow test below."""
    check_gradients_against_differences(
        "stable",
        ("stable_limit.ekman_coefficient", "langmuir.langmuir_number", "langmuir.langmuir_coefficient"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_every_kpp_parameter_gradient_matches_central_differences(regime):
    """Every parameter (interior, shape, limit, Langmuir included), stable, neutral and convective."""
    check_gradients_against_differences(regime)


@pytest.mark.slow
def test_the_stable_regime_is_limited_by_the_ekman_depth():
    """The premise of the stable gradient case: h is the Ekman depth there."""
    _, closure = REGIMES["stable"]
    from calib.core.integrate import simulate
    from tests.test_closures import model_for

    trajectory = simulate(
        model_for(closure, STABLE), initial_state(N2=1e-4, u=0.1), n_saves=3, steps_per_save=12
    )
    unlimited = simulate(model_for(eqx.tree_at(lambda c: c.stable_limit, closure, NoStableLimit()), STABLE),
                         initial_state(N2=1e-4, u=0.1), n_saves=3, steps_per_save=12)  # fmt: skip
    ekman = 0.7 * np.sqrt(0.1 / EOS.rho0) / 3e-3
    np.testing.assert_allclose(
        np.asarray(trajectory.closure_state.boundary_layer_depth)[1:], ekman, rtol=1e-9
    )
    assert np.all(np.asarray(unlimited.closure_state.boundary_layer_depth)[1:] > ekman + 0.3)


def test_match_gradient_keeps_the_simple_non_local_shape():
    """CVMix "MatchGradient": K from the matched cubic, gamma from sigma (1 - sigma)²."""
    column = column_with(COOLED, N2=1e-5)
    both = KPP(shape=MatchedShape(), base=PlainBase(), interior=STRONG_INTERIOR)
    gradient_only = KPP(shape=MatchGradientShape(), base=PlainBase(), interior=STRONG_INTERIOR)
    simple = KPP(base=PlainBase(), interior=STRONG_INTERIOR)
    K_both, _ = both(column, both.init_state(column), 60.0)
    K_gradient, _ = gradient_only(column, gradient_only.init_state(column), 60.0)
    K_simple, _ = simple(column, simple.init_state(column), 60.0)
    np.testing.assert_array_equal(np.asarray(K_gradient.tracers), np.asarray(K_both.tracers))
    np.testing.assert_array_equal(np.asarray(K_gradient.nonlocal_), np.asarray(K_simple.nonlocal_))
    assert np.max(np.abs(np.asarray(K_both.nonlocal_) - np.asarray(K_simple.nonlocal_))) > 1e-3
