"""`lightbox --screenshot FILE` starts the real app, saves a PNG of the window and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from tests.conftest import ROOT, SEED_CASE
from tests.tools import needs_shared


def test_screenshot_command(tmp_path: Path) -> None:
    target = tmp_path / "shot.png"
    env = {**os.environ, "LIGHTBOX_HOME": str(tmp_path / "home")}  # conftest's screen
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--screenshot", str(target), "--case",
         "lightbox:neuro-01"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1440, 900)
    # The default library was created and seeded from cases/ on this first start.
    assert (tmp_path / "home" / "library.db").is_file()
    # A screenshot does not change the reader's saved layout.
    assert not (tmp_path / "home" / "settings.ini").exists()
    # A clean exit leaves no "check me at next start" marker.
    assert not (tmp_path / "home" / "library.db.check").exists()


def test_screenshot_of_an_unknown_case_fails_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "LIGHTBOX_HOME": str(tmp_path / "home")}  # conftest's screen
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--screenshot", str(tmp_path / "x.png"), "--case",
         "eurorad:1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no case eurorad:1" in result.stderr
    assert "Traceback" not in result.stderr


@needs_shared(SEED_CASE)
def test_files_named_on_the_command_line_are_imported(tmp_path: Path) -> None:
    """`lightbox FILE...` (a desktop entry's %F) opens the window and imports the files."""
    from desktop.store.library import Library

    env = {**os.environ, "LIGHTBOX_HOME": str(tmp_path / "home")}  # conftest's screen
    library = tmp_path / "lib.db"
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--library", str(library), "--screenshot",
         str(tmp_path / "x.png"), str(SEED_CASE)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Library.open(library) as opened:
        assert opened.resolve("eurorad:8455")
