"""GOTM-style case physics, each against an analytic value: heat capacity and the TEOS-10
equation of state from the case, albedo, time-varying light extinction, relaxation toward observed
profiles, the external pressure gradient, bulk air-sea fluxes with SST feedback, and the
plausibility checks of forcing and initial state."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from calib.common.errors import ConfigError
from calib.config import parse_case
from calib.config.build import build
from calib.core.closures.constant import ConstantDiffusivity
from calib.core.eos import Teos10Polynomial
from calib.core.forcing import Forcing, two_band_fractions
from calib.core.grid import Grid
from calib.core.integrate import simulate
from calib.core.model import ColumnModel
from calib.core.relaxation import PressureGradient
from calib.core.state import State

BASE = {
    "grid": "grid: {depth: 10, nz: 10}",
    "time": "time: {dt: 600 s, duration: 1 day, output_interval: 6 h}",
    "initial": "initial: {T: 10, S: 35}",
    "closure": "closure: {name: constant, parameters: {viscosity: 1.0e-3, diffusivity: 1.0e-3}}",
}


def case_text(**sections: str) -> str:
    return "\n".join(text for text in {**BASE, **sections}.values() if text)


def build_text(text: str, tmp_path=None):
    return build(parse_case(text, source="case.yaml", base_dir=tmp_path or "."))


def run(built):
    return simulate(built.model, built.initial, built.n_saves, built.steps_per_save, checkpoint="none")


def mean_warming(built) -> float:
    """Change of the depth-mean temperature over the run (K)."""
    trajectory = run(built)
    dz = np.asarray(built.model.grid.dz)
    T = np.asarray(trajectory.state.T)
    return float(np.sum((T[-1] - T[0]) * dz) / np.sum(dz))


# ----------------------------------------------------------------------------- heat capacity, EOS


def test_a_lake_at_cp_4200_heats_5_percent_less_than_at_3985():
    """Q t / (rho0 cp H) exactly; the ratio of the two warmings is 3985 / 4200 = 0.9488."""
    forcing = "forcing: {heat_flux: 100}"
    eos = "equation_of_state: {type: linear, rho0: 1000, heat_capacity: %s}"
    lake = mean_warming(build_text(case_text(forcing=forcing, eos=eos % 4200)))
    sea = mean_warming(build_text(case_text(forcing=forcing, eos=eos % 3985)))
    seconds = 86400.0
    assert lake == pytest.approx(100.0 * seconds / (1000.0 * 4200.0 * 10.0), rel=1e-10)
    assert sea == pytest.approx(100.0 * seconds / (1000.0 * 3985.0 * 10.0), rel=1e-10)
    assert lake / sea == pytest.approx(0.94881, abs=1e-5)


def test_teos10_from_the_case_with_its_heat_capacity():
    built = build_text(case_text(eos="equation_of_state: {type: teos10, salinity: practical}",
                                 forcing="forcing: {heat_flux: 100}"))  # fmt: skip
    eos = built.model.eos
    assert isinstance(eos, Teos10Polynomial) and eos.salinity == "practical"
    assert eos.heat_capacity == pytest.approx(3991.86795711963)  # TEOS-10 cp0
    rho0 = eos.rho0
    assert mean_warming(built) == pytest.approx(100.0 * 86400.0 / (rho0 * 3991.86795711963 * 10.0), rel=1e-10)


def test_teos10_column_has_no_n2_from_compressibility_and_the_thermal_n2_of_alpha():
    """make_column takes N² from the equation of state: a uniform column has N² = 0 although its
    in-situ density grows with depth; a temperature gradient gives N² = g alpha dT/dz."""
    from calib.core.state import make_column

    initial = "initial: {T: {type: linear, surface: 15, gradient: 0.1}, S: 35}"
    built = build_text(case_text(eos="equation_of_state: {type: teos10}", initial=initial))
    model = built.model
    surface = model.forcing.surface_fluxes(jnp.asarray(0), model.dt, 35.0, model.eos)
    uniform = State(u=jnp.zeros(10), v=jnp.zeros(10), T=jnp.full(10, 15.0), S=jnp.full(10, 35.0))
    assert np.max(np.abs(make_column(model.grid, uniform, surface, model.eos).N2)) < 1e-12
    N2 = np.asarray(make_column(model.grid, built.initial, surface, model.eos).N2)
    alpha, _ = model.eos.expansion_coefficients(jnp.asarray(14.5), jnp.asarray(35.0))
    # alpha of seawater at 15 degC, 35 g/kg, surface: 2.1e-4 K-1 (TEOS-10)
    assert float(alpha) == pytest.approx(2.1e-4, rel=0.05)
    np.testing.assert_allclose(N2[1:-1], model.eos.gravity * float(alpha) * 0.1, rtol=0.03)


def test_linear_coefficients_are_refused_with_teos10():
    with pytest.raises(ConfigError, match=r"equation_of_state.alpha: is a coefficient of the linear"):
        build_text(case_text(eos="equation_of_state: {type: teos10, alpha: 2.0e-4}"))
    with pytest.raises(ConfigError, match=r"equation_of_state.salinity: applies to type: teos10 only"):
        build_text(case_text(eos="equation_of_state: {salinity: practical}"))


# ----------------------------------------------------------------------------- albedo, extinction


def test_constant_albedo_reflects_its_fraction_of_the_downward_shortwave():
    built = build_text(case_text(forcing="forcing: {shortwave: 200, albedo: 0.06, water_type: I}",
                                 eos="equation_of_state: {rho0: 1000, heat_capacity: 4000}"))  # fmt: skip
    assert mean_warming(built) == pytest.approx(0.94 * 200.0 * 86400.0 / (1000.0 * 4000.0 * 10.0), rel=1e-10)


def test_payne_albedo_needs_the_start_date_and_reflects_a_few_percent_at_high_sun():
    with pytest.raises(ConfigError, match=r"forcing.albedo: payne needs .*; set time.start"):
        build_text(case_text(forcing="forcing: {shortwave: 800, albedo: payne}"))
    time = "time: {dt: 600 s, duration: 1 day, output_interval: 6 h, start: 2012-03-21T12:00:00}"
    built = build_text(case_text(time=time, forcing="forcing: {shortwave: 800, albedo: payne}"))
    model = built.model
    surface = model.forcing.surface_fluxes(
        jnp.asarray(0), model.dt, 35.0, model.eos
    )  # noon, equator, equinox
    absorbed = float(surface.shortwave) * model.eos.rho0 * model.eos.heat_capacity
    assert 0.85 * 800.0 < absorbed < 0.99 * 800.0  # Payne (1972): albedo 0.02-0.1 with the sun overhead


def test_time_varying_extinction_is_the_two_band_law_at_t_and_conserves_the_surface_flux():
    forcing = ("forcing: {shortwave: 300, extinction: {A: {time: [0, 1 day], values: [0.0, 1.0]}, "
               "g1: 0.5, g2: 8.0}}")  # fmt: skip
    built = build_text(case_text(forcing=forcing, eos="equation_of_state: {rho0: 1000, heat_capacity: 4000}"))
    model = built.model
    steps = 72  # 12 h: A = 0.5
    fractions = np.asarray(model.forcing.heating(jnp.asarray(steps), model.dt, model.grid))
    assert fractions.sum() == pytest.approx(1.0, abs=1e-14)
    top = 1.0 - (0.5 * np.exp(-1.0 / 0.5) + 0.5 * np.exp(-1.0 / 8.0))  # absorbed in the top metre
    assert fractions[-1] == pytest.approx(top, rel=1e-12)
    early = np.asarray(model.forcing.heating(jnp.asarray(0), model.dt, model.grid))  # A = 0: all blue
    assert early[-1] == pytest.approx(1.0 - np.exp(-1.0 / 8.0), rel=1e-12)
    # the column absorbs exactly the surface shortwave, whatever the extinction
    assert mean_warming(built) == pytest.approx(300.0 * 86400.0 / (1000.0 * 4000.0 * 10.0), rel=1e-10)
    with pytest.raises(
        ConfigError, match=r"forcing.extinction: cannot be given together with forcing.water_type"
    ):
        build_text(case_text(forcing="forcing: {water_type: IB, extinction: {A: 0.6, g1: 1, g2: 20}}"))


def test_two_band_fractions_match_the_jerlov_absorption():
    grid = Grid.uniform(50.0, 25)
    fractions = two_band_fractions(grid, 0.67, 1.0, 17.0)
    passing_2m = 0.67 * np.exp(-2.0) + 0.33 * np.exp(-2.0 / 17.0)
    assert float(fractions[-1]) == pytest.approx(1.0 - passing_2m, rel=1e-12)


# ----------------------------------------------------------------------------- relaxation


def write_observations(path, T, times_hours=(0.0, 12.0, 24.0), z=(-9.0, -5.0, -1.0)):
    """An observation file with T(time, z)."""
    time = pd.Timestamp("2000-01-01") + pd.to_timedelta(np.asarray(times_hours), unit="h")
    dataset = xr.Dataset(
        {"T": (("time", "z"), np.asarray(T, dtype=float), {"units": "degC"})},
        coords={"time": time, "z": ("z", np.asarray(z), {"positive": "up", "units": "m"})},
    )
    dataset.to_netcdf(path)
    return path


def relaxed_case(tmp_path, relaxation: str, **sections) -> str:
    time = "time: {dt: 600 s, duration: 1 day, output_interval: 1 h, start: 2000-01-01}"
    return case_text(time=time, relaxation=f"relaxation: {relaxation}", **sections)


def test_relaxation_deviation_decays_as_exp_minus_t_over_tau(tmp_path):
    write_observations(tmp_path / "obs.nc", np.full((3, 3), 12.0))
    built = build_text(relaxed_case(tmp_path, "{T: {observations: obs.nc, timescale: 5 h}}"), tmp_path)
    trajectory = run(built)
    t = np.asarray(trajectory.time)
    deviation = np.asarray(trajectory.state.T) - 12.0
    np.testing.assert_allclose(deviation, -2.0 * np.exp(-t / 18000.0)[:, None] * np.ones(10), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(trajectory.state.S), 35.0, rtol=1e-13)  # S not relaxed


def test_a_very_short_timescale_pins_t_to_the_observed_profile(tmp_path):
    """Observed profiles put on the grid: linear in depth, constant beyond the observed levels,
    linear in time, held constant after the last observation."""
    observed = [[8.0, 10.0, 12.0], [8.0, 10.0, 14.0], [8.0, 10.0, 16.0]]
    write_observations(tmp_path / "obs.nc", observed, times_hours=(0.0, 12.0, 18.0))
    built = build_text(relaxed_case(tmp_path, "{T: {observations: obs.nc, timescale: 1 s}}"), tmp_path)
    trajectory = run(built)
    z = np.asarray(built.model.grid.z_centers)
    T = np.asarray(trajectory.state.T)
    np.testing.assert_allclose(T[6], np.interp(z, [-9.0, -5.0, -1.0], [8.0, 10.0, 13.0]), atol=1e-12)  # 6 h
    np.testing.assert_allclose(T[-1], np.interp(z, [-9.0, -5.0, -1.0], [8.0, 10.0, 16.0]), atol=1e-12)
    assert T[-1][0] == pytest.approx(8.0) and T[-1][-1] == pytest.approx(16.0)  # -9.5 m and -0.5 m


def test_surface_and_bottom_layers_have_their_own_timescale(tmp_path):
    write_observations(tmp_path / "obs.nc", np.full((3, 3), 12.0))
    relaxation = ("{T: {observations: obs.nc, timescale: 1000 days, surface_layer: {thickness: 2 m, "
                  "timescale: 1 s}, bottom_layer: {thickness: 3, timescale: 1 day}}}")  # fmt: skip
    closure = "closure: {name: constant, parameters: {viscosity: 1.0e-7, diffusivity: 1.0e-7}}"
    built = build_text(relaxed_case(tmp_path, relaxation, closure=closure), tmp_path)
    rate = np.asarray(built.model.relaxation.T.rate)
    np.testing.assert_allclose(rate, [1 / 86400] * 3 + [1 / 86400e3] * 5 + [1.0] * 2)
    T = np.asarray(run(built).state.T)[-1]
    assert T[-1] == pytest.approx(12.0, abs=1e-6) and T[4] == pytest.approx(
        10.0 + 2.0 * (1 - np.exp(-1e-3)), rel=1e-3
    )
    assert T[0] == pytest.approx(12.0 - 2.0 * np.exp(-1.0), rel=1e-3)


# ----------------------------------------------------------------------------- pressure gradient


def barotropic_model(coriolis: float, slope: float, dt: float = 600.0) -> ColumnModel:
    pressure_gradient = PressureGradient(time=jnp.zeros(1), values=jnp.asarray([[slope, 0.0]]))
    return ColumnModel(
        grid=Grid.uniform(20.0, 8),
        eos=build_text(case_text()).model.eos,
        forcing=Forcing.constant(coriolis=coriolis),
        closure=ConstantDiffusivity(viscosity=1e-7, diffusivity=1e-7),
        dt=dt,
        pressure_gradient=pressure_gradient,
    )


def rest(nz: int = 8) -> State:
    return State(u=jnp.zeros(nz), v=jnp.zeros(nz), T=jnp.full(nz, 10.0), S=jnp.full(nz, 35.0))


def test_a_surface_slope_accelerates_a_frictionless_column_at_minus_g_slope():
    model = barotropic_model(0.0, 1e-6)
    trajectory = simulate(model, rest(), 10, 12)
    t = np.asarray(trajectory.time)
    expected = -model.eos.gravity * 1e-6 * t
    np.testing.assert_allclose(
        np.asarray(trajectory.state.u), expected[:, None] * np.ones(8), rtol=1e-12, atol=1e-18
    )
    np.testing.assert_allclose(np.asarray(trajectory.state.v), 0.0, atol=1e-18)


def test_with_rotation_the_mean_current_is_geostrophic():
    """du/dt = f v - g s, dv/dt = -f u: the current circles the geostrophic v = g s / f; the mean
    over whole inertial periods is that value (to (f dt)² / 12 with the split step, whose exact
    discrete mean also has u = -g s dt / 2: the acceleration of the half step)."""
    dt, slope = 600.0, 1e-6
    coriolis = 2 * np.pi / (100 * dt)  # an inertial period of exactly 100 steps
    model = barotropic_model(coriolis, slope, dt)
    trajectory = simulate(model, rest(), 1000, 1)
    v = np.asarray(trajectory.state.v)[1:, 0]
    u = np.asarray(trajectory.state.u)[1:, 0]
    geostrophic = model.eos.gravity * slope / coriolis
    assert v.mean() == pytest.approx(geostrophic, rel=1e-3)
    assert u.mean() == pytest.approx(-model.eos.gravity * slope * dt / 2, rel=1e-3)
    assert v.max() == pytest.approx(2 * geostrophic, rel=1e-2)  # starting from rest: 0 to 2 v_g


def test_pressure_gradient_and_tides_from_the_case():
    section = "pressure_gradient: {x: 2.0e-6, tides: [{period: 12 h, x: 0.0, y: 1.0e-6, phase: 3 h}]}"
    built = build_text(case_text(pressure=section))
    gradient = built.model.pressure_gradient
    slope_x, slope_y = gradient.slopes(jnp.asarray(6 * 3600.0))  # sin(2 pi 3 h / 12 h) = 1
    assert float(slope_x) == pytest.approx(2e-6) and float(slope_y) == pytest.approx(1e-6)
    trajectory = run(built)
    u = np.asarray(trajectory.state.u)
    np.testing.assert_allclose(u[-1], -9.81 * 2e-6 * 86400.0, rtol=1e-12)


# ----------------------------------------------------------------------------- bulk formulae

WEATHER = (
    "bulk: {algorithm: coare35, wind_x: 8.0, wind_y: 0.0, air_temperature: 15.0, humidity: 70, "
    "humidity_type: relative, air_pressure: 101325, longwave_method: net, longwave: -50%s}"
)


def bulk_case(initial_T: float = 15.0, extra: str = "", **sections) -> str:
    forcing = "forcing: {" + WEATHER % extra + "}"
    return case_text(initial=f"initial: {{T: {initial_T}, S: 35}}", forcing=forcing, **sections)


def weather(old: str, new: str) -> dict[str, str]:
    """The forcing section of the bulk case with one setting changed."""
    return {"forcing": "forcing: {" + WEATHER.replace(old, new) % "" + "}"}


def test_with_bulk_formulae_a_warmer_ocean_loses_more_heat():
    warm = build_text(bulk_case(20.0))
    cold = build_text(bulk_case(10.0))
    for built in (warm, cold):
        surface = built.model.forcing.surface_fluxes(
            jnp.asarray(0), 600.0, 35.0, built.model.eos, state=built.initial
        )
        assert float(surface.momentum_x) > 0  # wind along +x pushes the ocean along +x
    heat = {
        name: float(
            b.model.forcing.surface_fluxes(jnp.asarray(0), 600.0, 35.0, b.model.eos, state=b.initial).heat
        )
        for name, b in (("warm", warm), ("cold", cold))
    }
    assert heat["warm"] < heat["cold"]
    assert heat["warm"] < 0  # 20 degC sea under 15 degC air, 8 m/s: sensible + latent + longwave out
    assert mean_warming(warm) < min(mean_warming(cold), 0.0)


def test_bulk_freshwater_flux_is_precipitation_minus_evaporation():
    built = build_text(bulk_case(20.0, extra=", precipitation: 1.0e-7"))
    fluxes = built.model.forcing.bulk.fluxes(jnp.asarray(0.0), jnp.asarray(20.0), 0.0, 0.0, 0.0)
    latent = built.model.forcing.bulk.formula(
        8.0, 0.0, 20.0, 15.0, *_q_and_p(15.0), heights=built.model.forcing.bulk.heights
    )
    evaporation = float(latent.evaporation)
    assert evaporation > 0  # a warm sea under unsaturated air evaporates
    assert float(fluxes[3]) == pytest.approx(1e-7 - evaporation, rel=1e-12)
    # latent heat = -L * rho_fresh * E: about 2.45e6 J kg-1 * 1000 kg m-3
    assert -float(latent.latent) / (1000.0 * evaporation) == pytest.approx(2.45e6, rel=0.02)


def _q_and_p(air_temperature):
    from calib.core import airsea

    return airsea.specific_humidity("relative", 70.0, air_temperature, 101325.0), 101325.0


@pytest.mark.parametrize("algorithm", ["kondo", pytest.param("coare35", marks=pytest.mark.slow)])
def test_gradient_of_the_final_sst_reaches_the_bulk_latent_scale(algorithm):
    text = bulk_case(20.0, time="time: {dt: 600 s, duration: 1 h, output_interval: 1 h}")
    built = build_text(text.replace("algorithm: coare35", f"algorithm: {algorithm}"))

    @jax.jit
    def final_sst(scale):
        model = eqx.tree_at(lambda m: m.forcing.bulk.formula.latent_scale, built.model, scale)
        trajectory = simulate(model, built.initial, built.n_saves, built.steps_per_save, checkpoint="none")
        return trajectory.state.T[-1, -1]

    gradient = float(jax.grad(final_sst)(jnp.asarray(1.0)))
    h = 1e-4
    difference = float(final_sst(jnp.asarray(1.0 + h)) - final_sst(jnp.asarray(1.0 - h))) / (2 * h)
    assert gradient < 0  # more evaporation cools the surface
    assert gradient == pytest.approx(difference, rel=1e-6)


def test_bulk_parameters_and_exclusions():
    built = build_text(bulk_case(extra=", parameters: {latent_scale: 1.5, drag_scale: 0.8}"))
    formula = built.model.forcing.bulk.formula
    assert float(formula.latent_scale) == 1.5 and float(formula.drag_scale) == 0.8
    text = case_text(forcing="forcing: {heat_flux: -100, " + WEATHER % "" + "}")
    with pytest.raises(
        ConfigError, match=r"^case.yaml: forcing.heat_flux: cannot be given together with forcing.bulk"
    ):
        build_text(text)
    no_longwave = WEATHER.replace(", longwave_method: net, longwave: -50", ", longwave_method: clark")
    with pytest.raises(
        ConfigError, match=r"forcing.bulk.cloud_cover: missing, needed by longwave_method clark"
    ):
        build_text(case_text(forcing="forcing: {" + no_longwave % "" + "}"))


# ----------------------------------------------------------------------------- plausibility


RANGE = "is outside the plausible range"


@pytest.mark.parametrize(
    ("sections", "fragment"),
    [
        ({"forcing": "forcing: {wind_stress_x: 20}"}, f"forcing.wind_stress_x: 20 Pa {RANGE} [-10, 10] Pa"),
        ({"forcing": "forcing: {heat_flux: {time: [0, 1 day], values: [0, -5000]}}"},
         f"forcing.heat_flux: -5000 W m-2 {RANGE}"),
        ({"forcing": "forcing: {shortwave: 2000}"}, f"forcing.shortwave: 2000 W m-2 {RANGE}"),
        ({"forcing": "forcing: {freshwater_flux: 0.01}"}, "give m s-1"),
        (weather("air_temperature: 15.0", "air_temperature: 288"),
         f"forcing.bulk.air_temperature: 288 degC {RANGE} [-60, 60] degC; it looks like kelvin"),
        (weather("air_pressure: 101325", "air_pressure: 1013"),
         f"forcing.bulk.air_pressure: 1013 Pa {RANGE} [85000, 110000] Pa; it looks like hPa"),
        (weather("humidity: 70", "humidity: 0.7"),
         "forcing.bulk.humidity: relative humidity at most 0.7 %; it looks like a fraction"),
        (weather("humidity: 70, humidity_type: relative", "humidity: 8"),
         f"forcing.bulk.humidity: 8 kg kg-1 {RANGE} [0, 0.05] kg kg-1; it looks like g/kg"),
        (weather("wind_x: 8.0", "wind_x: 100"), f"forcing.bulk.wind_x: 100 m s-1 {RANGE}"),
        ({"initial": "initial: {T: 45, S: 35}"}, f"initial.T: 45 degC {RANGE} [-3, 40] degC"),
        ({"initial": "initial: {T: 10, S: 60}"}, f"initial.S: 60 psu {RANGE} [0, 50] psu"),
    ],
)  # fmt: skip
def test_implausible_forcing_and_initial_states_are_one_line_errors(sections, fragment):
    with pytest.raises(ConfigError) as error:
        build_text(case_text(**sections))
    message = str(error.value)
    assert fragment in message and "\n" not in message and message.startswith("case.yaml: ")


def test_an_implausible_forcing_file_names_the_file_and_variable(tmp_path):
    dataset = xr.Dataset({"Q": ("time", [-100.0, 4000.0])}, coords={"time": [0.0, 86400.0]})
    dataset.to_netcdf(tmp_path / "forcing.nc")
    with pytest.raises(ConfigError) as error:
        build_text(case_text(forcing="forcing: {heat_flux: {file: forcing.nc, variable: Q}}"), tmp_path)
    message = str(error.value)
    assert "forcing.heat_flux: 4000 W m-2 is outside the plausible range" in message
    assert "variable 'Q' of" in message and "forcing.nc" in message
