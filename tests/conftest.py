"""Shared fixtures: every test gets its own data folder; Qt runs offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.tools import EURORAD_DATA, ROOT, SEED_CASE, SHARED

# Before any QApplication exists: GUI tests run headless everywhere, on a desktop-sized
# screen (offscreen's own is 800×800, where the window would open maximised); the apps
# the tests start inherit it.
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    screen = ROOT / "tests" / "data" / "screen-1920x1080.json"
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
# Hypothesis fails an example that takes over 200 ms by default: a timing assertion that a
# loaded machine trips. No deadline anywhere, unless a test sets one itself.
settings.register_profile("lightbox", deadline=None)
settings.load_profile("lightbox")

#: The real cases in ../shared (tests/tools.py: how a test that reads them skips without
#: them; MedPix and MIRC are there too) and our own sample cases, for the tests to import.
__all__ = ["EURORAD_DATA", "ROOT", "SAMPLE_CASES", "SEED_CASE", "SHARED"]
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


@pytest.fixture
def samples_file(tmp_path: Path) -> Path:
    """A library file holding the sample cases (closed: commands open it themselves)."""
    from desktop.importer import import_paths
    from desktop.store.library import Library

    path = tmp_path / "library.db"
    with Library.open(path) as opened:
        assert not import_paths(opened, [SAMPLE_CASES]).failed
    return path


@pytest.fixture
def samples_window(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real window on the sample cases, shown (offscreen) for one test; its layout is
    never saved."""
    from tests.gui_helpers import shown_window

    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "s.ini", SAMPLE_CASES) as shown:
        shown.keep_settings = False
        yield shown
