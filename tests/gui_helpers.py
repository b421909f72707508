"""Builds a real main window over a real library file, for the GUI tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from desktop.importer import import_paths
from desktop.store import Library
from desktop.ui.app import application
from desktop.ui.main_window import MainWindow


def make_window(
    library_path: Path, settings_path: Path, *paths: Path, staged: bool = False
) -> MainWindow:
    """Opens `library_path` (importing `paths` first) in a new window; not shown."""
    application("light")
    library = Library.open(library_path)
    if paths:
        import_paths(library, list(paths))
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    return MainWindow(library, settings, staged=staged)


def close_window(window: MainWindow) -> None:
    window.close()
    window.library.close()


@contextmanager
def shown_window(
    qtbot: QtBot, library_path: Path, settings_path: Path, *paths: Path
) -> Iterator[MainWindow]:
    """A real window on screen (offscreen) for one test, started as the app starts it
    (staged: first screen, then the rest), closed and released after it."""
    window = make_window(library_path, settings_path, *paths, staged=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.is_ready)
    try:
        yield window
    finally:
        if window.isVisible():
            close_window(window)
