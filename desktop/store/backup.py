"""Backups of a library, through SQLite's online backup API only (never a file copy).

Each backup is written to a temporary file, checked with ``integrity_check``, then renamed
into place, so a crash or a full disk never leaves a half-written backup that looks whole.
Backups live in ``backups/`` beside the library and are thinned to a number of daily, weekly
and monthly copies; backups taken before a migration are never thinned away.

Each backup's name starts with a sequence number, one more than the highest in the folder:
``lightbox-000042-20260302-090000-manual-v5.db``. "Newest" means the highest sequence, never
the latest date alone, so a backup made while the clock was years ahead cannot pass for the
newest for years, and two backups made within one second keep the order they were made in.
Names without a sequence (made before it existed) count as older than every numbered one.

A backup may carry a label after an underscore, saying what it was taken before: a
pre-import backup names the import's file or folder,
``lightbox-000043-20260302-091500-pre-import-v5_Chest%20cases.zip.db``. The label is kept in
the name (not beside it) so it travels with the file and vanishes with it; characters a file
name cannot hold are escaped, and it is cut to a length every file system takes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from desktop.store import verify
from desktop.store.db import APPLICATION_ID
from desktop.store.errors import (
    LibraryError,
    LibraryTooNew,
    NotALibrary,
    StorageUnavailable,
    classify,
)

BACKUP_FOLDER = "backups"
#: Backups taken for these reasons are kept whatever the rotation says.
PINNED_REASONS = frozenset({"pre-migration"})
_NAME = re.compile(
    r"lightbox-(?:(?P<sequence>\d{6,9})-)?(?P<stamp>\d{8}-\d{6})(?:-(?P<counter>\d+))?"
    r"-(?P<reason>[a-z-]+?)(?:-v(?P<version>\d+))?(?:_(?P<label>[^/\\]+))?\.db"
)
#: The most bytes a label takes in a file name (names are capped at 255 bytes nearly
#: everywhere; the rest of the name takes under 50).
LABEL_BYTES = 120
#: Characters kept as they are in a label; every other one is %-escaped (UTF-8). Letters
#: and digits of any script stay readable; the set excludes what Windows forbids.
_LABEL_KEPT = frozenset(" -._()+,&'[]!~")
#: What each reason means, for the restore dialog and `lightbox restore`.
REASON_WORDS = {
    "manual": "manual",
    "daily": "daily",
    "pre-import": "before an import",
    "pre-restore": "before a restore",
    "pre-migration": "before an upgrade",
}

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Retention:
    """How many backups rotation keeps: the newest of each of so many days, weeks, months."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12


@dataclass(frozen=True, slots=True)
class Backup:
    """A backup file and what its name says about it."""

    path: Path
    taken_at: dt.datetime
    reason: str
    #: Its place in the order backups were made (0: made before backups were numbered).
    sequence: int = 0
    #: What it was taken before, e.g. the file or folder an import read ("" if unsaid).
    label: str = ""

    @property
    def pinned(self) -> bool:
        return self.reason in PINNED_REASONS

    @property
    def description(self) -> str:
        """Why it was taken, in words: "before importing Chest cases.zip", "daily"."""
        if self.reason == "pre-import" and self.label:
            return f"before importing {self.label}"
        words = REASON_WORDS.get(self.reason, self.reason.replace("-", " "))
        return f"{words} ({self.label})" if self.label else words

    def taken_text(self) -> str:
        """When it was taken, in local time to the second: "02 Mar 2026, 09:15:07"."""
        return self.taken_at.astimezone().strftime("%d %b %Y, %H:%M:%S")

    @property
    def order(self) -> tuple[int, dt.datetime, str]:
        """Sorts backups oldest first: by sequence, then (unnumbered ones) by date."""
        return (self.sequence, self.taken_at, self.path.name)


@dataclass(frozen=True, slots=True)
class BackupContents:
    """What a backup holds, for the restore dialog."""

    schema_version: int
    cases: int
    notes: int
    bookmarks: int


def backup_folder(library_path: Path) -> Path:
    return library_path.parent / BACKUP_FOLDER


def take_backup(
    library_path: Path,
    reason: str,
    now: dt.datetime | None = None,
    *,
    schema_version: int | None = None,
    label: str = "",
) -> Path:
    """Backs up the library's last committed state into a new, checked file.

    Reads through a connection of its own, so it can run while another connection writes
    (WAL), and sees only committed data. `label` (what the backup was taken before, e.g.
    the name of the file an import reads) goes into the file's name, escaped and cut short.

    Raises:
        StorageUnavailable: the backup could not be written or did not check out; nothing
            named like a backup is left behind.
    """
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    folder = backup_folder(library_path)
    suffix = f"-v{schema_version}" if schema_version is not None else ""
    if label.strip():
        suffix += f"_{encode_label(label.strip())}"
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    sequence = next_sequence(library_path)
    target = folder / f"lightbox-{sequence:06d}-{stamp}-{reason}{suffix}.db"
    temporary = target.with_name(target.name + ".tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"{library_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            destination = sqlite3.connect(temporary)
            try:
                source.backup(destination)
                # The copy is a standalone file: rollback journal, no -wal to lose.
                destination.execute("PRAGMA journal_mode=DELETE")
                verdict = destination.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                destination.close()
        finally:
            source.close()
        if verdict != "ok":
            raise StorageUnavailable(f"the new backup failed its check ({verdict})")
        _fsync(temporary)
        # Another process may have numbered a backup meanwhile: keep the sequence unique.
        while _sequence_taken(folder, sequence):
            sequence += 1
            target = folder / f"lightbox-{sequence:06d}-{stamp}-{reason}{suffix}.db"
        os.replace(temporary, target)
        _fsync(folder)
    except sqlite3.Error as error:
        temporary.unlink(missing_ok=True)
        if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL":
            raise StorageUnavailable(
                f"disk full: no backup could be written in {folder}"
            ) from error
        mapped = classify(error, library_path)
        raise (mapped or StorageUnavailable(f"backup failed: {error}")) from error
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise StorageUnavailable(f"could not write a backup in {folder}: {error}") from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def list_backups(library_path: Path) -> list[Backup]:
    """The backups of a library, newest first (temporary files are not backups)."""
    folder = backup_folder(library_path)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        if match is None:
            continue
        try:
            taken = dt.datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S").replace(tzinfo=dt.UTC)
        except ValueError:
            continue  # not a date: not one of ours
        sequence = int(match["sequence"] or 0)
        # Unnumbered backups of one second were counted in the order they were taken.
        label = urllib.parse.unquote(match["label"] or "", errors="replace")
        backup = Backup(path, taken, match["reason"], sequence, label)
        found.append((int(match["counter"] or 1), backup))
    ordered = sorted(found, key=lambda item: (item[1].sequence, item[1].taken_at, item[0]))
    return [item[1] for item in reversed(ordered)]


def encode_label(label: str) -> str:
    """`label` as it goes into a file name: escaped, and cut (marked "…") to LABEL_BYTES."""

    def encoded(text: str) -> str:
        return "".join(
            char if char.isalnum() or char in _LABEL_KEPT else urllib.parse.quote(char, safe="")
            for char in text
        )

    whole = encoded(label)
    if len(whole.encode()) <= LABEL_BYTES:
        return whole
    cut = label
    while cut and len(encoded(cut + "…").encode()) > LABEL_BYTES:
        cut = cut[:-1]
    return encoded(cut + "…")


def source_label(paths: list[Path]) -> str:
    """Names what an import reads, for its backup: "cases.zip", "cases.zip and 2 more"."""
    if not paths:
        return ""
    first = paths[0].name or str(paths[0])
    return first if len(paths) == 1 else f"{first} and {len(paths) - 1} more"


def next_sequence(library_path: Path) -> int:
    """The sequence number the next backup gets: one more than the highest so far."""
    return max((b.sequence for b in list_backups(library_path)), default=0) + 1


def _sequence_taken(folder: Path, sequence: int) -> bool:
    return any(folder.glob(f"lightbox-{sequence:06d}-*.db"))


def newest_backup(library_path: Path) -> Backup | None:
    backups = list_backups(library_path)
    return backups[0] if backups else None


def remove_stale_temporaries(library_path: Path) -> list[Path]:
    """Deletes half-written backups left by a crash (.tmp files and their journals)."""
    folder = backup_folder(library_path)
    removed = []
    if folder.is_dir():
        for pattern in ("*.db.tmp", "*.db.tmp-journal"):
            for path in folder.glob(pattern):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def backups_to_remove(backups: list[Backup], retention: Retention) -> list[Backup]:
    """Which backups rotation deletes: all but the newest of each of the last `daily`
    days, `weekly` weeks and `monthly` months, and never a pinned one or the newest.

    "Newest" follows the sequence (see the module's docstring), not the date alone.
    """
    ordered = sorted(backups, key=lambda b: b.order, reverse=True)
    keep: set[Path] = {ordered[0].path} if ordered else set()
    buckets: tuple[tuple[int, Callable[[dt.datetime], object]], ...] = (
        (retention.daily, lambda t: t.date()),
        (retention.weekly, lambda t: tuple(t.isocalendar())[:2]),
        (retention.monthly, lambda t: (t.year, t.month)),
    )
    for count, bucket_of in buckets:
        seen: list[object] = []
        for backup in ordered:
            bucket = bucket_of(backup.taken_at)
            if backup.pinned or bucket in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(bucket)
            keep.add(backup.path)
    return [b for b in ordered if b.path not in keep and not b.pinned]


def rotate(library_path: Path, retention: Retention) -> list[Path]:
    """Deletes the backups rotation does not keep; returns their paths."""
    removed = []
    for backup in backups_to_remove(list_backups(library_path), retention):
        backup.path.unlink(missing_ok=True)
        removed.append(backup.path)
    return removed


def backup_contents(path: Path) -> BackupContents:
    """Opens a backup read-only and counts what it holds.

    Raises:
        LibraryError: the file is not a readable Lightbox library.
    """
    problem = verify.file_problem(path)
    if problem is not None:
        raise NotALibrary(problem)
    try:
        conn = _open_read_only(path)
    except sqlite3.Error as error:
        raise LibraryError(f"cannot open {path}: {error}") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise NotALibrary(f"{path} is not a Lightbox library")
        return _contents(conn)
    except sqlite3.Error as error:
        raise LibraryError(f"{path} is unreadable: {error}") from None
    finally:
        conn.close()


def _contents(conn: sqlite3.Connection) -> BackupContents:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}

    def count(table: str) -> int:
        if table not in tables:
            return 0
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        # Reader data (schema 5 on) keeps tombstones: count only the live records.
        live = " WHERE deleted_at IS NULL" if "deleted_at" in columns else ""
        return int(conn.execute(f"SELECT count(*) FROM {table}{live}").fetchone()[0])

    return BackupContents(version, count("cases"), count("notes"), count("bookmarks"))


def check_backup(path: Path) -> None:
    """Raises LibraryError unless the file passes SQLite's integrity check."""

    def integrity(conn: sqlite3.Connection) -> None:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise LibraryError(f"{path} is damaged ({verdict})")

    _read_checked(path, integrity, "is unreadable: {error}")


def check_restorable(path: Path, newest_version: int) -> BackupContents:
    """Checks a backup where it lies, read-only: everything `checked_copy` checks but the
    search indexes (their check needs a writable copy). For choosing a backup to offer.

    Raises:
        LibraryError: it cannot be restored; the message says why.
    """

    def restorable(conn: sqlite3.Connection) -> BackupContents:
        found = verify.problems(conn, newest_version, search_indexes=False)
        if found:
            raise _refusal(path, found)
        return _contents(conn)

    return _read_checked(
        path, restorable, "is damaged or unreadable ({error}): it cannot be restored"
    )


def _read_checked(path: Path, work: Callable[[sqlite3.Connection], T], unreadable: str) -> T:
    """Runs `work` on the file opened read-only, once it is known to be a regular file;
    an SQLite error becomes a LibraryError saying `{path} <unreadable>`."""
    problem = verify.file_problem(path)
    if problem is not None:
        raise NotALibrary(problem)
    try:
        conn = _open_read_only(path)
        try:
            return work(conn)
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise LibraryError(f"{path} {unreadable.format(error=error)}") from None


def scratch_path(library_path: Path) -> Path:
    """Where a restore checks its copy of a backup: in the backups folder, named like a
    temporary file so that a crash leaves nothing `remove_stale_temporaries` keeps."""
    return backup_folder(library_path) / f"restore-{os.getpid()}.db.tmp"


def remove_scratch(scratch: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)


def checked_copy(
    source: Path, scratch: Path, newest_version: int, page_size: int | None = None
) -> BackupContents:
    """Copies a backup through SQLite into `scratch` and checks the copy in full: what is
    checked is exactly what a restore then copies in, whatever happens to `source`.

    Checked: a regular file (never opened otherwise), our application id, a schema version
    from 1 to `newest_version`, every table, index and trigger of that version and nothing
    else, integrity, foreign keys and the search indexes. With `page_size`, the copy is
    rewritten to that page size when it differs (SQLite copies into a WAL library only
    between equal page sizes).

    Raises:
        NotALibrary: not a regular file, or not a Lightbox library.
        LibraryError: damaged, incomplete, altered or too new, in words; or unreadable.
    """
    problem = verify.file_problem(source)
    if problem is not None:
        raise NotALibrary(problem)
    remove_scratch(scratch)
    try:
        scratch.parent.mkdir(parents=True, exist_ok=True)
        origin = _open_read_only(source)
        try:
            app_id = origin.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise NotALibrary(f"{source} is not a Lightbox library")
            version = int(origin.execute("PRAGMA user_version").fetchone()[0])
            if version > newest_version:
                raise LibraryTooNew(
                    f"{source} was made by a newer Lightbox (schema {version}; this version"
                    f" reads up to {newest_version}): update Lightbox to restore it"
                )
            copy = sqlite3.connect(scratch, isolation_level=None)
            try:
                origin.backup(copy)
            finally:
                copy.close()
        finally:
            origin.close()
        copy = sqlite3.connect(scratch, isolation_level=None)
        try:
            copy.execute("PRAGMA trusted_schema=OFF")
            copy.execute("PRAGMA journal_mode=DELETE")
            found = verify.problems(copy, newest_version)
            if found:
                raise _refusal(source, found)
            if page_size and copy.execute("PRAGMA page_size").fetchone()[0] != page_size:
                copy.execute(f"PRAGMA page_size={int(page_size)}")
                copy.execute("VACUUM")
            return _contents(copy)
        finally:
            copy.close()
    except sqlite3.Error as error:
        remove_scratch(scratch)
        if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL":
            raise StorageUnavailable(
                f"disk full: no room to check {source} before restoring it; nothing was changed"
            ) from None
        raise LibraryError(
            f"{source} is damaged or unreadable ({error}): it cannot be restored"
        ) from None
    except BaseException:
        remove_scratch(scratch)
        raise


def _refusal(source: Path, found: list[str]) -> LibraryError:
    more = f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""
    return LibraryError(f"{source} cannot be restored: {found[0]}{more}")


def _open_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA trusted_schema=OFF")
    return conn


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
