"""Commands `calib profile-memory` and `calib check-grad`: what gradients cost, and whether the
three ways of computing them agree. Module level imports no JAX (`calib --help` stays instant).

No ``from __future__ import annotations``: typer evaluates the command annotations, which use
`register`'s arguments (`debug_option`)."""

from pathlib import Path
from typing import Annotated

import typer

CaseArgument = Annotated[
    Path | None,
    typer.Argument(metavar="[CASE.yaml]", help="Case file (default: Kato-Phillips column, k-epsilon)."),
]
NzOption = Annotated[int, typer.Option("--nz", help="Levels of the default column (ignored with a case).")]
ClosureOption = Annotated[str, typer.Option(help="Closure of the default column (ignored with a case).")]
ParamsOption = Annotated[
    str | None, typer.Option("--params", help="Comma-separated closure parameters (default: all).")
]


def _split(text: str | None, option: str, allowed=None, convert=str) -> list:
    """'a,b' -> [a, b], each converted and checked against `allowed`; one-line CalibError if not."""
    from calib.common.errors import ConfigError

    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    try:
        values = [convert(item) for item in items]
    except ValueError:
        raise ConfigError(
            f"{option} {text}: expected comma-separated {convert.__name__}s, e.g. 1000,4000"
        ) from None
    unknown = [value for value in values if allowed is not None and value not in allowed]
    if unknown or not values:
        raise ConfigError(
            f"{option} {text}: unknown or missing value; use some of {', '.join(map(str, allowed))}"
        )
    return values


def _problem_options(case_path, nz, closure, output_interval, params) -> dict:
    from calib.common.errors import ConfigError
    from calib.core.closures import CLOSURES

    if case_path is not None and not case_path.exists():
        raise ConfigError(f"{case_path}: no such case file; give the path of a YAML case")
    if case_path is None and closure not in CLOSURES:
        raise ConfigError(f"--closure {closure}: unknown closure; use one of {', '.join(CLOSURES)}")
    if nz < 2 or output_interval < 1:
        raise ConfigError("--nz must be >= 2 and --output-interval >= 1 (time steps between saves)")
    names = tuple(_split(params, "--params")) if params else None
    if names:
        from calib import config
        from calib.core.params import parameter_info

        name = config.load_case(case_path).closure.name if case_path is not None else closure
        known = parameter_info(CLOSURES[name]) if name in CLOSURES else {}
        unknown = [parameter for parameter in names if known and parameter not in known]
        if unknown:
            raise ConfigError(
                f"--params: {name} has no parameter {unknown[0]!r}; use some of {', '.join(known)}"
            )
    return dict(
        case=str(case_path) if case_path else None,
        nz=nz,
        closure=closure,
        steps_per_save=output_interval,
        params=names,
    )


def register(app: typer.Typer, *, friendly_errors, debug_option, console) -> None:
    """Add `profile-memory` and `check-grad` to the command-line app."""

    @app.command("profile-memory")
    @friendly_errors
    def profile_memory(
        case_path: CaseArgument = None,
        nt: Annotated[str, typer.Option("--nt", help="Trajectory lengths (time steps), comma-separated.")] = (
            "1000,4000,16000"
        ),
        schemes: Annotated[str, typer.Option(help="Checkpoint schemes of reverse mode, comma-separated.")] = (
            "recursive"
        ),
        modes: Annotated[str, typer.Option(help="forward, reverse, jacfwd, fd; comma-separated.")] = (
            "forward,reverse"
        ),
        nz: NzOption = 50,
        closure: ClosureOption = "k_epsilon",
        output_interval: Annotated[int, typer.Option(help="Steps between saved targets.")] = 10,
        params: ParamsOption = None,
        repeats: Annotated[int, typer.Option(help="Timed calls per combination (after a warm-up).")] = 3,
        compile_only: Annotated[
            bool, typer.Option("--compile-only", help="Lower and compile, no runs.")
        ] = False,
        json_path: Annotated[
            Path | None, typer.Option("--json", help="Write every measurement here.")
        ] = None,
        plot_path: Annotated[
            Path | None, typer.Option("--plot", help="Log-log plot of memory and time.")
        ] = None,
        timeout: Annotated[float, typer.Option(help="Seconds allowed per combination.")] = 600.0,
        float32: Annotated[bool, typer.Option("--float32", help="Single precision.")] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite existing --json/--plot files.")
        ] = False,
        debug: debug_option = False,
    ) -> None:
        """Measure time and memory of forward and gradient runs against trajectory length.

        Each combination (mode, checkpoint scheme, length) runs in a fresh process; see
        calib/profile.py for what is measured. The loss is a twin experiment (calib/gradcheck.py)."""
        from calib.common.vocabulary import CHECKPOINT_SCHEMES
        from calib.perf import memory as profiling
        from calib.perf.gradcheck import GRADIENT_MODES

        lengths = _split(nt, "--nt", convert=int)
        chosen = dict(
            schemes=_split(schemes, "--schemes", CHECKPOINT_SCHEMES),
            modes=_split(modes, "--modes", GRADIENT_MODES),
        )
        options = _problem_options(case_path, nz, closure, output_interval, params)
        _check_lengths(lengths, output_interval if case_path is None else None)
        _check_outputs(force, json_path, plot_path)
        _enable_float64(not float32)
        specs = profiling.plan_measurements(lengths, **chosen, **options, repeats=repeats)
        with console.status("") as status:

            def progress(index, spec):
                status.update(f"[{index + 1}/{len(specs)}] {spec.mode} {spec.scheme} nt={spec.n_steps:,}")

            rows = profiling.profile(
                specs, compile_only=compile_only, timeout_s=timeout, float32=float32, progress=progress
            )
        _stdout().print(results_table(rows))
        if json_path:
            write_json(rows, json_path)
        if plot_path:
            plot(rows, plot_path)

    @app.command("check-grad")
    @friendly_errors
    def check_grad(
        case_path: CaseArgument = None,
        nt: Annotated[
            int | None, typer.Option("--nt", help="Time steps (default: the case's duration).")
        ] = None,
        nz: NzOption = 50,
        closure: ClosureOption = "k_epsilon",
        params: ParamsOption = None,
        checkpoint: Annotated[str, typer.Option(help="Checkpoint scheme of reverse mode.")] = "recursive",
        rtol: Annotated[
            float, typer.Option(help="Largest relative difference of jacfwd from reverse.")
        ] = 1e-8,
        fd_rtol: Annotated[
            float, typer.Option(help="Largest relative difference of FD from reverse.")
        ] = 1e-3,
        debug: debug_option = False,
    ) -> None:
        """Compare reverse-mode, forward-mode and finite-difference gradients per parameter.

        The loss is a twin experiment (calib/gradcheck.py); exit code 1 if the relative
        differences exceed --rtol (forward mode) or --fd-rtol (central differences)."""
        _enable_float64(True)
        from calib.common.errors import ConfigError
        from calib.common.vocabulary import CHECKPOINT_SCHEMES
        from calib.perf import gradcheck

        if checkpoint not in CHECKPOINT_SCHEMES:
            raise ConfigError(
                f"--checkpoint {checkpoint}: unknown scheme; use one of {', '.join(CHECKPOINT_SCHEMES)}"
            )
        options = _problem_options(case_path, nz, closure, 10, params)
        if case_path is None:
            problem = gradcheck.kato_phillips(nz, nt or 1440, closure=closure, names=options["params"])
        else:
            problem = gradcheck.from_case(case_path, nt, options["params"])
        with console.status(f"differentiating {problem.label} three ways"):
            results = gradcheck.compare(problem, checkpoint=checkpoint)
        table, agree = gradient_table(problem, results, rtol=rtol, fd_rtol=fd_rtol)
        _stdout().print(table)
        if not agree:
            raise typer.Exit(1)


def _check_outputs(force: bool, *paths: Path | None) -> None:
    """Before measuring: an existing output needs --force, and a figure a format matplotlib writes."""
    from calib.analysis.plotting import check_figure_path
    from calib.common.errors import CalibError

    for path in paths:
        if path is not None and path.exists() and not force:
            raise CalibError(f"{path}: exists; pass --force to overwrite it or choose another path")
    if paths[-1] is not None:
        check_figure_path(paths[-1])


def write_text_atomically(path: Path, text: str) -> None:
    """Write a text file atomically (temporary file in the same folder, then rename)."""
    import os
    import uuid

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _check_lengths(lengths: list[int], output_interval: int | None) -> None:
    from calib.common.errors import ConfigError

    for length in lengths:
        if length < 1 or (output_interval and length % output_interval):
            raise ConfigError(
                f"--nt {length}: not a positive multiple of the output interval ({output_interval} steps); "
                "choose multiples of --output-interval"
            )


def _enable_float64(enable: bool) -> None:
    import jax

    jax.config.update("jax_enable_x64", enable)


def _stdout():
    """Console on stdout, wide enough for the tables when not a terminal (pipes, files)."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)


def _number(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def results_table(rows: list[dict]):
    """Rich table: one row per measurement, time per step and the ratio to the forward run."""
    from rich.table import Table

    gpu = any(row.get("device_peak_mib") for row in rows)
    table = Table(title=rows[0].get("label", "") if rows else "", title_justify="left")
    headers = ["mode", "scheme", "steps", "lower s", "compile s", "run s", "µs/step", "× forward"]
    headers += ["XLA temp MiB", "peak RSS MiB"] + (["GPU peak MiB"] if gpu else []) + ["status"]
    for header in headers:
        table.add_column(header, justify="left" if header in ("mode", "scheme", "status") else "right")
    for row in rows:
        run_s = row.get("run_s")
        cells = [
            row["mode"],
            row["scheme"] if row["mode"] == "reverse" else "-",
            f"{row['n_steps']:,}",
            _number(row.get("lower_s")),
            _number(row.get("compile_s")),
            _number(run_s, 3),
            _number(run_s and 1e6 * run_s / row["n_steps"], 1),
            _number(row.get("time_over_forward")),
            _number(row.get("xla_temp_mib")),
            _number(row.get("rss_end_mib"), 0),
        ]
        cells += [_number(row.get("device_peak_mib"))] if gpu else []
        table.add_row(*cells, row.get("status", ""))
    return table


def write_json(rows: list[dict], path: Path) -> None:
    """Every measurement, with the fitted growth exponents, as JSON."""
    import json

    from calib.perf.memory import growth_exponents

    exponents = {
        metric: {" ".join(map(str, key)): slope for key, slope in growth_exponents(rows, metric).items()}
        for metric in ("xla_temp_mib", "run_s")
    }
    write_text_atomically(path, json.dumps(dict(measurements=rows, growth_exponents=exponents), indent=1))


def plot(rows: list[dict], path: Path) -> None:
    """XLA temporary memory and run time against trajectory length, log-log, with the fitted
    exponent of each series in the legend."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from calib.perf.memory import growth_exponents

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    panels = (("xla_temp_mib", "XLA temp memory (MiB)"), ("run_s", "run time (s)"))
    for axis, (metric, label) in zip(axes, panels, strict=True):
        exponents = growth_exponents(rows, metric)
        for key, slope in exponents.items():
            mode, scheme, nz = key
            points = sorted(
                (row["n_steps"], row[metric])
                for row in rows
                if (row["mode"], row["scheme"], row["nz"]) == key and row.get(metric)
            )
            name = f"{mode} {scheme}" if mode == "reverse" else mode
            axis.loglog(*np.transpose(points), marker="o", label=f"{name} (∝ nt^{slope:.2f})")
        axis.set(xlabel="trajectory length (time steps)", ylabel=label)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize="small")
    figure.suptitle(rows[0].get("label", "") if rows else "")
    from calib.analysis.plotting import save_figure

    save_figure(figure, path, dpi=120)  # atomically
    plt.close(figure)


def gradient_table(problem, results: dict, *, rtol: float, fd_rtol: float):
    """(rich table of the gradients and their relative differences, whether all agree)."""
    import numpy as np
    from rich.table import Table

    from calib.perf.gradcheck import relative_differences

    gradients = {mode: gradient for mode, (_, gradient) in results.items()}
    differences = relative_differences(gradients)
    limits = {"jacfwd": rtol, "fd": fd_rtol}
    loss = results["reverse"][0]
    table = Table(
        title=f"{problem.label}: loss {loss:.6e} at {problem.n_saves * problem.steps_per_save:,} steps"
    )
    for header in ["parameter", "value", *gradients, *(f"rel. diff {mode}" for mode in differences)]:
        table.add_column(header, justify="left" if header == "parameter" else "right")
    agree = True
    for index, name in enumerate(problem.names):
        cells = [name, f"{problem.point[index]:.4g}"]
        cells += [f"{gradients[mode][index]:.6e}" for mode in gradients]
        for mode, difference in differences.items():
            bad = not difference[index] <= limits.get(mode, fd_rtol)
            agree &= not bad
            cells.append(f"[red]{difference[index]:.1e}[/]" if bad else f"{difference[index]:.1e}")
        table.add_row(*cells)
    worst = {mode: float(np.max(difference)) for mode, difference in differences.items()}
    table.caption = "largest relative difference: " + ", ".join(f"{m} {w:.1e}" for m, w in worst.items())
    return table, agree
