"""`calib run-batch` (many cases and parameter sets at once) and `calib profile-batch` (time and
memory per column-step by batch size). Wiring only: `calib.api.ensembles`, `calib.perf.batch`."""

from pathlib import Path
from typing import Annotated

import typer

from calib.cli.app import (
    CacheDir,
    Debug,
    Float32,
    Force,
    NoCache,
    Quiet,
    Reporter,
    Verbose,
    app,
    compilation_cache,
    enable_float64,
    friendly_errors,
)

RUN_BATCH_HELP = """Run several cases (and ensembles of parameter sets) as batches of columns.

Columns are vmapped and split over every visible device; writes OUT/CASE.nc per case.

Cases with equal grid size, forcing length, run plan and settings share one batch. With
--ensemble K, K parameter sets are drawn (Latin hypercube) in a box of half-width --spread in
the unconstrained parameter space around the first case's values (--whole-bounds: sample the
whole bounds instead); each file then has a `member` dimension, the parameter values and a
`diverged` flag per member.
"""

PROFILE_BATCH_HELP = """Time and memory per column-step of batched forward runs and gradients.

A batch of Kato–Phillips columns with different parameters, for each batch size and resolution
(one compile each); XLA temporary memory from the compiled program.
"""

CHUNK_HELP = "Columns vmapped at a time on one device (default: 8 on CPU, all on GPU; 0 = all)."


def _chunk(option: int | None) -> int | None:
    """--chunk: None = the platform default, 0 = the whole batch at once."""
    from calib.core.batch import default_chunk

    return default_chunk() if option is None else (option or None)


@app.command("run-batch", help=RUN_BATCH_HELP)
@friendly_errors
def run_batch(
    cases: Annotated[list[Path], typer.Argument(metavar="CASE.yaml...", help="Case files to run.")],
    ensemble: Annotated[int, typer.Option(min=0, help="Parameter sets per case (0 = the case's own).")] = 0,
    params: Annotated[
        str | None, typer.Option(help="Parameters the ensemble varies, e.g. nu0,alpha (default all).")
    ] = None,
    spread: Annotated[
        float, typer.Option(help="Half-width of the sampling box (unconstrained units, > 0).")
    ] = 0.5,
    whole_bounds: Annotated[
        bool, typer.Option("--whole-bounds", help="Sample the parameters' whole bounds (ignores --spread).")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the parameter sampling.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out/batch"),
    float32: Float32 = False,
    chunk: Annotated[int | None, typer.Option(min=0, help=CHUNK_HELP)] = None,
    force: Force = False,
    cache_dir: CacheDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    enable_float64(float32)
    compilation_cache(cache_dir, no_cache)
    from calib import config
    from calib.api.ensembles import EnsembleRequest
    from calib.api.ensembles import run_batch as run_cases
    from calib.common.errors import ConfigError
    from calib.config.reader import comma_list
    from calib.io.files import check_outputs
    from calib.io.netcdf import write_dataset

    report = Reporter(quiet, verbose)
    if spread <= 0:
        raise ConfigError(f"--spread {spread:g}: must be > 0; use --whole-bounds to sample the whole bounds")
    loaded = [config.load_case(path) for path in cases]
    outputs = [out / f"{case.name}.nc" for case in loaded]
    check_outputs(*outputs, force=force)
    names = tuple(comma_list(params, "--params", example="nu0,alpha")) if params else ()
    request = EnsembleRequest(size=ensemble, names=names, spread=None if whole_bounds else spread, seed=seed)
    report.detail(f"{request}")
    datasets, lines = run_cases(loaded, request, float32=float32, chunk=_chunk(chunk))
    for dataset, path in zip(datasets, outputs, strict=True):
        write_dataset(dataset, path, force=True)  # checked before the runs
        report.detail(f"wrote {path}")
    for line in lines:
        report.say(line)
    report.say(f"wrote {len(cases)} file(s) in {out}/")


@app.command("profile-batch", help=PROFILE_BATCH_HELP)
@friendly_errors
def profile_batch(
    batch: Annotated[str, typer.Option(help="Batch sizes, comma-separated.")] = "1,64,1024",
    nz: Annotated[str, typer.Option(help="Levels, comma-separated.")] = "64,256",
    steps: Annotated[int, typer.Option(min=10, help="Time steps per run (a multiple of 10).")] = 200,
    mode: Annotated[str, typer.Option(help="forward, reverse or both: forward,reverse.")] = "forward,reverse",
    closure: Annotated[str, typer.Option(help="Closure of the column.")] = "k_epsilon",
    checkpoint: Annotated[str, typer.Option(help="Checkpoint scheme of the gradient.")] = "nested",
    unroll: Annotated[
        int | None, typer.Option(min=1, help="Thomas scan unroll (default: platform's).")
    ] = None,
    chunk: Annotated[int | None, typer.Option(min=0, help=CHUNK_HELP)] = None,
    float32: Float32 = False,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs after the warm-up (median).")] = 3,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the rows as JSON.")] = None,
    force: Force = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    enable_float64(float32)
    import json

    from calib.common.errors import ConfigError
    from calib.common.vocabulary import check_choice, check_scheme
    from calib.config.reader import comma_list
    from calib.core.batch import warn_float32_gradient
    from calib.core.closures import CLOSURES
    from calib.io.files import check_outputs, write_text
    from calib.perf.batch import MODES, BatchMeasurement, measure, table

    report = Reporter(quiet, verbose)
    modes = comma_list(
        mode.replace("gradient", "reverse"), "--mode", allowed=MODES, example="forward,reverse"
    )
    check_choice(closure, tuple(CLOSURES), "--closure", "closure")
    check_scheme(checkpoint)
    check_outputs(json_path, force=force)
    if steps % 10:
        raise ConfigError(f"--steps {steps}: not a multiple of 10 (the save interval); use e.g. --steps 200")
    if "reverse" in modes and float32:
        warn_float32_gradient("float32", steps)
    rows = []
    for levels in comma_list(nz, "--nz", convert=int, minimum=2, example="64,256"):
        for size in comma_list(batch, "--batch", convert=int, minimum=1, example="1,64,1024"):
            for name in modes:
                spec = BatchMeasurement(name, size, levels, steps, float32, closure, checkpoint=checkpoint,
                                        unroll=unroll, repeats=repeats, chunk=_chunk(chunk))  # fmt: skip
                rows.append(measure(spec))
                cost = rows[-1]["us_per_column_step"]
                report.say(f"{name} batch {size} nz {levels}: {cost:.3g} µs per column-step")
    typer.echo(table(rows))
    if json_path is not None:
        write_text(json_path, json.dumps(rows, indent=1))
