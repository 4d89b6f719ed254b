"""Data commands: `calib import gotm|lesbrary`, `calib plot`, `calib compare` (wiring only:
`calib.io.importers`, `calib.analysis.plotting`, `calib.analysis.compare`)."""

from pathlib import Path
from typing import Annotated

import typer

from calib.cli.app import Debug, Force, Quiet, Reporter, Verbose, app, friendly_errors, out

GOTM_ROLES_HELP = "temperature, salinity, heat_flux, momentum_flux, shortwave, freshwater_flux"


def _gotm_sources(sources: list[str]):
    """A GOTM case folder, or role -> file from ROLE=PATH items or standard GOTM file names."""
    from calib.common.errors import DataError
    from calib.io.gotm_import import GOTM_FILES

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


def _report(report: Reporter, *paths: Path) -> None:
    import xarray as xr

    for path in paths:
        with xr.open_dataset(path) as ds:
            sizes = ", ".join(f"{size} {dim}" for dim, size in ds.sizes.items())
            variables = ", ".join(str(name) for name in ds.data_vars)
        report.say(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB; {variables}; {sizes})")


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

importer = typer.Typer(
    name="import",
    help="Convert foreign data (GOTM text, LESbrary JLD2) into calib observation and forcing NetCDF.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
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
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """GOTM text files (profiles and flux time series) -> observation + forcing NetCDF."""
    from calib.io.files import check_outputs
    from calib.io.importers import import_gotm as convert

    report = Reporter(quiet, verbose)
    check_outputs(out_obs, out_forcing, force=force)
    files = _gotm_sources(sources)
    report.detail(f"reading {files}")
    convert(files, out_obs, out_forcing, _date("--start", start), _date("--end", end), latitude=latitude,
            longitude=longitude, attrs=_attributes(attr or []), force=force)  # fmt: skip
    _report(report, out_obs, out_forcing)


@importer.command("lesbrary")
@friendly_errors
def import_lesbrary(
    source: LesFile,
    out_obs: OutObs,
    out_forcing: OutForcing,
    force: Force = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """LESbrary/Oceananigans JLD2 statistics -> observation (T, u, v, e) + forcing NetCDF."""
    from calib.io.files import check_outputs
    from calib.io.importers import import_lesbrary as convert

    report = Reporter(quiet, verbose)
    check_outputs(out_obs, out_forcing, force=force)
    convert(source, out_obs, out_forcing, force=force)
    _report(report, out_obs, out_forcing)


def _observations(path: Path | None):
    from calib.common.errors import DataError
    from calib.io.observations import load_observations

    observed = load_observations(path) if path is not None else None
    if observed is not None and "T" not in observed:
        raise DataError(f"{path}: no temperature found; calib plot and compare need observed T")
    return observed


Trajectory = Annotated[Path, typer.Argument(metavar="TRAJ.nc", help="Trajectory written by calib run.")]


@app.command()
@friendly_errors
def plot(
    trajectory: Trajectory,
    obs: Annotated[Path | None, typer.Option("--obs", help="Observation NetCDF to compare with.")] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="Figure to write (default: TRAJ.png).")
    ] = None,
    force: Force = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """Figure of a run: SST and mixed-layer depth vs observations, depth-time sections of T."""
    from calib.analysis.plotting import check_figure_path, plot_run
    from calib.io.files import check_outputs
    from calib.io.netcdf import read_trajectory

    report = Reporter(quiet, verbose)
    out_path = out_path or trajectory.with_suffix(".png")
    check_outputs(out_path, force=force)
    check_figure_path(out_path)
    model, observations = read_trajectory(trajectory), _observations(obs)
    title = model.attrs.get("case_name") or trajectory.stem
    path = plot_run(model, observations, out_path, title=title)
    report.say(f"wrote {path}")


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
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """Monthly SST and mixed-layer-depth errors and RMS T error of a run against observations."""
    import numpy as np

    from calib.analysis import compare as statistics
    from calib.analysis.diagnostics import definitions
    from calib.common.errors import DataError
    from calib.config.reader import Node
    from calib.io.netcdf import read_trajectory

    report = Reporter(quiet, verbose)
    model, observations = read_trajectory(trajectory), _observations(obs)
    statistics.check_overlap(model, observations, obs)
    rows = statistics.monthly_comparison(model, observations)
    if rows:
        out.print(
            f"{definitions()}\n\n" + statistics.monthly_table(rows) + "\n", highlight=False, soft_wrap=True
        )
    times = [
        Node(text, "--at", "command line", Path.cwd()).duration("time", positive=False) for text in at or []
    ]
    errors = statistics.rms_temperature_error(model, observations, times or None)
    if not np.isfinite(errors).any():
        raise DataError(
            f"{obs}: no observed T on the levels of the run at the times asked for; "
            "check the observed depths and times, or choose --at within them"
        )
    seconds = times or [float(statistics.seconds_since_start(model)[-1])]
    report.detail(f"observations: {obs}, {observations.sizes['time']} profiles")
    for time, error in zip(seconds, errors, strict=True):
        out.print(f"RMS T error at t = {time / 3600:g} h: {error:.4f} K", highlight=False)
