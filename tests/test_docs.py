"""Documented inputs: docs/case-format.md is complete and current, `calib closures` lists every
closure and parameter, `calib example` writes a case that runs, and the README's Python examples
run verbatim."""

import dataclasses
import re

import pytest
from typer.testing import CliRunner

from calib import config
from calib.cli import app
from calib.config import fit, reference, sections
from calib.core.closures import CLOSURES
from calib.core.params import parameter_info, variant_options
from tests.conftest_paths import ROOT

runner = CliRunner()


def schema_keys() -> set[str]:
    """Every key the case reader accepts, from the schema and the readers themselves."""
    keys = set(config.schema.TOP_LEVEL_KEYS)
    for section, cls in {
        "grid": config.GridConfig,
        "time": config.TimeConfig,
        "equation_of_state": config.EquationOfStateConfig,
        "forcing": config.ForcingConfig,
        "numerics": config.NumericsConfig,
        "output": config.OutputConfig,
        "initial": config.InitialConfig,
    }.items():
        keys |= {f"{section}.{field.name}" for field in dataclasses.fields(cls)}
    keys.add("initial.observations")
    for required, optional in sections._PROFILE_KEYS.values():
        keys |= {f"initial.<var>.{key}" for key in ("type", *required, *optional)}
    keys |= {f"forcing.<series>.{key}" for key in ("time", "values", "file", "variable", "time_variable")}
    keys |= {"closure.name", "closure.parameters", "closure.<field>"}
    keys |= {f"fit.{key}" for key in fit.FIT_KEYS}
    return keys


def test_every_key_of_the_schema_is_documented():
    documented = {key.path for key in reference.KEYS}
    assert schema_keys() - documented == set()
    assert all(key.meaning and key.kind and key.example for key in reference.KEYS)


def test_the_case_format_page_is_current():
    page = (ROOT / "docs" / "case-format.md").read_text()
    assert page == reference.markdown(), "regenerate: python -m calib.config.reference > docs/case-format.md"
    for key in schema_keys():
        assert f"`{key}`" in page, key


def test_every_documented_example_value_parses():
    """The example of each scalar key, put into a minimal case, passes the reader."""
    import yaml

    base = {"grid": {"depth": 50, "nz": 10}, "initial": {"T": 10, "S": 35}, "closure": "constant",
            "time": {"dt": 60, "duration": "1 h", "output_interval": "10 min"}}  # fmt: skip
    paths = ("time.dt", "grid.stretching", "forcing.water_type", "forcing.latitude", "forcing.heat_flux")
    paths += ("numerics.checkpoint", "numerics.solver", "numerics.rotation", "equation_of_state.alpha")
    paths += ("fit.iterations", "fit.optimizer", "fit.tolerance")
    for path in paths:
        section, key = path.split(".")
        data = {name: dict(value) if isinstance(value, dict) else value for name, value in base.items()}
        data.setdefault(section, {})[key] = yaml.safe_load(reference.BY_PATH[path].example)
        case = config.parse_case(yaml.safe_dump(data))
        if section == "fit":
            fit.parse_fit_section(case.fit, case.source, case.base_dir)


def test_calib_closures_lists_every_closure_and_parameter():
    listing = runner.invoke(app, ["closures"])
    assert listing.exit_code == 0, listing.output
    for name in CLOSURES:
        assert name in listing.output
    for name, cls in CLOSURES.items():
        result = runner.invoke(app, ["closures", name])
        assert result.exit_code == 0, result.output
        closure = cls()
        for parameter, info in parameter_info(closure).items():
            assert parameter in result.output and f"{info.default:g}" in result.output
        for field, options in variant_options(closure).items():
            assert field in result.output and all(option in result.output for option in options)
    bad = runner.invoke(app, ["closures", "k_epsilo"])
    assert bad.exit_code == 2 and "unknown closure" in bad.output


@pytest.mark.parametrize("case", ["kato_phillips", "ows_papa_2012"])
def test_calib_example_writes_a_case_that_runs(tmp_path, case):
    out = tmp_path / "mine" / "start.yaml"
    result = runner.invoke(app, ["example", case, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "# the time step" in text and "(m)" in text
    loaded = config.load_case(out)  # relative paths were rewritten for the new folder
    assert loaded.name == case
    shortened = text.replace("duration: 24 h", "duration: 1 h").replace("duration: 365 days", "duration: 3 h")
    out.write_text(shortened)
    run = runner.invoke(app, ["run", str(out), "--out", str(tmp_path / "run.nc"), "-q"])
    assert run.exit_code == 0, run.output
    again = runner.invoke(app, ["example", case, "--out", str(out)])
    assert again.exit_code == 2 and "exists; pass --force" in again.output


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_readme_python_examples_run_verbatim(tmp_path, monkeypatch):
    examples = readme_examples()
    assert len(examples) >= 4
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for code in examples:
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README is ours
