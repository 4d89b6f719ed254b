"""Forward runs as the command line does them: compiled once, run in chunks, checked for health.

`run` splits a long run into chunks of saves so a progress bar can advance, compiles the chunk
function once (lowering and compile timed apart from running), and checks every chunk for
non-finite values so a diverging run stops with the first bad time and variable.
"""

from __future__ import annotations

import dataclasses
import math
import time as clock
from collections.abc import Callable

import equinox as eqx
import jax
import numpy as np

from calib.common.errors import ModelDiverged
from calib.core.integrate import Trajectory, assemble, run_saves
from calib.core.model import initial_carry

MIN_STEPS_PER_CHUNK = 20_000  # runs shorter than this go in one call (no progress bar needed)
MAX_CHUNKS = 50


@dataclasses.dataclass(frozen=True)
class RunTimings:
    """Wall-clock seconds of a run: compile (lowering + XLA) and execution, and the step count."""

    compile_s: float
    run_s: float
    n_steps: int

    @property
    def microseconds_per_step(self) -> float:
        """Execution time per model step (µs), compile excluded."""
        return 1e6 * self.run_s / max(self.n_steps, 1)


def chunk_sizes(n_saves: int, steps_per_save: int) -> list[int]:
    """Saves per chunk: one chunk for short runs, else up to MAX_CHUNKS equal chunks (+ rest)."""
    total = n_saves * steps_per_save
    if total <= MIN_STEPS_PER_CHUNK:
        return [n_saves]
    per_chunk = max(1, math.ceil(n_saves / MAX_CHUNKS), math.ceil(MIN_STEPS_PER_CHUNK / 10 / steps_per_save))
    sizes = [per_chunk] * (n_saves // per_chunk)
    if n_saves % per_chunk:
        sizes.append(n_saves % per_chunk)
    return sizes


def run(
    built,
    *,
    checkpoint: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Trajectory, RunTimings]:
    """Run a built case forward and return its trajectory and timings.

    Args:
        built: `calib.config.build.Built` (model, initial state, run plan).
        checkpoint: override of the case's checkpoint scheme.
        progress: called as progress(steps_done, steps_total) after each chunk.

    Raises:
        ModelDiverged: naming the first saved time and variable that is not finite.
    """
    model, plan_checkpoint = built.model, checkpoint or built.checkpoint
    steps_per_save = built.steps_per_save
    sizes = chunk_sizes(built.n_saves, steps_per_save)
    start = clock.perf_counter()
    carry0 = eqx.filter_jit(initial_carry)(model, built.initial)  # one compile, not op-by-op
    carry = carry0
    compiled, compile_s = {}, clock.perf_counter() - start
    chunks, run_s, done = [], 0.0, 0
    for size in sizes:
        if size not in compiled:
            start = clock.perf_counter()
            function = eqx.filter_jit(
                lambda m, c, n=size: run_saves(m, c, n, steps_per_save, checkpoint=plan_checkpoint)
            )
            compiled[size] = function.lower(model, carry).compile()
            compile_s += clock.perf_counter() - start
        start = clock.perf_counter()
        carry, saved = jax.block_until_ready(compiled[size](model, carry))
        run_s += clock.perf_counter() - start
        check_finite(saved[0], time0=done * model.dt, save_interval=steps_per_save * model.dt)
        chunks.append(saved)
        done += size * steps_per_save
        if progress is not None:
            progress(done, built.n_saves * steps_per_save)
    trajectory = assemble(model, carry0, chunks, steps_per_save)
    return trajectory, RunTimings(compile_s=compile_s, run_s=run_s, n_steps=done)


def check_finite(states, *, time0: float, save_interval: float) -> None:
    """Raise ModelDiverged naming the first save (time, variable) holding NaN or inf."""
    first_bad = None
    for name in ("u", "v", "T", "S"):
        values = np.asarray(getattr(states, name))
        bad_rows = np.flatnonzero(~np.isfinite(values).all(axis=-1))
        if bad_rows.size and (first_bad is None or bad_rows[0] < first_bad[0]):
            first_bad = (int(bad_rows[0]), name)
    if first_bad is not None:
        index, name = first_bad
        hours = (time0 + (index + 1) * save_interval) / 3600.0
        raise ModelDiverged(
            f"the run diverged: {name} is not finite at t = {hours:.2f} h (save {index + 1} of this chunk); "
            "shorten time.dt or bring the closure parameters back toward their defaults"
        )
