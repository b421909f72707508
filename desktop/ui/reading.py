"""Reading state from the window: a case counts as read once the reader chose it and it has
been on screen a while."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from desktop.model import CaseId
from desktop.store import Library
from desktop.ui.case_list import CaseListView
from desktop.ui.operations import Operations

#: A case counts as read once it has been on screen this long after the reader chose it.
READ_AFTER_MS = 2000

#: What the reader does to the list to move to a case.
_CHOOSING = (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress)
#: What the reader does with the case on screen that shows they read it.
_ENGAGING = (QEvent.Type.Wheel, QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress)


class ReadingTracker(QObject):
    """Marks the case on screen read `READ_AFTER_MS` after the reader chose it, if it is
    still the list's current.

    The reader chooses a case by moving to it in the list (a click, a key), or by doing
    something with the case on screen (scrolling it, clicking or typing in it, see
    `engage_on`). A case Lightbox shows by itself (the first or last case at start, the
    top hit of a search, the neighbour of a case moved to the Trash) stays unread until then.

    Attributes:
        timer: Runs while a case waits to count as read.
    """

    def __init__(self, library: Library, operations: Operations, view: CaseListView):
        super().__init__(view)
        self._library = library
        self._operations = operations
        self._view = view
        self._case_id: CaseId | None = None
        #: The reader's input to the list is being handled: a case it makes current is theirs.
        self._choosing = False
        #: The clock ran (or runs) for the case on screen, or the reader set its state
        #: themselves: it is not started again until another case is shown.
        self._settled = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(READ_AFTER_MS)
        self.timer.timeout.connect(self._mark_read)
        #: Where the reader moves to a case (kept: the view may be half gone when its
        #: last events arrive, at close).
        self._list_widgets = (view, view.viewport())
        for widget in self._list_widgets:
            widget.installEventFilter(self)

    def engage_on(self, widget: QWidget) -> None:
        """Scrolling `widget`, clicking or typing in it shows the reader is reading the case
        on screen (the detail pane, the note)."""
        widget.installEventFilter(self)
        if isinstance(widget, QAbstractScrollArea):
            widget.viewport().installEventFilter(self)
            widget.verticalScrollBar().installEventFilter(self)

    def choose(self) -> None:
        """The reader opened a case from elsewhere (a highlight, the statistics): the case
        the list makes current next is theirs."""
        self._choosing = True
        QTimer.singleShot(0, self._choice_handled)

    def watch(self, case_id: CaseId | None) -> None:
        """A case is now on screen (None: none); the clock starts if the reader chose it
        (not for the case already watched: a reload of the list keeps it on screen, and a
        case marked unread must not turn read by itself)."""
        if case_id is not None and case_id == self._case_id:
            return
        self.timer.stop()
        self._case_id = case_id
        self._settled = False
        if self._choosing:
            self._choosing = False
            self.engage()

    def engage(self) -> None:
        """The reader is reading the case on screen: its clock starts (once)."""
        if self._case_id is not None and not self._settled:
            self._settled = True
            self.timer.start()

    def stop(self) -> None:
        """The reader marked the case read or unread themselves: it keeps that state."""
        self.timer.stop()
        self._settled = True

    @property
    def waiting_for_reader(self) -> bool:
        """True while the case on screen waits for the reader to choose it."""
        return self._case_id is not None and not self._settled

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched in self._list_widgets:
            if kind in _CHOOSING:
                self.choose()
            elif kind == QEvent.Type.MouseButtonRelease and self._is_current():
                self.engage()  # a click on the case already on screen chooses it too
        elif kind in _ENGAGING:
            self.engage()
        return super().eventFilter(watched, event)

    def _is_current(self) -> bool:
        return self._case_id is not None and self._case_id == self._view.current_case()

    def _choice_handled(self) -> None:
        # The input that would have moved to a case has been handled (it may not have).
        self._choosing = False

    def _mark_read(self) -> None:
        case_id = self._case_id
        if case_id is not None and case_id == self._view.current_case():
            # Reading state is not worth a dialog: a failure is told in the status bar.
            self._operations.run(lambda: self._library.mark_read(case_id), quiet=True)
