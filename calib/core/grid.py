"""Vertical grid of one water column.

Conventions (kept everywhere in calib):
- z is height in metres, z < 0 below the surface and z = 0 at the surface;
- index 0 is the **bottom** cell; cell centres run 0..nz-1 upward;
- faces run 0..nz, face 0 is the sea floor and face nz the surface;
- a face quantity (diffusivity, N², shear², TKE) has nz + 1 values, bottom first.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from calib.core.shapes import Centers, Faces


class Grid(eqx.Module):
    """Cell-centred finite-volume grid.

    Attributes:
        z_faces: heights of the nz + 1 interfaces, bottom first, last one 0 (m).
        z_centers: heights of the nz cell centres (m).
        dz: cell thicknesses (m), all positive.
        dz_faces: distance between neighbouring centres at each face (m); at the two
            boundary faces it is the distance from the boundary to the adjacent centre.
    """

    z_faces: Faces
    z_centers: Centers
    dz: Centers
    dz_faces: Faces

    @classmethod
    def from_faces(cls, z_faces) -> Grid:
        """Grid from interface heights given bottom first (strictly increasing, last = 0)."""
        z_faces = np.asarray(z_faces, dtype=float)
        if z_faces.ndim != 1 or z_faces.size < 3:
            raise ValueError("a grid needs at least 2 cells (3 interface heights)")
        if not np.all(np.diff(z_faces) > 0):
            raise ValueError("interface heights must increase strictly from the bottom up")
        if abs(z_faces[-1]) > 1e-9 * abs(z_faces[0]):
            raise ValueError("the last interface must be the surface, z = 0")
        z_faces = z_faces - z_faces[-1]
        z_centers = 0.5 * (z_faces[1:] + z_faces[:-1])
        dz = np.diff(z_faces)
        inner = np.diff(z_centers)
        dz_faces = np.concatenate([[z_centers[0] - z_faces[0]], inner, [-z_centers[-1]]])
        return cls(
            z_faces=jnp.asarray(z_faces),
            z_centers=jnp.asarray(z_centers),
            dz=jnp.asarray(dz),
            dz_faces=jnp.asarray(dz_faces),
        )

    @classmethod
    def uniform(cls, depth: float, nz: int) -> Grid:
        """nz equal cells from z = -depth to 0."""
        return cls.from_faces(np.linspace(-depth, 0.0, nz + 1))

    @classmethod
    def stretched(cls, depth: float, nz: int, stretching: float) -> Grid:
        """nz cells refined toward the surface.

        The faces are z = -depth * (exp(s ξ) - 1) / (exp(s) - 1) for ξ from 1 (bottom) to 0
        (surface); s = `stretching` > 0 puts thinner cells at the surface, s -> 0 is uniform.
        """
        xi = np.linspace(1.0, 0.0, nz + 1)
        if abs(stretching) < 1e-8:
            return cls.uniform(depth, nz)
        z = -depth * np.expm1(stretching * xi) / np.expm1(stretching)
        return cls.from_faces(z)

    @property
    def nz(self) -> int:
        """Number of cells."""
        return self.dz.shape[-1]

    @property
    def depth(self) -> float:
        """Total depth of the column (m, positive)."""
        return -self.z_faces[0]
