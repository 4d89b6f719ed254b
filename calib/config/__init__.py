"""Cases: the YAML schema (frozen dataclasses), strict reading, and building a case into objects.

`load_case`/`parse_case` and the schema import no JAX (`calib --help` stays instant); only
`calib.config.build` (names -> Modules, files -> arrays) imports the model core.
"""

from calib.config.load import case_mapping, dump_yaml, load_case, parse_case, rebase_paths, with_closure
from calib.config.schema import (
    Case,
    ClosureConfig,
    EquationOfStateConfig,
    ForcingConfig,
    GridConfig,
    InitialConfig,
    NumericsConfig,
    OutputConfig,
    ProfileConfig,
    SeriesConfig,
    TimeConfig,
)

__all__ = [
    "Case",
    "ClosureConfig",
    "EquationOfStateConfig",
    "ForcingConfig",
    "GridConfig",
    "InitialConfig",
    "NumericsConfig",
    "OutputConfig",
    "ProfileConfig",
    "SeriesConfig",
    "TimeConfig",
    "case_mapping",
    "dump_yaml",
    "load_case",
    "parse_case",
    "rebase_paths",
    "with_closure",
]
