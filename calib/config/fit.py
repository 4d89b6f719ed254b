"""Calibration settings: the `fit:` section of a case file and the `calib fit` options.

Imports no JAX (the command line parses options before JAX loads). Keys of ``fit:``, all
optional; a command-line option overrides the key of the same meaning::

    fit:
      parameters: [nu0, alpha]       # closure parameters to fit (--params)
      observations: obs.nc           # NetCDF, relative to the case file (--obs)
      weights: {T: 1, u: 0.5}        # variables fitted and their weights (--weights): T, S, u, v,
                                     # epsilon (log10, closures with epsilon), SST (T at 1 m);
                                     # default: every observed variable of T, S, u, v, weight 1
                                     # (SST and epsilon when the file holds nothing else)
      windows: [[0 h, 24 h], [24 h, 48 h]]  # time windows (--window); default the whole run;
                                     # or {every: 30 days}: consecutive windows of that length
      optimizer: lbfgs               # lbfgs | adam | eki (--optimizer)
      iterations: 50                 # most parameter updates (--iterations)
      tolerance: 1.0e-6              # stop tolerance (--tolerance), see `calib.calibration.optimise`
      learning_rate: 0.05            # Adam peak learning rate in unconstrained units
      prior: 0.0                     # weight of the pull toward the starting values
      save_every: 5                  # iterations between resume saves (--save-every)
      checkpoint: auto               # checkpoint scheme of the gradient: auto (step when the saved
                                     # states fit in CHECKPOINT_MEMORY, else recursive) or a scheme
      spin_up: 1 day                 # closure spin-up of windows that start from observed profiles
      time_tolerance: 30 min         # largest |observation time - save time| (default half
                                     # the output interval)
      landscape: [nu0, alpha]        # also map the loss over these two (--landscape)

A window is ``[start, end]``: durations since the model's time origin ("0 h", "2 days") or
ISO dates; both must be whole multiples of ``time.output_interval`` inside the run.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

from calib.common.errors import ConfigError
from calib.common.vocabulary import CHECKPOINT_SCHEMES, FITTABLE
from calib.config.reader import Node, comma_list

FIT_KEYS = (
    "parameters",
    "observations",
    "weights",
    "windows",
    "optimizer",
    "iterations",
    "tolerance",
    "learning_rate",
    "prior",
    "save_every",
    "checkpoint_every",  # the old name of save_every
    "time_tolerance",
    "checkpoint",
    "spin_up",
    "landscape",
)
OPTIMIZERS = ("lbfgs", "adam", "eki")  # eki: calib.calibration.eki (derivative-free)
DEFAULT_ITERATIONS = {"lbfgs": 50, "adam": 200, "eki": 10}

# A window bound: seconds since the time origin (float) or a date (resolved later).
WindowBound = float | datetime.datetime


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """Validated calibration settings (see the module docstring for the meaning of each).

    Attributes:
        parameters: names of the closure parameters to fit.
        observations: observation file, or None (the command line gives it).
        weights: variable -> weight (> 0); None = every observed variable, weight 1.
        windows: (start, end) pairs; empty = the whole run.
        window_length: length (s) of consecutive windows covering the run, or None.
        optimizer: "lbfgs" or "adam".
        iterations: most parameter updates.
        tolerance: stop tolerance (relative loss decrease or gradient norm).
        learning_rate: Adam peak learning rate (unconstrained units).
        prior: weight of the Gaussian pull toward the starting values (unconstrained space).
        save_every: iterations between saves of the resume files (`calib fit --resume`).
        time_tolerance: largest |observation time - save time| (s), None = half an interval.
        checkpoint: checkpoint scheme of the loss gradient, or "auto" (`calib.calibration.problem`).
        spin_up: seconds of closure spin-up for windows that start from observed profiles.
        landscape: two parameter names to map the loss over, or None.
    """

    parameters: tuple[str, ...] = ()
    observations: Path | None = None
    weights: dict[str, float] | None = None
    windows: tuple[tuple[WindowBound, WindowBound], ...] = ()
    window_length: float | None = None
    optimizer: str = "lbfgs"
    iterations: int = DEFAULT_ITERATIONS["lbfgs"]
    tolerance: float = 1e-6
    learning_rate: float = 0.05
    prior: float = 0.0
    save_every: int = 5
    time_tolerance: float | None = None
    checkpoint: str = "auto"
    spin_up: float = 86400.0
    landscape: tuple[str, str] | None = None


def parse_fit_section(section: dict[str, Any], source: str, base_dir: Path) -> FitSettings:
    """Validate a case's ``fit:`` mapping (keys in the module docstring).

    Raises:
        ConfigError: unknown key, wrong type or value, naming ``fit.<key>`` in `source`.
    """
    root = Node(section, "fit", source, Path(base_dir))
    fields = root.mapping(FIT_KEYS)
    values: dict[str, Any] = {}
    if "parameters" in fields:
        values["parameters"] = names(fields["parameters"], "write e.g. [nu0, alpha]")
    if "observations" in fields:
        values["observations"] = fields["observations"].existing_file()
    if "weights" in fields:
        values["weights"] = weights(fields["weights"])
    if "windows" in fields and isinstance(fields["windows"].value, dict):
        every = fields["windows"].mapping(("every",), ("every",))["every"]
        values["window_length"] = every.duration("window length")
    elif "windows" in fields:
        values["windows"] = windows(fields["windows"])
    if "optimizer" in fields:
        values["optimizer"] = fields["optimizer"].choice(OPTIMIZERS)
        values["iterations"] = DEFAULT_ITERATIONS[values["optimizer"]]
    if "iterations" in fields:
        values["iterations"] = fields["iterations"].integer(1, "give the number of iterations (>= 1)")
    for key in ("tolerance", "learning_rate"):
        if key in fields:
            values[key] = fields[key].positive()
    if "prior" in fields:
        values["prior"] = fields["prior"].number(lower=0.0)
    for key in ("save_every", "checkpoint_every"):  # checkpoint_every: the old name
        if key in fields:
            values["save_every"] = fields[key].integer(1, "give a number of iterations >= 1")
    if "time_tolerance" in fields:
        values["time_tolerance"] = fields["time_tolerance"].duration("time tolerance")
    if "checkpoint" in fields:
        values["checkpoint"] = fields["checkpoint"].choice(("auto", *CHECKPOINT_SCHEMES))
    if "spin_up" in fields:
        values["spin_up"] = fields["spin_up"].duration("spin-up", positive=False)
        if values["spin_up"] < 0:
            fields["spin_up"].fail("must be >= 0", "give a duration such as '1 day', or 0 to start cold")
    if "landscape" in fields:
        pair = names(fields["landscape"], "write two parameter names, e.g. [nu0, alpha]")
        if len(pair) != 2:
            fields["landscape"].fail(f"must name two parameters (got {len(pair)})", "write e.g. [nu0, alpha]")
        values["landscape"] = pair
    return FitSettings(**values)


def names(node: Node, fix: str) -> tuple[str, ...]:
    """A non-empty list of distinct names (a single name is accepted as a list of one)."""
    value = [node.value] if isinstance(node.value, str) else node.value
    if not isinstance(value, list) or not value:
        node.fail("must be a non-empty list of names", fix)
    result = tuple(node.child(i, v).string() for i, v in enumerate(value))
    if len(set(result)) != len(result):
        node.fail("lists a name twice", "remove the repeated name")
    return result


def weights(node: Node) -> dict[str, float]:
    """Variable -> weight >= 0 (variables among FITTABLE; 0 drops a variable)."""
    fields = node.mapping(FITTABLE)
    result = {name: child.number(lower=0.0) for name, child in fields.items()}
    if not any(result.values()):
        node.fail("gives every variable weight 0", "give at least one variable a positive weight")
    return {name: weight for name, weight in result.items() if weight > 0}


def window_bound(node: Node) -> WindowBound:
    """A duration since the origin (number of seconds or '24 h') or an ISO date."""
    value = node.value
    if isinstance(value, datetime.date) or (isinstance(value, str) and _looks_like_date(value)):
        return node.timestamp()
    return node.duration("window bound", positive=False)


def _looks_like_date(text: str) -> bool:
    text = text.strip()
    return len(text) >= 10 and text[4] == "-" and text[7] == "-"


def windows(node: Node) -> tuple[tuple[WindowBound, WindowBound], ...]:
    """A list of [start, end] pairs (or {start, end} mappings)."""
    if not isinstance(node.value, list) or not node.value:
        node.fail("must be a list of [start, end] pairs", "write e.g. [[0 h, 24 h], [24 h, 48 h]]")
    result = []
    for index, item in enumerate(node.value):
        child = node.child(index, item)
        if isinstance(item, dict):
            fields = child.mapping(("start", "end"), ("start", "end"))
            pair = (window_bound(fields["start"]), window_bound(fields["end"]))
        elif isinstance(item, list) and len(item) == 2:
            pair = (window_bound(child.child(0, item[0])), window_bound(child.child(1, item[1])))
        else:
            child.fail("must be a pair [start, end]", "write e.g. [0 h, 24 h]")
        result.append(pair)
    return tuple(result)


def parse_window_option(text: str) -> tuple[WindowBound, WindowBound] | float:
    """`--window START,END` (durations such as 0h,24h or ISO dates) -> a window pair;
    `--window LENGTH` (e.g. 30days) -> the length of consecutive windows (s)."""
    parts = [part.strip() for part in text.split(",")]
    node = Node(parts, f"--window {text}", "command line", Path.cwd())
    if len(parts) == 1 and parts[0] and not _looks_like_date(parts[0]):
        return node.child(0, parts[0]).duration("window length")
    if len(parts) != 2 or not all(parts):
        node.fail("must be START,END or LENGTH", "write e.g. --window 0h,24h or --window 30days")
    return window_bound(node.child(0, parts[0])), window_bound(node.child(1, parts[1]))


def parse_weights_option(text: str) -> dict[str, float]:
    """`--weights T=1,S=0.5` -> {"T": 1.0, "S": 0.5}."""
    mapping: dict[str, Any] = {}
    for item in comma_list(text, "--weights", example="T=1,S=0.5"):
        name, _, value = item.partition("=")
        try:
            mapping[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(
                f"--weights {text}: cannot read {item!r}; write NAME=NUMBER pairs such as T=1,S=0.5"
            ) from None
    return weights(Node(mapping, "--weights", "command line", Path.cwd()))


def parse_names_option(text: str, option: str) -> tuple[str, ...]:
    """`--params a,b` -> ("a", "b")."""
    parts = comma_list(text, option, example="nu0,alpha")
    return names(Node(parts, option, "command line", Path.cwd()), f"write e.g. {option} nu0,alpha")


def with_overrides(settings: FitSettings, **overrides: Any) -> FitSettings:
    """Settings with every override that is not None applied (a new optimizer resets the
    default iteration count unless iterations are given too)."""
    given = {key: value for key, value in overrides.items() if value is not None and value != ()}
    if "optimizer" in given and "iterations" not in given and given["optimizer"] != settings.optimizer:
        given["iterations"] = DEFAULT_ITERATIONS[given["optimizer"]]
    return dataclasses.replace(settings, **given)
