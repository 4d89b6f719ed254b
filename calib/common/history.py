"""The line every output file records in its `history` attribute: when, which calib, what command.

The command line sets `command_line` once at start-up (`calib.cli`), so that a NetCDF written by
`calib run CASE.yaml --out x.nc` says exactly that; from Python the line names the calling script
and the API function instead.
"""

from __future__ import annotations

import datetime
import shlex
import sys

VERSION = "0.1.0"
_COMMAND_LINE: list[str] = []


def set_command_line(arguments: list[str] | None) -> None:
    """Record the command line being run (the CLI entry point), or forget it (None)."""
    _COMMAND_LINE[:] = [shlex.join(arguments)] if arguments is not None else []


def command_line() -> str | None:
    """The recorded command line, or None outside the command line."""
    return _COMMAND_LINE[0] if _COMMAND_LINE else None


def history_line(action: str = "") -> str:
    """'2026-12-02T15:04:05Z calib 0.1.0: calib run cases/x.yaml' (ISO UTC time, version, command).

    Args:
        action: outside the command line, what wrote the file (e.g. "calib.run"), named with the
            calling script.
    """
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    command = command_line()
    if command is None:
        script = sys.argv[0] if sys.argv and sys.argv[0] else "python"
        command = f"{action or 'Python API'} from {script}"
    return f"{now} calib {VERSION}: {command}"


__all__ = ["VERSION", "command_line", "history_line", "set_command_line"]
