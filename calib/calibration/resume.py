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

import jax
import jax.numpy as jnp
import numpy as np

from calib.calibration.optimise import LoopState, strong
from calib.common.errors import CalibError, ConfigError
from calib.io.files import atomic_write, write_text

NPZ, JSON = "resume.npz", "resume.json"


def _savez(path: Path, arrays: dict) -> None:
    with open(path, "wb") as handle:  # a file object: np.savez would add ".npz" to a bare name
        np.savez(handle, **arrays)


def _arrays(loop: LoopState) -> dict[str, np.ndarray]:
    arrays = {"theta": np.asarray(loop.theta)}
    for index, leaf in enumerate(jax.tree.leaves(loop.opt_state)):
        arrays[f"state_{index}"] = np.asarray(leaf)
    if loop.previous is not None:
        arrays["previous_theta"] = np.asarray(loop.previous[0])
        for index, leaf in enumerate(jax.tree.leaves(loop.previous[1])):
            arrays[f"previous_state_{index}"] = np.asarray(leaf)
    return arrays


def save(folder: Path, loop: LoopState, identity: dict[str, Any]) -> None:
    """Save `loop` into `folder` (see the module docstring)."""
    folder = Path(folder)
    arrays = _arrays(loop)
    atomic_write(folder / NPZ, lambda temporary: _savez(temporary, arrays))
    record = dict(
        identity=identity,
        iteration=loop.iteration,
        max_step=loop.max_step,
        history=loop.history,
        best=loop.best,
        calm=loop.calm,
        backoffs=loop.backoffs,
        status=loop.status,
        restored=loop.restored,
        has_previous=loop.previous is not None,
    )
    write_text(folder / JSON, json.dumps(record, indent=1))  # inf/nan as Infinity/NaN (Python reads them)


def exists(folder: Path) -> bool:
    """Whether `folder` holds a saved fit."""
    return (Path(folder) / JSON).is_file() and (Path(folder) / NPZ).is_file()


def load(folder: Path, template_state, identity: dict[str, Any]) -> LoopState:
    """Read the fit saved in `folder`; `template_state` gives the optimiser state's structure.

    Raises:
        CalibError: no saved fit there, or one of a different fit.
    """
    folder = Path(folder)
    if not exists(folder):
        raise CalibError(f"{folder}: no saved fit to resume ({JSON} missing); run without --resume")
    try:
        return _load(folder, template_state, identity)
    except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise CalibError(
            f"{folder}: the saved fit cannot be read ({type(error).__name__}: {error}); "
            "start over with --force instead of --resume"
        ) from None


def _load(folder: Path, template_state, identity: dict[str, Any]) -> LoopState:
    record = json.loads((folder / JSON).read_text())
    identity = json.loads(json.dumps(identity))  # tuples -> lists, as stored
    for key, value in identity.items():
        if record["identity"].get(key) != value:
            raise ConfigError(
                f"{folder / JSON}: the saved fit is another fit ({key} was "
                f"{record['identity'].get(key)!r}, now {value!r}); use the same settings or another --out"
            )
    with np.load(folder / NPZ) as arrays:
        treedef = jax.tree.structure(template_state)
        count = treedef.num_leaves
        state = jax.tree.unflatten(treedef, [jnp.asarray(arrays[f"state_{i}"]) for i in range(count)])
        previous = None
        if record["has_previous"]:
            leaves = [jnp.asarray(arrays[f"previous_state_{i}"]) for i in range(count)]
            previous = (jnp.asarray(arrays["previous_theta"]), strong(jax.tree.unflatten(treedef, leaves)))
        theta = jnp.asarray(arrays["theta"])
    return LoopState(
        iteration=record["iteration"],
        theta=theta,
        opt_state=strong(state),
        previous=previous,
        max_step=float(record["max_step"]),
        history=record["history"],
        best=record["best"],
        calm=record["calm"],
        backoffs=record["backoffs"],
        status=record["status"],
        restored=record["restored"],
    )
