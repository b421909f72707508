"""Reading state from the window: a case counts as read once it has been on screen a while."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from desktop.model import CaseId
from desktop.store import Library
from desktop.ui.case_list import CaseListView
from desktop.ui.operations import Operations

#: A case counts as read once it has been on screen this long.
READ_AFTER_MS = 2000


class ReadingTracker(QObject):
    """Marks the case on screen read after `READ_AFTER_MS`, if it is still the list's current.

    Attributes:
        timer: Runs while a case waits to count as read.
    """

    def __init__(self, library: Library, operations: Operations, view: CaseListView):
        super().__init__(view)
        self._library = library
        self._operations = operations
        self._view = view
        self._case_id: CaseId | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(READ_AFTER_MS)
        self.timer.timeout.connect(self._mark_read)

    def watch(self, case_id: CaseId | None) -> None:
        """A case is now on screen (None: none); the clock starts again (not for the case
        already watched: a reload of the list keeps it on screen, and a case marked unread
        must not turn read by itself)."""
        if case_id is not None and case_id == self._case_id:
            return
        self.timer.stop()
        self._case_id = case_id
        if case_id is not None:
            self.timer.start()

    def stop(self) -> None:
        """The reader marked the case unread: it must not turn read by itself."""
        self.timer.stop()

    def _mark_read(self) -> None:
        case_id = self._case_id
        if case_id is not None and case_id == self._view.current_case():
            # Reading state is not worth a dialog: a failure is told in the status bar.
            self._operations.run(lambda: self._library.mark_read(case_id), quiet=True)
