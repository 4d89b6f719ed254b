"""Paths of the repository used by tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"
