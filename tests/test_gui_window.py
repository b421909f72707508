"""The reading window, driven as a reader would: pytest-qt, offscreen, real library files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.model import CaseId
from desktop.ui import main_window as main_window_module
from desktop.ui import startup as startup_module
from desktop.ui.case_list import MARKS
from desktop.ui.dialogs import ImportReportDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.roles import Roles
from desktop.ui.sidebar import count_text
from tests.conftest import EURORAD_DATA, SAMPLE_CASES, SEED_CASE
from tests.gui_helpers import close_window, make_window, shown_window
from tests.tools import if_shared, needs_shared


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "library.db", tmp_path / "settings.ini"


@pytest.fixture
def window(qtbot: QtBot, paths: tuple[Path, Path]) -> Iterator[MainWindow]:
    with shown_window(qtbot, *paths, SAMPLE_CASES, *if_shared(SEED_CASE)) as win:
        yield win


def select(window: MainWindow, key: str) -> CaseId:
    case_id = window.library.resolve(key)
    assert window.list.select_case(case_id)
    return case_id


@needs_shared(SEED_CASE)
def test_selecting_a_case_shows_it(window: MainWindow) -> None:
    case_id = select(window, "eurorad:8455")
    assert window.detail.case_id == case_id
    text = window.detail.view.toPlainText()
    assert text.startswith("Iatrogenic neonatal calcinosis cutis")
    assert "Clinical History".upper() in text.upper()
    assert "The contralateral limb was normal." in text
    assert window.windowTitle() == "Iatrogenic neonatal calcinosis cutis — Lightbox"
    assert window.notes.case_id == case_id


def test_list_keys_move_through_cases(window: MainWindow) -> None:
    window.list.setFocus()
    window.list.select_row(0)
    QTest.keyClick(window.list, Qt.Key.Key_J)
    assert window.list.currentIndex().row() == 1
    QTest.keyClick(window.list, Qt.Key.Key_K)
    assert window.list.currentIndex().row() == 0
    QTest.keyClick(window.list, Qt.Key.Key_End)
    assert window.list.currentIndex().row() == window.model.rowCount() - 1
    QTest.keyClick(window.list, Qt.Key.Key_Home)
    assert window.list.currentIndex().row() == 0
    QTest.keyClick(window.list, Qt.Key.Key_Down)
    assert window.list.currentIndex().row() == 1
    assert window.detail.case_id == window.model.case_id(1)


def search_for(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.focus_search()
    window.search.clear()
    QTest.keyClicks(window.search, text)
    with qtbot.waitSignal(window.search_bar.worker.finished, timeout=5000):
        window.search_bar.timer.timeout.emit()
        window.search_bar.timer.stop()
    qtbot.waitUntil(lambda: window.model.searching, timeout=2000)


def test_a_query_cut_to_its_first_words_says_so_under_the_box(
    qtbot: QtBot, window: MainWindow
) -> None:
    search_for(qtbot, window, "subdural " + " ".join(f"w{n}" for n in range(40)))
    bar = window.search_bar
    assert bar.error_text == ""
    assert bar.notice_text == "Searched the first 32 words only; 9 left out"
    assert not bar.error.isHidden()
    search_for(qtbot, window, "subdural")
    assert bar.notice_text == "" and bar.error.isHidden()


def test_search_narrows_the_list_and_highlights(qtbot: QtBot, window: MainWindow) -> None:
    total = window.model.rowCount()
    search_for(qtbot, window, "subdural")
    assert 0 < window.model.rowCount() < total
    hits = window.search_hits()
    assert window.model.case_id(0) == hits[0].case_id
    assert "«" in hits[0].snippet
    window.list.select_row(0)
    assert '<span class="hit">' in window.detail.html
    QTest.keyClick(window.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.model.searching, timeout=2000)
    assert window.model.rowCount() == total


def test_an_empty_search_says_so(qtbot: QtBot, window: MainWindow) -> None:
    search_for(qtbot, window, "xyzzyplugh")
    assert window.model.rowCount() == 0
    assert window.list.empty.isVisible()
    assert window.list.empty.text() == "No case matches “xyzzyplugh”."


def test_a_stale_search_never_replaces_a_newer_one(qtbot: QtBot, window: MainWindow) -> None:
    search_for(qtbot, window, "subdural")
    newest = window.search_hits()
    window.search_bar._finished(window.search_bar.generation - 1, [])
    assert window.search_hits() == newest


def test_notes_search_finds_the_readers_words(qtbot: QtBot, window: MainWindow) -> None:
    case_id = select(window, "lightbox:chest-01")
    QTest.keyClicks(window.notes.editor, "quokka mnemonic")
    assert window.notes.flush()
    search_for(qtbot, window, "quokka")
    assert [hit.case_id for hit in window.search_hits()] == [case_id]
    assert window.model.data(window.model.index(0, 0), Roles.SnippetRole).startswith("Note: ")


def test_a_typed_note_survives_closing_and_reopening(
    qtbot: QtBot, window: MainWindow, paths: tuple[Path, Path]
) -> None:
    select(window, "lightbox:neuro-01")
    window.notes.editor.setFocus()
    QTest.keyClicks(window.notes.editor, "Swirl sign = active bleeding")
    # Closed at once, well inside the autosave delay: close must flush it.
    close_window(window)
    reopened = make_window(*paths)
    qtbot.addWidget(reopened)
    reopened.show()
    assert reopened.detail.case_id == reopened.library.resolve("lightbox:neuro-01")
    assert reopened.notes.editor.toPlainText() == "Swirl sign = active bleeding"
    assert "last edited" in reopened.notes.status.text()
    close_window(reopened)


def test_notes_save_while_typing(qtbot: QtBot, window: MainWindow) -> None:
    case_id = select(window, "lightbox:abdo-01")
    QTest.keyClicks(window.notes.editor, "Appendicolith")
    qtbot.waitUntil(lambda: window.library.note(case_id) is not None, timeout=3000)
    note = window.library.note(case_id)
    assert note is not None
    assert note.body == "Appendicolith"
    assert window.sidebar.count_of(main_window_module.CaseFilter("notes")) == "1"


def test_note_preview_is_rendered_inert(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "lightbox:abdo-02")
    window.notes.editor.setPlainText(
        "# LI-RADS\n\n**APHE** and washout <script>alert(1)</script>"
        ' <img src="http://127.0.0.1:9/x.png"> [x](javascript:alert(1))'
    )
    qtbot.waitUntil(lambda: "LI-RADS" in window.notes.preview.toPlainText(), timeout=10000)
    html = window.notes.preview.toHtml()
    assert "<script" not in html
    assert "javascript:" not in html
    assert window.notes.preview.requested == []


def test_a_bookmark_survives_a_restart(
    qtbot: QtBot, window: MainWindow, paths: tuple[Path, Path]
) -> None:
    case_id = select(window, "lightbox:msk-02")
    QTest.keySequence(window, "Ctrl+D")  # the Edit menu's shortcut
    assert window.library.is_bookmarked(case_id)
    assert window.detail.star.isChecked()
    row = window.model.row_of(case_id)
    assert row is not None
    assert window.model.data(window.model.index(row, MARKS)) == "bookmarked"
    close_window(window)
    reopened = make_window(*paths)
    qtbot.addWidget(reopened)
    assert reopened.library.bookmarked_ids() == [case_id]
    reopened.sidebar.select_filter(main_window_module.CaseFilter("bookmarked"))
    assert reopened.model.ids() == [case_id]
    close_window(reopened)


def test_star_in_the_detail_pane_toggles_the_bookmark(window: MainWindow) -> None:
    case_id = select(window, "lightbox:msk-01")
    window.detail.star.click()
    assert window.library.is_bookmarked(case_id)
    window.detail.star.click()
    assert not window.library.is_bookmarked(case_id)


def test_a_case_becomes_read_after_two_seconds(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:cardio-01")
    row = window.model.row_of(case_id)
    assert row is not None
    index = window.model.index(row, 0)
    window.list.scrollTo(index)
    # Chosen by the reader (a click): a case shown by itself does not turn read.
    QTest.mouseClick(
        window.list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=window.list.visualRect(index).center(),
    )
    assert window.list.current_case() == case_id
    assert window.model.data(window.model.index(row, 0), Qt.ItemDataRole.FontRole).bold()
    assert window.reading.timer.interval() == 2000
    assert window.reading.timer.isActive()
    window.reading.timer.timeout.emit()
    assert window.model.data(window.model.index(row, 0), Qt.ItemDataRole.FontRole) is None
    assert window.library.rows([case_id])[0].read


def test_selection_is_kept_by_id_across_a_reload(window: MainWindow) -> None:
    case_id = select(window, "lightbox:uro-01")
    window.model.sort(3, Qt.SortOrder.DescendingOrder)
    assert window.list.current_case() == case_id
    window.model.reload()
    assert window.list.current_case() == case_id


@needs_shared(EURORAD_DATA / "cases")
def test_importing_a_folder_reports_the_broken_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("eurorad_543.txt", "eurorad_546.txt"):
        shutil.copy(EURORAD_DATA / "cases" / name, folder / name)
    # A case whose CASE line was lost: damaged, so a failure (a text like no case is skipped).
    (folder / "broken.txt").write_text("A title\nImaging Findings\nA mass.\n", encoding="utf-8")
    before = window.library.count_cases()
    worker = window.start_import([folder])
    assert worker is not None
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    report = window.imports.last_report
    assert (report.imported, len(report.failed)) == (2, 1)
    assert report.failed[0][0] == str(folder / "broken.txt")
    dialog = window.imports.report_dialog
    assert isinstance(dialog, ImportReportDialog)
    assert str(folder / "broken.txt") in dialog.details.toPlainText()
    assert "not a case file" in dialog.details.toPlainText()
    dialog.close()
    assert window.library.count_cases() == before + 2
    assert window.model.rowCount() == before + 2
    assert window.sidebar.count_of(main_window_module.CaseFilter()) == str(before + 2)


def test_sidebar_sections_filter_the_list(window: MainWindow) -> None:
    window.sidebar.select_filter(main_window_module.CaseFilter("section", "Breast imaging"))
    assert window.model.rowCount() == 2
    assert (
        window.sidebar.count_of(main_window_module.CaseFilter("section", "Breast imaging")) == "2"
    )


def test_shortcuts_dialog_lists_every_menu_shortcut(window: MainWindow) -> None:
    table = dict((action, keys) for keys, action in window.shortcut_table())
    for action in ("Toggle Bookmark", "Find in Case", "Search Library", "Import Files"):
        assert action in table
    assert table["Toggle Bookmark"] == "Ctrl+D"


def test_slash_focuses_search_but_types_in_notes(window: MainWindow) -> None:
    window.list.setFocus()
    QTest.keyClick(window.list, Qt.Key.Key_Slash)
    assert window.search.hasFocus()
    select(window, "lightbox:gyn-01")
    window.notes.editor.setFocus()
    QTest.keyClicks(window.notes.editor, "a/b")
    assert window.notes.editor.toPlainText() == "a/b"


@needs_shared(SEED_CASE)
def test_zoom_and_find_in_case(window: MainWindow) -> None:
    select(window, "eurorad:8455")
    size = window.detail.view.document().defaultFont().pointSizeF()
    QTest.keySequence(window, "Ctrl+F")
    assert window.detail.find_bar.isVisible()
    QTest.keyClicks(window.detail.find_bar.field, "contralateral")
    assert window.detail.view.textCursor().selectedText() == "contralateral"
    window.detail.set_zoom(3)
    assert window.detail.zoom == 3
    assert size is not None


def test_a_pathological_note_never_blocks_typing(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "lightbox:paeds-01")
    # Nested brackets take Python-Markdown many seconds; the preview gives up after 2 s.
    window.notes.editor.setPlainText("[" * 20000 + "x" + "]" * 20000)
    window.notes._preview_timer.timeout.emit()
    window.notes.editor.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(window.notes.editor, "typing goes on")
    assert window.notes.editor.toPlainText().endswith("typing goes on")
    qtbot.waitUntil(window.notes.preview_status.isVisible, timeout=8000)
    assert window.notes.preview_status.text().startswith("Preview too slow")
    assert window.notes.flush()


@needs_shared(EURORAD_DATA / "cases")
def test_files_dropped_on_the_window_are_imported(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    case = tmp_path / "dropped.txt"
    shutil.copy(EURORAD_DATA / "cases" / "eurorad_549.txt", case)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(case))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dropEvent(event)
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    assert window.imports.last_report.imported == 1
    window.imports.report_dialog.close()
    assert window.library.resolve("eurorad:549")


@needs_shared(SEED_CASE)
def test_cancel_keeps_what_was_imported(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    text = SEED_CASE.read_text("utf-8")
    for number in range(400):
        case = text.replace("CASE 8455", f"CASE {700000 + number}").replace(
            "DOI: 10.1594/EURORAD/CASE.8455", ""
        )
        (folder / f"{number:04}.txt").write_text(case, encoding="utf-8")
    before = window.library.count_cases()
    worker = window.start_import([folder])
    assert worker is not None
    qtbot.waitUntil(lambda: window.imports.progress.maximum() == 400, timeout=5000)
    window.imports.cancel_button.click()
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    report = window.imports.last_report
    window.imports.report_dialog.close()
    assert report.cancelled
    assert report.imported < 400
    assert window.library.count_cases() == before + report.imported


def test_a_staged_start_paints_the_first_screen_then_lists_the_rest(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    paths: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(startup_module, "FIRST_SCREEN_ROWS", 5)
    window = make_window(*paths, SAMPLE_CASES, *if_shared(SEED_CASE), staged=True)
    qtbot.addWidget(window)
    whole = window.library.case_ids()
    # Before the first paint: the head of the list, its first case shown, no counts yet.
    assert window.model.ids() == whole[:5]
    assert window.detail.case_id == whole[0]
    assert not window.is_ready
    all_cases = window.sidebar.topLevelItem(0)
    assert all_cases is not None and count_text(all_cases) == ""
    qtmodeltester.check(window.model)  # and it watches the rows inserted below
    frames: list[tuple[bool, int]] = []
    window.first_frame.connect(lambda: frames.append((window.is_ready, window.model.rowCount())))
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show()
    assert frames == [(False, 5)]  # the first frame came before the rest of the list
    assert window.model.ids() == whole
    assert window.list.current_case() == whole[0]
    assert count_text(all_cases) == str(len(whole))
    assert [window.model.case_id(row) for row in range(len(whole))] == whole
    close_window(window)


def read_the_last_case_then_start_staged(
    qtbot: QtBot, paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> CaseId:
    """Leaves the last case of the list as the last one read, with a first screen of 5
    rows for the next staged start, so that case lies beyond it; returns its id."""
    with shown_window(qtbot, *paths, SAMPLE_CASES, *if_shared(SEED_CASE)) as first:
        last = first.library.case_ids()[-1]
        assert first.list.select_case(last)
    monkeypatch.setattr(startup_module, "FIRST_SCREEN_ROWS", 5)
    return last


def test_the_last_case_beyond_the_first_screen_opens_at_once(
    qtbot: QtBot, paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    last = read_the_last_case_then_start_staged(qtbot, paths, monkeypatch)
    window = make_window(*paths, staged=True)
    qtbot.addWidget(window)
    assert window.model.rowCount() == 5
    assert window.detail.case_id == last  # shown before the list holds it
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show()
    assert window.list.current_case() == last
    assert window.detail.case_id == last
    close_window(window)


def test_closing_before_the_list_is_whole_keeps_the_last_case(
    qtbot: QtBot, paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    last = read_the_last_case_then_start_staged(qtbot, paths, monkeypatch)
    early = make_window(*paths, staged=True)
    qtbot.addWidget(early)
    assert early.detail.case_id == last and early.list.current_case() is None
    close_window(early)  # before the first frame: the last case is still the one to keep
    reopened = make_window(*paths)
    qtbot.addWidget(reopened)
    assert reopened.list.current_case() == last
    close_window(reopened)
