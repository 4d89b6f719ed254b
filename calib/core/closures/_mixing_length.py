"""Mixing lengths of the one-equation TKE closure (Gaspar et al. 1990; Madec et al., NEMO book).

Each choice starts from the buoyancy length l_N = sqrt(2 e) / N (infinite where N² <= 0) and
bounds it with the distance to the two boundaries, where the lengths `surface_length` and
`bottom_length` are prescribed. Each returns (l_k, l_eps): the length of the eddy viscosity
K = c_k l_k sqrt(e) and of the dissipation c_eps e^(3/2) / l_eps.

The up/down lengths approximate Gaspar et al. (1990)'s distances that a parcel with energy e
can travel against the stratification by the constraint |dl/dz| <= 1 (Madec et al. 1998):
l_down(z) = min over z' >= z of [l_N(z') + (z' - z)], measured toward the surface, and l_up the
same toward the sea floor; both are cumulative minima, so there is no loop over depth.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jax import lax

from calib.core.grid import Grid
from calib.core.shapes import Faces, Scalar


def _with_boundaries(length: Faces, bottom_length: Scalar, surface_length: Scalar) -> Faces:
    return length.at[0].set(bottom_length).at[-1].set(surface_length)


def up_down_lengths(length: Faces, grid: Grid, bottom_length: Scalar, surface_length: Scalar):
    """(l_up, l_down): `length` limited by |dl/dz| <= 1 from the sea floor and from the surface."""
    z = grid.z_faces
    length = _with_boundaries(length, bottom_length, surface_length)
    l_down = lax.cummin(length + z, reverse=True) - z
    l_up = lax.cummin(length - z) + z
    return l_up, l_down


class AbstractMixingLength(eqx.Module):
    """(l_k, l_eps) from the buoyancy length (see the module docstring)."""

    @abc.abstractmethod
    def __call__(
        self, buoyancy_length: Faces, grid: Grid, bottom_length: Scalar, surface_length: Scalar
    ) -> tuple[Faces, Faces]:
        """Mixing length of the viscosity and of the dissipation (m), both > 0."""


class DistanceLimitedLength(AbstractMixingLength):
    """l_k = l_eps = min(l_N, distance to the surface + surface length, height above the sea
    floor + bottom length) (NEMO's nn_mxl = 0, Blanke & Delecluse 1993)."""

    name: ClassVar[str] = "distance_limited"

    def __call__(self, buoyancy_length, grid, bottom_length, surface_length):
        z = grid.z_faces
        length = jnp.minimum(buoyancy_length, jnp.minimum(-z + surface_length, z - z[0] + bottom_length))
        length = _with_boundaries(length, bottom_length, surface_length)
        return length, length


class MinimumUpDownLength(AbstractMixingLength):
    """l_k = l_eps = min(l_up, l_down) (NEMO's nn_mxl = 2)."""

    name: ClassVar[str] = "minimum_up_down"

    def __call__(self, buoyancy_length, grid, bottom_length, surface_length):
        l_up, l_down = up_down_lengths(buoyancy_length, grid, bottom_length, surface_length)
        length = jnp.minimum(l_up, l_down)
        return length, length


class GasparLength(AbstractMixingLength):
    """l_k = min(l_up, l_down) and l_eps = sqrt(l_up l_down) (Gaspar et al. 1990; NEMO's
    default nn_mxl = 3)."""

    name: ClassVar[str] = "gaspar"

    def __call__(self, buoyancy_length, grid, bottom_length, surface_length):
        l_up, l_down = up_down_lengths(buoyancy_length, grid, bottom_length, surface_length)
        return jnp.minimum(l_up, l_down), jnp.sqrt(l_up * l_down)
