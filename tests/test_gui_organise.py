"""Organising in a real window over a real library file: the sidebar's collections, tags and
saved searches with their counts, drag and drop (cases onto the sidebar, cases within a
collection, a collection onto another), the prompts, the menus, and the list following each
change in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QTreeWidgetItem
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter, CaseId
from desktop.store import COLLECTION_ORDER
from desktop.ui import organise_dialogs
from desktop.ui.case_drag import cases_mime, collection_mime, dragged_cases
from desktop.ui.main_window import MainWindow
from desktop.ui.organise_dialogs import NamePrompt
from desktop.ui.sidebar import COLLECTIONS, SAVED, TAGS, saved_filter


@pytest.fixture
def window(samples_window: MainWindow) -> MainWindow:
    return samples_window


def key(window: MainWindow, name: str) -> CaseId:
    return window.library.resolve(f"lightbox:{name}")


def count_of(window: MainWindow, case_filter: CaseFilter) -> str:
    return window.sidebar.count_of(case_filter)


def answer(monkeypatch: pytest.MonkeyPatch, name: str | None = None, **more: object) -> None:
    """The prompts answer for the reader: `ask_name` with `name`; `tags` for ask_tags;
    `confirm` (default yes)."""
    monkeypatch.setattr(organise_dialogs, "ask_name", lambda *_a, **_k: name)
    tags = more.get("tags")
    monkeypatch.setattr(organise_dialogs, "ask_tags", lambda *_a, **_k: tags)
    confirmed = more.get("confirm", True)
    monkeypatch.setattr(organise_dialogs, "confirm", lambda *_a, **_k: confirmed)


def drop(view: object, mime: QMimeData, at: QPoint) -> QDropEvent:
    """A drag of `mime` moved over a view's viewport to `at`, then dropped there, as Qt
    delivers them (its viewport's drag events go to the view's handlers)."""
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    view.dragMoveEvent(QDragMoveEvent(at, actions, mime, buttons, none))  # type: ignore[attr-defined]
    dropped = QDropEvent(QPointF(at), actions, mime, buttons, none)
    view.dropEvent(dropped)  # type: ignore[attr-defined]
    return dropped


def centre(window: MainWindow, item: QTreeWidgetItem) -> QPoint:
    window.sidebar.scrollToItem(item)
    return window.sidebar.visualItemRect(item).center()


def make(window: MainWindow, path: str, *names: str) -> str:
    library = window.library
    uid, made = library.make_collection_path(path)
    changes = made | library.add_to_collection(uid, [key(window, n) for n in names])
    window.operations.announce(changes)
    return uid


def test_the_sidebar_shows_collections_tags_and_saved_searches_with_counts(
    qtbot: QtBot, window: MainWindow, qtmodeltester: ModelTester
) -> None:
    sidebar = window.sidebar
    assert sidebar.header_item(TAGS).isHidden() and sidebar.header_item(SAVED).isHidden()
    boards = make(window, "Boards", "msk-01")
    chest = make(window, "Boards/Chest", "chest-01", "chest-02", "msk-01")
    window.operations.run(lambda: window.library.tag_cases([key(window, "chest-01")], ["sign"]))
    window.operations.run(lambda: window.library.save_search("Chest", "section:chest")[1])
    assert count_of(window, CaseFilter("collection", value=boards)) == "3"  # msk-01 once
    assert count_of(window, CaseFilter("collection", value=chest)) == "3"
    item = sidebar.item_for(CaseFilter("collection", value=chest))
    assert item is not None and item.parent() is sidebar.item_for(
        CaseFilter("collection", value=boards)
    )
    assert "Boards/Chest" in item.toolTip(0)
    assert count_of(window, CaseFilter("tag", value="sign")) == "1"
    assert not sidebar.header_item(TAGS).isHidden()
    found = window.library.find_saved_search("Chest")
    assert found is not None
    saved = saved_filter(found)
    qtbot.waitUntil(lambda: count_of(window, saved) == "3")  # a moment after the rest
    qtmodeltester.check(sidebar.model())


def test_picking_a_collection_lists_its_cases_in_its_order(window: MainWindow) -> None:
    uid = make(window, "Boards", "chest-02", "chest-01")
    make(window, "Boards/Neuro", "neuro-01")
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    model = window.list.case_model
    assert model.ids() == [key(window, n) for n in ("chest-02", "chest-01", "neuro-01")]
    assert model.in_collection_order
    assert window.list.horizontalHeader().sortIndicatorSection() == -1
    window.list.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert not model.in_collection_order
    model.show_collection_order()
    assert model.in_collection_order
    window.sidebar.select_filter(CaseFilter())  # another entry lists by title again
    assert model.sort_state == ("title", False)


def test_cases_dropped_on_a_collection_are_filed_there(
    qtbot: QtBot, window: MainWindow, qtmodeltester: ModelTester
) -> None:
    uid = make(window, "Boards")
    view = window.list
    view.selectRow(0)
    view.selectionModel().select(
        window.model.index(2, 0),
        view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
    )
    chosen = view.selected_cases()
    assert len(chosen) == 2
    mime = window.model.mimeData(view.selectionModel().selectedRows())
    assert dragged_cases(mime, window.library.path) == chosen
    item = window.sidebar.item_for(CaseFilter("collection", value=uid))
    assert item is not None
    dropped = drop(window.sidebar, mime, centre(window, item))
    assert dropped.isAccepted() and dropped.dropAction() == Qt.DropAction.CopyAction
    qtbot.waitUntil(lambda: window.library.collection_case_ids(uid) == chosen)
    assert count_of(window, CaseFilter("collection", value=uid)) == "2"
    qtmodeltester.check(window.model)


def test_cases_dropped_on_a_tag_or_bookmarked_are_tagged_or_bookmarked(
    qtbot: QtBot, window: MainWindow
) -> None:
    library = window.library
    cases = [key(window, "chest-01"), key(window, "neuro-01")]
    window.operations.run(lambda: library.tag_cases([cases[0]], ["sign"]))
    mime = cases_mime(cases, library.path)
    tag = window.sidebar.item_for(CaseFilter("tag", value="sign"))
    assert tag is not None
    drop(window.sidebar, mime, centre(window, tag))
    qtbot.waitUntil(lambda: count_of(window, CaseFilter("tag", value="sign")) == "2")
    starred = window.sidebar.item_for(CaseFilter("bookmarked"))
    assert starred is not None
    drop(window.sidebar, mime, centre(window, starred))
    qtbot.waitUntil(lambda: sorted(library.bookmarked_ids()) == sorted(cases))


def test_cases_dropped_on_the_collections_header_make_a_collection(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch, "From a drop")
    cases = [key(window, "abdo-01")]
    header = window.sidebar.header_item(COLLECTIONS)
    drop(window.sidebar, cases_mime(cases, window.library.path), centre(window, header))
    qtbot.waitUntil(lambda: window.library.find_collection("From a drop") is not None)
    uid = window.library.find_collection("From a drop")
    assert uid is not None and window.library.collection_case_ids(uid) == cases


def test_a_drop_from_a_window_on_another_library_is_refused(
    window: MainWindow, tmp_path: Path
) -> None:
    uid = make(window, "Boards")
    item = window.sidebar.item_for(CaseFilter("collection", value=uid))
    assert item is not None
    foreign = cases_mime([key(window, "chest-01")], tmp_path / "other.db")
    dropped = drop(window.sidebar, foreign, centre(window, item))
    QApplication.processEvents()
    assert not dropped.isAccepted()
    assert window.library.collection_case_ids(uid) == []


def test_dragging_within_a_collection_rearranges_it_in_place(
    qtbot: QtBot, window: MainWindow
) -> None:
    names = ("chest-01", "chest-02", "chest-03", "neuro-01")
    uid = make(window, "Boards", *names)
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    view, model = window.list, window.model
    view.select_row(3)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    last = key(window, "neuro-01")
    top = view.visualRect(model.index(0, 0)).topLeft() + QPoint(5, 2)
    dropped = drop(view, cases_mime([last], window.library.path), top)
    assert dropped.isAccepted()
    wanted = [key(window, n) for n in ("neuro-01", "chest-01", "chest-02", "chest-03")]
    qtbot.waitUntil(lambda: model.ids() == wanted)
    assert window.library.collection_case_ids(uid) == wanted
    assert not resets  # rows moved: no reset, and the current case stays current
    assert view.current_case() == last


def test_a_case_from_a_collection_inside_is_filed_here_when_dragged_among_its_own(
    qtbot: QtBot, window: MainWindow
) -> None:
    uid = make(window, "Boards", "chest-01", "chest-02")
    make(window, "Boards/Neuro", "neuro-01")
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    neuro = key(window, "neuro-01")
    top = window.list.visualRect(window.model.index(0, 0)).topLeft() + QPoint(5, 2)
    drop(window.list, cases_mime([neuro], window.library.path), top)
    qtbot.waitUntil(lambda: window.library.collection_case_ids(uid)[0] == neuro)


def test_cases_are_not_rearranged_outside_collection_order(window: MainWindow) -> None:
    uid = make(window, "Boards", "chest-01", "chest-02")
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    window.list.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    top = window.list.visualRect(window.model.index(0, 0)).topLeft() + QPoint(5, 2)
    mime = cases_mime([key(window, "chest-02")], window.library.path)
    assert not drop(window.list, mime, top).isAccepted()


def test_a_collection_dropped_on_another_moves_under_it(qtbot: QtBot, window: MainWindow) -> None:
    boards = make(window, "Boards")
    neuro = make(window, "Neuro", "neuro-01")
    target = window.sidebar.item_for(CaseFilter("collection", value=boards))
    assert target is not None
    drop(window.sidebar, collection_mime(neuro, window.library.path), centre(window, target))
    qtbot.waitUntil(lambda: window.library.find_collection("Boards/Neuro") == neuro)
    moved = window.sidebar.item_for(CaseFilter("collection", value=neuro))
    assert moved is not None and moved.parent() is window.sidebar.item_for(
        CaseFilter("collection", value=boards)
    )
    # Not into itself or under itself.
    assert not drop(
        window.sidebar, collection_mime(boards, window.library.path), centre(window, moved)
    ).isAccepted()
    # Onto the header: back to the top.
    header = window.sidebar.header_item(COLLECTIONS)
    drop(window.sidebar, collection_mime(neuro, window.library.path), centre(window, header))
    qtbot.waitUntil(lambda: window.library.find_collection("Neuro") == neuro)


def test_add_to_collection_asks_with_completion_and_makes_a_new_path(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(window, "Boards/Chest")
    asked: dict[str, object] = {}

    def ask(*_args: object, **kwargs: object) -> str:
        asked.update(kwargs)
        return "Boards/MSK"

    monkeypatch.setattr(organise_dialogs, "ask_name", ask)
    window.list.select_case(key(window, "msk-01"))
    window.add_to_collection_action.trigger()
    uid = window.library.find_collection("Boards/MSK")
    assert uid is not None
    assert window.library.collection_case_ids(uid) == [key(window, "msk-01")]
    assert "Boards/Chest" in list(asked["completions"])  # type: ignore[call-overload]
    hint = asked["hint"]
    assert callable(hint)
    assert hint("Boards/Chest") == ("", True)
    assert hint("New/Path")[0] == "Makes the collection “New/Path”."
    assert hint("A//B")[1] is False
    assert window.add_to_collection_action.shortcut().toString() == "Ctrl+Shift+C"


def test_the_name_prompt_refuses_a_sibling_name_as_it_is_typed(
    qtbot: QtBot, window: MainWindow
) -> None:
    make(window, "Boards/Chest")
    boards = window.library.find_collection("Boards")
    hint = window.organiser._sibling_hint(boards, None)
    prompt = NamePrompt(window, "New Collection", "Name:", hint=hint)
    qtbot.addWidget(prompt)
    ok = prompt.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    prompt.field.setText("chest")
    assert not ok.isEnabled() and prompt.hint_label.text() == "“Chest” is already here."
    prompt.field.setText("Chest/X")
    assert not ok.isEnabled()
    prompt.field.setText("Neuro")
    assert ok.isEnabled() and prompt.hint_label.isHidden()


def test_rename_move_and_delete_a_collection_from_its_menu(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = make(window, "Boards/Chest", "chest-01")
    organiser = window.organiser
    menu = organiser.sidebar_menu(CaseFilter("collection", value=uid))
    assert menu is not None
    texts = [action.text() for action in menu.actions() if action.text()]
    assert texts == [
        "Drill These Cases…",
        "New Collection Inside…",
        "Rename…",
        "Move to the Top",
        "Delete Collection…",
    ]
    answer(monkeypatch, "Thorax")
    next(a for a in menu.actions() if a.text() == "Rename…").trigger()
    item = window.sidebar.item_for(CaseFilter("collection", value=uid))
    assert item is not None and item.text(0) == "Thorax"
    organiser.move_collection(uid, None)
    assert window.library.find_collection("Thorax") == uid
    answer(monkeypatch, confirm=False)
    organiser.delete_collection(uid)  # it holds a case: asked, and refused
    assert window.library.find_collection("Thorax") == uid
    answer(monkeypatch, confirm=True)
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    organiser.delete_collection(uid)
    assert window.library.find_collection("Thorax") is None
    assert window.library.get_case(key(window, "chest-01")) is not None  # the case stays
    assert window.sidebar.current_filter() == CaseFilter()  # the list left the deleted one
    assert len(window.model.ids()) == 26


def test_removing_a_case_from_the_collection_on_show_takes_only_its_row(window: MainWindow) -> None:
    uid = make(window, "Boards", "chest-01", "chest-02", "chest-03")
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    view, model = window.list, window.model
    view.select_row(1)
    resets: list[int] = []
    removed: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    menu = view.context_menu(1)
    assert menu is not None
    action = next(a for a in menu.actions() if a.text() == "Remove from “Boards”")
    action.trigger()
    assert removed == [(1, 1)] and not resets
    assert model.ids() == [key(window, "chest-01"), key(window, "chest-03")]
    assert count_of(window, CaseFilter("collection", value=uid)) == "2"
    assert view.current_case() in model.ids()  # the neighbour is shown, as in a mail list


def test_tags_from_the_shortcut_and_the_menus(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    library, chest = window.library, key(window, "chest-01")
    window.list.select_case(chest)
    answer(monkeypatch, tags=["Sign", "classic"])
    window.tags_action.trigger()
    assert library.case_tags(chest) == ["classic", "Sign"]
    answer(monkeypatch, tags=["classic"])  # editing a case's tags removes the ones dropped
    window.tags_action.trigger()
    assert library.case_tags(chest) == ["classic"]
    assert window.sidebar.item_for(CaseFilter("tag", value="Sign")) is None
    menu = window.list.context_menu(window.model.row_of(chest) or 0)
    assert menu is not None
    untag = next(a for a in menu.actions() if a.text() == "Remove Tag").menu()
    assert [a.text() for a in untag.actions()] == ["classic"]
    untag.actions()[0].trigger()
    assert library.case_tags(chest) == []
    assert window.sidebar.header_item(TAGS).isHidden()


def test_several_selected_cases_get_tags_at_once(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = window.list
    view.selectAll()
    answer(monkeypatch, tags=["boards"])
    window.tags_action.trigger()
    assert count_of(window, CaseFilter("tag", value="boards")) == "26"


def test_renaming_a_tag_onto_another_merges_them_after_asking(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = window.library
    chest, neuro = key(window, "chest-01"), key(window, "neuro-01")
    window.operations.run(lambda: library.tag_cases([chest], ["sign"]))
    window.operations.run(lambda: library.tag_cases([neuro], ["signs", "other"]))
    answer(monkeypatch, "signs", confirm=False)
    window.organiser.rename_tag("sign")
    assert library.case_tags(chest) == ["sign"]  # refused: nothing changed
    answer(monkeypatch, "signs", confirm=True)
    window.organiser.rename_tag("sign")
    assert library.case_tags(chest) == ["signs"]
    assert count_of(window, CaseFilter("tag", value="signs")) == "2"
    assert window.sidebar.item_for(CaseFilter("tag", value="sign")) is None
    assert window.sidebar.current_filter() == CaseFilter("tag", value="signs")
    answer(monkeypatch, confirm=True)
    window.organiser.remove_tag_everywhere("signs")
    assert library.case_tags(chest) == [] and library.case_tags(neuro) == ["other"]


def test_the_list_on_a_tag_follows_tagging_without_a_reset(window: MainWindow) -> None:
    library = window.library
    chest, neuro = key(window, "chest-01"), key(window, "neuro-01")
    window.operations.run(lambda: library.tag_cases([chest], ["sign"]))
    window.sidebar.select_filter(CaseFilter("tag", value="sign"))
    model = window.model
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    window.operations.run(lambda: library.tag_cases([neuro], ["sign"]))
    assert sorted(model.ids()) == sorted([chest, neuro]) and not resets
    window.operations.run(lambda: library.untag_cases([chest, neuro], ["sign"]))
    # The tag is gone from the sidebar: the list follows "All cases".
    assert window.sidebar.current_filter() == CaseFilter()
    assert len(model.ids()) == 26


def test_a_saved_search_is_saved_listed_counted_and_follows_the_library(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = window.library
    window.search.setText("is:bookmarked section:chest")
    window.search_bar.run_search()
    qtbot.waitUntil(lambda: window.model.searching)
    answer(monkeypatch, "Starred chest")
    window.save_search_action.trigger()
    found = library.find_saved_search("Starred chest")
    assert found is not None and found.query == "is:bookmarked section:chest"
    saved = saved_filter(found)
    qtbot.waitUntil(lambda: count_of(window, saved) == "0")
    window.search.clear()
    window.search_bar.run_search()
    window.sidebar.select_filter(saved)
    assert window.model.ids() == []
    chest = key(window, "chest-01")
    window.case_actions.set_bookmark(chest, True)
    qtbot.waitUntil(lambda: count_of(window, saved) == "1")
    assert window.model.ids() == [chest]  # the list on show took the case in
    answer(monkeypatch, "is:bookmarked")
    window.organiser.edit_saved_search(found.uid)
    assert window.sidebar.current_filter() == CaseFilter(
        "saved", value="is:bookmarked", uid=found.uid
    )
    answer(monkeypatch, "Starred")
    window.organiser.rename_saved_search(found.uid)
    item = window.sidebar.saved_item(found.uid)
    assert item is not None and item.text(0) == "Starred"
    answer(monkeypatch, confirm=True)
    window.organiser.delete_saved_search(found.uid)
    assert window.sidebar.saved_item(found.uid) is None
    assert window.sidebar.header_item(SAVED).isHidden()
    assert window.sidebar.current_filter() == CaseFilter()


def test_saving_an_empty_search_says_what_to_do(window: MainWindow) -> None:
    window.search.clear()
    window.save_search_action.trigger()
    assert "Type a search first" in window.statusBar().currentMessage()
    assert window.library.saved_searches() == []


def test_a_search_on_show_follows_tagging_in_place(qtbot: QtBot, window: MainWindow) -> None:
    library = window.library
    chest = key(window, "chest-01")
    window.search.setText("tag:sign")
    window.search_bar.run_search()
    qtbot.waitUntil(lambda: window.model.searching)
    assert window.model.ids() == []
    window.operations.run(lambda: library.tag_cases([chest], ["sign"]))
    qtbot.waitUntil(lambda: window.model.ids() == [chest])


def test_the_organise_menu_holds_real_commands_with_keys(window: MainWindow) -> None:
    menu = next(
        action.menu()
        for action in window.menuBar().actions()
        if action.text().replace("&", "") == "Organise"
    )
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Add to Collection…", "New Collection…", "Tags…", "Save Search…"]
    keys = dict(window.shortcut_table())
    assert keys["Ctrl+T"] == "Tags"
    assert keys["Ctrl+Shift+N"] == "New Collection"


def test_the_list_model_moves_rows_in_place(qtmodeltester: ModelTester, window: MainWindow) -> None:
    model = window.model
    ids = model.ids()
    qtmodeltester.check(model)
    model.apply_ids(ids[5:] + ids[:2])  # some gone, the rest moved
    assert model.ids() == ids[5:] + ids[:2]
    model.apply_ids(ids)
    assert model.ids() == ids
    assert model.rowCount(QModelIndex()) == len(ids)
    qtmodeltester.check(model)
    assert window.library.case_ids(CaseFilter(), "title")[:3] == ids[:3]
    assert COLLECTION_ORDER == "position"


def test_the_case_shows_its_tags_and_collections_and_a_click_edits_the_tags(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    chest = key(window, "chest-01")
    window.list.select_case(chest)
    filing = window.detail.filing
    assert filing.isVisible() and filing.text() == "Add tags"
    make(window, "Boards/Chest", "chest-01")
    assert filing.text() == "Add tags · in Boards/Chest"
    answer(monkeypatch, tags=["sign", "classic"])
    filing.click()
    assert window.library.case_tags(chest) == ["classic", "sign"]
    assert filing.text() == "classic, sign · in Boards/Chest"
    assert "Collections: Boards/Chest" in filing.toolTip()


def test_the_search_box_offers_to_save_the_search_it_holds(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = window.save_in_box_action
    assert not action.isVisible()
    window.search.setText("tag:sign")
    assert action.isVisible()
    assert window.save_search_action.isVisible()  # the menu's stays whatever the box holds
    answer(monkeypatch, "Signs")
    action.trigger()
    assert window.library.find_saved_search("Signs") is not None


def test_several_selected_cases_go_to_the_trash_and_come_back_with_one_undo(
    window: MainWindow,
) -> None:
    view, library = window.list, window.library
    view.selectAll()
    chosen = view.selected_cases()[:3]
    view.clearSelection()
    for case_id in chosen:
        row = window.model.row_of(case_id)
        assert row is not None
        view.selectionModel().select(
            window.model.index(row, 0),
            view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
        )
    window.bookmark_action.trigger()
    assert sorted(library.bookmarked_ids()) == sorted(chosen)
    window.trash_action.trigger()
    assert sorted(library.trashed_ids()) == sorted(chosen)
    assert "Moved 3 cases to the Trash" in window.undo_notice.text()
    window.undo_action.trigger()
    assert library.trashed_ids() == []
    assert sorted(library.bookmarked_ids()) == sorted(chosen)  # marks kept throughout
