"""Malformed inputs of every kind get one clear `CalibError` naming what is wrong.

Together with the cases of tests/test_config.py (`MALFORMED` and the file tests) and
tests/test_io_readers.py, this covers well over 50 distinct malformed inputs: case files
through `calib run` (exit code 2, one line, no traceback), forcing and initial-profile files,
NetCDF observation files (`load_observations`, `calib plot`, `calib compare`, `calib fit --obs`),
GOTM text files, LESbrary JLD2 (HDF5) files and the importers. Each case asserts the specific
fragment of its message.
"""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from calib.cli.app import app
from calib.common.errors import DataError
from calib.io.gotm import read_gotm_profiles, read_gotm_timeseries
from calib.io.importers import import_gotm, import_lesbrary
from calib.io.lesbrary import read_lesbrary
from calib.io.observations import load_observations

runner = CliRunner()

BASE = {
    "grid": "grid: {depth: 50, nz: 10}",
    "time": "time: {dt: 60, duration: 1 h, output_interval: 10 min, start: 2010-06-15T00:00}",
    "initial": "initial: {T: 10, S: 35}",
    "closure": "closure: constant",
}


def case_text(**sections: str) -> str:
    """The small valid case with some sections replaced ('' removes one)."""
    return "\n".join(text for text in {**BASE, **sections}.values() if text) + "\n"


def invoke_fails(args, fragment: str) -> str:
    """Run the CLI; it must exit with code 2 and print one line holding `fragment`."""
    result = runner.invoke(app, [str(arg) for arg in args])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    assert len(lines) == 1, result.output
    assert fragment in lines[0], lines[0]
    return lines[0]


def run_fails(tmp_path: Path, text: str | bytes, fragment: str, *options: str) -> str:
    case = tmp_path / "case.yaml"
    case.write_bytes(text if isinstance(text, bytes) else text.encode())
    out = tmp_path / "out.nc"
    line = invoke_fails(["run", case, "--out", out, "-q", *options], fragment)
    assert not out.exists()
    return line


# --- case files through `calib run` ----------------------------------------------------------

YAML_CASES = [
    ("- a\n- b\n", "top level: must be a mapping (got a list of 2)"),
    ("42\n", "top level: must be a mapping (got 42)"),
    ("# only a comment\n", "the case is empty"),
    (case_text() + "? [a, b]\n: x\n", "invalid YAML (a list as a key)"),
    (case_text(time="time: {dt: 60, duration: 1 h, output_interval: 10 min, start: 2010-13-01}"),
     "month must be in 1..12 in the date '2010-13-01'"),
    (case_text(time="time: {dt: 60, duration: 1 h, output_interval: 10 min, start: 0001-01-01}"),
     "time.start: year 1 is outside 1678-2261"),
    (case_text(time="time: {dt: 1.0e-300, duration: 1 h, output_interval: 10 min}"),
     "time.dt: gives 3.6e+303 time steps (more than 1e+09)"),
    (case_text(time="time: {dt: 60, duration: .inf, output_interval: 10 min}"),
     "time.duration: must be finite (got inf)"),
    (case_text(time="time: {dt: 60, duration: 1 h, output_interval: -10 min}"),
     "time.output_interval: must be > 0 (got -600)"),
    (case_text(grid="grid: {depth: 50, nz: 100000000000}"), "grid.nz: must be <= 100,000"),
    (case_text(grid="grid: {depth: 50, nz: 10, stretching: 1.0e5}"),
     "grid.stretching: must be within [0, 50] (got 100000)"),
    (case_text(grid="grid: {levels: [0, 1, 1, 5]}"), "grid.levels: contains the same level twice"),
    (case_text(grid="grid: {depth: -50, nz: 10}"), "grid.depth: must be > 0 (got -50)"),
    (case_text() + "forcing: {shortwave: -100}\n", "forcing.shortwave: must be >= 0"),
    (case_text() + "forcing: {shortwave: {time: [0, 1 h], values: [10, -5]}}\n",
     "forcing.shortwave: must be >= 0"),
    (case_text() + "forcing: {latitude: north}\n", "forcing.latitude: must be a number (got the string"),
    (case_text(closure="closure: ''"), "closure: must be a text (got the string '')"),
    (case_text(closure="closure: {name: constant, parameters: [1, 2]}"),
     "closure.parameters: must be a mapping of parameter names to numbers"),
    (case_text(closure="closure: {name: constant, parameters: {diffusivity: true}}"),
     "closure.parameters.diffusivity: must be a number (got true)"),
    (case_text(closure="closure: k_epsilo"), "unknown closure 'k_epsilo' (did you mean 'k_epsilon'?)"),
    (case_text(closure="closure: {name: pacanowski_philander, parameters: {alpah: 5}}"),
     "closure.parameters.alpah: pacanowski_philander has no parameter 'alpah' (did you mean 'alpha'?)"),
    (case_text(closure="closure: {name: pacanowski_philander, parameters: {nu0: 10.0}}"),
     "closure.parameters.nu0: must be within"),
    (case_text(initial="initial: {T: 283.15, S: 35}"), "initial.T: mean 283.1 > 100 looks like kelvin"),
    (case_text(initial="initial: {T: {type: cosine, mean: 10, amplitude: 1, mode: 0}, S: 35}"),
     "initial.T.mode: must be >= 1 (got 0)"),
    (case_text(initial="initial: {T: {type: mixed_layer, surface: 10, depth: -5, gradient: 0.1}, S: 35}"),
     "initial.T.depth: must be > 0 (got -5)"),
    (case_text() + "equation_of_state: {rho0: 0}\n", "equation_of_state.rho0: must be > 0 (got 0)"),
    (case_text() + "equation_of_state: {type: unesco}\n", "equation_of_state.type: unknown value 'unesco'"),
    (case_text() + "numerics: {rotation: exactt}\n",
     "numerics.rotation: unknown value 'exactt' (did you mean 'exact'?)"),
    (case_text() + "output: {variables: [T, T]}\n", "output.variables: lists a variable twice"),
    (case_text() + "name: [a]\n", "name: must be a text (got a list of 1)"),
    (case_text(grid="grid:\n\tdepth: 50"), "line 2: invalid YAML (found character '\\t' that cannot"),
    (case_text() + "x: !!python/object:os.system {}\n", "could not determine a constructor for the tag"),
    ("grid: \x00\n", "invalid YAML (unacceptable character #x0000"),
    (b"\x89HDF\r\n\x1a\n\x00\x00\xff\xfe", "not a text (UTF-8) file; give a YAML case file"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), YAML_CASES, ids=[c[1][:48] for c in YAML_CASES])
def test_malformed_case_file_through_calib_run(tmp_path, text, fragment):
    line = run_fails(tmp_path, text, fragment)
    assert line.startswith("error: ")


def test_command_line_overrides_are_checked(tmp_path):
    run_fails(tmp_path, case_text(), "unknown closure 'tk' (did you mean 'tke'?)", "--closure", "tk")
    run_fails(tmp_path, case_text(), "--checkpoint nestd: unknown scheme", "--checkpoint", "nestd")


def test_case_path_that_is_a_folder_and_output_that_is_a_folder(tmp_path):
    invoke_fails(["run", tmp_path, "--out", tmp_path / "o.nc"], "cannot read the case file (Is a directory)")
    (tmp_path / "case.yaml").write_text(case_text())
    (tmp_path / "folder.nc").mkdir()
    invoke_fails(["run", tmp_path / "case.yaml", "--out", tmp_path / "folder.nc", "--force", "-q"],
                 "folder.nc: is a folder")  # fmt: skip


def test_rich_markup_in_a_message_is_printed_verbatim(tmp_path):
    text = case_text() + "'[/tmp]': 1\n"  # a closing tag would crash rich if not escaped
    line = run_fails(tmp_path, text, "[/tmp]: unknown key")
    assert "[/tmp]" in line


# --- forcing and initial-profile files named in a case ---------------------------------------

CALENDAR_360 = {"units": "hours since 2010-06-15", "calendar": "360_day"}
TIMES = np.array(["2010-06-15T00", "2010-06-15T01", "2010-06-15T02", "2010-06-15T03"], "datetime64[ns]")


def _forcing(path: Path, values=(1.0, 2.0, 3.0, 4.0), time=TIMES, dims="time", **coords):
    coordinates = coords or {"time": time}
    xr.Dataset({"Q": (dims, np.asarray(values))}, coords=coordinates).to_netcdf(path)


FORCING_FILES = {
    "strings": (lambda p: _forcing(p, values=["a", "b", "c", "d"]), "'Q' in f.nc holds"),
    "all_nan": (lambda p: _forcing(p, values=[np.nan] * 4), "at least one finite value"),
    "duplicate_times": (lambda p: _forcing(p, time=TIMES[[0, 1, 1, 3]]), "times must be distinct"),
    "two_dimensional": (
        lambda p: xr.Dataset({"Q": (("time", "x"), np.ones((4, 2)))}, coords={"time": TIMES}).to_netcdf(p),
        "'Q' in f.nc has dimensions ('time', 'x'), expected one",
    ),
    "string_times": (lambda p: _forcing(p, time=["a", "b", "c", "d"]), "cannot read times of type <U1"),
    "calendar_360_day": (
        lambda p: _forcing(p, time=("time", [0.0, 1.0, 2.0, 3.0], CALENDAR_360)),
        "cannot read times of type object; use CF times on a standard calendar",
    ),
    "too_few_times": (
        lambda p: xr.Dataset({"Q": ("n", [1.0, 2, 3, 4])}, coords={"time": ("m", TIMES[:3])}).to_netcdf(p),
        "forcing.heat_flux.time_variable: has 3 times for 4 values",
    ),
    "no_overlap": (
        lambda p: _forcing(p, time=TIMES + np.timedelta64(3650, "D")),
        "forcing.heat_flux: covers -259200 s to -248400 s of the run, which lasts 0 s to 3600 s",
    ),
    "text_file": (
        lambda p: p.write_text("time,Q\n0,1\n"),
        "f.nc as NetCDF (not a NetCDF file); check the file",
    ),
}


@pytest.mark.parametrize("kind", FORCING_FILES)
def test_malformed_forcing_file(tmp_path, kind):
    write, fragment = FORCING_FILES[kind]
    path = tmp_path / "f.nc"
    write(path)
    text = case_text() + "forcing: {heat_flux: {file: f.nc, variable: Q}}\n"
    if kind == "no_overlap":
        text = text.replace("2010-06-15T00:00", "2020-06-15T00:00")
    run_fails(tmp_path, text, fragment)


PROFILE_FILES = {
    "string_depths": (
        {"temp": ("depth", [20.0, 10.0])},
        {"depth": ["a", "b"]},
        "coordinate 'depth' holds <U1 values",
    ),
    "duplicate_depths": (
        {"temp": ("depth", [20.0, 10.0])},
        {"depth": [5.0, 5.0]},
        "initial.T.depth_variable: contains the same depth twice",
    ),
    "kelvin": (
        {"temp": ("depth", [293.0, 283.0])},
        {"depth": [0.0, 50.0]},
        "initial.T: mean 288 > 100 looks like kelvin",
    ),
    "scalar": ({"temp": ((), 20.0)}, {}, "'temp' in p.nc has dimensions (), expected one"),
}


@pytest.mark.parametrize("kind", PROFILE_FILES)
def test_malformed_initial_profile_file(tmp_path, kind):
    variables, coords, fragment = PROFILE_FILES[kind]
    xr.Dataset(variables, coords=coords).to_netcdf(tmp_path / "p.nc")
    text = case_text(initial="initial: {T: {type: file, file: p.nc, variable: temp}, S: 35}")
    run_fails(tmp_path, text, fragment)


# --- NetCDF observation files ----------------------------------------------------------------

T2 = np.array(["2010-06-15T00", "2010-06-15T01"], "datetime64[ns]")
DOWN = {"positive": "down"}


def _observations(path: Path, variables: dict, coords: dict | None = None) -> Path:
    coords = {"time": T2, "depth": ("depth", [1.0, 10.0], DOWN)} if coords is None else coords
    xr.Dataset(variables, coords=coords).to_netcdf(path)
    return path


GOOD_T = (("time", "depth"), [[10.0, 9.0], [11.0, 8.0]])
OBSERVATION_FILES = {
    "string_values": ({"T": (("time", "depth"), [["a", "b"], ["c", "d"]])}, None, "T: values of type <U1"),
    "string_levels": ({"T": GOOD_T}, {"time": T2, "depth": ["a", "b"]}, "depth: levels of type <U1"),
    "nan_level": ({"T": GOOD_T}, {"time": T2, "depth": [1.0, np.nan]}, "depth: missing (NaN) or infinite"),
    "missing_time": (
        {"T": GOOD_T},
        {"time": np.array(["2010-06-15", "NaT"], "datetime64[ns]"), "depth": [1.0, 2.0]},
        "T: missing (NaT) times",
    ),
    "levels_above_surface": (
        {"T": GOOD_T},
        {"time": T2, "depth": ("depth", [-1.0, 10.0], {"positive": "up"})},
        "depth: heights above the surface (10.0 m)",
    ),
    "levels_of_both_signs": (
        {"T": GOOD_T},
        {"time": T2, "depth": [-1.0, 10.0]},
        "depth: values of both signs and no 'positive' attribute",
    ),
    "duplicate_levels": ({"T": GOOD_T}, {"time": T2, "depth": [1.0, 1.0]}, "T: duplicate levels in 'depth'"),
    "station_dimension": (
        {"T": (("time", "depth", "station"), np.ones((2, 2, 3)))},
        None,
        "T: extra dimensions ['station'] of size > 1",
    ),
    "no_vertical_axis": (
        {"T": (("time", "x"), [[1.0], [2.0]])},
        {"time": T2},
        "T: no vertical dimension among ('time', 'x')",
    ),
    "no_time_axis": (
        {"T": (("y", "depth"), [[1.0, 2.0]])},
        {"depth": [1.0, 2.0]},
        "T: no time dimension among ('y', 'depth')",
    ),
    "time_without_units": (
        {"T": GOOD_T},
        {"time": [0.0, 1.0], "depth": [1.0, 2.0]},
        "T: time is not a decodable CF time",
    ),
    "undecodable_time_units": (
        {"T": GOOD_T},
        {"time": ("time", [0.0, 1.0], {"units": "fortnights since never"}), "depth": [1.0, 2.0]},
        "cannot open as NetCDF (unable to decode time units 'fortnights since never'",
    ),
    "all_nan_salinity": (
        {"T": GOOD_T, "salinity": (("time", "depth"), np.full((2, 2), np.nan))},
        None,
        "salinity: no finite value",
    ),
    "infinite_temperature": ({"T": (("time", "depth"), np.full((2, 2), np.inf))}, None, "T: no finite value"),
    "kelvin": ({"thetao": (("time", "depth"), np.full((2, 2), 285.0))}, None, "thetao: mean 285.0 looks"),
    "no_known_variable": ({"chl": GOOD_T}, None, "no temperature, salinity or velocity among ['chl']"),
}  # fmt: skip


@pytest.mark.parametrize("kind", OBSERVATION_FILES)
def test_malformed_observation_file(tmp_path, kind):
    variables, coords, fragment = OBSERVATION_FILES[kind]
    path = _observations(tmp_path / "obs.nc", variables, coords)
    with pytest.raises(DataError, match=re.escape(fragment)) as raised:
        load_observations(path)
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "cannot open as NetCDF (not a NetCDF file)"),
        (b"time,T\n0,1\n", "cannot open as NetCDF (not a NetCDF file)"),
        ("truncated", "cannot open as NetCDF ([Errno -101] NetCDF: HDF error"),
    ],
    ids=["empty", "csv", "truncated"],
)
def test_unreadable_observation_file(tmp_path, content, fragment):
    path = tmp_path / "obs.nc"
    if content == "truncated":
        data = _observations(tmp_path / "whole.nc", {"T": GOOD_T}).read_bytes()
        content = data[: len(data) // 2]
    path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(fragment)):
        load_observations(path)


def test_names_override_must_name_a_variable(tmp_path):
    path = _observations(tmp_path / "obs.nc", {"T": GOOD_T})
    with pytest.raises(DataError, match=re.escape("names['T'] = 'temp': expected a key of")):
        load_observations(path, names={"T": "temp"})


# --- `calib plot` and `calib compare` --------------------------------------------------------


@pytest.fixture(scope="module")
def trajectory(tmp_path_factory) -> Path:
    """A 1 h run of the small case (10 levels over 50 m), written by `calib run`."""
    folder = tmp_path_factory.mktemp("trajectory")
    (folder / "case.yaml").write_text(case_text())
    result = runner.invoke(app, ["run", str(folder / "case.yaml"), "--out", str(folder / "run.nc"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "run.nc"


LATER = {"time": T2 + np.timedelta64(1000, "D"), "depth": ("depth", [1.0, 10.0], DOWN)}


def test_compare_needs_observations_of_the_period_and_levels_of_the_run(tmp_path, trajectory):
    later = _observations(tmp_path / "later.nc", {"T": GOOD_T}, LATER)
    invoke_fails(["compare", trajectory, later], "later.nc: no time overlap with the run")
    deep = _observations(tmp_path / "deep.nc", {"T": GOOD_T},
                         {"time": T2, "depth": ("depth", [100.0, 200.0], DOWN)})  # fmt: skip
    invoke_fails(["compare", trajectory, deep], "deep.nc: no observed T on the levels of the run")
    salinity = _observations(tmp_path / "salinity.nc", {"S": (("time", "depth"), np.full((2, 2), 35.0))})
    invoke_fails(["compare", trajectory, salinity], "salinity.nc: no temperature found")
    invoke_fails(["plot", trajectory, "--obs", salinity, "--out", tmp_path / "f.png"], "no temperature found")


def test_plot_refuses_unknown_formats_and_existing_figures(tmp_path, trajectory):
    invoke_fails(["plot", trajectory, "--out", tmp_path / "figure.xyz"], "cannot write a .xyz figure")
    (tmp_path / "figure.png").write_text("keep me")
    invoke_fails(["plot", trajectory, "--out", tmp_path / "figure.png"], "exists; pass --force")
    assert (tmp_path / "figure.png").read_text() == "keep me"


@pytest.mark.parametrize(
    ("variables", "coords", "fragment"),
    [
        ({"T": (("time", "z"), [["a", "b"]])}, {"time": T2[:1], "z": [-2.0, -1.0]}, "T is not numeric"),
        ({"T": (("time", "z"), [[1.0, 2.0]])}, {"time": [0.0], "z": [-2.0, -1.0]}, "time is not a CF time"),
        ({"T": (("time", "z"), np.zeros((0, 2)))}, {"time": T2[:0], "z": [-2.0, -1.0]}, "no saved state"),
        ({"T": (("time", "x"), [[1.0, 2.0]])}, {"time": T2[:1], "z": [-2.0]}, "no T on (time, z)"),
    ],
    ids=["string_T", "numeric_time", "empty", "T_not_on_z"],
)
def test_plot_and_compare_reject_malformed_trajectories(tmp_path, variables, coords, fragment):
    path = tmp_path / "traj.nc"
    xr.Dataset(variables, coords=coords).to_netcdf(path)
    obs = _observations(tmp_path / "obs.nc", {"T": GOOD_T})
    invoke_fails(["plot", path, "--out", tmp_path / "f.png"], fragment)
    invoke_fails(["compare", path, obs], fragment)


# --- `calib fit --obs` -----------------------------------------------------------------------


def test_fit_rejects_files_that_are_not_observations(tmp_path):
    (tmp_path / "case.yaml").write_text(case_text())
    invoke_fails(["fit", "--obs", tmp_path / "case.yaml", "--out", tmp_path / "fit"],
                 "case.yaml: cannot open as NetCDF (not a NetCDF file)")  # fmt: skip
    plain = _observations(tmp_path / "plain.nc", {"T": GOOD_T})
    invoke_fails(["fit", "--obs", plain, "--out", tmp_path / "fit"], "records no case (no 'case_yaml'")
    assert not (tmp_path / "fit").exists()


def test_fit_needs_observations_of_the_period_of_the_case(tmp_path):
    (tmp_path / "case.yaml").write_text(case_text())
    later = _observations(tmp_path / "later.nc", {"T": GOOD_T}, LATER)
    arguments = ["--case", tmp_path / "case.yaml", "--obs", later, "--params", "diffusivity"]
    invoke_fails(["fit", *arguments, "--out", tmp_path / "fit"], "later.nc: observations cover")


# --- GOTM text files -------------------------------------------------------------------------

GOTM_TIMESERIES = [
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", 1, "expected 'YYYY-MM-DD HH:MM:SS' (or YYYY/MM/DD) followed by"),
    (b"0000-01-01 00:00:00 1\n", 1, "year 0 is outside 1678-2261"),
    (b"9999-12-31 23:59:59 1\n", 1, "year 9999 is outside 1678-2261"),
    (b"2012-02-30 00:00:00 1\n", 1, "impossible date or time '2012-02-30T00:00:00'"),
    (b"2012-02-01 24:00:00 1\n", 1, "impossible date or time '2012-02-01T24:00:00'"),
]


@pytest.mark.parametrize(("body", "line", "fragment"), GOTM_TIMESERIES, ids=["binary", "year0", "year9999",
                                                                            "feb30", "hour24"])  # fmt: skip
def test_malformed_gotm_timeseries(tmp_path, body, line, fragment):
    path = tmp_path / "flux.dat"
    path.write_bytes(body)
    with pytest.raises(DataError, match=re.escape(f"flux.dat:{line}: {fragment}")):
        read_gotm_timeseries(path)


GOTM_PROFILES = [
    ("2012-02-01 00:00:00 ² 1\n-1 2\n", 1, "expected a profile header"),
    ("2012-02-01 00:00:00 2 1\nnan 2\n-1 3\n", 2, "height nan is not a finite number"),
    ("2012-02-01 00:00:00 2 1\n-inf 2\n-1 3\n", 2, "height -inf is not a finite number"),
    ("2012-02-01 00:00:00 0 1\n", None, "every profile is empty (N = 0)"),
]


@pytest.mark.parametrize(("body", "line", "fragment"), GOTM_PROFILES, ids=["superscript", "nan", "inf", "no"])
def test_malformed_gotm_profiles(tmp_path, body, line, fragment):
    path = tmp_path / "t_prof.dat"
    path.write_text(body)
    where = f"t_prof.dat:{line}: " if line else "t_prof.dat: "
    with pytest.raises(DataError, match=re.escape(where + fragment)):
        read_gotm_profiles(path, "T")


def test_gotm_comment_in_latin_1_is_read(tmp_path):  # not malformed: kept as a guard of the fallback
    path = tmp_path / "t_prof.dat"
    path.write_bytes("2012-02-01 00:00:00 1 1 # mesur\xe9\n-1 2\n".encode("latin-1"))
    assert float(read_gotm_profiles(path, "T").T.values[0, 0]) == 2.0


GOTM_CASE = {
    "t_prof.dat": "2012-03-20 00:00:00 2 2\n-1 5.0\n-10 4.0\n2012-03-20 01:00:00 2 2\n-1 5.0\n-10 4.0\n",
    "heat_flux.dat": "2012-03-20 00:00:00 -100\n2012-03-20 02:00:00 -300\n",
    "momentum_flux.dat": "2012-03-20 00:00:00 0.1 0.2\n2012-03-20 02:00:00 0 0\n",
    "swr.dat": "2012-03-20 00:00:00 10\n2012-03-20 02:00:00 30\n",
}
GOTM_IMPORTS = {
    "kelvin_profiles": ({"t_prof.dat": GOTM_CASE["t_prof.dat"].replace(" 5.0", " 285").replace(" 4.0", " 4")},
                        {}, "t_prof.dat: T looks like kelvin"),
    "all_nan_flux": ({"heat_flux.dat": "2012-03-20 00:00:00 nan\n2012-03-20 02:00:00 nan\n"}, {},
                     "heat_flux: no finite value in its GOTM file"),
    "fluxes_of_another_year": ({"swr.dat": "2013-03-20 00:00:00 10\n2013-03-20 02:00:00 30\n"}, {},
                               "the forcing files have no time in common"),
    "profiles_of_another_year": ({"t_prof.dat": "2013-03-20 00:00:00 1 2\n-1.0 5.0\n"}, {},
                                 "t_prof.dat: no time overlap with the forcing"),
    "latitude_out_of_range": ({}, {"latitude": 100.0}, "--latitude 100.0: must be within [-90, 90]"),
    "window_outside_the_data": ({}, {"start": "2013-01-01"}, "no data between 2013-01-01"),
}  # fmt: skip


@pytest.mark.parametrize("kind", GOTM_IMPORTS)
def test_malformed_gotm_case_import(tmp_path, kind):
    replaced, options, fragment = GOTM_IMPORTS[kind]
    for name, body in {**GOTM_CASE, **replaced}.items():
        (tmp_path / name).write_text(body)
    with pytest.raises(DataError, match=re.escape(fragment)):
        import_gotm(tmp_path, tmp_path / "obs.nc", tmp_path / "forcing.nc", **options)
    assert not (tmp_path / "obs.nc").exists() and not (tmp_path / "forcing.nc").exists()


def test_import_refuses_one_file_for_both_outputs(tmp_path):
    for name, body in GOTM_CASE.items():
        (tmp_path / name).write_text(body)
    same = tmp_path / "same.nc"
    invoke_fails(["import", "gotm", tmp_path, "--out-obs", same, "--out-forcing", same],
                 "the same file for two outputs")  # fmt: skip
    assert not same.exists()


# --- LESbrary JLD2 (HDF5) files --------------------------------------------------------------


def _grid(f, nz=2, halo=1):
    f["grid/Hz"], f["grid/Nz"] = halo, nz
    f["grid/zᵃᵃᶜ"], f["grid/zᵃᵃᶠ"] = [-5.0, -3.0, -1.0, 1.0], [-6.0, -4.0, -2.0, 0.0, 2.0]


def _profiles(f, keys=("0", "1"), size=4):
    for index, key in enumerate(keys):
        f[f"timeseries/t/{key}"] = 60.0 * index
        for name in "Tuv":
            f[f"timeseries/{name}/{key}"] = np.full((size, 1, 1), 10.0)


def _replace(f, address, value):
    del f[address]
    f[address] = value


def _complete(f):
    _grid(f)
    _profiles(f)


JLD2_FILES = {
    "no_grid": (lambda f: _profiles(f), "missing or malformed grid entry"),
    "text_halo": (lambda f: (_grid(f), _replace(f, "grid/Hz", "one")),
                  "missing or malformed grid entry"),
    "grid_sizes_disagree": (lambda f: (_grid(f, nz=5), _profiles(f)), "grid/Nz = 5 and grid/Hz = 1 do not"),
    "no_timeseries": (lambda f: _grid(f), "no timeseries/t group"),
    "times_not_a_group": (lambda f: (_grid(f), f.create_dataset("timeseries/t", data=3.0)),
                          "timeseries/t is not a group of scalar times"),
    "text_time": (lambda f: (_grid(f), f.create_dataset("timeseries/t/0", data="noon")),
                  "timeseries/t is not a group of scalar times"),
    "repeated_time": (lambda f: (_complete(f), _replace(f, "timeseries/t/1", 0.0)),
                      "timeseries/t is empty or not increasing"),
    "no_temperature": (lambda f: (_grid(f), f.create_dataset("timeseries/t/0", data=0.0)), "no timeseries/T"),
    "profile_is_a_group": (lambda f: (_grid(f), f.create_dataset("timeseries/t/0", data=0.0),
                                      [f.create_group(f"timeseries/{n}/0") for n in "Tuv"]),
                           "timeseries/T holds something other than profiles"),
    "short_profiles": (lambda f: (_grid(f), _profiles(f, size=2)), "timeseries/T: a profile is shorter than"),
    "missing_iteration": (lambda f: (_complete(f), f.__delitem__("timeseries/u/1")),
                          "timeseries/u lacks iteration 1 that timeseries/t has"),
}  # fmt: skip


@pytest.mark.parametrize("kind", JLD2_FILES)
def test_malformed_lesbrary_file(tmp_path, kind):
    build, fragment = JLD2_FILES[kind]
    path = tmp_path / "les.jld2"
    with h5py.File(path, "w") as f:
        build(f)
    with pytest.raises(DataError, match=re.escape(fragment)):
        read_lesbrary(path)


def test_lesbrary_import_needs_the_surface_fluxes(tmp_path):
    path = tmp_path / "les.jld2"
    with h5py.File(path, "w") as f:
        _complete(f)
        f["parameters/momentum_flux"] = "strong"
    with pytest.raises(DataError, match=re.escape("parameters/momentum_flux is missing or not a number")):
        import_lesbrary(path, tmp_path / "obs.nc", tmp_path / "forcing.nc")
    path.write_bytes(b"CDF\x01 not really")
    outputs = ["--out-obs", tmp_path / "o.nc", "--out-forcing", tmp_path / "f.nc"]
    invoke_fails(["import", "lesbrary", path, *outputs], "cannot open as HDF5/JLD2")


# --- options of the profiling and batch commands ---------------------------------------------


def test_profiling_and_batch_options_are_checked_before_any_work(tmp_path):
    (tmp_path / "bad.yaml").write_text(case_text(grid="grid: {depth: 50, nz: 1}"))
    (tmp_path / "taken.json").write_text("{}")
    cases = [
        (
            ["profile-memory", "--params", "nu0", "--steps", "10"],
            "--params: k_epsilon has no parameter 'nu0'",
        ),
        (
            ["profile-memory", "--steps", "10", "--json", tmp_path / "taken.json"],
            "taken.json: exists; pass --force",
        ),
        (["profile-memory", "--steps", "10", "--plot", tmp_path / "plot.xyz"], "cannot write a .xyz figure"),
        (
            ["profile-memory", "--steps", "ten"],
            "--steps ten: cannot read 'ten' as one of comma-separated integers",
        ),
        (["profile-memory", "--nt", "ten"], "--steps ten: cannot read"),  # the old name, hidden
        (["check-grad", "--checkpoint", "nestd"], "--checkpoint nestd: unknown scheme"),
        (["check-grad", tmp_path / "bad.yaml"], "grid.nz: must be >= 2 (got 1)"),
        (["profile-batch", "--json", tmp_path / "taken.json"], "taken.json: exists; pass --force"),
        (
            ["profile-batch", "--mode", "backward"],
            "--mode backward: unknown value 'backward'; use some of forward, reverse",
        ),
        (["run-batch", tmp_path / "bad.yaml", "--out", tmp_path / "batch"], "grid.nz: must be >= 2 (got 1)"),
    ]
    for arguments, fragment in cases:
        invoke_fails(arguments, fragment)
    assert (tmp_path / "taken.json").read_text() == "{}" and not (tmp_path / "batch").exists()
