"""Which closure parameters train, and the unconstrained vector the optimiser sees.

The selected `param` fields of a closure are split off with `eqx.partition`; the optimiser
works on one flat vector theta (one entry per selected parameter, in field order) in an
unconstrained space: `calib.core.params.unconstrain` maps each value inside its bounds to the real
line, `calib.core.params.constrain` maps back, so no optimiser step can leave the bounds. A
positive parameter whose bounds span more than `LOG_SPAN` (a factor of 100) is transformed in
log space (the logit of log value), which makes steps relative: nu0 in [1e-4, 1e-1] moves by
factors, not by increments of 0.1.
"""

from __future__ import annotations

import dataclasses
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from calib.common.errors import ConfigError, suggest
from calib.core.closures.base import AbstractClosure
from calib.core.params import ParameterInfo, constrain, get_parameter, parameter_info, unconstrain

LOG_SPAN = 100.0
Theta = Float[Array, "p"]  # unconstrained parameters


def _log_scaled(info: ParameterInfo) -> bool:
    return info.lower > 0.0 and info.upper / info.lower > LOG_SPAN


@dataclasses.dataclass(frozen=True)
class Trainable:
    """The selected parameters of one closure class and their transforms (static, hashable).

    Attributes:
        names: selected parameter names, in the closure's field order.
        info: name -> bounds, units and default.
        log_scaled: whether each parameter is transformed in log space.
    """

    names: tuple[str, ...]
    info: tuple[ParameterInfo, ...]
    log_scaled: tuple[bool, ...]

    @classmethod
    def select(cls, closure: AbstractClosure, names: tuple[str, ...], where: str = "--params") -> Trainable:
        """Check `names` against the closure's parameters; order them as its fields.

        Raises:
            ConfigError: no name given, or a name the closure does not have.
        """
        known = parameter_info(closure)
        if not names:
            raise ConfigError(
                f"{where}: no parameter to fit; name some of {', '.join(known)} "
                "(--params a,b or 'parameters:' in the case's fit section)"
            )
        for name in names:
            if name not in known:
                raise ConfigError(
                    f"{where}: {closure.name} has no parameter {name!r}{suggest(name, known)}; "
                    f"use some of {', '.join(known)}"
                )
        ordered = tuple(name for name in known if name in names)
        infos = tuple(known[name] for name in ordered)
        return cls(ordered, infos, tuple(_log_scaled(info) for info in infos))

    @property
    def size(self) -> int:
        """Number of trained parameters."""
        return len(self.names)

    def filter_spec(self, closure: AbstractClosure):
        """Boolean tree over `closure`: True at the selected parameter leaves."""
        spec = jax.tree.map(lambda _: False, closure)
        return eqx.tree_at(lambda c: [get_parameter(c, n) for n in self.names], spec, [True] * self.size)

    def partition(self, closure: AbstractClosure):
        """(trainable, frozen) halves of the closure (`eqx.partition`)."""
        return eqx.partition(closure, self.filter_spec(closure))

    def _bounds(self, index: int) -> tuple[float, float]:
        info = self.info[index]
        if self.log_scaled[index]:
            return math.log(info.lower), math.log(info.upper)
        return info.lower, info.upper

    def to_values(self, theta: Theta) -> Float[Array, "p"]:
        """Physical values (inside the bounds) of an unconstrained vector."""
        values = []
        for index in range(self.size):
            value = constrain(theta[index], *self._bounds(index))
            values.append(jnp.exp(value) if self.log_scaled[index] else value)
        return jnp.stack(values)

    def to_theta(self, values) -> Theta:
        """Unconstrained vector of physical values (clipped just inside the bounds)."""
        values = jnp.asarray(values, dtype=float)
        thetas = []
        for index in range(self.size):
            value = jnp.log(values[index]) if self.log_scaled[index] else values[index]
            thetas.append(unconstrain(value, *self._bounds(index)))
        return jnp.stack(thetas)

    def values_of(self, closure: AbstractClosure) -> np.ndarray:
        """Current physical values of the selected parameters of a closure."""
        return np.array([float(get_parameter(closure, name)) for name in self.names])

    def apply_values(self, closure: AbstractClosure, values) -> AbstractClosure:
        """The closure with the selected parameters set to physical `values` (p,); a stacked
        closure (leaves with a leading member axis) gets the same values in every member."""
        trainable, frozen = self.partition(closure)
        leaves, treedef = jax.tree.flatten(trainable)
        new = [
            jnp.broadcast_to(jnp.asarray(values[i], dtype=jnp.result_type(leaf)), jnp.shape(leaf))
            for i, leaf in enumerate(leaves)
        ]
        return eqx.combine(jax.tree.unflatten(treedef, new), frozen)

    def apply(self, closure: AbstractClosure, theta: Theta) -> AbstractClosure:
        """The closure with the selected parameters set from an unconstrained vector."""
        return self.apply_values(closure, self.to_values(theta))

    def table(self, values) -> dict[str, float]:
        """name -> value as Python floats."""
        return {name: float(value) for name, value in zip(self.names, np.asarray(values), strict=True)}
