"""calib: a differentiable 1-D ocean column model for calibrating vertical-mixing closures.

The Python API (examples in the README)::

    import calib
    case = calib.load_case("cases/kato_phillips.yaml")
    ds = calib.run(case)                                   # xr.Dataset, as `calib run` writes it
    f = calib.simulator(case, ["c_epsilon1"], ["T"])       # differentiable: jax.grad, vmap, jacfwd
    result = calib.fit(case, ds, parameters=["c_epsilon1"])  # a Calibration
    members = calib.ensemble(case, 16, parameters=["c_epsilon1"])  # Dataset with a member dimension

Importing calib switches JAX to float64 (calib's API refuses float32 unless asked for with
``float32=True``). The functions are imported on first use, so ``import calib`` (and
``calib --help``) stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys

from calib.common.history import VERSION as __version__  # noqa: N811

if "jax" in sys.modules:  # already imported: switch it now
    sys.modules["jax"].config.update("jax_enable_x64", True)
else:  # read by JAX when it is imported
    os.environ["JAX_ENABLE_X64"] = "1"

_EXPORTS = {
    # name: (module, attribute)
    "load_case": ("calib.config", "load_case"),
    "parse_case": ("calib.config", "parse_case"),
    "Case": ("calib.config", "Case"),
    "build": ("calib.config.build", "build"),
    "run": ("calib.api.simulation", "run"),
    "summary": ("calib.api.simulation", "summary"),
    "simulator": ("calib.api.simulation", "simulator"),
    "Simulator": ("calib.api.simulation", "Simulator"),
    "fit": ("calib.api.fitting", "fit"),
    "Calibration": ("calib.api.fitting", "Calibration"),
    "ensemble": ("calib.api.ensembles", "ensemble"),
    "run_batch": ("calib.api.ensembles", "run_batch"),
    "load_observations": ("calib.io.observations", "load_observations"),
    "write_dataset": ("calib.io.netcdf", "write_dataset"),
    "read_dataset": ("calib.io.netcdf", "read_dataset"),
    "CLOSURES": ("calib.core.closures", "CLOSURES"),
    "CalibError": ("calib.common.errors", "CalibError"),
    "ConfigError": ("calib.common.errors", "ConfigError"),
    "DataError": ("calib.common.errors", "DataError"),
    "ModelDiverged": ("calib.common.errors", "ModelDiverged"),
}


def __getattr__(name: str):
    """Import the module that defines a public name when it is first asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'calib' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = ["__version__", *_EXPORTS]
