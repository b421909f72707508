"""The reader's own data: notes, bookmarks and reading state (what was opened, and when)."""

from __future__ import annotations

import datetime as dt
import sqlite3

from desktop.model import CaseId, Note


def get_note(conn: sqlite3.Connection, case_id: CaseId) -> Note | None:
    row = conn.execute(
        "SELECT body, updated_at FROM notes WHERE case_id = ?", (case_id,)
    ).fetchone()
    if row is None:
        return None
    return Note(case_id, row[0], dt.datetime.fromisoformat(row[1]))


def save_note(conn: sqlite3.Connection, case_id: CaseId, body: str, now: dt.datetime) -> bool:
    """Stores the note (a blank one removes it); returns whether anything changed."""
    stamp = now.isoformat(timespec="milliseconds")
    current = conn.execute("SELECT body FROM notes WHERE case_id = ?", (case_id,)).fetchone()
    if not body.strip():
        if current is None:
            return False
        conn.execute("DELETE FROM notes WHERE case_id = ?", (case_id,))
        return True
    if current is not None and current[0] == body:
        return False
    conn.execute(
        "INSERT INTO notes (case_id, body, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (case_id) DO UPDATE SET body = excluded.body,"
        " updated_at = excluded.updated_at",
        (case_id, body, stamp, stamp),
    )
    return True


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
