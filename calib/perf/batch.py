"""What a batch of columns costs: forward and reverse-gradient time per column-step and XLA
temporary memory, by batch size, resolution and precision (`calib profile-batch`).

The batch is the Kato–Phillips column of `calib.perf.gradcheck.kato_phillips` (50 m, u* = 0.01 m
s-1, N² = 1e-4 s-2) run with `batch` different parameter sets (a Latin hypercube of half-width
`SPREAD` around the defaults), so only the closure parameters are batched. The forward run is
`calib.core.batch.simulate_batch` (the trajectory is returned, as `calib run-batch` needs it); the
gradient is d/d(parameters of every member) of the sum over members of a twin-experiment misfit
of u, v, T accumulated save by save inside the time loop (`calib.core.integrate.scan_saves`, no
trajectory kept), through the `checkpoint` scheme. Lowering and compiling are timed apart; the
run time is the median of `repeats` calls after one warm-up; memory is XLA's temporary buffer
size from `compiled.memory_analysis()` (deterministic, independent of other processes).
"""

from __future__ import annotations

import dataclasses
import statistics
import time as clock

MiB = 2.0**20
SPREAD = 0.3  # half-width of the parameter box, unconstrained units
MODES = ("forward", "reverse")  # reverse: the reverse-mode gradient


@dataclasses.dataclass(frozen=True)
class BatchMeasurement:
    """One combination to measure (plain values only).

    Attributes:
        mode: "forward" or "reverse" (the gradient).
        batch: columns run together; nz: levels; n_steps: time steps (multiple of steps_per_save).
        float32: single precision (the model is cast; float64 otherwise).
        closure: closure name; its first two parameters vary across the batch.
        unroll: `ThomasSolver` unroll factor (None: the platform default).
        chunk: members vmapped at a time (None: the whole batch; see `calib.core.batch.simulate_batch`).
    """

    mode: str
    batch: int
    nz: int
    n_steps: int = 200
    float32: bool = False
    closure: str = "k_epsilon"
    steps_per_save: int = 10
    checkpoint: str = "nested"
    unroll: int | None = None
    repeats: int = 3
    chunk: int | None = None


def batch_inputs(spec: BatchMeasurement):
    """(model batch, batched filter, initial states, targets (u, v, T) per member) of `spec`."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from calib.core import batch, sampling
    from calib.core.params import parameter_info
    from calib.core.trainable import Trainable
    from calib.core.tridiag import ThomasSolver
    from calib.perf import gradcheck

    problem = gradcheck.kato_phillips(
        spec.nz, spec.n_steps, closure=spec.closure, steps_per_save=spec.steps_per_save
    )
    model = problem.model
    if spec.unroll is not None:
        model = dataclasses.replace(model, solver=ThomasSolver(unroll=spec.unroll))
    names = tuple(parameter_info(model.closure))[:2]
    trainable = Trainable.select(model.closure, names)
    values = sampling.sample_values(
        trainable, spec.batch, seed=0, center=trainable.values_of(model.closure), spread=SPREAD
    )
    models, batched = batch.with_parameter_sets(model, batch.unbatched(model), trainable, values)
    states = jax.tree.map(lambda x: jnp.broadcast_to(x, (spec.batch,) + x.shape), problem.initial)
    shape = (spec.batch, problem.n_saves, spec.nz)
    targets = tuple(
        jnp.broadcast_to(x, shape) for x in (jnp.zeros(spec.nz), jnp.zeros(spec.nz), problem.initial.T)
    )
    dtype = np.float32 if spec.float32 else np.float64
    return batch.cast(models, dtype), batched, batch.cast(states, dtype), batch.cast(targets, dtype)


def _functions(spec: BatchMeasurement, batched, shared):
    """(forward, gradient) functions of (varying model part, states, targets)."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from calib.core import batch
    from calib.core.integrate import scan_saves
    from calib.core.model import initial_carry

    n_saves = spec.n_steps // spec.steps_per_save

    def forward(varying, states, targets):
        models = eqx.combine(varying, shared)
        return batch.simulate_batch(
            models, states, n_saves, spec.steps_per_save, checkpoint="none", batched=batched, chunk=spec.chunk
        )

    def member_loss(varying, state, target):
        model = eqx.combine(varying, shared)

        def record(carry, observed):
            fields = (carry.state.u, carry.state.v, carry.state.T)
            return sum(jnp.sum((x - y) ** 2) for x, y in zip(fields, observed, strict=True))

        carry = initial_carry(model, state)
        _, misfits = scan_saves(
            model, carry, n_saves, spec.steps_per_save, record, target, checkpoint=spec.checkpoint
        )
        return jnp.sum(misfits)

    def total_loss(varying, states, targets):
        if spec.chunk is None or spec.chunk >= spec.batch:
            return jnp.sum(jax.vmap(member_loss)(varying, states, targets))
        losses = jax.lax.map(lambda xs: member_loss(*xs), (varying, states, targets), batch_size=spec.chunk)
        return jnp.sum(losses)

    return forward, jax.value_and_grad(total_loss)


def _memory(compiled) -> dict:
    try:
        analysis = compiled.memory_analysis()
        return dict(
            xla_temp_mib=analysis.temp_size_in_bytes / MiB, xla_output_mib=analysis.output_size_in_bytes / MiB
        )
    except Exception as error:  # noqa: BLE001 - backend dependent; report instead of failing
        return dict(xla_temp_mib=None, memory_error=repr(error))


def measure(spec: BatchMeasurement) -> dict:
    """Compile and time one combination in this process; a JSON-ready dict (module docstring)."""
    import equinox as eqx
    import jax

    models, batched, states, targets = batch_inputs(spec)
    varying, shared = eqx.partition(models, batched)
    forward, gradient = _functions(spec, batched, shared)
    function = jax.jit(forward if spec.mode == "forward" else gradient)
    started = clock.perf_counter()
    lowered = function.lower(varying, states, targets)
    lowered_at = clock.perf_counter()
    compiled = lowered.compile()
    row = dataclasses.asdict(spec) | dict(
        device=str(jax.devices()[0]), platform=jax.default_backend(), jax=jax.__version__,
        lower_s=lowered_at - started, compile_s=clock.perf_counter() - lowered_at,
    )  # fmt: skip
    row |= _memory(compiled)
    output = jax.block_until_ready(compiled(varying, states, targets))  # warm-up
    times = []
    for _ in range(max(spec.repeats, 1)):
        started = clock.perf_counter()
        output = jax.block_until_ready(compiled(varying, states, targets))
        times.append(clock.perf_counter() - started)
    run_s = statistics.median(times)
    finite = all(bool(jax.numpy.isfinite(x).all()) for x in jax.tree.leaves(output))
    dtypes = sorted({str(x.dtype) for x in jax.tree.leaves(output) if x.dtype.kind == "f"})
    return row | dict(
        run_s=run_s, run_times_s=times, finite=finite, output_dtypes=dtypes,
        us_per_step=1e6 * run_s / spec.n_steps,
        us_per_column_step=1e6 * run_s / (spec.n_steps * spec.batch),
    )  # fmt: skip


def table(rows: list[dict]) -> str:
    """Markdown table of measurements, with gradient / forward ratios where both were run."""
    key = lambda r: (r["batch"], r["nz"], r["float32"], r.get("chunk"))  # noqa: E731
    forward = {key(r): r["us_per_column_step"] for r in rows if r["mode"] == "forward"}
    header = ("precision", "nz", "batch", "chunk", "mode", "µs per column-step", "µs per step",
              "gradient / forward", "XLA temp (MiB)", "compile (s)")  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        base = forward.get(key(r))
        ratio = f"{r['us_per_column_step'] / base:.1f}" if r["mode"] == "reverse" and base else ""
        temp = "" if r.get("xla_temp_mib") is None else f"{r['xla_temp_mib']:.1f}"
        precision = "float32" if r["float32"] else "float64"
        chunk = r["chunk"] if r.get("chunk") and r["chunk"] < r["batch"] else "all"
        cells = (precision, r["nz"], r["batch"], chunk, r["mode"], f"{r['us_per_column_step']:.3g}",
                 f"{r['us_per_step']:.4g}", ratio, temp, f"{r['compile_s']:.1f}")  # fmt: skip
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


__all__ = ["MODES", "BatchMeasurement", "batch_inputs", "measure", "table"]
