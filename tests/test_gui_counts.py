"""Honest counts: every sidebar entry's count is the number of rows the list shows when that
entry is picked, after each kind of change the reader can make; the list's own count
("7 of 2,431") beside the search box; the empty-list message for a huge query; the sort
and row height kept when a search is cleared."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter
from desktop.store import Changes, Library
from desktop.ui.case_list import COLUMNS, short_query
from desktop.ui.main_window import MainWindow
from desktop.ui.roles import Roles
from desktop.ui.search import HIT_LIMIT, list_count_text
from tests.conftest import SAMPLE_CASES


def entries(window: MainWindow) -> list[QTreeWidgetItem]:
    """Every sidebar entry that lists something (cases, or the highlight browser)."""

    def walk(item: QTreeWidgetItem | None) -> list[QTreeWidgetItem]:
        if item is None:
            return []
        return [item] + [i for n in range(item.childCount()) for i in walk(item.child(n))]

    tree = window.sidebar
    every = [i for n in range(tree.topLevelItemCount()) for i in walk(tree.topLevelItem(n))]
    return [
        item
        for item in every
        if isinstance(item.data(0, Roles.FilterRole), CaseFilter) or item.text(0) == "Highlights"
    ]


def shown_rows(window: MainWindow, qtbot: QtBot, item: QTreeWidgetItem) -> int:
    """Picks the entry as a click would and counts the rows its list shows."""
    window.sidebar.setCurrentItem(item)
    if window.sidebar.showing_highlights():
        model = window.browser.model
        qtbot.waitUntil(lambda: model.whole)
        return model.rowCount()
    assert window.model.whole
    return window.model.rowCount()


def assert_counts_match(window: MainWindow, qtbot: QtBot, what: str) -> None:
    """Each entry's count equals its list's rows (saved searches are counted a moment
    after the rest: waited for)."""
    assert not window.search.text()
    sidebar = window.sidebar
    qtbot.waitUntil(lambda: not sidebar._saved_count_timer.isActive())
    wrong = []
    for item in entries(window):
        shown = sidebar.count_number(item)
        rows = shown_rows(window, qtbot, item)
        if shown != rows:
            wrong.append(f"{item.text(0)}: sidebar {shown}, list {rows}")
    sidebar.select_filter(CaseFilter())
    assert not wrong, f"after {what}: " + "; ".join(wrong)


def run(window: MainWindow, change) -> None:  # type: ignore[no-untyped-def]
    """A change as the window makes one: through the operations runner, announced."""
    assert window.operations.run(change) is not None


def test_every_sidebar_count_equals_its_list_after_each_kind_of_change(
    samples_window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window = samples_window
    library: Library = window.library
    chest_1, chest_2, neuro_1, msk_1 = (
        library.resolve(f"lightbox:{key}") for key in ("chest-01", "chest-02", "neuro-01", "msk-01")
    )
    # Something in every group: a nested collection, a tag, saved searches.
    top: list[str] = []

    def make_collections() -> Changes:
        uid, made = library.make_collection_path("Boards")
        sub, made_sub = library.make_collection_path("Boards/Chest")
        top.extend([uid, sub])
        return Changes.merge([made, made_sub])

    run(window, make_collections)
    boards, chest = top
    run(window, lambda: library.add_to_collection(boards, [neuro_1, chest_1]))
    run(window, lambda: library.add_to_collection(chest, [chest_1, chest_2]))
    run(window, lambda: library.tag_cases([chest_1, msk_1], ["classic"]))
    run(window, lambda: library.save_search("Marked", "is:bookmarked")[1])
    run(window, lambda: library.save_search("Pneumo", "pneumothorax OR fracture")[1])
    assert_counts_match(window, qtbot, "setting up")

    # Import: a new case in a new section.
    extra = tmp_path / "extra-01.txt"
    text = (SAMPLE_CASES / "chest-01.txt").read_text(encoding="utf-8")
    extra.write_text(
        text.replace("lightbox:chest-01", "lightbox:extra-01").replace(
            "\nChest imaging\n", "\nExtra imaging\n", 1
        ),
        encoding="utf-8",
    )
    assert window.start_import([extra]) is not None
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    if window.imports.report_dialog is not None:
        window.imports.report_dialog.close()
    assert window.sidebar.item_for(CaseFilter("section", "Extra imaging")) is not None
    assert_counts_match(window, qtbot, "an import")
    # Imported again, changed: it moves to another section.
    extra.write_text(
        extra.read_text(encoding="utf-8").replace("\nExtra imaging\n", "\nChest imaging\n", 1),
        encoding="utf-8",
    )
    assert window.start_import([extra]) is not None
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    if window.imports.report_dialog is not None:
        window.imports.report_dialog.close()
    assert window.sidebar.item_for(CaseFilter("section", "Extra imaging")) is None
    assert_counts_match(window, qtbot, "an import that changed a case")

    cases = window.case_actions
    cases.set_bookmark(chest_1, True)
    cases.set_bookmark(neuro_1, True)
    assert_counts_match(window, qtbot, "bookmarking")
    cases.set_bookmark(chest_1, False)
    assert_counts_match(window, qtbot, "taking a bookmark off")

    # Notes as the reader writes them: in the notes panel's editor.
    for case_id, text in ((chest_2, "A note on the sign."), (msk_1, "Another.")):
        assert window.list.select_case(case_id)
        window.notes.editor.setPlainText(text)
        assert window.notes.flush()
    assert_counts_match(window, qtbot, "writing notes")
    assert window.list.select_case(chest_2)
    window.notes.editor.setPlainText("  \n")
    assert window.notes.flush()
    assert_counts_match(window, qtbot, "clearing a note")

    cases.set_read([chest_1], True)
    cases.set_read([neuro_1], True)
    assert_counts_match(window, qtbot, "marking read")
    cases.set_read([chest_1], False)
    assert_counts_match(window, qtbot, "marking unread")

    def highlight(case_id):  # type: ignore[no-untyped-def]
        case = library.get_case(case_id)
        from desktop.sections import case_sections

        section = next(s for s in case_sections(case) if len(s.text) > 20)
        uid = library.add_highlight(case_id, section.key, 0, 10)
        return uid, Changes(highlights=frozenset({case_id}))

    uids: list[str] = []

    def add_highlight(case_id):  # type: ignore[no-untyped-def]
        def change() -> Changes:
            uid, changes = highlight(case_id)
            uids.append(uid)
            return changes

        run(window, change)

    add_highlight(neuro_1)
    add_highlight(chest_2)
    assert_counts_match(window, qtbot, "highlighting")
    assert window.highlighting.delete_highlight(uids[1])
    assert_counts_match(window, qtbot, "deleting a highlight")

    # Trash: a case with a bookmark, a note, a highlight, a tag and a collection.
    assert window.list.select_case(neuro_1)
    run(window, lambda: library.tag_cases([neuro_1], ["classic"]))
    run(window, lambda: library.save_note(neuro_1, "Trashed with its note."))
    cases.trash_current()
    assert_counts_match(window, qtbot, "moving a case to the Trash")
    window.sidebar.select_filter(CaseFilter("trash"))
    cases.untrash(neuro_1)
    window.sidebar.select_filter(CaseFilter())
    assert_counts_match(window, qtbot, "restoring it")

    # Trashed again, then back with Edit > Undo.
    assert window.list.select_case(neuro_1)
    cases.trash_current()
    assert_counts_match(window, qtbot, "moving it to the Trash again")
    window.undo_stack.undo()
    assert_counts_match(window, qtbot, "undoing that")

    run(window, lambda: library.untag_cases([chest_1], ["classic"]))
    assert_counts_match(window, qtbot, "untagging")
    window.organiser.remove_from_collection(chest, [chest_1])
    assert_counts_match(window, qtbot, "taking a case out of a collection")
    window.organiser.file_in(chest, [msk_1])
    assert_counts_match(window, qtbot, "filing a case in a collection")

    # A drill's rating: rated long ago as Missed, the case is due now.
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    run(window, lambda: library.rate(msk_1, 1, at=long_ago)[2])
    assert_counts_match(window, qtbot, "a drill's rating")

    run(window, lambda: library.delete_collection(chest))
    assert window.sidebar.item_for(CaseFilter("collection", value=chest)) is None
    assert_counts_match(window, qtbot, "deleting a collection")
    assert window.list.select_case(msk_1)
    cases.trash_current()
    run(window, library.empty_trash)
    assert_counts_match(window, qtbot, "emptying the Trash")


# --- the list's count ------------------------------------------------------------------------


def test_the_count_text_reads_as_a_reader_says_it() -> None:
    assert list_count_text(2431, None) == "2,431 cases"
    assert list_count_text(1, None) == "1 case"
    assert list_count_text(7, 2431) == "7 of 2,431"
    assert list_count_text(HIT_LIMIT, 2431, capped=True) == f"{HIT_LIMIT}+ of 2,431"
    assert list_count_text(0, 2431) == "0 of 2,431"


def test_the_hit_limit_is_the_searchs_own() -> None:
    default = inspect.signature(Library.search_cases_interruptible).parameters["limit"].default
    assert default == HIT_LIMIT


def search(window: MainWindow, qtbot: QtBot, text: str) -> None:
    generation = window.search_bar.generation
    window.search.setText(text)
    window.search_bar.run_search()
    if text.strip():
        qtbot.waitUntil(lambda: window.search_bar.generation > generation)
        qtbot.waitUntil(lambda: window.model.searching or bool(window.search_bar.error_text))


def test_the_list_says_how_many_cases_match_a_search_or_an_entry(
    samples_window: MainWindow, qtbot: QtBot
) -> None:
    window = samples_window
    count = window.search_bar.count
    total = window.model.rowCount()
    assert count.text() == f"{total} cases"
    assert count.isVisible()
    search(window, qtbot, "pneumothorax")
    qtbot.waitUntil(lambda: count.text() == f"{window.model.rowCount()} of {total}")
    assert 0 < window.model.rowCount() < total
    assert "pneumothorax" in count.toolTip()
    window.search.clear()
    qtbot.waitUntil(lambda: count.text() == f"{total} cases")
    # A sidebar entry narrows the list too.
    window.sidebar.select_filter(CaseFilter("section", "Chest imaging"))
    assert count.text() == f"3 of {total}"
    # A search within an entry counts against the entry.
    search(window, qtbot, "chest")
    qtbot.waitUntil(lambda: window.model.searching)
    assert count.text() == f"{window.model.rowCount()} of 3"
    window.search.clear()
    qtbot.waitUntil(lambda: count.text() == f"3 of {total}")
    # A change moves the count with the list.
    window.case_actions.set_bookmark(window.library.resolve("lightbox:chest-01"), True)
    window.sidebar.select_filter(CaseFilter("bookmarked"))
    assert count.text() == f"1 of {total}"
    window.case_actions.set_bookmark(window.library.resolve("lightbox:chest-02"), True)
    assert count.text() == f"2 of {total}"
    window.sidebar.select_filter(CaseFilter("trash"))
    assert count.text() == "0 in the Trash"


def test_a_search_that_lists_only_its_best_hits_says_more_may_match(
    samples_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.ui.search

    searched = Library.search_cases_interruptible

    def best_three(self: Library, query: str, case_filter: CaseFilter | None = None) -> object:
        return searched(self, query, case_filter, limit=3)

    monkeypatch.setattr(Library, "search_cases_interruptible", best_three)
    monkeypatch.setattr(desktop.ui.search, "HIT_LIMIT", 3)
    window = samples_window
    search(window, qtbot, "chest")
    qtbot.waitUntil(lambda: window.model.searching)
    assert window.model.rowCount() == 3
    assert window.search_bar.count.text() == "3+ of 26"
    assert "more may match" in window.search_bar.count.toolTip()


def test_the_count_is_blank_rather_than_wrong_before_the_list_is_whole(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from tests.gui_helpers import close_window, make_window

    window = make_window(tmp_path / "l.db", tmp_path / "s.ini", SAMPLE_CASES, staged=True)
    qtbot.addWidget(window)
    window.keep_settings = False
    try:
        window.model.load_head_only(5)
        window.model.reload()
        assert window.model.rowCount() == 5
        assert window.search_bar.count.text() in ("", "26 cases")  # never "5 cases"
        window.show()
        qtbot.waitUntil(lambda: window.is_ready)
        assert window.search_bar.count.text() == "26 cases"
    finally:
        close_window(window)


def test_the_count_steps_aside_for_the_highlight_browser(samples_window: MainWindow) -> None:
    window = samples_window
    window.sidebar.select_highlights()
    assert window.search_bar.count.text() == ""
    window.sidebar.select_filter(CaseFilter("bookmarked"))
    assert window.search_bar.count.text() == "0 of 26"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_count_is_muted_and_fits_beside_the_box(
    samples_window: MainWindow, qtbot: QtBot, scheme: str
) -> None:
    from desktop.ui import theme
    from desktop.ui.app import application

    window = samples_window
    try:
        theme.apply_theme(application(scheme), scheme)  # type: ignore[arg-type]
        count = window.search_bar.count
        search(window, qtbot, "pneumothorax")
        qtbot.waitUntil(lambda: " of " in count.text())
        assert count.width() >= count.fontMetrics().horizontalAdvance(count.text())
        box = window.search.geometry()
        assert count.geometry().left() >= box.right()  # beside it, not over it
        assert abs(count.geometry().center().y() - box.center().y()) <= 2
        # A caption's grey, not the text's colour.
        shown = count.palette().color(count.foregroundRole())
        assert shown == count.palette().color(QPalette.ColorRole.PlaceholderText)
        assert shown != count.palette().color(QPalette.ColorRole.WindowText)
    finally:
        theme.apply_theme(application("light"), "light")


# --- the empty list's message ---------------------------------------------------------------


def test_a_huge_query_is_cut_in_the_empty_list_message(
    samples_window: MainWindow, qtbot: QtBot
) -> None:
    window = samples_window
    query = "zyxwvut " * 212 + "qq"  # about 1,700 characters, matching nothing
    assert len(query) > 1650
    search(window, qtbot, query)
    qtbot.waitUntil(window.list.empty.isVisible)
    message = window.list.empty.text()
    assert message.startswith("No case matches “zyxwvut")
    assert message.endswith("zyxwvut…”.")  # cut after a whole word
    assert len(message) < 80
    # The label shows it on one or two lines, not a wall of text.
    label = window.list.empty
    assert label.heightForWidth(label.width()) <= 3 * label.fontMetrics().lineSpacing()


def test_a_query_is_quoted_short_and_on_one_line() -> None:
    assert short_query("  pneumo   thorax ") == "pneumo thorax"
    assert short_query("a" * 200) == "a" * 59 + "…"
    assert short_query("tension pneumothorax " * 10, limit=30) == "tension pneumothorax tension…"


# --- sort and row height across a search ------------------------------------------------------


@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_clearing_a_search_keeps_the_sort_and_the_row_height(
    samples_window: MainWindow, qtbot: QtBot, order: Qt.SortOrder
) -> None:
    window = samples_window
    view = window.list
    header = view.horizontalHeader()
    column = next(i for i, (_, key) in enumerate(COLUMNS) if key == "published")
    height = view.verticalHeader().defaultSectionSize()
    header.setSortIndicator(column, order)
    descending = order == Qt.SortOrder.DescendingOrder
    assert window.model.sort_state == ("published", descending)
    sorted_ids = window.model.ids()
    window.search.setFocus()
    qtbot.keyClicks(window.search, "chest")
    qtbot.waitUntil(lambda: window.model.searching)
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.model.searching)
    assert window.search.text() == ""
    assert window.model.sort_state == ("published", descending)
    assert header.sortIndicatorSection() == column
    assert header.sortIndicatorOrder() == order
    assert window.model.ids() == sorted_ids
    assert view.verticalHeader().defaultSectionSize() == height
    assert view.rowHeight(0) == height


def test_a_search_typed_then_cleared_keeps_a_collections_own_order(
    samples_window: MainWindow, qtbot: QtBot
) -> None:
    window = samples_window
    library = window.library
    uid, made = library.make_collection_path("Boards")
    window.operations.announce(made)
    ids = [library.resolve(f"lightbox:{key}") for key in ("neuro-01", "chest-01", "msk-01")]
    window.operations.announce(library.add_to_collection(uid, ids))
    window.sidebar.select_filter(CaseFilter("collection", value=uid))
    assert window.model.in_collection_order and window.model.ids() == ids
    search(window, qtbot, "chest")
    window.search.clear()
    window.search_bar.run_search()
    assert window.model.in_collection_order and window.model.ids() == ids


def test_picking_another_entry_during_a_search_keeps_the_sort(
    samples_window: MainWindow, qtbot: QtBot
) -> None:
    window = samples_window
    column = next(i for i, (_, key) in enumerate(COLUMNS) if key == "section")
    window.list.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)
    search(window, qtbot, "chest")
    window.sidebar.select_filter(CaseFilter("unread"))
    qtbot.waitUntil(lambda: window.model.searching)
    window.search.clear()
    window.search_bar.run_search()
    assert window.model.case_filter == CaseFilter("unread")
    assert window.model.sort_state == ("section", True)
    assert window.list.horizontalHeader().sortIndicatorSection() == column
