"""Small numerical helpers that keep values and derivatives finite."""

import jax.numpy as jnp


def safe_sqrt(x):
    """sqrt(x) for x >= 0 whose derivative is 0 (not inf or NaN) at x = 0."""
    positive = x > 0.0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def speed(u, v):
    """sqrt(u² + v²) with a finite derivative at rest."""
    return safe_sqrt(u * u + v * v)
