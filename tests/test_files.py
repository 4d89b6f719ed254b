"""Every write goes through `calib.io.files`: refuse to overwrite, write atomically, and turn any
failure to write (a full disk, a file size limit, no permission) into one line with exit code 2."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from calib.cli import app
from calib.common.errors import CalibError
from calib.io import files
from tests.conftest_paths import ROOT

CASE = """
grid: {depth: 50, nz: 40}
time: {dt: 60, duration: 2 h, output_interval: 10 min}
initial: {T: {type: linear, surface: 16.0, gradient: 0.05}, S: 35}
forcing: {wind_stress_x: 0.1}
closure: pacanowski_philander
"""
runner = CliRunner()


def one_line_error(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_check_outputs_refuses_existing_folders_and_duplicates(tmp_path):
    (tmp_path / "a.nc").write_text("x")
    with pytest.raises(CalibError, match="a.nc: exists; pass --force"):
        files.check_outputs(tmp_path / "a.nc")
    files.check_outputs(tmp_path / "a.nc", force=True)
    with pytest.raises(CalibError, match="is a folder"):
        files.check_outputs(tmp_path, force=True)
    with pytest.raises(CalibError, match="the same file for two outputs"):
        files.check_outputs(tmp_path / "b.nc", tmp_path / "." / "b.nc")


def test_atomic_writes_are_all_or_nothing(tmp_path):
    first, second = tmp_path / "one.txt", tmp_path / "two.txt"
    first.write_text("old")
    full = OSError(28, "No space left on device")
    with (
        pytest.raises(CalibError, match="two.txt: cannot write the file"),
        files.atomic_writes([first, second]) as (a, b),
    ):
        a.write_text("new")
        b.write_text("half")
        raise full
    assert first.read_text() == "old" and not second.exists() and sorted(tmp_path.iterdir()) == [first]
    files.write_text(second, "done")
    assert second.read_text() == "done" and oct(second.stat().st_mode & 0o777) != oct(0o600)


def test_a_full_disk_during_calib_run_is_one_line(tmp_path, monkeypatch):
    """The netCDF library reports a full disk as "NetCDF: HDF error": calib names the cause."""
    (tmp_path / "case.yaml").write_text(CASE)
    original = xr.Dataset.to_netcdf

    def disk_fills_up(self, path, *args, **kwargs):
        original(self, path, *args, **kwargs)
        Path(path).write_bytes(Path(path).read_bytes()[:500])  # what fitted on the disk
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", disk_fills_up)
    monkeypatch.setattr(files.shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9, 0))
    out = tmp_path / "out" / "run.nc"
    line = one_line_error(runner.invoke(app, ["run", str(tmp_path / "case.yaml"), "--out", str(out)]))
    assert f"error: {out}: cannot write the file (No space left on device (NetCDF: HDF error))" in line
    assert "free some disk space" in line
    assert not out.exists() and not list(out.parent.glob(".*"))


def _mount_tiny_tmpfs(folder: Path) -> bool:
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.parametrize("command", ["run", "fit"])
def test_a_really_full_disk_is_one_line(tmp_path, command):
    """A 16 KiB tmpfs: both `calib run` and `calib fit` say that the disk is full, and leave nothing."""
    tiny = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    if not _mount_tiny_tmpfs(tiny):
        pytest.skip("cannot mount a tmpfs here (not root or not permitted)")
    try:
        (tmp_path / "case.yaml").write_text(CASE)
        if command == "run":
            arguments = ["run", str(tmp_path / "case.yaml"), "--out", str(tiny / "run.nc"), "-q"]
        else:
            result = runner.invoke(
                app, ["run", str(tmp_path / "case.yaml"), "--out", str(tmp_path / "obs.nc"), "-q"]
            )
            assert result.exit_code == 0, result.output
            arguments = ["fit", "--case", str(tmp_path / "case.yaml"), "--obs", str(tmp_path / "obs.nc"),
                         "--params", "nu0", "--iterations", "2", "--no-uncertainty",
                         "--out", str(tiny / "fit"), "-q"]  # fmt: skip
        line = one_line_error(runner.invoke(app, arguments))
        assert "No space left on device" in line and "free some disk space" in line, line
        assert not [p for p in tiny.rglob("*") if p.is_file() and p.name.startswith(".")]  # no temporary left
    finally:
        subprocess.run(["umount", str(tiny)], check=False)


def test_a_file_size_limit_is_one_line(tmp_path):
    """RLIMIT_FSIZE makes the operating system refuse the write (EFBIG), as a quota would."""
    (tmp_path / "case.yaml").write_text(CASE)
    out = tmp_path / "run.nc"
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "from calib.cli import app\n"
        f"app(['run', {str(tmp_path / 'case.yaml')!r}, '--out', {str(out)!r}, '-q'])\n"
    )
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert process.returncode == 2, process.stderr[-2000:]
    assert len(lines) == 1 and "File too large" in lines[0] and "ulimit -f" in lines[0], lines
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_a_folder_without_permission_is_one_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    (tmp_path / "case.yaml").write_text(CASE)
    line = one_line_error(
        runner.invoke(app, ["run", str(tmp_path / "case.yaml"), "--out", str(locked / "x.nc")])
    )
    assert "Permission denied" in line
