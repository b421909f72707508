"""The staged start: the first screen of the list and the current case are painted first, the
rest of the list and the sidebar counts after (at 100,000 cases those cost more than
everything else the first frame needs)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from desktop.model import CaseId
from desktop.store import Library
from desktop.ui.case_list import CaseListView
from desktop.ui.case_view import DetailPane
from desktop.ui.sidebar import Sidebar

#: A staged start lists this many cases before its first paint: more than a screen holds.
FIRST_SCREEN_ROWS = 200
#: A staged start completes by this long after showing, even if nothing painted.
COMPLETE_START_MS = 1000


class StagedStart(QObject):
    """Completes the window once its first frame is painted (at once when not staged).

    Attributes:
        is_ready: True once the whole list and the counts are in.
        pending_case: A case shown before the list held it, to select once it is whole.

    Signals:
        first_frame(): once, when the first frame (with its case) has been painted.
        ready(): once the whole list and the sidebar counts are in.
    """

    first_frame = Signal()
    ready = Signal()

    def __init__(
        self,
        library: Library,
        view: CaseListView,
        sidebar: Sidebar,
        detail: DetailPane,
        show_case: Callable[[CaseId | None], None],
        *,
        staged: bool,
    ):
        super().__init__(view)
        self._library = library
        self._view = view
        self._model = view.case_model
        self._sidebar = sidebar
        self._detail = detail
        self._show_case = show_case
        self._staged = staged
        self._completing = False
        self._stopped = False
        self.is_ready = False
        self.pending_case: CaseId | None = None
        if staged:
            self._model.load_head_only(FIRST_SCREEN_ROWS)
            detail.view.viewport().installEventFilter(self)

    def begin(self) -> None:
        """The window is built: an unstaged start completes now, a staged one on first paint."""
        if not self._staged:
            self.complete()

    def open_case(self, case_id: CaseId) -> bool:
        """Shows a case, selected in the list; False if the list does not hold it. Before
        the start completes, a case beyond the first screen is shown at once and selected
        once the whole list is in."""
        if self._view.select_case(case_id):
            return True
        if self._model.whole:
            return False
        self.pending_case = case_id
        self._show_case(case_id)
        return True

    def window_shown(self) -> None:
        if not self.is_ready:
            QTimer.singleShot(COMPLETE_START_MS, self.complete)

    def stop(self) -> None:
        """The window closed: nothing more to complete."""
        self._stopped = True

    def complete(self) -> None:
        if self._completing or self._stopped:
            return
        self._completing = True
        self._detail.view.viewport().removeEventFilter(self)
        self._model.load_whole_list()
        pending, self.pending_case = self.pending_case, None
        if pending is not None and not self._view.select_case(pending):
            self._view.select_row(0)
        self._view.update_empty_label()
        if self._view.window().isVisible():
            QTimer.singleShot(0, self._count)  # two short stalls, not one long
        else:
            self._count()

    def _count(self) -> None:
        if self._stopped:
            return
        self._sidebar.refresh()
        self.is_ready = True
        self.ready.emit()

    def _first_frame_done(self) -> None:
        self.first_frame.emit()
        QTimer.singleShot(0, self.complete)  # after whatever waits on the frame

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self._detail.view.viewport():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._first_frame_done)  # after the rest of the frame
        return super().eventFilter(watched, event)
