"""Damage and recovery: a damaged library is refused untouched, moved aside whole and
recovered from the newest good backup; restore yields exactly the backup (never a stale -wal
mixture) and is itself undoable; cloud folders and read-only files are reported plainly."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.cli import main
from desktop.library_setup import move_aside, newest_good_backup, recover_from_backup
from desktop.model import Case, CaseFilter
from desktop.paths import cloud_sync_warning
from desktop.store import backup, schema
from desktop.store.errors import LibraryCorrupt, LibraryError, LibraryTooNew, NotALibrary
from desktop.store.library import Library
from tests.conftest import ROOT
from tests.fixtures.make_fixture import Records, digest, user_records

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def records_of(path: Path) -> Records:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return user_records(conn)
    finally:
        conn.close()


def digest_of(path: Path) -> str:
    return digest(records_of(path))


def add_cases(library: Library, count: int, start: int = 0, *, notes: bool = True) -> None:
    with library.transaction():
        for n in range(start, start + count):
            case = Case(
                source="test",
                source_id=str(n),
                title=f"Case {n}: a pancreatic lesion",
                section=f"Section {n % 3}",
                published=dt.date(2020, 1, 1) + dt.timedelta(days=n),
                clinical_history=f"History of case {n}.",
                final_diagnosis="Serous cystadenoma",
            )
            case_id = library.store_case(case, T0).case_id
            if notes:
                library.save_note(case_id, f"note on case {n}: Kellnerwinkel", T0)


def make_library(folder: Path, cases: int = 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "library.db"
    with Library.open(path) as library:
        add_cases(library, cases)
        library.set_bookmark(library.resolve("test:1"), True, T0)
        library.mark_read(library.resolve("test:0"), T0)
    return path


def flip_page_two(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, bytes(range(256))[::-1] * 4, 4096)
    finally:
        os.close(fd)


def truncate_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def zero_header(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, bytes(100), 0)
    finally:
        os.close(fd)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "flip-page-2": flip_page_two,
    "truncate-50%": truncate_half,
    "zero-header": zero_header,
}


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder`: relative path -> sha256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def damaged(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, list[Path]]:
    """A library with two good backups (an hour apart), then damaged one way."""
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        taken = [library.backup("daily", T0), library.backup("daily", T0 + HOUR)]
    DAMAGE[request.param](path)
    return path, taken


@pytest.mark.parametrize("damaged", list(DAMAGE), indirect=True)
def test_a_damaged_library_is_refused_untouched(damaged: tuple[Path, list[Path]]) -> None:
    """SAFETY A10: detected at open, never a crash and never a silent empty library."""
    path, _ = damaged
    before = tree(path.parent)
    with pytest.raises((LibraryCorrupt, NotALibrary)):
        Library.open(path)
    with pytest.raises((LibraryCorrupt, NotALibrary)):
        Library.open(path, create=False)
    assert tree(path.parent) == before  # no byte written, no -wal or backup added


def _cli_list(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["list", "--library", str(path)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    "damaged",
    [
        "flip-page-2",
        "truncate-50%",
        pytest.param(
            "zero-header",
        ),
    ],
    indirect=True,
)
def test_cli_names_the_damage_and_the_newest_good_backup(
    damaged: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, taken = damaged
    before = tree(path.parent)
    status, out, err = _cli_list(path, capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "damaged" in err
    assert "newest good backup" in err and str(taken[-1]) in err
    assert tree(path.parent) == before


@pytest.mark.parametrize("damaged", ["zero-header"], indirect=True)
def test_cli_refuses_a_zeroed_header_in_one_line(
    damaged: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = damaged
    before = tree(path.parent)
    status, out, err = _cli_list(path, capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "not an SQLite database" in err
    assert tree(path.parent) == before


@pytest.mark.parametrize("damaged", list(DAMAGE), indirect=True)
def test_recovery_moves_the_damage_aside_and_restores_the_newest_good_backup(
    damaged: tuple[Path, list[Path]],
) -> None:
    path, taken = damaged
    # Leftovers of the crash that damaged it: a -wal and a -shm beside the file.
    Path(f"{path}-wal").write_bytes(b"wal leftovers")
    Path(f"{path}-shm").write_bytes(b"shm leftovers")
    damaged_files = {
        name: hashlib.sha256((path.parent / name).read_bytes()).hexdigest()
        for name in ("library.db", "library.db-wal", "library.db-shm")
    }
    backups_before = tree(path.parent / "backups")

    folder = move_aside(path, T0)
    assert folder == path.parent / "damaged-20260302-080000"
    assert tree(folder) == damaged_files  # all three, byte for byte
    assert not any(Path(f"{path}{s}").exists() for s in ("", "-wal", "-shm"))
    assert tree(path.parent / "backups") == backups_before
    # A second move at the same moment never overwrites the first.
    Path(path).write_bytes(b"another damaged file")
    assert move_aside(path, T0) == path.parent / "damaged-20260302-080000-2"
    assert tree(folder) == damaged_files

    good = newest_good_backup(path)
    assert good is not None and good.path == taken[-1] and good.taken_at == T0 + HOUR
    with recover_from_backup(path, good.path) as library:
        assert library.check() == []
        assert library.count_cases() == 20
        assert [h.case_id for h in library.search_cases("Kellnerwinkel", limit=5)]
    assert digest_of(path) == digest_of(good.path)
    with pytest.raises(LibraryError, match="exists"):
        recover_from_backup(path, good.path)


def test_newest_good_backup_skips_damaged_backups(tmp_path: Path) -> None:
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        made = [library.backup("daily", T0 + n * HOUR) for n in range(4)]
    truncate_half(made[3])
    flip_page_two(made[2])
    good = newest_good_backup(path)
    assert good is not None and good.path == made[1]
    zero_header(made[1])
    truncate_half(made[0])
    assert newest_good_backup(path) is None


@pytest.mark.parametrize("kind", ["empty-file", "other-database", "newer-lightbox"])
def test_newest_good_backup_skips_files_it_cannot_restore(tmp_path: Path, kind: str) -> None:
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        good = library.backup("daily", T0)
    newest = good.with_name("lightbox-20260302-090000-daily-v3.db")
    if kind == "empty-file":
        newest.write_bytes(b"")
    else:
        conn = sqlite3.connect(newest)
        if kind == "other-database":
            conn.execute("CREATE TABLE t(x)")
        else:
            conn.close()
            shutil.copyfile(good, newest)
            conn = sqlite3.connect(newest)
            conn.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 1}")
        conn.commit()
        conn.close()
    found = newest_good_backup(path)
    assert found is not None and found.path == good


def test_a_failed_recovery_leaves_no_empty_library_behind(tmp_path: Path) -> None:
    path = make_library(tmp_path / "lib")
    unusable = tmp_path / "lib" / "backups" / "lightbox-20260302-090000-daily-v3.db"
    unusable.parent.mkdir()
    unusable.write_bytes(b"")
    move_aside(path, T0)
    with pytest.raises(LibraryError):
        recover_from_backup(path, unusable)
    assert not path.exists()


def test_restore_replaces_a_library_with_a_stale_wal_by_exactly_the_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SAFETY A11 + B12: restore through SQLite gives exactly the backup's data, whatever
    -wal lies beside the library; and the state it replaces is backed up first."""
    path = make_library(tmp_path / "lib", cases=200)
    library = Library.open(path)
    try:
        saved = library.backup("manual", T0)
        expected = digest_of(saved)
        assert len(records_of(saved)["notes"]["rows"]) == 200
        # More work after the backup, left in the -wal (the library stays open).
        add_cases(library, 100, start=200)
        for n in range(0, 200, 3):
            library.save_note(library.resolve(f"test:{n}"), f"edited {n}", T0 + HOUR)
        library.trash(library.resolve("test:5"), T0 + HOUR)
        wal = Path(f"{path}-wal")
        assert wal.stat().st_size > 0
        current = digest_of(path)
        assert current != expected
        # What a crash at this moment leaves behind: the file and its -wal.
        crashed = tmp_path / "crashed"
        crashed.mkdir()
        for name in ("library.db", "library.db-wal"):
            shutil.copyfile(path.parent / name, crashed / name)
        naive = tmp_path / "naive"
        shutil.copytree(crashed, naive)

        library.restore_from(saved)
        assert digest_of(path) == expected
        assert library.check() == []
        hits = library.search_cases("Kellnerwinkel", limit=500)
        assert len(hits) == 200 and all(h.in_note for h in hits)
    finally:
        library.close()
    assert digest_of(path) == expected  # and after closing: nothing replays over it
    (pre_restore,) = [b for b in backup.list_backups(path) if b.reason == "pre-restore"]
    assert digest_of(pre_restore.path) == current  # B12: the restore can be undone
    with Library.open(path) as library:
        library.restore_from(pre_restore.path)
    assert digest_of(path) == current

    # The same through the command line, on the crashed copy with its -wal beside it.
    target = crashed / "library.db"
    assert main(["restore", str(saved), "--library", str(target)]) == 0
    capsys.readouterr()
    assert digest_of(target) == expected
    (pre_restore,) = [b for b in backup.list_backups(target) if b.reason == "pre-restore"]
    assert digest_of(pre_restore.path) == current

    # Why it matters: copying the backup file over the library, -wal left beside it, gives
    # neither the backup nor the library (Zotero's bug). The digest catches it.
    shutil.copyfile(saved, naive / "library.db")
    try:
        mixed: str | None = digest_of(naive / "library.db")
    except sqlite3.DatabaseError:
        mixed = None  # or SQLite finds the mixture damaged
    assert mixed != expected


def test_restore_refuses_damaged_and_newer_backups_and_changes_nothing(tmp_path: Path) -> None:
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        good = library.backup("manual", T0)
        broken = good.with_name("lightbox-20260302-090000-manual-v3.db")
        shutil.copyfile(good, broken)
        truncate_half(broken)
        newer = good.with_name("lightbox-20260302-100000-manual-v99.db")
        shutil.copyfile(good, newer)
        conn = sqlite3.connect(newer)
        conn.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 1}")
        conn.commit()
        conn.close()
        not_ours = tmp_path / "other.db"
        conn = sqlite3.connect(not_ours)
        conn.execute("CREATE TABLE t(x)")
        conn.commit()
        conn.close()
        before = digest_of(path)
        with pytest.raises(LibraryError, match="damaged|unreadable"):
            library.restore_from(broken)
        with pytest.raises(LibraryTooNew):
            library.restore_from(newer)
        with pytest.raises(LibraryError, match="not a Lightbox library"):
            library.restore_from(not_ours)
        assert digest_of(path) == before
        assert [b.reason for b in backup.list_backups(path)] == ["manual"] * 3


@pytest.mark.parametrize(
    "folder",
    [
        "Dropbox/lightbox",
        "Dropbox (Personal)/notes",
        "OneDrive/Documents",
        "OneDrive - Contoso Hospital/lightbox",
        "iCloud Drive/lightbox",
        "Library/Mobile Documents/com~apple~CloudDocs/lightbox",
        "Google Drive/My Drive/lightbox",
        "Nextcloud/radiology",
        "ownCloud/radiology",
    ],
)
def test_cloud_synced_folders_are_warned_about(folder: str) -> None:
    """SAFETY A13."""
    path = Path.home() / folder / "library.db"
    warning = cloud_sync_warning(path)
    assert warning is not None and "cloud-synced" in warning and str(path) in warning


@pytest.mark.parametrize(
    "path",
    [
        "~/.local/share/lightbox/library.db",
        "~/Documents/radiology/library.db",
        "/srv/lightbox/library.db",
        "~/drop/box/library.db",
    ],
)
def test_local_folders_are_not_warned_about(path: str) -> None:
    assert cloud_sync_warning(Path(path)) is None


def test_cli_warns_about_a_cloud_folder_and_still_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_library(tmp_path / "Dropbox", cases=2)
    assert main(["list", "--library", str(path)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2
    assert err.startswith("lightbox: warning: ") and "cloud-synced" in err


# A7: root ignores file permissions, so the child drops the capabilities that let it
# (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) and then obeys them like any reader.
CHILD = r"""
import ctypes, json, os, sys

def drop_privileges():
    if os.geteuid() != 0:
        return None
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class Data(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        header, data = Header(0x20080522, 0), (Data * 2)()
        if libc.capget(ctypes.byref(header), data) != 0:
            return "capget failed"
        keep = ~((1 << 1) | (1 << 2) | (1 << 3))
        for half in data:
            half.effective &= keep; half.permitted &= keep; half.inheritable &= keep
        if libc.capset(ctypes.byref(header), data) != 0:
            return "capset failed"
        check = (Data * 2)()
        if libc.capget(ctypes.byref(header), check) != 0 or check[0].effective & ~keep:
            return "the capabilities are still in effect"
    except (OSError, AttributeError) as error:
        return f"no capabilities API: {error}"
    return None


problem = drop_privileges()
if problem:
    print(json.dumps({"skip": problem}))
    sys.exit(0)
from pathlib import Path
from desktop.store.library import Library
from desktop.store.errors import LibraryError
path = Path(sys.argv[2])
if sys.argv[1] == "cli":
    from desktop.cli import main
    sys.exit(main(["list", "--library", str(path)]))
result = {}
try:
    library = Library.open(path, create=True)
except LibraryError as error:
    result["open"] = [type(error).__name__, str(error)]
except Exception as error:
    result["open"] = ["crash: " + type(error).__name__, str(error)]
else:
    result["cases"] = library.count_cases()
    try:
        library.save_note(library.resolve("test:0"), "a note")
        result["save"] = ["saved", ""]
    except LibraryError as error:
        result["save"] = [type(error).__name__, str(error)]
    except Exception as error:
        result["save"] = ["crash: " + type(error).__name__, str(error)]
    library.close()
print(json.dumps(result))
"""


def run_restricted(mode: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def open_restricted(path: Path) -> dict[str, Any]:
    child = run_restricted("open", path)
    assert child.returncode == 0, child.stderr
    result: dict[str, Any] = json.loads(child.stdout)
    if "skip" in result:
        pytest.skip(f"cannot take away root's override of file permissions: {result['skip']}")
    return result


@pytest.mark.parametrize(
    ("file_mode", "folder_mode"),
    [
        pytest.param(0o444, 0o755, id="read-only-file"),
        pytest.param(
            0o444,
            0o555,
            id="read-only-file-and-folder",
        ),
        pytest.param(
            0o644,
            0o555,
            id="read-only-folder",
        ),
    ],
)
def test_a_read_only_library_says_it_cannot_write(
    tmp_path: Path, file_mode: int, folder_mode: int
) -> None:
    """SAFETY A7: a clear 'cannot write' (at open, or at the first save), never an empty
    library, never a crash, and the file unchanged."""
    path = make_library(tmp_path / "lib")
    before = tree(path.parent)
    os.chmod(path, file_mode)
    os.chmod(path.parent, folder_mode)
    try:
        result = open_restricted(path)
    finally:
        os.chmod(path.parent, 0o755)
        os.chmod(path, 0o644)
    if "open" in result:
        kind, message = result["open"]
        assert kind == "StorageUnavailable" and "cannot write" in message, result
    else:
        assert result["cases"] == 20, result  # the reader's library, not an empty one
        kind, message = result["save"]
        assert kind == "StorageUnavailable" and "cannot write" in message, result
    after = {k: v for k, v in tree(path.parent).items() if not k.endswith(("-wal", "-shm"))}
    assert after == before


def test_no_library_is_created_in_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = open_restricted(folder / "library.db")
    finally:
        folder.chmod(0o755)
    kind, message = result["open"]
    assert not kind.startswith("crash"), result
    assert str(folder / "library.db") in message
    assert list(folder.iterdir()) == []


def test_cli_in_a_read_only_folder_fails_in_one_line(tmp_path: Path) -> None:
    path = make_library(tmp_path / "lib", cases=2)
    os.chmod(path.parent, 0o555)
    try:
        child = run_restricted("cli", path)
    finally:
        os.chmod(path.parent, 0o755)
    if '"skip"' in child.stdout:
        pytest.skip(child.stdout)
    assert child.returncode == 2
    assert "Traceback" not in child.stderr
    assert len(child.stderr.strip().splitlines()) == 1 and "cannot write" in child.stderr


def break_search_index(path: Path) -> None:
    """Changes a title behind the search index's back (its trigger dropped, then put back)."""
    conn = sqlite3.connect(path, isolation_level=None)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'cases_fts_update'").fetchone()
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER cases_fts_update")
    conn.execute("UPDATE cases SET title = 'Entirely different words' WHERE id = 1")
    conn.execute(sql[0])
    conn.execute("COMMIT")
    conn.close()


def break_foreign_key(path: Path) -> None:
    """A row pointing to a missing case. No table of a library has a foreign key today
    (reader data names its case by identity), so the damage brings its own table: the
    check must still find any broken reference a future table could hold."""
    conn = sqlite3.connect(path)  # foreign keys are off by default outside Lightbox
    conn.execute("CREATE TABLE extra (case_id INTEGER REFERENCES cases(id))")
    conn.execute("INSERT INTO extra (case_id) VALUES (9999)")
    conn.commit()
    conn.close()


def break_index(path: Path) -> None:
    """An index whose entries no longer match its table: quick_check passes, the full
    integrity_check does not."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute(
        'UPDATE sqlite_master SET sql = \'CREATE INDEX "idx_cases_section" ON "cases"'
        " (\"published\")' WHERE name = 'idx_cases_section'"
    )
    conn.close()


@pytest.mark.parametrize(
    ("breaker", "problem"),
    [
        (break_search_index, "search index cases_fts"),
        (break_foreign_key, "a row of extra points to a missing row of cases"),
        (break_index, "missing from index idx_cases_section"),
    ],
    ids=["search-index", "foreign-key", "index"],
)
def test_check_command(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    breaker: Callable[[Path], None],
    problem: str,
) -> None:
    path = make_library(tmp_path / "lib")
    assert main(["check", "--library", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"{path}: ok" and err == ""
    breaker(path)
    assert main(["check", "--library", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"{path} is damaged:") and problem in out
    assert "lightbox restore" in out and "Traceback" not in out + err


def test_check_command_on_the_real_entry_point(tmp_path: Path) -> None:
    path = make_library(tmp_path / "lib", cases=2)
    break_search_index(path)
    child = subprocess.run(
        [sys.executable, "-m", "desktop", "check", "--library", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 1
    assert "is damaged" in child.stdout and "Traceback" not in child.stdout + child.stderr


def test_a_sound_library_opens_after_all_this(tmp_path: Path) -> None:
    """The helpers above build a sound library (so each failure above is the damage's)."""
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        assert library.check() == []
        assert library.count_cases() == 20
        assert library.counts().notes == 20
        assert library.case_ids(CaseFilter("bookmarked")) == [library.resolve("test:1")]


def test_the_background_check_flags_damage_for_the_next_start(tmp_path: Path) -> None:
    from desktop.library_setup import background_check, check_marker

    path = make_library(tmp_path / "lib", cases=5)
    assert background_check(path) is None
    assert not check_marker(path).exists()
    with path.open("r+b") as handle:  # wreck a page in the middle of the file
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 4096)
    problem = background_check(path)
    assert problem is not None
    assert check_marker(path).exists()
