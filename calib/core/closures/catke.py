"""CATKE: the one-equation closure of Wagner et al. (2025, JAMES, "Formulation and calibration of
CATKE, a one-equation parameterization for microscale ocean mixing"), in the form Oceananigans.jl
implements it (`CATKEVerticalDiffusivity`; our own code, written from the formulation).

At the faces, with the turbulent velocity w = sqrt(max(e, e_min)):

    de/dt = d/dz(K_e de/dz) + P + B - epsilon,       epsilon = e^(3/2) / l_D,  B = -K_c N²
    K_u = l_u w,   K_c = l_c w,   K_e = l_e w

Each length X in {u, c, e} is l_X = min(H, max(sigma_X l_*, l_h,X)), and the dissipation length
l_D = min(H, max(l_* / sigma_D, l_h,D)), with:

- the stable length l_* = min(C_s d, C_b h, w / N) (d the depth below the surface, h the height
  above the sea floor, w / N infinite where N² <= 0);
- the stability function sigma(Ri) = C_lo + (C_hi - C_lo) clip((Ri - Ri_0) / Ri_delta, 0, 1) for
  Ri >= 0 and C_un for Ri < 0 (`stability_function`);
- the convective length l_h (`convective_length`), non-zero only when the surface buoyancy flux
  J_b (positive out of the ocean, i.e. destabilising) exceeds J_b,min = 1e-11 m2 s-3:
  in unstable stratification (N² < 0) l_c = C_c w³ / J_b reduced by the shear-convection factor
  max(0, 1 - C_sp d w S² / J_b) (the flux Richardson number of sheared convection); at the face
  just below an unstable one (the base of the convective layer, N² > 0) the penetration length
  l_p = C_e J_b / (w N²), which sets the entrainment buoyancy flux -K_c N² = -C_e J_b.
  (P is the shear production and B uses the closure's own K_c, without the background.)

Boundary conditions: a TKE flux into the ocean through the surface
J_e = C_W_ustar u*³ + C_W_wdelta max(J_b, 0) dz_top (dz_top the top cell's thickness, the
"w_Delta³" of the paper), and a dissipative flux C_W_epsilon e^(3/2) out through the sea floor
(an implicit sink at the face above it).

J_b in the lengths is the surface buoyancy flux averaged over the convective time scale
t_* = (l_D² / J_b)^(1/3) (`CATKEState.surface_buoyancy_flux`, Oceananigans' "J_b" field): each step
J_b <- (J_b + (dt / t_*) J_b,now) / (1 + dt / t_*), with l_D of the top interior face and J_b in t_*
the largest of J_b,min, J_b and J_b,now. It starts at the flux of the first step.

One step: J_b updated; lengths and K from the old e and the current column; e advanced by
backward Euler with Patankar splitting (shear production, energy-conserving as in
`calib.core.closures._production`, and B > 0 explicit; dissipation, B < 0 and the bottom flux
implicit, so e stays positive; `calib.core.closures._face_transport`); e floored at e_min; the
lengths and K from the new e.

Simplifications and departures from Oceananigans.jl (each deliberate):
- e lives at the faces (with the other TKE closures of calib), not at the cell centres: all
  lengths, including the dissipation length, are evaluated at the faces, and the surface flux
  enters the control volume of the top interior face.
- Continuity in the parameters (for gradient-based calibration, as `calib.core.closures._convection`):
  the switches of Oceananigans are smooth steps s(x) = 3x² - 2x³ (x clipped to [0, 1]) here.
  "Convecting" (N² < 0) and the Ri < 0 branch of the stability function use the weight
  s(-N² / 1e-7 s-2) (the ramp of `calib.core.closures._convection`, made continuous in its
  derivative too: the N² of a convective layer sits near -1e-7 s-2 on many faces, and a corner
  there made finite differences of a loss disagree with its gradient at 1e-4); "entraining"
  (N² > 0 with N² < 0 just above) uses (1 - that weight at the face) times the weight of the
  face above; "J_b > J_b,min" uses s(J_b / J_b,min - 1). Identical to the switches wherever
  N² < -1e-7 s-2 and J_b > 2e-11 m2 s-3.
- e is floored at e_min after each step (Oceananigans floors only w = sqrt(max(e, e_min)) and damps
  negative e, which Patankar splitting cannot produce); the stable buoyancy sink also acts where
  e <= e_min (Oceananigans switches it off there).
- Time stepping is backward Euler for the whole TKE equation (Oceananigans: Adams-Bashforth 2 for
  the explicit part, implicit diffusion and sinks).
- The buoyancy flux in J_b is the total surface flux of `SurfaceFluxes.buoyancy` (shortwave
  included); no maximum diffusivities (Oceananigans' default is none); TKE advection is absent
  (1-D column); the TKE time step is the model's (no substeps).
- Optional constant background viscosity and diffusivity (default 0, as CATKE: its background
  mixing is C_hi e_min / N from the minimum TKE).

Default coefficients: the calibrated set of Wagner et al. (2025), as the defaults of
Oceananigans.jl's `CATKEMixingLength` and `CATKEEquation` (there the penetration coefficients
C_e of momentum, TKE and dissipation are 0; only the tracer's, 0.112, is non-zero).

Checked line by line against Oceananigans.jl 0.110.19 (commit 4c09b08, 2026-08-22; the CATKE
physics and defaults there are unchanged since 0.91.12, the parameter update of 2024-09): every
default above is theirs, and the formulation differs only by the deliberate departures listed.
On the LESbrary two-day strong_wind case (4 m, u*² = 1e-3 m2 s-2, no Stokes drift) CATKE mixes
deeper than the LES (depth of max dT/dz 110 / 154 / 182 m at 6 / 24 / 48 h against 74 / 118 /
138 m): an independent re-implementation with e at the cell centres as in Oceananigans gives
106 / 150 / 182 m, so neither the face staggering nor a coding difference explains it. The
probable cause is the data: that LES (LESbrary.jl 341978e, January 2022) has no surface waves,
while LESbrary.jl's later suites (6 to 72 h, the family of the 21 calibration LES) include Stokes
drift and reach similar depths with weaker stress (48 h strong_wind: u*² = 4.5e-4 m2 s-2, same
stratification); with that stress CATKE here gives 70 / 94 / 114 m.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp

from calib.core.closures._convection import RAMP
from calib.core.closures._face_transport import Flux, face_system, implicit_face_step
from calib.core.closures._production import AbstractShearProduction, EnergyConservingShear
from calib.core.closures.base import AbstractClosure, Diffusivities
from calib.core.params import param
from calib.core.shapes import Faces, Scalar
from calib.core.state import Column

__all__ = [
    "CATKE",
    "CATKEEquation",
    "CATKEMixingLength",
    "CATKEState",
    "convective_length",
    "stability_function",
    "surface_tke_flux",
]

MINIMUM_CONVECTIVE_BUOYANCY_FLUX = 1e-11  # m2 s-3: J_b,min (Oceananigans' minimum_convective_buoyancy_flux)
_N2_FLOOR = 1e-30  # s-2: w / N = w / sqrt(max(N², this)), always bounded by the walls
_S2_FLOOR = 1e-14  # s-2
_LENGTH_FLOOR = 1e-6  # m: only the boundary faces (d = 0 or h = 0) reach it
_SOURCE = "Wagner et al. (2025), calibrated; Oceananigans.jl default"


def _coefficient(default, lower, upper, doc, units="1"):
    return param(default, lower, upper, units=units, doc=doc, source=_SOURCE)


class CATKEMixingLength(eqx.Module):
    """Coefficients of the mixing lengths l_u, l_c, l_e (Wagner et al. 2025, section 3)."""

    C_s: Scalar = _coefficient(1.131, 0.1, 5.0, "surface distance coefficient: l_* <= C_s d")
    C_b: Scalar = _coefficient(0.28, 0.01, 5.0, "bottom distance coefficient: l_* <= C_b h")
    C_sp: Scalar = _coefficient(0.505, 0.0, 2.0, "sheared convection: l_c (1 - C_sp d w S² / J_b)")
    C_Ri_0: Scalar = _coefficient(0.254, 0.01, 1.0, "Richardson number where the stability step starts")
    C_Ri_delta: Scalar = _coefficient(1.02, 0.05, 5.0, "width in Ri of the stability step")
    C_hi_u: Scalar = _coefficient(0.242, 0.01, 2.0, "momentum length / l_* at high Ri")
    C_lo_u: Scalar = _coefficient(0.361, 0.01, 2.0, "momentum length / l_* at low Ri")
    C_un_u: Scalar = _coefficient(0.370, 0.01, 2.0, "momentum length / l_* at negative Ri")
    C_c_u: Scalar = _coefficient(3.705, 0.0, 10.0, "convective momentum length coefficient")
    C_e_u: Scalar = _coefficient(0.0, 0.0, 1.0, "penetrative momentum length coefficient")
    C_hi_c: Scalar = _coefficient(0.098, 0.01, 2.0, "tracer length / l_* at high Ri")
    C_lo_c: Scalar = _coefficient(0.369, 0.01, 2.0, "tracer length / l_* at low Ri")
    C_un_c: Scalar = _coefficient(0.572, 0.01, 2.0, "tracer length / l_* at negative Ri")
    C_c_c: Scalar = _coefficient(4.793, 0.0, 10.0, "convective tracer length coefficient")
    C_e_c: Scalar = _coefficient(0.112, 0.0, 1.0, "penetrative tracer length: entrainment flux / J_b")
    C_hi_e: Scalar = _coefficient(0.548, 0.01, 5.0, "TKE length / l_* at high Ri")
    C_lo_e: Scalar = _coefficient(7.863, 0.01, 20.0, "TKE length / l_* at low Ri")
    C_un_e: Scalar = _coefficient(1.447, 0.01, 5.0, "TKE length / l_* at negative Ri")
    C_c_e: Scalar = _coefficient(3.642, 0.0, 10.0, "convective TKE length coefficient")
    C_e_e: Scalar = _coefficient(0.0, 0.0, 1.0, "penetrative TKE length coefficient")


class CATKEEquation(eqx.Module):
    """Coefficients of the dissipation length and the boundary fluxes of the TKE equation."""

    C_hi_D: Scalar = _coefficient(0.579, 0.05, 5.0, "l_* / dissipation length at high Ri")
    C_lo_D: Scalar = _coefficient(1.604, 0.05, 5.0, "l_* / dissipation length at low Ri")
    C_un_D: Scalar = _coefficient(0.923, 0.05, 5.0, "l_* / dissipation length at negative Ri")
    C_c_D: Scalar = _coefficient(3.254, 0.0, 10.0, "convective dissipation length coefficient")
    C_e_D: Scalar = _coefficient(0.0, 0.0, 1.0, "penetrative dissipation length coefficient")
    C_W_ustar: Scalar = _coefficient(3.179, 0.0, 10.0, "surface TKE flux / u*³ (wind)")
    C_W_wdelta: Scalar = _coefficient(0.383, 0.0, 5.0, "surface TKE flux / (J_b dz_top) (convection)")
    C_W_epsilon: Scalar = _coefficient(1.0, 0.0, 5.0, "bottom TKE flux out of the ocean / e^(3/2)")


class CATKEState(eqx.Module):
    """TKE, the four lengths at the faces, and the time-averaged surface buoyancy flux."""

    tke: Faces = eqx.field(metadata=dict(units="m2 s-2", long_name="turbulent kinetic energy"))
    momentum_mixing_length: Faces = eqx.field(
        metadata=dict(units="m", long_name="mixing length of the eddy viscosity")
    )
    tracer_mixing_length: Faces = eqx.field(
        metadata=dict(units="m", long_name="mixing length of the eddy diffusivity")
    )
    tke_mixing_length: Faces = eqx.field(
        metadata=dict(units="m", long_name="mixing length of the diffusivity of turbulent kinetic energy")
    )
    dissipation_length: Faces = eqx.field(
        metadata=dict(units="m", long_name="dissipation length of turbulent kinetic energy")
    )
    surface_buoyancy_flux: Scalar = eqx.field(
        metadata=dict(
            units="m2 s-3",
            long_name="surface buoyancy flux out of the ocean averaged over the convective time scale",
        )
    )


def _smooth_step(x):
    """0 for x <= 0, 1 for x >= 1, 3x² - 2x³ in between (continuous with its derivative)."""
    x = jnp.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def convective_weight(N2):
    """0 where N² >= 0, 1 where N² <= -RAMP (1e-7 s-2), a smooth step in between."""
    return _smooth_step(-N2 / RAMP)


def stability_function(richardson, N2, unstable, low, high, richardson_0, richardson_delta):
    """sigma(Ri) of Wagner et al. (2025): `unstable` where N² < 0, else low + (high - low)
    clip((Ri - Ri_0) / Ri_delta, 0, 1); the Ri < 0 branch blended in over 0 > N² > -1e-7 s-2."""
    step = jnp.clip((jnp.maximum(richardson, 0.0) - richardson_0) / richardson_delta, 0.0, 1.0)
    weight = convective_weight(N2)
    return (1.0 - weight) * (low + (high - low) * step) + weight * unstable


def surface_tke_flux(equation: CATKEEquation, friction_velocity, buoyancy_flux_out, top_thickness):
    """TKE flux into the ocean at the surface (m3 s-3): C_W_ustar u*³ + C_W_wdelta max(J_b, 0) dz_top,
    J_b the buoyancy flux out of the ocean (m2 s-3, > 0 when cooling)."""
    convective_cube = jnp.maximum(buoyancy_flux_out, 0.0) * top_thickness  # w_Delta³
    return equation.C_W_ustar * friction_velocity**3 + equation.C_W_wdelta * convective_cube


class _Profiles(eqx.Module):
    """What every length of one step shares (faces)."""

    w: Faces  # turbulent velocity sqrt(max(e, e_min)) (m s-1)
    stable: Faces  # l_* / sigma = min(C_s d, C_b h, w / N) (m)
    richardson: Faces
    N2: Faces
    convecting: Faces  # weight of the convective length
    entraining: Faces  # weight of the penetration length
    sheared: Faces  # shear-convection factor max(0, 1 - C_sp d w S² / J_b)
    flux: Scalar  # max(J_b, 0) + J_b,min (m2 s-3)
    depth: Scalar  # H (m)


def convective_length(profiles: _Profiles, C_c, C_e):
    """l_h: C_c w³ / J_b (sheared) where convecting, C_e J_b / (w N²) where entraining (m)."""
    w, flux = profiles.w, profiles.flux
    convective = profiles.sheared * C_c * w**3 / flux
    penetrative = (
        C_e
        * (flux - MINIMUM_CONVECTIVE_BUOYANCY_FLUX)
        / (w * jnp.maximum(profiles.N2, 0.0) + MINIMUM_CONVECTIVE_BUOYANCY_FLUX)
    )
    return profiles.convecting * convective + profiles.entraining * penetrative


class CATKE(AbstractClosure[CATKEState]):
    """One-equation TKE closure with stability-dependent and convective mixing lengths (CATKE,
    Wagner et al. 2025; module docstring).

    Default calibration set (`calibration_set`): the tracer coefficients, which act on
    temperature directly. C_lo_c and C_hi_c (tracer length in sheared and in stratified flow:
    the largest sensitivities of temperature in the wind-driven runs of tests/test_catke.py,
    0.085 and 0.014 of the loss per unit relative change), the surface distance coefficient C_s
    (the size of the eddies near the surface, hence the entrainment rate of wind-driven layers),
    the convective coefficient C_c_c (mixing inside convective layers) and the penetration
    coefficient C_e_c (the entrainment flux -C_e_c J_b at the base of convective layers, the
    convective deepening rate). Momentum, TKE and dissipation coefficients are left at their
    published values by default: their effects on temperature overlap those above. Without
    surface cooling C_c_c and C_e_c have no effect (an exactly zero gradient): `calib fit` then
    leaves them out of the default set and says so.
    """

    name: ClassVar[str] = "catke"
    calibration_set: ClassVar[tuple[str, ...]] = (
        "mixing_length.C_s",
        "mixing_length.C_lo_c",
        "mixing_length.C_hi_c",
        "mixing_length.C_c_c",
        "mixing_length.C_e_c",
    )
    minimum_tke: Scalar = param(
        1e-9, 1e-12, 1e-6, units="m2 s-2", doc="e_min: floor of e (background mixing C_hi e_min / N)",
        source="Oceananigans.jl default (Wagner et al. 2025)",
    )  # fmt: skip
    background_viscosity: Scalar = param(
        0.0, 0.0, 1e-3, units="m2 s-1", doc="constant added to K_u", source="none in CATKE (0)"
    )
    background_diffusivity: Scalar = param(
        0.0, 0.0, 1e-3, units="m2 s-1", doc="constant added to K_c", source="none in CATKE (0)"
    )
    mixing_length: CATKEMixingLength = CATKEMixingLength()
    tke_equation: CATKEEquation = CATKEEquation()
    shear_production: AbstractShearProduction = EnergyConservingShear()

    def _profiles(self, tke: Faces, column: Column, buoyancy_flux: Scalar) -> _Profiles:
        lengths = self.mixing_length
        grid = column.grid
        depth = -grid.z_faces
        height = grid.z_faces - grid.z_faces[0]
        w = jnp.sqrt(jnp.maximum(tke, self.minimum_tke))
        N2, S2 = column.N2, column.S2
        buoyancy_length = w / jnp.sqrt(jnp.maximum(N2, _N2_FLOOR))
        stable = jnp.minimum(jnp.minimum(lengths.C_s * depth, lengths.C_b * height), buoyancy_length)
        unstable = convective_weight(N2)
        unstable_above = jnp.concatenate([unstable[1:], unstable[-1:]])
        gate = _smooth_step(buoyancy_flux / MINIMUM_CONVECTIVE_BUOYANCY_FLUX - 1.0)
        flux = jnp.maximum(buoyancy_flux, 0.0) + MINIMUM_CONVECTIVE_BUOYANCY_FLUX
        sheared = jnp.maximum(1.0 - lengths.C_sp * depth * w * S2 / flux, 0.0)
        return _Profiles(
            w=w,
            stable=stable,
            richardson=jnp.maximum(N2, 0.0) / jnp.maximum(S2, _S2_FLOOR),
            N2=N2,
            convecting=gate * unstable,
            entraining=gate * (1.0 - unstable) * unstable_above,
            sheared=sheared,
            flux=flux,
            depth=grid.depth,
        )

    def _length(self, profiles: _Profiles, unstable, low, high, C_c, C_e):
        sigma = stability_function(
            profiles.richardson, profiles.N2, unstable, low, high,
            self.mixing_length.C_Ri_0, self.mixing_length.C_Ri_delta,
        )  # fmt: skip
        length = jnp.maximum(sigma * profiles.stable, convective_length(profiles, C_c, C_e))
        return jnp.minimum(length, profiles.depth)

    def lengths(self, tke: Faces, column: Column, buoyancy_flux: Scalar) -> tuple[Faces, Faces, Faces, Faces]:
        """(l_u, l_c, l_e, l_D) at the faces (m) for TKE `tke` and the averaged J_b."""
        p = self._profiles(tke, column, buoyancy_flux)
        m, q = self.mixing_length, self.tke_equation
        momentum = self._length(p, m.C_un_u, m.C_lo_u, m.C_hi_u, m.C_c_u, m.C_e_u)
        tracer = self._length(p, m.C_un_c, m.C_lo_c, m.C_hi_c, m.C_c_c, m.C_e_c)
        tke_length = self._length(p, m.C_un_e, m.C_lo_e, m.C_hi_e, m.C_c_e, m.C_e_e)
        sigma_D = stability_function(p.richardson, p.N2, q.C_un_D, q.C_lo_D, q.C_hi_D, m.C_Ri_0, m.C_Ri_delta)
        dissipation = jnp.maximum(p.stable / sigma_D, convective_length(p, q.C_c_D, q.C_e_D))
        return momentum, tracer, tke_length, jnp.maximum(jnp.minimum(dissipation, p.depth), _LENGTH_FLOOR)

    def _state(self, tke: Faces, column: Column, buoyancy_flux: Scalar) -> CATKEState:
        l_u, l_c, l_e, l_D = self.lengths(tke, column, buoyancy_flux)
        return CATKEState(tke, l_u, l_c, l_e, l_D, buoyancy_flux)

    def init_state(self, column: Column) -> CATKEState:
        """e at its minimum; J_b at the flux of the first step; the lengths they imply."""
        tke = self.minimum_tke * jnp.ones_like(column.N2)
        return self._state(tke, column, -column.surface.buoyancy)

    def _averaged_buoyancy_flux(self, closure_state: CATKEState, now: Scalar, dt: float) -> Scalar:
        """J_b relaxed toward the current flux over t_* = (l_D² / J_b)^(1/3) (module docstring)."""
        previous = closure_state.surface_buoyancy_flux
        fastest = jnp.maximum(jnp.maximum(previous, now), MINIMUM_CONVECTIVE_BUOYANCY_FLUX)
        time_scale = jnp.cbrt(closure_state.dissipation_length[-2] ** 2 / fastest)
        ratio = dt / time_scale
        return (previous + ratio * now) / (1.0 + ratio)

    def __call__(self, column, closure_state, dt):
        buoyancy_flux_now = -column.surface.buoyancy  # out of the ocean, > 0 when cooling
        buoyancy_flux = self._averaged_buoyancy_flux(closure_state, buoyancy_flux_now, dt)
        tke = closure_state.tke
        l_u, l_c, l_e, l_D = self.lengths(tke, column, buoyancy_flux)
        w = jnp.sqrt(jnp.maximum(tke, self.minimum_tke))
        viscosity = l_u * w + self.background_viscosity
        buoyancy_production = -l_c * w * column.N2  # the closure's own K_c
        source = self.shear_production(column, viscosity) + jnp.maximum(buoyancy_production, 0.0)
        sink_rate = jnp.sqrt(tke) / l_D + jnp.maximum(-buoyancy_production, 0.0) / tke
        grid = column.grid
        # dissipative flux C_W_epsilon e^(3/2) out through the sea floor, implicit (rate at face 1)
        sink_rate = sink_rate.at[1].add(self.tke_equation.C_W_epsilon * jnp.sqrt(tke[1]) / grid.dz_faces[1])
        surface = Flux(surface_tke_flux(
            self.tke_equation, column.surface.friction_velocity, buoyancy_flux_now, grid.dz[-1]
        ))  # fmt: skip
        bottom = Flux(jnp.zeros_like(surface.value))
        (tke_new,) = implicit_face_step(
            [face_system(tke, l_e * w, source, sink_rate, bottom, surface, grid, dt)], column.solver
        )
        tke_new = jnp.maximum(tke_new, self.minimum_tke)
        state = self._state(tke_new, column, buoyancy_flux)
        w = jnp.sqrt(tke_new)
        diffusivities = Diffusivities(
            momentum=state.momentum_mixing_length * w + self.background_viscosity,
            tracers=state.tracer_mixing_length * w + self.background_diffusivity,
        )
        return diffusivities, state
