"""Boundary conditions for k and epsilon at the surface and the sea floor.

Every condition is built on the law of the wall: near a boundary with friction velocity u* and
roughness length z0, at distance d the log layer has k = u*² / c_mu0², epsilon = u*³ / (kappa s)
and nu = kappa u* s with s = d + z0 (Umlauf & Burchard 2003, section 4). Fluxes are positive
into the column.
"""

from __future__ import annotations

import abc
from typing import ClassVar, NamedTuple

import equinox as eqx
import jax.numpy as jnp

from calib.core.closures._face_transport import Boundary, Dirichlet, Flux
from calib.core.numerics import safe_sqrt
from calib.core.params import param
from calib.core.shapes import Scalar


class WallConstants(NamedTuple):
    """The closure coefficients a boundary condition needs (traced scalars)."""

    cmu0: Scalar
    von_karman: Scalar
    sigma_k: Scalar
    sigma_epsilon: Scalar
    c_epsilon2: Scalar
    k_min: Scalar
    epsilon_min: Scalar
    c_mu_shear_free: Scalar  # c_mu(alpha_M = 0, alpha_N = 0) of the stability functions


class WallGeometry(NamedTuple):
    """Where the boundary values are needed.

    Attributes:
        friction_velocity: u* of the boundary (m s-1).
        roughness: z0 (m).
        centre_distance: from the wall to the centre of the boundary cell, where fluxes act (m).
        k_near: k at the first interior face at the start of the step (m2 s-2).
    """

    friction_velocity: Scalar
    roughness: Scalar
    centre_distance: Scalar
    k_near: Scalar


class AbstractWallBoundary(eqx.Module):
    """Boundary conditions for (k, epsilon) at one wall."""

    @abc.abstractmethod
    def __call__(self, wall: WallGeometry, constants: WallConstants) -> tuple[Boundary, Boundary]:
        """(condition for k, condition for epsilon)."""


class LawOfTheWall(AbstractWallBoundary):
    """Dirichlet values of the log layer at the wall itself (d = 0):
    k = u*² / c_mu0², epsilon = c_mu0³ k^(3/2) / (kappa z0), each at least its minimum."""

    name: ClassVar[str] = "law_of_the_wall"

    def __call__(self, wall, constants):
        c = constants
        u_star_squared = wall.friction_velocity**2
        k = jnp.maximum(u_star_squared / c.cmu0**2, c.k_min)
        epsilon = c.cmu0**3 * k * safe_sqrt(k) / (c.von_karman * wall.roughness)
        return Dirichlet(k), Dirichlet(jnp.maximum(epsilon, c.epsilon_min))


class LogLayerFlux(AbstractWallBoundary):
    """Flux conditions of the log layer at the centre of the boundary cell (Umlauf & Burchard
    2003): no TKE flux (k is constant in the log layer) and the epsilon flux
    (nu / sigma_eps) |d epsilon/dz| = c_mu0⁴ k² / (sigma_eps s), s = d + z0, which is
    u*⁴ / (sigma_eps s) in the log layer. k is the model's k at the first interior face, so a
    column whose turbulence has not spun up yet receives no spurious epsilon."""

    name: ClassVar[str] = "log_layer_flux"

    def __call__(self, wall, constants):
        c = constants
        s = wall.centre_distance + wall.roughness
        epsilon_flux = c.cmu0**4 * wall.k_near**2 / (c.sigma_epsilon * s)
        return Flux(jnp.zeros_like(epsilon_flux)), Flux(epsilon_flux)


class LogLayerMixed(AbstractWallBoundary):
    """The log-layer k = max(u*² / c_mu0², k_min) at the wall (Dirichlet) with the epsilon flux
    of `LogLayerFlux` through the centre of the boundary cell.

    The default of `KEpsilon`: the Dirichlet k feeds TKE in from a stressed wall and drains it
    at a wall without stress, and the flux condition for epsilon avoids the spurious epsilon
    injection of a Dirichlet epsilon ~ 1/z0, which on grids of metres delays or prevents the
    spin-up of the turbulence (with `LawOfTheWall`, Kato–Phillips at dz = 5 m, dt = 600 s gives
    a 20 m instead of 30 m mixed layer).
    """

    name: ClassVar[str] = "log_layer_mixed"

    def __call__(self, wall, constants):
        c = constants
        k = jnp.maximum(wall.friction_velocity**2 / c.cmu0**2, c.k_min)
        s = wall.centre_distance + wall.roughness
        return Dirichlet(k), Flux(c.cmu0**4 * wall.k_near**2 / (c.sigma_epsilon * s))


class WaveBreakingFlux(AbstractWallBoundary):
    """TKE injection by breaking surface waves (Craig & Banner 1994): k flux c_w u*³.

    Below the surface, diffusion of k balances dissipation and k decays as s^(-a), s = d + z0,
    in shear-free turbulence, where the stability function is c_mu_sf = c_mu(0, 0) (0.107 for
    Canuto A, against c_mu0⁴ = 0.077 in a log layer). Requiring the k and epsilon equations of the
    k-epsilon model to hold in this layer gives (1.5 c2 sigma_eps - 3 sigma_k) a² - 3.5 sigma_k a
    - sigma_k = 0, independent of c_mu (a ~ 5 with the standard coefficients; Umlauf & Burchard
    2003 discuss the general case), and the epsilon flux c_mu_sf (1 + 1.5 a) k² / (sigma_eps s). k is taken at the first interior face: the
    analytic decay is far steeper than a metre-scale grid resolves, and extrapolating along it
    traps the top faces in a high-epsilon, low-viscosity state. Use a large z0 (of the order of
    the wave height, Stacey 1999).
    """

    name: ClassVar[str] = "wave_breaking"

    craig_banner_coefficient: Scalar = param(
        100.0, 0.0, 250.0, doc="c_w of the TKE flux c_w u*^3", source="Craig & Banner (1994)"
    )

    def decay_exponent(self, constants: WallConstants) -> Scalar:
        """Exponent a of k ~ (d + z0)^(-a) in the wave-affected layer."""
        c = constants
        a2 = jnp.maximum(1.5 * c.c_epsilon2 * c.sigma_epsilon - 3.0 * c.sigma_k, 0.05)  # > 0 for a real decay
        return (3.5 * c.sigma_k + jnp.sqrt(12.25 * c.sigma_k**2 + 4.0 * a2 * c.sigma_k)) / (2.0 * a2)

    def __call__(self, wall, constants):
        c = constants
        exponent = self.decay_exponent(c)
        s = wall.centre_distance + wall.roughness
        k = wall.k_near
        k_flux = self.craig_banner_coefficient * wall.friction_velocity**3
        epsilon_flux = c.c_mu_shear_free * (1.0 + 1.5 * exponent) * k**2 / (c.sigma_epsilon * s)
        return Flux(k_flux), Flux(epsilon_flux)
