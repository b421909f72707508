"""The case list: a table model over the ordered ids of one query, rows loaded a page at a time,
and the view with keyboard navigation, selection kept by case id, a word when it is empty, and
its own redraw from the change bus."""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QContextMenuEvent, QFont, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QMenu, QTableView, QWidget

from desktop.model import CaseFilter, CaseId, ListRow
from desktop.store import Changes, Hit, Library
from desktop.ui.change_bus import ChangeBus
from desktop.ui.paging import paged_row
from desktop.ui.roles import Roles

Index = QModelIndex | QPersistentModelIndex

#: (header, sort key) per column.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Title", "title"),
    ("Section", "section"),
    ("Age / sex", "age"),
    ("Final diagnosis", "diagnosis"),
    ("Published", "published"),
    ("Marks", "marks"),
)
TITLE, SECTION, AGE, DIAGNOSIS, PUBLISHED, MARKS = range(len(COLUMNS))

_AGE_UNITS = {"day": "d", "week": "wk", "month": "mo", "year": "y"}


class CaseTableModel(QAbstractTableModel):
    """Holds the ids of the current list in order and loads rows on demand.

    Loading every row up front costs a visible pause at 100,000 cases, and fetchMore
    batches make End slow; ids up front with lazily loaded pages give both a quick first
    screen and a quick End. Sorting re-runs the query in SQL.
    """

    #: Rows loaded per query, and how many pages stay cached.
    PAGE_SIZE = 100
    MAX_PAGES = 50

    def __init__(self, library: Library, parent: QWidget | None = None):
        super().__init__(parent)
        self._library = library
        self._ids: list[CaseId] = []
        self._row_of_cache: dict[CaseId, int] | None = {}
        self._pages: OrderedDict[int, list[ListRow | None]] = OrderedDict()
        self._snippets: dict[CaseId, str] = {}
        self._filter = CaseFilter()
        self._hits: list[Hit] | None = None
        self._sort: tuple[str, bool] | None = ("title", False)
        #: While set, a filter lists only its first this many cases (see load_head_only).
        self._head: int | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    # --- what the list shows --------------------------------------------------------------

    @property
    def case_filter(self) -> CaseFilter:
        return self._filter

    @property
    def hits(self) -> list[Hit]:
        """The search hits on show, best first (empty outside a search)."""
        return list(self._hits or [])

    @property
    def searching(self) -> bool:
        return self._hits is not None

    @property
    def sort_state(self) -> tuple[str, bool] | None:
        """(sort key, descending), or None while search hits are in rank order."""
        return self._sort

    def show_filter(self, case_filter: CaseFilter, sort: tuple[str, bool] | None = None) -> None:
        """Lists the cases of a sidebar entry (leaving any search)."""
        self._filter = case_filter
        self._hits = None
        self._sort = sort or self._sort or ("title", False)
        self._reload()

    def load_head_only(self, rows: int) -> None:
        """Until `load_whole_list`, a filter lists only its first `rows` cases: a start-up
        shows its first screen at once, and reads the other ids (~25 ms at 100,000 cases)
        once that screen is painted."""
        self._head = rows

    def load_whole_list(self) -> None:
        """Ends `load_head_only`: the rest of the list follows the head as inserted rows."""
        head, self._head = self._head, None
        if head is None or self._hits is not None:
            return
        key, descending = self._sort or ("title", False)
        ids = self._library.case_ids(self._filter, key, descending)
        if ids[: len(self._ids)] != self._ids:
            self._reload()  # the library changed meanwhile: list it afresh
        elif len(ids) > len(self._ids):
            self.beginInsertRows(QModelIndex(), len(self._ids), len(ids) - 1)
            self._pages.pop(len(self._ids) // self.PAGE_SIZE, None)  # a page cut short
            self._ids = ids
            self._row_of_cache = None
            self.endInsertRows()

    @property
    def whole(self) -> bool:
        """False while only the head of the list is loaded."""
        return self._head is None or self._hits is not None

    def show_hits(self, hits: list[Hit]) -> None:
        """Lists search hits in rank order, each with its snippet."""
        self._hits = hits
        self._sort = None
        self._reload()

    def reload(self) -> None:
        """Re-runs the current query (after an import, say)."""
        self._reload()

    def refresh_cases(self, ids: Iterable[CaseId]) -> None:
        """Reloads the rows of these cases (their marks or text changed) where shown."""
        rows = sorted(self._row_of[i] for i in ids if i in self._row_of)
        for row in rows:
            self._pages.pop(row // self.PAGE_SIZE, None)
        for row in rows:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def case_id(self, row: int) -> CaseId | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, case_id: CaseId) -> int | None:
        return self._row_of.get(case_id)

    @property
    def _row_of(self) -> dict[CaseId, int]:
        # Built on first use: 100,000 entries cost ~10 ms the first screen need not wait for.
        if self._row_of_cache is None:
            self._row_of_cache = {case_id: row for row, case_id in enumerate(self._ids)}
        return self._row_of_cache

    def ids(self) -> list[CaseId]:
        return list(self._ids)

    def library_is_empty(self) -> bool:
        return self._library.count_cases() == 0

    # --- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        column = index.column()
        if role == Roles.IdRole:
            return self._ids[index.row()]
        if role == Roles.SnippetRole:
            return self._snippets.get(self._ids[index.row()])
        if role not in _ROLES_WITH_ROW:
            return None
        row = self._row(index.row())
        if row is None:
            return None
        if role == Roles.ObjectRole:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == Qt.ItemDataRole.FontRole:
            return None if row.read else self._bold
        if role == Qt.ItemDataRole.ToolTipRole and column in (TITLE, DIAGNOSIS):
            # Tooltips are rich text when they look like it: escape so titles show literally.
            text = _display(row, column)
            return f"<p>{html.escape(text)}</p>" if text else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _display(row, column)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        wanted = (COLUMNS[column][1], order == Qt.SortOrder.DescendingOrder)
        if wanted == self._sort:
            return  # the view asks again when it is set up: the list is already in order
        self._sort = wanted
        self._reload()

    # --- internals -------------------------------------------------------------------------

    def _reload(self) -> None:
        self.beginResetModel()
        if self._hits is None:
            key, descending = self._sort or ("title", False)
            self._ids = self._library.case_ids(self._filter, key, descending, limit=self._head)
            self._snippets = {}
        else:
            ranked = [hit.case_id for hit in self._hits]
            if self._sort is None:
                self._ids = ranked
            else:
                self._ids = self._library.sort_ids(ranked, *self._sort)
            self._snippets = {hit.case_id: _note_snippet(hit) for hit in self._hits}
        self._row_of_cache = None
        self._pages.clear()
        self.endResetModel()

    def _row(self, row: int) -> ListRow | None:
        return paged_row(
            self._pages,
            self._ids,
            row,
            page_size=self.PAGE_SIZE,
            max_pages=self.MAX_PAGES,
            load=self._load_page,
        )

    def _load_page(self, ids: Sequence[CaseId]) -> list[ListRow | None]:
        loaded = {r.summary.id: r for r in self._library.rows(list(ids))}
        return [loaded.get(case_id) for case_id in ids]


_ROLES_WITH_ROW = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Roles.ObjectRole,
    }
)


def _note_snippet(hit: Hit) -> str:
    if hit.in_note:
        return f"Note: {hit.snippet}"
    return f"Highlight: {hit.snippet}" if hit.in_highlight else hit.snippet


def short_age(age: str | None, sex: str | None) -> str:
    """'42 years', 'female' -> '42 y · F'."""
    parts = []
    if age:
        number, _, unit = age.partition(" ")
        unit = unit.rstrip("s").lower()
        parts.append(f"{number} {_AGE_UNITS.get(unit, unit)}".strip())
    if sex:
        parts.append(sex[0].upper())
    return " · ".join(parts)


def _display(row: ListRow, column: int) -> str:
    summary = row.summary
    if column == TITLE:
        return summary.title
    if column == SECTION:
        return summary.section or ""
    if column == AGE:
        return short_age(summary.age, summary.sex)
    if column == DIAGNOSIS:
        return summary.final_diagnosis
    if column == PUBLISHED:
        return summary.published.isoformat() if summary.published else ""
    marks = [
        name
        for name, on in (
            ("bookmarked", row.bookmarked),
            ("note", row.has_note),
            ("highlights", row.has_highlights),
        )
        if on
    ]
    return ", ".join(marks)


class CaseListView(QTableView):
    """The case list: whole-row selection, j/k and Home/End, a context menu, and the
    current case kept by id when the list is reloaded.

    Signals:
        current_case_changed(object): the CaseId now current, or None.
        bookmark_requested(object, bool): toggle a bookmark from the context menu.
        read_requested(object, bool): mark a case read or unread.
        restore_requested(object): restore a case from the Trash (the Trash's menu).
        export_requested(object): export a case's notes and highlights to Markdown.
    """

    current_case_changed = Signal(object)
    bookmark_requested = Signal(object, bool)
    read_requested = Signal(object, bool)
    restore_requested = Signal(object)
    export_requested = Signal(object)

    def __init__(self, model: CaseTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("caseList")
        self.setModel(model)
        self._model = model
        self._kept: CaseId | None = None
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        # The indicator first: enabling sorting sorts by it at once, and a different
        # default would cost a query over the whole library.
        self.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setHighlightSections(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        #: Says why the list is empty (no cases, none here, no match), over the viewport.
        self.empty = QLabel(self.viewport())
        self.empty.setObjectName("emptyList")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        #: The search whose hits are listed (for the word shown when there are none).
        self.query = ""
        model.modelAboutToBeReset.connect(self._remember_current)
        model.modelReset.connect(self._restore_current)
        model.modelReset.connect(self.update_empty_label)
        self.selectionModel().currentRowChanged.connect(self._current_row_changed)

    def subscribe(self, bus: ChangeBus) -> None:
        """Redraws the list from every change announced on `bus`."""
        bus.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        """Lists afresh when cases came, went or changed; else redraws the rows touched."""
        if changes.whole_library or changes.cases:
            self._model.reload()
        else:
            self._model.refresh_cases(changes.touched)

    def update_empty_label(self) -> None:
        if self._model.rowCount():
            self.empty.hide()
            return
        query = self.query.strip()
        if query and self._model.searching:
            shown = query if len(query) <= 60 else query[:59] + "…"
            self.empty.setText(f"No case matches “{shown}”.")
        elif self._model.library_is_empty():
            self.empty.setText(
                "No cases yet.\nImport case files with File > Import, or drop them here."
            )
        else:
            self.empty.setText("No cases here.")
        self.empty.resize(self.viewport().size())
        self.empty.show()

    @property
    def case_model(self) -> CaseTableModel:
        return self._model

    def current_case(self) -> CaseId | None:
        index = self.currentIndex()
        return self._model.case_id(index.row()) if index.isValid() else None

    def select_case(self, case_id: CaseId | None) -> bool:
        """Makes the case current and visible; False if it is not in the list."""
        row = self._model.row_of(case_id) if case_id is not None else None
        if row is None:
            return False
        self._select_row(row)
        return True

    def select_row(self, row: int) -> None:
        if 0 <= row < self._model.rowCount():
            self._select_row(row)

    def set_two_line_rows(self, two_lines: bool) -> None:
        """Search hits show a snippet under the title: rows twice as tall."""
        line = self.fontMetrics().height()
        self.verticalHeader().setDefaultSectionSize(line * 2 + 12 if two_lines else line + 10)

    # --- internals -------------------------------------------------------------------------

    def _select_row(self, row: int) -> None:
        index = self._model.index(row, 0)
        self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def _remember_current(self) -> None:
        self._kept = self.current_case()

    def _restore_current(self) -> None:
        kept, self._kept = self._kept, None
        self.sync_sort_indicator()
        if kept is not None and self.select_case(kept):
            return
        self.current_case_changed.emit(None)

    def sync_sort_indicator(self) -> None:
        header = self.horizontalHeader()
        header.blockSignals(True)
        state = self._model.sort_state
        if state is None:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            key, descending = state
            column = next(i for i, (_, k) in enumerate(COLUMNS) if k == key)
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(column, order)
        header.blockSignals(False)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_case_changed.emit(
            self._model.case_id(current.row()) if current.isValid() else None
        )

    # --- Qt overrides ----------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.empty.resize(self.viewport().size())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        current = self.currentIndex().row() if self.currentIndex().isValid() else -1
        if plain and key == Qt.Key.Key_J:
            self.select_row(current + 1)
        elif plain and key == Qt.Key.Key_K:
            self.select_row(max(current - 1, 0))
        elif plain and key == Qt.Key.Key_Home:
            self.select_row(0)
        elif plain and key == Qt.Key.Key_End:
            self.select_row(self._model.rowCount() - 1)
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if not index.isValid():
            return
        self._select_row(index.row())
        menu = self.context_menu(index.row())
        if menu is not None:
            menu.exec(event.globalPos())

    def context_menu(self, row_number: int) -> QMenu | None:
        """The context menu of a row: Restore in the Trash, then bookmark and read state."""
        row = self._model.index(row_number, 0).data(Roles.ObjectRole)
        if not isinstance(row, ListRow):
            return None
        menu = QMenu(self)
        if self._model.case_filter.kind == "trash":
            restore = QAction("Restore from Trash", menu)
            restore.triggered.connect(lambda: self.restore_requested.emit(row.summary.id))
            menu.addAction(restore)
            menu.addSeparator()
        bookmark = QAction("Remove bookmark" if row.bookmarked else "Bookmark", menu)
        bookmark.triggered.connect(
            lambda: self.bookmark_requested.emit(row.summary.id, not row.bookmarked)
        )
        read = QAction("Mark as unread" if row.read else "Mark as read", menu)
        read.triggered.connect(lambda: self.read_requested.emit(row.summary.id, not row.read))
        menu.addAction(bookmark)
        menu.addAction(read)
        menu.addSeparator()
        export = QAction("Export Notes…", menu)
        export.triggered.connect(lambda: self.export_requested.emit(row.summary.id))
        menu.addAction(export)
        return menu
