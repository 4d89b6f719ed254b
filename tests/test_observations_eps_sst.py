"""Observations of the TKE dissipation rate (epsilon) and the sea-surface temperature (SST): loading,
targets, the log10 misfit and its gradient, an SST-only fit, and the refusal of implausible files."""

from __future__ import annotations

from pathlib import Path

import equinox as eqx
import jax
import numpy as np
import pytest
import xarray as xr

from calib import config
from calib.analysis.diagnostics import sea_surface_temperature
from calib.calibration.calibrate import calibrate
from calib.calibration.problem import build_problem, load_input
from calib.common.errors import ConfigError, DataError
from calib.config import build
from calib.config.fit import FitSettings, parse_weights_option
from calib.core.integrate import simulate
from calib.io.netcdf import trajectory_to_dataset, write_dataset
from calib.io.observations import load_observations

CASE = """
name: eps_sst
grid: {{depth: 40, nz: {nz}}}
time: {{dt: {dt} s, duration: {hours} h, output_interval: 1 h, start: 2000-01-01}}
initial: {{T: {{type: linear, surface: 16.0, gradient: 0.05}}, S: 35.0}}
equation_of_state: {{type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0}}
forcing: {{latitude: 45, wind_stress_x: 0.1, heat_flux: -100}}
closure: {{name: {closure}{parameters}}}
"""
TIMES = np.array(["2000-01-01T00", "2000-01-01T01", "2000-01-01T02", "2000-01-01T03"], "datetime64[ns]")


def case_text(closure="pacanowski_philander", parameters="", nz=16, dt=300, hours=12) -> str:
    return CASE.format(closure=closure, parameters=parameters, nz=nz, dt=dt, hours=hours)


def run_dataset(text: str) -> xr.Dataset:
    """What `calib run` writes for the case (with its closure state: epsilon for k-epsilon)."""
    built = build.build(config.parse_case(text))
    trajectory = simulate(built.model, built.initial, built.n_saves, built.steps_per_save)
    return trajectory_to_dataset(trajectory, built.model, start="2000-01-01", case_text=text, case_name="x")


def problem_of(text: str, observations, **settings):
    case = config.parse_case(text)
    return build_problem([load_input(case, observations)], FitSettings(**settings))


# --- loading ------------------------------------------------------------------------------------


def test_epsilon_and_sst_load_from_netcdf_with_foreign_names(tmp_path):
    depth = np.array([2.0, 5.0, 10.0])  # positive down
    eps = np.array([[1e-6, 1e-7, 1e-8], [2e-6, np.nan, 3e-8], [1e-6, 1e-7, 1e-9], [5e-7, 5e-8, 5e-9]])
    ds = xr.Dataset(
        {
            "diss": (("time", "depth"), eps, {"units": "W kg-1"}),
            "sea_surface_temperature": ("time", [15.0, 15.5, 16.0, 15.8], {"units": "degC"}),
        },
        coords={"time": TIMES, "depth": ("depth", depth, {"positive": "down"})},
    )
    ds.to_netcdf(tmp_path / "o.nc")
    obs = load_observations(tmp_path / "o.nc")
    assert set(obs.data_vars) == {"epsilon", "SST"}
    assert obs["SST"].dims == ("time",)
    np.testing.assert_array_equal(obs["SST"].values, [15.0, 15.5, 16.0, 15.8])
    np.testing.assert_array_equal(obs["z"].values, [-10.0, -5.0, -2.0])
    np.testing.assert_array_equal(obs["epsilon"].values[0], [1e-8, 1e-7, 1e-6])  # bottom first
    assert obs["epsilon"].attrs["units"] == "m2 s-3"
    assert (
        obs["epsilon"].attrs["standard_name"] == "specific_turbulent_kinetic_energy_dissipation_in_sea_water"
    )
    assert obs["SST"].attrs["units"] == "degree_Celsius"


def test_epsilon_found_by_standard_name_and_sst_by_short_name(tmp_path):
    ds = xr.Dataset(
        {
            "whatever": (("time", "z"), np.full((4, 2), 1e-7),
                         {"standard_name": "specific_turbulent_kinetic_energy_dissipation_in_sea_water"}),
            "SST": ("time", np.full(4, 12.0)),
        },
        coords={"time": TIMES, "z": ("z", [-3.0, -1.0], {"positive": "up"})},
    )  # fmt: skip
    obs = load_observations(ds)
    assert set(obs.data_vars) == {"epsilon", "SST"}


# --- plausibility -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("temp", np.full((4, 2), 300.0), r"temp: mean 300\.0 looks like kelvin"),
        ("temp", np.full((4, 2), 45.0), r"temp: value 45 °C .*outside .*\[-3, 40\]"),
        ("salt", np.full((4, 2), 60.0), r"salt: value 60 psu .*\[0, 50\]"),
        ("salt", np.full((4, 2), -1.0), r"salt: value -1 .*\[0, 50\]"),
        ("u", np.full((4, 2), 50.0), r"u: value 50 m s⁻¹ .*cm s-1"),
        ("eps", np.full((4, 2), 0.0), r"eps: 8 value\(s\) <= 0 .*log10"),
        ("eps", np.full((4, 2), -7.0), r"eps: 8 value\(s\) <= 0 \(smallest -7"),
        ("eps", np.full((4, 2), 3.0), r"eps: value 3 m² s⁻³ .*plausible range \[0, 1\]"),
    ],
)
def test_implausible_observations_are_refused_naming_file_variable_and_value(
    tmp_path, name, values, expected
):
    ds = xr.Dataset(
        {name: (("time", "z"), values)}, coords={"time": TIMES, "z": ("z", [-3.0, -1.0], {"positive": "up"})}
    )
    ds.to_netcdf(tmp_path / "bad.nc")
    with pytest.raises(DataError, match=rf"bad\.nc: {expected}"):
        load_observations(tmp_path / "bad.nc")


def test_sst_with_a_vertical_axis_is_refused(tmp_path):
    ds = xr.Dataset(
        {"sst": (("time", "z"), np.full((4, 2), 10.0))}, coords={"time": TIMES, "z": [-3.0, -1.0]}
    )
    with pytest.raises(DataError, match=r"sst: SST must be a time series on \(time,\)"):
        load_observations(ds)


def test_salinity_of_1_psu_against_an_initial_35_psu_is_refused_at_fit_setup(tmp_path):
    text = case_text()
    ds = run_dataset(text)
    ds["S"] = ds["S"] * 0 + 1.0  # plausible alone (in [0, 50]), implausible for this case
    write_dataset(ds, tmp_path / "obs.nc")
    with pytest.raises(DataError, match=r"obs\.nc: S: observed mean 1 psu .* against 35 psu .*units"):
        problem_of(text, tmp_path / "obs.nc", parameters=("nu0",))


def test_temperature_offset_of_20_K_from_the_initial_state_is_refused(tmp_path):
    text = case_text()
    ds = run_dataset(text)
    ds["T"] = ds["T"] + 20.0  # e.g. the wrong variable (in range, 20 K off the initial profile)
    write_dataset(ds, tmp_path / "obs.nc")
    with pytest.raises(
        DataError,
        match=r"obs\.nc: T: observed mean 3\d\.?\d* °C .* against 1\d\.?\d* °C .*more than 15 °C apart",
    ):
        problem_of(text, tmp_path / "obs.nc", parameters=("nu0",))


def test_temperature_in_kelvin_is_refused_when_fitting(tmp_path):
    text = case_text()
    ds = run_dataset(text)
    ds["T"] = ds["T"] + 273.15
    write_dataset(ds, tmp_path / "obs.nc")
    with pytest.raises(DataError, match=r"obs\.nc: T: mean 28\d\.\d looks like kelvin; convert to degC"):
        problem_of(text, tmp_path / "obs.nc", parameters=("nu0",))


# --- SST ----------------------------------------------------------------------------------------


def sst_file(path, text: str) -> xr.Dataset:
    """The case's SST series (the diagnostics' definition) as an SST-only observation file."""
    ds = run_dataset(text)
    sst = sea_surface_temperature(ds["T"].values, ds["z"].values)
    xr.Dataset({"sst": ("time", sst, {"units": "degC"})}, coords={"time": ds["time"].values}).to_netcdf(path)
    return ds


def test_sst_target_is_the_observed_series_at_the_save_times(tmp_path):
    text = case_text()
    truth = sst_file(tmp_path / "sst.nc", text)
    problem, experiments = problem_of(text, tmp_path / "sst.nc", parameters=("nu0",))
    (experiment,) = experiments
    assert experiment.targets.T is None and experiment.targets.SST.shape == (12, 1)
    expected = sea_surface_temperature(truth["T"].values[1:], truth["z"].values)  # saves after t = 0
    np.testing.assert_array_equal(experiment.targets.SST[:, 0], expected)
    assert float(problem.loss(problem.theta_start)) < 1e-20  # the same parameters: zero misfit


def test_sst_only_fit_reduces_the_loss(tmp_path):
    truth = case_text()
    sst_file(tmp_path / "sst.nc", truth)
    start = case_text(parameters=", parameters: {nu0: 0.004, alpha: 8.0}")
    settings = FitSettings(parameters=("nu0", "alpha"), iterations=3, weights=parse_weights_option("SST=1"))
    problem, _ = build_problem([load_input(config.parse_case(start), tmp_path / "sst.nc")], settings)
    result = calibrate(problem, settings)
    assert result.loss_start > 0.01  # in units of the variance of the observed SST
    assert result.loss_end < 0.1 * result.loss_start, (result.loss_start, result.loss_end)


# --- epsilon ------------------------------------------------------------------------------------

TINY = dict(closure="k_epsilon", nz=6, dt=900, hours=2)
FACES = np.linspace(-40.0, 0.0, 7)  # the faces of TINY's grid


def epsilon_file(path, values) -> Path:
    """epsilon (m2 s-3) on TINY's faces at its two save times, depth positive down as in a
    microstructure file."""
    values = np.broadcast_to(values, (2, FACES.size))
    ds = xr.Dataset(
        {"eps": (("time", "depth"), values[:, ::-1], {"units": "W kg-1"})},
        coords={"time": TIMES[1:3], "depth": ("depth", -FACES[::-1], {"positive": "down"})},
    )
    ds.to_netcdf(path)
    return path


@pytest.fixture(scope="module")
def constant_epsilon(tmp_path_factory):
    return epsilon_file(tmp_path_factory.mktemp("eps") / "eps.nc", 1e-7)


def test_epsilon_log_misfit_is_zero_when_model_equals_observations_and_counts_decades(
    tmp_path, constant_epsilon
):
    errors = eqx.filter_jit(lambda theta, problem: problem.errors(theta))
    problem, (experiment,) = problem_of(case_text(**TINY), constant_epsilon, parameters=("c_epsilon1",))
    assert experiment.targets.epsilon.shape == (2, 7)  # on the faces, every face observed
    np.testing.assert_allclose(experiment.targets.epsilon, 1e-7, rtol=1e-12)
    ((name, error),) = errors(problem.theta_start, problem)
    assert name == "epsilon"
    model = 1e-7 * 10.0 ** np.asarray(error)[0]  # the model's epsilon: error = log10(model / 1e-7)
    assert np.all(model > 0) and np.ptp(np.log10(model)) > 0.5  # a profile spanning decades
    for factor, expected in ((1.0, 0.0), (10.0, -1.0), (0.01, 2.0)):
        problem, _ = problem_of(case_text(**TINY), epsilon_file(tmp_path / f"{factor}.nc", factor * model),
                                parameters=("c_epsilon1",))  # fmt: skip
        ((_, error),) = errors(problem.theta_start, problem)
        np.testing.assert_allclose(np.asarray(error), expected, atol=1e-9)  # decades


@pytest.mark.slow
def test_epsilon_misfit_gradient_matches_central_differences(constant_epsilon):
    start = case_text(parameters=", parameters: {c_epsilon1: 1.55}", **TINY)
    problem, _ = problem_of(start, constant_epsilon, parameters=("c_epsilon1",))
    theta = problem.theta_start
    value_and_grad = eqx.filter_jit(lambda t, p: jax.value_and_grad(p.loss)(t))
    value, gradient = value_and_grad(theta, problem)
    gradient = float(gradient[0])
    h = 1e-5
    central = (
        float(value_and_grad(theta + h, problem)[0]) - float(value_and_grad(theta - h, problem)[0])
    ) / (2 * h)
    assert float(value) > 1e-6 and abs(gradient) > 1e-6
    assert gradient == pytest.approx(central, rel=1e-5)


def test_fitting_epsilon_with_a_closure_without_it_is_a_one_line_config_error(constant_epsilon):
    with pytest.raises(
        ConfigError, match=r"closure pacanowski_philander has no dissipation rate epsilon .*k_epsilon"
    ) as error:
        problem_of(case_text(nz=6, dt=900, hours=2), constant_epsilon, parameters=("nu0",))
    assert "\n" not in str(error.value)


def test_weights_accept_epsilon_and_sst():
    assert parse_weights_option("epsilon=1,SST=0.5") == {"epsilon": 1.0, "SST": 0.5}
