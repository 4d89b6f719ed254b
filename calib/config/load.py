"""Reading a case: a YAML file (or text, or a mapping) -> a validated `calib.config.schema.Case`.

Imports no JAX. Every mistake raises a one-line `calib.common.errors.ConfigError` naming the file,
the key and the fix.
"""

from __future__ import annotations

from pathlib import Path

from calib.common.errors import ConfigError
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
    from calib.config import sections as read

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
    )
