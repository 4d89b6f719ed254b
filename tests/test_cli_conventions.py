"""One set of conventions for every command: -h, --quiet/--verbose/--debug, the option
vocabulary (old names hidden but accepted), documented exit codes, shell completion and the
command line recorded in each output's `history`."""

import pytest
import xarray as xr
from typer.main import get_command
from typer.testing import CliRunner

from calib.cli import app
from calib.cli.app import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_DIVERGED
from tests.conftest_paths import SHARED

runner = CliRunner()
CASE = """
grid: {depth: 30, nz: 10}
time: {dt: 300, duration: 2 h, output_interval: 30 min}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35}
forcing: {wind_stress_x: WIND}
closure: pacanowski_philander
"""


def commands() -> list[list[str]]:
    """The path of every command, e.g. ["run"], ["import", "gotm"]."""
    group = get_command(app)
    paths = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            paths += [[name, sub] for sub in command.commands]
        else:
            paths.append([name])
    return paths


def test_there_are_all_the_commands():
    names = {" ".join(path) for path in commands()}
    assert names == {"run", "fit", "run-batch", "profile-batch", "profile-memory", "check-grad", "plot",
                     "compare", "closures", "example", "import gotm", "import lesbrary"}  # fmt: skip


@pytest.mark.parametrize("path", commands(), ids=" ".join)
def test_every_command_has_short_help_and_the_common_options(path):
    result = runner.invoke(app, [*path, "-h"])
    assert result.exit_code == 0, result.output
    for option in ("--quiet", "--verbose", "--debug"):
        assert option in result.output, (path, option)
    for hidden in ("--nt", "--schemes", "--modes", "--checkpoint-every"):
        assert hidden not in result.output  # old names are accepted but not shown


def test_top_level_help_documents_exit_codes_and_completion():
    result = runner.invoke(app, ["-h"])
    text = " ".join(result.output.split())  # rich wraps the epilog
    assert result.exit_code == 0
    assert "Exit codes: 0 done, 1 a check failed (check-grad), 2 bad input, 3 the model diverged, 130" in text
    assert "--install-completion" in result.output and "--show-completion" in result.output


def test_exit_codes(tmp_path, monkeypatch):
    from calib.config import inputs

    # a 1e200 Pa wind stress is refused as implausible when the case is built; switch that check
    # off so that the run itself diverges (exit code 3)
    monkeypatch.setattr(inputs, "check_plausible", lambda *args, **kwargs: None)
    (tmp_path / "calm.yaml").write_text(CASE.replace("WIND", "0.1"))
    (tmp_path / "wild.yaml").write_text(CASE.replace("WIND", "1.0e+200"))
    diverged = runner.invoke(app, ["run", str(tmp_path / "wild.yaml"), "--out", str(tmp_path / "w.nc")])
    assert diverged.exit_code == EXIT_DIVERGED and "the run diverged" in diverged.output
    assert not (tmp_path / "w.nc").exists()
    bad = runner.invoke(app, ["run", str(tmp_path / "missing.yaml")])
    assert bad.exit_code == EXIT_BAD_INPUT
    failed = runner.invoke(
        app, ["check-grad", "--nz", "4", "--closure", "pacanowski_philander", "--steps", "40", "--rtol", "0",
              "--fd-rtol", "0", "-q"],
    )  # fmt: skip
    assert failed.exit_code == EXIT_CHECK_FAILED, failed.output


def test_quiet_and_verbose(tmp_path):
    (tmp_path / "calm.yaml").write_text(CASE.replace("WIND", "0.1"))
    quiet = runner.invoke(app, ["run", str(tmp_path / "calm.yaml"), "--out", str(tmp_path / "q.nc"), "-q"])
    assert quiet.exit_code == 0 and quiet.output.strip() == ""
    verbose = runner.invoke(app, ["run", str(tmp_path / "calm.yaml"), "--out", str(tmp_path / "v.nc"), "-v"])
    assert verbose.exit_code == 0 and "closure pacanowski_philander" in verbose.output
    assert "Final SST" in verbose.output


def test_the_command_line_is_recorded_in_every_output(tmp_path):
    case = tmp_path / "calm.yaml"
    case.write_text(CASE.replace("WIND", "0.1"))
    run = ["run", str(case), "--out", str(tmp_path / "run.nc"), "-q"]
    assert runner.invoke(app, run).exit_code == 0
    fit = ["fit", "--obs", str(tmp_path / "run.nc"), "--params", "nu0", "--iterations", "2",
           "--no-uncertainty", "--out", str(tmp_path / "fit"), "-q"]  # fmt: skip
    assert runner.invoke(app, fit).exit_code == 0
    batch = [
        "run-batch",
        str(case),
        "--ensemble",
        "2",
        "--params",
        "nu0",
        "--out",
        str(tmp_path / "batch"),
        "-q",
    ]
    assert runner.invoke(app, batch).exit_code == 0
    outputs = {
        tmp_path / "run.nc": run,
        tmp_path / "fit" / "history.nc": fit,
        tmp_path / "batch" / "calm.nc": batch,
    }
    if (SHARED / "data").is_dir():
        les = SHARED / "data" / "lesbrary_two_day_4m" / "strong_wind_instantaneous_statistics.jld2"
        imported = ["import", "lesbrary", str(les), "--out-obs", str(tmp_path / "o.nc"), "--out-forcing",
                    str(tmp_path / "f.nc"), "-q"]  # fmt: skip
        assert runner.invoke(app, imported).exit_code == 0
        outputs[tmp_path / "o.nc"] = imported
    for path, arguments in outputs.items():
        with xr.open_dataset(path) as ds:
            assert ds.attrs["history"].endswith("calib " + " ".join(arguments)), (path, ds.attrs["history"])


def test_old_option_names_still_work_for_a_release(tmp_path):
    old = ["check-grad", "--nz", "4", "--closure", "pacanowski_philander", "--nt", "400", "--params", "nu0"]
    result = runner.invoke(app, [*old, "--fd-rtol", "1e-4", "-q"])
    assert result.exit_code == 0, result.output
    both = runner.invoke(app, ["check-grad", "--nt", "40", "--steps", "40"])
    assert both.exit_code == 2 and "--nt is the old name of --steps" in both.output
