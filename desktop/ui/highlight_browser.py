"""The highlight browser: every highlight in the library as a table, newest first, filtered by
colour, tag and text; the model holds the ordered row ids of one query and loads rows a page at
a time (as the case list does), and redraws itself from the change bus."""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QContextMenuEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.model import HighlightFilter, HighlightRow
from desktop.palette import COLOURS, PALETTE
from desktop.store import Changes, Library
from desktop.ui.change_bus import ChangeBus
from desktop.ui.delegates import SwatchDelegate
from desktop.ui.highlighting import (
    DELETE_KEYS,
    claims_delete_key,
    delete_highlight_with_undo,
    show_row_menu,
    swatch_icon,
)
from desktop.ui.highlights_tab import section_label
from desktop.ui.operations import Operations
from desktop.ui.paging import paged_row
from desktop.ui.roles import Roles
from desktop.ui.undo import UndoStack

Index = QModelIndex | QPersistentModelIndex

#: Column headers, in order.
COLUMNS: tuple[str, ...] = ("Colour", "Highlighted text", "Comment", "Tags", "Case", "Created")
COLOUR, QUOTE, COMMENT, TAGS, CASE, CREATED = range(len(COLUMNS))
#: The text filter runs this long after the last key, not on every key.
FILTER_AFTER_MS = 200


class HighlightTableModel(QAbstractTableModel):
    """The ids of the listed highlights in order, their rows loaded on demand.

    A filter first reads only its first `HEAD` ids, so the first screen does not wait for
    100,000 of them; the rest follow as inserted rows once the event loop is free (see
    `load_rest`).
    """

    #: Rows loaded per query, and how many pages stay cached.
    PAGE_SIZE = 100
    MAX_PAGES = 20
    #: Ids read before the first screen.
    HEAD = 200

    def __init__(self, library: Library, parent: QWidget | None = None):
        super().__init__(parent)
        self._library = library
        self._ids: list[int] = []
        self._pages: OrderedDict[int, list[HighlightRow | None]] = OrderedDict()
        self._filter = HighlightFilter()
        self._whole = True
        #: Bumped by every reload: a late `load_rest` for an older one does nothing.
        self._generation = 0

    @property
    def highlight_filter(self) -> HighlightFilter:
        return self._filter

    @property
    def whole(self) -> bool:
        """False while only the head of the list is loaded."""
        return self._whole

    def show_filter(self, wanted: HighlightFilter) -> None:
        """Lists the highlights `wanted` selects."""
        self._filter = wanted
        self.reload()

    def reload(self) -> None:
        """Runs the query again (the rows shown may have changed)."""
        self._generation += 1
        self.beginResetModel()
        self._ids = self._library.highlight_ids(self._filter, limit=self.HEAD)
        self._pages.clear()
        self._whole = len(self._ids) < self.HEAD
        self.endResetModel()
        if not self._whole:
            generation = self._generation
            QTimer.singleShot(0, lambda: self.load_rest(generation))

    def load_rest(self, generation: int | None = None) -> None:
        """Reads the whole id list and adds what follows the head (a reload if the head
        changed meanwhile)."""
        if self._whole or (generation is not None and generation != self._generation):
            return
        ids = self._library.highlight_ids(self._filter)
        if ids[: len(self._ids)] != self._ids:
            self.reload()
            return
        self._whole = True
        if len(ids) > len(self._ids):
            self.beginInsertRows(QModelIndex(), len(self._ids), len(ids) - 1)
            self._pages.pop(len(self._ids) // self.PAGE_SIZE, None)  # a page cut short
            self._ids = ids
            self.endInsertRows()

    def highlight_row(self, row: int) -> HighlightRow | None:
        return self._row(row) if 0 <= row < len(self._ids) else None

    def row_of(self, highlight_id: int) -> int | None:
        try:
            return self._ids.index(highlight_id)
        except ValueError:
            return None

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    # --- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            # The swatches say what the column is; its name would only be cut short.
            return "" if section == COLOUR else COLUMNS[section]
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role not in _ROLES_WITH_ROW:
            return None
        row = self._row(index.row())
        if row is None:
            return None
        if role == Roles.ObjectRole:
            return row
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, column)
        return None

    # --- internals -------------------------------------------------------------------------

    def _row(self, row: int) -> HighlightRow | None:
        return paged_row(
            self._pages,
            self._ids,
            row,
            page_size=self.PAGE_SIZE,
            max_pages=self.MAX_PAGES,
            load=self._load_page,
        )

    def _load_page(self, ids: Sequence[int]) -> list[HighlightRow | None]:
        loaded = self._library.highlight_rows(ids)
        if len(loaded) == len(ids):
            return list(loaded)
        # Another program deleted some since the ids were read, and the rows do not say
        # which: show none of this page rather than rows on the wrong ids, and read the list
        # again.
        QTimer.singleShot(0, self.reload)
        return [None] * len(ids)


_ROLES_WITH_ROW = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Roles.ObjectRole,
    }
)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _display(row: HighlightRow, column: int) -> str:
    highlight = row.highlight
    if column == COLOUR:
        colour = COLOURS.get(highlight.colour)
        return colour.label if colour else highlight.colour
    if column == QUOTE:
        return _one_line(highlight.quote)
    if column == COMMENT:
        return _one_line(highlight.comment)
    if column == TAGS:
        return ", ".join(highlight.tags)
    if column == CASE:
        return row.case_title
    return highlight.created_at.astimezone().strftime("%Y-%m-%d")


def _tooltip(row: HighlightRow, column: int) -> str | None:
    # Rich text (escaped): the whole passage or comment, wrapped, where the cell cuts it.
    highlight = row.highlight
    if column == QUOTE:
        where = html.escape(section_label(highlight.section))
        return f"<p><i>{html.escape(highlight.quote)}</i></p><p>{where}</p>"
    if column == COMMENT and highlight.comment:
        return f"<p>{html.escape(highlight.comment)}</p>"
    if column == CASE:
        return f"<p>{html.escape(row.case_title)}</p><p>{html.escape(row.case_key)}</p>"
    if column == CREATED:
        return highlight.created_at.astimezone().strftime("%d %b %Y, %H:%M")
    return None


class TagCombo(QComboBox):
    """A combo box that fills itself as its list opens, when told its items are stale:
    counting every tag costs ~300 ms at 100,000 highlights, too much for each change."""

    def __init__(self, fill: Callable[[], None], parent: QWidget | None = None):
        super().__init__(parent)
        self._fill = fill
        self.stale = True

    def showPopup(self) -> None:
        if self.stale:
            self._fill()
        super().showPopup()


class HighlightFilterBar(QWidget):
    """Colour, tag (with counts) and text, above the browser's table.

    Signals:
        changed(HighlightFilter): what to list now (text changes wait for a pause in typing).
    """

    changed = Signal(object)

    def __init__(self, tags: Callable[[], list[tuple[str, int]]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("highlightFilterBar")
        self._tags = tags
        self.colour = QComboBox(self)
        self.colour.setAccessibleName("Colour")
        self.colour.addItem("All colours", "")
        for colour in PALETTE:
            self.colour.addItem(swatch_icon(colour), colour.label, colour.name)
        self.tag = TagCombo(self.refresh_tags, self)
        self.tag.setAccessibleName("Tag")
        self.tag.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.tag.addItem("All tags", "")
        self.text = QLineEdit(self)
        self.text.setObjectName("highlightFilterText")
        self.text.setPlaceholderText("Filter by words in the passage, comment, tags or case title")
        self.text.setClearButtonEnabled(True)
        self.count = QLabel(self)
        self.count.setObjectName("noteStatus")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_AFTER_MS)
        self._timer.timeout.connect(self._emit)
        self.colour.currentIndexChanged.connect(lambda _i: self._emit())
        self.tag.currentIndexChanged.connect(lambda _i: self._emit())
        self.text.textChanged.connect(lambda _t: self._timer.start())
        self.text.returnPressed.connect(self._emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.colour)
        layout.addWidget(self.tag)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.count)

    def current(self) -> HighlightFilter:
        return HighlightFilter(
            colour=str(self.colour.currentData() or "") or None,
            tag=str(self.tag.currentData() or "") or None,
            text=self.text.text().strip(),
        )

    def refresh_tags(self) -> None:
        """Reads the tags in use, with their counts, into the tag combo."""
        self.set_tags(self._tags())

    def set_tags(self, tags: list[tuple[str, int]]) -> None:
        """The tags to offer, with how many highlights carry each; the chosen one stays (a
        tag no longer used falls back to all)."""
        self.tag.stale = False
        chosen = str(self.tag.currentData() or "")
        self.tag.blockSignals(True)
        self.tag.clear()
        self.tag.addItem("All tags", "")
        for name, count in tags:
            self.tag.addItem(f"{name} ({count})", name)
        index = self.tag.findData(chosen) if chosen else 0
        self.tag.setCurrentIndex(max(index, 0))
        self.tag.blockSignals(False)
        if chosen and index < 0:
            self._emit()

    def set_meanings(self, meanings: dict[str, str]) -> None:
        for i, colour in enumerate(PALETTE, start=1):
            meaning = meanings.get(colour.name, "")
            self.colour.setItemText(i, f"{colour.label} — {meaning}" if meaning else colour.label)

    def _emit(self) -> None:
        self._timer.stop()
        self.changed.emit(self.current())


class HighlightTableView(QTableView):
    """The browser's table: whole rows, Enter or a double-click opens a highlight, Delete
    deletes it (undoably), and a context menu does both.

    Signals:
        opened(object): the HighlightRow to open.
        delete_requested(str): the uid of the highlight to delete.
    """

    opened = Signal(object)
    delete_requested = Signal(str)

    def __init__(self, model: HighlightTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("highlightTable")
        self.setModel(model)
        self._model = model
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegateForColumn(COLOUR, SwatchDelegate(self))
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(QUOTE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COMMENT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((COLOUR, 30), (TAGS, 120), (CASE, 220), (CREATED, 90)):
            self.setColumnWidth(column, width)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.empty = QLabel(self.viewport())
        self.empty.setObjectName("emptyList")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.activated.connect(self._open)
        self.doubleClicked.connect(self._open)

    def current_row(self) -> HighlightRow | None:
        index = self.currentIndex()
        return self._model.highlight_row(index.row()) if index.isValid() else None

    def context_menu(self, row_number: int) -> QMenu | None:
        """Open in its case; delete."""
        row = self._model.highlight_row(row_number)
        if row is None:
            return None
        menu = QMenu(self)
        open_action = QAction("Show in Case", menu)
        open_action.triggered.connect(lambda: self.opened.emit(row))
        delete = QAction("Delete Highlight", menu)
        delete.triggered.connect(lambda: self.delete_requested.emit(row.highlight.uid))
        menu.addAction(open_action)
        menu.addSeparator()
        menu.addAction(delete)
        return menu

    def _open(self, index: QModelIndex) -> None:
        row = self._model.highlight_row(index.row())
        if row is not None:
            self.opened.emit(row)

    # --- Qt overrides ----------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Delete here means this highlight, never the window's Move to Trash (whose case,
        # behind the browser, the reader cannot even see).
        if claims_delete_key(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in DELETE_KEYS:
            row = self.current_row()
            if row is not None:
                self.delete_requested.emit(row.highlight.uid)
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        show_row_menu(self, event, self.context_menu)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.empty.resize(self.viewport().size())


class HighlightBrowser(QWidget):
    """Every highlight in the library: a filter bar over the table.

    Signals:
        highlight_opened(object): the reader opened a Highlight (to show at its passage).
    """

    highlight_opened = Signal(object)

    def __init__(self, library: Library, operations: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("highlightBrowser")
        self._library = library
        self._operations = operations
        self._undo: UndoStack | None = None
        #: Nothing is read until the browser is first shown (most sessions never open it).
        self._loaded = False
        #: Changed while hidden: read again when shown.
        self._stale = False
        self.filter_bar = HighlightFilterBar(library.highlight_tags, self)
        self.model = HighlightTableModel(library, self)
        self.view = HighlightTableView(self.model, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)
        self.filter_bar.changed.connect(self._filter_changed)
        self.view.opened.connect(lambda row: self.highlight_opened.emit(row.highlight))
        self.view.delete_requested.connect(self.delete)
        self.model.modelAboutToBeReset.connect(self._remember_current)
        self.model.modelReset.connect(self._restore_current)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self._kept: int | None = None

    def set_undo_stack(self, undo: UndoStack) -> None:
        """Where a deletion's Undo goes (the window's Edit > Undo)."""
        self._undo = undo

    def load(self) -> None:
        """Reads the list and the colours' meanings afresh (the tags when their list opens)."""
        self._loaded = True
        self._stale = False
        self.filter_bar.tag.stale = True
        self.filter_bar.set_meanings(self._library.colour_meanings())
        self.model.show_filter(self.filter_bar.current())

    def ensure_loaded(self) -> None:
        """Loads the list when the browser is shown for the first time, or after changes
        made while it was hidden."""
        if not self._loaded or self._stale:
            self.load()

    def delete(self, uid: str) -> bool:
        return delete_highlight_with_undo(
            self._library, self._operations, self._undo, uid, initiator=self
        )

    def subscribe(self, bus: ChangeBus) -> None:
        bus.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        """Any change to highlights, to cases (a title, the trash) or to what the colours
        mean may change the rows: list afresh (re-reading the ids is cheap)."""
        if not self._loaded:
            return
        rows = changes.whole_library or changes.highlights or changes.cases
        if not self.isVisible():
            self._stale = self._stale or bool(rows or changes.colour_meanings)
            return
        if rows:
            self.filter_bar.tag.stale = True
            self.model.reload()
        if changes.whole_library or changes.colour_meanings:
            self.filter_bar.set_meanings(self._library.colour_meanings())

    # --- internals -------------------------------------------------------------------------

    def _filter_changed(self, wanted: HighlightFilter) -> None:
        if self._loaded and wanted != self.model.highlight_filter:
            self.model.show_filter(wanted)

    def _remember_current(self) -> None:
        index = self.view.currentIndex()
        self._kept = self.model.id_at(index.row()) if index.isValid() else None

    def _restore_current(self) -> None:
        kept, self._kept = self._kept, None
        row = self.model.row_of(kept) if kept is not None else None
        if row is not None:
            self.view.setCurrentIndex(self.model.index(row, 0))

    def _update_count(self) -> None:
        rows = self.model.rowCount()
        more = "" if self.model.whole else "+"
        self.filter_bar.count.setText(f"{rows:,}{more} highlight{'s' if rows != 1 else ''}")
        if rows:
            self.view.empty.hide()
            return
        wanted = self.model.highlight_filter
        if wanted.colour or wanted.tag or wanted.text:
            self.view.empty.setText("No highlight matches these filters.")
        else:
            self.view.empty.setText(
                "No highlights yet.\nSelect text in a case and press 1–8 to highlight it."
            )
        self.view.empty.resize(self.view.viewport().size())
        self.view.empty.show()
