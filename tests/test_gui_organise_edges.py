"""Organising at its edges, in a real window: names that look like markup or mnemonics, two
saved searches of one query, drops among the dragged cases, the scope a search is saved in,
the highlight browser's case, the "New collection…" entry, and the list's rows moving in
place for any old and new order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter, CaseId
from desktop.ui.case_drag import cases_mime
from desktop.ui.case_list import CaseTableModel
from desktop.ui.main_window import MainWindow
from desktop.ui.roles import Roles
from desktop.ui.sidebar import count_text
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window
from tests.test_gui_organise import answer, count_of, drop, key, make


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "s.ini", SAMPLE_CASES) as shown:
        shown.keep_settings = False
        yield shown


def shown_texts(menu: QMenu) -> list[str]:
    """Every entry of a menu and its submenus as drawn (mnemonic marks taken out)."""
    found: list[str] = []
    for action in menu.actions():
        found.append(action.iconText())
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            found += shown_texts(submenu)
    return found


def test_names_with_an_ampersand_show_it_in_menus_and_make_no_mnemonic(
    window: MainWindow,
) -> None:
    chest = key(window, "chest-01")
    uid = make(window, "Heart & Lungs", "chest-01")
    window.operations.run(lambda: window.library.tag_cases([chest], ["R&D"]))
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    window.list.select_case(chest)
    menu = window.list.context_menu(window.model.row_of(chest) or 0)
    assert menu is not None
    shown = shown_texts(menu)
    assert "Heart & Lungs" in shown and "R&D" in shown
    assert "Remove from “Heart & Lungs”" in shown
    assert QKeySequence.mnemonic(window.detail.filing.text()).isEmpty()


def test_names_that_look_like_markup_are_shown_as_text_in_tooltips(window: MainWindow) -> None:
    chest = key(window, "chest-01")
    window.operations.run(lambda: window.library.tag_cases([chest], ["<b>sign</b>"]))
    uid = make(window, "<i>Boards</i>", "chest-01")
    window.operations.run(lambda: window.library.save_search("<u>x</u>", "tag:*")[1])
    tag = window.sidebar.item_for(CaseFilter("tag", value="<b>sign</b>"))
    collection = window.sidebar.item_for(CaseFilter("collection", value=uid))
    found = window.library.find_saved_search("<u>x</u>")
    assert tag is not None and collection is not None and found is not None
    saved = window.sidebar.saved_item(found.uid)
    assert saved is not None
    for item in (tag, collection):
        assert "&lt;" in item.toolTip(0) and "<b>sign" not in item.toolTip(0)
    assert saved.toolTip(0) == "<p style='white-space:pre'>tag:*</p>"
    assert saved.text(0) == "<u>x</u>"


def test_two_saved_searches_of_one_query_are_two_entries(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = window.library
    uid_a, changes = library.save_search("Chest A", "section:chest")
    window.operations.announce(changes)
    uid_b, changes = library.save_search("Chest B", "section:chest")
    window.operations.announce(changes)
    item_a, item_b = window.sidebar.saved_item(uid_a), window.sidebar.saved_item(uid_b)
    assert item_a is not None and item_b is not None
    qtbot.waitUntil(lambda: count_text(item_a) == count_text(item_b) == "3")
    answer(monkeypatch, confirm=True)
    menu = window.organiser.sidebar_menu(item_b.data(0, Roles.FilterRole))
    assert menu is not None
    next(a for a in menu.actions() if a.text().startswith("Delete")).trigger()
    assert [s.name for s in library.saved_searches()] == ["Chest A"]


def test_cases_dropped_among_themselves_go_before_the_next_case_not_dragged(
    qtbot: QtBot, window: MainWindow
) -> None:
    uid = make(window, "Boards", "chest-01", "chest-02", "chest-03", "neuro-01")
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    first, third = key(window, "chest-01"), key(window, "chest-03")
    at = window.list.visualRect(window.model.index(2, 0)).topLeft() + QPoint(5, 2)
    drop(window.list, cases_mime([first, third], window.library.path), at)
    wanted = [key(window, n) for n in ("chest-02", "chest-01", "chest-03", "neuro-01")]
    qtbot.waitUntil(lambda: window.library.collection_case_ids(uid) == wanted)


def test_a_search_is_saved_within_the_entry_it_ran_in(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = make(window, "Boards", "chest-01", "neuro-01")
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    window.search.setText("section:chest")
    window.search_bar.run_search()
    qtbot.waitUntil(lambda: window.model.searching)
    shown = window.model.ids()
    assert shown == [key(window, "chest-01")]
    answer(monkeypatch, "Chest")
    window.save_search_action.trigger()
    found = window.library.find_saved_search("Chest")
    assert found is not None and found.query == 'in:"/Boards" (section:chest)'
    assert window.library.count_saved_search(found.query) == 1


def test_a_saved_search_lists_what_the_box_listed_as_it_was_typed(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.search.setText("pneumo")
    window.search_bar.run_search()
    qtbot.waitUntil(lambda: window.model.searching and window.model.rowCount() > 0)
    shown = sorted(window.model.ids())
    answer(monkeypatch, "Pneumo")
    window.save_search_action.trigger()
    found = window.library.find_saved_search("Pneumo")
    assert found is not None and found.query == "pneumo*"
    window.search.clear()
    window.search_bar.run_search()
    item = window.sidebar.saved_item(found.uid)
    assert item is not None
    window.sidebar.setCurrentItem(item)
    assert sorted(window.model.ids()) == shown


def test_organise_commands_act_on_the_case_the_highlight_browser_shows(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = make(window, "Boards", "chest-01")
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    window.list.select_case(key(window, "chest-01"))
    neuro = key(window, "neuro-01")
    window.sidebar.select_highlights()
    window._show_case_anywhere(neuro)  # as the browser opens a highlight of neuro-01
    answer(monkeypatch, "Neuro", tags=["sign"])
    window.add_to_collection_action.trigger()
    found = window.library.find_collection("Neuro")
    assert found is not None and window.library.collection_case_ids(found) == [neuro]
    window.tags_action.trigger()
    assert window.library.case_tags(neuro) == ["sign"]
    assert window.library.case_tags(key(window, "chest-01")) == []


def test_clicking_new_collection_keeps_the_entry_on_show(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    chest = key(window, "chest-01")
    window.list.select_case(chest)
    window.trash_action.trigger()
    window.sidebar.select_filter(CaseFilter("trash"))
    asked: list[str] = []
    monkeypatch.setattr("desktop.ui.organise_dialogs.ask_name", lambda *_a, **_k: asked.append("x"))
    rect = window.sidebar.visualItemRect(window.sidebar._new_collection)
    QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert asked  # the click asked for a name
    assert window.sidebar.current_filter() == window.model.case_filter == CaseFilter("trash")
    window.list.select_case(chest)
    window.untrash_action.trigger()
    assert window.library.trashed_ids() == []


def test_recently_read_shows_no_sort_indicator(window: MainWindow) -> None:
    window.sidebar.select_filter(CaseFilter("recent"))
    assert window.list.horizontalHeader().sortIndicatorSection() == -1


def test_the_sort_of_the_other_entries_comes_back_after_a_collection(window: MainWindow) -> None:
    uid = make(window, "Boards", "chest-01")
    window.list.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    window.sidebar.select_filter(CaseFilter())
    assert window.model.sort_state == ("published", True)


def test_merging_a_tag_lands_on_the_tag_it_joined(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = window.library
    chest, neuro = key(window, "chest-01"), key(window, "neuro-01")
    window.operations.run(lambda: library.tag_cases([chest], ["sign"]))
    window.operations.run(lambda: library.tag_cases([neuro], ["Classic"]))
    window.sidebar.select_filter(CaseFilter("tag", value="sign"))
    answer(monkeypatch, "classic", confirm=True)
    window.organiser.rename_tag("sign")
    assert window.sidebar.current_filter() == CaseFilter("tag", value="Classic")
    assert sorted(window.model.ids()) == sorted([chest, neuro])
    assert count_of(window, CaseFilter("tag", value="Classic")) == "2"


def test_unbookmarking_the_case_on_show_saves_its_note_and_moves_on(
    window: MainWindow,
) -> None:
    library = window.library
    first, second = key(window, "chest-01"), key(window, "chest-02")
    window.operations.run(lambda: library.set_bookmark(first, True))
    window.operations.run(lambda: library.set_bookmark(second, True))
    window.sidebar.select_filter(CaseFilter("bookmarked"))
    window.list.select_case(second)
    window.notes.editor.setPlainText("my unsaved thought")
    window.list.setFocus()
    window.bookmark_action.trigger()
    assert window.model.ids() == [first]
    note = library.note(second)
    assert note is not None and "my unsaved thought" in note.body
    assert window.notes.case_id == window.list.current_case() == window.detail.case_id == first


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    old=st.lists(st.integers(1, 40), unique=True, max_size=30),
    new=st.lists(st.integers(1, 40), unique=True, max_size=30),
)
def test_rows_move_in_place_to_any_new_order(
    window: MainWindow, qtmodeltester: ModelTester, old: list[int], new: list[int]
) -> None:
    model = CaseTableModel(window.library)
    model.apply_ids([CaseId(i) for i in old])
    qtmodeltester.check(model)
    kept = {case: QPersistentModelIndex(model.index(row, 1)) for row, case in enumerate(old)}
    model.apply_ids([CaseId(i) for i in new])
    assert model.ids() == new
    for case, index in kept.items():
        if case in new:
            assert index.isValid() and model.case_id(index.row()) == case
            assert index.column() == 1
        else:
            assert not index.isValid()
