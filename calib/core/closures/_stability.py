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
import functools
from typing import ClassVar

import equinox as eqx
import jax
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
        root of c_mu(aM, Ri aM) aM - c_mu'(aM, Ri aM) Ri aM = 1: 30 Newton steps from the neutral
        root in one `lax.fori_loop` (differentiable; unrolled, the loop made a run that evaluates
        it every step take minutes to compile). Where the functions have no such equilibrium
        (`steady_residual` stays away from 0) the iteration runs off to large alpha_M."""

        def newton(_, alpha_M):
            residual = lambda a: self.steady_residual(a, richardson)  # noqa: E731
            value, slope = jax.jvp(residual, (alpha_M,), (jnp.ones_like(alpha_M),))
            return jnp.maximum(alpha_M - value / slope, 1e-3)

        start = 1.0 / self.neutral_cmu0() ** 4
        return jax.lax.fori_loop(0, 30, newton, start * jnp.ones_like(richardson))

    def steady_residual(self, alpha_M: Scalar, richardson: Scalar) -> Scalar:
        """(P + B) / epsilon - 1 = c_mu aM - c_mu' Ri aM - 1 at alpha_N = Ri alpha_M."""
        c_mu, c_mu_prime = self(alpha_M, richardson * alpha_M)
        return (c_mu - c_mu_prime * richardson) * alpha_M - 1.0

    def has_steady_state(self, richardson: float) -> bool:
        """Whether the equilibrium of `steady_alpha_M` exists at this Ri (host-side check for
        the case reader: Kantha–Clayson's functions have none at Ri = 0.25, their flux
        Richardson number levels off at 0.22)."""
        alpha_M = self.steady_alpha_M(jnp.asarray(richardson))
        return bool(abs(float(self.steady_residual(alpha_M, jnp.asarray(richardson)))) < 1e-6)


class AbstractAlphaLimiter(eqx.Module):
    """Bounds on alpha_M and alpha_N applied before a rational stability function is evaluated."""

    @abc.abstractmethod
    def __call__(self, functions: RationalStabilityFunctions, alpha_M: Faces, alpha_N: Faces):
        """(alpha_M, alpha_N) limited."""


class EquilibriumLimiter(AbstractAlphaLimiter):
    """The limiters of Umlauf & Burchard (2005, section 4), as GOTM applies them.

    Convection: alpha_N >= `convective_fraction` times alpha_N of shear-free convective equilibrium
    (B = epsilon, i.e. -c_mu'(0, aN) aN = 1, the root nearest zero); GOTM's factor 0.5 gives
    -1.53 for Canuto A. Shear: alpha_M <= the bound of their eq. (44), beyond which the momentum
    flux would decrease with growing shear (1 / d2 = 34.8 at alpha_N = 0 for Canuto A)."""

    name: ClassVar[str] = "equilibrium"
    convective_fraction: float = eqx.field(static=True, default=0.5)

    def alpha_N_min(self, f: RationalStabilityFunctions) -> float:
        a, b = f.d3 + f.nb1, f.d1 + f.nb0  # (d3 + nb1) aN² + (d1 + nb0) aN + 1 = 0
        return self.convective_fraction * (-b + (b * b - 4.0 * a) ** 0.5) / (2.0 * a)

    def alpha_M_max(self, f: RationalStabilityFunctions, alpha_N: Faces) -> Faces:
        r = f.n1 / f.n0
        numerator = 1.0 + (r + f.d1) * alpha_N + (f.d1 * r + f.d3) * alpha_N**2 + f.d3 * r * alpha_N**3
        denominator = f.d2 + (f.d2 * r + f.d4) * alpha_N + f.d4 * r * alpha_N**2
        return numerator / denominator

    def __call__(self, functions, alpha_M, alpha_N):
        alpha_N = jnp.maximum(alpha_N, self.alpha_N_min(functions))
        return jnp.clip(alpha_M, 0.0, self.alpha_M_max(functions, alpha_N)), alpha_N


class PoleLimiter(AbstractAlphaLimiter):
    """Bounds at fixed fractions of the poles of the functions (the default): alpha_N >=
    `convective_fraction` times the negative root of D(alpha_M = 0), alpha_M <= `shear_fraction`
    times the smallest positive alpha_M at which D or the numerator of c_mu vanishes. Looser than
    `EquilibriumLimiter` on both sides (-4.18 and about 790 for Canuto A): convection mixes
    with c_mu' up to about 1.1 instead of 0.17.

    Why it is the default (benchmarks/gotm.md): with everything else as GOTM, k-epsilon under
    these bounds deepens free convection (-100 W m-2 into N² 1e-5 s-2, 24 h) to 31 m against
    30 m with GOTM's and 34 m from the entrainment law 1.67 (B0 t)^(1/2) / N, and on the LES
    free-convection case its RMS error of T is 0.021 K against 0.057 K; on wind-driven cases
    (Kato–Phillips, LES strong wind) the two agree to 1e-4 K."""

    name: ClassVar[str] = "poles"
    convective_fraction: float = eqx.field(static=True, default=0.9)
    shear_fraction: float = eqx.field(static=True, default=0.9)

    def alpha_N_min(self, f: RationalStabilityFunctions) -> float:
        return self.convective_fraction * (-f.d1 + (f.d1**2 - 4.0 * f.d3) ** 0.5) / (2.0 * f.d3)

    def alpha_M_max(self, f: RationalStabilityFunctions, alpha_N: Faces) -> Faces:
        # D = d5 aM² + b aM + c with d5 < 0 and c > 0 has one positive root.
        b = f.d2 + f.d4 * alpha_N
        c = 1.0 + f.d1 * alpha_N + f.d3 * alpha_N**2
        denominator_root = 2.0 * c / (safe_sqrt(b * b - 4.0 * f.d5 * c) - b)
        momentum_root = (f.n0 + f.n1 * alpha_N) / jnp.maximum(-f.n2, 1e-12)
        return self.shear_fraction * jnp.minimum(denominator_root, momentum_root)

    def __call__(self, functions, alpha_M, alpha_N):
        alpha_N = jnp.maximum(alpha_N, self.alpha_N_min(functions))
        return jnp.clip(alpha_M, 0.0, self.alpha_M_max(functions, alpha_N)), alpha_N


class RationalStabilityFunctions(AbstractStabilityFunctions):
    """Weak-equilibrium stability functions of the rational form of Umlauf & Burchard (2005):

        c_mu  = (n0 + n1 aN + n2 aM) / D,    c_mu' = (nb0 + nb1 aN + nb2 aM) / D,
        D = 1 + d1 aN + d2 aM + d3 aN² + d4 aN aM + d5 aM²,

    whose coefficients follow from the pressure-strain constants c1..c6 and the buoyancy-flux
    constants cb1..cb5, cbb of each model (Umlauf & Burchard 2005, eqs. A.9-A.12 and Table 1,
    normalised by their d0). The constants are fixed (calibrate the closure's other coefficients
    instead); `limiter` bounds alpha_M and alpha_N (`PoleLimiter` by default;
    `EquilibriumLimiter` is GOTM's).
    """

    c1: ClassVar[float]
    c2: ClassVar[float]
    c3: ClassVar[float]
    c4: ClassVar[float]
    c5: ClassVar[float]
    c6: ClassVar[float]
    cb1: ClassVar[float]
    cb2: ClassVar[float]
    cb3: ClassVar[float]
    cb4: ClassVar[float]
    cb5: ClassVar[float]
    cbb: ClassVar[float]
    limiter: AbstractAlphaLimiter = PoleLimiter()

    @classmethod
    def coefficients(cls) -> dict[str, float]:
        """n0, n1, n2, nb0, nb1, nb2, d1..d5 of the rational form (D normalised to 1 + ...)."""
        a1, a2, a3 = 2.0 / 3.0 - cls.c2 / 2.0, 1.0 - cls.c3 / 2.0, 1.0 - cls.c4 / 2.0
        a5 = 0.5 - cls.c6 / 2.0
        ab1, ab2, ab3 = 1.0 - cls.cb2, 1.0 - cls.cb3, 2.0 * (1.0 - cls.cb4)
        ab5 = 2.0 * cls.cbb * (1.0 - cls.cb5)
        n, nb = cls.c1 / 2.0, cls.cb1
        d0 = 36.0 * n**3 * nb**2
        shear = a2**2 - 3.0 * a3**2
        values = dict(
            n0=36.0 * a1 * n**2 * nb**2,
            n1=-12.0 * a5 * ab3 * (ab1 + ab2) * n**2
            + 8.0 * a5 * ab3 * (6.0 * a1 - a2 - 3.0 * a3) * n * nb
            + 36.0 * a1 * ab5 * n**2 * nb,
            n2=9.0 * a1 * (ab2**2 - ab1**2) * n**2,
            nb0=12.0 * ab3 * n**3 * nb,
            nb1=12.0 * a5 * ab3**2 * n**2,
            nb2=9.0 * a1 * ab3 * (ab1 - ab2) * n**2 + (6.0 * a1 * (a2 - 3.0 * a3) - 4.0 * shear) * ab3 * n * nb,
            d1=84.0 * a5 * ab3 * n**2 * nb + 36.0 * ab5 * n**3 * nb,
            d2=9.0 * (ab2**2 - ab1**2) * n**3 - 12.0 * shear * n * nb**2,
            d3=48.0 * a5**2 * ab3**2 * n + 36.0 * a5 * ab3 * ab5 * n**2,
            d4=12.0 * a5 * ab3 * (a2 * ab1 - 3.0 * a3 * ab2) * n
            + 12.0 * a5 * ab3 * (a3**2 - a2**2) * nb
            + 12.0 * ab5 * (3.0 * a3**2 - a2**2) * n * nb,
            d5=3.0 * shear * (ab1**2 - ab2**2) * n,
        )
        return {key: value / d0 for key, value in values.items()}

    def __getattr__(self, name):  # n0 ... d5, computed once per class
        if name in _RATIONAL:
            return _coefficients_of(type(self))[name]
        raise AttributeError(name)

    def neutral_cmu0(self):
        # c_mu(aM, 0) aM = 1 is (n2 - d5) aM² + (n0 - d2) aM - 1 = 0; smallest positive root.
        b = self.n0 - self.d2
        a_m = 2.0 / (b + (b * b + 4.0 * (self.n2 - self.d5)) ** 0.5)
        return jnp.asarray((1.0 / a_m) ** 0.25)

    def steady_alpha_M(self, richardson):
        """Closed form for the rational functions: with aN = Ri aM, the equilibrium
        c_mu aM - c_mu' Ri aM = 1 is A aM² + B aM - 1 = 0 (limiters inactive)."""
        ri = richardson
        a = self.n1 * ri + self.n2 - self.nb1 * ri**2 - self.nb2 * ri - self.d3 * ri**2 - self.d4 * ri - self.d5
        b = self.n0 - self.nb0 * ri - self.d1 * ri - self.d2
        return 2.0 / (b + safe_sqrt(b * b + 4.0 * a))

    def unlimited(self, alpha_M: Faces, alpha_N: Faces) -> tuple[Faces, Faces]:
        """(c_mu, c_mu') of the rational form without limiters."""
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
        return c_mu, c_mu_prime

    def __call__(self, alpha_M, alpha_N):
        alpha_M, alpha_N = self.limiter(self, alpha_M, alpha_N)
        c_mu, c_mu_prime = self.unlimited(alpha_M, alpha_N)
        return jnp.maximum(c_mu, 0.0), jnp.maximum(c_mu_prime, 0.0)


@functools.cache
def _coefficients_of(cls: type) -> dict[str, float]:
    return cls.coefficients()


_RATIONAL = ("n0", "n1", "n2", "nb0", "nb1", "nb2", "d1", "d2", "d3", "d4", "d5")


class CanutoA(RationalStabilityFunctions):
    """Canuto et al. (2001), version A (Umlauf & Burchard 2005, Table 1): c_mu0 = 0.5265, and a
    k-epsilon model with c_eps3- = -0.62 has the steady-state Richardson number 0.25 (GOTM's
    default stability functions)."""

    name: ClassVar[str] = "canuto_a"
    c1, c2, c3, c4, c5, c6 = 5.0, 0.8, 1.968, 1.136, 0.0, 0.4
    cb1, cb2, cb3, cb4, cb5, cbb = 5.95, 0.6, 1.0, 0.0, 0.3333, 0.72


class CanutoB(RationalStabilityFunctions):
    """Canuto et al. (2001), version B (Umlauf & Burchard 2005, Table 1): c_mu0 = 0.5540."""

    name: ClassVar[str] = "canuto_b"
    c1, c2, c3, c4, c5, c6 = 5.0, 0.6983, 1.9664, 1.094, 0.0, 0.495
    cb1, cb2, cb3, cb4, cb5, cbb = 5.6, 0.6, 1.0, 0.0, 0.3333, 0.477


class Cheng(RationalStabilityFunctions):
    """Cheng et al. (2002) (Umlauf & Burchard 2005, Table 1)."""

    name: ClassVar[str] = "cheng"
    c1, c2, c3, c4, c5, c6 = 5.0, 0.7983, 1.968, 1.136, 0.0, 0.5
    cb1, cb2, cb3, cb4, cb5, cbb = 5.52, 0.2134, 0.357, 0.0, 0.3333, 0.82


class KanthaClaysonRational(RationalStabilityFunctions):
    """Kantha & Clayson (1994) in the weak-equilibrium rational form (Umlauf & Burchard 2005,
    Table 1); `KanthaClaysonQuasiEquilibrium` is their quasi-equilibrium form."""

    name: ClassVar[str] = "kantha_clayson_rational"
    c1, c2, c3, c4, c5, c6 = 6.0, 0.32, 0.0, 0.0, 0.0, 0.0
    cb1, cb2, cb3, cb4, cb5, cbb = 3.728, 0.7, 0.7, 0.0, 0.2, 0.6102


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
