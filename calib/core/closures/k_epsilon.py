"""The k-epsilon closure in the generic-length-scale form of Umlauf & Burchard (2003, 2005).

At the faces (Rodi 1987; Burchard & Baumert 1995):

    dk/dt   = d/dz(nu_M / sigma_k   dk/dz)   + P + B - epsilon
    deps/dt = d/dz(nu_M / sigma_eps deps/dz) + (epsilon / k)(c1 P + c3 B - c2 epsilon)

with shear production P = nu_M S², buoyancy production B = -nu_H N², c3 = c3+ where B > 0
(convection) and c3- where B < 0 (stable stratification), and nu_M = c_mu k²/eps,
nu_H = c_mu' k²/eps from algebraic stability functions (`calib.core.closures._stability`).

One step: the limiter below is applied to the old epsilon; P, B and the diffusivities of k and
epsilon come from the old state; k and epsilon are advanced together by one backward-Euler
step with Patankar splitting (sources explicit, sinks implicit: k and epsilon stay positive,
`calib.core.closures._face_transport`); the new k and epsilon are floored at their minima and
limited again; the viscosity and diffusivity of the step come from the new k and epsilon.

Length-scale limiter (Galperin et al. 1988, as applied to epsilon by Umlauf & Burchard 2005):
in stable stratification the dissipation length l = c_mu0³ k^(3/2)/eps may not exceed
`galperin_limit` sqrt(2k)/N, i.e. eps >= c_mu0³ k N / (sqrt(2) galperin_limit).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from calib.core.closures._coefficients import (
    AbstractEpsilonSchmidt,
    AbstractStableBuoyancy,
    LogLayerSchmidt,
    ParameterBuoyancy,
    ParameterSchmidt,
    SteadyRichardson,
    steady_flux_richardson,
)
from calib.core.closures._production import AbstractShearProduction, EnergyConservingShear, OldStateShear
from calib.core.closures._face_transport import face_system, implicit_face_step
from calib.core.closures._stability import AbstractStabilityFunctions, CanutoA, KanthaClaysonQuasiEquilibrium
from calib.core.closures._wall import (
    AbstractWallBoundary,
    LawOfTheWall,
    LogLayerFlux,
    LogLayerMixed,
    WallConstants,
    WallGeometry,
    WaveBreakingFlux,
)
from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.numerics import safe_sqrt
from calib.core.params import param
from calib.core.shapes import Faces, Scalar
from calib.core.state import Column

__all__ = [
    "CanutoA",
    "EnergyConservingShear",
    "OldStateShear",
    "LogLayerSchmidt",
    "ParameterBuoyancy",
    "ParameterSchmidt",
    "SteadyRichardson",
    "KEpsilon",
    "KEpsilonState",
    "KanthaClaysonQuasiEquilibrium",
    "LawOfTheWall",
    "LogLayerFlux",
    "LogLayerMixed",
    "WaveBreakingFlux",
]


class KEpsilonState(eqx.Module):
    """Turbulent kinetic energy and its dissipation rate at the faces, bottom first."""

    k: Faces = eqx.field(metadata=dict(units="m2 s-2", long_name="turbulent kinetic energy"))
    epsilon: Faces = eqx.field(
        metadata=dict(units="m2 s-3", long_name="dissipation rate of turbulent kinetic energy")
    )


class KEpsilon(AbstractClosure[KEpsilonState]):
    """k-ε in generic-length-scale form (Rodi 1987; Umlauf & Burchard 2003, 2005).

    k-epsilon closure (see the module docstring for the equations and the step).

    The default c3- = -0.63 gives the steady-state Richardson number 0.25 with the Canuto et
    al. (2001) A stability functions (Umlauf & Burchard 2005); re-tune it when changing them, or
    let it follow from Ri_st (``stable_buoyancy: steady_richardson``). c1, c2 are the standard
    values (Rodi 1987). sigma_eps follows from the log-layer relation kappa² = sigma_eps c_mu0²
    (c2 - c1) by default (``schmidt_epsilon: log_layer``: 1.20 with the defaults), so fitting c1
    or c2 keeps kappa; ``schmidt_epsilon: parameter`` uses the parameter sigma_epsilon (1.3) instead
    (`calib.core.closures._coefficients`). `consistency` reports the implied kappa, Ri_st, c_mu0.

    Default calibration set (`calibration_set`, what `calib fit` fits when no parameter is named):
    c_epsilon1 (shear production: the entrainment rate of wind-driven layers), c_epsilon3_stable
    (the stable cut-off of mixing, Ri_st) and sigma_k (the vertical transport of TKE), each within
    its published range (bounds; the prior spread is documented with each).

    Boundary conditions (`calib.core.closures._wall`) default to `LogLayerFlux` at both ends,
    GOTM's default: no TKE flux and the log-layer epsilon flux through the centre of the boundary
    cell (a Dirichlet k = u*² / c_mu0² at the wall, `LogLayerMixed`, drains the TKE of windless
    convection at the surface: k = 1e-10 at the top face against 6.7e-5 with the flux). Shear
    production is energy-conserving (`calib.core.closures._production`). With GOTM's settings
    calib reproduces GOTM's k-epsilon on Kato–Phillips and free convection to 5e-4 K
    (benchmarks/gotm.md, tests/test_gotm_reference.py).
    """

    name: ClassVar[str] = "k_epsilon"
    calibration_set: ClassVar[tuple[str, ...]] = ("c_epsilon1", "c_epsilon3_stable", "sigma_k")
    c_epsilon1: Scalar = param(
        1.44, 1.3, 1.6, doc="shear-production coefficient c1 of the epsilon equation",
        source="Rodi (1987); 1.40-1.55 in the models reviewed by Burchard (2002)", spread=0.05,
    )  # fmt: skip
    c_epsilon2: Scalar = param(
        1.92, 1.5, 2.5, doc="dissipation coefficient c2 of the epsilon equation", source="Rodi (1987)"
    )
    c_epsilon3_stable: Scalar = param(
        -0.63, -1.0, 0.0, doc="buoyancy coefficient c3- where B < 0",
        source="Ri_st = 0.25 with Canuto-A (Umlauf & Burchard 2005); -0.4 (Burchard & Baumert 1995) to -0.63",
        spread=0.12,
    )  # fmt: skip
    c_epsilon3_unstable: Scalar = param(
        1.0, 0.0, 2.0, doc="buoyancy coefficient c3+ where B > 0", source="Burchard (2002)"
    )
    sigma_k: Scalar = param(
        1.0, 0.5, 2.0, doc="turbulent Schmidt number of k",
        source="Rodi (1987); 0.8-1.4 in Umlauf & Burchard (2003)",
        spread=0.2,
    )  # fmt: skip
    sigma_epsilon: Scalar = param(
        1.3, 0.8, 2.0, doc="turbulent Schmidt number of epsilon (with schmidt_epsilon: parameter)",
        source="Rodi (1987)",
    )  # fmt: skip
    von_karman: Scalar = param(
        0.4, 0.35, 0.45, doc="von Karman constant of the boundary layers", source="von Kármán constant"
    )
    galperin_limit: Scalar = param(
        0.53, 0.2, 1.0, doc="largest l N / sqrt(2k) in stable stratification", source="Galperin et al. (1988)"
    )
    surface_roughness: Scalar = param(
        0.02, 1e-4, 2.0, units="m", doc="roughness length z0 of the surface", source="GOTM default z0s"
    )
    bottom_roughness: Scalar = param(
        0.01, 1e-5, 0.5, units="m", doc="roughness length z0 of the sea floor", source="typical sea-floor z0"
    )
    k_min: Scalar = param(
        1e-10,
        1e-14,
        1e-6,
        units="m2 s-2",
        doc="minimum turbulent kinetic energy",
        source="GOTM default k_min",
    )
    epsilon_min: Scalar = param(
        1e-12, 1e-16, 1e-8, units="m2 s-3", doc="minimum dissipation rate", source="GOTM default eps_min"
    )
    background_viscosity: Scalar = param(
        1e-6,
        1e-8,
        1e-3,
        units="m2 s-1",
        doc="added to the eddy viscosity",
        source="molecular viscosity order",
    )
    background_diffusivity: Scalar = param(
        1e-7,
        1e-9,
        1e-3,
        units="m2 s-1",
        doc="added to the eddy diffusivity",
        source="molecular diffusivity order",
    )
    stability: AbstractStabilityFunctions = CanutoA()
    surface: AbstractWallBoundary = LogLayerFlux()
    bottom: AbstractWallBoundary = LogLayerFlux()
    schmidt_epsilon: AbstractEpsilonSchmidt = LogLayerSchmidt()
    stable_buoyancy: AbstractStableBuoyancy = ParameterBuoyancy()
    shear_production: AbstractShearProduction = EnergyConservingShear()

    def consistency(self) -> dict[str, float]:
        """The closure's calibration relations as numbers: c_mu0, sigma_eps used, the kappa the
        log-layer relation implies (sqrt(sigma_eps c_mu0² (c2 - c1))), c3- used and the
        steady-state Richardson number Ri_st it implies (host-side diagnostics for reports)."""
        import numpy as np

        cmu0 = float(self.stability.neutral_cmu0())
        sigma = float(self.schmidt_epsilon(self, cmu0))
        c1, c2 = float(self.c_epsilon1), float(self.c_epsilon2)
        c3 = float(self.stable_buoyancy(self))
        kappa = float(np.sqrt(max(sigma * cmu0**2 * (c2 - c1), 0.0)))
        return dict(c_mu0=cmu0, sigma_epsilon=sigma, kappa=kappa, c_epsilon3_stable=c3,
                    steady_richardson=steady_richardson_number(self.stability, c1, c2, c3))  # fmt: skip

    def init_state(self, column: Column) -> KEpsilonState:
        """k and epsilon at their minima (the forcing spins the turbulence up)."""
        ones = jnp.ones_like(column.N2)
        return KEpsilonState(k=self.k_min * ones, epsilon=self.epsilon_min * ones)

    def _limit_dissipation(self, epsilon: Faces, k: Faces, N2: Faces, cmu0: Scalar) -> Faces:
        """epsilon >= its minimum and >= the Galperin et al. (1988) value (module docstring)."""
        N = safe_sqrt(jnp.maximum(N2, 0.0))
        galperin = cmu0**3 * k * N / (jnp.sqrt(2.0) * self.galperin_limit)
        return jnp.maximum(epsilon, jnp.maximum(galperin, self.epsilon_min))

    def _turbulent_viscosities(self, k: Faces, epsilon: Faces, N2: Faces, S2: Faces) -> tuple[Faces, Faces]:
        """(nu_M, nu_H) = (c_mu, c_mu') k² / epsilon (m2 s-1)."""
        time_scale = k / epsilon
        c_mu, c_mu_prime = self.stability(time_scale**2 * S2, time_scale**2 * N2)
        return c_mu * k * time_scale, c_mu_prime * k * time_scale

    def _walls(self, column: Column, k: Faces, constants: WallConstants):
        grid = column.grid
        surface = WallGeometry(
            friction_velocity=column.surface.friction_velocity,
            roughness=self.surface_roughness,
            centre_distance=grid.dz_faces[-1],
            k_near=k[-2],
        )
        bottom = WallGeometry(
            friction_velocity=column.bottom_friction_velocity,
            roughness=self.bottom_roughness,
            centre_distance=grid.dz_faces[0],
            k_near=k[1],
        )
        return self.bottom(bottom, constants), self.surface(surface, constants)

    def __call__(self, column, closure_state, dt):
        cmu0 = self.stability.neutral_cmu0()
        sigma_epsilon = self.schmidt_epsilon(self, cmu0)
        c3_stable = self.stable_buoyancy(self)
        N2, S2 = column.N2, column.S2
        k = closure_state.k
        epsilon = self._limit_dissipation(closure_state.epsilon, k, N2, cmu0)
        nu_M, nu_H = self._turbulent_viscosities(k, epsilon, N2, S2)

        shear_production = self.shear_production(column, nu_M)
        buoyancy_production = -nu_H * N2
        k_source = shear_production + jnp.maximum(buoyancy_production, 0.0)
        k_sink_rate = (epsilon + jnp.maximum(-buoyancy_production, 0.0)) / k
        c3 = jnp.where(buoyancy_production > 0.0, self.c_epsilon3_unstable, c3_stable)
        production = self.c_epsilon1 * shear_production + c3 * buoyancy_production
        epsilon_source = epsilon / k * jnp.maximum(production, 0.0)
        epsilon_sink_rate = (self.c_epsilon2 * epsilon + jnp.maximum(-production, 0.0)) / k

        constants = WallConstants(
            cmu0=cmu0,
            von_karman=self.von_karman,
            sigma_k=self.sigma_k,
            sigma_epsilon=sigma_epsilon,
            c_epsilon2=self.c_epsilon2,
            k_min=self.k_min,
            epsilon_min=self.epsilon_min,
            c_mu_shear_free=self.stability(jnp.zeros(()), jnp.zeros(()))[0],
        )
        (k_bottom, epsilon_bottom), (k_surface, epsilon_surface) = self._walls(column, k, constants)
        grid = column.grid
        k_new, epsilon_new = implicit_face_step(
            [
                face_system(k, nu_M / self.sigma_k, k_source, k_sink_rate, k_bottom, k_surface, grid, dt),
                face_system(
                    epsilon, nu_M / sigma_epsilon, epsilon_source, epsilon_sink_rate,
                    epsilon_bottom, epsilon_surface, grid, dt,
                ),
            ],
            column.solver,
        )  # fmt: skip
        k_new = jnp.maximum(k_new, self.k_min)
        epsilon_new = self._limit_dissipation(epsilon_new, k_new, N2, cmu0)
        nu_M, nu_H = self._turbulent_viscosities(k_new, epsilon_new, N2, S2)
        diffusivities = Diffusivities(
            momentum=nu_M + self.background_viscosity, tracers=nu_H + self.background_diffusivity
        )
        return diffusivities, KEpsilonState(k=k_new, epsilon=epsilon_new)


def steady_richardson_number(stability, c1: float, c2: float, c3: float) -> float:
    """The gradient Richardson number Ri_st of the equilibrium whose flux Richardson number is
    Rf = (c2 - c1) / (c2 - c3): the first crossing on 0 < Ri <= 1 (2000 points, then linear
    interpolation); NaN when there is none."""
    import numpy as np

    target = (c2 - c1) / (c2 - c3) if c2 != c3 else np.inf
    grid = np.linspace(0.005, 1.0, 2000)
    flux = jax.vmap(lambda ri: steady_flux_richardson(stability, ri))  # eager: no compile for a diagnostic
    values = np.asarray(flux(jnp.asarray(grid))) - target
    finite = np.isfinite(values[:-1]) & np.isfinite(values[1:])
    crossing = np.flatnonzero(finite & (values[:-1] * values[1:] <= 0))
    if not crossing.size:
        return float("nan")
    i = crossing[0]
    weight = values[i] / (values[i] - values[i + 1]) if values[i] != values[i + 1] else 0.0
    return float(grid[i] + weight * (grid[i + 1] - grid[i]))
