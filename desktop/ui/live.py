"""Living beside other programs: the window notices when another program (the command line,
a script, a second window) changed the library, and every pane reloads from it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from desktop.store import Changes, Library, LibraryError
from desktop.ui.operations import Operations

#: How often the window asks SQLite whether another connection committed (a cheap read of
#: a counter): a change made elsewhere shows within about this long.
POLL_MS = 400


class _AnotherProgram:
    """The initiator of changes made outside this window."""

    def __repr__(self) -> str:
        return "another program"


#: The initiator announced with changes another program made.
ANOTHER_PROGRAM = _AnotherProgram()


class LibraryWatcher(QObject):
    """Polls `PRAGMA data_version` and announces `Changes(whole_library=True)`, made by
    `ANOTHER_PROGRAM`, when another connection committed.

    The counter moves for every other connection, this window's worker threads included. An
    import commits every quarter second or so and announces what it changed when it ends, so
    while `own_work()` says it runs (and at the first poll after) its commits are taken in
    without a redraw each: a whole-library redraw costs ~0.1 s at 100,000 cases. Another
    program's commit in that window is seen at its next change (notes are never lost to it:
    the notes panel saves over what it last saw). While a dialog is open (it may be asking
    about this very change) the poll waits, so a pane is never asked to reload from inside
    its own question.

    Attributes:
        timer: The poll.
    """

    def __init__(
        self,
        library: Library,
        operations: Operations,
        parent: QObject | None = None,
        own_work: Callable[[], bool] = lambda: False,
    ):
        super().__init__(parent)
        self._library = library
        self._operations = operations
        self._own_work = own_work
        self._own_was_running = False
        self._version: int | None = None
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.check_now)

    def start(self) -> None:
        """Starts watching from the library as it is now."""
        self._version = self._read()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def check_now(self) -> bool:
        """Announces another program's changes if there were any; True if it did."""
        if self._busy or QApplication.activeModalWidget() is not None:
            return False
        version = self._read()
        was_running, running = self._own_was_running, self._own_work()
        self._own_was_running = running
        if version is None or version == self._version:
            return False
        self._version = version
        if running or was_running:
            return False  # this window's own import: it announces its changes itself
        self._busy = True
        try:
            self._operations.announce(Changes(whole_library=True), ANOTHER_PROGRAM)
        finally:
            self._busy = False
        return True

    def _read(self) -> int | None:
        try:
            return self._library.data_version()
        except LibraryError:
            return None  # the library is unreadable for now: the next poll asks again
