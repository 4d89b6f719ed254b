"""Turbulence closures. Every module in this package defining an `AbstractClosure` subclass
with a `name` is registered in `CLOSURES` automatically; duplicate names fail at import."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from calib.core.closures.base import AbstractClosure, Diffusivities


def _discover() -> dict[str, type[AbstractClosure]]:
    registry: dict[str, type[AbstractClosure]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, AbstractClosure)
                and cls.__module__ == module.__name__
                and not inspect.isabstract(cls)
                and "name" in cls.__dict__
            ):
                if cls.name in registry:
                    raise ImportError(f"two closures are named {cls.name!r}")
                registry[cls.name] = cls
    return registry


CLOSURES: dict[str, type[AbstractClosure]] = _discover()

__all__ = ["CLOSURES", "AbstractClosure", "Diffusivities"]
