"""One SST and one MLD: on the same OWS Papa run, the run summary, the figure of `calib plot`, the
table of `calib compare` and the monthly table of a fit report give the same numbers."""

import re

import numpy as np
import pytest
from typer.testing import CliRunner

import calib
from calib.analysis import compare, diagnostics
from calib.analysis.plotting import comparison_figure
from calib.calibration.monthly import monthly_rows, monthly_table
from calib.calibration.problem import build_problem, load_input, predicted
from calib.cli import app
from calib.config.fit import FitSettings
from tests.conftest_paths import CASES, DATA


@pytest.fixture(scope="module")
def papa(tmp_path_factory):
    """OWS Papa from 2012-03-21 for 72 days (all of April and May), written as `calib run` writes it."""
    folder = tmp_path_factory.mktemp("papa")
    text = (CASES / "ows_papa_2012.yaml").read_text().replace("duration: 365 days", "duration: 72 days")
    case = calib.parse_case(text, source=str(CASES / "ows_papa_2012.yaml"), base_dir=CASES)
    ds = calib.run(case)
    calib.write_dataset(ds, folder / "run.nc")
    return case, ds, folder / "run.nc", calib.load_observations(DATA / "ows_papa_2012_obs.nc")


def test_summary_plot_compare_and_fit_report_agree(papa):
    case, ds, path, observations = papa
    series = diagnostics.surface_series(ds)
    sst, mld = series["sst"].values, series["mld"].values

    summary = calib.summary(ds)  # the paragraph `calib run` prints
    final_sst = float(re.search(r"Final SST (-?[\d.]+) °C", summary).group(1))
    final_mld = float(re.search(r"mixed-layer depth ([\d.]+) m", summary).group(1))
    assert final_sst == pytest.approx(sst[-1], abs=5e-4) and final_mld == pytest.approx(mld[-1], abs=0.05)
    assert diagnostics.definitions() in summary

    figure = comparison_figure(ds, observations)  # what `calib plot` draws
    sst_axes, mld_axes = figure.axes[0], figure.axes[1]
    np.testing.assert_array_equal(sst_axes.lines[0].get_ydata(), sst)
    np.testing.assert_array_equal(mld_axes.lines[0].get_ydata(), mld)
    assert sst_axes.get_title(loc="left") == diagnostics.definitions()

    rows = {row.month: row for row in compare.monthly_comparison(ds, observations)}  # `calib compare`
    april = (ds["time"].values >= np.datetime64("2012-04-01")) & (
        ds["time"].values < np.datetime64("2012-05-01")
    )
    assert list(rows) == ["2012-04", "2012-05"]
    assert rows["2012-04"].model_sst == pytest.approx(sst[april].mean(), rel=1e-12)
    assert rows["2012-04"].model_mld == pytest.approx(mld[april].mean(), rel=1e-12)
    observed_series = diagnostics.surface_series(observations)
    in_april = (observed_series["time"].values >= np.datetime64("2012-04-01")) & (
        observed_series["time"].values < np.datetime64("2012-05-01")
    )
    assert rows["2012-04"].observed_sst == pytest.approx(np.nanmean(observed_series["sst"].values[in_april]))

    problem, experiments = build_problem([load_input(case, path)], FitSettings(parameters=("c_epsilon1",)))
    before = predicted(problem, problem.theta_start)  # what the fit report's "before" column uses
    fit_rows = monthly_rows(experiments, before, before, np.asarray(ds["z"].values))
    april = fit_rows[np.datetime64("2012-04")]  # the fit runs the model batched: equal to rounding
    assert april["before_sst"] == pytest.approx(rows["2012-04"].model_sst, abs=1e-6)
    assert april["before_mld"] == pytest.approx(rows["2012-04"].model_mld, abs=1e-3)
    table = compare.monthly_table(list(rows.values()))
    assert f"| 2012-04 | {rows['2012-04'].model_sst:.2f} |" in table


def test_compare_command_prints_the_definitions(papa):
    _, _, path, _ = papa
    result = CliRunner().invoke(app, ["compare", str(path), str(DATA / "ows_papa_2012_obs.nc")])
    assert result.exit_code == 0, result.output
    assert diagnostics.definitions() in result.output and "| 2012-04 |" in result.output


def test_fit_report_table_uses_the_same_definitions(papa):
    case, ds, path, observations = papa
    problem, experiments = build_problem([load_input(case, path)], FitSettings(parameters=("c_epsilon1",)))
    before = predicted(problem, problem.theta_start)
    text = monthly_table(experiments, before, before, np.asarray(ds["z"].values))
    rows = {row.month: row for row in compare.monthly_comparison(ds, observations)}
    assert diagnostics.definitions() in text
    for month, row in rows.items():
        line = next(line for line in text.splitlines() if line.startswith(month))
        assert f"{row.model_sst:.2f} -> {row.model_sst:.2f}" in line and f"{row.model_mld:.0f} -> " in line
