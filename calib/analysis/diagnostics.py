"""Diagnostics of a profile that oceanographers quote: mixed-layer depth, SST.

Plain NumPy on saved trajectories (not differentiated); heights z < 0, bottom first.
"""

from __future__ import annotations

import numpy as np


def mixed_layer_depth(T: np.ndarray, z: np.ndarray, threshold: float = 0.2) -> np.ndarray:
    """Depth (m, positive) where T first drops `threshold` (K) below the uppermost value.

    Temperature-threshold criterion (de Boyer Montégut et al. 2004 use 0.2 °C from a 10 m
    reference; here the reference is the top cell). Linear interpolation between cells; the
    full column depth when the criterion is never met. Works on (..., nz) arrays.
    """
    T = np.asarray(T, dtype=float)
    z = np.asarray(z, dtype=float)
    top_down_T = T[..., ::-1]
    top_down_z = z[::-1]
    difference = top_down_T[..., :1] - top_down_T  # >= threshold below the mixed layer
    crossed = difference >= threshold
    index = np.argmax(crossed, axis=-1)
    found = crossed.any(axis=-1)
    lower = np.clip(index, 1, len(z) - 1)
    d1 = np.take_along_axis(difference, lower[..., None], -1)[..., 0]
    d0 = np.take_along_axis(difference, (lower - 1)[..., None], -1)[..., 0]
    weight = np.clip((threshold - d0) / np.where(d1 > d0, d1 - d0, 1.0), 0.0, 1.0)
    depth = -(top_down_z[lower - 1] + weight * (top_down_z[lower] - top_down_z[lower - 1]))
    return np.where(found, depth, -z[0])


def depth_of_maximum_stratification(N2_faces: np.ndarray, z_faces: np.ndarray) -> np.ndarray:
    """Depth (m, positive) of the face with the largest N² (the entrainment-layer proxy used for
    the Kato–Phillips experiment, e.g. Umlauf & Burchard 2005). Works on (..., nface)."""
    inner = np.asarray(N2_faces)[..., 1:-1]
    return -np.asarray(z_faces)[1:-1][np.argmax(inner, axis=-1)]
