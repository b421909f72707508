"""The notes panel: the reader's Markdown note on the current case, saved as they type (through
the operations runner), with a live preview rendered in a helper process; it reloads itself
when something else changed the note."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.model import CaseId
from desktop.render import NoteRendering
from desktop.store import Changes, Library, LibraryError
from desktop.ui import theme
from desktop.ui.change_bus import ChangeBus
from desktop.ui.dialogs import NoteHistoryDialog
from desktop.ui.inert import InertBrowser
from desktop.ui.operations import Operations
from desktop.ui.preview import PreviewRenderer

#: Unsaved typing is written at most this long after the first unsaved key, however long
#: the reader keeps typing: a crash or kill loses less than this.
SAVE_AFTER_MS = 700
#: Preview when typing pauses this long.
PREVIEW_AFTER_MS = 250
#: After a failed save (disk full, locked), try again this often; the text stays in the editor.
RETRY_MS = 3000


class NotesPanel(QWidget):
    """Edits one case's note. There is no Save button: the note is saved shortly after
    each change, when another case is shown, and when the window closes. A save that fails
    (a full disk, a lock) keeps the text in the editor, says so, and is retried.
    """

    def __init__(self, library: Library, operations: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self._library = library
        self._operations = operations
        self._case_id: CaseId | None = None
        self._saved_text = ""
        self._last_edited: dt.datetime | None = None
        self._error: str | None = None

        title = QLabel("Notes", self)
        title.setObjectName("notesTitle")
        self.history_button = QToolButton(self)
        self.history_button.setText("History…")
        self.history_button.setAutoRaise(True)
        self.history_button.setToolTip("Earlier versions of this note")
        self.history_button.clicked.connect(self.show_history)
        self.status = QLabel(self)
        self.status.setObjectName("noteStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("noteEditor")
        self.editor.setPlaceholderText("Your notes on this case, in Markdown. Saved as you type.")
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.editor.setFont(QFont(fixed.family(), self.font().pointSize()))
        self.editor.setTabChangesFocus(True)
        self.preview = InertBrowser(self)
        self.preview.setObjectName("notePreview")
        self.preview.setPlaceholderText("The preview of your note appears here.")
        self.preview_status = QLabel(self)
        self.preview_status.setObjectName("noteStatus")
        self.preview_status.hide()
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.editor)
        preview_box = QWidget(splitter)
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addWidget(self.preview_status)
        preview_layout.addWidget(self.preview, 1)
        splitter.addWidget(preview_box)
        splitter.setSizes([300, 200])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addStretch(1)
        heading.addWidget(self.history_button)
        layout.addLayout(heading)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.timeout.connect(self.flush)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_AFTER_MS)
        self._preview_timer.timeout.connect(self._request_preview)
        self._renderer = PreviewRenderer(self)
        self._renderer.rendered.connect(self._show_preview)
        self.editor.textChanged.connect(self._text_changed)
        self.show_case(None)

    @property
    def case_id(self) -> CaseId | None:
        return self._case_id

    @property
    def dirty(self) -> bool:
        return self._case_id is not None and self.editor.toPlainText() != self._saved_text

    def show_case(self, case_id: CaseId | None) -> None:
        """Saves the note being edited, then loads the note of `case_id`."""
        self.flush()
        if self.dirty:
            # The previous note could not be saved: keep it on screen rather than lose it.
            return
        self._case_id = case_id
        note = self._library.note(case_id) if case_id is not None else None
        self._saved_text = note.body if note else ""
        self._last_edited = note.updated_at if note else None
        self.editor.blockSignals(True)
        self.editor.setPlainText(self._saved_text)
        self.editor.blockSignals(False)
        self.editor.setReadOnly(case_id is None)
        self._error = None
        self._update_status()
        self._request_preview()

    def flush(self) -> bool:
        """Saves now if there are unsaved changes; returns False if the save failed."""
        self._save_timer.stop()
        if not self.dirty or self._case_id is None:
            return True
        text = self.editor.toPlainText()
        case_id = self._case_id
        failures: list[Exception] = []
        changes = self._operations.run(
            lambda: self._library.save_note(case_id, text),
            initiator=self,
            on_failure=failures.append,
        )
        if changes is None:
            if failures:  # the library's (a full disk, a lock): it may pass, so try again
                self._show_error(failures[0])
                self._save_timer.start(RETRY_MS)
            else:  # a bug, reported as one: trying again would only fail the same way
                self._show_error(RuntimeError("a bug in Lightbox stopped the save"))
            return False
        self._saved_text = text
        self._error = None
        self._last_edited = dt.datetime.now(dt.UTC)
        self._update_status()
        return True

    def show_history(self) -> None:
        """Lists the note's earlier versions; restoring one keeps the current text too."""
        if self._case_id is None or not self.flush():
            return
        dialog = NoteHistoryDialog(self._library.note_versions(self._case_id), self)
        if dialog.exec() != NoteHistoryDialog.DialogCode.Accepted:
            return
        version = dialog.chosen()
        if version is not None:
            self.restore_version(version.id)

    def restore_version(self, version_id: int) -> None:
        changes = self._operations.run(
            lambda: self._library.restore_note_version(version_id),
            initiator=self,
            on_failure=self._show_error,
            expected=(LibraryError, LookupError),  # a version gone is no bug
        )
        if changes is not None:
            self.show_case(self._case_id)

    def subscribe(self, bus: ChangeBus) -> None:
        """Reloads the note when another part of the app changed it (see `on_changes`)."""
        bus.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes, initiator: object) -> None:
        """Another part of the app changed this note: show it unless the reader is typing."""
        if initiator is self or self._case_id is None:
            return
        if (changes.whole_library or self._case_id in changes.notes) and not self.dirty:
            self.show_case(self._case_id)

    def shutdown(self) -> None:
        self.flush()
        self._renderer.shutdown()

    def rerender(self) -> None:
        self._request_preview()

    # --- internals -------------------------------------------------------------------------

    def _show_error(self, error: Exception) -> None:
        self._error = str(error)
        self._update_status()

    def _text_changed(self) -> None:
        if not self._save_timer.isActive():
            self._save_timer.start(SAVE_AFTER_MS)
        self._preview_timer.start()
        self._update_status()

    def _request_preview(self) -> None:
        text = self.editor.toPlainText()
        if not text.strip():
            self.preview.show_html("")
            self.preview_status.hide()
            return
        self._renderer.request(
            text, dark=theme.is_dark(), point_size=max(self.font().pointSizeF(), 9.0)
        )

    def _show_preview(self, rendering: NoteRendering) -> None:
        self.preview.show_html(rendering.html)
        self.preview_status.setVisible(rendering.message is not None)
        self.preview_status.setText(rendering.message or "")

    def _update_status(self) -> None:
        if self._case_id is None:
            self.status.setText("")
        elif self._error is not None:
            self.status.setText(f"Not saved — {self._error}. Retrying; your text is kept.")
        elif self.dirty:
            self.status.setText("Editing…")
        elif self._last_edited is not None:
            local = self._last_edited.astimezone()
            self.status.setText(f"Saved · last edited {local:%d %b %Y, %H:%M}")
        else:
            self.status.setText("No note yet")
