"""Reading a case: a YAML file (or text, or a mapping) -> a validated `calib.config.schema.Case`.

Imports no JAX. Every mistake raises a one-line `calib.common.errors.ConfigError` naming the file,
the key and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from calib.common.errors import ConfigError
from calib.config import sections as read
from calib.config.reader import Node, load_yaml
from calib.config.schema import REQUIRED_KEYS, TOP_LEVEL_KEYS, Case


def load_case(path: str | Path) -> Case:
    """Read and validate a case file; relative paths in it are relative to its folder."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the case file ({error.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text (UTF-8) file; give a YAML case file") from None
    return parse_case(text, source=str(path), base_dir=path.parent)


def parse_case(
    text_or_dict: str | dict, source: str = "<string>", base_dir: str | Path | None = None
) -> Case:
    """Validate a case given as YAML text or as an already parsed mapping.

    Args:
        text_or_dict: YAML text or a mapping with the layout of a case file.
        source: name used in error messages (the file name).
        base_dir: folder for relative paths; defaults to the folder of `source` when `source`
            is a path, else the current directory.
    """
    if base_dir is None:
        base_dir = Path(source).parent if source != "<string>" else Path.cwd()
    data = load_yaml(text_or_dict, source) if isinstance(text_or_dict, str) else text_or_dict
    root = Node(data, "", source, Path(base_dir))
    if data is None:
        root.fail("the case is empty", f"add the sections {', '.join(REQUIRED_KEYS)}")
    sections = root.mapping(TOP_LEVEL_KEYS, REQUIRED_KEYS)

    def section(name: str) -> Node:
        node = sections.get(name)
        return root.child(name, {}) if node is None or node.value is None else node

    default_name = Path(source).stem if source != "<string>" else "case"
    return Case(
        name=sections["name"].string() if "name" in sections else default_name,
        description=sections["description"].string() if "description" in sections else "",
        grid=read.grid(section("grid")),
        time=read.time(section("time")),
        initial=read.initial(section("initial")),
        equation_of_state=read.equation_of_state(section("equation_of_state")),
        forcing=read.forcing(section("forcing")),
        closure=read.closure(section("closure")),
        numerics=read.numerics(section("numerics")),
        output=read.output(section("output")),
        fit=read.free_form(section("fit")),
        observations=read.free_form(section("observations")),
        source=source,
        base_dir=Path(base_dir),
        text=text_or_dict if isinstance(text_or_dict, str) else dump_yaml(text_or_dict),
        relaxation=read.relaxation(section("relaxation")),
        pressure_gradient=read.pressure_gradient(section("pressure_gradient")),
    )


def dump_yaml(data: dict) -> str:
    """YAML text of a case mapping (keys in their given order)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def case_mapping(case: Case) -> dict:
    """The case as the mapping its YAML text holds."""
    return load_yaml(case.text, case.source) or {} if case.text else {}


def with_closure(
    case: Case,
    name: str | None = None,
    *,
    parameters: dict[str, float] | None = None,
    variants: dict[str, str] | None = None,
) -> Case:
    """The case with another closure (its defaults, unless `parameters`/`variants` are given),
    or with the given parameters and variants added to its own; validated again, text included.

    Args:
        name: a closure name (`calib closures` lists them); None keeps the case's closure.
        parameters: (dotted) parameter name -> value, overriding the case's.
        variants: field -> implementation name, overriding the case's.
    """
    data = case_mapping(case)
    closure = data.get("closure")
    closure = {"name": closure} if isinstance(closure, str) else dict(closure or {})
    if name is not None and name != closure.get("name"):
        closure = {"name": name}
    closure.update(variants or {})
    if parameters:
        closure["parameters"] = {
            **(closure.get("parameters") or {}),
            **{k: float(v) for k, v in parameters.items()},
        }
    data["closure"] = closure
    return parse_case(dump_yaml(data), source=case.source, base_dir=case.base_dir)


PATH_KEYS = ("file", "observations")  # keys whose values are file paths relative to the case


def rebase_paths(data, base_dir: Path, out_dir: Path):
    """A copy of a case mapping whose relative file paths (under `PATH_KEYS`, relative to
    `base_dir`) are made relative to `out_dir`, so that the case runs from there."""
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            if key in PATH_KEYS and isinstance(value, str) and not Path(value).is_absolute():
                value = os.path.relpath((Path(base_dir) / value).resolve(), Path(out_dir).resolve())
            result[key] = rebase_paths(value, base_dir, out_dir)
        return result
    if isinstance(data, list):
        return [rebase_paths(item, base_dir, out_dir) for item in data]
    return data
