"""The importer: files, folders and zips; per-file failures; limits; idempotent re-import."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from desktop import importer
from desktop.importer import import_paths
from desktop.store.library import Library
from tests.conftest import EURORAD_DATA, SEED_CASE
from tests.tools import needs_shared

REAL = EURORAD_DATA / "cases"


@needs_shared(REAL)
def test_folder_import_then_again_is_unchanged(library: Library) -> None:
    first = import_paths(library, [REAL])
    assert (first.imported, first.updated, first.unchanged, first.failed) == (15, 0, 0, [])
    assert len(first.changes.cases) == 15
    second = import_paths(library, [REAL])
    assert (second.imported, second.updated, second.unchanged, second.failed) == (0, 0, 15, [])
    assert not second.changes
    assert "15 unchanged" in second.summary()
    assert library.count_cases() == 15


@needs_shared(SEED_CASE)
def test_one_bad_file_is_reported_and_the_rest_goes_on(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    nested = folder / "deeper" / "still"
    nested.mkdir(parents=True)
    shutil.copy(SEED_CASE, nested / "seed.txt")
    # A case with its CASE line lost, and one with a bad byte: damaged cases, each failing
    # with its parser's reason. Text that is no case (a README, a PNG named .txt) is
    # skipped, as a .md is.
    (folder / "broken.txt").write_text("A title\nClinical History\nA boy.\n", encoding="utf-8")
    (folder / "byte.txt").write_bytes(b"CASE 12 Published on 01.02.2003\n\x81\x00x\n")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (folder / "README.txt").write_text("This is not a case\n", encoding="utf-8")
    (folder / "readme.md").write_text("ignored")
    report = import_paths(library, [folder])
    assert report.imported == 1
    reasons = dict(report.failed)
    assert set(reasons) == {str(folder / "broken.txt"), str(folder / "byte.txt")}
    assert "first line should read" in reasons[str(folder / "broken.txt")]
    assert "NUL bytes" in reasons[str(folder / "byte.txt")]
    assert sorted(report.skipped) == sorted(
        str(folder / name) for name in ("README.txt", "photo.txt", "readme.md")
    )
    assert library.resolve("eurorad:8455")


@needs_shared(SEED_CASE)
def test_edited_file_updates_the_same_case(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "case.txt"
    shutil.copy(SEED_CASE, path)
    import_paths(library, [path])
    case_id = library.resolve("eurorad:8455")
    path.write_text(
        SEED_CASE.read_text("utf-8").replace("The contralateral limb was normal.", "Both limbs."),
        encoding="utf-8",
    )
    report = import_paths(library, [path])
    assert (report.updated, report.changes.cases) == (1, frozenset({case_id}))
    case = library.get_case(case_id)
    assert case is not None
    assert case.imaging_findings.endswith("Both limbs.")


@needs_shared(SEED_CASE, EURORAD_DATA / "page-variants")
def test_the_same_case_twice_in_one_run_is_flagged(library: Library, tmp_path: Path) -> None:
    shutil.copy(SEED_CASE, tmp_path / "a.txt")
    shutil.copy(EURORAD_DATA / "page-variants" / "eurorad_8455_newsite.txt", tmp_path / "b.txt")
    report = import_paths(library, [tmp_path / "a.txt", tmp_path / "b.txt"])
    assert report.imported == 1
    assert report.updated == 1
    assert report.warnings[0][0] == str(tmp_path / "b.txt")
    assert "imported earlier in this run" in report.warnings[0][1]


@needs_shared(SEED_CASE)
def test_windows_1252_file_is_imported_with_a_warning(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "cp1252.txt"
    text = SEED_CASE.read_text("utf-8").replace("1–3", "1-3").replace("2–3", "2-3")
    text = text.replace("5–6", "5-6").replace("Iatrogenic neonatal", "Iatrogénic neonatal", 1)
    path.write_bytes(text.encode("cp1252"))
    report = import_paths(library, [path])
    assert report.imported == 1
    assert "Windows-1252" in report.warnings[0][1]
    case = library.get_case(library.resolve("eurorad:8455"))
    assert case is not None
    assert case.title == "Iatrogénic neonatal calcinosis cutis"


@needs_shared(REAL)
def test_zip_import(library: Library, tmp_path: Path) -> None:
    archive = tmp_path / "cases.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(REAL.glob("*.txt"))[:5]:
            zf.write(path, f"chest/{path.name}")
        zf.writestr("chest/notes.md", "not a case")
        zf.writestr("bad.txt", "CASE 1\nnope")
        zf.writestr("notes.txt", "nope")
    report = import_paths(library, [archive])
    assert report.imported == 5
    assert report.failed == [(f"{archive}!/bad.txt", report.failed[0][1])]
    assert report.skipped == [f"{archive}!/chest/notes.md", f"{archive}!/notes.txt"]


def make_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ({"../evil.txt": b"x"}, "outside the archive"),
        ({"/tmp/evil.txt": b"x"}, "outside the archive"),
        ({"a/../../evil.txt": b"x"}, "outside the archive"),
        ({"bomb.txt": bytes(20_000_000)}, "zip bomb"),
    ],
)
@needs_shared(SEED_CASE)
def test_hostile_zips_are_refused_before_any_write(
    library: Library, tmp_path: Path, entries: dict[str, bytes], reason: str
) -> None:
    archive = make_zip(tmp_path / "hostile.zip", {"ok.txt": SEED_CASE.read_bytes(), **entries})
    report = import_paths(library, [archive])
    assert report.failed[0][0] == str(archive)
    assert reason in report.failed[0][1]
    assert library.count_cases() == 0


def test_zip_symlink_entry_is_refused(library: Library, tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link.txt")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    report = import_paths(library, [archive])
    assert "symbolic link" in report.failed[0][1]


def test_too_many_zip_entries(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_ZIP_ENTRIES", 3)
    archive = make_zip(tmp_path / "many.zip", {f"{n}.txt": b"x" for n in range(4)})
    report = import_paths(library, [archive])
    assert "4 entries" in report.failed[0][1]


def test_large_file_is_refused_without_reading_it_all(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_bytes(b"CASE 1\n" + b"x" * 5000)
    report = import_paths(library, [path])
    assert "file too large" in report.failed[0][1]


def test_fifo_and_missing_paths_fail_cleanly(library: Library, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    report = import_paths(library, [fifo, tmp_path / "missing.txt"])
    reasons = dict(report.failed)
    assert reasons[str(fifo)] == "not a regular file"
    assert "No such file" in reasons[str(tmp_path / "missing.txt")]


def test_symlinks_in_folders_are_not_followed(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "loop").symlink_to(folder)
    (folder / "seed.txt").symlink_to(SEED_CASE)
    report = import_paths(library, [folder])
    assert report.imported == 0
    assert all("symbolic link" in skipped for skipped in report.skipped)
    assert len(report.skipped) == 2


@needs_shared(REAL)
def test_progress_and_cancel(library: Library) -> None:
    seen: list[tuple[int, str]] = []
    report = import_paths(
        library,
        [REAL],
        progress=lambda done, name: seen.append((done, name)),
        cancelled=lambda: len(seen) >= 4,
    )
    assert report.cancelled
    assert [done for done, _ in seen] == [1, 2, 3, 4]
    # Cancel keeps what was fully imported.
    assert library.count_cases() == report.imported == 4


@needs_shared(SEED_CASE, REAL)
def test_failures_within_a_batch_do_not_undo_others(library: Library, tmp_path: Path) -> None:
    shutil.copy(SEED_CASE, tmp_path / "a.txt")
    impostor = SEED_CASE.read_text("utf-8").replace("CASE 8455", "CASE 1")
    (tmp_path / "b.txt").write_text(impostor, encoding="utf-8")
    shutil.copy(REAL / "eurorad_543.txt", tmp_path / "c.txt")
    report = import_paths(library, [tmp_path])
    assert report.imported == 2
    assert (
        "DOI 10.1594/EURORAD/CASE.8455 already belongs to case eurorad:8455" in report.failed[0][1]
    )
    assert library.count_cases() == 2


@needs_shared(SEED_CASE, REAL)
def test_an_import_that_changes_cases_backs_up_first(library: Library, tmp_path: Path) -> None:
    from desktop.store.backup import backup_contents, list_backups

    path = tmp_path / "case.txt"
    shutil.copy(SEED_CASE, path)
    first = import_paths(library, [path])
    assert first.backup is None  # only new cases: nothing to protect
    assert import_paths(library, [path]).backup is None  # unchanged: no backup
    path.write_text(
        SEED_CASE.read_text("utf-8").replace("Iatrogenic neonatal", "Edited"), encoding="utf-8"
    )
    report = import_paths(library, [path, REAL])
    assert report.updated == 1
    assert report.backup is not None
    assert [b.path for b in list_backups(library.path)] == [report.backup]
    # The backup holds the library as it was before this import.
    assert backup_contents(report.backup).cases == 1
