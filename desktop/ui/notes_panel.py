"""The notes panel: the reader's Markdown note on the current case, saved as they type (through
the operations runner), with a live preview rendered in a helper process; it reloads itself
when something else changed the note, and never overwrites another program's text unseen.
A second tab lists the case's highlights (`desktop.ui.highlights_tab`)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QTextCursor, QTextOption
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.model import CaseId, Note
from desktop.render import NoteRendering
from desktop.store import Changes, Library, LibraryError, NoteSave
from desktop.ui import theme
from desktop.ui.change_bus import ChangeBus
from desktop.ui.dialogs import NoteHistoryDialog
from desktop.ui.highlights_tab import HighlightsTab
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
#: The editor's hint with a case shown, and with none (then the editor is disabled).
EDITOR_HINT = "Your notes on this case, in Markdown. Saved as you type."
NO_CASE_HINT = "Select a case to write a note."
#: The failures of a save that are the library's or the world's, not bugs: storage errors,
#: and the case gone (another program emptied the Trash or restored a backup).
SAVE_FAILURES: tuple[type[Exception], ...] = (LibraryError, LookupError, ValueError)


class Unsaved(Enum):
    """What the reader chose to do with text that cannot be saved."""

    STAY = "stay"
    COPY = "copy"
    SAVE_TO_FILE = "file"
    DISCARD = "discard"


def ask_about_unsaved(parent: QWidget, reason: str, *, can_stay: bool) -> Unsaved:
    """Asks what to do with a note that cannot be saved (tests replace this function)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Note not saved")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText("Your note could not be saved.")
    box.setInformativeText(
        f"{reason[:1].upper()}{reason[1:]}.\n\nCopy the text or save it to a file, so that"
        " it is not lost."
    )
    copy = box.addButton("Copy Text", QMessageBox.ButtonRole.AcceptRole)
    to_file = box.addButton("Save to File…", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    stay = box.addButton("Keep Editing", QMessageBox.ButtonRole.RejectRole) if can_stay else None
    box.setDefaultButton(copy)
    box.setEscapeButton(stay or copy)
    box.exec()
    clicked = box.clickedButton()
    if clicked is discard:
        return Unsaved.DISCARD
    if clicked is to_file:
        return Unsaved.SAVE_TO_FILE
    if stay is not None and clicked is stay:
        return Unsaved.STAY
    return Unsaved.COPY


def choose_text_file(parent: QWidget) -> Path | None:
    """Where to save a note that cannot go into the library (tests replace this function)."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save the note to a file", str(Path.home() / "note.md"), "Markdown (*.md *.txt)"
    )
    return Path(name) if name else None


class NotesPanel(QWidget):
    """Edits one case's note. There is no Save button: the note is saved shortly after
    each change, when another case is shown, and when the window closes. A save that fails
    (a full disk, a lock) keeps the text in the editor, says so, and is retried.

    Two tabs: "Note" (the editor and its preview) and "Highlights (N)" (`highlights_tab`).
    """

    def __init__(self, library: Library, operations: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self._library = library
        self._operations = operations
        self._case_id: CaseId | None = None
        #: The case's identity: a save goes to this case, whatever its row id is by then.
        self._case_key: str | None = None
        #: The note as this panel last loaded or saved it: a save over anything else found
        #: that another program wrote in between.
        self._base: Note | None = None
        self._saved_text = ""
        self._last_edited: dt.datetime | None = None
        self._error: str | None = None
        #: True when the case was removed by another program: its note cannot be saved.
        self._gone = False

        self.history_button = QToolButton(self)
        self.history_button.setText("History…")
        self.history_button.setAutoRaise(True)
        self.history_button.setToolTip("Earlier versions of this note")
        self.history_button.clicked.connect(self.show_history)
        self.status = QLabel(self)
        self.status.setObjectName("noteStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)  # a failure is said in words, never cut off
        #: One line when the note was also changed elsewhere while the reader typed.
        self.notice = QLabel(self)
        self.notice.setObjectName("noteNotice")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy Text")
        self.copy_button.setAutoRaise(True)
        self.copy_button.setToolTip("Copy the unsaved note to the clipboard")
        self.copy_button.clicked.connect(self.copy_text)
        self.save_file_button = QToolButton(self)
        self.save_file_button.setText("Save to File…")
        self.save_file_button.setAutoRaise(True)
        self.save_file_button.setToolTip("Save the unsaved note to a file")
        self.save_file_button.clicked.connect(self.save_text_to_file)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("noteEditor")
        self.editor.setPlaceholderText(EDITOR_HINT)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.editor.setFont(QFont(fixed.family(), self.font().pointSize()))
        self.editor.setTabChangesFocus(True)
        self.preview = InertBrowser(self)
        self.preview.setObjectName("notePreview")
        self.preview.setPlaceholderText("The preview of your note appears here.")
        # Break lines between words only: breaking anywhere let Qt squeeze a table's columns
        # until "hyperintense" became "hyperinten/se". Long tokens still break (render.py
        # puts a zero-width space in every 80 characters).
        self.preview.setWordWrapMode(QTextOption.WrapMode.WordWrap)
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
        self.note_page = QWidget(self)
        layout = QVBoxLayout(self.note_page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        # The tab names the pane: the heading holds the note's state and what acts on it.
        heading = QHBoxLayout()
        heading.addWidget(self.status, 1)
        heading.addWidget(self.copy_button)
        heading.addWidget(self.save_file_button)
        heading.addWidget(self.history_button)
        layout.addLayout(heading)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)
        #: The case's highlights, in the second tab.
        self.highlights_tab = HighlightsTab(library, operations, self)
        self.highlights_tab.count_changed.connect(self._highlight_count_changed)
        self.highlights_tab.note_requested.connect(self.append_to_note)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("notesTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.note_page, "Note")
        self.tabs.addTab(self.highlights_tab, "Highlights")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(0)
        outer.addWidget(self.tabs, 1)

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
        self._load(None)

    @property
    def case_id(self) -> CaseId | None:
        return self._case_id

    @property
    def dirty(self) -> bool:
        return self._case_id is not None and self.editor.toPlainText() != self._saved_text

    @property
    def case_gone(self) -> bool:
        """True when another program removed the case whose note is on screen."""
        return self._gone

    def show_case(self, case_id: CaseId | None) -> bool:
        """Saves the note being edited (see `leave`), then loads the note of `case_id`.

        Returns:
            False if the reader chose to keep editing a note that cannot be saved (the
            panel stays on it).
        """
        if not self.leave():
            return False
        self._load(case_id)
        return True

    def leave(self) -> bool:
        """Saves the note before the panel leaves it (another case, quitting). If it cannot
        be saved, asks the reader first: copy the text, save it to a file, discard it, or
        keep editing (not offered when the case itself is gone).

        Returns:
            False if the reader chose to keep editing.
        """
        while not self.flush() and self.dirty:
            text = self.editor.toPlainText()
            reason = self._error or "it could not be saved"
            choice = ask_about_unsaved(self, reason, can_stay=not self._gone)
            if choice is Unsaved.STAY:
                return False
            if choice is Unsaved.COPY:
                QApplication.clipboard().setText(text)
            elif choice is Unsaved.SAVE_TO_FILE and not self.save_text_to_file():
                continue  # not written: ask again
            break
        self._save_timer.stop()
        return True

    def flush(self) -> bool:
        """Saves now if there are unsaved changes; returns False if the save failed."""
        self._save_timer.stop()
        if not self.dirty or self._case_id is None or self._case_key is None:
            return True
        text = self.editor.toPlainText()
        key, base = self._case_key, self._base
        saved: list[NoteSave] = []
        failures: list[Exception] = []

        def save() -> Changes:
            result = self._library.save_note_over(key, text, base)
            saved.append(result)
            return result.changes

        changes = self._operations.run(
            save, initiator=self, on_failure=failures.append, expected=SAVE_FAILURES
        )
        if changes is None:
            if failures and isinstance(failures[0], LookupError):
                self._gone = True
                self._show_error(
                    "this case is no longer in the library (another program removed it)"
                )
            elif failures:  # the library's (a full disk, a lock): it may pass, so try again
                self._show_error(str(failures[0]))
                self._save_timer.start(RETRY_MS)
            else:  # a bug, reported as one: trying again would only fail the same way
                self._show_error("a bug in Lightbox stopped the save")
            return False
        result = saved[0]
        self._base = result.note
        self._saved_text = text
        self._error = None
        self._last_edited = result.note.updated_at if result.note else None
        if result.conflict:
            self._show_notice(
                "Cleared elsewhere while you typed: your text is saved; the cleared text is"
                " in History."
                if result.cleared_elsewhere
                else "Edited elsewhere too: that text is in History."
            )
        self._update_status()
        return True

    def append_to_note(self, text: str) -> bool:
        """Adds `text` at the end of the note, in the editor (so it is saved as typing is,
        and Ctrl+Z in the editor takes it out again), and shows the note.

        Returns:
            False when no case is shown.
        """
        if self._case_id is None or self.editor.isReadOnly() or not text:
            return False
        existing = self.editor.toPlainText()
        if not existing.strip() or existing.endswith("\n\n"):
            gap = ""
        else:
            gap = "\n" if existing.endswith("\n") else "\n\n"
        self.tabs.setCurrentWidget(self.note_page)
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(gap + text)
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()
        self.editor.setFocus()
        return True

    def copy_text(self) -> None:
        """Puts the note's text on the clipboard."""
        QApplication.clipboard().setText(self.editor.toPlainText())
        self._operations.tell("The note's text is on the clipboard.", 4000)

    def save_text_to_file(self) -> bool:
        """Writes the note's text to a file the reader picks; False if none was written."""
        path = choose_text_file(self)
        if path is None:
            return False
        try:
            path.write_text(self.editor.toPlainText(), encoding="utf-8")
        except OSError as error:
            QMessageBox.warning(self, "Not written", f"The note could not be written:\n{error}")
            return False
        self._operations.tell(f"The note's text was saved to {path}.", 6000)
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
            self._load(self._case_id)

    def subscribe(self, bus: ChangeBus) -> None:
        """Reloads the note when another part of the app changed it (see `on_changes`); the
        highlights tab redraws from the same bus."""
        bus.changed.connect(self.on_changes)
        self.highlights_tab.subscribe(bus)

    def on_changes(self, changes: Changes, initiator: object) -> None:
        """Another part of the app, or another program, changed this note: show it; if the
        reader has unsaved text, save it now over the other text, which the history keeps
        (and the panel says so)."""
        if initiator is self or self._case_id is None:
            return
        if not (changes.whole_library or self._case_id in changes.notes):
            return
        if self.dirty:
            self.flush()
            return
        if self._case_key is not None:
            try:
                # A restore may have given the case another row id: follow its identity.
                self._case_id = self._library.resolve(self._case_key)
            except LookupError:
                return  # gone: the list closes it (see MainWindow), nothing to save here
            except LibraryError:
                return
        note = self._library.note(self._case_id)
        if note != self._base:
            self._load(self._case_id, keep_cursor=True)

    def shutdown(self) -> None:
        """The window closes (after `leave`): the preview's helper stops."""
        self._save_timer.stop()
        self._renderer.shutdown()

    def rerender(self) -> None:
        self._request_preview()

    # --- internals -------------------------------------------------------------------------

    def _load(self, case_id: CaseId | None, *, keep_cursor: bool = False) -> None:
        """Shows the note of `case_id` as the library holds it now (nothing unsaved is on
        screen when this is called)."""
        self._save_timer.stop()
        if case_id != self._case_id or not keep_cursor:
            self.notice.hide()
        self._case_id = case_id
        self._case_key = self._library.case_key(case_id) if case_id is not None else None
        note = self._library.note(case_id) if case_id is not None else None
        self._base = note
        self._saved_text = note.body if note else ""
        self._last_edited = note.updated_at if note else None
        position = self.editor.textCursor().position()
        self.editor.blockSignals(True)
        self.editor.setPlainText(self._saved_text)
        self.editor.blockSignals(False)
        if keep_cursor:
            cursor = self.editor.textCursor()
            cursor.setPosition(min(position, len(self._saved_text)))
            self.editor.setTextCursor(cursor)
        # No case, no note: the editor and History say so rather than ignore the reader.
        shown = case_id is not None
        self.editor.setReadOnly(not shown)
        self.editor.setEnabled(shown)
        self.editor.setPlaceholderText(EDITOR_HINT if shown else NO_CASE_HINT)
        self.history_button.setEnabled(shown)
        self.history_button.setToolTip(
            "Earlier versions of this note" if shown else "Select a case to see its note's history"
        )
        self._error = None
        self._gone = False
        self._update_status()
        self._request_preview()
        if case_id != self.highlights_tab.case_id:
            self.highlights_tab.show_case(case_id)

    def _highlight_count_changed(self, count: int) -> None:
        self.tabs.setTabText(1, f"Highlights ({count})" if count else "Highlights")

    def _show_error(self, error: Exception | str) -> None:
        self._error = str(error)
        self._update_status()

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

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
        failed = self._case_id is not None and self._error is not None
        if self.status.property("failed") != failed:  # restyle only when it changes
            self.copy_button.setVisible(failed)
            self.save_file_button.setVisible(failed)
            self.status.setProperty("failed", failed)
            self.status.setProperty("dark", theme.is_dark())
            self.status.style().unpolish(self.status)
            self.status.style().polish(self.status)
        if self._case_id is None:
            self.status.setText("")  # the disabled editor says why
        elif self._error is not None:
            if self._gone:
                self.status.setText(
                    f"Not saved — {self._error}. Copy your text or save it to a file."
                )
            else:
                self.status.setText(f"Not saved — {self._error}. Retrying; your text is kept.")
        elif self.dirty:
            self.status.setText("Editing…")
        elif self._last_edited is not None:
            local = self._last_edited.astimezone()
            self.status.setText(f"Saved · last edited {local:%d %b %Y, %H:%M}")
        else:
            self.status.setText("No note yet")
