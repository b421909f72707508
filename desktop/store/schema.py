"""Numbered, append-only schema migrations keyed on ``PRAGMA user_version``.

``MIGRATIONS[n]`` takes a library from version n to n + 1. A fresh library runs the whole
chain from zero, so there is one path to every schema. Each step runs in one BEGIN IMMEDIATE
transaction together with its ``user_version`` bump, so a failed step leaves the library at
the version before it. Never edit a shipped migration: append a new one (and its fixture).
We use plain numbered functions rather than sqlite-utils' migration helper so that the
version lives in the file header, where every SQLite tool can read it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop.store.db import transaction
from desktop.store.errors import LibraryTooNew

if TYPE_CHECKING:
    import sqlite_utils

#: The discussion as searchable text: each part's heading on its own line, then its text.
_DISCUSSION_TEXT = (
    "(SELECT group_concat(coalesce(json_extract(value, '$.heading') || char(10), '')"
    " || json_extract(value, '$.text'), char(10) || char(10)) FROM json_each({row}.discussion))"
)
_DIFFERENTIAL_TEXT = (
    "(SELECT group_concat(value, char(10)) FROM json_each({row}.differential_diagnosis))"
)


def _fts_values(row: str) -> str:
    discussion = _DISCUSSION_TEXT.format(row=row)
    differential = _DIFFERENTIAL_TEXT.format(row=row)
    return (
        f"{row}.id, {row}.title, {row}.clinical_history, {row}.imaging_findings, "
        f"{discussion}, {differential}, {row}.final_diagnosis"
    )


def m001_initial(db: sqlite_utils.Database) -> None:
    """Cases, identified by (source, source_id), and their full-text index."""
    from sqlite_utils.db import Table

    cases = Table(db, "cases")
    cases.create(
        {
            "id": int,
            "source": str,
            "source_id": str,
            "doi": str,
            "title": str,
            "published": str,
            "section": str,
            "case_type": str,
            "authors": str,
            "affiliations": str,
            "age": str,
            "age_days": int,
            "sex": str,
            "areas_of_interest": str,
            "imaging_techniques": str,
            "clinical_history": str,
            "imaging_findings": str,
            "discussion": str,
            "differential_diagnosis": str,
            "final_diagnosis": str,
            "reference_list": str,
            "issn": str,
            "license": str,
            "figures": str,
            "content_hash": str,
            "imported_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={
            "source",
            "source_id",
            "title",
            "content_hash",
            "imported_at",
            "updated_at",
        },
    )
    cases.create_index(["source", "source_id"], unique=True)
    db.execute("CREATE UNIQUE INDEX cases_doi ON cases(doi) WHERE doi IS NOT NULL")
    cases.create_index(["published"])
    cases.create_index(["section"])
    db.execute(
        f"CREATE VIEW cases_fts_source(id, title, history, findings, discussion, differential,"
        f" diagnosis) AS SELECT {_fts_values('cases')} FROM cases"
    )
    db.execute(
        "CREATE VIRTUAL TABLE cases_fts USING fts5(title, history, findings, discussion,"
        " differential, diagnosis, content='cases_fts_source', content_rowid='id',"
        " tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    insert = f"INSERT INTO cases_fts(rowid, title, history, findings, discussion, differential, diagnosis) VALUES ({_fts_values('new')});"  # noqa: E501
    delete = f"INSERT INTO cases_fts(cases_fts, rowid, title, history, findings, discussion, differential, diagnosis) VALUES ('delete', {_fts_values('old')});"  # noqa: E501
    db.execute(f"CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN {delete} END")
    db.execute(
        "CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, clinical_history,"
        " imaging_findings, discussion, differential_diagnosis, final_diagnosis ON cases"
        f" BEGIN {delete} {insert} END"
    )


#: The chain: index n upgrades version n to n + 1.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [m001_initial]
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Brings the library to `SCHEMA_VERSION`; returns the versions it passed through.

    Raises:
        LibraryTooNew: the file's version is above ours; it is left untouched.
    """
    version = user_version(conn)
    if version > SCHEMA_VERSION:
        raise LibraryTooNew(
            f"this library was created by a newer Lightbox (schema {version}; "
            f"this version reads up to {SCHEMA_VERSION}); please update Lightbox"
        )
    if version == SCHEMA_VERSION:
        return []
    import sqlite_utils  # only when migrating: it costs ~90 ms to import

    db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    passed = []
    while version < SCHEMA_VERSION:
        with transaction(conn):
            MIGRATIONS[version](db)
            conn.execute(f"PRAGMA user_version={version + 1}")
        passed.append(version)
        version += 1
    return passed
