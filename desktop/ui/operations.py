"""The operations runner: every change the window makes to the library runs through it, fails
in one place, and is announced on the change bus (Anki's `CollectionOp`)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from desktop.store import Changes, LibraryError
from desktop.ui.change_bus import ChangeBus

#: How long a quiet failure stays in the status bar.
STATUS_MS = 8000


class Operations(QObject):
    """Runs changes to the library and tells the reader plainly when one fails.

    A change is a callable that makes one store call and returns its `Changes`. Changes are
    short and run on the GUI thread (the library's connection lives there); background work
    (an import) reports its outcome here too, through `announce` and `report`.

    A storage error (`LibraryError`: disk full, locked, read-only, damaged) is expected: the
    reader is told what was not saved and why. Anything else is a bug in Lightbox: it is shown
    as one, with its traceback on stderr, and never swallowed. A failed change announces
    nothing.

    Attributes:
        bus: Where the Changes of every change that succeeded are announced.
    """

    def __init__(self, bus: ChangeBus, window: QWidget, status_bar: QStatusBar):
        super().__init__(window)
        self.bus = bus
        self._window = window
        self._status_bar = status_bar
        self._save_edits: Callable[[], bool] = lambda: True

    def run(
        self,
        change: Callable[[], Changes],
        *,
        initiator: object = None,
        title: str = "Not saved",
        what: str = "The change was not saved.",
        quiet: bool = False,
        on_failure: Callable[[Exception], None] | None = None,
        expected: tuple[type[Exception], ...] = (LibraryError,),
    ) -> Changes | None:
        """Runs `change` and announces its Changes (as made by `initiator`).

        Args:
            title, what: The heading and first line of the message if it fails.
            quiet: Tell a storage failure in the status bar, not a dialog (for changes the
                reader did not ask for, such as marking a case read).
            on_failure: Handles an expected failure itself instead (the notes panel keeps
                the text and retries); bugs are reported here all the same.
            expected: The exceptions that are the library's to raise, not bugs.

        Returns:
            The Changes (possibly empty), or None if the change failed.
        """
        try:
            changes = change()
        except expected as error:
            if on_failure is not None:
                on_failure(error)
            else:
                self.report(error, title=title, what=what, quiet=quiet, expected=True)
            return None
        except Exception as error:
            self.report(error, title=title, what=what)
            return None
        self.announce(changes, initiator)
        return changes

    def announce(self, changes: Changes, initiator: object = None) -> None:
        """Tells every pane what a change (here or in background work) did to the library."""
        self.bus.announce(changes, initiator)

    def report(
        self,
        error: BaseException,
        *,
        title: str = "Not saved",
        what: str = "The change was not saved.",
        quiet: bool = False,
        expected: bool | None = None,
    ) -> None:
        """The one place a failure is told: a storage error plainly, anything else as a bug.

        Args:
            expected: The error is the library's to raise, not a bug (by default: it is a
                LibraryError).
        """
        if expected is None:
            expected = isinstance(error, LibraryError)
        if not expected:
            report_bug(self._window, error, what)
        elif quiet:
            self.tell(f"{what.rstrip('.')}: {error}")
        else:
            QMessageBox.warning(self._window, title, f"{what}\n\n{error}")

    def tell(self, message: str, timeout_ms: int = STATUS_MS) -> None:
        """A passing word in the status bar (what was done, where it went)."""
        self._status_bar.showMessage(message, timeout_ms)

    def set_edit_saver(self, save: Callable[[], bool]) -> None:
        """What saves the reader's unsaved typing (the notes panel's flush)."""
        self._save_edits = save

    def save_edits(self) -> bool:
        """Saves the reader's typing before a change that replaces or removes it; False if
        it could not be saved (the panel says why and keeps the text)."""
        return self._save_edits()


def report_bug(parent: QWidget | None, error: BaseException, what: str) -> None:
    """Shows an unexpected exception as the bug it is, with its traceback on stderr."""
    traceback.print_exception(error, file=sys.stderr)
    QMessageBox.critical(
        parent,
        "Lightbox hit a bug",
        f"{what}\n\nThis is a bug in Lightbox, not a problem with your library:\n{describe(error)}",
    )


def describe(error: BaseException) -> str:
    """An exception in one line: the message of a storage error, the type and message of a bug."""
    if isinstance(error, LibraryError):
        return str(error)
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
