"""The closure seam: `AbstractClosure` and `Diffusivities`.

A closure is an immutable Module of parameters (declared with `calib.core.params.param`) plus two
methods:

- `init_state(column) -> ClosureState`: its own prognostic state (e.g. TKE at the faces), or
  `None` for algebraic closures. The state is a Module whose array fields carry
  `metadata=dict(units=..., long_name=...)`, so it is saved in trajectories with units.
- `__call__(column, closure_state, dt) -> (Diffusivities, new closure_state)`: eddy viscosity
  and diffusivity at the nz + 1 faces for this step, computed from the column at the start of
  the step, and the closure state advanced by dt.

Variants of a closure's physics (stability functions, mixing lengths) are small Modules held
as fields, never string switches. `calibration_set` names the coefficients a modeller calibrates
first (the default of `calib fit`), documented on each closure with their published ranges.
Adding a closure = one file in this package (see
`closures/__init__.py`).
"""

from __future__ import annotations

import abc
from typing import ClassVar, Generic, TypeVar

import equinox as eqx

from calib.core.shapes import Faces
from calib.core.state import Column

ClosureState = TypeVar("ClosureState")


class Diffusivities(eqx.Module):
    """Eddy coefficients at the faces (m2 s-1), bottom first, all >= 0.

    The values at the two boundary faces are reported for diagnostics only: the boundary
    fluxes come from the surface and bottom boundary conditions.

    `nonlocal_` (KPP's non-local transport, None for local closures): gamma at each face, so that
    the downward tracer flux through the face is K dphi/dz + gamma F0, F0 the surface flux of
    the tracer into the ocean (non-solar heat, salt); gamma = 0 at the two boundary faces. In
    convection gamma > 0 carries the surface cooling down through the boundary layer without
    a gradient (Large et al. 1994, eq. 20).
    """

    momentum: Faces = eqx.field(metadata=dict(units="m2 s-1", long_name="eddy viscosity"))
    tracers: Faces = eqx.field(metadata=dict(units="m2 s-1", long_name="eddy diffusivity"))
    nonlocal_: Faces | None = eqx.field(
        default=None,
        metadata=dict(units="1", long_name="fraction of the surface tracer flux carried down through the face non-locally"),
    )


class AbstractClosure(eqx.Module, Generic[ClosureState]):
    """Base class of every turbulence closure (see the module docstring)."""

    name: ClassVar[str]
    calibration_set: ClassVar[tuple[str, ...]] = ()  # what `calib fit` fits when no parameter is named

    def init_state(self, column: Column) -> ClosureState:
        """Initial closure state for this column (None for algebraic closures)."""
        return None

    @abc.abstractmethod
    def __call__(
        self, column: Column, closure_state: ClosureState, dt: float
    ) -> tuple[Diffusivities, ClosureState]:
        """Diffusivities for this step and the closure state advanced by dt."""
