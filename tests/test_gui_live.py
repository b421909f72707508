"""Issue 11, the window's half: the real window and the real command line on one library at
the same time. The window notices another program's changes within a second (the waits here
are hang guards, not timings), never overwrites text it has not shown, keeps both texts of a
concurrent edit, closes a case removed elsewhere cleanly, says a failed save in words, asks
before leaving text it cannot save, and undoes a move to the Trash from wherever the reader is.

`subprocess.run` blocks the GUI thread while the command line runs, so text typed in the
panel just before is still unsaved when the command line writes: the race is the real one,
made deterministic."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter
from desktop.store import Library
from desktop.ui import notes_panel, operations
from desktop.ui.live import ANOTHER_PROGRAM
from desktop.ui.main_window import MainWindow
from desktop.ui.notes_panel import Unsaved
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import close_window, make_window, shown_window
from tests.test_live_library import cli

#: Hang guard for "shows within a second" (never a timing assertion).
NOTICE_MS = 5000
KEY = "lightbox:neuro-01"
OTHER = "lightbox:chest-01"


@pytest.fixture
def bugs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every bug the window would report (a bug dialog): the tests expect none."""
    seen: list[str] = []
    monkeypatch.setattr(operations, "report_bug", lambda _p, error, _w: seen.append(repr(error)))
    return seen


class Asked(list[tuple[str, bool]]):
    """The questions about unsaved text (reason, whether "Keep Editing" was offered); each
    is answered with the next of `answers`, else Copy."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Unsaved] = []

    def __call__(self, _parent: object, reason: str, *, can_stay: bool) -> Unsaved:
        self.append((reason, can_stay))
        return self.answers.pop(0) if self.answers else Unsaved.COPY


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    questions = Asked()
    monkeypatch.setattr(notes_panel, "ask_about_unsaved", questions)
    return questions


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, bugs: list[str]) -> Iterator[MainWindow]:
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "settings.ini", SAMPLE_CASES) as w:
        yield w
    assert bugs == []


def open_case(window: MainWindow, key: str) -> None:
    assert window.list.select_case(window.library.resolve(key))
    window.reading.stop()


def type_unsaved(window: MainWindow, text: str) -> None:
    window.notes.editor.setFocus()
    window.notes.editor.selectAll()
    QTest.keyClicks(window.notes.editor, text)
    assert window.notes.dirty


def versions(window: MainWindow, key: str = KEY) -> list[str]:
    return [v.body for v in window.library.note_versions(window.library.resolve(key))]


def test_window_and_command_line_at_the_same_time(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, asked: Asked
) -> None:
    library = window.library
    open_case(window, KEY)
    # 1. The command line writes the note the window shows: it shows, nothing typed is lost.
    assert cli(library.path, "note", KEY, "--set", "from the terminal").returncode == 0
    qtbot.waitUntil(
        lambda: window.notes.editor.toPlainText() == "from the terminal", timeout=NOTICE_MS
    )
    assert not window.notes.notice.isVisible()
    # 2. The reader types; before the autosave the command line writes again: both survive.
    type_unsaved(window, "typed in the window")
    assert cli(library.path, "note", KEY, "--set", "terminal again").returncode == 0
    qtbot.waitUntil(window.notes.notice.isVisible, timeout=NOTICE_MS)
    assert "History" in window.notes.notice.text()
    note = library.note(library.resolve(KEY))
    assert note is not None and note.body == "typed in the window"
    assert {"from the terminal", "terminal again"} <= set(versions(window))
    assert window.notes.editor.toPlainText() == "typed in the window"
    # 3. Bookmarked elsewhere: the star and the counts follow.
    assert cli(library.path, "bookmark", KEY).returncode == 0
    qtbot.waitUntil(window.detail.star.isChecked, timeout=NOTICE_MS)
    qtbot.waitUntil(
        lambda: window.sidebar.count_of(CaseFilter("bookmarked")) == "1", timeout=NOTICE_MS
    )
    # 4. Trashed elsewhere: the window leaves the case cleanly, the note saved.
    type_unsaved(window, "last words")
    assert cli(library.path, "trash", KEY).returncode == 0
    qtbot.waitUntil(lambda: window.notes.case_id is None, timeout=NOTICE_MS)
    assert window.detail.case_id is None and window.list.current_case() is None
    trashed_id = library.resolve(KEY)
    trashed_note = library.note(trashed_id)
    assert trashed_note is not None and trashed_note.body == "last words"
    assert asked == []  # it could be saved: nothing to ask
    # 5. Emptied elsewhere while the reader types on another case that is then trashed too.
    open_case(window, OTHER)
    type_unsaved(window, "cannot be saved")
    assert cli(library.path, "trash", OTHER).returncode == 0
    assert cli(library.path, "empty-trash", "--yes").returncode == 0
    qtbot.waitUntil(lambda: window.notes.case_id is None, timeout=NOTICE_MS)
    assert len(asked) == 1
    reason, can_stay = asked[0]
    assert "no longer in the library" in reason and not can_stay
    assert QApplication.clipboard().text() == "cannot be saved"  # the answer was Copy
    assert window.detail.case_id is None
    # 6. Imported elsewhere: the counts follow.
    all_before = int(window.sidebar.count_of(CaseFilter()))
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(SAMPLE_CASES / "abdo-01.txt", extra / "abdo-01.txt")
    assert cli(library.path, "trash", "lightbox:abdo-01").returncode == 0
    assert cli(library.path, "empty-trash", "--yes").returncode == 0
    qtbot.waitUntil(
        lambda: window.sidebar.count_of(CaseFilter()) == str(all_before - 1),
        timeout=NOTICE_MS,
    )
    assert cli(library.path, "import", str(extra)).returncode == 0
    qtbot.waitUntil(
        lambda: window.sidebar.count_of(CaseFilter()) == str(all_before), timeout=NOTICE_MS
    )
    assert window.model.row_of(library.resolve("lightbox:abdo-01")) is not None


def test_a_restore_elsewhere_reloads_the_note_and_keeps_the_selection(
    qtbot: QtBot, window: MainWindow, qtmodeltester: object
) -> None:
    library = window.library
    case_id = library.resolve(KEY)
    open_case(window, KEY)
    assert cli(library.path, "note", KEY, "--set", "in the backup").returncode == 0
    qtbot.waitUntil(lambda: window.notes.editor.toPlainText() == "in the backup", timeout=NOTICE_MS)
    made = cli(library.path, "backup")
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert cli(library.path, "note", KEY, "--set", "after the backup").returncode == 0
    qtbot.waitUntil(
        lambda: window.notes.editor.toPlainText() == "after the backup", timeout=NOTICE_MS
    )
    restored = cli(library.path, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    qtbot.waitUntil(lambda: window.notes.editor.toPlainText() == "in the backup", timeout=NOTICE_MS)
    assert window.list.current_case() == case_id
    qtmodeltester.check(window.model)  # type: ignore[attr-defined]


def test_a_second_window_on_the_same_library_is_safe(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    second = make_window(window.library.path, tmp_path / "second.ini", staged=True)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: second.is_ready)
    try:
        for w in (window, second):
            open_case(w, KEY)
        # One window saves; the other shows it.
        type_unsaved(window, "first window")
        assert window.notes.flush()
        qtbot.waitUntil(
            lambda: second.notes.editor.toPlainText() == "first window", timeout=NOTICE_MS
        )
        # Both type at once: the later save keeps the earlier one's text in the history.
        type_unsaved(window, "first window, later")
        type_unsaved(second, "second window")
        assert second.notes.flush()
        qtbot.waitUntil(window.notes.notice.isVisible, timeout=NOTICE_MS)
        note = window.library.note(window.library.resolve(KEY))
        assert note is not None and note.body == "first window, later"
        assert {"first window", "second window"} <= set(versions(window))
        qtbot.waitUntil(
            lambda: second.notes.editor.toPlainText() == "first window, later", timeout=NOTICE_MS
        )
    finally:
        close_window(second)


def test_a_failed_save_is_said_in_words_and_leaving_asks_first(
    window: MainWindow,
    tmp_path: Path,
    asked: Asked,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    library = window.library
    open_case(window, KEY)
    pages = int(library._conn.execute("PRAGMA page_count").fetchone()[0])
    library._conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # a disk that is full
    type_unsaved(window, "x")
    window.notes.editor.insertPlainText("x" * 19_999)  # a long paste
    assert window.notes.flush() is False
    status = window.notes.status.text()
    assert status.startswith("Not saved — ") and "your text is kept" in status, status
    assert window.notes.copy_button.isVisible() and window.notes.save_file_button.isVisible()
    # Switching case asks; "Keep Editing" stays on the case, the list goes back to it.
    asked.answers.append(Unsaved.STAY)
    window.list.select_case(library.resolve(OTHER))
    assert asked[-1][1] is True
    assert window.notes.case_id == library.resolve(KEY)
    assert window.list.current_case() == library.resolve(KEY)
    # Quitting asks too; "Save to File…" writes the text, then the window closes.
    target = tmp_path / "rescued.md"
    monkeypatch.setattr(notes_panel, "choose_text_file", lambda _parent: target)
    asked.answers.append(Unsaved.STAY)
    window.close()
    assert window.isVisible()
    asked.answers.append(Unsaved.SAVE_TO_FILE)
    window.close()
    assert not window.isVisible()
    assert target.read_text(encoding="utf-8") == "x" * 20_000
    window.library.close()


def test_undo_restores_a_trashed_case_from_wherever_the_reader_is(window: MainWindow) -> None:
    library = window.library
    case_id = library.resolve(KEY)
    open_case(window, KEY)
    assert not window.undo_action.isEnabled()
    window.trash_action.trigger()
    assert library.trashed_at(case_id) is not None
    assert window.undo_action.isEnabled() and window.undo_action.text() == "Undo Move to Trash"
    assert window.undo_notice.isVisible() and 'href="undo"' in window.undo_notice.text()
    # The reader moves on to a section that does not hold the case, then presses Ctrl+Z.
    window.sidebar.select_filter(CaseFilter("section", "Chest"))
    window.undo_action.trigger()
    assert library.trashed_at(case_id) is None
    assert window.list.current_case() == case_id
    assert not window.undo_action.isEnabled()
    # The status bar's link does the same.
    window.trash_action.trigger()
    window.undo_notice.linkActivated.emit("undo")
    assert library.trashed_at(case_id) is None and window.list.current_case() == case_id


def test_the_trash_says_it_is_the_trash_and_restores_from_its_menu(window: MainWindow) -> None:
    library = window.library
    case_id = library.resolve(KEY)
    open_case(window, KEY)
    window.trash_action.trigger()
    assert not window.trash_header.isVisible()
    window.sidebar.select_filter(CaseFilter("trash"))
    assert window.trash_header.isVisible() and "Trash" in window.trash_header.text()
    row = window.model.row_of(case_id)
    assert row is not None
    menu = window.list.context_menu(row)
    assert menu is not None
    restore = next(a for a in menu.actions() if a.text() == "Restore from Trash")
    restore.trigger()
    assert library.trashed_at(case_id) is None
    assert window.model.row_of(case_id) is None  # it left the Trash
    window.sidebar.select_filter(CaseFilter())
    assert not window.trash_header.isVisible()
    menu = window.list.context_menu(0)
    assert menu is not None and "Restore from Trash" not in [a.text() for a in menu.actions()]


def test_a_library_without_changes_elsewhere_is_not_reloaded(window: MainWindow) -> None:
    announced: list[object] = []
    window.bus.changed.connect(lambda _c, initiator: announced.append(initiator))
    open_case(window, KEY)
    type_unsaved(window, "our own save")
    assert window.notes.flush()  # our own commit: data_version does not move for it
    assert not window.watcher.check_now()
    assert all(i is window.notes for i in announced)


def test_the_windows_own_import_is_not_taken_for_another_program(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """An import's thread commits as another connection would; the watcher takes its
    commits in without a whole-library redraw each (the import announces its changes)."""
    announced: list[object] = []
    window.bus.changed.connect(lambda _c, initiator: announced.append(initiator))
    folder = tmp_path / "edited"
    folder.mkdir()
    for case in SAMPLE_CASES.glob("*.txt"):  # 26 new cases: several commits
        text = case.read_text("utf-8").replace("CASE lightbox:", "CASE lightbox:copy-", 1)
        (folder / case.name).write_text(text, "utf-8")
    assert window.start_import([folder]) is not None
    while window.imports.running:
        window.watcher.check_now()
        qtbot.wait(5)
    if window.imports.report_dialog is not None:
        window.imports.report_dialog.close()
    assert not window.watcher.check_now()  # the first poll after the import, too
    assert ANOTHER_PROGRAM not in announced


def test_the_window_opened_on_an_empty_library_has_nothing_to_notice(
    qtbot: QtBot, tmp_path: Path
) -> None:
    library = Library.open(tmp_path / "empty.db")
    library.close()
    win = make_window(tmp_path / "empty.db", tmp_path / "s.ini")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.is_ready)
    win.watcher.start()
    assert not win.watcher.check_now()
    close_window(win)
