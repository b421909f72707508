"""The sidebar: the reader's views of the library, each with its count: the fixed entries,
the highlight browser's entry, the collections (nested), the saved searches, the tags and the
sections. It recounts itself from the change bus, and takes drops: cases onto a collection,
a tag or Bookmarked, a collection onto another."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop.model import CaseFilter, CaseId, Collection, SavedSearch, SidebarCounts, TagCount
from desktop.store import Changes, Library
from desktop.ui import theme
from desktop.ui.case_drag import (
    COLLECTION_MIME,
    collection_from_mime,
    collection_mime,
    dragged_cases,
)
from desktop.ui.change_bus import ChangeBus
from desktop.ui.delegates import CountDelegate
from desktop.ui.labels import plain_tip
from desktop.ui.roles import Roles


def _moves_with_time(query: str) -> bool:
    """Whether a search's cases change as time passes, with no change to the library."""
    return "is:due" in query.casefold().replace(" ", "")


#: (label, icon, filter kind) of the fixed entries, in order.
ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("All cases", "all-cases", "all"),
    ("Unread", "unread", "unread"),
    ("Bookmarked", "star", "bookmarked"),
    ("With notes", "note", "notes"),
    ("Recently read", "recent", "recent"),
    ("Due for drill", "due", "due"),
)

#: The headers of the sidebar's groups (what `context_menu_requested` names for them).
COLLECTIONS, SAVED, TAGS, SECTIONS = "collections", "saved", "tags", "sections"
#: How long after the last change saved searches are counted again.
SAVED_COUNT_AFTER_MS = 250
#: The entry under an empty Collections header that makes the first one.
NEW_COLLECTION = "new-collection"


class Sidebar(QTreeWidget):
    """Signals:
    filter_selected(CaseFilter): the reader picked an entry that lists cases.
    highlights_selected(): the reader picked "Highlights" (the highlight browser, which
        lists highlights, not cases: no CaseFilter).
    context_menu_requested(object, QPoint): a right-click on an entry (its CaseFilter) or a
        header (COLLECTIONS, SAVED, TAGS, SECTIONS), at a global position.
    cases_dropped(object, list): cases (their ids) dropped on an entry (its CaseFilter:
        a collection, a tag, Bookmarked) or on the Collections header (COLLECTIONS).
    collection_dropped(str, object): a collection (its uid) dropped on another (its uid) or
        on the Collections header (None: to the top).
    new_collection_requested(): the reader picked "New collection…" under an empty header.
    counts_changed(): the counts on show were counted again (they may not have moved).
    """

    filter_selected = Signal(object)
    highlights_selected = Signal()
    context_menu_requested = Signal(object, QPoint)
    cases_dropped = Signal(object, list)
    collection_dropped = Signal(str, object)
    new_collection_requested = Signal()
    counts_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sidebar")
        # One column, the counts drawn into it (CountDelegate): Qt's tree model answers
        # inconsistently for the children of a second column's cells.
        self.setColumnCount(1)
        self.setItemDelegate(CountDelegate(self))
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(12)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setDropIndicatorShown(False)  # the target entry is tinted instead
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._library: Library | None = None
        #: The counts on show (a change recounts only what it moved).
        self._counts: SidebarCounts | None = None
        self._items: dict[CaseFilter, QTreeWidgetItem] = {}
        #: The entry a drag hovers over (tinted), if it would take the drop.
        self._drop_target: QTreeWidgetItem | None = None
        for label, icon_name, kind in ENTRIES:
            item = QTreeWidgetItem(self, [label])
            item.setIcon(0, theme.icon(icon_name))
            self._add(item, CaseFilter(kind))  # type: ignore[arg-type]
        self._items[CaseFilter("due")].setToolTip(
            0, "Cases due for a drill now: Drill > Drill Due Cases (Ctrl+Shift+U)"
        )
        self._highlights = QTreeWidgetItem(self, ["Highlights"])
        self._highlights.setIcon(0, theme.icon("highlight"))
        self._highlights.setToolTip(0, "Every highlight in the library, by colour, tag or text")
        self._headers = {
            COLLECTIONS: self._header("Collections", COLLECTIONS),
            SAVED: self._header("Saved searches", SAVED),
            TAGS: self._header("Tags", TAGS),
            SECTIONS: self._header("Sections", SECTIONS),
        }
        self._headers[COLLECTIONS].setToolTip(
            0, "Right-click to make a collection; drop cases on one to file them"
        )
        self._sections = self._headers[SECTIONS]
        self._collections: list[Collection] | None = None
        self._tags: list[TagCount] | None = None
        self._saved: list[SavedSearch] | None = None
        self._new_collection = QTreeWidgetItem(self._headers[COLLECTIONS], ["New collection…"])
        self._new_collection.setIcon(0, theme.icon("add"))
        self._new_collection.setData(0, Roles.FilterRole, NEW_COLLECTION)
        self._new_collection.setToolTip(0, "Make a collection (or drop cases here)")
        self._new_collection.setForeground(0, self.palette().placeholderText())
        # Clicked, never current: the list keeps showing the entry picked before.
        self._new_collection.setFlags(Qt.ItemFlag.ItemIsEnabled)
        trash = QTreeWidgetItem(self, ["Trash"])
        trash.setIcon(0, theme.icon("cancel"))
        self._add(trash, CaseFilter("trash"))
        for header in self._headers.values():
            header.setExpanded(True)
        self._headers[SAVED].setHidden(True)
        self._headers[TAGS].setHidden(True)
        #: Saved searches are counted after the rest, each running its query, once a burst
        #: of changes (a note typed, saved every second) has paused.
        self._saved_count_timer = QTimer(self)
        self._saved_count_timer.setSingleShot(True)
        self._saved_count_timer.setInterval(SAVED_COUNT_AFTER_MS)
        self._saved_count_timer.timeout.connect(self._count_saved)
        # "All cases" is current from the start (as the list is): no entry to pick on show.
        self.select_filter(CaseFilter())
        self.currentItemChanged.connect(self._current_changed)
        self.itemClicked.connect(self._clicked)

    # --- what it shows ---------------------------------------------------------------------

    def set_counts(self, counts: SidebarCounts) -> None:
        """Shows the counts, adding or removing section entries to match the library."""
        self._counts = counts
        _set_count(self._highlights, counts.highlights)
        for kind, value in (
            ("all", counts.all),
            ("unread", counts.unread),
            ("bookmarked", counts.bookmarked),
            ("notes", counts.notes),
            ("recent", counts.recent),
            ("due", counts.due),
            ("trash", counts.trash),
        ):
            _set_count(self._items[CaseFilter(kind)], value)  # type: ignore[arg-type]
        wanted = dict(counts.sections)
        with self._keeping_current():
            for case_filter in [f for f in self._items if f.kind == "section"]:
                if case_filter.section not in wanted:
                    self._sections.removeChild(self._items.pop(case_filter))
            for name, value in counts.sections:
                case_filter = CaseFilter("section", name)
                item = self._items.get(case_filter)
                if item is None:
                    item = QTreeWidgetItem([name])
                    item.setIcon(0, theme.icon("section"))
                    self._insert_section(item)
                    self._add(item, case_filter)
                _set_count(item, value)

    def set_collections(self, collections: Sequence[Collection]) -> None:
        """Shows the collection tree: counts change in place; a changed tree is rebuilt
        (keeping what was expanded and which entry is current)."""
        wanted = list(collections)
        shape = [(c.uid, c.name, c.parent_uid) for c in wanted]
        held = [(c.uid, c.name, c.parent_uid) for c in self._collections or []]
        if self._collections is None or shape != held:
            with self._keeping_current():
                self._rebuild_collections(wanted)
        for collection in wanted:
            item = self._items.get(CaseFilter("collection", value=collection.uid))
            if item is not None:
                self._show_collection_count(item, collection)
        self._collections = wanted

    def set_tags(self, tags: Sequence[TagCount]) -> None:
        """Shows the tags in use with their counts (the header hides when there are none)."""
        wanted = list(tags)
        if self._tags is None or [t.tag for t in wanted] != [t.tag for t in self._tags]:
            self._fill_group(
                TAGS,
                "tag",
                [
                    (t.tag, f"Cases tagged “{t.tag}” (drop cases here to tag them)", None)
                    for t in wanted
                ],
                [CaseFilter("tag", value=t.tag) for t in wanted],
            )
        for tag in wanted:
            _set_count(self._items[CaseFilter("tag", value=tag.tag)], tag.count)
        self._tags = wanted

    def set_saved_searches(self, searches: Sequence[SavedSearch]) -> None:
        """Shows the saved searches; their counts follow a moment later (`_count_saved`)."""
        wanted = list(searches)
        held = [(s.uid, s.name, s.query) for s in self._saved or []]
        if self._saved is None or [(s.uid, s.name, s.query) for s in wanted] != held:
            self._fill_group(
                SAVED,
                "saved-search",
                [(s.name, s.query, s.uid) for s in wanted],
                [saved_filter(s) for s in wanted],
            )
        self._saved = wanted
        if wanted:
            self._saved_count_timer.start()

    def refresh(self, changes: Changes | None = None) -> None:
        """The counts from the library (`subscribe` names it): after `changes`, only the
        groups they may move (a note saved while typing touches one count); else all."""
        library = self._library
        if library is None:
            return
        if changes is None or self._counts is None:
            self.set_counts(library.counts())
        else:
            counts = library.counts(after=changes, previous=self._counts)
            if counts is not self._counts:
                self.set_counts(counts)
        changes = changes or Changes(whole_library=True)
        whole = changes.whole_library or bool(changes.cases)
        if whole or changes.collections or changes.collection_tree:
            self.set_collections(library.collections())
        if whole or changes.tags:
            self.set_tags(library.tag_counts())
        if whole or changes.saved_searches:
            self.set_saved_searches(library.saved_searches())
        elif self._saved:
            self._saved_count_timer.start()  # any change may move a saved search's count
        self.counts_changed.emit()

    def refresh_due(self) -> bool:
        """Counts the cases due now again (time moves them into Due, no change does);
        True if the count moved."""
        if self._library is None or self._counts is None:
            return False
        due = self._library.count_due()
        if due == self._counts.due:
            return False
        self.set_counts(dataclasses.replace(self._counts, due=due))
        self.counts_changed.emit()
        return True

    def recount_timed_searches(self) -> None:
        """Counts again the saved searches that time alone moves (``is:due``)."""
        if any(_moves_with_time(saved.query) for saved in self._saved or ()):
            self._saved_count_timer.start()

    def subscribe(self, library: Library, bus: ChangeBus) -> None:
        """Recounts from `library` after every change announced on `bus`."""
        self._library = library
        bus.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        # Any change may move a count (a bookmark moves a saved search's, a trashed case
        # every collection's): each group is counted again when the change may move it.
        self.refresh(changes)

    # --- which entry is current ------------------------------------------------------------

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

    def current_name(self) -> str:
        """The current entry's name as shown ("" for none)."""
        item = self.currentItem()
        return item.text(0).strip() if item is not None else ""

    def count_of(self, case_filter: CaseFilter) -> str:
        """The count an entry shows ("" before the first count; "(none)": no such entry)."""
        item = self._items.get(case_filter)
        return count_text(item) if item is not None else "(none)"

    def count_number(self, item: QTreeWidgetItem | CaseFilter) -> int | None:
        """The count an entry shows, as a number (None before the first count, or for no
        such entry)."""
        if isinstance(item, CaseFilter):
            found = self._items.get(item)
            if found is None:
                return None
            item = found
        text = count_text(item).replace(",", "")
        return int(text) if text.isdigit() else None

    def highlights_count(self) -> str:
        return count_text(self._highlights)

    def item_for(self, case_filter: CaseFilter) -> QTreeWidgetItem | None:
        """The entry that lists a filter's cases, if shown."""
        return self._items.get(case_filter)

    def saved_item(self, uid: str) -> QTreeWidgetItem | None:
        """The entry of a saved search, by its uid."""
        header = self._headers[SAVED]
        for index in range(header.childCount()):
            child = header.child(index)
            if child is not None and child.data(0, Roles.UidRole) == uid:
                return child
        return None

    def header_item(self, name: str) -> QTreeWidgetItem:
        """A group's header (COLLECTIONS, SAVED, TAGS, SECTIONS)."""
        return self._headers[name]

    # --- internals -------------------------------------------------------------------------

    def _header(self, label: str, name: str) -> QTreeWidgetItem:
        header = QTreeWidgetItem(self, [label])
        header.setFlags(Qt.ItemFlag.ItemIsEnabled)
        header.setData(0, Roles.HeaderRole, name)
        font = header.font(0)
        font.setBold(True)
        header.setFont(0, font)
        return header

    def _add(self, item: QTreeWidgetItem, case_filter: CaseFilter) -> None:
        item.setData(0, Roles.FilterRole, case_filter)
        self._items[case_filter] = item

    def _insert_section(self, item: QTreeWidgetItem) -> None:
        children = (self._sections.child(i) for i in range(self._sections.childCount()))
        names = [child.text(0) for child in children if child is not None]
        position = sum(1 for name in names if name.casefold() < item.text(0).casefold())
        self._sections.insertChild(position, item)

    def _fill_group(
        self,
        group: str,
        icon: str,
        entries: list[tuple[str, str, str | None]],
        filters: list[CaseFilter],
    ) -> None:
        """Puts a flat group's entries (label, tooltip, uid) under its header, in place of
        those it had; the header hides while there are none."""
        with self._keeping_current():
            header = self._headers[group]
            for item in header.takeChildren():
                self._items.pop(item.data(0, Roles.FilterRole), None)
            for (label, tip, uid), case_filter in zip(entries, filters, strict=True):
                item = QTreeWidgetItem(header, [label])
                item.setIcon(0, theme.icon(icon))
                item.setToolTip(0, plain_tip(tip))
                item.setData(0, Roles.UidRole, uid)
                self._add(item, case_filter)
            header.setHidden(not entries)

    def _rebuild_collections(self, collections: list[Collection]) -> None:
        header = self._headers[COLLECTIONS]
        collapsed = {
            uid
            for case_filter, item in self._items.items()
            if case_filter.kind == "collection" and not item.isExpanded()
            for uid in [case_filter.value]
        }
        header.takeChildren()
        for case_filter in [f for f in self._items if f.kind == "collection"]:
            del self._items[case_filter]
        made: dict[str, QTreeWidgetItem] = {}
        for collection in collections:  # depth first: a parent comes before its children
            parent = made.get(collection.parent_uid or "", header)
            item = QTreeWidgetItem(parent, [collection.name])
            item.setIcon(0, theme.icon("collection"))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsDragEnabled)
            item.setData(0, Roles.UidRole, collection.uid)
            self._add(item, CaseFilter("collection", value=collection.uid))
            made[collection.uid] = item
        for uid, item in made.items():
            item.setExpanded(uid not in collapsed)
        if not collections:
            header.addChild(self._new_collection)

    def _show_collection_count(self, item: QTreeWidgetItem, collection: Collection) -> None:
        _set_count(item, collection.total)
        inside = collection.total - collection.count
        within = f"; {collection.total} with the collections inside" if inside else ""
        cases = f"{collection.count} case{'s' if collection.count != 1 else ''}"
        item.setToolTip(0, plain_tip(f"{collection.path}\n{cases} here{within}"))

    def _count_saved(self) -> None:
        library = self._library
        if library is None:
            return
        for search in self._saved or []:
            item = self._items.get(saved_filter(search))
            if item is not None:
                _set_count(item, library.count_saved_search(search.query))
        self.counts_changed.emit()

    def _keeping_current(self) -> _KeptCurrent:
        return _KeptCurrent(self)

    def _current_changed(
        self, current: QTreeWidgetItem | None, previous: QTreeWidgetItem | None
    ) -> None:
        if current is None:
            return
        if current is self._highlights:
            self.highlights_selected.emit()
            return
        value = current.data(0, Roles.FilterRole)
        if isinstance(value, CaseFilter):
            self.filter_selected.emit(value)
        elif previous is not None:
            # A header or "New collection…" lists nothing: the entry on show stays current,
            # so the sidebar and the list never disagree.
            blocked = self.blockSignals(True)
            self.setCurrentItem(previous)
            self.blockSignals(blocked)

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item is self._new_collection:
            self.new_collection_requested.emit()
        elif item.data(0, Roles.HeaderRole):
            item.setExpanded(not item.isExpanded())

    def _target_at(self, position: QPoint) -> QTreeWidgetItem | None:
        return self.itemAt(position)

    def _drop_kind(self, item: QTreeWidgetItem | None, event: QDropEvent) -> str | None:
        """What a drop on `item` would do: "cases", "collection", or None (not taken)."""
        if item is None:
            return None
        mime = event.mimeData()
        value = item.data(0, Roles.FilterRole)
        header = item.data(0, Roles.HeaderRole)
        if self._library is None:
            return None
        if mime.hasFormat(COLLECTION_MIME):
            moved = collection_from_mime(mime, self._library.path)
            if moved is None:
                return None
            if header == COLLECTIONS:
                return "collection"
            if isinstance(value, CaseFilter) and value.kind == "collection":
                return None if self._is_within(value.value, moved) else "collection"
            return None
        if dragged_cases(mime, self._library.path) is None:
            return None
        if header == COLLECTIONS or value == NEW_COLLECTION:
            return "cases"
        if isinstance(value, CaseFilter) and value.kind in ("collection", "tag", "bookmarked"):
            return "cases"
        return None

    def _is_within(self, uid: str | None, ancestor: str) -> bool:
        """True if collection `uid` is `ancestor` or sits under it."""
        parents = {c.uid: c.parent_uid for c in self._collections or []}
        seen = 0
        while uid is not None and seen <= len(parents):
            if uid == ancestor:
                return True
            uid = parents.get(uid)
            seen += 1
        return False

    def _tint(self, item: QTreeWidgetItem | None) -> None:
        if self._drop_target is not None:
            self._drop_target.setBackground(0, QBrush())
        self._drop_target = item
        if item is not None:
            tint = self.palette().highlight().color()
            tint.setAlpha(70)
            item.setBackground(0, tint)

    # --- Qt overrides ----------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [COLLECTION_MIME]

    # Qt takes None as "nothing to drag" (only collections are dragged).
    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData | None:  # type: ignore[override]
        filters = [item.data(0, Roles.FilterRole) for item in items]
        dragged = filters[0] if filters else None
        if not isinstance(dragged, CaseFilter) or dragged.kind != "collection":
            return None  # only a collection is dragged (onto another, to move it)
        if dragged.value is None or self._library is None:
            return None
        return collection_mime(dragged.value, self._library.path)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(COLLECTION_MIME) or (
            self._library is not None and dragged_cases(mime, self._library.path) is not None
        ):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        item = self._target_at(event.position().toPoint())
        if self._drop_kind(item, event) is None:
            self._tint(None)
            event.ignore()
            return
        self._tint(item)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._tint(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._tint(None)
        item = self._target_at(event.position().toPoint())
        kind = self._drop_kind(item, event)
        if item is None or kind is None or self._library is None:
            event.ignore()
            return
        # Copy, never Move: a move would have the source view remove what was dragged.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        value = item.data(0, Roles.FilterRole)
        header = item.data(0, Roles.HeaderRole)
        if kind == "collection":
            moved = collection_from_mime(event.mimeData(), self._library.path)
            parent = value.value if isinstance(value, CaseFilter) else None
            if moved is not None:
                # After the drag has ended: the change rebuilds the tree the drag came from.
                QTimer.singleShot(0, lambda: self.collection_dropped.emit(moved, parent))
            return
        cases: list[CaseId] = dragged_cases(event.mimeData(), self._library.path) or []
        target = COLLECTIONS if header == COLLECTIONS or value == NEW_COLLECTION else value
        QTimer.singleShot(0, lambda: self.cases_dropped.emit(target, cases))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self.itemAt(event.pos())
        if item is None:
            return
        value = item.data(0, Roles.FilterRole)
        header = item.data(0, Roles.HeaderRole)
        target = header or (COLLECTIONS if value == NEW_COLLECTION else value)
        if target is not None:
            self.context_menu_requested.emit(target, event.globalPos())


def saved_filter(search: SavedSearch) -> CaseFilter:
    """What a saved search's entry lists (its query; its uid tells two of one query apart)."""
    return CaseFilter("saved", value=search.query, uid=search.uid)


def _set_count(item: QTreeWidgetItem, count: int) -> None:
    # Thousands separated, as the list's own count ("7 of 2,431") reads.
    item.setData(0, Roles.CountRole, f"{count:,}")


def count_text(item: QTreeWidgetItem) -> str:
    """The count an entry shows, as text ("" before the first count)."""
    value = item.data(0, Roles.CountRole)
    return value if isinstance(value, str) else ""


class _KeptCurrent:
    """Around a rebuild of entries: the current entry stays current (found again by what it
    lists), quietly; if it is gone, "All cases" becomes current and the list follows."""

    def __init__(self, sidebar: Sidebar):
        self._sidebar = sidebar

    def __enter__(self) -> None:
        sidebar = self._sidebar
        item = sidebar.currentItem()
        self._uid = item.data(0, Roles.UidRole) if item is not None else None
        self._filter = sidebar.current_filter()
        self._on_highlights = sidebar.showing_highlights()
        self._blocked = sidebar.blockSignals(True)

    def __exit__(self, *_exc: object) -> None:
        sidebar = self._sidebar
        if self._on_highlights:
            sidebar.setCurrentItem(sidebar._highlights)
            sidebar.blockSignals(self._blocked)
            return
        # A saved search is found by its uid: its query (what it lists) may have changed.
        uid = self._uid if isinstance(self._uid, str) else None
        item = sidebar.saved_item(uid) if uid and self._filter.kind == "saved" else None
        item = item or sidebar.item_for(self._filter) or sidebar.item_for(CaseFilter())
        if item is not None:
            sidebar.setCurrentItem(item)
        sidebar.blockSignals(self._blocked)
        now = sidebar.current_filter()
        if now != self._filter:
            sidebar.filter_selected.emit(now)
