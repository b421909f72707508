"""The formats Lightbox reads, and what the importer asks of each (no database, no Qt).

Two kinds of format:

* A **file format** turns one file into one case (the Eurorad text export). It recognises
  a file by its content (`recognises` sees the first `HEAD_BYTES`), never by its name.
* A **data set format** turns a folder (or a zip holding one) into many cases with their
  images (MedPix 2.0). It recognises a folder by the content of a few files in it.

Both hand back `Parsed` cases: a `Case` whose figures name their images by a reference of
the format's own (a file name in the data set), and for each reference an `ImageSource`
the importer reads, checks and keeps (`desktop.store.media`), swapping the reference for
the image's hash. Adding a format is adding one module with one object that follows
`FileFormat` or `DataSetFormat`, listed in `_formats`.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from desktop.model import Case

__all__ = [
    "HEAD_BYTES",
    "NOT_A_FORMAT",
    "DataSetFormat",
    "FileFormat",
    "FileTree",
    "FolderTree",
    "ImageSource",
    "Parsed",
    "ParseFailure",
    "ZIP_READ_ERRORS",
    "SourceRefused",
    "ZipTree",
    "data_set_format",
    "data_set_index_files",
    "data_set_formats",
    "file_format",
    "file_formats",
    "read_bounded",
    "read_member",
]

#: How much of a file a file format sees to recognise it.
HEAD_BYTES = 4096
#: What reading a damaged zip entry may raise (a bad CRC, a cut or corrupt deflate stream).
ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    RuntimeError,
    ValueError,
    EOFError,
    zlib.error,
)
#: What the import report says of a file no format recognises.
NOT_A_FORMAT = "not a format Lightbox reads"


class SourceRefused(OSError):
    """A file refused before it is read: too large, not a regular file."""


@dataclass(frozen=True, slots=True)
class ImageSource:
    """Where a parsed figure's image comes from.

    Attributes:
        name: The file as the import report names it ("…/images/MPX1038_synpic20727.png").
        read: Reads its bytes (bounded); raises FileNotFoundError when it is not there,
            OSError when it cannot be read.
        relative: The file within its data set ("images/MPX1038_synpic20727.png"): what a
            figure whose image is missing says, the same wherever the data set was read
            from (so importing it again from elsewhere changes nothing).
    """

    name: str
    read: Callable[[], bytes]
    relative: str = ""


@dataclass(frozen=True, slots=True)
class Parsed:
    """One case a format read, with where its figures' images are.

    Attributes:
        name: Where it came from, as the import report names it (a file; for a data set,
            its folder and the case's id).
        case: The case; each figure's `image` is a key of `images` (or None).
        images: The image of each figure reference.
        warnings: Things to check, in plain words (a placeholder dropped, a field unread).
    """

    name: str
    case: Case
    images: Mapping[str, ImageSource] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A case of a data set that could not be read: where, and why."""

    name: str
    reason: str


class FileTree(Protocol):
    """Files under one folder, on disk or in a zip: what a data set format reads.

    Attributes:
        name: The folder as the import report names it.
    """

    name: str

    def has(self, relative: str) -> bool:
        """Whether the regular file `relative` (POSIX path, no "..") is there."""
        ...

    def read(self, relative: str, limit: int) -> bytes:
        """The file's bytes, at most `limit` of them.

        Raises:
            FileNotFoundError: no such file.
            SourceRefused: it is larger than `limit`, or not a regular file.
            OSError: it cannot be read.
        """
        ...

    def display(self, relative: str) -> str:
        """The file as the import report names it."""
        ...


class FileFormat(Protocol):
    """A format of single case files.

    Attributes:
        name: Short id ("eurorad-text").
        description: What the import report and the docs call it.
    """

    name: str
    description: str

    def recognises(self, head: bytes) -> bool:
        """Whether a file starting with `head` (its first `HEAD_BYTES`) is in this format."""
        ...

    def parse(self, data: bytes, name: str) -> Parsed:
        """The case in the file.

        Raises:
            CaseFormatError: the file is in this format but cannot be read; says why.
        """
        ...


class DataSetFormat(Protocol):
    """A format of whole data sets: a folder of case records and images.

    Attributes:
        name: Short id ("medpix2").
        description: What the import report and the docs call it.
        index_file: A file name every data set in this format has ("Case_topic.json"): a
            zip holding one is read with the larger limits of a data set.
    """

    name: str
    description: str
    index_file: str

    def recognises(self, tree: FileTree) -> bool:
        """Whether the folder holds a data set in this format (reads as little as it can)."""
        ...

    def count(self, tree: FileTree) -> int:
        """How many cases the data set holds (for a progress bar)."""
        ...

    def cases(self, tree: FileTree) -> Iterator[Parsed | ParseFailure]:
        """Its cases, in the data set's order; a case that cannot be read is a failure,
        and the rest go on.

        Raises:
            CaseFormatError: the data set as a whole cannot be read (its index is damaged).
        """
        ...


def _formats() -> tuple[tuple[FileFormat, ...], tuple[DataSetFormat, ...]]:
    # Imported here: the format modules import this one for its types.
    from desktop.formats.eurorad_text import EURORAD_TEXT
    from desktop.formats.medpix2 import MEDPIX2

    return (EURORAD_TEXT,), (MEDPIX2,)


def file_formats() -> tuple[FileFormat, ...]:
    """Every file format, most specific first."""
    return _formats()[0]


def data_set_formats() -> tuple[DataSetFormat, ...]:
    return _formats()[1]


def data_set_index_files() -> frozenset[str]:
    """The index files' names of the data set formats (`DataSetFormat.index_file`)."""
    return frozenset(candidate.index_file for candidate in data_set_formats())


def file_format(head: bytes) -> FileFormat | None:
    """The file format that recognises a file starting with `head`, if any."""
    for candidate in file_formats():
        if candidate.recognises(head):
            return candidate
    return None


def data_set_format(tree: FileTree) -> DataSetFormat | None:
    """The data set format that recognises the folder, if any."""
    for candidate in data_set_formats():
        if candidate.recognises(tree):
            return candidate
    return None


def read_bounded(path: Path, limit: int, *, too_big: Callable[[int], str] | None = None) -> bytes:
    """Reads a regular file of at most `limit` bytes, never blocking on a FIFO or device
    and never following a symbolic link.

    Args:
        too_big: Says why a file of so many bytes is refused (default: `too_large`).

    Raises:
        SourceRefused: not a regular file, or larger than `limit`.
        OSError: it cannot be read (FileNotFoundError when it is not there).
    """
    refusal = too_big or (lambda size: too_large(size, limit))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceRefused("not a regular file")
        if info.st_size > limit:
            raise SourceRefused(refusal(info.st_size))
        chunks = []
        remaining = limit + 1
        # One read of the size the file declares plus one byte: all of it, and its end
        # seen, in one call. A file that grows meanwhile, or a short read (a network file
        # system), is read on to its end, within the limit.
        wanted = min(remaining, info.st_size + 1)
        while remaining > 0:
            chunk = os.read(fd, wanted)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
            if len(chunk) < wanted and limit + 1 - remaining == info.st_size:
                break
            wanted = min(remaining, 1 << 20)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SourceRefused(refusal(len(data)))
    return data


def read_member(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    limit: int,
    *,
    too_big: Callable[[int], str] | None = None,
) -> bytes:
    """Reads one zip entry of at most `limit` bytes, counting them: the entry's declared
    size is not trusted.

    Args:
        too_big: Says why an entry of so many bytes is refused (default: `too_large`).

    Raises:
        SourceRefused: the entry is larger than `limit`, or damaged.
    """
    refusal = too_big or (lambda size: too_large(size, limit))
    if member.file_size > limit:
        raise SourceRefused(refusal(member.file_size))
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except ZIP_READ_ERRORS as error:
        raise SourceRefused(f"damaged zip entry ({error})") from None
    if len(data) > limit:
        raise SourceRefused(refusal(len(data)))
    return data


def too_large(size: int, limit: int) -> str:
    return f"file too large ({_megabytes(size)}; at most {_megabytes(limit)})"


def _megabytes(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size < 10 * 1048576 else f"{size // 1048576} MB"


def _safe_relative(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise FileNotFoundError(f"{relative!r} is outside the data set")
    return path


class FolderTree:
    """A folder on disk, as a data set format reads it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = str(folder)
        #: What a file's path is shown after (`display`): the folder and a separator.
        self._shown_prefix = str(folder.joinpath("x"))[:-1]
        #: Whether each folder read from so far lies inside this one once links are
        #: followed (thousands of images share one folder: resolving it once will do).
        self._inside: dict[Path, bool] = {}

    def has(self, relative: str) -> bool:
        try:
            path = self.folder.joinpath(*_safe_relative(relative).parts)
            return stat.S_ISREG(path.lstat().st_mode)
        except OSError:
            return False

    def read(self, relative: str, limit: int) -> bytes:
        path = self.folder.joinpath(*_safe_relative(relative).parts)
        # O_NOFOLLOW guards the file itself; a folder on the way may be a link elsewhere.
        inside = self._inside.get(path.parent)
        if inside is None:
            inside = path.parent.resolve().is_relative_to(self.folder.resolve())
            self._inside[path.parent] = inside
        if not inside:
            raise SourceRefused("it is reached through a symbolic link out of the data set")
        return read_bounded(path, limit)

    def display(self, relative: str) -> str:
        parts = relative.split("/")
        if "" in parts or "." in parts or ":" in relative or "\\" in relative:
            return str(self.folder.joinpath(*PurePosixPath(relative).parts))  # pathlib tidies
        # The usual name ("images/MPX1009_synpic123.png"), once an image: pathlib, slower.
        return self._shown_prefix + os.sep.join(parts)


class ZipTree:
    """A folder inside a zip archive (already checked against the importer's limits)."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str, name: str):
        self._archive = archive
        self._prefix = prefix  # "" or "some/folder/"
        self._members = {m.filename: m for m in archive.infolist() if not m.is_dir()}
        self.name = name

    def has(self, relative: str) -> bool:
        try:
            return self._prefix + str(_safe_relative(relative)) in self._members
        except FileNotFoundError:
            return False

    def read(self, relative: str, limit: int) -> bytes:
        member = self._members.get(self._prefix + str(_safe_relative(relative)))
        if member is None:
            raise FileNotFoundError(f"{relative} is not in the archive")
        return read_member(self._archive, member, limit)

    def display(self, relative: str) -> str:
        return f"{self.name}/{relative}"
