"""Equations of state: temperature, salinity (and pressure) -> density, buoyancy and N².

Buoyancy b = -g (rho(T, S, p=0) - rho0) / rho0 (m s-2), the surface-referenced (potential)
buoyancy. N² (s-2) lives on the faces; for a nonlinear equation of state it is **locally
referenced**: the densities of the two cells either side of a face are both evaluated at the
pressure of that face, so compressibility alone gives no N².

Two equations of state:

- `LinearEquationOfState`: rho = rho0 (1 - alpha (T - T0) + beta (S - S0)), no pressure effect;
- `Teos10Polynomial`: the 75-term polynomial for the specific volume of seawater of Roquet, Madec,
  McDougall & Barker (2015, Ocean Modelling 90, 29-43), the expression of the TEOS-10 GSW
  toolbox's `gsw_specvol`/`gsw_rho`, as a function of Absolute Salinity SA (g/kg), Conservative
  Temperature CT (degC) and sea pressure p (dbar). Here p = -z (1 dbar ~ 1 m).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from calib.common.errors import ConfigError
from calib.core.grid import Grid
from calib.core.shapes import Centers, Faces

GRAVITY = 9.81  # m s-2

# Surface (T, S) at which `buoyancy_flux` takes alpha and beta when none is given.
DEFAULT_SURFACE_TEMPERATURE = 10.0  # degC
DEFAULT_SURFACE_SALINITY = 35.0  # g/kg or psu (the state's unit)


def to_faces_gradient(phi: Centers, grid: Grid) -> Faces:
    """d(phi)/dz at the nz + 1 faces; the two boundary faces copy the nearest interior value."""
    inner = jnp.diff(phi) / grid.dz_faces[1:-1]
    return jnp.concatenate([inner[:1], inner, inner[-1:]])


def _copy_boundaries(inner):
    """Interior face values (nz - 1) -> all nz + 1 faces, the boundary faces copying their neighbour."""
    return jnp.concatenate([inner[:1], inner, inner[-1:]])


class AbstractEquationOfState(eqx.Module):
    """An equation of state of seawater.

    Every concrete equation of state has the static floats `rho0` (reference density, kg m-3),
    `gravity` (m s-2) and `heat_capacity` (J kg-1 K-1, used to turn heat fluxes into
    temperature fluxes), and implements `density(T, S, z)`.
    """

    rho0: eqx.AbstractVar[float]
    gravity: eqx.AbstractVar[float]
    heat_capacity: eqx.AbstractVar[float]

    def density(self, T, S, z=None):
        """In-situ density (kg m-3) at heights z (m, <= 0; pressure -z dbar); z None = surface."""
        raise NotImplementedError

    def buoyancy(self, T: Centers, S: Centers) -> Centers:
        """Surface-referenced buoyancy -g (rho(T, S, p=0) - rho0) / rho0 (m s-2)."""
        return -self.gravity * (self.density(T, S) - self.rho0) / self.rho0

    def buoyancy_frequency_squared(self, T: Centers, S: Centers, grid: Grid) -> Faces:
        """Locally referenced N² (s-2) at the nz + 1 faces.

        N² = -(g / rho0) (rho(T_up, S_up, p_face) - rho(T_down, S_down, p_face)) / dz_face at the
        interior faces; the two boundary faces copy their neighbour (as `to_faces_gradient`).
        """
        z_face = grid.z_faces[1:-1]
        upper = self.density(T[1:], S[1:], z_face)
        lower = self.density(T[:-1], S[:-1], z_face)
        inner = -(self.gravity / self.rho0) * (upper - lower) / grid.dz_faces[1:-1]
        return _copy_boundaries(inner)

    def expansion_coefficients(self, T, S):
        """(alpha, beta) at the surface (p = 0): alpha = -(1/rho) drho/dT (K-1) and
        beta = (1/rho) drho/dS (per unit of the state's salinity)."""
        T = jnp.asarray(T, dtype=float)
        S = jnp.asarray(S, dtype=float)
        T, S = jnp.broadcast_arrays(T, S)
        rho, drho_dT = jax.jvp(lambda t: self.density(t, S), (T,), (jnp.ones_like(T),))
        _, drho_dS = jax.jvp(lambda s: self.density(T, s), (S,), (jnp.ones_like(S),))
        return -drho_dT / rho, drho_dS / rho

    def buoyancy_flux(self, heat_kinematic, salt_kinematic, T=None, S=None):
        """Surface buoyancy flux into the ocean g (alpha F_T - beta F_S) (m2 s-3) from the kinematic
        T (K m s-1) and S fluxes into the ocean, alpha and beta at the surface (T, S) (10 degC and
        35 when None). Positive = the column gains buoyancy (stabilising)."""
        T = DEFAULT_SURFACE_TEMPERATURE if T is None else T
        S = DEFAULT_SURFACE_SALINITY if S is None else S
        alpha, beta = self.expansion_coefficients(T, S)
        return self.gravity * (alpha * heat_kinematic - beta * salt_kinematic)


class LinearEquationOfState(AbstractEquationOfState):
    """rho = rho0 (1 - alpha (T - T0) + beta (S - S0)), independent of pressure.

    Attributes:
        rho0: reference density (kg m-3).
        alpha: thermal expansion coefficient (K-1).
        beta: haline contraction coefficient (psu-1).
        T0: reference temperature (degC).
        S0: reference salinity (psu).
        gravity: gravitational acceleration (m s-2).
        heat_capacity: specific heat capacity of seawater (J kg-1 K-1).
    """

    rho0: float = eqx.field(static=True, default=1027.0)
    alpha: float = eqx.field(static=True, default=2e-4)
    beta: float = eqx.field(static=True, default=7.6e-4)
    T0: float = eqx.field(static=True, default=10.0)
    S0: float = eqx.field(static=True, default=35.0)
    gravity: float = eqx.field(static=True, default=GRAVITY)
    heat_capacity: float = eqx.field(static=True, default=3985.0)

    def density(self, T, S, z=None):
        """In-situ density (kg m-3); the same at every height (z is ignored)."""
        return self.rho0 * (1.0 - self.alpha * (T - self.T0) + self.beta * (S - self.S0))

    def buoyancy(self, T: Centers, S: Centers) -> Centers:
        """Buoyancy -g (rho - rho0) / rho0 (m s-2)."""
        return self.gravity * (self.alpha * (T - self.T0) - self.beta * (S - self.S0))

    def buoyancy_frequency_squared(self, T: Centers, S: Centers, grid: Grid) -> Faces:
        """N² = db/dz at the faces (s-2), boundary faces copied from their neighbours."""
        return to_faces_gradient(self.buoyancy(T, S), grid)

    def expansion_coefficients(self, T=None, S=None):
        """(alpha, beta), the constants (T and S are ignored)."""
        return self.alpha, self.beta

    def buoyancy_flux(self, heat_kinematic, salt_kinematic, T=None, S=None):
        """Surface buoyancy flux into the ocean (m2 s-3) from kinematic T (K m s-1) and S
        (psu m s-1) fluxes into the ocean. Positive = the column gains buoyancy (stabilising).
        T and S are ignored (alpha and beta are constants)."""
        return self.gravity * (self.alpha * heat_kinematic - self.beta * salt_kinematic)


# The 75 coefficients of the specific volume polynomial v(SA, CT, p) (m3 kg-1) of Roquet et al.
# (2015), as in the TEOS-10 GSW toolbox (gsw_specvol). Key "ijk": the coefficient of
# ys**i * xs**j * zp**k with xs = sqrt(SA / 40.188617 + 24 / 40.188617) (reduced salinity),
# ys = CT / 40 and zp = p / 1e4 (dbar).
_SPECVOL_COEFFICIENTS = {
    "000": 1.0769995862e-3, "001": -6.0799143809e-5, "002": 9.9856169219e-6,
    "003": -1.1309361437e-6, "004": 1.0531153080e-7, "005": -1.2647261286e-8,
    "006": 1.9613503930e-9,
    "010": -3.1038981976e-4, "011": 2.4262468747e-5, "012": -5.8484432984e-7,
    "013": 3.6310188515e-7, "014": -1.1147125423e-7,
    "020": 6.6928067038e-4, "021": -3.4792460974e-5, "022": -4.8122251597e-6, "023": 1.6746303780e-8,
    "030": -8.5047933937e-4, "031": 3.7470777305e-5, "032": 4.9263106998e-6,
    "040": 5.8086069943e-4, "041": -1.7322218612e-5, "042": -1.7811974727e-6,
    "050": -2.1092370507e-4, "051": 3.0927427253e-6,
    "060": 3.1932457305e-5,
    "100": -1.5649734675e-5, "101": 1.8505765429e-5, "102": -1.1736386731e-6,
    "103": -3.6527006553e-7, "104": 3.1454099902e-7,
    "110": 3.5009599764e-5, "111": -9.5677088156e-6, "112": -5.5699154557e-6, "113": -2.7295696237e-7,
    "120": -4.3592678561e-5, "121": 1.1100834765e-5, "122": 5.4620748834e-6,
    "130": 3.4532461828e-5, "131": -9.8447117844e-6, "132": -1.3544185627e-6,
    "140": -1.1959409788e-5, "141": 2.5909225260e-6,
    "150": 1.3864594581e-6,
    "200": 2.7762106484e-5, "201": -1.1716606853e-5, "202": 2.1305028740e-6, "203": 2.8695905159e-7,
    "210": -3.7435842344e-5, "211": -2.3678308361e-7, "212": 3.9137387080e-7,
    "220": 3.5907822760e-5, "221": 2.9283346295e-6, "222": -6.5731104067e-7,
    "230": -1.8698584187e-5, "231": -4.8826139200e-7,
    "240": 3.8595339244e-6,
    "300": -1.6521159259e-5, "301": 7.9279656173e-6, "302": -4.6132540037e-7,
    "310": 2.4141479483e-5, "311": -3.4558773655e-6, "312": 7.7618888092e-9,
    "320": -1.4353633048e-5, "321": 3.1655306078e-7,
    "330": 2.2863324556e-6,
    "400": 6.9111322702e-6, "401": -3.4102187482e-6, "402": -6.3352916514e-8,
    "410": -8.7595873154e-6, "411": 1.2956717783e-6,
    "420": 4.3703680598e-6,
    "500": -8.0539615540e-7, "501": 5.0736766814e-7,
    "510": -3.3052758900e-7,
    "600": 2.0543094268e-7,
}  # fmt: skip

_SALINITY_SCALE = 0.0248826675584615  # 1 / 40.188617 (g/kg)-1, = 1 / (40 * 35.16504 / 35)
_SALINITY_OFFSET = 5.971840214030754e-1  # 24 g/kg * _SALINITY_SCALE
_TEMPERATURE_SCALE = 0.025  # 1 / 40 degC
_PRESSURE_SCALE = 1e-4  # 1 / 1e4 dbar
_PRACTICAL_TO_ABSOLUTE = 35.16504 / 35.0  # uPS, (g/kg) per psu
SALINITY_KINDS = ("absolute", "practical")


def _nested_coefficients(table: dict[str, float]):
    """The table as nested lists [i][j][k] (powers of ys, xs, zp) for Horner evaluation; missing
    coefficients are 0 and trailing missing ones are dropped."""

    def trim(values):
        while values and values[-1] in (0.0, []):
            values.pop()
        return values

    degree = 1 + max(int(c) for key in table for c in key)
    return trim([
        trim([trim([table.get(f"{i}{j}{k}", 0.0) for k in range(degree)]) for j in range(degree)])
        for i in range(degree)
    ])


_NESTED = _nested_coefficients(_SPECVOL_COEFFICIENTS)


def _horner(coefficients, x):
    """sum_n coefficients[n] x**n (coefficients: floats or arrays, constant term first)."""
    out = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        out = out * x + c
    return out


def specific_volume_teos10(SA, CT, p):
    """Specific volume (m3 kg-1) of seawater, 75-term polynomial of Roquet et al. (2015).

    Args:
        SA: Absolute Salinity (g/kg), >= 0.
        CT: Conservative Temperature (degC).
        p: sea pressure (dbar).
    """
    SA, CT, p = jnp.broadcast_arrays(
        jnp.asarray(SA, dtype=float), jnp.asarray(CT, dtype=float), jnp.asarray(p, dtype=float)
    )
    # negative salinities (unphysical) are read as 0; where() keeps d/dSA = 1 at SA = 0 itself
    xs = jnp.sqrt(_SALINITY_SCALE * jnp.where(SA >= 0.0, SA, 0.0) + _SALINITY_OFFSET)
    ys = CT * _TEMPERATURE_SCALE
    zp = p * _PRESSURE_SCALE
    in_ys = [
        _horner([_horner(in_zp, zp) if in_zp else 0.0 for in_zp in in_xs], xs) if in_xs else 0.0
        for in_xs in _NESTED
    ]
    return _horner(in_ys, ys)


class Teos10Polynomial(AbstractEquationOfState):
    """TEOS-10 density from the 75-term polynomial of Roquet et al. (2015).

    The state's T is Conservative Temperature (degC); its S is Absolute Salinity (g/kg) when
    `salinity` is "absolute", Practical Salinity when "practical" (then SA = S * 35.16504 / 35).

    Attributes:
        rho0: reference (Boussinesq) density (kg m-3).
        gravity: gravitational acceleration (m s-2).
        heat_capacity: TEOS-10 cp0 (J kg-1 K-1), the heat capacity that goes with CT.
        salinity: "absolute" or "practical", the kind of the state's S.
    """

    rho0: float = eqx.field(static=True, default=1027.0)
    gravity: float = eqx.field(static=True, default=GRAVITY)
    heat_capacity: float = eqx.field(static=True, default=3991.86795711963)
    salinity: str = eqx.field(static=True, default="absolute")

    def __check_init__(self):
        if self.salinity not in SALINITY_KINDS:
            raise ConfigError(
                f"equation_of_state.salinity: unknown kind {self.salinity!r}; "
                f"use one of {', '.join(SALINITY_KINDS)}"
            )

    def absolute_salinity(self, S):
        """The state's salinity -> Absolute Salinity (g/kg)."""
        return S * _PRACTICAL_TO_ABSOLUTE if self.salinity == "practical" else S

    def density(self, T, S, z=None):
        """In-situ density (kg m-3) at heights z (m, <= 0; p = -z dbar); z None = the surface."""
        p = 0.0 if z is None else -jnp.asarray(z)
        return 1.0 / specific_volume_teos10(self.absolute_salinity(S), T, p)


EQUATIONS_OF_STATE: dict[str, type[AbstractEquationOfState]] = {
    "linear": LinearEquationOfState,
    "teos10": Teos10Polynomial,
}


def buoyancy_frequency_squared(eos: AbstractEquationOfState, T: Centers, S: Centers, grid: Grid) -> Faces:
    """N² at the faces (s-2), boundary faces copied from their neighbours; for the linear equation
    of state db/dz, for a nonlinear one locally referenced (see `AbstractEquationOfState`)."""
    return eos.buoyancy_frequency_squared(T, S, grid)
