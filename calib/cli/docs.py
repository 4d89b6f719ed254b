"""`calib closures [NAME]` (the closures, their variants and parameters) and `calib example
[CASE]` (a commented starting case). Wiring only: `calib.core.closures`, `calib.config.reference`."""

from pathlib import Path
from typing import Annotated

import typer

from calib.cli.app import Debug, Force, Quiet, Reporter, Verbose, app, friendly_errors, stdout


def _first_line(cls) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""


def _parameter_rows(table, module, prefix: str = "") -> None:
    from calib.core.params import parameter_info

    for name, info in parameter_info(module).items():
        bounds = f"[{info.lower:g}, {info.upper:g}]"
        table.add_row(prefix + name, f"{info.default:g}", bounds, info.units, info.doc, info.source)


@app.command()
@friendly_errors
def closures(
    name: Annotated[
        str | None, typer.Argument(metavar="[NAME]", help="A closure to describe in full.")
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """List the closures, or one closure's variants and parameters.

    With NAME: every parameter (default, bounds, units, meaning, source) and variant, i.e. what a
    case's `closure:` section and `calib fit --params` accept."""
    from rich.table import Table

    from calib.common.vocabulary import check_choice
    from calib.core.closures import CLOSURES
    from calib.core.params import get_parameter, parameter_info, variant_name, variant_options

    console = stdout()
    if name is None:
        table = Table(title="calib closures (calib closures NAME for the parameters)", title_justify="left")
        for header in ("name", "what it is", "variants", "parameters"):
            table.add_column(header)
        for key, cls in CLOSURES.items():
            closure = cls()
            variants = ", ".join(
                f"{f}: {variant_name(get_parameter(closure, f))}" for f in variant_options(closure)
            )
            table.add_row(key, _first_line(cls), variants or "-", str(len(parameter_info(closure))))
        console.print(table)
        return
    check_choice(name, tuple(CLOSURES), "closure", "closure")
    cls = CLOSURES[name]
    closure = cls()
    console.print(f"[bold]{name}[/]: {_first_line(cls)}", highlight=False)
    if verbose:
        console.print((cls.__doc__ or "").strip(), highlight=False)
    table = Table(
        title="parameters (closure.parameters in a case, --params in calib fit)", title_justify="left"
    )
    for header in ("name", "default", "bounds", "units", "meaning", "source"):
        table.add_column(header)
    _parameter_rows(table, closure)
    console.print(table)
    for field, options in variant_options(closure).items():
        current = variant_name(get_parameter(closure, field))
        table = Table(title=f"{field}: {', '.join(options)} (default {current}; in a case: {field}: NAME)",
                      title_justify="left")  # fmt: skip
        for header in ("name", "default", "bounds", "units", "meaning", "source"):
            table.add_column(header)
        for option, variant in options.items():
            if option != current and parameter_info(variant):
                _parameter_rows(table, variant, prefix=f"{field}.")
        if table.row_count:
            console.print(table)
        else:
            console.print(
                f"{field}: {', '.join(options)} (default {current}); no further parameters", highlight=False
            )


def _bundled_cases() -> dict[str, Path]:
    folder = Path(__file__).resolve().parents[2] / "cases"
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


@app.command()
@friendly_errors
def example(
    case: Annotated[
        str, typer.Argument(metavar="[CASE]", help="A bundled case (kato_phillips, ...) or a case file.")
    ] = "kato_phillips",
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write it (default: stdout).")
    ] = None,
    force: Force = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """Write a case with a comment on every key (docs/case-format.md), to start your own from.

    File paths in it are rewritten relative to where it is written, so it runs from there."""
    from calib import config
    from calib.common.errors import ConfigError
    from calib.config.reference import commented
    from calib.io.files import check_outputs, write_text

    report = Reporter(quiet, verbose)
    bundled = _bundled_cases()
    path = bundled.get(case, Path(case))
    if not path.is_file():
        raise ConfigError(
            f"{case}: no bundled case or case file of that name; use one of {', '.join(bundled)}"
        )
    loaded = config.load_case(path)
    folder = (out_path.parent if out_path is not None else Path.cwd()).resolve()
    data = config.rebase_paths(config.case_mapping(loaded), loaded.base_dir, folder)
    header = "\n".join(
        line.lstrip("# ").rstrip() for line in path.read_text().splitlines() if line.startswith("#")
    )
    header = f"Starting case written by `calib example {case}` (keys: docs/case-format.md).\n" + (
        header.split("\n\n")[0] if header else ""
    )
    text = commented(data, header)
    if out_path is None:
        typer.echo(text, nl=False)
        return
    check_outputs(out_path, force=force)
    write_text(out_path, text)
    report.say(f"wrote {out_path}; run it with: calib run {out_path}")
