"""`calib run`: simulate a case and write its trajectory (wiring: load -> run -> write -> summary)."""

import time as clock
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
    out,
)


@app.command()
@friendly_errors
def run(
    case_path: Annotated[Path, typer.Argument(metavar="CASE.yaml", help="Case file to simulate.")],
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="NetCDF output (default: out/CASE.nc).")
    ] = None,
    closure: Annotated[
        str | None,
        typer.Option(help="Use this closure (its defaults) instead of the case's; see calib closures."),
    ] = None,
    checkpoint: Annotated[
        str | None, typer.Option(help="Checkpoint scheme of the time loop: none|step|nested|sqrt|recursive.")
    ] = None,
    force: Force = False,
    float32: Float32 = False,
    cache_dir: CacheDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """Simulate a case and write a CF-style NetCDF trajectory, then print a summary."""
    started = clock.perf_counter()
    enable_float64(float32)
    compilation_cache(cache_dir, no_cache)
    from calib import config
    from calib.api import simulation
    from calib.io.files import check_outputs
    from calib.io.netcdf import write_dataset

    report = Reporter(quiet, verbose)
    case = config.load_case(case_path)
    out_path = out_path or Path("out") / f"{case_path.stem}.nc"
    check_outputs(out_path, force=force)
    report.detail(f"case {case.source}: closure {closure or case.closure.name}, {case.time.n_saves} saves of "
                  f"{case.time.steps_per_save} steps")  # fmt: skip
    dataset = simulation.run(case, closure=closure, checkpoint=checkpoint, float32=float32,
                             progress=False if quiet else out)  # fmt: skip
    write_dataset(dataset, out_path, force=True)  # checked before the run
    if not quiet:
        out.print(simulation.summary(dataset, wall_s=clock.perf_counter() - started, written=out_path),
                  highlight=False, soft_wrap=True)  # fmt: skip
