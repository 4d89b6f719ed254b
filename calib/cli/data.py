"""Data commands: `calib import gotm|lesbrary`, `calib plot`, `calib compare` (wiring only:
`calib.io.importers`, `calib.analysis.plotting`, `calib.analysis.compare`)."""

from pathlib import Path
from typing import Annotated

import typer

from calib.cli.app import Debug, Force, Quiet, Reporter, Verbose, app, friendly_errors, out

GOTM_ROLES_HELP = (
    "temperature, salinity, heat_flux, momentum_flux (2 columns), tx, ty, shortwave, freshwater_flux, "
    "wind (2 columns), wind_x, wind_y, air_temperature, humidity, air_pressure, longwave, cloud_cover, "
    "precipitation, sst, sss, epsilon"
)


def _gotm_sources(sources: list[str]):
    """(GOTM case folder or gotm.yaml or None, role -> (file, column)) from the command line: a
    folder, ROLE=PATH[:COLUMN] items and files with GOTM's common names."""
    from calib.common.errors import DataError
    from calib.io.gotm_import import ROLES, parse_role

    folder, files = None, {}
    by_name = {name: role for role, spec in ROLES.items() for name in spec.file_names}
    for item in sources:
        if "=" not in item and (Path(item).is_dir() or Path(item).suffix in (".yaml", ".yml")):
            if folder is not None:
                raise DataError(f"{item}: a second case folder ({folder} given first); give one folder")
            folder = Path(item)
            continue
        if "=" in item:
            role, path, column = parse_role(item)
        else:
            role, path, column = by_name.get(Path(item).name), Path(item), 1
            if role is None:
                raise DataError(
                    f"{item}: not a GOTM case folder nor a common GOTM file name (t_prof.dat, heat_flux.dat, "
                    f"...); write ROLE=PATH[:COLUMN] with ROLE one of {', '.join(ROLES)}"
                )
        files[role] = (path, column)
    return folder, files


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
        help="A GOTM case folder (its gotm.yaml, or t_prof.dat, heat_flux.dat, ...), and/or files by "
        f"common name or as ROLE=PATH[:COLUMN] (1-based value column; roles: {GOTM_ROLES_HELP}).",
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
    Path,
    typer.Argument(metavar="FILE", help="LESbrary *_instantaneous_statistics.jld2 or its NetCDF export."),
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
    out_case: Annotated[
        Path | None,
        typer.Option("--out-case", help="Case YAML to write (default: <case name>.yaml next to --out-obs)."),
    ] = None,
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
    """A GOTM case (gotm.yaml + files, or the files) -> observation + forcing NetCDF + a case YAML
    that runs; every gotm.yaml setting calib does not reproduce is listed."""
    from calib.io.files import check_outputs
    from calib.io.gotm_import import import_gotm_case

    report = Reporter(quiet, verbose)
    check_outputs(out_obs, out_forcing, force=force)
    folder, files = _gotm_sources(sources)
    if out_case is None:
        out_case = out_obs.parent / f"{_gotm_case_name(folder, files)}.yaml"
    given = ", ".join(f"{role}={path}:{column}" for role, (path, column) in files.items())
    report.detail(f"reading {', '.join(str(x) for x in (folder, given) if x)}")
    begin, finish = _date("--start", start), _date("--end", end)
    result = import_gotm_case(folder, out_obs, out_forcing, out_case, begin, finish, files=files,
                              latitude=latitude, longitude=longitude, attrs=_attributes(attr or []),
                              force=force)  # fmt: skip
    _report(report, out_obs, out_forcing)
    report.say(f"wrote {result.case}")
    for note in result.notes:
        report.detail(f"  note: {note}")
    if result.unsupported:
        count = len(result.unsupported)
        report.say(f"{count} GOTM setting(s) calib does not reproduce (listed in {result.case}):")
        for item in result.unsupported:
            report.say(f"  - {item}")


def _gotm_case_name(folder: Path | None, files: dict) -> str:
    """The case name: gotm.yaml's location.name, else the folder's or the temperature file's name."""
    from calib.io.gotm_case import read_gotm_yaml

    if folder is not None:
        yaml_path = folder if folder.is_file() else folder / "gotm.yaml"
        if yaml_path.is_file():
            return read_gotm_yaml(yaml_path).name
        return folder.resolve().name or "gotm_case"
    first = files.get("temperature", next(iter(files.values()), (Path("gotm_case"), 1)))[0]
    return Path(first).resolve().parent.name or "gotm_case"


@importer.command("lesbrary")
@friendly_errors
def import_lesbrary(
    source: LesFile,
    out_obs: OutObs,
    out_forcing: OutForcing,
    out_case: Annotated[
        Path | None,
        typer.Option("--out-case", help="Case YAML to write (default: by --out-obs, X_obs.nc -> X.yaml)."),
    ] = None,
    closure: Annotated[str, typer.Option(help="Closure of the written case.")] = "catke",
    force: Force = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """LESbrary LES statistics (JLD2 or NetCDF; temperature or buoyancy) -> observation + forcing
    NetCDF and a runnable case YAML."""
    from calib.io.files import check_outputs
    from calib.io.importers import import_lesbrary as convert
    from calib.io.lesbrary_import import default_case_path

    report = Reporter(quiet, verbose)
    case = out_case if out_case is not None else default_case_path(out_obs)
    check_outputs(out_obs, out_forcing, case, force=force)
    convert(source, out_obs, out_forcing, out_case=case, closure=closure, note=report.say, force=force)
    _report(report, out_obs, out_forcing)
    report.say(f"wrote {case} (run it: calib run {case})")


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
