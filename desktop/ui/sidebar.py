"""The sidebar: the reader's views of the library, each with its count, then the highlight
browser's entry and the sections; it recounts itself from the change bus."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop.model import CaseFilter, SidebarCounts
from desktop.store import Changes, Library
from desktop.ui import theme
from desktop.ui.change_bus import ChangeBus
from desktop.ui.roles import Roles

#: (label, icon, filter kind) of the fixed entries, in order.
ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("All cases", "all-cases", "all"),
    ("Unread", "unread", "unread"),
    ("Bookmarked", "star", "bookmarked"),
    ("With notes", "note", "notes"),
    ("Recently read", "recent", "recent"),
)


class Sidebar(QTreeWidget):
    """Signals:
    filter_selected(CaseFilter): the reader picked an entry that lists cases.
    highlights_selected(): the reader picked "Highlights" (the highlight browser, which
        lists highlights, not cases: no CaseFilter).
    """

    filter_selected = Signal(object)
    highlights_selected = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(12)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self._items: dict[CaseFilter, QTreeWidgetItem] = {}
        for label, icon_name, kind in ENTRIES:
            item = QTreeWidgetItem(self, [label, ""])
            item.setIcon(0, theme.icon(icon_name))
            self._add(item, CaseFilter(kind))  # type: ignore[arg-type]
        self._highlights = QTreeWidgetItem(self, ["Highlights", ""])
        self._highlights.setIcon(0, theme.icon("highlight"))
        self._highlights.setToolTip(0, "Every highlight in the library, by colour, tag or text")
        self._style_count(self._highlights)
        self._sections = QTreeWidgetItem(self, ["Sections", ""])
        self._sections.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = self._sections.font(0)
        font.setBold(True)
        self._sections.setFont(0, font)
        self._sections.setExpanded(True)
        trash = QTreeWidgetItem(self, ["Trash", ""])
        trash.setIcon(0, theme.icon("cancel"))
        self._add(trash, CaseFilter("trash"))
        # "All cases" is current from the start (as the list is): no entry to pick on show.
        self.select_filter(CaseFilter())
        self.currentItemChanged.connect(self._current_changed)

    def set_counts(self, counts: SidebarCounts) -> None:
        """Shows the counts, adding or removing section entries to match the library."""
        on_highlights = self.showing_highlights()
        current = self.current_filter()
        self._highlights.setText(1, str(counts.highlights))
        for kind, value in (
            ("all", counts.all),
            ("unread", counts.unread),
            ("bookmarked", counts.bookmarked),
            ("notes", counts.notes),
            ("recent", counts.recent),
            ("trash", counts.trash),
        ):
            self._items[CaseFilter(kind)].setText(1, str(value))  # type: ignore[arg-type]
        wanted = dict(counts.sections)
        for case_filter in [f for f in self._items if f.kind == "section"]:
            if case_filter.section not in wanted:
                self._sections.removeChild(self._items.pop(case_filter))
        for name, value in counts.sections:
            case_filter = CaseFilter("section", name)
            item = self._items.get(case_filter)
            if item is None:
                item = QTreeWidgetItem([name, ""])
                item.setIcon(0, theme.icon("section"))
                self._insert_section(item)
                self._add(item, case_filter)
            item.setText(1, str(value))
        if on_highlights:
            return  # the browser stays (its entry is not a case filter)
        self.blockSignals(True)
        self.select_filter(current if current in self._items else CaseFilter())
        self.blockSignals(False)

    def subscribe(self, library: Library, bus: ChangeBus) -> None:
        """Recounts from `library` after every change announced on `bus`."""
        self._library = library
        bus.changed.connect(self.on_changes)

    def on_changes(self, _changes: Changes, _initiator: object) -> None:
        # Any change may move a count; recounting is one cheap query. The list follows its
        # own redraw, so the entry picked stays picked without a signal.
        self.blockSignals(True)
        self.set_counts(self._library.counts())
        self.blockSignals(False)

    def select_filter(self, case_filter: CaseFilter) -> None:
        item = self._items.get(case_filter) or self._items[CaseFilter()]
        self.setCurrentItem(item)

    def select_highlights(self) -> None:
        """Picks "Highlights" (the browser), as a click would."""
        self.setCurrentItem(self._highlights)

    def showing_highlights(self) -> bool:
        return self.currentItem() is self._highlights

    def current_filter(self) -> CaseFilter:
        item = self.currentItem()
        value = item.data(0, Roles.FilterRole) if item is not None else None
        return value if isinstance(value, CaseFilter) else CaseFilter()

    def _add(self, item: QTreeWidgetItem, case_filter: CaseFilter) -> None:
        item.setData(0, Roles.FilterRole, case_filter)
        self._style_count(item)
        self._items[case_filter] = item

    def _style_count(self, item: QTreeWidgetItem) -> None:
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(1, self.palette().placeholderText())

    def _insert_section(self, item: QTreeWidgetItem) -> None:
        children = (self._sections.child(i) for i in range(self._sections.childCount()))
        names = [child.text(0) for child in children if child is not None]
        position = sum(1 for name in names if name.casefold() < item.text(0).casefold())
        self._sections.insertChild(position, item)

    def _current_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        if current is None:
            return
        if current is self._highlights:
            self.highlights_selected.emit()
            return
        value = current.data(0, Roles.FilterRole)
        if isinstance(value, CaseFilter):
            self.filter_selected.emit(value)
