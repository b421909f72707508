"""Find in the case (Ctrl+F), Esc, and zoom, driven through the real window's keys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.model import CaseId
from desktop.ui.main_window import MainWindow

#: Nine times in paeds-01, never in paeds-02.
TERM = "duodenum"


def select(window: MainWindow, key: str) -> CaseId:
    case_id = window.library.resolve(key)
    assert window.list.select_case(case_id)
    return case_id


def search_for(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.focus_search()
    window.search.clear()
    QTest.keyClicks(window.search, text)
    with qtbot.waitSignal(window.search_bar.worker.finished, timeout=5000):
        window.search_bar.timer.timeout.emit()
        window.search_bar.timer.stop()
    qtbot.waitUntil(lambda: window.model.searching, timeout=2000)


def find(window: MainWindow, term: str) -> None:
    """Ctrl+F and the term typed, as a reader does."""
    QTest.keySequence(window, "Ctrl+F")
    bar = window.detail.find_bar
    assert bar.isVisible() and bar.field.hasFocus()
    bar.field.selectAll()
    QTest.keyClicks(bar.field, term)


def occurrences(window: MainWindow, term: str) -> int:
    return window.detail.view.toPlainText().casefold().count(term.casefold())


def selected(window: MainWindow) -> str:
    return window.detail.view.textCursor().selectedText()


def test_esc_closes_the_find_bar_from_every_pane_and_keeps_the_search(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    window = samples_window
    search_for(qtbot, window, "volvulus")
    select(window, "lightbox:paeds-01")
    bar = window.detail.find_bar
    places: list[QWidget] = [bar.field, window.detail.view, window.list, window.notes.editor]
    for place in [*places, window.search]:
        find(window, TERM)
        place.setFocus()
        QTest.keyClick(place, Qt.Key.Key_Escape)
        assert not bar.isVisible(), place
        assert window.search.text() == "volvulus", place  # the search stays while find was open
    assert window.model.searching
    # Closed from the bar, the focus goes back to the case; from elsewhere, it stays put.
    find(window, TERM)
    QTest.keyClick(bar.field, Qt.Key.Key_Escape)
    assert window.detail.view.hasFocus()
    find(window, TERM)
    window.list.setFocus()
    QTest.keyClick(window.list, Qt.Key.Key_Escape)
    assert window.list.hasFocus()
    # With the bar closed, Esc clears the search, as before.
    QTest.keyClick(window.list, Qt.Key.Key_Escape)
    assert window.search.text() == ""
    qtbot.waitUntil(lambda: not window.model.searching, timeout=2000)


def test_find_counts_matches_and_steps_through_them_wrapping(
    samples_window: MainWindow,
) -> None:
    window = samples_window
    select(window, "lightbox:paeds-01")
    count = occurrences(window, TERM)
    assert count == 9
    find(window, TERM)
    bar = window.detail.find_bar
    assert bar.status.text() == f"1 of {count}"
    assert selected(window).casefold() == TERM
    first = window.detail.view.textCursor().selectionStart()
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.status.text() == f"2 of {count}"
    assert window.detail.view.textCursor().selectionStart() > first
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.status.text() == f"1 of {count}"
    assert window.detail.view.textCursor().selectionStart() == first
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.status.text() == f"{count} of {count}"  # wrapped back to the last
    assert selected(window).casefold() == TERM
    QTest.keyClick(bar.field, Qt.Key.Key_F3)
    assert bar.status.text() == f"1 of {count}"  # and on to the first
    # F3 and Shift+F3 work from the case too (Edit > Find Next / Find Previous).
    window.detail.view.setFocus()
    QTest.keyClick(window.detail.view, Qt.Key.Key_F3)
    assert bar.status.text() == f"2 of {count}"
    QTest.keyClick(window.detail.view, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert bar.status.text() == f"1 of {count}"
    # The buttons too.
    bar.field.setText("xyzzyplugh")
    assert bar.status.text() == "No matches"
    assert not bar.find_next()
    bar.field.clear()
    assert bar.status.text() == ""


def test_f3_opens_a_closed_find_bar_with_its_term(samples_window: MainWindow) -> None:
    window = samples_window
    select(window, "lightbox:paeds-01")
    find(window, TERM)
    QTest.keyClick(window.detail.find_bar.field, Qt.Key.Key_Escape)
    assert not window.detail.find_bar.isVisible()
    QTest.keyClick(window.detail.view, Qt.Key.Key_F3)
    assert window.detail.find_bar.isVisible()
    assert window.detail.find_bar.status.text() == "2 of 9"


def test_shift_enter_elsewhere_is_not_find_s(samples_window: MainWindow) -> None:
    window = samples_window
    select(window, "lightbox:paeds-01")
    find(window, TERM)
    editor = window.notes.editor
    editor.setFocus()
    QTest.keyClicks(editor, "a")
    QTest.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(editor, "b")
    assert window.detail.find_bar.status.text() == "1 of 9"
    assert editor.toPlainText().replace("\u2028", "\n") == "a\nb"


def test_the_match_is_brought_to_the_middle_of_the_view(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    window = samples_window
    select(window, "lightbox:paeds-01")
    view = window.detail.view
    view.setFixedHeight(240)  # a short view, so most matches start outside it
    qtbot.waitUntil(lambda: view.viewport().height() <= 240)
    find(window, TERM)
    bar = window.detail.find_bar
    scroll = view.verticalScrollBar()
    centred = 0
    for _ in range(bar.match_count):
        before = scroll.value()
        QTest.keyClick(bar.field, Qt.Key.Key_Return)
        rect = view.cursorRect(view.textCursor())
        height = view.viewport().height()
        assert 0 <= rect.top() and rect.bottom() <= height  # always in view
        if scroll.value() != before and 0 < scroll.value() < scroll.maximum():
            # Scrolled to it, and not stopped by either end: it is in the middle.
            assert abs(rect.center().y() - height // 2) <= rect.height()
            centred += 1
    assert centred >= 2


def test_another_case_counts_the_term_again(samples_window: MainWindow) -> None:
    window = samples_window
    select(window, "lightbox:paeds-01")
    find(window, TERM)
    bar = window.detail.find_bar
    assert bar.status.text() == "1 of 9"
    select(window, "lightbox:paeds-02")
    assert bar.status.text() == "No matches"  # not the old case's count
    assert bar.field.text() == TERM  # the term stays, as in a browser
    bar.field.setText("the")
    count = occurrences(window, "the")
    assert count > 1
    select(window, "lightbox:paeds-03")
    count = occurrences(window, "the")
    # Counted in the new case, nothing gone to yet: the case opens at its top.
    assert bar.status.text() == f"{count} matches"
    assert window.detail.view.verticalScrollBar().value() == 0
    assert not window.detail.view.textCursor().hasSelection()
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.status.text() == f"1 of {count}"
    assert selected(window).casefold() == "the"


def test_zoom_keeps_the_match_gone_to(samples_window: MainWindow) -> None:
    window = samples_window
    select(window, "lightbox:paeds-01")
    find(window, TERM)
    bar = window.detail.find_bar
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    start = window.detail.view.textCursor().selectionStart()
    QTest.keySequence(window, "Ctrl+=")
    assert window.detail.zoom == 1
    assert bar.status.text() == "2 of 9"
    assert window.detail.view.textCursor().selectionStart() == start
    assert selected(window).casefold() == TERM
    # A selection of the reader's own is not taken for the match.
    cursor = window.detail.view.textCursor()
    cursor.setPosition(0)
    window.detail.view.setTextCursor(cursor)
    QTest.keySequence(window, "Ctrl+-")
    assert bar.status.text() == "9 matches"


def heading_sizes(window: MainWindow) -> dict[str, float]:
    """The point size each kind of block is drawn at: h1-h3 and body paragraphs."""
    sizes: dict[str, float] = {}
    block = window.detail.view.document().begin()
    while block.isValid():
        level = block.blockFormat().headingLevel()
        kind = f"h{level}" if level else "p"
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
        if block.text().strip() and (kind != "p" or len(block.text()) > 200):
            sizes.setdefault(kind, cursor.charFormat().font().pointSizeF())
        block = block.next()
    return sizes


def test_zoom_grows_the_headings_with_the_text(samples_window: MainWindow) -> None:
    window = samples_window
    select(window, "lightbox:paeds-01")
    assert "<h3>" in window.detail.html  # the discussion's sub-headings
    before = heading_sizes(window)
    assert set(before) == {"h1", "h2", "h3", "p"}
    assert before["h3"] > before["p"]
    for _ in range(3):
        QTest.keySequence(window, "Ctrl+=")
    after = heading_sizes(window)
    grown = after["p"] / before["p"]
    assert grown > 1.2
    for kind in ("h1", "h2", "h3"):
        assert after[kind] / before[kind] == grown, kind
    assert after["h3"] > after["p"]  # a sub-heading is never smaller than its text
    QTest.keySequence(window, "Ctrl+0")
    assert heading_sizes(window) == before
