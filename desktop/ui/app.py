"""Starts the reading window (or takes a screenshot of it and quits)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from desktop import paths
from desktop.library_setup import (
    background_check,
    check_marker,
    daily_backup,
    move_aside,
    newest_good_backup,
    open_library,
    recover_from_backup,
)
from desktop.store import Library, LibraryCorrupt, LibraryError, NotALibrary
from desktop.ui import theme
from desktop.ui.main_window import MainWindow

#: Set in the environment, the app quits as soon as its first case is shown (benchmarks).
STARTUP_PROBE = "LIGHTBOX_STARTUP_PROBE"
#: How long a screenshot waits for the window to settle (note preview included).
SCREENSHOT_SETTLE_MS = 1500


def application(scheme: theme.Scheme = "system") -> QApplication:
    """The QApplication, created once, with our name, icon and theme."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Lightbox")
    app.setOrganizationName("Lightbox")
    app.setApplicationDisplayName("Lightbox")
    app.setDesktopFileName("io.github.lightbox.Lightbox")
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
    target = library_path or paths.default_library_path()
    marker = check_marker(target)
    # After a clean exit the quick check (it reads the whole file) runs on a thread once
    # the window is up; after a crash, or when that check found damage, it runs first.
    checked_first = marker.exists() or not target.exists()
    library, seeded = open_library(
        library_path, create=True, backup_now=False, quick_check=checked_first
    )
    try:
        _check_before_writing(library)
    except BaseException:
        library.close()
        raise
    marker.touch()
    window = MainWindow(library, settings(), staged=True)
    window.check_marker = marker  # removed after a clean exit (see run)
    window.check_pending = not checked_first
    # Background work waits for the whole window: it would slow the first frame.
    window.ready.connect(lambda: _start_background_work(window, check=not checked_first))
    if seeded is not None and seeded.failed:
        window.statusBar().showMessage(f"Sample cases: {seeded.summary()}", 10000)
    return window


def _check_before_writing(library: Library) -> None:
    """The full check, before the window can write, of a library that another program
    changed since a Lightbox last found it sound (instant otherwise: `Library.verify`).

    It reads the whole library (about 20 s at 100,000 cases), so it runs on a thread while
    a small window says what is happening.

    Raises:
        LibraryCorrupt: the library is damaged; nothing was written to it.
    """
    if not library.needs_full_check():
        library.verify()  # the stamp matches: a stat, no thread, no second connection
        return
    done = threading.Event()
    failure: list[BaseException] = []

    def check() -> None:
        try:
            other = library.for_thread()
            try:
                other.verify()  # stamps the library when it is sound
            finally:
                other.close()
        except BaseException as error:
            failure.append(error)
        finally:
            done.set()

    threading.Thread(target=check, name="lightbox-full-check", daemon=True).start()
    if not done.wait(0.5):
        progress = QProgressDialog(
            "Checking your library for damage before anything is written to it.\n"
            "This happens once after another program changed the file.",
            "",
            0,
            0,
        )
        progress.setWindowTitle("Lightbox")
        progress.setCancelButton(None)
        progress.setMinimumDuration(0)
        progress.show()
        app = QApplication.instance()
        while not done.wait(0.05) and app is not None:
            app.processEvents()
        progress.close()
    if failure:
        raise failure[0]
    library.verify()  # instant now: the check stamped the library


def _start_background_work(window: MainWindow, *, check: bool) -> None:
    """The quick check (unless it ran first) and the daily backup, each on a thread."""
    library = window.library
    if check:
        checker = _Checker(window)

        def check_library() -> None:
            problem = background_check(library.path)  # leaves the marker if damaged
            window.check_pending = problem is not None  # keeps the marker at exit
            try:
                checker.done.emit(problem)
            except RuntimeError:
                pass  # the window closed before the check ended; the next start checks

        threading.Thread(target=check_library, name="lightbox-quick-check", daemon=True).start()
    # The daily backup of a large library takes seconds.
    threading.Thread(
        target=daily_backup, args=(library.path,), name="lightbox-daily-backup", daemon=True
    ).start()


def run(
    library_path: Path | None,
    *,
    screenshot: Path | None = None,
    case_key: str | None = None,
    scheme: theme.Scheme = "system",
    import_paths: list[Path] | None = None,
) -> int:
    """Runs the app until the window closes; returns the exit status.

    Args:
        import_paths: Files to import once the window is up (a desktop entry's %F).
    """
    app = application(scheme)
    target = library_path or paths.default_library_path()
    try:
        window = open_window(library_path, scheme)
    except (LibraryCorrupt, NotALibrary) as error:
        damaged = isinstance(error, LibraryCorrupt) or library_path is None
        if screenshot is not None or not damaged or not _recover(target, error):
            _refuse(error, screenshot is None)
            return 2
        try:
            window = open_window(library_path, scheme)
        except LibraryError as again:
            _refuse(again, screenshot is None)
            return 2
    except LibraryError as error:
        _refuse(error, screenshot is None)
        return 2
    warning = paths.cloud_sync_warning(target)
    if warning and screenshot is None:
        QMessageBox.warning(window, "Library in a synced folder", warning[0].upper() + warning[1:])
    if case_key:
        try:
            window.open_case(window.library.resolve(case_key))
        except (ValueError, LookupError) as error:
            print(f"lightbox: {error}", file=sys.stderr)
            return 2
    if os.environ.get(STARTUP_PROBE):
        # For the start-up benchmark: quit once the first frame, with its case, is painted.
        window.first_frame.connect(lambda: _startup_probe(window))
    window.show()
    if import_paths:
        window.start_import(list(import_paths))
    if screenshot is not None:
        QTimer.singleShot(SCREENSHOT_SETTLE_MS, lambda: _screenshot(window, screenshot))
    status = app.exec()
    window.library.close()
    # A check still running (or that found damage) keeps the marker: the next start checks.
    if not window.damaged and not window.check_pending and window.check_marker is not None:
        window.check_marker.unlink(missing_ok=True)
    return status


class _Checker(QObject):
    """Carries the background quick check's verdict to the GUI thread.

    Signals:
        done(object): None when sound, else what is wrong.
    """

    done = Signal(object)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.done.connect(lambda problem: _damage_found(window, problem))


def _damage_found(window: MainWindow, problem: object) -> None:
    if problem is None:
        return
    QMessageBox.critical(
        window,
        "Your library is damaged",
        f"SQLite's check found damage in {window.library.path}:\n{problem}\n\n"
        "Lightbox will close now, without writing to it. Start it again to recover the "
        "newest good backup; the damaged file is kept.",
    )
    window.keep_settings = False
    window.damaged = True  # keep the check marker: the next start checks and recovers
    window.close()


def _startup_probe(window: MainWindow) -> None:
    shown = window.detail.case_id is not None
    print(f"lightbox: first case shown: {shown}", file=sys.stderr, flush=True)
    # Let the background check end, as it would in use, so its marker is not left behind.
    app = QApplication.instance()
    deadline = time.monotonic() + 60
    while window.check_pending and time.monotonic() < deadline and app is not None:
        app.processEvents()
        time.sleep(0.01)
    window.keep_settings = False
    window.close()
    QApplication.instance().exit(0 if shown else 1)  # type: ignore[union-attr]


def _refuse(error: LibraryError, show: bool) -> None:
    if show:
        QMessageBox.critical(None, "Lightbox cannot open the library", str(error))
    print(f"lightbox: {error}", file=sys.stderr)


def _recover(path: Path, error: LibraryError) -> bool:
    """Offers to move a damaged library aside and restore the newest good backup.

    Returns:
        True if a library is now in place (restored, or a new empty one).
    """
    good = newest_good_backup(path)
    box = QMessageBox(QMessageBox.Icon.Critical, "Your library is damaged", "")
    box.setTextFormat(Qt.TextFormat.PlainText)
    advice = (
        f"The newest good backup was taken on {good.taken_at.astimezone():%d %b %Y at %H:%M}."
        if good
        else "No good backup was found."
    )
    box.setText(
        f"Lightbox could not read {path}:\n{error}\n\nThe damaged file will be moved to a "
        f"'damaged-…' folder beside it; nothing is deleted. {advice}"
    )
    restore = (
        box.addButton("Restore the backup", QMessageBox.ButtonRole.AcceptRole) if good else None
    )
    empty = box.addButton("Start an empty library", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if clicked not in (restore, empty) or clicked is None:
        return False
    moved = move_aside(path)
    if clicked is restore and good is not None:
        try:
            recover_from_backup(path, good.path).close()
        except LibraryError as failure:
            QMessageBox.critical(
                None,
                "The backup could not be restored",
                f"{failure}\n\nThe damaged library is kept in {moved}.",
            )
            return False
    return True


def _screenshot(window: MainWindow, target: Path) -> None:
    image = window.grab()
    ok = image.save(str(target))
    message = f"Saved a {image.width()}×{image.height()} screenshot to {target}"
    print(message if ok else f"lightbox: could not write {target}", file=sys.stderr)
    # A screenshot must not change the reader's saved layout or last case.
    window.keep_settings = False
    window.close()
    QApplication.instance().exit(0 if ok else 1)  # type: ignore[union-attr]
