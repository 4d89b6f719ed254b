"""Implicit transport of turbulence quantities that live at the faces (k, epsilon, TKE).

The equation for a face quantity phi >= 0 is

    d(phi)/dt = d/dz(D d(phi)/dz) + source - sink_rate * phi,     source, sink_rate >= 0,

stepped with backward Euler for the diffusion and the Patankar (1980) splitting of the reaction
terms: the source is explicit and the sink is implicit, linear in the new value. The matrix is
then an M-matrix, so phi stays positive for any dt (Burchard et al. 2003; Deleersnijder et al.
1997).

Finite volumes around the faces: the control volume of interior face i spans the centres i-1
and i (thickness `grid.dz_faces[i]`); the diffusivity at a cell centre is the mean of its two
faces. Each boundary takes either a `Dirichlet` value at the boundary face (the wall itself) or
a `Flux` into the column through the centre of the boundary cell (where a law-of-the-wall flux
is evaluated, Umlauf & Burchard 2003); with a `Flux` the boundary face copies its neighbour.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp

from calib.core.grid import Grid
from calib.core.shapes import Faces, Scalar
from calib.core.tridiag import AbstractTridiagonalSolver, solve_tridiagonal


class Dirichlet(eqx.Module):
    """The value at the boundary face (phi-units)."""

    value: Scalar


class Flux(eqx.Module):
    """Flux into the column through the centre of the boundary cell (phi-units m s-1), >= 0."""

    value: Scalar


Boundary = Dirichlet | Flux


def face_system(
    phi: Faces,
    diffusivity: Faces,
    source: Faces,
    sink_rate: Faces,
    bottom: Boundary,
    surface: Boundary,
    grid: Grid,
    dt: float,
) -> tuple[Faces, Faces, Faces, Faces]:
    """Bands (lower, diag, upper, rhs) of one implicit step of a face quantity (see module)."""
    thickness = grid.dz_faces
    centre_diffusivity = 0.5 * (diffusivity[1:] + diffusivity[:-1])
    conductance = centre_diffusivity / grid.dz  # through each cell centre, (nz,)
    zero = jnp.zeros_like(conductance[:1])
    below = jnp.concatenate([zero, conductance])  # coupling of each face to the face under it
    above = jnp.concatenate([conductance, zero])  # ... and to the face over it
    ratio = dt / thickness
    lower = -ratio * below
    upper = -ratio * above
    diag = 1.0 + dt * sink_rate + ratio * (below + above)
    rhs = phi + dt * source
    one = jnp.ones_like(zero[0])

    if isinstance(bottom, Dirichlet):
        diag, upper, rhs = diag.at[0].set(one), upper.at[0].set(0.0), rhs.at[0].set(bottom.value)
    else:
        diag = diag.at[1].add(-ratio[1] * below[1])
        lower = lower.at[1].set(0.0)
        rhs = rhs.at[1].add(ratio[1] * bottom.value)
        diag, upper, rhs = diag.at[0].set(one), upper.at[0].set(-one), rhs.at[0].set(0.0)
    if isinstance(surface, Dirichlet):
        diag, lower, rhs = diag.at[-1].set(one), lower.at[-1].set(0.0), rhs.at[-1].set(surface.value)
    else:
        diag = diag.at[-2].add(-ratio[-2] * above[-2])
        upper = upper.at[-2].set(0.0)
        rhs = rhs.at[-2].add(ratio[-2] * surface.value)
        diag, lower, rhs = diag.at[-1].set(one), lower.at[-1].set(-one), rhs.at[-1].set(0.0)
    return lower, diag, upper, rhs


def implicit_face_step(
    systems: list[tuple[Faces, Faces, Faces, Faces]], solver: AbstractTridiagonalSolver | None = None
) -> list[Faces]:
    """Solve the systems from `face_system` in one batched tridiagonal call."""
    lower, diag, upper, rhs = (jnp.stack(bands) for bands in zip(*systems, strict=True))
    solution = solve_tridiagonal(lower, diag, upper, rhs, solver)
    return list(solution)
