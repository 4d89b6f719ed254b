"""Real-data cases and the data commands: `calib import`, `calib plot`, `calib compare`,
the monthly SST / mixed-layer-depth comparison and the `observations` initial profile."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from calib.analysis import compare, diagnostics
from calib.api.simulation import run
from calib.cli.app import app
from calib.common.errors import ConfigError
from calib.config import load_case, parse_case
from calib.config.build import build
from calib.io.netcdf import read_dataset, write_dataset
from calib.io.observations import load_observations

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared" / "data"
DATA = REPOSITORY / "data"
runner = CliRunner()


def invoke(*arguments: str):
    result = runner.invoke(app, [str(a) for a in arguments])
    assert result.exit_code == 0, result.output
    return result


# --- calib import reproduces data/ ----------------------------------------------------------

VARYING_ATTRIBUTES = (  # when and by whom (ACDD), or set by regenerate()
    "history", "title", "summary", "source", "acknowledgement", "date_created", "date_modified",
    "date_issued", "date_metadata_modified", "creator_name", "creator_type", "creator_institution",
    "creator_email", "creator_url", "institution", "project", "id", "uuid",
)  # fmt: skip


def assert_same_contents(written: Path, shipped: Path) -> None:
    new, old = xr.load_dataset(written), xr.load_dataset(shipped)
    for dataset in (new, old):
        for name in VARYING_ATTRIBUTES:
            dataset.attrs.pop(name, None)
    xr.testing.assert_identical(new, old)


@pytest.mark.skipif(not SHARED.is_dir() or not DATA.is_dir(), reason="shared raw data or data/ absent")
def test_import_gotm_reproduces_the_papa_files(tmp_path):
    obs, forcing = tmp_path / "obs.nc", tmp_path / "forcing.nc"
    invoke("import", "gotm", SHARED / "ows_papa_2012", "--out-obs", obs, "--out-forcing", forcing,
           "--latitude", "50.1", "--longitude", "-144.9")  # fmt: skip
    assert_same_contents(obs, DATA / "ows_papa_2012_obs.nc")
    assert_same_contents(forcing, DATA / "ows_papa_2012_forcing.nc")
    assert not [p.name for p in tmp_path.iterdir() if p.suffix not in (".nc", ".yaml")]  # no temporaries left


@pytest.mark.skipif(not SHARED.is_dir() or not DATA.is_dir(), reason="shared raw data or data/ absent")
@pytest.mark.parametrize("case", ["free_convection", "strong_wind"])
def test_import_lesbrary_reproduces_the_les_files(tmp_path, case):
    source = SHARED / "lesbrary_two_day_4m" / f"{case}_instantaneous_statistics.jld2"
    obs, forcing = tmp_path / "obs.nc", tmp_path / "forcing.nc"
    invoke("import", "lesbrary", source, "--out-obs", obs, "--out-forcing", forcing)
    assert_same_contents(obs, DATA / f"les_{case}_obs.nc")
    assert_same_contents(forcing, DATA / f"les_{case}_forcing.nc")


GOTM_FILES = {
    "t_prof.dat": "2001-01-01 00:00:00 2 2\n-1 10.0\n-20 8.0\n2001-01-01 06:00:00 2 2\n-1 11.0\n-20 8.5\n",
    "heat_flux.dat": "2001-01-01 00:00:00 -50\n2001-01-01 06:00:00 -70\n",
    "momentum_flux.dat": "2001-01-01 00:00:00 0.1 0.0\n2001-01-01 06:00:00 0.2 0.0\n",
    "swr.dat": "2001-01-01 00:00:00 0\n2001-01-01 06:00:00 300\n",
}


def test_import_gotm_files_by_name_and_role_and_errors(tmp_path):
    for name, text in GOTM_FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "heat.txt").write_text(GOTM_FILES["heat_flux.dat"])
    files = [tmp_path / "t_prof.dat", tmp_path / "momentum_flux.dat", tmp_path / "swr.dat"]
    obs, forcing = tmp_path / "o.nc", tmp_path / "f.nc"
    invoke("import", "gotm", *files, f"heat_flux={tmp_path / 'heat.txt'}", "--out-obs", obs,
           "--out-forcing", forcing, "--attr", "title=test site")  # fmt: skip
    assert xr.load_dataset(forcing).attrs["title"].startswith("test site")
    np.testing.assert_allclose(load_observations(obs).T.values, [[8.0, 10.0], [8.5, 11.0]])
    again = runner.invoke(
        app, ["import", "gotm", str(tmp_path), "--out-obs", str(obs), "--out-forcing", "x.nc"]
    )
    assert again.exit_code == 2 and "exists; pass --force" in again.output
    bad = runner.invoke(
        app, ["import", "gotm", str(tmp_path / "heat.txt"), "--out-obs", "a", "--out-forcing", "b"]
    )
    assert bad.exit_code == 2 and "write ROLE=PATH" in bad.output


# --- synthetic model and observations with a known answer -----------------------------------

MODEL_Z = -0.5 - np.arange(30.0)[::-1]  # 1 m cells over 30 m, bottom first
OBS_Z = np.array([-25.0, -20.0, -15.5, -12.5, -10.0, -5.0, -1.0])
MONTHS = {1: (3.0, 10.5), 2: (5.0, 20.5), 3: (6.0, 15.5), 4: (7.0, 12.5)}  # model (SST, h)
OBSERVED = {1: (2.0, 12.5), 2: (4.0, 12.5), 3: (6.5, 15.5), 4: (7.0, 12.5)}  # obs (SST, h)


def mixed_layer_profiles(times, z, by_month):
    """T = SST above depth h, dropping 1 K per metre below (not below -2 degC, the freezing point):
    MLD (10 m reference) = h + 0.2."""
    months = times.astype("datetime64[M]").astype(int) % 12 + 1
    sst = np.array([by_month[m][0] for m in months])[:, None]
    h = np.array([by_month[m][1] for m in months])[:, None]
    return np.maximum(sst - np.maximum(-h - z[None, :], 0.0), -2.0)


def model_dataset(times=None):
    times = (
        np.arange("2001-01-15", "2001-04-10", np.timedelta64(6, "h"), dtype="datetime64[ns]")
        if times is None
        else times
    )
    T = mixed_layer_profiles(times, MODEL_Z, MONTHS)
    return xr.Dataset({"T": (("time", "z"), T)}, coords={"time": times, "z": MODEL_Z})


def observed_dataset():
    times = np.arange("2001-01-01", "2001-05-01", np.timedelta64(1, "h"), dtype="datetime64[ns]")
    T = mixed_layer_profiles(times, OBS_Z, OBSERVED)
    T[::3, 4] = np.nan  # no 10 m sensor: the reference is interpolated between 5 and 12.5 m
    T[1::5, 6] = np.nan  # no 1 m sensor: the SST is the 5 m value
    return xr.Dataset({"T": (("time", "z"), T)}, coords={"time": times, "z": OBS_Z})


def test_monthly_comparison_known_answer():
    rows = compare.monthly_comparison(model_dataset(), observed_dataset())
    assert [r.month for r in rows] == ["2001-02", "2001-03"]  # only the months the run covers fully
    february, march = rows
    assert (february.model_sst, february.observed_sst, february.sst_error) == pytest.approx((5.0, 4.0, 1.0))
    assert (february.model_mld, february.observed_mld, february.mld_error) == pytest.approx((20.7, 12.7, 8.0))
    assert (march.sst_error, march.mld_error) == pytest.approx((-0.5, 0.0))
    table = compare.monthly_table(rows)
    assert "| 2001-02 | 5.00 | 4.00 | +1.00 | 21 | 13 | +8 |" in table
    assert "| RMS error | | | 0.79 | | | 6 |" in table  # sqrt((1 + 0.25) / 2), sqrt(64 / 2)


def test_surface_temperature_and_mld_definitions():
    T = np.array([[4.0, 5.0, 6.0, 8.0, 8.0]])
    z = np.array([-40.0, -20.0, -10.0, -2.0, -0.5])
    assert diagnostics.sea_surface_temperature(T, z) == pytest.approx(8.0)
    assert diagnostics.mixed_layer_depth(T, z) == pytest.approx(12.0)  # 6 - 0.2 = 5.8 at 12 m
    assert diagnostics.sea_surface_temperature(T[:, :3], z[:3]) == pytest.approx(6.0)  # shallowest level
    assert np.isnan(diagnostics.mixed_layer_depth(T[:, 3:], z[3:]))  # nothing at or below 10 m


def test_rms_temperature_error():
    model = model_dataset()
    observed = model.copy(deep=True)
    observed["T"] = observed["T"] + 0.5
    observed["T"][:, :10] = np.nan  # unobserved levels do not count
    error = compare.rms_temperature_error(model, observed.isel(z=slice(5, None)))
    assert error == pytest.approx([0.5])
    assert compare.rms_temperature_error(model, observed, [0.0, 6 * 3600.0]) == pytest.approx([0.5, 0.5])


# --- calib plot and calib compare -----------------------------------------------------------


def test_plot_and_compare_commands(tmp_path):
    write_dataset(model_dataset().assign_attrs(case_name="synthetic"), tmp_path / "run.nc")
    write_dataset(observed_dataset(), tmp_path / "obs.nc")
    invoke("plot", tmp_path / "run.nc", "--obs", tmp_path / "obs.nc", "--out", tmp_path / "figure.png")
    assert (tmp_path / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    invoke("plot", tmp_path / "run.nc")  # no observations, default name
    assert (tmp_path / "run.png").stat().st_size > 1000
    assert not list(tmp_path.glob(".*.tmp"))
    output = invoke("compare", tmp_path / "run.nc", tmp_path / "obs.nc", "--at", "6 h").output
    assert "| 2001-02 | 5.00 | 4.00 | +1.00 |" in output and "RMS T error at t = 6 h:" in output
    missing = runner.invoke(app, ["plot", str(tmp_path / "nothing.nc")])
    assert missing.exit_code == 2 and "cannot read the trajectory" in missing.output


# --- the `observations` initial profile -----------------------------------------------------

CASE = """
grid: {depth: 40, nz: 8}
time: {dt: 60, duration: 1 h, output_interval: 10 min, start: 2001-01-01T05:00}
closure: constant
"""


@pytest.fixture
def observation_file(tmp_path):
    times = np.array(["2001-01-01T00:00", "2001-01-01T06:00"], dtype="datetime64[ns]")
    depth = xr.DataArray([2.0, 10.0, 30.0], dims="depth", attrs={"positive": "down"})
    temperature = np.array([[20.0, 18.0, 10.0], [21.0, 19.0, np.nan]])
    dataset = xr.Dataset(
        {"temp": (("time", "depth"), temperature), "salt": (("time", "depth"), np.full((2, 3), 35.0))},
        coords={"time": times, "depth": depth},
    )
    dataset.to_netcdf(tmp_path / "obs.nc")
    return tmp_path / "obs.nc"


def test_initial_state_from_observations_shorthand(observation_file):
    built = build(parse_case(CASE + "initial: {observations: obs.nc}", base_dir=observation_file.parent))
    z = np.asarray(built.model.grid.z_centers)
    # nearest profile to 05:00 is 06:00 (its 30 m value is missing): linear, constant beyond
    np.testing.assert_allclose(built.initial.T, np.interp(z, [-10.0, -2.0], [19.0, 21.0]))
    np.testing.assert_allclose(built.initial.S, 35.0)
    np.testing.assert_allclose(built.initial.u, 0.0)  # no velocity in the file: at rest


def test_initial_profile_type_observations_with_time_and_name(observation_file):
    initial = (
        "initial: {T: {type: observations, file: obs.nc, variable: temp, time: 2001-01-01T01:00},"
        " S: 34.0, u: 0.1}"
    )
    built = build(parse_case(CASE + initial, base_dir=observation_file.parent))
    z = np.asarray(built.model.grid.z_centers)
    np.testing.assert_allclose(built.initial.T, np.interp(z, [-30.0, -10.0, -2.0], [10.0, 18.0, 20.0]))
    np.testing.assert_allclose(built.initial.S, 34.0)
    np.testing.assert_allclose(built.initial.u, 0.1)


@pytest.mark.parametrize(
    ("initial", "message"),
    [
        (
            "{T: {type: observations, file: obs.nc, time: 2001-02-01}, S: 35}",
            r"initial\.T: .* is outside the observations",
        ),
        (
            "{observations: obs.nc, u: {type: observations, file: obs.nc}}",
            r"initial\.u: no variable for 'u' found in obs\.nc",
        ),
        ("{T: {type: observations, file: obs.nc, depth: 3}, S: 35}", r"initial\.T\.depth: unknown key"),
        ("{observations: missing.nc}", r"initial\.observations: file not found"),
        ("{T: 10}", r"initial\.S: missing required key"),
    ],
)
def test_initial_observations_errors(observation_file, initial, message):
    with pytest.raises(ConfigError, match=message):
        build(parse_case(CASE + f"initial: {initial}", base_dir=observation_file.parent))


# --- the shipped real-data cases, shortened -------------------------------------------------


@pytest.mark.parametrize(
    ("case", "duration"),
    [("ows_papa_2012", 2 * 86400.0), ("les_strong_wind", 6 * 3600.0), ("les_free_convection", 6 * 3600.0)],
)
def test_real_data_case_runs_shortened(tmp_path, case, duration):
    path = REPOSITORY / "cases" / f"{case}.yaml"
    full = load_case(path)
    shortened = dataclasses.replace(full, time=dataclasses.replace(full.time, duration=duration))
    write_dataset(run(shortened), tmp_path / "run.nc")
    run_output = read_dataset(tmp_path / "run.nc")
    assert run_output.sizes["time"] == round(duration / full.time.output_interval) + 1
    assert np.isfinite(run_output["T"].values).all() and np.isfinite(run_output["u"].values).all()
    observed = load_observations(DATA / f"{case}_obs.nc")
    assert run_output["time"].values[0] == np.datetime64(full.time.start, "ns")
    first = compare.rms_temperature_error(run_output, observed, [0.0], tolerance_seconds=3600.0)
    assert first[0] < 0.05  # the initial state is the observed profile at the start
    assert compare.rms_temperature_error(run_output, observed)[0] < 1.0
