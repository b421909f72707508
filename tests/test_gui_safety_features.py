"""Trash, backups, restore, note history and recovery of a damaged library, in the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter
from desktop.store.backup import list_backups
from desktop.ui import app as app_module
from desktop.ui.dialogs import NoteHistoryDialog, RestoreDialog
from desktop.ui.main_window import MainWindow
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "s.ini", SAMPLE_CASES) as win:
        yield win


def test_delete_moves_to_trash_and_back(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:chest-02")
    window.list.select_case(case_id)
    window.library.save_note(case_id, "keep me")
    total = window.model.rowCount()
    window.list.setFocus()
    QTest.keyClick(window.list, Qt.Key.Key_Delete)
    assert window.model.rowCount() == total - 1
    assert window.model.row_of(case_id) is None
    assert window.list.current_case() is not None  # the next case is selected
    assert window.sidebar.count_of(CaseFilter("trash")) == "1"
    window.sidebar.select_filter(CaseFilter("trash"))
    assert window.model.ids() == [case_id]
    window.list.select_case(case_id)
    window.case_actions.untrash_current()
    assert window.library.trashed_ids() == []
    note = window.library.note(case_id)
    assert note is not None
    assert note.body == "keep me"


def test_delete_key_in_the_notes_editor_edits_text(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:chest-03")
    window.list.select_case(case_id)
    window.notes.editor.setFocus()
    QTest.keyClicks(window.notes.editor, "abc")
    QTest.keyClick(window.notes.editor, Qt.Key.Key_Left)
    QTest.keyClick(window.notes.editor, Qt.Key.Key_Delete)
    assert window.notes.editor.toPlainText() == "ab"
    assert window.library.trashed_ids() == []


def test_empty_trash_asks_first(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = window.library.resolve("lightbox:gyn-01")
    window.library.trash(case_id)
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "warning", lambda *_args, **_kwargs: answers.pop(0))
    window.case_actions.empty_trash()
    assert window.library.trashed_ids() == [case_id]
    window.case_actions.empty_trash()
    assert window.library.trashed_ids() == []
    assert window.library.count_cases() == 25


def test_back_up_and_restore_in_the_window(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:neuro-03")
    window.library.save_note(case_id, "before the backup")
    window.backups.backup_now()
    backups = list_backups(window.library.path)
    assert len(backups) == 1
    window.library.save_note(case_id, "after the backup")
    window.library.set_bookmark(case_id, True)
    dialog = RestoreDialog(window.library, window)
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 1).text() == "manual"
    assert dialog.table.item(0, 2).text() == "26"
    assert dialog.table.item(0, 3).text() == "1"
    assert window.backups.restore_from(backups[0].path)
    note = window.library.note(case_id)
    assert note is not None
    assert note.body == "before the backup"
    assert not window.library.is_bookmarked(case_id)
    # The state before the restore was backed up first, so the restore can be undone.
    reasons = {b.reason for b in list_backups(window.library.path)}
    assert reasons == {"manual", "pre-restore"}
    assert window.library.check() == []


def test_note_history_restores_an_earlier_version(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:hybrid-01")
    window.list.select_case(case_id)
    window.library.save_note(case_id, "first thoughts", keep_version=True)
    window.library.save_note(case_id, "second thoughts", keep_version=True)
    window.notes.show_case(case_id)
    versions = window.library.note_versions(case_id)
    dialog = NoteHistoryDialog(versions, window)
    assert dialog.list.count() == 1
    assert dialog.text.toPlainText() == "first thoughts"
    window.notes.restore_version(versions[0].id)
    assert window.notes.editor.toPlainText() == "first thoughts"


def test_a_damaged_library_is_moved_aside_and_recovered(
    lightbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.store.library import Library

    path = lightbox_home / "library.db"
    with Library.open(path) as library:
        from desktop.importer import import_paths

        import_paths(library, [SAMPLE_CASES])
        library.backup("manual")
    with path.open("r+b") as handle:  # wreck a page in the middle
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 4096)
    clicked: list[str] = []

    def choose_restore(box: QMessageBox) -> int:
        button = next(b for b in box.buttons() if b.text() == "Restore the backup")
        clicked.append(button.text())
        box.setProperty("chosen", True)
        monkeypatch.setattr(box, "clickedButton", lambda: button)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", choose_restore)
    assert app_module._recover(path, RuntimeError("damaged"))  # type: ignore[arg-type]
    assert clicked == ["Restore the backup"]
    damaged = list(lightbox_home.glob("damaged-*/library.db"))
    assert len(damaged) == 1
    with Library.open(path) as recovered:
        assert recovered.count_cases() == 26
        assert recovered.check() == []
