"""K-profile parameterisation (Large, McWilliams & Doney 1994, "LMD94"), in the form CVMix implements.

Surface boundary layer:

- bulk Richardson number at each cell centre, depth d (LMD94 eq. 21, CVMix's (1 - eps/2) factor):
  Ri_b(d) = (1 - eps/2) d (b_r - b(d)) / (|V_r - V(d)|² + V_t²(d)), with b_r, V_r the averages over
  the surface layer 0 < d' < eps d, and the unresolved shear (LMD94 eq. 23)
  V_t² = C_v (beta_T / (c_s eps))^½ / kappa² d N w_s / Ri_c, C_v scaled with N as in
  Danabasoglu et al. (2006): C_v max(1, (2.1 - 200 N) / 1.7);
- the boundary-layer depth h is where Ri_b first exceeds Ri_c, linearly interpolated between the
  two centres around the crossing (a differentiable function of the parameters);
- velocity scales w_x = kappa u* / phi_x(zeta), zeta = sigma h / L (sigma capped at eps when
  unstable), with the Monin–Obukhov functions of LMD94 appendix B, written so that they stay finite
  when u* = 0 (free convection);
- K_x(sigma) = h w_x(sigma) G(sigma) inside the layer, G = sigma (1 - sigma)² (`SimpleShape`, CVMix's
  "simple shapes", MOM6's default);
- in convection (B_f < 0) the non-local tracer transport gamma = C_s G(sigma), C_s = C_* kappa
  (c_s kappa eps)^⅓ (LMD94 eq. 20; `Diffusivities.nonlocal_`).

Below h the interior scheme (`LMD94Interior`: shear instability nu0 (1 - (Ri/Ri0)²)³, backgrounds,
convective adjustment; or `BackgroundInterior`) applies. The surface buoyancy forcing is the total
surface buoyancy flux (shortwave counted as if absorbed within the boundary layer).
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp

from calib.core.closures._convection import enhanced
from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.params import param
from calib.core.shapes import Faces, Scalar

# Monin–Obukhov functions of LMD94 (appendix B); not calibrated (they follow from surface-layer data)
ZETA_M, ZETA_S = -0.2, -1.0
A_M, C_M, A_S, C_S = 1.26, 8.38, -28.86, 98.96
TINY = 1e-30


def _root(x, power):
    return jnp.maximum(x, TINY) ** power


def velocity_scales(depth_sigma, buoyancy_flux, ustar, kappa):
    """(w_m, w_s) (m s-1) at sigma h = `depth_sigma` (already capped at eps h when unstable) for the
    surface buoyancy flux B_f (m2 s-3, positive stabilising) and u* (LMD94 eqs. 13, B1)."""
    u3 = ustar**3
    stable = buoyancy_flux >= 0.0
    # stable: kappa u* / (1 + 5 zeta) = kappa u*^4 / (u*^3 + 5 kappa sigma h B)
    w_stable = (
        kappa * ustar**4 / jnp.maximum(u3 + 5.0 * kappa * depth_sigma * jnp.maximum(buoyancy_flux, 0.0), TINY)
    )
    q = kappa * depth_sigma * jnp.maximum(-buoyancy_flux, 0.0)  # -zeta u*^3 >= 0
    safe_u = jnp.maximum(ustar, 1e-12)
    w_m = jnp.where(
        q <= -ZETA_M * u3,
        kappa * _root(ustar**4 + 16.0 * q * ustar, 0.25),
        kappa * _root(A_M * u3 + C_M * q, 1.0 / 3.0),
    )
    w_s = jnp.where(
        q <= -ZETA_S * u3,
        kappa * _root(ustar**2 + 16.0 * q / safe_u, 0.5),
        kappa * _root(A_S * u3 + C_S * q, 1.0 / 3.0),
    )
    return jnp.where(stable, w_stable, w_m), jnp.where(stable, w_stable, w_s)


class AbstractShape(eqx.Module):
    """Shape function G(sigma) of the boundary-layer diffusivity."""

    @abc.abstractmethod
    def __call__(self, sigma):
        """G at sigma = depth / h in [0, 1]."""


class SimpleShape(AbstractShape):
    """G = sigma (1 - sigma)²: K and dK/dz vanish at the base (CVMix "simple shapes")."""

    name: ClassVar[str] = "simple"

    def __call__(self, sigma):
        return sigma * (1.0 - sigma) ** 2


class AbstractInterior(eqx.Module):
    """Mixing below the boundary layer."""

    @abc.abstractmethod
    def __call__(self, column) -> tuple[Faces, Faces]:
        """(viscosity, diffusivity) at the faces (m2 s-1)."""


class LMD94Interior(AbstractInterior):
    """Shear instability nu0 (1 - (Ri/Ri0)²)^p for 0 < Ri < Ri0 (nu0 for Ri <= 0; LMD94 eq. 28),
    constant backgrounds, and convective adjustment where N² < 0."""

    name: ClassVar[str] = "lmd94"
    shear_viscosity: Scalar = param(5e-3, 1e-4, 5e-2, units="m2 s-1", doc="nu0 of the shear-instability mixing",
                                    source="Large et al. (1994)")  # fmt: skip
    shear_richardson: Scalar = param(0.7, 0.2, 2.0, doc="Ri0: gradient Richardson number where shear mixing stops",
                                     source="Large et al. (1994)")  # fmt: skip
    background_viscosity: Scalar = param(1e-4, 1e-7, 1e-2, units="m2 s-1", doc="internal-wave viscosity",
                                         source="Large et al. (1994)")  # fmt: skip
    background_diffusivity: Scalar = param(1e-5, 1e-8, 1e-3, units="m2 s-1", doc="internal-wave diffusivity",
                                           source="Large et al. (1994)")  # fmt: skip
    convective_diffusivity: Scalar = param(0.1, 1e-3, 10.0, units="m2 s-1", doc="mixing where N² < 0 below h",
                                           source="Large et al. (1994)")  # fmt: skip

    def __call__(self, column):
        Ri = column.N2 / jnp.maximum(column.S2, 1e-14)
        fraction = jnp.clip(Ri / self.shear_richardson, 0.0, 1.0)
        shear = self.shear_viscosity * (1.0 - fraction**2) ** 3
        nu = enhanced(shear + self.background_viscosity, self.convective_diffusivity, column.N2)
        kappa = enhanced(shear + self.background_diffusivity, self.convective_diffusivity, column.N2)
        return nu, kappa


class BackgroundInterior(AbstractInterior):
    """Constant viscosity and diffusivity below the boundary layer (CVMix with interior mixing off)."""

    name: ClassVar[str] = "background"
    background_viscosity: Scalar = param(1e-4, 1e-7, 1e-2, units="m2 s-1", doc="viscosity below h",
                                         source="Large et al. (1994)")  # fmt: skip
    background_diffusivity: Scalar = param(1e-5, 1e-8, 1e-3, units="m2 s-1", doc="diffusivity below h",
                                           source="Large et al. (1994)")  # fmt: skip

    def __call__(self, column):
        ones = jnp.ones_like(column.N2)
        return self.background_viscosity * ones, self.background_diffusivity * ones


class KPPState(eqx.Module):
    """What KPP reports each step (it has no prognostic state of its own)."""

    boundary_layer_depth: Scalar = eqx.field(metadata=dict(
        units="m", long_name="KPP boundary-layer depth",
        standard_name="ocean_mixed_layer_thickness_defined_by_mixing_scheme",
    ))  # fmt: skip


def _surface_layer_average(values, top_faces, depth):
    """Means of cell-centred profiles (..., nz, top-first) over 0 < d < depth, for each depth (nz,)."""
    thickness = jnp.diff(top_faces)
    zero = jnp.zeros(values.shape[:-1] + (1,), values.dtype)
    cumulative = jnp.concatenate([zero, jnp.cumsum(values * thickness, axis=-1)], axis=-1)
    index = jnp.clip(jnp.searchsorted(top_faces, depth, side="right") - 1, 0, values.shape[-1] - 1)
    integral = cumulative[..., index] + values[..., index] * (depth - top_faces[index])
    return integral / jnp.maximum(depth, TINY)


class KPP(AbstractClosure[KPPState]):
    """K-profile parameterisation (Large, McWilliams & Doney 1994); see the module docstring.

    Calibration set: the critical bulk Richardson number Ri_c (sets h), the unresolved-shear
    coefficient C_v (entrainment) and the surface-layer fraction eps — the boundary-layer depth
    and entrainment parameters that Souza et al. (2020) found best constrained by LES.
    """

    name: ClassVar[str] = "kpp"
    calibration_set: ClassVar[tuple[str, ...]] = (
        "critical_richardson",
        "unresolved_shear",
        "surface_layer_fraction",
    )
    critical_richardson: Scalar = param(0.3, 0.1, 1.0, doc="Ri_c: bulk Richardson number at the boundary-layer base",
                                        source="Large et al. (1994)")  # fmt: skip
    unresolved_shear: Scalar = param(1.7, 1.0, 2.5, doc="C_v of the unresolved shear (eq. 23), at N >= 2e-3 s-1",
                                     source="Large et al. (1994); Danabasoglu et al. (2006)")  # fmt: skip
    surface_layer_fraction: Scalar = param(0.1, 0.02, 0.3, doc="eps: surface layer as a fraction of h",
                                           source="Large et al. (1994)")  # fmt: skip
    entrainment_ratio: Scalar = param(0.2, 0.05, 0.4, doc="-beta_T: entrainment flux / surface buoyancy flux",
                                      source="Large et al. (1994)")  # fmt: skip
    nonlocal_amplitude: Scalar = param(10.0, 1.0, 20.0, doc="C_* of the non-local transport",
                                       source="Large et al. (1994)")  # fmt: skip
    von_karman: Scalar = param(0.4, 0.35, 0.45, doc="von Karman constant", source="Large et al. (1994)")
    shape: AbstractShape = SimpleShape()
    interior: AbstractInterior = LMD94Interior()

    def init_state(self, column):
        return KPPState(boundary_layer_depth=jnp.zeros((), column.N2.dtype))

    def boundary_layer_depth(self, column) -> Scalar:
        """h (m): where the bulk Richardson number first exceeds Ri_c (module docstring)."""
        grid, state = column.grid, column.state
        eps, kappa = self.surface_layer_fraction, self.von_karman
        top_faces = -grid.z_faces[::-1]  # 0 ... depth, increasing
        depth = -grid.z_centers[::-1]
        b, u, v = column.buoyancy[::-1], state.u[::-1], state.v[::-1]
        layer = eps * depth
        db = _surface_layer_average(b, top_faces, layer) - b
        dv2 = (_surface_layer_average(u, top_faces, layer) - u) ** 2 + (
            _surface_layer_average(v, top_faces, layer) - v
        ) ** 2
        N2 = column.N2[::-1]
        N = jnp.sqrt(jnp.maximum(jnp.maximum(N2[:-1], N2[1:]), 0.0) + TINY)
        B = column.surface.buoyancy
        ustar = column.surface.friction_velocity
        _, w_s = velocity_scales(jnp.where(B < 0, eps * depth, depth), B, ustar, kappa)
        c_v = self.unresolved_shear * jnp.maximum(1.0, (2.1 - 200.0 * N) / 1.7)
        vt2 = (
            c_v
            * jnp.sqrt(self.entrainment_ratio / (C_S * eps))
            / kappa**2
            * depth
            * N
            * w_s
            / self.critical_richardson
        )
        Ri = (1.0 - 0.5 * eps) * depth * db / (dv2 + vt2 + 1e-14)
        exceeds = Ri > self.critical_richardson
        j = jnp.argmax(exceeds)
        d_prev = jnp.where(j > 0, depth[jnp.maximum(j - 1, 0)], 0.0)
        ri_prev = jnp.where(j > 0, Ri[jnp.maximum(j - 1, 0)], 0.0)
        h = d_prev + (self.critical_richardson - ri_prev) * (depth[j] - d_prev) / jnp.maximum(
            Ri[j] - ri_prev, TINY
        )
        return jnp.where(jnp.any(exceeds), h, top_faces[-1])

    def __call__(self, column, closure_state, dt):
        h = jnp.maximum(self.boundary_layer_depth(column), 1e-3)
        eps, kappa = self.surface_layer_fraction, self.von_karman
        B = column.surface.buoyancy
        ustar = column.surface.friction_velocity
        d = -column.grid.z_faces
        sigma = d / h
        inside = (sigma < 1.0) & (d > 0.0)
        sigma_in = jnp.clip(sigma, 0.0, 1.0)
        capped = jnp.where(B < 0, jnp.minimum(sigma_in, eps), sigma_in)
        w_m, w_s = velocity_scales(capped * h, B, ustar, kappa)
        G = self.shape(sigma_in)
        nu_int, kappa_int = self.interior(column)
        nu = jnp.where(inside, h * w_m * G, nu_int)
        diffusivity = jnp.where(inside, h * w_s * G, kappa_int)
        c_s = self.nonlocal_amplitude * kappa * (C_S * kappa * eps) ** (1.0 / 3.0)
        gamma = jnp.where(inside & (B < 0), c_s * SimpleShape()(sigma_in), 0.0)  # 0 at both boundary faces
        return Diffusivities(momentum=nu, tracers=diffusivity, nonlocal_=gamma), KPPState(
            boundary_layer_depth=h
        )


__all__ = ["KPP", "BackgroundInterior", "KPPState", "LMD94Interior", "SimpleShape", "velocity_scales"]
