"""Parameters of sub-Modules (stability functions, wall conditions) are named with dots, can be
set in a case, chosen as variants, differentiated and fitted like top-level ones."""

import jax
import numpy as np
import pytest

import calib
from calib.config.build import build
from calib.core.closures.k_epsilon import KEpsilon
from calib.core.params import get_parameter, parameter_info, parameter_values, set_parameters, variant_options

CASE = """
name: nested
grid: {depth: 40, nz: 16}
time: {start: 2000-01-01, dt: 300 s, duration: 12 h, output_interval: 1 h}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35.0}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0, T0: 16.0, S0: 35.0}
forcing: {wind_stress_x: 0.1}
closure: {name: k_epsilon, stability: kantha_clayson, surface: wave_breaking, schmidt_epsilon: parameter,
          parameters: PARAMETERS}
"""


def case_of(parameters: str = "{}"):
    return calib.parse_case(CASE.replace("PARAMETERS", parameters))


def test_dotted_names_cover_the_chosen_variants():
    default = parameter_info(KEpsilon())
    assert "c_epsilon1" in default and not any(
        name.startswith("stability.") for name in default
    )  # Canuto-A: fixed
    closure = build(case_of()).model.closure
    info = parameter_info(closure)
    assert {"stability.C1", "stability.A1", "surface.craig_banner_coefficient"} <= set(info)
    assert info["stability.C1"].lower == 0.0 and info["stability.C1"].source == "Mellor & Yamada (1982)"
    assert parameter_values(closure)["surface.craig_banner_coefficient"] == pytest.approx(100.0)
    options = variant_options(closure)
    assert set(options) == {"stability", "surface", "bottom", "schmidt_epsilon", "stable_buoyancy", "shear_production"}
    assert {"canuto_a", "canuto_b", "cheng", "kantha_clayson", "kantha_clayson_rational"} == set(options["stability"])
    moved = set_parameters(closure, {"stability.C1": 0.05})
    assert float(get_parameter(moved, "stability.C1")) == 0.05 and float(closure.stability.C1) == 0.08


def test_dotted_parameters_are_set_from_a_case_and_checked():
    closure = build(case_of("{stability.C1: 0.06, surface.craig_banner_coefficient: 80}")).model.closure
    assert (
        float(closure.stability.C1) == pytest.approx(0.06)
        and float(closure.surface.craig_banner_coefficient) == 80
    )
    with pytest.raises(
        calib.ConfigError, match=r"closure.parameters.stability.C9: k_epsilon has no parameter"
    ):
        build(case_of("{stability.C9: 0.06}"))
    with pytest.raises(
        calib.ConfigError, match=r"closure.parameters.stability.C1: must be within \[0, 0.12\]"
    ):
        build(case_of("{stability.C1: 0.5}"))
    with pytest.raises(
        calib.ConfigError, match=r"unknown stability 'kanta_clayson' \(did you mean 'kantha_clayson'"
    ):
        build(calib.parse_case(CASE.replace("kantha_clayson", "kanta_clayson").replace("PARAMETERS", "{}")))


@pytest.mark.slow  # 35-60 s on the 2-core CI machine
def test_gradient_of_a_nested_parameter_matches_central_differences():
    f = calib.simulator(case_of(), ["stability.C1", "surface.craig_banner_coefficient"], outputs=["T"])

    def mean_top_temperature(parameters):
        return f(parameters)["T"][-1, -4:].mean()

    p0 = f.defaults
    gradient = jax.grad(mean_top_temperature)(p0)

    def central(name, step):
        plus, minus = dict(p0), dict(p0)
        plus[name], minus[name] = p0[name] + step, p0[name] - step
        return float(mean_top_temperature(plus) - mean_top_temperature(minus)) / (2 * step)

    # the model is strongly nonlinear in C1 (central differences converge only below ~1e-5); the
    # difference quotient itself carries an O(step²) error of ~1e-6 relative
    for name, step in (("stability.C1", 1e-6), ("surface.craig_banner_coefficient", 1e-3)):
        assert float(gradient[name]) == pytest.approx(central(name, step), rel=2e-6, abs=1e-12), name
        assert abs(float(gradient[name])) > 0


def test_a_nested_parameter_is_fitted_like_a_top_level_one():
    truth = calib.run(case_of("{stability.C1: 0.05}"))
    result = calib.fit(case_of(), truth, parameters=["stability.C1"], iterations=20, uncertainty=False)
    assert result.parameters["stability.C1"] == pytest.approx(0.05, rel=1e-3)
    fitted = result.fitted_case.closure
    assert fitted.parameters["stability.C1"] == pytest.approx(0.05, rel=1e-3)
    assert fitted.variants == {
        "stability": "kantha_clayson",
        "surface": "wave_breaking",
        "schmidt_epsilon": "parameter",
    }
    assert np.isfinite(result.result.loss_end)
