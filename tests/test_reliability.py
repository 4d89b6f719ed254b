"""Property tests: malformed case files and data files raise `CalibError`, never anything else.

Hypothesis mutates a valid case (deleting keys, inserting unknown keys, changing types, random
scalars and unicode, truncated or spliced text) and generates malformed data files (GOTM text
lines, NetCDF observation and forcing files with random variables, axes and attributes, JLD2
files with random groups). Every example must either load or fail with a one-line
`CalibError`. The example budget is fixed and the search derandomised so CI stays fast and
repeatable; set CALIB_FUZZ_EXAMPLES=2000 to search longer (and randomly) by hand.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import os
import tempfile
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
import yaml
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from calib.cli.app import app
from calib.common.errors import CalibError
from calib.config import parse_case
from calib.config.build import build
from calib.io.gotm import read_gotm_profiles, read_gotm_timeseries
from calib.io.lesbrary import read_lesbrary
from calib.io.observations import align, load_observations

EXAMPLES = int(os.environ.get("CALIB_FUZZ_EXAMPLES", "50"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis folder in the repository
    derandomize="CALIB_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@contextlib.contextmanager
def only_calib_errors():
    """Let a CalibError pass (checking it is one line); any other exception fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except CalibError as error:
        assert str(error) and "\n" not in str(error), repr(str(error))


# --- case files ------------------------------------------------------------------------------

VALID_CASE = {
    "name": "fuzz",
    "grid": {"depth": 50, "nz": 8},
    "time": {"dt": 60, "duration": "1 h", "output_interval": "10 min", "start": "2010-06-15T00:00"},
    "initial": {
        "T": {"type": "linear", "surface": 16.0, "gradient": 0.05},
        "S": 35.0,
        "u": {"type": "cosine", "mean": 0.0, "amplitude": 0.1, "mode": 1},
    },
    "equation_of_state": {"type": "linear", "rho0": 1027.0, "alpha": 2.0e-4},
    "forcing": {
        "latitude": 45.0,
        "wind_stress_x": 0.1,
        "heat_flux": {"time": [0, "30 min", "1 h"], "values": [-50.0, 0.0, 50.0]},
        "water_type": "IB",
    },
    "closure": {"name": "pacanowski_philander", "parameters": {"nu0": 0.01, "alpha": 5.0}},
    "numerics": {"checkpoint": "nested", "solver": "auto", "rotation": "exact"},
    "output": {"variables": ["T", "u", "diffusivity"]},
}

TRICKY_STRINGS = [
    "", " ", "10 min", "-1 h", "0 s", "1e999 s", "nan", ".inf", "2 fortnights", "2010-13-01",
    "2010-06-15T00:00", "0001-01-01", "levels", "observations", "file", "constant", "linear",
    "k_epsilon", "tke", "IB", "[/x]", "[bold]", "{a: 1}", "ünïcödé", "\u202e", "\x00", "nested",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, -1, 1e-300, 1e300, 100000, 10**12, 0.5]),
    st.text(max_size=12),
    st.sampled_from(TRICKY_STRINGS),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node, prefix=()):
    """Every path (tuple of keys and indices) into a nested dict/list, the root excluded."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _parent(root, path):
    for key in path[:-1]:
        root = root[key]
    return root


def _mutate(case: dict, data) -> dict:
    """Apply one to three random structural mutations to a copy of `case`."""
    case = copy.deepcopy(case)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = list(_paths(case))
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        parent, key = _parent(case, path), path[-1]
        kind = data.draw(st.sampled_from(["delete", "replace", "insert", "rename", "wrap"]), label="kind")
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = data.draw(VALUES, label="value")
        elif kind == "wrap":  # a value where a mapping or list was expected, or the reverse
            parent[key] = data.draw(
                st.sampled_from([[parent[key]], {"value": parent[key]}, str(parent[key])])
            )
        elif isinstance(parent, dict) and kind == "insert":
            parent[data.draw(st.text(min_size=1, max_size=10), label="new key")] = data.draw(VALUES)
        elif isinstance(parent, dict):  # rename: a typo or another section's key
            new = data.draw(
                st.sampled_from([f"{key}s", str(key)[:-1] or "x", str(key).upper(), "levels", "file"])
            )
            parent[new] = parent.pop(key)
    return case


def _build(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        build(parse_case(text, source=f"{folder}/case.yaml", base_dir=folder))


def test_the_valid_case_builds():
    _build(yaml.safe_dump(VALID_CASE))


@FUZZ
@given(data=st.data())
def test_mutated_case_raises_only_calib_errors(data):
    text = yaml.safe_dump(_mutate(VALID_CASE, data), allow_unicode=True)
    with only_calib_errors():
        _build(text)


@FUZZ
@given(data=st.data())
def test_damaged_case_text_raises_only_calib_errors(data):
    text = yaml.safe_dump(VALID_CASE, sort_keys=False)
    kind = data.draw(st.sampled_from(["truncate", "insert", "delete", "duplicate_line", "swap_lines"]))
    position = data.draw(st.integers(0, len(text)), label="position")
    lines = text.splitlines(keepends=True)
    line = data.draw(st.integers(0, len(lines) - 1), label="line")
    if kind == "truncate":
        text = text[:position]
    elif kind == "insert":
        text = (
            text[:position] + data.draw(st.text(min_size=1, max_size=6), label="inserted") + text[position:]
        )
    elif kind == "delete":
        text = text[:position] + text[position + data.draw(st.integers(1, 20)) :]
    elif kind == "duplicate_line":
        text = "".join(lines[: line + 1] + lines[line:])
    else:
        other = data.draw(st.integers(0, len(lines) - 1), label="other line")
        lines[line], lines[other] = lines[other], lines[line]
        text = "".join(lines)
    with only_calib_errors():
        _build(text)


@FUZZ
@given(data=st.data())
def test_calib_run_prints_one_red_line_for_every_broken_case(data):
    """Where a mutated case fails to build, `calib run` exits with 2 and prints that one line."""
    text = yaml.safe_dump(_mutate(VALID_CASE, data), allow_unicode=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.yaml"
        path.write_text(text)
        try:
            build(parse_case(text, source=str(path), base_dir=folder))
        except CalibError as error:
            expected = str(error)
        else:
            reject()  # a valid case: running it is test_cli's business
        result = CliRunner().invoke(app, ["run", str(path), "--out", f"{folder}/out.nc", "-q"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and lines == [f"error: {expected}"], (result.output, result.exception)


# --- GOTM text files -------------------------------------------------------------------------

GOTM_TOKENS = st.one_of(
    st.sampled_from(["2012-03-20", "2012/3/20", "2012-02-30", "0000-01-01", "2012-03-20T00:00", "20120320"]),
    st.sampled_from(["00:00:00", "1:00:00", "25:61:61", "00:00", "12:00:00.5"]),
    st.sampled_from(["1", "2", "3", "0", "-1", "1e999", "nan", "-inf", "²", "١", "#", "!", "x", "1,5"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 20).map(str),
    st.text(max_size=6),
)
GOTM_LINES = st.lists(st.lists(GOTM_TOKENS, max_size=5).map(" ".join), max_size=10)


@FUZZ
@given(lines=GOTM_LINES, raw=st.one_of(st.none(), st.binary(max_size=64)), columns=st.integers(0, 3))
def test_random_gotm_files_raise_only_calib_errors(lines, raw, columns):
    names = None if columns == 0 else [f"v{i}" for i in range(columns)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.dat"
        path.write_bytes(raw if raw is not None else "\n".join(lines).encode("utf-8", "surrogatepass"))
        with only_calib_errors():
            read_gotm_timeseries(path, names)
        with only_calib_errors():
            read_gotm_profiles(path, names or "T")


# --- NetCDF observation and forcing files ----------------------------------------------------

FLOATS = st.one_of(
    st.floats(-5.0, 40.0),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 285.0, -1e30, 1e30]),
)
DATES = st.datetimes(datetime.datetime(1990, 1, 1), datetime.datetime(2030, 1, 1)).map(
    lambda d: np.datetime64(d, "ns")
)
TIME_UNITS = [
    "seconds since 2010-01-01", "days since 2001-01-01", "hours since 1900-01-01 00:00:00",
    "fortnights since never", "days since 0001-01-01", "", "m",
]  # fmt: skip
CALENDARS = ["standard", "noleap", "360_day", "julian", "bogus", None]
VERTICAL = ["depth", "z", "lev", "deptht", "pressure", "x"]
VARIABLE_NAMES = ["T", "temp", "thetao", "S", "salinity", "u", "v", "uo", "chl", "time", "z"]
STANDARD_NAMES = ["sea_water_temperature", "sea_water_practical_salinity", "eastward_sea_water_velocity", "x"]


@st.composite
def time_axes(draw, size: int):
    """A time coordinate: datetimes (maybe repeated, unordered or NaT), numbers with units, or text."""
    kind = draw(st.sampled_from(["dates", "numbers", "text"]))
    if kind == "dates":
        values = np.array(draw(st.lists(DATES, min_size=size, max_size=size)), dtype="datetime64[ns]")
        if size and draw(st.booleans()):
            values.sort()
        if size and draw(st.integers(0, 5)) == 0:
            values[draw(st.integers(0, size - 1))] = np.datetime64("NaT", "ns")
        return ("time", values)
    if kind == "numbers":
        values = np.array(draw(st.lists(st.floats(-1e6, 1e6), min_size=size, max_size=size)))
        attrs = {"units": draw(st.sampled_from(TIME_UNITS))}
        calendar = draw(st.sampled_from(CALENDARS))
        if calendar:
            attrs["calendar"] = calendar
        return ("time", values, attrs)
    return ("time", np.array([f"t{i}" for i in range(size)]))


@st.composite
def observation_datasets(draw) -> xr.Dataset:
    n_time, n_level = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    vertical = draw(st.sampled_from(VERTICAL))
    level_attrs = {}
    positive = draw(st.sampled_from(["up", "down", "sideways", None]))
    if positive:
        level_attrs["positive"] = positive
    if draw(st.booleans()):
        level_attrs["axis"] = "Z"
    levels = np.array(draw(st.lists(FLOATS | st.floats(-500, 500), min_size=n_level, max_size=n_level)))
    coords = {}
    if draw(st.integers(0, 5)):
        coords["time"] = draw(time_axes(n_time))
    if draw(st.integers(0, 5)):
        coords[vertical] = (vertical, levels.astype(float), level_attrs)
    variables, stations = {}, draw(st.integers(1, 2))
    for name in draw(st.lists(st.sampled_from(VARIABLE_NAMES), min_size=1, max_size=3, unique=True)):
        if name in coords:
            continue
        dims = draw(
            st.sampled_from([("time", vertical), (vertical, "time"), ("time",), ("time", vertical, "s")])
        )
        shape = tuple({"time": n_time, vertical: n_level, "s": stations}[d] for d in dims)
        values = np.array(draw(st.lists(FLOATS, min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))))
        attrs = {}
        if draw(st.booleans()):
            attrs["standard_name"] = draw(st.sampled_from(STANDARD_NAMES))
        if draw(st.integers(0, 4)) == 0:
            values = np.round(values).astype(int) if (np.abs(values) < 1e9).all() else values.astype(str)
        variables[name] = (dims, values.reshape(shape), attrs)
    return xr.Dataset(variables, coords=coords)


def _write_netcdf(dataset: xr.Dataset, path: Path) -> None:
    """Write a generated Dataset; combinations netCDF4 itself cannot store are not examples."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset.to_netcdf(path)
    except Exception:  # noqa: BLE001 (xarray/netCDF4 refusing to encode is not calib's business)
        reject()


@FUZZ
@given(dataset=observation_datasets(), override=st.one_of(st.none(), st.sampled_from(VARIABLE_NAMES)))
def test_random_observation_files_raise_only_calib_errors(dataset, override):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "obs.nc"
        _write_netcdf(dataset, path)
        with only_calib_errors():
            observations = load_observations(path, {"T": override} if override else None)
            times = observations["time"].values
            seconds = (times - times[0]) / np.timedelta64(1, "s") if times.size else np.zeros(1)
            aligned = align(observations, np.linspace(-45.0, -5.0, 5), np.unique(seconds), times[:1].min())
            assert all(array.shape[1] == 5 for array in aligned.values())


@st.composite
def forcing_datasets(draw) -> xr.Dataset:
    size = draw(st.integers(0, 5))
    time = draw(time_axes(size))
    values = np.array(draw(st.lists(FLOATS, min_size=size, max_size=size)))
    dims = draw(st.sampled_from([("time",), ("time", "x")]))
    if len(dims) == 2:
        values = values[:, None]
    if draw(st.integers(0, 4)) == 0:
        values = values.astype(str)
    return xr.Dataset({"Q": (dims, values)}, coords={"time": time})


@FUZZ
@given(dataset=forcing_datasets(), start=st.sampled_from(["", ", start: 2010-06-15T00:00"]))
def test_random_forcing_files_raise_only_calib_errors(dataset, start):
    text = (
        "grid: {depth: 50, nz: 4}\n"
        f"time: {{dt: 60, duration: 1 h, output_interval: 30 min{start}}}\n"
        "initial: {T: 10, S: 35}\nclosure: constant\n"
        "forcing: {heat_flux: {file: f.nc, variable: Q}}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        _write_netcdf(dataset, Path(folder) / "f.nc")
        with only_calib_errors():
            build(parse_case(text, source=f"{folder}/case.yaml", base_dir=folder))


# --- LESbrary JLD2 (HDF5) files --------------------------------------------------------------

JLD2_ADDRESSES = [
    "grid/Hz", "grid/Nz", "grid/zᵃᵃᶜ", "grid/zᵃᵃᶠ", "timeseries/t/0", "timeseries/t/10",
    "timeseries/T/0", "timeseries/T/10", "timeseries/u/0", "timeseries/v/0", "timeseries/u/10",
    "timeseries/v/10", "timeseries/b/0", "parameters/momentum_flux", "coriolis/f", "parameters/name",
]  # fmt: skip
HDF5_VALUES = st.one_of(
    st.integers(-2, 6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.floats(-10, 10), max_size=8).map(np.array),
    st.integers(0, 8).map(lambda n: np.zeros((n, 1, 1))),
    st.just("group"),
)


@FUZZ
@given(entries=st.dictionaries(st.sampled_from(JLD2_ADDRESSES), HDF5_VALUES, max_size=len(JLD2_ADDRESSES)))
def test_random_jld2_files_raise_only_calib_errors(entries):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "les.jld2"
        with h5py.File(path, "w") as file:
            for address, value in entries.items():
                try:
                    if isinstance(value, str) and value == "group":
                        file.create_group(address)
                    else:
                        file[address] = value
                except (ValueError, TypeError):  # an address below a dataset: not an example
                    reject()
        with only_calib_errors():
            read_lesbrary(path)


@pytest.mark.parametrize("text", ["", "- [", "{", "\x00", "a: !!binary x"])
def test_degenerate_case_texts(text):
    with only_calib_errors():
        _build(text)
