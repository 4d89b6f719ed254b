"""The closure contract, run over every registered closure, and end-to-end gradients.

Every class in `calib.core.closures.CLOSURES` must: jit; return finite, non-negative diffusivities at
the nz + 1 faces and a closure state of unchanged structure; give finite gradients of a short
run; round-trip its parameters. For the turbulence closures the loss gradient with respect to
every parameter (nested ones included) must match central finite differences in float64.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from calib.core.closures import CLOSURES
from calib.core.closures._face_transport import Flux, face_system, implicit_face_step
from calib.core.closures._stability import CanutoA, EquilibriumLimiter
from calib.core.closures.k_epsilon import (
    KanthaClaysonQuasiEquilibrium,
    KEpsilon,
    LawOfTheWall,
    WaveBreakingFlux,
)
from calib.core.closures.kpp import KPP
from calib.core.closures.tke import DistanceLimitedLength, TurbulentKineticEnergy
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import Forcing
from calib.core.grid import Grid
from calib.core.integrate import simulate
from calib.core.model import ColumnModel
from calib.core.params import get_parameter, parameter_info, parameter_values, set_parameters
from calib.core.state import State, make_column

EOS = LinearEquationOfState(rho0=1027.0, alpha=2e-4, beta=0.0, T0=16.0, S0=35.0)
NZ = 16
GRID = Grid.uniform(32.0, NZ)
DT = 300.0
NAMES = sorted(CLOSURES)
# The gradients of these compile for 20-60 s each on the 2-core CI machine: their share of the
# battery (a gradient through a short run, and runs across the parameter box, which reuse that
# compilation) runs with the slow tests; each has its own gradient tests against central
# differences (tests/test_gls.py, tests/test_catke.py).
COSTLY_GRADIENTS = {"catke", "gls", "gls_gen", "k_kl", "k_omega"}
GRADIENT_NAMES = [pytest.param(n, marks=pytest.mark.slow) if n in COSTLY_GRADIENTS else n for n in NAMES]


def initial_state(N2: float = 1e-4, u: float = 0.1) -> State:
    """Linear stratification with a uniform current (felt by the bottom drag)."""
    return State(
        u=jnp.full(NZ, u),
        v=jnp.zeros(NZ),
        T=16.0 + N2 / (EOS.gravity * EOS.alpha) * GRID.z_centers,
        S=jnp.full(NZ, 35.0),
    )


FORCED = Forcing.constant(wind_stress_x=0.08, wind_stress_y=0.04, heat_flux=-100.0)
UNFORCED = Forcing.constant()


def model_for(closure, forcing: Forcing = FORCED) -> ColumnModel:
    """With the default forcing (wind, cooling) and the bottom drag of a uniform current, every
    boundary condition of the closures is exercised."""
    return ColumnModel(
        grid=GRID, eos=EOS, forcing=forcing, closure=closure, dt=DT, bottom_drag_coefficient=2.5e-3
    )


def run_loss(closure, state0: State, forcing: Forcing) -> jax.Array:
    """Squared change of T, u, v over 3 h, saved every hour."""
    trajectory = simulate(model_for(closure, forcing), state0, n_saves=3, steps_per_save=12)
    state = trajectory.state
    change = lambda saved, start: saved - start[None, :]  # noqa: E731
    return jnp.sum(change(state.T, state0.T) ** 2) + jnp.sum(change(state.u, state0.u) ** 2 + state.v**2)


# Compiled once per closure structure and shared by the tests below (the forcing and the initial
# state are traced arguments, so the unforced case reuses the compilation).
loss_of_run = eqx.filter_jit(run_loss)
value_and_grad_of_run = eqx.filter_jit(eqx.filter_value_and_grad(run_loss))


def a_column():
    model = model_for(None)
    state = initial_state()
    surface = model.forcing.surface_fluxes(jnp.asarray(0), DT, state.S[-1], EOS)
    return make_column(GRID, state, surface, EOS, model.bottom_drag_coefficient)


def param_paths(module, prefix=()) -> list[tuple[str, ...]]:
    """Attribute paths of every `param` field, descending into sub-Modules."""
    paths = []
    for field in dataclasses.fields(module):
        value = getattr(module, field.name)
        if field.metadata.get("is_param"):
            paths.append((*prefix, field.name))
        elif isinstance(value, eqx.Module):
            paths.extend(param_paths(value, (*prefix, field.name)))
    return paths


def get(module, path):
    for name in path:
        module = getattr(module, name)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_call_jits_and_returns_finite_positive_faces(name):
    closure = CLOSURES[name]()
    column = a_column()
    state = closure.init_state(column)
    call = eqx.filter_jit(lambda c, col, s: c(col, s, DT))
    for _ in range(3):  # a few steps with the same column: the state stays well formed
        diffusivities, new_state = call(closure, column, state)
        assert jax.tree.structure(new_state) == jax.tree.structure(state)
        assert [a.shape for a in jax.tree.leaves(new_state)] == [a.shape for a in jax.tree.leaves(state)]
        state = new_state
    for values in (diffusivities.momentum, diffusivities.tracers):
        assert values.shape == (NZ + 1,)
        assert bool(jnp.all(jnp.isfinite(values))) and bool(jnp.all(values >= 0.0))
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(state))


@pytest.mark.parametrize("name", NAMES)
def test_closure_state_fields_carry_units_and_long_names(name):
    closure = CLOSURES[name]()
    state = closure.init_state(a_column())
    if state is None:
        return
    for field in dataclasses.fields(state):
        assert getattr(state, field.name).shape in ((NZ + 1,), ())  # profiles at the faces, or a scalar
        assert field.metadata["units"] and field.metadata["long_name"]


@pytest.mark.parametrize("name", GRADIENT_NAMES)
def test_gradient_of_a_short_run_is_finite(name):
    closure = CLOSURES[name]()
    _, gradient = value_and_grad_of_run(closure, initial_state(), FORCED)
    leaves = jax.tree.leaves(eqx.filter(gradient, eqx.is_inexact_array))
    assert leaves and all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves)
    assert any(float(jnp.abs(get(gradient, path))) > 0.0 for path in param_paths(closure))


@pytest.mark.parametrize("name", NAMES)
def test_parameters_round_trip(name):
    cls = CLOSURES[name]
    info = parameter_info(cls)
    assert info, "a closure without parameters cannot be calibrated"
    for item in info.values():
        assert item.lower <= item.default <= item.upper
        assert item.units and item.doc
    closure = cls()
    assert parameter_values(closure) == pytest.approx({n: i.default for n, i in info.items()})
    for name_ in info:
        value = get_parameter(closure, name_)
        assert eqx.is_inexact_array(value) and value.shape == ()
    middle = {n: 0.5 * (i.lower + i.upper) for n, i in info.items()}
    assert parameter_values(set_parameters(closure, middle)) == pytest.approx(middle)
    top = {n: v for n, v in parameter_values(closure).items() if "." not in n}  # constructor keywords
    assert parameter_values(cls(**top)) == pytest.approx(parameter_values(closure))


def random_parameters(cls, rng: np.random.Generator) -> dict[str, float]:
    """A point inside the bounds: log-uniform over ranges of more than two decades."""
    values = {}
    for name, item in parameter_info(cls).items():
        if item.lower > 0.0 and item.upper > 100.0 * item.lower:
            values[name] = float(np.exp(rng.uniform(np.log(item.lower), np.log(item.upper))))
        else:
            values[name] = float(rng.uniform(item.lower, item.upper))
    return values


@pytest.mark.parametrize("name", GRADIENT_NAMES)
def test_runs_and_gradients_stay_finite_across_the_parameter_box(name):
    """A fit may put the parameters anywhere inside their bounds."""
    rng = np.random.default_rng(7)
    for _ in range(6):
        closure = set_parameters(CLOSURES[name](), random_parameters(CLOSURES[name], rng))
        loss, gradient = value_and_grad_of_run(closure, initial_state(), FORCED)
        leaves = jax.tree.leaves(eqx.filter(gradient, eqx.is_inexact_array))
        assert np.isfinite(float(loss)) and all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves)


def test_nested_parameter_modules_round_trip():
    for module in (KanthaClaysonQuasiEquilibrium(), WaveBreakingFlux()):
        info = parameter_info(module)
        assert info and all(i.lower <= i.default <= i.upper for i in info.values())
        assert parameter_values(type(module)(**parameter_values(module))) == parameter_values(module)


FINITE_DIFFERENCE_CASES = {
    "k_epsilon": KEpsilon(),
    "k_epsilon_kantha_clayson_wave_breaking": KEpsilon(
        stability=KanthaClaysonQuasiEquilibrium(),
        surface=WaveBreakingFlux(),
        bottom=LawOfTheWall(),
        c_epsilon3_stable=-0.4,
        surface_roughness=0.5,
    ),
    "tke": TurbulentKineticEnergy(),
    "tke_distance_limited": TurbulentKineticEnergy(mixing_length=DistanceLimitedLength()),
}


def finite_difference(loss_at, closure, path) -> float:
    """d loss / d p by Richardson-extrapolated central differences (error O(h⁴)).

    The step is chosen per parameter from the differences themselves: among relative steps
    1e-2 ... 1e-6, the estimate that agrees best with the one at the next smaller step (large
    steps meet the nonlinearity, small ones the round-off of a long run)."""
    value = get(closure, path)

    def central(h):
        plus = loss_at(eqx.tree_at(lambda m: get(m, path), closure, value + h), initial_state(), FORCED)
        minus = loss_at(eqx.tree_at(lambda m: get(m, path), closure, value - h), initial_state(), FORCED)
        return float(plus - minus) / (2.0 * h)

    steps = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
    estimates = []
    for relative in steps:
        h = relative * abs(float(value))
        estimates.append((4.0 * central(h) - central(2.0 * h)) / 3.0)
    spreads = [abs(a - b) for a, b in zip(estimates[:-1], estimates[1:], strict=True)]
    return estimates[int(np.argmin(spreads))]


@pytest.mark.parametrize("case", sorted(FINITE_DIFFERENCE_CASES))
def test_gradient_matches_central_differences(case):
    """d loss / d p against central differences for every parameter, nested ones included.

    The scenario (wind-mixed, cooled, stable) keeps every face away from the switches of the
    closures (sign of B, N² < 0), so the loss is smooth on the scale of the steps. A parameter
    whose effect on the loss is below 1e-9 of it in this run (e.g. c3+ without convection, the
    convective diffusivity, von Karman with flux boundary conditions) must have a tiny gradient.
    """
    closure = FINITE_DIFFERENCE_CASES[case]
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


@pytest.mark.parametrize("closure", [KEpsilon(), TurbulentKineticEnergy()], ids=["k_epsilon", "tke"])
def test_gradient_is_finite_with_turbulence_on_its_floor(closure):
    """No forcing, strong stratification: k (e) stays on its minimum everywhere in the interior,
    where max(), sqrt and divisions by k meet their floors."""
    state0 = initial_state(N2=1e-3, u=0.0)
    trajectory = eqx.filter_jit(simulate)(model_for(closure, UNFORCED), state0, 3, 12)
    turbulence = jax.tree.leaves(trajectory.closure_state)[0]
    floor_name = "k_min" if isinstance(closure, KEpsilon) else "tke_min"
    assert bool(jnp.all(turbulence[:, 1:-1] == getattr(closure, floor_name)))
    _, gradient = value_and_grad_of_run(closure, state0, UNFORCED)
    leaves = jax.tree.leaves(eqx.filter(gradient, eqx.is_inexact_array))
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves)
    assert float(jnp.abs(getattr(gradient, floor_name))) > 0.0


def test_face_transport_conserves_with_flux_boundaries():
    """With flux conditions and no sources, sum(phi h) over the interior faces changes by
    exactly dt (bottom flux + surface flux); phi stays positive."""
    grid = Grid.stretched(40.0, 12, 1.5)
    phi = jnp.linspace(1.0, 2.0, 13) ** 2
    diffusivity = jnp.linspace(0.01, 0.1, 13)
    zero = jnp.zeros(13)
    bottom, surface = Flux(jnp.asarray(2e-4)), Flux(jnp.asarray(5e-4))
    (new,) = implicit_face_step([face_system(phi, diffusivity, zero, zero, bottom, surface, grid, 600.0)])
    content = lambda x: jnp.sum(x[1:-1] * grid.dz_faces[1:-1])  # noqa: E731
    assert float(content(new) - content(phi)) == pytest.approx(600.0 * 7e-4, rel=1e-10)
    assert float(new[0]) == pytest.approx(float(new[1])) and float(new[-1]) == pytest.approx(float(new[-2]))
    assert bool(jnp.all(new > 0.0))
    np.testing.assert_array_less(0.0, np.asarray(new))


CONVECTIVE = Forcing.constant(wind_stress_x=0.02, heat_flux=-300.0)
CONVECTIVE_CASES = {
    "k_epsilon_pole_limits": KEpsilon(),
    "k_epsilon_gotm_limits": KEpsilon(stability=CanutoA(limiter=EquilibriumLimiter())),
    "tke": TurbulentKineticEnergy(convective_diffusivity=0.5),  # not saturated: it matters
    "kpp": KPP(),
}
CONVECTIVE_PARAMETERS = {
    "kpp": ("critical_richardson", "unresolved_shear", "surface_layer_fraction", "entrainment_ratio",
            "nonlocal_amplitude", "von_karman"),  # fmt: skip
    "k_epsilon": (
        "c_epsilon1",
        "c_epsilon2",
        "c_epsilon3_unstable",
        "c_epsilon3_stable",
        "sigma_k",
        "von_karman",
    ),
    "tke": ("c_k", "c_epsilon", "convective_diffusivity", "surface_tke_coefficient"),
}


@pytest.mark.parametrize("case", sorted(CONVECTIVE_CASES))
def test_gradient_matches_central_differences_in_convection(case):
    """The convective branch: 300 W m-2 of cooling under a light wind into weak stratification
    (N² = 1e-6 s-2), so that B > 0 (c3+), the convective limiter of the stability functions and
    the enhanced diffusion of TKE are active on most faces for 3 h. Gradients of the parameters
    that act there against central differences (1e-4 relative)."""
    closure = CONVECTIVE_CASES[case]
    state0 = initial_state(N2=1e-6, u=0.0)
    loss_at = lambda c, s, f: loss_of_run(c, state0, CONVECTIVE)  # noqa: E731
    loss, gradient = value_and_grad_of_run(closure, state0, CONVECTIVE)
    names = CONVECTIVE_PARAMETERS[case if case in ("tke", "kpp") else "k_epsilon"]
    for name in names:
        path = (name,)
        value = float(get(closure, path))
        scaled_gradient = value * float(get(gradient, path))
        scaled_difference = value * finite_difference(loss_at, closure, path)
        assert abs(scaled_gradient) > 1e-8 * float(loss), (
            name,
            "has no effect here: the test misses the branch",
        )
        assert abs(scaled_gradient - scaled_difference) <= 1e-4 * abs(scaled_difference) + 1e-9 * float(loss), (
            name, scaled_gradient, scaled_difference,
        )  # fmt: skip
