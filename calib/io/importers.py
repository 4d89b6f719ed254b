"""Convert foreign data sets into calib's observation and forcing NetCDF files.

Observation file: variables ``T`` (degC), ``S`` (psu), ``u``, ``v`` (m s-1) on (time, z), z
height (m, ``positive: up``, bottom-first), NaN where not observed; readable by
`calib.io.observations.load_observations`.
Forcing file: ``wind_stress_x``, ``wind_stress_y`` (Pa), ``heat_flux`` (non-solar, W m-2),
``shortwave`` (W m-2), ``freshwater_flux`` (P - E, m s-1) on ``time``, all positive **into
the ocean** (the names and units of `calib.core.forcing.FORCING_VARIABLES`); global attributes give
the latitude and Coriolis parameter.

Regenerate the files in ``data/`` with ``python -m calib.io.importers [SHARED_DATA_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from calib.io.gotm_import import import_gotm
from calib.io.import_common import HEAT_CAPACITY, REFERENCE_DENSITY
from calib.io.lesbrary_import import import_lesbrary

__all__ = ["HEAT_CAPACITY", "REFERENCE_DENSITY", "import_gotm", "import_lesbrary", "regenerate"]


def regenerate(shared_data: str | Path, out: str | Path = "data") -> list[Path]:
    """Write every file of ``data/`` from the shared raw data (see data/README.md)."""
    shared_data, out = Path(shared_data), Path(out)
    written = list(
        import_gotm(
            shared_data / "ows_papa_2012", out / "ows_papa_2012_obs.nc", out / "ows_papa_2012_forcing.nc",
            latitude=50.1, longitude=-144.9,
            attrs={"title": "Ocean Station Papa 2012-2013 (GOTM 'langmuir' case inputs)",
                   "source": "gotm-model/cases langmuir/ @ a5d5076; NOAA PMEL Ocean Climate Stations mooring",
                   "acknowledgement": "Data from NOAA PMEL OCS (Station Papa) via the GOTM test cases (GPL)"},
            force=True,
        )
    )  # fmt: skip
    for case in ("free_convection", "strong_wind"):
        source = shared_data / "lesbrary_two_day_4m" / f"{case}_instantaneous_statistics.jld2"
        written += import_lesbrary(
            source, out / f"les_{case}_obs.nc", out / f"les_{case}_forcing.nc", force=True
        )
    return written


if __name__ == "__main__":
    REPOSITORY = Path(__file__).resolve().parents[2]
    SHARED_DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else REPOSITORY.parent / "shared" / "data"
    for written_path in regenerate(SHARED_DATA, REPOSITORY / "data"):
        print(f"{written_path}  {written_path.stat().st_size / 1e6:.2f} MB")
