"""The detail pane: the case as an inert document, a bookmark star, text zoom and find."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.model import Case, CaseId
from desktop.positions import PositionMap
from desktop.render import render_case
from desktop.sections import SectionKey
from desktop.store import Changes, Library
from desktop.ui import theme
from desktop.ui.change_bus import ChangeBus
from desktop.ui.inert import InertBrowser

_log = logging.getLogger(__name__)
#: The renderer's soft breaks in long tokens: never part of what the reader copies.
_SOFT_BREAK = "\u200b"

#: Links the reader may open in the system browser (never anything local).
OPENABLE_SCHEMES = frozenset({"http", "https", "doi"})


def external_url(url: QUrl) -> QUrl | None:
    """The URL to hand to the system browser for a clicked link, or None to ignore it."""
    scheme = url.scheme().lower()
    if scheme not in OPENABLE_SCHEMES:
        return None
    if scheme == "doi":
        return QUrl("https://doi.org/" + url.path())
    if not url.host():
        return None
    return url


class CaseView(InertBrowser):
    """Shows one case. Links open in the system browser only when clicked, and only
    http, https and doi; everything else (file:, javascript:, relative) does nothing."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("caseView")
        self.anchorClicked.connect(self._open_link)

    def createMimeDataFromSelection(self) -> QMimeData:
        # Copy what the reader sees, without the zero-width breaks put into long tokens.
        data = QMimeData()
        data.setText(
            self.textCursor().selectedText().replace("\u2029", "\n").replace(_SOFT_BREAK, "")
        )
        return data

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() == "" and url.hasFragment() and not url.path():
            self.scrollToAnchor(url.fragment())
            return
        target = external_url(url)
        if target is not None:
            QDesktopServices.openUrl(target)


class FindBar(QFrame):
    """Find in the case (Ctrl+F): Enter finds the next match, Shift+Enter the previous."""

    closed = Signal()

    def __init__(self, view: QTextBrowser, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("findBar")
        self._view = view
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Find in case")
        self.field.setClearButtonEnabled(True)
        self.status = QLabel(self)
        self.status.setObjectName("findStatus")
        previous = QToolButton(self)
        previous.setIcon(theme.icon("chevron-up"))
        previous.setToolTip("Previous match (Shift+Enter)")
        following = QToolButton(self)
        following.setIcon(theme.icon("chevron-down"))
        following.setToolTip("Next match (Enter)")
        close = QToolButton(self)
        close.setIcon(theme.icon("close"))
        close.setToolTip("Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.status)
        layout.addWidget(previous)
        layout.addWidget(following)
        layout.addWidget(close)
        self.field.returnPressed.connect(lambda: self.find_text(backward=False))
        self.field.textChanged.connect(lambda: self.find_text(backward=False, restart=True))
        previous.clicked.connect(lambda: self.find_text(backward=True))
        following.clicked.connect(lambda: self.find_text(backward=False))
        close.clicked.connect(self.close_bar)
        QShortcut(QKeySequence("Shift+Return"), self.field, lambda: self.find_text(backward=True))
        QShortcut(QKeySequence("Escape"), self, self.close_bar)
        self.hide()

    def open_bar(self) -> None:
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def find_text(self, *, backward: bool, restart: bool = False) -> bool:
        text = self.field.text()
        if not text:
            self.status.setText("")
            return False
        if restart:
            cursor = self._view.textCursor()
            cursor.setPosition(cursor.selectionStart())
            self._view.setTextCursor(cursor)
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        found = self._view.find(text, flags)
        if not found:
            # Wrap around once, like every reader's find.
            cursor = self._view.textCursor()
            cursor.movePosition(
                cursor.MoveOperation.End if backward else cursor.MoveOperation.Start
            )
            self._view.setTextCursor(cursor)
            found = self._view.find(text, flags)
        self.status.setText("" if found else "Not found")
        return found


class DetailPane(QWidget):
    """The case document under a slim bar with the bookmark star and zoom.

    Signals:
        bookmark_toggled(object, bool): the reader clicked the star for this case.
        case_opened(object): the Case now shown (or None), read by `open_case`.
    """

    bookmark_toggled = Signal(object, bool)
    case_opened = Signal(object)

    MIN_ZOOM, MAX_ZOOM = -4, 10

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._zoom = 0
        #: The HTML last shown (what the reader sees, before Qt's own rewriting).
        self.html = ""
        #: Document positions <-> (section, offset) for the page shown; None when no case
        #: is shown or the document Qt built does not match the map (never guess then).
        self.positions: PositionMap | None = None
        self.view = CaseView(self)
        self.find_bar = FindBar(self.view, self)
        self.star = QToolButton(self)
        self.star.setCheckable(True)
        self.star.setAutoRaise(True)
        self.star.setToolTip("Bookmark this case (Ctrl+D)")
        self.star.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.star.setIcon(theme.icon("star"))
        self.star.toggled.connect(self._star_toggled)
        self.heading = QLabel(self)
        self.heading.setObjectName("detailHeading")
        # Case text is data, never markup.
        self.heading.setTextFormat(self.heading.textFormat().PlainText)
        zoom_out = QToolButton(self)
        zoom_out.setIcon(theme.icon("zoom-out"))
        zoom_out.setToolTip("Smaller text (Ctrl+-)")
        zoom_out.setAutoRaise(True)
        zoom_out.clicked.connect(lambda: self.set_zoom(self._zoom - 1))
        zoom_in = QToolButton(self)
        zoom_in.setIcon(theme.icon("zoom-in"))
        zoom_in.setToolTip("Larger text (Ctrl++)")
        zoom_in.setAutoRaise(True)
        zoom_in.clicked.connect(lambda: self.set_zoom(self._zoom + 1))
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 0)
        bar.addWidget(self.star)
        bar.addWidget(self.heading, 1)
        bar.addWidget(zoom_out)
        bar.addWidget(zoom_in)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.find_bar)
        self.find_bar.closed.connect(self.view.setFocus)
        self._case_id: CaseId | None = None
        self._case: Case | None = None
        self._highlight: tuple[str, ...] = ()
        self.show_case(None, None)

    @property
    def case_id(self) -> CaseId | None:
        return self._case_id

    @property
    def zoom(self) -> int:
        return self._zoom

    def show_case(
        self,
        case_id: CaseId | None,
        case: Case | None,
        *,
        bookmarked: bool = False,
        highlight: tuple[str, ...] = (),
    ) -> None:
        self._case_id = case_id
        self._case = case
        self._highlight = highlight
        self.star.setEnabled(case is not None)
        self.set_bookmarked(bookmarked)
        self.heading.setText("")
        self._render(keep_position=False)

    def set_highlight(self, terms: tuple[str, ...]) -> None:
        if terms != self._highlight:
            self._highlight = terms
            self._render(keep_position=True)

    def set_bookmarked(self, on: bool) -> None:
        self.star.blockSignals(True)
        self.star.setChecked(on)
        self.star.blockSignals(False)
        self.star.setIcon(theme.icon("star-filled" if on else "star"))
        self.star.setText("Bookmarked" if on else "Bookmark")

    def set_zoom(self, steps: int) -> None:
        self._zoom = max(self.MIN_ZOOM, min(self.MAX_ZOOM, steps))
        self._render(keep_position=True)

    def rerender(self) -> None:
        """Draws the document again (after a change of theme)."""
        self._render(keep_position=True)

    def _render(self, *, keep_position: bool) -> None:
        scroll = self.view.verticalScrollBar().value()
        if self._case is None:
            self.html = ""
            self.positions = None
            self.view.setPlainText("")
            self.view.setPlaceholderText("Select a case to read it here.")
            return
        size = max(self.font().pointSizeF(), 9.0) + self._zoom
        page = render_case(self._case, theme=theme.document_theme(size), highlight=self._highlight)
        self.html = page.html
        self.view.show_html(self.html)
        shown = self.view.document().characterCount()
        self.positions = page.positions if shown == page.positions.character_count else None
        if self.positions is None:
            _log.error(
                "case %s: the page has %d positions, its map %d; passages are not mapped",
                self._case.key,
                shown,
                page.positions.character_count,
            )
        if keep_position:
            self.view.verticalScrollBar().setValue(scroll)

    def selected_passages(self) -> list[tuple[SectionKey, int, int]]:
        """The selection as (section, start, end) per section it covers (offsets in the
        section's canonical text); empty when nothing in a section is selected."""
        cursor = self.view.textCursor()
        if self.positions is None or not cursor.hasSelection():
            return []
        return self.positions.to_sections(cursor.selectionStart(), cursor.selectionEnd())

    def show_passage(self, key: str, start: int, end: int) -> bool:
        """Selects a passage of a section and scrolls to it; False if it is not shown."""
        if self.positions is None:
            return False
        first = self.positions.to_document(key, start)
        last = self.positions.to_document(key, end)
        if first is None or last is None:
            return False
        cursor = QTextCursor(self.view.document())
        cursor.setPosition(first)
        cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()
        return True

    # --- drawn from the library, redrawn from the change bus --------------------------------

    def subscribe(self, library: Library, bus: ChangeBus) -> None:
        """Reads cases from `library`; redraws from every change announced on `bus`."""
        self._library = library
        bus.changed.connect(self.on_changes)

    def open_case(self, case_id: CaseId | None) -> None:
        """Shows a case as the library holds it now (None: no case). The case on show,
        unchanged, is not drawn again: the reader keeps their place (a reload after another
        program's change)."""
        case = self._library.get_case(case_id) if case_id is not None else None
        bookmarked = case_id is not None and self._library.is_bookmarked(case_id)
        if case is not None and case_id == self._case_id and case == self._case:
            self.set_bookmarked(bookmarked)
            return
        self.show_case(case_id, case, bookmarked=bookmarked, highlight=self._highlight)
        self.case_opened.emit(case)

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        case_id = self._case_id
        if case_id is None:
            return
        if case_id in changes.cases:
            case = self._library.get_case(case_id)
            self._case = case
            self.set_bookmarked(case is not None and self._library.is_bookmarked(case_id))
            self._render(keep_position=True)
            self.case_opened.emit(case)
        elif changes.whole_library:
            self.open_case(case_id)  # drawn again only if it changed
        elif case_id in changes.bookmarks:
            self.set_bookmarked(self._library.is_bookmarked(case_id))

    def _star_toggled(self, on: bool) -> None:
        self.star.setIcon(theme.icon("star-filled" if on else "star"))
        self.star.setText("Bookmarked" if on else "Bookmark")
        if self._case_id is not None:
            self.bookmark_toggled.emit(self._case_id, on)
