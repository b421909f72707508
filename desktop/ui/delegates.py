"""Painting only: the title cell (with a search snippet under it), the marks cell, and a
highlight's colour swatch; and tooltips that show a cell's text whole where it is cut."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QIcon,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from desktop.model import ListRow
from desktop.palette import COLOURS
from desktop.ui import theme
from desktop.ui.roles import Roles

Index = QModelIndex | QPersistentModelIndex

#: Snippets mark matches with these (see `desktop.store.listing.search`).
HIT_OPEN, HIT_CLOSE = "«", "»"


def snippet_runs(snippet: str) -> list[tuple[str, bool]]:
    """Splits a marked snippet into (text, is_match) runs; stray marks are kept as text."""
    runs: list[tuple[str, bool]] = []
    rest = snippet
    while rest:
        start = rest.find(HIT_OPEN)
        end = rest.find(HIT_CLOSE, start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            runs.append((rest, False))
            break
        if start:
            runs.append((rest[:start], False))
        runs.append((rest[start + 1 : end], True))
        rest = rest[end + 1 :]
    # Line breaks from the case text become spaces; the spaces around a match stay.
    return [(re.sub(r"\s+", " ", text), hit) for text, hit in runs if text]


class CutTextDelegate(QStyledItemDelegate):
    """A cell whose text is cut to fit shows it whole in a tooltip when hovered, and a
    cell shown whole shows none (it would only repeat it).

    Attributes:
        own_tips: True: a cell's own tooltip (its model's), where it has one, shows
            whether or not its text is cut; False: only when it is, in place of the text.
    """

    def __init__(self, parent: QWidget | None = None, *, own_tips: bool = False):
        super().__init__(parent)
        self.own_tips = own_tips

    def cut_text(self, option: QStyleOptionViewItem, index: Index) -> str | None:
        """The cell's whole text if it is shown cut, else None."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        room = self.text_room(opt, index)
        return text if text and QFontMetrics(opt.font).horizontalAdvance(text) > room else None

    def text_room(self, opt: QStyleOptionViewItem, index: Index) -> int:
        """The width the cell's text is drawn in (as the style draws it: within the text
        rect, less a margin each side)."""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, opt.widget) + 1
        return rect.width() - 2 * margin

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        if event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        own = index.data(Qt.ItemDataRole.ToolTipRole)
        if self.own_tips and own:
            return super().helpEvent(event, view, option, index)
        whole = self.cut_text(option, index)
        if whole is None:
            QToolTip.hideText()
            return True
        # Rich text wraps a long diagnosis; escaped, a title shows as written.
        tip = own if own else f"<p>{html.escape(whole)}</p>"
        QToolTip.showText(event.globalPos(), tip, view.viewport(), view.visualRect(index))
        return True


class TitleDelegate(CutTextDelegate):
    """The title, and under it the search snippet with its matches highlighted."""

    #: Room kept each side of a title drawn over its snippet.
    PADDING = 6

    def text_room(self, opt: QStyleOptionViewItem, index: Index) -> int:
        if index.data(Roles.SnippetRole):
            return opt.rect.width() - 2 * self.PADDING  # as `paint` draws it
        return super().text_room(opt, index)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        snippet = index.data(Roles.SnippetRole)
        if not snippet:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        text = option.text
        option.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        rect = option.rect.adjusted(self.PADDING, 3, -self.PADDING, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setFont(option.font)
        metrics = QFontMetrics(option.font)
        line = metrics.height()
        title_rect = QRect(rect.left(), rect.top(), rect.width(), line)
        painter.setPen(palette.color(text_role))
        painter.drawText(
            title_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width()),
        )
        small = QFont(option.font)
        small.setBold(False)
        small.setPointSizeF(max(option.font.pointSizeF() - 1, 7))
        snippet_rect = rect.adjusted(0, line + 2, 0, 0)
        _paint_snippet(painter, small, snippet_rect, snippet, selected=selected, palette=palette)
        painter.restore()


class MarksDelegate(QStyledItemDelegate):
    """A star for a bookmark, a page for a note, a marker for highlights; no text. Hovering
    names the marks (the icons alone are easy to mistake)."""

    ICON_SIZE = 16
    #: (icon, what its tooltip says, whether a row has it), in the order they are drawn.
    MARKS: tuple[tuple[str, str, Callable[[ListRow], bool]], ...] = (
        ("star-filled", "Bookmarked", lambda row: row.bookmarked),
        ("note", "Has a note", lambda row: row.has_note),
        ("highlight", "Has highlights", lambda row: row.has_highlights),
    )

    #: The marks drawn in one ink (recoloured on the selection).
    INKED = frozenset({"note", "highlight"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        row = index.data(Roles.ObjectRole)
        if not isinstance(row, ListRow):
            return
        size = self.ICON_SIZE
        x = option.rect.left() + 6
        y = option.rect.top() + (option.rect.height() - size) // 2
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        # On the selection, grey ink would all but vanish: drawn in the selection's text
        # colour instead (the star keeps its gold, which shows on it).
        ink = option.palette.color(_colour_group(option), QPalette.ColorRole.HighlightedText)
        # Each mark keeps its place, so a column of rows reads as columns of marks.
        for name, _words, has in self.MARKS:
            if has(row):
                box = QRect(x, y, size, size)
                if selected and name in self.INKED:
                    scale = painter.device().devicePixelRatioF() if painter.device() else 1.0
                    painter.drawPixmap(box, tinted(theme.icon(name), size, ink, scale))
                else:
                    theme.icon(name).paint(painter, box)
            x += size + 4

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        count = len(self.MARKS)
        return QSize(count * self.ICON_SIZE + (count - 1) * 4 + 12, self.ICON_SIZE + 8)

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        if event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        row = index.data(Roles.ObjectRole)
        words = marks_text(row) if isinstance(row, ListRow) else ""
        if not words:
            QToolTip.hideText()
            return True
        QToolTip.showText(event.globalPos(), words, view)
        return True


def tinted(icon: QIcon, size: int, colour: QColor, scale: float = 1.0) -> QPixmap:
    """The icon at `size`, every drawn pixel in `colour` (its shape kept, with its edges'
    softness)."""
    pixmap = icon.pixmap(QSize(size, size), scale)
    painter = QPainter(pixmap)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(pixmap.rect(), colour)
    painter.end()
    return pixmap


def _colour_group(option: QStyleOptionViewItem) -> QPalette.ColorGroup:
    if not option.state & QStyle.StateFlag.State_Enabled:
        return QPalette.ColorGroup.Disabled
    if option.state & QStyle.StateFlag.State_Active:
        return QPalette.ColorGroup.Active
    return QPalette.ColorGroup.Inactive


def marks_text(row: ListRow) -> str:
    """The marks of a row in words ("Bookmarked · Has highlights"), as the tooltip says them."""
    return " · ".join(words for _name, words, has in MarksDelegate.MARKS if has(row))


class SwatchDelegate(QStyledItemDelegate):
    """A highlight's colour as a small rounded swatch (the cell's text is its name, for
    screen readers and copying); an unknown colour draws no swatch."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        name = option.text.lower()
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        side = min(option.rect.height() - 8, 14)
        rect = QRect(option.rect.left() + 8, option.rect.center().y() - side // 2, side, side)
        paint_swatch(painter, rect, name, option.palette)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(30, 22)


def paint_swatch(painter: QPainter, rect: QRect, colour: str, palette: QPalette) -> None:
    """Fills `rect` with a palette colour, rounded, with a hairline that keeps pale shades
    (grey, yellow) apart from a light background and every shade apart from a dark one."""
    shade = COLOURS.get(colour)
    if shade is None:
        return
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    edge = QColor(palette.color(QPalette.ColorRole.Text))
    edge.setAlpha(70)
    painter.setPen(edge)
    painter.setBrush(QColor(shade.hex))
    painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 3, 3)
    painter.restore()


def _paint_snippet(
    painter: QPainter, font: QFont, rect: QRect, snippet: str, *, selected: bool, palette: QPalette
) -> None:
    """Draws the snippet on one line from rect's top left, matches bold on a highlight."""
    metrics = QFontMetrics(font)
    bold = QFont(font)
    bold.setBold(True)
    bold_metrics = QFontMetrics(bold)
    x = rect.left()
    y = rect.top()
    height = metrics.height()
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
    muted = palette.color(role)
    strong = palette.color(QPalette.ColorRole.Text)
    hit_background = QColor("#5b4a00" if theme.is_dark(palette) else "#fff0b3")
    for text, hit in snippet_runs(snippet):
        room = rect.right() - x
        if room <= 0:
            break
        current = bold_metrics if hit else metrics
        shown = current.elidedText(text, Qt.TextElideMode.ElideRight, room)
        width = current.horizontalAdvance(shown)
        if hit and not selected:
            painter.fillRect(QRect(x, y, width, height), hit_background)
        painter.setFont(bold if hit else font)
        painter.setPen(strong if hit and not selected else muted)
        painter.drawText(
            QRect(x, y, width + 1, height),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            shown,
        )
        x += width
        if shown != text:
            break


class CountDelegate(CutTextDelegate):
    """A sidebar entry with its count at the right, muted (the name is cut to make room,
    and then shown whole in a tooltip)."""

    #: Room between the name and the count, and after the count.
    GAP = 8

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, own_tips=True)

    def text_room(self, opt: QStyleOptionViewItem, index: Index) -> int:
        count = index.data(Roles.CountRole)
        if not isinstance(count, str) or not count:
            return super().text_room(opt, index)
        width = QFontMetrics(opt.font).horizontalAdvance(count)
        return max(self._text_width(opt) - width - self.GAP, 0)  # as `paint` cuts it

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        count = index.data(Roles.CountRole)
        if not isinstance(count, str) or not count:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = opt.fontMetrics.horizontalAdvance(count)
        # The name is cut before the count, not under it.
        opt.text = opt.fontMetrics.elidedText(
            opt.text, Qt.TextElideMode.ElideRight, max(self._text_width(opt) - width - self.GAP, 0)
        )
        style = opt.widget.style()  # the view's: set on every option a view paints with
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(
            opt.palette.color(QPalette.ColorRole.HighlightedText)
            if selected
            else opt.palette.color(QPalette.ColorRole.PlaceholderText)
        )
        box = opt.rect.adjusted(0, 0, -self.GAP, 0)
        painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count)
        painter.restore()

    @staticmethod
    def _text_width(opt: QStyleOptionViewItem) -> int:
        """The width the name may take: the cell less its icon and margins."""
        element = QStyle.SubElement.SE_ItemViewItemText
        return opt.widget.style().subElementRect(element, opt, opt.widget).width()
