"""The case list: a table model over the ordered ids of one query, rows loaded a page at a time,
and the view with keyboard navigation, selection kept by case id, a word when it is empty, and
its own redraw from the change bus."""

from __future__ import annotations

import datetime as dt
import html
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop.model import CaseFilter, CaseId, ListRow
from desktop.query import short_query
from desktop.store import COLLECTION_ORDER, Changes, Hit, Library
from desktop.study import interval_text
from desktop.ui.case_drag import cases_mime, dragged_cases
from desktop.ui.change_bus import ChangeBus
from desktop.ui.delegates import CutTextDelegate
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
    ("Due", "due"),
    ("Marks", "marks"),
)
TITLE, SECTION, AGE, DIAGNOSIS, PUBLISHED, DUE, MARKS = range(len(COLUMNS))

#: More scattered runs of rows than this coming or going at once: the list is reset rather
#: than told row by row.
MAX_ROW_RUNS = 50

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
        #: The sort of the other entries, while a collection is listed in its own order.
        self._sort_elsewhere: tuple[str, bool] = ("title", False)
        #: The list's sort before a search put the hits in rank order: back to it after.
        self._sort_before_search: tuple[str, bool] = ("title", False)
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
        """Lists the cases of a sidebar entry (leaving any search). A collection starts in
        its own order; another entry keeps the sort on show (or by title)."""
        if self._hits is not None and self._sort is None:
            self._sort = self._sort_before_search  # hits were in rank order: not a sort
        self._filter = case_filter
        self._hits = None
        if sort is None and case_filter.kind == "collection":
            if self._sort is not None and self._sort[0] != COLLECTION_ORDER:
                self._sort_elsewhere = self._sort  # back to it on leaving the collection
            sort = (COLLECTION_ORDER, False)
        if sort is None and self._sort is not None and self._sort[0] == COLLECTION_ORDER:
            sort = self._sort_elsewhere
        self._sort = sort or self._sort or ("title", False)
        self._reload()

    @property
    def in_collection_order(self) -> bool:
        """True while a collection's cases are listed in its own order (they can be
        rearranged by dragging)."""
        return (
            self._hits is None
            and self._filter.kind == "collection"
            and self._sort == (COLLECTION_ORDER, False)
        )

    def show_collection_order(self) -> None:
        """Back to the collection's own order after sorting by a column."""
        if self._filter.kind == "collection" and self._hits is None:
            self._sort = (COLLECTION_ORDER, False)
            self._reload()

    def requery(self) -> None:
        """Runs the entry's query again and moves only the rows that came, went or moved
        (the scroll position and selection stay): after a change that may add cases to
        the entry on show or take them out (a bookmark, a tag, a collection)."""
        if self._hits is not None or self._head is not None:
            return
        key, descending = self._sort or ("title", False)
        self.apply_ids(self._library.case_ids(self._filter, key, descending))

    def apply_ids(self, new: list[CaseId]) -> None:
        """Shows `new` in place of the ids on show, as removed, inserted or moved rows."""
        old = self._ids
        if new == old:
            return
        old_set, new_set = set(old), set(new)
        kept_old = [case for case in old if case in new_set]
        kept_new = [case for case in new if case in old_set]
        gone = _runs([case not in new_set for case in old])
        came = _runs([case not in old_set for case in new])
        if len(gone) + len(came) > MAX_ROW_RUNS:
            self._set_ids(new)
            return
        for first, last in reversed(gone):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._ids[first : last + 1]
            self._forget_rows()
            self.endRemoveRows()
        if kept_old != kept_new:  # the same cases in another order
            self.layoutAboutToBeChanged.emit()
            moved = self.persistentIndexList()
            rows = {case: row for row, case in enumerate(kept_new)}
            self._ids = list(kept_new)
            self._forget_rows()
            self.changePersistentIndexList(
                moved,
                [
                    self.index(rows[kept_old[index.row()]], index.column())
                    if 0 <= index.row() < len(kept_old)
                    else QModelIndex()
                    for index in moved
                ],
            )
            self.layoutChanged.emit()
        for first, last in came:
            self.beginInsertRows(QModelIndex(), first, last)
            self._ids[first:first] = new[first : last + 1]
            self._forget_rows()
            self.endInsertRows()

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

    def show_hits(self, hits: list[Hit], *, in_place: bool = False) -> None:
        """Lists search hits in rank order, each with its snippet; `in_place` (the same
        search run again after a change) moves only the rows that differ."""
        if in_place and self._hits is not None and self._sort is None:
            self._hits = hits
            self._snippets = {hit.case_id: _note_snippet(hit) for hit in hits}
            self.apply_ids([hit.case_id for hit in hits])
            return
        if self._hits is None:
            self._sort_before_search = self._sort or ("title", False)
        self._hits = hits
        self._sort = None
        self._reload()

    def leave_search(self) -> None:
        """Lists the entry again after a search, in the order it had before (or in the
        one the reader chose among the hits)."""
        if self._hits is None:
            return
        self._sort = self._sort or self._sort_before_search
        self._hits = None
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

    @property
    def library(self) -> Library:
        return self._library

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

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        # Cases are dragged onto the sidebar (a collection, a tag) and within a collection.
        return flags | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else flags

    def mimeTypes(self) -> list[str]:
        from desktop.ui.case_drag import CASES_MIME

        return [CASES_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({index.row() for index in indexes if index.isValid()})
        ids = [case for case in (self.case_id(row) for row in rows) if case is not None]
        return cases_mime(ids, self._library.path)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

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
        if self._hits is None:
            key, descending = self._sort or ("title", False)
            ids = self._library.case_ids(self._filter, key, descending, limit=self._head)
            self._snippets = {}
        else:
            ranked = [hit.case_id for hit in self._hits]
            ids = ranked if self._sort is None else self._library.sort_ids(ranked, *self._sort)
            self._snippets = {hit.case_id: _note_snippet(hit) for hit in self._hits}
        self._set_ids(ids)

    def _set_ids(self, ids: list[CaseId]) -> None:
        self.beginResetModel()
        self._ids = ids
        self._forget_rows()
        self.endResetModel()

    def _forget_rows(self) -> None:
        """Rows moved: the pages and the row of each id are read again when asked for."""
        self._row_of_cache = None
        self._pages.clear()

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


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """The (first, last) index of each run of True in `flags`, in order."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, flag in enumerate(flags):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index - 1))
            start = None
    if start is not None:
        runs.append((start, len(flags) - 1))
    return runs


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


def due_text(due: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """When a case comes back for a drill, as the list shows it: 'now', 'in 3 d',
    'in 2 mo' (nothing for a case never drilled)."""
    if due is None:
        return ""
    wait = due - (now or dt.datetime.now(dt.UTC))
    if wait.total_seconds() <= 0:
        return "now"
    return f"in {interval_text(wait)}"


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
    if column == DUE:
        return due_text(row.due)
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
        bookmark_requested(list, bool): bookmark cases (ids) or take their bookmark off.
        read_requested(list, bool): mark cases (ids) read or unread.
        all_read_requested(): mark every case in the list read.
        restore_requested(object): restore a case from the Trash (the Trash's menu).
        export_requested(object): export a case's notes and highlights to Markdown.
        cases_reordered(list, object): cases (ids) dragged within a collection in its own
            order, to go just before a case (its id), or last (None).

    Attributes:
        menu_extender: Adds the organising commands (collections, tags) for the selected
            cases to a row's context menu; set by the window.
    """

    current_case_changed = Signal(object)
    bookmark_requested = Signal(list, bool)
    read_requested = Signal(list, bool)
    all_read_requested = Signal()
    restore_requested = Signal(object)
    export_requested = Signal(object)
    cases_reordered = Signal(list, object)

    def __init__(self, model: CaseTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("caseList")
        self.setModel(model)
        self._model = model
        self._kept: CaseId | None = None
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several cases at once (Shift/Ctrl+click) for dragging and filing; the current
        # one is the one shown.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setDropIndicatorShown(False)  # drawn here: a line between two rows
        self.menu_extender: Callable[[QMenu, list[CaseId]], None] | None = None
        #: Where a drag within a collection would put the cases: the row they go before.
        self._drop_row: int | None = None
        self.setShowGrid(False)
        self.setWordWrap(False)
        # A cut title, section or diagnosis shows whole in a tooltip.
        self.setItemDelegate(CutTextDelegate(self))
        self.setAlternatingRowColors(True)
        # The indicator first: enabling sorting sorts by it at once, and a different
        # default would cost a query over the whole library.
        self.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.horizontalHeader().setHighlightSections(False)
        #: The section's and diagnosis's widths the reader chose (or a saved layout
        #: restored); None until then: the columns follow the list's width (`_fit_columns`).
        self._reader_widths: tuple[int, int] | None = None
        self._fitted_width: int | None = None
        self._sizing = False
        self._set_column_modes()
        self.horizontalHeader().sectionResized.connect(self._column_resized)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda point: self._header_menu().exec(header.mapToGlobal(point))
        )
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
        #: Whether rows are two lines tall (search hits), and how tall one-line rows are:
        #: as tall as the text needs, so a small screen shows more of the list.
        self._two_line_rows = False
        self._one_line_height = self.fontMetrics().height() + 10
        self.verticalHeader().setDefaultSectionSize(self._one_line_height)
        model.modelAboutToBeReset.connect(self._remember_current)
        model.modelReset.connect(self._restore_current)
        model.modelReset.connect(self.update_empty_label)
        self.selectionModel().currentRowChanged.connect(self._current_row_changed)

    def subscribe(self, bus: ChangeBus) -> None:
        """Redraws the list from every change announced on `bus`."""
        bus.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        """Lists afresh when cases came, went or changed; else redraws the rows touched,
        and moves the rows that came into the entry on show or left it."""
        if changes.whole_library or changes.cases:
            self._model.reload()
            return
        self._model.refresh_cases(changes.touched)
        if may_move_rows(self._model.case_filter, changes):
            self._model.requery()
            self.update_empty_label()

    def update_empty_label(self) -> None:
        if self._model.rowCount():
            self.empty.hide()
            return
        query = self.query.strip()
        if query and self._model.searching:
            self.empty.setText(f"No case matches “{short_query(query)}”.")
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

    def selected_cases(self) -> list[CaseId]:
        """The selected cases in list order (the current one if none is selected)."""
        rows = sorted(index.row() for index in self.selectionModel().selectedRows())
        found = [case for case in map(self._model.case_id, rows) if case is not None]
        if found:
            return found
        current = self.current_case()
        return [current] if current is not None else []

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

    def reset_columns(self) -> None:
        """The columns' first layout: those of short values as wide as they need, the
        others sharing the list's width (the title most, see `column_widths`)."""
        self._set_column_modes()
        self._sizing = True
        for column in (AGE, PUBLISHED, DUE, MARKS):
            self.setColumnWidth(column, self._content_width(column))
        self._sizing = False
        self._reader_widths = None
        self._fitted_width = None
        self._fit_columns()

    def keep_columns(self) -> None:
        """The reader's column widths (restored): kept, but cut down where they would
        leave the title too little room."""
        if self.horizontalHeader().stretchLastSection():
            # Saved before the title took the spare width (Marks did): most likely the
            # old defaults, which cut the title on a laptop's screen.
            self.reset_columns()
            return
        self._set_column_modes()
        self._reader_widths = self._flexible_widths()
        self._fitted_width = None
        self._fit_columns()

    def set_two_line_rows(self, two_lines: bool) -> None:
        """Search hits show a snippet under the title: rows twice as tall; after the
        search, rows as tall as they were before it."""
        header = self.verticalHeader()
        if two_lines == self._two_line_rows:
            return
        self._two_line_rows = two_lines
        if two_lines:
            self._one_line_height = header.defaultSectionSize()
            header.setDefaultSectionSize(self.fontMetrics().height() * 2 + 12)
        else:
            header.setDefaultSectionSize(self._one_line_height)

    # --- internals -------------------------------------------------------------------------

    def _set_column_modes(self) -> None:
        """The title takes whatever width the other columns leave: no column is wasted
        at the right, and the list never scrolls sideways while the title has room."""
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)

    def _content_width(self, column: int) -> int:
        """Room for the header (with its sort arrow) and for a long value of the column."""
        header = self.horizontalHeader()
        label = header.fontMetrics().horizontalAdvance(COLUMNS[column][0]) + 30
        if column == MARKS:
            delegate = self.itemDelegateForColumn(MARKS)  # the window's: three icons
            icons = (
                delegate.sizeHint(QStyleOptionViewItem(), QModelIndex()).width() if delegate else 0
            )
            return max(label, icons)
        bold = QFont(self.font())
        bold.setBold(True)  # unread rows
        sample = {AGE: "11 mo · M", PUBLISHED: "2026-12-31", DUE: "in 11 mo"}[column]
        return max(label, QFontMetrics(bold).horizontalAdvance(sample) + 16)

    def _fit_columns(self) -> None:
        width = self.viewport().width()
        if width <= 0 or width == self._fitted_width:
            return
        self._fitted_width = width
        header = self.horizontalHeader()
        fixed = sum(
            header.sectionSize(column)
            for column in (AGE, PUBLISHED, DUE, MARKS)
            if not header.isSectionHidden(column)
        )
        room = width - fixed
        if self._reader_widths is None:
            section, diagnosis = column_widths(room)
        else:  # cut down from what the reader chose, so a wider list gives it back
            section, diagnosis = fit_within(*self._reader_widths, room - TITLE_ROOM)
        self._sizing = True
        self.setColumnWidth(SECTION, section)
        self.setColumnWidth(DIAGNOSIS, diagnosis)
        self._sizing = False

    def _column_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._sizing and column != TITLE:
            self._reader_widths = self._flexible_widths()  # the reader's from now on

    def _flexible_widths(self) -> tuple[int, int]:
        return self.columnWidth(SECTION), self.columnWidth(DIAGNOSIS)

    def _select_row(self, row: int) -> None:
        index = self._model.index(row, 0)
        # This row alone, whatever modifier is held: run from Ctrl+Z or Ctrl+Shift+R, the
        # view's own choice would add the row to the selection or extend it.
        flags = QItemSelectionModel.SelectionFlag
        self.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
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
        if state is None or state[0] == COLLECTION_ORDER:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            key, descending = state
            # A sort no column shows (Recently read: by when) shows no indicator.
            column = next((i for i, (_, k) in enumerate(COLUMNS) if k == key), -1)
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
        self._fit_columns()

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
        if not self.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self._select_row(index.row())  # a click outside the selection picks that row
        menu = self.context_menu(index.row())
        if menu is not None:
            menu.exec(event.globalPos())
            menu.deleteLater()

    def context_menu(self, row_number: int) -> QMenu | None:
        """The context menu of a row: Restore in the Trash, then bookmark and read state
        (for the selected cases when the row is one of them), and Mark All as Read."""
        row = self._model.index(row_number, 0).data(Roles.ObjectRole)
        if not isinstance(row, ListRow):
            return None
        menu = QMenu(self)
        if self._model.case_filter.kind == "trash":
            restore = QAction("Restore from Trash", menu)
            restore.triggered.connect(lambda: self.restore_requested.emit(row.summary.id))
            menu.addAction(restore)
            menu.addSeparator()
        selected = self.selected_cases()
        chosen = selected if row.summary.id in selected else [row.summary.id]
        # The row clicked decides, as Ctrl+D and Ctrl+U go by the current case.
        bookmark = QAction("Remove Bookmark" if row.bookmarked else "Bookmark", menu)
        bookmark.triggered.connect(lambda: self.bookmark_requested.emit(chosen, not row.bookmarked))
        read = QAction("Mark as Unread" if row.read else "Mark as Read", menu)
        read.triggered.connect(lambda: self.read_requested.emit(chosen, not row.read))
        if len(chosen) > 1:
            for action in (bookmark, read):
                action.setText(f"{action.text()} ({len(chosen):,} cases)")
        menu.addActions([bookmark, read])
        if self._model.case_filter.kind != "trash":
            every = QAction("Mark All as Read", menu)
            every.triggered.connect(self.all_read_requested)
            menu.addAction(every)
        menu.addSeparator()
        export = QAction("Export Notes…", menu)
        export.triggered.connect(lambda: self.export_requested.emit(row.summary.id))
        menu.addAction(export)
        if self.menu_extender is not None and self._model.case_filter.kind != "trash":
            menu.addSeparator()
            self.menu_extender(menu, chosen)
        return menu

    def _header_menu(self) -> QMenu:
        """The columns' menu: in a collection, back to the reader's own order."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        order = QAction("Collection Order (drag cases to arrange them)", menu)
        order.setCheckable(True)
        order.setChecked(self._model.in_collection_order)
        order.setEnabled(self._model.case_filter.kind == "collection" and not self._model.searching)
        order.triggered.connect(self._model.show_collection_order)
        menu.addAction(order)
        return menu

    # --- dragging within a collection ------------------------------------------------------

    def startDrag(self, supportedActions: Qt.DropAction) -> None:
        self._drop_row = None
        super().startDrag(supportedActions)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dragged(event) is None:
            event.ignore()  # files, say: the window takes those (an import)
            return
        event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._dragged(event) is None or not self._model.in_collection_order:
            self._show_drop_row(None)
            event.ignore()
            return
        self._show_drop_row(self._row_before(event))
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._show_drop_row(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._show_drop_row(None)
        cases = self._dragged(event)
        if cases is None or not self._model.in_collection_order:
            event.ignore()
            return
        row = self._row_before(event)
        # Copy, never Move: a move would have Qt remove the dragged rows itself.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        before = self._model.case_id(row)
        QTimer.singleShot(0, lambda: self.cases_reordered.emit(cases, before))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._drop_row is None:
            return
        rows = self._model.rowCount()
        if self._drop_row < rows:
            y = self.rowViewportPosition(self._drop_row)
        else:
            y = self.rowViewportPosition(rows - 1) + self.rowHeight(rows - 1) - 1
        painter = QPainter(self.viewport())
        painter.setPen(QPen(self.palette().highlight().color(), 2))
        painter.drawLine(0, y, self.viewport().width(), y)
        painter.end()

    def _dragged(self, event: QDropEvent) -> list[CaseId] | None:
        return dragged_cases(event.mimeData(), self._model.library.path)

    def _row_before(self, event: QDropEvent) -> int:
        """The row the dropped cases go before (the row count: after the last)."""
        position = event.position().toPoint()
        row = self.rowAt(position.y())
        if row < 0:
            return self._model.rowCount()
        middle = self.rowViewportPosition(row) + self.rowHeight(row) // 2
        return row + 1 if position.y() > middle else row

    def _show_drop_row(self, row: int | None) -> None:
        if row != self._drop_row:
            self._drop_row = row
            self.viewport().update()


#: The least room the title keeps when the reader's widths of the other columns would
#: leave it less (they are cut down to fit).
TITLE_ROOM = 180


def column_widths(room: int) -> tuple[int, int]:
    """The section's and the diagnosis's widths when the title and they share `room`
    pixels: the title nearly half (it takes what they leave), then the diagnosis (the
    longer text), then the section, each within bounds."""
    section = max(90, min(round(room * 0.24), 240))
    diagnosis = max(120, min(round(room * 0.3), 380))
    return fit_within(section, diagnosis, room - TITLE_ROOM)


def fit_within(section: int, diagnosis: int, room: int) -> tuple[int, int]:
    """Both widths scaled down alike to fit `room` (not below 60 each); as they are if
    they fit."""
    if section + diagnosis <= room:
        return section, diagnosis
    scale = max(room, 0) / (section + diagnosis)
    return max(60, round(section * scale)), max(60, round(diagnosis * scale))


def may_move_rows(case_filter: CaseFilter, changes: Changes) -> bool:
    """True if a change may bring cases into the entry on show or take some out.

    What the reader changes while reading a case (its note, its read state, its
    highlights) never pulls it out of the list under them: those count in the sidebar at
    once and in the list when the entry is picked again."""
    organised = bool(changes.bookmarks or changes.collections or changes.tags)
    kind = case_filter.kind
    if kind == "bookmarked":
        return bool(changes.bookmarks)
    if kind == "due":
        return bool(changes.reviews)
    if kind == "collection":
        return bool(changes.collections or changes.collection_tree)
    if kind == "tag":
        return bool(changes.tags)
    if kind == "saved":
        return organised or changes.collection_tree or bool(changes.reviews)
    return False
