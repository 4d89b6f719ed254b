"""Shear production of turbulent kinetic energy.

`EnergyConservingShear` (the default of every TKE-based closure) takes the production from the
mean flow's own loss of kinetic energy in the last step, nu du_new/dz . d(u_new + u_old)/(2 dz)
(`calib.core.state.Column.shear_production`, Burchard 2002): what the friction removes from the
mean flow enters the TKE equation exactly, so the total (mean plus turbulent) kinetic energy is
conserved by the discretisation. `OldStateShear` is nu S² of the state at the start of the step
with the closure's current viscosity (calib before 0.3), which creates or destroys energy at the
rate the shear changes within a step.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx

from calib.core.shapes import Faces
from calib.core.state import Column


class AbstractShearProduction(eqx.Module):
    """P (m2 s-3) at the faces."""

    @abc.abstractmethod
    def __call__(self, column: Column, viscosity: Faces) -> Faces:
        """Shear production given the closure's viscosity at the start of the step."""


class EnergyConservingShear(AbstractShearProduction):
    """The mean flow's loss of kinetic energy in the last step (module docstring)."""

    name: ClassVar[str] = "energy_conserving"

    def __call__(self, column, viscosity):
        if column.shear_production is None:
            return viscosity * column.S2
        return column.shear_production


class OldStateShear(AbstractShearProduction):
    """nu S² of the state at the start of the step (module docstring)."""

    name: ClassVar[str] = "old_state"

    def __call__(self, column, viscosity):
        return viscosity * column.S2


__all__ = ["AbstractShearProduction", "EnergyConservingShear", "OldStateShear"]
