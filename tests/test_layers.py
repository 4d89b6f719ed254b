"""The package's layers stay layers: import-linter contracts (pyproject.toml), the top-level
layout, cheap imports of the vocabulary and configuration layers, and the public API names."""

import subprocess
import sys

import pytest

from tests.conftest_paths import ROOT

pytest.importorskip("importlinter")


def test_import_linter_contracts_are_kept():
    code = "import sys; from importlinter.cli import lint_imports; "
    code += "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))"
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert process.returncode == 0, (process.stdout + process.stderr)[-4000:]
    assert "Contracts: 5 kept, 0 broken." in process.stdout


def test_the_top_level_holds_only_the_public_api_and_subpackages():
    package = ROOT / "calib"
    files = sorted(p.name for p in package.iterdir() if p.is_file() and p.suffix == ".py")
    assert files == ["__init__.py", "__main__.py"]
    folders = sorted(p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert folders == ["analysis", "api", "calibration", "cli", "common", "config", "core", "io", "perf"]


def test_only_the_command_line_imports_typer():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "calib").rglob("*.py")
        if "cli" not in path.relative_to(ROOT / "calib").parts and "import typer" in path.read_text()
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "code",
    [
        "import calib",  # the API is imported on first use
        "import calib.config; calib.config.load_case('cases/kato_phillips.yaml')",
        "import calib.common.vocabulary, calib.config.reference",
        "from calib.cli import app",  # `calib --help` is instant
    ],
)
def test_cheap_imports_load_no_jax(code):
    check = (
        f"import sys; {code}; assert 'jax' not in sys.modules, sorted(m for m in sys.modules if 'jax' in m)"
    )
    subprocess.run([sys.executable, "-c", check], check=True, cwd=ROOT)


def test_importing_calib_switches_jax_to_float64():
    code = "import calib, jax.numpy as jnp; assert jnp.zeros(1).dtype == jnp.float64"
    env = {"PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
    later = "import jax; jax.config.update('jax_enable_x64', False); import calib, jax.numpy as jnp; "
    later += "assert jnp.zeros(1).dtype == jnp.float64"  # jax imported first: switched on import too
    subprocess.run([sys.executable, "-c", later], check=True, cwd=ROOT, env=env)


def test_every_public_name_resolves():
    import calib

    for name in calib.__all__:
        assert getattr(calib, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        calib.nope  # noqa: B018
