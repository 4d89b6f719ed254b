"""Resume files of a running fit, for `calib fit --resume` (written atomically).

(Not to be confused with the checkpointing of reverse mode, `calib.core.integrate`: these files
let an interrupted *fit* continue.) A saved fit is two files in the output folder:
``resume.npz`` (theta, the optimiser state and the previous good point, float64 exactly as in
memory, so a resumed fit repeats the same arithmetic as an uninterrupted one) and
``resume.json`` (iteration, history, counters and an identity of the fit: parameters, optimiser,
iterations, observation files, cases). Each file is written to a temporary name and renamed,
and the JSON (written last) names the NPZ it belongs to, so a kill at any moment leaves the
previous save usable.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from calib.calibration.optimise import LoopState
from calib.common.errors import CalibError, ConfigError
from calib.io.files import atomic_write, write_text

NPZ, JSON = "resume.npz", "resume.json"


def _savez(path: Path, arrays: dict) -> None:
    with open(path, "wb") as handle:  # a file object: np.savez would add ".npz" to a bare name
        np.savez(handle, **arrays)


def save(folder: Path, loop: LoopState, identity: dict[str, Any]) -> None:
    """Save `loop` into `folder` (see the module docstring)."""
    folder = Path(folder)
    arrays = {"theta": np.asarray(loop.theta), "gradient": np.asarray(loop.gradient)}
    arrays |= {f"memory_{key}": np.asarray(value) for key, value in loop.memory.items()}
    atomic_write(folder / NPZ, lambda temporary: _savez(temporary, arrays))
    record = dict(
        identity=identity,
        iteration=loop.iteration,
        loss=loop.loss,
        memory=sorted(loop.memory),
        history=loop.history,
        best=loop.best,
        calm=loop.calm,
        evaluations=loop.evaluations,
        status=loop.status,
        checked=loop.checked,
    )
    write_text(folder / JSON, json.dumps(record, indent=1))  # inf/nan as Infinity/NaN (Python reads them)


def exists(folder: Path) -> bool:
    """Whether `folder` holds a saved fit."""
    return (Path(folder) / JSON).is_file() and (Path(folder) / NPZ).is_file()


def load(folder: Path, identity: dict[str, Any]) -> LoopState:
    """Read the fit saved in `folder`.

    Raises:
        CalibError: no saved fit there, or one of a different fit.
    """
    folder = Path(folder)
    if not exists(folder):
        raise CalibError(f"{folder}: no saved fit to resume ({JSON} missing); run without --resume")
    try:
        return _load(folder, identity)
    except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise CalibError(
            f"{folder}: the saved fit cannot be read ({type(error).__name__}: {error}); "
            "start over with --force instead of --resume"
        ) from None


def _load(folder: Path, identity: dict[str, Any]) -> LoopState:
    record = json.loads((folder / JSON).read_text())
    identity = json.loads(json.dumps(identity))  # tuples -> lists, as stored
    for key, value in identity.items():
        if record["identity"].get(key) != value:
            raise ConfigError(
                f"{folder / JSON}: the saved fit is another fit ({key} was "
                f"{record['identity'].get(key)!r}, now {value!r}); use the same settings or another --out"
            )
    with np.load(folder / NPZ) as arrays:
        memory = {key: np.array(arrays[f"memory_{key}"]) for key in record["memory"]}
        theta, gradient = np.array(arrays["theta"]), np.array(arrays["gradient"])
    return LoopState(
        iteration=record["iteration"],
        theta=theta,
        loss=float(record["loss"]),
        gradient=gradient,
        memory=memory,
        history=record["history"],
        best=record["best"],
        calm=record["calm"],
        evaluations=record["evaluations"],
        status=record["status"],
        checked=record["checked"],
    )
