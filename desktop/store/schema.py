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
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.store import media
from desktop.store.db import transaction
from desktop.store.errors import LibraryTooNew
from desktop.store.records import (
    LIBRARY_RECORD_COLUMNS_SQL,
    READER_TABLES,
    UUID_SQL,
    reader_table_sql,
)

if TYPE_CHECKING:
    import sqlite_utils

#: The columns of `cases` the full-text index covers, in order (bm25 weights follow it).
FTS_COLUMNS = (
    "title",
    "clinical_history",
    "imaging_findings",
    "discussion",
    "differential_diagnosis",
    "final_diagnosis",
    "figure_legends",
)
#: The index's columns as m001 made them (a shipped migration never changes).
_M001_FTS_COLUMNS = FTS_COLUMNS[:6]


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
            "discussion_outline": str,
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
    _create_case_index(db.conn, _M001_FTS_COLUMNS)


def _create_case_index(conn: sqlite3.Connection, fts_columns: tuple[str, ...]) -> None:
    """The full-text index over `fts_columns` of `cases`, and the triggers that queue it."""
    columns = ", ".join(fts_columns)
    conn.execute(
        f"CREATE VIRTUAL TABLE cases_fts USING fts5({columns}, content='cases',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    # New and changed cases are queued in search_pending and indexed in bulk when the
    # transaction commits (`desktop.store.cases.index_pending`): FTS5 indexes one statement
    # over many rows about twice as fast as one statement per row. Rows still queued have no
    # index entry, so the triggers only delete entries of rows that are not queued.
    conn.execute("CREATE TABLE IF NOT EXISTS search_pending(case_id INTEGER PRIMARY KEY)")
    old = ", ".join(f"old.{c}" for c in fts_columns)
    unindex = (
        f"INSERT INTO cases_fts(cases_fts, rowid, {columns}) SELECT 'delete', old.id, {old}"
        " WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE case_id = old.id);"
    )
    queue = "INSERT OR IGNORE INTO search_pending(case_id) VALUES (new.id);"
    conn.execute(f"CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN {queue} END")
    conn.execute(
        f"CREATE TRIGGER cases_fts_update AFTER UPDATE OF {columns} ON cases"
        f" BEGIN {unindex} {queue} END"
    )
    conn.execute(
        f"CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN {unindex}"
        " DELETE FROM search_pending WHERE case_id = old.id; END"
    )


def m002_reader_data(db: sqlite_utils.Database) -> None:
    """The reader's notes (searchable), bookmarks and reading state.

    User data refers to a case by its row id, which re-import keeps. ON DELETE RESTRICT:
    a case that holds the reader's work cannot be deleted by accident, only moved with it.
    """
    db.execute(
        "CREATE TABLE notes (case_id INTEGER PRIMARY KEY"
        " REFERENCES cases(id) ON DELETE RESTRICT, body TEXT NOT NULL,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes',"
        " content_rowid='case_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    index = "INSERT INTO notes_fts(rowid, body) VALUES (new.case_id, new.body);"
    unindex = (
        "INSERT INTO notes_fts(notes_fts, rowid, body) VALUES ('delete', old.case_id, old.body);"
    )
    db.execute(f"CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN {index} END")
    db.execute(f"CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN {unindex} END")
    db.execute(
        f"CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON notes BEGIN {unindex} {index} END"
    )
    db.execute(
        "CREATE TABLE bookmarks (case_id INTEGER PRIMARY KEY"
        " REFERENCES cases(id) ON DELETE RESTRICT, created_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE reading (case_id INTEGER PRIMARY KEY"
        " REFERENCES cases(id) ON DELETE RESTRICT, first_read_at TEXT NOT NULL,"
        " last_read_at TEXT NOT NULL, times_read INTEGER NOT NULL DEFAULT 1)"
    )
    db.execute("CREATE INDEX reading_last_read ON reading(last_read_at)")


def m003_history_and_trash(db: sqlite_utils.Database) -> None:
    """Earlier versions of each note, and a trash for deleted cases.

    A trashed case keeps its row, text and every piece of the reader's data; it is only
    hidden. Emptying the trash deletes them for good.
    """
    db.execute(
        "CREATE TABLE note_versions (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL"
        " REFERENCES cases(id) ON DELETE RESTRICT, body TEXT NOT NULL, saved_at TEXT NOT NULL,"
        " kept_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX note_versions_case ON note_versions(case_id, saved_at)")
    db.execute("ALTER TABLE cases ADD COLUMN trashed_at TEXT")
    db.execute("CREATE INDEX cases_trashed ON cases(trashed_at) WHERE trashed_at IS NOT NULL")


#: Sort keys of the case list that get an index of their own (see m004).
LIST_INDEXES = {
    "title": "title COLLATE NOCASE",
    "section": "section",
    "age": "age_days",
    "diagnosis": "final_diagnosis COLLATE NOCASE",
    "published": "published",
    "imported": "imported_at",
}


def m004_list_indexes(db: sqlite_utils.Database) -> None:
    """Indexes that let the case list read 100,000 ids in order without touching the rows.

    Each covers the cases outside the trash only (partial indexes), in one list order. A
    case's row is large (about 13 KB with the discussion), and `trashed_at`, added last,
    sits at its end: reading it walks every row's overflow pages. These indexes answer the
    list, the counts and the sections without that walk.
    """
    for name, expression in LIST_INDEXES.items():
        db.execute(
            f"CREATE INDEX cases_list_{name} ON cases({expression}, id) WHERE trashed_at IS NULL"
        )


#: m005: each reader table's own columns, and how its old rows fill the new table:
#: (own column definitions, own column names, SELECT list for created_at, updated_at and
#: the own columns, over the old row `old`).
_M005_TABLES: dict[str, tuple[str, str, str]] = {
    "notes": (
        "body TEXT NOT NULL",
        "body",
        "old.created_at, old.updated_at, old.body",
    ),
    # note_versions names its case, not its note's uid: a case's note history outlives the
    # note record (a cleared note is a tombstone a purge may remove; a merge may settle the
    # case on another machine's note uid), and the history is read by case.
    "note_versions": (
        "body TEXT NOT NULL, saved_at TEXT NOT NULL, kept_at TEXT NOT NULL",
        "body, saved_at, kept_at",
        "old.kept_at, old.kept_at, old.body, old.saved_at, old.kept_at",
    ),
    "bookmarks": ("", "", "old.created_at, old.created_at"),
    "reading": (
        "first_read_at TEXT NOT NULL, last_read_at TEXT NOT NULL,"
        " times_read INTEGER NOT NULL DEFAULT 1",
        "first_read_at, last_read_at, times_read",
        "old.first_read_at, old.last_read_at, old.first_read_at, old.last_read_at, old.times_read",
    ),
}


def m005_mergeable_records(db: sqlite_utils.Database) -> None:
    """Reader data as records that can merge (the rule: `desktop.store.records`).

    Each reader table is rebuilt: the old one renamed aside, the new one made under the
    final name, the old rows copied in (in their old order) with a new uid each and their
    case named by (source, source id), then the old one dropped. Timestamps carry over: a
    note's own; a bookmark's made time for both; a reading's first and last reading; a note
    version's keeping time for both. A row whose case row is missing (possible only if
    foreign keys were off when it was written) is kept, under the source '' and its old
    case row id, never dropped. No reader table refers to `cases` any more: a case leaving
    the library cannot take the reader's work with it. The notes' search index is made
    again, keyed by the notes' new local row id.

    Runs in the migration's transaction with foreign keys on. Nothing refers to the reader
    tables and they no longer refer to anything, so `foreign_key_check` stays empty
    (SAFETY B5).
    """
    conn = db.conn
    # The index is keyed by case_id: it is made again below, after the notes.
    for trigger in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER notes_fts_{trigger}")
    conn.execute("DROP TABLE notes_fts")
    for table, (columns, own, values) in _M005_TABLES.items():
        old = f"{table}_v4"
        conn.execute(f"ALTER TABLE {table} RENAME TO {old}")
        for (index,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL",
            (old,),
        ).fetchall():
            conn.execute(f"DROP INDEX {index}")
        for statement in reader_table_sql(table, columns, READER_TABLES[table]):
            conn.execute(statement)
        conn.execute(
            f"INSERT INTO {table} (uid, case_source, case_source_id, created_at, updated_at"
            f"{', ' + own if own else ''})"
            f" SELECT {UUID_SQL}, coalesce(c.source, ''),"
            f" coalesce(c.source_id, CAST(old.case_id AS TEXT)), {values}"
            f" FROM {old} old LEFT JOIN cases c ON c.id = old.case_id ORDER BY old.rowid"
        )
        conn.execute(f"DROP TABLE {old}")
    # "Recently read" reads live readings by time, with their case's identity, from this
    # index alone.
    conn.execute(
        "CREATE INDEX reading_last_read ON reading(last_read_at, case_source, case_source_id)"
        " WHERE deleted_at IS NULL"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    index = "INSERT INTO notes_fts(rowid, body) VALUES (new.id, new.body);"
    unindex = "INSERT INTO notes_fts(notes_fts, rowid, body) VALUES ('delete', old.id, old.body);"
    conn.execute(f"CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN {index} END")
    conn.execute(f"CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN {unindex} END")
    conn.execute(
        f"CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON notes BEGIN {unindex} {index} END"
    )
    conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')")


def m006_case_versions(db: sqlite_utils.Database) -> None:
    """Earlier texts of each case: what a re-import (or a restore of a version) replaced.

    Case data, not the reader's (`records.OTHER_TABLES`): append-only, one row per replaced
    text, keyed by the case's identity (source, source id) and a version number counting
    from 1 within that case, never by a row id, so the versions outlive the case's row and
    follow it through the trash and back. ``case_json`` is the replaced case as
    `desktop.case_dict.case_to_dict` writes it; ``content_hash`` is the digest the case row
    had then; ``stored_at`` when that text was stored, ``replaced_at`` when it was replaced
    and ``replaced_by`` what replaced it (an import and its file, or a restore).
    """
    conn = db.conn
    conn.execute(
        "CREATE TABLE case_versions (id INTEGER PRIMARY KEY, case_source TEXT NOT NULL,"
        " case_source_id TEXT NOT NULL, version INTEGER NOT NULL, case_json TEXT NOT NULL,"
        " content_hash TEXT NOT NULL, stored_at TEXT NOT NULL, replaced_at TEXT NOT NULL,"
        " replaced_by TEXT NOT NULL, UNIQUE (case_source, case_source_id, version))"
    )


def m007_highlights(db: sqlite_utils.Database) -> None:
    """Highlights (a record kind, many per case), their search index, and preferences.

    A highlight keeps what re-anchoring needs (`desktop.anchoring`): the section it sits in,
    the quote it was made on with ``prefix``/``suffix`` context and whether the quote was
    unique in its section then (``unique_quote``); where it sits now (``anchor_start``,
    ``anchor_end``: NULL while detached); where it last sat (``hint_start``, ``hint_end``:
    never NULL, the place to search near); and ``anchored_to``, the case's content hash
    that placement was made against (equal to the case's: nothing to re-anchor). ``tags``
    is a JSON list of strings. ``colour`` is a palette name (`desktop.palette`).

    ``preferences`` holds library-wide settings the reader's exports need (what each colour
    means), one row per key.
    """
    conn = db.conn
    columns = (
        "section TEXT NOT NULL, anchor_start INTEGER, anchor_end INTEGER,"
        " hint_start INTEGER NOT NULL, hint_end INTEGER NOT NULL, quote TEXT NOT NULL,"
        " prefix TEXT NOT NULL, suffix TEXT NOT NULL, unique_quote INTEGER NOT NULL,"
        " colour TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '',"
        " tags TEXT NOT NULL DEFAULT '[]', anchored_to TEXT NOT NULL DEFAULT ''"
    )
    for statement in reader_table_sql("highlights", columns, READER_TABLES["highlights"]):
        conn.execute(statement)
    # The browser lists live highlights newest first (all of them, or one colour's) and the
    # sidebar counts them from these indexes alone: they hold the case's identity too, which
    # tells the highlights of cases in the Trash.
    conn.execute(
        "CREATE INDEX highlights_live_created ON highlights(created_at DESC, id DESC,"
        " case_source, case_source_id) WHERE deleted_at IS NULL"
    )
    conn.execute(
        "CREATE INDEX highlights_live_colour ON highlights(colour, created_at DESC, id DESC,"
        " case_source, case_source_id) WHERE deleted_at IS NULL"
    )
    # Search covers comments and tags; the browser's text filter the quote too.
    conn.execute(
        "CREATE VIRTUAL TABLE highlights_fts USING fts5(quote, comment, tags,"
        " content='highlights', content_rowid='id',"
        " tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    index = (
        "INSERT INTO highlights_fts(rowid, quote, comment, tags)"
        " VALUES (new.id, new.quote, new.comment, new.tags);"
    )
    unindex = (
        "INSERT INTO highlights_fts(highlights_fts, rowid, quote, comment, tags)"
        " VALUES ('delete', old.id, old.quote, old.comment, old.tags);"
    )
    # Every tag of every highlight, one row each, so a tag is found without reading each
    # highlight's list (the browser's tag filter and its counts).
    conn.execute("CREATE TABLE highlight_tags (highlight_id INTEGER NOT NULL, tag TEXT NOT NULL)")
    conn.execute("CREATE INDEX highlight_tags_tag ON highlight_tags(tag COLLATE NOCASE)")
    conn.execute("CREATE INDEX highlight_tags_highlight ON highlight_tags(highlight_id)")
    tag = "INSERT INTO highlight_tags SELECT new.id, value FROM json_each(new.tags);"
    untag = "DELETE FROM highlight_tags WHERE highlight_id = old.id;"
    for event, body in (
        ("INSERT", f"{index} {tag}"),
        ("DELETE", f"{unindex} {untag}"),
        ("UPDATE OF quote, comment, tags", f"{unindex} {index} {untag} {tag}"),
    ):
        name = event.split()[0].lower()
        conn.execute(
            f"CREATE TRIGGER highlights_{name} AFTER {event} ON highlights BEGIN {body} END"
        )
    conn.execute(
        "CREATE TABLE preferences (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
        " updated_at TEXT NOT NULL)"
    )


def m008_organise(db: sqlite_utils.Database) -> None:
    """Collections, the cases in them, tags on cases and saved searches, all records.

    ``collections`` and ``saved_searches`` belong to no one case: library records
    (`records.LIBRARY_RECORD_COLUMNS_SQL`). A collection names its parent by uid (NULL: at
    the top), so moving one rewrites one row and a merge matches parents by identity.
    ``position`` orders siblings, the cases in a collection, and saved searches: a real
    number, so a case dragged between two others takes a value between theirs and no other
    row is rewritten. ``collection_members`` (a case in a collection) and ``case_tags`` (a
    tag on a case) are reader records, many per case, naming the case by identity.
    Uniqueness (one live membership of a case in a collection, one live tag of a name on a
    case, sibling names) is kept by the store, not by unique indexes: merged copies may
    briefly hold two, and a merge must never fail on them.
    """
    conn = db.conn
    conn.execute(
        f"CREATE TABLE collections ({LIBRARY_RECORD_COLUMNS_SQL}, name TEXT NOT NULL,"
        " parent_uid TEXT, position REAL NOT NULL DEFAULT 0)"
    )
    conn.execute(
        "CREATE INDEX collections_live_parent ON collections(parent_uid, position)"
        " WHERE deleted_at IS NULL"
    )
    member_columns = "collection_uid TEXT NOT NULL, position REAL NOT NULL DEFAULT 0"
    for name, columns in (
        ("collection_members", member_columns),
        ("case_tags", "tag TEXT NOT NULL"),
    ):
        for statement in reader_table_sql(name, columns, READER_TABLES[name]):
            conn.execute(statement)
    # A collection's cases in order, and a tag's cases, from these indexes alone.
    conn.execute(
        "CREATE INDEX collection_members_live ON collection_members(collection_uid, position,"
        " case_source, case_source_id) WHERE deleted_at IS NULL"
    )
    conn.execute(
        "CREATE INDEX case_tags_live ON case_tags(tag COLLATE NOCASE, case_source,"
        " case_source_id) WHERE deleted_at IS NULL"
    )
    conn.execute(
        f"CREATE TABLE saved_searches ({LIBRARY_RECORD_COLUMNS_SQL}, name TEXT NOT NULL,"
        " query TEXT NOT NULL, position REAL NOT NULL DEFAULT 0)"
    )


def m009_study(db: sqlite_utils.Database) -> None:
    """The review log (reader data, append-only: one record a rating) and each reviewed
    case's schedule replayed from it (derived: `desktop.store.study`).

    ``reviews.rating`` is 1-4 (Missed, Partly, Got it, Easy = FSRS's Again, Hard, Good,
    Easy); ``reviewed_at`` is when it was given (ISO-8601 UTC), which may differ from
    ``created_at`` (a rating recorded for an earlier time); ``answer``, ``verdict`` and
    ``matched`` keep what the reader typed and what the checker made of it.
    ``study_schedule`` is keyed by the case's identity, like the log it is replayed from;
    ``misses``, ``partly``, ``got_it`` and ``easy`` count the case's live reviews by rating
    (the statistics add them up rather than read the log). Being derived, it also holds the
    case's row id (``case_id``, NULL while the case is not
    in the library), so its index on ``due`` lists the due queue in order without reading
    the cases (40,000 due of 100,000 in ~20 ms rather than ~70 ms through their identity).
    """
    conn = db.conn
    columns = (
        "rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4), reviewed_at TEXT NOT NULL,"
        " answer TEXT NOT NULL DEFAULT '', verdict TEXT NOT NULL DEFAULT '',"
        " matched TEXT NOT NULL DEFAULT ''"
    )
    for statement in reader_table_sql("reviews", columns, READER_TABLES["reviews"]):
        conn.execute(statement)
    # Reviews per day for the statistics, read in time order from the index alone.
    conn.execute(
        "CREATE INDEX reviews_live_time ON reviews(reviewed_at, rating, case_source,"
        " case_source_id) WHERE deleted_at IS NULL"
    )
    conn.execute(
        "CREATE TABLE study_schedule (case_source TEXT NOT NULL, case_source_id TEXT NOT NULL,"
        " case_id INTEGER, due TEXT NOT NULL, stage TEXT NOT NULL, stability REAL, difficulty REAL,"
        " reviews INTEGER NOT NULL, misses INTEGER NOT NULL, last_review TEXT NOT NULL,"
        " leech INTEGER NOT NULL DEFAULT 0, partly INTEGER NOT NULL DEFAULT 0,"
        " got_it INTEGER NOT NULL DEFAULT 0, easy INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (case_source, case_source_id))"
    )
    conn.execute("CREATE INDEX study_schedule_due ON study_schedule(due, case_id)")
    # And each case's own due time, for the list's Due column and its sort: one probe a case.
    conn.execute("CREATE INDEX study_schedule_case ON study_schedule(case_id, due)")


def m010_figures(db: sqlite_utils.Database) -> None:
    """Figures with their images, and the case fields MedPix brings.

    Images live as files in the media folder beside the library, named by their content
    hash (`desktop.store.media`); a case's ``figures`` JSON names them. ``figure_legends``
    repeats the legends, one a line, so search finds words in captions: the full-text
    index is made again with that column (FTS5 cannot add one) and filled from the cases.
    """
    conn = db.conn
    for column in ("figure_legends", "keywords", "acr_code", "category", "diagnosis_by"):
        conn.execute(f"ALTER TABLE cases ADD COLUMN {column} TEXT")
    conn.execute(
        "UPDATE cases SET figure_legends = (SELECT group_concat(legend, char(10)) FROM"
        " (SELECT json_extract(value, '$.legend') AS legend FROM json_each(cases.figures)"
        " WHERE coalesce(json_extract(value, '$.legend'), '') != ''))"
        " WHERE figures IS NOT NULL AND figures NOT IN ('', '[]')"
    )
    for trigger in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER cases_fts_{trigger}")
    conn.execute("DROP TABLE cases_fts")
    _create_case_index(conn, FTS_COLUMNS[:7])
    # Everything queued is indexed when the migration's transaction commits... except that
    # the migration commits on its own: index every case here, in one statement.
    conn.execute("INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')")
    conn.execute("DELETE FROM search_pending")


def m011_flat_media(db: sqlite_utils.Database) -> None:
    """The media folder made flat: images move from ``media/<first two hex digits>/<hash>``
    to ``media/<hash>`` (see `desktop.store.media`). Nothing in the database changes; the
    new version number keeps an older Lightbox, which looks in the sub-folders, from
    opening a library whose images it would not find.
    """
    main = next(row for row in db.conn.execute("PRAGMA database_list") if row[1] == "main")
    if main[2]:  # a library in memory has no media folder
        media.flatten_folders(media.media_folder(Path(main[2])))


#: The chain: index n upgrades version n to n + 1.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    m001_initial,
    m002_reader_data,
    m003_history_and_trash,
    m004_list_indexes,
    m005_mergeable_records,
    m006_case_versions,
    m007_highlights,
    m008_organise,
    m009_study,
    m010_figures,
    m011_flat_media,
]
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
