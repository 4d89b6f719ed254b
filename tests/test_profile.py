"""Smoke tests of `calib profile-memory` and `calib check-grad` on tiny columns."""

import json

import pytest
from typer.testing import CliRunner

from calib.cli.app import app
from calib.perf import memory as profile

TINY = ["--nz", "4", "--closure", "pacanowski_philander"]


def test_profile_memory_writes_table_json_and_plot(tmp_path):
    json_path, plot_path = tmp_path / "profile.json", tmp_path / "profile.png"
    arguments = ["profile-memory", "--steps", "20,40", "--checkpoint", "recursive", "--mode", "reverse"]
    arguments += [*TINY, "--repeats", "1", "--json", str(json_path), "--plot", str(plot_path)]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "recursive" in result.output and "XLA temp" in result.output
    written = json.loads(json_path.read_text())
    rows = written["measurements"]
    assert [row["n_steps"] for row in rows] == [20, 40]
    assert all(row["status"] == "ok" and row["finite"] for row in rows)
    assert all(row["xla_temp_mib"] > 0 and row["compile_s"] > 0 and row["rss_end_mib"] > 0 for row in rows)
    assert len(rows[0]["gradient"]) == rows[0]["n_params"] == 6
    assert "reverse recursive 4" in written["growth_exponents"]["xla_temp_mib"]
    assert plot_path.stat().st_size > 10_000


def test_measurements_plan_forward_once_and_reverse_per_scheme():
    specs = profile.plan_measurements([400, 100], ["nested", "recursive"], ["forward", "reverse", "fd"], nz=4)
    assert [(s.n_steps, s.mode, s.scheme) for s in specs] == [
        (100, "forward", "none"),
        (100, "reverse", "nested"),
        (100, "reverse", "recursive"),
        (100, "fd", "none"),
        (400, "forward", "none"),
        (400, "reverse", "nested"),
        (400, "reverse", "recursive"),
        (400, "fd", "none"),
    ]


def test_ratios_and_growth_exponents():
    rows = [
        dict(mode="forward", scheme="none", n_steps=n, case=None, nz=4, run_s=1e-3 * n, xla_temp_mib=1.0)
        for n in (10, 100)
    ]
    rows += [
        dict(mode="reverse", scheme="step", n_steps=n, case=None, nz=4, run_s=4e-3 * n, xla_temp_mib=0.1 * n)
        for n in (10, 100)
    ]
    profile.add_ratios(rows)
    assert [row["time_over_forward"] for row in rows] == pytest.approx([1, 1, 4, 4])
    exponents = profile.growth_exponents(rows, "xla_temp_mib")
    assert exponents[("reverse", "step", 4)] == pytest.approx(1.0)
    assert exponents[("forward", "none", 4)] == pytest.approx(0.0, abs=1e-12)


def test_a_failing_worker_is_reported_not_raised():
    row = profile.run_in_subprocess(profile.Measurement(mode="reverse", scheme="bogus", n_steps=10, nz=4))
    assert row["status"].startswith("failed") and "bogus" in row["status"]


def test_check_grad_compares_three_modes():
    arguments = ["check-grad", *TINY, "--steps", "400", "--params", "nu0,alpha", "--fd-rtol", "1e-4"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    for text in ("nu0", "alpha", "reverse", "jacfwd", "fd", "rel. diff fd"):
        assert text in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["profile-memory", "--steps", "25", *TINY], "not a positive multiple of the output interval"),
        (["profile-memory", "--checkpoint", "binomial", *TINY], "--checkpoint binomial: unknown value"),
        (
            ["profile-memory", "--schemes", "binomial", *TINY],
            "--checkpoint binomial: unknown value",
        ),  # old name
        (["profile-memory", "--steps", "ten"], "cannot read 'ten' as one of comma-separated integers"),
        (["check-grad", "--steps", "10", "--nt", "10"], "--nt is the old name of --steps; give only --steps"),
        (["check-grad", "--closure", "nope"], "--closure nope: unknown closure"),
        (["check-grad", *TINY, "--params", "nu1"], "has no parameter 'nu1'"),
        (["check-grad", "missing.yaml"], "missing.yaml: no such case file"),
    ],
)
def test_user_mistakes_are_one_line_errors(arguments, message):
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
