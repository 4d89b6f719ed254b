"""K-profile parameterisation (Large, McWilliams & Doney 1994, "LMD94"), in the form CVMix implements.

Surface boundary layer:

- the buoyancy forcing of the layer above depth d (LMD94's B_f; CVMix's "Bf" with penetrating
  shortwave): B_f(d) = the surface non-solar buoyancy flux + the shortwave buoyancy flux absorbed
  between the surface and d (`Column.shortwave_buoyancy`; where a column does not carry it, all
  the shortwave counts as absorbed at the surface). B_f(d) sets the velocity scales of the bulk
  Richardson number at d; B_f(h) sets the velocity scales, the stability and the non-local term of
  the diffusivity profile (the non-local flux itself carries the non-solar surface flux, the
  absorbed shortwave being a heat source of the model);
- bulk Richardson number at each cell centre, depth d (LMD94 eq. 21, CVMix's (1 - eps/2) factor):
  Ri_b(d) = (1 - eps/2) d (b_r - b(d)) / (|V_r - V(d)|² + V_t²(d)), with b_r, V_r the averages over
  the surface layer 0 < d' < eps d, and the unresolved shear (LMD94 eq. 23)
  V_t² = C_v (beta_T / (c_s eps))^½ / kappa² d N w_s / Ri_c, C_v scaled with N as in
  Danabasoglu et al. (2006): C_v max(1, (2.1 - 200 N) / 1.7);
- the boundary-layer depth h is where Ri_b first exceeds Ri_c, interpolated between the centres
  around the crossing (`crossing`: `QuadraticCrossing`, CVMix's default, or `LinearCrossing`),
  a differentiable function of the parameters; in stable forcing optionally limited by the
  Monin–Obukhov and/or Ekman depths (`stable_limit`, LMD94 eq. 24; CVMix's lMonOb, lEkman);
- velocity scales w_x = kappa u* / phi_x(zeta), zeta = sigma h / L (sigma capped at eps when
  unstable), with the Monin–Obukhov functions of LMD94 appendix B, written so that they stay finite
  when u* = 0 (free convection); optionally enhanced by Langmuir turbulence (`langmuir`);
- K_x(sigma) = h w_x(sigma) G(sigma) inside the layer, with `SimpleShape` G = sigma (1 - sigma)²
  (CVMix's "simple shapes", GOTM's and MOM6's default) or `MatchedShape`, the cubic of LMD94
  eqs. 18–19 whose value and slope at sigma = 1 match the interior K and dK/dz at h (CVMix's
  "MatchBoth"; `MatchGradientShape` keeps the simple shape for the non-local term);
- at the first face below the deepest centre above h, optionally the enhanced diffusivity of LMD94
  appendix D (eq. D6; CVMix's lenhanced_diff): `base`;
- in convection (B_f(h) < 0) the non-local tracer transport gamma = C_s G(sigma),
  C_s = C_* kappa (c_s kappa eps)^⅓ (LMD94 eq. 20; `Diffusivities.nonlocal_`).

Below h the interior scheme (`LMD94Interior`: shear instability nu0 (1 - (Ri/Ri0)²)³, backgrounds,
convective adjustment; or `BackgroundInterior`) applies.

Defaults are CVMix's (which GOTM's KPP reference runs also use): simple shapes, quadratic
interpolation of the crossing, enhanced diffusivity at the base, no stable limits (CVMix and GOTM
default lEkman = lMonOb = false; LMD94 had both), no Langmuir enhancement.
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


def _safe_divide(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (and a finite gradient there)."""
    nonzero = jnp.abs(denominator) > TINY
    return jnp.where(nonzero, numerator / jnp.where(nonzero, denominator, 1.0), 0.0)


def velocity_scales(depth_sigma, buoyancy_flux, ustar, kappa):
    """(w_m, w_s) (m s-1) at sigma h = `depth_sigma` (already capped at eps h when unstable) for the
    buoyancy forcing B_f (m2 s-3, positive stabilising) and u* (LMD94 eqs. 13, B1)."""
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


# ---------------------------------------------------------------------------------------------
# Shape functions


class AbstractShape(eqx.Module):
    """Shape function G(sigma) of the boundary-layer diffusivity, given the value G(1) and slope
    G'(1) that would match the interior diffusivity at h (ignored by shapes that do not match)."""

    matches: ClassVar[bool] = False

    @abc.abstractmethod
    def __call__(self, sigma, at_one, slope_at_one):
        """G at sigma = depth / h in [0, 1]."""

    def nonlocal_shape(self, sigma, at_one, slope_at_one):
        """Shape of the non-local term (the same G unless a variant says otherwise)."""
        return self(sigma, at_one, slope_at_one)


class SimpleShape(AbstractShape):
    """G = sigma (1 - sigma)²: K and dK/dz vanish at the base (CVMix "simple shapes")."""

    name: ClassVar[str] = "simple"

    def __call__(self, sigma, at_one=0.0, slope_at_one=0.0):
        return sigma * (1.0 - sigma) ** 2


def matched_cubic(sigma, at_one, slope_at_one):
    """G = sigma + a2 sigma² + a3 sigma³ with G(1) = `at_one`, G'(1) = `slope_at_one` (LMD94 eq. 11
    with a0 = 0, a1 = 1; eq. 18 for a2, a3)."""
    a2 = -2.0 + 3.0 * at_one - slope_at_one
    a3 = 1.0 - 2.0 * at_one + slope_at_one
    return sigma + a2 * sigma**2 + a3 * sigma**3


class MatchedShape(AbstractShape):
    """LMD94's cubic G = sigma + a2 sigma² + a3 sigma³ whose value and slope at sigma = 1 match the
    interior diffusivity and its gradient at h (LMD94 eqs. 18–19; CVMix "MatchBoth"): G(1) =
    K_int(h) / (h w(1)), G'(1) = min(0, -dK_int/dz(h) / w(1) + [stable] 5 B_f K_int(h) / u*⁴).
    The non-local term uses the same G."""

    name: ClassVar[str] = "match_both"
    matches: ClassVar[bool] = True

    def __call__(self, sigma, at_one, slope_at_one):
        return matched_cubic(sigma, at_one, slope_at_one)


class MatchGradientShape(MatchedShape):
    """The matched cubic for K, the simple shape for the non-local term (CVMix "MatchGradient")."""

    name: ClassVar[str] = "match_gradient"

    def nonlocal_shape(self, sigma, at_one, slope_at_one):
        return SimpleShape()(sigma)


# ---------------------------------------------------------------------------------------------
# Where Ri_b crosses Ri_c


class AbstractCrossing(eqx.Module):
    """Depth where the bulk Richardson number, known at the centres, reaches Ri_c."""

    def __call__(self, depth, Ri, critical):
        """h (m) from centre depths `depth` (top first, increasing) and Ri_b there; the column
        depth-side fallback is the caller's."""
        j = jnp.argmax(Ri > critical)  # first centre where Ri_b exceeds Ri_c
        previous = jnp.maximum(j - 1, 0)
        d_prev = jnp.where(j > 0, depth[previous], 0.0)  # the surface (Ri_b = 0) above the top centre
        ri_prev = jnp.where(j > 0, Ri[previous], 0.0)
        before = jnp.maximum(j - 2, 0)
        d_before = jnp.where(j > 1, depth[before], 0.0)  # the surface above the top centre
        ri_before = jnp.where(j > 1, Ri[before], 0.0)
        slope = _safe_divide(ri_prev - ri_before, d_prev - d_before)  # backward difference above the crossing
        fraction = self.fraction(ri_prev, Ri[j], slope * (depth[j] - d_prev), critical, first=j == 0)
        return d_prev + fraction * (depth[j] - d_prev)

    @abc.abstractmethod
    def fraction(self, ri_above, ri_below, slope_above, critical, first):
        """s in [0, 1]: where, between the centre above (Ri_b = ri_above <= Ri_c) and the centre
        below (ri_below > Ri_c), the interpolant reaches Ri_c; `slope_above` is the backward
        difference of Ri_b at the centre above times the spacing; `first`: the centre above is
        the surface."""


class LinearCrossing(AbstractCrossing):
    """Linear interpolation between the two centres around the crossing (CVMix "linear")."""

    name: ClassVar[str] = "linear"

    def fraction(self, ri_above, ri_below, slope_above, critical, first):
        return (critical - ri_above) / jnp.maximum(ri_below - ri_above, TINY)


class QuadraticCrossing(AbstractCrossing):
    """The quadratic through both centres around the crossing whose slope at the upper one is the
    backward difference of Ri_b there (CVMix "quadratic", its default and GOTM's): in
    s = (d - d_k) / (d_k+1 - d_k), Ri = Ri_k + m s + (Ri_k+1 - Ri_k - m) s², m the backward
    difference times the spacing (above the top centre, the surface, where Ri_b = 0; CVMix takes
    a zero slope there, the same thing since Ri_b = 0 at the top centre, whose surface layer lies
    within the top cell); the root in [0, 1] in closed form. Linear when the crossing lies between
    the surface and the top centre. Exact for a linear Ri_b profile, not for a quadratic one (the
    backward difference is the slope half a spacing higher)."""

    name: ClassVar[str] = "quadratic"

    def fraction(self, ri_above, ri_below, slope_above, critical, first):
        a = ri_above - critical  # <= 0
        b = slope_above
        c = ri_below - ri_above - b
        discriminant = jnp.sqrt(jnp.maximum(b * b - 4.0 * a * c, TINY))
        denominator = b + discriminant
        linear = LinearCrossing().fraction(ri_above, ri_below, slope_above, critical, first)
        quadratic = -2.0 * a / jnp.where(denominator > TINY, denominator, 1.0)
        return jnp.where(first | (denominator <= TINY), linear, jnp.clip(quadratic, 0.0, 1.0))


# ---------------------------------------------------------------------------------------------
# Limits on h in stable forcing (LMD94 eq. 24)


class AbstractStableLimit(eqx.Module):
    """An upper bound on h when the forcing is stabilising (B_f > 0)."""

    @abc.abstractmethod
    def __call__(self, buoyancy_forcing, ustar, coriolis, kappa):
        """Largest allowed h (m); +inf where there is no limit."""


class NoStableLimit(AbstractStableLimit):
    """h from the bulk Richardson number alone (CVMix's and GOTM's default)."""

    name: ClassVar[str] = "none"

    def __call__(self, buoyancy_forcing, ustar, coriolis, kappa):
        return jnp.inf


def monin_obukhov_length(buoyancy_forcing, ustar, kappa):
    """L = u*³ / (kappa B_f) where B_f > 0, +inf otherwise (m)."""
    stable = buoyancy_forcing > 0.0
    return jnp.where(stable, ustar**3 / (kappa * jnp.where(stable, buoyancy_forcing, 1.0)), jnp.inf)


def ekman_depth(buoyancy_forcing, ustar, coriolis, coefficient):
    """h_E = c u* / |f| where B_f > 0 and f != 0, +inf otherwise (m)."""
    active = (buoyancy_forcing > 0.0) & (coriolis != 0.0)
    return jnp.where(active, coefficient * ustar / jnp.where(active, jnp.abs(coriolis), 1.0), jnp.inf)


class MoninObukhovLimit(AbstractStableLimit):
    """h <= L = u*³ / (kappa B_f) in stable forcing (CVMix lMonOb)."""

    name: ClassVar[str] = "monin_obukhov"

    def __call__(self, buoyancy_forcing, ustar, coriolis, kappa):
        return monin_obukhov_length(buoyancy_forcing, ustar, kappa)


class EkmanLimit(AbstractStableLimit):
    """h <= c_E u* / |f| in stable forcing (CVMix lEkman)."""

    name: ClassVar[str] = "ekman"
    ekman_coefficient: Scalar = param(0.7, 0.2, 1.0, doc="c_E of the Ekman depth c_E u*/|f|",
                                      source="Large et al. (1994)")  # fmt: skip

    def __call__(self, buoyancy_forcing, ustar, coriolis, kappa):
        return ekman_depth(buoyancy_forcing, ustar, coriolis, self.ekman_coefficient)


class EkmanMoninObukhovLimit(EkmanLimit):
    """h <= min(L, c_E u* / |f|) in stable forcing (LMD94 eq. 24: both limits)."""

    name: ClassVar[str] = "lmd94"

    def __call__(self, buoyancy_forcing, ustar, coriolis, kappa):
        return jnp.minimum(
            monin_obukhov_length(buoyancy_forcing, ustar, kappa),
            ekman_depth(buoyancy_forcing, ustar, coriolis, self.ekman_coefficient),
        )


# ---------------------------------------------------------------------------------------------
# Langmuir turbulence (the model has no waves: the Langmuir number is a parameter)


class AbstractLangmuir(eqx.Module):
    """Enhancement of the velocity scales (and of the unresolved shear) by Langmuir turbulence."""

    @abc.abstractmethod
    def velocity_factor(self):
        """E >= 1 multiplying w_m and w_s in the diffusivity."""

    def entrainment_factor(self):
        """Factor of the unresolved shear V_t² (1 unless the variant enhances entrainment)."""
        return 1.0


class NoLangmuir(AbstractLangmuir):
    """No Langmuir enhancement (CVMix's and GOTM's default)."""

    name: ClassVar[str] = "none"

    def velocity_factor(self):
        return 1.0


class McWilliamsSullivanLangmuir(AbstractLangmuir):
    """E = (1 + C_w La_t⁻⁴)^½ (McWilliams & Sullivan 2000, C_w = 0.08), on the velocity scales."""

    name: ClassVar[str] = "mcwilliams_sullivan"
    langmuir_number: Scalar = param(0.3, 0.1, 2.0, doc="La_t = (u*/u_Stokes)^½, turbulent Langmuir number",
                                    source="McWilliams & Sullivan (2000); open-ocean value")  # fmt: skip
    langmuir_coefficient: Scalar = param(0.08, 0.02, 0.3, doc="C_w of E = (1 + C_w La_t^-4)^½",
                                         source="McWilliams & Sullivan (2000)")  # fmt: skip

    def velocity_factor(self):
        return jnp.sqrt(1.0 + self.langmuir_coefficient * self.langmuir_number**-4)


class LiLangmuir(AbstractLangmuir):
    """E = (1 + (1.5 La)⁻² + (5.4 La)⁻⁴)^½ (Van Roekel et al. 2012; Li et al. 2016, with the
    surface-layer Langmuir number La and the wind–wave misalignment ignored) on the velocity scales
    and on the unresolved shear (Li et al. 2016's entrainment; CVMix "LWF16")."""

    name: ClassVar[str] = "li2016"
    langmuir_number: Scalar = param(0.3, 0.1, 2.0, doc="La_SL, surface-layer Langmuir number",
                                    source="Li et al. (2016); open-ocean value")  # fmt: skip

    def velocity_factor(self):
        La = self.langmuir_number
        return jnp.sqrt(1.0 + (1.5 * La) ** -2 + (5.4 * La) ** -4)

    def entrainment_factor(self):
        return self.velocity_factor()


# ---------------------------------------------------------------------------------------------
# Diffusivity at the first face below the deepest centre above h (LMD94 appendix D)


class AbstractBase(eqx.Module):
    """How the boundary-layer and interior diffusivities join at the base."""

    @abc.abstractmethod
    def __call__(self, interior, boundary_at_face, boundary_at_centre, delta, face_inside):
        """K at the first face below the deepest centre above h, from the interior K there, the
        boundary-layer K at that face (used when the face lies inside, above h) and at the centre,
        and delta = (h - d_centre) / (d_next centre - d_centre)."""


class PlainBase(AbstractBase):
    """The boundary-layer profile above h, the interior below (CVMix lenhanced_diff = false)."""

    name: ClassVar[str] = "plain"

    def __call__(self, interior, boundary_at_face, boundary_at_centre, delta, face_inside):
        return jnp.where(face_inside, boundary_at_face, interior)


class EnhancedBase(AbstractBase):
    """K = (1 - delta) K_int + delta K*, K* = (1 - delta)² K_centre + delta² K_face, K_face the
    boundary-layer value where the face lies above h and the interior one below (LMD94 eq. D6;
    CVMix lenhanced_diff, its and GOTM's default)."""

    name: ClassVar[str] = "enhanced"

    def __call__(self, interior, boundary_at_face, boundary_at_centre, delta, face_inside):
        face = jnp.where(face_inside, boundary_at_face, interior)
        enhanced_value = (1.0 - delta) ** 2 * boundary_at_centre + delta**2 * face
        return (1.0 - delta) * interior + delta * enhanced_value


# ---------------------------------------------------------------------------------------------
# Interior


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


# ---------------------------------------------------------------------------------------------
# Helpers on top-first profiles


def _surface_layer_average(values, top_faces, depth):
    """Means of cell-centred profiles (..., nz, top-first) over 0 < d < depth, for each depth (nz,)."""
    thickness = jnp.diff(top_faces)
    zero = jnp.zeros(values.shape[:-1] + (1,), values.dtype)
    cumulative = jnp.concatenate([zero, jnp.cumsum(values * thickness, axis=-1)], axis=-1)
    index = jnp.clip(jnp.searchsorted(top_faces, depth, side="right") - 1, 0, values.shape[-1] - 1)
    integral = cumulative[..., index] + values[..., index] * (depth - top_faces[index])
    return integral / jnp.maximum(depth, TINY)


def buoyancy_forcing(column, depth):
    """B_f(d) (m2 s-3): the surface non-solar buoyancy flux plus the shortwave buoyancy flux
    absorbed between the surface and depth d (>= 0), linear between faces (module docstring)."""
    total = column.surface.buoyancy
    passing = getattr(column, "shortwave_buoyancy", None)
    if passing is None:
        return total + jnp.zeros_like(depth)
    top_faces = -column.grid.z_faces[::-1]
    return total - jnp.interp(depth, top_faces, passing[::-1])


def interior_at_depth(K_top, top_faces, h):
    """(K(h), dK/dz(h)) of an interior profile at the faces (top first) by LMD94's interpolation
    (CVMix "lmd94"): from the face below h, with a slope that blends the (non-negative) upward
    gradients within the cell holding h and within the cell below, weighted by where h sits."""
    nz = top_faces.shape[0] - 1
    width = jnp.diff(top_faces)
    c = jnp.clip(jnp.searchsorted(top_faces, h, side="right") - 1, 0, nz - 1)  # cell holding h
    K_above = jnp.where(c > 0, K_top[c], 0.0)  # CVMix takes K = 0 above the top cell
    K_face = K_top[c + 1]
    has_below = c + 1 < nz
    K_below = jnp.where(has_below, K_top[jnp.minimum(c + 2, nz)], K_face)
    width_below = jnp.where(has_below, width[jnp.minimum(c + 1, nz - 1)], 1.0)
    slope_above = jnp.maximum((K_above - K_face) / width[c], 0.0)
    slope_below = jnp.maximum((K_face - K_below) / width_below, 0.0)
    weight = (top_faces[c + 1] - h) / width[c]
    slope = weight * slope_above + (1.0 - weight) * slope_below
    return K_face + slope * (top_faces[c + 1] - h), slope


def shape_matching(K_h, dK_dz, h, w_at_one, buoyancy_forcing, ustar):
    """(G(1), G'(1)) that match the interior K(h) and dK/dz(h) (LMD94 eqs. 18–19, CVMix's form):
    G(1) = K(h) / (h w(1)); G'(1) = min(0, -dK/dz(h) / w(1) + [B_f > 0] 5 B_f K(h) / u*⁴), the last
    term from the sigma-derivative of the stable velocity scale."""
    at_one = _safe_divide(K_h, w_at_one * h)
    stable = buoyancy_forcing > 0.0
    slope = _safe_divide(-dK_dz, w_at_one) + jnp.where(
        stable, 5.0 * buoyancy_forcing * K_h / jnp.maximum(ustar**4, TINY), 0.0
    )
    return at_one, jnp.minimum(slope, 0.0)


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
    crossing: AbstractCrossing = QuadraticCrossing()
    base: AbstractBase = EnhancedBase()
    stable_limit: AbstractStableLimit = NoStableLimit()
    langmuir: AbstractLangmuir = NoLangmuir()
    interior: AbstractInterior = LMD94Interior()

    def init_state(self, column):
        return KPPState(boundary_layer_depth=jnp.zeros((), column.N2.dtype))

    def bulk_richardson(self, column):
        """(centre depths top first, Ri_b there) (module docstring)."""
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
        B = buoyancy_forcing(column, depth)
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
            * self.langmuir.entrainment_factor()
        )
        return depth, (1.0 - 0.5 * eps) * depth * db / (dv2 + vt2 + 1e-14)

    def boundary_layer_depth(self, column) -> Scalar:
        """h (m): where the bulk Richardson number first exceeds Ri_c, then the stable limit
        (module docstring)."""
        depth, Ri = self.bulk_richardson(column)
        bottom = -column.grid.z_faces[0]
        h = jnp.where(
            jnp.any(Ri > self.critical_richardson), self.crossing(depth, Ri, self.critical_richardson), bottom
        )
        limit = self.stable_limit(
            buoyancy_forcing(column, h), column.surface.friction_velocity, column.coriolis, self.von_karman
        )
        return jnp.minimum(h, limit)

    def __call__(self, column, closure_state, dt):
        h = jnp.maximum(self.boundary_layer_depth(column), 1e-3)
        eps, kappa = self.surface_layer_fraction, self.von_karman
        B = buoyancy_forcing(column, h)
        ustar = column.surface.friction_velocity
        unstable = B < 0
        enhancement = self.langmuir.velocity_factor()
        grid = column.grid
        top_faces = -grid.z_faces[::-1]
        centres = -grid.z_centers[::-1]
        nz = centres.shape[0]

        def scales(sigma):
            sigma = jnp.clip(sigma, 0.0, 1.0)
            capped = jnp.where(unstable, jnp.minimum(sigma, eps), sigma)
            w_m, w_s = velocity_scales(capped * h, B, ustar, kappa)
            return w_m * enhancement, w_s * enhancement

        nu_int, kappa_int = self.interior(column)
        nu_top, kappa_top = nu_int[::-1], kappa_int[::-1]
        w_m1, w_s1 = scales(1.0)

        def matching(K_top, w1):
            if not self.shape.matches:
                return 0.0, 0.0
            return shape_matching(*interior_at_depth(K_top, top_faces, h), h, w1, B, ustar)

        match_m, match_s = matching(nu_top, w_m1), matching(kappa_top, w_s1)
        sigma_faces = top_faces / h
        inside = (sigma_faces < 1.0) & (top_faces > 0.0)
        w_m, w_s = scales(sigma_faces)
        s_in = jnp.clip(sigma_faces, 0.0, 1.0)
        nu_bl = h * w_m * self.shape(s_in, *match_m)
        kappa_bl = h * w_s * self.shape(s_in, *match_s)
        c_s = self.nonlocal_amplitude * kappa * (C_S * kappa * eps) ** (1.0 / 3.0)
        gamma_bl = jnp.where(unstable, c_s * self.shape.nonlocal_shape(s_in, *match_s), 0.0)

        nu = jnp.where(inside, nu_bl, nu_top)
        diffusivity = jnp.where(inside, kappa_bl, kappa_top)
        gamma = jnp.where(inside, gamma_bl, 0.0)

        # the first face below the deepest centre above h (LMD94 appendix D)
        above = centres < h
        k = jnp.sum(above) - 1  # deepest centre above h (-1: none)
        kc = jnp.clip(k, 0, nz - 1)
        face = kc + 1  # top-first index of the face below that centre
        next_depth = jnp.where(kc + 1 < nz, centres[jnp.minimum(kc + 1, nz - 1)], top_faces[-1])
        delta = jnp.clip((h - centres[kc]) / (next_depth - centres[kc]), 0.0, 1.0)
        sigma_c = centres[kc] / h
        w_mc, w_sc = scales(sigma_c)
        nu_c = h * w_mc * self.shape(jnp.clip(sigma_c, 0.0, 1.0), *match_m)
        kappa_c = h * w_sc * self.shape(jnp.clip(sigma_c, 0.0, 1.0), *match_s)
        face_inside = top_faces[face] < h
        nu_face = self.base(nu_top[face], nu_bl[face], nu_c, delta, face_inside)
        kappa_face = self.base(kappa_top[face], kappa_bl[face], kappa_c, delta, face_inside)
        gamma_face = jnp.where(face_inside, gamma_bl[face] * _safe_divide(kappa_face, kappa_bl[face]), 0.0)
        apply = (k >= 0) & (face < nz)  # a centre above h, and the face is not the sea floor
        nu = nu.at[face].set(jnp.where(apply, nu_face, nu[face]))
        diffusivity = diffusivity.at[face].set(jnp.where(apply, kappa_face, diffusivity[face]))
        gamma = gamma.at[face].set(jnp.where(apply, gamma_face, gamma[face]))
        gamma = gamma.at[0].set(0.0).at[-1].set(0.0)  # no non-local flux through the boundaries
        return Diffusivities(momentum=nu[::-1], tracers=diffusivity[::-1], nonlocal_=gamma[::-1]), KPPState(
            boundary_layer_depth=h
        )


__all__ = [
    "KPP",
    "BackgroundInterior",
    "EkmanLimit",
    "EkmanMoninObukhovLimit",
    "EnhancedBase",
    "KPPState",
    "LMD94Interior",
    "LiLangmuir",
    "LinearCrossing",
    "MatchGradientShape",
    "MatchedShape",
    "McWilliamsSullivanLangmuir",
    "MoninObukhovLimit",
    "NoLangmuir",
    "NoStableLimit",
    "PlainBase",
    "QuadraticCrossing",
    "SimpleShape",
    "buoyancy_forcing",
    "interior_at_depth",
    "matched_cubic",
    "shape_matching",
    "velocity_scales",
]
