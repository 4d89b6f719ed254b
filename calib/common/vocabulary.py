"""The names calib's layers share, defined once: model variables, checkpoint schemes, choices.

Every layer derives its names from here: the `State` fields and their NetCDF attributes
(`calib.core.state`), the variables an observation file may hold and how they are recognised
(`calib.io.observations`), what a fit may fit and how its misfit is normalised
(`calib.calibration`), the `fit.weights` keys of a case (`calib.config.fit`), plot labels and the
names written to NetCDF. No JAX and no NumPy here, so the configuration layer can use it.
"""

from __future__ import annotations

import dataclasses

from calib.common.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Variable:
    """One physical variable of the model or of observations.

    Attributes:
        name: the name used everywhere in calib (State field, NetCDF variable, YAML key).
        units: UDUNITS string written to NetCDF.
        long_name: CF long_name.
        standard_name: CF standard name, or None where CF has none.
        location: "center" (cell centres, nz values) or "face" (interfaces, nz + 1 values).
        display_units: units as printed in reports and plot labels.
        file_names: lower-case variable names recognised in observation files.
        standard_names: CF standard names recognised in observation files.
        variance_floor: floor of the normalising variance of the misfit (roughly instrument
            accuracy squared, display units squared); None for variables that are not fitted.
    """

    name: str
    units: str
    long_name: str
    standard_name: str | None
    location: str
    display_units: str
    file_names: tuple[str, ...] = ()
    standard_names: tuple[str, ...] = ()
    variance_floor: float | None = None

    def attributes(self) -> dict[str, str]:
        """CF attributes (units, long_name and standard_name when there is one)."""
        attrs = {"units": self.units, "long_name": self.long_name}
        if self.standard_name:
            attrs["standard_name"] = self.standard_name
        return attrs


VARIABLES: dict[str, Variable] = {
    variable.name: variable
    for variable in (
        Variable(
            "u", "m s-1", "eastward velocity", "eastward_sea_water_velocity", "center", "m s⁻¹",
            ("u", "uo", "ucur", "vozocrtx", "eastward_velocity"),
            ("eastward_sea_water_velocity", "sea_water_x_velocity"),
            variance_floor=1e-6,
        ),
        Variable(
            "v", "m s-1", "northward velocity", "northward_sea_water_velocity", "center", "m s⁻¹",
            ("v", "vo", "vcur", "vomecrty", "northward_velocity"),
            ("northward_sea_water_velocity", "sea_water_y_velocity"),
            variance_floor=1e-6,
        ),
        Variable(
            "T", "degree_Celsius", "sea water temperature", "sea_water_temperature", "center", "°C",
            ("t", "temp", "temperature", "thetao", "theta", "votemper", "sea_water_temperature"),
            (
                "sea_water_temperature",
                "sea_water_potential_temperature",
                "sea_water_conservative_temperature",
            ),
            variance_floor=1e-4,
        ),
        Variable(
            "S", "1", "sea water salinity", "sea_water_practical_salinity", "center", "psu",
            ("s", "salt", "salinity", "so", "psal", "vosaline"),
            ("sea_water_practical_salinity", "sea_water_salinity", "sea_water_absolute_salinity"),
            variance_floor=1e-6,
        ),
        Variable("viscosity", "m2 s-1", "eddy viscosity", "ocean_vertical_momentum_diffusivity", "face",
                 "m² s⁻¹"),
        Variable("diffusivity", "m2 s-1", "eddy diffusivity", "ocean_vertical_tracer_diffusivity", "face",
                 "m² s⁻¹"),
        Variable("nonlocal_fraction", "1", "fraction of the surface tracer flux carried down non-locally",
                 None, "face", "1"),
        # fitted on a log10 scale (calib.calibration.loss.LOGARITHMIC): its floor is in decades²
        Variable("epsilon", "m2 s-3", "dissipation rate of turbulent kinetic energy",
                 "specific_turbulent_kinetic_energy_dissipation_in_sea_water", "face", "m² s⁻³",
                 ("epsilon", "eps", "dissipation", "diss"),
                 ("specific_turbulent_kinetic_energy_dissipation_in_sea_water",),
                 variance_floor=0.3**2),
        # a time series; the model's SST is calib.analysis.diagnostics.sea_surface_temperature
        Variable("SST", "degree_Celsius", "sea surface temperature", "sea_surface_temperature", "surface",
                 "°C", ("sst", "sea_surface_temperature"), ("sea_surface_temperature",),
                 variance_floor=1e-4),
    )
}  # fmt: skip

FORCING: dict[str, Variable] = {
    variable.name: variable
    for variable in (
        Variable("wind_stress_x", "Pa", "eastward surface wind stress on the ocean",
                 "surface_downward_eastward_stress", "surface", "Pa"),
        Variable("wind_stress_y", "Pa", "northward surface wind stress on the ocean",
                 "surface_downward_northward_stress", "surface", "Pa"),
        Variable("heat_flux", "W m-2", "non-solar surface heat flux into the ocean",
                 "surface_downward_heat_flux_in_sea_water", "surface", "W m⁻²"),
        Variable("shortwave", "W m-2", "downward shortwave radiation at the surface (the ocean absorbs "
                 "1 - albedo of it)", "surface_downwelling_shortwave_flux_in_air", "surface", "W m⁻²"),
        Variable("freshwater_flux", "m s-1", "precipitation minus evaporation (into the ocean)",
                 None, "surface", "m s⁻¹"),
    )
}  # fmt: skip
"""The surface forcing series, positive into the ocean, in the column order of `calib.core.forcing`."""

METEOROLOGY: dict[str, Variable] = {
    variable.name: variable
    for variable in (
        Variable("wind_x", "m s-1", "eastward wind at 10 m", "eastward_wind", "surface", "m s⁻¹"),
        Variable("wind_y", "m s-1", "northward wind at 10 m", "northward_wind", "surface", "m s⁻¹"),
        Variable("air_temperature", "degree_Celsius", "air temperature at 2 m", "air_temperature",
                 "surface", "°C"),
        Variable("humidity", "1", "air humidity at 2 m (specific: kg kg-1, relative: %, dew point: degC)",
                 None, "surface", "1"),
        Variable("air_pressure", "Pa", "air pressure at sea level", "air_pressure_at_mean_sea_level",
                 "surface", "Pa"),
        Variable("longwave", "W m-2", "longwave radiation (downwelling, or net into the ocean)", None,
                 "surface", "W m⁻²"),
        Variable("cloud_cover", "1", "cloud cover fraction", "cloud_area_fraction", "surface", "1"),
        Variable("precipitation", "m s-1", "precipitation rate (liquid water equivalent)",
                 "lwe_precipitation_rate", "surface", "m s⁻¹"),
    )
}  # fmt: skip
"""Meteorological series of the bulk air-sea formulae (`forcing.bulk` in a case), in column order of
`calib.core.forcing`; `humidity` takes its units from `forcing.bulk.humidity_type`."""

PROGNOSTIC = ("u", "v", "T", "S")  # the State fields, in order
FITTABLE = tuple(name for name, variable in VARIABLES.items() if variable.variance_floor is not None)
DIFFUSIVITY_NAMES = {  # Diffusivities field -> output name
    "momentum": "viscosity",
    "tracers": "diffusivity",
    "nonlocal_": "nonlocal_fraction",
}


def variance_floors() -> dict[str, float]:
    """Fitted variable -> floor of its normalising variance."""
    return {name: VARIABLES[name].variance_floor for name in FITTABLE}


def display_units(name: str) -> str:
    """Units of a variable for reports and plots ('1' for unknown names)."""
    variable = VARIABLES.get(name)
    return variable.display_units if variable else "1"


# Choices that change the compiled program; validated in the configuration layer, used by core.
CHECKPOINT_SCHEMES = ("none", "step", "nested", "sqrt", "recursive")
SOLVERS = ("auto", "thomas", "lapack")
ROTATIONS = ("exact", "semi_implicit")
WATER_TYPES = ("I", "IA", "IB", "II", "III")  # Jerlov (1968) optical water types


def check_choice(value: str, options: tuple[str, ...], where: str, what: str = "value") -> str:
    """`value` if it is one of `options`, else a one-line ConfigError naming `where`.

    Args:
        value: the given choice, e.g. a checkpoint scheme.
        options: the allowed values.
        where: what was given, as the user wrote it (``--checkpoint``, ``numerics.checkpoint``).
        what: what the value names, for the message ("scheme", "closure").
    """
    if value not in options:
        raise ConfigError(f"{where} {value}: unknown {what}; choose one of {', '.join(options)}")
    return value


def check_scheme(value: str, where: str = "--checkpoint") -> str:
    """A checkpoint scheme name (`CHECKPOINT_SCHEMES`), or a one-line ConfigError."""
    return check_choice(value, CHECKPOINT_SCHEMES, where, "scheme")


__all__ = [
    "CHECKPOINT_SCHEMES",
    "DIFFUSIVITY_NAMES",
    "FITTABLE",
    "FORCING",
    "METEOROLOGY",
    "PROGNOSTIC",
    "ROTATIONS",
    "SOLVERS",
    "VARIABLES",
    "WATER_TYPES",
    "Variable",
    "check_choice",
    "check_scheme",
    "display_units",
    "variance_floors",
]
