"""Case files: parsing, strict validation with one-line messages, and building."""

import datetime
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from calib import config
from calib.common import vocabulary
from calib.common.errors import CalibError, ConfigError, DataError
from calib.config import build as build_module
from calib.config import load_case, parse_case
from calib.config.build import build
from calib.core.forcing import JERLOV_WATER_TYPES
from calib.core.integrate import plan

CASES = sorted((pathlib.Path(__file__).parents[1] / "cases").glob("*.yaml"))

BASE = {
    "grid": "grid: {depth: 50, nz: 10}",
    "time": "time: {dt: 60, duration: 1 h, output_interval: 10 min}",
    "initial": "initial: {T: 10, S: 35}",
    "closure": "closure: constant",
}


def case_text(**sections: str) -> str:
    """A small valid case with some sections replaced ('' removes one)."""
    return "\n".join(text for text in {**BASE, **sections}.values() if text)


def load_and_build(tmp_path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return build(load_case(path))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_case_builds(path):
    built = build(load_case(path))
    time = built.case.time
    assert built.n_saves * built.steps_per_save * time.dt == pytest.approx(time.duration)
    if not path.stem.startswith("ows_papa_2012"):  # real-data years: test_data_cases runs them shortened
        assert built.n_saves * built.steps_per_save <= 3000  # keep the shipped cases quick
    for name in ("u", "v", "T", "S"):
        values = np.asarray(getattr(built.initial, name))
        assert values.shape == (built.model.grid.nz,) and np.all(np.isfinite(values))


def test_kato_phillips_numbers():
    built = build(load_case(pathlib.Path(__file__).parents[1] / "cases" / "kato_phillips.yaml"))
    eos, grid = built.model.eos, built.model.grid
    u_star = np.sqrt(float(built.model.forcing.values[0, 0]) / eos.rho0)
    assert u_star == pytest.approx(0.01, rel=1e-6)
    b = eos.buoyancy(built.initial.T, built.initial.S)
    assert np.allclose(np.diff(b) / np.diff(grid.z_centers), 1e-4, rtol=1e-4)
    assert float(grid.dz[0]) == pytest.approx(0.5) and built.steps_per_save * built.case.time.dt == 600


def test_every_choice_of_the_vocabulary_has_an_implementation():
    assert set(vocabulary.WATER_TYPES) == set(JERLOV_WATER_TYPES)
    assert set(vocabulary.SOLVERS) == set(build_module.SOLVERS)
    assert set(vocabulary.ROTATIONS) == set(build_module.ROTATIONS)
    for scheme in vocabulary.CHECKPOINT_SCHEMES:
        plan(10, 10, scheme)  # every scheme name is one the integrator knows


def test_config_imports_no_jax():
    case = CASES[0]
    code = f"import sys, calib.config; calib.config.load_case({str(case)!r}); assert 'jax' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=case.parents[1])


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (3600, 3600.0),
        ("600 s", 600.0),
        ("10 min", 600.0),
        ("24 h", 86400.0),
        ("2 days", 172800.0),
        ("1.5 hours", 5400.0),
        ("90 minutes", 5400.0),
        ("1 d", 86400.0),
        ("30", 30.0),
    ],
)
def test_durations_with_units(text, seconds):
    case = parse_case(case_text(time=f"time: {{dt: 10 s, duration: {text!r}, output_interval: 10}}"))
    assert case.time.duration == seconds


MALFORMED = [
    (
        {"time": "time: {dt: -60, duration: 1 h, output_interval: 10 min}"},
        "time.dt: must be > 0 (got -60); set a positive time step in seconds",
    ),
    ({"grid": "gird: {depth: 50, nz: 10}"}, "gird: unknown key (did you mean 'grid'?)"),
    ({"grid": ""}, "grid: missing required key"),
    (
        {"grid": "grid: {depth: '50', nz: 10}"},
        "grid.depth: must be a number (got the string '50'); write it without quotes",
    ),
    ({"grid": "grid: {depth: true, nz: 10}"}, "grid.depth: must be a number (got true)"),
    ({"grid": "grid: {depth: 0, nz: 10}"}, "grid.depth: must be > 0 (got 0)"),
    ({"grid": "grid: {depth: 50, nz: 1}"}, "grid.nz: must be >= 2 (got 1)"),
    ({"grid": "grid: {depth: 50, nz: 10.5}"}, "grid.nz: must be an integer"),
    ({"grid": "grid: {depth: 50, nz: 10, levels: [0, 1, 2]}"}, "give either 'levels' or 'depth' and 'nz'"),
    ({"grid": "grid: {levels: [-2, 0, 1, 3]}"}, "grid.levels: mixes positive and negative values"),
    ({"grid": "grid: {levels: [1, 2, 3]}"}, "grid.levels: does not contain the surface"),
    ({"time": "time: {dt: 60, duration: -1 h, output_interval: 10 min}"}, "time.duration: must be > 0"),
    (
        {"time": "time: {dt: 70, duration: 1 h, output_interval: 10 min}"},
        "time.output_interval: must be a whole multiple of dt",
    ),
    (
        {"time": "time: {dt: 60, duration: 65 min, output_interval: 10 min}"},
        "time.duration: must be a whole multiple of output_interval",
    ),
    (
        {"time": "time: {dt: 20 min, duration: 1 h, output_interval: 10 min}"},
        "time.dt: is longer than output_interval",
    ),
    (
        {"time": "time: {dt: 60, duration: 2 fortnights, output_interval: 10 min}"},
        "time.duration: cannot read '2 fortnights' as a run length",
    ),
    (
        {"time": "time: {dt: 60, duration: 1 h, output_intreval: 10 min}"},
        "time.output_intreval: unknown key (did you mean 'output_interval'?)",
    ),
    (
        {"time": "time: {dt: 60, duration: 1 h, output_interval: 10 min, start: June}"},
        "time.start: cannot read 'June' as a date",
    ),
    ({"initial": "initial: {T: 10}"}, "initial.S: missing required key"),
    (
        {"initial": "initial: {T: {type: linaer, surface: 10, gradient: 0.01}, S: 35}"},
        "initial.T.type: unknown value 'linaer' (did you mean 'linear'?)",
    ),
    (
        {"initial": "initial: {T: {type: linear, surface: 10}, S: 35}"},
        "initial.T.gradient: missing required key",
    ),
    (
        {"initial": "initial: {T: {type: constant, value: 10, surface: 3}, S: 35}"},
        "initial.T.surface: unknown key",
    ),
    (
        {"initial": "initial: {T: {type: file, file: nowhere.nc, variable: T}, S: 35}"},
        "initial.T.file: file not found",
    ),
    (
        {"closure": "closure: pacanowski_philandr"},
        "closure.name: unknown closure 'pacanowski_philandr' (did you mean 'pacanowski_philander'?)",
    ),
    (
        {"closure": "closure: {name: constant, parameters: {diffusivty: 1e-3}}"},
        "closure.parameters.diffusivty: constant has no parameter 'diffusivty' (did you mean 'diffusivity'?)",
    ),
    (
        {"closure": "closure: {name: constant, parameters: {diffusivity: 5.0}}"},
        "closure.parameters.diffusivity: must be within [1e-08, 1] m2 s-1 (got 5)",
    ),
    (
        {"closure": "closure: {name: constant, parameters: {diffusivity: '1e-3'}}"},
        "closure.parameters.diffusivity: must be a number (got the string '1e-3')",
    ),
    ({"forcing": "forcing: {water_type: IV}"}, "forcing.water_type: unknown value 'IV'"),
    ({"forcing": "forcing: {latitude: 100}"}, "forcing.latitude: must be within [-90, 90] (got 100)"),
    (
        {"forcing": "forcing: {bottom_drag_coefficient: -1.0e-3}"},
        "bottom_drag_coefficient: must be >= 0 (got -0.001); give a value of at least 0",
    ),
    (
        {"forcing": "forcing: {heat_flux: {time: [0, 1 h, 2 h], values: [1, 2]}}"},
        "forcing.heat_flux.values: has 2 values for 3 times",
    ),
    (
        {"forcing": "forcing: {heat_flux: {time: [0, 30 min], values: [1, 2]}}"},
        "forcing.heat_flux: covers 0 s to 1800 s of the run, which lasts 0 s to 3600 s",
    ),
    (
        {"forcing": "forcing: {heat_flux: {time: [1 h, 0], values: [1, 2]}}"},
        "forcing.heat_flux.time: must increase",
    ),
    ({"forcing": "forcing: {heat_flux: {variable: Q}}"}, "forcing.heat_flux.file: missing required key"),
    (
        {"numerics": "numerics: {checkpoint: nestd}"},
        "numerics.checkpoint: unknown value 'nestd' (did you mean 'nested'?)",
    ),
    ({"numerics": "numerics: {solver: cuda}"}, "numerics.solver: unknown value 'cuda'"),
    ({"output": "output: {variables: [T, temp]}"}, "output.variables[1]: unknown variable 'temp'"),
    ({"fit": "fit: [a, b]"}, "fit: must be a mapping"),
    ({"grid": "grid: {depth: 50, nz: 10"}, "line 2: invalid YAML"),
    ({"extra": "grid: {depth: 20, nz: 4}"}, "invalid YAML (duplicate key 'grid')"),
]


@pytest.mark.parametrize(("sections", "fragment"), MALFORMED, ids=[m[1][:40] for m in MALFORMED])
def test_malformed_case(tmp_path, sections, fragment):
    with pytest.raises(ConfigError) as raised:
        load_and_build(tmp_path, case_text(**sections))
    message = str(raised.value)
    assert fragment in message
    assert "\n" not in message and message.startswith(str(tmp_path / "case.yaml") + ": ")


def test_errors_share_one_base_and_empty_case_fails():
    assert issubclass(ConfigError, CalibError)
    with pytest.raises(ConfigError, match="the case is empty"):
        parse_case("")


def test_parse_case_from_dict_and_defaults():
    case = parse_case(
        {
            "grid": {"depth": 10, "nz": 5},
            "time": {"dt": 1, "duration": 10, "output_interval": 5},
            "initial": {"T": 1, "S": 2},
            "closure": {"name": "constant"},
        }
    )
    assert case.name == "case" and case.numerics == config.NumericsConfig("nested", "auto", "exact")
    assert case.initial.u == config.ProfileConfig("constant", value=0.0)
    assert (case.time.n_saves, case.time.steps_per_save) == (2, 5)
    assert case.closure.parameters == {} and case.fit == {}


@pytest.mark.parametrize("levels", ["[0, 1, 3, 6, 10]", "[-10, -6, -3, -1, 0]", "[3, 0, 10, 1, 6]"])
def test_levels_as_depths_or_heights(levels):
    built = build(parse_case(case_text(grid=f"grid: {{levels: {levels}}}")))
    np.testing.assert_allclose(built.model.grid.z_faces, [-10.0, -6.0, -3.0, -1.0, 0.0])
    assert built.case.grid.depth == 10.0 and built.case.grid.nz == 4


def test_output_variables_use_the_names_written_to_netcdf():
    case = parse_case(case_text(output="output: {variables: [T, viscosity, diffusivity]}"))
    assert build(case).case.output.variables == ("T", "viscosity", "diffusivity")


def test_stretched_grid_is_finer_at_the_surface():
    grid = build(parse_case(case_text(grid="grid: {depth: 50, nz: 10, stretching: 2.0}"))).model.grid
    assert float(grid.dz[-1]) < float(grid.dz[0]) and float(grid.z_faces[0]) == pytest.approx(-50.0)


def test_analytic_initial_profiles():
    initial = (
        "initial: {T: {type: mixed_layer, surface: 20, depth: 10, gradient: 0.1},"
        " S: {type: linear, surface: 35, gradient: -0.01}, u: {type: cosine, mean: 0, amplitude: 1}}"
    )
    built = build(parse_case(case_text(initial=initial)))
    z = np.asarray(built.model.grid.z_centers)
    np.testing.assert_allclose(built.initial.T, np.where(z > -10, 20.0, 20.0 + 0.1 * (z + 10)))
    np.testing.assert_allclose(built.initial.S, 35.0 - 0.01 * z)  # gradient < 0: saltier at depth
    np.testing.assert_allclose(built.initial.u, np.cos(np.pi * z / 50.0))
    assert built.initial.T[-1] > built.initial.T[0]  # positive gradient: warmer at the top


def write_profile(path, depth, temperature, **attrs):
    coordinate = xr.DataArray(depth, dims="depth", attrs=attrs)
    xr.Dataset({"temp": ("depth", temperature)}, coords={"depth": coordinate}).to_netcdf(path)


def test_initial_profile_from_file(tmp_path):
    write_profile(tmp_path / "profile.nc", [0.0, 10.0, 20.0, 30.0], [20.0, 18.0, 14.0, 12.0])
    text = case_text(initial="initial: {T: {type: file, file: profile.nc, variable: temp}, S: 35}")
    built = load_and_build(tmp_path, text)
    z = np.asarray(built.model.grid.z_centers)
    expected = np.interp(-z, [0.0, 10.0, 20.0, 30.0], [20.0, 18.0, 14.0, 12.0])
    np.testing.assert_allclose(built.initial.T, expected)
    assert float(built.initial.T[0]) == 12.0  # constant below the deepest data


def test_initial_profile_from_file_with_heights_and_named_depth(tmp_path):
    write_profile(tmp_path / "p.nc", [-30.0, -10.0, 0.0], [12.0, 18.0, 20.0], positive="up")
    text = case_text(
        initial="initial: {T: {type: file, file: p.nc, variable: temp, depth_variable: depth}, S: 35}"
    )
    built = load_and_build(tmp_path, text)
    z = np.asarray(built.model.grid.z_centers)
    np.testing.assert_allclose(built.initial.T, np.interp(z, [-30.0, -10.0, 0.0], [12.0, 18.0, 20.0]))


def test_initial_profile_file_missing_variable(tmp_path):
    write_profile(tmp_path / "profile.nc", [0.0, 50.0], [20.0, 10.0])
    text = case_text(initial="initial: {T: {type: file, file: profile.nc, variable: tmp}, S: 35}")
    with pytest.raises(
        ConfigError, match=r"initial\.T\.variable: no variable 'tmp' in profile.nc \(did you mean"
    ):
        load_and_build(tmp_path, text)


def write_heat_flux(path, start="2010-06-15T00:00", hours=4):
    time = np.datetime64(start) + np.arange(hours) * np.timedelta64(1, "h")
    xr.Dataset({"Q": ("time", -100.0 * np.arange(hours))}, coords={"time": time}).to_netcdf(path)


def test_inline_series_with_time_units():
    forcing = "forcing: {wind_stress_x: {time: [0, 30 min, 1 h], values: [0.0, 0.1, 0.2]}, heat_flux: -50}"
    model = build(parse_case(case_text(forcing=forcing))).model
    np.testing.assert_allclose(model.forcing.time, [0.0, 1800.0, 3600.0])
    np.testing.assert_allclose(model.forcing.values[:, 0], [0.0, 0.1, 0.2])
    np.testing.assert_allclose(model.forcing.values[:, 2], -50.0)


def test_forcing_series_from_file_with_case_start(tmp_path):
    write_heat_flux(tmp_path / "flux.nc")
    time = "time: {dt: 60, duration: 1 h, output_interval: 10 min, start: 2010-06-15T01:00:00}"
    built = load_and_build(
        tmp_path, case_text(time=time, forcing="forcing: {heat_flux: {file: flux.nc, variable: Q}}")
    )
    assert built.case.time.start == datetime.datetime(2010, 6, 15, 1)
    np.testing.assert_allclose(built.model.forcing.time, [-3600.0, 0.0, 3600.0, 7200.0])
    np.testing.assert_allclose(built.model.forcing.values[:, 2], [0.0, -100.0, -200.0, -300.0])


def test_forcing_series_from_file_starts_at_its_first_time(tmp_path):
    write_heat_flux(tmp_path / "flux.nc", hours=2)
    built = load_and_build(tmp_path, case_text(forcing="forcing: {heat_flux: {file: flux.nc, variable: Q}}"))
    np.testing.assert_allclose(built.model.forcing.time, [0.0, 3600.0])


def test_forcing_file_that_does_not_cover_the_run(tmp_path):
    write_heat_flux(tmp_path / "flux.nc")
    time = "time: {dt: 60, duration: 1 h, output_interval: 10 min, start: 2010-06-15T03:00:00}"
    text = case_text(time=time, forcing="forcing: {heat_flux: {file: flux.nc, variable: Q}}")
    with pytest.raises(ConfigError, match=r"forcing\.heat_flux: covers -10800 s to 0 s"):
        load_and_build(tmp_path, text)


def test_forcing_file_missing_variable(tmp_path):
    write_heat_flux(tmp_path / "flux.nc")
    text = case_text(forcing="forcing: {heat_flux: {file: flux.nc, variable: q_net}}")
    with pytest.raises(ConfigError, match=r"forcing\.heat_flux\.variable: no variable 'q_net'"):
        load_and_build(tmp_path, text)


def test_unreadable_netcdf_is_a_data_error(tmp_path):
    (tmp_path / "flux.nc").write_text("not a NetCDF file")
    text = case_text(forcing="forcing: {heat_flux: {file: flux.nc, variable: Q}}")
    with pytest.raises(DataError, match=r"forcing\.heat_flux\.file: cannot read .*flux.nc as NetCDF"):
        load_and_build(tmp_path, text)


def test_start_with_time_zone_is_naive_utc():
    text = case_text(
        time="time: {dt: 60, duration: 1 h, output_interval: 10 min, start: '2010-06-15T02:00:00+02:00'}"
    )
    assert parse_case(text).time.start == datetime.datetime(2010, 6, 15, 0, 0)


BULK_START = "forcing: {bulk: {algorithm: coare, wind_x: 1, wind_y: 0, air_temperature: 10, humidity: 0.01}}"


@pytest.mark.parametrize(
    ("sections", "fragment"),
    [
        ({"forcing": "forcing: {albedo: Payne}"}, "albedo: unknown value 'Payne' (did you mean 'payne'"),
        ({"forcing": "forcing: {albedo: 1.2}"}, "forcing.albedo: must be within [0, 0.999] (got 1.2)"),
        ({"forcing": "forcing: {extinction: {A: 0.6, g1: 1}}"}, "extinction.g2: missing required key"),
        ({"forcing": "forcing: {extinction: {A: 1.5, g1: 1, g2: 20}}"}, "extinction.A: must be a fraction"),
        ({"forcing": BULK_START}, "forcing.bulk.algorithm: unknown value 'coare' (did you mean 'coare35'?)"),
        ({"forcing": "forcing: {bulk: {wind_x: 1}}"}, "forcing.bulk.wind_y: missing required key"),
        ({"equation_of_state": "equation_of_state: {type: teos}"}, "type: unknown value 'teos'"),
        ({"equation_of_state": "equation_of_state: {heat_capacity: 4.2}"}, "heat_capacity: must be within"),
        ({"relaxation": "relaxation: {T: {timescale: 1 day}}"}, "T.observations: missing required"),
        ({"relaxation": "relaxation: {U: {}}"}, "relaxation.U: unknown key"),
        ({"pressure_gradient": "pressure_gradient: {tides: [{x: 1.0e-6}]}"}, "tides[0].period: missing"),
        ({"pressure_gradient": "pressure_gradient: {z: 1}"}, "pressure_gradient.z: unknown key"),
    ],
)  # fmt: skip
def test_new_case_physics_keys_are_checked_with_one_line_messages(sections, fragment):
    with pytest.raises(ConfigError) as error:
        parse_case(case_text(**sections))
    assert fragment in str(error.value) and "\n" not in str(error.value)
