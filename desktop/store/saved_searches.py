"""Searches the reader saved under a name (table ``saved_searches``, schema 8).

A saved search is a library record (`desktop.store.records`): it belongs to no one case, and
its list is whatever its query selects when it is shown (`desktop.store.listing`). Deleting
one leaves a tombstone; saving a search under a deleted one's name revives that name's
newest tombstone rather than adding a row. Names are unique among live saved searches
ignoring case; the store keeps that rule (a unique index could not survive merges, as for
collections' sibling names). A query is stored only if the search language reads it.
Callers run each change inside `Library.transaction()`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from desktop.model import SavedSearch
from desktop.store.errors import QueryInvalid
from desktop.store.records import clean_label, new_uid, stamp

#: The longest name a saved search takes, in characters.
MAX_NAME = 100
#: The longest query a saved search takes, in characters.
MAX_QUERY = 1000
#: The distance between the positions of saved searches made one after another.
STEP = 1024.0


def clean_name(name: str) -> str:
    """A saved search's name as stored: trimmed, 1 to `MAX_NAME` characters, no control
    characters ("/" is allowed: a saved search does not nest).

    Raises:
        ValueError: the name breaks one of those rules; the message says which.
    """
    return clean_label(name, "a saved search's name", MAX_NAME)


def clean_query(query: str) -> str:
    """A saved search's query as stored: trimmed, 1 to `MAX_QUERY` characters, read by the
    search language without an error.

    Raises:
        QueryInvalid: an empty or too long query, or the language's first error in it (in
            the form `lightbox search` reports it: what, then where).
    """
    from desktop.query import parse  # loaded with the first saved search

    cleaned = query.strip()
    # Places count in the text as given, as the language's own errors do.
    lead = len(query) - len(query.lstrip())
    if len(cleaned) > MAX_QUERY:
        start, end = lead + MAX_QUERY, lead + len(cleaned)
        raise QueryInvalid(
            f"a saved search's query takes at most {MAX_QUERY} characters (at {start + 1}–{end})",
            start,
            end,
        )
    parsed = parse(cleaned)
    if parsed.errors:
        first = parsed.errors[0]
        start, end = lead + first.start, lead + first.end
        raise QueryInvalid(f"{first.message} (at {start + 1}–{max(end, start + 1)})", start, end)
    if parsed.node is None:
        raise QueryInvalid("a saved search needs a query: words or filters", 0, 0)
    return cleaned


def _same(first: str, second: str) -> bool:
    return first.casefold() == second.casefold()


def _all_live(conn: sqlite3.Connection) -> list[SavedSearch]:
    rows = conn.execute(
        "SELECT uid, name, query FROM saved_searches WHERE deleted_at IS NULL ORDER BY position, id"
    )
    return [SavedSearch(str(row[0]), str(row[1]), str(row[2])) for row in rows]


def saved_searches(conn: sqlite3.Connection) -> list[SavedSearch]:
    """Every live saved search, sorted by name ignoring case."""
    return sorted(_all_live(conn), key=lambda found: (found.name.casefold(), found.name))


def find(conn: sqlite3.Connection, name: str) -> SavedSearch | None:
    """The live saved search of a name (trimmed, matched ignoring case), or None."""
    wanted = name.strip()
    return next((found for found in _all_live(conn) if _same(found.name, wanted)), None)


def _live(conn: sqlite3.Connection, uid: str) -> SavedSearch:
    """A live saved search by uid.

    Raises:
        LookupError: there is no such live saved search.
    """
    row = conn.execute(
        "SELECT uid, name, query FROM saved_searches WHERE uid = ? AND deleted_at IS NULL",
        (uid,),
    ).fetchone()
    if row is None:
        raise LookupError(f"no saved search {uid} in this library")
    return SavedSearch(str(row[0]), str(row[1]), str(row[2]))


def _refuse_clash(conn: sqlite3.Connection, name: str, own: str | None) -> None:
    clash = find(conn, name)
    if clash is not None and clash.uid != own:
        raise ValueError(f"a saved search named {clash.name!r} exists")


def _newest_tombstone(conn: sqlite3.Connection, name: str) -> int | None:
    """The row id of the newest deleted saved search of a name (ignoring case), if any."""
    rows = conn.execute(
        "SELECT id, name FROM saved_searches WHERE deleted_at IS NOT NULL"
        " ORDER BY updated_at DESC, id DESC"
    )
    return next((int(row[0]) for row in rows if _same(str(row[1]), name)), None)


def _next_position(conn: sqlite3.Connection) -> float:
    row = conn.execute(
        "SELECT max(position) FROM saved_searches WHERE deleted_at IS NULL"
    ).fetchone()
    return (row[0] or 0.0) + STEP


def save(
    conn: sqlite3.Connection, name: str, query: str, now: dt.datetime, *, replace: bool = False
) -> tuple[str, bool]:
    """Saves a search under a name: a new one, or (with `replace`) the live one of that name
    given this query and this spelling of the name. A deleted one of the name is revived
    rather than a row added.

    Returns:
        (its uid, whether anything was written).

    Raises:
        ValueError: a bad name, or a live saved search has it and `replace` is not given.
        QueryInvalid: a query the language cannot read (nothing is written).
    """
    cleaned = clean_name(name)
    text = clean_query(query)
    moment = stamp(now)
    held = find(conn, cleaned)
    if held is not None:
        if not replace:
            raise ValueError(f"a saved search named {held.name!r} exists")
        if (held.name, held.query) == (cleaned, text):
            return held.uid, False
        conn.execute(
            "UPDATE saved_searches SET name = ?, query = ?, updated_at = ? WHERE uid = ?",
            (cleaned, text, moment, held.uid),
        )
        return held.uid, True
    position = _next_position(conn)
    tombstone = _newest_tombstone(conn, cleaned)
    if tombstone is not None:
        conn.execute(
            "UPDATE saved_searches SET deleted_at = NULL, updated_at = ?, name = ?, query = ?,"
            " position = ? WHERE id = ?",
            (moment, cleaned, text, position, tombstone),
        )
        row = conn.execute("SELECT uid FROM saved_searches WHERE id = ?", (tombstone,))
        return str(row.fetchone()[0]), True
    uid = new_uid()
    conn.execute(
        "INSERT INTO saved_searches (uid, created_at, updated_at, name, query, position)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (uid, moment, moment, cleaned, text, position),
    )
    return uid, True


def rename(conn: sqlite3.Connection, uid: str, name: str, now: dt.datetime) -> bool:
    """Renames a saved search; returns whether the name changed.

    Raises:
        LookupError: no such saved search. ValueError: a bad name, or another has it.
    """
    held = _live(conn, uid)
    cleaned = clean_name(name)
    if cleaned == held.name:
        return False
    _refuse_clash(conn, cleaned, uid)
    conn.execute(
        "UPDATE saved_searches SET name = ?, updated_at = ? WHERE uid = ?",
        (cleaned, stamp(now), uid),
    )
    return True


def edit(conn: sqlite3.Connection, uid: str, query: str, now: dt.datetime) -> bool:
    """Gives a saved search another query; returns whether it changed.

    Raises:
        LookupError: no such saved search. QueryInvalid: a query the language cannot read.
    """
    held = _live(conn, uid)
    text = clean_query(query)
    if text == held.query:
        return False
    conn.execute(
        "UPDATE saved_searches SET query = ?, updated_at = ? WHERE uid = ?",
        (text, stamp(now), uid),
    )
    return True


def delete(conn: sqlite3.Connection, uid: str, now: dt.datetime) -> None:
    """Deletes a saved search (it becomes a tombstone).

    Raises:
        LookupError: no such saved search.
    """
    _live(conn, uid)
    moment = stamp(now)
    conn.execute(
        "UPDATE saved_searches SET deleted_at = ?, updated_at = ? WHERE uid = ?",
        (moment, moment, uid),
    )
