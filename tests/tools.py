"""Finds the command-line tools the test dependencies install (beside the running Python)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def tool(name: str) -> str:
    """The path of a console script from the test environment."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is a test dependency: bash packaging/bootstrap.sh --test"
    return found
