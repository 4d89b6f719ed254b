"""The command line (`calib ...`): a Typer app whose command groups live one per module here.

Wiring only: each command is load -> build -> call -> write, with the heavy imports (JAX, xarray)
inside the commands, so that `calib --help` is instant. No module outside this package imports
typer.
"""

from calib.cli import batch, data, fit, perf
from calib.cli.app import DebugOption, app, console, friendly_errors

for _module in (data, fit, perf, batch):
    _module.register(app, friendly_errors=friendly_errors, debug_option=DebugOption, console=console)


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for `python -m calib`."""
    app()


__all__ = ["app", "main"]
