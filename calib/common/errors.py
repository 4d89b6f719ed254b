"""Errors raised by calib at its edges (configuration, data files, runs).

Every message is one line saying what is wrong, where (file and key) and how to fix it, e.g.
``cases/x.yaml: time.dt: must be > 0 (got -60); set a positive time step in seconds``.
The command line prints such a message without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Characters that would break a message over lines (str.splitlines) or hide text: shown escaped.
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(32), 0x7F, 0x85)}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


class CalibError(Exception):
    """Base class of every error calib raises on purpose (its message is always one line)."""

    def __str__(self) -> str:
        return super().__str__().translate(_CONTROL)


class ConfigError(CalibError):
    """A case file (YAML) is malformed, inconsistent or points at something missing."""


class DataError(CalibError):
    """A data file (NetCDF observations, forcing, profiles) cannot be read or used."""


class ModelDiverged(CalibError):  # noqa: N818 (a state, not an "Error")
    """A simulation produced non-finite values (time step too long, parameters unphysical)."""


def suggest(name: str, options: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the option closest to a misspelt name, or ''."""
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def one_line(error: BaseException) -> str:
    """The reason given by a foreign exception, on one line, for a message that quotes it."""
    text = str(error)
    if "did not find a match in any of xarray's currently installed IO backends" in text:
        return "not a NetCDF file"
    return " ".join(text.split()) or type(error).__name__


__all__ = ["CalibError", "ConfigError", "DataError", "ModelDiverged", "one_line", "suggest"]
