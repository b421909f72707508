"""The detail pane: the case as an inert document with the reader's highlights drawn over it,
a bookmark star, text zoom and find."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Mapping

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QPoint,
    QPointF,
    QRectF,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDesktopServices,
    QFocusEvent,
    QFont,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QTextBrowser,
    QTextEdit,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop.model import Case, CaseId, Highlight, HighlightMark
from desktop.positions import PositionMap
from desktop.render import IMAGE_SCHEME, LIGHT, Theme, render_case
from desktop.sections import SectionKey, case_sections
from desktop.store import Changes, Library
from desktop.ui import theme
from desktop.ui.change_bus import ChangeBus
from desktop.ui.inert import InertBrowser
from desktop.ui.thumbnails import ThumbnailKey, ThumbnailService, thumbnail_key

_log = logging.getLogger(__name__)
#: The renderer's soft breaks in long tokens: never part of what the reader copies.
_SOFT_BREAK = "\u200b"

#: Links the reader may open in the system browser (never anything local).
OPENABLE_SCHEMES = frozenset({"http", "https", "doi"})

#: A flashed passage blinks this many times, this long each (about a second in all).
FLASH_BLINKS, FLASH_MS = 3, 170
#: The widest the tags and collections beside the star are drawn (the rest in the tooltip).
FILING_WIDTH = 420
#: A link to one of the case's figures (its position, from 1), as the renderer writes it.
_FIGURE_LINK = re.compile(r"figure/([1-9][0-9]{0,3})")


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


def tooltip_html(text: str) -> str:
    """Plain text as a tooltip Qt cannot take for markup: comments and case text are data,
    and QToolTip renders anything that looks like HTML."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


class CaseView(InertBrowser):
    """Shows one case. Links open in the system browser only when clicked, and only
    http, https and doi; everything else (file:, javascript:, relative) does nothing.

    The highlight controller hooks in through the signals and the two callables below,
    never through an event filter: a filter object outlived by the view it watches crashes
    PySide at exit, while the view's own overrides die with it.

    Attributes:
        key_taker: Offered each key press (and its shortcut override, with True) before
            the view and the window's shortcuts; returns True if it took the key.
        tooltip_at: The tooltip (plain text) for a viewport point, "" for none.

    Figure thumbnails (``lightbox-img:<hash>``) come from a `ThumbnailService`: the page is
    shown at once with a plain box in each thumbnail's place, and each picture replaces its
    box when it is decoded (or a box saying why there is none). ``lightbox:figure/N`` links
    (thumbnails and references such as "Fig. 2") never leave the view: a click, or Enter on
    one reached with Tab, emits `figure_requested`.

    Signals:
        menu_requested(QMenu, QPoint): the context menu is about to show; add to it (the
            point is where it was asked for, in viewport coordinates).
        mouse_pressed(): a mouse button went down on the page.
        mouse_released(): a mouse button was let go, after the view made its selection.
        focus_lost(): the view lost the keyboard focus.
        figure_requested(int): the reader asked to see a figure of the shown case, by its
            index in ``case.figures`` (from 0); the window opens the figure viewer on it.
    """

    menu_requested = Signal(QMenu, QPoint)
    mouse_pressed = Signal()
    mouse_released = Signal()
    focus_lost = Signal()
    figure_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("caseView")
        self.anchorClicked.connect(self._open_link)
        self.key_taker: Callable[[QKeyEvent, bool], bool] | None = None
        self.tooltip_at: Callable[[QPoint], str] | None = None
        self._thumbnails: ThumbnailService | None = None
        #: The shown page's thumbnails: image hash -> the key it is drawn with.
        self._images: dict[str, ThumbnailKey] = {}
        self._boxes: dict[str, tuple[int, int]] = {}
        self._figure_count = 0
        self._page_theme: Theme = LIGHT

    def set_thumbnails(self, service: ThumbnailService | None) -> None:
        """Where thumbnails come from (None: every thumbnail stays a plain box)."""
        if self._thumbnails is not None:
            self._thumbnails.ready.disconnect(self._thumbnail_ready)
            self._thumbnails.failed.disconnect(self._thumbnail_failed)
        self._thumbnails = service
        if service is not None:
            service.ready.connect(self._thumbnail_ready)
            service.failed.connect(self._thumbnail_failed)

    def show_page(
        self,
        page_html: str,
        *,
        images: Mapping[str, tuple[int, int]] = {},  # noqa: B006 - read only
        figure_count: int = 0,
        page_theme: Theme = LIGHT,
    ) -> None:
        """Shows a case page and its thumbnails: each cached one at once, the others as a
        plain box of their size (in the page's colours) until decoded.

        Args:
            page_html: The page (`render_case`).
            images: Its thumbnails' boxes by image hash (`RenderedCase.images`).
            figure_count: How many figures the case has (links beyond are ignored).
            page_theme: The page's colours, for the boxes.
        """
        self._boxes = dict(images)
        self._figure_count = figure_count
        self._page_theme = page_theme
        if self._thumbnails is not None:
            self._thumbnails.forget_failures()
        # Qt keeps every resource it was given until the document is cleared, across
        # setHtml: without this each case read would leave its thumbnails in memory.
        self.document().clear()
        self.show_html(page_html)
        self._size_headings()  # after: setHtml gives the document the widget's font
        self._show_thumbnails()

    def _size_headings(self) -> None:
        """Qt sizes h1-h6 from the document's default font (2, 1.5, 1.2... times it) and
        ignores the CSS font-size given them: that font is the page's text size, so the
        headings grow and shrink with the text (zoom)."""
        font = self.document().defaultFont()
        if font.pointSizeF() != self._page_theme.base_point_size:
            font.setPointSizeF(self._page_theme.base_point_size)
            self.document().setDefaultFont(font)

    def clear_page(self) -> None:
        """Empties the view, thumbnails and all."""
        self._boxes, self._images, self._figure_count = {}, {}, 0
        self.document().clear()

    def _show_thumbnails(self) -> None:
        """Gives each thumbnail of the page its picture (or box) at the screen's pixel
        ratio, so loadResource is never left to answer with one for another ratio."""
        dpr = self.devicePixelRatioF()
        self._images = {
            digest: thumbnail_key(digest, box, dpr) for digest, box in self._boxes.items()
        }
        document = self.document()
        for digest in self._images:
            image = self.image_resource(digest)
            if image is not None:
                document.addResource(
                    QTextDocument.ResourceType.ImageResource.value,
                    QUrl(f"{IMAGE_SCHEME}:{digest}"),
                    image,
                )

    def thumbnail_keys(self) -> list[ThumbnailKey]:
        """The keys of the shown page's thumbnails."""
        return list(self._images.values())

    def image_resource(self, digest: str) -> QImage | QPixmap | None:
        key = self._images.get(digest)
        if key is None:
            return None  # not a thumbnail of this page: the inert placeholder
        service = self._thumbnails
        if service is None:
            return self._box(key, "")
        image = service.request(key)
        if image is not None:
            # A pixmap: Qt draws a QImage resource by converting it at every paint.
            return QPixmap.fromImage(self._framed(image))
        reason = service.failure(key)
        return self._box(key, reason or "")

    def document_position_at(self, point: QPoint) -> int | None:
        """The document position of the character under a viewport point, or None where
        there is no text (margins, the space after a paragraph)."""
        offset = QPointF(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        layout = self.document().documentLayout()
        position = layout.hitTest(QPointF(point) + offset, Qt.HitTestAccuracy.ExactHit)
        return position if position >= 0 else None

    def context_menu(self, point: QPoint) -> QMenu:
        """The context menu for a viewport point: Qt's own (Copy, Select All, Copy Link
        Location) and whatever `menu_requested` adds."""
        offset = QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        menu = self.createStandardContextMenu(point + offset)  # it wants document coordinates
        self.menu_requested.emit(menu, point)
        return menu

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
        if url.scheme() == "lightbox":
            figure = _FIGURE_LINK.fullmatch(url.path())
            if figure and int(figure.group(1)) <= self._figure_count:
                self.figure_requested.emit(int(figure.group(1)) - 1)
            return  # in-app links never reach the system
        target = external_url(url)
        if target is not None:
            QDesktopServices.openUrl(target)

    def _thumbnail_ready(self, key: ThumbnailKey, image: QImage) -> None:
        if self._images.get(key.digest) == key:
            self._replace_image(key.digest, QPixmap.fromImage(self._framed(image)))

    def _thumbnail_failed(self, key: ThumbnailKey, reason: str) -> None:
        if self._images.get(key.digest) == key:
            self._replace_image(key.digest, self._box(key, reason))

    def _replace_image(self, digest: str, picture: QImage | QPixmap) -> None:
        # Same box, so the layout stands: the picture replaces the old one at the next paint.
        self.document().addResource(
            QTextDocument.ResourceType.ImageResource.value,
            QUrl(f"{IMAGE_SCHEME}:{digest}"),
            picture,
        )
        self.viewport().update()

    def _framed(self, image: QImage) -> QImage:
        """A thumbnail with a hairline frame in the page's rule colour: a dark image keeps
        its edge on the dark page."""
        framed = image.copy()
        framed.setDevicePixelRatio(image.devicePixelRatio())
        size = framed.deviceIndependentSize()
        painter = QPainter(framed)
        painter.setPen(QPen(QColor(self._page_theme.rule), 1))
        painter.drawRect(QRectF(0.5, 0.5, size.width() - 1, size.height() - 1))
        painter.end()
        return framed

    def _box(self, key: ThumbnailKey, reason: str) -> QImage:
        """A plain box in a thumbnail's place: waiting for its picture, or (with a reason)
        saying why it has none. Drawn in the page's colours at the screen's pixel ratio."""
        colours = self._page_theme
        image = QImage(key.pixels, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(key.dpr)
        image.fill(QColor(colours.chip_background))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colours.rule), 1))
        painter.drawRect(QRectF(0.5, 0.5, key.width - 1, key.height - 1))
        if reason:
            font = QFont(self.font())
            font.setPointSizeF(max(7.0, colours.base_point_size * 0.8))
            painter.setFont(font)
            painter.setPen(QColor(colours.muted))
            painter.drawText(
                QRectF(8, 8, key.width - 16, key.height - 16),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                f"Image not available\n{reason}",
            )
        painter.end()
        return image

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._size_headings()  # Qt gave the document the widget's font again

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu(event.pos())
        menu.exec(event.globalPos())
        menu.deleteLater()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.DevicePixelRatioChange and self._boxes:
            self._show_thumbnails()  # moved to a screen of another ratio: sharp again
            self.viewport().update()
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.key_taker is not None
            and isinstance(event, QKeyEvent)
            and self.key_taker(event, True)
        ):
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.key_taker is not None and self.key_taker(event, False):
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.mouse_pressed.emit()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.mouse_released.emit()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_lost.emit()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos()) if self.tooltip_at is not None else ""
            if text:
                QToolTip.showText(event.globalPos(), tooltip_html(text), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)


class FindBar(QFrame):
    """Find in the case (Ctrl+F): every match is counted ("2 of 5"); Enter or F3 goes to
    the next, Shift+Enter or Shift+F3 to the previous, wrapping at either end. The match
    gone to is selected and brought to the middle of the view.

    Esc is the window's (`MainWindow`): it closes the bar while it is open, so one key never
    has two meanings in one window.

    Signals:
        closed(): the bar was closed.
    """

    closed = Signal()

    def __init__(self, view: QTextBrowser, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("findBar")
        self._view = view
        #: Where each match of the term lies in the document, (start, end), in order.
        self._matches: list[tuple[int, int]] = []
        #: The index in `_matches` of the match gone to; None before the first.
        self._current: int | None = None
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Find in case")
        self.field.setClearButtonEnabled(True)
        self.status = QLabel(self)
        self.status.setObjectName("findStatus")
        # Wide enough for the usual counts: the field does not jump as they change.
        metrics = self.status.fontMetrics()
        self.status.setMinimumWidth(
            max(metrics.horizontalAdvance(text) for text in ("No matches", "888 of 888"))
        )
        previous = QToolButton(self)
        previous.setIcon(theme.icon("chevron-up"))
        previous.setToolTip("Previous match (Shift+Enter, Shift+F3)")
        following = QToolButton(self)
        following.setIcon(theme.icon("chevron-down"))
        following.setToolTip("Next match (Enter, F3)")
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
        self.field.returnPressed.connect(self.find_next)
        self.field.textChanged.connect(lambda _text: self.search(go=True))
        previous.clicked.connect(self.find_previous)
        following.clicked.connect(self.find_next)
        close.clicked.connect(self.close_bar)
        for keys in ("Shift+Return", "Shift+Enter"):
            # Only in the field: elsewhere Shift+Enter is the notes editor's, or the list's.
            shortcut = QShortcut(QKeySequence(keys), self.field, self.find_previous)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.hide()

    @property
    def match_count(self) -> int:
        return len(self._matches)

    @property
    def current(self) -> int | None:
        """The index (from 0) of the match gone to, or None."""
        return self._current

    def open_bar(self) -> None:
        """Shows the bar with its term selected, counted again in the case on show."""
        self.show()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        cursor = self._view.textCursor()
        self.refresh(selected=(cursor.selectionStart(), cursor.selectionEnd()))

    def close_bar(self) -> None:
        """Hides the bar; the focus goes back to the case if it was in the bar."""
        focus = QApplication.focusWidget()
        had_focus = focus is not None and self.isAncestorOf(focus)
        self.hide()
        if had_focus:
            self._view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.closed.emit()

    def find_next(self) -> bool:
        return self._step(1)

    def find_previous(self) -> bool:
        return self._step(-1)

    def search(self, *, go: bool) -> None:
        """Counts the term's matches in the document. With `go`, goes to the first at or after
        the selection's start (as typing narrows the term, the match stays put); without,
        goes nowhere until Enter (a newly opened case keeps its place)."""
        start = self._view.textCursor().selectionStart()
        self._matches = self._find_all(self.field.text())
        self._current = None
        if go and self._matches:
            later = (i for i, (first, _) in enumerate(self._matches) if first >= start)
            self._go(next(later, 0))
        self._show_status()

    def refresh(self, *, selected: tuple[int, int] | None = None) -> None:
        """Counts the term again (in a document drawn anew, or after the bar was hidden).
        The match gone to stays the current one, selected where it was without scrolling,
        if it was still `selected` (the same case drawn again: zoom, highlights)."""
        kept = self._matches[self._current] if self._current is not None else None
        self.search(go=False)
        if kept is not None and kept == selected and kept in self._matches:
            self._current = self._matches.index(kept)
            self._select(*kept)
            self._show_status()

    def _find_all(self, text: str) -> list[tuple[int, int]]:
        if not text:
            return []
        document = self._view.document()
        matches: list[tuple[int, int]] = []
        cursor = document.find(text, 0)
        while not cursor.isNull():
            matches.append((cursor.selectionStart(), cursor.selectionEnd()))
            cursor = document.find(text, cursor)
        return matches

    def _step(self, step: int) -> bool:
        if not self._matches:
            self._show_status()
            return False
        if self._current is None:
            self._go(0 if step > 0 else len(self._matches) - 1)
        else:
            self._go((self._current + step) % len(self._matches))  # wraps, like every find
        self._show_status()
        return True

    def _go(self, index: int) -> None:
        self._current = index
        first, last = self._matches[index]
        self._select(first, last)
        self._centre(first, last)

    def _select(self, first: int, last: int) -> None:
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(first)
        cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
        bar = self._view.verticalScrollBar()
        scroll = bar.value()
        self._view.setTextCursor(cursor)
        bar.setValue(scroll)  # the caller decides where the match is shown

    def _centre(self, first: int, last: int) -> None:
        """Brings a match to the middle of the view, unless it is already well inside it
        (then the page does not jump between matches on one screen)."""
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(first)
        top = self._view.cursorRect(cursor).top()
        cursor.setPosition(last)
        bottom = self._view.cursorRect(cursor).bottom()
        height = self._view.viewport().height()
        margin = min(height // 4, 3 * self._view.fontMetrics().height())
        if top >= margin and bottom <= height - margin:
            return
        bar = self._view.verticalScrollBar()
        bar.setValue(bar.value() + (top + bottom) // 2 - height // 2)

    def _show_status(self) -> None:
        count = len(self._matches)
        if not self.field.text():
            text = ""
        elif not count:
            text = "No matches"
        elif self._current is None:
            text = f"{count:,} match" + ("" if count == 1 else "es")
        else:
            text = f"{self._current + 1:,} of {count:,}"
        self.status.setText(text)


class DetailPane(QWidget):
    """The case document under a slim bar with the bookmark star and zoom.

    The reader's highlights are drawn as extra selections over the document, never into it:
    the position map counts the document's characters, and the text must stay the case's.

    Attributes:
        highlights: The shown case's live highlights, in reading order (detached ones last).

    Signals:
        bookmark_toggled(object, bool): the reader clicked the star for this case.
        filing_requested(object): the reader clicked the case's tags and collections (to
            edit its tags).
        case_opened(object): the Case now shown (or None), read by `open_case`.
        highlights_drawn(): the highlights were drawn again (loaded, moved, recoloured).

    The reader's requests to see a figure come from ``view.figure_requested``.
    """

    bookmark_toggled = Signal(object, bool)
    filing_requested = Signal(object)
    case_opened = Signal(object)
    highlights_drawn = Signal()

    MIN_ZOOM, MAX_ZOOM = -4, 10

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._zoom = 0
        #: The HTML last shown (what the reader sees, before Qt's own rewriting).
        self.html = ""
        #: Document positions <-> (section, offset) for the page shown; None when no case
        #: is shown or the document Qt built does not match the map (never guess then).
        self.positions: PositionMap | None = None
        #: The shown case's highlights as the page draws them (see `highlights` for the
        #: whole records, read when first asked for).
        self._marks: list[HighlightMark] = []
        self._highlights: list[Highlight] | None = None
        #: Where each drawn highlight lies in the document, (first, last, uid); worked out
        #: when first needed (hover, the context menu).
        self._spans: list[tuple[int, int, str]] | None = None
        self._flash: QTextEdit.ExtraSelection | None = None
        self._flash_steps = 0
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._blink)
        self._library: Library | None = None
        #: Decodes the figures' thumbnails; made when a library is known (`subscribe`), or
        #: given with `set_thumbnails`.
        self.thumbnails: ThumbnailService | None = None
        self.view = CaseView(self)
        self.find_bar = FindBar(self.view, self)
        self.star = QToolButton(self)
        self.star.setCheckable(True)
        self.star.setAutoRaise(True)
        self.star.setToolTip("Bookmark this case (Ctrl+D)")
        self.star.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.star.setIcon(theme.icon("star"))
        self.star.toggled.connect(self._star_toggled)
        #: The case's tags and collections, beside the star; a click edits the tags.
        self.filing = QToolButton(self)
        self.filing.setObjectName("caseFiling")
        self.filing.setAutoRaise(True)
        self.filing.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.filing.setIcon(theme.icon("tag"))
        self.filing.clicked.connect(self._filing_clicked)
        self.filing.hide()
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
        bar.addWidget(self.filing)
        bar.addWidget(self.heading, 1)
        bar.addWidget(zoom_out)
        bar.addWidget(zoom_in)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.find_bar)
        self._case_id: CaseId | None = None
        self._case: Case | None = None
        self._highlight: tuple[str, ...] = ()
        self.show_case(None, None)

    @property
    def case(self) -> Case | None:
        """The case on show, as read when it was opened."""
        return self._case

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
        self._stop_flash()
        self._read_highlights()
        self.star.setEnabled(case is not None)
        self.set_bookmarked(bookmarked)
        self.heading.setText("")
        self.show_filing()
        self._render(keep_position=False)

    def set_highlight(self, terms: tuple[str, ...]) -> None:
        if terms != self._highlight:
            self._highlight = terms
            self._render(keep_position=True)

    def show_filing(self) -> None:
        """Shows the case's tags and the collections it is in (read from the library)."""
        library, case_id = self._library, self._case_id
        if library is None or case_id is None or self._case is None:
            self.filing.hide()
            return
        tags = library.case_tags(case_id)
        paths = [found.path for found in library.collections_of(case_id)]
        parts = [", ".join(tags) if tags else "Add tags"]
        if paths:
            parts.append("in " + ", ".join(paths))
        whole = " · ".join(parts)
        shown = self.filing.fontMetrics().elidedText(
            whole, Qt.TextElideMode.ElideRight, FILING_WIDTH
        )
        self.filing.setText(shown.replace("&", "&&"))  # names, never a mnemonic
        tip = f"Tags: {', '.join(tags) or 'none'}\nCollections: {', '.join(paths) or 'none'}"
        self.filing.setToolTip(
            f"<p style='white-space:pre'>{html.escape(tip)}</p>"
            "<p>Click to edit the tags (Ctrl+T)</p>"
        )
        self.filing.show()

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
        cursor = self.view.textCursor()
        selected = (cursor.selectionStart(), cursor.selectionEnd()) if keep_position else None
        if self._case is None:
            self.html = ""
            self.positions = None
            self.view.clear_page()
            self.view.setPlainText("")
            self.view.setPlaceholderText("Select a case to read it here.")
            self._drawn_again()
            self._find_again(selected)
            return
        size = max(self.font().pointSizeF(), 9.0) + self._zoom
        marks = [
            (section, start, end, colour)
            for _, section, start, end, colour in self._marks
            if start is not None and end is not None
        ]
        page_theme = theme.document_theme(size)
        page = render_case(self._case, theme=page_theme, highlight=self._highlight, marks=marks)
        self.html = page.html
        self.view.show_page(
            self.html,
            images=page.images,
            figure_count=len(self._case.figures),
            page_theme=page_theme,
        )
        shown = self.view.document().characterCount()
        self.positions = page.positions if shown == page.positions.character_count else None
        if self.positions is None:
            _log.error(
                "case %s: the page has %d positions, its map %d; passages are not mapped",
                self._case.key,
                shown,
                page.positions.character_count,
            )
        self._drawn_again()
        self._find_again(selected)
        if keep_position:
            self.view.verticalScrollBar().setValue(scroll)

    def _find_again(self, selected: tuple[int, int] | None) -> None:
        """An open find bar counts its term in the page just drawn: another case's count
        (nothing gone to yet), or the same case's with its match still selected."""
        if not self.find_bar.isHidden():  # open, even while the pane is not on screen
            self.find_bar.refresh(selected=selected)

    def selected_passages(self) -> list[tuple[SectionKey, int, int]]:
        """The selection as (section, start, end) per section it covers (offsets in the
        section's canonical text); empty when nothing in a section is selected."""
        cursor = self.view.textCursor()
        if self.positions is None or not cursor.hasSelection():
            return []
        return self.positions.to_sections(cursor.selectionStart(), cursor.selectionEnd())

    def highlightable_passages(self) -> list[tuple[SectionKey, int, int]]:
        """The selection as `selected_passages` cuts it, each piece trimmed of the white
        space at its ends (a highlight starts and ends on text); pieces that are only white
        space are left out."""
        passages = self.selected_passages()
        if not passages or self._case is None:
            return []
        texts = {section.key: section.text for section in case_sections(self._case)}
        trimmed: list[tuple[SectionKey, int, int]] = []
        for key, start, end in passages:
            piece = texts.get(key, "")[start:end]
            lead = len(piece) - len(piece.lstrip())
            tail = len(piece) - len(piece.rstrip())
            if end - tail > start + lead:
                trimmed.append((key, start + lead, end - tail))
        return trimmed

    def _passage_cursor(self, key: str, start: int, end: int) -> QTextCursor | None:
        """A cursor selecting a passage of a section, or None if it is not shown."""
        if self.positions is None:
            return None
        first = self.positions.to_document(key, start)
        last = self.positions.to_document(key, end)
        if first is None or last is None:
            return None
        cursor = QTextCursor(self.view.document())
        cursor.setPosition(first)
        cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def show_passage(self, key: str, start: int, end: int) -> bool:
        """Selects a passage of a section and scrolls to it; False if it is not shown."""
        cursor = self._passage_cursor(key, start, end)
        if cursor is None:
            return False
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()
        return True

    def flash_passage(self, key: str, start: int, end: int) -> bool:
        """Scrolls to a passage of a section and blinks it for about a second (the text cursor
        goes to its start, nothing selected); False if it is not shown."""
        cursor = self._passage_cursor(key, start, end)
        if cursor is None:
            return False
        self._scroll_to(cursor.selectionStart(), cursor.selectionEnd())
        flash = QTextEdit.ExtraSelection()
        flash.cursor = cursor
        flash.format = QTextCharFormat()
        palette = self.view.palette()
        flash.format.setBackground(palette.highlight())
        flash.format.setForeground(palette.highlightedText())
        self._flash = flash
        self._flash_steps = 2 * FLASH_BLINKS
        self._flash_timer.start()
        self._show_selections()
        return True

    @property
    def flashing(self) -> bool:
        """True while a passage blinks (see `flash_passage`)."""
        return self._flash is not None

    @property
    def flashed_text(self) -> str:
        """The passage blinking now, as shown ('' when none)."""
        return self._flash.cursor.selectedText() if self._flash is not None else ""

    @property
    def highlights(self) -> list[Highlight]:
        """The shown case's live highlights in reading order (detached ones last), read
        from the library when first asked for."""
        if self._highlights is None:
            known = self._library is not None and self._case_id is not None and self._case
            self._highlights = (
                self._library.highlights(self._case_id)
                if known and self._library is not None and self._case_id is not None
                else []
            )
        return self._highlights

    def highlight_at(self, position: int) -> Highlight | None:
        """The highlight drawn over a document position (the shortest where they overlap:
        the one the reader most likely points at), or None."""
        under = [
            (last - first, uid) for first, last, uid in self._drawn() if first <= position < last
        ]
        if not under:
            return None
        uid = min(under)[1]
        return next((h for h in self.highlights if h.uid == uid), None)

    def highlight_span(self, highlight: Highlight) -> tuple[int, int] | None:
        """Where a highlight is drawn (document positions), or None if it is not."""
        for first, last, uid in self._drawn():
            if uid == highlight.uid:
                return first, last
        return None

    def detached_highlights(self) -> list[Highlight]:
        """The shown case's highlights that lost their place (kept, not drawn)."""
        return [highlight for highlight in self.highlights if highlight.start is None]

    def reload_highlights(self) -> None:
        """Reads the shown case's highlights again and draws the page with them."""
        self._read_highlights()
        self._render(keep_position=True)

    def _read_highlights(self) -> None:
        """Reads what the page draws of the case's highlights (the records wait)."""
        self._highlights = None
        if self._library is None or self._case_id is None or self._case is None:
            self._marks = []
        else:
            self._marks = self._library.highlight_marks(self._case_id)

    def _drawn(self) -> list[tuple[int, int, str]]:
        """Where each highlight the page was drawn with lies in the document, in reading
        order. The page carries the colours in its own character formats (`render_case`'s
        marks): drawn with the text, at no cost per paint or scroll."""
        if self._spans is None:
            self._spans = []
            positions = self.positions
            if positions is not None:
                for uid, section, start, end, _ in self._marks:
                    if start is None or end is None:
                        continue  # detached: listed in the notes panel, drawn nowhere
                    first = positions.to_document(section, start)
                    last = positions.to_document(section, end)
                    if first is not None and last is not None and first < last:
                        self._spans.append((first, last, uid))
                self._spans.sort()
        return self._spans

    def _drawn_again(self) -> None:
        self._spans = None
        self._show_selections()
        self.highlights_drawn.emit()

    def drawn_spans(self) -> list[tuple[int, int]]:
        """The document spans of the highlights drawn, in reading order."""
        return [(first, last) for first, last, _ in self._drawn()]

    def _show_selections(self) -> None:
        flash = [self._flash] if self._flash is not None and self._flash_steps % 2 == 0 else []
        self.view.setExtraSelections(flash)

    def _scroll_to(self, first: int, last: int) -> None:
        """Brings a document range into view (its start, if it is taller than the view) and
        leaves the text cursor at its start, with nothing selected."""
        cursor = QTextCursor(self.view.document())
        cursor.setPosition(last)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()
        cursor.setPosition(first)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()

    def _blink(self) -> None:
        self._flash_steps -= 1
        if self._flash_steps <= 0:
            self._stop_flash()
        self._show_selections()

    def _stop_flash(self) -> None:
        self._flash_timer.stop()
        self._flash = None
        self._flash_steps = 0

    # --- drawn from the library, redrawn from the change bus --------------------------------

    def subscribe(self, library: Library, bus: ChangeBus) -> None:
        """Reads cases from `library`; redraws from every change announced on `bus`."""
        self._library = library
        if self.thumbnails is None:
            # image_path only looks at the media folder: safe on the service's workers.
            self.set_thumbnails(ThumbnailService(library.image_path, parent=self))
        bus.changed.connect(self.on_changes)

    def set_thumbnails(self, service: ThumbnailService | None) -> None:
        """Where the page's thumbnails come from; the page is drawn again with them."""
        self.thumbnails = service
        self.view.set_thumbnails(service)
        if self._case is not None:
            self._render(keep_position=True)

    def open_case(self, case_id: CaseId | None) -> None:
        """Shows a case as the library holds it now (None: no case). The case on show,
        unchanged, is not drawn again: the reader keeps their place (a reload after another
        program's change)."""
        if self._library is None:
            return
        case = self._library.get_case(case_id) if case_id is not None else None
        bookmarked = case_id is not None and self._library.is_bookmarked(case_id)
        if case is not None and case_id == self._case_id and case == self._case:
            self.set_bookmarked(bookmarked)
            return
        self.show_case(case_id, case, bookmarked=bookmarked, highlight=self._highlight)
        self.case_opened.emit(case)

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        case_id = self._case_id
        if case_id is None or self._library is None:
            return
        if case_id in changes.cases:
            case = self._library.get_case(case_id)
            self._case = case
            self.set_bookmarked(case is not None and self._library.is_bookmarked(case_id))
            self._read_highlights()  # a re-import moves them
            self._render(keep_position=True)
            self.case_opened.emit(case)
            return
        if changes.whole_library:
            self.open_case(case_id)  # drawn again only if it changed
            self.reload_highlights()
        elif case_id in changes.bookmarks:
            self.set_bookmarked(self._library.is_bookmarked(case_id))
        if (
            changes.whole_library
            or changes.collection_tree
            or case_id in changes.tags
            or case_id in changes.collections
        ):
            self.show_filing()
        if case_id in changes.highlights:
            self.reload_highlights()

    def _filing_clicked(self) -> None:
        if self._case_id is not None:
            self.filing_requested.emit(self._case_id)

    def _star_toggled(self, on: bool) -> None:
        self.star.setIcon(theme.icon("star-filled" if on else "star"))
        self.star.setText("Bookmarked" if on else "Bookmark")
        if self._case_id is not None:
            self.bookmark_toggled.emit(self._case_id, on)
