"""Highlights: passages the reader marked, kept on their words through re-imports.

A highlight is a record (`desktop.store.records`) naming its case by identity. It stores
the selector `desktop.anchoring` re-anchors from (section, quote, context, whether the quote
was unique then, the last place it sat) and the placement made from it (``anchor_start``,
``anchor_end``; NULL while detached) together with the case's content hash that placement
was made against (``anchored_to``). Whenever that hash differs from the case's (a re-import,
a restored version, a merge from another machine), `reanchor` places the highlight again,
inside the same transaction as the change of text. A highlight that cannot be placed is
detached, never dropped: it keeps its quote, comment and tags, and the reader can attach it
again.

Re-anchoring moves a highlight without touching ``updated_at``: the placement is derived
from the text and the selector, and any copy re-derives it; ``updated_at`` counts the
reader's own changes, which are what merges must order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from desktop.model import (
    Case,
    CaseId,
    Highlight,
    HighlightFilter,
    HighlightMark,
    HighlightRow,
)
from desktop.palette import COLOURS, colour_named
from desktop.sections import case_sections
from desktop.store.cases import cut_query, fts_query, get_case
from desktop.store.records import new_uid, stamp

if TYPE_CHECKING:  # the anchoring (and rapidfuzz) load when a highlight is placed, not at start
    from desktop.anchoring import Placement, Selector

#: The columns a `Highlight` is read from, the highlight aliased `x` and its case `c`.
_COLUMNS = (
    "x.uid, c.id, x.section, x.anchor_start, x.anchor_end, x.quote, x.colour, x.comment,"
    " x.tags, x.created_at, x.updated_at"
)
_CASE_OF = "cases c ON c.source = x.case_source AND c.source_id = x.case_source_id"
#: The case title the browser shows for a highlight whose case is not in the library.
_NOT_HERE = "(case not in this library)"
#: At most this many tags on a highlight, each at most this long (characters).
MAX_TAGS, MAX_TAG_LENGTH = 32, 64
#: A highlight's comment, at most (characters): far beyond any comment, well within what
#: the Markdown preview is given.
MAX_COMMENT = 20_000


def section_texts(case: Case) -> dict[str, str]:
    """Every section of the case by key, in reading order (the answers too)."""
    return {section.key: section.text for section in case_sections(case)}


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags as stored: trimmed, inner white space one space, a leading '#' dropped, empty
    ones and repeats (ignoring case) left out, in the order given.

    Raises:
        ValueError: too many tags, or one too long.
    """
    kept: dict[str, str] = {}
    for tag in tags:
        cleaned = " ".join(tag.split()).lstrip("#").strip()
        if not cleaned:
            continue
        if len(cleaned) > MAX_TAG_LENGTH:
            raise ValueError(f"tag {cleaned[:20]!r}... is longer than {MAX_TAG_LENGTH} characters")
        kept.setdefault(cleaned.casefold(), cleaned)
    if len(kept) > MAX_TAGS:
        raise ValueError(f"a highlight takes at most {MAX_TAGS} tags ({len(kept)} given)")
    return tuple(kept.values())


def _check_comment(comment: str) -> str:
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"a comment takes at most {MAX_COMMENT:,} characters")
    return comment


def _case_row(conn: sqlite3.Connection, case_id: CaseId) -> tuple[str, str, str]:
    row = conn.execute(
        "SELECT source, source_id, content_hash FROM cases WHERE id = ?", (case_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no case {case_id} in this library")
    return str(row[0]), str(row[1]), str(row[2])


def add_highlight(
    conn: sqlite3.Connection,
    case_id: CaseId,
    section: str,
    start: int,
    end: int,
    *,
    now: dt.datetime,
    colour: str,
    comment: str = "",
    tags: Sequence[str] = (),
) -> str:
    """Highlights characters `start`..`end` of a section of a case; returns the new uid.

    Must run inside a transaction.

    Raises:
        LookupError: no such case or section.
        ValueError: an empty or out-of-range span, an unknown colour, bad tags.
    """
    source, source_id, digest = _case_row(conn, case_id)
    case = get_case(conn, case_id)
    assert case is not None  # its row was just read
    texts = section_texts(case)
    if section not in texts:
        raise LookupError(f"case {source}:{source_id} has no section {section!r}")
    from desktop.anchoring import make_selector

    selector = make_selector(section, texts[section], start, end)
    name = colour_named(colour).name
    cleaned = clean_tags(tags)
    moment = stamp(now)
    uid = new_uid()
    conn.execute(
        "INSERT INTO highlights (uid, created_at, updated_at, case_source, case_source_id,"
        " section, anchor_start, anchor_end, hint_start, hint_end, quote, prefix, suffix,"
        " unique_quote, colour, comment, tags, anchored_to)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            uid,
            moment,
            moment,
            source,
            source_id,
            *_selector_values(selector),
            name,
            _check_comment(comment),
            json.dumps(list(cleaned), ensure_ascii=False),
            digest,
        ),
    )
    return uid


def _selector_values(selector: Selector) -> tuple[object, ...]:
    """A new selector's columns: section, anchor_start, anchor_end, hint_start, hint_end,
    quote, prefix, suffix, unique_quote (placed where it was made)."""
    return (
        selector.section,
        selector.start,
        selector.end,
        selector.start,
        selector.end,
        selector.quote,
        selector.prefix,
        selector.suffix,
        int(selector.unique),
    )


def _highlight(row: Sequence[Any], texts: Mapping[str, str] | None) -> Highlight:
    start, end = row[3], row[4]
    text = ""
    if start is not None and texts is not None:
        text = texts.get(row[2], "")[start:end]
    return Highlight(
        uid=row[0],
        case_id=CaseId(row[1]) if row[1] is not None else None,
        section=row[2],
        start=start,
        end=end,
        quote=row[5],
        text=text if start is not None else "",
        colour=row[6] if row[6] in COLOURS else "yellow",
        comment=row[7],
        tags=_tags(row[8]),
        created_at=dt.datetime.fromisoformat(row[9]),
        updated_at=dt.datetime.fromisoformat(row[10]),
    )


@functools.lru_cache(maxsize=1024)
def _tags(stored: str | None) -> tuple[str, ...]:
    """Stored tags (a JSON list) as a tuple; the same few lists recur, so they are cached."""
    if not stored or stored == "[]":
        return ()
    return tuple(str(tag) for tag in json.loads(stored))


def needs_reanchoring(conn: sqlite3.Connection, case_id: CaseId) -> bool:
    """Whether a live highlight of the case was placed against another text of it."""
    row = conn.execute(
        "SELECT 1 FROM cases c JOIN highlights x ON x.case_source = c.source"
        " AND x.case_source_id = c.source_id WHERE c.id = ? AND x.deleted_at IS NULL"
        " AND x.anchored_to != c.content_hash LIMIT 1",
        (case_id,),
    ).fetchone()
    return row is not None


def reanchor(conn: sqlite3.Connection, case_id: CaseId) -> int:
    """Places again every live highlight of the case that was placed against another text
    of it (see `desktop.anchoring.anchor_all`); returns how many changed place or status.

    Must run inside a transaction (the one that changed the text, where there is one).
    """
    rows, placements, digest = _placements(conn, case_id)
    changed = 0
    for row, placement in zip(rows, placements, strict=True):
        changed += _place(conn, row, placement, digest)
    return changed


#: A highlight or its mark (what `placed_for_now` moves).
Item = TypeVar("Item", Highlight, HighlightMark)


def placed_for_now(conn: sqlite3.Connection, case_id: CaseId, found: list[Item]) -> list[Item]:
    """The case's highlights (or marks) as read, each that needs re-anchoring where
    `reanchor` would put it, without writing: for a library that cannot be written to."""
    rows, placements, _ = _placements(conn, case_id)
    placed = {row[10]: placement for row, placement in zip(rows, placements, strict=True)}
    if not placed:
        return found
    case = get_case(conn, case_id)
    texts = section_texts(case) if case is not None else {}
    return [_moved(item, placed, texts) for item in found]


def _moved(item: Item, placed: dict[str, Placement | None], texts: dict[str, str]) -> Item:
    """A highlight (or its mark) where `placed` puts it, if it names it (None: detached)."""
    uid = item.uid if isinstance(item, Highlight) else item[0]
    if uid not in placed:
        return item
    where = placed[uid]
    section = where.section if where is not None else _section_of(item)
    start = where.start if where is not None else None
    end = where.end if where is not None else None
    if isinstance(item, Highlight):
        text = texts.get(section, "")[start:end] if start is not None else ""
        return dataclasses.replace(item, section=section, start=start, end=end, text=text)
    return (uid, section, start, end, item[4])


def _section_of(item: Highlight | HighlightMark) -> str:
    return item.section if isinstance(item, Highlight) else item[1]


def _placements(
    conn: sqlite3.Connection, case_id: CaseId
) -> tuple[list[Any], list[Placement | None], str]:
    """The case's highlights placed against another text of it, where they go now, and the
    case's content hash."""
    source, source_id, digest = _case_row(conn, case_id)
    rows = conn.execute(
        "SELECT id, section, hint_start, hint_end, quote, prefix, suffix, unique_quote,"
        " anchor_start, anchor_end, uid FROM highlights WHERE case_source = ?"
        " AND case_source_id = ? AND deleted_at IS NULL AND anchored_to != ?",
        (source, source_id, digest),
    ).fetchall()
    if not rows:
        return [], [], digest
    case = get_case(conn, case_id)
    assert case is not None
    from desktop.anchoring import Selector, anchor_all

    selectors = [
        Selector(row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7])) for row in rows
    ]
    return rows, anchor_all(selectors, section_texts(case)), digest


def _place(
    conn: sqlite3.Connection, row: Sequence[Any], placement: Placement | None, digest: str
) -> int:
    """Stores a highlight's new placement (None: detached, keeping its last place as the
    hint); returns 1 if its place or status changed."""
    if placement is None:
        conn.execute(
            "UPDATE highlights SET anchor_start = NULL, anchor_end = NULL, anchored_to = ?"
            " WHERE id = ?",
            (digest, row[0]),
        )
        return int(row[8] is not None)
    conn.execute(
        "UPDATE highlights SET section = ?, anchor_start = ?, anchor_end = ?, hint_start = ?,"
        " hint_end = ?, anchored_to = ? WHERE id = ?",
        (
            placement.section,
            placement.start,
            placement.end,
            placement.start,
            placement.end,
            digest,
            row[0],
        ),
    )
    return int((placement.section, placement.start, placement.end) != (row[1], row[8], row[9]))


def highlights_of(
    conn: sqlite3.Connection, case_id: CaseId, *, deleted: bool = False
) -> list[Highlight]:
    """The case's live highlights in reading order (section, then start); detached ones
    last, oldest first. Placements are as stored: call `reanchor` first if
    `needs_reanchoring`. With `deleted`, its deleted ones (tombstones) instead, as they
    were placed when deleted."""
    case = get_case(conn, case_id)
    if case is None:
        return []
    texts = section_texts(case)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM highlights x JOIN {_CASE_OF}"
        f" WHERE c.id = ? AND x.deleted_at IS {'NOT ' if deleted else ''}NULL",
        (case_id,),
    ).fetchall()
    order = {key: index for index, key in enumerate(texts)}
    found = [_highlight(row, texts) for row in rows]

    def place(highlight: Highlight) -> tuple[int, int, int, str]:
        if highlight.start is None:
            return (1, 0, 0, highlight.created_at.isoformat())
        return (0, order.get(highlight.section, len(order)), highlight.start, highlight.uid)

    return sorted(found, key=place)


def marks_of(conn: sqlite3.Connection, case_id: CaseId) -> list[HighlightMark]:
    """The case's live highlights as (uid, section, start, end, colour): what drawing the
    page needs, read without the rest of each record. Placements as stored (see
    `highlights_of`)."""
    rows = conn.execute(
        "SELECT x.uid, x.section, x.anchor_start, x.anchor_end, x.colour FROM highlights x"
        f" JOIN {_CASE_OF} WHERE c.id = ? AND x.deleted_at IS NULL",
        (case_id,),
    )
    return [tuple(row) for row in rows]


def get_highlight(conn: sqlite3.Connection, uid: str) -> Highlight | None:
    """A highlight by uid, live or deleted (None if unknown or its case is not here)."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM highlights x JOIN {_CASE_OF} WHERE x.uid = ?", (uid,)
    ).fetchone()
    if row is None:
        return None
    case = get_case(conn, CaseId(row[1]))
    return _highlight(row, section_texts(case) if case is not None else None)


def resolve(conn: sqlite3.Connection, text: str) -> str:
    """The uid a reader or script names by its full uid or a unique beginning of it (at
    least 4 characters).

    Raises:
        LookupError: no highlight, or several, start so; the message says which.
    """
    wanted = text.strip().lower()
    if len(wanted) < 4:
        raise LookupError(f"highlight id {text!r} is too short: give at least 4 characters")
    escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        "SELECT uid FROM highlights WHERE uid LIKE ? ESCAPE '\\' LIMIT 2", (escaped + "%",)
    ).fetchall()
    if not rows:
        raise LookupError(f"no highlight {text!r} in this library")
    if len(rows) > 1:
        raise LookupError(f"several highlights start with {text!r}: give more of the id")
    return str(rows[0][0])


def _row_id_and_case(conn: sqlite3.Connection, uid: str) -> tuple[int, CaseId | None, bool]:
    row = conn.execute(
        f"SELECT x.id, c.id, x.deleted_at IS NOT NULL FROM highlights x LEFT JOIN {_CASE_OF}"
        " WHERE x.uid = ?",
        (uid,),
    ).fetchone()
    if row is None:
        raise LookupError(f"no highlight {uid} in this library")
    return int(row[0]), (CaseId(row[1]) if row[1] is not None else None), bool(row[2])


def edit_highlight(
    conn: sqlite3.Connection,
    uid: str,
    now: dt.datetime,
    *,
    colour: str | None = None,
    comment: str | None = None,
    tags: Sequence[str] | None = None,
) -> CaseId | None:
    """Changes a live highlight's colour, comment or tags (those given); returns its case
    if anything changed, else None.

    Raises:
        LookupError: no such highlight, or it was deleted.
        ValueError: an unknown colour, bad tags, a comment too long.
    """
    row_id, case_id, deleted = _row_id_and_case(conn, uid)
    if deleted:
        raise LookupError(f"highlight {uid} was deleted: undelete it first")
    current = conn.execute(
        "SELECT colour, comment, tags FROM highlights WHERE id = ?", (row_id,)
    ).fetchone()
    wanted = (
        current[0] if colour is None else colour_named(colour).name,
        current[1] if comment is None else _check_comment(comment),
        current[2] if tags is None else json.dumps(list(clean_tags(tags)), ensure_ascii=False),
    )
    if wanted == tuple(current):
        return None
    conn.execute(
        "UPDATE highlights SET colour = ?, comment = ?, tags = ?, updated_at = ? WHERE id = ?",
        (*wanted, stamp(now), row_id),
    )
    return case_id


def set_deleted(
    conn: sqlite3.Connection, uid: str, deleted: bool, now: dt.datetime
) -> CaseId | None:
    """Deletes a highlight (a tombstone) or brings a deleted one back; returns its case if
    that changed anything (None also when the case is not in the library).

    Raises:
        LookupError: no such highlight.
    """
    row_id, case_id, was_deleted = _row_id_and_case(conn, uid)
    if was_deleted == deleted:
        return None
    moment = stamp(now)
    conn.execute(
        "UPDATE highlights SET deleted_at = ?, updated_at = ? WHERE id = ?",
        (moment if deleted else None, moment, row_id),
    )
    if not deleted and case_id is not None:
        reanchor(conn, case_id)  # the text may have changed while it was deleted
    return case_id


def attach(
    conn: sqlite3.Connection, uid: str, section: str, start: int, end: int, *, now: dt.datetime
) -> CaseId:
    """Puts a highlight on the given passage of its case (the reader's "Attach here"):
    its quote and context become that passage's.

    Raises:
        LookupError: no such live highlight, or section.
        ValueError: an empty or out-of-range span.
    """
    row_id, case_id, deleted = _row_id_and_case(conn, uid)
    if deleted or case_id is None:
        raise LookupError(f"highlight {uid} is deleted or its case is not in the library")
    case = get_case(conn, case_id)
    assert case is not None
    texts = section_texts(case)
    if section not in texts:
        raise LookupError(f"the case has no section {section!r}")
    from desktop.anchoring import make_selector

    selector = make_selector(section, texts[section], start, end)
    _, _, digest = _case_row(conn, case_id)
    conn.execute(
        "UPDATE highlights SET section = ?, anchor_start = ?, anchor_end = ?, hint_start = ?,"
        " hint_end = ?, quote = ?, prefix = ?, suffix = ?, unique_quote = ?, anchored_to = ?,"
        " updated_at = ? WHERE id = ?",
        (
            *_selector_values(selector),
            digest,
            stamp(now),
            row_id,
        ),
    )
    return case_id


def _listed(conn: sqlite3.Connection) -> str:
    """Live highlights of cases not in the Trash (SQL over a highlight `x`).

    A highlight whose case is not in the library at all (one a merge brought before its
    case) is listed too: the reader's work is shown, never hidden. Trashed cases are few
    (and usually none), so this is at most a set lookup per highlight, in the index.
    """
    trashed = conn.execute("SELECT 1 FROM cases WHERE trashed_at IS NOT NULL LIMIT 1")
    if trashed.fetchone() is None:
        return "x.deleted_at IS NULL"
    return (
        "x.deleted_at IS NULL AND (x.case_source, x.case_source_id) NOT IN"
        " (SELECT source, source_id FROM cases WHERE trashed_at IS NOT NULL)"
    )


def _browse_where(conn: sqlite3.Connection, wanted: HighlightFilter) -> tuple[str, tuple[Any, ...]]:
    conditions = [_listed(conn)]
    params: list[Any] = []
    if wanted.colour:
        conditions.append("x.colour = ?")
        params.append(colour_named(wanted.colour).name)
    if wanted.tag:
        conditions.append(
            "x.id IN (SELECT highlight_id FROM highlight_tags WHERE tag = ? COLLATE NOCASE)"
        )
        params.append(wanted.tag)
    match = fts_query(cut_query(wanted.text)[0]) if wanted.text.strip() else None
    if match is not None:
        # Words of the quote, comment or tags, or of the case's title; the last one as a
        # prefix (typed as you go). Both through the search indexes, never a scan.
        conditions.append(
            "(x.id IN (SELECT rowid FROM highlights_fts WHERE highlights_fts MATCH ?)"
            " OR (x.case_source, x.case_source_id) IN (SELECT source, source_id FROM cases"
            " WHERE id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)))"
        )
        params.extend([match, f"{{title}} : ({match})"])
    return " AND ".join(conditions), tuple(params)


def browse_ids(
    conn: sqlite3.Connection, wanted: HighlightFilter, limit: int | None = None
) -> list[int]:
    """The row ids of the highlights the browser lists, newest first (those of cases in the
    Trash left out); the first `limit` only, if given. Read from an index in order."""
    where, params = _browse_where(conn, wanted)
    rows = conn.execute(
        f"SELECT x.id FROM highlights x WHERE {where} ORDER BY x.created_at DESC, x.id DESC"
        " LIMIT ?",
        (*params, -1 if limit is None else limit),
    )
    return [row[0] for row in rows]


def browse_rows(conn: sqlite3.Connection, ids: Sequence[int]) -> list[HighlightRow]:
    """Browser rows for these row ids, in the order given (ids no longer there left out).

    The text a highlight covers now is not read here (it would need each case's text):
    the browser shows the quote."""
    found: dict[int, HighlightRow] = {}
    for first in range(0, len(ids), 500):
        chunk = list(ids[first : first + 500])
        marks = ", ".join("?" for _ in chunk)
        for row in conn.execute(
            f"SELECT x.id, {_COLUMNS}, c.title,"
            " x.case_source || ':' || x.case_source_id FROM highlights x"
            f" LEFT JOIN {_CASE_OF} WHERE x.id IN ({marks})",
            chunk,
        ):
            found[row[0]] = HighlightRow(_highlight(row[1:12], None), row[12] or _NOT_HERE, row[13])
    return [found[i] for i in ids if i in found]


def tag_counts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every tag on a listed highlight with how many carry it, by name (ignoring case)."""
    rows = conn.execute(
        "SELECT t.tag, count(*) FROM highlight_tags t CROSS JOIN highlights x"
        f" ON x.id = t.highlight_id WHERE {_listed(conn)}"
        " GROUP BY t.tag COLLATE NOCASE ORDER BY t.tag COLLATE NOCASE"
    )
    return [(str(row[0]), int(row[1])) for row in rows]


def count_listed(conn: sqlite3.Connection) -> int:
    """How many highlights the browser lists with no filter."""
    listed = _listed(conn)
    return int(conn.execute(f"SELECT count(*) FROM highlights x WHERE {listed}").fetchone()[0])


#: The preferences key of a colour's meaning.
def _meaning_key(colour: str) -> str:
    return f"colour_meaning.{colour}"


def colour_meanings(conn: sqlite3.Connection) -> dict[str, str]:
    """What the reader said each colour means (colours without a meaning left out)."""
    rows = conn.execute(
        "SELECT key, value FROM preferences WHERE key LIKE 'colour\\_meaning.%' ESCAPE '\\'"
    )
    found = {str(key).split(".", 1)[1]: str(value) for key, value in rows}
    return {name: found[name] for name in COLOURS if found.get(name)}


def set_colour_meaning(
    conn: sqlite3.Connection, colour: str, meaning: str, now: dt.datetime
) -> bool:
    """Gives a colour a meaning ('' clears it); returns whether it changed.

    Raises:
        ValueError: an unknown colour, or a meaning over 80 characters.
    """
    name = colour_named(colour).name
    cleaned = " ".join(meaning.split())
    if len(cleaned) > 80:
        raise ValueError("a colour's meaning takes at most 80 characters")
    if colour_meanings(conn).get(name, "") == cleaned:
        return False
    conn.execute(
        "INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
        " updated_at = excluded.updated_at",
        (_meaning_key(name), cleaned, stamp(now)),
    )
    return True
