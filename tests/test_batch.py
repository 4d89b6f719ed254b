"""Batches of columns: vmapped and sharded runs equal single runs, parameter sampling, float32,
ensemble Kalman inversion on a twin experiment, and the batch commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from calib import config
from calib.calibration import eki as ensemble
from calib.calibration.calibrate import calibrate
from calib.calibration.problem import build_problem, load_input
from calib.cli.app import app
from calib.common.errors import CalibError
from calib.config import build
from calib.config.fit import FitSettings
from calib.core import batch, sampling
from calib.core.forcing import Forcing
from calib.core.integrate import simulate
from calib.core.params import parameter_values
from calib.core.trainable import Trainable
from calib.io.netcdf import trajectory_to_dataset, write_dataset
from calib.perf import gradcheck
from tests.conftest_paths import ROOT

N_SAVES, STEPS_PER_SAVE = 3, 5


def _problem(closure="k_epsilon", nz=12):
    return gradcheck.kato_phillips(
        nz, N_SAVES * STEPS_PER_SAVE, closure=closure, steps_per_save=STEPS_PER_SAVE
    )


@eqx.filter_jit
def _run(model, state):
    return simulate(model, state, N_SAVES, STEPS_PER_SAVE)


def _member(tree, index):
    return jax.tree.map(lambda x: x[index], tree)


def _assert_trajectories_close(batched, single, rtol=1e-12):
    for got, want in zip(jax.tree.leaves(batched), jax.tree.leaves(single), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=1e-14)


def test_parameter_and_case_batch_equals_single_runs_column_by_column():
    problem = _problem()
    windy = eqx.tree_at(lambda m: m.forcing, problem.model, Forcing.constant(wind_stress_x=0.2))
    models, batched = batch.stack([problem.model, windy])
    assert batched.forcing.values and models.forcing.values.shape == (2, 1, 5)
    assert not batched.grid.z_centers and models.grid.z_centers.ndim == 1  # shared leaves stay unbatched
    trainable = Trainable.select(problem.model.closure, ("c_epsilon1", "c_epsilon2"))
    values = sampling.sample_values(
        trainable, 3, seed=0, spread=0.5, center=trainable.values_of(problem.model.closure)
    )
    models, batched = batch.with_parameter_sets(models, batched, trainable, values)
    states = batch.repeat_states(jax.tree.map(lambda x: jnp.stack([x, x]), problem.initial), 3)
    assert batch.batch_size(models, batched) == 6
    result = eqx.filter_jit(batch.simulate_batch)(models, states, N_SAVES, STEPS_PER_SAVE, batched=batched)
    for case, base in enumerate((problem.model, windy)):
        for k in range(3):
            where = lambda m: (m.closure.c_epsilon1, m.closure.c_epsilon2)  # noqa: E731
            model = eqx.tree_at(where, base, tuple(jnp.asarray(v) for v in values[k]))
            _assert_trajectories_close(_member(result, case * 3 + k), _run(model, problem.initial))


def test_stack_refuses_members_of_different_shapes():
    small, large = _problem(nz=8), _problem(nz=10)
    with pytest.raises(CalibError, match="equal grid size"):
        batch.stack([small.model, large.model])
    other_closure = _problem(closure="pacanowski_philander", nz=8)
    with pytest.raises(CalibError, match="static setting"):
        batch.stack([small.model, other_closure.model])


def test_sampling_stays_in_bounds_and_is_a_latin_hypercube():
    closure = _problem(closure="pacanowski_philander").model.closure
    trainable = Trainable.select(closure, ("nu0", "alpha"))
    whole = sampling.sample_values(trainable, 64, seed=3)
    for index, info in enumerate(trainable.info):
        assert np.all((whole[:, index] > info.lower) & (whole[:, index] < info.upper))
    strata = np.floor(np.log(whole[:, 0] / 1e-4) / np.log(1e3) * 64)  # nu0 is log-uniform
    assert sorted(strata.astype(int)) == list(range(64))
    near = sampling.sample_values(trainable, 16, seed=3, spread=0.1, center=[1e-2, 5.0], method="random")
    assert np.all(np.abs(np.log(near[:, 0] / 1e-2)) < 0.2) and np.all(np.abs(near[:, 1] / 5.0 - 1) < 0.3)
    with pytest.raises(CalibError, match="choose one of"):
        sampling.sample_values(trainable, 4, method="sobol")


SHARDED = textwrap.dedent("""
    import json, jax, jax.numpy as jnp, numpy as np, equinox as eqx
    jax.config.update("jax_enable_x64", True)
    from calib.core import batch
    from calib.core import sampling
    from calib.perf import gradcheck
    from calib.core.trainable import Trainable
    problem = gradcheck.kato_phillips(10, 10, closure="pacanowski_philander", steps_per_save=5)
    trainable = Trainable.select(problem.model.closure, ("nu0", "alpha"))
    values = sampling.sample_values(trainable, 5, seed=1, spread=0.5, center=[1e-2, 5.0])
    model = problem.model
    models, batched = batch.with_parameter_sets(model, batch.unbatched(model), trainable, values)
    states = jax.tree.map(lambda x: jnp.stack([x] * 5), problem.initial)
    sharded = batch.simulate_sharded(models, states, 2, 5, batched=batched)
    plain = eqx.filter_jit(batch.simulate_batch)(models, states, 2, 5, batched=batched)
    padded, size = batch.shard_batch(states)
    pairs = zip(jax.tree.leaves(sharded), jax.tree.leaves(plain))
    difference = max(float(jnp.max(jnp.abs(a - b))) for a, b in pairs)
    print(json.dumps(dict(devices=len(jax.devices()), padded=padded.T.shape[0], size=size,
                          shards=len(padded.T.addressable_shards), shape=list(sharded.state.T.shape),
                          difference=difference)))
""")


def test_sharded_batch_equals_unsharded_on_four_host_devices():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    process = subprocess.run(
        [sys.executable, "-c", SHARDED], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert process.returncode == 0, process.stderr[-2000:]
    result = json.loads(process.stdout.strip().splitlines()[-1])
    assert result["devices"] == 4 and result["shards"] == 4
    assert result["size"] == 5 and result["padded"] == 8 and result["shape"] == [5, 3, 10]
    assert result["difference"] < 1e-12


def test_float32_and_chunked_batches_and_long_float32_gradients_warn():
    problem = _problem(closure="pacanowski_philander")
    models, batched = batch.stack([problem.model, problem.model])
    states = jax.tree.map(lambda x: jnp.stack([x, x]), problem.initial)
    run = eqx.filter_jit(batch.simulate_batch)
    low = batch.cast(models, jnp.float32), batch.cast(states, jnp.float32)
    single = run(*low, N_SAVES, STEPS_PER_SAVE, batched=batched)
    double = run(models, states, N_SAVES, STEPS_PER_SAVE, batched=batched)
    assert single.state.T.dtype == jnp.float32 and single.closure_state is None
    np.testing.assert_allclose(single.state.T, double.state.T, rtol=1e-5)
    chunked = run(models, states, N_SAVES, STEPS_PER_SAVE, batched=batched, chunk=1)
    _assert_trajectories_close(chunked, double)
    with pytest.warns(batch.PrecisionWarning, match="tens of percent"):
        assert batch.warn_float32_gradient(jnp.float32, 2 * batch.FLOAT32_GRADIENT_STEPS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not batch.warn_float32_gradient(jnp.float32, 100)
        assert not batch.warn_float32_gradient(jnp.float64, 10**6)


def test_eki_update_solves_a_linear_problem_and_ignores_diverged_members():
    rng = np.random.default_rng(0)
    matrix, truth = rng.normal(size=(30, 3)), np.array([0.5, -1.0, 2.0])
    thetas = jnp.asarray(rng.normal(size=(12, 3)))
    for _ in range(6):
        residuals = 100.0 * (thetas @ matrix.T - (truth @ matrix.T)[None, :])  # whitened, sigma = 0.01
        thetas = ensemble.update(thetas, residuals, jnp.zeros_like(residuals))
    np.testing.assert_allclose(np.mean(thetas, axis=0), truth, atol=1e-3)
    residuals = (thetas @ matrix.T).at[0].set(jnp.nan)
    moved = ensemble.update(thetas, residuals, jnp.zeros_like(residuals))
    assert np.all(np.isfinite(moved))


TWIN = """
name: twin_batch
grid: {depth: 50, nz: 16}
time: {dt: 300 s, duration: 12 h, output_interval: 1 h, start: 2000-01-01}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35.0}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0}
forcing: {latitude: 45, wind_stress_x: 0.1, heat_flux: -50}
closure: {name: pacanowski_philander, parameters: PARAMETERS}
"""


def twin_problem(tmp_path, names=("nu0", "alpha")):
    """A twin experiment: observations from the defaults, a start 30 % off them."""
    truth_text = TWIN.replace("PARAMETERS", "{}")
    built = build.build(config.parse_case(truth_text))
    trajectory = simulate(built.model, built.initial, built.n_saves, built.steps_per_save)
    path = tmp_path / "twin.nc"
    write_dataset(
        trajectory_to_dataset(trajectory, built.model, case_text=truth_text, case_name="twin"), path
    )
    truth = parameter_values(built.model.closure)
    start = {name: truth[name] * (1.3 if i % 2 == 0 else 0.7) for i, name in enumerate(names)}
    text = TWIN.replace("PARAMETERS", json.dumps(start))
    problem, _ = build_problem([load_input(config.parse_case(text), path)], FitSettings(parameters=names))
    return problem, np.array([truth[name] for name in names])


def test_eki_reduces_the_twin_loss_a_hundredfold_within_its_budget(tmp_path):
    problem, truth = twin_problem(tmp_path)
    budget = 6 * (ensemble.default_ensemble_size(2) + 1)
    result = ensemble.eki(problem, iterations=20, evaluations=budget, seed=1)
    history = result.minimum.history
    assert history[-1]["evaluations"] <= budget and result.minimum.status == "evaluations"
    assert result.loss_end < 1e-2 * result.loss_start, [row["loss"] for row in history]
    np.testing.assert_allclose(result.fitted_values, truth, rtol=0.05)
    assert np.all(np.isfinite([row["loss"] for row in history]))
    settings = FitSettings(
        parameters=("nu0", "alpha"), optimizer="eki", iterations=3
    )  # `calib fit --optimizer eki`
    through_fit = calibrate(problem, settings)
    assert through_fit.minimum.iterations == 3 and through_fit.loss_end < 1e-2 * through_fit.loss_start
    with pytest.raises(CalibError, match="not saved for resuming"):
        calibrate(problem, settings, out=tmp_path, resume=True)


def test_run_batch_writes_an_ensemble_per_case(tmp_path):
    case = tmp_path / "twin.yaml"
    case.write_text(TWIN.replace("PARAMETERS", "{}").replace("12 h", "2 h"))
    runner = CliRunner()
    arguments = ["run-batch", str(case), "--ensemble", "3", "--params", "nu0,alpha", "--out", str(tmp_path)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    with xr.open_dataset(tmp_path / "twin_batch.nc") as ds:
        assert ds["T"].dims == ("member", "time", "z") and ds.sizes["member"] == 3
        assert ds["nu0"].attrs["units"] == "m2 s-1" and int(ds["diverged"].sum()) == 0
    again = runner.invoke(app, arguments)
    assert again.exit_code == 2 and "--force" in again.output


def test_profile_batch_reports_time_per_column_step(tmp_path):
    rows = tmp_path / "rows.json"
    arguments = ["profile-batch", "--batch", "1,2", "--nz", "8", "--steps", "20", "--mode", "forward",
                 "--closure", "pacanowski_philander", "--repeats", "1", "--json", str(rows)]  # fmt: skip
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "µs per column-step" in result.output
    measured = json.loads(rows.read_text())
    assert [row["batch"] for row in measured] == [1, 2] and all(row["finite"] for row in measured)
    bad = CliRunner().invoke(app, ["profile-batch", "--batch", "0"])
    assert bad.exit_code == 2 and "--batch 0: 0 is below 1" in bad.output
