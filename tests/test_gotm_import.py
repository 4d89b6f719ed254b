"""`calib import gotm` on whole GOTM cases: gotm.yaml -> observation + forcing NetCDF + a case YAML
that runs, with every setting calib does not reproduce listed (issue 15, item 4)."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from calib.cli.app import app
from calib.common.errors import DataError
from calib.io.gotm import read_gotm_timeseries
from calib.io.gotm_case import read_gotm_yaml, zoomed_levels
from calib.io.gotm_import import import_gotm_case, parse_role

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"
PAPA_YAML = SHARED / "reference" / "gotm" / "c_ows_papa_keps" / "gotm.yaml"
PAPA_DATA = SHARED / "data" / "ows_papa_2012"
runner = CliRunner()

HOURS = [f"2001-06-01 {h:02d}:00:00" for h in range(0, 24, 3)] + ["2001-06-02 00:00:00"]


def series_text(*columns) -> str:
    return "".join(f"{t} " + " ".join(f"{c[i]:g}" for c in columns) + "\n" for i, t in enumerate(HOURS))


def profile_text() -> str:
    """Two value columns: a decoy in column 1, the temperature in column 2 (top-down, flag 2)."""
    blocks = []
    for day, warm in (("2001-06-01 00:00:00", 14.0), ("2001-06-02 00:00:00", 14.5)):
        lines = [f"{-z:g} 99.0 {warm - 0.1 * z:g}" for z in (1.0, 10.0, 20.0, 40.0)]
        blocks.append(f"{day} 4 2\n" + "\n".join(lines) + "\n")
    return "".join(blocks)


# GOTM's layout (gotm --write_yaml), non-standard file names, a two-column heat/shortwave file.
SMALL_YAML = """\
version: 7
title: small test case
location:
   name: small_site
   latitude: 45.0
   longitude: -10.0
   depth: 40.0
time:
   start: 2001-06-01 00:00:00
   stop: 2001-06-01 12:00:00
   dt: 300.0
grid:
   nlev: 40
   method: analytical
   ddu: 0.0
   ddl: 0.0
temperature:
   method: file
   file: data/temperature_profiles.txt
   column: 2
   type: conservative
   relax:
      tau: 864000.0
salinity:
   method: constant
   constant_value: 35.5
   file: missing_salt.dat
   type: practical
surface:
   fluxes:
      method: off
      heat:
         method: file
         file: data/fluxes_two_columns.txt
         column: 1
      tx:
         method: file
         file: stress.txt
         column: 1
      ty:
         method: constant
         constant_value: 0.01
   u10:
      method: file
      file: not_needed_wind.dat
   swr:
      method: file
      file: data/fluxes_two_columns.txt
      column: 2
   precip:
      method: constant
      constant_value: 1.0e-8
   albedo:
      method: constant
      constant_value: 0.06
   sst:
      method: file
      file: surface_temp.txt
   ice:
      model: no_ice
   roughness:
      charnock: true
      z0s_min: 0.01
bottom:
   h0b: 0.05
light_extinction:
   method: jerlov-ii
equation_of_state:
   method: linear_custom
   rho0: 1025.0
   linear:
      T0: 12.0
      S0: 35.0
      alpha: 2.0e-4
      beta: 7.6e-4
      cp: 4100.0
mimic_3d:
   ext_pressure:
      type: elevation
      dpdx:
         method: tidal
         tidal:
            amp_1: 1.0e-6
            phase_1: 3600.0
      period_1: 44714.0
   w:
      max:
         method: constant
         constant_value: 1.0e-5
turbulence:
   turb_method: second_order
   tke_method: tke
   len_scale_method: dissipation
   scnd:
      method: weak_eq_kb_eq
      scnd_coeff: canuto-a
   turb_param:
      compute_c3: true
      Ri_st: 0.25
      galp: 0.27
      k_min: 1.0e-8
   keps:
      ce1: 1.44
      ce2: 1.92
      ce3plus: 1.5
      sig_e: 1.3
output:
   small_output:
      time_unit: hour
      time_step: 1
      variables:
      - source: temp
"""

HEAT = [
    -120.0,
    -110.0,
    -80.0,
    -20.0,
    -30.0,
    -60.0,
    -100.0,
    -120.0,
    -125.0,
]  # W m-2, < 0: the ocean loses heat
SHORTWAVE = [0.0, 0.0, 150.0, 600.0, 700.0, 300.0, 20.0, 0.0, 0.0]  # W m-2, downward


def write_small_case(folder: Path) -> Path:
    (folder / "data").mkdir()
    (folder / "data" / "temperature_profiles.txt").write_text(profile_text())
    (folder / "data" / "fluxes_two_columns.txt").write_text(series_text(HEAT, SHORTWAVE))
    (folder / "stress.txt").write_text(series_text([0.1] * 9))
    (folder / "surface_temp.txt").write_text(series_text([13.9 + 0.01 * i for i in range(9)]))
    (folder / "gotm.yaml").write_text(SMALL_YAML)
    return folder / "gotm.yaml"


def test_role_path_column_parsing_and_column_selection(tmp_path):
    assert parse_role("heat_flux=/a/fluxes.dat:2") == ("heat_flux", Path("/a/fluxes.dat"), 2)
    assert parse_role("wind=u10.dat") == ("wind", Path("u10.dat"), 1)
    assert parse_role("sst=weird:name.dat") == ("sst", Path("weird:name.dat"), 1)  # a colon, no column
    with pytest.raises(DataError, match=r"unknown role 'heat'; roles are temperature, salinity"):
        parse_role("heat=fluxes.dat")
    with pytest.raises(DataError, match=r"expected ROLE=PATH\[:COLUMN\]"):
        parse_role("heat_flux=")
    path = tmp_path / "two.dat"
    path.write_text(series_text(HEAT, SHORTWAVE))
    np.testing.assert_array_equal(read_gotm_timeseries(path, "sw", columns=2)["sw"].values, SHORTWAVE)
    with pytest.raises(DataError, match=r"two.dat: value column 3 asked for but the file has 2 value column"):
        read_gotm_timeseries(path, "x", columns=3)


def test_gotm_zooming_levels():
    # ddu = ddl = 0: equal layers; zooming toward both ends makes the end layers thinnest.
    np.testing.assert_allclose(zoomed_levels(10.0, 5, 0.0, 0.0), [0, 2, 4, 6, 8, 10])
    levels = np.array(zoomed_levels(100.0, 20, 2.0, 1.0))
    thickness = np.diff(levels)
    assert levels[0] == 0 and levels[-1] == pytest.approx(100.0)
    assert thickness[0] < thickness[10] and thickness[-1] < thickness[10] and thickness[0] < thickness[-1]


def test_missing_file_error_names_the_role_and_file(tmp_path):
    write_small_case(tmp_path)
    (tmp_path / "stress.txt").unlink()
    with pytest.raises(DataError) as error:
        import_gotm_case(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", tmp_path / "c.yaml")
    message = str(error.value)
    assert "\n" not in message and "{" not in message  # one line, no Python dict
    assert re.search(
        r"^tx: file .*stress\.txt not found \(set by surface\.fluxes\.tx in .*gotm\.yaml\); "
        r"give it as tx=PATH\[:COLUMN\]$",
        message,
    ), message
    # The files only the unused methods would read (salinity file, u10) are not required.
    (tmp_path / "stress.txt").write_text(series_text([0.1] * 9))
    import_gotm_case(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", tmp_path / "c.yaml")
    # Without gotm.yaml: a folder with profiles and no forcing names what is missing.
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "t_prof.dat").write_text(profile_text().replace(" 99.0", ""))
    with pytest.raises(
        DataError, match=r"^no heat_flux or momentum_flux file .* give them as ROLE=PATH\[:COLUMN\]$"
    ):
        import_gotm_case(bare, bare / "o.nc", bare / "f.nc")


METEO_YAML = """\
location: {name: bulk_site, latitude: 10.0, longitude: 20.0, depth: 30.0}
time: {start: 2001-06-01 00:00:00, stop: 2001-06-01 12:00:00, dt: 600.0}
grid: {nlev: 30}
temperature: {method: file, file: tprof.dat, type: conservative}
salinity: {method: constant, constant_value: 35.0}
surface:
   fluxes: {method: kondo}
   u10: {method: file, file: wind.dat, column: 1}
   v10: {method: file, file: wind.dat, column: 2}
   airp: {method: file, file: slp.dat}
   airt: {method: file, file: t2m_kelvin.dat}
   hum: {method: file, file: q.dat, type: specific}
   precip: {method: file, file: rain.dat}
   swr: {method: file, file: sw.dat}
   longwave_radiation: {method: file, file: lw.dat}
   albedo: {method: payne}
   ice: {model: no_ice}
light_extinction:
   method: custom
   A: {method: constant, constant_value: 0.58}
   g1: {method: constant, constant_value: 0.35}
   g2: {method: file, file: g2.dat}
equation_of_state: {method: full_teos-10}
"""


def test_bulk_case_signs_and_units(tmp_path):
    """GOTM's units are calib's: precipitation m s-1, air pressure Pa, specific humidity kg kg-1,
    net longwave < 0 = loss (calib's into-ocean sign, kept); an air temperature in K becomes degC."""
    (tmp_path / "gotm.yaml").write_text(METEO_YAML)
    (tmp_path / "tprof.dat").write_text(profile_text().replace(" 99.0", ""))
    files = {
        "wind.dat": ([5.0] * 9, [-2.0] * 9),
        "slp.dat": ([101200.0] * 9,),
        "t2m_kelvin.dat": ([288.15] * 9,),
        "q.dat": ([0.008] * 9,),
        "rain.dat": ([2.0e-7, 2.0e-7, -1.0e-9] + [2.0e-7] * 6,),
        "sw.dat": (SHORTWAVE,),
        "lw.dat": ([-55.0] * 9,),
        "g2.dat": ([15.0] * 9,),
    }
    for name, columns in files.items():
        (tmp_path / name).write_text(series_text(*columns))
    result = import_gotm_case(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", tmp_path / "bulk.yaml")
    forcing = xr.load_dataset(result.forcing)
    assert float(forcing.longwave[0]) == pytest.approx(-55.0)  # net loss stays negative (into-ocean sign)
    assert forcing.longwave.attrs["units"] == "W m-2"
    assert (
        float(forcing.air_pressure[0]) == pytest.approx(101200.0)
        and forcing.air_pressure.attrs["units"] == "Pa"
    )
    assert float(forcing.humidity[0]) == pytest.approx(0.008)  # kg kg-1
    assert (
        float(forcing.precipitation[0]) == pytest.approx(2.0e-7)
        and forcing.precipitation.attrs["units"] == "m s-1"
    )
    assert float(forcing.air_temperature[0]) == pytest.approx(15.0, abs=1e-4)  # 288.15 K -> 15 degC
    assert any("kelvin converted to degC" in note for note in result.notes)
    assert float(forcing.precipitation.min()) == 0.0  # a rain gauge's small negative noise is set to 0
    assert any("rain.dat: 1 small negative values" in note for note in result.notes)
    np.testing.assert_allclose(forcing.wind_y.values, -2.0)  # column 2 of wind.dat
    assert "heat_flux" not in forcing  # the bulk formulae compute it
    case = yaml.safe_load(result.case.read_text())
    bulk = case["forcing"]["bulk"]
    assert bulk["algorithm"] == "kondo" and bulk["humidity_type"] == "specific"
    assert bulk["longwave_method"] == "net" and bulk["longwave"] == {"file": "f.nc", "variable": "longwave"}
    assert case["forcing"]["albedo"] == "payne"
    assert case["forcing"]["extinction"] == {
        "A": 0.58,
        "g1": 0.35,
        "g2": {"file": "f.nc", "variable": "extinction_g2"},
    }
    assert (
        case["equation_of_state"]["type"] == "teos10" and case["equation_of_state"]["salinity"] == "practical"
    )
    assert case["initial"] == {"observations": "o.nc", "S": 35.0}
    # GOTM's fairall is COARE (calib's coare35).
    (tmp_path / "gotm.yaml").write_text(METEO_YAML.replace("method: kondo", "method: fairall"))
    assert read_gotm_yaml(tmp_path / "gotm.yaml").flux_method == "fairall"
    result = import_gotm_case(
        tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", tmp_path / "bulk.yaml", force=True
    )
    assert yaml.safe_load(result.case.read_text())["forcing"]["bulk"]["algorithm"] == "coare35"
    from calib.config import load_case
    from calib.config.build import build

    build(load_case(result.case))  # the bulk-formula case loads and builds


@pytest.mark.skipif(not PAPA_YAML.is_file() or not PAPA_DATA.is_dir(), reason="shared GOTM reference absent")
def test_real_papa_gotm_yaml_imports_and_lists_what_calib_lacks(tmp_path):
    shutil.copy(PAPA_YAML, tmp_path / "gotm.yaml")
    for path in PAPA_DATA.glob("*.dat"):  # gotm.yaml names the files relative to its folder
        (tmp_path / path.name).symlink_to(path)
    result = import_gotm_case(
        tmp_path,
        tmp_path / "obs.nc",
        tmp_path / "forcing.nc",
        tmp_path / "papa.yaml",
        end="2012-03-21T00:00:00",
    )
    unsupported = "\n".join(result.unsupported)
    assert "surface.ice.model = simple" in unsupported  # GOTM's freezing-point ice model
    assert "turbulence.iw.method = large" in unsupported  # internal-wave mixing
    assert "turbulence.scnd.method = quasi_eq" in unsupported
    assert "not interpreted by calib" not in unsupported  # every leaf of this yaml is classified
    text = result.case.read_text()
    assert text.startswith("# Imported by `calib import gotm`") and "# UNSUPPORTED GOTM SETTINGS (" in text
    case = yaml.safe_load(text)
    assert case["time"] == {
        "start": "2012-03-20T00:00:00",
        "dt": "600 s",
        "duration": "86400 s",
        "output_interval": "3600 s",
    }
    assert case["grid"] == {"depth": 150.0, "nz": 150}
    assert case["forcing"]["water_type"] == "IB" and case["forcing"]["albedo"] == 0.0
    assert case["forcing"]["latitude"] == 50.1 and case["forcing"]["longitude"] == -144.9
    assert case["forcing"]["wind_stress_y"] == {"file": "forcing.nc", "variable": "wind_stress_y"}
    assert case["equation_of_state"] == {"type": "teos10", "salinity": "practical", "rho0": 1027.0}
    closure = case["closure"]
    assert closure["name"] == "k_epsilon" and closure["stable_buoyancy"] == "steady_richardson"
    # kappa from the log-layer relation, as GOTM's log prints it for these coefficients (0.41587)
    assert closure["parameters"]["von_karman"] == pytest.approx(0.41587, abs=2e-5)
    assert closure["parameters"]["k_min"] == 1e-6 and closure["parameters"]["galperin_limit"] == 0.27
    forcing, obs = xr.load_dataset(result.forcing), xr.load_dataset(result.observations)
    assert float(forcing.heat_flux[0]) == pytest.approx(-171.858, abs=1e-3)  # heat_flux.dat line 1, a loss
    assert float(forcing.wind_stress_y[0]) == pytest.approx(-0.264534, abs=1e-6)  # momentum_flux.dat column 2
    assert float(obs.SST[0]) == pytest.approx(4.939, abs=1e-4) and obs.SST.dims == ("time",)
    assert obs.SST.attrs["units"] == "degree_Celsius"
    from calib.config import load_case
    from calib.config.build import build

    build(load_case(result.case))  # the case loads and builds (TEOS-10, 150 levels, k-epsilon)


def test_small_gotm_case_imports_and_runs(tmp_path):
    write_small_case(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(
        app,
        [
            "import",
            "gotm",
            str(tmp_path),
            "--out-obs",
            str(out / "obs.nc"),
            "--out-forcing",
            str(out / "forcing.nc"),
        ],
    )
    assert result.exit_code == 0, result.output
    case_path = out / "small_site.yaml"  # default: <location.name>.yaml next to the observations
    assert f"wrote {case_path}" in result.output.replace("\n", "")
    for item in ("surface.roughness.charnock", "mimic_3d.w.max.method"):
        assert item in result.output  # printed on the console ...
        assert re.search(rf"^#   - {re.escape(item)} = ", case_path.read_text(), re.M)  # ... and in the case
    forcing = xr.load_dataset(out / "forcing.nc")
    np.testing.assert_allclose(forcing.heat_flux.values, HEAT[:5])  # column 1, cropped to 00:00-12:00
    np.testing.assert_allclose(forcing.shortwave.values, SHORTWAVE[:5])  # column 2 of the same file
    obs = xr.load_dataset(out / "obs.nc")
    np.testing.assert_allclose(
        obs.T.isel(time=0).values, [10.0, 12.0, 13.0, 13.9], rtol=1e-6
    )  # column 2, bottom first
    case = yaml.safe_load(case_path.read_text())
    assert case["time"] == {
        "start": "2001-06-01T00:00:00",
        "dt": "300 s",
        "duration": "43200 s",
        "output_interval": "3600 s",
    }
    assert case["initial"] == {"observations": "obs.nc", "S": 35.5}
    assert case["equation_of_state"] == {
        "type": "linear",
        "rho0": 1025.0,
        "alpha": 2.0e-4,
        "beta": 7.6e-4,
        "T0": 12.0,
        "S0": 35.0,
        "heat_capacity": 4100.0,
    }
    assert case["forcing"]["wind_stress_y"] == 0.01 and case["forcing"]["freshwater_flux"] == 1.0e-8
    assert case["forcing"]["albedo"] == 0.06 and case["forcing"]["water_type"] == "II"
    assert case["relaxation"] == {"T": {"observations": "obs.nc", "variable": "T", "timescale": "864000 s"}}
    assert case["pressure_gradient"] == {
        "tides": [{"period": "44714 s", "x": 1.0e-6, "y": 0.0, "phase": "3600 s"}]
    }
    assert case["closure"]["parameters"]["surface_roughness"] == 0.01
    assert case["closure"]["parameters"]["bottom_roughness"] == pytest.approx(0.0015)  # 0.03 h0b
    # GOTM's log-law bottom stress on the 1 m bottom cell: C_d = (kappa / ln((z0 + h/2) / z0))², z0 = 0.0015 m
    assert case["forcing"]["bottom_drag_coefficient"] == pytest.approx((0.4 / np.log(0.5015 / 0.0015)) ** 2)
    # Last: the written case loads, builds and runs (needs the issue-15 case keys in calib.config).
    from calib.api.simulation import run
    from calib.config import load_case

    loaded = load_case(case_path)
    trajectory = run(loaded)
    assert trajectory.sizes["time"] == 13  # 12 h saved hourly, plus the initial state
    assert np.isfinite(trajectory["T"].values).all()
    top = trajectory["T"].isel(z=-1).values
    assert abs(top[0] - 13.9) < 0.1  # the run starts from the observed profile (13.9 degC at 1 m)


TURBULENCE = {  # gotm.yaml turbulence block -> calib closure name and a parameter it must carry
    "k_omega": (
        "turbulence:\n   len_scale_method: omega\n   kw: {cw1: 0.555, cw2: 0.833, sig_w: 2.0}\n",
        "von_karman",
        0.39256,
    ),  # kappa = c_mu0 (sigma_w (cw2 - cw1))^½ = 0.526465 * 0.556^½
    "gls_gen": (
        "turbulence:\n   len_scale_method: gls\n   generic: {gen_m: 1.0, gen_n: -0.67, gen_p: 2.0, "
        "cpsi1: 1.0, cpsi2: 1.22, sig_psi: 1.07}\n",
        "c_psi2",
        1.22,
    ),
    "k_kl": (
        "turbulence:\n   tke_method: mellor_yamada\n   len_scale_method: mellor_yamada\n",
        "galperin_limit",
        0.27,
    ),
    "kpp": (
        "turbulence:\n   turb_method: cvmix\ncvmix:\n   surface_layer: {Ri_c: 0.25, langmuir_method: lwf16, "
        "match_technique: gradient, check_Ekman_length: true}\n",
        "critical_richardson",
        0.25,
    ),
}


@pytest.mark.parametrize("closure", TURBULENCE)
def test_gotm_turbulence_settings_become_calib_closures_that_build(tmp_path, closure):
    from calib.config import load_case
    from calib.config.build import build

    write_small_case(tmp_path)
    block, parameter, value = TURBULENCE[closure]
    text = SMALL_YAML[: SMALL_YAML.index("turbulence:")] + block + SMALL_YAML[SMALL_YAML.index("output:") :]
    (tmp_path / "gotm.yaml").write_text(text)
    result = import_gotm_case(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", tmp_path / "c.yaml")
    case = yaml.safe_load(result.case.read_text())
    assert case["closure"]["name"] == closure
    assert case["closure"]["parameters"][parameter] == pytest.approx(value, abs=1e-5)
    if closure == "kpp":
        assert case["closure"]["langmuir"] == "li2016" and case["closure"]["shape"] == "match_gradient"
        assert case["closure"]["stable_limit"] == "ekman"
    build(load_case(result.case))


def test_unknown_and_unsupported_settings_are_listed_not_dropped(tmp_path):
    write_small_case(tmp_path)
    text = (
        SMALL_YAML.replace("bottom:\n", "bottom:\n   mystery_switch: 3\n").replace(
            "   ice:\n      model: no_ice\n", "   ice:\n      model: winton\n      H: 0.2\n"
        )
        + "seagrass:\n   method: 1\n   file: grass.dat\nfabm:\n   use: true\n"
    )
    (tmp_path / "gotm.yaml").write_text(text)
    setup = read_gotm_yaml(tmp_path / "gotm.yaml")
    listed = "\n".join(setup.unsupported)
    assert "bottom.mystery_switch = 3: not interpreted by calib" in listed
    assert "surface.ice.model = winton: ice model winton" in listed
    assert "seagrass.method = 1: seagrass" in listed and "fabm.use = True: FABM" in listed
    assert "surface.fluxes.method" not in listed  # 'off' is GOTM's word, not YAML's false
    used = "\n".join(setup.used)
    assert "surface.fluxes.heat.column = 1" in used and "temperature.column = 2" in used
    ignored = "\n".join(setup.ignored)
    assert "salinity.file = missing_salt.dat (method constant)" in ignored
    every_leaf = len(setup.used) + len(setup.ignored)
    assert every_leaf + len(setup.unsupported) >= text.count(": ") - text.count(":\n")  # nothing dropped


def test_command_line_role_with_column_overrides_the_yaml(tmp_path):
    write_small_case(tmp_path)
    (tmp_path / "other.txt").write_text(series_text([0.0] * 9, [5.0] * 9, [50.0] * 9))
    (tmp_path / "dissipation.txt").write_text("2001-06-01 03:00:00 2 2\n-2.0 1e-6\n-8.0 1e-8\n")
    out = tmp_path / "out"
    out.mkdir()
    arguments = [
        "import",
        "gotm",
        str(tmp_path),
        f"shortwave={tmp_path / 'other.txt'}:3",
        f"epsilon={tmp_path / 'dissipation.txt'}",
        "--out-obs",
        str(out / "o.nc"),
        "--out-forcing",
        str(out / "f.nc"),
        "--out-case",
        str(out / "c.yaml"),
    ]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(xr.load_dataset(out / "f.nc").shortwave.values, 50.0)  # column 3 of other.txt
    epsilon = xr.load_dataset(out / "o.nc").epsilon
    assert epsilon.attrs["units"] == "m2 s-3" and epsilon.dims == ("time", "z")
    assert float(epsilon.sel(z=-2.0).dropna("time")[0]) == pytest.approx(1e-6, rel=1e-6)
    bad = runner.invoke(
        app, ["import", "gotm", str(tmp_path / "stress.txt"), "--out-obs", "a.nc", "--out-forcing", "b.nc"]
    )
    assert bad.exit_code != 0 and "write ROLE=PATH[:COLUMN]" in bad.output
    missing = runner.invoke(
        app,
        [
            "import",
            "gotm",
            str(tmp_path),
            "heat_flux=nowhere.dat:2",
            "--out-obs",
            str(out / "x.nc"),
            "--out-forcing",
            str(out / "y.nc"),
        ],
    )
    assert missing.exit_code != 0
    assert "heat_flux: file nowhere.dat not found" in " ".join(missing.output.split())


def test_relaxation_layers_two_layer_profile_zoomed_grid_and_linearised_teos10(tmp_path):
    from calib.config import load_case
    from calib.config.build import build

    write_small_case(tmp_path)
    text = (
        SMALL_YAML.replace("   ddu: 0.0\n   ddl: 0.0\n", "   ddu: 1.5\n   ddl: 0.5\n")
        .replace(
            "      tau: 864000.0\n",
            "      tau: 1.0e15\n      tau_s: 3600.0\n      h_s: 5.0\n      tau_b: 7200.0\n      h_b: 10.0\n",
        )
        .replace(
            "salinity:\n   method: constant\n",
            "salinity:\n   method: two_layer\n   two_layer: {z_s: 10.0, s_s: 34.0, z_b: 30.0, s_b: 35.0}\n",
        )
        .replace("method: linear_custom", "method: linear_teos-10")
    )
    (tmp_path / "gotm.yaml").write_text(text)
    result = import_gotm_case(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", tmp_path / "c.yaml")
    case = yaml.safe_load(result.case.read_text())
    assert case["relaxation"]["T"] == {
        "observations": "o.nc",
        "variable": "T",
        "timescale": "1e+15 s",
        "surface_layer": {"thickness": 5.0, "timescale": "3600 s"},
        "bottom_layer": {"thickness": 10.0, "timescale": "7200 s"},
    }
    # two_layer: 34 above 10 m, rising 0.05 per m to 35 at 30 m (calib's mixed_layer keeps the gradient below)
    assert case["initial"]["S"] == {"type": "mixed_layer", "surface": 34.0, "depth": 10.0, "gradient": -0.05}
    assert any(item.startswith("salinity.two_layer.s_b = 35.0") for item in result.unsupported)
    levels = case["grid"]["levels"]
    assert len(levels) == 41 and levels[0] == 0.0 and levels[-1] == pytest.approx(40.0)
    assert levels[1] - levels[0] < 40.0 / 40  # zoomed toward the surface
    eos = case["equation_of_state"]
    # TEOS-10 at CT = 12 degC, SA = 35 g/kg, p = 0 (gsw.alpha, gsw.beta: 1.85825e-4 K-1, 7.48975e-4 kg g-1)
    assert eos["type"] == "linear"
    assert eos["alpha"] == pytest.approx(1.85825e-4, rel=1e-5) and eos["beta"] == pytest.approx(
        7.48975e-4, rel=1e-5
    )
    assert eos["heat_capacity"] == pytest.approx(3991.86795711963)
    build(load_case(result.case))


KATO = SHARED / "reference" / "gotm" / "a_kato_phillips_keps" / "gotm.yaml"


@pytest.mark.skipif(not KATO.is_file(), reason="shared GOTM reference absent")
def test_imported_kato_phillips_case_reproduces_gotm(tmp_path):
    """GOTM's own Kato-Phillips case (no data files: T from N² = 1e-4 s-2, constant stress) imported
    whole runs like GOTM: after 24 h the largest dT/dz is at 30.5 m and the top cell at 19.385 degC
    (GOTM's output, ../shared/reference/gotm/README.md)."""
    from calib.api.simulation import run
    from calib.config import load_case

    shutil.copy(KATO, tmp_path / "gotm.yaml")
    result = import_gotm_case(tmp_path, tmp_path / "o.nc", tmp_path / "f.nc", tmp_path / "kato.yaml")
    assert result.unsupported == []
    case = yaml.safe_load(result.case.read_text())
    # 20 degC in the top cell (-0.25 m), dT/dz = N² / (g alpha) = 1e-4 / (9.81 * 2e-4) = 0.050968 K m-1
    assert case["initial"]["T"] == {
        "type": "linear",
        "surface": pytest.approx(20.012742),
        "gradient": pytest.approx(0.0509684),
    }
    assert case["forcing"]["wind_stress_x"] == pytest.approx(0.1027)
    trajectory = run(load_case(result.case))
    final = trajectory["T"].isel(time=-1).values
    z = trajectory["z"].values
    gradient = np.diff(final) / np.diff(z)
    assert 0.5 * (z[:-1] + z[1:])[np.argmax(gradient)] == pytest.approx(-30.5)
    assert final[-1] == pytest.approx(19.385, abs=0.01)
