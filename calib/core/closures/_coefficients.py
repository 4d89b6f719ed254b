"""Derived coefficients of the k-epsilon closure that keep its published calibration relations.

- Log-layer relation (Umlauf & Burchard 2003, eq. 15): in the log layer the epsilon equation
  holds only if kappa² = sigma_eps c_mu0² (c2 - c1). `LogLayerSchmidt` (the default, as GOTM
  does) derives sigma_eps from kappa, so a fit of c1 or c2 keeps the von Kármán constant;
  `ParameterSchmidt` uses the parameter sigma_epsilon instead (and then kappa follows from it).
- Steady-state Richardson number (Umlauf & Burchard 2005, section 3.2): in homogeneous stratified
  shear flow in equilibrium (P + B = epsilon, c1 P + c3- B = c2 epsilon), the flux Richardson
  number is Rf = (c2 - c1) / (c2 - c3-) and the gradient Richardson number Ri_st follows through
  the stability functions. `SteadyRichardson` derives c3- from a chosen Ri_st (0.25 by default),
  so a fit of c1 or c2 keeps the mixing's stable cut-off; `ParameterBuoyancy` (the default) uses
  the parameter c_epsilon3_stable.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx

from calib.core.params import param
from calib.core.shapes import Scalar


class AbstractEpsilonSchmidt(eqx.Module):
    """The turbulent Schmidt number of epsilon used by the closure."""

    @abc.abstractmethod
    def __call__(self, closure, cmu0: Scalar) -> Scalar:
        """sigma_eps (dimensionless)."""


class LogLayerSchmidt(AbstractEpsilonSchmidt):
    """sigma_eps = kappa² / (c_mu0² (c2 - c1)): the log-layer relation holds for any c1, c2."""

    name: ClassVar[str] = "log_layer"

    def __call__(self, closure, cmu0):
        return closure.von_karman**2 / (cmu0**2 * (closure.c_epsilon2 - closure.c_epsilon1))


class ParameterSchmidt(AbstractEpsilonSchmidt):
    """sigma_eps = the closure parameter sigma_epsilon (the implied kappa then varies with c1, c2)."""

    name: ClassVar[str] = "parameter"

    def __call__(self, closure, cmu0):
        return closure.sigma_epsilon


class AbstractStableBuoyancy(eqx.Module):
    """The buoyancy coefficient c3- of the epsilon equation in stable stratification."""

    @abc.abstractmethod
    def __call__(self, closure) -> Scalar:
        """c3- (dimensionless)."""


class ParameterBuoyancy(AbstractStableBuoyancy):
    """c3- = the closure parameter c_epsilon3_stable."""

    name: ClassVar[str] = "parameter"

    def __call__(self, closure):
        return closure.c_epsilon3_stable


class SteadyRichardson(AbstractStableBuoyancy):
    """c3- = c2 - (c2 - c1) / Rf with Rf the flux Richardson number of the steady state at the
    gradient Richardson number `richardson` under the closure's stability functions."""

    name: ClassVar[str] = "steady_richardson"
    richardson: Scalar = param(
        0.25, 0.1, 0.5, doc="steady-state gradient Richardson number Ri_st",
        source="Umlauf & Burchard (2005)", spread=0.05,
    )  # fmt: skip

    def __call__(self, closure):
        flux = steady_flux_richardson(closure.stability, self.richardson)
        return closure.c_epsilon2 - (closure.c_epsilon2 - closure.c_epsilon1) / flux


def steady_flux_richardson(stability, richardson):
    """Rf = Ri c_mu' / c_mu in the equilibrium P + B = epsilon at gradient Richardson number Ri."""
    alpha_M = stability.steady_alpha_M(richardson)
    c_mu, c_mu_prime = stability(alpha_M, richardson * alpha_M)
    return richardson * c_mu_prime / c_mu


__all__ = [
    "AbstractEpsilonSchmidt",
    "AbstractStableBuoyancy",
    "LogLayerSchmidt",
    "ParameterBuoyancy",
    "ParameterSchmidt",
    "SteadyRichardson",
    "steady_flux_richardson",
]
