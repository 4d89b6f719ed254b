"""`calib profile-memory` and `calib check-grad`: what gradients cost, and whether the three ways
of computing them agree (wiring only: `calib.perf.memory`, `calib.perf.gradcheck`,
`calib.perf.report`)."""

from pathlib import Path
from typing import Annotated

import typer

from calib.cli.app import (
    EXIT_CHECK_FAILED,
    Debug,
    Float32,
    Force,
    Quiet,
    Reporter,
    Verbose,
    app,
    console,
    enable_float64,
    friendly_errors,
    pick,
    stdout,
)  # fmt: skip

CaseArgument = Annotated[
    Path | None,
    typer.Argument(metavar="[CASE.yaml]", help="Case file (default: Kato-Phillips column, k-epsilon)."),
]
ClosureOption = Annotated[str, typer.Option(help="Closure of the default column (ignored with a case).")]
ParamsOption = Annotated[
    str | None, typer.Option("--params", help="Comma-separated closure parameters (default: all).")
]
Hidden = Annotated[str | None, typer.Option(hidden=True)]


def _problem_options(case_path, closure, output_interval, params) -> dict:
    from calib.common.errors import ConfigError
    from calib.common.vocabulary import check_choice
    from calib.config.reader import comma_list
    from calib.core.closures import CLOSURES

    if case_path is not None and not case_path.exists():
        raise ConfigError(f"{case_path}: no such case file; give the path of a YAML case")
    if case_path is None:
        check_choice(closure, tuple(CLOSURES), "--closure", "closure")
    if output_interval < 1:
        raise ConfigError("--output-interval must be >= 1 (time steps between saves)")
    names = tuple(comma_list(params, "--params", example="nu0,alpha")) if params else None
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
    return dict(case=str(case_path) if case_path else None, closure=closure, steps_per_save=output_interval,
                params=names)  # fmt: skip


def _check_lengths(lengths: list[int], output_interval: int | None) -> None:
    from calib.common.errors import ConfigError

    for length in lengths:
        if length < 1 or (output_interval and length % output_interval):
            raise ConfigError(
                f"--steps {length}: not a positive multiple of the output interval "
                f"({output_interval} steps); choose multiples of --output-interval"
            )


@app.command("profile-memory")
@friendly_errors
def profile_memory(
    case_path: CaseArgument = None,
    steps: Annotated[
        str | None, typer.Option("--steps", help="Trajectory lengths (time steps), comma-separated.")
    ] = None,
    checkpoint: Annotated[
        str | None, typer.Option("--checkpoint", help="Checkpoint schemes of reverse mode, comma-separated.")
    ] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="forward, reverse, jacfwd, fd; comma-separated.")
    ] = None,
    nz: Annotated[str, typer.Option("--nz", help="Levels of the default column, comma-separated.")] = "50",
    closure: ClosureOption = "k_epsilon",
    output_interval: Annotated[int, typer.Option(help="Steps between saved targets.")] = 10,
    params: ParamsOption = None,
    repeats: Annotated[int, typer.Option(min=1, help="Timed calls per combination (after a warm-up).")] = 3,
    compile_only: Annotated[bool, typer.Option("--compile-only", help="Lower and compile, no runs.")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write every measurement here.")] = None,
    plot_path: Annotated[Path | None, typer.Option("--plot", help="Log-log plot of memory and time.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per combination.")] = 600.0,
    float32: Float32 = False,
    force: Force = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
    nt: Hidden = None,
    schemes: Hidden = None,
    modes: Hidden = None,
) -> None:
    """Measure time and memory of forward and gradient runs against trajectory length.

    Each combination (mode, checkpoint scheme, length, levels) runs in a fresh process; see
    calib/perf/memory.py for what is measured. The loss is a twin experiment (calib/perf/gradcheck.py)."""
    from calib.analysis.plotting import check_figure_path
    from calib.common.vocabulary import CHECKPOINT_SCHEMES
    from calib.config.reader import comma_list
    from calib.io.files import check_outputs
    from calib.perf import memory, report
    from calib.perf.gradcheck import GRADIENT_MODES

    reporter = Reporter(quiet, verbose)
    steps = pick(steps, nt, "--steps", "--nt") or "1000,4000,16000"
    checkpoint = pick(checkpoint, schemes, "--checkpoint", "--schemes") or "recursive"
    mode = pick(mode, modes, "--mode", "--modes") or "forward,reverse"
    lengths = comma_list(steps, "--steps", convert=int, example="1000,4000")
    chosen = dict(
        schemes=comma_list(checkpoint, "--checkpoint", allowed=CHECKPOINT_SCHEMES, example="recursive,step"),
        modes=comma_list(mode, "--mode", allowed=GRADIENT_MODES, example="forward,reverse"),
    )
    levels = comma_list(nz, "--nz", convert=int, minimum=2, example="50,200")
    options = _problem_options(case_path, closure, output_interval, params)
    _check_lengths(lengths, output_interval if case_path is None else None)
    check_outputs(json_path, plot_path, force=force)
    if plot_path is not None:
        check_figure_path(plot_path)
    enable_float64(float32)
    rows = []
    for levels_of in [levels[0]] if case_path is not None else levels:  # one reference run per grid
        specs = memory.plan_measurements(lengths, **chosen, **options, nz=levels_of, repeats=repeats)
        with console.status("") as status:

            def progress(index, spec, specs=specs, status=status):
                if not quiet:
                    status.update(f"[{index + 1}/{len(specs)}] {spec.mode} {spec.scheme} nt={spec.n_steps:,}")
                reporter.detail(f"measuring {spec}")

            rows += memory.profile(specs, compile_only=compile_only, timeout_s=timeout, float32=float32,
                                   progress=progress)  # fmt: skip
    stdout().print(report.results_table(rows))
    if json_path:
        report.write_json(rows, json_path)
    if plot_path:
        report.plot(rows, plot_path)


@app.command("check-grad")
@friendly_errors
def check_grad(
    case_path: CaseArgument = None,
    steps: Annotated[
        int | None, typer.Option("--steps", min=1, help="Time steps (default: the case's duration).")
    ] = None,
    nz: Annotated[
        int, typer.Option("--nz", min=2, help="Levels of the default column (ignored with a case).")
    ] = 50,
    closure: ClosureOption = "k_epsilon",
    params: ParamsOption = None,
    checkpoint: Annotated[str, typer.Option(help="Checkpoint scheme of reverse mode.")] = "recursive",
    rtol: Annotated[float, typer.Option(help="Largest relative difference of jacfwd from reverse.")] = 1e-8,
    fd_rtol: Annotated[float, typer.Option(help="Largest relative difference of FD from reverse.")] = 1e-3,
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
    nt: Annotated[int | None, typer.Option("--nt", hidden=True)] = None,
) -> None:
    """Compare reverse-mode, forward-mode and finite-difference gradients per parameter.

    The loss is a twin experiment (calib/perf/gradcheck.py); exit code 1 if the relative
    differences exceed --rtol (forward mode) or --fd-rtol (central differences)."""
    enable_float64()
    from calib.common.vocabulary import check_scheme
    from calib.perf import gradcheck, report

    reporter = Reporter(quiet, verbose)
    steps = pick(steps, nt, "--steps", "--nt")
    check_scheme(checkpoint)
    options = _problem_options(case_path, closure, 10, params)
    if case_path is None:
        problem = gradcheck.kato_phillips(nz, steps or 1440, closure=closure, names=options["params"])
    else:
        problem = gradcheck.from_case(case_path, steps, options["params"])
    reporter.detail(f"{problem.label}: {len(problem.names)} parameters, {problem.n_saves} saves")
    with console.status(f"differentiating {problem.label} three ways"):
        results = gradcheck.compare(problem, checkpoint=checkpoint)
    table, agree = report.gradient_table(problem, results, rtol=rtol, fd_rtol=fd_rtol)
    stdout().print(table)
    if not agree:
        raise typer.Exit(EXIT_CHECK_FAILED)
