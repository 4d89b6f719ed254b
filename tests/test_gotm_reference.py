"""calib against GOTM 6.0 under identical settings (benchmarks/gotm.md for the table).

The reference profiles (tests/data/gotm/reference.nc, extracted by `benchmarks/gotm.py
--extract` from the runs of ../shared/reference/gotm) are GOTM's T at 0, 6, 12 and 24 h;
cases/reference/*.yaml copy GOTM's grid, dt, equation of state, forcing and closure settings.

Tolerances: the two models solve the same equations with the same discretisation choices (flux
boundary conditions, Patankar splitting, energy-conserving shear production); what remains is
GOTM's float32 output (1e-6 K), its approximation of c_mu0 (3e-8 relative) and the order of
operations within a step. Measured: RMS of the T-change difference 2e-4 to 5e-4 K, identical
depths of the largest dT/dz. Required: RMS < 2e-3 K at 6, 12 and 24 h (a tenth of the T change
across one cell of the entrainment layer), the depth within one cell (0.5 m), the top-cell T
change within 2e-3 K.

KPP (CVMix in GOTM) with GOTM's options (simple shapes, quadratic interpolation of the bulk
Richardson number, enhanced diffusivity at the base, no stable limits, no Langmuir; the cases name
them): measured RMS 2e-5 to 3e-4 K, boundary-layer depth within 0.02 m of CVMix's at 6, 12 and 24 h,
parabola-refined depth of the largest dT/dz within 0.07 m. (Before calib had the quadratic
interpolation and the enhanced diffusivity: RMS up to 3.2e-3 K, boundary layer 0.1 to 0.5 m
shallower.) The face of the largest dT/dz can still differ by one face at 24 h where two faces
carry nearly the same gradient (GOTM's refined depth 29.73 and 35.21 m lie near the middle between
faces). Required for KPP: RMS < 1e-3 K, face depth within 0.5 m, refined depth within 0.15 m,
boundary layer within 0.1 m at 6, 12 and 24 h.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import xarray as xr

from conftest_paths import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import gotm as comparison  # noqa: E402

REFERENCE = ROOT / "tests" / "data" / "gotm" / "reference.nc"


@pytest.mark.parametrize(
    "run",
    [
        name
        for name in comparison.RUNS
        if (ROOT / "cases" / "reference" / f"{comparison.RUNS[name][1]}.yaml").exists()
    ],
)
def test_calib_reproduces_gotm_under_gotms_settings(run):
    reference = xr.open_dataset(REFERENCE)
    gotm_T = reference[f"T_{run}"].values
    result = comparison.compare(
        comparison.calib_profiles(comparison.RUNS[run][1]), gotm_T, reference.z.values
    )
    assert np.all(result["rms"] < (1e-3 if run.endswith("kpp") else 2e-3)), result["rms"]
    np.testing.assert_allclose(result["depth_calib"], result["depth_gotm"], atol=0.5)
    np.testing.assert_allclose(result["refined_calib"], result["refined_gotm"], atol=0.15)
    assert result["top_change_calib"] == pytest.approx(result["top_change_gotm"], abs=2e-3)


@pytest.mark.parametrize("run", ["kato_phillips_kpp", "free_convection_kpp"])
def test_kpp_boundary_layer_depth_matches_cvmix_in_gotm(run):
    import calib

    reference = xr.open_dataset(REFERENCE)
    ds = calib.run(calib.load_case(ROOT / "cases" / "reference" / f"{comparison.RUNS[run][1]}.yaml"))
    assert ds["boundary_layer_depth"].attrs["units"] == "m"
    seconds = (ds.time.values - ds.time.values[0]) / np.timedelta64(1, "s")
    index = [int(np.argmin(np.abs(seconds - h * 3600.0))) for h in comparison.HOURS]
    calib_h = ds["boundary_layer_depth"].values[index]
    gotm_h = reference[f"boundary_layer_depth_{run}"].values[1:]  # 6, 12, 24 h
    np.testing.assert_allclose(calib_h, gotm_h, atol=0.1)
