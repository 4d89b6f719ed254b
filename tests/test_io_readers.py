"""Readers of foreign data, sign/unit conversions, observation files and their alignment."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from calib.common.errors import CalibError, DataError
from calib.io import conventions
from calib.io.gotm import read_gotm_profiles, read_gotm_timeseries
from calib.io.importers import import_gotm, import_lesbrary
from calib.io.lesbrary import read_lesbrary
from calib.io.observations import align, load_observations

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- GOTM text files -------------------------------------------------------------------------


def test_timeseries_separators_comments_and_whitespace(tmp_path):
    text = "# header\n! other comment\n\n2012-03-20 00:00:00  1.5 -2\n2012/03/20\t01:00:00 2.5   -3 # c\n"
    ds = read_gotm_timeseries(write(tmp_path, "tau.dat", text), ["x", "y"])
    assert ds.time.values[1] == np.datetime64("2012-03-20T01:00")
    np.testing.assert_array_equal(ds.x.values, [1.5, 2.5])
    np.testing.assert_array_equal(ds.y.values, [-2.0, -3.0])
    assert list(read_gotm_timeseries(tmp_path / "tau.dat").data_vars) == ["tau_1", "tau_2"]


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        ("2012-03-20 00:00:00 1\n2012-03-20 01:00:00 abc\n", 2, "expected a time stamp and numbers"),
        ("2012-03-20 00:00:00 1\n\n2012-03-20 01:00:00 1 2\n", 3, "1 value.*got 2"),
        ("2012-03-20 00:00:00 1\n20120320 01:00:00 1\n", 2, "YYYY-MM-DD"),
        ("2012-03-20 00:00:00 1\n2012-13-20 01:00:00 1\n", 2, "impossible date"),
        ("2012-03-20 01:00:00 1\n2012-03-20 00:00:00 1\n", 2, "increasing"),
        ("2012-03-20 00:00:00\n", 1, "followed by values"),
    ],
)
def test_timeseries_malformed_line(tmp_path, body, line, expected):
    path = write(tmp_path, "bad.dat", body)
    with pytest.raises(DataError, match=rf"bad\.dat:{line}: .*{expected}"):
        read_gotm_timeseries(path)


PROFILES = """\
2012-03-20 00:00:00  3  2
  -1.0  5.0
 -10.0  4.0
 -30.0  3.0
# the next profile is given bottom-up and lacks the 10 m level
2012/03/20 01:00:00  2  1
 -30.0  3.5
  -1.0  5.5
"""


def test_profiles_flags_union_of_levels_and_nan(tmp_path):
    ds = read_gotm_profiles(write(tmp_path, "t_prof.dat", PROFILES), "T")
    np.testing.assert_array_equal(ds.z.values, [-30.0, -10.0, -1.0])  # bottom-first heights
    np.testing.assert_array_equal(ds.T.values[0], [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(ds.T.values[1], [3.5, np.nan, 5.5])
    assert ds.T.dims == ("time", "z")


def test_profiles_several_columns(tmp_path):
    path = write(tmp_path, "uv.dat", "2012-01-01 00:00:00 2 1\n-5 0.1 0.2\n-1 0.3 0.4\n")
    ds = read_gotm_profiles(path, ["u", "v"])
    np.testing.assert_array_equal(ds.v.values, [[0.2, 0.4]])


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        ("2012-03-20 00:00:00 2 2\n-1 5\n-5 x\n", 3, "profile line"),
        ("2012-03-20 00:00:00 2 3\n-1 5\n-5 4\n", 1, "flag 1 = bottom-up"),
        ("2012-03-20 00:00:00 3 2\n-1 5\n-5 4\n2012-03-20 01:00:00 1 2\n-1 5\n", 4, "profile line"),
        ("2012-03-20 00:00:00 2 2\n-1 5\n-5 4\n2012-03-20 01:00:00 3 2\n-1 5\n", 4, "file ends"),
        ("2012-03-20 00:00:00 2 1\n-1 5\n-5 4\n", 1, "must strictly increase"),
        ("2012-03-20 00:00:00 2 2\n1 5\n-5 4\n", 2, "> 0"),
    ],
)
def test_profiles_malformed(tmp_path, body, line, expected):
    path = write(tmp_path, "bad.dat", body)
    with pytest.raises(DataError, match=rf"bad\.dat:{line}: .*{expected}"):
        read_gotm_profiles(path, "T")


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_gotm_timeseries(tmp_path / "nope.dat")


# --- sign and unit conventions ---------------------------------------------------------------


def test_gotm_heat_flux_keeps_its_sign():
    np.testing.assert_array_equal(conventions.gotm_heat_flux_to_calib([-100.0, 50.0]), [-100.0, 50.0])


def test_oceananigans_upward_flux_becomes_downward():
    assert conventions.oceananigans_flux_to_calib(1.2e-7) == -1.2e-7  # cooling: buoyancy loss


def test_oceananigans_momentum_flux_to_wind_stress():
    # LESbrary strong_wind: flux -1e-3 m2 s-2 is a wind pushing toward +x
    assert conventions.oceananigans_momentum_flux_to_wind_stress(-1e-3, 1000.0) == pytest.approx(1.0)


def test_oceananigans_temperature_flux_to_heat_flux():
    # LESbrary free_convection: +6.118e-5 K m s-1 upward is a heat loss of ~250 W m-2
    heat = conventions.oceananigans_temperature_flux_to_heat_flux(6.118e-5, 1027.0, 3985.0)
    assert heat == pytest.approx(-250.4, abs=0.1)


def test_kelvin_detection_and_depth_to_height():
    assert conventions.looks_like_kelvin([283.0, np.nan])
    assert not conventions.looks_like_kelvin([10.0, 12.0])
    assert not conventions.looks_like_kelvin([np.nan])
    np.testing.assert_array_equal(conventions.depth_to_height([0.0, 5.0]), [0.0, -5.0])


def test_conversion_constants_match_the_model():
    from calib.core.eos import LinearEquationOfState
    from calib.core.forcing import HEAT_CAPACITY
    from calib.io import importers

    assert LinearEquationOfState().rho0 == importers.REFERENCE_DENSITY
    assert importers.HEAT_CAPACITY == HEAT_CAPACITY


# --- observation NetCDF files ----------------------------------------------------------------


def observation_file(tmp_path, *, depth_attrs=None, depth=(1.0, 10.0, 20.0), temperature=None, times=None):
    """A tiny observation file with depth positive down and temperature named 'temp'."""
    times = np.array(["2020-01-01T00", "2020-01-01T01"], "datetime64[ns]") if times is None else times
    if temperature is None:
        temperature = np.array([[10.0, 9.0, 8.0], [11.0, np.nan, 7.0]])
    ds = xr.Dataset(
        {
            "temp": (("time", "depth"), temperature, {"units": "degC"}),
            "sal": (("time", "depth", "lat"), np.full((len(times), len(depth), 1), 35.0),
                    {"standard_name": "sea_water_practical_salinity"}),
        },
        coords={"time": times, "depth": ("depth", np.asarray(depth), depth_attrs or {"positive": "down"})},
    )  # fmt: skip
    path = tmp_path / "obs.nc"
    ds.to_netcdf(path)
    return path


def test_load_observations_depth_positive_down(tmp_path):
    obs = load_observations(observation_file(tmp_path))
    assert set(obs.data_vars) == {"T", "S"}  # S found by standard_name, lat squeezed
    np.testing.assert_array_equal(obs.z.values, [-20.0, -10.0, -1.0])
    np.testing.assert_array_equal(obs.T.values[0], [8.0, 9.0, 10.0])
    assert obs.z.attrs["positive"] == "up"


def test_load_observations_sign_of_values_without_attribute(tmp_path):
    obs = load_observations(observation_file(tmp_path, depth_attrs={"units": "m"}))
    np.testing.assert_array_equal(obs.z.values, [-20.0, -10.0, -1.0])


def test_load_observations_cftime_and_names_override(tmp_path):
    ds = xr.Dataset(
        {"thing": (("time", "z"), [[1.0, 2.0]])},
        coords={
            "time": ("time", [0.5], {"units": "days since 2001-01-01", "calendar": "noleap"}),
            "z": [-2.0, -1.0],
        },
    )
    ds.to_netcdf(tmp_path / "c.nc")
    obs = load_observations(tmp_path / "c.nc", names={"T": "thing"})
    assert obs.time.values[0] == np.datetime64("2001-01-01T12:00")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"temperature": np.full((2, 3), 283.0)}, "kelvin"),
        ({"temperature": np.full((2, 3), np.nan)}, "no finite value"),
        ({"times": np.array(["2020-01-01T01", "2020-01-01T00"], "datetime64[ns]")}, "decreasing"),
        ({"times": np.array(["2020-01-01T00", "2020-01-01T00"], "datetime64[ns]")}, "duplicate"),
    ],
)
def test_load_observations_errors(tmp_path, kwargs, expected):
    with pytest.raises(DataError, match=rf"obs\.nc: temp: .*{expected}"):
        load_observations(observation_file(tmp_path, **kwargs))


def test_load_observations_without_known_variable(tmp_path):
    xr.Dataset({"x": (("time", "z"), [[1.0]])}, coords={"time": [0], "z": [-1.0]}).to_netcdf(
        tmp_path / "x.nc"
    )
    with pytest.raises(DataError, match=r"x\.nc: no temperature"):
        load_observations(tmp_path / "x.nc")


def test_align_nan_outside_observed_range_and_nearest_time(tmp_path):
    obs = load_observations(observation_file(tmp_path))
    z_centers = np.array([-25.0, -15.0, -5.0, -0.5])
    start = np.datetime64("2020-01-01T00")
    aligned = align(obs, z_centers, np.array([0.0, 3000.0, 7200.0]), start)  # tolerance 1500 s
    T = aligned["T"]
    assert T.shape == (3, 4)
    np.testing.assert_allclose(T[0], [np.nan, 8.5, 9.0 + 5.0 / 9.0, np.nan])  # -25 and -0.5 outside
    np.testing.assert_allclose(T[1], [np.nan, 7.0 + 4.0 * 5.0 / 19.0, 7.0 + 4.0 * 15.0 / 19.0, np.nan])
    assert np.isnan(T[2]).all()  # 7200 s is 1 h from the last profile: beyond the tolerance
    assert np.isfinite(align(obs, z_centers, np.array([7200.0]), start, tolerance_seconds=3600.0)["T"][0, 1])


# --- LESbrary --------------------------------------------------------------------------------


def lesbrary_file(tmp_path) -> Path:
    """A 2-cell, 2-snapshot file laid out like LESbrary's, halo 1."""
    path = tmp_path / "les.jld2"
    with h5py.File(path, "w") as f:
        f["grid/Hz"], f["grid/Nz"] = 1, 2
        f["grid/zᵃᵃᶜ"], f["grid/zᵃᵃᶠ"] = [-5.0, -3.0, -1.0, 1.0], [-6.0, -4.0, -2.0, 0.0, 2.0]
        for key, seconds in (("0", 0.0), ("10", 600.0)):
            f[f"timeseries/t/{key}"] = seconds
            for name, scale in (("T", 1.0), ("u", 0.01), ("v", 0.01)):  # |u| < 5 m s-1 (plausible)
                values = scale * np.array([0.0, 19.0, 20.0 + seconds / 600.0, 0.0])
                f[f"timeseries/{name}/{key}"] = values.reshape(4, 1, 1)
        f["parameters/momentum_flux"], f["parameters/temperature_flux"] = -1e-3, 6e-5
        f["parameters/name"] = np.bytes_("test_case")
        f["coriolis/f"] = 1e-4
    return path


def test_read_lesbrary_strips_halos(tmp_path):
    obs, parameters = read_lesbrary(lesbrary_file(tmp_path))
    np.testing.assert_array_equal(obs.z.values, [-3.0, -1.0])
    np.testing.assert_array_equal(obs.z_face.values, [-4.0, -2.0, 0.0])
    np.testing.assert_array_equal(obs.T.values, [[19.0, 20.0], [19.0, 21.0]])
    assert obs.time.values[1] == np.datetime64("2000-01-01T00:10")
    assert parameters["name"] == "test_case" and parameters["coriolis_parameter"] == 1e-4


def test_import_lesbrary_fluxes_into_the_ocean(tmp_path):
    obs_path, forcing_path = import_lesbrary(lesbrary_file(tmp_path), tmp_path / "o.nc", tmp_path / "f.nc")
    forcing = xr.load_dataset(forcing_path)
    assert float(forcing.wind_stress_x[0]) == pytest.approx(1.027)  # -rho0 * (-1e-3)
    assert float(forcing.heat_flux[0]) == pytest.approx(-1027.0 * 3985.0 * 6e-5)  # cooling
    assert load_observations(obs_path).T.shape == (2, 2)


def test_import_gotm_small_case(tmp_path):
    for name, body in {
        "t_prof.dat": PROFILES,
        "heat_flux.dat": "2012-03-20 00:00:00 -100\n2012-03-20 02:00:00 -300\n",
        "momentum_flux.dat": "2012-03-20 00:00:00 0.1 0.2\n2012-03-20 01:00:00 0.1 0.2\n"
        "2012-03-20 02:00:00 0 0\n",
        "swr.dat": "2012-03-20 00:00:00 10\n2012-03-20 02:00:00 30\n",
    }.items():
        write(tmp_path, name, body)
    _, forcing_path = import_gotm(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", latitude=30.0)
    forcing = xr.load_dataset(forcing_path)
    np.testing.assert_allclose(forcing.heat_flux.values, [-100.0, -200.0, -300.0])  # gap interpolated
    np.testing.assert_array_equal(forcing.freshwater_flux.values, 0.0)
    assert forcing.attrs["coriolis_parameter"] == pytest.approx(7.2921e-5)
    assert load_observations(tmp_path / "o.nc").T.shape == (2, 3)
    with pytest.raises(CalibError, match="o.nc: exists; pass --force"):  # never overwritten silently
        import_gotm(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc")
    import_gotm(
        tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", "2012-03-20T00:30", "2012-03-20T00:45", force=True
    )
    assert xr.load_dataset(tmp_path / "f.nc").sizes["time"] == 2  # the records around the interval
    with pytest.raises(DataError, match="no data between"):
        import_gotm(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", start="2013-01-01", force=True)


# --- the real shared files -------------------------------------------------------------------


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_real_shared_files():
    papa = SHARED / "ows_papa_2012"
    profiles = read_gotm_profiles(papa / "t_prof.dat", "T")
    assert profiles.sizes == {"time": 8832, "z": 17}
    assert float(profiles.T.isel(time=0).sel(z=-1.0)) == pytest.approx(4.939)
    heat = read_gotm_timeseries(papa / "heat_flux.dat").heat_flux
    assert float(heat.mean()) == pytest.approx(-60.6, abs=0.1)
    les, parameters = read_lesbrary(
        SHARED / "lesbrary_two_day_4m" / "strong_wind_instantaneous_statistics.jld2"
    )
    assert les.sizes == {"time": 289, "z": 64, "z_face": 65} and les.z.values[-1] == -2.0
    assert parameters["momentum_flux"] == -1e-3


REPOSITORY_DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("case", ["ows_papa_2012", "les_free_convection", "les_strong_wind"])
def test_data_files_are_small_and_readable(case):
    obs_path, forcing_path = REPOSITORY_DATA / f"{case}_obs.nc", REPOSITORY_DATA / f"{case}_forcing.nc"
    if not obs_path.exists():
        pytest.skip("data/ files not generated (python -m calib.io.importers)")
    assert obs_path.stat().st_size < 5e6 and forcing_path.stat().st_size < 5e6
    assert {"T"} <= set(load_observations(obs_path).data_vars)
    with xr.open_dataset(forcing_path) as forcing:
        assert set(forcing.data_vars) == {"wind_stress_x", "wind_stress_y", "heat_flux", "shortwave",
                                          "freshwater_flux"}  # fmt: skip
