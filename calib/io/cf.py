"""CF-1.8 and ACDD-1.3 metadata of every NetCDF calib writes, in one place.

`finalize(ds, ...)` returns a copy of a Dataset with what the conventions ask for and the data
allow: standard names and `coverage_content_type` on the variables, scalar `lat`/`lon`
coordinates when the position is known, `z_bounds` from the cell faces, a `featureType`, and
the ACDD global attributes (title, summary, keywords, creator, dates, history, geospatial and
time coverage ...). Attributes already on the Dataset are kept (an importer's title or
licence wins over the defaults here). `encoding(ds)` gives the matching NetCDF encoding: no
`_FillValue` on coordinates and bounds (CF 2.5.1), time as float64 seconds since the first
time, compressed data variables.

Who made the data: `creator_name` defaults to the user's login name, `creator_type` to
"person", `institution` to a note saying how to set it, `project` to "calib". The environment
variables of `ATTRIBUTION_ENVIRONMENT` (e.g. ``CALIB_INSTITUTION``, ``CALIB_CREATOR_EMAIL``)
override or add them.
"""

from __future__ import annotations

import datetime
import getpass
import os
import uuid
from collections.abc import Mapping

import numpy as np
import xarray as xr

from calib.common.history import VERSION, history_line
from calib.common.vocabulary import FORCING, METEOROLOGY, VARIABLES

CONVENTIONS = "CF-1.8, ACDD-1.3"
STANDARD_NAME_VOCABULARY = "CF Standard Name Table v93"
EARTH_ROTATION = 7.2921e-5  # rad s-1

# Standard names of outputs whose metadata comes from elsewhere (closure states, diffusivities).
STANDARD_NAMES = {
    "viscosity": "ocean_vertical_momentum_diffusivity",
    "diffusivity": "ocean_vertical_tracer_diffusivity",
    "k": "specific_turbulent_kinetic_energy_of_sea_water",
    "tke": "specific_turbulent_kinetic_energy_of_sea_water",
    "e": "specific_turbulent_kinetic_energy_of_sea_water",
    "epsilon": "specific_turbulent_kinetic_energy_dissipation_in_sea_water",
    "mixing_length": "turbulent_mixing_length_of_sea_water",
    "momentum_mixing_length": "turbulent_mixing_length_of_sea_water",
    "SST": "sea_surface_temperature",
}
for _table in (VARIABLES, FORCING, METEOROLOGY):
    STANDARD_NAMES.update({name: v.standard_name for name, v in _table.items() if v.standard_name})

ATTRIBUTION_ENVIRONMENT = {
    # global attribute: environment variable that sets it
    "creator_name": "CALIB_CREATOR_NAME",
    "creator_type": "CALIB_CREATOR_TYPE",
    "creator_email": "CALIB_CREATOR_EMAIL",
    "creator_url": "CALIB_CREATOR_URL",
    "creator_institution": "CALIB_CREATOR_INSTITUTION",
    "institution": "CALIB_INSTITUTION",
    "project": "CALIB_PROJECT",
    "publisher_name": "CALIB_PUBLISHER_NAME",
    "publisher_email": "CALIB_PUBLISHER_EMAIL",
    "publisher_url": "CALIB_PUBLISHER_URL",
    "naming_authority": "CALIB_NAMING_AUTHORITY",
    "license": "CALIB_LICENSE",
}

PROCESSING_LEVELS = {
    "modelResult": "model output (calib column simulation)",
    "physicalMeasurement": "data converted to calib's conventions; no quality control by calib",
}
TOPIC_KEYWORDS = ("ocean vertical mixing", "turbulence closure", "water column")
LOCATED_FEATURES = ("timeSeriesProfile", "timeSeries", "profile")


def attribution() -> dict[str, str]:
    """Who made the file: the defaults of the module docstring, overridden by the environment."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "calib user"
    attrs = {
        "creator_name": user,
        "creator_type": "person",
        "institution": "not recorded (set the CALIB_INSTITUTION environment variable)",
        "project": "calib",
    }
    for attribute, variable in ATTRIBUTION_ENVIRONMENT.items():
        if os.environ.get(variable):
            attrs[attribute] = os.environ[variable]
    return attrs


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def latitude_from_coriolis(coriolis: float) -> float:
    """Latitude (degrees north) of a Coriolis parameter f = 2 Omega sin(latitude) (s-1)."""
    return float(np.degrees(np.arcsin(np.clip(coriolis / (2.0 * EARTH_ROTATION), -1.0, 1.0))))


def _iso(value: np.datetime64) -> str:
    return f"{np.datetime_as_string(np.datetime64(value, 's'))}Z"


def _duration(seconds: float) -> str:
    """ISO 8601 duration: 'P2DT3H', 'PT600S'."""
    seconds = round(float(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    text = "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return text if text != "P" else "PT0S"


def _number(value) -> float | None:
    try:
        number = float(np.asarray(value).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return None
    return number if np.isfinite(number) else None


def _position(ds: xr.Dataset, latitude, longitude):
    """(latitude, longitude): given, else `lat`/`lon` coordinates, else `latitude`/`longitude`
    global attributes, else (latitude only) the `coriolis_parameter` attribute."""
    for name, value, given in (("lat", latitude, "latitude"), ("lon", longitude, "longitude")):
        if value is None and name in ds.coords:
            value = _number(ds[name].values)
        if value is None and given in ds.attrs:
            value = _number(ds.attrs[given])
        if value is None and name == "lat" and "coriolis_parameter" in ds.attrs:  # f = 2 Omega sin(lat)
            f = _number(ds.attrs["coriolis_parameter"])
            value = None if f is None else latitude_from_coriolis(f)
        yield value


def add_position(ds: xr.Dataset, latitude: float | None, longitude: float | None) -> xr.Dataset:
    """Scalar `lat`/`lon` coordinates (degrees north/east) for the known parts of the position."""
    coords = {}
    if latitude is not None:
        coords["lat"] = ((), float(latitude), {"units": "degrees_north", "standard_name": "latitude",
                                               "long_name": "latitude", "axis": "Y"})  # fmt: skip
    if longitude is not None:
        longitude = (float(longitude) + 180.0) % 360.0 - 180.0
        coords["lon"] = ((), longitude, {"units": "degrees_east", "standard_name": "longitude",
                                         "long_name": "longitude", "axis": "X"})  # fmt: skip
    return ds.assign_coords(coords)


def add_vertical_bounds(ds: xr.Dataset) -> xr.Dataset:
    """`z_bounds` (z, nv) from `z_face` (bottom-first faces) when the file has both and no bounds."""
    if "z" not in ds.dims or "z_face" not in ds.coords or "z_bounds" in ds.variables:
        return ds
    faces = np.asarray(ds["z_face"].values)
    if faces.size != ds.sizes["z"] + 1:
        return ds
    bounds = np.stack([faces[:-1], faces[1:]], axis=1)
    ds = ds.assign_coords(z_bounds=(("z", "nv"), bounds, {"units": ds["z"].attrs.get("units", "m")}))
    ds["z"].attrs["bounds"] = "z_bounds"
    return ds


def _variable_attributes(ds: xr.Dataset, content: str) -> None:
    """Standard names where CF has one, `coverage_content_type`, a long_name on time."""
    for name, variable in ds.variables.items():
        name = str(name)
        attrs = variable.attrs
        if name in ds.coords or name.endswith("_bounds"):
            if name in ds.dims or name in ("lat", "lon"):
                attrs.setdefault("coverage_content_type", "coordinate")
            continue
        standard = STANDARD_NAMES.get(name)
        if standard and "standard_name" not in attrs:
            attrs["standard_name"] = standard
        if np.issubdtype(variable.dtype, np.number) or np.issubdtype(variable.dtype, np.bool_):
            attrs.setdefault("coverage_content_type", content)
    if "time" in ds.variables:
        ds["time"].attrs.setdefault("long_name", "time")
        ds["time"].attrs.setdefault("standard_name", "time")
        ds["time"].attrs.setdefault("axis", "T")


def _feature_type(ds: xr.Dataset) -> str | None:
    dims = {d for name in ds.data_vars for d in ds[name].dims}
    if "time" in dims and dims & {"z", "z_face"}:
        return "timeSeriesProfile"
    if "time" in ds.dims:
        return "timeSeries"
    return None


def _keywords(ds: xr.Dataset) -> str:
    names = sorted(
        {str(ds[n].attrs["standard_name"]) for n in ds.data_vars if "standard_name" in ds[n].attrs}
    )
    return ", ".join([*TOPIC_KEYWORDS, *names])


def _coverage(ds: xr.Dataset, latitude, longitude) -> dict:
    """geospatial_* and time_coverage_* attributes from the coordinates."""
    attrs: dict = {}
    if latitude is not None:
        attrs.update(geospatial_lat_min=latitude, geospatial_lat_max=latitude,
                     geospatial_lat_units="degrees_north", geospatial_lat_resolution="point")  # fmt: skip
    if longitude is not None:
        attrs.update(geospatial_lon_min=longitude, geospatial_lon_max=longitude,
                     geospatial_lon_units="degrees_east", geospatial_lon_resolution="point")  # fmt: skip
    if latitude is not None and longitude is not None:
        attrs.update(geospatial_bounds=f"POINT ({latitude:.6g} {longitude:.6g})",
                     geospatial_bounds_crs="EPSG:4326")  # fmt: skip
    if "z" in ds.variables and ds["z"].size:  # ACDD: the extent of the z coordinate (cell centres)
        heights = np.asarray(ds["z"].values, float).ravel()
        attrs.update(
            geospatial_vertical_min=float(np.nanmin(heights)),
            geospatial_vertical_max=float(np.nanmax(heights)),
            geospatial_vertical_units="m",
            geospatial_vertical_positive="up",
            geospatial_bounds_vertical_crs="EPSG:5829",
        )
        if "z" in ds.variables and ds["z"].size > 1:
            spacing = np.abs(np.diff(np.asarray(ds["z"].values, float)))
            attrs["geospatial_vertical_resolution"] = (
                f"{spacing.min():.4g} m" if np.ptp(spacing) < 1e-6 * spacing.max() else
                f"{spacing.min():.4g} to {spacing.max():.4g} m (stretched)"
            )  # fmt: skip
    if "time" in ds.variables and ds["time"].size and np.issubdtype(ds["time"].dtype, np.datetime64):
        time = np.sort(np.asarray(ds["time"].values).ravel())
        attrs.update(
            time_coverage_start=_iso(time[0]),
            time_coverage_end=_iso(time[-1]),
            time_coverage_duration=_duration((time[-1] - time[0]) / np.timedelta64(1, "s")),
        )
        if time.size > 1:
            step = np.median(np.diff(time) / np.timedelta64(1, "s"))
            attrs["time_coverage_resolution"] = _duration(step)
    return attrs


def finalize(
    ds: xr.Dataset,
    *,
    title: str | None = None,
    summary: str | None = None,
    content: str = "modelResult",
    processing_level: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    feature_type: str | None = "auto",
    history: str | None = None,
) -> xr.Dataset:
    """A copy of `ds` with the CF/ACDD metadata of the module docstring.

    Args:
        ds: the Dataset (its own attributes win over the defaults below).
        title, summary: ACDD title and summary when the Dataset has none.
        content: ACDD `coverage_content_type` of the data variables ("modelResult",
            "physicalMeasurement", "auxiliaryInformation" ...).
        processing_level: ACDD processing level (default: from `content`).
        latitude, longitude: site position (degrees); default: existing `lat`/`lon`
            coordinates or `latitude`/`longitude` global attributes.
        feature_type: CF featureType; "auto" guesses it from the dimensions, None writes none.
        history: the history line (default: `calib.common.history.history_line`).
    """
    ds = ds.copy()
    for name in ds.variables:
        ds[name].attrs = dict(ds[name].attrs)
    latitude, longitude = _position(ds, latitude, longitude)
    ds = add_position(ds, latitude, longitude)
    ds = add_vertical_bounds(ds)
    _variable_attributes(ds, content)
    if feature_type == "auto":
        feature_type = _feature_type(ds)
    if feature_type in LOCATED_FEATURES and (latitude is None or longitude is None):
        feature_type = None  # a DSG feature needs its position
    old = dict(ds.attrs)
    for key in ("coriolis_parameter_s-1",):  # names CF does not allow
        old.pop(key, None)
    created = now_iso()
    attrs = {
        "title": title or "calib data",
        "summary": summary or title or "calib data",
        "keywords": _keywords(ds),
        **attribution(),
        "id": str(uuid.uuid4()),
        "date_created": created,
        "date_modified": created,
        "date_issued": created,
        "date_metadata_modified": created,
        "source": f"calib {VERSION} (differentiable 1-D ocean column model)",
        "processing_level": processing_level or PROCESSING_LEVELS.get(content, "derived by calib"),
        "product_version": VERSION,
        "comment": "surface fluxes positive into the ocean; z height in m, positive up, 0 at the surface",
        "license": "not specified by the creator (set the CALIB_LICENSE environment variable)",
        "standard_name_vocabulary": STANDARD_NAME_VOCABULARY,
        **_coverage(ds, latitude, longitude),
    }
    attrs.update(old)
    attrs["Conventions"] = CONVENTIONS
    attrs["history"] = history or old.get("history") or history_line()
    if feature_type:
        attrs["featureType"] = feature_type
    ds.attrs = {k: v for k, v in attrs.items() if v is not None}
    for name, entry in encoding(ds, compress=False).items():  # also right for a plain ds.to_netcdf
        if name in ds.coords or name.endswith("_bounds"):
            ds[name].encoding.update({k: v for k, v in entry.items() if k != "dtype" or "units" in entry})
    return ds


def encoding(ds: xr.Dataset, dtype: str | None = None, *, compress: bool = True) -> dict:
    """NetCDF encoding (xarray's `to_netcdf` argument) of the module docstring.

    Args:
        ds: the Dataset to write.
        dtype: float dtype of the floating data variables ("float32", "float64"); None keeps theirs.
        compress: zlib-compress the data variables.
    """
    result: dict[str, dict] = {}
    for name, variable in ds.variables.items():
        name = str(name)
        entry: dict = {}
        floating = np.issubdtype(variable.dtype, np.floating)
        coordinate = name in ds.coords or name.endswith("_bounds")
        if coordinate or not floating:
            entry["_FillValue"] = None
        else:
            entry["_FillValue"] = np.nan
            if dtype is not None:
                entry["dtype"] = dtype
        if variable.dtype.kind in "iu" and variable.dtype.itemsize == 8:  # CF-1.8 has no 64-bit integers
            values = np.asarray(variable.values)
            if values.size == 0 or np.abs(values).max() < 2**31:
                entry["dtype"] = "i4"
        if compress and not coordinate and variable.ndim:
            entry.update(zlib=True, complevel=5)
        if np.issubdtype(variable.dtype, np.datetime64) and variable.size:
            first = np.datetime64(np.asarray(variable.values).ravel()[0], "s")
            units = variable.encoding.get("units", "")
            if not str(units).startswith("seconds since"):
                units = f"seconds since {str(first).replace('T', ' ')}"
            entry.update(units=units, calendar="proleptic_gregorian", dtype="f8", _FillValue=None)
        result[name] = entry
    return result


def merge_encoding(ds: xr.Dataset, given: Mapping[str, dict] | None, dtype: str | None = None) -> dict:
    """`encoding(ds)` with the entries of `given` on top."""
    result = encoding(ds, dtype)
    for name, entry in (given or {}).items():
        result[name] = {**result.get(name, {}), **entry}
    return result


__all__ = [
    "ATTRIBUTION_ENVIRONMENT",
    "CONVENTIONS",
    "STANDARD_NAMES",
    "add_position",
    "add_vertical_bounds",
    "attribution",
    "encoding",
    "finalize",
    "latitude_from_coriolis",
    "merge_encoding",
]
