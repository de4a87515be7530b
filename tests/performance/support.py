"""Shared by the performance tests: the published files, and sending them."""

from pathlib import Path

import pytest

# Beside the repository (../shared), wherever it is cloned; else where this machine keeps it.
_NEIGHBOURS = (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared"))
PUBLISHED = next((p for p in _NEIGHBOURS if p.exists()), _NEIGHBOURS[-1]) / "data" / "schools-scotland"
HERE = Path(__file__).resolve().parent / "data"


def published(name: str) -> Path:
    """A file of ../shared/data/schools-scotland as published (skipped where absent)."""
    path = PUBLISHED / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return path
