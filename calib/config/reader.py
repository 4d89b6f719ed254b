"""Strict readers for YAML values, used by `calib.config.schema` (no JAX, no numpy needed).

A `Node` is one raw YAML value together with its dotted key (``time.dt``), the file it came
from and the folder relative paths are resolved against. Each reader method checks the type
and range of the value and raises a one-line `ConfigError`:
``<file>: <key>: <what is wrong>; <how to fix it>``.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import yaml

from calib.common.errors import ConfigError, suggest

SECONDS_PER_UNIT = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
}
_DURATION = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that reads 1e-3 as a float (YAML 1.1 wants 1.0e-3) and rejects duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):  # e.g. '? [a, b]'
                raise yaml.constructor.ConstructorError(
                    None, None, f"a {type(key).__name__} as a key", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        """A date such as 2010-13-01 fails with its line instead of a bare ValueError."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"{error} in the date {node.value!r}", node.start_mark
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error becomes a ConfigError naming the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = " ".join(str(getattr(error, "problem", None) or error).split())
        fix = (
            "keep one of them"
            if problem.startswith("duplicate key")
            else "check the indentation, colons and quotes"
        )
        raise ConfigError(f"{source}: {where}: invalid YAML ({problem}); {fix}") from None
    except (ValueError, TypeError, RecursionError) as error:  # constructors of exotic tags
        raise ConfigError(f"{source}: YAML: cannot read a value ({error}); check the file") from None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return repr(value)


@dataclasses.dataclass(frozen=True)
class Node:
    """One raw YAML value, where it came from, and strict readers for it."""

    value: Any
    key: str
    source: str
    base_dir: Path

    def fail(self, problem: str, fix: str) -> NoReturn:
        """Raise the one-line ConfigError for this key."""
        raise ConfigError(f"{self.source}: {self.key or 'top level'}: {problem}; {fix}")

    def child(self, name: str | int, value: Any) -> Node:
        """The node of a value nested under this one."""
        key = f"{self.key}[{name}]" if isinstance(name, int) else f"{self.key}.{name}".lstrip(".")
        return Node(value, key, self.source, self.base_dir)

    def mapping(self, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Node]:
        """Check this is a mapping with only `allowed` keys and every `required` key."""
        allowed = list(allowed)
        if not isinstance(self.value, Mapping):
            self.fail(f"must be a mapping (got {_show(self.value)})", "write it as 'key: value' lines")
        for name in self.value:
            if name not in allowed:
                self.child(str(name), None).fail(
                    f"unknown key{suggest(name, allowed)}", f"use one of {', '.join(allowed)}"
                )
        for name in required:
            if name not in self.value:
                self.child(name, None).fail(
                    "missing required key", f"add '{name}:' to {self.key or 'the file'}"
                )
        return {name: self.child(name, value) for name, value in self.value.items()}

    def number(self, *, lower: float = -math.inf, upper: float = math.inf, units: str = "") -> float:
        """A real number (not a bool, not a string) within [lower, upper]."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            fix = (
                "write it without quotes"
                if isinstance(value, str)
                else f"give a number{units and f' in {units}'}"
            )
            self.fail(f"must be a number (got {_show(value)})", fix)
        value = float(value)
        if not math.isfinite(value):
            self.fail(f"must be finite (got {value})", "give a finite number")
        if not lower <= value <= upper:
            if math.isinf(upper):
                problem, fix = f"must be >= {lower:g}", f"give a value of at least {lower:g}"
            elif math.isinf(lower):
                problem, fix = f"must be <= {upper:g}", f"give a value of at most {upper:g}"
            else:
                problem, fix = f"must be within [{lower:g}, {upper:g}]", "give a value inside the bounds"
            self.fail(f"{problem} (got {value:g})", fix)
        return value

    def positive(self, units: str = "", fix: str = "") -> float:
        """A number > 0."""
        value = self.number(units=units)
        if value <= 0:
            self.fail(
                f"must be > 0 (got {value:g})", fix or f"give a positive number{units and f' in {units}'}"
            )
        return value

    def integer(self, minimum: int, fix: str) -> int:
        """An integer >= minimum."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"must be an integer (got {_show(value)})", fix)
        if value < minimum:
            self.fail(f"must be >= {minimum} (got {value})", fix)
        return value

    def string(self) -> str:
        """A non-empty string."""
        if not isinstance(self.value, str) or not self.value.strip():
            self.fail(f"must be a text (got {_show(self.value)})", "write a name")
        return self.value

    def choice(self, options: Iterable[str]) -> str:
        """One of `options` (a did-you-mean hint otherwise)."""
        options = list(options)
        value = self.string()
        if value not in options:
            self.fail(f"unknown value {value!r}{suggest(value, options)}", f"use one of {', '.join(options)}")
        return value

    def duration(self, what: str = "duration", *, positive: bool = True) -> float:
        """Seconds from a number (s) or a string with units: '600 s', '10 min', '24 h', '2 days'."""
        value = self.value
        if isinstance(value, str):
            match = _DURATION.match(value)
            unit = match.group(2).lower() if match else None
            if match is None or (unit and unit not in SECONDS_PER_UNIT):
                self.fail(
                    f"cannot read {value!r} as a {what}",
                    "write seconds or e.g. '600 s', '10 min', '24 h', '2 days'",
                )
            seconds = float(match.group(1)) * SECONDS_PER_UNIT.get(unit, 1.0)
        else:
            seconds = self.number(units="s")
        if positive and seconds <= 0:
            self.fail(f"must be > 0 (got {seconds:g})", f"set a positive {what} in seconds")
        return seconds

    def number_list(self, min_length: int = 1) -> tuple[float, ...]:
        """A list of at least `min_length` numbers."""
        if not isinstance(self.value, list) or len(self.value) < min_length:
            self.fail(
                f"must be a list of at least {min_length} numbers (got {_show(self.value)})",
                "write [a, b, ...]",
            )
        return tuple(self.child(i, v).number() for i, v in enumerate(self.value))

    def existing_file(self) -> Path:
        """A path (relative to the case file's folder) to a file that exists."""
        path = Path(self.string()).expanduser()
        path = path if path.is_absolute() else self.base_dir / path
        if not path.is_file():
            self.fail(f"file not found: {path}", "give a path relative to the folder of the case file")
        return path

    def timestamp(self) -> datetime.datetime:
        """An ISO 8601 date or date-time, returned as naive UTC."""
        value = self.value
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                self.fail(f"cannot read {value!r} as a date", "write an ISO date such as 2010-06-15T00:00:00")
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime(value.year, value.month, value.day)
        if not isinstance(value, datetime.datetime):
            self.fail(f"must be a date (got {_show(value)})", "write an ISO date such as 2010-06-15T00:00:00")
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value


def comma_list(
    text: str | None,
    option: str,
    *,
    convert: Callable[[str], Any] = str,
    allowed: Iterable | None = None,
    example: str = "",
    minimum: float | None = None,
) -> list:
    """'a,b' from a command-line option -> [a, b], each converted and checked; the one parser of
    comma-separated options. A one-line ConfigError names the option, the bad item and the fix.

    Args:
        text: the option's value.
        option: its name, e.g. "--steps".
        convert: str, int or float.
        allowed: the values it may take (None: any).
        example: a valid value for the message, e.g. "1000,4000".
        minimum: smallest allowed number (for int and float).
    """
    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    kind = {int: "integers", float: "numbers"}.get(convert, "names")
    fix = f"write e.g. {option} {example}" if example else f"give comma-separated {kind}"
    if not items:
        raise ConfigError(f"{option} {text!r}: no value given; {fix}")
    values = []
    for item in items:
        try:
            value = convert(item)
        except ValueError:
            raise ConfigError(
                f"{option} {text}: cannot read {item!r} as one of comma-separated {kind}; {fix}"
            ) from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{option} {text}: {item} is below {minimum:g}; {fix}")
        if allowed is not None and value not in allowed:
            options = [str(a) for a in allowed]
            hint, listed = suggest(item, options), ", ".join(options)
            raise ConfigError(f"{option} {text}: unknown value {item!r}{hint}; use some of {listed}")
        values.append(value)
    return values
