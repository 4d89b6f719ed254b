"""`calib fit`: calibrate closure parameters against observations (wiring only; the work is
`calib.api.fitting`)."""

from pathlib import Path
from typing import Annotated

import typer

from calib.cli.app import (
    CacheDir,
    Debug,
    NoCache,
    Quiet,
    Reporter,
    Verbose,
    app,
    compilation_cache,
    console,
    friendly_errors,
    pick,
)

FIT_HELP = (
    "Fit closure parameters to observations with exact gradients (L-BFGS or Adam), or with ensemble "
    "Kalman inversion (--optimizer eki).\n\n"
    "--obs alone works for a file written by `calib run` (it records its case); otherwise name the "
    "case with --case (repeat --case/--obs in pairs to fit several cases at once). Defaults come from "
    "the case's `fit:` section (docs/case-format.md).\n\n"
    "Writes into --out: the fitted case YAML, history.nc/json, report.txt, loss/parameters/profiles "
    "(/landscape) PNGs, and resume files that --resume continues from after an interruption."
)


def _overrides(params, optimizer, iterations, tolerance, windows, weights, learning_rate, prior,
               save_every, landscape) -> dict:  # fmt: skip
    from calib.common.errors import ConfigError
    from calib.common.vocabulary import check_choice
    from calib.config import fit as settings

    if optimizer is not None:
        check_choice(optimizer, settings.OPTIMIZERS, "--optimizer", "optimiser")
    pair = settings.parse_names_option(landscape, "--landscape") if landscape else None
    parsed = [settings.parse_window_option(w) for w in windows or ()]
    if any(isinstance(w, float) for w in parsed) and len(parsed) > 1:
        raise ConfigError("--window: give either one LENGTH (e.g. 30days) or START,END pairs, not both")
    if pair is not None and len(pair) != 2:
        raise ConfigError(f"--landscape {landscape}: name exactly two parameters, e.g. --landscape nu0,alpha")
    return dict(
        parameters=settings.parse_names_option(params, "--params") if params else None,
        optimizer=optimizer,
        iterations=iterations,
        tolerance=tolerance,
        windows=tuple(w for w in parsed if isinstance(w, tuple)),
        window_length=next((w for w in parsed if not isinstance(w, tuple)), None),
        weights=settings.parse_weights_option(weights) if weights else None,
        learning_rate=learning_rate,
        prior=prior,
        save_every=save_every,
        landscape=pair,
    )


@app.command("fit", help=FIT_HELP)
@friendly_errors
def fit(
    obs: Annotated[list[Path] | None, typer.Option("--obs", help="Observation NetCDF (repeatable).")] = None,
    case: Annotated[list[Path] | None, typer.Option("--case", help="Case YAML (repeatable).")] = None,
    params: Annotated[
        str | None, typer.Option("--params", help="Parameters to fit, e.g. nu0,alpha (calib closures NAME).")
    ] = None,
    optimizer: Annotated[str | None, typer.Option(help="lbfgs (default), adam or eki.")] = None,
    iterations: Annotated[int | None, typer.Option(min=1, help="Most parameter updates.")] = None,
    tolerance: Annotated[float | None, typer.Option(min=0.0, help="Relative stop tolerance.")] = None,
    window: Annotated[
        list[str] | None,
        typer.Option("--window", help="START,END e.g. 0h,24h (repeatable), or LENGTH e.g. 30days."),
    ] = None,
    weights: Annotated[str | None, typer.Option(help="Variables and weights, e.g. T=1,u=0.5.")] = None,
    learning_rate: Annotated[float | None, typer.Option(min=0.0, help="Adam peak learning rate.")] = None,
    prior: Annotated[float | None, typer.Option(min=0.0, help="Weight of the pull toward the start.")] = None,
    save_every: Annotated[
        int | None, typer.Option("--save-every", min=1, help="Iterations between resume saves.")
    ] = None,
    checkpoint_every: Annotated[int | None, typer.Option("--checkpoint-every", min=1, hidden=True)] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default out/fit_CASE).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the fit saved in --out.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Start over even if --out holds a saved fit.")
    ] = False,
    landscape: Annotated[
        str | None, typer.Option(help="Also map the loss over two parameters: P1,P2.")
    ] = None,
    landscape_size: Annotated[int, typer.Option(min=3, help="Landscape points per axis.")] = 15,
    no_uncertainty: Annotated[
        bool, typer.Option("--no-uncertainty", help="Skip the Laplace estimate.")
    ] = False,
    cache_dir: CacheDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    from calib.cli.app import enable_float64

    enable_float64()
    compilation_cache(cache_dir, no_cache)
    from calib.api import fitting
    from calib.calibration.problem import describe, settings_of
    from calib.config.fit import with_overrides

    report = Reporter(quiet, verbose)
    save_every = pick(save_every, checkpoint_every, "--save-every", "--checkpoint-every")
    overrides = _overrides(params, optimizer, iterations, tolerance, window, weights, learning_rate, prior,
                           save_every, landscape)  # fmt: skip
    inputs = fitting.gather_inputs(list(case or []), list(obs or []))
    settings = with_overrides(settings_of(inputs[0].case), **overrides)
    out = out or Path("out") / f"fit_{inputs[0].case.name}"
    fitting.check_resume(out, resume, force)
    report.detail(f"settings: {settings}")
    try:
        calibration = fitting.calibrate_inputs(
            inputs, settings, uncertainty=not no_uncertainty, progress=False if quiet else console,
            resume_folder=out, resume=resume,
            on_problem=lambda problem, experiments: report.say(describe(problem, experiments)),
            on_note=lambda text: report.say(f"note: {text}"),
        )  # fmt: skip
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]: the fit so far is saved in the output folder; "
                      "run the same command with --resume to continue")  # fmt: skip
        raise typer.Exit(130) from None
    text = calibration.write(out, landscape_size=landscape_size)
    if not quiet:
        typer.echo(text + f"outputs in {out}/", nl=True)
