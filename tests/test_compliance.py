"""Every kind of NetCDF calib writes passes the IOOS compliance checker: CF-1.8 without a high- or
medium-priority failure, and the ACDD-1.3 highly recommended and applicable recommended attributes.

Kinds: a `calib run` trajectory, an ensemble, a fit history, an imported GOTM pair, an imported
LESbrary pair and the files shipped in data/. Each also reads back through xarray with the same
times and heights.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

pytest.importorskip("compliance_checker")
from compliance_checker.base import BaseCheck  # noqa: E402
from compliance_checker.runner import CheckSuite  # noqa: E402

import calib  # noqa: E402
from calib.cli.app import app  # noqa: E402
from calib.io import cf  # noqa: E402
from calib.io.importers import import_gotm, import_lesbrary  # noqa: E402
from calib.io.netcdf import write_dataset  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
HIGHLY_RECOMMENDED = ("title", "summary", "keywords", "Conventions")
RECOMMENDED = (  # ACDD-1.3 recommended attributes that apply to every file calib writes
    "id", "history", "comment", "date_created", "creator_name", "institution", "project",
    "processing_level", "standard_name_vocabulary", "license", "source",
)  # fmt: skip
LOCATED = ("geospatial_lat_min", "geospatial_lat_max", "geospatial_lon_min", "geospatial_lon_max",
           "geospatial_bounds", "geospatial_bounds_crs")  # fmt: skip
PROFILED = ("geospatial_vertical_min", "geospatial_vertical_max", "geospatial_vertical_positive")
TIMED = ("time_coverage_start", "time_coverage_end", "time_coverage_duration", "time_coverage_resolution")

CASE = """
name: site
grid: {depth: 30, nz: 12}
time: {start: 2012-03-21, dt: 300 s, duration: 2 h, output_interval: 30 min}
initial: {T: {type: linear, surface: 8.0, gradient: 0.05}, S: 32.5}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 7.6e-4, T0: 8.0, S0: 32.5}
forcing: {latitude: 50.1, longitude: -144.9, wind_stress_x: 0.1, heat_flux: -50}
closure: {name: CLOSURE}
"""


@pytest.fixture(scope="module")
def suite():
    check_suite = CheckSuite()
    check_suite.load_all_available_checkers()
    return check_suite


def check(suite, path) -> tuple[list[str], list[str]]:
    """(CF-1.8 high/medium failures, ACDD-1.3 highly recommended failures) of a file, as messages."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = suite.load_dataset(str(path))
        try:
            results = suite.run_all(dataset, ["cf:1.8", "acdd:1.3"], skip_checks=[])
        finally:
            dataset.close()
    failures = {}
    for name, (groups, errors) in results.items():
        assert not errors, f"{path}: {name} could not run {sorted(errors)}"
        failures[name] = [
            f"{group.name}: {'; '.join(map(str, group.msgs))}"
            for group in groups
            if group.weight >= (BaseCheck.MEDIUM if name.startswith("cf") else BaseCheck.HIGH)
            and (group.value[0] < group.value[1] if isinstance(group.value, tuple) else not group.value)
        ]
    return failures["cf:1.8"], failures["acdd:1.3"]


def global_attributes_present(path, names) -> list[str]:
    with netCDF4.Dataset(path) as ds:
        return [name for name in names if not str(getattr(ds, name, "")).strip()]


def assert_clean(
    suite, path, *, located=True, profiled=True, timed=True, variables_have_names=True, mixed_units=()
):
    """No CF high/medium failure; the ACDD attributes that apply are there.

    `variables_have_names=False`: some variables have no CF standard name (loss, P - E in m s-1 ...);
    `mixed_units`: variables whose values have one unit per parameter (given in `parameter_units`).
    """
    cf_failures, acdd_failures = check(suite, path)
    assert not cf_failures, f"{path.name}: CF-1.8 failures:\n" + "\n".join(cf_failures)

    def excused(failure: str) -> bool:
        variable = failure.split('"')[1] if failure.startswith('variable "') else None
        missing = set(failure.split(":: ")[-1].split("; "))
        allowed = {"standard_name"} if not variables_have_names else set()
        return variable is not None and missing <= allowed | ({"units"} if variable in mixed_units else set())

    acdd_failures = [failure for failure in acdd_failures if not excused(failure)]
    missing = "\n".join(acdd_failures)
    assert not acdd_failures, f"{path.name}: ACDD-1.3 highly recommended missing:\n{missing}"
    wanted = HIGHLY_RECOMMENDED + RECOMMENDED + located * LOCATED + profiled * PROFILED + timed * TIMED
    assert global_attributes_present(path, wanted) == []
    with netCDF4.Dataset(path) as ds:
        assert "ACDD-1.3" in ds.Conventions and "CF-1.8" in ds.Conventions
        for name in ("time", "z", "z_face", "z_bounds", "lat", "lon"):
            if name in ds.variables:
                assert "_FillValue" not in ds[name].ncattrs(), name  # CF 2.5.1: none on coordinates
        if "time" in ds.variables:
            assert ds["time"].dtype == np.float64 and ds["time"].units.startswith("seconds since")
        for variable in ds.variables.values():
            assert variable.dtype not in (np.int64, np.uint64), variable.name  # not in CF-1.8


def write_case(tmp_path, closure="k_epsilon") -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(CASE.replace("CLOSURE", closure))
    return path


def test_run_output(suite, tmp_path):
    out = tmp_path / "run.nc"
    case = write_case(tmp_path, "pacanowski_philander")
    result = CliRunner().invoke(app, ["run", str(case), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert_clean(suite, out)
    ds = xr.load_dataset(out)
    assert ds.attrs["featureType"] == "timeSeriesProfile"
    assert float(ds.lat) == pytest.approx(50.1) and float(ds.lon) == pytest.approx(-144.9)
    assert ds.attrs["history"].endswith(f"calib run {tmp_path / 'site.yaml'} --out {out} -q")
    assert ds.attrs["time_coverage_duration"] == "PT2H" and ds.attrs["time_coverage_resolution"] == "PT30M"
    # read back: the times of the run, heights of the grid, bounds from the faces
    expected = np.datetime64("2012-03-21T00:00") + np.arange(5) * np.timedelta64(30, "m")
    np.testing.assert_array_equal(ds.time.values, expected.astype("datetime64[ns]"))
    np.testing.assert_allclose(ds.z.values, -30.0 + 2.5 * (np.arange(12) + 0.5))
    np.testing.assert_array_equal(ds.z_bounds.values[:, 0], ds.z_face.values[:-1])
    np.testing.assert_array_equal(ds.z_bounds.values[:, 1], ds.z_face.values[1:])
    assert ds.z.attrs["bounds"] == "z_bounds"
    assert ds.S.attrs["units"] == "1" and ds.S.attrs["standard_name"] == "sea_water_practical_salinity"
    assert ds.viscosity.attrs["standard_name"] == "ocean_vertical_momentum_diffusivity"
    assert ds.diffusivity.attrs["standard_name"] == "ocean_vertical_tracer_diffusivity"
    assert ds.attrs["coriolis_parameter"] == pytest.approx(2 * 7.2921e-5 * np.sin(np.deg2rad(50.1)))


def test_teos10_run_names_conservative_temperature_and_absolute_salinity(suite, tmp_path):
    text = write_case(tmp_path, "pacanowski_philander").read_text()
    text = text.replace("{type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 7.6e-4, T0: 8.0, S0: 32.5}",
                        "{type: teos10, salinity: absolute}")  # fmt: skip
    path = write_dataset(calib.run(calib.parse_case(text)), tmp_path / "teos10.nc")
    assert_clean(suite, path)
    ds = xr.load_dataset(path)
    assert ds["T"].attrs["standard_name"] == "sea_water_conservative_temperature"
    assert ds["S"].attrs["standard_name"] == "sea_water_absolute_salinity"
    assert ds["S"].attrs["units"] == "g kg-1"


def test_ensemble(suite, tmp_path):
    members = calib.ensemble(calib.load_case(write_case(tmp_path, "pacanowski_philander")), 3,
                             parameters=["nu0"], spread=0.5, seed=1)  # fmt: skip
    path = write_dataset(members, tmp_path / "ensemble.nc")
    assert_clean(suite, path, variables_have_names=False)
    back = xr.load_dataset(path)
    assert back.z_bounds.dims == ("z", "nv") and back["T"].dims == ("member", "time", "z")


@pytest.mark.slow
def test_fit_history(suite, tmp_path):
    runner = CliRunner()
    case = write_case(tmp_path, "pacanowski_philander")
    result = runner.invoke(app, ["run", str(case), "--out", str(tmp_path / "obs.nc"), "-q"])
    assert result.exit_code == 0, result.output
    arguments = ["fit", "--obs", str(tmp_path / "obs.nc"), "--params", "nu0,alpha", "--iterations", "2",
                 "--out", str(tmp_path / "fit"), "-q"]  # fmt: skip
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    path = tmp_path / "fit" / "history.nc"
    assert_clean(suite, path, located=False, profiled=False, timed=False, variables_have_names=False,
                 mixed_units=("value", "start", "fitted", "std"))  # fmt: skip
    history = xr.load_dataset(path)
    assert list(history.parameter_name.values) == ["nu0", "alpha"]
    assert list(history.parameter_units.values) == ["m2 s-1", "1"]


PROFILES = """\
2012-03-20 00:00:00  3  2
  -1.0  5.0  33.0
 -10.0  4.0  33.5
 -30.0  3.0  34.0
2012-03-20 02:00:00  3  2
  -1.0  5.5  33.0
 -10.0  4.5  33.5
 -30.0  3.0  34.0
"""


def test_imported_gotm_pair(suite, tmp_path):
    files = {
        "t_prof.dat": PROFILES.replace("  33.0", "").replace("  33.5", "").replace("  34.0", ""),
        "s_prof.dat": "\n".join(
            " ".join(line.split()[::2]) if line.startswith(" ") else line for line in PROFILES.splitlines()
        ) + "\n",
        "heat_flux.dat": "2012-03-20 00:00:00 -100\n2012-03-20 02:00:00 -300\n",
        "momentum_flux.dat": "2012-03-20 00:00:00 0.1 0.2\n2012-03-20 02:00:00 0 0\n",
        "swr.dat": "2012-03-20 00:00:00 10\n2012-03-20 02:00:00 30\n",
    }  # fmt: skip
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    obs, forcing = import_gotm(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", latitude=50.1, longitude=-145)
    for path in (obs, forcing):
        assert_clean(suite, path, profiled=path == obs, variables_have_names=path == obs)
    back = xr.load_dataset(forcing)
    assert "standard_name" not in back.freshwater_flux.attrs  # CF has none for P - E in m s-1
    assert back.heat_flux.attrs["standard_name"] == "surface_downward_heat_flux_in_sea_water"
    assert back.attrs["featureType"] == "timeSeries"
    observations = xr.load_dataset(obs)
    assert observations.attrs["featureType"] == "timeSeriesProfile"
    np.testing.assert_array_equal(observations.S.values[0], [34.0, 33.5, 33.0])  # bottom first
    assert observations.time.values[1] == np.datetime64("2012-03-20T02:00", "ns")


def test_imported_lesbrary_pair(suite, tmp_path):
    from tests.test_io_readers import lesbrary_file

    obs, forcing = import_lesbrary(lesbrary_file(tmp_path), tmp_path / "o.nc", tmp_path / "f.nc")
    for path in (obs, forcing):  # an LES has a Coriolis parameter (so a latitude) but no longitude
        assert_clean(suite, path, located=False, profiled=path == obs, variables_have_names=path == obs)
        assert float(xr.load_dataset(path).lat) == pytest.approx(cf.latitude_from_coriolis(1e-4))
    np.testing.assert_array_equal(xr.load_dataset(obs).z.values, [-3.0, -1.0])


@pytest.mark.parametrize("path", sorted(DATA.glob("*.nc")), ids=lambda p: p.name)
def test_shipped_data_files(suite, path):
    les = path.name.startswith("les_")
    assert_clean(suite, path, located=not les, profiled=path.name.endswith("_obs.nc"),
                 variables_have_names=path.name.endswith("_obs.nc"))  # fmt: skip


def test_turbulence_fields_get_their_standard_names():
    # what k-epsilon, GLS, TKE and CATKE save (units of their closure-state metadata)
    faces = ("time", "z_face")
    ds = xr.Dataset(
        {
            "k": (faces, np.ones((1, 3)), {"units": "m2 s-2"}),
            "tke": (faces, np.ones((1, 3)), {"units": "m2 s-2"}),
            "epsilon": (faces, np.ones((1, 3)), {"units": "m2 s-3"}),
        },
        coords={"time": [np.datetime64("2000-01-01", "ns")], "z_face": [-2.0, -1.0, 0.0]},
    )
    names = {name: v.attrs["standard_name"] for name, v in cf.finalize(ds).data_vars.items()}
    assert names == {
        "k": "specific_turbulent_kinetic_energy_of_sea_water",
        "tke": "specific_turbulent_kinetic_energy_of_sea_water",
        "epsilon": "specific_turbulent_kinetic_energy_dissipation_in_sea_water",
    }


def test_latitude_of_the_coriolis_parameter():
    # f = 1e-4 s-1 is latitude 43.2886 (cases/les_*.yaml); f = 2 Omega at the pole
    assert cf.latitude_from_coriolis(1e-4) == pytest.approx(43.28860007, abs=1e-6)
    assert cf.latitude_from_coriolis(2 * cf.EARTH_ROTATION) == pytest.approx(90.0)


def test_iso_durations():
    assert cf._duration(600) == "PT10M"
    assert cf._duration(86400 * 2 + 3600) == "P2DT1H"
    assert cf._duration(0) == "PT0S"


def test_attribution_can_be_set_by_the_environment(monkeypatch):
    monkeypatch.setenv("CALIB_INSTITUTION", "Ocean Institute")
    monkeypatch.setenv("CALIB_CREATOR_EMAIL", "someone@example.org")
    attrs = cf.attribution()
    assert attrs["institution"] == "Ocean Institute" and attrs["creator_email"] == "someone@example.org"


def test_a_run_takes_the_longitude_of_its_forcing_file():
    from calib.io.netcdf import _position

    case = calib.load_case(Path(__file__).resolve().parents[1] / "cases" / "ows_papa_2012.yaml")
    if not case.forcing.heat_flux.file.is_file():
        pytest.skip("data/ files not generated (python -m calib.io.importers)")
    assert _position(case, None) == (pytest.approx(50.1), pytest.approx(-144.9))  # Station Papa
