"""The Typer app, the options every command shares, and how errors become exit codes.

Conventions of every command: ``-h``/``--help``; ``--quiet``/``-q`` (no progress bar, summary or
report) and ``--verbose``/``-v`` (more detail); ``--debug`` (a traceback instead of the one-line
error); outputs never overwrite a file without ``--force``; results go to stdout, progress and
messages to stderr; every file written records the command line in its ``history``.

Exit codes: 0 done; 1 a check failed (``calib check-grad``: gradients disagree); 2 bad input
(the one red line says what and how to fix it); 3 the model diverged; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import functools
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130

EPILOG = (
    "Exit codes: 0 done, 1 a check failed (check-grad), 2 bad input, 3 the model diverged, "
    "130 interrupted. Shell completion: calib --install-completion."
)


class _Group(TyperGroup):
    """The top-level command group; records the command line for the outputs' `history`."""

    def main(self, args=None, *more, **options):
        from calib.common.history import set_command_line

        set_command_line(["calib", *(sys.argv[1:] if args is None else args)])
        try:
            return super().main(args, *more, **options)
        finally:
            set_command_line(None)


app = typer.Typer(
    name="calib",
    cls=_Group,
    help="Differentiable 1-D ocean column model: run cases, calibrate mixing closures, profile gradients.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console(stderr=True)  # messages, progress, errors
out = Console()  # results


def stdout() -> Console:
    """Console on stdout, wide enough for tables when it is not a terminal (pipes, files)."""
    return Console() if sys.stdout.isatty() else Console(width=160)


Debug = Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, summary or report.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="More detail: settings, timings, files.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
Float32 = Annotated[bool, typer.Option("--float32", help="Single precision (default: float64).")]
CacheDir = Annotated[
    str | None,
    typer.Option(
        "--cache-dir", help="Compilation cache folder (default ~/.cache/calib/jax; 'off' disables)."
    ),
]
NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Compile without the persistent compilation cache.")
]


def compilation_cache(folder: str | None, off: bool) -> None:
    """Turn on JAX's persistent compilation cache for this command (`calib.api.cache`)."""
    from calib.api.cache import enable_compilation_cache

    enable_compilation_cache("off" if off else folder)


class Reporter:
    """What a command prints on stderr: `say` unless --quiet, `detail` only with --verbose."""

    def __init__(self, quiet: bool = False, verbose: bool = False):
        self.quiet, self.verbose = quiet, verbose and not quiet

    def say(self, text: str) -> None:
        """A normal message (not with --quiet)."""
        if not self.quiet:
            console.print(text, highlight=False, soft_wrap=True)

    def detail(self, text: str) -> None:
        """A detail shown with --verbose."""
        if self.verbose:
            console.print(f"[dim]{escape(text)}[/]", highlight=False, soft_wrap=True)


def enable_float64(float32: bool = False) -> None:
    """Set JAX's precision for this command (float64 unless --float32)."""
    import jax

    jax.config.update("jax_enable_x64", not float32)


def _error(message: str, code: int) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def friendly_errors(command):
    """Turn calib's errors (and a few well-known OS errors) into one red line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from calib.common.errors import CalibError, ModelDiverged

        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except ModelDiverged as error:
            if debug:
                raise
            raise _error(str(error), EXIT_DIVERGED) from None
        except CalibError as error:
            if debug:
                raise
            raise _error(str(error), EXIT_BAD_INPUT) from None
        except OSError as error:  # a folder without permission, a file that vanished
            if debug:
                raise
            where = f"{error.filename}: " if error.filename else ""
            message = f"{where}{error.strerror or error}; check the path and its permissions"
            raise _error(message, EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            console.print("[bold red]interrupted[/]: no output was written")
            raise typer.Exit(EXIT_INTERRUPTED) from None

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

    Start with `calib run cases/kato_phillips.yaml`; `calib closures` lists the closures and
    `calib example` writes a commented case; every command has -h.
    """


def pick(new, old, new_name: str, old_name: str):
    """The value of an option that has a hidden old name (kept for a release): the new one
    unless only the old one was given; both given is an error."""
    from calib.common.errors import ConfigError

    if old is None:
        return new
    if new is not None:
        raise ConfigError(f"{old_name} is the old name of {new_name}; give only {new_name}")
    return old


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CHECK_FAILED",
    "EXIT_DIVERGED",
    "EXIT_INTERRUPTED",
    "Debug",
    "CacheDir",
    "Float32",
    "Force",
    "NoCache",
    "Quiet",
    "Reporter",
    "Verbose",
    "app",
    "compilation_cache",
    "console",
    "enable_float64",
    "friendly_errors",
    "out",
    "pick",
    "stdout",
]
