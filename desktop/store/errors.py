"""Storage errors the reader can act on, told apart from bugs (which propagate unchanged)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class LibraryError(Exception):
    """A library that cannot be opened or written; the message says why in plain words."""


class LibraryTooNew(LibraryError):
    """The library was written by a newer Lightbox (its schema version is unknown here)."""


class NotALibrary(LibraryError):
    """The file is not a Lightbox library (not SQLite, or another program's database)."""


class LibraryCorrupt(LibraryError):
    """The library file is damaged; it must be moved aside, never written to."""


class StorageUnavailable(LibraryError):
    """Disk full, read-only, locked or corrupt: the change was not saved."""


class MigrationFailed(LibraryError):
    """A schema upgrade failed; it was rolled back and the library is unchanged."""


class DuplicateDoi(LibraryError):
    """A DOI already belongs to another case."""


class QueryInvalid(LibraryError):
    """A search query the language cannot read; the message says what and where.

    Attributes:
        start, end: Where in the query (characters) the first problem is.
    """

    def __init__(self, message: str, start: int, end: int):
        super().__init__(message)
        self.start = start
        self.end = end


class Interrupted(Exception):
    """A query stopped by `Library.interrupt()` (a newer one made it stale): not a failure."""


def classify(error: sqlite3.Error, path: Path) -> LibraryError | None:
    """Maps an sqlite3 error to a LibraryError, or None when it is a bug to propagate."""
    name = getattr(error, "sqlite_errorname", "")
    if name == "SQLITE_FULL":
        return StorageUnavailable(f"disk full: the last change to {path} was NOT saved")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return StorageUnavailable(f"cannot write to {path} ({error})")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageUnavailable(f"{path} is locked by another program ({error})")
    if name.startswith("SQLITE_NOTADB"):
        return NotALibrary(
            f"{path} is damaged or is not a Lightbox library (not an SQLite database)"
        )
    if name.startswith("SQLITE_CORRUPT"):
        return LibraryCorrupt(f"{path} is damaged ({error})")
    if name.startswith("SQLITE_IOERR"):
        return StorageUnavailable(f"{path} could not be read or written ({error})")
    return None
