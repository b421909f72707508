"""Read state and what the status bar says: Ctrl+U toggles, Mark All as Read, a case turns
read only once the reader chose it, and Ctrl+Z undoes from every pane (pytest-qt, real
library files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter, CaseId
from desktop.store import Changes, Library
from desktop.ui.main_window import MainWindow
from desktop.ui.reading import READ_AFTER_MS

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
CHEST = CaseFilter("section", "Chest imaging")


def key(window: MainWindow, name: str) -> CaseId:
    return window.library.resolve(f"lightbox:{name}")


def read_ids(window: MainWindow) -> set[CaseId]:
    return window.library.read_ids(window.library.case_ids())


def click_row(window: MainWindow, case_id: CaseId) -> None:
    """Chooses a case as the reader does: a click on its row."""
    row = window.model.row_of(case_id)
    assert row is not None
    index = window.model.index(row, 0)
    window.list.scrollTo(index)
    point = window.list.visualRect(index).center()
    QTest.mouseClick(window.list.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.list.current_case() == case_id


def press(widget: QWidget, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    """A key as the reader types it in `widget` (focused, window active): shortcuts too."""
    widget.window().activateWindow()
    widget.setFocus()
    QApplication.processEvents()
    QTest.keyClick(widget, key, modifier)


def ctrl(widget: QWidget, key: Qt.Key) -> None:
    press(widget, key, Qt.KeyboardModifier.ControlModifier)


def fire(window: MainWindow) -> None:
    """The reading clock runs out (as a single-shot timer does: stopped, then its signal)."""
    assert window.reading.timer.isActive()
    window.reading.timer.stop()
    window.reading.timer.timeout.emit()


def notice(window: MainWindow) -> str:
    """The status bar's word on the last command (plain text), if it shows."""
    label = window.undo_notice
    if not label.isVisible():
        return ""
    return label.text().replace('<a href="undo">', "").replace("</a>", "")


def unread_count(window: MainWindow) -> str:
    return window.sidebar.count_of(CaseFilter("unread"))


# --- a case turns read only once the reader chose it --------------------------------------------


def test_the_first_start_marks_nothing_read(qtbot: QtBot, samples_window: MainWindow) -> None:
    window = samples_window
    shown = window.detail.case_id
    assert shown is not None and window.list.current_case() == shown  # a case to read
    assert not window.reading.timer.isActive() and window.reading.waiting_for_reader
    qtbot.wait(READ_AFTER_MS + 400)  # longer than a chosen case takes to turn read
    assert read_ids(window) == set()
    assert unread_count(window) == window.sidebar.count_of(CaseFilter())
    assert window.read_action.text().replace("&", "") == "Mark as Read"


def test_a_case_shown_by_itself_waits_for_the_reader(samples_window: MainWindow) -> None:
    window = samples_window
    chest = key(window, "chest-01")
    window.sidebar.select_filter(CHEST)  # as a search's top hit or a trashed case's neighbour
    window.list.select_case(chest)
    assert window.detail.case_id == chest and not window.reading.timer.isActive()
    click_row(window, chest)  # a click on the case on screen chooses it
    fire(window)
    assert chest in read_ids(window)


def test_keys_in_the_list_choose_a_case(samples_window: MainWindow) -> None:
    window = samples_window
    window.list.select_row(0)
    press(window.list, Qt.Key.Key_J)
    second = window.model.case_id(1)
    assert window.list.current_case() == second and window.reading.timer.isActive()
    fire(window)
    assert read_ids(window) == {second}  # the first, shown at start, is still unread


def test_a_reload_keeps_the_clock_of_the_case_chosen(samples_window: MainWindow) -> None:
    window = samples_window
    chest = key(window, "chest-01")
    click_row(window, chest)
    window.model.reload()  # another program changed the library, say
    assert window.list.current_case() == chest and window.reading.timer.isActive()
    fire(window)
    assert read_ids(window) == {chest}


def test_scrolling_the_case_on_screen_reads_it(samples_window: MainWindow) -> None:
    window = samples_window
    shown = window.detail.case_id
    assert shown is not None and not window.reading.timer.isActive()
    viewport = window.detail.view.viewport()
    wheel = QWheelEvent(
        QPointF(20, 20),
        QPointF(viewport.mapToGlobal(QPoint(20, 20))),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, wheel)
    fire(window)
    assert read_ids(window) == {shown}
    # Read once: more scrolling does not count it again.
    QApplication.sendEvent(viewport, wheel)
    assert not window.reading.timer.isActive()


def test_a_case_opened_from_a_highlight_counts_as_chosen(samples_window: MainWindow) -> None:
    window = samples_window
    chest = key(window, "chest-01")
    window._show_case_anywhere(chest)  # noqa: SLF001 (the highlight browser's way in)
    assert window.list.current_case() == chest and window.reading.timer.isActive()


# --- Ctrl+U and Mark All as Read ------------------------------------------------------------------


def test_ctrl_u_toggles_and_its_menu_entry_follows(samples_window: MainWindow) -> None:
    window = samples_window
    chest = key(window, "chest-01")
    click_row(window, chest)
    assert window.read_action.text().replace("&", "") == "Mark as Read"
    ctrl(window.list, Qt.Key.Key_U)
    assert chest in read_ids(window)
    assert not window.reading.timer.isActive()  # marked by hand: the clock has nothing to do
    assert window.read_action.text().replace("&", "") == "Mark as Unread"
    assert notice(window).startswith("Marked “Sudden pleuritic chest pain")
    assert notice(window).endswith("as read — Ctrl+Z to undo")
    ctrl(window.list, Qt.Key.Key_U)
    assert chest not in read_ids(window)
    assert window.read_action.text().replace("&", "") == "Mark as Read"
    assert notice(window).endswith("as unread — Ctrl+Z to undo")
    # Marked unread by hand, it stays unread while it is on screen, scrolled or not.
    window.reading.engage()
    assert not window.reading.timer.isActive()
    ctrl(window.list, Qt.Key.Key_Z)
    assert chest in read_ids(window)  # the last marking undone: read again


def test_undoing_mark_as_unread_keeps_when_and_how_often_it_was_read(library: Library) -> None:
    from desktop.importer import import_paths
    from tests.conftest import SAMPLE_CASES

    import_paths(library, [SAMPLE_CASES])
    case_id = library.resolve("lightbox:chest-01")
    library.mark_read(case_id, NOW)
    library.mark_read(case_id, NOW + dt.timedelta(hours=1))
    query = "SELECT first_read_at, last_read_at, times_read FROM reading WHERE deleted_at IS NULL"
    before = library._conn.execute(query).fetchall()  # noqa: SLF001
    assert library.mark_unread_many([case_id]) == Changes(reading=frozenset({case_id}))
    assert library.read_ids([case_id]) == set()
    assert library.revive_reading([case_id]) == Changes(reading=frozenset({case_id}))
    assert library._conn.execute(query).fetchall() == before  # noqa: SLF001
    assert library.revive_reading([case_id]) == Changes()  # read already: nothing to revive
    # Marking many read leaves the read ones as they were (no extra reading counted).
    other = library.resolve("lightbox:chest-02")
    assert library.mark_read_many([case_id, other], NOW) == Changes(reading=frozenset({other}))
    assert library._conn.execute(query + " AND times_read = 2").fetchall() == before  # noqa: SLF001


def test_marking_many_is_marking_each(library: Library) -> None:
    """The many-case writes leave what the one-case writes would, and name what changed."""
    from desktop.importer import import_paths
    from tests.conftest import SAMPLE_CASES

    import_paths(library, [SAMPLE_CASES])
    read, tombstoned, never = (library.resolve(f"lightbox:chest-0{n}") for n in (1, 2, 3))
    library.mark_read(read, NOW)
    library.mark_read(tombstoned, NOW)
    library.mark_unread(tombstoned)
    later = NOW + dt.timedelta(days=1)
    marked = library.mark_read_many([never, read, tombstoned, never], later)
    assert marked == Changes(reading=frozenset({never, tombstoned}))
    rows = library._conn.execute(  # noqa: SLF001
        "SELECT c.id, x.first_read_at, x.times_read, count(*) FROM reading x JOIN cases c"
        " ON c.source = x.case_source AND c.source_id = x.case_source_id GROUP BY c.id"
    ).fetchall()
    first = {case: (at[:10], times, records) for case, at, times, records in rows}
    # One record a case; the one marked unread counts afresh from now, as `mark_read` does.
    assert first == {
        read: ("2026-11-25", 1, 1),
        tombstoned: ("2026-11-26", 1, 1),
        never: ("2026-11-26", 1, 1),
    }
    # A case deleted since it was listed (by another program) is passed over.
    gone, msk = CaseId(999_999), library.resolve("lightbox:msk-01")
    assert library.mark_read_many([gone, msk]) == Changes(reading=frozenset({msk}))
    assert library.mark_unread_many([read, gone]) == Changes(reading=frozenset({read}))
    assert library.revive_reading([read, gone, never]) == Changes(reading=frozenset({read}))


def test_mark_all_as_read_marks_the_list_in_one_undoable_step(samples_window: MainWindow) -> None:
    window = samples_window
    chest = window.library.case_ids(CHEST)
    assert len(chest) == 3
    window.operations.run(lambda: window.library.mark_read(chest[0]))
    window.sidebar.select_filter(CHEST)
    total = int(window.sidebar.count_of(CaseFilter()))
    assert unread_count(window) == str(total - 1)
    window.mark_all_read_action.trigger()
    assert read_ids(window) == set(chest)
    assert notice(window) == "Marked 2 cases as read — Ctrl+Z to undo"
    assert unread_count(window) == str(total - 3)
    assert window.undo_action.text() == "Undo Mark as Read"
    window.undo_action.trigger()
    assert read_ids(window) == {chest[0]}  # only what it marked is unread again
    assert unread_count(window) == str(total - 1)
    assert notice(window) == ""
    assert "2 cases read" not in window.statusBar().currentMessage()
    assert window.statusBar().currentMessage() == "Undone: the 2 cases are unread again."
    window.mark_all_read_action.trigger()
    window.mark_all_read_action.trigger()  # nothing left: said, and no step for nothing
    assert window.statusBar().currentMessage() == "Nothing to mark: every case here is read."
    window.undo_action.trigger()
    assert read_ids(window) == {chest[0]}


def test_mark_all_as_read_marks_only_the_search_hits(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    window = samples_window
    window.focus_search()
    QTest.keyClicks(window.search, "pain")
    with qtbot.waitSignal(window.search_bar.worker.finished, timeout=5000):
        window.search_bar.timer.timeout.emit()
        window.search_bar.timer.stop()
    hits = set(window.model.ids())
    assert 1 < len(hits) < window.library.count_cases()
    window.mark_all_read_action.trigger()
    assert read_ids(window) == hits
    assert notice(window) == f"Marked {len(hits)} cases as read — Ctrl+Z to undo"


def test_the_context_menu_marks_the_selection(samples_window: MainWindow) -> None:
    window = samples_window
    window.sidebar.select_filter(CHEST)
    window.list.selectAll()
    menu = window.list.context_menu(1)
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert "Mark as Read (3 cases)" in texts and "Mark All as Read" in texts
    next(a for a in menu.actions() if a.text() == "Mark as Read (3 cases)").trigger()
    assert read_ids(window) == set(window.model.ids())
    assert notice(window) == "Marked 3 cases as read — Ctrl+Z to undo"
    menu = window.list.context_menu(1)
    assert menu is not None
    next(a for a in menu.actions() if a.text() == "Mark as Unread (3 cases)").trigger()
    assert read_ids(window) == set()
    next(a for a in menu.actions() if a.text() == "Bookmark (3 cases)").trigger()
    assert set(window.library.bookmarked_ids()) == set(window.model.ids())
    assert notice(window) == "Bookmarked 3 cases — Ctrl+Z to undo"
    window.sidebar.select_filter(CaseFilter("trash"))
    assert window.model.rowCount() == 0  # nothing in the Trash: its menu is a trashed row's
    chest = key(window, "chest-01")
    window.operations.run(lambda: window.library.trash(chest))
    menu = window.list.context_menu(0)
    assert menu is not None and "Mark All as Read" not in [a.text() for a in menu.actions()]


# --- the status bar and Undo from every pane ------------------------------------------------------


def test_bookmark_and_trash_say_what_they_did(samples_window: MainWindow) -> None:
    window = samples_window
    chest = key(window, "chest-01")
    click_row(window, chest)
    ctrl(window.list, Qt.Key.Key_D)
    assert window.library.is_bookmarked(chest)
    assert notice(window).startswith("Bookmarked “Sudden pleuritic chest pain and breathlessness…”")
    assert notice(window).endswith(" — Ctrl+Z to undo")
    ctrl(window.list, Qt.Key.Key_D)
    assert notice(window).startswith("Took the bookmark off “Sudden")
    ctrl(window.list, Qt.Key.Key_Z)
    assert window.library.is_bookmarked(chest)
    assert window.statusBar().currentMessage().startswith("Undone: “Sudden")
    assert window.statusBar().currentMessage().endswith("…” is bookmarked again.")
    window.detail.star.click()  # the detail pane's star: the same words, the same Undo
    assert notice(window).startswith("Took the bookmark off")
    window.trash_action.trigger()
    assert notice(window).startswith("Moved “Sudden pleuritic")
    assert notice(window).endswith(" to the Trash, with your notes and marks — Ctrl+Z to undo")
    window.undo_action.trigger()
    assert window.library.trashed_at(chest) is None
    window.undo_action.trigger()
    assert window.library.is_bookmarked(chest)  # the step before: the star's


def _undo_from(window: MainWindow, widget: QWidget) -> bool:
    """Bookmarks the current case, then presses Ctrl+Z in `widget`: True if that undid it."""
    case_id = window.list.current_case()
    assert case_id is not None
    window.case_actions.set_bookmark(case_id, True)
    assert window.library.is_bookmarked(case_id)
    ctrl(widget, Qt.Key.Key_Z)
    return not window.library.is_bookmarked(case_id)


def test_ctrl_z_undoes_from_every_pane(samples_window: MainWindow) -> None:
    window = samples_window
    panes = {
        "list": window.list,
        "sidebar": window.sidebar,
        "detail": window.detail.view,
        "search box": window.search,
        "note (nothing typed)": window.notes.editor,
    }
    for name, widget in panes.items():
        assert _undo_from(window, widget), name


def test_a_text_field_keeps_its_own_undo(samples_window: MainWindow) -> None:
    window = samples_window
    case_id = window.list.current_case()
    assert case_id is not None
    window.case_actions.set_bookmark(case_id, True)
    press(window.search, Qt.Key.Key_A)
    assert window.search.text() == "a"
    ctrl(window.search, Qt.Key.Key_Z)
    assert window.search.text() == "" and window.library.is_bookmarked(case_id)
    ctrl(window.search, Qt.Key.Key_Z)  # nothing of its own left: the window's Undo
    assert not window.library.is_bookmarked(case_id)


def test_a_command_used_while_typing_is_undone_before_the_typing(
    samples_window: MainWindow,
) -> None:
    """Ctrl+D in the note, then Ctrl+Z: the bookmark is taken back (as the status bar
    says), not the note emptied; the next Ctrl+Z undoes the typing."""
    window = samples_window
    case_id = window.list.current_case()
    assert case_id is not None
    editor = window.notes.editor
    press(editor, Qt.Key.Key_X)
    assert editor.toPlainText() == "x"
    ctrl(editor, Qt.Key.Key_D)
    assert window.library.is_bookmarked(case_id)
    assert "Ctrl+Z" in window.undo_notice.text()
    ctrl(editor, Qt.Key.Key_Z)
    assert not window.library.is_bookmarked(case_id)
    assert editor.toPlainText() == "x"
    ctrl(editor, Qt.Key.Key_Z)
    assert editor.toPlainText() == ""
    press(editor, Qt.Key.Key_Y)  # typing after a command: the typing is the newer
    ctrl(editor, Qt.Key.Key_D)
    press(editor, Qt.Key.Key_Z)
    ctrl(editor, Qt.Key.Key_Z)
    assert window.library.is_bookmarked(case_id)
    assert "z" not in editor.toPlainText()  # (Qt undoes a run of typing as one step)


def test_nothing_to_undo_leaves_the_key_to_the_field(samples_window: MainWindow) -> None:
    window = samples_window
    assert not window.undo_action.isEnabled()
    ctrl(window.list, Qt.Key.Key_Z)  # nothing happens, and nothing breaks
    assert not window.undo_action.isEnabled()


def test_marks_outlive_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    from tests.conftest import SAMPLE_CASES
    from tests.gui_helpers import close_window, shown_window

    paths = (tmp_path / "library.db", tmp_path / "s.ini")
    with shown_window(qtbot, *paths, SAMPLE_CASES) as window:
        window.mark_all_read_action.trigger()
        everything = set(window.model.ids())
        close_window(window)
    with shown_window(qtbot, *paths) as again:
        assert read_ids(again) == everything
        assert again.sidebar.count_of(CaseFilter("unread")) == "0"


def test_f1_names_ctrl_u_by_both_its_meanings(samples_window: MainWindow) -> None:
    """The menu entry follows the case; the shortcuts table names what the key does."""
    rows = dict((what, keys) for keys, what in samples_window.shortcut_table())
    assert rows["Mark as Read / Unread"] == "Ctrl+U"
    assert "Mark as Unread" not in rows and "Mark as Read" not in rows


def test_a_case_opened_from_the_statistics_out_of_an_empty_entry_counts_as_chosen(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    """From an entry listing nothing (the empty Trash), the list goes to All cases first:
    the case the reader opened still starts its clock."""
    window = samples_window
    target = key(window, "chest-01")
    window.sidebar.select_filter(CaseFilter("trash"))
    qtbot.wait(20)
    assert window.list.current_case() is None
    window._open_from_stats(target)
    assert window.detail.case_id == target
    assert window.reading.timer.isActive()
