"""Interrupted runs and fits leave either the previous files or complete new ones.

- `calib fit` killed with SIGKILL just after its first save of the resume files, then `--resume`d, ends
  exactly where an uninterrupted fit ends (same parameters, same loss history);
- `calib fit` stopped with Ctrl-C (SIGINT) exits with code 130 and leaves loadable resume files
  and no half-written output;
- `calib run` interrupted (by SIGINT, or by KeyboardInterrupt in the middle of writing) keeps the
  previous output file intact, with no temporary file left behind.

The fits run a small twin problem (Pacanowski–Philander, 32 levels, 48 h of 2-minute steps):
~45 ms per L-BFGS iteration, so a kill right after the first save lands mid-fit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from calib.cli.app import app
from tests.conftest_paths import ROOT

runner = CliRunner()

TRUTH = """\
name: twin
grid: {depth: 50, nz: 32}
time: {dt: 120 s, duration: 48 h, output_interval: 1 h, start: 2000-01-01}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35.0}
equation_of_state: {type: linear, rho0: 1027.0, alpha: 2.0e-4, beta: 0.0}
forcing: {latitude: 45, wind_stress_x: 0.1, heat_flux: -50}
closure: {name: pacanowski_philander}
"""
START = TRUTH.replace(
    "{name: pacanowski_philander}", "{name: pacanowski_philander, parameters: {nu0: 0.013, alpha: 3.5}}"
)
ITERATIONS = 25
OUTPUTS = ("report.txt", "history.json", "history.nc", "twin_fitted.yaml", "loss.png")


@pytest.fixture(scope="module")
def twin(tmp_path_factory) -> Path:
    """A folder with the truth run (obs.nc, written by `calib run`) and the start case."""
    folder = tmp_path_factory.mktemp("twin")
    (folder / "truth.yaml").write_text(TRUTH)
    (folder / "start.yaml").write_text(START)
    result = runner.invoke(app, ["run", str(folder / "truth.yaml"), "--out", str(folder / "obs.nc"), "-q"])
    assert result.exit_code == 0, result.output
    return folder


def fit_arguments(folder: Path, out: Path) -> list[str]:
    return [
        "fit", "--case", str(folder / "start.yaml"), "--obs", str(folder / "obs.nc"),
        "--params", "nu0,alpha", "--iterations", str(ITERATIONS), "--tolerance", "0",
        "--save-every", "1", "--no-uncertainty", "--out", str(out), "-q",
    ]  # fmt: skip


def start_command(arguments: list[str]) -> subprocess.Popen:
    """`python -m calib ARGUMENTS` in a fresh process (its own session, so signals reach only it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "calib", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 240.0) -> None:
    """Poll (every 2 ms) until `path` exists; fail if the process ends or time runs out first."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            output = process.communicate()
            pytest.fail(
                f"the process ended (code {process.returncode}) before {path.name} appeared: {output}"
            )
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{path.name} did not appear within {timeout:g} s")
        time.sleep(0.002)


def resume_record(out: Path) -> dict:
    """The resume files JSON, which must be complete, with its NPZ loadable."""
    record = json.loads((out / "resume.json").read_text())
    with np.load(out / "resume.npz") as arrays:
        assert np.all(np.isfinite(arrays["theta"]))
    return record


def assert_complete_or_absent(out: Path) -> None:
    """Each output is absent or complete (parseable)."""
    for name in OUTPUTS:
        path = out / name
        if not path.exists():
            continue
        if name.endswith(".json"):
            json.loads(path.read_text())
        elif name.endswith(".nc"):
            xr.load_dataset(path)
        elif name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert path.read_text().endswith("\n")


def history(out: Path) -> dict:
    return json.loads((out / "history.json").read_text())


@pytest.mark.slow
def test_fit_killed_after_resume_files_resumes_to_the_same_result(twin, tmp_path):
    killed = tmp_path / "killed"
    process = start_command(fit_arguments(twin, killed))
    wait_for(killed / "resume.json", process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    record = resume_record(killed)
    assert 1 <= record["iteration"] < ITERATIONS and record["status"] == "running"
    assert not (killed / "report.txt").exists()  # killed mid-fit, before any output
    assert_complete_or_absent(killed)

    again = runner.invoke(app, fit_arguments(twin, killed))  # refuses to overwrite the resume files
    assert again.exit_code == 2 and "--resume" in again.output

    resumed = runner.invoke(app, [*fit_arguments(twin, killed), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    whole = runner.invoke(app, fit_arguments(twin, tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output

    after, reference = history(killed), history(tmp_path / "whole")
    assert after["iterations"] == reference["iterations"] > record["iteration"]
    assert after["status"] == reference["status"]
    for name, value in reference["fitted"].items():
        assert after["fitted"][name] == pytest.approx(value, rel=1e-12, abs=0.0)
    np.testing.assert_allclose(
        [row["loss"] for row in after["history"]], [row["loss"] for row in reference["history"]], rtol=1e-12
    )
    assert reference["fitted"]["alpha"] == pytest.approx(5.0, rel=1e-3)  # the twin's truth
    assert_complete_or_absent(killed)


@pytest.mark.slow
def test_fit_stopped_with_ctrl_c_leaves_resume_files_and_no_partial_output(twin, tmp_path):
    out = tmp_path / "fit"
    process = start_command(fit_arguments(twin, out))
    wait_for(out / "resume.json", process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    if process.returncode == 0:  # the fit ended before the signal was handled: all outputs complete
        assert all((out / name).exists() for name in OUTPUTS)
    else:
        assert process.returncode == 130, (stdout, stderr)
        assert "interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
        record = resume_record(out)
        assert record["status"] in ("interrupted", "running") and record["iteration"] < ITERATIONS
    assert_complete_or_absent(out)


def test_fit_that_diverges_at_the_start_fails_cleanly(twin, tmp_path, monkeypatch):
    """A start point whose run blows up: one red line (exit 3, diverged), no output folder.

    A 1e200 Pa wind stress blows the run up; the plausibility check of the forcing, which refuses
    it when a case is built, is switched off here so that the run itself diverges."""
    from calib.config import inputs

    monkeypatch.setattr(inputs, "check_plausible", lambda *args, **kwargs: None)
    blowing_up = START.replace("wind_stress_x: 0.1", "wind_stress_x: 1.0e+200")
    (tmp_path / "start.yaml").write_text(blowing_up.replace("duration: 48 h", "duration: 6 h"))
    arguments = [
        "fit",
        "--case",
        str(tmp_path / "start.yaml"),
        "--obs",
        str(twin / "obs.nc"),
        "--params",
        "nu0",
    ]
    result = runner.invoke(app, [*arguments, "--out", str(tmp_path / "fit"), "--no-uncertainty", "-q"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 3 and len(lines) == 1 and "Traceback" not in result.output
    assert "the loss or its gradient is not finite at the starting parameters" in lines[0]
    assert not (tmp_path / "fit").exists()


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({}, "no saved fit to resume (resume.json missing)"),
        ({"resume.json": "{", "resume.npz": "x"}, "the saved fit cannot be read (JSONDecodeError"),
        ({"resume.json": "{}", "resume.npz": "x"}, "the saved fit cannot be read (KeyError"),
    ],
    ids=["absent", "truncated", "empty"],
)
def test_resume_from_missing_or_damaged_resume_files(twin, tmp_path, files, fragment):
    out = tmp_path / "fit"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    result = runner.invoke(app, [*fit_arguments(twin, out), "--resume"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and fragment in lines[0], result.output


# --- calib run -------------------------------------------------------------------------------

LONG_RUN = """\
grid: {depth: 50, nz: 64}
time: {dt: 10 s, duration: 200 days, output_interval: 6 h}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35.0}
forcing: {latitude: 45, wind_stress_x: 0.1, heat_flux: -50}
closure: k_epsilon
"""

SHORT_RUN = LONG_RUN.replace("duration: 200 days", "duration: 12 h").replace("nz: 64", "nz: 8")


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process (user + system, all threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("inf")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def previous_output(path: Path) -> bytes:
    """A small valid NetCDF standing for the output of an earlier run."""
    xr.Dataset({"T": (("time", "z"), [[1.0, 2.0]])}, coords={"time": [0.0], "z": [-2.0, -1.0]}).to_netcdf(
        path
    )
    return path.read_bytes()


@pytest.mark.slow
def test_run_interrupted_by_ctrl_c_keeps_the_previous_output(tmp_path):
    (tmp_path / "long.yaml").write_text(LONG_RUN)
    out = tmp_path / "long.nc"
    before = previous_output(out)
    process = start_command(["run", str(tmp_path / "long.yaml"), "--out", str(out), "--force", "-q"])
    while cpu_seconds(process.pid) < 8.0 and process.poll() is None:  # imports and compile: ~5 s
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    if process.returncode == 0:  # finished first: a complete new file
        assert xr.load_dataset(out).sizes["time"] == 801
    else:
        assert process.returncode in (130, -signal.SIGINT), (stdout, stderr)
        assert out.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_keyboard_interrupt_while_writing_keeps_the_previous_output(tmp_path, monkeypatch):
    case = tmp_path / "case.yaml"
    case.write_text(SHORT_RUN)
    out = tmp_path / "out.nc"
    before = previous_output(out)
    original = xr.Dataset.to_netcdf

    def interrupted(self, path, *args, **kwargs):
        original(self, path, *args, **kwargs)  # the temporary file is complete ...
        Path(path).write_bytes(Path(path).read_bytes()[:100])  # ... then half of it, and Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", interrupted)
    result = runner.invoke(app, ["run", str(case), "--out", str(out), "--force", "-q"])
    assert result.exit_code == 130 and "interrupted" in result.output
    assert out.read_bytes() == before and sorted(tmp_path.iterdir()) == [case, out]


def test_keyboard_interrupt_during_the_run_writes_nothing(tmp_path, monkeypatch):
    import calib.api.simulation

    case = tmp_path / "case.yaml"
    case.write_text(SHORT_RUN)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(calib.api.simulation, "run_chunks", interrupted)
    result = runner.invoke(app, ["run", str(case), "--out", str(tmp_path / "out.nc"), "-q"])
    assert result.exit_code == 130 and "no output was written" in result.output
    assert not (tmp_path / "out.nc").exists()


def test_fit_output_files_get_the_usual_permissions(tmp_path):
    from calib.io.files import write_text

    umask = os.umask(0o022)
    try:
        path = write_text(tmp_path / "report.txt", "done\n")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644  # mkstemp alone would give 0600
