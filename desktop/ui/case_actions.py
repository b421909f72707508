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

#: A title in a status message is cut to this many characters.
TITLE_IN_MESSAGE = 48


class CaseActions(QObject):
    """Runs the reader's commands on the current case (or the one named).

    Every command that changes something says so on `done` and puts a step on the window's
    Undo that takes all of it back at once.

    Signals:
        done(str): what a command did, for the status bar, which adds how to undo it
            ("Marked 12 cases as read").
    """

    done = Signal(str)

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
        #: Every change here is a step on it.
        self._undo = undo

    # --- bookmarks ---------------------------------------------------------------------------

    def toggle_bookmark(self) -> None:
        """Ctrl+D: bookmarks the selected cases, or takes the bookmark off them if the
        current one has it (one case: toggles it)."""
        cases = self._view.selected_cases()
        current = self._view.current_case()
        if not cases:
            return
        on = not self._library.is_bookmarked(current if current is not None else cases[0])
        self.set_bookmarks(cases, on)

    def set_bookmark(self, case_id: CaseId, on: bool) -> None:
        self.set_bookmarks([case_id], on)

    def set_bookmarks(self, cases: list[CaseId], on: bool) -> None:
        """Bookmarks the cases (or takes the bookmark off), in one step of Undo."""
        changed = self._set_bookmarks(cases, on)
        if changed is None:
            return
        if not changed:
            state = "bookmarked" if on else "not bookmarked"
            self._operations.tell(self._already(cases, state), 4000)
            return
        name = self._name(changed)
        self._undo.push(
            "Undo Bookmark" if on else "Undo Remove Bookmark",
            functools.partial(self._undo_bookmarks, changed, on),
        )
        self.done.emit(f"Bookmarked {name}" if on else f"Took the bookmark off {name}")

    def _set_bookmarks(self, cases: list[CaseId], on: bool) -> list[CaseId] | None:
        """The cases whose bookmark changed, in list order; None if it failed."""

        def change() -> Changes:
            with self._library.transaction(keeps_counts=True):
                return Changes.merge([self._library.set_bookmark(case, on) for case in cases])

        changes = self._operations.run(change)
        if changes is None:
            return None
        return [case for case in cases if case in changes.bookmarks]

    def _undo_bookmarks(self, cases: list[CaseId], on: bool) -> Undone:
        changed = self._set_bookmarks(cases, not on)
        if changed is None:
            return Undone.FAILED
        if not changed:
            return Undone.GONE  # set back another way already
        state = "no longer bookmarked" if on else "bookmarked again"
        self._operations.tell(f"Undone: {self._is(changed)} {state}.", 4000)
        return Undone.DONE

    # --- read and unread ----------------------------------------------------------------------

    def toggle_read(self) -> None:
        """Ctrl+U: marks the selected cases unread if the current one is read, else read."""
        cases = self._view.selected_cases()
        if not cases:
            return
        current = self._view.current_case()
        shown = current if current is not None else cases[0]
        self.set_read(cases, shown not in self._library.read_ids([shown]))

    def mark_all_read(self) -> None:
        """Marks every case the list shows (the sidebar's entry, searched) read."""
        if not self._view.isVisible():
            self._operations.tell("Mark All as Read marks the cases of a list: choose one.", 4000)
            return
        cases = self._model.ids()
        if not cases:
            self._operations.tell("No cases here to mark.", 4000)
            return
        self.set_read(cases, True, every=True)

    def set_read(self, cases: list[CaseId], read: bool, *, every: bool = False) -> None:
        """Marks the cases read or unread, in one step of Undo; the case on screen keeps
        that state (it does not turn read by itself after).

        Args:
            every: The cases are the whole list (the message says so when none changed).
        """
        if self._view.current_case() in cases:
            self._reading.stop()
        changed = self._set_read(cases, read)
        if changed is None:
            return
        state = "read" if read else "unread"
        if not changed:
            if every:
                self._operations.tell(f"Nothing to mark: every case here is {state}.", 4000)
            else:
                self._operations.tell(self._already(cases, state), 4000)
            return
        self._undo.push(
            f"Undo Mark as {state.capitalize()}",
            functools.partial(self._undo_read, changed, read),
        )
        self.done.emit(f"Marked {self._name(changed)} as {state}")

    def _set_read(self, cases: list[CaseId], read: bool) -> list[CaseId] | None:
        """The cases whose state changed, in list order; None if it failed."""
        library = self._library
        if read:
            changes = self._operations.run(lambda: library.mark_read_many(cases))
        else:
            changes = self._operations.run(lambda: library.mark_unread_many(cases))
        if changes is None:
            return None
        return [case for case in cases if case in changes.reading]

    def _undo_read(self, cases: list[CaseId], read: bool) -> Undone:
        """Takes a marking back: cases marked read are unread again, cases marked unread are
        read again as they were read before (when, how often)."""
        library = self._library
        if read:
            changes = self._operations.run(lambda: library.mark_unread_many(cases))
        else:
            changes = self._operations.run(lambda: library.revive_reading(cases))
        if changes is None:
            return Undone.FAILED
        changed = [case for case in cases if case in changes.reading]
        if not changed:
            return Undone.GONE  # marked back another way already
        if self._view.current_case() in changed:
            self._reading.stop()
        state = "unread" if read else "read"
        self._operations.tell(f"Undone: {self._is(changed)} {state} again.", 4000)
        return Undone.DONE

    # --- the Trash ----------------------------------------------------------------------------

    def trash_current(self) -> None:
        """Moves the selected cases (or the current one), with the reader's notes and
        marks, to the Trash; one Undo brings them all back."""
        cases = self._view.selected_cases()
        if not cases or self._sidebar.current_filter().kind == "trash":
            return
        name = self._name(cases)

        def change() -> Changes:
            with self._library.transaction():
                return Changes.merge([self._library.trash(case_id) for case_id in cases])

        if self._remove_from_view(cases[0], change):
            key = cases[0] if len(cases) == 1 else tuple(cases)
            self._undo.push("Undo Move to Trash", functools.partial(self._undo_trash, cases), key)
            self.done.emit(f"Moved {name} to the Trash, with your notes and marks")

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

    def _already(self, cases: list[CaseId], state: str) -> str:
        said = self._is(cases)
        return f"{said[:1].upper()}{said[1:]} already {state}."

    def _is(self, cases: list[CaseId]) -> str:
        """The cases named, and their verb: "“Title” is", "the 3 cases are"."""
        return f"{self._name(cases)} is" if len(cases) == 1 else f"the {self._name(cases)} are"

    def _name(self, cases: list[CaseId]) -> str:
        """How a message names the cases: the title in quotes (cut), or "12 cases"."""
        if len(cases) != 1:
            return f"{len(cases):,} cases"
        rows = self._library.rows(cases)
        title = rows[0].summary.title if rows else "the case"
        if len(title) > TITLE_IN_MESSAGE:
            title = title[: TITLE_IN_MESSAGE - 1].rstrip() + "…"
        return f"“{title}”"

    def empty_trash(self) -> None:
        confirmed = self._library.trashed_ids()
        count = len(confirmed)
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
            # Only the cases the reader was asked about: not one trashed meanwhile elsewhere.
            self._operations.run(lambda: self._library.empty_trash(only=confirmed))

    def _remove_from_view(self, case_id: CaseId, change: Callable[[], Changes]) -> bool:
        """Runs a change that takes the case out of this list, then selects its neighbour."""
        row = self._model.row_of(case_id) or 0
        self._operations.save_edits()
        if self._operations.run(change) is None:
            return False
        if self._view.current_case() is None and self._model.rowCount():
            self._view.select_row(min(row, self._model.rowCount() - 1))
        return True
