"""Richardson-number mixing: Pacanowski & Philander (1981) with convective adjustment."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp

from calib.core.closures._convection import enhanced
from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.params import param
from calib.core.shapes import Scalar


class PacanowskiPhilander(AbstractClosure[None]):
    """Richardson-number mixing (Pacanowski & Philander 1981) with convective adjustment.

    Pacanowski & Philander (1981), eqs. (1)-(2):

        nu    = nu0 / (1 + alpha Ri)^n + nu_b
        kappa = nu / (1 + alpha Ri) + kappa_b

    with the gradient Richardson number Ri = N² / S² clipped at 0 (unstable faces mix as if
    neutral). Where N² < 0 the diffusivity and viscosity are raised to `convective_diffusivity`
    (convective adjustment, as in NEMO's enhanced vertical diffusion), blended in continuously over
    0 > N² > -1e-8 s-2 (`calib.core.closures._convection`).
    """

    name: ClassVar[str] = "pacanowski_philander"
    calibration_set: ClassVar[tuple[str, ...]] = ("nu0", "alpha")
    nu0: Scalar = param(
        1e-2, 1e-4, 1e-1, units="m2 s-1", doc="viscosity at Ri = 0", source="Pacanowski & Philander (1981)"
    )
    alpha: Scalar = param(
        5.0, 0.1, 50.0, doc="Richardson-number sensitivity", source="Pacanowski & Philander (1981)"
    )
    exponent: Scalar = param(
        2.0, 1.0, 3.0, doc="power n of the viscosity law", source="Pacanowski & Philander (1981)"
    )
    background_viscosity: Scalar = param(
        1e-4, 1e-6, 1e-2, units="m2 s-1", doc="nu_b", source="Pacanowski & Philander (1981)"
    )
    background_diffusivity: Scalar = param(
        1e-5, 1e-7, 1e-2, units="m2 s-1", doc="kappa_b", source="Pacanowski & Philander (1981)"
    )
    convective_diffusivity: Scalar = param(
        0.1,
        1e-3,
        10.0,
        units="m2 s-1",
        doc="viscosity and diffusivity where N² < 0",
        source="convective adjustment (NEMO-like)",
    )

    def __call__(self, column, closure_state, dt):
        Ri = jnp.maximum(column.N2, 0.0) / jnp.maximum(column.S2, 1e-14)  # clip before dividing
        damping = 1.0 / (1.0 + self.alpha * jnp.minimum(Ri, 1e6))
        nu = self.nu0 * damping**self.exponent + self.background_viscosity
        kappa = nu * damping + self.background_diffusivity  # PP81 eq. (2): nu / (1 + alpha Ri) + kappa_b
        nu = enhanced(nu, self.convective_diffusivity, column.N2)
        kappa = enhanced(kappa, self.convective_diffusivity, column.N2)
        return Diffusivities(momentum=nu, tracers=kappa), None
