"""The reader's commands for organising: collections (make, rename, move, delete, file cases,
arrange them), tags (on cases; rename, merge, take off everywhere) and saved searches (save,
rename, edit, delete). Each runs through the operations runner; the panes redraw from what
changed."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtWidgets import QMenu, QWidget

from desktop.model import CaseFilter, CaseId, Collection, SavedSearch
from desktop.store import Changes, Library, LibraryError
from desktop.ui import organise_dialogs as dialogs
from desktop.ui.case_list import CaseListView
from desktop.ui.labels import menu_text
from desktop.ui.operations import Operations
from desktop.ui.sidebar import COLLECTIONS, SAVED, Sidebar

#: The errors an organising command expects from the library (a name taken or malformed,
#: a collection deleted meanwhile, a query that does not read): told, never bugs.
EXPECTED = (LibraryError, ValueError, LookupError)
#: At most this many entries in a menu of collections or tags; the prompt finds the rest.
MENU_ENTRIES = 25


class Organiser(QObject):
    """Organising commands over the selected cases and the sidebar's entries.

    Attributes:
        search_text: Gives the search on show (what Save Search saves).

    Signals:
        drill_requested(CaseFilter): "Drill These Cases…" on a collection, tag or saved
            search (the window asks how, then drills them).
    """

    drill_requested = Signal(object)

    def __init__(
        self,
        library: Library,
        operations: Operations,
        view: CaseListView,
        sidebar: Sidebar,
        *,
        search_text: Callable[[], str],
        case_on_show: Callable[[], CaseId | None],
        parent: QWidget,
    ):
        super().__init__(parent)
        self._library = library
        self._operations = operations
        self._view = view
        self._sidebar = sidebar
        self._window = parent
        self.search_text = search_text
        self._case_on_show = case_on_show
        view.menu_extender = self.extend_case_menu
        view.cases_reordered.connect(self.arrange)
        sidebar.context_menu_requested.connect(self._show_sidebar_menu)
        sidebar.cases_dropped.connect(self.file_dropped)
        sidebar.collection_dropped.connect(self.move_collection)
        sidebar.new_collection_requested.connect(self.new_top_collection)

    def chosen_cases(self) -> list[CaseId]:
        """What the Organise commands act on: the selected cases in the list, or the case
        on show when the highlight browser stands in the list's place."""
        if self._sidebar.showing_highlights():
            shown = self._case_on_show()
            return [shown] if shown is not None else []
        return self._view.selected_cases()

    # --- collections -----------------------------------------------------------------------

    def new_collection(
        self, parent_uid: str | None = None, cases: Sequence[CaseId] = ()
    ) -> str | None:
        """Asks a name and makes a collection (under `parent_uid`), with `cases` in it."""
        where = f" in “{self._library.collection_path(parent_uid)}”" if parent_uid else ""
        name = dialogs.ask_name(
            self._window,
            "New Collection",
            f"Name of the new collection{where}:",
            hint=self._sibling_hint(parent_uid, None),
        )
        if name is None:
            return None
        made: list[str] = []

        def change() -> Changes:
            uid = self._library.create_collection(name, parent_uid)
            made.append(uid)
            changes = Changes(collection_tree=True)
            if cases:
                changes |= self._library.add_to_collection(uid, list(cases))
            return changes

        self._run(change, "The collection was not made.")
        return made[0] if made else None

    def new_top_collection(self) -> None:
        """File > New Collection: one at the top, empty."""
        self.new_collection()

    def rename_collection(self, uid: str) -> None:
        found = self._collection(uid)
        if found is None:
            return
        name = dialogs.ask_name(
            self._window,
            "Rename Collection",
            f"New name for “{found.path}”:",
            found.name,
            hint=self._sibling_hint(found.parent_uid, uid),
        )
        if name is not None and name != found.name:
            self._run(
                lambda: self._library.rename_collection(uid, name),
                "The collection was not renamed.",
            )

    def delete_collection(self, uid: str) -> None:
        """Deletes a collection and those inside it, after asking if any holds cases; the
        cases stay in the library."""
        found = self._collection(uid)
        if found is None:
            return
        inside = [c for c in self._library.collections() if c.path.startswith(found.path + "/")]
        if found.total or inside:
            more = f" and the {len(inside)} inside it" if inside else ""
            cases = f"{found.total} case{'s' if found.total != 1 else ''}"
            if not dialogs.confirm(
                self._window,
                "Delete Collection",
                f"Delete the collection “{found.path}”{more}?\n\nThe {cases} in it stay in"
                " the library, with your notes and marks; only their place here is lost.",
                "Delete Collection",
            ):
                return
        self._run(lambda: self._library.delete_collection(uid), "The collection was not deleted.")

    def move_collection(self, uid: str, parent_uid: str | None) -> None:
        self._run(
            lambda: self._library.move_collection(uid, parent_uid),
            "The collection was not moved.",
        )

    def add_to_collection(self, cases: Sequence[CaseId] | None = None) -> None:
        """Asks which collection (completed from their paths; a new path is made) and files
        the cases there (the selected ones by default)."""
        chosen = list(cases) if cases is not None else self.chosen_cases()
        if not chosen:
            return
        paths = [c.path for c in self._library.collections()]
        known = {path.casefold() for path in paths}
        path = dialogs.ask_name(
            self._window,
            "Add to Collection",
            f"Add {_cases(len(chosen))} to the collection:",
            completions=paths,
            placeholder="A name, or a path such as Boards/Chest (made if new)",
            hint=lambda text: _path_hint(text, known),
        )
        if path is None:
            return

        def change() -> Changes:
            uid, made = self._library.make_collection_path(path)
            return made | self._library.add_to_collection(uid, chosen)

        if self._run(change, "The cases were not filed."):
            self._operations.tell(f"Added {_cases(len(chosen))} to “{path}”.")

    def add_selected_to_collection(self) -> None:
        """Organise > Add to Collection: the selected cases."""
        self.add_to_collection()

    def file_in(self, uid: str, cases: Sequence[CaseId]) -> None:
        self._run(lambda: self._library.add_to_collection(uid, list(cases)), "Not filed.")

    def remove_from_collection(self, uid: str, cases: Sequence[CaseId]) -> None:
        self._run(
            lambda: self._library.remove_from_collection(uid, list(cases)),
            "The cases were not taken out of the collection.",
        )

    def arrange(self, cases: list[CaseId], before: CaseId | None) -> None:
        """Puts cases dragged within the collection on show just before `before` (None:
        after its own cases), in the order dragged. A case listed from a collection inside
        it is filed here as it moves."""
        listed = self._view.case_model.case_filter
        uid = listed.value
        if listed.kind != "collection" or uid is None:
            return
        own = set(self._library.collection_case_ids(uid))
        if before in cases:  # dropped among themselves: before the next one not dragged
            listed_ids = self._view.case_model.ids()
            after = listed_ids[listed_ids.index(before) :] if before in listed_ids else []
            before = next((case for case in after if case not in cases), None)
        target = before if before in own else None

        def change() -> Changes:
            with self._library.transaction():
                missing = [case for case in cases if case not in own]
                added = [self._library.add_to_collection(uid, missing)] if missing else []
                moved = [self._library.reorder_in_collection(uid, c, target) for c in cases]
                return Changes.merge(added + moved)

        self._run(change, "The cases were not moved.")

    # --- tags ------------------------------------------------------------------------------

    def edit_tags(self, cases: Sequence[CaseId] | None = None) -> None:
        """One case: edit its tags. Several: add tags to all of them."""
        chosen = list(cases) if cases is not None else self.chosen_cases()
        if not chosen:
            return
        in_use = [t.tag for t in self._library.tag_counts()]
        if len(chosen) == 1:
            had = self._library.case_tags(chosen[0])
            typed = dialogs.ask_tags(
                self._window, "Tags", "Tags of this case:", ", ".join(had), in_use
            )
            if typed is None:
                return
            kept = {tag.casefold() for tag in typed}
            gone = [tag for tag in had if tag.casefold() not in kept]
            new = [tag for tag in typed if tag.casefold() not in {t.casefold() for t in had}]
        else:
            typed = dialogs.ask_tags(
                self._window, "Add Tags", f"Tags to add to {_cases(len(chosen))}:", "", in_use
            )
            if not typed:
                return
            gone, new = [], typed

        def change() -> Changes:
            with self._library.transaction():
                untagged = self._library.untag_cases(chosen, gone) if gone else Changes()
                return untagged | (self._library.tag_cases(chosen, new) if new else Changes())

        self._run(change, "The tags were not saved.")

    def edit_selected_tags(self) -> None:
        """Organise > Tags: the selected cases'."""
        self.edit_tags()

    def tag(self, tag: str, cases: Sequence[CaseId]) -> None:
        self._run(lambda: self._library.tag_cases(list(cases), [tag]), "Not tagged.")

    def untag(self, tag: str, cases: Sequence[CaseId]) -> None:
        self._run(lambda: self._library.untag_cases(list(cases), [tag]), "The tag stays.")

    def rename_tag(self, tag: str) -> None:
        """Renames a tag everywhere; naming another tag in use merges the two (asked)."""
        in_use = {t.tag.casefold(): t for t in self._library.tag_counts()}

        def hint(text: str) -> tuple[str, bool]:
            other = in_use.get(text.strip().casefold())
            if other is not None and other.tag.casefold() != tag.casefold():
                return f"“{other.tag}” is in use: the two tags become one.", True
            return "", True

        new = dialogs.ask_name(
            self._window,
            "Rename Tag",
            f"New name for “{tag}” on every case (name another tag to merge them):",
            tag,
            completions=[t.tag for t in in_use.values() if t.tag != tag],
            hint=hint,
        )
        if new is None or new == tag:
            return
        other = in_use.get(new.casefold())
        if other is not None and other.tag.casefold() != tag.casefold():
            count = in_use[tag.casefold()].count if tag.casefold() in in_use else 0
            if not dialogs.confirm(
                self._window,
                "Merge Tags",
                f"Merge “{tag}” into “{other.tag}”? The {_cases(count)} tagged “{tag}” are"
                f" tagged “{other.tag}” instead.",
                "Merge Tags",
            ):
                return
        if self._run(lambda: self._library.rename_tag(tag, new), "The tag was not renamed."):
            # The entry it now lists under: the merged tag's spelling, when it joined one.
            shown = next(
                (t.tag for t in self._library.tag_counts() if t.tag.casefold() == new.casefold()),
                new,
            )
            self._sidebar.select_filter(CaseFilter("tag", value=shown))

    def remove_tag_everywhere(self, tag: str) -> None:
        cases = self._library.tagged_ids(tag)
        if cases and not dialogs.confirm(
            self._window,
            "Remove Tag",
            f"Take the tag “{tag}” off all {_cases(len(cases))}? The cases stay.",
            "Remove Tag",
        ):
            return
        self._run(lambda: self._library.untag_cases(cases, [tag]), "The tag stays.")

    # --- saved searches --------------------------------------------------------------------

    def save_search(self) -> None:
        """Saves the search on show under a name (asking to replace one of that name),
        within the sidebar entry it ran in, so the saved entry lists what the list showed."""
        from desktop.query import as_saved  # loaded with the first search

        typed = self.search_text().strip()
        if not typed:
            self._operations.tell("Type a search first; then save it.")
            return
        scope, left_out = scope_of(self._sidebar.current_filter(), self._library)
        query = f"{scope} ({as_saved(typed)})" if scope else as_saved(typed)
        names = {s.name.casefold() for s in self._library.saved_searches()}
        name = dialogs.ask_name(
            self._window,
            "Save Search",
            f"Save “{query}” in the sidebar as:{left_out}",
            typed[:60],
            hint=lambda text: (
                ("A saved search has this name: it will search for this instead.", True)
                if text.strip().casefold() in names
                else ("", True)
            ),
        )
        if name is None:
            return
        replace = name.casefold() in names
        saved: list[str] = []

        def change() -> Changes:
            uid, changes = self._library.save_search(name, query, replace=replace)
            saved.append(uid)
            return changes

        if self._run(change, "The search was not saved.") and saved:
            item = self._sidebar.saved_item(saved[0])
            if item is not None:
                self._sidebar.scrollToItem(item)
            self._operations.tell(f"Saved the search as “{name}”.")

    def rename_saved_search(self, uid: str) -> None:
        found = self._saved(uid)
        if found is None:
            return
        name = dialogs.ask_name(self._window, "Rename Saved Search", "New name:", found.name)
        if name is not None and name != found.name:
            self._run(
                lambda: self._library.rename_saved_search(uid, name), "The name was not changed."
            )

    def edit_saved_search(self, uid: str) -> None:
        found = self._saved(uid)
        if found is None:
            return
        query = dialogs.ask_name(
            self._window, "Edit Saved Search", f"Search for “{found.name}”:", found.query
        )
        if query is not None and query != found.query:
            self._run(
                lambda: self._library.edit_saved_search(uid, query), "The search was not changed."
            )

    def delete_saved_search(self, uid: str) -> None:
        found = self._saved(uid)
        if found is None or not dialogs.confirm(
            self._window,
            "Delete Saved Search",
            f"Delete the saved search “{found.name}”? No case is deleted.",
            "Delete",
        ):
            return
        self._run(lambda: self._library.delete_saved_search(uid), "It was not deleted.")

    # --- menus -----------------------------------------------------------------------------

    def extend_case_menu(self, menu: QMenu, cases: list[CaseId]) -> None:
        """A case row's organising commands, for `cases` (the selected ones)."""
        collections = self._library.collections()
        add = menu.addMenu("Add to Collection")
        for found in collections[:MENU_ENTRIES]:
            add.addAction(menu_text(found.path), functools.partial(self.file_in, found.uid, cases))
        if collections:
            add.addSeparator()
        add.addAction("Choose or Make…", lambda: self.add_to_collection(cases))
        add.addAction("New Collection…", lambda: self.new_collection(None, cases))
        listed = self._view.case_model.case_filter
        if listed.kind == "collection" and listed.value is not None:
            uid = listed.value
            own = set(self._library.collection_case_ids(uid))
            inside = [case for case in cases if case in own]
            remove = menu.addAction(
                f"Remove from “{menu_text(self._library.collection_path(uid))}”",
                lambda: self.remove_from_collection(uid, inside),
            )
            # A case listed from a collection inside this one is not in this one itself.
            remove.setEnabled(bool(inside))
        menu.addAction("Tags…" if len(cases) == 1 else "Add Tags…", lambda: self.edit_tags(cases))
        carried = self._library.tags_of_cases(cases)
        if carried:
            untag = menu.addMenu("Remove Tag")
            for tag in carried[:MENU_ENTRIES]:
                untag.addAction(menu_text(tag), functools.partial(self.untag, tag, cases))

    def sidebar_menu(self, target: object) -> QMenu | None:
        """The context menu of a sidebar entry or header (None: it has none)."""
        menu = QMenu(self._window)
        if target == COLLECTIONS:
            menu.addAction("New Collection…", self.new_top_collection)
            return menu
        if target == SAVED:
            menu.addAction("Save the Current Search…", self.save_search)
            return menu
        if not isinstance(target, CaseFilter) or target.value is None:
            return None
        value = target.value
        if target.kind in ("collection", "tag", "saved"):
            menu.addAction(
                "Drill These Cases…", functools.partial(self.drill_requested.emit, target)
            )
            menu.addSeparator()
        if target.kind == "collection":
            self._fill_collection_menu(menu, value)
        elif target.kind == "tag":
            menu.addAction("Rename or Merge…", functools.partial(self.rename_tag, value))
            menu.addAction(
                "Remove from All Cases…", functools.partial(self.remove_tag_everywhere, value)
            )
        elif target.kind == "saved" and (uid := target.uid) is not None:
            menu.addAction("Rename…", functools.partial(self.rename_saved_search, uid))
            menu.addAction("Edit Search…", functools.partial(self.edit_saved_search, uid))
            menu.addSeparator()
            menu.addAction("Delete Saved Search…", functools.partial(self.delete_saved_search, uid))
        else:
            return None
        return menu

    def _fill_collection_menu(self, menu: QMenu, uid: str) -> None:
        menu.addAction("New Collection Inside…", functools.partial(self.new_collection, uid))
        menu.addAction("Rename…", functools.partial(self.rename_collection, uid))
        found = self._collection(uid)
        if found is not None and found.parent_uid is not None:
            menu.addAction("Move to the Top", functools.partial(self.move_collection, uid, None))
        menu.addSeparator()
        menu.addAction("Delete Collection…", functools.partial(self.delete_collection, uid))

    def file_dropped(self, target: object, cases: list[CaseId]) -> None:
        """Cases dropped on the sidebar: into a collection, under a tag, into Bookmarked,
        or onto the Collections header (a new collection, named now)."""
        if target == COLLECTIONS:
            self.new_collection(None, cases)
        elif isinstance(target, CaseFilter) and target.kind == "collection" and target.value:
            self.file_in(target.value, cases)
        elif isinstance(target, CaseFilter) and target.kind == "tag" and target.value:
            self.tag(target.value, cases)
        elif isinstance(target, CaseFilter) and target.kind == "bookmarked":

            def change() -> Changes:
                with self._library.transaction():
                    return Changes.merge([self._library.set_bookmark(c, True) for c in cases])

            self._run(change, "The cases were not bookmarked.")

    # --- internals -------------------------------------------------------------------------

    def _show_sidebar_menu(self, target: object, where: QPoint) -> None:
        menu = self.sidebar_menu(target)
        if menu is not None:
            menu.exec(where)
            menu.deleteLater()

    def _run(self, change: Callable[[], Changes], what: str) -> bool:
        done = self._operations.run(change, title="Not changed", what=what, expected=EXPECTED)
        return done is not None

    def _collection(self, uid: str) -> Collection | None:
        return next((c for c in self._library.collections() if c.uid == uid), None)

    def _saved(self, uid: str) -> SavedSearch | None:
        return next((s for s in self._library.saved_searches() if s.uid == uid), None)

    def _sibling_hint(
        self, parent_uid: str | None, renamed: str | None
    ) -> Callable[[str], tuple[str, bool]]:
        """Refuses, as it is typed, a name a sibling collection has (or a "/")."""
        siblings = {
            c.name.casefold(): c.name
            for c in self._library.collections()
            if c.parent_uid == parent_uid and c.uid != renamed
        }

        def hint(text: str) -> tuple[str, bool]:
            name = text.strip()
            if "/" in name:
                return "A name cannot hold “/” (it separates collections in a path).", False
            if name.casefold() in siblings:
                return f"“{siblings[name.casefold()]}” is already here.", False
            return "", True

        return hint


def scope_of(listed: CaseFilter, library: Library) -> tuple[str, str]:
    """The search-language filter that keeps a saved search within the sidebar entry it
    ran in ("" for All cases), and a note for the prompt when that entry cannot be written
    as a filter (it is then left out)."""
    kind, value = listed.kind, listed.value
    fixed = {"unread": "is:unread", "bookmarked": "is:bookmarked", "notes": "has:notes"}
    if kind in fixed:
        return fixed[kind], ""
    if kind == "trash":
        return "is:trashed", ""
    if kind == "saved" and value:
        return f"({value})", ""
    named = {"section": listed.section, "tag": value}
    if kind == "collection" and value:
        named["collection"] = "/" + library.collection_path(value)
    spelled = named.get(kind)
    if spelled and '"' not in spelled:
        key = {"section": "section", "tag": "tag", "collection": "in"}[kind]
        return f'{key}:"{spelled}"', ""
    if kind == "all":
        return "", ""
    return "", "\n(It searches the whole library: the entry on show cannot be kept in it.)"


def _path_hint(text: str, known: set[str]) -> tuple[str, bool]:
    path = "/".join(part.strip() for part in text.split("/"))
    if not path.strip("/"):
        return "", False
    if any(not part for part in path.split("/")):
        return "A path names collections between “/”: none may be empty.", False
    if path.casefold() in known:
        return "", True
    return f"Makes the collection “{path}”.", True


def _cases(count: int) -> str:
    return f"{count} case{'s' if count != 1 else ''}"
