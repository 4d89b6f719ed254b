"""The command line: `calib run` on every bundled case, help, and one-line errors."""

import subprocess
import sys

import pytest
import xarray as xr
from typer.testing import CliRunner

from calib.cli.app import app
from tests.conftest_paths import CASES

runner = CliRunner()
CASE_FILES = sorted(CASES.glob("*.yaml"))


@pytest.mark.parametrize("case", CASE_FILES, ids=[c.stem for c in CASE_FILES])
def test_run_every_bundled_case(case, tmp_path):
    out = tmp_path / f"{case.stem}.nc"
    result = runner.invoke(app, ["run", str(case), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Final SST" in result.output and "µs/step" in result.output
    with xr.open_dataset(out) as ds:
        assert {"u", "v", "T", "S", "viscosity", "diffusivity"} <= set(ds.data_vars)
        assert bool(ds["T"].notnull().all())
        assert ds.attrs["case_yaml"] == case.read_text()


def test_help_is_instant_and_does_not_import_jax():
    code = "import sys, calib.cli.app; print('jax' in sys.modules)"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "False"
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0 and "CASE.yaml" in result.output


def test_existing_output_needs_force(tmp_path):
    out = tmp_path / "kp.nc"
    out.write_text("keep me")
    result = runner.invoke(app, ["run", str(CASES / "kato_phillips.yaml"), "--out", str(out)])
    assert result.exit_code == 2
    assert "--force" in result.output and out.read_text() == "keep me"


def test_bad_case_gives_one_line_error_and_exit_code_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((CASES / "kato_phillips.yaml").read_text().replace("dt:", "dtt:", 1))
    result = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "x.nc")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "dtt" in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "x.nc").exists()


def test_missing_case_file(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "nope.yaml" in result.output


def test_divergence_names_first_bad_time_and_variable():
    import jax.numpy as jnp

    from calib.common.errors import ModelDiverged
    from calib.core.runner import check_finite
    from calib.core.state import State

    good = jnp.ones((5, 4))
    bad_T = good.at[3, 1].set(jnp.nan)
    bad_u = good.at[4, 0].set(jnp.inf)
    states = State(u=bad_u, v=good, T=bad_T, S=good)
    with pytest.raises(ModelDiverged, match=r"T is not finite at t = 2\.00 h .*time.dt"):
        check_finite(states, time0=0.0, save_interval=1800.0)
    check_finite(State(u=good, v=good, T=good, S=good), time0=0.0, save_interval=1.0)
