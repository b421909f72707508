"""A full disk while saving and while backing up (SAFETY.md A4, A5).

Two ways to fill the disk: SQLite's `PRAGMA max_page_count` on the library's own connection
(portable: the next page SQLite needs fails with SQLITE_FULL, exactly as on a full disk), and,
for the command line and backups, which open connections of their own, a real small tmpfs
filled with a dummy file (needs root; skipped with the reason otherwise).

Every test ends with the same oracle: `check()` finds nothing and the reader's earlier data
(the digest of tests/safety_kinds.py) is intact; then, with room again, the same save works.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.importer import import_paths
from desktop.model import CaseId
from desktop.store.backup import backup_folder
from desktop.store.errors import StorageUnavailable
from desktop.store.library import Library
from desktop.ui import main_window as main_window_module
from desktop.ui import notes_panel
from desktop.ui.main_window import MainWindow
from tests.conftest import ROOT, SAMPLE_CASES, SEED_CASE
from tests.gui_helpers import close_window, make_window
from tests.safety_kinds import KINDS, Digest, Kind, case_keys, digest, oracle
from tests.tools import if_shared

#: The largest max_page_count SQLite accepts: "no limit" for our purposes.
NO_LIMIT = 2**31 - 2
#: A note too big for a full disk: ~100 KB (110 KB of UTF-8, under the 128 KB a single
#: command-line argument may hold), many lines, non-ASCII.
BIG_NOTE = "\n".join(f"line {n}: ground-glass opacité → {n} mm" for n in range(2500))


def cli_import(
    library: Path, source: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`lightbox import SOURCE` on `library`, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--library", str(library), "import", str(source)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def refused_for_disk_full(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Asserts the command stopped on a full disk with one plain line; its lines."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lightbox: disk full"), result.stderr
    return lines


def limit_pages(library: Library, extra: int = 2) -> int:
    """Lets the library grow by `extra` pages at most; returns the limit set."""
    pages = int(library._conn.execute("PRAGMA page_count").fetchone()[0])
    return int(library._conn.execute(f"PRAGMA max_page_count = {pages + extra}").fetchone()[0])


def lift_limit(library: Library) -> None:
    library._conn.execute(f"PRAGMA max_page_count = {NO_LIMIT}")


def write_some_of_everything(library: Library) -> None:
    """The reader's earlier work: one record of each kind on a few cases."""
    ids = sorted(case_keys(library))
    for i, kind in enumerate(KINDS):
        kind.write(library, ids[i], i)
        kind.write(library, ids[i + len(KINDS)], i + 100)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with Library.open(tmp_path / "library.db") as opened:
        assert not import_paths(opened, [SAMPLE_CASES, *if_shared(SEED_CASE)]).failed
        write_some_of_everything(opened)
        yield opened


def a_case_without_data(library: Library) -> CaseId:
    return sorted(case_keys(library))[-1]


# --- SQLITE_FULL through max_page_count --------------------------------------------------------


def test_a_note_too_big_for_the_disk_is_refused_plainly_and_nothing_is_lost(
    library: Library,
) -> None:
    case_id = a_case_without_data(library)
    library.save_note(case_id, "first thoughts")
    before = digest(library)
    limit_pages(library)
    with pytest.raises(StorageUnavailable, match="disk full") as raised:
        library.save_note(case_id, BIG_NOTE)
    assert "NOT saved" in str(raised.value)
    assert library.check() == []
    assert digest(library) == before
    note = library.note(case_id)
    assert note is not None and note.body == "first thoughts"
    lift_limit(library)
    library.save_note(case_id, BIG_NOTE)
    note = library.note(case_id)
    assert note is not None and note.body == BIG_NOTE
    assert library.check() == []


def fill_to_the_last_byte(library: Library, fillers: list[CaseId]) -> int:
    """Sets max_page_count to the current size, then writes ever smaller notes on the
    `fillers` cases until even small ones no longer fit; returns how many fitted."""
    limit_pages(library, extra=0)
    fitted = 0
    sizes = [2**k for k in range(16, 5, -1)]
    for case_id, size in zip(fillers, sizes, strict=False):
        try:
            library.save_note(case_id, f"filler {case_id} " + "f" * size)
            fitted += 1
        except StorageUnavailable as error:
            assert "disk full" in str(error)
    return fitted


def _without(records: frozenset[object], key: str) -> frozenset[object]:
    return frozenset(r for r in records if r != key and not (isinstance(r, tuple) and r[0] == key))


def assert_earlier_work_intact(before: Digest, after: Digest, key: str) -> None:
    """Nothing about other cases changed; on `key`, nothing accumulated was lost."""
    for kind in KINDS:
        assert _without(after[kind.name], key) == _without(before[kind.name], key), kind.name
        if not kind.latest_wins:
            assert before[kind.name] <= after[kind.name], kind.name


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_every_kind_of_write_on_a_full_library_is_all_or_nothing(
    library: Library, kind: Kind
) -> None:
    """A write on a full library either fails plainly, leaving everything as it was, or
    succeeds whole (small changes can fit in pages SQLite already has)."""
    ids = sorted(case_keys(library))
    target = ids[-1]
    key = case_keys(library)[target]
    fill_to_the_last_byte(library, ids[-12:-1])
    before = digest(library)
    try:
        kind.write(library, target, 7)
    except StorageUnavailable as error:
        outcome = "refused"
        assert "disk full" in str(error) and "NOT saved" in str(error)
        assert library.check() == []
        after = digest(library)
        assert kind.plan(key, 7) not in after[kind.name]
    else:
        outcome = "fitted"
        assert library.check() == []
        after = digest(library)
        assert kind.plan(key, 7) in after[kind.name]
    assert_earlier_work_intact(before, after, key)
    print(f"\nA4 {kind.name} on a full library: {outcome}")
    lift_limit(library)
    kind.write(library, target, 8)
    assert kind.plan(key, 8) in digest(library)[kind.name]
    assert library.check() == []


# --- a real full filesystem: the command line and backups ---------------------------------------

DISK_SIZE = "4m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for this test (root only), unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def fill_disk(folder: Path, leave: int) -> Path:
    """Fills the filesystem with a dummy file, then frees `leave` bytes of it again."""
    dummy = folder / "dummy.bin"
    chunk = b"\0" * 65536
    # Unbuffered: a write the disk takes only part of returns what it took, and nothing is
    # left in a buffer for a later seek or close to fail on (how much is free at the end
    # depends on the library's size, so a partial write happens sooner or later).
    with dummy.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as error:
            assert error.errno == errno.ENOSPC
        size = out.seek(0, os.SEEK_END)
    with dummy.open("r+b") as out:
        out.truncate(max(0, size - leave))
    return dummy


def copy_library(library: Library, folder: Path) -> Path:
    """A closed copy of the fixture's library (its WAL checkpointed into it), in `folder`."""
    library._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = folder / "library.db"
    shutil.copyfile(library.path, target)
    return target


def test_cli_on_a_full_disk_says_so_in_one_line_and_loses_nothing(
    library: Library, small_disk: Path
) -> None:
    key = case_keys(library)[a_case_without_data(library)]
    library.save_note(a_case_without_data(library), "first thoughts")
    path = copy_library(library, small_disk)
    _problems, before = oracle(path)
    # Room to open the library (its 32 KB -shm), not to write 100 KB into its -wal.
    dummy = fill_disk(small_disk, leave=64 * 1024)
    env = {**os.environ, "LIGHTBOX_HOME": str(small_disk / "home")}
    args = [sys.executable, "-m", "desktop", "note", key, "--set", BIG_NOTE]

    def set_note() -> subprocess.CompletedProcess[str]:
        command = [*args, "--library", str(path)]
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )

    result = set_note()
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] == f"lightbox: disk full: the last change to {path} was NOT saved"
    assert "Traceback" not in result.stderr + result.stdout
    # The daily backup it tried first failed quietly and left nothing behind.
    assert list(backup_folder(path).iterdir()) == []
    problems, after = oracle(path)  # still on the full disk
    assert problems == []
    assert after == before
    dummy.unlink()
    retried = set_note()
    assert retried.returncode == 0, retried.stderr
    with Library.open(path, create=False) as reopened:
        note = reopened.note(reopened.resolve(key))
        assert note is not None and note.body == BIG_NOTE
        assert reopened.check() == []


def test_a_backup_on_a_full_disk_fails_cleanly_and_keeps_the_previous_one(
    library: Library, small_disk: Path
) -> None:
    path = copy_library(library, small_disk)
    with Library.open(path, create=False) as on_disk:
        previous = on_disk.backup("manual")
        kept = previous.read_bytes()
        on_disk.save_note(a_case_without_data(on_disk), "written after the backup")
        on_disk._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
        # The library and its journals fit; a second copy of it does not.
        dummy = fill_disk(small_disk, leave=size // 2)
        before = digest(on_disk)
        with pytest.raises(StorageUnavailable) as raised:
            on_disk.backup("manual")
        print(f"\nA5 backup on a full disk: {raised.value}")
        assert sorted(p.name for p in backup_folder(path).iterdir()) == [previous.name]
        assert previous.read_bytes() == kept
        assert on_disk.check() == []
        assert digest(on_disk) == before
        dummy.unlink()
        second = on_disk.backup("manual")
        assert second != previous and previous.read_bytes() == kept
    with Library.open(second, create=False) as restored:
        assert restored.check() == []
        assert digest(restored) == before


# --- the notes panel on a full disk ------------------------------------------------------------


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    warnings: list[str] = []
    # A failed write elsewhere in the window (marking read) would open a modal box.
    monkeypatch.setattr(
        main_window_module.QMessageBox,
        "warning",
        lambda _parent, _title, text, *_rest: warnings.append(text),
    )
    win = make_window(tmp_path / "library.db", tmp_path / "settings.ini", SAMPLE_CASES)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.isVisible():
        close_window(win)


def test_the_notes_panel_keeps_the_text_on_a_full_disk_and_saves_it_later(
    qtbot: QtBot, window: MainWindow
) -> None:
    library = window.library
    case_id = library.resolve("lightbox:neuro-01")
    assert window.list.select_case(case_id)
    window.reading.stop()
    before = digest(library)
    limit_pages(library)
    window.notes.editor.setFocus()
    QTest.keyClicks(window.notes.editor, "Swirl sign = active bleeding. ")
    window.notes.editor.insertPlainText(BIG_NOTE)  # and a long paste
    typed = window.notes.editor.toPlainText()
    assert window.notes.flush() is False
    status = window.notes.status.text()
    assert status.startswith("Not saved"), status
    assert "disk full" in status, status
    assert window.notes.editor.toPlainText() == typed
    assert window.notes.dirty
    assert library.note(case_id) is None
    assert library.check() == []
    assert digest(library) == before
    # It tries again by itself.
    assert window.notes._save_timer.isActive()
    assert window.notes._save_timer.interval() == notes_panel.RETRY_MS
    lift_limit(library)
    qtbot.waitUntil(lambda: library.note(case_id) is not None, timeout=notes_panel.RETRY_MS + 3000)
    note = library.note(case_id)
    assert note is not None and note.body == typed
    assert window.notes.status.text().startswith("Saved"), window.notes.status.text()
    assert not window.notes.dirty
    assert library.check() == []


@pytest.mark.parametrize("room_kb", [64, 256, 1024])
def test_import_on_a_full_disk_says_so_in_one_line_and_loses_nothing(
    library: Library, small_disk: Path, tmp_path: Path, room_kb: int
) -> None:
    """Issue 11 item 8: `lightbox import` on a full disk ends with one line and exit status
    2 (it used to end in a traceback, `no such savepoint: nested`, when SQLite had rolled
    the batch back itself). The reader's earlier work is intact and the library sound;
    with room again, the same import completes."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from generate import write_case_files

    cases = tmp_path / "more-cases"
    write_case_files(cases, 80, 7)
    path = copy_library(library, small_disk)
    _problems, before = oracle(path)
    dummy = fill_disk(small_disk, leave=room_kb * 1024)
    env = {**os.environ, "LIGHTBOX_HOME": str(small_disk / "home")}

    def run_import() -> subprocess.CompletedProcess[str]:
        return cli_import(path, cases, env)

    result = run_import()
    refused_for_disk_full(result)
    problems, after = oracle(path)  # still on the full disk
    assert problems == []
    assert after == before
    dummy.unlink()
    retried = run_import()
    assert retried.returncode == 0, retried.stderr
    assert "0 failed" in retried.stdout
    with Library.open(path, create=False) as reopened:
        assert reopened.check() == []
        assert reopened.count_cases() >= 80


def test_a_batch_sqlite_rolled_back_itself_reports_the_full_disk(tmp_path: Path) -> None:
    """On a full disk SQLite may roll a whole transaction back on its own; a case's
    savepoint inside it is then gone, and undoing it must not hide the real error behind
    `no such savepoint: nested` (what `lightbox import` used to end with)."""
    import sqlite3

    from desktop.store.db import transaction

    with Library.open(tmp_path / "library.db") as opened:
        conn = opened._conn
        full = sqlite3.OperationalError("database or disk is full")
        with pytest.raises(sqlite3.OperationalError) as raised, transaction(conn):
            with transaction(conn):  # a savepoint
                conn.execute("INSERT INTO search_pending (case_id) VALUES (1)")
                conn.execute("ROLLBACK")  # what SQLite does itself on some full-disk errors
                raise full
        assert raised.value is full
        assert not conn.in_transaction
        assert opened.check() == []


# --- images on a full disk ----------------------------------------------------------------------

#: Cases of the data set that does not fit, with two images of ~26 KB (incompressible) each:
#: 1 MB in all, which fits the 4 MB disk beside the library, a backup of it and its journals.
IMAGE_CASES = 20


def image_data_set(folder: Path) -> dict[str, list[bytes]]:
    from tests.test_media_safety import noisy_png, write_many_cases

    return write_many_cases(folder, IMAGE_CASES, image=lambda n: noisy_png(160, 160, n))


def check_no_case_names_a_missing_image(path: Path) -> tuple[int, int]:
    """Every figure image any case names is on disk whole; no temporary is left in
    media/tmp. Returns (medpix cases stored, image files kept)."""
    from desktop.store.media import MediaStore, media_folder

    store = MediaStore(media_folder(path))
    with Library.open(path, create=False) as library:
        assert library.check() == []
        assert library.media_problems() == []
        stored = 0
        for case_id in library.case_ids():
            case = library.get_case(case_id)
            assert case is not None
            if case.source != "medpix":
                continue
            stored += 1
            for figure in case.figures:
                assert figure.missing is None and library.image_path(figure.image), case.key
                assert store.problem(figure.image or "") is None
    temporaries = store.folder / "tmp"
    assert not temporaries.is_dir() or list(temporaries.iterdir()) == []
    return stored, len(list(store.files()))


def test_put_on_a_full_disk_fails_plainly_and_leaves_no_temporary(small_disk: Path) -> None:
    from desktop.store.media import MediaStore
    from tests.test_media_safety import noisy_png

    store = MediaStore(small_disk / "media")
    kept = store.put(noisy_png(8, 8, 1))
    dummy = fill_disk(small_disk, leave=16 * 1024)
    data = noisy_png(256, 256, 2)  # ~64 KB: a part fits, then ENOSPC
    with pytest.raises(StorageUnavailable, match="disk full"):
        store.put(data)
    # No part of the image is left, under its name or as a temporary.
    assert [p.name for p in store.folder.iterdir()] == [kept]
    dummy.unlink()
    digest = store.put(data)
    assert store.problem(digest) is None and store.problem(kept) is None


@pytest.mark.parametrize("room_kb", [128, 512])
def test_an_import_whose_images_do_not_fit_stops_plainly_and_loses_nothing(
    library: Library, small_disk: Path, tmp_path: Path, room_kb: int
) -> None:
    """SAFETY A4 for figures: the import stops with StorageUnavailable ("disk full"), no
    case names an image not whole on disk, the reader's earlier work is intact, no
    temporary is left; with room again, the same import completes."""
    folder = tmp_path / "medpix"
    expected = image_data_set(folder)
    path = copy_library(library, small_disk)
    _problems, before = oracle(path)
    dummy = fill_disk(small_disk, leave=room_kb * 1024)
    with Library.open(path, create=False) as on_disk:
        with pytest.raises(StorageUnavailable, match="disk full") as raised:
            # A commit after each case: some are stored whole before the disk fills.
            import_paths(on_disk, [folder], batch_seconds=0.0)
    print(f"\nA4 import with images, {room_kb} KB free: {raised.value}")
    stored, files = check_no_case_names_a_missing_image(path)
    # How many got in depends on how far ahead images were being kept when the disk
    # filled (a few cases' worth): not a promise, unlike what follows.
    assert stored < len(expected)
    problems, after = oracle(path)
    assert problems == [] and after == before
    dummy.unlink()
    with Library.open(path, create=False) as on_disk:
        report = import_paths(on_disk, [folder])
        assert (report.failed, report.warnings) == ([], [])
        assert report.imported + report.unchanged == len(expected)
    assert check_no_case_names_a_missing_image(path) == (len(expected), 2 * len(expected))
    print(f"A4 before the retry: {stored} cases stored, {files} image files kept")
    assert oracle(path) == ([], before)


def test_cli_import_whose_images_do_not_fit_says_disk_full_in_one_line(
    library: Library, small_disk: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "medpix"
    expected = image_data_set(folder)
    path = copy_library(library, small_disk)
    _problems, before = oracle(path)
    dummy = fill_disk(small_disk, leave=256 * 1024)
    env = {**os.environ, "LIGHTBOX_HOME": str(small_disk / "home")}

    def run_import() -> subprocess.CompletedProcess[str]:
        return cli_import(path, folder, env)

    result = run_import()
    lines = refused_for_disk_full(result)
    print(f"\nA4 `lightbox import` with images on a full disk: {lines[0]}")
    check_no_case_names_a_missing_image(path)
    assert oracle(path) == ([], before)
    dummy.unlink()
    retried = run_import()
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert check_no_case_names_a_missing_image(path) == (len(expected), 2 * len(expected))
