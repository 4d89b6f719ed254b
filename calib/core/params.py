"""Calibratable coefficients, their (dotted) names, bounded transforms, and variants.

A parameter is a 0-d float array leaf of an `eqx.Module`, declared with `param(default, lower,
upper, units=..., doc=..., source=...)`, which keeps its bounds, units, meaning and published
source as field metadata. Parameters of sub-Modules (stability functions, wall conditions,
mixing lengths) are named with dots, ``stability.C1``, ``surface.craig_banner_coefficient``:
`parameter_info`, `get_parameter` and `set_parameters` see the whole tree, so a case can set them
and a fit can train them like top-level ones.

A **variant** is a sub-Module field whose value is one of several implementations of an abstract
class (e.g. ``stability: AbstractStabilityFunctions = CanutoA()``); each implementation that
has a ``name`` class variable can be chosen by that name (`variant_options`), e.g. in a case
``closure: {name: k_epsilon, stability: kantha_clayson}``.

The fit works in an unconstrained space: `unconstrain` maps a value inside (lower, upper) to the
real line and `constrain` maps it back, so the optimiser can never step outside the bounds.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import equinox as eqx
import jax.numpy as jnp


def param(
    default: float,
    lower: float,
    upper: float,
    *,
    units: str = "1",
    doc: str = "",
    source: str = "",
    spread: float | None = None,
):
    """A calibratable coefficient, stored as a 0-d array so `eqx.filter_grad` sees it.

    Args:
        default: value used when a case does not set it.
        lower, upper: physical bounds (inclusive); a fit never leaves them.
        units: UDUNITS string ("1" for dimensionless).
        doc: one line saying what the coefficient does.
        source: where the default (and the spread) come from ("Rodi (1987)", "NEMO rn_ebb", ...).
        spread: the published spread of the value (one standard deviation, physical units), the
            width of the prior of a fit; default a quarter of the bounds' width (the bounds as
            +-2 standard deviations).
    """
    if not lower <= default <= upper:
        raise ValueError(f"default {default} outside bounds [{lower}, {upper}]")
    spread = (upper - lower) / 4.0 if spread is None else spread
    return eqx.field(
        default=default,
        converter=jnp.asarray,
        metadata=dict(
            bounds=(float(lower), float(upper)),
            units=units,
            doc=doc,
            source=source,
            spread=float(spread),
            is_param=True,
        ),
    )


@dataclasses.dataclass(frozen=True)
class ParameterInfo:
    """Static description of one parameter of a Module (its dotted name within the Module)."""

    name: str
    default: float
    lower: float
    upper: float
    units: str
    doc: str
    source: str = ""
    spread: float = 0.0


def _fields(module_or_class: Any) -> list[tuple[dataclasses.Field, Any]]:
    """(field, value) of a Module instance, or (field, default) of a Module class."""
    instance = not isinstance(module_or_class, type)
    cls = type(module_or_class) if instance else module_or_class
    pairs = []
    for field in dataclasses.fields(cls):
        if instance:
            value = getattr(module_or_class, field.name)
        else:
            value = field.default if field.default is not dataclasses.MISSING else None
        pairs.append((field, value))
    return pairs


def _is_submodule(field: dataclasses.Field, value: Any) -> bool:
    return isinstance(value, eqx.Module) and not field.metadata.get("static", False)


def parameter_info(module_or_class: Any, prefix: str = "") -> dict[str, ParameterInfo]:
    """Dotted name -> ParameterInfo for every `param` field of a Module and its sub-Modules.

    A class is read through its field defaults (sub-Modules included), an instance through its
    values (so a chosen variant's parameters appear). `default` is the class default of the field.
    """
    out = {}
    for field, value in _fields(module_or_class):
        meta = field.metadata
        if meta.get("is_param"):
            lower, upper = meta["bounds"]
            name = prefix + field.name
            spread = meta.get("spread", (upper - lower) / 4.0)
            out[name] = ParameterInfo(
                name,
                float(field.default),
                lower,
                upper,
                meta["units"],
                meta["doc"],
                meta.get("source", ""),
                spread,
            )
        elif _is_submodule(field, value):
            out.update(parameter_info(value, prefix=f"{prefix}{field.name}."))
    return out


def get_parameter(module: Any, name: str):
    """The value of a (dotted) parameter of a Module instance."""
    for part in name.split("."):
        module = getattr(module, part)
    return module


def parameter_values(module: Any) -> dict[str, float]:
    """Dotted name -> current value (as Python float) of every parameter of a Module."""
    return {name: float(get_parameter(module, name)) for name in parameter_info(module)}


def set_parameters(module: Any, values: dict[str, Any]):
    """A copy of `module` with the given (dotted) parameters replaced by `values` (arrays or
    floats, converted with `jnp.asarray`); an empty mapping returns the module itself."""
    if not values:
        return module
    names = list(values)
    return eqx.tree_at(
        lambda m: [get_parameter(m, name) for name in names], module, [jnp.asarray(values[n]) for n in names]
    )


def _abstract_base(cls: type) -> type | None:
    """The nearest `Abstract*` base of a variant class (the interface its field promises)."""
    for base in cls.__mro__[1:]:
        if base.__name__.startswith("Abstract") and issubclass(base, eqx.Module):
            return base
    return None


def _concrete_subclasses(base: type) -> list[type]:
    found, stack = [], [base]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if not inspect.isabstract(sub) and "name" in sub.__dict__:
                found.append(sub)
    return sorted(found, key=lambda c: c.name)


def variant_options(module_or_class: Any, prefix: str = "") -> dict[str, dict[str, type]]:
    """(Dotted) field -> {variant name: class} for every sub-Module field of a Module whose
    implementations can be chosen by name (module docstring), nested ones included
    (``stability.limiter``), as they are in the given module or class's defaults."""
    out = {}
    for field, value in _fields(module_or_class):
        if not _is_submodule(field, value):
            continue
        base = _abstract_base(type(value))
        options = _concrete_subclasses(base) if base is not None else []
        if options:
            out[f"{prefix}{field.name}"] = {cls.name: cls for cls in options}
        out.update(variant_options(value, prefix=f"{prefix}{field.name}."))
    return out


def variant_name(module: Any) -> str:
    """The `name` of a variant instance (its class name where it has none)."""
    return getattr(type(module), "name", type(module).__name__)


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


__all__ = [
    "ParameterInfo",
    "constrain",
    "get_parameter",
    "param",
    "parameter_info",
    "parameter_values",
    "set_parameters",
    "unconstrain",
    "variant_name",
    "variant_options",
]
