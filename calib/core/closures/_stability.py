"""Algebraic stability functions of two-equation closures.

A stability function module maps the shear and buoyancy numbers of the turbulence,

    alpha_M = (k / epsilon)² S²,     alpha_N = (k / epsilon)² N²,

to the dimensionless coefficients of the eddy viscosity and diffusivity,

    nu_M = c_mu(alpha_M, alpha_N) k² / epsilon,   nu_H = c_mu'(alpha_M, alpha_N) k² / epsilon,

in the notation of Umlauf & Burchard (2005). Each module clips alpha_M and alpha_N to the range
where its functions are positive and finite, and gives its neutral constant c_mu0 =
(c_mu in unstratified equilibrium, P = epsilon)^(1/4), which links epsilon to a length scale
(epsilon = c_mu0³ k^(3/2) / l) in the boundary conditions and length-scale limiters.
Everything is computed from the module's fields inside the call, so derivatives reach them.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp

from calib.core.numerics import safe_sqrt
from calib.core.params import param
from calib.core.shapes import Faces, Scalar


class AbstractStabilityFunctions(eqx.Module):
    """c_mu and c_mu' as functions of alpha_M and alpha_N (see the module docstring)."""

    @abc.abstractmethod
    def neutral_cmu0(self) -> Scalar:
        """c_mu0 = (c_mu at P = epsilon in unstratified flow)^(1/4) (dimensionless)."""

    @abc.abstractmethod
    def __call__(self, alpha_M: Faces, alpha_N: Faces) -> tuple[Faces, Faces]:
        """(c_mu, c_mu') >= 0 after clipping alpha_M and alpha_N to their valid range."""

    def steady_alpha_M(self, richardson: Scalar) -> Scalar:
        """alpha_M of the equilibrium P + B = epsilon at gradient Richardson number Ri, i.e. the
        root of c_mu(aM, Ri aM) aM - c_mu'(aM, Ri aM) Ri aM = 1 (Newton from the neutral root;
        differentiable, 30 iterations)."""

        def residual(alpha_M):
            c_mu, c_mu_prime = self(alpha_M, richardson * alpha_M)
            return (c_mu - c_mu_prime * richardson) * alpha_M - 1.0

        alpha_M = 1.0 / self.neutral_cmu0() ** 4
        for _ in range(30):
            value = residual(alpha_M)
            slope = (residual(alpha_M * (1.0 + 1e-6)) - value) / (1e-6 * alpha_M)
            alpha_M = jnp.maximum(alpha_M - value / slope, 1e-3)
        return alpha_M


class CanutoA(AbstractStabilityFunctions):
    """Canuto et al. (2001), version A, in the rational form of Umlauf & Burchard (2005):

        c_mu  = (n0 + n1 aN + n2 aM) / D,    c_mu' = (nb0 + nb1 aN + nb2 aM) / D,
        D = 1 + d1 aN + d2 aM + d3 aN² + d4 aN aM + d5 aM².

    The coefficients are those tabulated for version A by Umlauf & Burchard (2005) and
    Warner et al. (2005); they follow from Canuto's pressure-strain constants and are kept fixed
    (calibrate the closure's other coefficients instead). With them c_mu0 = 0.527, and a k-epsilon
    model with c_eps3- = -0.63 has the steady-state Richardson number 0.25.

    Limiters (Umlauf & Burchard 2005, section 4): alpha_N >= `convective_fraction` times the
    negative root of D(alpha_M = 0), where D vanishes in convection; alpha_M <= `shear_fraction`
    times the smallest positive alpha_M at which D or a numerator vanishes (d5 and n2 < 0).
    """

    name: ClassVar[str] = "canuto_a"

    n0: float = eqx.field(static=True, default=0.1070)
    n1: float = eqx.field(static=True, default=0.01741)
    n2: float = eqx.field(static=True, default=-0.00012)
    nb0: float = eqx.field(static=True, default=0.1120)
    nb1: float = eqx.field(static=True, default=0.004519)
    nb2: float = eqx.field(static=True, default=0.00088)
    d1: float = eqx.field(static=True, default=0.2555)
    d2: float = eqx.field(static=True, default=0.02872)
    d3: float = eqx.field(static=True, default=0.008677)
    d4: float = eqx.field(static=True, default=0.005222)
    d5: float = eqx.field(static=True, default=-0.0000337)
    convective_fraction: float = eqx.field(static=True, default=0.9)
    shear_fraction: float = eqx.field(static=True, default=0.9)

    def neutral_cmu0(self):
        # c_mu(aM, 0) aM = 1 is (n2 - d5) aM² + (n0 - d2) aM - 1 = 0; smallest positive root.
        b = self.n0 - self.d2
        a_m = 2.0 / (b + (b * b + 4.0 * (self.n2 - self.d5)) ** 0.5)
        return jnp.asarray((1.0 / a_m) ** 0.25)

    def steady_alpha_M(self, richardson):
        """Closed form for the rational functions: with aN = Ri aM, the equilibrium
        c_mu aM - c_mu' Ri aM = 1 is A aM² + B aM - 1 = 0 (limiters inactive)."""
        ri = richardson
        a = (
            self.n1 * ri
            + self.n2
            - self.nb1 * ri**2
            - self.nb2 * ri
            - self.d3 * ri**2
            - self.d4 * ri
            - self.d5
        )
        b = self.n0 - self.nb0 * ri - self.d1 * ri - self.d2
        return 2.0 / (b + safe_sqrt(b * b + 4.0 * a))

    def _alpha_N_min(self) -> float:
        root = (-self.d1 + (self.d1**2 - 4.0 * self.d3) ** 0.5) / (2.0 * self.d3)
        return self.convective_fraction * root

    def _alpha_M_max(self, alpha_N: Faces) -> Faces:
        # D = d5 aM² + b aM + c with d5 < 0 and c > 0 has one positive root.
        b = self.d2 + self.d4 * alpha_N
        c = 1.0 + self.d1 * alpha_N + self.d3 * alpha_N**2
        denominator_root = 2.0 * c / (safe_sqrt(b * b - 4.0 * self.d5 * c) - b)
        momentum_root = (self.n0 + self.n1 * alpha_N) / -self.n2
        return self.shear_fraction * jnp.minimum(denominator_root, momentum_root)

    def __call__(self, alpha_M, alpha_N):
        alpha_N = jnp.maximum(alpha_N, self._alpha_N_min())
        alpha_M = jnp.clip(alpha_M, 0.0, self._alpha_M_max(alpha_N))
        denominator = (
            1.0
            + self.d1 * alpha_N
            + self.d2 * alpha_M
            + self.d3 * alpha_N**2
            + self.d4 * alpha_N * alpha_M
            + self.d5 * alpha_M**2
        )
        c_mu = (self.n0 + self.n1 * alpha_N + self.n2 * alpha_M) / denominator
        c_mu_prime = (self.nb0 + self.nb1 * alpha_N + self.nb2 * alpha_M) / denominator
        return jnp.maximum(c_mu, 0.0), jnp.maximum(c_mu_prime, 0.0)


class KanthaClaysonQuasiEquilibrium(AbstractStabilityFunctions):
    """Quasi-equilibrium stability functions of Kantha & Clayson (1994), which generalise
    Galperin et al. (1988) with the buoyancy pressure-strain constants C2 and C3:

        S_H [1 - (3 A2 B2 (1 - C3) + 18 A1 A2) G_H] = A2 (1 - 6 A1 / B1)
        S_M (1 - 9 A1 A2 G_H) - S_H (18 A1² + 9 A1 A2 (1 - C2)) G_H = A1 (1 - 3 C1 - 6 A1 / B1)

    with G_H = -l² N² / q², q² = 2k and the Mellor–Yamada dissipation length l = q³ / (B1 epsilon),
    so G_H = -4 alpha_N / B1², nu_M = l q S_M = (4 S_M / B1) k² / epsilon: c_mu = 4 S_M / B1 and
    c_mu' = 4 S_H / B1. They depend on alpha_N only. G_H is capped at `G_H_max` = 0.0233 in
    convection (Galperin et al. 1988), and at 0.9 of the poles of S_H and S_M whatever the
    constants; the stable side is limited by the closure's length-scale limiter
    (l <= 0.53 q / N is G_H >= -0.28). The bounds keep 3 C1 + 6 A1 / B1 < 1 (S_M > 0 in neutral
    flow). `galperin1988()` sets C2 = C3 = 0.
    """

    name: ClassVar[str] = "kantha_clayson"

    A1: Scalar = param(
        0.92, 0.6, 1.2, doc="Mellor-Yamada pressure-strain constant A1", source="Mellor & Yamada (1982)"
    )
    A2: Scalar = param(
        0.74, 0.4, 1.0, doc="Mellor-Yamada pressure-strain constant A2", source="Mellor & Yamada (1982)"
    )
    B1: Scalar = param(
        16.6, 12.0, 24.0, doc="Mellor-Yamada dissipation constant B1", source="Mellor & Yamada (1982)"
    )
    B2: Scalar = param(
        10.1, 5.0, 15.0, doc="Mellor-Yamada dissipation constant B2", source="Mellor & Yamada (1982)"
    )
    C1: Scalar = param(
        0.08, 0.0, 0.12, doc="Mellor-Yamada pressure-strain constant C1", source="Mellor & Yamada (1982)"
    )
    C2: Scalar = param(
        0.7,
        0.0,
        1.0,
        doc="buoyancy pressure-strain constant C2 (Kantha & Clayson 1994)",
        source="Kantha & Clayson (1994)",
    )
    C3: Scalar = param(
        0.2,
        0.0,
        1.0,
        doc="buoyancy pressure-strain constant C3 (Kantha & Clayson 1994)",
        source="Kantha & Clayson (1994)",
    )
    G_H_max: Scalar = param(
        0.0233, 0.01, 0.03, doc="largest G_H (convective limit)", source="Galperin et al. (1988)"
    )

    @classmethod
    def galperin1988(cls) -> KanthaClaysonQuasiEquilibrium:
        """The original quasi-equilibrium functions of Galperin et al. (1988): C2 = C3 = 0."""
        return cls(C2=0.0, C3=0.0)

    def _S_M_neutral(self):
        return self.A1 * (1.0 - 3.0 * self.C1 - 6.0 * self.A1 / self.B1)

    def neutral_cmu0(self):
        return (4.0 * self._S_M_neutral() / self.B1) ** 0.25

    def __call__(self, alpha_M, alpha_N):
        heat_coefficient = 3.0 * self.A2 * self.B2 * (1.0 - self.C3) + 18.0 * self.A1 * self.A2
        momentum_coefficient = 9.0 * self.A1 * self.A2
        G_H_max = jnp.minimum(self.G_H_max, 0.9 / jnp.maximum(heat_coefficient, momentum_coefficient))
        G_H = jnp.minimum(-4.0 * alpha_N / self.B1**2, G_H_max)
        heat_denominator = 1.0 - heat_coefficient * G_H
        S_H = self.A2 * (1.0 - 6.0 * self.A1 / self.B1) / heat_denominator
        coupling = (18.0 * self.A1**2 + 9.0 * self.A1 * self.A2 * (1.0 - self.C2)) * G_H
        S_M = (self._S_M_neutral() + S_H * coupling) / (1.0 - momentum_coefficient * G_H)
        return jnp.maximum(4.0 * S_M / self.B1, 0.0), jnp.maximum(4.0 * S_H / self.B1, 0.0)
