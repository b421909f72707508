"""The rule every kind of reader data follows, written once: its columns, its registry, and
how two copies of it merge (pure functions, no database).

Every record the reader makes (a note, a note version, a bookmark, a reading, and later a
highlight, a collection, a tag, a review) carries

- ``uid``: a UUID made once when the record is first written, never reused, the same on
  every machine and in every bundle; it is what merges match on;
- ``created_at`` / ``updated_at``: ISO-8601 UTC; every change bumps ``updated_at``;
- ``deleted_at``: NULL while the record is live, the moment it was deleted once it is a
  tombstone. Deleting reader data never removes its row; only an explicit purge does
  (`desktop.store.reader_data.purge_tombstones`), so a merge can tell "deleted here" from
  "never seen here";
- ``case_source`` / ``case_source_id``: the case's stable identity (as in ``cases``), never
  a row id, and never a foreign key: a case leaving the library (the trash emptied, a
  re-import on another machine giving it another row id) must not take the reader's work
  with it.

A new kind of reader data starts its table with `RECORD_COLUMNS_SQL` (through
`reader_table_sql`) in a new migration and adds its name to `READER_TABLES`;
tests/test_records.py fails for any table of the library that is neither there nor in
`OTHER_TABLES`. Changing `RECORD_COLUMNS_SQL` or `reader_table_sql` would change shipped
migrations: don't (the frozen fixture of schema 5 would no longer match a fresh library).

Merging: records are matched by uid, and the newer ``updated_at`` wins; a tombstone is a
record like any other, so a newer deletion beats an older edit and a newer edit beats an
older deletion. Ties (the same instant) go to the tombstone, then to the larger canonical
form, so every machine picks the same winner whatever order copies arrive in. For kinds
with one record per case (a note, a bookmark, a reading), two records with different uids
for the same case are settled the same way by `current`.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

#: The columns every reader table starts with, in order. ``id`` is a local row id (the
#: notes' full-text index and the note history's ids use it); it never leaves this library.
RECORD_COLUMNS = (
    "id",
    "uid",
    "created_at",
    "updated_at",
    "deleted_at",
    "case_source",
    "case_source_id",
)
#: Their DDL: the block a reader table's CREATE TABLE begins with.
RECORD_COLUMNS_SQL = (
    "id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL, deleted_at TEXT, case_source TEXT NOT NULL,"
    " case_source_id TEXT NOT NULL"
)

#: How many live records a case may have in a kind of reader data.
Cardinality = Literal["one-per-case", "many-per-case"]

#: Every table of reader data, by name. Trash, purge and the schema test walk this.
READER_TABLES: dict[str, Cardinality] = {
    "notes": "one-per-case",
    "note_versions": "many-per-case",
    "bookmarks": "one-per-case",
    "reading": "one-per-case",
    "highlights": "many-per-case",
    "collection_members": "many-per-case",
    "case_tags": "many-per-case",
    "reviews": "many-per-case",
}

#: The columns every library record starts with: reader data that belongs to no one case
#: (a collection, a saved search). The same rule without the case's identity.
LIBRARY_RECORD_COLUMNS = ("id", "uid", "created_at", "updated_at", "deleted_at")
LIBRARY_RECORD_COLUMNS_SQL = (
    "id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL, deleted_at TEXT"
)

#: Every table of reader data that belongs to no one case, by name, with what it holds.
LIBRARY_TABLES: dict[str, str] = {
    "collections": "the reader's nested collections (a case sits in them by collection_members)",
    "saved_searches": "searches the reader saved under a name",
}

#: Every other table of a library, with why it holds no reader data. Virtual tables'
#: shadow tables (``cases_fts_data``...) belong to their virtual table.
OTHER_TABLES: dict[str, str] = {
    "cases": "imported case text: re-import rewrites it; the reader's work lives elsewhere",
    "cases_fts": "search index over cases, rebuilt from them",
    "search_pending": "cases queued for indexing within one transaction",
    "notes_fts": "search index over notes, kept in step by triggers",
    "highlights_fts": "search index over highlights' quotes, comments and tags, kept in step"
    " by triggers",
    "highlight_tags": "each highlight's tags one a row, kept in step with highlights.tags by"
    " triggers (an index, not data of its own)",
    "preferences": "library-wide settings (what each highlight colour means), one row a key:"
    " not tied to a case",
    "study_schedule": "each reviewed case's schedule, replayed from its live reviews (derived,"
    " rewritten whenever the case's review log changes)",
    "case_versions": "earlier imported texts of cases, kept when a re-import or a restore"
    " replaced them: case data, which the reader restores but never writes",
}

#: A version 4 UUID made by SQLite itself (for migrations copying existing rows).
UUID_SQL = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||"
    " substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) ||"
    " substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)


def reader_table_sql(name: str, columns: str, cardinality: Cardinality) -> list[str]:
    """The statements that create a reader table: the record block, then `columns`; an
    index on the case identity; and for one-per-case kinds, at most one live record a case.

    Args:
        name: The table's name (also listed in `READER_TABLES`).
        columns: The kind's own column definitions, SQL, after the record block ('' for
            none).
        cardinality: Whether a case has one live record of this kind or many.
    """
    own = f", {columns}" if columns else ""
    statements = [
        f"CREATE TABLE {name} ({RECORD_COLUMNS_SQL}{own})",
        f"CREATE INDEX {name}_case ON {name}(case_source, case_source_id)",
    ]
    if cardinality == "one-per-case":
        statements.append(
            f"CREATE UNIQUE INDEX {name}_live_case ON {name}(case_source, case_source_id)"
            " WHERE deleted_at IS NULL"
        )
    return statements


def new_uid() -> str:
    """A new record's uid: a random (version 4) UUID, lower case."""
    return str(uuid.uuid4())


def stamp(moment: dt.datetime) -> str:
    """A record timestamp: ISO-8601 in UTC, to the millisecond."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def instant(text: str) -> dt.datetime:
    """A stored timestamp as an aware datetime (a timestamp without a zone is UTC)."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


#: A case's stable identity: (source, source id).
CaseKey = tuple[str, str]
#: A value a record's own fields may hold.
Value = str | int | float | None


@dataclass(frozen=True, slots=True)
class Record:
    """One record of reader data, as merges see it: the common block and the kind's own
    fields (name, value pairs, sorted by name).

    Attributes:
        uid: Stable id; merges match on it.
        case: The case's (source, source id).
        created_at: When the record was first written (ISO-8601).
        updated_at: When it last changed, deletion included (ISO-8601).
        deleted_at: None while live; when it was deleted, for a tombstone.
        fields: The kind's own data, e.g. (("body", "..."),) for a note.
    """

    uid: str
    case: CaseKey
    created_at: str
    updated_at: str
    deleted_at: str | None = None
    fields: tuple[tuple[str, Value], ...] = ()

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


def _canonical(record: Record) -> str:
    return json.dumps(
        [
            record.uid,
            list(record.case),
            record.created_at,
            record.updated_at,
            record.deleted_at,
            [list(item) for item in record.fields],
        ],
        ensure_ascii=False,
        sort_keys=True,
    )


def precedence(record: Record) -> tuple[dt.datetime, bool, str]:
    """The order merges pick winners by: newest change, then tombstone, then canonical form.

    A total order over distinct records, so the winner never depends on arrival order.
    """
    return (instant(record.updated_at), record.deleted, _canonical(record))


def newer(first: Record, second: Record) -> Record:
    """The one of two versions of a record that a merge keeps."""
    return first if precedence(first) >= precedence(second) else second


def merge(*copies: Iterable[Record]) -> frozenset[Record]:
    """Merges copies of a kind's records (a library, a bundle, another machine's) by uid.

    Every uid in any copy is in the result, once, as its winning version (see `newer`).
    The merge is commutative, associative and idempotent, so copies can meet in any order,
    any number of times.
    """
    winners: dict[str, Record] = {}
    for copy in copies:
        for record in copy:
            held = winners.get(record.uid)
            winners[record.uid] = record if held is None else newer(held, record)
    return frozenset(winners.values())


def current(records: Iterable[Record]) -> dict[CaseKey, Record]:
    """For a one-per-case kind: the record that speaks for each case.

    Merged copies may hold several records for one case (each machine bookmarked it on its
    own, with its own uid). The newest wins as in `merge`; when it is a tombstone the case
    has none (live records older than that deletion are superseded by it).
    """
    chosen: dict[CaseKey, Record] = {}
    for record in merge(records):
        held = chosen.get(record.case)
        chosen[record.case] = record if held is None else newer(held, record)
    return chosen


def live(records: Iterable[Record]) -> frozenset[Record]:
    """The records that are not tombstones."""
    return frozenset(record for record in records if not record.deleted)


def clean_label(text: str, what: str, limit: int) -> str:
    """A library record's name as stored (a collection's, a saved search's): trimmed, 1 to
    `limit` characters, no control characters.

    Args:
        what: How messages name it ("a collection name").

    Raises:
        ValueError: the name breaks one of those rules; the message says which.
    """
    cleaned = text.strip()
    if not cleaned:
        raise ValueError(f"{what} cannot be empty")
    if len(cleaned) > limit:
        raise ValueError(f"{what} takes at most {limit} characters")
    if any(unicodedata.category(char) == "Cc" for char in cleaned):
        raise ValueError(f"{what} cannot hold control characters")
    return cleaned
