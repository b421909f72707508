"""The notes panel's Highlights tab, driven in a real window over a real library file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.importer import import_paths
from desktop.model import CaseId
from desktop.store import Changes, Library, StorageUnavailable
from desktop.store.highlights import section_texts
from desktop.ui.highlights_tab import (
    CommentEditor,
    HighlightListView,
    HighlightsTab,
)
from desktop.ui.main_window import MainWindow
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window

CASE = "lightbox:chest-01"
#: (section, quote, colour, comment, tags), in reading order.
MARKED = (
    ("clinical_history", "sudden sharp left-sided chest pain", "red", "Classic history", ("ptx",)),
    ("imaging_findings", "visceral pleural line", "yellow", "", ("sign", "ptx")),
    ("imaging_findings", "no radiographic features of tension", "green", "Key negative", ()),
)


def add(
    library: Library,
    case_id: CaseId,
    section: str,
    quote: str,
    *,
    colour: str = "yellow",
    comment: str = "",
    tags: tuple[str, ...] = (),
) -> str:
    case = library.get_case(case_id)
    assert case is not None
    start = section_texts(case)[section].index(quote)
    return library.add_highlight(
        case_id, section, start, start + len(quote), colour=colour, comment=comment, tags=tags
    )


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    library_path, settings = tmp_path / "library.db", tmp_path / "settings.ini"
    with Library.open(library_path) as library:
        import_paths(library, [SAMPLE_CASES])
        case_id = library.resolve(CASE)
        # Made out of reading order: the tab puts them in order.
        for section, quote, colour, comment, tags in reversed(MARKED):
            add(library, case_id, section, quote, colour=colour, comment=comment, tags=tags)
    with shown_window(qtbot, library_path, settings) as win:
        win.list.select_case(win.library.resolve(CASE))
        win.notes.tabs.setCurrentWidget(win.notes.highlights_tab)
        yield win


def tab_of(window: MainWindow) -> HighlightsTab:
    return window.notes.highlights_tab


def quotes(tab: HighlightsTab) -> list[str]:
    return [h.quote for h in tab.visible_highlights()]


def click_row(view: HighlightListView, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def detach(library: Library, tmp_path: Path, quote: str) -> None:
    """Re-imports the case with `quote` reworded, so its highlight can no longer be placed."""
    source = (SAMPLE_CASES / "chest-01.txt").read_text(encoding="utf-8")
    assert quote in source
    edited = tmp_path / "edited" / "chest-01.txt"
    edited.parent.mkdir()
    edited.write_text(source.replace(quote, "an entirely different sentence"), encoding="utf-8")
    import_paths(library, [edited])


def test_the_tab_lists_highlights_in_reading_order_with_its_count(window: MainWindow) -> None:
    tab = tab_of(window)
    assert quotes(tab) == [quote for _, quote, *_ in MARKED]
    assert window.notes.tabs.tabText(1) == "Highlights (3)"
    assert not tab.detached_box.isVisibleTo(tab)
    assert window.notes.tabs.tabText(0) == "Note"


def test_the_tab_models_pass_the_model_tester(
    qtmodeltester: ModelTester, window: MainWindow
) -> None:
    qtmodeltester.check(tab_of(window).model)
    qtmodeltester.check(tab_of(window).detached_model)


def test_detached_highlights_are_listed_apart(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    tab = tab_of(window)
    detach(window.library, tmp_path, "visceral pleural line")
    window.operations.announce(case_changes(window))
    qtbot.waitUntil(lambda: tab.detached_model.rowCount() == 1)
    assert [tab.model.highlight(i).quote for i in range(tab.model.rowCount())] == [
        "sudden sharp left-sided chest pain",
        "no radiographic features of tension",
    ]
    assert tab.detached_model.highlight(0).quote == "visceral pleural line"
    assert tab.detached_box.isVisibleTo(tab)
    assert tab.detached_header.text() == "Detached — not found in the current text"
    assert window.notes.tabs.tabText(1) == "Highlights (3)"


def case_changes(window: MainWindow) -> Changes:
    """What a re-import of the shown case announces."""
    case_id = window.notes.highlights_tab.case_id
    assert case_id is not None
    return Changes(cases=frozenset({case_id}), highlights=frozenset({case_id}))


def test_attach_to_selection_needs_a_selection_and_attaches(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    tab = tab_of(window)
    detach(window.library, tmp_path, "visceral pleural line")
    window.operations.announce(case_changes(window))
    qtbot.waitUntil(lambda: tab.detached_model.rowCount() == 1)
    assert not tab.attach_button.isEnabled()
    assert "Select the passage" in tab.attach_button.toolTip()
    case = window.library.get_case(tab.case_id)  # type: ignore[arg-type]
    assert case is not None
    text = section_texts(case)["imaging_findings"]
    start = text.index("lung markings")
    assert window.detail.show_passage("imaging_findings", start, start + len("lung markings"))
    assert tab.attach_button.isEnabled()
    tab.attach_button.click()
    qtbot.waitUntil(lambda: tab.detached_model.rowCount() == 0)
    moved = [h for h in window.library.highlights(tab.case_id) if h.colour == "yellow"]  # type: ignore[arg-type]
    assert [(h.section, h.text) for h in moved] == [("imaging_findings", "lung markings")]
    assert not tab.detached_box.isVisibleTo(tab)


def test_clicking_a_highlight_flashes_its_passage(window: MainWindow) -> None:
    tab = tab_of(window)
    click_row(tab.list, 1)
    assert window.detail.flashed_text == "visceral pleural line"
    click_row(tab.list, 0)
    assert window.detail.flashed_text == "sudden sharp left-sided chest pain"


def test_filters_by_colour_and_tag(window: MainWindow) -> None:
    tab = tab_of(window)
    assert not tab.colours.buttons["blue"].isEnabled()  # no blue highlight here
    tab.colours.buttons["red"].click()
    assert quotes(tab) == ["sudden sharp left-sided chest pain"]
    tab.colours.buttons["green"].click()
    assert quotes(tab) == [
        "sudden sharp left-sided chest pain",
        "no radiographic features of tension",
    ]
    tab.colours.clear()
    assert len(quotes(tab)) == 3
    assert [tab.tags.itemText(i) for i in range(tab.tags.count())] == [
        "All tags",
        "ptx (2)",
        "sign (1)",
    ]
    tab.tags.setCurrentIndex(tab.tags.findData("sign"))
    assert quotes(tab) == ["visceral pleural line"]
    tab.colours.buttons["red"].click()
    assert quotes(tab) == []
    assert tab.empty.isVisibleTo(tab)
    assert tab.empty.text() == "No highlight matches these filters."


def test_a_comment_is_edited_in_place_and_saved(qtbot: QtBot, window: MainWindow) -> None:
    tab = tab_of(window)
    tab.list.setCurrentIndex(tab.model.index(1))
    tab.edit_button.click()
    editor = tab.list.findChild(CommentEditor)
    assert editor is not None and editor.isVisible()
    QTest.keyClicks(editor, "Edge sign")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    uid = tab.model.highlight(1).uid
    qtbot.waitUntil(lambda: window.library.highlight(uid).comment == "Edge sign")  # type: ignore[union-attr]
    assert tab.model.highlight(1).comment == "Edge sign"


def test_escape_cancels_a_comment_edit(qtbot: QtBot, window: MainWindow) -> None:
    tab = tab_of(window)
    tab.list.setCurrentIndex(tab.model.index(0))
    uid = tab.model.highlight(0).uid
    tab.list.edit_current()
    editor = tab.list.findChild(CommentEditor)
    assert editor is not None
    QTest.keyClicks(editor, " - never mind")  # QTest types ASCII only
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not editor.isVisible())
    assert window.library.highlight(uid).comment == "Classic history"  # type: ignore[union-attr]


def test_delete_key_deletes_and_undo_brings_it_back(qtbot: QtBot, window: MainWindow) -> None:
    tab = tab_of(window)
    case_id = window.list.current_case()
    tab.list.setFocus()
    tab.list.setCurrentIndex(tab.model.index(1))
    uid = tab.model.highlight(1).uid
    QTest.keyClick(tab.list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.notes.tabs.tabText(1) == "Highlights (2)")
    assert window.library.highlight(uid) is not None  # a tombstone, kept
    assert uid not in [h.uid for h in window.library.highlights(case_id)]  # type: ignore[arg-type]
    assert window.list.current_case() == case_id  # the case was not moved to the Trash
    assert window.undo_action.text() == "Undo Delete Highlight"
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: window.notes.tabs.tabText(1) == "Highlights (3)")
    assert quotes(tab) == [quote for _, quote, *_ in MARKED]


def test_a_deletion_can_be_undone_after_a_restart(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """Deletion is a tombstone: the next run's Edit > Undo still brings it back."""
    tab = tab_of(window)
    uid = tab.model.highlight(0).uid
    assert tab.delete(uid)
    window.close()  # saves the window's state, this Undo with it
    window.library.close()
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "settings.ini") as again:
        assert again.undo_action.isEnabled()
        assert again.undo_action.text() == "Undo Delete Highlight"
        again.undo_action.trigger()
        case_id = again.library.resolve(CASE)
        assert uid in [h.uid for h in again.library.highlights(case_id)]
        assert not again.undo_action.isEnabled()


def test_an_undo_that_fails_stays_and_undoes_nothing_older(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Undo stops at a step it could not undo (disk full, say), keeps it for another try,
    and never undoes an older step in its place."""
    tab = tab_of(window)
    older, newer = tab.model.highlight(0).uid, tab.model.highlight(1).uid
    assert tab.delete(older) and tab.delete(newer)
    monkeypatch.setattr(
        "desktop.ui.operations.QMessageBox.warning", lambda *_, **__: None
    )  # the failure is told; nobody here to close the message

    def refused(*_: object) -> Changes:
        raise StorageUnavailable("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(window.library, "undelete_highlight", refused)
        assert not window.undo_stack.undo()
    case_id = window.library.resolve(CASE)
    live = [h.uid for h in window.library.highlights(case_id)]
    assert older not in live and newer not in live  # nothing older undone instead
    assert window.undo_action.text() == "Undo Delete Highlight"
    assert window.undo_stack.undo()  # tried again, now it works
    assert newer in [h.uid for h in window.library.highlights(case_id)]


def test_the_context_menu_deletes(qtbot: QtBot, window: MainWindow) -> None:
    tab = tab_of(window)
    menu = tab.list.context_menu(0)
    assert menu is not None
    [delete] = [a for a in menu.actions() if a.text() == "Delete Highlight"]
    delete.trigger()
    qtbot.waitUntil(lambda: len(quotes(tab)) == 2)
    assert "sudden sharp left-sided chest pain" not in quotes(tab)


def test_note_from_highlights_goes_into_the_note_and_is_saved(
    qtbot: QtBot, window: MainWindow
) -> None:
    tab = tab_of(window)
    case_id = tab.case_id
    assert case_id is not None
    window.notes.editor.setPlainText("My own words")
    tab.note_button.click()
    assert window.notes.tabs.currentWidget() is window.notes.note_page
    text = window.notes.editor.toPlainText()
    assert text.startswith("My own words\n\n## Highlights\n\n### Yellow")
    assert "> visceral pleural line" in text

    def saved() -> bool:
        note = window.library.note(case_id)
        return note is not None and note.body == text

    qtbot.waitUntil(saved, timeout=5000)


def test_a_case_without_highlights_says_how_to_make_one(window: MainWindow) -> None:
    window.list.select_case(window.library.resolve("lightbox:neuro-01"))
    tab = tab_of(window)
    assert window.notes.tabs.tabText(1) == "Highlights"
    assert tab.empty.isVisibleTo(tab)
    assert "press 1–8" in tab.empty.text()
    assert not tab.note_button.isEnabled()


def test_a_highlight_made_elsewhere_appears(window: MainWindow) -> None:
    tab = tab_of(window)
    case_id = tab.case_id
    assert case_id is not None
    window.operations.run(
        lambda: window.library.edit_highlight(
            window.library.highlights(case_id)[0].uid, comment="Changed"
        )
    )
    assert tab.model.highlight(0).comment == "Changed"
    add(window.library, case_id, "imaging_findings", "large pneumothorax", colour="blue")
    window.operations.announce(case_changes(window))
    assert "large pneumothorax" in quotes(tab)
    assert tab.colours.buttons["blue"].isEnabled()


def test_delete_in_the_list_never_trashes_the_case(window: MainWindow) -> None:
    tab = tab_of(window)
    tab.list.setFocus()
    tab.list.setCurrentIndex(tab.model.index(0))
    QTest.keyClick(tab.list, Qt.Key.Key_Delete)
    assert window.library.trashed_ids() == []
