"""What gradients cost: time and memory of forward, reverse, forward-mode and finite-difference
runs, one combination per fresh process (`calib profile-memory`).

Each `Measurement` runs `python -m calib.perf.memory SPEC` (SPEC as JSON) so that one combination's
compiled code, caches and memory high-water marks do not pollute the next. In the worker:
lowering and compile are timed apart (`jax.jit(f).lower(...)`, `.compile()`); the run time is
the median of `repeats` calls after one warm-up call; `memory_analysis()` gives XLA's temporary
buffer size (deterministic, the figure to compare), the arguments and the outputs; peak RSS is
`ru_maxrss` after setup, after compiling and at the end; on GPU the device's peak bytes in use.

The loss is `calib.perf.gradcheck.loss` (a twin experiment whose misfit is accumulated inside the time
loop); its targets come from one reference run for the longest trajectory, computed by the
parent and passed to the workers as an .npz file. Without targets (`compile_only`) the worker
lowers against abstract shapes and only compiles.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MiB = 2.0**20


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One combination to measure (JSON-serialisable; every field is a plain value).

    Attributes:
        mode: a `calib.perf.gradcheck.GRADIENT_MODES` entry.
        scheme: checkpoint scheme (matters for `reverse` only).
        n_steps: trajectory length in time steps.
        case: case file, or None for the default Kato-Phillips column of `nz` levels.
        targets: .npz with reference u, v, T (longest run; sliced), or None to compile only.
    """

    mode: str
    scheme: str
    n_steps: int
    case: str | None = None
    nz: int = 50
    closure: str = "k_epsilon"
    steps_per_save: int = 10
    params: tuple[str, ...] | None = None
    targets: str | None = None
    repeats: int = 3


def problem_of(spec: Measurement):
    """The `GradientProblem` a measurement refers to."""
    from calib.perf import gradcheck

    if spec.case:
        return gradcheck.from_case(Path(spec.case), spec.n_steps, spec.params)
    return gradcheck.kato_phillips(
        spec.nz, spec.n_steps, closure=spec.closure, steps_per_save=spec.steps_per_save, names=spec.params
    )


def write_targets(spec: Measurement, path: Path) -> Path:
    """Run the reference of `spec` (use the longest n_steps) and save its u, v, T to `path`."""
    from calib.perf import gradcheck

    observed = gradcheck.targets(problem_of(spec))
    np.savez(path, **{name: np.asarray(x) for name, x in zip(gradcheck.FITTED, observed, strict=True)})
    return path


def _observed(spec: Measurement, problem):
    import jax
    import jax.numpy as jnp

    from calib.perf.gradcheck import FITTED

    if spec.targets is None:
        shape = (problem.n_saves, problem.model.grid.nz)
        return tuple(jax.ShapeDtypeStruct(shape, jnp.zeros(()).dtype) for _ in FITTED)
    with np.load(spec.targets) as data:
        return tuple(jnp.asarray(data[name][: problem.n_saves]) for name in FITTED)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _memory(compiled) -> dict:
    try:
        analysis = compiled.memory_analysis()
        return dict(
            xla_temp_mib=analysis.temp_size_in_bytes / MiB,
            xla_argument_mib=analysis.argument_size_in_bytes / MiB,
            xla_output_mib=analysis.output_size_in_bytes / MiB,
        )
    except Exception as error:  # noqa: BLE001 - backend dependent; report instead of failing
        return dict(xla_temp_mib=None, memory_error=repr(error))


def _device_peak_mib() -> float | None:
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return None if peak is None else peak / MiB


def measure(spec: Measurement) -> dict:
    """Measure one combination in this process (see the module docstring); JSON-ready dict."""
    import jax
    import jax.numpy as jnp

    from calib.perf.gradcheck import gradient_function

    problem = problem_of(spec)
    observed = _observed(spec, problem)
    point = jnp.asarray(problem.point)
    function = jax.jit(gradient_function(problem, spec.mode, spec.scheme))
    result = dataclasses.asdict(spec) | dict(
        jax=jax.__version__, python=sys.version.split()[0], device=str(jax.devices()[0]),
        float64=bool(jax.config.jax_enable_x64), n_params=len(problem.names), label=problem.label,
    )  # fmt: skip
    result["rss_setup_mib"] = _peak_rss_mib()
    started = time.perf_counter()
    lowered = function.lower(point, observed)
    lowered_at = time.perf_counter()
    compiled = lowered.compile()
    result |= dict(lower_s=lowered_at - started, compile_s=time.perf_counter() - lowered_at)
    result |= _memory(compiled) | dict(rss_compiled_mib=_peak_rss_mib())
    if spec.targets is not None:
        result |= _time_runs(compiled, point, observed, spec.repeats)
    result |= dict(rss_end_mib=_peak_rss_mib(), device_peak_mib=_device_peak_mib())
    return result


def _time_runs(compiled, point, observed, repeats: int) -> dict:
    import jax

    value, gradient = jax.block_until_ready(compiled(point, observed))  # warm-up
    times = []
    for _ in range(max(repeats, 1)):
        started = time.perf_counter()
        jax.block_until_ready(compiled(point, observed))
        times.append(time.perf_counter() - started)
    gradient = None if gradient is None else np.asarray(gradient)
    return dict(
        run_s=statistics.median(times),
        run_times_s=times,
        loss=float(value),
        gradient=None if gradient is None else gradient.tolist(),
        finite=bool(np.isfinite(float(value)) and (gradient is None or np.isfinite(gradient).all())),
    )


def run_in_subprocess(spec: Measurement, *, timeout_s: float = 600.0, float32: bool = False) -> dict:
    """`measure(spec)` in a fresh Python process; on failure a dict with `status` saying why."""
    env = dict(os.environ, JAX_ENABLE_X64="0" if float32 else "1")
    command = [sys.executable, "-m", "calib.perf.memory", json.dumps(dataclasses.asdict(spec))]
    row = dataclasses.asdict(spec)
    try:
        process = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return row | dict(status=f"timed out after {timeout_s:g} s")
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        lines = process.stderr.strip().splitlines() or [""]
        errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
        tail = (errors or lines)[-1][-300:]
        killed = " (killed: out of memory?)" if process.returncode in (-9, 137) else ""
        return row | dict(status=f"failed, exit code {process.returncode}{killed}: {tail}")
    return json.loads(lines[-1]) | dict(status="ok")


def plan_measurements(
    n_steps: list[int], schemes: list[str], modes: list[str], **problem
) -> list[Measurement]:
    """The combinations to measure: `reverse` once per scheme, the other modes once per length
    (they do not checkpoint: `forward` is the reference of the ratios, `jacfwd` and `fd` carry
    no tape), each length from the shortest to the longest."""
    specs = []
    for length in sorted(n_steps):
        for mode in modes:
            for scheme in schemes if mode == "reverse" else ["none"]:
                specs.append(Measurement(mode=mode, scheme=scheme, n_steps=length, **problem))
    return specs


def profile(
    specs: list[Measurement],
    *,
    compile_only: bool = False,
    timeout_s: float = 600.0,
    float32: bool = False,
    progress=None,
) -> list[dict]:
    """Measure every spec in its own process, one at a time, and add the time ratios.

    The reference targets are computed here once, for the longest run, unless `compile_only`.
    `progress(index, spec)` is called before each measurement.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="calib-profile-") as folder:
        if not compile_only:
            longest = max(specs, key=lambda spec: spec.n_steps)
            path = write_targets(longest, Path(folder) / "targets.npz")
            specs = [dataclasses.replace(spec, targets=str(path)) for spec in specs]
        rows = []
        for index, spec in enumerate(specs):
            if progress is not None:
                progress(index, spec)
            rows.append(run_in_subprocess(spec, timeout_s=timeout_s, float32=float32))
    return add_ratios(rows)


def add_ratios(rows: list[dict]) -> list[dict]:
    """Give every row with a run time its time / the forward time of the same trajectory."""
    forward = {
        (row["n_steps"], row["case"], row["nz"]): row["run_s"]
        for row in rows
        if row["mode"] == "forward" and row.get("run_s")
    }
    for row in rows:
        base = forward.get((row["n_steps"], row["case"], row["nz"]))
        row["time_over_forward"] = row["run_s"] / base if base and row.get("run_s") else None
    return rows


def growth_exponents(rows: list[dict], metric: str) -> dict[tuple[str, str, int], float]:
    """Least-squares slope of log(metric) against log(n_steps) per (mode, scheme, nz) series."""
    series: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for row in rows:
        value = row.get(metric)
        if value and value > 0:
            series.setdefault((row["mode"], row["scheme"], row["nz"]), []).append((row["n_steps"], value))
    return {
        key: float(np.polyfit(np.log(np.array(points)[:, 0]), np.log(np.array(points)[:, 1]), 1)[0])
        for key, points in series.items()
        if len({n for n, _ in points}) >= 2
    }


def _main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    spec["params"] = tuple(spec["params"]) if spec.get("params") else None
    print(json.dumps(measure(Measurement(**spec))), flush=True)


if __name__ == "__main__":
    _main(sys.argv[1:])
