"""What the collection and tag tests share: the sample cases and two small readers."""

from __future__ import annotations

import sqlite3

from desktop.importer import import_paths
from desktop.model import CaseId
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES


def with_samples(library: Library) -> Library:
    """The library with the sample cases imported."""
    assert not import_paths(library, [SAMPLE_CASES]).failed
    return library


def ids(library: Library, *names: str) -> list[CaseId]:
    """The sample cases named (``chest-01``...), by row id."""
    return [library.resolve(f"lightbox:{name}") for name in names]


def rows(library: Library, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of a query straight from the library file (for the records as stored)."""
    conn: sqlite3.Connection = library._conn
    return [tuple(row) for row in conn.execute(sql, params)]
