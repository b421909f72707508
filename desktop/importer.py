"""Imports case files, folders and zip archives into a library, and reports what happened.

Each case is stored whole or not at all (a savepoint per case inside batch transactions, so
a bulk import does not pay one disk flush per case). A file that fails is reported with its
path and reason, and the import goes on. Everything is read with bounded reads: limits are
checked before a byte is parsed, and nothing is ever extracted to disk.

Which format a file or folder is in is the registry's answer (`desktop.formats.registry`):
a folder a data set format recognises (MedPix 2.0) is imported as that data set, whole;
any other folder is walked, and each file in it is offered to the file formats by its
content. A case's figures have their images read, checked (`desktop.image_info`) and kept
in the library's media folder before the case is stored, so no stored case ever names an
image that is not on disk; an image that is missing or not an image leaves its figure
with its legend and the reason, and a warning.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime as dt
import os
import queue
import re
import stat
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from desktop.formats import registry
from desktop.formats.decoding import decode_case_bytes
from desktop.formats.errors import CaseFormatError
from desktop.formats.eurorad_text import EURORAD_TEXT
from desktop.formats.registry import (
    HEAD_BYTES,
    NOT_A_FORMAT,
    ZIP_READ_ERRORS,
    DataSetFormat,
    FileTree,
    FolderTree,
    ImageSource,
    Parsed,
    ParseFailure,
    SourceRefused,
    ZipTree,
    read_bounded,
    read_member,
)
from desktop.image_info import ImageInfo, NotAnImage, image_info
from desktop.model import Case, CaseId, Figure
from desktop.store.backup import source_label
from desktop.store.changes import Changes
from desktop.store.errors import LibraryError, StorageUnavailable
from desktop.store.library import Library
from desktop.store.media import ImageBatch, ImageGroup, MediaStore

#: Largest case file read, in bytes (a real case is under 100 KB).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Zip limits: entries, total uncompressed bytes, and compression ratio per entry.
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100
#: The same for a zip holding a data set (thousands of images; each image is read with a
#: bound of its own): the whole MedPix 2.0 set is 671 cases and 2,050 images, 323 MB.
MAX_DATA_SET_ZIP_ENTRIES = 100_000
MAX_DATA_SET_ZIP_BYTES = 8 * 1024 * 1024 * 1024
#: Suffixes of text case files: one no format recognises is parsed anyway (a damaged case
#: is reported with the parser's reason) when it was named, or when it reads like a case
#: (`_reads_like_a_case`). Other files in folders and archives are offered to the formats
#: by their first bytes, and skipped when none recognises them: a README.txt as a .tsv.
CASE_SUFFIXES = frozenset({".txt"})
#: What a damaged text case still has: a CASE line, or a heading its body starts with.
_CASE_MARKS = re.compile(
    r"^[ \t]*(?:CASE[ \t]+(?:\d|[a-z][a-z0-9_-]*:\w)|(?i:clinical history|imaging findings)"
    r"[ \t]*:?[ \t]*$)",
    re.MULTILINE,
)
#: Most pixels a figure's image may declare: what Qt decodes within its default 256 MB
#: allocation limit at 4 bytes a pixel (8192 × 8192). A larger one (a "PNG bomb": a small
#: file claiming 30000 × 30000) would never be shown, so it is not kept (SAFETY C10).
MAX_IMAGE_PIXELS = 256 * 1024 * 1024 // 4
#: Commit a batch after this many cases or seconds, whichever comes first. Batches start
#: small and double, so the reader gets to parse ahead early in short imports too.
FIRST_BATCH_CASES = 125
BATCH_CASES = 500
BATCH_SECONDS = 1.0
#: Threads that read, check and keep figure images, and how many cases of a data set have
#: their images kept in one wave before any of them is stored (each holds its parsed text
#: only: an image's bytes are let go once written). Storing cases while images are being
#: read and written slowed both (they take turns at the interpreter lock): in waves, the
#: MedPix import took 142 ms against 152 (median of 30 runs, 22 faster).
IMAGE_THREADS = 4
IMAGE_WAVE = 40


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
        skipped: Files in folders or archives in no format Lightbox reads.
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
            text += f", {len(self.skipped)} skipped ({NOT_A_FORMAT})"
        if self.cancelled:
            text += " — cancelled"
        return text


@dataclass(frozen=True, slots=True)
class _Source:
    """One candidate case file: a display path and a way to read its bytes (bounded).

    Attributes:
        named: The reader named this file (not found by walking a folder): a file in no
            format is then a failure, not a skip.
        text: A text case file by its suffix: parsed as Eurorad text when no format
            recognises it, so a damaged case file is reported with the parser's reason.
    """

    name: str
    read: Callable[[], bytes]
    named: bool = False
    text: bool = True
    peek: Callable[[], bytes] | None = None


@dataclass(frozen=True, slots=True)
class _DataSet:
    """A folder (or a folder in a zip) that a data set format recognises."""

    tree: FileTree
    format: DataSetFormat


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
    """One file read and parsed: the case (its images kept), or why not, and any warnings."""

    name: str
    case: Case | None
    failure: str | None = None
    warnings: tuple[str, ...] = ()


_Item = _Source | _DataSet | _Note
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
    run = _Run(library, now or dt.datetime.now(dt.UTC), source_label(paths))
    reader = _Reader(_sources(paths), library.media)
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

    def stop_asked() -> bool:
        if cancelled is not None and cancelled():
            run.report.cancelled = True
        return run.report.cancelled

    while not finished:
        started = time.monotonic()
        with run.library.transaction():
            for _ in range(batch):
                if stop_asked():
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
            # parses ahead meanwhile (unless this is the last batch, or a cancel came while
            # the batch was stored), and waits while this thread runs Python code.
            finished = finished or stop_asked()
            if not finished:
                reader.resume()
            # The images this batch's cases name are written already; they are flushed to
            # disk here, all at once, before the commit names them.
            reader.images.flush()
            run.library.index_pending()
        reader.pause()
        batch = min(2 * batch, BATCH_CASES)


class _Reader(threading.Thread):
    """Reads, decodes and parses case files ahead of the storing thread.

    Items come out in order through a bounded queue; an unexpected error is passed along and
    raised in the storing thread. Two threads running Python code at once slow each other
    down (the interpreter lock), so the reader only parses while the storing thread waits on
    SQLite (`resume`/`pause`) or for the next item (`next` lets it hand on exactly one).
    """

    def __init__(self, items: Iterator[_Item], media: MediaStore):
        super().__init__(name="lightbox-import-reader", daemon=True)
        self._items = items
        #: Where the images read go, to be flushed before each commit.
        self.images = media.batch()
        self._images = _ImageKeeper(self.images)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=4 * BATCH_CASES)
        self._stopping = threading.Event()
        self._turn = threading.Condition()
        #: How many more items the reader may hand on; None while it may read on freely.
        self._allowed: int | None = 0

    def run(self) -> None:
        try:
            for item in self._items:
                outputs = _expand(item, self._images)
                while True:
                    self._wait_turn()
                    output = next(outputs, _Done)
                    if output is _Done:
                        break
                    self._put(output)
                    self._handed_on()
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
            # The reader stops by itself once it has handed the item on: however late this
            # thread runs again, it has not read further (a cancel then keeps no more images).
            self._allow(1)
            item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def resume(self) -> None:
        self._allow(None)

    def pause(self) -> None:
        self._allow(0)

    def stop(self) -> None:
        """Stops reading ahead (on cancel or error) and waits for the thread to end."""
        self._stopping.set()
        self._images.cancel()  # images not started are dropped: a wave waited on ends soon
        self._allow(None)
        while self.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.join()
        self._images.close()
        self.images.close()

    def _allow(self, items: int | None) -> None:
        with self._turn:
            self._allowed = items
            self._turn.notify()

    def _wait_turn(self) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._allowed != 0)

    def _handed_on(self) -> None:
        with self._turn:
            if self._allowed:
                self._allowed -= 1

    def _put(self, item: object) -> None:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue


class _Run:
    """The state of one import: its report, and which cases it stored from which file."""

    def __init__(self, library: Library, stamp: dt.datetime, source: str = ""):
        self.library = library
        self.stamp = stamp
        #: What the import reads, named in its backup ("cases.zip").
        self.source = source
        self.report = ImportReport()
        self.changed: set[CaseId] = set()
        self.backup: Path | None = None
        self._seen: dict[CaseId, str] = {}

    def _backup_once(self) -> None:
        """Backs up the library before this import first changes a case already in it."""
        if self.backup is None:
            self.backup = self.library.backup("pre-import", label=self.source)

    def note(self, note: _Note) -> None:
        if note.skipped:
            self.report.skipped.append(note.name)
        else:
            self.report.failed.append((note.name, note.reason or "failed"))

    def take(self, parsed: _Parsed) -> None:
        if parsed.case is None:
            self.report.failed.append((parsed.name, parsed.failure or "failed"))
            return
        for warning in parsed.warnings:
            self.report.warnings.append((parsed.name, warning))
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
    """How many cases an import of `paths` will read at most (for a progress bar): one a
    file, and a data set's count of cases (which reads its index)."""
    total = 0
    for item in _sources(paths):
        if isinstance(item, _Source):
            total += 1
        elif isinstance(item, _DataSet):
            try:
                total += item.format.count(item.tree)
            except (CaseFormatError, OSError):
                total += 1
    return total


def _expand(item: _Item, images: _ImageKeeper) -> Iterator[object]:
    """What the storing thread gets for one item: parsed cases, notes."""
    if isinstance(item, _Source):
        yield _parse(item, images)
    elif isinstance(item, _DataSet):
        yield from _data_set_cases(item, images)
    else:
        yield item


def _parse(source: _Source, images: _ImageKeeper) -> _Parsed | _Note:
    try:
        if not source.text and source.peek is not None:
            # Not a text case file by its name: read its head only, unless a format wants it.
            if registry.file_format(source.peek()) is None:
                return _unknown(source)
        data = source.read()
        found = registry.file_format(data[:HEAD_BYTES])
        if found is None:
            if not source.text or not (source.named or _reads_like_a_case(data)):
                return _unknown(source)
            found = EURORAD_TEXT  # the text case format: its parser says what is wrong
        parsed = found.parse(data, source.name)
    except (CaseFormatError, _Refused, SourceRefused) as error:
        return _Parsed(source.name, None, failure=str(error))
    except OSError as error:
        return _Parsed(source.name, None, failure=f"cannot read: {error.strerror or error}")
    return images.start(parsed).result()


def _reads_like_a_case(data: bytes) -> bool:
    """Whether a text file no format recognised still reads like a case, damaged: it has a
    CASE line or a case's first heading. Undecodable bytes are replaced for this look (a
    case with one bad byte is still a case: its failure says where the byte is)."""
    try:
        text = decode_case_bytes(data).text
    except CaseFormatError:
        text = data.decode("utf-8", errors="replace")
    return _CASE_MARKS.search(text) is not None


def _unknown(source: _Source) -> _Parsed | _Note:
    if source.named:
        return _Parsed(source.name, None, failure=NOT_A_FORMAT)
    return _Note(source.name, skipped=True)


def _data_set_cases(item: _DataSet, images: _ImageKeeper) -> Iterator[_Parsed]:
    """Every case of a data set, with its images kept; a case that fails is reported and
    the rest go on; a data set that cannot be read at all is one failure.

    The images of up to `IMAGE_WAVE` cases are read and kept together, their disk flushes
    overlapping, and the cases handed on in order once all are kept: the storing thread
    then stores them while their flushes go on and the next wave waits.
    """
    what = item.format.description
    pending: collections.deque[_Pending] = collections.deque()
    try:
        for output in item.format.cases(item.tree):
            if isinstance(output, ParseFailure):
                pending.append(_Pending(_Parsed(output.name, None, failure=output.reason)))
            else:
                pending.append(images.start(output))
            if len(pending) >= IMAGE_WAVE:
                yield from _kept_wave(pending)
    except CaseFormatError as error:
        pending.append(_Pending(_Parsed(item.tree.name, None, failure=f"{what}: {error}")))
    except OSError as error:
        reason = f"{what}: cannot read: {error.strerror or error}"
        pending.append(_Pending(_Parsed(item.tree.name, None, failure=reason)))
    yield from _kept_wave(pending)


def _kept_wave(pending: collections.deque[_Pending]) -> Iterator[_Parsed]:
    """The cases of a wave, in order, once every one has its images kept."""
    concurrent.futures.wait([case.job for case in pending if case.job is not None])
    while pending:
        yield pending.popleft().result()


class _Pending:
    """A case on its way to the storing thread: `result` gives it, once its figures'
    images are kept.

    Attributes:
        parsed: What the format read, or what the importer made of it already (a
            failure, a case with no image to keep).
        job: Keeps the images of the figures with an image reference, in order (None when
            there is none).
    """

    def __init__(self, parsed: Parsed | _Parsed, job: Future[list[_Kept]] | None = None):
        self.parsed = parsed
        self.job = job

    def result(self) -> _Parsed:
        """The case with its figures' images kept (see `_keep_image`).

        Raises:
            StorageUnavailable: an image could not be written: the import stops.
        """
        parsed = self.parsed
        if isinstance(parsed, _Parsed):
            return parsed
        warnings = list(parsed.warnings)
        kept = iter(self.job.result() if self.job is not None else [])
        figures: list[Figure] = []
        for figure in parsed.case.figures:
            if figure.image is None:
                figures.append(figure)
                continue
            done, reason = next(kept)
            figures.append(done)
            if reason is not None:
                key = parsed.case.key
                warnings.append(f"{key}: {done.label}: {reason} (the figure keeps its legend)")
        case = dataclasses.replace(parsed.case, figures=tuple(figures))
        return _Parsed(parsed.name, case, warnings=tuple(warnings))


#: A figure as kept, and why it has no image (None when it has it).
_Kept = tuple[Figure, str | None]


class _ImageKeeper:
    """Reads, checks and keeps parsed figures' images in the media folder (not flushed yet:
    see `ImageBatch`), on a few threads of its own (reading and hashing let other threads
    run)."""

    def __init__(self, images: ImageBatch):
        self._images = images
        self._pool: ThreadPoolExecutor | None = None

    def start(self, parsed: Parsed) -> _Pending:
        """Starts keeping the images of a parsed case: one job, on one thread (a hand-off
        between threads costs more here than keeping a small image)."""
        figures = [figure for figure in parsed.case.figures if figure.image is not None]
        if not figures:
            return _Pending(_Parsed(parsed.name, parsed.case, warnings=parsed.warnings))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(IMAGE_THREADS, thread_name_prefix="lightbox-images")
        return _Pending(parsed, self._pool.submit(_keep_images, figures, parsed, self._images))

    def cancel(self) -> None:
        """Drops images not started yet (on cancel); `close` waits for the others."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Drops images not started yet and waits for those being written (on cancel)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _keep_images(figures: list[Figure], parsed: Parsed, images: ImageBatch) -> list[_Kept]:
    """A case's figures with their images kept (see `_keep_image`), flushed together."""
    with images.group() as group:
        return [_keep_image(f, parsed.images.get(f.image or ""), group) for f in figures]


def _keep_image(figure: Figure, source: ImageSource | None, images: ImageGroup) -> _Kept:
    """The figure with its image read, checked and kept, its reference swapped for the
    image's hash; or without an image, and why (for the report, naming the file read).

    The figure keeps the reason naming the file as its data set names it, so the same data
    set imported from another folder leaves the case unchanged.

    Raises:
        StorageUnavailable: the image could not be written (disk full).
    """
    if source is None:
        reason = f"the source names image {figure.image!r} but does not hold it"
        return dataclasses.replace(figure, image=None, missing=reason), reason
    try:
        data = source.read()
        info = image_info(data)
    except FileNotFoundError:
        return _without_image(figure, source, lambda name: f"image file {name} not found")
    except NotAnImage as error:
        what = str(error)
        return _without_image(figure, source, lambda name: f"{name}: {what}")
    except OSError as error:  # SourceRefused (too large) among them
        why = error.strerror or str(error)
        return _without_image(figure, source, lambda name: f"{name}: {why}")
    except Exception as error:  # a name the file system cannot take, a damaged zip entry
        what = str(error)
        return _without_image(figure, source, lambda name: f"{name} cannot be read ({what})")
    refused = _too_many_pixels(info)
    if refused is not None:
        return _without_image(figure, source, lambda name: f"{name}: {refused}")
    digest = images.put(data)  # the storing thread flushes them before its commit
    kept = dataclasses.replace(
        figure, image=digest, width=info.width, height=info.height, missing=None
    )
    return kept, None


def _without_image(figure: Figure, source: ImageSource, reason: Callable[[str], str]) -> _Kept:
    """The figure without its image: `reason` says why of a file, named in the figure as
    its data set names it, and in the report as it was read."""
    missing = reason(source.relative or source.name)
    return dataclasses.replace(figure, image=None, missing=missing), reason(source.name)


def _too_many_pixels(info: ImageInfo) -> str | None:
    """Why an image is not kept though it is one: it declares more than MAX_IMAGE_PIXELS."""
    if (info.width or 0) * (info.height or 0) <= MAX_IMAGE_PIXELS:
        return None
    return (
        f"image too large ({info.width} × {info.height} pixels;"
        f" at most {MAX_IMAGE_PIXELS // 1048576} megapixels)"
    )


def _sources(paths: list[Path]) -> Iterator[_Item]:
    """What to read for `paths`, each data set once (naming both its JSON files, or its
    folder and one of them, imports it once)."""
    seen: set[str] = set()
    for item in _all_sources(paths):
        if isinstance(item, _DataSet):
            if item.tree.name in seen:
                continue
            seen.add(item.tree.name)
        yield item


def _all_sources(paths: list[Path]) -> Iterator[_Item]:
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
        elif path.suffix.lower() == ".json" and (found := _data_set(path.parent)) is not None:
            yield found  # a data set's index named: the data set it belongs to
        else:
            text = path.suffix.lower() in CASE_SUFFIXES
            yield _Source(str(path), partial(_read_file, path), named=True, text=text)


def _data_set(folder: Path) -> _DataSet | None:
    tree = FolderTree(folder)
    found = registry.data_set_format(tree)
    return _DataSet(tree, found) if found is not None else None


def _folder_sources(folder: Path) -> Iterator[_Item]:
    """Case files under a folder, sorted; a folder holding a data set is that data set;
    symbolic links are not followed (no loops)."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        data_set = _data_set(Path(root))
        if data_set is not None:
            dirs[:] = []
            yield data_set
            continue
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
            else:
                text = path.suffix.lower() in CASE_SUFFIXES
                peek = None if text else partial(_read_head, path)
                yield _Source(str(path), partial(_read_file, path), text=text, peek=peek)


def _read_head(path: Path) -> bytes:
    """The first bytes of a regular file (what a format recognises it by)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _Refused("not a regular file")
        return os.read(fd, HEAD_BYTES)
    finally:
        os.close(fd)


def _read_file(path: Path) -> bytes:
    """Reads a regular file of at most MAX_FILE_BYTES, never blocking on a FIFO or device."""
    return read_bounded(path, MAX_FILE_BYTES, too_big=_too_large)


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
    """Case files and data sets in a zip, after checking the whole archive against the
    limits."""
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
        # Folders of the archive holding a data set: imported as such, their files not
        # offered one by one. Shallowest first, so a data set's own sub-folders are in it.
        prefixes = sorted(
            {"", *(str(PurePosixPath(m.filename).parent) + "/" for m in members)} - {"./"},
            key=lambda prefix: (prefix.count("/"), prefix),
        )
        taken: list[str] = []
        for prefix in prefixes:
            if any(prefix.startswith(done) for done in taken):
                continue
            tree = ZipTree(archive, prefix, f"{path}!/{prefix}".rstrip("/"))
            found = registry.data_set_format(tree)
            if found is not None:
                taken.append(prefix)
                yield _DataSet(tree, found)
        for member in members:
            if any(member.filename.startswith(done) for done in taken):
                continue
            name = f"{path}!/{member.filename}"
            text = PurePosixPath(member.filename).suffix.lower() in CASE_SUFFIXES
            peek = None if text else partial(_read_member_head, archive, member)
            yield _Source(name, partial(_read_member, archive, member), text=text, peek=peek)


def _read_member_head(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(member) as handle:
            return handle.read(HEAD_BYTES)
    except ZIP_READ_ERRORS as error:
        raise _Refused(f"damaged zip entry ({error})") from None


def _checked_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = [m for m in archive.infolist() if not m.is_dir()]
    indexes = registry.data_set_index_files()
    data_set = any(PurePosixPath(m.filename).name in indexes for m in members)
    most = MAX_DATA_SET_ZIP_ENTRIES if data_set else MAX_ZIP_ENTRIES
    if len(members) > most:
        raise _Refused(f"zip has {len(members)} entries (at most {most})")
    total = sum(m.file_size for m in members)
    largest = MAX_DATA_SET_ZIP_BYTES if data_set else MAX_ZIP_BYTES
    if total > largest:
        raise _Refused(
            f"zip would unpack to {total / 1048576:.0f} MB (at most {largest // 1048576} MB)"
        )
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
    """Reads one case file of a zip, of at most MAX_FILE_BYTES (counted, not trusted)."""
    return read_member(archive, member, MAX_FILE_BYTES, too_big=_too_large)
