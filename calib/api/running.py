"""What the command-line commands do, beyond parsing options (kept apart from cli.py so the
CLI module stays free of JAX imports and `calib --help` is instant)."""

from __future__ import annotations

import time as clock
from pathlib import Path

import jax
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from calib.analysis.diagnostics import depth_of_maximum_stratification, mixed_layer_depth
from calib.config import build as builder
from calib.config.schema import Case
from calib.core.eos import buoyancy_frequency_squared
from calib.core.integrate import CHECKPOINT_SCHEMES
from calib.core.runner import chunk_sizes, run
from calib.io.netcdf import trajectory_to_dataset, write_dataset


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def run_case(
    case: Case, case_path: Path, out_path: Path, *, checkpoint: str | None, show: bool, console: Console
) -> None:
    """Build, run (with a progress bar when the run is chunked) and write one case."""
    from calib.common.errors import ConfigError

    if checkpoint is not None and checkpoint not in CHECKPOINT_SCHEMES:
        raise ConfigError(
            f"--checkpoint {checkpoint}: unknown scheme; choose one of {', '.join(CHECKPOINT_SCHEMES)}"
        )
    started = clock.perf_counter()
    built = builder.build(case)
    chunked = len(chunk_sizes(built.n_saves, built.steps_per_save)) > 1
    if show and chunked:
        with _progress_bar(console) as bar:
            task = bar.add_task("run", total=built.n_saves * built.steps_per_save)
            trajectory, timings = run(
                built, checkpoint=checkpoint, progress=lambda done, total: bar.update(task, completed=done)
            )
    else:
        trajectory, timings = run(built, checkpoint=checkpoint)
    dataset = trajectory_to_dataset(
        trajectory,
        built.model,
        start=case.time.start and np.datetime64(case.time.start, "s"),
        case_text=Path(case_path).read_text(),
        case_name=case.name,
        case_path=str(Path(case_path).resolve()),
    )
    if case.output.variables:
        keep = [name for name in dataset.data_vars if name in case.output.variables]
        dataset = dataset[keep]
    write_dataset(dataset, out_path)
    if show:
        console.print(summary(case, built, trajectory, timings, out_path, clock.perf_counter() - started))


def summary(case, built, trajectory, timings, out_path, wall_s: float) -> str:
    """One paragraph: what ran, the final surface state and mixed layer, and what it cost."""
    grid = built.model.grid
    T = np.asarray(trajectory.state.T)
    u, v = np.asarray(trajectory.state.u), np.asarray(trajectory.state.v)
    hours = float(trajectory.time[-1]) / 3600.0
    mld = mixed_layer_depth(T[-1], np.asarray(grid.z_centers))
    final = jax.tree.map(lambda x: x[-1], trajectory.state)
    N2 = buoyancy_frequency_squared(built.model.eos, final.T, final.S, grid)
    entrainment = depth_of_maximum_stratification(np.asarray(N2), np.asarray(grid.z_faces))
    surface_speed = float(np.hypot(u[-1, -1], v[-1, -1]))
    return (
        f"[bold]{case.name}[/]: {hours:g} h with the {built.model.closure.name} closure, "
        f"{grid.nz} levels over {grid.depth:g} m, dt = {built.model.dt:g} s "
        f"({timings.n_steps:,} steps). Final SST {T[-1, -1]:.3f} °C (initial {T[0, -1]:.3f} °C), "
        f"mixed-layer depth {mld:.1f} m (0.2 °C criterion; maximum N² at {entrainment:.1f} m), "
        f"surface current {surface_speed:.3f} m/s. "
        f"Wall time {wall_s:.1f} s: compile {timings.compile_s:.1f} s, run {timings.run_s:.2f} s "
        f"({timings.microseconds_per_step:.1f} µs/step). Wrote {out_path}."
    )
