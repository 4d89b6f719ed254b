"""Tables, JSON and figures of the measurements of `calib profile-memory` and `calib check-grad`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from calib.io.files import write_text


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
    from calib.perf.memory import growth_exponents

    exponents = {
        metric: {" ".join(map(str, key)): slope for key, slope in growth_exponents(rows, metric).items()}
        for metric in ("xla_temp_mib", "run_s")
    }
    write_text(path, json.dumps(dict(measurements=rows, growth_exponents=exponents), indent=1))


def plot(rows: list[dict], path: Path) -> None:
    """XLA temporary memory and run time against trajectory length, log-log, with the fitted
    exponent of each series in the legend."""
    from calib.analysis.plotting import new_figure, save_figure
    from calib.perf.memory import growth_exponents

    figure, axes = new_figure(1, 2, figsize=(11, 4.2))
    figure.set_layout_engine("constrained")
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
    save_figure(figure, path, dpi=120)


def gradient_table(problem, results: dict, *, rtol: float, fd_rtol: float):
    """(rich table of the gradients and their relative differences, whether all agree)."""
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
