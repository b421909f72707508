"""File > Export Notes… and the case list's Export Notes…, with the folder dialog patched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.export import INDEX_NAME, file_name
from desktop.ui.main_window import MainWindow
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "s.ini", SAMPLE_CASES) as win:
        yield win


def _choose(monkeypatch: pytest.MonkeyPatch, folder: Path | None) -> list[str]:
    """Makes the folder dialog answer `folder` (None: Cancel); returns the titles it showed."""
    asked: list[str] = []

    def answer(_parent: object, title: str, _start: str = "") -> str:
        asked.append(title)
        return "" if folder is None else str(folder)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", answer)
    return asked


def _file_action(window: MainWindow, text: str) -> QAction:
    file_menu = window.menuBar().actions()[0].menu()
    found = [a for a in file_menu.actions() if a.text().replace("&", "") == text]
    assert len(found) == 1
    return found[0]


def test_file_export_notes_writes_every_case_with_notes_off_the_gui_thread(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "vault"
    asked = _choose(monkeypatch, out)
    for key in ("lightbox:chest-01", "lightbox:neuro-01"):
        window.library.save_note(window.library.resolve(key), f"A note on {key}")
    _file_action(window, "Export Notes…").trigger()
    assert asked == ["Export Notes to Folder"]
    qtbot.waitUntil(lambda: "Exported notes" in window.statusBar().currentMessage())
    assert window.statusBar().currentMessage() == (
        f"Exported notes to {out}: 2 written, 0 unchanged, 0 failed"
    )
    names = sorted(path.name for path in out.iterdir())
    assert len(names) == 3 and INDEX_NAME in names
    assert any("chest-01" in name for name in names)


def test_the_case_lists_menu_exports_just_that_case(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _choose(monkeypatch, tmp_path / "one")
    window.library.save_note(window.library.resolve("lightbox:neuro-01"), "elsewhere")
    case_id = window.library.resolve("lightbox:chest-01")
    row = window.list.case_model.row_of(case_id)
    assert row is not None
    menu = window.list.context_menu(row)
    assert menu is not None
    [export] = [a for a in menu.actions() if a.text() == "Export Notes…"]
    with qtbot.waitSignal(window.list.export_requested) as emitted:
        export.trigger()
    assert emitted.args == [case_id]
    qtbot.waitUntil(lambda: "Exported notes" in window.statusBar().currentMessage())
    files = sorted(path.name for path in (tmp_path / "one").glob("*(lightbox *).md"))
    assert len(files) == 1 and "chest-01" in files[0]


def test_cancelling_the_folder_dialog_exports_nothing(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _choose(monkeypatch, None)
    assert window.export_notes() is None
    assert "Export" not in window.statusBar().currentMessage()


def test_files_that_fail_are_listed_and_the_rest_are_written(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "vault"
    _choose(monkeypatch, out)
    warned: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda _parent, _title, text, *_args: warned.append(text)
    )
    library = window.library
    for key in ("lightbox:chest-01", "lightbox:neuro-01"):
        library.save_note(library.resolve(key), "note")
    chest = library.get_case(library.resolve("lightbox:chest-01"))
    assert chest is not None
    (out / file_name(chest)).mkdir(parents=True)
    worker = window.export_notes()
    assert worker is not None
    qtbot.waitUntil(lambda: bool(warned))
    assert warned[0].startswith(f"1 written, 0 unchanged, 1 failed in {out}.")
    assert str(out / file_name(chest)) in warned[0]
