"""Tags on cases (table ``case_tags``, schema 8): one reader record per tag on a case.

A tag is cleaned as highlight tags are (`desktop.store.highlights.clean_tags`) and matched
ignoring case: a case carries at most one live record of a name, which the store keeps (a
unique index could not survive merges). Untagging leaves a tombstone; tagging again revives
the newest one. Callers pass case row ids and run each change inside
`Library.transaction()`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import string
from collections.abc import Iterable

from desktop.model import CaseId, TagCount
from desktop.store.highlights import clean_tags
from desktop.store.reader_data import CASE_OF, _require, identity
from desktop.store.records import CaseKey, new_uid, stamp


def clean_tag(tag: str) -> str:
    """One tag as stored (see `clean_tags`).

    Raises:
        ValueError: an empty or too long tag.
    """
    cleaned = clean_tags([tag])
    if not cleaned:
        raise ValueError(f"{tag!r} is not a tag (it is empty)")
    return cleaned[0]


def _clean(tags: Iterable[str]) -> tuple[str, ...]:
    cleaned = clean_tags(tags)
    if not cleaned:
        raise ValueError("no tag given")
    return cleaned


def _records(conn: sqlite3.Connection, key: CaseKey, tag: str) -> list[tuple[int, str | None]]:
    """A case's records of a tag (any case of letters): (row id, deleted_at), live ones
    first, then tombstones newest first."""
    rows = conn.execute(
        "SELECT id, deleted_at, tag FROM case_tags WHERE case_source = ? AND case_source_id = ?"
        " ORDER BY deleted_at IS NOT NULL, updated_at DESC, id DESC",
        key,
    )
    wanted = tag.casefold()
    return [(int(row[0]), row[1]) for row in rows if str(row[2]).casefold() == wanted]


def tag_cases(
    conn: sqlite3.Connection, case_ids: Iterable[CaseId], tags: Iterable[str], now: dt.datetime
) -> list[tuple[CaseId, str]]:
    """Puts every tag on every case (a case keeps a tag it has under any case of letters).

    Returns:
        The (case, tag) pairs it added.

    Raises:
        LookupError: no such case. ValueError: no tag, or a bad one (nothing is written).
    """
    cleaned = _clean(tags)
    wanted = list(dict.fromkeys(case_ids))
    keys = [_require(conn, case_id) for case_id in wanted]
    moment = stamp(now)
    changed: list[tuple[CaseId, str]] = []
    for case_id, key in zip(wanted, keys, strict=True):
        for tag in cleaned:
            found = _records(conn, key, tag)
            if found and found[0][1] is None:
                continue
            if found:
                conn.execute(
                    "UPDATE case_tags SET deleted_at = NULL, updated_at = ?, tag = ? WHERE id = ?",
                    (moment, tag, found[0][0]),
                )
            else:
                conn.execute(
                    "INSERT INTO case_tags (uid, created_at, updated_at, case_source,"
                    " case_source_id, tag) VALUES (?, ?, ?, ?, ?, ?)",
                    (new_uid(), moment, moment, *key, tag),
                )
            changed.append((case_id, tag))
    return changed


def untag_cases(
    conn: sqlite3.Connection, case_ids: Iterable[CaseId], tags: Iterable[str], now: dt.datetime
) -> list[tuple[CaseId, str]]:
    """Takes the tags off the cases (any case of letters); their records become tombstones.

    Returns:
        The (case, tag as it was spelled on the case) pairs it took off.

    Raises:
        LookupError: no such case. ValueError: no tag, or a bad one.
    """
    cleaned = _clean(tags)
    moment = stamp(now)
    changed: list[tuple[CaseId, str]] = []
    for case_id in dict.fromkeys(case_ids):
        key = _require(conn, case_id)
        for tag in cleaned:
            for row, deleted in _records(conn, key, tag):
                if deleted is not None:
                    continue
                spelled = conn.execute("SELECT tag FROM case_tags WHERE id = ?", (row,))
                changed.append((case_id, str(spelled.fetchone()[0])))
                conn.execute(
                    "UPDATE case_tags SET deleted_at = ?, updated_at = ? WHERE id = ?",
                    (moment, moment, row),
                )
    return changed


def tags_of(conn: sqlite3.Connection, case_id: CaseId) -> list[str]:
    """A case's live tags, sorted ignoring case."""
    key = identity(conn, case_id)
    if key is None:
        return []
    rows = conn.execute(
        "SELECT tag FROM case_tags WHERE case_source = ? AND case_source_id = ?"
        " AND deleted_at IS NULL",
        key,
    )
    found: dict[str, str] = {}
    for (tag,) in rows:
        found.setdefault(str(tag).casefold(), str(tag))
    return sorted(found.values(), key=lambda tag: (tag.casefold(), tag))


def tags_of_cases(conn: sqlite3.Connection, case_ids: Iterable[CaseId]) -> list[str]:
    """The live tags any of these cases carries, sorted ignoring case (one statement,
    however many cases)."""
    wanted = json.dumps([int(case_id) for case_id in case_ids])
    rows = conn.execute(
        "SELECT DISTINCT x.tag FROM cases c CROSS JOIN case_tags x"
        " ON x.case_source = c.source AND x.case_source_id = c.source_id"
        " WHERE c.id IN (SELECT value FROM json_each(?)) AND x.deleted_at IS NULL"
        " ORDER BY x.tag",
        (wanted,),
    )
    found: dict[str, str] = {}
    for (tag,) in rows:
        found.setdefault(str(tag).casefold(), str(tag))
    return sorted(found.values(), key=lambda tag: (tag.casefold(), tag))


#: Tags counted by `nocase_counts`: NOCASE form -> (spelling shown, cases).
Counted = dict[str, tuple[str, int]]


def nocase_counts(conn: sqlite3.Connection) -> Counted:
    """How many cases out of the trash carry each tag, by the tag's NOCASE form (spellings
    differing in ASCII case are one tag, shown as the first in code-point order).

    Counted from the partial index ``case_tags_live`` alone, less the tags of trashed
    cases (a live tag always names a case in the library: see
    `desktop.store.collections.direct_counts`).
    """
    counted: Counted = {}
    for tag, count in conn.execute(
        "SELECT min(tag), count(*) FROM case_tags INDEXED BY case_tags_live"
        " WHERE deleted_at IS NULL GROUP BY tag COLLATE NOCASE"
    ):
        counted[nocase(str(tag))] = (str(tag), int(count))
    for tag, trashed in conn.execute(
        "SELECT min(x.tag), count(*) FROM cases c CROSS JOIN case_tags x"
        " ON x.case_source = c.source AND x.case_source_id = c.source_id"
        " WHERE c.trashed_at IS NOT NULL AND x.deleted_at IS NULL GROUP BY x.tag COLLATE NOCASE"
    ):
        key = nocase(str(tag))
        if key in counted:
            counted[key] = (counted[key][0], counted[key][1] - int(trashed))
    return counted


def shift(
    conn: sqlite3.Connection, counted: Counted, case_ids: Iterable[CaseId], step: int
) -> None:
    """Brings kept counts (`nocase_counts`) up to date after cases left the trash (`step`
    1) or went into it (-1): their live tags count again, or no longer. The spelling shown
    stays: `nocase_counts` takes it from every live record, in the trash or not."""
    wanted = list(dict.fromkeys(case_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for (tag,) in conn.execute(
            f"SELECT x.tag FROM case_tags x CROSS JOIN {CASE_OF}"
            f" WHERE x.deleted_at IS NULL AND c.id IN ({marks})",
            chunk,
        ):
            key = nocase(str(tag))
            shown, count = counted.get(key, (str(tag), 0))
            counted[key] = (shown, count + step)


def spelling(conn: sqlite3.Connection, tag: str) -> str | None:
    """How `nocase_counts` shows a tag: the first live spelling of its NOCASE form."""
    row = conn.execute(
        "SELECT min(tag) FROM case_tags INDEXED BY case_tags_live"
        " WHERE deleted_at IS NULL AND tag = ? COLLATE NOCASE",
        (tag,),
    ).fetchone()
    return None if row[0] is None else str(row[0])


def tag_counts(conn: sqlite3.Connection, counted: Counted | None = None) -> list[TagCount]:
    """Every tag on a case in the library and out of the trash, with how many such cases
    carry it, sorted ignoring case; spellings differing in case count as one tag.

    Args:
        counted: `nocase_counts` as a caller keeps them up to date (None: count now).
    """
    if counted is None:
        counted = nocase_counts(conn)
    # NOCASE folds ASCII letters only: spellings of other letters are joined here.
    merged: dict[str, TagCount] = {}
    for tag, count in counted.values():
        if count <= 0:
            continue
        fold = tag.casefold()
        held = merged.get(fold)
        merged[fold] = (
            TagCount(tag, count)
            if held is None
            else TagCount(min(held.tag, tag), held.count + count)
        )
    return sorted(merged.values(), key=lambda item: (item.tag.casefold(), item.tag))


def nocase(text: str) -> str:
    """`text` as SQLite's NOCASE compares it: ASCII letters folded, others as they are."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def tagged_ids(conn: sqlite3.Connection, tag: str) -> list[CaseId]:
    """The cases (in the library, out of the trash) carrying a tag, by id."""
    from desktop.query import tag_equals  # the one rule for "this tag, any case"

    equals, bound = tag_equals("x.tag", clean_tag(tag))
    rows = conn.execute(
        f"SELECT DISTINCT c.id FROM case_tags x CROSS JOIN {CASE_OF}"
        f" WHERE {equals} AND x.deleted_at IS NULL AND c.trashed_at IS NULL ORDER BY c.id",
        bound,
    )
    return [CaseId(row[0]) for row in rows]


def rename_tag(conn: sqlite3.Connection, old: str, new: str, now: dt.datetime) -> list[CaseId]:
    """Renames a tag on every case (any case of letters). A case that has the new name
    already keeps one record of it: the old one becomes a tombstone (a merge of the two).

    Returns:
        The cases whose tags changed (the trash's too).

    Raises:
        ValueError: a bad name.
    """
    source, target = clean_tag(old), clean_tag(new)
    if source == target:
        return []
    moment = stamp(now)
    from desktop.query import tag_equals

    equals, bound = tag_equals("tag", source)
    rows = conn.execute(
        "SELECT id, case_source, case_source_id, tag FROM case_tags"
        f" WHERE deleted_at IS NULL AND {equals}",
        bound,
    ).fetchall()
    changed: set[CaseId] = set()
    for row, case_source, case_source_id, tag in rows:
        if str(tag).casefold() != source.casefold():
            continue  # NOCASE folds ASCII only; casefold decides
        key = (str(case_source), str(case_source_id))
        held = [
            found
            for found, deleted in _records(conn, key, target)
            if deleted is None and found != row
        ]
        if held and source.casefold() != target.casefold():
            conn.execute(
                "UPDATE case_tags SET deleted_at = ?, updated_at = ? WHERE id = ?",
                (moment, moment, row),
            )
        else:
            conn.execute(
                "UPDATE case_tags SET tag = ?, updated_at = ? WHERE id = ?",
                (target, moment, row),
            )
        found_id = conn.execute(
            "SELECT id FROM cases WHERE source = ? AND source_id = ?", key
        ).fetchone()
        if found_id is not None:
            changed.add(CaseId(found_id[0]))
    return sorted(changed)
