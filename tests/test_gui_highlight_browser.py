"""The highlight browser (sidebar "Highlights") and the case list's highlight mark, in a real
window over a real library file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.importer import import_paths
from desktop.model import HighlightFilter
from desktop.store import Library
from desktop.store.highlights import section_texts
from desktop.ui.case_list import MARKS
from desktop.ui.delegates import MarksDelegate, marks_text
from desktop.ui.highlight_browser import (
    CASE,
    COLOUR,
    COMMENT,
    QUOTE,
    TAGS,
    HighlightBrowser,
    HighlightTableModel,
)
from desktop.ui.main_window import MainWindow
from desktop.ui.roles import Roles
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window

#: (case, section, quote, colour, comment, tags), oldest first.
MARKED = (
    ("lightbox:chest-01", "imaging_findings", "visceral pleural line", "yellow", "", ("sign",)),
    ("lightbox:neuro-01", "clinical_history", "", "red", "Look here first", ("sign", "neuro")),
    ("lightbox:abdo-01", "clinical_history", "", "green", "", ()),
)


def first_words(library: Library, key: str, section: str) -> str:
    case = library.get_case(library.resolve(key))
    assert case is not None
    return " ".join(section_texts(case)[section].split()[:4])


def made(library: Library) -> list[str]:
    """Highlights on three cases, a minute apart (the browser lists the newest first)."""
    uids = []
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    for n, (key, section, quote, colour, comment, tags) in enumerate(MARKED):
        case_id = library.resolve(key)
        case = library.get_case(case_id)
        assert case is not None
        words = quote or first_words(library, key, section)
        offset = section_texts(case)[section].index(words)
        uids.append(
            library.add_highlight(
                case_id,
                section,
                offset,
                offset + len(words),
                colour=colour,
                comment=comment,
                tags=tags,
                now=start + dt.timedelta(minutes=n),
            )
        )
    return uids


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    library_path, settings = tmp_path / "library.db", tmp_path / "settings.ini"
    with Library.open(library_path) as library:
        import_paths(library, [SAMPLE_CASES])
        made(library)
    with shown_window(qtbot, library_path, settings) as win:
        yield win


def open_browser(window: MainWindow) -> HighlightBrowser:
    window.sidebar.select_highlights()
    assert window.list_stack.currentWidget() is window.browser
    return window.browser


def column(model: HighlightTableModel, number: int) -> list[str]:
    return [model.index(row, number).data() for row in range(model.rowCount())]


def test_the_sidebar_counts_highlights_and_opens_the_browser(window: MainWindow) -> None:
    assert window.sidebar.highlights_count() == "3"
    browser = open_browser(window)
    assert window.list_stack.currentWidget() is browser
    model = browser.model
    assert column(model, COLOUR) == ["Green", "Red", "Yellow"]  # newest first
    assert column(model, QUOTE)[2] == "visceral pleural line"
    assert column(model, COMMENT)[1] == "Look here first"
    assert column(model, TAGS)[1] == "sign, neuro"
    chest = window.library.get_case(window.library.resolve("lightbox:chest-01"))
    assert chest is not None
    assert column(model, CASE)[2] == chest.title
    assert browser.filter_bar.count.text() == "3 highlights"
    # Recounting (any change) keeps the browser up.
    window.sidebar.on_changes(None, None)  # type: ignore[arg-type]
    assert window.sidebar.showing_highlights()


def test_picking_a_case_entry_brings_the_list_back(window: MainWindow) -> None:
    open_browser(window)
    window.sidebar.select_filter(window.sidebar.current_filter())  # "All cases"
    assert window.list_stack.currentIndex() == 0


def test_typing_a_search_leaves_the_browser(window: MainWindow) -> None:
    open_browser(window)
    window.focus_search()
    QTest.keyClicks(window.search, "pneumo")
    assert window.list_stack.currentIndex() == 0
    assert not window.sidebar.showing_highlights()


def test_the_browser_model_passes_the_model_tester(
    qtmodeltester: ModelTester, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tiny head and pages, so that the tester sees the rest arrive as inserted rows.
    monkeypatch.setattr(HighlightTableModel, "HEAD", 2)
    monkeypatch.setattr(HighlightTableModel, "PAGE_SIZE", 2)
    model = HighlightTableModel(window.library)
    qtmodeltester.check(model)
    model.show_filter(HighlightFilter())
    assert model.rowCount() == 2 and not model.whole
    model.load_rest()
    assert model.rowCount() == 3 and model.whole
    assert [model.index(r, COLOUR).data() for r in range(3)] == ["Green", "Red", "Yellow"]
    assert model.index(0, 0).data(Roles.ObjectRole).highlight.colour == "green"
    assert model.index(5, 0).data() is None
    assert model.headerData(QUOTE, Qt.Orientation.Horizontal) == "Highlighted text"


def test_the_filter_bar_narrows_the_table(qtbot: QtBot, window: MainWindow) -> None:
    browser = open_browser(window)
    bar = browser.filter_bar
    assert bar.tag.stale  # counted when the list opens, not before
    bar.refresh_tags()
    assert [bar.tag.itemText(i) for i in range(bar.tag.count())] == [
        "All tags",
        "neuro (1)",
        "sign (2)",
    ]
    bar.colour.setCurrentIndex(bar.colour.findData("yellow"))
    assert column(browser.model, COLOUR) == ["Yellow"]
    bar.colour.setCurrentIndex(0)
    bar.tag.setCurrentIndex(bar.tag.findData("sign"))
    assert column(browser.model, COLOUR) == ["Red", "Yellow"]
    bar.tag.setCurrentIndex(0)
    QTest.keyClicks(bar.text, "look")
    # Typing waits for a pause before it filters.
    with qtbot.waitSignal(bar.changed, timeout=2000):
        pass
    assert column(browser.model, COMMENT) == ["Look here first"]
    bar.text.setText("nothing like this")
    bar.text.returnPressed.emit()
    assert browser.model.rowCount() == 0
    assert browser.view.empty.isVisible()
    assert browser.view.empty.text() == "No highlight matches these filters."


def test_opening_a_row_shows_its_case_at_the_passage(window: MainWindow) -> None:
    browser = open_browser(window)
    chest = window.library.resolve("lightbox:chest-01")
    assert window.detail.case_id != chest
    view = browser.view
    view.setFocus()
    view.setCurrentIndex(browser.model.index(2, QUOTE))
    QTest.keyClick(view, Qt.Key.Key_Return)
    assert window.detail.case_id == chest
    assert window.notes.case_id == chest
    assert window.detail.flashed_text == "visceral pleural line"
    # The browser stays, and the list behind it follows the case shown.
    assert window.list_stack.currentWidget() is browser
    assert window.list.current_case() == chest
    # The notes panel's tab points at the same highlight.
    chosen = window.notes.highlights_tab.current_highlight()
    assert chosen is not None and chosen.quote == "visceral pleural line"


def test_a_double_click_opens_a_row(window: MainWindow) -> None:
    browser = open_browser(window)
    neuro = window.library.resolve("lightbox:neuro-01")
    view = browser.view
    rect = view.visualRect(browser.model.index(1, QUOTE))
    # A view takes a double click as one only after the press of a first click.
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.detail.case_id == neuro
    words = first_words(window.library, "lightbox:neuro-01", "clinical_history")
    assert window.detail.flashed_text == words


def test_delete_in_the_browser_is_undone_by_undo(qtbot: QtBot, window: MainWindow) -> None:
    browser = open_browser(window)
    shown = window.detail.case_id
    view = browser.view
    view.setFocus()
    view.setCurrentIndex(browser.model.index(0, QUOTE))
    QTest.keyClick(view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 2)
    assert window.library.trashed_ids() == []  # Delete meant the highlight, not a case
    assert window.detail.case_id == shown
    assert window.sidebar.highlights_count() == "2"
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 3)
    assert column(browser.model, COLOUR)[0] == "Green"


def test_the_browser_redraws_after_a_change(window: MainWindow) -> None:
    browser = open_browser(window)
    uid = browser.model.index(2, 0).data(Roles.ObjectRole).highlight.uid
    window.operations.run(lambda: window.library.edit_highlight(uid, comment="Edited"))
    assert column(browser.model, COMMENT)[2] == "Edited"


def test_the_marks_column_shows_highlights(window: MainWindow) -> None:
    model = window.model
    chest = window.library.resolve("lightbox:chest-01")
    row = model.row_of(chest)
    assert row is not None
    index = model.index(row, MARKS)
    assert "highlights" in index.data()
    assert index.data(Qt.ItemDataRole.AccessibleTextRole) == index.data()
    list_row = index.data(Roles.ObjectRole)
    assert list_row.has_highlights
    assert marks_text(list_row) == "Has highlights"
    cardio = model.row_of(window.library.resolve("lightbox:cardio-01"))
    assert cardio is not None
    assert "highlights" not in model.index(cardio, MARKS).data()
    delegate = window.list.itemDelegateForColumn(MARKS)
    assert isinstance(delegate, MarksDelegate)
    window.list.viewport().grab()  # paints the marks without a warning


def test_changes_made_while_hidden_show_when_it_opens_again(window: MainWindow) -> None:
    browser = open_browser(window)
    uid = browser.model.index(0, 0).data(Roles.ObjectRole).highlight.uid
    window.sidebar.select_filter(window.sidebar.current_filter())  # back to "All cases"
    window.operations.run(lambda: window.library.delete_highlight(uid))
    assert browser.model.rowCount() == 3  # hidden: not read again yet
    open_browser(window)
    assert browser.model.rowCount() == 2


def test_the_tag_list_is_read_again_when_it_opens(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The popup itself is left out: offscreen it cannot grab the keyboard.
    monkeypatch.setattr(QComboBox, "showPopup", lambda _self: None)
    browser = open_browser(window)
    bar = browser.filter_bar
    bar.refresh_tags()
    uid = browser.model.index(1, 0).data(Roles.ObjectRole).highlight.uid  # tagged "neuro"
    window.operations.run(lambda: window.library.delete_highlight(uid))
    assert bar.tag.stale
    bar.tag.showPopup()
    assert [bar.tag.itemText(i) for i in range(bar.tag.count())] == ["All tags", "sign (1)"]
