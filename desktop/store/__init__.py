"""The library store: SQLite through sqlite-utils, no Qt. `Library` is its entry point.

The window imports only this package: the `Library` object, the values it takes and returns,
and the errors it raises. Its submodules are the store's insides (an import-linter contract
keeps them, and `sqlite3`, out of `desktop.ui`).
"""

from desktop.store.backup import Backup, BackupContents
from desktop.store.cases import query_cut_notice
from desktop.store.changes import Changes
from desktop.store.errors import (
    DuplicateDoi,
    Interrupted,
    LibraryCorrupt,
    LibraryError,
    LibraryTooNew,
    MigrationFailed,
    NotALibrary,
    QueryInvalid,
    StorageUnavailable,
)
from desktop.store.library import Library
from desktop.store.listing import COLLECTION_ORDER, Hit, parts_moved
from desktop.store.reader_data import NoteSave
from desktop.store.versions import CaseVersion

__all__ = [
    "COLLECTION_ORDER",
    "Backup",
    "BackupContents",
    "CaseVersion",
    "Changes",
    "DuplicateDoi",
    "Hit",
    "Interrupted",
    "Library",
    "LibraryCorrupt",
    "LibraryError",
    "LibraryTooNew",
    "MigrationFailed",
    "NotALibrary",
    "NoteSave",
    "QueryInvalid",
    "StorageUnavailable",
    "parts_moved",
    "query_cut_notice",
]
