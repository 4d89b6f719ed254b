"""Data commands: `calib import gotm|lesbrary`, `calib plot`, `calib compare`.

Wiring only (see `calib.io.importers`, `calib.analysis.plotting`, `calib.analysis.compare`); no JAX and no
xarray at module level, so `calib --help` stays instant. No ``from __future__ import
annotations`` here: typer must evaluate the annotations that use `register`'s arguments.
"""

import contextlib
import os
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

GOTM_ROLES_HELP = "temperature, salinity, heat_flux, momentum_flux, shortwave, freshwater_flux"


@contextlib.contextmanager
def _replacing(*paths: Path):
    """Yield temporary paths next to `paths`; on success rename them onto `paths`, else delete them.

    The writer creates the temporary files, so they get the usual permissions (umask).
    """
    temporaries = [path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp") for path in paths]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield temporaries
        for temporary, path in zip(temporaries, paths, strict=True):
            os.replace(temporary, path)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def _check_outputs(force: bool, *paths: Path) -> None:
    from calib.common.errors import CalibError

    if len({path.resolve() for path in paths}) < len(paths):
        raise CalibError(f"{paths[0]}: the same file for two outputs; give each output its own path")
    for path in paths:
        if path.exists() and not force:
            raise CalibError(f"{path}: exists; pass --force to overwrite it or choose another output path")


def _gotm_sources(sources: list[str]):
    """A GOTM case folder, or role -> file from ROLE=PATH items or standard GOTM file names."""
    from calib.common.errors import DataError
    from calib.io.importers import GOTM_FILES

    if len(sources) == 1 and Path(sources[0]).is_dir():
        return Path(sources[0])
    by_name = {name: role for role, (name, _) in GOTM_FILES.items()}
    files = {}
    for item in sources:
        role, separator, path = item.partition("=")
        if not separator:
            role, path = by_name.get(Path(item).name), item
        if role not in GOTM_FILES:
            raise DataError(
                f"{item}: not a standard GOTM file name ({', '.join(by_name)}); "
                f"write ROLE=PATH with ROLE one of {GOTM_ROLES_HELP}"
            )
        files[role] = Path(path)
    return files


def _date(option: str, value: str | None):
    """numpy datetime64 from an ISO date given on the command line (None stays None)."""
    import numpy as np

    from calib.common.errors import CalibError

    if value is None:
        return None
    try:
        return np.datetime64(value.strip().replace(" ", "T"), "s")
    except ValueError:
        raise CalibError(f"{option} {value!r}: cannot read the date; write e.g. 2012-03-21T00:00") from None


def _attributes(items: list[str]) -> dict[str, str]:
    from calib.common.errors import CalibError

    attributes = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise CalibError(f"--attr {item!r}: expected KEY=VALUE; write e.g. --attr title='My site'")
        attributes[key.strip()] = value
    return attributes


def _report(out: Console, obs_path: Path, forcing_path: Path) -> None:
    import xarray as xr

    for path in (obs_path, forcing_path):
        with xr.open_dataset(path) as ds:
            sizes = ", ".join(f"{size} {dim}" for dim, size in ds.sizes.items())
            variables = ", ".join(str(name) for name in ds.data_vars)
        message = f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB; {variables}; {sizes})"
        out.print(message, highlight=False, soft_wrap=True)


Sources = Annotated[
    list[str],
    typer.Argument(
        metavar="DIR|FILES...",
        help="A GOTM case folder (t_prof.dat, heat_flux.dat, ...), or files by standard name "
        f"or as ROLE=PATH ({GOTM_ROLES_HELP}).",
    ),
]
OutObs = Annotated[
    Path, typer.Option("--out-obs", help="Observation NetCDF to write (T, S, u, v on time, z).")
]
OutForcing = Annotated[
    Path, typer.Option("--out-forcing", help="Forcing NetCDF to write (fluxes into the ocean).")
]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
Start = Annotated[
    str | None, typer.Option(help="First time to keep (ISO date; the record before is kept too).")
]
End = Annotated[str | None, typer.Option(help="Last time to keep (ISO date; the record after is kept too).")]
Latitude = Annotated[float | None, typer.Option(help="Site latitude (degrees north), recorded with f.")]
Longitude = Annotated[float | None, typer.Option(help="Site longitude (degrees east).")]
Attributes = Annotated[list[str] | None, typer.Option(help="Extra global attribute KEY=VALUE (repeatable).")]
LesFile = Annotated[
    Path, typer.Argument(metavar="FILE", help="LESbrary *_instantaneous_statistics.jld2 file.")
]


def register(app: typer.Typer, *, friendly_errors, debug_option, console: Console) -> None:
    """Add `import gotm`, `import lesbrary`, `plot` and `compare` to the calib app."""
    out = Console()
    _register_import(app, friendly_errors, debug_option, out)
    _register_plot_and_compare(app, friendly_errors, debug_option, out)


def _register_import(app: typer.Typer, friendly_errors, debug_option, out: Console) -> None:
    importer = typer.Typer(
        name="import",
        help="Convert foreign data (GOTM text, LESbrary JLD2) into calib observation and forcing NetCDF.",
        no_args_is_help=True,
    )
    app.add_typer(importer, name="import")

    @importer.command("gotm")
    @friendly_errors
    def import_gotm(
        sources: Sources,
        out_obs: OutObs,
        out_forcing: OutForcing,
        start: Start = None,
        end: End = None,
        latitude: Latitude = None,
        longitude: Longitude = None,
        attr: Attributes = None,
        force: Force = False,
        debug: debug_option = False,
    ) -> None:
        """GOTM text files (profiles and flux time series) -> observation + forcing NetCDF."""
        from calib.io.importers import import_gotm as convert

        _check_outputs(force, out_obs, out_forcing)
        files = _gotm_sources(sources)
        window = _date("--start", start), _date("--end", end)
        with _replacing(out_obs, out_forcing) as (obs_tmp, forcing_tmp):
            convert(files, obs_tmp, forcing_tmp, *window, latitude=latitude, longitude=longitude,
                    attrs=_attributes(attr or []))  # fmt: skip
        _report(out, out_obs, out_forcing)

    @importer.command("lesbrary")
    @friendly_errors
    def import_lesbrary(
        source: LesFile,
        out_obs: OutObs,
        out_forcing: OutForcing,
        force: Force = False,
        debug: debug_option = False,
    ) -> None:
        """LESbrary/Oceananigans JLD2 statistics -> observation (T, u, v, e) + forcing NetCDF."""
        from calib.io.importers import import_lesbrary as convert

        _check_outputs(force, out_obs, out_forcing)
        with _replacing(out_obs, out_forcing) as (obs_tmp, forcing_tmp):
            convert(source, obs_tmp, forcing_tmp)
        _report(out, out_obs, out_forcing)


def _load(trajectory: Path, observations: Path | None):
    """(trajectory Dataset, observations Dataset or None), with one-line errors."""
    from calib.common.errors import DataError, one_line
    from calib.io.netcdf import read_dataset
    from calib.io.observations import load_observations

    try:
        model = read_dataset(trajectory)
    except (OSError, ValueError) as error:
        raise DataError(
            f"{trajectory}: cannot read the trajectory ({one_line(error)}); "
            "give a NetCDF written by calib run"
        ) from None
    if "T" not in model or "z" not in model.coords or set(model["T"].dims) != {"time", "z"}:
        raise DataError(
            f"{trajectory}: no T on (time, z); give a NetCDF written by calib run with T among its outputs"
        )
    import numpy as np

    numeric_T = np.issubdtype(model["T"].dtype, np.number)
    if not numeric_T or not np.issubdtype(model["time"].dtype, np.datetime64):
        raise DataError(f"{trajectory}: T is not numeric or time is not a CF time; give a file of calib run")
    if model.sizes["time"] == 0 or model.sizes["z"] == 0:
        raise DataError(f"{trajectory}: no saved state (empty time or z); give a file of calib run")
    observed = load_observations(observations) if observations is not None else None
    if observed is not None and "T" not in observed:
        raise DataError(f"{observations}: no temperature found; calib plot and compare need observed T")
    return model, observed


def _check_overlap(model, observed, observations: Path) -> None:
    """The observations must share some time with the run (compare has nothing to say otherwise)."""
    from calib.common.errors import DataError

    start, end = model["time"].values[0], model["time"].values[-1]
    times = observed["time"].values
    if times.size == 0 or times[-1] < start or times[0] > end:
        raise DataError(
            f"{observations}: no time overlap with the run (observations {str(times[0])[:19]} to "
            f"{str(times[-1])[:19]}, run {str(start)[:19]} to {str(end)[:19]}); "
            "give observations of the period the run covers"
        )


def _register_plot_and_compare(app: typer.Typer, friendly_errors, debug_option, out: Console) -> None:
    Trajectory = Annotated[Path, typer.Argument(metavar="TRAJ.nc", help="Trajectory written by calib run.")]

    @app.command()
    @friendly_errors
    def plot(
        trajectory: Trajectory,
        obs: Annotated[Path | None, typer.Option("--obs", help="Observation NetCDF to compare with.")] = None,
        out_path: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Figure to write (default: TRAJ.png)."),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing figure.")] = False,
        debug: debug_option = False,
    ) -> None:
        """Figure of a run: SST and mixed-layer depth vs observations, depth-time sections of T."""
        from calib.analysis.plotting import check_figure_path, plot_run

        out_path = out_path or trajectory.with_suffix(".png")
        _check_outputs(force, out_path)
        check_figure_path(out_path)
        model, observations = _load(trajectory, obs)
        title = model.attrs.get("case_name") or trajectory.stem
        path = plot_run(model, observations, out_path, title=title)
        out.print(f"wrote {path}", highlight=False)

    @app.command()
    @friendly_errors
    def compare(
        trajectory: Trajectory,
        obs: Annotated[Path, typer.Argument(metavar="OBS.nc", help="Observation NetCDF.")],
        at: Annotated[
            list[str] | None,
            typer.Option(
                help="Time of the run for the RMS T error, e.g. '2 days' (repeatable; default: last save)."
            ),
        ] = None,
        debug: debug_option = False,
    ) -> None:
        """Monthly SST and mixed-layer-depth errors and RMS T error of a run against observations."""
        import numpy as np

        from calib.analysis import compare as statistics
        from calib.common.errors import DataError
        from calib.config.reader import Node

        model, observations = _load(trajectory, obs)
        _check_overlap(model, observations, obs)
        rows = statistics.monthly_comparison(model, observations)
        if rows:
            out.print(statistics.monthly_table(rows) + "\n", highlight=False, soft_wrap=True)
        times = [
            Node(text, "--at", "command line", Path.cwd()).duration("time", positive=False)
            for text in at or []
        ]
        errors = statistics.rms_temperature_error(model, observations, times or None)
        if not np.isfinite(errors).any():
            raise DataError(
                f"{obs}: no observed T on the levels of the run at the times asked for; "
                "check the observed depths and times, or choose --at within them"
            )
        seconds = times or [float(statistics.seconds_since_start(model)[-1])]
        for time, error in zip(seconds, errors, strict=True):
            out.print(f"RMS T error at t = {time / 3600:g} h: {error:.4f} K", highlight=False)
