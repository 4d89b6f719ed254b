"""`calib fit`: calibrate closure parameters against observations (wiring only).

No JAX at module level (`calib --help` stays instant); the work is `calib.api.fitting`. No
``from __future__ import annotations``: typer evaluates the annotations that use `register`'s
arguments.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

FIT_HELP = (
    "Fit closure parameters to observations with exact gradients (optax L-BFGS or Adam).\n\n"
    "--obs alone works for a file written by `calib run` (it records its case); otherwise name the "
    "case with --case (repeat --case/--obs in pairs to fit several cases at once). Defaults come from "
    "the case's `fit:` section (keys documented in calib/fit/settings.py).\n\n"
    "Writes into --out: the fitted case YAML, history.nc/json, report.txt, loss/parameters/profiles "
    "(/landscape) PNGs and a checkpoint that --resume continues from after an interruption."
)


def _overrides(params, optimizer, iterations, tolerance, windows, weights, learning_rate, prior,
               checkpoint_every, landscape) -> dict:  # fmt: skip
    from calib.common.errors import ConfigError
    from calib.config import fit as settings

    if optimizer is not None and optimizer not in settings.OPTIMIZERS:
        raise ConfigError(
            f"--optimizer {optimizer}: unknown optimiser; choose one of {', '.join(settings.OPTIMIZERS)}"
        )
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
        checkpoint_every=checkpoint_every,
        landscape=pair,
    )


def register(app: typer.Typer, *, friendly_errors, debug_option, console: Console) -> None:
    """Add `calib fit` to the app."""

    @app.command("fit", help=FIT_HELP)
    @friendly_errors
    def fit(
        obs: Annotated[
            list[Path] | None, typer.Option("--obs", help="Observation NetCDF (repeatable).")
        ] = None,
        case: Annotated[list[Path] | None, typer.Option("--case", help="Case YAML (repeatable).")] = None,
        params: Annotated[
            str | None, typer.Option("--params", help="Parameters to fit, e.g. nu0,alpha.")
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
        prior: Annotated[
            float | None, typer.Option(min=0.0, help="Weight of the pull toward the start.")
        ] = None,
        checkpoint_every: Annotated[
            int | None, typer.Option(min=1, help="Iterations between checkpoints.")
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Output folder (default out/fit_CASE).")
        ] = None,
        resume: Annotated[
            bool, typer.Option("--resume", help="Continue the fit checkpointed in --out.")
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Start over even if --out holds a checkpoint.")
        ] = False,
        landscape: Annotated[
            str | None, typer.Option(help="Also map the loss over two parameters: P1,P2.")
        ] = None,
        landscape_size: Annotated[int, typer.Option(min=3, help="Landscape points per axis.")] = 15,
        no_uncertainty: Annotated[
            bool, typer.Option("--no-uncertainty", help="Skip the Laplace estimate.")
        ] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or report.")] = False,
        debug: debug_option = False,
    ) -> None:
        from calib.cli.app import _enable_float64

        _enable_float64()
        from calib.api.fitting import fit_command

        overrides = _overrides(params, optimizer, iterations, tolerance, window, weights, learning_rate,
                               prior, checkpoint_every, landscape)  # fmt: skip
        try:
            report = fit_command(
                list(obs or []), list(case or []), overrides, out=out, resume=resume, force=force,
                landscape_size=landscape_size, with_uncertainty=not no_uncertainty, show=not quiet,
                console=console,
            )  # fmt: skip
        except KeyboardInterrupt:
            console.print("[bold red]interrupted[/]: the last checkpoint is in the output folder; "
                          "run the same command with --resume to continue")  # fmt: skip
            raise typer.Exit(130) from None
        if not quiet:
            typer.echo(report, nl=False)
