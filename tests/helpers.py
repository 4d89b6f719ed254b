"""Small builders shared by the tests (float64 is set in conftest.py)."""

from __future__ import annotations

import jax.numpy as jnp

from calib.core.closures.constant import ConstantDiffusivity
from calib.core.eos import LinearEquationOfState
from calib.core.forcing import Forcing
from calib.core.grid import Grid
from calib.core.model import ColumnModel
from calib.core.state import State

EOS = LinearEquationOfState(rho0=1027.0, alpha=2e-4, beta=7.6e-4, T0=10.0, S0=35.0)


def make_model(*, nz=20, depth=50.0, closure=None, forcing=None, dt=60.0, **kwargs) -> ColumnModel:
    """A column with constant diffusivity and no forcing unless told otherwise."""
    return ColumnModel(
        grid=Grid.uniform(depth, nz),
        eos=kwargs.pop("eos", EOS),
        forcing=forcing or Forcing.constant(),
        closure=closure or ConstantDiffusivity(viscosity=1e-3, diffusivity=1e-3),
        dt=dt,
        **kwargs,
    )


def stratified_state(grid: Grid, *, N2=1e-4, surface_T=16.0, u=0.0, v=0.0) -> State:
    """Linear temperature stratification with the given N² (alpha = 2e-4), constant S."""
    gradient = N2 / (EOS.gravity * EOS.alpha)
    nz = grid.nz
    return State(
        u=jnp.full(nz, u),
        v=jnp.full(nz, v),
        T=surface_T + gradient * grid.z_centers,
        S=jnp.full(nz, 35.0),
    )
