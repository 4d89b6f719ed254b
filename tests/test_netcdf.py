"""Model output to CF NetCDF and back."""

import json

import numpy as np
import pytest

from calib.common.errors import CalibError
from calib.config import load_case
from calib.config.build import build
from calib.core.integrate import simulate
from calib.core.params import parameter_values
from calib.io.netcdf import read_dataset, trajectory_to_dataset, write_dataset
from tests.conftest_paths import CASES


@pytest.fixture(scope="module")
def run():
    case = load_case(CASES / "kato_phillips.yaml")
    built = build(case)
    trajectory = simulate(built.model, built.initial, 3, 5)
    return built, trajectory


def test_round_trip_keeps_values_units_and_metadata(tmp_path, run):
    built, trajectory = run
    text = (CASES / "kato_phillips.yaml").read_text()
    ds = trajectory_to_dataset(
        trajectory, built.model, start="2012-03-21T00:00:00", case_text=text, case_name="kp"
    )
    path = write_dataset(ds, tmp_path / "out.nc")
    back = read_dataset(path)
    np.testing.assert_array_equal(back["T"].values, np.asarray(trajectory.state.T))
    np.testing.assert_array_equal(back["viscosity"].values, np.asarray(trajectory.diffusivities.momentum))
    assert back["T"].attrs["units"] == "degree_Celsius"
    assert back["u"].attrs["standard_name"] == "eastward_sea_water_velocity"
    assert back["z"].attrs["positive"] == "up"
    assert back["viscosity"].dims == ("time", "z_face")
    assert back.attrs["case_yaml"] == text
    recorded = json.loads(back.attrs["closure_parameters"])
    assert recorded == pytest.approx(parameter_values(built.model.closure))
    assert back.attrs["closure"] == built.model.closure.name
    elapsed = (back.time.values - np.datetime64("2012-03-21T00:00:00")) / np.timedelta64(1, "s")
    np.testing.assert_allclose(elapsed, np.asarray(trajectory.time))


def test_existing_file_is_not_overwritten_without_force(tmp_path, run):
    built, trajectory = run
    path = tmp_path / "out.nc"
    path.write_text("precious")
    with pytest.raises(CalibError, match="--force"):
        write_dataset(trajectory_to_dataset(trajectory, built.model), path, force=False)
    assert path.read_text() == "precious"


def test_failed_write_leaves_no_partial_file(tmp_path, run, monkeypatch):
    built, trajectory = run
    ds = trajectory_to_dataset(trajectory, built.model)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(type(ds), "to_netcdf", broken)
    with pytest.raises(CalibError, match=r"out.nc: cannot write the file \(disk full\)"):
        write_dataset(ds, tmp_path / "out.nc")
    assert list(tmp_path.iterdir()) == []
