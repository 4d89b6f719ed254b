"""Batch commands: `calib run-batch` (many cases and parameter sets at once) and
`calib profile-batch` (time and memory per column-step by batch size).

Wiring only (see `calib.api.ensembles`, `calib.perf.batch`); no JAX at module level, so
`calib --help` stays instant. No ``from __future__ import annotations``: typer evaluates the
annotations that use `register`'s arguments.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

RUN_BATCH_HELP = """Run several cases (and ensembles of parameter sets) as batches of columns.

Columns are vmapped and split over every visible device; writes OUT/CASE.nc per case.

Cases with equal grid size, forcing length, run plan and settings share one batch. With
--ensemble K, K parameter sets are drawn (Latin hypercube) in a box of half-width --spread in
the unconstrained parameter space around the first case's values (--spread 0 or less: the
whole bounds); each file then has a `member` dimension, the parameter values and a `diverged`
flag per member.
"""

PROFILE_BATCH_HELP = """Time and memory per column-step of batched forward runs and gradients.

A batch of Kato–Phillips columns with different parameters, for each batch size and resolution
(one compile each); XLA temporary memory from the compiled program.
"""


CHUNK_HELP = "Columns vmapped at a time on one device (default: 8 on CPU, all on GPU; 0 = all)."


def _integers(text: str, option: str) -> list[int]:
    from calib.common.errors import CalibError

    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise CalibError(f"{option} {text}: not a list of positive integers; write e.g. {option} 1,64,1024")
    return values


def _chunk(option: int | None) -> int | None:
    """--chunk: None = the platform default, 0 = the whole batch at once."""
    from calib.core.batch import default_chunk

    return default_chunk() if option is None else (option or None)


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def register(app: typer.Typer, *, friendly_errors, debug_option, console: Console) -> None:
    """Add `calib run-batch` and `calib profile-batch` to the app."""

    @app.command("run-batch", help=RUN_BATCH_HELP)
    @friendly_errors
    def run_batch(
        cases: Annotated[list[Path], typer.Argument(metavar="CASE.yaml...", help="Case files to run.")],
        ensemble: Annotated[
            int, typer.Option(min=0, help="Parameter sets per case (0 = the case's own).")
        ] = 0,
        params: Annotated[
            str | None, typer.Option(help="Parameters the ensemble varies, e.g. nu0,alpha (default all).")
        ] = None,
        spread: Annotated[
            float, typer.Option(help="Half-width of the sampling box (unconstrained units).")
        ] = 0.5,
        seed: Annotated[int, typer.Option(help="Seed of the parameter sampling.")] = 0,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out/batch"),
        float32: Annotated[bool, typer.Option("--float32", help="Run in single precision.")] = False,
        chunk: Annotated[int | None, typer.Option(min=0, help=CHUNK_HELP)] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
        debug: debug_option = False,
    ) -> None:
        from calib.cli.app import _enable_float64

        _enable_float64(float32)
        from calib.api.ensembles import EnsembleRequest, run_batch

        request = EnsembleRequest(size=ensemble, names=_names(params), spread=spread if spread > 0 else None,
                                  seed=seed)  # fmt: skip
        lines = run_batch(list(cases), out, request, float32=float32, force=force, chunk=_chunk(chunk))
        if not quiet:
            for line in lines:
                console.print(line, highlight=False)
            console.print(f"wrote {len(cases)} file(s) in {out}/", highlight=False)

    @app.command("profile-batch", help=PROFILE_BATCH_HELP)
    @friendly_errors
    def profile_batch(
        batch: Annotated[str, typer.Option(help="Batch sizes, comma-separated.")] = "1,64,1024",
        nz: Annotated[str, typer.Option(help="Levels, comma-separated.")] = "64,256",
        steps: Annotated[int, typer.Option(min=10, help="Time steps per run (a multiple of 10).")] = 200,
        mode: Annotated[
            str, typer.Option(help="forward, gradient or both: forward,gradient.")
        ] = "forward,gradient",
        closure: Annotated[str, typer.Option(help="Closure of the column.")] = "k_epsilon",
        checkpoint: Annotated[str, typer.Option(help="Checkpoint scheme of the gradient.")] = "nested",
        unroll: Annotated[
            int | None, typer.Option(min=1, help="Thomas scan unroll (default: platform's).")
        ] = None,
        chunk: Annotated[int | None, typer.Option(min=0, help=CHUNK_HELP)] = None,
        float32: Annotated[bool, typer.Option("--float32", help="Single precision.")] = False,
        repeats: Annotated[int, typer.Option(min=1, help="Timed runs after the warm-up (median).")] = 3,
        json_path: Annotated[Path | None, typer.Option("--json", help="Also write the rows as JSON.")] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --json file.")] = False,
        debug: debug_option = False,
    ) -> None:
        from calib.cli.app import _enable_float64

        _enable_float64(float32)
        import json

        from calib.common.errors import CalibError
        from calib.common.vocabulary import CHECKPOINT_SCHEMES
        from calib.core.batch import warn_float32_gradient
        from calib.core.closures import CLOSURES
        from calib.perf.batch import MODES, BatchMeasurement, measure, table

        modes = _names(mode)
        if not modes or any(m not in MODES for m in modes):
            raise CalibError(f"--mode {mode}: choose forward, gradient or forward,gradient")
        if closure not in CLOSURES:
            raise CalibError(f"--closure {closure}: unknown closure; choose one of {', '.join(CLOSURES)}")
        if checkpoint not in CHECKPOINT_SCHEMES:
            raise CalibError(
                f"--checkpoint {checkpoint}: unknown; choose one of {', '.join(CHECKPOINT_SCHEMES)}"
            )
        if json_path is not None and json_path.exists() and not force:
            raise CalibError(f"{json_path}: exists; pass --force to overwrite it or choose another --json")
        if steps % 10:
            raise CalibError(
                f"--steps {steps}: not a multiple of 10 (the save interval); use e.g. --steps 200"
            )
        if "gradient" in modes and float32:
            warn_float32_gradient("float32", steps)
        rows = []
        for levels in _integers(nz, "--nz"):
            for size in _integers(batch, "--batch"):
                for name in modes:
                    spec = BatchMeasurement(
                        name, size, levels, steps, float32, closure, checkpoint=checkpoint, unroll=unroll,
                        repeats=repeats, chunk=_chunk(chunk),
                    )  # fmt: skip
                    rows.append(measure(spec))
                    cost = rows[-1]["us_per_column_step"]
                    console.print(
                        f"{name} batch {size} nz {levels}: {cost:.3g} µs per column-step", highlight=False
                    )
        typer.echo(table(rows))
        if json_path is not None:
            from calib.calibration.resume import atomic_text

            atomic_text(json_path, json.dumps(rows, indent=1))
