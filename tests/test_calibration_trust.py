"""Calibration a modeller can trust: defaults that work, parameters that cannot act refused,
physical relations kept, degeneracy reported, uncertainty corrected for correlated residuals,
warm windows, outputs at observation times, and a persistent compilation cache."""

import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

import calib
from calib.calibration.calibrate import calibrate
from calib.calibration.problem import build_problem, load_input
from calib.cli import app
from calib.config.fit import FitSettings
from tests.conftest_paths import ROOT

runner = CliRunner()

KEPS = """
name: wind
grid: {depth: 40, nz: 20}
time: {start: 2000-01-01, dt: 300 s, duration: 12 h, output_interval: 1 h}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35.0}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0, T0: 16.0, S0: 35.0}
forcing: {latitude: 45, wind_stress_x: 0.1}
closure: {name: k_epsilon, parameters: PARAMETERS}
"""
PP = """
name: pp
grid: {depth: 50, nz: 16}
time: {start: 2000-01-01, dt: 300 s, duration: 12 h, output_interval: 1 h}
initial: {T: {type: linear, surface: 16.0, gradient: GRADIENT}, S: 35.0}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0}
forcing: {latitude: 45, wind_stress_x: 0.1, heat_flux: -50}
closure: {name: pacanowski_philander, parameters: PARAMETERS}
"""


def keps(parameters: str = "{}"):
    return calib.parse_case(KEPS.replace("PARAMETERS", parameters))


def test_fit_with_nothing_but_the_observations(tmp_path):
    (tmp_path / "wind.yaml").write_text(KEPS.replace("PARAMETERS", "{c_epsilon1: 1.5}"))
    result = runner.invoke(app, ["run", str(tmp_path / "wind.yaml"), "-o", str(tmp_path / "run.nc"), "-q"])
    assert result.exit_code == 0, result.output
    (tmp_path / "start.yaml").write_text(KEPS.replace("PARAMETERS", "{}"))
    fit = runner.invoke(app, ["fit", "--obs", str(tmp_path / "run.nc"), "--case", str(tmp_path / "start.yaml"),
                              "--out", str(tmp_path / "fit"), "--no-uncertainty"])  # fmt: skip
    assert fit.exit_code == 0, fit.output
    assert "fitted: c_epsilon1, c_epsilon3_stable, sigma_k (the default calibration set of k_epsilon)" in fit.output
    assert re.search(r"^stopped: .+, after \d+ iterations and \d+ evaluations of the model$", fit.output, re.M)
    assert re.search(r"time: compile [\d.]+ s, iterations [\d.]+ s", fit.output)
    record = json.loads((tmp_path / "fit" / "history.json").read_text())
    assert record["fitted"]["c_epsilon1"] == pytest.approx(1.5, rel=2e-3)
    alone = runner.invoke(app, ["fit", "--obs", str(tmp_path / "run.nc"), "--out", str(tmp_path / "fit2"),
                                "--iterations", "2", "--no-uncertainty", "-q"])  # fmt: skip
    assert alone.exit_code == 0, alone.output  # the case recorded in the file, the default set


@pytest.mark.parametrize(
    ("parameter", "why"),
    [("c_epsilon3_unstable", "no convection here"), ("sigma_epsilon", "derived from the log-layer relation")],
)
def test_parameters_that_cannot_change_the_loss_are_refused(tmp_path, parameter, why):
    truth = calib.run(keps())
    with pytest.raises(calib.ConfigError, match=f"{parameter} cannot change the loss in this configuration"):
        calib.fit(keps(), truth, parameters=["c_epsilon1", parameter], iterations=1, uncertainty=False)


@pytest.mark.slow  # three compilations of a fit (about a minute)
def test_members_of_the_default_set_without_effect_are_left_out_and_named(tmp_path):
    """TKE's default set includes the surface TKE coefficient (e = coefficient u*² at the
    surface); without wind it cannot act. `calib fit --obs` with nothing else fits the rest and
    says so; naming it is still refused."""
    windless = calib.parse_case(
        PP.replace("pacanowski_philander", "tke").replace("wind_stress_x: 0.1, ", "").replace("GRADIENT", "0.05")
        .replace("PARAMETERS", "{c_k: 0.12}")
    )
    truth = calib.run(windless)
    start = calib.parse_case(windless.text.replace("{c_k: 0.12}", "{}"))
    with pytest.warns(UserWarning, match="surface_tke_coefficient: no effect in this case .+ fitting c_k, c_epsilon"):
        result = calib.fit(start, truth, iterations=20, uncertainty=False)
    assert set(result.parameters) == {"c_k", "c_epsilon"}
    assert result.parameters["c_k"] == pytest.approx(0.12, rel=1e-2)
    with pytest.raises(calib.ConfigError, match="surface_tke_coefficient cannot change the loss"):
        calib.fit(start, truth, parameters=["c_k", "surface_tke_coefficient"], iterations=1, uncertainty=False)


def test_the_log_layer_relation_keeps_kappa_when_c_epsilon1_is_fitted():
    truth = calib.run(keps("{c_epsilon1: 1.52}"))
    result = calib.fit(keps(), truth, parameters=["c_epsilon1"], iterations=20, uncertainty=False)
    relations = result.consistency()
    assert result.parameters["c_epsilon1"] == pytest.approx(1.52, rel=1e-3)
    assert relations["fitted"]["kappa"] == pytest.approx(0.4, abs=1e-6)
    assert relations["start"]["kappa"] == pytest.approx(0.4, abs=1e-6)
    assert relations["fitted"]["sigma_epsilon"] > relations["start"]["sigma_epsilon"]  # kappa² / (c2 - c1) grew
    assert "kappa" in result.report() and "steady_richardson" in result.report()
    fixed = calib.parse_case(KEPS.replace("PARAMETERS", "{}").replace("name: k_epsilon,", "name: k_epsilon, schmidt_epsilon: parameter,"))
    assert result.problem.groups[0].model.closure.schmidt_epsilon.name == "log_layer"
    assert calib.build(fixed).model.closure.schmidt_epsilon.name == "parameter"


def test_the_steady_richardson_number_can_hold_c3():
    case = KEPS.replace("PARAMETERS", "{}").replace("name: k_epsilon,", "name: k_epsilon, stable_buoyancy: steady_richardson,")
    closure = calib.build(calib.parse_case(case)).model.closure
    relations = closure.consistency()
    assert relations["steady_richardson"] == pytest.approx(0.25, abs=1e-3)
    assert relations["c_epsilon3_stable"] == pytest.approx(-0.63, abs=0.01)  # Umlauf & Burchard (2005)


def test_degenerate_parameters_are_flagged():
    """Weak stratification: PP's alpha and exponent act only through alpha Ri, so the data constrain
    one combination of them."""
    text = PP.replace("GRADIENT", "0.002").replace("heat_flux: -50", "heat_flux: 0")
    truth = calib.run(calib.parse_case(text.replace("PARAMETERS", "{}")))
    start = calib.parse_case(text.replace("PARAMETERS", "{alpha: 6.0, exponent: 2.2}"))
    result = calib.fit(start, truth, parameters=["alpha", "exponent"], iterations=3)
    pairs = result.uncertainty.correlated_pairs
    assert pairs and {pairs[0][0], pairs[0][1]} == {"alpha", "exponent"} and abs(pairs[0][2]) > 0.95
    report = result.report()
    assert "warning: alpha and exponent are correlated at" in report and "add a prior (--prior)" in report
    assert "sloppiest direction (relative changes):" in report


def test_outputs_show_the_observations(tmp_path):
    """Hourly saves, 6-hourly observations: profiles drawn at observed times, RMS never empty."""
    truth = calib.run(keps("{c_epsilon1: 1.5}"))
    sparse = truth.isel(time=slice(0, None, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "Mean of empty slice"
        result = calib.fit(keps(), sparse, parameters=["c_epsilon1"], iterations=3, uncertainty=False)
        result.write(tmp_path / "fit")
    from calib.calibration.plots import _observed_saves, _snapshots

    experiment = result.experiments[0]
    observed = set(_observed_saves(experiment, ["T", "u", "v"]).tolist())
    assert observed == {5, 11}  # saves 1 h ... 12 h; observations at 6 h and 12 h
    assert {save for _, save in _snapshots(result.experiments, ["T"])} <= observed
    assert (tmp_path / "fit" / "profiles.png").stat().st_size > 10_000


@pytest.mark.slow  # 35-60 s on the 2-core CI machine
def test_later_windows_start_with_a_spun_up_closure():
    """Two windows of 6 h: the second starts from the observed profiles; spun up, its turbulence is
    in balance with them (k well above its floor near the surface) and its first misfit smaller."""
    truth = calib.run(keps())
    windows = ((0.0, 6 * 3600.0), (6 * 3600.0, 12 * 3600.0))
    losses = {}
    for spin_up in (3 * 3600.0, 0.0):
        settings = FitSettings(parameters=("c_epsilon1",), windows=windows, spin_up=spin_up)
        problem, experiments = build_problem([load_input(keps(), truth)], settings)
        assert [e.spin_up_steps for e in experiments] == [0, round(spin_up / 300)]
        result = calibrate(problem, FitSettings(parameters=("c_epsilon1",), iterations=1))
        losses[spin_up] = result.loss_start
    assert losses[3 * 3600.0] < 0.5 * losses[0.0], losses


def test_one_sigma_intervals_cover_the_truth_with_red_noise():
    """Twin with AR(1) noise (0.003 K; rho 0.9 in time, 0.8 in depth: small enough for the
    linearisation to hold) added to T: over repeated noise draws the corrected 1-sigma intervals cover the truth about 68 % of the time, where the
    independent-residual ones cover it much less often, and the reported standard deviations match
    the spread of the estimates over the draws."""
    text = PP.replace("GRADIENT", "0.05").replace("output_interval: 1 h", "output_interval: 15 min")
    truth_case = calib.parse_case(text.replace("PARAMETERS", "{}"))
    clean = calib.run(truth_case)
    start = calib.parse_case(text.replace("PARAMETERS", "{nu0: 0.012, alpha: 4.5}"))
    rng = np.random.default_rng(7)
    covered, covered_naive, draws = 0, 0, 40
    estimates, reported = [], []
    for _ in range(draws):
        shape = clean["T"].shape
        noise = np.zeros(shape)
        white = rng.normal(size=shape)
        for t in range(shape[0]):  # AR(1) in time, then in depth
            noise[t] = white[t] if t == 0 else 0.9 * noise[t - 1] + np.sqrt(1 - 0.81) * white[t]
        for k in range(1, shape[1]):
            noise[:, k] = 0.8 * noise[:, k - 1] + 0.6 * noise[:, k]
        observed = clean.copy()
        observed["T"] = clean["T"] + 0.003 * noise
        result = calib.fit(start, observed[["T"]], parameters=["nu0", "alpha"], iterations=40)
        u = result.uncertainty
        errors = np.abs(u.values - np.array([0.01, 5.0]))
        covered += int(np.sum(errors <= u.std))
        covered_naive += int(np.sum(errors <= u.std_independent))
        estimates.append(u.values)
        reported.append(u.std)
    coverage, naive = covered / (2 * draws), covered_naive / (2 * draws)
    ratio = np.mean(reported, axis=0) / np.std(estimates, axis=0)
    print("coverage", coverage, "independent", naive, "reported / empirical std", ratio)
    assert 0.55 <= coverage <= 0.85, (coverage, naive)
    assert naive < coverage - 0.1
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio


def test_the_compilation_cache_is_used_by_a_second_run(tmp_path):
    case = ROOT / "cases" / "kato_phillips.yaml"
    cache = tmp_path / "cache"
    compiles = []
    for index in range(2):
        command = [sys.executable, "-m", "calib", "run", str(case), "-o", str(tmp_path / f"{index}.nc"),
                   "--cache-dir", str(cache)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        compiles.append(float(re.search(r"compile ([\d.]+) s", done.stdout).group(1)))
    assert any(cache.rglob("*")), "the cache folder stayed empty"
    assert compiles[1] < compiles[0], compiles
    off = subprocess.run([sys.executable, "-m", "calib", "run", str(case), "-o", str(tmp_path / "off.nc"), "-q"],
                         capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "CALIB_CACHE_DIR": "off"})  # fmt: skip
    assert off.returncode == 0, off.stderr
