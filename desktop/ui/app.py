"""Starts the reading window (or takes a screenshot of it and quits)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import paths
from desktop.library_setup import open_library
from desktop.store.errors import LibraryError
from desktop.ui import theme
from desktop.ui.main_window import MainWindow

#: How long a screenshot waits for the window to settle (note preview included).
SCREENSHOT_SETTLE_MS = 1500


def application(scheme: theme.Scheme = "system") -> QApplication:
    """The QApplication, created once, with our name, icon and theme."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Lightbox")
    app.setOrganizationName("Lightbox")
    app.setApplicationDisplayName("Lightbox")
    app.setDesktopFileName("lightbox")
    app.setWindowIcon(theme.app_icon())
    theme.apply_theme(app, scheme)
    return app


def settings() -> QSettings:
    """Window layout, kept beside the library in the data folder (LIGHTBOX_HOME)."""
    path = paths.settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


def open_window(library_path: Path | None, scheme: theme.Scheme = "system") -> MainWindow:
    """Opens the library (seeding a new default one) and builds the window; raises LibraryError."""
    application(scheme)
    library, seeded = open_library(library_path, create=True)
    window = MainWindow(library, settings())
    if seeded is not None and seeded.failed:
        window.statusBar().showMessage(f"Sample cases: {seeded.summary()}", 10000)
    return window


def run(
    library_path: Path | None,
    *,
    screenshot: Path | None = None,
    case_key: str | None = None,
    scheme: theme.Scheme = "system",
) -> int:
    """Runs the app until the window closes; returns the exit status."""
    app = application(scheme)
    try:
        window = open_window(library_path, scheme)
    except LibraryError as error:
        if screenshot is None:
            QMessageBox.critical(None, "Lightbox cannot open the library", str(error))
        print(f"lightbox: {error}", file=sys.stderr)
        return 2
    if case_key:
        try:
            window.list.select_case(window.library.resolve(case_key))
        except (ValueError, LookupError) as error:
            print(f"lightbox: {error}", file=sys.stderr)
            return 2
    window.show()
    if screenshot is not None:
        QTimer.singleShot(SCREENSHOT_SETTLE_MS, lambda: _screenshot(window, screenshot))
    status = app.exec()
    window.library.close()
    return status


def _screenshot(window: MainWindow, target: Path) -> None:
    image = window.grab()
    ok = image.save(str(target))
    message = f"Saved a {image.width()}×{image.height()} screenshot to {target}"
    print(message if ok else f"lightbox: could not write {target}", file=sys.stderr)
    # A screenshot must not change the reader's saved layout or last case.
    window.keep_settings = False
    window.close()
    QApplication.instance().exit(0 if ok else 1)  # type: ignore[union-attr]
