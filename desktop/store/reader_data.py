"""The reader's own data: notes, bookmarks and reading state (what was opened, and when).

Every record follows `desktop.store.records`: it names its case by (source, source id),
and deleting it leaves a tombstone (``deleted_at``) that only `purge_tombstones` removes.
Callers pass case row ids; each function turns them into the case's identity here. Reads
see live records only, of cases present in the library.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from desktop.model import CaseId, Note, NoteVersion
from desktop.store.changes import Changes
from desktop.store.records import LIBRARY_TABLES, READER_TABLES, CaseKey, instant, new_uid, stamp

#: Joins a reader table aliased `x` to its case, aliased `c`, by the case's identity.
CASE_OF = "cases c ON c.source = x.case_source AND c.source_id = x.case_source_id"


def identity(conn: sqlite3.Connection, case_id: CaseId) -> CaseKey | None:
    """The (source, source id) of a case row, or None if there is no such case."""
    row = conn.execute("SELECT source, source_id FROM cases WHERE id = ?", (case_id,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def _require(conn: sqlite3.Connection, case_id: CaseId) -> CaseKey:
    found = identity(conn, case_id)
    if found is None:
        raise LookupError(f"no case {case_id} in this library")
    return found


def _record(
    conn: sqlite3.Connection, table: str, key: CaseKey, columns: str
) -> tuple[int, str | None, tuple[object, ...]] | None:
    """A one-per-case record of a case: (row id, deleted_at, `columns`), the live one if
    there is one, else the newest tombstone (which a new write revives)."""
    row = conn.execute(
        f"SELECT id, deleted_at, {columns} FROM {table}"
        " WHERE case_source = ? AND case_source_id = ?"
        " ORDER BY deleted_at IS NOT NULL, updated_at DESC, id DESC LIMIT 1",
        key,
    ).fetchone()
    return None if row is None else (int(row[0]), row[1], tuple(row[2:]))


def get_note(conn: sqlite3.Connection, case_id: CaseId) -> Note | None:
    key = identity(conn, case_id)
    if key is None:
        return None
    row = conn.execute(
        "SELECT body, updated_at, uid FROM notes"
        " WHERE case_source = ? AND case_source_id = ? AND deleted_at IS NULL",
        key,
    ).fetchone()
    if row is None:
        return None
    return Note(case_id, row[0], dt.datetime.fromisoformat(row[1]), row[2])


#: While one writer types, it keeps at most one earlier version of its *own* text per this
#: interval (see `save_note`).
VERSION_EVERY = dt.timedelta(minutes=1)


def save_note(
    conn: sqlite3.Connection,
    case_id: CaseId,
    body: str,
    now: dt.datetime,
    *,
    keep_version: bool = False,
    own: Note | None = None,
) -> bool:
    """Stores the note (a blank one makes it a tombstone); returns whether anything changed.

    The rule for history, the same for every writer (the window, the command line, a
    script): the text a write replaces is kept in note_versions unless that exact text is
    already in the case's history. One thinning, for a writer typing: when `own` is the
    note exactly as this writer itself last stored it (same text, same `updated_at`, same
    record), and a version of the case was kept less than `VERSION_EVERY` ago, that
    intermediate text of its own is not kept. Text another writer saved is never thinned,
    and neither is any text when `keep_version` is set or the note is cleared. "Ago" is
    measured back from `now` only: a version stamped in the future (the clock went back)
    does not count as recent, so a clock going back never stops the history.

    A note written after one was cleared revives the same record.

    Raises:
        LookupError: there is no such case.
    """
    key = _require(conn, case_id)
    moment = stamp(now)
    found = _record(conn, "notes", key, "body, updated_at")
    live = found if found is not None and found[1] is None else None
    if live is None:
        if not body.strip():
            return False
    else:
        replaced, replaced_at = str(live[2][0]), str(live[2][1])
        if replaced == body:
            return False
        mine = (
            own is not None
            and own.body == replaced
            and stamp(own.updated_at) == replaced_at
            and own.uid == _uid(conn, live[0])
        )
        thin = mine and not keep_version and bool(body.strip()) and _kept_lately(conn, key, now)
        if not thin and not _in_history(conn, key, replaced):
            conn.execute(
                "INSERT INTO note_versions (uid, created_at, updated_at, case_source,"
                " case_source_id, body, saved_at, kept_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (new_uid(), moment, moment, *key, replaced, replaced_at, moment),
            )
        if not body.strip():
            conn.execute(
                "UPDATE notes SET deleted_at = ?, updated_at = ? WHERE id = ?",
                (moment, moment, live[0]),
            )
            return True
    if found is None:
        conn.execute(
            "INSERT INTO notes (uid, created_at, updated_at, case_source, case_source_id, body)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (new_uid(), moment, moment, *key, body),
        )
    else:
        conn.execute(
            "UPDATE notes SET body = ?, updated_at = ?, deleted_at = NULL WHERE id = ?",
            (body, moment, found[0]),
        )
    return True


def _uid(conn: sqlite3.Connection, note_row: int) -> str:
    return str(conn.execute("SELECT uid FROM notes WHERE id = ?", (note_row,)).fetchone()[0])


def _in_history(conn: sqlite3.Connection, key: CaseKey, body: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM note_versions WHERE case_source = ? AND case_source_id = ?"
        " AND deleted_at IS NULL AND body = ? LIMIT 1",
        (*key, body),
    ).fetchone()
    return row is not None


def _kept_lately(conn: sqlite3.Connection, key: CaseKey, now: dt.datetime) -> bool:
    """Whether the case's newest version (by sequence) was kept within `VERSION_EVERY`
    before `now`; one stamped after `now` is not "lately" (the clock went back)."""
    row = conn.execute(
        "SELECT kept_at FROM note_versions WHERE case_source = ? AND case_source_id = ?"
        " AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
        key,
    ).fetchone()
    if row is None:
        return False
    kept = instant(row[0])
    return now - VERSION_EVERY < kept <= now


@dataclass(frozen=True, slots=True)
class NoteSave:
    """What a writer's save of a note found and did (`save_note_over`).

    Attributes:
        changes: What changed (the case's note, or nothing).
        note: The note as stored now (None: no note).
        other_text: Text another writer had saved since `base` that this save replaced; it
            is in the note's history. None when nobody else wrote.
        cleared_elsewhere: Another writer had cleared the note since `base` (its text is
            in the history); this save wrote the note again.
    """

    changes: Changes
    note: Note | None
    other_text: str | None = None
    cleared_elsewhere: bool = False

    @property
    def conflict(self) -> bool:
        return self.other_text is not None or self.cleared_elsewhere


def save_note_over(
    conn: sqlite3.Connection, key: CaseKey, body: str, base: Note | None, now: dt.datetime
) -> NoteSave:
    """Saves a writer's text over `base`, the note as that writer last loaded or stored it.

    The case is named by its identity, so a restore that gave it another row id still
    finds it, and another case can never receive the text. If someone else wrote the note
    since `base`, their text is kept in the history (as every replaced text is) and the
    result says so.

    Raises:
        LookupError: the case is no longer in the library (removed by another program).
    """
    found = conn.execute("SELECT id FROM cases WHERE source = ? AND source_id = ?", key).fetchone()
    if found is None:
        raise LookupError(f"the case {key[0]}:{key[1]} is no longer in this library")
    case_id = CaseId(found[0])
    current = get_note(conn, case_id)
    other: str | None = None
    cleared = False
    if current != base:  # another writer has been here
        old = base.body if base is not None else None
        if current is None:
            cleared = old is not None and bool(body.strip()) and old != body
        elif current.body not in (body, old):
            other = current.body
    changed = save_note(conn, case_id, body, now, own=base)
    note = get_note(conn, case_id)
    changes = Changes(notes=frozenset({case_id})) if changed else Changes()
    return NoteSave(changes, note, other, cleared)


def note_versions(conn: sqlite3.Connection, case_id: CaseId) -> list[NoteVersion]:
    """Earlier versions of a case's note, newest first: in the order they were kept (by
    their row's sequence), not by their timestamps, which a clock going back would
    reorder."""
    key = identity(conn, case_id)
    if key is None:
        return []
    rows = conn.execute(
        "SELECT id, body, saved_at, uid FROM note_versions"
        " WHERE case_source = ? AND case_source_id = ? AND deleted_at IS NULL"
        " ORDER BY id DESC",
        key,
    )
    return [
        NoteVersion(int(row[0]), case_id, row[1], dt.datetime.fromisoformat(row[2]), row[3])
        for row in rows
    ]


def note_version(conn: sqlite3.Connection, version_id: int) -> NoteVersion | None:
    """A live note version by its local id, if its case is in the library."""
    row = conn.execute(
        f"SELECT x.id, c.id, x.body, x.saved_at, x.uid FROM note_versions x JOIN {CASE_OF}"
        " WHERE x.id = ? AND x.deleted_at IS NULL",
        (version_id,),
    ).fetchone()
    if row is None:
        return None
    return NoteVersion(
        int(row[0]), CaseId(row[1]), row[2], dt.datetime.fromisoformat(row[3]), row[4]
    )


def is_bookmarked(conn: sqlite3.Connection, case_id: CaseId) -> bool:
    row = conn.execute(
        f"SELECT 1 FROM bookmarks x JOIN {CASE_OF} WHERE c.id = ? AND x.deleted_at IS NULL",
        (case_id,),
    ).fetchone()
    return row is not None


def set_bookmark(conn: sqlite3.Connection, case_id: CaseId, on: bool, now: dt.datetime) -> bool:
    """Bookmarks or unbookmarks a case; returns whether anything changed.

    Unbookmarking leaves a tombstone; bookmarking again revives that same record.

    Raises:
        LookupError: there is no such case.
    """
    key = _require(conn, case_id)
    moment = stamp(now)
    found = _record(conn, "bookmarks", key, "uid")
    if found is not None and (found[1] is None) == on:
        return False
    if found is None:
        if not on:
            return False
        conn.execute(
            "INSERT INTO bookmarks (uid, created_at, updated_at, case_source, case_source_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (new_uid(), moment, moment, *key),
        )
        return True
    conn.execute(
        "UPDATE bookmarks SET deleted_at = ?, updated_at = ? WHERE id = ?",
        (None if on else moment, moment, found[0]),
    )
    return True


def bookmarked_ids(conn: sqlite3.Connection) -> list[CaseId]:
    """Bookmarked cases (the trash's too), in the order they were bookmarked."""
    rows = conn.execute(
        f"SELECT c.id FROM bookmarks x CROSS JOIN {CASE_OF} WHERE x.deleted_at IS NULL"
        " ORDER BY x.updated_at, c.id"
    )
    return [CaseId(row[0]) for row in rows]


def mark_read(conn: sqlite3.Connection, case_id: CaseId, now: dt.datetime) -> bool:
    """Records that the case was read now; returns True if it was unread before.

    Reading a case marked unread revives its record and counts afresh from now.

    Raises:
        LookupError: there is no such case.
    """
    key = _require(conn, case_id)
    moment = stamp(now)
    read_at = now.isoformat(timespec="seconds")
    found = _record(conn, "reading", key, "uid")
    if found is None:
        conn.execute(
            "INSERT INTO reading (uid, created_at, updated_at, case_source, case_source_id,"
            " first_read_at, last_read_at, times_read) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            (new_uid(), moment, moment, *key, read_at, read_at),
        )
        return True
    if found[1] is not None:
        conn.execute(
            "UPDATE reading SET deleted_at = NULL, updated_at = ?, first_read_at = ?,"
            " last_read_at = ?, times_read = 1 WHERE id = ?",
            (moment, read_at, read_at, found[0]),
        )
        return True
    conn.execute(
        "UPDATE reading SET updated_at = ?, last_read_at = ?, times_read = times_read + 1"
        " WHERE id = ?",
        (moment, read_at, found[0]),
    )
    return False


def mark_unread(conn: sqlite3.Connection, case_id: CaseId, now: dt.datetime) -> bool:
    """Makes the case's reading record a tombstone; returns whether it was read."""
    key = identity(conn, case_id)
    if key is None:
        return False
    moment = stamp(now)
    cursor = conn.execute(
        "UPDATE reading SET deleted_at = ?, updated_at = ?"
        " WHERE case_source = ? AND case_source_id = ? AND deleted_at IS NULL",
        (moment, moment, *key),
    )
    return cursor.rowcount > 0


#: Ids a statement names at most (well under SQLite's limit on parameters).
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class _Reading:
    """A case's reading record as a write over many cases finds it."""

    key: CaseKey
    #: Its live record, else its newest tombstone, else None.
    record: int | None
    live: bool


def _readings(conn: sqlite3.Connection, case_ids: list[CaseId]) -> dict[CaseId, _Reading]:
    """The reading record of each case in the library (a statement for every few hundred
    cases); a case not in it is left out."""
    found: dict[CaseId, _Reading] = {}
    for start in range(0, len(case_ids), _CHUNK):
        chunk = case_ids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            "SELECT c.id, c.source, c.source_id, x.id, x.deleted_at IS NULL FROM cases c"
            " LEFT JOIN reading x ON x.case_source = c.source AND x.case_source_id = c.source_id"
            f" WHERE c.id IN ({marks})"
            # As `_record` picks: the live record first, else the newest tombstone.
            " ORDER BY c.id, x.deleted_at IS NOT NULL, x.updated_at DESC, x.id DESC",
            chunk,
        )
        for case_id, source, source_id, record, live in rows:
            if case_id not in found:
                key = (str(source), str(source_id))
                found[CaseId(case_id)] = _Reading(key, record, record is not None and bool(live))
    return found


def read_ids(conn: sqlite3.Connection, case_ids: Iterable[CaseId]) -> set[CaseId]:
    """Of these cases, those read now (with a live reading record)."""
    wanted = list(dict.fromkeys(case_ids))
    found: set[CaseId] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            "SELECT c.id FROM cases c CROSS JOIN reading x"
            " ON x.case_source = c.source AND x.case_source_id = c.source_id"
            f" WHERE x.deleted_at IS NULL AND c.id IN ({marks})",
            chunk,
        )
        found.update(CaseId(row[0]) for row in rows)
    return found


def mark_read_many(
    conn: sqlite3.Connection, case_ids: Iterable[CaseId], now: dt.datetime
) -> list[CaseId]:
    """Marks the unread ones of these cases read, as `mark_read` does (a case read already
    keeps its dates and count); returns those it marked, in the order given. A case not in
    the library (another program deleted it since it was listed) is passed over."""
    wanted = list(dict.fromkeys(case_ids))
    readings = _readings(conn, wanted)
    moment = stamp(now)
    read_at = now.isoformat(timespec="seconds")
    unread = [c for c in wanted if c in readings and not readings[c].live]
    # A case marked unread before revives its record, counted afresh (as `mark_read`).
    conn.executemany(
        "UPDATE reading SET deleted_at = NULL, updated_at = ?, first_read_at = ?,"
        " last_read_at = ?, times_read = 1 WHERE id = ?",
        [
            (moment, read_at, read_at, readings[case_id].record)
            for case_id in unread
            if readings[case_id].record is not None
        ],
    )
    conn.executemany(
        "INSERT INTO reading (uid, created_at, updated_at, case_source, case_source_id,"
        " first_read_at, last_read_at, times_read) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
        [
            (new_uid(), moment, moment, *readings[case_id].key, read_at, read_at)
            for case_id in unread
            if readings[case_id].record is None
        ],
    )
    return unread


def mark_unread_many(
    conn: sqlite3.Connection, case_ids: Iterable[CaseId], now: dt.datetime
) -> list[CaseId]:
    """Makes the reading records of these cases tombstones; returns those that were read,
    in the order given. A case not in the library is passed over."""
    wanted = list(dict.fromkeys(case_ids))
    read = read_ids(conn, wanted)
    moment = stamp(now)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        conn.execute(
            "UPDATE reading SET deleted_at = ?, updated_at = ? WHERE deleted_at IS NULL AND id IN"
            " (SELECT x.id FROM cases c CROSS JOIN reading x"
            "  ON x.case_source = c.source AND x.case_source_id = c.source_id"
            f"  WHERE x.deleted_at IS NULL AND c.id IN ({marks}))",
            (moment, moment, *chunk),
        )
    return [case_id for case_id in wanted if case_id in read]


def revive_readings(
    conn: sqlite3.Connection, case_ids: Iterable[CaseId], now: dt.datetime
) -> list[CaseId]:
    """Undoes `mark_unread_many`: each unread case's newest reading tombstone is live again,
    with the dates and count it had; returns those revived (a case read now, or never read,
    or not in the library, is passed over)."""
    wanted = list(dict.fromkeys(case_ids))
    readings = _readings(conn, wanted)
    moment = stamp(now)
    revived = [
        case_id
        for case_id in wanted
        if case_id in readings
        and readings[case_id].record is not None
        and not readings[case_id].live
    ]
    conn.executemany(
        "UPDATE reading SET deleted_at = NULL, updated_at = ? WHERE id = ?",
        [(moment, readings[case_id].record) for case_id in revived],
    )
    return revived


def trash_case(conn: sqlite3.Connection, case_id: CaseId, now: dt.datetime) -> bool:
    """Moves a case, with everything the reader made on it, to the trash."""
    cursor = conn.execute(
        "UPDATE cases SET trashed_at = ? WHERE id = ? AND trashed_at IS NULL",
        (now.isoformat(timespec="seconds"), case_id),
    )
    return cursor.rowcount > 0


def untrash_case(conn: sqlite3.Connection, case_id: CaseId) -> bool:
    cursor = conn.execute(
        "UPDATE cases SET trashed_at = NULL WHERE id = ? AND trashed_at IS NOT NULL", (case_id,)
    )
    return cursor.rowcount > 0


def trashed_ids(conn: sqlite3.Connection) -> list[CaseId]:
    rows = conn.execute("SELECT id FROM cases WHERE trashed_at IS NOT NULL ORDER BY trashed_at")
    return [CaseId(row[0]) for row in rows]


def empty_trash(
    conn: sqlite3.Connection, now: dt.datetime, only: Collection[CaseId] | None = None
) -> list[CaseId]:
    """Deletes the trashed cases for good (of `only`, those still trashed: what the reader
    confirmed, never a case trashed since); the reader's data on them becomes tombstones.

    The records stay (until `purge_tombstones`), so a merge with another copy of the
    library sees them deleted rather than never made.
    """
    chosen = None if only is None else json.dumps(sorted(int(case_id) for case_id in only))
    doomed = (
        "SELECT id FROM cases WHERE trashed_at IS NOT NULL"
        " AND (:only IS NULL OR id IN (SELECT value FROM json_each(:only)))"
    )
    ids = [CaseId(row[0]) for row in conn.execute(doomed, {"only": chosen})]
    moment = stamp(now)
    for table in READER_TABLES:
        conn.execute(
            f"UPDATE {table} SET deleted_at = :moment, updated_at = :moment"
            " WHERE deleted_at IS NULL AND (case_source, case_source_id) IN"
            f" (SELECT source, source_id FROM cases WHERE id IN ({doomed}))",
            {"moment": moment, "only": chosen},
        )
    # Their schedules go with their (now tombstoned) reviews: a case imported again later
    # starts afresh rather than due by a log it no longer has.
    conn.execute(
        "DELETE FROM study_schedule WHERE (case_source, case_source_id) IN"
        f" (SELECT source, source_id FROM cases WHERE id IN ({doomed}))",
        {"only": chosen},
    )
    conn.execute(f"DELETE FROM cases WHERE id IN ({doomed})", {"only": chosen})
    return ids


def _tombstones(
    conn: sqlite3.Connection, older_than: dt.timedelta | None, now: dt.datetime
) -> dict[str, list[int]]:
    """The row ids of tombstones deleted more than `older_than` ago (all if None), by table.

    Compared as instants in Python, so a timestamp written in another ISO form (another
    machine's, say) is judged by its moment, not its spelling.
    """
    cutoff = None if older_than is None else now - older_than
    found: dict[str, list[int]] = {}
    for table in [*READER_TABLES, *LIBRARY_TABLES]:
        rows = conn.execute(f"SELECT id, deleted_at FROM {table} WHERE deleted_at IS NOT NULL")
        found[table] = [int(row[0]) for row in rows if cutoff is None or instant(row[1]) <= cutoff]
    return found


def count_tombstones(
    conn: sqlite3.Connection, older_than: dt.timedelta | None, now: dt.datetime
) -> int:
    """How many tombstones `purge_tombstones` would remove."""
    return sum(len(ids) for ids in _tombstones(conn, older_than, now).values())


def purge_tombstones(
    conn: sqlite3.Connection, older_than: dt.timedelta | None, now: dt.datetime
) -> int:
    """Removes tombstones for good (those deleted more than `older_than` ago; all if None).

    Returns:
        How many records were removed.
    """
    removed = 0
    for table, ids in _tombstones(conn, older_than, now).items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            removed += conn.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk).rowcount
    return removed
