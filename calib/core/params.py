"""Calibratable coefficients: `param(default, lower, upper, units=...)` and bounded transforms.

A parameter is a 0-d float array leaf of an `eqx.Module`, carrying its bounds and units as field
metadata. The fit works in an unconstrained space: `unconstrain` maps a value inside
(lower, upper) to the real line and `constrain` maps it back, so the optimiser can never step
outside the physical bounds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import equinox as eqx
import jax.numpy as jnp


def param(default: float, lower: float, upper: float, *, units: str = "1", doc: str = ""):
    """A calibratable coefficient, stored as a 0-d array so `eqx.filter_grad` sees it.

    Args:
        default: value used when a case does not set it.
        lower, upper: physical bounds (inclusive); a fit never leaves them.
        units: UDUNITS string ("1" for dimensionless).
        doc: one line saying what the coefficient does.
    """
    if not lower <= default <= upper:
        raise ValueError(f"default {default} outside bounds [{lower}, {upper}]")
    return eqx.field(
        default=default,
        converter=jnp.asarray,
        metadata=dict(bounds=(float(lower), float(upper)), units=units, doc=doc, is_param=True),
    )


@dataclasses.dataclass(frozen=True)
class ParameterInfo:
    """Static description of one parameter of a Module."""

    name: str
    default: float
    lower: float
    upper: float
    units: str
    doc: str


def parameter_info(module_or_class: Any) -> dict[str, ParameterInfo]:
    """Name -> ParameterInfo for every `param` field of a Module (class or instance)."""
    cls = module_or_class if isinstance(module_or_class, type) else type(module_or_class)
    out = {}
    for field in dataclasses.fields(cls):
        meta = field.metadata
        if meta.get("is_param"):
            lower, upper = meta["bounds"]
            out[field.name] = ParameterInfo(
                field.name, float(field.default), lower, upper, meta["units"], meta["doc"]
            )
    return out


def parameter_values(module: Any) -> dict[str, float]:
    """Name -> current value (as Python float) of every `param` field of a Module."""
    return {name: float(getattr(module, name)) for name in parameter_info(module)}


def unconstrain(value, lower: float, upper: float):
    """Map a value in (lower, upper) to the real line (scaled logit)."""
    fraction = (value - lower) / (upper - lower)
    fraction = jnp.clip(fraction, 1e-12, 1.0 - 1e-12)
    return jnp.log(fraction) - jnp.log1p(-fraction)


def constrain(free, lower: float, upper: float):
    """Inverse of `unconstrain`: real line -> (lower, upper) through a sigmoid."""
    return lower + (upper - lower) * jax_sigmoid(free)


def jax_sigmoid(x):
    """Numerically safe logistic function."""
    return 0.5 * (jnp.tanh(0.5 * x) + 1.0)
