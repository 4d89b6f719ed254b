"""Boundary conditions, wall functions and derived coefficients of the generic-length-scale closures.

The generic variable is psi = c_mu0^p k^m l^n (Umlauf & Burchard 2003). In the log layer at
distance s = d + z0 from a wall, k is constant, l = kappa s, so psi = c_mu0^p k^m (kappa s)^n,
dpsi/ds = n psi / s and nu = c_mu0 k^(1/2) kappa s. The flux of psi into the column through the
centre of the boundary cell is therefore

    F_psi = -n (nu / sigma_psi) psi / s = -n c_mu0^(p+1) kappa^(n+1) k^(m+1/2) s^n / sigma_psi,

which is the epsilon flux c_mu0⁴ k² / (sigma_eps s) of `LogLayerFlux` for k-epsilon (p = 3,
m = 3/2, n = -1). For n > 0 (k-kl) psi grows away from the wall and the flux leaves the column:
it is then applied implicitly, proportional to the new psi at the first interior face, so psi
stays positive for any dt. k is the model's k at the first interior face (u*² / c_mu0² in a
log layer), so a column whose turbulence has not spun up receives no spurious psi.

Derived coefficients (the GLS forms of `calib.core.closures._coefficients`):
- log-layer relation (Umlauf & Burchard 2003, eq. 14): sigma_psi = n² kappa² / (c_mu0² (c_psi2
  F_log - c_psi1)) keeps the von Kármán constant whatever c_psi1, c_psi2, with F_log the wall
  function in the log layer (1 + E2 for Mellor–Yamada);
- steady Richardson number (Umlauf & Burchard 2005): in homogeneous equilibrium P + B = epsilon
  and c_psi1 P + c_psi3- B = c_psi2 epsilon, so c_psi3- = c_psi2 - (c_psi2 - c_psi1) / Rf with Rf the
  flux Richardson number at the chosen Ri_st under the stability functions.
"""

from __future__ import annotations

import abc
from typing import ClassVar, NamedTuple

import equinox as eqx
import jax.numpy as jnp

from calib.core.closures._coefficients import steady_flux_richardson
from calib.core.closures._face_transport import Boundary, Dirichlet, Flux
from calib.core.closures._wall import WallGeometry
from calib.core.numerics import safe_sqrt
from calib.core.params import param
from calib.core.shapes import Faces, Scalar


class Outflow(eqx.Module):
    """Flux out of the column through the centre of the boundary cell, `rate` times the new psi
    at the first interior face (rate in m s-1, >= 0): applied implicitly."""

    rate: Scalar


class PsiWallConstants(NamedTuple):
    """The closure coefficients a psi boundary condition needs."""

    cmu0: Scalar
    von_karman: Scalar
    sigma_psi: Scalar
    k_min: Scalar
    p: float
    m: float
    n: float


def log_layer_psi(constants: PsiWallConstants, k, s):
    """psi = c_mu0^p k^m (kappa s)^n of the log layer."""
    c = constants
    return c.cmu0**c.p * k**c.m * (c.von_karman * s) ** c.n


def log_layer_psi_flux(wall: WallGeometry, constants: PsiWallConstants) -> Flux | Outflow:
    """The log-layer flux of psi through the centre of the boundary cell (module docstring)."""
    c = constants
    s = wall.centre_distance + wall.roughness
    k = wall.k_near
    viscosity = c.cmu0 * safe_sqrt(k) * c.von_karman * s
    if c.n <= 0.0:
        return Flux(-c.n * viscosity / c.sigma_psi * log_layer_psi(c, k, s) / s)
    # psi at the centre from psi at the first interior face (distance 2 d + z0) along the log layer
    s_face = 2.0 * wall.centre_distance + wall.roughness
    return Outflow(c.n * viscosity / (c.sigma_psi * s) * (s / s_face) ** c.n)


class AbstractPsiWallBoundary(eqx.Module):
    """Boundary conditions for (k, psi) at one wall."""

    @abc.abstractmethod
    def __call__(
        self, wall: WallGeometry, constants: PsiWallConstants
    ) -> tuple[Boundary, Boundary | Outflow]:
        """(condition for k, condition for psi)."""


class PsiLogLayerFlux(AbstractPsiWallBoundary):
    """No TKE flux and the log-layer psi flux through the centre of the boundary cell (module
    docstring): GOTM's default, and `LogLayerFlux` of k-epsilon."""

    name: ClassVar[str] = "log_layer_flux"

    def __call__(self, wall, constants):
        return Flux(jnp.zeros_like(wall.k_near)), log_layer_psi_flux(wall, constants)


class PsiLogLayerMixed(AbstractPsiWallBoundary):
    """k = max(u*² / c_mu0², k_min) at the wall (Dirichlet) with the log-layer psi flux."""

    name: ClassVar[str] = "log_layer_mixed"

    def __call__(self, wall, constants):
        k = jnp.maximum(wall.friction_velocity**2 / constants.cmu0**2, constants.k_min)
        return Dirichlet(k), log_layer_psi_flux(wall, constants)


class PsiLawOfTheWall(AbstractPsiWallBoundary):
    """Dirichlet values of the log layer at the wall itself: k = max(u*² / c_mu0², k_min) and
    psi = c_mu0^p k^m (kappa z0)^n."""

    name: ClassVar[str] = "law_of_the_wall"

    def __call__(self, wall, constants):
        k = jnp.maximum(wall.friction_velocity**2 / constants.cmu0**2, constants.k_min)
        return Dirichlet(k), Dirichlet(log_layer_psi(constants, k, wall.roughness))


class AbstractWallFunction(eqx.Module):
    """F_wall multiplying the dissipation term c_psi2 epsilon of the psi equation."""

    @abc.abstractmethod
    def __call__(
        self, length: Faces, surface_distance: Faces, bottom_distance: Faces, von_karman: Scalar
    ) -> Faces:
        """F_wall at the faces given the length scale and the distances to the walls (m)."""

    @abc.abstractmethod
    def log_layer_value(self) -> Scalar:
        """F_wall in the log layer (l = kappa d)."""


class NoWallFunction(AbstractWallFunction):
    """F_wall = 1 (k-epsilon, k-omega and the generic model need none)."""

    name: ClassVar[str] = "none"

    def __call__(self, length, surface_distance, bottom_distance, von_karman):
        return jnp.ones_like(length)

    def log_layer_value(self):
        return jnp.asarray(1.0)


def _mellor_yamada(E2, von_karman, length, distance):
    return 1.0 + E2 * (length / (von_karman * distance)) ** 2


class NearestWallFunction(AbstractWallFunction):
    """F_wall = 1 + E2 (l / (kappa d))², d = min(d_surface, d_bottom) (+ z0), the distance to
    the nearer of the surface and the sea floor (Mellor & Yamada 1982 wall-proximity function,
    as written for k-kl by Umlauf & Burchard 2003)."""

    name: ClassVar[str] = "nearest_wall"
    E2: Scalar = param(
        1.33, 1.0, 1.8, doc="wall-proximity coefficient E2 of F_wall", source="Mellor & Yamada (1982)"
    )

    def __call__(self, length, surface_distance, bottom_distance, von_karman):
        return _mellor_yamada(self.E2, von_karman, length, jnp.minimum(surface_distance, bottom_distance))

    def log_layer_value(self):
        return 1.0 + self.E2


class ParabolicWallFunction(AbstractWallFunction):
    """F_wall = 1 + E2 (l / (kappa L))², 1/L = 1/d_surface + 1/d_bottom (Mellor & Yamada 1982's
    own distance, GOTM's "parabolic" shape)."""

    name: ClassVar[str] = "parabolic"
    E2: Scalar = param(
        1.33, 1.0, 1.8, doc="wall-proximity coefficient E2 of F_wall", source="Mellor & Yamada (1982)"
    )

    def __call__(self, length, surface_distance, bottom_distance, von_karman):
        distance = surface_distance * bottom_distance / (surface_distance + bottom_distance)
        return _mellor_yamada(self.E2, von_karman, length, distance)

    def log_layer_value(self):
        return 1.0 + self.E2


class AbstractPsiSchmidt(eqx.Module):
    """The turbulent Schmidt number of psi used by the closure."""

    @abc.abstractmethod
    def __call__(self, closure, cmu0: Scalar) -> Scalar:
        """sigma_psi (dimensionless)."""


class ParameterPsiSchmidt(AbstractPsiSchmidt):
    """sigma_psi = the closure parameter sigma_psi (the published value of each member)."""

    name: ClassVar[str] = "parameter"

    def __call__(self, closure, cmu0):
        return closure.sigma_psi


class LogLayerPsiSchmidt(AbstractPsiSchmidt):
    """sigma_psi = n² kappa² / (c_mu0² (c_psi2 F_log - c_psi1)) (module docstring)."""

    name: ClassVar[str] = "log_layer"

    def __call__(self, closure, cmu0):
        difference = closure.c_psi2 * closure.wall_function.log_layer_value() - closure.c_psi1
        return closure.n**2 * closure.von_karman**2 / (cmu0**2 * jnp.maximum(difference, 1e-3))


class AbstractPsiStableBuoyancy(eqx.Module):
    """The buoyancy coefficient c_psi3- of the psi equation in stable stratification."""

    @abc.abstractmethod
    def __call__(self, closure) -> Scalar:
        """c_psi3- (dimensionless)."""


class ParameterPsiBuoyancy(AbstractPsiStableBuoyancy):
    """c_psi3- = the closure parameter c_psi3_stable."""

    name: ClassVar[str] = "parameter"

    def __call__(self, closure):
        return closure.c_psi3_stable


class SteadyRichardsonPsi(AbstractPsiStableBuoyancy):
    """c_psi3- = c_psi2 - (c_psi2 - c_psi1) / Rf, Rf the steady-state flux Richardson number at the
    gradient Richardson number `richardson` under the closure's stability functions."""

    name: ClassVar[str] = "steady_richardson"
    richardson: Scalar = param(
        0.25, 0.1, 0.5, doc="steady-state gradient Richardson number Ri_st",
        source="Umlauf & Burchard (2005)", spread=0.05,
    )  # fmt: skip

    def __call__(self, closure):
        flux = steady_flux_richardson(closure.stability, self.richardson)
        return closure.c_psi2 - (closure.c_psi2 - closure.c_psi1) / flux


__all__ = [
    "AbstractPsiSchmidt",
    "AbstractPsiStableBuoyancy",
    "AbstractPsiWallBoundary",
    "AbstractWallFunction",
    "LogLayerPsiSchmidt",
    "NearestWallFunction",
    "NoWallFunction",
    "Outflow",
    "ParabolicWallFunction",
    "ParameterPsiBuoyancy",
    "ParameterPsiSchmidt",
    "PsiLawOfTheWall",
    "PsiLogLayerFlux",
    "PsiLogLayerMixed",
    "PsiWallConstants",
    "SteadyRichardsonPsi",
    "log_layer_psi",
    "log_layer_psi_flux",
]
