"""Files a fit writes into its output folder (every one atomically: temporary name, rename).

- ``<case>_fitted.yaml``: the case with the fitted closure parameters, ready for `calib run`
  (relative file paths rewritten relative to the output folder);
- ``history.nc`` and ``history.json``: loss, gradient norm and parameters per evaluation,
  with the start, the optimum, standard deviations, correlations and sensitivities;
- ``report.txt``: a short human summary (what was fitted, how it went, the parameter table);
- PNG plots (`calib.calibration.plots`) and ``checkpoint.*`` (`calib.calibration.resume`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from calib.calibration.loss import Problem
from calib.calibration.optimise import status_sentence
from calib.calibration.result import FitResult
from calib.calibration.uncertainty import Uncertainty, table
from calib.common.history import history_line
from calib.config import Case, rebase_paths
from calib.config.reader import load_yaml
from calib.core.params import parameter_info
from calib.io import cf
from calib.io.files import write_text
from calib.io.netcdf import write_dataset

_GRADIENT = "norm of the loss gradient in unconstrained space"
_ACCEPTED = "1 = finite loss, 0 = rejected (back-off)"


def fitted_case_text(case: Case, values: dict[str, float], out_dir: Path, header: str) -> str:
    """YAML of the case with `values` as closure parameters, runnable from `out_dir`."""
    data = load_yaml(case.text, case.source) or {}
    closure = data.get("closure")
    closure = {"name": closure} if isinstance(closure, str) else dict(closure or {})
    parameters = dict(closure.get("parameters") or {})
    parameters.update({name: float(value) for name, value in values.items()})
    closure["parameters"] = parameters
    data["closure"] = closure
    data = rebase_paths(data, Path(case.base_dir), Path(out_dir))
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_fitted_case(case: Case, result: FitResult, out_dir: Path, std=None) -> Path:
    """Write ``<case>_fitted.yaml`` into out_dir."""
    lines = [f"Fitted by calib fit: loss {result.loss_start:.4g} -> {result.loss_end:.4g} "
             f"({result.minimum.status}, {result.minimum.iterations} iterations)."]  # fmt: skip
    for i, name in enumerate(result.names):
        spread = f" ± {std[i]:.3g}" if std is not None else ""
        lines.append(f"{name}: {result.start_values[i]:.6g} -> {result.fitted_values[i]:.6g}{spread}")
    text = fitted_case_text(case, dict(zip(result.names, result.fitted_values, strict=True)),
                            out_dir, "\n".join(lines))  # fmt: skip
    return write_text(Path(out_dir) / f"{case.name}_fitted.yaml", text)


def _finite(value):
    return value if isinstance(value, float) and math.isfinite(value) else None


def history_dataset(result: FitResult, problem: Problem, uncertainty: Uncertainty | None) -> xr.Dataset:
    """The optimiser's path as a Dataset (dims evaluation, parameter; the names of the parameters in
    the `parameter_name` coordinate: CF allows only numbers in a coordinate variable)."""
    rows = result.minimum.history
    values = result.history_values(problem)
    units = {
        name: info.units for name, info in zip(problem.trainable.names, problem.trainable.info, strict=True)
    }
    column = lambda key: [row[key] for row in rows]  # noqa: E731
    ds = xr.Dataset(
        {
            "loss": ("evaluation", column("loss"), {"units": "1", "long_name": "loss"}),
            "gradient_norm": ("evaluation", column("gradient_norm"), {"units": "1", "long_name": _GRADIENT}),
            "iteration": (
                "evaluation",
                np.asarray(column("iteration"), dtype=np.int32),
                {"units": "1", "long_name": "parameter updates so far"},
            ),
            "accepted": (
                "evaluation",
                np.asarray([e == "ok" for e in column("event")], dtype=np.int8),
                {"units": "1", "long_name": _ACCEPTED},
            ),
            "elapsed": ("evaluation", column("elapsed_s"), {"units": "s", "long_name": "run time"}),
            "value": (("evaluation", "parameter"), values, {"long_name": "parameter value"}),
            "start": ("parameter", result.start_values, {"long_name": "starting value"}),
            "fitted": ("parameter", result.fitted_values, {"long_name": "fitted value"}),
        },
        coords={
            "parameter_name": ("parameter", list(result.names), {"long_name": "name of the parameter"}),
            "parameter_units": (
                "parameter",
                [units[name] for name in result.names],
                {"long_name": "units of the parameter (of value, start, fitted, std)"},
            ),
        },
    )
    for i, name in enumerate(result.names):
        ds[name] = ("evaluation", values[:, i], {"units": units[name], "long_name": f"{name} along the fit"})
    if uncertainty is not None:
        ds["std"] = ("parameter", uncertainty.std, {"long_name": "Laplace standard deviation"})
        ds["sensitivity"] = (
            "parameter",
            uncertainty.sensitivity,
            {"units": "1", "long_name": "|p| ||dr/dp||"},
        )
        correlation = {"units": "1", "long_name": "Laplace correlation of the parameters"}
        ds["correlation"] = (("parameter", "parameter_2"), uncertainty.correlation, correlation)
    ds.attrs = dict(title="calib fit: loss and parameters per evaluation",
                    history=history_line("calib.fit"), status=result.minimum.status,
                    loss_start=result.loss_start, loss_end=result.loss_end,
                    compile_s=result.minimum.compile_s, run_s=result.minimum.run_s,
                    experiments="; ".join(problem.labels))  # fmt: skip
    summary = (f"Calibration of the {type(problem.groups[0].model.closure).name} closure's parameters by "
               f"calib fit against {runs_summary(problem.labels)}: loss, gradient norm and parameter "
               "values at each evaluation of the model, start and fitted values")  # fmt: skip
    return cf.finalize(ds, summary=summary, content="auxiliaryInformation", feature_type=None,
                       processing_level="parameter estimates of a model calibration (calib fit)")  # fmt: skip


def history_json(result: FitResult, problem: Problem, uncertainty: Uncertainty | None, settings) -> str:
    """The same content as history.nc as JSON (non-finite numbers as null)."""
    values = result.history_values(problem)
    rows = [
        dict(iteration=row["iteration"], loss=_finite(row["loss"]),
             gradient_norm=_finite(row["gradient_norm"]), event=row["event"], elapsed_s=row["elapsed_s"],
             parameters=dict(zip(result.names, map(float, values[i]), strict=True)))
        for i, row in enumerate(result.minimum.history)
    ]  # fmt: skip
    record = dict(
        status=result.minimum.status, iterations=result.minimum.iterations,
        optimizer=settings.optimizer, tolerance=settings.tolerance, experiments=list(problem.labels),
        loss_start=result.loss_start, loss_end=result.loss_end,
        compile_s=result.minimum.compile_s, run_s=result.minimum.run_s, wall_s=result.wall_s,
        start=dict(zip(result.names, map(float, result.start_values), strict=True)),
        fitted=dict(zip(result.names, map(float, result.fitted_values), strict=True)),
        history=rows,
    )  # fmt: skip
    if uncertainty is not None:
        record["std"] = {n: _finite(float(s)) for n, s in zip(result.names, uncertainty.std, strict=True)}
        record["correlation"] = np.nan_to_num(uncertainty.correlation).tolist()
        record["sensitivity"] = dict(zip(result.names, map(float, uncertainty.sensitivity), strict=True))
    return json.dumps(record, indent=1)


def runs_summary(labels: tuple[str, ...]) -> str:
    """'case [0 h, 48 h]' for single runs, 'case (12 windows)' for windowed cases."""
    by_case: dict[str, list[str]] = {}
    for label in labels:
        by_case.setdefault(label.split(" [")[0], []).append(label)
    return ", ".join(
        runs[0] if len(runs) == 1 else f"{case} ({len(runs)} windows)" for case, runs in by_case.items()
    )


def _bound_notes(result: FitResult, info) -> list[str]:
    """A line for each fitted value within 0.1 % of the range from a bound."""
    notes = []
    for name, value in zip(result.names, result.fitted_values, strict=True):
        lower, upper = info[name].lower, info[name].upper
        margin = 1e-3 * (upper - lower)
        side = "lower" if value - lower < margin else "upper" if upper - value < margin else None
        if side:
            notes.append(
                f"note: {name} ended at its {side} bound; the data push it further (its standard "
                "deviation is meaningless there): widen the bound only if physics allows"
            )
    return notes


def report_text(
    result: FitResult,
    problem: Problem,
    uncertainty: Uncertainty | None,
    settings,
    extra: str = "",
    *,
    timings: dict | None = None,
    closures: dict | None = None,
) -> str:
    """A short text report: what was fitted, why it stopped, what each stage cost, the parameters,
    the closure's calibration relations before and after, and the uncertainty."""
    minimum = result.minimum
    closure = problem.groups[0].model.closure
    info = parameter_info(closure)
    timings = timings or dict(compile=minimum.compile_s, iterations=minimum.run_s)
    stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in timings.items())
    sentence = status_sentence(minimum.status, tolerance=settings.tolerance, iterations=settings.iterations,
                               optimizer=settings.optimizer)  # fmt: skip
    chosen = "" if settings.parameters else f" (the default calibration set of {type(closure).name})"
    lines = [
        f"calib fit: {type(closure).name} closure, {settings.optimizer}, {runs_summary(problem.labels)}",
        f"fitted: {', '.join(result.names)}{chosen}",
        f"{sentence}, after {minimum.iterations} iterations and {minimum.evaluations} "
        "evaluations of the model",
        f"loss: {result.loss_start:.6g} -> {result.loss_end:.6g} "
        f"({result.loss_end / result.loss_start if result.loss_start else math.nan:.3g} of the start)",
        f"time: {stages} (wall of the minimisation {result.wall_s:.1f} s)",
        "",
        f"{'parameter':<24}{'start':>13}{'fitted':>13}  bounds",
    ]
    for i, name in enumerate(result.names):
        lines.append(f"{name:<24}{result.start_values[i]:>13.6g}{result.fitted_values[i]:>13.6g}  "
                     f"[{info[name].lower:g}, {info[name].upper:g}] {info[name].units}")  # fmt: skip
    lines += _bound_notes(result, info)
    if closures:
        lines += ["", "calibration relations of the closure (start -> fitted):"]
        for key, before in closures["start"].items():
            lines.append(f"  {key:<20}{before:>10.4g} -> {closures['fitted'][key]:<10.4g}")
    if uncertainty is not None:
        lines += ["", f"Gauss–Newton (Laplace) estimate from {uncertainty.n_observations} observations, "
                  f"misfit variance {uncertainty.misfit_variance:.3g}:",
                  table(uncertainty, {n: info[n].units for n in result.names})]  # fmt: skip
    if extra:
        lines += ["", extra]
    return "\n".join(lines) + "\n"


def write_history(out_dir: Path, result: FitResult, problem: Problem, uncertainty, settings) -> None:
    """history.nc, history.json and report.txt."""
    out_dir = Path(out_dir)
    write_dataset(history_dataset(result, problem, uncertainty), out_dir / "history.nc", force=True)
    write_text(out_dir / "history.json", history_json(result, problem, uncertainty, settings))
