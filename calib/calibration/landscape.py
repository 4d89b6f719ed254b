"""The loss on a grid over two parameters (the others fixed), batched with `vmap`.

The grid spans the optimiser's path (start to end) widened by half its span on each side
(at least a factor 1.5 around the end point), in log spacing for log-scaled parameters
(`calib.core.trainable`), clipped just inside the bounds. The grid points are evaluated by
`jax.lax.map` in batches of one grid row, each batch a `vmap` of forward runs.
"""

from __future__ import annotations

import dataclasses
import time as clock

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from calib.calibration.loss import Problem
from calib.core.params import get_parameter
from calib.core.trainable import Trainable


@dataclasses.dataclass(frozen=True)
class Landscape:
    """Loss on a grid: loss[i, j] at (x[i], y[j]); `wall_s` includes the compile."""

    names: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    log_scaled: tuple[bool, bool]
    wall_s: float


def axis_values(trainable: Trainable, index: int, visited: np.ndarray, size: int) -> np.ndarray:
    """Grid values of parameter `index` covering `visited` (see the module docstring)."""
    info, log = trainable.info[index], trainable.log_scaled[index]
    forward, backward = (np.log, np.exp) if log else (lambda v: v, lambda v: v)
    points = forward(np.asarray(visited, dtype=float))
    low, high = points.min(), points.max()
    span = high - low
    end = points[-1]
    minimum_half_width = np.log(1.5) if log else 0.5 * max(abs(end), 1e-12)
    low = min(low - 0.5 * span, end - minimum_half_width)
    high = max(high + 0.5 * span, end + minimum_half_width)
    inside = 1e-6 * (info.upper - info.lower)
    values = backward(np.linspace(low, high, size))
    return np.clip(values, info.lower + inside, info.upper - inside)


@eqx.filter_jit
def _grid_loss(thetas, problem: Problem, batch: int):
    return jax.lax.map(problem.loss, thetas, batch_size=batch)


def landscape(problem: Problem, names: tuple[str, str], visited: np.ndarray, *, size: int = 15) -> Landscape:
    """Loss over a size x size grid of the parameters `names`.

    Args:
        problem: the fit's problem, its closures holding the values of the other parameters.
        names: the two parameters (any of the closure's).
        visited: (k, 2) values of the two parameters along the optimiser's path (start first,
            end last), which the grid covers.
        size: points per axis.
    """
    closure = problem.groups[0].model.closure
    trainable = Trainable.select(closure, tuple(names), "--landscape")
    if trainable.names != tuple(names):  # axes follow the closure's field order
        visited = visited[:, ::-1]
        names = trainable.names
    x = axis_values(trainable, 0, visited[:, 0], size)
    y = axis_values(trainable, 1, visited[:, 1], size)
    theta = trainable.to_theta(visited[-1])
    sub = dataclasses.replace(problem, trainable=trainable, theta_start=theta, prior=jnp.zeros(()),
                              prior_center=theta, prior_scale=jnp.ones_like(theta))  # fmt: skip
    grid_x, grid_y = np.meshgrid(x, y, indexing="ij")
    values = jnp.asarray(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1))
    thetas = jax.vmap(trainable.to_theta)(values)
    started = clock.perf_counter()
    loss = np.asarray(_grid_loss(thetas, sub, size)).reshape(size, size)
    return Landscape(tuple(names), x, y, loss, trainable.log_scaled, clock.perf_counter() - started)


def visited_values(problem: Problem, history_values: np.ndarray, names: tuple[str, str]) -> np.ndarray:
    """(k, 2) path of two parameters: from the history if fitted, else their constant value."""
    closure = problem.groups[0].model.closure
    columns = []
    for name in names:
        if name in problem.trainable.names:
            columns.append(history_values[:, problem.trainable.names.index(name)])
        else:
            columns.append(np.full(len(history_values), float(np.ravel(get_parameter(closure, name))[0])))
    return np.stack(columns, axis=1)
