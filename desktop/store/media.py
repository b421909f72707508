"""Figure images: files in the library's media folder, each stored once, named by its hash.

Where images live, and why:

* ``media/`` beside the library (as ``backups/`` is), one file per distinct image, at
  ``media/<SHA-256 of its bytes>``. The same image imported twice, or by two cases, is one
  file. A case's ``figures`` JSON names its images by hash. One flat folder, as Anki keeps
  its media: today's file systems index large folders, and a new library's first import
  spent as long making and filling up to 256 sub-folders as writing its images (schema 10
  kept ``media/<first two hex digits>/<hash>``; migration 11 moves those files up).
* Files are immutable. A new image is written straight under its name, created
  exclusively; one found under its name with other bytes (damaged) is replaced whole (a
  temporary file renamed into place). Every image is flushed to disk before the
  transaction that names it commits: a kill or a power cut at any moment leaves no case
  naming a missing or partial image, at worst a file nothing names yet.
* Backups hold the database only, so a daily backup stays a few megabytes whatever the
  images weigh. A file is deleted only by `sweep`, and only when neither the library, nor
  an earlier text of one of its cases, nor any backup beside it, nor another library in
  its folder names it, and it is older than a day (an import in another process may have
  written it and not yet committed). So a restored backup shows every figure it had.
* `problems` (``lightbox check``) reports named images that are missing or whose bytes no
  longer match their hash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from desktop.store.errors import StorageUnavailable

__all__ = [
    "MEDIA_FOLDER",
    "SWEEP_GRACE",
    "ImageBatch",
    "ImageGroup",
    "MediaStore",
    "flatten_folders",
    "image_name",
    "is_digest",
    "media_folder",
    "names_around",
    "names_by_case",
    "names_in",
    "sweep_library",
]

MEDIA_FOLDER = "media"
#: A file younger than this is never swept: an import may be about to commit it.
SWEEP_GRACE = dt.timedelta(days=1)
_TEMPORARY = "tmp"
#: Files an `ImageBatch` flushes at once.
FLUSH_THREADS = 8
_HEX = frozenset("0123456789abcdef")
_WINDOWS = os.name == "nt"
#: How often, and how far apart in seconds, a file held open by another writer is tried
#: again before the import says it cannot be written (Windows only).
_REPLACE_TRIES = 50
_REPLACE_WAIT = 0.1


def media_folder(library_path: Path) -> Path:
    return library_path.parent / MEDIA_FOLDER


def image_name(data: bytes) -> str:
    """The name an image is kept under: the SHA-256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def is_digest(text: str) -> bool:
    """Whether `text` is a SHA-256 hex digest (what figures name their images by)."""
    return len(text) == 64 and set(text) <= _HEX


class MediaStore:
    """The media folder of one library.

    Attributes:
        folder: Where the files are (created on the first `put`).
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, digest: str) -> Path:
        """Where the image with this hash is (or would be) kept."""
        if not is_digest(digest):
            raise ValueError(f"not an image hash: {digest!r}")
        return self.folder / digest

    def has(self, digest: str) -> bool:
        return is_digest(digest) and self.path(digest).is_file()

    def put(self, data: bytes) -> str:
        """Keeps `data` (once: an image already kept is not written again); its hash.

        The file is complete and flushed to disk when this returns. Safe to call from
        several threads at once.

        Raises:
            StorageUnavailable: the file could not be written (disk full, read-only).
        """
        batch = self.batch()
        digest = batch.put(data)
        batch.flush()
        return digest

    def batch(self) -> ImageBatch:
        """A batch of images to write now and flush together (see `ImageBatch`)."""
        return ImageBatch(self)

    def _write(self, data: bytes, digest: str) -> Path:
        """Keeps `data` under `digest`, not flushed; the file's path. The caller flushes it
        (`ImageBatch`) before anything naming it commits.

        A new image is written straight under its name, in a file this call creates: no
        case names it until it is flushed, so a kill meanwhile leaves only a partial file
        nothing names (swept in time, or replaced by the next import of the image). A file
        found under the name is compared with `data`, and replaced whole if it differs.
        """
        target = self.path(digest)
        try:
            for attempt in range(_REPLACE_TRIES):
                if self._create(target, data) or _kept_already(target, data):
                    break
                try:
                    self._replace(target, data, digest)
                    break
                except PermissionError:
                    # Windows replaces no file another writer holds open: the same image
                    # being written by another thread or process, whole in a moment.
                    if not _WINDOWS or attempt == _REPLACE_TRIES - 1:
                        raise
                    time.sleep(_REPLACE_WAIT)
        except OSError as error:
            raise self._unavailable(error) from error
        return target

    def _create(self, target: Path, data: bytes) -> bool:
        """Writes `data` to a new file at `target`; False if a file has that name already.

        The file is closed once written, not when flushed: a flush falling behind on a slow
        disk must not hold a descriptor an image (a process may open only so many).
        """
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except FileExistsError:
            return False
        except FileNotFoundError:  # the first image (or the folder was deleted)
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(target, flags, 0o644)
            except FileExistsError:
                return False
        try:
            _write_all(fd, data)
        except BaseException:
            written = os.fstat(fd)
            os.close(fd)  # first: Windows removes no file that is open
            _remove_if_same(target, written)
            raise
        os.close(fd)
        return True

    def _replace(self, target: Path, data: bytes, digest: str) -> None:
        """Replaces the file at `target` with `data`, whole: a temporary file renamed into
        place, so a program showing the image meanwhile reads the old file or the new."""
        # Named for this thread: two threads may keep the same image at once.
        writer = f"{os.getpid()}-{threading.get_ident()}"
        temporary = self.folder / _TEMPORARY / f"{digest}.{writer}.tmp"
        try:
            handle = temporary.open("wb", buffering=0)
        except FileNotFoundError:
            temporary.parent.mkdir(parents=True, exist_ok=True)
            handle = temporary.open("wb", buffering=0)
        try:
            with handle:
                _write_all(handle.fileno(), data)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _unavailable(self, error: OSError) -> StorageUnavailable:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return StorageUnavailable(
                f"disk full: a figure's image could not be written in {self.folder}"
            )
        return StorageUnavailable(
            f"could not write a figure's image in {self.folder}: {error.strerror or error}"
        )

    def problem(self, digest: str) -> str | None:
        """What is wrong with a named image's file: missing, unreadable, or changed."""
        try:
            path = self.path(digest)
        except ValueError:
            return f"{digest!r} is not an image hash"
        try:
            hasher = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    hasher.update(chunk)
        except FileNotFoundError:
            return f"image {digest} is missing from {self.folder}"
        except OSError as error:
            return f"image {digest} cannot be read: {error.strerror or error}"
        if hasher.hexdigest() != digest:
            return f"image {digest} is damaged: its bytes no longer match its hash"
        return None

    def files(self) -> Iterator[Path]:
        """Every kept image file (not temporaries)."""
        try:
            entries = sorted(os.scandir(self.folder), key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if is_digest(entry.name) and entry.is_file(follow_symlinks=False):
                yield Path(entry.path)

    def sweep(self, named: Iterable[str], now: float | None = None) -> list[Path]:
        """Deletes image files nothing names that are older than `SWEEP_GRACE`, and
        temporaries as old (left by a crash); returns what it deleted.

        Args:
            named: Every hash something still names (see `names_around`).
            now: The time to compare file ages with (tests pass one), as `time.time()`.
        """
        keep = set(named)
        cutoff = (time.time() if now is None else now) - SWEEP_GRACE.total_seconds()
        removed: list[Path] = []
        candidates = [p for p in self.files() if p.name not in keep]
        temporary = self.folder / _TEMPORARY
        if temporary.is_dir():
            candidates.extend(temporary.iterdir())
        for path in candidates:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue  # gone already, or not ours to delete: left for the next sweep
        return removed


class ImageBatch:
    """Images kept for one transaction: each is written when `put` and starts flushing to
    disk at once, on threads of the batch's own; `flush`, which the caller runs before it
    commits anything naming them, waits for them all.

    Flushing many files at once lets the file system write them in a few journal commits,
    where flushing each in turn costs a disk round trip an image; starting as each is
    written lets the flushes go on while the caller parses and stores. A `group` of images
    (a case's) is handed to the flushing threads at once: a hand-off between threads costs
    more here than writing a small image. Every image the batch names is flushed, those
    found kept already too: another import may have written one and not yet flushed it.

    Safe to use from several threads at once (a group, from the thread that made it).
    """

    def __init__(self, store: MediaStore):
        self._store = store
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._flushing: list[Future[None]] = []

    def put(self, data: bytes, digest: str | None = None) -> str:
        """Keeps `data`, not yet flushed; its hash (`digest`, when the caller has it).

        Raises:
            StorageUnavailable: the file could not be written (disk full, read-only).
        """
        with self.group() as group:
            return group.put(data, digest)

    @contextlib.contextmanager
    def group(self) -> Iterator[ImageGroup]:
        """Images put one after another, whose flushes start together when the group ends
        (however it ends: a file written is always flushed)."""
        group = ImageGroup(self._store)
        try:
            yield group
        finally:
            if group.written:
                with self._lock:
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(FLUSH_THREADS, "lightbox-image-flush")
                    self._flushing.append(self._pool.submit(_flush_written, group.written))

    def flush(self) -> None:
        """Waits until the images put since the last flush are on disk, with their entries
        in the media folder (and the media folder's in its parent, when it is new).

        Raises:
            StorageUnavailable: one could not be flushed: nothing may name them yet.
        """
        with self._lock:
            pool, self._pool = self._pool, None
            flushing, self._flushing = self._flushing, []
        if pool is None:
            return
        pool.shutdown(wait=True)
        media = self._store.folder
        try:
            for job in flushing:
                job.result()
            _fsync_folder(media)
            _fsync_folder(media.parent)
        except OSError as error:
            raise self._store._unavailable(error) from error

    def close(self) -> None:
        """Waits for the flushes started, without asking how they went: for an import that
        stops (cancelled, failed) and will commit nothing naming the images not flushed."""
        with self._lock:
            pool, self._pool, self._flushing = self._pool, None, []
        if pool is not None:
            pool.shutdown(wait=True)


class ImageGroup:
    """Images put by one thread, flushed together (see `ImageBatch.group`).

    Attributes:
        written: Each image's file.
    """

    def __init__(self, store: MediaStore):
        self._store = store
        self.written: list[Path] = []

    def put(self, data: bytes, digest: str | None = None) -> str:
        """Keeps `data`, not yet flushed; its hash (see `ImageBatch.put`)."""
        digest = digest or image_name(data)
        self.written.append(self._store._write(data, digest))
        return digest


def _flush_written(written: list[Path]) -> None:
    """Flushes files just written."""
    for path in written:
        _fsync_file(path)


#: Figures JSON that may name an image (a cheap filter before it is parsed).
_NAMES_AN_IMAGE = 'LIKE \'%"image": "%\' OR {column} LIKE \'%"image":"%\''


def names_in(conn: sqlite3.Connection) -> set[str]:
    """The image hashes a library names: its cases' figures and their earlier texts'."""
    names = set(names_by_case(conn))
    has_versions = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'case_versions'"
    ).fetchone()
    if has_versions:
        rows = conn.execute(
            "SELECT json_extract(f.value, '$.image')"
            " FROM case_versions, json_each(case_versions.case_json, '$.figures') AS f"
            f" WHERE case_json {_NAMES_AN_IMAGE.format(column='case_json')}"
        )
        names.update(row[0] for row in rows if isinstance(row[0], str))
    return {name for name in names if is_digest(name)}


def names_by_case(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """The image hashes the library's cases name now, each with the keys of its cases."""
    named: dict[str, set[str]] = {}
    rows = conn.execute(
        "SELECT cases.source || ':' || cases.source_id, json_extract(f.value, '$.image')"
        " FROM cases, json_each(cases.figures) AS f"
        f" WHERE cases.figures {_NAMES_AN_IMAGE.format(column='cases.figures')}"
    )
    for key, digest in rows:
        if isinstance(digest, str):
            named.setdefault(digest, set()).add(key)
    return named


def names_in_file(path: Path) -> set[str] | None:
    """The image hashes a library or backup file names; None if it cannot be read as one
    (then a sweep must keep everything: it cannot tell what the file needs)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        has_cases = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cases'"
        ).fetchone()
        if not has_cases:
            return set()
        return names_in(conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def names_around(library_path: Path) -> set[str] | None:
    """Every image hash named by the library and by every other SQLite file that may hold
    a library or a backup of one: in its folder (whatever its name), in its backups folder
    and in the ``damaged-*`` folders a recovery left; None when one of them cannot be read
    (then nothing may be swept)."""
    from desktop.store.backup import backup_folder  # backup imports nothing of this module

    folders = [library_path.parent, backup_folder(library_path)]
    folders += sorted(p for p in library_path.parent.glob("damaged-*") if p.is_dir())
    files = [library_path]
    for folder in folders:
        if folder.is_dir():
            files += [p for p in sorted(folder.iterdir()) if p != library_path and _is_sqlite(p)]
    names: set[str] = set()
    for path in files:
        found = names_in_file(path)
        if found is None:
            return None
        names |= found
    return names


def _is_sqlite(path: Path) -> bool:
    """Whether `path` is a regular file starting as every SQLite database does."""
    try:
        if not path.is_file() or path.is_symlink():
            return False
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return True  # unreadable: counted, so the sweep stops rather than guesses


def sweep_library(library_path: Path, now: float | None = None) -> list[Path]:
    """Sweeps the library's media folder (see `MediaStore.sweep`); deletes nothing when a
    library or backup beside it cannot be read."""
    store = MediaStore(media_folder(library_path))
    if not store.folder.is_dir():
        return []
    named = names_around(library_path)
    if named is None:
        return []
    return store.sweep(named, now)


def flatten_folders(folder: Path) -> int:
    """Moves images from schema 10's layout (``media/<first two hex digits>/<hash>``) to
    ``media/<hash>``, flushed; returns how many it moved. Sub-folders left empty are
    removed; one holding anything else is left as it is.

    Safe to run again after a failure or a kill, and at the same time in two processes (two
    libraries in one folder share their media folder): an image is valid at ``media/<hash>``
    whatever the schema, so nothing is ever moved back, and one another process moved
    first is moved already.

    Raises:
        OSError: one could not be moved (those moved before stay moved).
    """
    try:
        subfolders = [
            Path(entry.path)
            for entry in os.scandir(folder)
            if len(entry.name) == 2 and set(entry.name) <= _HEX and entry.is_dir()
        ]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    moved = 0
    for sub in subfolders:
        try:
            names = sorted(os.listdir(sub))
        except FileNotFoundError:
            continue  # emptied and removed by another process
        for name in names:
            if is_digest(name) and name.startswith(sub.name):
                try:
                    os.replace(sub / name, folder / name)
                except FileNotFoundError:
                    continue  # another process moved it
                moved += 1
    # Flushed before the caller's migration commits: after a power cut, a library at
    # schema 11 finds its images where schema 11 looks.
    for sub in subfolders:
        _fsync_folder(sub)
    _fsync_folder(folder)
    for sub in subfolders:
        try:
            os.rmdir(sub)
        except OSError:
            pass  # not empty (nothing of ours is left in it), or removed already
    return moved


def _kept_already(target: Path, data: bytes) -> bool:
    """Whether the image is kept already, byte for byte (a damaged copy is written again:
    importing its case again repairs it); if so, it is made young again, so a sweep before
    the caller's transaction commits leaves it (the grace), though nothing names it yet.

    A sweep (another process's) may delete the file at any moment in between: then it is
    not kept, and the caller writes it again.
    """
    try:
        if not target.is_file() or target.stat().st_size != len(data):
            return False
        if target.read_bytes() != data:
            return False
    except OSError:
        return False
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot be touched (read-only): nor swept
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _remove_if_same(path: Path, written: os.stat_result) -> None:
    """Removes the file at `path` if it is still the one `written` describes (the partial
    file of a failed write), not one another import renamed over it meanwhile."""
    try:
        found = path.stat()
        if (found.st_dev, found.st_ino) == (written.st_dev, written.st_ino):
            path.unlink()
    except OSError:
        pass  # gone already; or left for the next import of the image, or the sweep


def _fsync_file(path: Path) -> None:
    try:
        # Windows flushes only a handle open for writing.
        fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    except FileNotFoundError:
        # Found kept already, then deleted by a sweep whose look at its age came before
        # `put` made it young again: a case may name it missing (`lightbox check` says
        # so; importing the case again writes it), as when the sweep comes a moment later.
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a platform without directory handles (Windows): rename is durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
