"""The notes panel's Highlights tab: one case's highlights in reading order, the detached ones
apart, filtered by colour and tag, comments edited in place, deletions undone from Edit > Undo,
and "Note from Highlights". `HighlightLink` is the one place highlights reach the detail pane."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QResizeEvent,
    QShowEvent,
    QTextLayout,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.model import CaseId, Highlight
from desktop.palette import COLOURS, PALETTE
from desktop.sections import HEADINGS, section_kind
from desktop.store import Changes, Library, LibraryError
from desktop.ui.case_view import DetailPane, tooltip_html
from desktop.ui.change_bus import ChangeBus
from desktop.ui.highlighting import (
    DELETE_KEYS,
    EDIT_FAILURES,
    HighlightController,
    claims_delete_key,
    delete_highlight_with_undo,
    show_row_menu,
    swatch_icon,
)
from desktop.ui.operations import Operations
from desktop.ui.roles import Roles
from desktop.ui.undo import UndoStack

Index = QModelIndex | QPersistentModelIndex

#: Lines of a highlight's text and comment shown in the tab, at most (the tooltip has all).
QUOTE_LINES, COMMENT_LINES = 3, 3


def section_label(key: str) -> str:
    """The heading a section key is shown under ("Imaging Findings")."""
    kind = section_kind(key)
    return HEADINGS.get(kind, kind.replace("_", " ").capitalize())


class HighlightListModel(QAbstractListModel):
    """Highlights in the order given; small (one case's), so held whole.

    The comment is the row's edit value: a new one is kept here at once (the row shows it)
    and announced as `comment_submitted` for the tab to save.

    Signals:
        comment_submitted(str, str): uid and new comment of an edited row.
    """

    comment_submitted = Signal(str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[Highlight] = []

    def set_highlights(self, highlights: Sequence[Highlight]) -> None:
        self.beginResetModel()
        self._rows = list(highlights)
        self.endResetModel()

    def highlight(self, row: int) -> Highlight | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, uid: str) -> int | None:
        return next((i for i, h in enumerate(self._rows) if h.uid == uid), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEditable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        highlight = self.highlight(index.row()) if index.isValid() else None
        if highlight is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return highlight.text or highlight.quote
        if role == Qt.ItemDataRole.EditRole:
            return highlight.comment
        if role == Roles.ObjectRole:
            return highlight
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(highlight)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _spoken(highlight)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        highlight = self.highlight(index.row()) if index.isValid() else None
        if highlight is None or role != Qt.ItemDataRole.EditRole or not isinstance(value, str):
            return False
        if value == highlight.comment:
            return True  # nothing to save
        self._rows[index.row()] = dataclasses.replace(highlight, comment=value)
        self.dataChanged.emit(index, index)
        self.comment_submitted.emit(highlight.uid, value)
        return True


def _tooltip(highlight: Highlight) -> str:
    # Rich text, so that case text and comments are escaped and long ones wrap.
    colour = COLOURS.get(highlight.colour)
    parts = [f"<p><b>{html.escape(colour.label if colour else highlight.colour)}</b> · "]
    parts.append(f"{html.escape(section_label(highlight.section))}</p>")
    parts.append(f"<p><i>{html.escape(highlight.text or highlight.quote)}</i></p>")
    if highlight.comment:
        parts.append(f"<p>{html.escape(highlight.comment)}</p>")
    if highlight.tags:
        parts.append(f"<p>{html.escape(' · '.join(highlight.tags))}</p>")
    return "".join(parts)


def _spoken(highlight: Highlight) -> str:
    words = [f"{highlight.colour} highlight", highlight.text or highlight.quote]
    if highlight.comment:
        words.append(f"comment: {highlight.comment}")
    if highlight.tags:
        words.append(f"tags: {', '.join(highlight.tags)}")
    return "; ".join(words)


def wrapped_lines(text: str, font: QFont, width: int, most: int) -> list[str]:
    """`text` broken into lines at most `width` pixels wide, at most `most` of them; the
    last one ends in an ellipsis when text is left over."""
    width = max(width, 1)
    found: list[tuple[str, int, int]] = []  # (paragraph, start, length) per line
    for paragraph in text.split("\n"):
        layout = QTextLayout(paragraph, font)
        layout.beginLayout()
        while len(found) <= most:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            found.append((paragraph, line.textStart(), line.textLength()))
        layout.endLayout()
        if len(found) > most:
            break  # no need to lay out what is not shown
    lines = [paragraph[start : start + length].rstrip() for paragraph, start, length in found]
    if len(found) <= most:
        return lines
    paragraph, start, _length = found[most - 1]
    rest = paragraph[start:].rstrip() + " …"
    metrics = QFontMetrics(font)
    return [*lines[: most - 1], metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)]


class HighlightDelegate(QStyledItemDelegate):
    """Paints a highlight as a card: its colour as a bar beside its words, the section, the
    comment, the tags; edits the comment in a small text box (Enter saves, Shift+Enter
    starts a new line, Esc cancels, leaving it saves)."""

    PAD = 6
    BAR = 4

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        highlight = index.data(Roles.ObjectRole)
        option.text = ""
        widget = option.widget
        style = widget.style() if widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        if not isinstance(highlight, Highlight):
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = QColor(text) if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        blocks = self._blocks(option, highlight)
        rect = option.rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        painter.save()
        y = rect.top()
        for kind, font, lines in blocks:
            height = QFontMetrics(font).height()
            painter.setFont(font)
            painter.setPen(muted if kind in ("section", "tags") else text)
            x = rect.left() + (self.BAR + 6 if kind == "quote" else 0)
            if kind == "quote":
                bar = QRect(rect.left(), y, self.BAR, height * len(lines))
                colour = COLOURS.get(highlight.colour)
                painter.fillRect(bar, QColor(colour.hex if colour else "#aaaaaa"))
                if selected:  # a blue bar on a blue selection would vanish
                    painter.setPen(text)
                    painter.drawRect(bar.adjusted(-1, -1, 0, 0))
            for line in lines:
                painter.drawText(
                    QRect(x, y, rect.right() - x, height),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    line,
                )
                y += height
            y += 3
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        highlight = index.data(Roles.ObjectRole)
        if not isinstance(highlight, Highlight):
            return super().sizeHint(option, index)
        self.initStyleOption(option, index)
        blocks = self._blocks(option, highlight)
        height = sum(QFontMetrics(font).height() * len(lines) + 3 for _, font, lines in blocks)
        return QSize(self._width(option), height - 3 + 2 * self.PAD)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = CommentEditor(parent)
        editor.submitted.connect(lambda: self._finish(editor))
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, CommentEditor):
            editor.setPlainText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
            editor.moveCursor(editor.textCursor().MoveOperation.End)

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        if isinstance(editor, CommentEditor):
            model.setData(index, editor.toPlainText().strip(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> None:
        # The box covers the card below its quote, tall enough for a few lines however
        # short the comment is (it may overlap the next card while it is open).
        line = QFontMetrics(option.font).height()
        rect = option.rect.adjusted(self.PAD, self.PAD, -self.PAD, 0)
        rect.setHeight(max(rect.height() - self.PAD, line * 4 + 10))
        editor.setGeometry(rect)

    def _finish(self, editor: CommentEditor) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def _width(self, option: QStyleOptionViewItem) -> int:
        view = option.widget
        if isinstance(view, QAbstractItemView):
            return view.viewport().width()
        return max(option.rect.width(), 200)

    def _blocks(
        self, option: QStyleOptionViewItem, highlight: Highlight
    ) -> list[tuple[str, QFont, list[str]]]:
        """What a card shows, top to bottom: (kind, font, lines)."""
        width = self._width(option) - 2 * self.PAD
        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() - 1, 7))
        blocks: list[tuple[str, QFont, list[str]]] = [
            ("section", small, [section_label(highlight.section)])
        ]
        words = highlight.text or highlight.quote
        blocks.append(
            (
                "quote",
                option.font,
                wrapped_lines(words, option.font, width - self.BAR - 6, QUOTE_LINES),
            )
        )
        if highlight.comment:
            blocks.append(
                (
                    "comment",
                    option.font,
                    wrapped_lines(highlight.comment, option.font, width, COMMENT_LINES),
                )
            )
        if highlight.tags:
            tags = "  ".join(f"#{tag}" for tag in highlight.tags)
            metrics = QFontMetrics(small)
            blocks.append(
                ("tags", small, [metrics.elidedText(tags, Qt.TextElideMode.ElideRight, width)])
            )
        return blocks


class CommentEditor(QPlainTextEdit):
    """A highlight's comment, edited in place: Enter saves, Shift+Enter starts a new line.

    Signals:
        submitted(): Enter was pressed.
    """

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("commentEditor")
        self.setPlaceholderText("Comment (Markdown) — Enter saves, Esc cancels")
        self.setTabChangesFocus(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class HighlightListView(QListView):
    """One list of highlight cards: a click (or Enter) opens the passage, a double-click or
    F2 edits the comment, Delete deletes, and a context menu does the same.

    Signals:
        opened(object): the Highlight clicked or activated.
        delete_requested(str): the uid of the highlight to delete.
        width_changed(): the cards wrap anew, so their heights change.
    """

    opened = Signal(object)
    delete_requested = Signal(str)
    width_changed = Signal()

    def __init__(self, model: HighlightListModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setModel(model)
        self._model = model
        self.setItemDelegate(HighlightDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Cards wrap to the width: lay them out again when it changes.
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setWordWrap(True)
        # Cards are measured (their text wrapped) a screenful at a time, the rest while the
        # window is idle: a case with hundreds of highlights opens at once.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(12)
        self.clicked.connect(self._open)
        self.activated.connect(self._open)

    def current_highlight(self) -> Highlight | None:
        index = self.currentIndex()
        return self._model.highlight(index.row()) if index.isValid() else None

    def edit_current(self) -> None:
        if self.currentIndex().isValid():
            self.edit(self.currentIndex())

    def _open(self, index: QModelIndex) -> None:
        highlight = self._model.highlight(index.row())
        if highlight is not None:
            self.opened.emit(highlight)

    def context_menu(self, row: int) -> QMenu | None:
        """Edit the comment, copy the words, delete."""
        highlight = self._model.highlight(row)
        if highlight is None:
            return None
        menu = QMenu(self)
        edit = QAction("Edit Comment", menu)
        edit.triggered.connect(lambda: self.edit(self._model.index(row)))
        copy = QAction("Copy Text", menu)
        copy.triggered.connect(lambda: _copy(highlight.text or highlight.quote))
        delete = QAction("Delete Highlight", menu)
        delete.triggered.connect(lambda: self.delete_requested.emit(highlight.uid))
        menu.addActions([edit, copy])
        menu.addSeparator()
        menu.addAction(delete)
        return menu

    def event(self, event: QEvent) -> bool:
        # Delete belongs to this list while it has the focus, not to the window's Move to
        # Trash: the reader means the highlight they are looking at.
        if claims_delete_key(event) and self.state() != QAbstractItemView.State.EditingState:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in DELETE_KEYS:
            highlight = self.current_highlight()
            if highlight is not None:
                self.delete_requested.emit(highlight.uid)
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        show_row_menu(self, event, self.context_menu)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.width_changed.emit()


def _copy(text: str) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().setText(text)


class ColourFilter(QWidget):
    """Eight toggleable swatches: none checked shows every colour, else only those checked.

    Signals:
        changed(): the colours chosen changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        self.buttons: dict[str, QToolButton] = {}
        for colour in PALETTE:
            button = QToolButton(self)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setIcon(swatch_icon(colour))
            button.setIconSize(QSize(14, 14))
            button.setAccessibleName(f"Show {colour.label.lower()} highlights")
            button.toggled.connect(lambda _on: self.changed.emit())
            layout.addWidget(button)
            self.buttons[colour.name] = button
        self.set_available(set(), {})

    def chosen(self) -> frozenset[str]:
        return frozenset(name for name, button in self.buttons.items() if button.isChecked())

    def set_available(self, present: set[str], meanings: dict[str, str]) -> None:
        """Colours with no highlight here are greyed out (and unchecked)."""
        for colour in PALETTE:
            button = self.buttons[colour.name]
            meaning = meanings.get(colour.name, "")
            label = f"{colour.label} — {meaning}" if meaning else colour.label
            on = colour.name in present
            if not on and button.isChecked():
                button.blockSignals(True)
                button.setChecked(False)
                button.blockSignals(False)
            button.setEnabled(on)
            # The meaning is the reader's text: never markup.
            button.setToolTip(
                tooltip_html(
                    f"Show only {label} highlights (click again to show all)"
                    if on
                    else f"{label}: none"
                )
            )

    def clear(self) -> None:
        for button in self.buttons.values():
            button.setChecked(False)


class HighlightsTab(QWidget):
    """The highlights of the case on show. Every change goes through the operations runner;
    the tab redraws from the change bus.

    Signals:
        count_changed(int): how many live highlights the case has (for the tab's label).
        passage_requested(object): show this Highlight's passage in the detail pane.
        attach_requested(str): attach this (detached) highlight to the detail pane's selection.
        note_requested(str): append this Markdown to the case's note.
    """

    count_changed = Signal(int)
    passage_requested = Signal(object)
    attach_requested = Signal(str)
    note_requested = Signal(str)

    def __init__(self, library: Library, operations: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("highlightsTab")
        self._library = library
        self._operations = operations
        self._undo: UndoStack | None = None
        self._case_id: CaseId | None = None
        #: The case's highlights, read when the lists are filled (None: not read yet).
        self._all: list[Highlight] | None = []
        self._count = 0
        #: The lists wait for the tab to be shown (see `reload`).
        self._stale = False
        self._reset_tag = False
        self._can_attach = False

        self.colours = ColourFilter(self)
        self.tags = QComboBox(self)
        self.tags.setAccessibleName("Show highlights with this tag")
        self.tags.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.tags.setMinimumContentsLength(8)
        self.tags.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.colours.changed.connect(self._apply_filter)

        self.model = HighlightListModel(self)
        self.list = HighlightListView(self.model, self)
        self.list.setObjectName("highlightList")
        self.empty = QLabel(self)
        self.empty.setObjectName("noteStatus")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.detached_model = HighlightListModel(self)
        self.detached_list = HighlightListView(self.detached_model, self)
        self.detached_list.setObjectName("detachedList")
        self.detached_header = QLabel("Detached — not found in the current text", self)
        self.detached_header.setObjectName("detachedHeader")
        self.detached_header.setTextFormat(Qt.TextFormat.PlainText)
        self.detached_header.setWordWrap(True)
        font = self.detached_header.font()
        font.setBold(True)
        self.detached_header.setFont(font)
        self.attach_button = QPushButton("Attach to Selection", self)
        self.attach_button.clicked.connect(self.attach_current)
        self.detached_box = QWidget(self)
        detached_layout = QVBoxLayout(self.detached_box)
        detached_layout.setContentsMargins(0, 4, 0, 0)
        detached_layout.setSpacing(4)
        header_row = QHBoxLayout()
        header_row.addWidget(self.detached_header, 1)
        header_row.addWidget(self.attach_button)
        detached_layout.addLayout(header_row)
        detached_layout.addWidget(self.detached_list, 1)

        self.edit_button = QToolButton(self)
        self.edit_button.setText("Edit Comment")
        self.edit_button.setAutoRaise(True)
        self.edit_button.setToolTip("Edit the chosen highlight's comment (F2 or double-click)")
        self.edit_button.clicked.connect(self.edit_current)
        self.delete_button = QToolButton(self)
        self.delete_button.setText("Delete")
        self.delete_button.setAutoRaise(True)
        self.delete_button.setToolTip("Delete the chosen highlight (Delete); Ctrl+Z undoes it")
        self.delete_button.clicked.connect(self.delete_current)
        self.note_button = QPushButton("Note from Highlights", self)
        self.note_button.setToolTip(
            "Append all of this case's highlights to its note, grouped by colour"
        )
        self.note_button.clicked.connect(self.note_from_highlights)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.colours)
        filters.addStretch(1)
        filters.addWidget(self.tags)
        actions = QHBoxLayout()
        actions.addWidget(self.edit_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.note_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(filters)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.detached_box)
        layout.addLayout(actions)

        for view in (self.list, self.detached_list):
            view.opened.connect(self._opened)
            view.delete_requested.connect(self.delete)
            view.selectionModel().currentChanged.connect(self._current_changed)
        self.detached_list.width_changed.connect(self._fit_detached)
        self.model.comment_submitted.connect(self.save_comment)
        self.detached_model.comment_submitted.connect(self.save_comment)
        self.show_case(None)

    # --- what it shows -----------------------------------------------------------------------

    @property
    def case_id(self) -> CaseId | None:
        return self._case_id

    @property
    def count(self) -> int:
        """The case's live highlights (whatever the filters show)."""
        return self._count

    def set_undo_stack(self, undo: UndoStack) -> None:
        """Where a deletion's Undo goes (the window's Edit > Undo)."""
        self._undo = undo

    def show_case(self, case_id: CaseId | None) -> None:
        """Lists the highlights of `case_id` (None: nothing), with the filters cleared."""
        changed = case_id != self._case_id
        self._case_id = case_id
        if changed:
            self.colours.blockSignals(True)
            self.colours.clear()
            self.colours.blockSignals(False)
        self.reload(reset_tag=changed)

    def reload(self, *, reset_tag: bool = False) -> None:
        """Reads the case's highlights again, keeping the filters and the chosen one.

        The lists are filled when the tab is on show (or asked about): the Note tab is the
        one usually in front, and a case with hundreds of highlights should open at once.
        """
        case_id = self._case_id
        self._count = len(self._library.highlight_marks(case_id)) if case_id is not None else 0
        self._all = None
        self.note_button.setEnabled(self._count > 0)
        self.count_changed.emit(self._count)
        self._reset_tag = self._reset_tag or reset_tag
        self._stale = True
        if self.isVisible():
            self._fill()

    def _fill(self) -> None:
        """Fills the filters and lists from the highlights last read."""
        self._stale = False
        meanings = self._library.colour_meanings() if self._highlights() else {}
        self.colours.set_available({h.colour for h in self._highlights()}, meanings)
        self._fill_tags("" if self._reset_tag else self.tags.currentData() or "")
        self._reset_tag = False
        self._apply_filter()

    def _highlights(self) -> list[Highlight]:
        """The case's highlights, read now if they were not yet."""
        if self._all is None:
            case_id = self._case_id
            self._all = self._library.highlights(case_id) if case_id is not None else []
        return self._all

    def _ensure_filled(self) -> None:
        if self._stale:
            self._fill()

    def showEvent(self, event: QShowEvent) -> None:
        self._ensure_filled()
        super().showEvent(event)

    def set_selection_available(self, available: bool) -> None:
        """Whether the detail pane has text selected (what Attach to Selection needs)."""
        self._can_attach = available
        self._update_buttons()

    def current_highlight(self) -> Highlight | None:
        """The highlight chosen in either list (the one focused last)."""
        self._ensure_filled()
        for view in (self.list, self.detached_list):
            if view.hasFocus() and view.current_highlight() is not None:
                return view.current_highlight()
        return self.list.current_highlight() or self.detached_list.current_highlight()

    def select_highlight(self, uid: str) -> bool:
        """Makes a highlight the chosen one (shown if the filters hide it); False if the
        case on show has no such highlight."""
        self._ensure_filled()
        for view, model in ((self.list, self.model), (self.detached_list, self.detached_model)):
            row = model.row_of(uid)
            if row is not None:
                view.setCurrentIndex(model.index(row))
                view.scrollTo(model.index(row))
                return True
        if any(h.uid == uid for h in self._highlights()) and (
            self.colours.chosen() or self.tags.currentIndex() > 0
        ):
            self.colours.clear()
            self.tags.setCurrentIndex(0)
            return self.select_highlight(uid)
        return False

    def visible_highlights(self) -> list[Highlight]:
        """What the lists show now: anchored in reading order, then detached."""
        self._ensure_filled()
        rows = [self.model.highlight(i) for i in range(self.model.rowCount())]
        rows += [self.detached_model.highlight(i) for i in range(self.detached_model.rowCount())]
        return [h for h in rows if h is not None]

    # --- what the reader does ------------------------------------------------------------------

    def edit_current(self) -> None:
        highlight = self.current_highlight()
        if highlight is None:
            return
        view = self.list if highlight.start is not None else self.detached_list
        view.setFocus()
        view.edit_current()

    def save_comment(self, uid: str, comment: str) -> bool:
        """Saves an edited comment; on failure the list shows the stored one again."""
        changes = self._operations.run(
            lambda: self._library.edit_highlight(uid, comment=comment),
            initiator=self,
            what="The comment was not saved.",
            expected=EDIT_FAILURES,
        )
        if changes is None:
            self.reload()
            return False
        return True

    def delete_current(self) -> None:
        highlight = self.current_highlight()
        if highlight is not None:
            self.delete(highlight.uid)

    def delete(self, uid: str) -> bool:
        """Deletes a highlight, undoable from Edit > Undo (see `delete_highlight_with_undo`)."""
        return delete_highlight_with_undo(
            self._library, self._operations, self._undo, uid, initiator=self
        )

    def attach_current(self) -> None:
        highlight = self.detached_list.current_highlight()
        if highlight is None and self.detached_model.rowCount() == 1:
            highlight = self.detached_model.highlight(0)
        if highlight is not None:
            self.attach_requested.emit(highlight.uid)

    def note_from_highlights(self) -> None:
        """Asks the notes panel to append the case's highlights, grouped by colour."""
        if self._case_id is None or not self._count:
            return
        from desktop.export import highlights_markdown  # loaded when first used

        text = highlights_markdown(self._highlights(), self._library.colour_meanings())
        if text:
            self.note_requested.emit(text)

    # --- drawn from the library, redrawn from the change bus ----------------------------------

    def subscribe(self, bus: ChangeBus) -> None:
        bus.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        """Reads the list again when its case's highlights (or text) changed, or what the
        colours mean; the tab's own edits too, since the store is what the list shows."""
        case_id = self._case_id
        if case_id is None:
            return
        if (
            changes.whole_library
            or changes.colour_meanings
            or case_id in changes.highlights
            or case_id in changes.cases
        ):
            try:
                self.reload()
            except (LibraryError, LookupError):
                pass  # the case went, or the library cannot be read now: the window says so

    # --- internals -------------------------------------------------------------------------------

    def _fill_tags(self, keep: str) -> None:
        counts: dict[str, tuple[str, int]] = {}
        for highlight in self._highlights():
            for tag in highlight.tags:
                name, n = counts.get(tag.casefold(), (tag, 0))
                counts[tag.casefold()] = (name, n + 1)
        self.tags.blockSignals(True)
        self.tags.clear()
        self.tags.addItem("All tags", "")
        for folded in sorted(counts):
            name, n = counts[folded]
            self.tags.addItem(f"{name} ({n})", name)
        found = self.tags.findData(keep) if keep else 0
        self.tags.setCurrentIndex(max(found, 0))
        self.tags.setEnabled(bool(counts))
        self.tags.blockSignals(False)

    def _apply_filter(self) -> None:
        colours = self.colours.chosen()
        tag = str(self.tags.currentData() or "").casefold()
        shown = [
            h
            for h in self._highlights()
            if (not colours or h.colour in colours)
            and (not tag or any(t.casefold() == tag for t in h.tags))
        ]
        kept = self.current_highlight()
        self.model.set_highlights([h for h in shown if h.start is not None])
        self.detached_model.set_highlights([h for h in shown if h.start is None])
        if kept is not None:
            for view, model in ((self.list, self.model), (self.detached_list, self.detached_model)):
                row = model.row_of(kept.uid)
                if row is not None:
                    view.setCurrentIndex(model.index(row))
        self.detached_box.setVisible(self.detached_model.rowCount() > 0)
        self._fit_detached()
        if self._case_id is None:
            self.empty.setText("Highlights of the case you read are listed here.")
        elif not self._highlights():
            self.empty.setText(
                "No highlights yet. Select text in the case and press 1–8 to highlight it."
            )
        else:
            self.empty.setText("No highlight matches these filters.")
        self.empty.setVisible(not shown)
        self.list.setVisible(self.model.rowCount() > 0)
        self._update_buttons()

    def _fit_detached(self) -> None:
        # The detached list is as tall as its cards, up to a third of the tab: the list of
        # placed highlights, the one read most, keeps the room.
        view = self.detached_list
        rows = sum(view.sizeHintForRow(row) for row in range(self.detached_model.rowCount()))
        frame = 2 * view.frameWidth() + 2
        view.setMaximumHeight(max(min(rows + frame, self.height() // 3), 60))

    def _update_buttons(self) -> None:
        chosen = self.current_highlight()
        self.edit_button.setEnabled(chosen is not None)
        self.delete_button.setEnabled(chosen is not None)
        target = self.detached_list.current_highlight() or (
            self.detached_model.highlight(0) if self.detached_model.rowCount() == 1 else None
        )
        self.attach_button.setEnabled(self._can_attach and target is not None)
        if not self._can_attach:
            self.attach_button.setToolTip(
                "Select the passage in the case first, then attach the highlight to it"
            )
        elif target is None:
            self.attach_button.setToolTip("Choose the detached highlight to attach")
        else:
            self.attach_button.setToolTip("Put this highlight on the text selected in the case")

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # One highlight is chosen at a time, in either list.
        if current.isValid():
            other = self.detached_list if current.model() is self.model else self.list
            other.selectionModel().clear()
        self._update_buttons()

    def _opened(self, highlight: Highlight) -> None:
        if highlight.start is not None:
            self.passage_requested.emit(highlight)
        self._update_buttons()

    # --- Qt overrides ----------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_detached()


class HighlightLink(QObject):
    """The one place highlights reach the detail pane: the tab's and the browser's "show the
    passage", and "attach to the selection".

    Args:
        show_case: Shows a case in the detail pane (and the notes panel), as the window does.
    """

    def __init__(
        self,
        library: Library,
        operations: Operations,
        detail: DetailPane,
        tab: HighlightsTab,
        show_case: Callable[[CaseId], None],
        *,
        highlighting: HighlightController,
        undo: UndoStack | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._library = library
        self._operations = operations
        self._detail = detail
        self._tab = tab
        self._show_case = show_case
        self._highlighting = highlighting
        if undo is not None:
            tab.set_undo_stack(undo)
        tab.passage_requested.connect(self.show_passage)
        tab.attach_requested.connect(self.attach)
        detail.view.selectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def show_passage(self, highlight: Highlight) -> bool:
        """Scrolls the detail pane to the highlight's words and marks them; False when it
        is detached or its case is not the one shown."""
        if highlight.start is None or highlight.end is None:
            return False
        if self._detail.case_id != highlight.case_id:
            return False
        return self._detail.flash_passage(highlight.section, highlight.start, highlight.end)

    def open_highlight(self, highlight: Highlight) -> bool:
        """Shows a highlight's case (if another is shown) and then its passage."""
        case_id = highlight.case_id
        if case_id is None:
            self._operations.tell(
                "That highlight's case is not in this library: import the case to read it."
            )
            return False
        if self._detail.case_id != case_id:
            self._show_case(case_id)
            if self._detail.case_id != highlight.case_id:
                return False  # the reader chose to stay on an unsaved note
        # Placed on the case's text as it is now (the browser's copy may predate a re-import).
        current = next(
            (h for h in self._library.highlights(case_id) if h.uid == highlight.uid),
            None,
        )
        self._tab.select_highlight(highlight.uid)
        if current is None or current.start is None:
            self._operations.tell(
                "That highlight's words are no longer in the case: it is listed as detached."
            )
            return False
        return self.show_passage(current)

    def attach(self, uid: str) -> bool:
        """Puts a detached highlight on the text selected in the detail pane."""
        return self._highlighting.attach_to_selection(uid)

    def _selection_changed(self) -> None:
        self._tab.set_selection_available(self._detail.view.textCursor().hasSelection())
