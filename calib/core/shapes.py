"""Shape aliases used in signatures and Module fields.

Index 0 is the bottom cell; faces run 0..nz with face nz at the surface (see `calib.core.grid`).
"""

from jaxtyping import Array, ArrayLike, Float, Int

Scalar = Float[Array, ""]  # traced 0-d value (a parameter)
ScalarLike = Float[ArrayLike, ""]  # also a Python float (static dt)
Centers = Float[Array, "nz"]  # one value per cell, bottom first
Faces = Float[Array, "nface"]  # one value per interface (nz + 1), bottom first
Step = Int[Array, ""]  # integer step counter; time is step * dt

__all__ = ["Array", "Centers", "Faces", "Scalar", "ScalarLike", "Step"]
