"""Calibration from Python: `fit` returns a `Calibration` (fitted values, fitted case, history
Dataset, uncertainty, report) that `Calibration.write` turns into the files `calib fit` writes.

    result = calib.fit("cases/kato_phillips.yaml", "out/kato_phillips.nc", parameters=["c_epsilon1"])
    result.parameters        # {"c_epsilon1": 1.43...}
    result.history           # xr.Dataset: loss and parameters per evaluation
    calib.run(result.fitted_case)

`calib fit` is `gather_inputs` -> `calibrate_inputs` (with resume files in its output folder) ->
`Calibration.write`.
"""

from __future__ import annotations

import dataclasses
import time as clock
import warnings
from collections.abc import Sequence
from pathlib import Path

import jax
import numpy as np
import xarray as xr

from calib import config
from calib.api.simulation import CaseLike, as_case, require_float64
from calib.calibration import outputs, plots
from calib.calibration import problem as setup
from calib.calibration import resume as resume_files
from calib.calibration.calibrate import InertParameters, calibrate, evaluation_at
from calib.calibration.landscape import landscape, visited_values
from calib.calibration.loss import Problem, loss_and_outputs, misfit_of
from calib.calibration.monthly import monthly_table
from calib.calibration.optimise import compile_evaluation
from calib.calibration.result import FitResult
from calib.calibration.targets import LOGARITHMIC
from calib.calibration.uncertainty import Uncertainty, laplace
from calib.common.errors import CalibError, ConfigError
from calib.common.vocabulary import PROGNOSTIC, display_units
from calib.config.fit import FitSettings, parse_fit_section, with_overrides
from calib.io.files import write_text

ObservationsLike = str | Path | xr.Dataset


def _listed(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def gather_inputs(cases, observations) -> list[setup.FitInput]:
    """Pair cases with observations (see `fit`): one observation source per case, or cases
    read from observation files written by `calib run`, or observations from the cases'
    ``fit.observations``."""
    cases, observations = _listed(cases), _listed(observations)
    if not observations and not cases:
        raise ConfigError(
            "calib fit: give --obs OBS.nc (a file written by calib run) and/or --case CASE.yaml"
        )
    if cases and observations and len(cases) != len(observations):
        raise ConfigError(
            f"calib fit: {len(cases)} --case but {len(observations)} --obs; "
            "give one observation file per case"
        )
    loaded = [as_case(case) for case in cases] or [setup.case_from_observations(o) for o in observations]
    paired = observations or [None] * len(loaded)
    return [setup.load_input(case, source) for case, source in zip(loaded, paired, strict=True)]


@dataclasses.dataclass
class Calibration:
    """A finished fit (see the module docstring).

    Attributes:
        inputs: the cases and their observations.
        settings: the calibration settings used.
        problem: the loss and its data (`calib.calibration.loss.Problem`).
        experiments: the runs compared with observations, in the problem's order.
        result: the optimiser's result (history, status, timings).
        uncertainty: the Laplace estimate at the optimum, or None.
        timings: seconds of each stage: compile, iterations, uncertainty (outputs: set by `write`).
        relations: the closure's calibration relations before and after (`consistency`, cached).
    """

    inputs: list[setup.FitInput]
    settings: FitSettings
    problem: Problem
    experiments: list
    result: FitResult
    uncertainty: Uncertainty | None
    timings: dict = dataclasses.field(default_factory=dict)
    relations: dict | None = dataclasses.field(default=None, repr=False)

    @property
    def parameters(self) -> dict[str, float]:
        """Fitted value of every fitted parameter."""
        return dict(zip(self.result.names, map(float, self.result.fitted_values), strict=True))

    @property
    def start(self) -> dict[str, float]:
        """Starting value of every fitted parameter."""
        return dict(zip(self.result.names, map(float, self.result.start_values), strict=True))

    @property
    def fitted_cases(self) -> list[config.Case]:
        """Every case with the fitted parameter values (ready for `calib.run`)."""
        return [config.with_closure(item.case, parameters=self.parameters) for item in self.inputs]

    @property
    def fitted_case(self) -> config.Case:
        """The (first) case with the fitted parameter values."""
        return self.fitted_cases[0]

    @property
    def history(self) -> xr.Dataset:
        """Loss, gradient norm and parameter values per evaluation (what history.nc holds)."""
        return outputs.history_dataset(self.result, self.problem, self.uncertainty)

    def evaluation(self, fitted: bool = True):
        """The fit's compiled evaluation at the optimum (or the start): loss, gradient, residuals
        and predictions, kept from the minimisation (evaluated again only after --resume)."""
        minimum = self.result.minimum
        kept = minimum.best if fitted else minimum.start
        if kept is not None and kept.aux is not None:
            return kept
        theta = np.asarray(minimum.theta) if fitted else np.asarray(self.problem.theta_start)
        return evaluation_at(self.problem, theta)

    def predictions(self, fitted: bool = True) -> list[dict[str, np.ndarray]]:
        """Model values of the fitted variables, one dict per experiment (fitted or start values)."""
        return setup.values_of(self.problem, self.evaluation(fitted).aux[1])

    def rms_errors(self, fitted: bool = True) -> dict[str, float]:
        """RMS model - observed error per variable over every observed value (physical units;
        decades of log10 for epsilon, `rms_units`)."""
        errors: dict[str, list] = {}
        for experiment, model in zip(self.experiments, self.predictions(fitted), strict=True):
            for name, array in model.items():
                observed = np.asarray(getattr(experiment.targets, name))
                seen = np.isfinite(observed)
                errors.setdefault(name, []).append(np.asarray(misfit_of(name, array, observed))[seen])
        return {name: float(np.sqrt(np.mean(np.concatenate(parts) ** 2))) for name, parts in errors.items()}

    def report(self, extra: str = "") -> str:
        """The text report (what report.txt holds)."""
        return outputs.report_text(self.result, self.problem, self.uncertainty, self.settings, extra,
                                   timings=self.timings, closures=self.consistency())  # fmt: skip

    def consistency(self) -> dict | None:
        """{"start": ..., "fitted": ...} of the closure's calibration relations (implied kappa,
        Ri_st, c_mu0; closures that define `consistency`), or None."""
        if self.relations is not None:
            return self.relations
        closure = self.problem.groups[0].model.closure
        if not hasattr(closure, "consistency"):
            return None
        trainable = self.problem.trainable
        start = trainable.apply_values(closure, self.result.start_values)
        fitted = trainable.apply_values(closure, self.result.fitted_values)
        first = jax.tree.map(lambda x: x[0] if getattr(x, "ndim", 0) > 0 else x, start)
        second = jax.tree.map(lambda x: x[0] if getattr(x, "ndim", 0) > 0 else x, fitted)
        self.relations = {"start": first.consistency(), "fitted": second.consistency()}
        return self.relations

    def write(self, out: str | Path, *, landscape_size: int = 15) -> str:
        """Write every output of `calib fit` into the folder `out` (atomically, file by file):
        the fitted case YAML, history.nc/json, report.txt and the PNG figures. Returns the report."""
        out = Path(out)
        started = clock.perf_counter()
        problem, result, trainable = self.problem, self.result, self.problem.trainable
        units = {n: i.units for n, i in zip(trainable.names, trainable.info, strict=True)}
        path_values = result.history_values(problem)
        plots.plot_loss(out / "loss.png", result.minimum.history)
        plots.plot_parameters(out / "parameters.png", trainable.names, path_values, units)
        before, after = self.predictions(fitted=False), self.predictions(fitted=True)
        z = np.asarray(self.inputs[0].built.model.grid.z_centers)
        profiles = [name for name in before[0] if name in PROGNOSTIC]  # at the cell centres
        if profiles:
            plots.plot_profiles(out / "profiles.png", self.experiments, before, after, profiles, z)
        rms_before, rms_after = self.rms_errors(False), self.rms_errors(True)
        extra = "RMS error before -> after: " + ", ".join(
            f"{n} {rms_before[n]:.4g} -> {rms_after[n]:.4g} {rms_units(n)}" for n in rms_before
        )
        monthly = monthly_table(self.experiments, before, after, z)
        if monthly:
            extra += "\n" + monthly
        if self.settings.landscape:
            fitted_problem = problem.with_closure_values(result.fitted_values)
            visited = visited_values(problem, path_values, self.settings.landscape)
            grid = landscape(fitted_problem, self.settings.landscape, visited, size=landscape_size)
            if grid.names != self.settings.landscape:
                visited = visited[:, ::-1]
            plots.plot_landscape(out / "landscape.png", grid, visited, units)
            extra += (
                f"\nloss landscape over {', '.join(grid.names)}: {landscape_size}x{landscape_size} runs "
                f"in {grid.wall_s:.1f} s (compile included)"
            )
        std = self.uncertainty.std if self.uncertainty is not None else None
        for item in self.inputs:
            outputs.write_fitted_case(item.case, result, out, std)
        outputs.write_history(out, result, problem, self.uncertainty, self.settings)
        self.timings["outputs"] = clock.perf_counter() - started
        report = self.report(extra)
        write_text(out / "report.txt", report)
        return report


def rms_units(name: str) -> str:
    """Units of a variable's RMS error: decades for the log10-fitted ones, else its own."""
    return "decades (log10)" if name in LOGARITHMIC else display_units(name)


def _progress(progress, total: int):
    """(on_evaluation callback or None, bar or None) for a rich progress bar."""
    if not progress:
        return None, None
    from calib.api.progress import progress_bar

    bar = progress_bar("fitting", total, "iterations", console=None if progress is True else progress,
                       extra="loss {task.fields[loss]}")  # fmt: skip
    task = bar.add_task("fit", total=total, loss="(compiling)")

    def update(row: dict) -> None:
        bar.update(task, completed=min(row["iteration"], total), loss=f"{row['loss']:.4g}")

    return update, bar


def calibrate_inputs(
    inputs: list[setup.FitInput],
    settings: FitSettings,
    *,
    uncertainty: bool = True,
    progress=False,
    resume_folder: Path | None = None,
    resume: bool = False,
    on_problem=None,
    on_note=None,
) -> Calibration:
    """Build the problem of `inputs`, minimise it, and estimate the uncertainty.

    Args:
        resume_folder: where the fit keeps its resume files (`calib.calibration.resume`), or None.
        resume: continue the fit saved in `resume_folder`.
        on_problem: called with (problem, experiments) before the minimisation (a summary line).
        on_note: called with a sentence the user should read (default: a Python warning).
    """
    def minimised(settings):
        problem, experiments = setup.build_problem(inputs, settings)
        if on_problem is not None:
            on_problem(problem, experiments)
        update, bar = _progress(progress, settings.iterations)
        if bar is None:
            return problem, experiments, calibrate(problem, settings, out=resume_folder, resume=resume)
        with bar:
            result = calibrate(problem, settings, out=resume_folder, resume=resume, on_evaluation=update)
        return problem, experiments, result

    try:
        problem, experiments, result = minimised(settings)
    except InertParameters as error:
        # the closure's default set names what usually matters; a member that cannot act in this
        # case (a wind coefficient without wind) is left out and said so, named ones are refused
        defaults = setup.default_parameters(inputs[0].built.model.closure)
        remaining = tuple(name for name in defaults if name not in error.names)
        if settings.parameters or not remaining:
            raise
        note = (f"{', '.join(error.names)}: no effect in this case (exactly zero gradient), left out of "
                f"the default calibration set; fitting {', '.join(remaining)}")  # fmt: skip
        (on_note or (lambda text: warnings.warn(text, stacklevel=3)))(note)
        settings = with_overrides(settings, parameters=remaining)
        problem, experiments, result = minimised(settings)
    timings = dict(compile=result.minimum.compile_s, iterations=result.minimum.run_s)
    calibration = Calibration(inputs, settings, problem, experiments, result, None, timings)
    if uncertainty:
        started = clock.perf_counter()
        evaluate, compile_s = compile_evaluation(loss_and_outputs, problem, problem.theta_start)
        calibration.uncertainty = laplace(problem, calibration.evaluation(fitted=True), evaluate)
        timings["uncertainty"] = clock.perf_counter() - started
        timings["compile"] += compile_s  # EKI: the gradient is compiled for the estimate only
    return calibration


def fit(
    case: CaseLike | Sequence[CaseLike] | None = None,
    observations: ObservationsLike | Sequence[ObservationsLike] | None = None,
    *,
    parameters: Sequence[str] | None = None,
    optimizer: str | None = None,
    iterations: int | None = None,
    tolerance: float | None = None,
    windows=None,
    weights: dict[str, float] | None = None,
    learning_rate: float | None = None,
    prior: float | None = None,
    uncertainty: bool = True,
    progress=False,
) -> Calibration:
    """Calibrate closure parameters against observations with exact gradients.

    Args:
        case: a case (Case or YAML path), or a list of cases fitted together (one closure).
        observations: for each case an observation NetCDF path or an `xr.Dataset` (what
            `calib.run` returns, or `calib.load_observations`); None: the cases' own
            ``fit.observations``; with no case, observation files written by `calib run`,
            which record their case.
        parameters: (dotted) closure parameters to fit (default: the case's ``fit.parameters``).
        optimizer: "lbfgs" (default), "adam" or "eki".
        iterations, tolerance, learning_rate, prior: as the ``fit:`` keys of a case
            (docs/case-format.md).
        windows: [[start, end], ...] (durations such as "24 h", seconds or ISO dates) or
            {"every": "30 days"}.
        weights: variable -> weight, e.g. {"T": 1, "u": 0.5}.
        uncertainty: also estimate the Laplace (Gauss–Newton) uncertainty.
        progress: show a progress bar (True, or a rich Console to draw on).

    Returns:
        A `Calibration`; `.write(folder)` writes what `calib fit` writes.
    """
    require_float64()
    inputs = gather_inputs(case, observations)
    given = dict(parameters=list(parameters) if parameters is not None else None, optimizer=optimizer,
                 iterations=iterations, tolerance=tolerance, windows=windows, weights=weights,
                 learning_rate=learning_rate, prior=prior)  # fmt: skip
    given = {key: value for key, value in given.items() if value is not None}
    chosen = parse_fit_section(given, "calib.fit()", Path.cwd()) if given else FitSettings()
    names = {"windows": ("windows", "window_length")}
    fields = [field for key in given for field in names.get(key, (key,))]
    settings = with_overrides(setup.settings_of(inputs[0].case), **{f: getattr(chosen, f) for f in fields})
    return calibrate_inputs(inputs, settings, uncertainty=uncertainty, progress=progress)


def check_resume(out: Path, resume: bool, force: bool) -> None:
    """An output folder holding the resume files of an earlier fit needs --resume or --force."""
    if resume_files.exists(out) and not (resume or force):
        raise CalibError(
            f"{out}: holds the resume files of an earlier fit; pass --resume to continue it, --force to "
            "start over, or choose another --out"
        )


__all__ = ["Calibration", "calibrate_inputs", "check_resume", "fit", "gather_inputs"]
