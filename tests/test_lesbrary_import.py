"""`calib import lesbrary` on the three LES layouts: the temperature two-day suite (JLD2), the
buoyancy-based CATKE calibration suite (LESbrary.jl JLD2: `timeseries/{b, c, u, v, e}/<iteration>`,
stretched grid, case in `parameters/`) and its NetCDF export (dims time/zr/zw, scalars grav,
fcor, ustr_sfc, b_sfc). Synthetic files are written here in each layout; the checks are the
physics of the conversion: b -> T -> b exact, fluxes with the right sign and size, f -> latitude,
the stretched levels kept, and a case that builds, runs and that `calib fit` accepts."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import h5py
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from calib.calibration import targets
from calib.calibration.problem import build_problem, load_input
from calib.cli.app import app
from calib.common.errors import DataError
from calib.config import load_case
from calib.config.build import build
from calib.config.fit import FitSettings
from calib.core.integrate import simulate
from calib.io.lesbrary import read_lesbrary
from calib.io.lesbrary_import import default_case_path, import_lesbrary
from calib.io.observations import load_observations

runner = CliRunner()
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

RHO0, CP, OMEGA = 1027.0, 3985.0, 7.2921e-5
ALPHA, T0 = 2.0e-4, 20.0
NZ, HALO, LZ = 8, 3, 64.0
MOMENTUM_FLUX = -2.0e-4  # m2 s-2, Oceananigans: < 0 = downward flux of x-momentum = wind toward +x
BUOYANCY_FLUX = 1.2e-7  # m2 s-3, Oceananigans: > 0 = upward = the ocean is cooled
F = 1.0e-4  # s-1
SECONDS = (0.0, 600.0, 1200.0)
ITERATIONS = ("0", "173", "351")  # LESbrary keys the saves by iteration, not by time


def stretched_faces(nz=NZ, lz=LZ, refinement=1.3, stretching=10.0) -> np.ndarray:
    """The LESbrary.jl three-layer grid generator (fine near the surface), k = 1 ... nz + 1."""
    h = np.arange(nz + 1) / nz
    zeta = 1.0 + (h - 1.0) / refinement
    sigma = (1.0 - np.exp(-stretching * h)) / (1.0 - np.exp(-stretching))
    faces = lz * (zeta * sigma - 1.0)
    faces[-1] = 0.0
    return faces


FACES = stretched_faces()
CENTERS = 0.5 * (FACES[:-1] + FACES[1:])


def three_layer_buoyancy(z, t):
    """A three-layer b (N² = 2e-6 / 1e-5 / 2e-6 s-2 around 16-24 m) that cools slowly at the top."""
    b = np.where(z > -16.0, 2e-6 * z, 2e-6 * -16.0 + 1e-5 * (z + 16.0))
    b = np.where(z > -24.0, b, 2e-6 * -16.0 + 1e-5 * -8.0 + 2e-6 * (z + 24.0))
    return b - BUOYANCY_FLUX * t / 16.0 * (z > -16.0)


def with_halos(values, halo=HALO):
    """Interior values padded with `halo` distinct junk values on each side (the LES halos)."""
    return np.concatenate([np.full(halo, -999.0), values, np.full(halo, 999.0)])


def faces_with_halos(faces, halo=HALO):
    dz_bottom, dz_top = faces[1] - faces[0], faces[-1] - faces[-2]
    below = faces[0] - dz_bottom * np.arange(halo, 0, -1)
    above = faces[-1] + dz_top * np.arange(1, halo + 1)
    return np.concatenate([below, faces, above])


def catke_suite_jld2(path: Path, *, grid_layout="old", state="b", extra_parameters=None, offset=0.0) -> Path:
    """A small file laid out like LESbrary.jl's three_layer_constant_fluxes statistics
    (JLD2OutputWriter with_halos = true, BuoyancyTracer, passive tracer c)."""
    with h5py.File(path, "w") as f:
        f["grid/Hz"], f["grid/Nz"], f["grid/Lz"] = HALO, NZ, LZ
        centers = 0.5 * (faces_with_halos(FACES)[:-1] + faces_with_halos(FACES)[1:])
        if grid_layout == "old":  # Oceananigans < 0.95: grid/zᵃᵃᶜ, grid/zᵃᵃᶠ
            f["grid/zᵃᵃᶜ"], f["grid/zᵃᵃᶠ"] = centers, faces_with_halos(FACES)
        else:  # Oceananigans >= 0.95: grid/z (a StaticVerticalDiscretization)
            f["grid/z/cᵃᵃᶜ"], f["grid/z/cᵃᵃᶠ"] = centers, faces_with_halos(FACES)
        for key, seconds in zip(ITERATIONS, SECONDS, strict=True):
            f[f"timeseries/t/{key}"] = seconds
            profiles = {
                "b": three_layer_buoyancy(CENTERS, seconds) + offset,
                "u": 0.01 * (seconds / 600.0) * np.exp(CENTERS / 8.0),
                "v": -0.002 * (seconds / 600.0) * np.exp(CENTERS / 8.0),
                "c": np.exp(-((CENTERS + 32.0) ** 2) / (2 * 8.0**2)) * (1 + seconds / 3600.0),
                "e": 1e-5 * np.exp(CENTERS / 8.0),
            }
            if state != "b":
                profiles.pop("b")
            for name, values in profiles.items():
                f[f"timeseries/{name}/{key}"] = with_halos(values).reshape(-1, 1, 1)
        parameters = {
            "momentum_flux": MOMENTUM_FLUX, "buoyancy_flux": BUOYANCY_FLUX, "coriolis_parameter": F,
            "N²_surface_layer": 2e-6, "N²_thermocline": 1e-5, "N²_deep": 2e-6,
            "boundary_condition_b_bottom": 2e-6, "tracer_forcing_timescale": 21600.0,
            "tracer_forcing_width": 8.0, "tracer_forcing_depth": 32.0,
            "stokes_drift_surface_velocity": 0.05, **(extra_parameters or {}),
        }  # fmt: skip
        for name, value in parameters.items():
            f[f"parameters/{name}"] = value
        f["parameters/name"] = np.bytes_("med_wind_med_cooling")
    return path


def netcdf_export(
    path: Path, *, ustr=1.0e-4, ustr_attrs=None, b_sfc=-5.0e-8, b_attrs=None, grav=9.81
) -> Path:
    """The NetCDF export of the buoyancy suite: dims time, zr, zw; b, u, v, c on (time, zr)."""
    b = np.stack([three_layer_buoyancy(CENTERS, t) for t in SECONDS])
    ds = xr.Dataset(
        {
            "b": (("time", "zr"), b, {"units": "m s-2"}),
            "u": (("time", "zr"), np.zeros_like(b)),
            "v": (("time", "zr"), np.zeros_like(b)),
            "c": (("time", "zr"), np.ones_like(b)),
            "grav": ((), grav, {"units": "m s-2"}),
            "fcor": ((), F, {"units": "s-1"}),
            "ustr_sfc": (
                (),
                ustr,
                {"units": "m2 s-2", "long_name": "zonal wind stress", **(ustr_attrs or {})},
            ),
            "b_sfc": (
                (),
                b_sfc,
                {"units": "m2 s-3", "long_name": "surface buoyancy flux", **(b_attrs or {})},
            ),
        },
        coords={
            "time": ("time", np.array(SECONDS), {"units": "s"}),
            "zr": ("zr", CENTERS, {"units": "m"}),
            "zw": ("zw", FACES, {"units": "m"}),
        },
    )
    ds.to_netcdf(path, encoding={"time": {"dtype": "f8"}})
    return path


def imported(tmp_path: Path, source: Path, **options):
    obs, forcing, case = tmp_path / "les_obs.nc", tmp_path / "les_forcing.nc", tmp_path / "les.yaml"
    notes: list[str] = []
    import_lesbrary(source, obs, forcing, out_case=case, note=notes.append, **options)
    return obs, forcing, case, notes


# --- the buoyancy suite (JLD2) ----------------------------------------------------------------


@pytest.mark.parametrize(("grid_layout", "offset"), [("old", 0.0), ("new", 0.0), ("old", -0.26)])
def test_buoyancy_is_observed_exactly_through_the_linear_equation_of_state(tmp_path, grid_layout, offset):
    # offset -0.26 m s-2: a seawater buoyancy g (alpha T - beta S) instead of a buoyancy tracer
    source = catke_suite_jld2(tmp_path / "les.jld2", grid_layout=grid_layout, offset=offset)
    obs_path, _, case_path, _ = imported(tmp_path, source)
    obs = xr.load_dataset(obs_path)
    b_les = np.stack([three_layer_buoyancy(CENTERS, t) for t in SECONDS]) + offset
    np.testing.assert_array_equal(obs.b.values, b_les)  # b itself kept (float64), halos stripped
    case = load_case(case_path)
    # T0 puts the first surface b at 20 degC: T0 = 20 - b_top / (g alpha), g = 9.81 (none in the file)
    T0_case = case.equation_of_state.T0  # noqa: N806
    assert T0_case == pytest.approx(20.0 - (2e-6 * CENTERS[-1] + offset) / (9.81 * ALPHA), rel=1e-15)
    np.testing.assert_allclose(obs.T.values, T0_case + b_les / (9.81 * ALPHA), rtol=1e-15)
    assert obs.T.values[0, -1] == pytest.approx(20.0, abs=1e-12)
    assert obs.T.values[0, 0] == pytest.approx(19.9129, abs=1e-4)  # 56.5 m down: b lower by 1.709e-4 m s-2
    built = build(case)
    model_b = np.asarray(
        built.model.eos.buoyancy(jnp.asarray(obs.T.values), jnp.full_like(obs.T.values, 35.0))
    )
    np.testing.assert_allclose(model_b, b_les, rtol=1e-12, atol=1e-15)  # the model's b is the LES b
    np.testing.assert_allclose(np.asarray(built.initial.T), obs.T.values[0], rtol=1e-14)  # first LES profile
    np.testing.assert_allclose(np.asarray(built.initial.u), obs.u.values[0], atol=0)
    assert set(load_observations(obs_path).data_vars) == {"T", "u", "v"}  # b, c, e: recorded, not fitted


def test_stretched_levels_are_kept(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    obs_path, _, case_path, _ = imported(tmp_path, source)
    spacing = np.diff(FACES)
    assert spacing.max() / spacing.min() > 2.0  # the test grid really is stretched
    grid = build(load_case(case_path)).model.grid
    np.testing.assert_allclose(np.asarray(grid.z_faces), FACES, rtol=1e-15, atol=1e-13)
    np.testing.assert_allclose(np.asarray(grid.z_centers), xr.load_dataset(obs_path).z.values, atol=1e-12)
    read, _ = read_lesbrary(source)
    np.testing.assert_array_equal(read.z_face.values, FACES)  # halos stripped from the faces too


def test_fluxes_have_the_les_sign_and_size(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    _, forcing_path, case_path, _ = imported(tmp_path, source)
    forcing = xr.load_dataset(forcing_path)
    assert float(forcing.wind_stress_x[0]) == pytest.approx(0.2054, rel=1e-12)  # -rho0 (-2e-4): toward +x
    assert float(forcing.wind_stress_y[0]) == 0.0
    # upward buoyancy flux 1.2e-7 m2 s-3 = cooling: Q = -rho0 cp B / (g alpha) = -250.3 W m-2
    heat = -RHO0 * CP * BUOYANCY_FLUX / (9.81 * ALPHA)
    assert heat == pytest.approx(-250.31, abs=0.01)
    np.testing.assert_allclose(forcing.heat_flux.values, heat, rtol=1e-14)
    np.testing.assert_array_equal(forcing.shortwave.values, 0.0)
    np.testing.assert_array_equal(
        forcing.time.values, np.datetime64("2000-01-01") + np.array([0, 1200], "timedelta64[s]")
    )
    model = build(load_case(case_path)).model
    fluxes = model.forcing.surface_fluxes(0, model.dt, 35.0, model.eos)
    assert float(fluxes.buoyancy) == pytest.approx(-BUOYANCY_FLUX, rel=1e-12)  # into the ocean: the LES flux
    assert float(fluxes.momentum_x) == pytest.approx(-MOMENTUM_FLUX, rel=1e-12)


def test_case_runs(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    _, _, case_path, notes = imported(tmp_path, source)
    case = load_case(case_path)
    assert case.time.output_interval == 600.0 and case.time.duration == 1200.0 and case.time.dt == 60.0
    assert case.closure.name == "catke" and case.equation_of_state.gravity == 9.81
    assert 2 * OMEGA * math.sin(math.radians(case.forcing.latitude)) == pytest.approx(F, rel=1e-12)
    built = build(case)
    trajectory = simulate(built.model, built.initial, 1, 5)  # 5 steps
    assert np.isfinite(np.asarray(trajectory.state.T)).all()
    assert float(trajectory.state.T[-1][-1]) < float(built.initial.T[-1])  # the surface cools
    assert float(trajectory.state.u[-1][-1]) > 0.0  # and is pushed toward +x
    text = case_path.read_text()
    assert "passive tracer c" in text.split("name:")[0] and any("passive tracer c" in n for n in notes)
    assert "Stokes drift" in text and "sponge" in text


def test_fit_accepts_the_observations(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    obs_path, _, case_path, _ = imported(tmp_path, source)
    case = load_case(case_path)
    assert Path(case.fit["observations"]) == Path("les_obs.nc")
    settings = FitSettings(parameters=(_first_parameter(build(case)),))
    _, experiments = build_problem([load_input(case, obs_path)], settings)
    assert len(experiments) == 1 and experiments[0].n_saves == 2
    counts = targets.counts([e.targets for e in experiments])
    assert counts["T"] == counts["u"] == counts["v"] == 2 * NZ  # both saves after t = 0, every level


@pytest.mark.slow
def test_command_line_fit_on_the_imported_case(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    obs_path, _, case_path, _ = imported(tmp_path, source)
    name = _first_parameter(build(load_case(case_path)))
    fit = ["fit", "--case", str(case_path), "--obs", str(obs_path), "--params", name, "--iterations", "2"]
    result = runner.invoke(app, [*fit, "--no-uncertainty", "--out", str(tmp_path / "fit"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fit" / "history.nc").exists()


def _first_parameter(built) -> str:
    from calib.core.params import parameter_info

    return next(iter(parameter_info(built.model.closure)))


# --- the NetCDF export --------------------------------------------------------------------------


def test_netcdf_export_kinematic_stress_into_the_ocean(tmp_path):
    source = netcdf_export(tmp_path / "les.nc", grav=9.80665)
    obs_path, forcing_path, case_path, _ = imported(tmp_path, source)
    forcing = xr.load_dataset(forcing_path)
    assert float(forcing.wind_stress_x[0]) == pytest.approx(RHO0 * 1.0e-4, rel=1e-12)  # 0.1027 Pa toward +x
    # b_sfc = -5e-8 into the ocean = losing buoyancy = cooling
    assert float(forcing.heat_flux[0]) == pytest.approx(-RHO0 * CP * 5.0e-8 / (9.80665 * ALPHA), rel=1e-12)
    obs = xr.load_dataset(obs_path)
    T0_case = load_case(case_path).equation_of_state.T0  # noqa: N806
    np.testing.assert_allclose(obs.T.values, T0_case + obs.b.values / (9.80665 * ALPHA), rtol=1e-15)
    case = load_case(case_path)
    assert case.equation_of_state.gravity == 9.80665 and case.grid.levels == tuple(FACES)
    model = build(case).model
    fluxes = model.forcing.surface_fluxes(0, model.dt, 35.0, model.eos)
    assert float(fluxes.buoyancy) == pytest.approx(-5.0e-8, rel=1e-12)  # the file's b_sfc, exactly
    assert "c" in obs and "ustr_sfc = 0.0001 read as kinematic" in forcing.attrs["conversions"]


@pytest.mark.parametrize(
    ("ustr", "attrs", "tau"),
    [
        (0.01, {"units": "m s-1"}, RHO0 * 1e-4),  # friction velocity u* = 0.01: tau = rho0 u*^2
        (0.1, {"units": "Pa"}, 0.1),
        (-1.0e-4, {"positive": "up"}, RHO0 * 1e-4),  # Oceananigans sign: upward flux -1e-4 = wind toward +x
    ],
)
def test_netcdf_export_stress_units_and_sign_attributes(tmp_path, ustr, attrs, tau):
    source = netcdf_export(
        tmp_path / "les.nc", ustr=ustr, ustr_attrs=attrs, b_attrs={"positive": "up"}, b_sfc=1e-7
    )
    _, forcing_path, _, _ = imported(tmp_path, source)
    forcing = xr.load_dataset(forcing_path)
    assert float(forcing.wind_stress_x[0]) == pytest.approx(tau, rel=1e-12)
    assert float(forcing.heat_flux[0]) < 0.0  # upward buoyancy flux: cooling


def test_netcdf_export_with_unknown_stress_units_is_refused(tmp_path):
    source = netcdf_export(tmp_path / "les.nc", ustr_attrs={"units": "knots"})
    with pytest.raises(DataError, match=re.escape("ustr_sfc: units 'knots' not understood; expected m2 s-2")):
        imported(tmp_path, source)


# --- the temperature suite, errors, the command line ----------------------------------------


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_two_day_temperature_suite_still_imports_with_a_case(tmp_path):
    source = SHARED / "lesbrary_two_day_4m" / "free_convection_instantaneous_statistics.jld2"
    obs = tmp_path / "fc_obs.nc"
    result = runner.invoke(app, ["import", "lesbrary", str(source), "--out-obs", str(obs), "--out-forcing",
                                 str(tmp_path / "fc_forcing.nc"), "--closure", "k_epsilon"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "not modelled: the LES bottom boundary condition dT/dz" in result.output
    case = load_case(tmp_path / "fc.yaml")  # the default: next to the observations
    assert case.grid.levels == tuple(np.arange(-256.0, 1.0, 4.0)) and case.time.duration == 172800.0
    assert case.equation_of_state.alpha == 2e-4 and case.equation_of_state.gravity == 9.80665
    forcing = xr.load_dataset(tmp_path / "fc_forcing.nc")
    assert float(forcing.heat_flux[0]) == pytest.approx(
        -RHO0 * CP * 6.118e-5, rel=1e-3
    )  # cooling, -250 W m-2
    assert set(load_observations(obs).data_vars) == {"T", "u", "v"}


@pytest.mark.parametrize("layout", ["jld2", "netcdf"])
def test_a_file_with_neither_temperature_nor_buoyancy_is_a_one_line_error(tmp_path, layout):
    if layout == "jld2":
        source = catke_suite_jld2(tmp_path / "les.jld2", state="none")
        expected = "no timeseries/T or timeseries/b; expected temperature (T, degC) or buoyancy (b, m s-2)"
    else:
        source = netcdf_export(tmp_path / "les.nc")
        with xr.open_dataset(source) as ds:
            stripped = ds.drop_vars("b").load()
        source = tmp_path / "no_b.nc"
        stripped.to_netcdf(source)
        expected = "no variable T or variable b; expected temperature (T, degC) or buoyancy (b, m s-2)"
    result = runner.invoke(app, ["import", "lesbrary", str(source), "--out-obs", str(tmp_path / "o.nc"),
                                 "--out-forcing", str(tmp_path / "f.nc")])  # fmt: skip
    assert result.exit_code != 0 and expected in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (tmp_path / "o.nc").exists() and not (tmp_path / "o_case.yaml").exists()


def test_missing_buoyancy_flux_and_existing_case_are_refused(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    with h5py.File(source, "a") as f:
        del f["parameters/buoyancy_flux"]
    with pytest.raises(DataError, match=re.escape("parameters/buoyancy_flux is missing or not a number")):
        imported(tmp_path, source)
    (tmp_path / "taken.yaml").write_text("name: x\n")
    ok = catke_suite_jld2(tmp_path / "ok.jld2")
    result = runner.invoke(app, ["import", "lesbrary", str(ok), "--out-obs", str(tmp_path / "o.nc"),
                                 "--out-forcing", str(tmp_path / "f.nc"), "--out-case",
                                 str(tmp_path / "taken.yaml")])  # fmt: skip
    assert result.exit_code == 2 and "taken.yaml: exists; pass --force" in result.output
    assert not (tmp_path / "o.nc").exists()
    assert default_case_path(tmp_path / "site_obs.nc") == tmp_path / "site.yaml"
    assert default_case_path(tmp_path / "o.nc") == tmp_path / "o_case.yaml"


def test_command_line_reports_what_is_not_modelled(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    out = tmp_path / "sub"
    out.mkdir()
    result = runner.invoke(app, ["import", "lesbrary", str(source), "--out-obs", str(out / "x_obs.nc"),
                                 "--out-forcing", str(tmp_path / "x_forcing.nc")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "not modelled: the passive tracer c" in result.output
        and "not modelled: Stokes drift" in result.output
    )
    text = (out / "x.yaml").read_text()
    assert "observations: x_obs.nc" in text and "file: ../x_forcing.nc" in text  # relative to the case
    assert dataclasses.asdict(load_case(out / "x.yaml").initial.T)["type"] == "observations"


def test_penetrating_buoyancy_flux_becomes_shortwave_with_the_les_extinction(tmp_path):
    extra = {"penetrating_buoyancy_flux": -2.0e-7, "first_light_penetration_fraction": 0.6,
             "first_light_penetration_scale": 1.0, "second_light_penetration_scale": 20.0}  # fmt: skip
    source = catke_suite_jld2(tmp_path / "les.jld2", extra_parameters=extra)
    _, forcing_path, case_path, _ = imported(tmp_path, source)
    forcing = xr.load_dataset(forcing_path)
    # upward flux -2e-7 m2 s-3 = heat into the ocean: 1027 * 3985 * 2e-7 / (9.81 * 2e-4) = 417.2 W m-2
    assert float(forcing.shortwave[0]) == pytest.approx(417.19, abs=0.01)
    model = build(load_case(case_path)).model
    fluxes = model.forcing.surface_fluxes(0, model.dt, 35.0, model.eos)
    assert float(fluxes.buoyancy) == pytest.approx(-(BUOYANCY_FLUX - 2.0e-7), rel=1e-12)  # surface + light
    # LES: I(z) = I0 (0.6 exp(z / 1 m) + 0.4 exp(z / 20 m)); the top cell (to -6.16 m) takes 1 - I(-6.16) / I0
    heating = np.asarray(model.forcing.heating(0, model.dt, model.grid))
    top = FACES[-2]
    assert heating[-1] == pytest.approx(
        1.0 - (0.6 * math.exp(top / 1.0) + 0.4 * math.exp(top / 20.0)), rel=1e-9
    )


def test_a_buoyancy_flux_against_the_les_budget_is_flagged(tmp_path):
    # the synthetic LES loses buoyancy at the top; b_sfc = +1.2e-7 read into the ocean would warm it
    source = netcdf_export(tmp_path / "les.nc", b_sfc=+1.2e-7)
    _, _, case_path, notes = imported(tmp_path, source)
    assert any(n.startswith("check: the LES buoyancy content changes by -") for n in notes), notes
    assert "# Check: the LES buoyancy content" in case_path.read_text()
    consistent = netcdf_export(tmp_path / "ok.nc", b_sfc=-1.2e-7)
    for name in ("les_obs.nc", "les_forcing.nc", "les.yaml"):
        (tmp_path / name).unlink()
    assert not [n for n in imported(tmp_path, consistent)[3] if n.startswith("check:")]


def test_unknown_closure_is_refused_before_writing(tmp_path):
    source = catke_suite_jld2(tmp_path / "les.jld2")
    arguments = ["--out-obs", str(tmp_path / "x_obs.nc"), "--out-forcing", str(tmp_path / "x_forcing.nc")]
    result = runner.invoke(app, ["import", "lesbrary", str(source), *arguments, "--closure", "catk"])
    assert result.exit_code == 2 and "--closure catk: unknown closure; choose one of" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["les.jld2"]
