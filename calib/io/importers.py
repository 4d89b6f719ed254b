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

import numpy as np
import xarray as xr

from calib.io.gotm_import import import_gotm
from calib.io.import_common import HEAT_CAPACITY, REFERENCE_DENSITY
from calib.io.lesbrary_import import import_lesbrary

__all__ = ["HEAT_CAPACITY", "REFERENCE_DENSITY", "import_gotm", "import_lesbrary", "regenerate"]


PAPA_METEOROLOGY = {
    # calib name (calib.common.vocabulary.METEOROLOGY, FORCING): (GOTM file, value column)
    "wind_x": ("u10.dat", 0),
    "wind_y": ("u10.dat", 1),
    "air_temperature": ("airt.dat", 0),
    "humidity": ("hum.dat", 0),  # specific humidity, kg kg-1
    "air_pressure": ("airp.dat", 0),
    "longwave": ("lwr.dat", 0),  # net longwave, W m-2, negative = the ocean loses heat (calib's sign)
    "precipitation": ("precip.dat", 0),
    "shortwave": ("swr.dat", 0),  # downward shortwave (GOTM applies the albedo), W m-2
}


def papa_meteorology(folder: str | Path, out: str | Path, *, force: bool = True) -> Path:
    """The OWS Papa meteorology for bulk formulae (`forcing.bulk` in a case) -> one NetCDF file.

    Series on the union of their hourly times within their common period, gaps interpolated
    linearly; units and signs as GOTM's files (already calib's: net longwave and fluxes positive
    into the ocean, humidity specific in kg kg-1, pressure in Pa, precipitation in m s-1).
    """
    from calib.common.vocabulary import FORCING, METEOROLOGY
    from calib.io.files import atomic_write, check_outputs
    from calib.io.gotm import read_gotm_timeseries
    from calib.io.import_common import TIME_ATTRS, _encoding, _finalized

    folder, out = Path(folder), Path(out)
    series = {}
    for name, (file_name, column) in PAPA_METEOROLOGY.items():
        data = read_gotm_timeseries(folder / file_name)
        series[name] = data[list(data.data_vars)[column]]
    begin = max(s["time"].values[0] for s in series.values())
    finish = min(s["time"].values[-1] for s in series.values())
    union = np.unique(np.concatenate([s["time"].values for s in series.values()]))
    union = union[(union >= begin) & (union <= finish)]
    ds = xr.Dataset(coords={"time": ("time", union, dict(TIME_ATTRS))})
    for name, values in series.items():
        variable = METEOROLOGY.get(name) or FORCING[name]
        ds[name] = values.interp(time=union).assign_attrs(variable.attributes())
    negative = int((ds["precipitation"] < 0).sum())  # about half the records: a smoothed product
    ds["precipitation"] = ds["precipitation"].clip(min=0.0).assign_attrs(
        ds["precipitation"].attrs, comment=f"{negative} negative values of precip.dat (down to "
        f"{float(series['precipitation'].min()):.3g} m s-1, 11 % of the positive total) set to 0")
    ds["humidity"].attrs.update(units="kg kg-1", long_name="specific humidity at 2 m", standard_name="specific_humidity")
    ds["longwave"].attrs.update(long_name="net longwave radiation into the ocean",
                                standard_name="surface_net_downward_longwave_flux")
    ds["shortwave"].attrs.update(long_name="downward shortwave radiation at the surface",
                                 standard_name="surface_downwelling_shortwave_flux_in_air")
    ds.attrs = {
        "title": "Ocean Station Papa 2012-2013 meteorology (GOTM 'langmuir' case inputs)",
        "summary": "Hourly 10 m wind, air temperature, specific humidity, sea-level pressure, net longwave, "
        "precipitation and downward shortwave at Ocean Station Papa, for calib's bulk air-sea formulae",
        "source": "gotm-model/cases langmuir/ @ a5d5076; NOAA PMEL Ocean Climate Stations mooring",
        "acknowledgement": "Data from NOAA PMEL OCS (Station Papa) via the GOTM test cases (GPL)",
        "latitude": 50.1,
        "longitude": -144.9,
        "source_files": ", ".join(sorted({f for f, _ in PAPA_METEOROLOGY.values()})),
        "sign_convention": "radiative fluxes positive into the ocean",
    }  # fmt: skip
    ds = _finalized(ds, "physicalMeasurement", "meteorology")
    check_outputs(out, force=force)
    return atomic_write(out, lambda temporary: ds.to_netcdf(temporary, engine="netcdf4",
                                                            encoding=_encoding(ds, "float32")))  # fmt: skip


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
    written.append(papa_meteorology(shared_data / "ows_papa_2012", out / "ows_papa_2012_meteorology.nc"))
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
