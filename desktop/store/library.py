"""`Library`: the one object the CLI, importer and UI use to read and change a library file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from desktop.model import Case, CaseId, CaseSummary, SearchHit, parse_case_key
from desktop.store import cases
from desktop.store.cases import StoredCase
from desktop.store.db import connect, transaction
from desktop.store.errors import LibraryError, classify
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
        stamp = now or dt.datetime.now(dt.UTC)
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

    def case_ids(self, sort: str = "title", descending: bool = False) -> list[CaseId]:
        return _guard(self.path, lambda: cases.case_ids(self._conn, sort, descending))

    def summaries(self, ids: list[CaseId]) -> list[CaseSummary]:
        return _guard(self.path, lambda: cases.summaries(self._conn, ids))

    def list_summaries(self, sort: str = "title", descending: bool = False) -> list[CaseSummary]:
        return _guard(self.path, lambda: cases.list_summaries(self._conn, sort, descending))

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
