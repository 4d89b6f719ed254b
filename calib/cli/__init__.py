"""The command line (`calib ...`): a Typer app whose command groups live one per module here.

Wiring only: each command is load -> build -> call -> write, with the heavy imports (JAX, xarray)
inside the commands, so that `calib --help` is instant. No module outside this package imports
typer. Conventions and exit codes: `calib.cli.app`.
"""

import importlib

from calib.cli.app import app

for _module in ("run", "fit", "batch", "data", "perf", "docs"):  # each registers its commands, in this order
    importlib.import_module(f"calib.cli.{_module}")


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for `python -m calib`."""
    app()


__all__ = ["app", "main"]
