"""Errors raised by calib at its edges (configuration, data files, runs).

Every message is one line saying what is wrong, where (file and key) and how to fix it, e.g.
``cases/x.yaml: time.dt: must be > 0 (got -60); set a positive time step in seconds``.
The command line prints such a message without a traceback.
"""

from __future__ import annotations


class CalibError(Exception):
    """Base class of every error calib raises on purpose."""


class ConfigError(CalibError):
    """A case file (YAML) is malformed, inconsistent or points at something missing."""


class DataError(CalibError):
    """A data file (NetCDF observations, forcing, profiles) cannot be read or used."""


class ModelDiverged(CalibError):  # noqa: N818 (a state, not an "Error")
    """A simulation produced non-finite values (time step too long, parameters unphysical)."""


__all__ = ["CalibError", "ConfigError", "DataError", "ModelDiverged"]
