"""The reader's own data: notes, bookmarks and reading state (what was opened, and when)."""

from __future__ import annotations

import datetime as dt
import sqlite3

from desktop.model import CaseId, Note, NoteVersion


def get_note(conn: sqlite3.Connection, case_id: CaseId) -> Note | None:
    row = conn.execute(
        "SELECT body, updated_at FROM notes WHERE case_id = ?", (case_id,)
    ).fetchone()
    if row is None:
        return None
    return Note(case_id, row[0], dt.datetime.fromisoformat(row[1]))


#: While the reader types, keep at most one earlier version of a note per this interval.
VERSION_EVERY = dt.timedelta(minutes=1)


def save_note(
    conn: sqlite3.Connection,
    case_id: CaseId,
    body: str,
    now: dt.datetime,
    *,
    keep_version: bool = False,
) -> bool:
    """Stores the note (a blank one removes it); returns whether anything changed.

    The text it replaces is kept in note_versions: always when `keep_version` is set or the
    note is cleared, otherwise at most once a minute, so autosave while typing does not
    keep every keystroke.
    """
    stamp = now.isoformat(timespec="milliseconds")
    current = conn.execute(
        "SELECT body, updated_at FROM notes WHERE case_id = ?", (case_id,)
    ).fetchone()
    if current is not None and current[0] == body:
        return False
    if current is None and not body.strip():
        return False
    if current is not None:
        last_kept = conn.execute(
            "SELECT max(kept_at) FROM note_versions WHERE case_id = ?", (case_id,)
        ).fetchone()[0]
        recent = (
            last_kept is not None and dt.datetime.fromisoformat(last_kept) > now - VERSION_EVERY
        )
        if keep_version or not body.strip() or not recent:
            conn.execute(
                "INSERT INTO note_versions (case_id, body, saved_at, kept_at) VALUES (?, ?, ?, ?)",
                (case_id, current[0], current[1], stamp),
            )
    if not body.strip():
        conn.execute("DELETE FROM notes WHERE case_id = ?", (case_id,))
        return True
    conn.execute(
        "INSERT INTO notes (case_id, body, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (case_id) DO UPDATE SET body = excluded.body,"
        " updated_at = excluded.updated_at",
        (case_id, body, stamp, stamp),
    )
    return True


def note_versions(conn: sqlite3.Connection, case_id: CaseId) -> list[NoteVersion]:
    """Earlier versions of a case's note, newest first."""
    rows = conn.execute(
        "SELECT id, body, saved_at FROM note_versions WHERE case_id = ?"
        " ORDER BY saved_at DESC, id DESC",
        (case_id,),
    )
    return [
        NoteVersion(int(row[0]), case_id, row[1], dt.datetime.fromisoformat(row[2])) for row in rows
    ]


def note_version(conn: sqlite3.Connection, version_id: int) -> NoteVersion | None:
    row = conn.execute(
        "SELECT id, case_id, body, saved_at FROM note_versions WHERE id = ?", (version_id,)
    ).fetchone()
    if row is None:
        return None
    return NoteVersion(int(row[0]), CaseId(row[1]), row[2], dt.datetime.fromisoformat(row[3]))


def is_bookmarked(conn: sqlite3.Connection, case_id: CaseId) -> bool:
    row = conn.execute("SELECT 1 FROM bookmarks WHERE case_id = ?", (case_id,)).fetchone()
    return row is not None


def set_bookmark(conn: sqlite3.Connection, case_id: CaseId, on: bool, now: dt.datetime) -> bool:
    """Bookmarks or unbookmarks a case; returns whether anything changed."""
    if on:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO bookmarks (case_id, created_at) VALUES (?, ?)",
            (case_id, now.isoformat(timespec="seconds")),
        )
    else:
        cursor = conn.execute("DELETE FROM bookmarks WHERE case_id = ?", (case_id,))
    return cursor.rowcount > 0


def bookmarked_ids(conn: sqlite3.Connection) -> list[CaseId]:
    rows = conn.execute("SELECT case_id FROM bookmarks ORDER BY created_at, case_id")
    return [CaseId(row[0]) for row in rows]


def mark_read(conn: sqlite3.Connection, case_id: CaseId, now: dt.datetime) -> bool:
    """Records that the case was read now; returns True if it was unread before."""
    stamp = now.isoformat(timespec="seconds")
    cursor = conn.execute(
        "INSERT INTO reading (case_id, first_read_at, last_read_at) VALUES (?, ?, ?)"
        " ON CONFLICT (case_id) DO UPDATE SET last_read_at = excluded.last_read_at,"
        " times_read = times_read + 1"
        " RETURNING times_read",
        (case_id, stamp, stamp),
    )
    return bool(cursor.fetchone()[0] == 1)


def mark_unread(conn: sqlite3.Connection, case_id: CaseId) -> bool:
    cursor = conn.execute("DELETE FROM reading WHERE case_id = ?", (case_id,))
    return cursor.rowcount > 0


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


def empty_trash(conn: sqlite3.Connection) -> list[CaseId]:
    """Deletes the trashed cases and the reader's data on them, for good."""
    ids = trashed_ids(conn)
    for table in ("note_versions", "notes", "bookmarks", "reading"):
        conn.execute(
            f"DELETE FROM {table} WHERE case_id IN (SELECT id FROM cases"
            " WHERE trashed_at IS NOT NULL)"
        )
    conn.execute("DELETE FROM cases WHERE trashed_at IS NOT NULL")
    return ids
