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
from tests.tools import run_lightbox as lightbox

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


# --- issue 11: restores are checked first; damage is caught before any write ----------------
#
# Every test here runs the real command line in a process of its own:
# `python -m desktop --library FILE COMMAND ...`, with LIGHTBOX_HOME in a temporary folder.


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command that failed with status 2 (and no traceback)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def library_files(path: Path) -> dict[str, str]:
    """The library, its journals and its backups, by content (the verified stamp aside)."""
    return {k: v for k, v in tree(path.parent).items() if not k.endswith(".verified")}


def _with_sql(good: Path, folder: Path, *statements: str) -> Path:
    target = folder / "candidate.db"
    shutil.copyfile(good, target)
    conn = sqlite3.connect(target, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()
    return target


def _look_alike(_good: Path, folder: Path) -> Path:
    """Our application id and schema version, someone else's tables."""
    target = folder / "look-alike.db"
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA application_id = 0x4C424F58")
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
    conn.execute("CREATE TABLE cases (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("CREATE TABLE other (x)")
    conn.close()
    return target


def _fifo(_good: Path, folder: Path) -> Path:
    target = folder / "backup.fifo"
    os.mkfifo(target)
    return target


def _folder(_good: Path, folder: Path) -> Path:
    target = folder / "a-folder.db"
    target.mkdir()
    return target


def _empty(_good: Path, folder: Path) -> Path:
    target = folder / "empty.db"
    target.touch()
    return target


def _newer(good: Path, folder: Path) -> Path:
    return _with_sql(good, folder, f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")


def _text_behind_the_index(good: Path, folder: Path) -> Path:
    target = _with_sql(good, folder)
    break_search_index(target)
    return target


def _truncated(good: Path, folder: Path) -> Path:
    target = _with_sql(good, folder)
    truncate_half(target)
    return target


#: Restore candidates that must be refused in one line, with the library untouched:
#: (how to make one from a good backup, words the refusal must hold).
REFUSED_CANDIDATES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "look-alike with other tables": (_look_alike, "is not part of a Lightbox library"),
    "own trigger deleting notes when a case is read": (
        lambda good, folder: _with_sql(
            good,
            folder,
            "CREATE TRIGGER forget AFTER INSERT ON reading BEGIN UPDATE notes"
            " SET body = ''; DELETE FROM notes; END",
        ),
        "trigger forget is not part of a Lightbox library",
    ),
    "a view": (
        lambda good, folder: _with_sql(good, folder, "CREATE VIEW v AS SELECT * FROM cases"),
        "view v is not part of a Lightbox library",
    ),
    "an extra table": (
        lambda good, folder: _with_sql(good, folder, "CREATE TABLE extra (x)"),
        "table extra is not part of a Lightbox library",
    ),
    "an index missing": (
        lambda good, folder: _with_sql(good, folder, "DROP INDEX cases_list_title"),
        "index cases_list_title is missing",
    ),
    "an index altered": (
        lambda good, folder: _with_sql(
            good, folder, "DROP INDEX cases_trashed", "CREATE INDEX cases_trashed ON cases(title)"
        ),
        "index cases_trashed differs",
    ),
    "text changed behind the search index": (_text_behind_the_index, "search index cases_fts"),
    "truncated to half": (_truncated, "cannot be restored"),
    "a newer schema": (_newer, "newer Lightbox"),
    "another program's database": (
        lambda _good, folder: _with_sql(
            _look_alike(_good, folder), folder, "PRAGMA application_id = 7"
        ),
        "not a Lightbox library",
    ),
    "an empty file": (_empty, "is empty"),
    "a FIFO": (_fifo, "is a pipe (FIFO), not a library file"),
    "a folder": (_folder, "is a folder, not a library file"),
    "a device": (lambda _good, _folder: Path("/dev/null"), "is a device, not a library file"),
    "the library itself": (lambda _good, folder: folder.parent / "lib" / "library.db", "itself"),
}


@pytest.mark.parametrize("kind", list(REFUSED_CANDIDATES))
def test_restore_refuses_what_is_not_a_sound_library_and_touches_nothing(
    tmp_path: Path, kind: str
) -> None:
    """Issue 11 item 4 and SAFETY B12: the candidate is checked in full before the library
    is touched; a FIFO, a folder or a device is refused at once, never opened."""
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        good = library.backup("manual", T0)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    make, words = REFUSED_CANDIDATES[kind]
    candidate = make(good, folder)
    before = library_files(path)
    line = one_line_error(lightbox(path, "restore", str(candidate), timeout=60))
    assert words in line, line
    assert library_files(path) == before  # no byte changed, no safety backup, no scratch
    checked = lightbox(path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_window_refuses_a_backup_carrying_its_own_trigger(
    tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window's File > Restore from Backup runs the same check as the command line."""
    from desktop.ui import operations
    from tests.gui_helpers import close_window, make_window

    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        good = library.backup("manual", T0)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    make, words = REFUSED_CANDIDATES["own trigger deleting notes when a case is read"]
    evil = make(good, folder)
    shown: list[str] = []
    monkeypatch.setattr(
        operations.QMessageBox, "warning", lambda _parent, _title, text, *_rest: shown.append(text)
    )
    window = make_window(path, tmp_path / "settings.ini")
    qtbot.addWidget(window)
    try:
        before = digest_of(path)
        assert not window.backups.restore_from(evil)
        assert len(shown) == 1 and words in shown[0]
        assert digest_of(path) == before
        case_id = window.library.resolve("test:5")
        window.library.mark_read(case_id)
        assert window.library.note(case_id) is not None
    finally:
        close_window(window)


def test_restore_prints_what_it_restored_and_where_the_library_went(tmp_path: Path) -> None:
    """`lightbox restore FILE`: the counts restored and the path of the safety backup, which
    holds the library as it was; the library is then exactly the backup."""
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        good = library.backup("manual", T0)
        library.save_note(library.resolve("test:3"), "written after the backup")
        library.set_bookmark(library.resolve("test:4"), True)
    as_it_was = digest_of(path)
    result = lightbox(path, "restore", str(good))
    assert result.returncode == 0, result.stderr
    restored, safety = result.stdout.strip().splitlines()
    assert restored == f"Restored {good} into {path}: 20 cases, 20 notes, 1 bookmarks."
    assert safety.startswith("The library as it was is backed up in ")
    kept = Path(safety.rsplit(" ", 1)[1])
    assert kept.is_file() and "pre-restore" in kept.name
    assert digest_of(kept) == as_it_was
    assert digest_of(path) == digest_of(good)
    assert lightbox(path, "check").returncode == 0


@pytest.mark.parametrize("version", [1, 3, 4])
def test_restore_upgrades_an_older_backup(tmp_path: Path, version: int) -> None:
    """A backup of an older schema is checked against that schema, then upgraded."""
    path = make_library(tmp_path / "lib")
    old = tmp_path / f"library-v{version}.db"
    shutil.copyfile(ROOT / "tests" / "fixtures" / f"library-v{version}.db", old)
    result = lightbox(path, "restore", str(old))
    assert result.returncode == 0, result.stderr
    assert f"upgraded from schema {version}." in result.stdout
    with Library.open(path, create=False) as library:
        assert library.check() == []
        assert schema.user_version(library._conn) == schema.SCHEMA_VERSION


@pytest.mark.parametrize("version", range(1, schema.SCHEMA_VERSION + 1))
def test_every_released_schema_passes_the_schema_check(version: int) -> None:
    """The expected schema of each version comes from the migration chain: the fixture
    library of each released version matches it exactly."""
    from desktop.store import verify

    fixture = ROOT / "tests" / "fixtures" / f"library-v{version}.db"
    conn = sqlite3.connect(f"{fixture.as_uri()}?mode=ro", uri=True)
    try:
        assert verify.schema_problems(conn, schema.SCHEMA_VERSION) == []
    finally:
        conn.close()


def test_restore_over_a_damaged_library_moves_it_aside_first(tmp_path: Path) -> None:
    """A damaged library is never written to: restore moves it (and its journals) aside."""
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        good = library.backup("manual", T0)
    break_index(path)
    damaged_bytes = path.read_bytes()
    result = lightbox(path, "restore", str(good))
    assert result.returncode == 0, result.stderr
    moved = result.stdout.strip().splitlines()[1]
    assert moved.startswith("The damaged library was moved to ")
    folder = Path(moved.removeprefix("The damaged library was moved to ").split(" (")[0])
    assert (folder / "library.db").read_bytes() == damaged_bytes
    assert digest_of(path) == digest_of(good)
    assert lightbox(path, "check").returncode == 0


def flip_random_bytes(path: Path, seed: int, count: int = 10) -> None:
    """Flips one bit in each of `count` random bytes past the 100-byte header."""
    import random

    rng = random.Random(seed)
    size = path.stat().st_size
    fd = os.open(path, os.O_RDWR)
    try:
        for _ in range(count):
            offset = rng.randrange(100, size)
            byte = os.pread(fd, 1, offset)[0]
            os.pwrite(fd, bytes([byte ^ (1 << rng.randrange(8))]), offset)
    finally:
        os.close(fd)


#: The commands that write, each as the reader would type it.
WRITES: list[tuple[str, ...]] = [
    ("note", "test:2", "--set", "written into damage?"),
    ("bookmark", "test:3"),
    ("trash", "test:4"),
    ("import", str(ROOT / "cases")),
]


@pytest.fixture(scope="module")
def sound_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library with notes, bookmarks, a reading, highlights, drill reviews and a good
    backup, left verified."""
    path = make_library(tmp_path_factory.mktemp("sound") / "lib", cases=60)
    with Library.open(path) as library:
        for number in range(60):
            case_id = library.resolve(f"test:{number}")
            library.add_highlight(case_id, "title", 0, 4, comment="look", now=T0)
            library.rate(case_id, 1 + number % 4, T0)
        library.backup("manual", T0)
    return path


@pytest.mark.parametrize("trial", range(10))
def test_flipped_bytes_are_caught_before_any_write(
    sound_library: Path, tmp_path: Path, trial: int
) -> None:
    """Issue 11 item 5, ten trials: random bytes flipped in a library (by another program:
    the file's times change). Whenever `lightbox check` would report it, no command writes
    to it: each says so in one line, naming the newest good backup and `lightbox restore`.
    (The start-up quick check alone let writes through in 6 of 10 such trials.)"""
    shutil.copytree(sound_library.parent, tmp_path / "lib")
    path = tmp_path / "lib" / "library.db"
    flip_random_bytes(path, seed=trial)
    checked = lightbox(path, "check")
    if checked.returncode == 0:
        return  # the bytes fell where nothing reads them: the library is sound
    assert checked.returncode in (1, 2) and "damaged" in checked.stdout + checked.stderr
    before = library_files(path)
    for command in WRITES:
        line = one_line_error(lightbox(path, *command))
        assert "damaged" in line, line
        assert "newest good backup" in line and "lightbox restore" in line, line
        assert library_files(path) == before, command  # not a byte, not a backup


def test_flipped_bytes_are_reported_in_most_trials(sound_library: Path, tmp_path: Path) -> None:
    """The ten trials above are not vacuous: `check` finds damage in nearly all of them."""
    found = 0
    for trial in range(10):
        copy = tmp_path / str(trial)
        shutil.copytree(sound_library.parent, copy)
        flip_random_bytes(copy / "library.db", seed=trial)
        try:
            with Library.open(copy / "library.db", create=False) as library:
                found += bool(library.check())
        except LibraryError:
            found += 1  # refused at open: its schema or pages are damaged
    assert found >= 8


@pytest.mark.parametrize(
    "breaker", [break_index, break_search_index, break_foreign_key], ids=["index", "search", "fk"]
)
def test_damage_the_quick_check_misses_is_caught_before_the_first_write(
    tmp_path: Path, breaker: Callable[[Path], None]
) -> None:
    path = make_library(tmp_path / "lib")
    breaker(path)
    before = library_files(path)
    for command in WRITES:
        line = one_line_error(lightbox(path, *command))
        assert "is damaged" in line and "nothing was written to it" in line, line
    assert library_files(path) == before


def test_a_verified_library_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full check runs once after an outside change; then the stamp a verified run
    leaves spares the next runs (each run's first write costs a stat)."""
    path = make_library(tmp_path / "lib")
    calls: list[Path] = []
    real_check = Library.check
    monkeypatch.setattr(Library, "check", lambda self: calls.append(self.path) or real_check(self))
    for n in range(3):
        with Library.open(path, create=False) as library:
            library.save_note(library.resolve("test:1"), f"run {n}")
    assert calls == []
    os.utime(path)  # another program touched it
    for n in range(2):
        with Library.open(path, create=False) as library:
            library.save_note(library.resolve("test:1"), f"after the touch {n}")
    assert calls == [path]


@pytest.mark.parametrize("content", ["zero-bytes", "no-tables"])
def test_an_empty_library_with_backups_beside_it_is_damage(tmp_path: Path, content: str) -> None:
    """Never silently a new empty library: the newest good backup is named, and restoring
    it (the empty file moved aside first) brings everything back."""
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        good = library.backup("manual", T0)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if content == "zero-bytes":
        path.touch()
    else:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE t (x)")
        conn.execute("DROP TABLE t")
        conn.commit()
        conn.close()
    before = library_files(path)
    for command in [("list",), ("note", "test:1", "--set", "x"), ("import", str(ROOT / "cases"))]:
        line = one_line_error(lightbox(path, *command))
        assert "damaged" in line and "holds no library" in line, line
        assert f"the newest good backup is {good}" in line and "lightbox restore" in line
    assert library_files(path) == before
    result = lightbox(path, "restore", str(good))
    assert result.returncode == 0, result.stderr
    assert digest_of(path) == digest_of(good)


def test_an_empty_file_without_backups_is_still_a_new_library(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    path.touch()
    result = lightbox(path, "import", str(ROOT / "cases"))
    assert result.returncode == 0, result.stderr


def test_the_command_line_beside_an_open_library_keeps_it_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window (here a Library held open) and the command line writing one library: both
    are verified Lightbox runs, so the next start needs no full check."""
    path = make_library(tmp_path / "lib")
    calls: list[Path] = []
    real_check = Library.check
    monkeypatch.setattr(Library, "check", lambda self: calls.append(self.path) or real_check(self))
    with Library.open(path, create=False) as window:
        # Each commit checkpoints: the main file changes under the other program's feet.
        window._conn.execute("PRAGMA wal_autocheckpoint=1")
        window.save_note(window.resolve("test:1"), "from the window")
        for n in range(3):
            result = lightbox(path, "note", "test:2", "--set", f"from the command line {n}")
            assert result.returncode == 0, result.stderr
            window.save_note(window.resolve("test:1"), f"from the window {n}")
    with Library.open(path, create=False) as later:
        later.save_note(later.resolve("test:3"), "the next start")
        assert later.note(later.resolve("test:2")).body == "from the command line 2"  # type: ignore[union-attr]
    assert calls == []


@pytest.mark.parametrize("damage", ["index", "zero-bytes"])
def test_the_window_finds_the_damage_before_writing_and_offers_the_newest_backup(
    tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """At start the window checks, before it can write, a library another program changed
    (quick check or not); damage goes to the existing recovery dialog, which names the
    newest good backup and restores it."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.ui import app as app_module

    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path / "home"))
    path = make_library(tmp_path / "lib")
    with Library.open(path) as library:
        library.backup("daily", T0)
        newest = library.backup("manual", T0)  # the same second: made last, offered
    if damage == "index":
        break_index(path)
    else:
        os.truncate(path, 0)
    before = library_files(path)
    with pytest.raises(LibraryCorrupt) as raised:
        app_module.open_window(path)
    assert library_files(path) == before  # nothing written
    shown: list[str] = []

    def choose_restore(box: QMessageBox) -> int:
        shown.append(box.text())
        button = next(b for b in box.buttons() if b.text() == "Restore the backup")
        monkeypatch.setattr(box, "clickedButton", lambda: button)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", choose_restore)
    assert app_module._recover(path, raised.value)
    assert len(shown) == 1 and "newest good backup" in shown[0]
    assert digest_of(path) == digest_of(newest)
    window = app_module.open_window(path)
    qtbot.addWidget(window)
    try:
        assert window.library.verified and window.library.count_cases() == 20
    finally:
        window.keep_settings = False
        window.close()
        window.library.close()
