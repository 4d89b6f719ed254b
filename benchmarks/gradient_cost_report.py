"""Markdown report of benchmarks/gradient_cost.py: the issue-7 target table, then every row."""

from __future__ import annotations

import statistics


def normalise(row: dict) -> dict | None:
    """calib and Tunax rows in one shape; None for reference runs and failures without data."""
    if row["code"] == "tunax":
        if row.get("mode") in (None, "ref"):
            return None
        kind = "forward" if row["mode"] == "fwd" else "reverse"
        variant = "-" if kind == "forward" else ("remat" if row.get("checkpoint") else "none")
        run, temp, rss, nt = (
            row.get("run_med_s"),
            row.get("xla_temp_MiB"),
            row.get("maxrss_end_MiB"),
            row.get("nt"),
        )
    else:
        kind = row.get("mode")
        variant = row.get("scheme") if kind == "reverse" else "-"
        run, temp, rss, nt = (
            row.get("run_s"),
            row.get("xla_temp_mib"),
            row.get("rss_end_mib"),
            row.get("n_steps"),
        )
    return dict(
        code=row["code"], kind=kind, variant=variant, nz=row.get("nz"), nt=nt, run_s=run, temp_mib=temp,
        rss_mib=rss, lower_s=row.get("lower_s"), compile_s=row.get("compile_s"), load=row.get("load_before"),
        status=row.get("status"), jax=row.get("jax"), python=row.get("python"), n_params=row.get("n_params"),
    )  # fmt: skip


def _find(rows, **match) -> dict | None:
    found = [row for row in rows if all(row.get(key) == value for key, value in match.items())]
    return found[-1] if found else None


def _per_step(row) -> float | None:
    return 1e6 * row["run_s"] / row["nt"] if row and row.get("run_s") else None


def _fmt(value, digits=2, unit="") -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def _ratio(rows, code, variant, nz, nt) -> float | None:
    forward = _per_step(_find(rows, code=code, kind="forward", nz=nz, nt=nt))
    reverse = _per_step(_find(rows, code=code, kind="reverse", variant=variant, nz=nz, nt=nt))
    return reverse / forward if forward and reverse else None


def _get(row: dict | None, key: str):
    return (row or {}).get(key)


def _forward_line(rows, nz: int, nts: list[int]) -> str:
    ours = [_per_step(_find(rows, code="calib", kind="forward", nz=nz, nt=nt)) for nt in nts]
    theirs = [_per_step(_find(rows, code="tunax", kind="forward", nz=nz, nt=nt)) for nt in nts]
    pairs = [(a, b) for a, b in zip(ours, theirs, strict=True) if a and b]
    ratio = statistics.median(a / b for a, b in pairs) if pairs else None
    return (
        f"| forward µs/step, nz = {nz} (nt = {', '.join(map(str, nts))}) | "
        f"{' / '.join(_fmt(t, 1) for t in theirs)} | {' / '.join(_fmt(o, 1) for o in ours)} | "
        f"{_fmt(ratio)} (median) | ≤ 0.33 |"
    )


def _reverse_line(rows, nz: int, nts: list[int]) -> str:
    big = max(nts)
    remat = _per_step(_find(rows, code="tunax", kind="reverse", variant="remat", nz=nz, nt=big))
    ours = {
        s: _per_step(_find(rows, code="calib", kind="reverse", variant=s, nz=nz, nt=big))
        for s in ("recursive", "nested", "step")
    }
    calib = ", ".join(f"{_fmt(value, 1)} ({s})" for s, value in ours.items())
    return (
        f"| reverse µs/step, nz = {nz}, nt = {big} | {_fmt(remat, 1)} (remat) | {calib} | "
        f"{_fmt(_div(ours['recursive'], remat))} (recursive / remat) | |"
    )


def _ratio_line(rows, nz: int, nts: list[int]) -> str:
    big, small = max(nts), min(nts)
    tunax = (
        f"{_fmt(_ratio(rows, 'tunax', 'remat', nz, big), 1)} (remat), "
        f"{_fmt(_ratio(rows, 'tunax', 'none', nz, small), 1)} (none, nt = {small})"
    )
    schemes = ("recursive", "nested", "step")
    calib = ", ".join(f"{_fmt(_ratio(rows, 'calib', s, nz, big), 1)} ({s})" for s in schemes)
    return f"| reverse / forward time, nz = {nz}, nt = {big} | {tunax} | {calib} | | ≤ 4 |"


def _memory_line(rows, nts: list[int]) -> str:
    big = max(nts)
    ours = {
        v: _find(rows, code="calib", kind="reverse", variant=v, nz=200, nt=big)
        for v in ("recursive", "nested", "step")
    }
    remat = _find(rows, code="tunax", kind="reverse", variant="remat", nz=200, nt=big)
    calib = ", ".join(f"{_fmt(_get(row, 'temp_mib'))} MiB ({v})" for v, row in ours.items())
    ratio = _div(_get(ours["recursive"], "temp_mib"), _get(remat, "temp_mib"))
    return (
        f"| gradient XLA temp, nz = 200, {big} steps | {_fmt(_get(remat, 'temp_mib'), 1)} MiB (remat) | "
        f"{calib} | {_fmt(ratio, 3)} (recursive / remat) | ≤ 8 MiB |"
    )


def _compile_line(rows, nz: int, nts: list[int]) -> str:
    ours = _find(rows, code="calib", kind="reverse", variant="recursive", nz=nz, nt=max(nts))
    remat = _find(rows, code="tunax", kind="reverse", variant="remat", nz=nz, nt=max(nts))
    none = _find(rows, code="tunax", kind="reverse", variant="none", nz=nz, nt=min(nts))
    tunax = f"{_fmt(_get(remat, 'compile_s'), 1)} (remat), {_fmt(_get(none, 'compile_s'), 1)} (none)"
    calib = f"{_fmt(_get(ours, 'compile_s'), 1)} (recursive; + {_fmt(_get(ours, 'lower_s'), 1)} lowering)"
    ratio = _div(_get(ours, "compile_s"), _get(remat, "compile_s"))
    return f"| gradient compile s, nz = {nz} | {tunax} | {calib} | {_fmt(ratio)} | ≤ 5 s |"


def targets(rows: list[dict], nts: list[int]) -> list[str]:
    """The issue's target table with this sitting's numbers."""
    lines = [
        "| figure | Tunax 0.2.12, this sitting | calib, this sitting | calib / Tunax | target |",
        "|---|---|---|---|---|",
    ]
    lines += [_forward_line(rows, nz, nts) for nz in (50, 200)]
    lines += [_reverse_line(rows, nz, nts) for nz in (50, 200)]
    lines += [_ratio_line(rows, nz, nts) for nz in (50, 200)]
    lines.append(_memory_line(rows, nts))
    for row in (r for r in rows if r["code"] == "calib" and r["nt"] and r["nt"] >= 10**6):
        lines.append(
            f"| gradient XLA temp, nz = {row['nz']}, {row['nt']:,} steps (compile only) | not run "
            f"(out of memory) | {_fmt(row['temp_mib'])} MiB ({row['variant']}) | | ≤ 64 MiB |"
        )
    lines += [_compile_line(rows, nz, nts) for nz in (50, 200)]
    return lines


def _div(a, b):
    return a / b if a and b else None


def all_rows(rows: list[dict]) -> list[str]:
    lines = [
        "| code | kind | scheme | nz | steps | lower s | compile s | run s | µs/step | XLA temp MiB "
        "| peak RSS MiB | load | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [row["code"], row["kind"], row["variant"], row["nz"], row["nt"], _fmt(row["lower_s"])]
        cells += [
            _fmt(row["compile_s"]),
            _fmt(row["run_s"], 3),
            _fmt(_per_step(row), 1),
            _fmt(row["temp_mib"]),
        ]
        cells += [_fmt(row["rss_mib"], 0), _fmt(row["load"]), row["status"]]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines


def report(raw_rows: list[dict], arguments: str) -> str:
    """The whole markdown page."""
    rows = [row for row in map(normalise, raw_rows) if row]
    nts = sorted({row["nt"] for row in rows if row["nt"] and row["nt"] < 10**6})
    versions = sorted({(row["code"], row["jax"], row["python"]) for row in rows if row.get("jax")})
    version_text = "; ".join(
        f"{code}: jax {jax}" + (f", Python {py}" if py else "") for code, jax, py in versions
    )
    return "\n".join(
        ["# Gradient cost: calib vs Tunax 0.2.12 (benchmarks/gradient_cost.py)", "",
         "Kato-Phillips k-epsilon column, dt = 30 s, output every 10 steps, float64, this 2-core CPU; "
         "every figure from one process per configuration, calib and Tunax alternating in one sitting. "
         f"Versions: {version_text}.", "", "## Targets (issue 7)", "", *targets(rows, nts), "",
         "## Every measurement", "", *all_rows(rows), "",
         f"Command: `python benchmarks/gradient_cost.py {arguments}`", ""]
    )  # fmt: skip
