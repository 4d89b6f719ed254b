"""OWS Papa 2012-2013: prescribed fluxes against bulk air-sea formulae, and against GOTM.

Runs the year with the flux-file case (`cases/ows_papa_2012.yaml`) and with bulk formulae
from the mooring's meteorology (`cases/ows_papa_2012_bulk.yaml`, COARE 3.5 and Kondo), then
compares monthly SST and mixed-layer depth with the mooring and with GOTM's k-epsilon run on
the same forcing (`../shared/reference/gotm/c_ows_papa_keps`, where present), through the same
diagnostics (`calib.analysis.diagnostics`: SST = T at 1 m, MLD = 0.2 K below T(10 m)).
Also reports each run's mean net heat flux into the ocean, its wall time and the time per step.

    .venv/bin/python benchmarks/papa_bulk.py            # writes benchmarks/papa_bulk.md
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr

import calib
from calib.analysis.compare import monthly_comparison
from calib.analysis.diagnostics import monthly_means, surface_series

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
GOTM = REPOSITORY.parent / "shared" / "reference" / "gotm" / "c_ows_papa_keps" / "ows_papa_keps_daily.nc"

LINEAR = "equation_of_state: {type: linear, rho0: 1027.0, alpha: 1.4e-4, beta: 7.65e-4, T0: 8.0, S0: 32.6}"
TEOS10 = "equation_of_state: {type: teos10, salinity: practical}"
RUNS = {
    # label: (case file, {text: replacement} applied to the case file)
    "flux files (linear EOS)": ("cases/ows_papa_2012.yaml", {}),
    "flux files, TEOS-10, from 03-20 (GOTM's set-up)": (
        "cases/ows_papa_2012.yaml", {LINEAR: TEOS10, "start: 2012-03-21T00:00:00": "start: 2012-03-20T00:00:00"}
    ),
    "bulk COARE 3.5 (Payne albedo)": ("cases/ows_papa_2012_bulk.yaml", {}),
    "bulk Kondo (Payne albedo)": ("cases/ows_papa_2012_bulk.yaml", {"algorithm: coare35": "algorithm: kondo"}),
    "bulk COARE 3.5, TEOS-10": ("cases/ows_papa_2012_bulk.yaml", {LINEAR: TEOS10}),
}  # fmt: skip


def run_case(path: str, edits: dict[str, str]) -> tuple[xr.Dataset, float]:
    text = (REPOSITORY / path).read_text()
    for old, new in edits.items():
        if old not in text:
            raise SystemExit(f"{path}: cannot apply the edit {old!r}")
        text = text.replace(old, new)
    case = calib.parse_case(text, source=str(REPOSITORY / path), base_dir=(REPOSITORY / path).parent)
    begin = time.perf_counter()
    dataset = calib.run(case)
    return dataset, time.perf_counter() - begin


def gotm_monthly() -> dict | None:
    """Monthly SST/MLD of the GOTM k-epsilon run (daily means; record 0 is the initial state)."""
    if not GOTM.exists():
        return None
    with xr.open_dataset(GOTM, decode_times=False) as ds:
        start = np.datetime64("2012-03-20T00:00:00", "ns")
        seconds = ds["time"].values[1:]
        # record i >= 1 is the mean over the day ending at time[i]: date it at the day's middle
        times = start + ((seconds - 43200.0) * 1e9).astype("timedelta64[ns]")
        T = ds["temp"].values[1:].reshape(len(seconds), -1)
        z = ds["z"].values[1:].reshape(len(seconds), -1)[0]
    model = xr.Dataset({"T": (("time", "z"), T)}, coords={"time": times, "z": z})
    series = surface_series(model)
    return monthly_means(series["time"].values, {"sst": series["sst"].values, "mld": series["mld"].values})


def main() -> None:
    observations = calib.load_observations(REPOSITORY / "data" / "ows_papa_2012_obs.nc")
    rows, timing = {}, {}
    for label, (path, edits) in RUNS.items():
        dataset, seconds = run_case(path, edits)
        rows[label] = {str(r.month): r for r in monthly_comparison(dataset, observations)}
        steps = (dataset["time"].values[-1] - dataset["time"].values[0]) / np.timedelta64(600, "s")
        content = (dataset["T"] * dataset["dz"]).sum("z").values  # K m
        heat = 1027.0 * 3985.0 * (content[-1] - content[0]) / (steps * 600.0)  # mean net W m-2 absorbed
        timing[label] = (seconds, seconds / steps * 1e6, heat)
        print(f"{label}: {seconds:.1f} s", file=sys.stderr)
    gotm = gotm_monthly()
    months = sorted(set().union(*(r.keys() for r in rows.values())))
    first = next(iter(rows.values()))
    lines = [
        "# OWS Papa 2012-2013: flux files against bulk formulae, and against GOTM",
        "",
        f"Written by `benchmarks/papa_bulk.py` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
        f"{platform.python_version()}, calib {calib.__version__}); k-epsilon, default parameters.",
        "SST = T at 1 m and MLD = depth 0.2 K below T(10 m), monthly means over whole calendar months,",
        "model and mooring through the same functions (`calib.analysis.diagnostics`). Errors are",
        "model minus observed. GOTM: k-epsilon on the flux files, TEOS-10, albedo 0, from 2012-03-20",
        "(`../shared/reference/gotm/c_ows_papa_keps`, daily means).",
        "",
        "## Monthly SST error (K)",
        "",
        "| month | observed SST | " + " | ".join(rows) + (" | GOTM k-ε |" if gotm else ""),
        "|---|---|" + "---|" * (len(rows) + (1 if gotm else 0)),
    ]
    for month in months:
        observed = first[month].observed_sst if month in first else np.nan
        cells = [f"{rows[label][month].sst_error:+.2f}" if month in rows[label] else "" for label in rows]
        if gotm:
            key = np.datetime64(month, "M")
            cells.append(f"{gotm[key]['sst'] - observed:+.2f}" if key in gotm else "")
        lines.append(f"| {month} | {observed:.2f} | " + " | ".join(cells) + (" |" if cells else ""))
    lines += ["", "## Monthly MLD error (m)", "",
              "| month | observed MLD | " + " | ".join(rows) + (" | GOTM k-ε |" if gotm else ""),
              "|---|---|" + "---|" * (len(rows) + (1 if gotm else 0))]  # fmt: skip
    for month in months:
        observed = first[month].observed_mld if month in first else np.nan
        cells = [f"{rows[label][month].mld_error:+.1f}" if month in rows[label] else "" for label in rows]
        if gotm:
            key = np.datetime64(month, "M")
            cells.append(f"{gotm[key]['mld'] - observed:+.1f}" if key in gotm else "")
        lines.append(f"| {month} | {observed:.1f} | " + " | ".join(cells) + " |")
    lines += ["", "## Summary", "", "| run | RMS of monthly SST errors (K) | RMS of monthly MLD errors (m) | mean heat gain of the column (W m⁻²) | wall incl. compile (s) |",
              "|---|---|---|---|---|"]  # fmt: skip
    for label, by_month in rows.items():
        sst = np.sqrt(np.mean([r.sst_error**2 for r in by_month.values()]))
        mld = np.sqrt(np.nanmean([r.mld_error**2 for r in by_month.values()]))
        seconds, _, heat = timing[label]
        lines.append(f"| {label} | {sst:.2f} | {mld:.1f} | {heat:+.1f} | {seconds:.1f} |")
    if gotm:
        errors = [(gotm[np.datetime64(m, "M")]["sst"] - first[m].observed_sst,
                   gotm[np.datetime64(m, "M")]["mld"] - first[m].observed_mld)
                  for m in months if np.datetime64(m, "M") in gotm and m in first]  # fmt: skip
        sst = np.sqrt(np.mean([e[0] ** 2 for e in errors]))
        mld = np.sqrt(np.nanmean([e[1] ** 2 for e in errors]))
        lines.append(f"| GOTM k-ε (flux files, TEOS-10) | {sst:.2f} | {mld:.1f} | | |")
    lines += ["", "The heat gain is rho0 cp d(heat content)/dt over the run (rho0 1027, cp 3985)."]
    lines.append("")
    (HERE / "papa_bulk.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
