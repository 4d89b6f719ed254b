#!/usr/bin/env python
"""What a gradient costs in calib and in Tunax 0.2.12 on the same case, same sitting.

Reproduces the target table of issue 7 and writes it as markdown (gradient_cost.md) with the
raw measurements (gradient_cost.jsonl). Case: Kato-Phillips k-epsilon column of the Tunax
reference benchmark (50 m, u* = 0.01 m s-1, N² = 1e-4 s-2, dt = 30 s, output every 10 steps,
float64), nz = 50 and 200, 1000 / 4000 / 16 000 steps; loss = MSE of u, v, T against a run at
the default parameters, gradient with respect to all closure parameters (14 in calib, 19 in
Tunax). Every configuration runs in its own process, one at a time, calib and Tunax
alternating so that drift of the shared machine hits both alike; before each process the
script waits (up to --wait s) for the 1-minute load average to drop below --max-load and
records it. Memory at 10⁶ steps is from `memory_analysis()` of the compiled calib gradient
(compile only: deterministic, and no run is needed to know it).

Tunax is run from its own virtual environment (never vendored here):

    /root/.pyenv/versions/3.12.1/bin/python3.12 -m venv ~/tunax-venv
    ~/tunax-venv/bin/pip install tunax==0.2.12
    python benchmarks/gradient_cost.py --tunax-python ~/tunax-venv/bin/python \\
        --tunax-script /work/shared/benchmarks/tunax_reference.py
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JAX_ENABLE_X64", "1")

from calib.perf import memory as profile

HERE = Path(__file__).resolve().parent


def wait_for_quiet(max_load: float, wait_s: float) -> float:
    """Sleep until the 1-minute load average is below max_load (at most wait_s); return it."""
    deadline = time.monotonic() + wait_s
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(10)
    return os.getloadavg()[0]


def tunax(args, mode: str, nz: int, nt: int, checkpoint: int = 0, repeats: int = 3) -> dict:
    """One Tunax worker process (tunax_reference.py), parsed from its JSON line."""
    command = [args.tunax_python, args.tunax_script, "worker", "--mode", mode, "--nz", str(nz),
               "--nt", str(nt), "--checkpoint", str(checkpoint), "--repeats", str(repeats),
               "--cache-dir", args.cache]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        return dict(status=f"timed out after {args.timeout} s")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return dict(status=f"failed ({done.returncode}): {done.stderr.strip()[-200:]}")
    return json.loads(lines[-1]) | dict(status="ok")


def calib_row(spec: profile.Measurement, args) -> dict:
    return profile.run_in_subprocess(spec, timeout_s=args.timeout)


def record(rows: list, args, code: str, label: str, measure, *arguments) -> dict:
    """Wait for a quiet machine, run measure(*arguments), tag the row, append it to the JSON lines."""
    load = wait_for_quiet(args.max_load, args.wait)
    row = measure(*arguments) | dict(code=code, what=label, load_before=load)
    rows.append(row)
    with open(args.jsonl, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
    print(f"{code:6s} {label:28s} load {load:.2f}: {_brief(row)}", flush=True)
    return row


def _brief(row: dict) -> str:
    run = row.get("run_s", row.get("run_med_s"))
    temp = row.get("xla_temp_mib", row.get("xla_temp_MiB"))
    parts = [row.get("status", "")]
    parts += [f"run {run:.3f} s"] if run else []
    parts += [f"compile {row['compile_s']:.1f} s"] if row.get("compile_s") else []
    parts += [f"temp {temp:.2f} MiB"] if temp is not None else []
    return ", ".join(parts)


def sweep(args) -> list[dict]:
    """Every configuration, calib and Tunax alternating."""
    rows: list[dict] = []
    folder = Path(tempfile.mkdtemp(prefix="calib-gradient-cost-"))
    for nz in args.nz:
        base = profile.Measurement(
            mode="forward", scheme="none", n_steps=max(args.nt), nz=nz, repeats=args.repeats
        )
        targets = str(profile.write_targets(base, folder / f"targets_{nz}.npz"))
        for nt in args.nt:
            if args.tunax_python:
                record(rows, args, "tunax", f"ref nz={nz} nt={nt}", tunax, args, "ref", nz, nt)
            spec = dataclasses.replace(base, n_steps=nt, targets=targets)
            record(rows, args, "calib", f"forward nz={nz} nt={nt}", calib_row, spec, args)
            if args.tunax_python:
                record(rows, args, "tunax", f"forward nz={nz} nt={nt}", tunax, args, "fwd", nz, nt, 0, 5)
            for scheme in args.schemes:
                if scheme == "none" and nt > args.none_up_to:
                    continue
                reverse = dataclasses.replace(spec, mode="reverse", scheme=scheme)
                record(rows, args, "calib", f"reverse {scheme} nz={nz} nt={nt}", calib_row, reverse, args)
            for checkpoint in (1, 0) if args.tunax_python else ():
                if checkpoint == 0 and nt > args.none_up_to:
                    continue
                label = f"reverse {'remat' if checkpoint else 'none'} nz={nz} nt={nt}"
                record(rows, args, "tunax", label, tunax, args, "grad", nz, nt, checkpoint)
    for nt in args.compile_only_nt:
        spec = profile.Measurement(mode="reverse", scheme="recursive", n_steps=nt, nz=max(args.nz))
        record(rows, args, "calib", f"reverse recursive nz={spec.nz} nt={nt} compile only",
               calib_row, spec, args)  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nz", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--nt", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--schemes", nargs="+", default=["recursive", "nested", "step", "none"])
    parser.add_argument("--none-up-to", type=int, default=4000, help="longest run without checkpoints")
    parser.add_argument("--compile-only-nt", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tunax-python", default=None, help="python of a venv with tunax==0.2.12")
    parser.add_argument("--tunax-script", default="/work/shared/benchmarks/tunax_reference.py")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "tunax_bench_refs"))
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--max-load", type=float, default=1.5)
    parser.add_argument("--wait", type=float, default=300)
    parser.add_argument("--jsonl", default=str(HERE / "gradient_cost.jsonl"))
    parser.add_argument("--out", default=str(HERE / "gradient_cost.md"))
    parser.add_argument("--from-jsonl", action="store_true", help="only rewrite the table from --jsonl")
    args = parser.parse_args()
    if args.from_jsonl:
        rows = [json.loads(line) for line in Path(args.jsonl).read_text(encoding="utf-8").splitlines()]
    else:
        Path(args.jsonl).unlink(missing_ok=True)
        rows = sweep(args)
    from gradient_cost_report import report  # noqa: PLC0415  (sibling script)

    text = report(rows, " ".join(sys.argv[1:]))
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
