"""Backups say when to the second and, before an import, which import: in the restore
dialog and in `lightbox restore`, alike; backups named the old way are listed as before."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.cli import main
from desktop.importer import import_paths
from desktop.store import backup
from desktop.store.backup import LABEL_BYTES, list_backups
from desktop.store.library import Library
from desktop.ui.dialogs import RestoreDialog
from tests.conftest import SAMPLE_CASES

T0 = dt.datetime(2026, 3, 2, 9, 15, 7, tzinfo=dt.UTC)


def imported_then_edited(library: Library, folder: Path) -> Path:
    """A case imported from `folder`, then edited there: importing again updates it."""
    folder.mkdir()
    case = folder / "chest-01.txt"
    shutil.copy(SAMPLE_CASES / "chest-01.txt", case)
    assert import_paths(library, [folder]).backup is None  # new cases: nothing to protect
    text = case.read_text("utf-8")
    case.write_text(text.replace("\n\n", "\n\nEdited here.\n\n", 1), encoding="utf-8")
    return folder


def test_a_pre_import_backup_names_the_import(library: Library, tmp_path: Path) -> None:
    folder = imported_then_edited(library, tmp_path / "Chest cases: 2026 #1 (Résumé)")
    report = import_paths(library, [folder])
    assert report.updated == 1 and report.backup is not None
    # The name holds the label escaped (no ":" or "#" in a file name), and reads back whole.
    assert ":" not in report.backup.name and "#" not in report.backup.name
    [made] = list_backups(library.path)
    assert made.path == report.backup
    assert made.reason == "pre-import"
    assert made.label == "Chest cases: 2026 #1 (Résumé)"
    assert made.description == "before importing Chest cases: 2026 #1 (Résumé)"
    # A name with escapes opens and restores like any other.
    assert library.backup_contents(made.path).cases == 1
    library.restore(made.path)
    assert library.check() == []


def test_several_paths_are_named_by_the_first(library: Library, tmp_path: Path) -> None:
    folder = imported_then_edited(library, tmp_path / "first")
    other = tmp_path / "other.txt"
    other.write_text("not a case", encoding="utf-8")
    report = import_paths(library, [folder, other])
    assert report.backup is not None
    assert list_backups(library.path)[0].description == "before importing first and 1 more"


def test_a_long_label_is_cut_to_fit_a_file_name(library: Library) -> None:
    path = library.backup("pre-import", T0, label="ü/" * 300)
    assert len(path.name.encode()) < 255
    label = list_backups(library.path)[0].label
    assert label.startswith("ü/ü/") and label.endswith("…")
    assert len(backup.encode_label("ü/" * 300).encode()) <= LABEL_BYTES


def test_backups_of_one_minute_are_told_apart_and_old_names_still_list(
    qtbot: QtBot, library: Library
) -> None:
    folder = library.path.parent / "backups"
    folder.mkdir()
    # Made by earlier versions: no sequence, or a sequence but no label.
    shutil.copy(library.backup("manual", T0), folder / "lightbox-20260301-080000-daily-v5.db")
    library.backup("pre-import", T0 + dt.timedelta(seconds=1))
    library.backup("pre-import", T0 + dt.timedelta(seconds=30), label="cases.zip")
    listed = list_backups(library.path)
    assert [(b.reason, b.label) for b in listed] == [
        ("pre-import", "cases.zip"),
        ("pre-import", ""),
        ("manual", ""),
        ("daily", ""),
    ]
    dialog = RestoreDialog(library)
    qtbot.addWidget(dialog)
    rows = [
        [dialog.table.item(row, column).text() for column in (0, 1)]
        for row in range(dialog.table.rowCount())
    ]
    local = [(T0 + dt.timedelta(seconds=s)).astimezone() for s in (30, 1, 0)]
    assert rows[:3] == [
        [local[0].strftime("%d %b %Y, %H:%M:%S"), "before importing cases.zip"],
        [local[1].strftime("%d %b %Y, %H:%M:%S"), "before an import"],
        [local[2].strftime("%d %b %Y, %H:%M:%S"), "manual"],
    ]
    assert rows[3][1] == "daily"
    assert len({row[0] for row in rows[:3]}) == 3  # the same minute, three different times
    assert dialog.table.item(0, 1).toolTip() == listed[0].path.name


def test_lightbox_restore_lists_the_same_labels(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    library.backup("manual", T0)
    library.backup("pre-import", T0 + dt.timedelta(seconds=5), label="Neuro set")
    path = str(library.path)
    library.close()
    assert main(["restore", "--library", path]) == 0
    out = capsys.readouterr().out
    listed = list_backups(Path(path))
    dialog_words = [f"{b.taken_text()}  {b.description}" for b in listed]
    lines = out.splitlines()
    assert [line.strip() for line in lines if "  " in line.strip()] == dialog_words
    assert all(str(b.path) in out for b in listed)
    assert "before importing Neuro set" in dialog_words[0]
    assert lines[-1] == "Restore one with 'lightbox restore FILE'."


def test_lightbox_restore_without_backups_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "none.db"
    assert main(["restore", "--library", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"There are no backups of {path} yet."
