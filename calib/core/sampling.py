"""Parameter sets inside their bounds, for ensembles and batches of columns.

`sample_values` draws sets in the unconstrained space of `calib.core.trainable.Trainable` (log
space for wide positive ranges), by Latin hypercube (McKay et al. 1979) or plain random
sampling, over the whole bounds or in a box around given values; `calib.core.batch` runs them
as one batch of columns.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from calib.common.errors import CalibError
from calib.core.trainable import Trainable

SAMPLING_METHODS = ("latin_hypercube", "random")


def latin_hypercube(size: int, dimensions: int, rng: np.random.Generator) -> np.ndarray:
    """(size, dimensions) points in (0, 1), one in each of `size` equal strata per dimension."""
    strata = np.stack([rng.permutation(size) for _ in range(dimensions)], axis=1)
    return (strata + rng.uniform(size=(size, dimensions))) / size


def sample_values(
    trainable: Trainable,
    size: int,
    *,
    seed: int = 0,
    method: str = "latin_hypercube",
    center=None,
    spread: float | None = None,
) -> np.ndarray:
    """Parameter sets inside the bounds, shape (size, p), physical units.

    Args:
        trainable: the sampled parameters and their transforms.
        size: number of sets.
        method: "latin_hypercube" or "random" (uniform).
        center: physical values the box is centred on (default: the parameters' defaults).
        spread: half-width of the box in unconstrained units (1 ~ a factor of a few for a
            log-scaled parameter); None samples the whole bounds (log-uniformly for log-scaled
            parameters, uniformly otherwise).
    """
    if method not in SAMPLING_METHODS:
        raise CalibError(f"sampling method {method!r}: unknown; choose one of {', '.join(SAMPLING_METHODS)}")
    rng = np.random.default_rng(seed)
    p = trainable.size
    unit = latin_hypercube(size, p, rng) if method == "latin_hypercube" else rng.uniform(size=(size, p))
    if spread is None:
        unit = np.clip(unit, 1e-9, 1 - 1e-9)
        columns = []
        for index, (info, log) in enumerate(zip(trainable.info, trainable.log_scaled, strict=True)):
            lower, upper = (np.log(info.lower), np.log(info.upper)) if log else (info.lower, info.upper)
            value = lower + unit[:, index] * (upper - lower)
            columns.append(np.exp(value) if log else value)
        return np.stack(columns, axis=1)
    if center is None:
        center = [info.default for info in trainable.info]
    theta = np.asarray(trainable.to_theta(jnp.asarray(center, dtype=float)))
    thetas = theta + spread * (2.0 * unit - 1.0)
    return np.asarray(jax.vmap(trainable.to_values)(jnp.asarray(thetas)))


__all__ = ["SAMPLING_METHODS", "latin_hypercube", "sample_values"]
