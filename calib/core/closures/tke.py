"""One-equation TKE closure of Gaspar et al. (1990) as used in NEMO (Blanke & Delecluse 1993;
Madec et al., NEMO reference manual, section "TKE turbulent closure scheme").

At the faces:

    de/dt = d/dz(K_m de/dz) + K_m S² - K_rho N² - c_eps e^(3/2) / l_eps
    K_m   = c_k l_k sqrt(e),    K_rho = K_m / Pr(Ri)

with the Prandtl number of Blanke & Delecluse (1993), Pr = 1 for Ri <= 0.2, 5 Ri up to
Ri = 2, 10 beyond (here clip(prandtl_slope Ri, 1, prandtl_max), Ri = N² / S²), and the mixing
lengths from the buoyancy length sqrt(2e)/N (`calib.core.closures._mixing_length`).

Boundary values (Dirichlet): e = max(e_surface_min, surface_tke_coefficient u*²) at the surface
(NEMO's rn_ebb), e = max(e_min, bottom_tke_coefficient u*_b²) at the sea floor. The surface
mixing length grows with the wind as max(l_0, surface_length_coefficient u*² / g) (NEMO's
ln_mxl0, a Charnock-type roughness times kappa); the bottom one is `minimum_length`.

One step (as NEMO's zdftke): coefficients from the old e and the lengths of the previous step
(kept in the state); e advanced by backward Euler with Patankar splitting (production and
convective buoyancy production explicit, dissipation and stable buoyancy sink implicit), the
shear production in the energy-conserving form (`calib.core.closures._production`); e floored
at e_min; the lengths and K from the new e. The enhanced vertical diffusion of convection
(NEMO's zdfevd: K_rho raised to `convective_diffusivity` where N² < 0, continuously over
0 > N² > -1e-7 s-2) is applied after the TKE equation, to the tracer diffusivity only: the
buoyancy production of the TKE equation uses the closure's own K_rho (with the enhanced value
in B = -K_rho N², e would jump a hundredfold at every onset of convection).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp

from calib.core.closures._convection import enhanced
from calib.core.closures._face_transport import Dirichlet, face_system, implicit_face_step
from calib.core.closures._mixing_length import (
    AbstractMixingLength,
    DistanceLimitedLength,
    GasparLength,
    MinimumUpDownLength,
)
from calib.core.closures._production import AbstractShearProduction, EnergyConservingShear
from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.eos import GRAVITY
from calib.core.params import param
from calib.core.shapes import Faces, Scalar
from calib.core.state import Column

__all__ = [
    "DistanceLimitedLength",
    "GasparLength",
    "MinimumUpDownLength",
    "TKEState",
    "TurbulentKineticEnergy",
]

_N2_FLOOR = 1e-20  # s-2: the buoyancy length is sqrt(2e / max(N², this)), bounded by the walls


class TKEState(eqx.Module):
    """Turbulent kinetic energy and the two mixing lengths at the faces."""

    tke: Faces = eqx.field(metadata=dict(units="m2 s-2", long_name="turbulent kinetic energy"))
    mixing_length: Faces = eqx.field(
        metadata=dict(units="m", long_name="mixing length of the eddy viscosity")
    )
    dissipation_length: Faces = eqx.field(
        metadata=dict(units="m", long_name="dissipation length of turbulent kinetic energy")
    )


class TurbulentKineticEnergy(AbstractClosure[TKEState]):
    """One-equation TKE closure of Gaspar et al. (1990) as in NEMO.

    One-equation TKE closure (see the module docstring); defaults are NEMO's."""

    name: ClassVar[str] = "tke"
    calibration_set: ClassVar[tuple[str, ...]] = ("c_k", "c_epsilon", "surface_tke_coefficient")
    c_k: Scalar = param(
        0.1,
        0.01,
        1.0,
        doc="viscosity coefficient: K_m = c_k l_k sqrt(e) (rn_ediff)",
        source="NEMO rn_ediff (Madec et al.)",
    )
    c_epsilon: Scalar = param(
        0.7, 0.1, 2.0, doc="dissipation coefficient c_eps e^1.5 / l_eps (rn_ediss)", source="NEMO rn_ediss"
    )
    surface_tke_coefficient: Scalar = param(
        67.83, 1.0, 200.0, doc="surface e / u*^2 (rn_ebb)", source="NEMO rn_ebb"
    )
    bottom_tke_coefficient: Scalar = param(
        3.75, 0.0, 20.0, doc="bottom e / u*_b^2", source="NEMO (3.75 u*_b²)"
    )
    tke_min: Scalar = param(
        1e-6, 1e-10, 1e-4, units="m2 s-2", doc="minimum TKE (rn_emin)", source="NEMO rn_emin"
    )
    surface_tke_min: Scalar = param(
        1e-4, 1e-8, 1e-2, units="m2 s-2", doc="minimum surface TKE (rn_emin0)", source="NEMO rn_emin0"
    )
    prandtl_slope: Scalar = param(
        5.0, 1.0, 20.0, doc="Pr = slope * Ri between 1 and prandtl_max", source="Blanke & Delecluse (1993)"
    )
    prandtl_max: Scalar = param(
        10.0, 1.0, 20.0, doc="largest turbulent Prandtl number", source="Blanke & Delecluse (1993)"
    )
    surface_length_coefficient: Scalar = param(
        8e4,
        0.0,
        2e5,
        doc="surface mixing length / (u*^2 / g) (kappa times 2e5, NEMO ln_mxl0)",
        source="NEMO ln_mxl0 (kappa 2e5)",
    )
    minimum_length: Scalar = param(
        0.04,
        1e-3,
        1.0,
        units="m",
        doc="surface and bottom mixing length floor (rn_mxl0)",
        source="NEMO rn_mxl0",
    )
    background_viscosity: Scalar = param(
        1.2e-4, 1e-7, 1e-2, units="m2 s-1", doc="added to K_m (rn_avm0)", source="NEMO rn_avm0"
    )
    background_diffusivity: Scalar = param(
        1.2e-5, 1e-8, 1e-2, units="m2 s-1", doc="added to K_rho (rn_avt0)", source="NEMO rn_avt0"
    )
    convective_diffusivity: Scalar = param(
        100.0,
        1e-3,
        1e3,
        units="m2 s-1",
        doc="K_rho where N^2 < 0 (enhanced vertical diffusion, rn_evd)",
        source="NEMO rn_evd",
    )
    mixing_length: AbstractMixingLength = GasparLength()
    shear_production: AbstractShearProduction = EnergyConservingShear()

    def init_state(self, column: Column) -> TKEState:
        """e at its minimum; the lengths it implies."""
        tke = self.tke_min * jnp.ones_like(column.N2)
        l_k, l_eps = self._lengths(tke, column)
        return TKEState(tke=tke, mixing_length=l_k, dissipation_length=l_eps)

    def _lengths(self, tke: Faces, column: Column) -> tuple[Faces, Faces]:
        u_star_squared = column.surface.friction_velocity**2
        surface_length = jnp.maximum(
            self.minimum_length, self.surface_length_coefficient * u_star_squared / GRAVITY
        )
        buoyancy_length = jnp.sqrt(2.0 * tke / jnp.maximum(column.N2, _N2_FLOOR))
        l_k, l_eps = self.mixing_length(buoyancy_length, column.grid, self.minimum_length, surface_length)
        return jnp.maximum(l_k, self.minimum_length), jnp.maximum(l_eps, self.minimum_length)

    def _coefficients(self, tke: Faces, l_k: Faces, column: Column) -> tuple[Faces, Faces]:
        """(K_m, K_rho) of the closure itself, without background values or the enhanced
        convective diffusion (m2 s-1)."""
        viscosity = self.c_k * l_k * jnp.sqrt(tke)
        richardson = jnp.minimum(jnp.maximum(column.N2, 0.0) / jnp.maximum(column.S2, 1e-14), 1e6)
        prandtl = jnp.clip(self.prandtl_slope * richardson, 1.0, self.prandtl_max)
        return viscosity, viscosity / prandtl

    def __call__(self, column, closure_state, dt):
        tke, l_eps = closure_state.tke, closure_state.dissipation_length
        viscosity, diffusivity = self._coefficients(tke, closure_state.mixing_length, column)
        buoyancy_production = -diffusivity * column.N2  # closure-only K_rho, as NEMO
        source = self.shear_production(column, viscosity) + jnp.maximum(buoyancy_production, 0.0)
        sink_rate = self.c_epsilon * jnp.sqrt(tke) / l_eps + jnp.maximum(-buoyancy_production, 0.0) / tke

        u_star_squared = column.surface.friction_velocity**2
        surface = Dirichlet(jnp.maximum(self.surface_tke_min, self.surface_tke_coefficient * u_star_squared))
        bottom = Dirichlet(
            jnp.maximum(self.tke_min, self.bottom_tke_coefficient * column.bottom_friction_velocity**2)
        )
        (tke_new,) = implicit_face_step(
            [face_system(tke, viscosity, source, sink_rate, bottom, surface, column.grid, dt)], column.solver
        )
        tke_new = jnp.maximum(tke_new, self.tke_min)
        l_k, l_eps = self._lengths(tke_new, column)
        viscosity, diffusivity = self._coefficients(tke_new, l_k, column)
        # enhanced vertical diffusion after the TKE equation, on the tracers only (NEMO zdfevd,
        # nn_evdm = 0), blended in continuously (`calib.core.closures._convection`)
        diffusivity = enhanced(diffusivity, self.convective_diffusivity, column.N2)
        diffusivities = Diffusivities(
            momentum=viscosity + self.background_viscosity, tracers=diffusivity + self.background_diffusivity
        )
        return diffusivities, TKEState(tke=tke_new, mixing_length=l_k, dissipation_length=l_eps)
