"""Imports case files, folders and zip archives into a library, and reports what happened.

Each case is stored whole or not at all (a savepoint per case inside batch transactions, so
a bulk import does not pay one disk flush per case). A file that fails is reported with its
path and reason, and the import goes on. Everything is read with bounded reads: limits are
checked before a byte is parsed, and nothing is ever extracted to disk.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import stat
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.errors import CaseFormatError
from desktop.formats.eurorad_text import parse_eurorad_text
from desktop.model import Case, CaseId
from desktop.store.changes import Changes
from desktop.store.errors import LibraryError, StorageUnavailable
from desktop.store.library import Library

#: Largest case file read, in bytes (a real case is under 100 KB).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Zip limits: entries, total uncompressed bytes, and compression ratio per entry.
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100
#: Suffixes taken as case files inside folders and archives (named files are always tried).
CASE_SUFFIXES = frozenset({".txt"})
#: Commit a batch after this many cases or seconds, whichever comes first. Batches start
#: small and double, so the reader gets to parse ahead early in short imports too.
FIRST_BATCH_CASES = 125
BATCH_CASES = 500
BATCH_SECONDS = 1.0


@dataclass
class ImportReport:
    """What an import did, file by file.

    Attributes:
        imported: Cases new to the library.
        updated: Cases already there whose text changed (same id, reader's work kept).
        unchanged: Cases already there with identical text.
        failed: (path, reason) for each file that could not be imported.
        warnings: (path, message) for files imported with something to check.
        shrunk: (path, message) for each update that dropped more than a third of its
            case's text, or lacked fields the case had (kept from it): the message names
            the case, what was kept, and the version holding the earlier text.
        skipped: Files in folders or archives that are not case files.
        cancelled: True if the import stopped early on request.
        backup: The backup taken before the first existing case was changed, if any.
    """

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    shrunk: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    cancelled: bool = False
    backup: Path | None = None
    changes: Changes = field(default_factory=Changes)

    @property
    def total(self) -> int:
        return self.imported + self.updated + self.unchanged + len(self.failed)

    def summary(self) -> str:
        text = (
            f"{self.imported} imported, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.failed)} failed"
        )
        if self.skipped:
            text += f", {len(self.skipped)} skipped (not case files)"
        if self.cancelled:
            text += " — cancelled"
        return text


@dataclass(frozen=True, slots=True)
class _Source:
    """One candidate case file: a display path and a way to read its bytes (bounded)."""

    name: str
    read: Callable[[], bytes]


class _Refused(Exception):
    """A path or archive refused as a whole (the message is the reason)."""


@dataclass(frozen=True, slots=True)
class _Note:
    """Something to report about a path that yields no case: a failure or a skipped file."""

    name: str
    reason: str | None = None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class _Parsed:
    """One file read and parsed: the case, or why not, and any warning."""

    name: str
    case: Case | None
    failure: str | None = None
    warning: str | None = None


_Item = _Source | _Note
_Done = object()
Progress = Callable[[int, str], None]


def import_paths(
    library: Library,
    paths: list[Path],
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    now: dt.datetime | None = None,
    batch_seconds: float = BATCH_SECONDS,
) -> ImportReport:
    """Imports every case found under `paths` into `library`.

    Files are read and parsed on a helper thread while this one stores: SQLite releases the
    interpreter lock while it indexes, so the two overlap. Only this thread touches the
    library.

    Args:
        paths: Files, folders (walked recursively) and zip archives.
        progress: Called with (files done, current path) after each file.
        cancelled: Polled between files; when it returns True, the import stops and keeps
            everything stored so far.
        now: Import time to record (tests pass a fixed one).
        batch_seconds: Longest a batch transaction stays open; the app passes less, so its
            own saves (notes) never wait long for the import's write lock.

    Raises:
        StorageUnavailable: the library cannot be written (disk full, read-only); work
            committed before stays.
    """
    run = _Run(library, now or dt.datetime.now(dt.UTC))
    reader = _Reader(_sources(paths))
    reader.start()
    try:
        _store_all(run, reader, progress, cancelled, batch_seconds)
    finally:
        reader.stop()
    run.report.changes = Changes(cases=frozenset(run.changed))
    run.report.backup = run.backup
    return run.report


def _store_all(
    run: _Run,
    reader: _Reader,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
    batch_seconds: float,
) -> None:
    """Stores what the reader parses, in batch transactions, until it is done or cancelled."""
    done = 0
    finished = False
    batch = FIRST_BATCH_CASES
    while not finished:
        started = time.monotonic()
        with run.library.transaction():
            for _ in range(batch):
                if cancelled is not None and cancelled():
                    run.report.cancelled = True
                    finished = True
                    break
                item = reader.next()
                if item is _Done:
                    finished = True
                    break
                if isinstance(item, _Note):
                    run.note(item)
                    continue
                assert isinstance(item, _Parsed)
                run.take(item)
                done += 1
                if progress is not None:
                    progress(done, item.name)
                if time.monotonic() - started > batch_seconds:
                    break
            # SQLite indexes and commits without holding the interpreter lock: the reader
            # parses ahead meanwhile, and waits while this thread runs Python code.
            reader.resume()
            run.library.index_pending()
        reader.pause()
        batch = min(2 * batch, BATCH_CASES)


class _Reader(threading.Thread):
    """Reads, decodes and parses case files ahead of the storing thread.

    Items come out in order through a bounded queue; an unexpected error is passed along and
    raised in the storing thread. Two threads running Python code at once slow each other
    down (the interpreter lock), so the reader only parses while the storing thread waits on
    SQLite (`resume`/`pause`) or for the next item.
    """

    def __init__(self, items: Iterator[_Item]):
        super().__init__(name="lightbox-import-reader", daemon=True)
        self._items = items
        self._queue: queue.Queue[object] = queue.Queue(maxsize=4 * BATCH_CASES)
        self._stopping = threading.Event()
        self._running = threading.Event()

    def run(self) -> None:
        try:
            for item in self._items:
                self._running.wait()
                self._put(_parse(item) if isinstance(item, _Source) else item)
                if self._stopping.is_set():
                    return
        except BaseException as error:  # handed to the storing thread, which raises it
            self._put(error)
        finally:
            self._put(_Done)

    def next(self) -> object:
        try:
            item = self._queue.get_nowait()
        except queue.Empty:
            self.resume()
            item = self._queue.get()
            self.pause()
        if isinstance(item, BaseException):
            raise item
        return item

    def resume(self) -> None:
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def stop(self) -> None:
        """Stops reading ahead (on cancel or error) and waits for the thread to end."""
        self._stopping.set()
        self._running.set()
        while self.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.join()

    def _put(self, item: object) -> None:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue


class _Run:
    """The state of one import: its report, and which cases it stored from which file."""

    def __init__(self, library: Library, stamp: dt.datetime):
        self.library = library
        self.stamp = stamp
        self.report = ImportReport()
        self.changed: set[CaseId] = set()
        self.backup: Path | None = None
        self._seen: dict[CaseId, str] = {}

    def _backup_once(self) -> None:
        """Backs up the library before this import first changes a case already in it."""
        if self.backup is None:
            self.backup = self.library.backup("pre-import")

    def note(self, note: _Note) -> None:
        if note.skipped:
            self.report.skipped.append(note.name)
        else:
            self.report.failed.append((note.name, note.reason or "failed"))

    def take(self, parsed: _Parsed) -> None:
        if parsed.case is None:
            self.report.failed.append((parsed.name, parsed.failure or "failed"))
            return
        if parsed.warning:
            self.report.warnings.append((parsed.name, parsed.warning))
        self.store(parsed.name, parsed.case)

    def store(self, name: str, case: Case) -> None:
        """Stores one case in its own savepoint; a refusal (duplicate DOI) fails this file only."""
        try:
            stored = self.library.store_case(
                case, self.stamp, self._backup_once, replaced_by=f"import of {name}"
            )
        except StorageUnavailable:
            raise
        except LibraryError as error:
            self.report.failed.append((name, str(error)))
            return
        if stored.outcome == "imported":
            self.report.imported += 1
        elif stored.outcome == "updated":
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        if stored.outcome != "unchanged":
            self.changed.add(stored.case_id)
        if stored.notice is not None:
            self.report.shrunk.append((name, stored.notice))
        earlier = self._seen.get(stored.case_id)
        if earlier is not None:
            self.report.warnings.append(
                (name, f"same case ({case.key}) as {earlier}, imported earlier in this run")
            )
        self._seen[stored.case_id] = name


def count_case_files(paths: list[Path]) -> int:
    """How many files an import of `paths` will read (for a progress bar); reads none."""
    return sum(1 for item in _sources(paths) if isinstance(item, _Source))


def _parse(source: _Source) -> _Parsed:
    try:
        decoded = decode_case_bytes(source.read())
        case = parse_eurorad_text(decoded.text)
    except (CaseFormatError, _Refused) as error:
        return _Parsed(source.name, None, failure=str(error))
    except OSError as error:
        return _Parsed(source.name, None, failure=f"cannot read: {error.strerror or error}")
    return _Parsed(source.name, case, warning=decoded.warning)


def _sources(paths: list[Path]) -> Iterator[_Item]:
    for path in paths:
        try:
            info = path.lstat()
        except OSError as error:
            yield _Note(str(path), error.strerror or str(error))
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _folder_sources(path)
        elif _is_zip(path, info):
            yield from _zip_sources(path)
        else:
            yield _Source(str(path), partial(_read_file, path))


def _folder_sources(folder: Path) -> Iterator[_Item]:
    """Case files under a folder, sorted; symbolic links are not followed (no loops)."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs):
            if Path(root, name).is_symlink():
                yield _Note(f"{Path(root, name)} (symbolic link, not followed)", skipped=True)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not Path(root, d).is_symlink()
        )
        for name in sorted(files):
            path = Path(root, name)
            if name.startswith("."):
                continue
            if path.is_symlink():
                yield _Note(f"{path} (symbolic link, not followed)", skipped=True)
            elif path.suffix.lower() == ".zip":
                yield from _zip_sources(path)
            elif path.suffix.lower() in CASE_SUFFIXES:
                yield _Source(str(path), partial(_read_file, path))
            else:
                yield _Note(str(path), skipped=True)


def _read_file(path: Path) -> bytes:
    """Reads a regular file of at most MAX_FILE_BYTES, never blocking on a FIFO or device."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise _Refused(_too_large(info.st_size))
        chunks = []
        remaining = MAX_FILE_BYTES + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise _Refused(_too_large(len(data)))
    return data


def _too_large(size: int) -> str:
    return f"file too large ({size / 1048576:.1f} MB; a case file is at most 5 MB)"


def _is_zip(path: Path, info: os.stat_result) -> bool:
    if not stat.S_ISREG(info.st_mode):
        return False
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _zip_sources(path: Path) -> Iterator[_Item]:
    """Case files in a zip, after checking the whole archive against the limits."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        yield _Note(str(path), f"not a readable zip archive ({error})")
        return
    with archive:
        try:
            members = _checked_members(archive)
        except _Refused as error:
            yield _Note(str(path), str(error))
            return
        for member in members:
            name = f"{path}!/{member.filename}"
            if PurePosixPath(member.filename).suffix.lower() not in CASE_SUFFIXES:
                yield _Note(name, skipped=True)
                continue
            yield _Source(name, partial(_read_member, archive, member))


def _checked_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_ENTRIES:
        raise _Refused(f"zip has {len(members)} entries (at most {MAX_ZIP_ENTRIES})")
    total = sum(m.file_size for m in members)
    if total > MAX_ZIP_BYTES:
        raise _Refused(f"zip would unpack to {total / 1048576:.0f} MB (at most 100 MB)")
    seen: set[str] = set()
    for member in members:
        name = member.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise _Refused(f"zip entry {name!r} points outside the archive")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise _Refused(f"zip entry {name!r} is a symbolic link")
        if member.flag_bits & 0x1:
            raise _Refused(f"zip entry {name!r} is encrypted")
        if member.file_size > 1_000_000 and member.file_size > MAX_ZIP_RATIO * max(
            member.compress_size, 1
        ):
            raise _Refused(
                f"zip entry {name!r} expands {member.file_size // max(member.compress_size, 1)}"
                f" times (at most {MAX_ZIP_RATIO}): a zip bomb?"
            )
        if name in seen:
            raise _Refused(f"zip has two entries named {name!r}")
        seen.add(name)
    return members


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """Reads one entry with a byte counter: the header's size is not trusted."""
    if member.file_size > MAX_FILE_BYTES:
        raise _Refused(_too_large(member.file_size))
    try:
        with archive.open(member) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, ValueError) as error:
        raise _Refused(f"damaged zip entry ({error})") from None
    if len(data) > MAX_FILE_BYTES:
        raise _Refused(_too_large(len(data)))
    return data
