"""The reader's commands on cases: bookmark, read or unread, trash, restore from the trash and
empty it; each runs through the operations runner."""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from desktop.model import CaseFilter, CaseId
from desktop.store import Changes, Library
from desktop.ui.case_list import CaseListView, CaseTableModel
from desktop.ui.operations import Operations
from desktop.ui.reading import ReadingTracker
from desktop.ui.sidebar import Sidebar
from desktop.ui.undo import Undone, UndoStack


class CaseActions(QObject):
    """Runs the reader's commands on the current case (or the one named).

    Signals:
        trashed(str): cases were moved to the Trash, for the status bar: what (the title
            in quotes, or "5 cases").
    """

    trashed = Signal(str)

    def __init__(
        self,
        library: Library,
        operations: Operations,
        view: CaseListView,
        sidebar: Sidebar,
        reading: ReadingTracker,
        *,
        undo: UndoStack,
    ):
        super().__init__(view)
        self._library = library
        self._operations = operations
        self._view = view
        self._model: CaseTableModel = view.case_model
        self._sidebar = sidebar
        self._reading = reading
        #: Moves to the Trash in this window are steps on it.
        self._undo = undo

    def toggle_bookmark(self) -> None:
        """Ctrl+D: bookmarks the selected cases, or takes the bookmark off them if the
        current one has it (one case: toggles it)."""
        cases = self._view.selected_cases()
        current = self._view.current_case()
        if not cases:
            return
        on = not self._library.is_bookmarked(current if current is not None else cases[0])
        if len(cases) == 1:
            self.set_bookmark(cases[0], on)
            return

        def change() -> Changes:
            with self._library.transaction():
                return Changes.merge([self._library.set_bookmark(case, on) for case in cases])

        self._operations.run(change)

    def set_bookmark(self, case_id: CaseId, on: bool) -> None:
        self._operations.run(lambda: self._library.set_bookmark(case_id, on))

    def set_read(self, case_id: CaseId, read: bool) -> None:
        if read:
            self._operations.run(lambda: self._library.mark_read(case_id))
        else:
            self._reading.stop()
            self._operations.run(lambda: self._library.mark_unread(case_id))

    def mark_current_unread(self) -> None:
        case_id = self._view.current_case()
        if case_id is not None:
            self.set_read(case_id, False)

    def trash_current(self) -> None:
        """Moves the selected cases (or the current one), with the reader's notes and
        marks, to the Trash; one Undo brings them all back."""
        cases = self._view.selected_cases()
        if not cases or self._sidebar.current_filter().kind == "trash":
            return
        what = f"“{self._title(cases[0])}”" if len(cases) == 1 else f"{len(cases)} cases"

        def change() -> Changes:
            with self._library.transaction():
                return Changes.merge([self._library.trash(case_id) for case_id in cases])

        if self._remove_from_view(cases[0], change):
            key = cases[0] if len(cases) == 1 else tuple(cases)
            self._undo.push("Undo Move to Trash", functools.partial(self._undo_trash, cases), key)
            self.trashed.emit(what)

    def _undo_trash(self, cases: list[CaseId]) -> Undone:
        """Restores cases this window moved to the Trash (those still there), from
        wherever the reader is, and shows the first when the list holds it."""
        still = [case_id for case_id in cases if self._library.trashed_at(case_id) is not None]
        if not still:
            self._operations.tell("Nothing to undo: the case is no longer in the Trash.", 4000)
            return Undone.GONE

        def change() -> Changes:
            with self._library.transaction():
                return Changes.merge([self._library.untrash(case_id) for case_id in still])

        if self._operations.run(change) is None:
            return Undone.FAILED
        if not self._view.select_case(still[0]):
            self._sidebar.select_filter(CaseFilter())
            self._view.select_case(still[0])
        self._operations.tell("Restored from the Trash.", 4000)
        return Undone.DONE

    def untrash_current(self) -> None:
        case_id = self._view.current_case()
        if case_id is None or self._sidebar.current_filter().kind != "trash":
            return
        self.untrash(case_id)

    def untrash(self, case_id: CaseId) -> None:
        """Restores a case from the Trash (the Trash's Restore)."""
        if self._remove_from_view(case_id, lambda: self._library.untrash(case_id)):
            self._undo.discard(case_id)
            self._operations.tell("Restored from the Trash.", 4000)

    def _title(self, case_id: CaseId) -> str:
        rows = self._library.rows([case_id])
        return rows[0].summary.title if rows else ""

    def empty_trash(self) -> None:
        count = len(self._library.trashed_ids())
        if not count:
            self._operations.tell("The Trash is empty.", 4000)
            return
        answer = QMessageBox.warning(
            self._view.window(),
            "Empty the Trash?",
            f"Delete {count} case(s) in the Trash, and your notes, bookmarks and history on "
            "them, for good? Backups taken before now still hold them.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._operations.save_edits()
            self._operations.run(self._library.empty_trash)

    def _remove_from_view(self, case_id: CaseId, change: Callable[[], Changes]) -> bool:
        """Runs a change that takes the case out of this list, then selects its neighbour."""
        row = self._model.row_of(case_id) or 0
        self._operations.save_edits()
        if self._operations.run(change) is None:
            return False
        if self._view.current_case() is None and self._model.rowCount():
            self._view.select_row(min(row, self._model.rowCount() - 1))
        return True
