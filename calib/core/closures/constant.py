"""Constant eddy viscosity and diffusivity."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp

from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.params import param
from calib.core.shapes import Scalar


class ConstantDiffusivity(AbstractClosure[None]):
    """Constant eddy viscosity and diffusivity (the analytic test cases).

    kappa and nu constant in depth and time (the analytic test case closure). The default
    calibration set is the diffusivity alone: the bundled constant-kappa case has no wind, so the
    viscosity cannot change its loss (name it with --params where a case has currents)."""

    name: ClassVar[str] = "constant"
    calibration_set: ClassVar[tuple[str, ...]] = ("diffusivity",)
    viscosity: Scalar = param(
        1e-4, 1e-7, 1.0, units="m2 s-1", doc="eddy viscosity", source="analytic test cases"
    )
    diffusivity: Scalar = param(
        1e-5, 1e-8, 1.0, units="m2 s-1", doc="eddy diffusivity", source="analytic test cases"
    )

    def __call__(self, column, closure_state, dt):
        ones = jnp.ones_like(column.N2)
        return Diffusivities(momentum=self.viscosity * ones, tracers=self.diffusivity * ones), None
