"""Command line: `calib run`, `calib fit`, `calib profile-memory`, ...

Thin wiring only: each command is load -> build -> call -> write, with heavy imports (JAX)
inside the commands so that `calib --help` is instant. Every `CalibError` becomes one red line
and exit code 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="calib",
    help="Differentiable 1-D ocean column model: run cases, calibrate mixing closures, profile gradients.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")
]


def _enable_float64(float32: bool = False) -> None:
    import jax

    jax.config.update("jax_enable_x64", not float32)


def friendly_errors(command):
    """Turn CalibError (and a few well-known OS errors) into one red line and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from calib.common.errors import CalibError

        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except CalibError as error:
            if debug:
                raise
            console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except OSError as error:  # a folder without permission, a full disk, a file that vanished
            if debug:
                raise
            where = f"{error.filename}: " if error.filename else ""
            message = f"{where}{error.strerror or error}; check the path and its permissions"
            console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            console.print("[bold red]interrupted[/]: no output was written")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        from calib import __version__

        out.print(f"calib {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """calib: run 1-D ocean column cases, calibrate their mixing closures against observations
    with exact gradients, and measure what those gradients cost.

    Start with `calib run cases/kato_phillips.yaml`; every command has --help.
    """


@app.command()
@friendly_errors
def run(
    case_path: Annotated[Path, typer.Argument(metavar="CASE.yaml", help="Case file to simulate.")],
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="NetCDF output (default: CASE.nc in ./out/).")
    ] = None,
    closure: Annotated[
        str | None, typer.Option(help="Use this closure instead of the case's (its defaults).")
    ] = None,
    checkpoint: Annotated[
        str | None, typer.Option(help="Override the checkpoint scheme (none|step|nested|sqrt|recursive).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    float32: Annotated[
        bool, typer.Option("--float32", help="Run in single precision (default: float64).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    debug: DebugOption = False,
) -> None:
    """Simulate a case and write a CF-style NetCDF trajectory."""
    _enable_float64(float32)
    from calib import config
    from calib.common.errors import CalibError

    case = config.load_case(case_path)
    if closure is not None:
        case = dataclasses.replace(case, closure=config.ClosureConfig(name=closure))
    out_path = out_path or Path("out") / f"{case_path.stem}.nc"
    if out_path.exists() and not force:
        raise CalibError(f"{out_path}: exists; pass --force to overwrite it or choose another --out")
    from calib.api.running import run_case

    run_case(case, case_path, out_path, checkpoint=checkpoint, show=not quiet, console=out)
