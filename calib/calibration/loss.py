"""The calibration loss: weighted, normalised, NaN-safe misfit over windows and cases.

    loss(theta) = sum_v w_v / (var_v N_v) sum_{obs of v} (model - observed)^2
                  + prior * mean(((theta - theta_default) / sigma)^2)

with w_v the weight of variable v, var_v the variance of its observations (floored, see
`calib.calibration.targets.VARIANCE_FLOOR`) and N_v their number over every window and case, so the
data term is the weighted mean squared error in units of each variable's variance (1 ~ as bad
as a constant at the observed mean), independent of how the record is split into windows.
Unobserved (NaN) targets contribute exactly zero to the value and to the gradient. The
dissipation rate epsilon is compared on a log10 scale (model - observed = log10 eps_model -
log10 eps_obs, var_v in decades²); SST is the model's (`calib.analysis.diagnostics`, T at 1 m)
against the observed series. The prior
is a Gaussian in the unconstrained space centred on the closure's defaults, its standard
deviations sigma the published spreads of the parameters (`calib.core.params.param`'s
``spread``, documented with its source), mapped into unconstrained units at the defaults.

Experiments (a window of a case) whose run plan and array shapes agree form a `Group` and run
batched with `vmap` (windows of one case share the model; cases with equal shapes stack it).
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, Float, Int

from calib.calibration.targets import LOGARITHMIC, Targets
from calib.common.vocabulary import FITTABLE, PROGNOSTIC
from calib.core.integrate import run_saves
from calib.core.model import Carry, ColumnModel, initial_carry, step
from calib.core.state import State
from calib.core.trainable import Theta, Trainable


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One run to compare with observations: a window of a case (host-side description).

    Attributes:
        label: e.g. "kato_phillips [0 h, 24 h]".
        model: the case's ColumnModel (its closure holds the starting parameters).
        initial: state at the window start.
        start_step: steps from the time origin to the window start.
        n_saves, steps_per_save, checkpoint: run plan of the window.
        targets: observations at the n_saves saves after the start.
        save_times: seconds since the time origin of those saves.
        origin: the time origin (the case's start), datetime64.
        spin_up_steps: steps of closure spin-up before a window that starts from observed
            profiles (`spun_up`; 0 for a window at the case's start).
        sst_weights: w (nz,) with model SST = w @ T (`calib.calibration.targets.sst_weights`),
            or None when SST is not fitted.
    """

    label: str
    model: ColumnModel
    initial: State
    start_step: int
    n_saves: int
    steps_per_save: int
    checkpoint: str
    targets: Targets
    save_times: np.ndarray
    origin: np.datetime64
    spin_up_steps: int = 0
    sst_weights: np.ndarray | None = None


def spun_up(model: ColumnModel, carry: Carry, steps: int) -> Carry:
    """The carry with the closure's state spun up: `steps` steps of the model from the window's
    initial state with the forcing held at the window's start, of which only the closure's state
    (TKE, epsilon, ...) and diffusivities are kept; the mean state stays the observed one. A
    window that starts from observed profiles then begins with turbulence in balance with them
    instead of at its minima. Differentiable (each spin-up step checkpointed)."""

    def one(c, _):
        c = step(model, c)
        return eqx.tree_at(lambda c: c.step, c, carry.step), None  # the clock stays at the start

    spun, _ = lax.scan(jax.checkpoint(one), carry, None, length=steps)
    return Carry(step=carry.step, state=carry.state, closure_state=spun.closure_state,
                 diffusivities=spun.diffusivities, shear_production=carry.shear_production)  # fmt: skip


class Group(eqx.Module):
    """Experiments run together with `vmap` (leading axis = member)."""

    model: ColumnModel  # stacked along axis 0 when `model_batched`
    initial: State  # leaves (members, nz)
    start_step: Int[Array, "members"]
    targets: Targets  # leaves (members, n_saves, nz)
    n_saves: int = eqx.field(static=True)
    steps_per_save: int = eqx.field(static=True)
    checkpoint: str = eqx.field(static=True)
    model_batched: bool = eqx.field(static=True)
    spin_up_steps: int = eqx.field(static=True, default=0)
    sst_weights: Float[Array, "members nz"] | None = None

    def states(self, trainable: Trainable, theta: Theta) -> Targets:
        """Model values of the fitted variables at the saves after the start of every member, in a
        `Targets` shaped as the observed one (leaves (members, n_saves, levels))."""
        names = [name for name in FITTABLE if getattr(self.targets, name) is not None]

        def one(model: ColumnModel, initial: State, start_step, sst_weights) -> Targets:
            model = eqx.tree_at(lambda m: m.closure, model, trainable.apply(model.closure, theta))
            carry = initial_carry(model, initial)
            carry = eqx.tree_at(lambda c: c.step, carry, start_step)
            if self.spin_up_steps:  # windows at the case's start begin from its own initial state
                warm = spun_up(model, carry, self.spin_up_steps)
                carry = jax.tree.map(lambda a, b: jnp.where(start_step > 0, a, b), warm, carry)
            _, saved = run_saves(model, carry, self.n_saves, self.steps_per_save, checkpoint=self.checkpoint)
            return observed_values(names, saved[0], saved[1], sst_weights)

        model_axis = eqx.if_array(0) if self.model_batched else None
        weights_axis = None if self.sst_weights is None else 0
        return eqx.filter_vmap(one, in_axes=(model_axis, 0, 0, weights_axis))(
            self.model, self.initial, self.start_step, self.sst_weights
        )


def observed_values(names, states: State, closure_states, sst_weights) -> Targets:
    """The model's counterpart of each fitted variable from saved states (n_saves, nz) and
    closure states: u, v, T, S as they are, SST = T @ sst_weights as (n_saves, 1), epsilon the
    closure state's dissipation rate at the faces (n_saves, nz + 1)."""
    values = {}
    for name in names:
        if name in PROGNOSTIC:
            values[name] = getattr(states, name)
        elif name == "SST":
            values[name] = (states.T @ sst_weights)[:, None]
        elif name == "epsilon":
            values[name] = closure_states.epsilon
    return Targets(**values)


def misfit(model: Array, observed: Array) -> Array:
    """model - observed where observed is finite, exactly 0 (value and gradient) elsewhere.

    The one definition of the misfit: the loss, its residuals and ensemble Kalman inversion all
    use it (`misfit_of` for a named variable)."""
    seen = jnp.isfinite(observed)
    return jnp.where(seen, model - jnp.where(seen, observed, 0.0), 0.0)


SMALLEST_EPSILON = 1e-30  # m2 s-3: model values are clipped here before log10 (value and gradient finite)


def misfit_of(name: str, model: Array, observed: Array) -> Array:
    """`misfit` on the scale a variable is fitted on: log10 for `LOGARITHMIC` ones (epsilon)."""
    if name in LOGARITHMIC:
        seen = jnp.isfinite(observed) & (observed > 0)
        logarithm = jnp.log10(jnp.where(seen, observed, 1.0))
        return misfit(jnp.log10(jnp.maximum(model, SMALLEST_EPSILON)), jnp.where(seen, logarithm, jnp.nan))
    return misfit(model, observed)


class Problem(eqx.Module):
    """Everything the loss needs, as one pytree (arrays are jit arguments, not constants).

    Attributes:
        trainable: the fitted parameters and their transforms.
        groups: batched experiments.
        scales: variable -> w_v / (var_v N_v) (see the module docstring).
        theta_start: unconstrained starting parameters.
        prior: weight of the prior (0: none).
        prior_center: unconstrained closure defaults, the centre of the prior.
        prior_scale: the prior's standard deviations in unconstrained units (the published
            spreads, `calib.core.params.ParameterInfo.spread`, mapped at the defaults).
        labels: label of each experiment, group by group.
    """

    trainable: Trainable = eqx.field(static=True)
    groups: tuple[Group, ...]
    scales: dict[str, Float[Array, ""]]
    theta_start: Theta
    prior: Float[Array, ""]
    prior_center: Theta
    prior_scale: Theta
    labels: tuple[str, ...] = eqx.field(static=True)

    def predictions(self, theta: Theta) -> tuple[Targets, ...]:
        """Model states of every group at the parameters theta."""
        return tuple(group.states(self.trainable, theta) for group in self.groups)

    def errors_of(self, predictions: tuple[Targets, ...]) -> list[tuple[str, Array]]:
        """(variable, misfit (members, n_saves, nz)) of every group and fitted variable; the data
        term of the loss is the sum over them of scales[variable] * sum(misfit²)."""
        parts = []
        for group, states in zip(self.groups, predictions, strict=True):
            for name in FITTABLE:
                observed = getattr(group.targets, name)
                if observed is not None:
                    parts.append((name, misfit_of(name, getattr(states, name), observed)))
        return parts

    def errors(self, theta: Theta) -> list[tuple[str, Array]]:
        """`errors_of` the predictions at theta."""
        return self.errors_of(self.predictions(theta))

    def prior_residuals(self, theta: Theta) -> Float[Array, "p"]:
        """r with prior term = sum(r**2) = prior * mean(((theta - centre) / scale)**2)."""
        return jnp.sqrt(self.prior / self.trainable.size) * (theta - self.prior_center) / self.prior_scale

    def residuals_of(self, errors: list[tuple[str, Array]], theta: Theta) -> Float[Array, "n"]:
        """Weighted residuals r (data then prior) with loss = sum(r**2)."""
        data = [jnp.sqrt(self.scales[name]) * error.reshape(-1) for name, error in errors]
        return jnp.concatenate([*data, self.prior_residuals(theta)])

    def residuals(self, theta: Theta) -> Float[Array, "n"]:
        """`residuals_of` the errors at theta."""
        return self.residuals_of(self.errors(theta), theta)

    def loss_of(self, errors: list[tuple[str, Array]], theta: Theta) -> Float[Array, ""]:
        """The loss from the misfits `errors(theta)` (for callers that need both)."""
        data = sum(self.scales[name] * jnp.sum(error**2) for name, error in errors)
        return data + jnp.sum(self.prior_residuals(theta) ** 2)

    def loss(self, theta: Theta) -> Float[Array, ""]:
        """The scalar loss (see the module docstring)."""
        return self.loss_of(self.errors(theta), theta)

    def with_closure_values(self, values) -> Problem:
        """A copy whose models start from the given physical values of the fitted parameters."""
        groups = tuple(
            eqx.tree_at(lambda g: g.model.closure, g, self.trainable.apply_values(g.model.closure, values))
            for g in self.groups
        )
        return dataclasses.replace(self, groups=groups)


def loss_and_outputs(theta: Theta, problem: Problem):
    """(loss, (weighted residuals, predictions)): what the optimiser, the uncertainty estimate and
    the outputs need, from one run of the model (compiled once per problem shape)."""
    predictions = problem.predictions(theta)
    residuals = problem.residuals_of(problem.errors_of(predictions), theta)
    return jnp.sum(residuals**2), (residuals, predictions)


def _group_key(experiment: Experiment):
    dynamic, static = eqx.partition(experiment.model, eqx.is_array)
    shapes = tuple((leaf.shape, leaf.dtype) for leaf in jax.tree.leaves(dynamic))
    observed = tuple(name for name in FITTABLE if getattr(experiment.targets, name) is not None)
    plan = (
        experiment.n_saves,
        experiment.steps_per_save,
        experiment.checkpoint,
    )  # windows with and without spin-up share a group (one compile): `Group.states` selects
    return plan, observed, jax.tree.structure(dynamic), jax.tree.structure(static), shapes


def _stack(trees):
    return jax.tree.map(lambda *leaves: jnp.stack([jnp.asarray(x) for x in leaves]), *trees)


def make_groups(experiments: list[Experiment]) -> tuple[tuple[Group, ...], list[Experiment]]:
    """Experiments with equal run plans and shapes batched into Groups; also the experiments in
    the order of the groups' members (group by group)."""
    buckets: dict = {}
    for experiment in experiments:
        buckets.setdefault(_group_key(experiment), []).append(experiment)
    groups, ordered = [], []
    for members in buckets.values():
        first = members[0]
        shared = all(m.model is first.model for m in members)
        if shared:
            model = first.model
        else:
            dynamic = [eqx.partition(m.model, eqx.is_array)[0] for m in members]
            model = eqx.combine(_stack(dynamic), eqx.partition(first.model, eqx.is_array)[1])
        targets = Targets(**{
            name: jnp.stack([jnp.asarray(getattr(m.targets, name)) for m in members])
            for name in FITTABLE if getattr(first.targets, name) is not None
        })  # fmt: skip
        groups.append(Group(
            model=model,
            initial=_stack([m.initial for m in members]),
            start_step=jnp.asarray([m.start_step for m in members], dtype=jnp.int32),
            targets=targets,
            n_saves=first.n_saves,
            steps_per_save=first.steps_per_save,
            checkpoint=first.checkpoint,
            model_batched=not shared,
            spin_up_steps=max(m.spin_up_steps for m in members),
            sst_weights=None if first.sst_weights is None else _stack([m.sst_weights for m in members]),
        ))  # fmt: skip
        ordered += members
    return tuple(groups), ordered
