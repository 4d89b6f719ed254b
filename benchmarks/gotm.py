#!/usr/bin/env python
"""calib against GOTM under identical settings: Kato–Phillips and free convection.

The GOTM runs are those of ../shared/reference/gotm (their README: GOTM 6.0 built from source,
the exact gotm.yaml of each run). calib runs the cases of cases/reference/, which copy GOTM's
grid, time step, equation of state, forcing and closure settings; the comparison also runs
calib's own defaults on the same physical case. Per run and time (6, 12, 24 h):

  * depth of the largest dT/dz (m; GOTM's cell faces, 0.5 m);
  * RMS over the column of the difference between calib's and GOTM's T change since t = 0 (K);
  * top-cell T (degC) at 24 h.

    python benchmarks/gotm.py                       # writes benchmarks/gotm.md
    python benchmarks/gotm.py --extract             # also refreshes tests/data/gotm/reference.nc

`--extract` needs ../shared/reference/gotm; the table and the test need only the extract.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "gotm"
EXTRACT = ROOT / "tests" / "data" / "gotm" / "reference.nc"
HOURS = (6, 12, 24)
RUNS = {  # reference name -> (GOTM folder/file, calib case with GOTM's settings, calib closure whose defaults also run)
    "kato_phillips_keps": ("a_kato_phillips_keps/kato_phillips_keps.nc", "gotm_kato_phillips_keps", "k_epsilon"),
    "free_convection_keps": ("b_free_convection_keps/free_convection_keps.nc", "gotm_free_convection_keps",
                             "k_epsilon"),
    "kato_phillips_kpp": ("a_kato_phillips_kpp/kato_phillips_kpp.nc", "gotm_kato_phillips_kpp", "kpp"),
    "free_convection_kpp": ("b_free_convection_kpp/free_convection_kpp.nc", "gotm_free_convection_kpp", "kpp"),
}  # fmt: skip


def extract(out: Path = EXTRACT) -> None:
    """T at 0, 6, 12, 24 h (and KPP's boundary-layer depth) of every GOTM run, one small file."""
    variables = {}
    for name, (path, _, _) in RUNS.items():
        ds = xr.open_dataset(SHARED / path, decode_times=False)
        index = [int(np.argmin(np.abs(ds.time.values - h * 3600.0))) for h in (0, *HOURS)]
        variables[f"T_{name}"] = (
            ("hour", "z"),
            ds.temp.values[index, :, 0, 0].astype("f8"),
            {"units": "degree_Celsius", "long_name": f"GOTM temperature, {name}"},
        )
        if "cvmix_zsbl" in ds and name.endswith("kpp"):
            variables[f"boundary_layer_depth_{name}"] = (
                ("hour",), -ds.cvmix_zsbl.values[index, 0, 0].astype("f8"),
                {"units": "m", "long_name": f"GOTM/CVMix boundary-layer depth, {name}"},
            )  # fmt: skip
        z = ds.z.values[0, :, 0, 0].astype("f8")
    reference = xr.Dataset(variables, coords={"hour": ("hour", [0, *HOURS]), "z": ("z", z, {"units": "m"})})
    reference.attrs = {
        "title": "GOTM reference profiles for calib's comparison tests",
        "source": "GOTM 6.0 (commit 84f8d8e9) output, ../shared/reference/gotm (see its README); output only",
        "history": "python benchmarks/gotm.py --extract",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    reference.to_netcdf(out)


def depth_of_largest_gradient(T: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Depth (m, positive) of the face between the two cells with the largest dT/dz."""
    faces = 0.5 * (z[1:] + z[:-1])
    return -faces[np.argmax(np.diff(T, axis=-1), axis=-1)]


def refined_depth_of_largest_gradient(T: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Depth (m) of the largest dT/dz refined by the parabola through the face of the largest
    gradient and its two neighbours (uniform grid), as the GOTM README quotes it."""
    faces = 0.5 * (z[1:] + z[:-1])
    gradient = np.diff(T, axis=-1)
    i = np.clip(np.argmax(gradient, axis=-1), 1, gradient.shape[-1] - 2)
    take = lambda k: np.take_along_axis(gradient, np.asarray(k)[..., None], axis=-1)[..., 0]  # noqa: E731
    below, centre, above = take(i - 1), take(i), take(i + 1)
    curvature = below - 2.0 * centre + above
    offset = np.where(curvature < 0.0, 0.5 * (below - above) / np.where(curvature < 0.0, curvature, 1.0), 0.0)
    return -(faces[i] + offset * (z[1] - z[0]))


def calib_profiles(case_name: str, closure: str | None = None, *, boundary_layer: bool = False):
    """calib's T at 0, 6, 12, 24 h for a case of cases/reference/, or for the same case with
    `closure` at its defaults; with `boundary_layer`, also KPP's boundary-layer depth (m) at those
    times (None for closures without one)."""
    import calib
    from calib.config.load import case_mapping, dump_yaml

    case = calib.load_case(ROOT / "cases" / "reference" / f"{case_name}.yaml")
    if closure is not None:
        data = case_mapping(case)
        data["closure"] = closure
        case = calib.parse_case(dump_yaml(data), source=case.source)
    ds = calib.run(case)
    seconds = (ds.time.values - ds.time.values[0]) / np.timedelta64(1, "s")
    index = [int(np.argmin(np.abs(seconds - h * 3600.0))) for h in (0, *HOURS)]
    if not boundary_layer:
        return ds["T"].values[index]
    h = ds["boundary_layer_depth"].values[index] if "boundary_layer_depth" in ds else None
    return ds["T"].values[index], h


def compare(calib_T: np.ndarray, gotm_T: np.ndarray, z: np.ndarray, calib_h=None, gotm_h=None) -> dict:
    """Depths, RMS of the T-change difference per hour, top-cell T at 24 h; boundary-layer depths
    at 6, 12, 24 h where both are given."""
    change = (calib_T[1:] - calib_T[0]) - (gotm_T[1:] - gotm_T[0])
    boundary = {}
    if calib_h is not None and gotm_h is not None:
        boundary = dict(h_calib=np.asarray(calib_h)[1:], h_gotm=np.asarray(gotm_h)[1:])
    return boundary | dict(
        depth_calib=depth_of_largest_gradient(calib_T[1:], z),
        depth_gotm=depth_of_largest_gradient(gotm_T[1:], z),
        refined_calib=refined_depth_of_largest_gradient(calib_T[1:], z),
        refined_gotm=refined_depth_of_largest_gradient(gotm_T[1:], z),
        rms=np.sqrt(np.mean(change**2, axis=-1)),
        top_change_calib=float(calib_T[-1, -1] - calib_T[0, -1]),
        top_change_gotm=float(gotm_T[-1, -1] - gotm_T[0, -1]),
    )


def table(rows: list[tuple[str, str, dict]]) -> str:
    lines = [
        "| run | calib | depth of max dT/dz 6 / 12 / 24 h: calib (GOTM) | parabola-refined, 24 h | RMS of the T-change difference 6 / 12 / 24 h | top-cell T change at 24 h: calib (GOTM) | KPP boundary-layer depth 6 / 12 / 24 h: calib (CVMix in GOTM) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run, label, r in rows:
        depths = " / ".join(
            f"{c:.1f} ({g:.1f})" for c, g in zip(r["depth_calib"], r["depth_gotm"], strict=True)
        )
        rms = " / ".join(f"{value:.4f}" for value in r["rms"])
        h = (
            " / ".join(f"{c:.2f} ({g:.2f})" for c, g in zip(r["h_calib"], r["h_gotm"], strict=True)) + " m"
            if "h_calib" in r
            else ""
        )
        refined = f"{r['refined_calib'][-1]:.2f} ({r['refined_gotm'][-1]:.2f}) m"
        lines.append(
            f"| {run} | {label} | {depths} m | {refined} | {rms} K | "
            f"{r['top_change_calib']:+.3f} ({r['top_change_gotm']:+.3f}) K | {h} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", action="store_true", help="refresh tests/data/gotm/reference.nc first")
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "gotm.md")
    args = parser.parse_args()
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    if args.extract:
        extract()
    reference = xr.open_dataset(EXTRACT)
    z = reference.z.values
    rows = []
    for run in args.runs.split(","):
        _, gotm_case, closure = RUNS[run]
        gotm_T = reference[f"T_{run}"].values
        if not (ROOT / "cases" / "reference" / f"{gotm_case}.yaml").exists():
            continue
        gotm_h = (
            reference[f"boundary_layer_depth_{run}"].values
            if f"boundary_layer_depth_{run}" in reference
            else None
        )
        for label, which in (("GOTM's settings", None), (f"{closure} defaults", closure)):
            calib_T, calib_h = calib_profiles(gotm_case, which, boundary_layer=True)
            rows.append((run, label, compare(calib_T, gotm_T, z, calib_h, gotm_h)))
        print(table(rows[-2:]), flush=True)
    text = [
        "# calib against GOTM (`benchmarks/gotm.py`)",
        "",
        "GOTM 6.0 reference runs of ../shared/reference/gotm (extract: tests/data/gotm/reference.nc); calib",
        "runs cases/reference/*.yaml with GOTM's grid (50 m, 100 layers), dt (60 s), linear EOS, forcing and",
        "closure settings, and the same cases with calib's default closure settings. Depths are those of the face of largest",
        "dT/dz (0.5 m cells), and at 24 h refined by a parabola through the three largest-gradient",
        "faces; the RMS is over the 100 cells of calib's minus GOTM's T change since t = 0. KPP rows",
        "also give the boundary-layer depth against CVMix's (GOTM's `cvmix_zsbl`).",
        "",
        table(rows),
        "",
    ]
    args.out.write_text("\n".join(text))


if __name__ == "__main__":
    main()
