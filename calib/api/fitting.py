"""What `calib fit` does beyond parsing options: inputs -> fit -> uncertainty -> files.

Kept apart from `calib.cli.fit` so that module stays free of JAX.
"""

from __future__ import annotations

import time as clock
from pathlib import Path

import equinox as eqx
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from calib.calibration import outputs, plots
from calib.calibration import problem as setup
from calib.calibration import resume as checkpoint
from calib.calibration.calibrate import FitResult, calibrate
from calib.calibration.landscape import landscape, visited_values
from calib.calibration.monthly import monthly_table
from calib.calibration.uncertainty import laplace
from calib.common.errors import CalibError, ConfigError
from calib.config.fit import FITTABLE_VARIABLES, FitSettings, with_overrides


def gather_inputs(observations: list[Path], cases: list[Path]) -> list[setup.FitInput]:
    """Pair cases with observation files (see `calib fit --help`)."""
    if not observations and not cases:
        raise ConfigError(
            "calib fit: give --obs OBS.nc (a file written by calib run) and/or --case CASE.yaml"
        )
    if cases and observations and len(cases) != len(observations):
        raise ConfigError(
            f"calib fit: {len(cases)} --case but {len(observations)} --obs; "
            "give one observation file per case"
        )
    if cases:
        loaded = [setup.load_case_text(path) for path in cases]
    else:
        loaded = [setup.case_from_observations(path) for path in observations]
    paired = observations or [None] * len(loaded)
    return [setup.load_input(case, text, path) for (case, text), path in zip(loaded, paired, strict=True)]


def _progress(console: Console, total: int) -> Progress:
    return Progress(
        TextColumn("[bold]fitting"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} iterations  loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _run(problem, settings: FitSettings, out: Path, resume: bool, show: bool, console: Console) -> FitResult:
    if not show:
        return calibrate(problem, settings, out=out, resume=resume)
    with _progress(console, settings.iterations) as bar:
        task = bar.add_task("fit", total=settings.iterations, loss="(compiling)")

        def update(row: dict) -> None:
            bar.update(task, completed=min(row["iteration"], settings.iterations), loss=f"{row['loss']:.4g}")

        return calibrate(problem, settings, out=out, resume=resume, on_evaluation=update)


@eqx.filter_jit
def _predict(theta, problem):
    return problem.predictions(theta)


def per_experiment(problem, theta) -> list[dict[str, np.ndarray]]:
    """Model values of the fitted variables, one dict per experiment (in problem order)."""
    result = []
    for group, states in zip(problem.groups, _predict(theta, problem), strict=True):
        names = [n for n in FITTABLE_VARIABLES if getattr(group.targets, n) is not None]
        for member in range(group.start_step.shape[0]):
            result.append({n: np.asarray(getattr(states, n)[member]) for n in names})
    return result


def rms_errors(experiments, values: list[dict]) -> dict[str, float]:
    """RMS error per variable over every observed value (physical units)."""
    errors: dict[str, list] = {}
    for experiment, model in zip(experiments, values, strict=True):
        for name, array in model.items():
            observed = getattr(experiment.targets, name)
            seen = np.isfinite(observed)
            errors.setdefault(name, []).append((array - np.where(seen, observed, 0.0))[seen])
    return {name: float(np.sqrt(np.mean(np.concatenate(parts) ** 2))) for name, parts in errors.items()}


def write_outputs(
    out: Path, inputs, problem, experiments, settings, result, uncertainty, landscape_size
) -> str:
    """Every output file; returns the RMS error lines for the report."""
    trainable = problem.trainable
    units = {n: i.units for n, i in zip(trainable.names, trainable.info, strict=True)}
    path_values = result.history_values(problem)
    plots.plot_loss(out / "loss.png", result.minimum.history)
    plots.plot_parameters(out / "parameters.png", trainable.names, path_values, units)
    before = per_experiment(problem, problem.theta_start)
    after = per_experiment(problem, trainable.to_theta(result.fitted_values))
    variables = list(before[0])
    z = np.asarray(inputs[0].built.model.grid.z_centers)
    plots.plot_profiles(out / "profiles.png", experiments, before, after, variables, z)
    rms_before, rms_after = rms_errors(experiments, before), rms_errors(experiments, after)
    extra = "RMS error before -> after: " + ", ".join(
        f"{n} {rms_before[n]:.4g} -> {rms_after[n]:.4g} {plots.UNITS[n]}" for n in rms_before
    )
    monthly = monthly_table(experiments, before, after, z)
    if monthly:
        extra += "\n" + monthly
    if settings.landscape:
        fitted_problem = problem.with_closure_values(result.fitted_values)
        visited = visited_values(problem, path_values, settings.landscape)
        grid = landscape(fitted_problem, settings.landscape, visited, size=landscape_size)
        if grid.names != settings.landscape:
            visited = visited[:, ::-1]
        plots.plot_landscape(out / "landscape.png", grid, visited, units)
        extra += (
            f"\nloss landscape over {', '.join(grid.names)}: {landscape_size}x{landscape_size} runs "
            f"in {grid.wall_s:.1f} s (compile included)"
        )
    std = uncertainty.std if uncertainty is not None else None
    for item in inputs:
        outputs.write_fitted_case(item.case, item.case_text, result, out, std)
    outputs.write_history(out, result, problem, uncertainty, settings)
    return extra


def fit_command(
    observations: list[Path], cases: list[Path], overrides: dict, *, out: Path | None, resume: bool,
    force: bool, landscape_size: int, with_uncertainty: bool, show: bool, console: Console,
) -> str:  # fmt: skip
    """Run `calib fit` and return the report text (also written to OUT/report.txt)."""
    inputs = gather_inputs(observations, cases)
    settings = with_overrides(setup.settings_of(inputs[0].case), **overrides)
    problem, experiments = setup.build_problem(inputs, settings)
    out = out or Path("out") / f"fit_{inputs[0].case.name}"
    if checkpoint.exists(out) and not (resume or force):
        raise CalibError(
            f"{out}: holds the checkpoint of an earlier fit; pass --resume to continue it, --force to "
            "start over, or choose another --out"
        )
    if show:
        console.print(setup.describe(problem, experiments), highlight=False)
    result = _run(problem, settings, out, resume, show, console)
    started = clock.perf_counter()
    best = min((row for row in result.minimum.history if row["event"] == "ok"), key=lambda row: row["loss"])
    uncertainty = laplace(problem, result.fitted_values, best["gradient"]) if with_uncertainty else None
    extra = write_outputs(out, inputs, problem, experiments, settings, result, uncertainty, landscape_size)
    extra += f"\noutputs written in {clock.perf_counter() - started:.1f} s (uncertainty, plots, files)"
    report = outputs.report_text(result, problem, uncertainty, settings, extra)
    checkpoint.atomic_text(out / "report.txt", report)
    return report + f"outputs in {out}/\n"


__all__ = ["fit_command", "gather_inputs"]
