"""`Library`: the one object the CLI, importer and UI use to read and change a library file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from desktop.model import (
    Case,
    CaseFilter,
    CaseId,
    ListRow,
    Note,
    SearchHit,
    SidebarCounts,
    parse_case_key,
)
from desktop.store import cases, listing, reader_data
from desktop.store.cases import StoredCase
from desktop.store.changes import Changes
from desktop.store.db import connect, transaction
from desktop.store.errors import LibraryError, classify
from desktop.store.listing import Hit
from desktop.store.schema import migrate

T = TypeVar("T")


class Library:
    """An open library: one connection, used from one thread.

    Attributes:
        path: The library file.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn = conn

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Library:
        """Opens (creating and migrating as needed) the library at `path`.

        Raises:
            LibraryError: the file cannot be used as a library; the message says why.
        """
        conn = connect(path, create=create)
        try:
            _guard(path, lambda: migrate(conn))
            library = cls(path, conn)
            if conn.execute("SELECT EXISTS (SELECT 1 FROM search_pending)").fetchone()[0]:
                with library.transaction():
                    pass  # committing indexes what was left queued
        except BaseException:
            conn.close()
            raise
        return library

    def close(self) -> None:
        self._conn.close()

    def interrupt(self) -> None:
        """Stops the query running on this library's connection (safe from any thread)."""
        self._conn.interrupt()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested use is a savepoint (one case inside a batch).

        The outermost one indexes the cases it queued for search just before it commits.
        """
        outermost = not self._conn.in_transaction
        try:
            with transaction(self._conn):
                yield
                if outermost:
                    cases.index_pending(self._conn)
        except sqlite3.Error as error:
            mapped = classify(error, self.path)
            if mapped is None:
                raise
            raise mapped from error

    def index_pending(self) -> None:
        """Indexes queued cases now (inside a transaction) rather than at its commit."""
        with self.transaction():
            cases.index_pending(self._conn)

    def store_case(self, case: Case, now: dt.datetime | None = None) -> StoredCase:
        """Adds a case or updates it in place (same id); all-or-nothing.

        Inside a caller's transaction (a bulk import) no savepoint is needed: the case is
        written by one statement, and SQLite undoes a failed statement whole.
        """
        stamp = now or _now()
        if self._conn.in_transaction:
            return _guard(self.path, lambda: cases.store_case(self._conn, case, stamp))
        with self.transaction():
            return cases.store_case(self._conn, case, stamp)

    def get_case(self, case_id: CaseId) -> Case | None:
        return _guard(self.path, lambda: cases.get_case(self._conn, case_id))

    def resolve(self, key: str) -> CaseId:
        """The id of the case ``source:source_id``.

        Raises:
            ValueError: malformed key. LookupError: no such case.
        """
        source, source_id = parse_case_key(key)
        found = _guard(self.path, lambda: cases.find_case_id(self._conn, source, source_id))
        if found is None:
            raise LookupError(f"no case {key} in {self.path}")
        return found

    def count_cases(self) -> int:
        return _guard(self.path, lambda: cases.count_cases(self._conn))

    def case_ids(
        self,
        case_filter: CaseFilter | None = None,
        sort: str = "title",
        descending: bool = False,
        now: dt.datetime | None = None,
    ) -> list[CaseId]:
        """The ids of the cases a sidebar entry shows, sorted in SQL."""
        chosen = case_filter or CaseFilter()
        return _guard(
            self.path, lambda: listing.case_ids(self._conn, chosen, sort, descending, now)
        )

    def sort_ids(self, ids: list[CaseId], sort: str, descending: bool) -> list[CaseId]:
        return _guard(self.path, lambda: listing.sort_ids(self._conn, ids, sort, descending))

    def rows(self, ids: list[CaseId]) -> list[ListRow]:
        """List rows (summary and marks) for these ids, in this order."""
        return _guard(self.path, lambda: listing.rows(self._conn, ids))

    def counts(self, now: dt.datetime | None = None) -> SidebarCounts:
        return _guard(self.path, lambda: listing.counts(self._conn, now))

    def search_cases(
        self,
        query: str,
        case_filter: CaseFilter | None = None,
        *,
        limit: int = 200,
        marks: tuple[str, str] = ("«", "»"),
        now: dt.datetime | None = None,
    ) -> list[Hit]:
        """Ranked search over case text and notes, within a sidebar entry."""
        chosen = case_filter or CaseFilter()
        return _guard(
            self.path,
            lambda: listing.search(self._conn, query, chosen, limit=limit, marks=marks, now=now),
        )

    def note(self, case_id: CaseId) -> Note | None:
        return _guard(self.path, lambda: reader_data.get_note(self._conn, case_id))

    def save_note(self, case_id: CaseId, body: str, now: dt.datetime | None = None) -> Changes:
        """Saves the reader's note (committed when this returns); blank removes it."""
        with self.transaction():
            changed = reader_data.save_note(self._conn, case_id, body, now or _now())
        return Changes(notes=frozenset({case_id})) if changed else Changes()

    def is_bookmarked(self, case_id: CaseId) -> bool:
        return _guard(self.path, lambda: reader_data.is_bookmarked(self._conn, case_id))

    def set_bookmark(self, case_id: CaseId, on: bool, now: dt.datetime | None = None) -> Changes:
        with self.transaction():
            changed = reader_data.set_bookmark(self._conn, case_id, on, now or _now())
        return Changes(bookmarks=frozenset({case_id})) if changed else Changes()

    def bookmarked_ids(self) -> list[CaseId]:
        return _guard(self.path, lambda: reader_data.bookmarked_ids(self._conn))

    def mark_read(self, case_id: CaseId, now: dt.datetime | None = None) -> Changes:
        """Records a reading; the Changes name the case only if it was unread."""
        with self.transaction():
            first = reader_data.mark_read(self._conn, case_id, now or _now())
        return Changes(reading=frozenset({case_id})) if first else Changes()

    def mark_unread(self, case_id: CaseId) -> Changes:
        with self.transaction():
            changed = reader_data.mark_unread(self._conn, case_id)
        return Changes(reading=frozenset({case_id})) if changed else Changes()

    def search(
        self,
        query: str,
        limit: int = 50,
        *,
        prefix_last: bool = True,
        marks: tuple[str, str] = ("«", "»"),
    ) -> list[SearchHit]:
        """Ranked full-text search; see `desktop.store.cases.search`."""
        return _guard(
            self.path,
            lambda: cases.search(self._conn, query, limit, prefix_last=prefix_last, marks=marks),
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _guard(path: Path, work: Callable[[], T]) -> T:
    """Runs a read, turning storage failures into LibraryError with a plain message."""
    try:
        return work()
    except sqlite3.Error as error:
        mapped = classify(error, path)
        if mapped is None:
            raise
        raise mapped from error


__all__ = ["Library", "LibraryError", "StoredCase"]
