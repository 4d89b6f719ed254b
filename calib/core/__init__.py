"""The differentiable model: grid, state, equation of state, forcing, parameters, closures,
tridiagonal solves, the time step, time integration with checkpointing, and batches.

Pure JAX pytrees; imports nothing of calib but `calib.common`.
"""
