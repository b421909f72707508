"""Shared fixtures: every test gets its own data folder; Qt runs offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before any QApplication exists: GUI tests run headless everywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
#: Real cases written by others, read in place (never copied into the project).
SHARED = ROOT.parent / "shared"
SEED_CASE = SHARED / "seed" / "000_bfbcad2912d90428.txt"
EURORAD_DATA = SHARED / "data" / "eurorad"
SAMPLE_CASES = ROOT / "cases"


@pytest.fixture(autouse=True)
def lightbox_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A fresh data folder per test, so no test ever touches the reader's real library."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("LIGHTBOX_HOME", str(home))
    return home


@pytest.fixture
def library(tmp_path: Path):  # type: ignore[no-untyped-def]
    from desktop.store.library import Library

    with Library.open(tmp_path / "library.db") as opened:
        yield opened
