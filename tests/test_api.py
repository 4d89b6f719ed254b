"""The public Python API (`import calib`): runs into Datasets, a differentiable simulator checked
against finite differences, fits and ensembles from Python, Datasets as observations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import calib
from calib.cli import app

CASE = """
name: twin
grid: {depth: 30, nz: 12}
time: {start: 2000-01-01, dt: 300 s, duration: 6 h, output_interval: 1 h}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35.0}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0, T0: 16.0, S0: 35.0}
forcing: {latitude: 45, wind_stress_x: 0.1, heat_flux: -50}
closure: {name: pacanowski_philander, parameters: PARAMETERS}
"""


def case_of(parameters: str = "{}"):
    return calib.parse_case(CASE.replace("PARAMETERS", parameters))


def test_run_returns_what_calib_run_writes(tmp_path):
    path = tmp_path / "twin.yaml"
    path.write_text(CASE.replace("PARAMETERS", "{}"))
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out.nc"), "-q"])
    assert result.exit_code == 0, result.output
    dataset = calib.run(calib.load_case(path))
    written = calib.read_dataset(tmp_path / "out.nc")
    assert (
        set(dataset.data_vars) == set(written.data_vars) == {"u", "v", "T", "S", "viscosity", "diffusivity"}
    )
    xr.testing.assert_allclose(dataset[["T", "u"]], written[["T", "u"]], rtol=1e-12)
    assert written.attrs["history"].endswith(f"calib run {path} --out {tmp_path / 'out.nc'} -q")
    assert "calib.run from" in dataset.attrs["history"]  # outside the CLI the API is named instead
    assert dataset.attrs["closure"] == "pacanowski_philander" and dataset["T"].dtype == np.float64


def test_run_with_parameters_and_another_closure():
    base = case_of()
    changed = calib.run(base, parameters={"nu0": 0.05})
    default = calib.run(base)
    assert float(np.abs(changed["T"] - default["T"]).max()) > 1e-3  # stronger mixing changes T
    assert '"nu0": 0.05' in changed.attrs["closure_parameters"]
    assert "nu0: 0.05" in changed.attrs["case_yaml"]  # the recorded case is the case that ran
    other = calib.run(base, closure="tke")
    assert other.attrs["closure"] == "tke" and "tke" in other.data_vars
    with pytest.raises(calib.ConfigError, match=r"nu0: must be within \[0.0001, 0.1\]"):
        calib.run(base, parameters={"nu0": 5.0})


def test_simulator_gradient_vmap_and_jacfwd():
    f = calib.simulator(case_of(), ["nu0", "alpha"], outputs=["T", "u"], checkpoint="recursive")
    assert set(f.defaults) == {"nu0", "alpha"} and f.time.shape == (7,) and f.z.shape == (12,)

    def sst(parameters):
        return f(parameters)["T"][-1, -1]

    p0 = f.defaults
    gradient = jax.grad(sst)(p0)
    for name, step in (("nu0", 1e-5), ("alpha", 1e-3)):
        plus, minus = dict(p0), dict(p0)
        plus[name], minus[name] = p0[name] + step, p0[name] - step
        central = (sst(plus) - sst(minus)) / (2 * step)
        assert float(gradient[name]) == pytest.approx(float(central), rel=1e-5)
    forward = jax.jacfwd(sst)(p0)
    assert float(forward["nu0"]) == pytest.approx(float(gradient["nu0"]), rel=1e-9)
    batch = jax.vmap(lambda nu0: f({"nu0": nu0})["T"])(jnp.array([0.005, 0.02]))
    single = f({"nu0": jnp.asarray(0.02)})["T"]
    np.testing.assert_allclose(batch[1], single, rtol=1e-12)
    with pytest.raises(calib.CalibError, match="'kappa' is not one of its parameters"):
        f({"kappa": 1.0})
    with pytest.raises(calib.CalibError, match="no output 'temperature'"):
        calib.simulator(case_of(), ["nu0"], outputs=["temperature"])


def test_fit_from_python_with_a_dataset_as_observations(tmp_path):
    truth = calib.run(case_of("{nu0: 0.02, alpha: 4.0}"))
    result = calib.fit(case_of(), truth, parameters=["nu0", "alpha"], iterations=30, uncertainty=True)
    assert result.parameters["nu0"] == pytest.approx(0.02, rel=1e-3)
    assert result.parameters["alpha"] == pytest.approx(4.0, rel=1e-3)
    assert result.start == {"nu0": pytest.approx(0.01), "alpha": pytest.approx(5.0)}
    history = result.history
    assert history["loss"].dims == ("evaluation",) and float(history["loss"][-1]) < 1e-6 * float(
        history["loss"][0]
    )
    refit = calib.run(result.fitted_case)
    np.testing.assert_allclose(refit["T"], truth["T"], atol=1e-4)
    report = result.write(tmp_path / "fit")
    assert "nu0" in report and (tmp_path / "fit" / "twin_fitted.yaml").is_file()
    assert calib.load_case(tmp_path / "fit" / "twin_fitted.yaml").closure.parameters["nu0"] == pytest.approx(
        0.02, rel=1e-3
    )


def test_ensemble_returns_a_member_dimension():
    members = calib.ensemble(case_of(), 4, parameters=["nu0"], spread=0.5, seed=2)
    assert members["T"].dims == ("member", "time", "z") and members.sizes["member"] == 4
    values = members["nu0"].values
    assert np.all((values > 1e-4) & (values < 1e-1)) and len(set(np.round(values, 12))) == 4
    assert int(members["diverged"].sum()) == 0
    with pytest.raises(calib.ConfigError, match="spread -1: must be > 0"):
        calib.ensemble(case_of(), 4, spread=-1)


def test_observations_may_be_a_dataset():
    truth = calib.run(case_of())
    observed = calib.load_observations(truth)
    assert set(observed.data_vars) == {"u", "v", "T", "S"} and observed["z"].attrs["positive"] == "up"


def test_write_dataset_refuses_to_overwrite_by_default(tmp_path):
    dataset = xr.Dataset({"a": ("x", np.arange(3.0))})
    calib.write_dataset(dataset, tmp_path / "a.nc")
    with pytest.raises(calib.CalibError, match="a.nc: exists; pass --force"):
        calib.write_dataset(dataset, tmp_path / "a.nc")
    calib.write_dataset(dataset, tmp_path / "a.nc", force=True)


def test_the_api_refuses_float32_unless_asked():
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(calib.CalibError, match="refuses unless asked; call jax.config.update"):
            calib.run(case_of())
        single = calib.run(case_of(), float32=True)
        assert single["T"].dtype == np.float32
    finally:
        jax.config.update("jax_enable_x64", True)
