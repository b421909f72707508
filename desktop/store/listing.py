"""What the case list shows: ids filtered and sorted in SQL, rows with the reader's marks,
sidebar counts, and search over case text and notes together."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.model import CaseFilter, CaseId, ListRow, SidebarCounts
from desktop.store.cases import cut_query, fts_query, summary_from_row
from desktop.store.changes import Changes
from desktop.store.errors import QueryInvalid
from desktop.store.highlights import count_listed
from desktop.store.ranking import BM25_WEIGHTS, ranked_ids
from desktop.store.records import instant, stamp
from desktop.store.schema import FTS_COLUMNS
from desktop.store.snippets import make_snippet, query_terms
from desktop.store.study import DUE_CONDITION, count_due
from desktop.store.tags import nocase  # as SQLite's NOCASE sorts the sections

if TYPE_CHECKING:
    from desktop.query import Compiled, InCollection, Node, Text

#: How far back "Recently read" looks.
RECENT_DAYS = 30

#: The live records of a reader table (`x`) joined to the cases they name (`k`), by the
#: case's identity through the unique index on cases(source, source_id); reader table first
#: (CROSS JOIN keeps SQLite from walking the cases instead). Costs a fraction of a
#: microsecond per record and never reads a case's row.
_LIVE_CASES = (
    "{table} x CROSS JOIN cases k ON k.source = x.case_source"
    " AND k.source_id = x.case_source_id WHERE x.deleted_at IS NULL AND {condition}"
)


def _case_ids_of(table: str, condition: str = "1") -> str:
    """A subquery: the ids of the cases with a live record in a reader table (and
    `condition` on it). SQLite runs it once per statement and then tests ids only."""
    return f"(SELECT k.id FROM {_LIVE_CASES.format(table=table, condition=condition)})"


#: The sort key of a collection's own order (its cases as the reader arranged them, then
#: those of the collections under it): no SQL expression, read from the collection.
COLLECTION_ORDER = "position"

#: Sort keys, mapped to SQL over the joined tables below; ties break on id.
SORTS: dict[str, str] = {
    "title": "c.title COLLATE NOCASE",
    "section": "c.section",
    "age": "c.age_days",
    "sex": "c.sex",
    "diagnosis": "c.final_diagnosis COLLATE NOCASE",
    "published": "c.published",
    "imported": "c.imported_at",
    "read": "r.last_read_at",
    # The schedule keeps each case's row id (derived data): one index probe a case.
    "due": "(SELECT s.due FROM study_schedule s WHERE s.case_id = c.id)",
    # Sets of ids rather than joins: one pass over bookmarks and notes, none per case.
    "marks": f"(c.id IN {_case_ids_of('bookmarks')}) * 4 + (c.id IN {_case_ids_of('notes')}) * 2"
    f" + (c.id IN {_case_ids_of('highlights')})",
}


def _live(table: str, alias: str) -> str:
    """A LEFT JOIN of a case `c` to its live record in a one-per-case reader table.

    By the case's identity, through the table's index of live records (tombstones are
    never joined)."""
    return (
        f"LEFT JOIN {table} {alias} ON {alias}.case_source = c.source"
        f" AND {alias}.case_source_id = c.source_id AND {alias}.deleted_at IS NULL"
    )


_MARKS_JOIN = f"{_live('bookmarks', 'b')} {_live('notes', 'n')} {_live('reading', 'r')}"
_FROM = f"cases c {_MARKS_JOIN}"
#: Sorts on the reader's data (or on a column without an index) go through `_FROM`; the
#: others read a list index.
_JOINED_SORTS = frozenset({"read", "marks", "sex", "due"})
#: Sort keys that always hold a value.
_NEVER_NULL = frozenset({"title", "imported", "marks"})
_ROW_COLUMNS = (
    "c.id, c.source, c.source_id, c.title, c.section, c.published, c.age, c.age_days, c.sex,"
    " c.final_diagnosis, b.id IS NOT NULL, n.id IS NOT NULL, r.id IS NOT NULL,"
    " EXISTS (SELECT 1 FROM highlights h WHERE h.case_source = c.source"
    " AND h.case_source_id = c.source_id AND h.deleted_at IS NULL),"
    " (SELECT s.due FROM study_schedule s WHERE s.case_id = c.id)"
)
#: Weight of a match in the reader's own words (a note, a highlight's comment or tags)
#: against one in the case text.
_NOTE_WEIGHT = 2.0
#: The reader's words search covers: (index, the text a snippet is cut from, its table, the
#: index's columns searched: a highlight's quote is the case's own text, found there).
_READER_INDEXES = (
    ("notes_fts", "x.body", "notes", ""),
    (
        "highlights_fts",
        "x.comment || ' ' || replace(replace(replace(x.tags, '[', ''), ']', ''), '\"', '')",
        "highlights",
        "{comment tags}",
    ),
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A search hit: the case, a snippet with marked matches, its score, and whether the
    snippet comes from the reader's note or from a highlight's comment or tags."""

    case_id: CaseId
    snippet: str
    score: float
    in_note: bool
    in_highlight: bool = False


def case_ids(
    conn: sqlite3.Connection,
    case_filter: CaseFilter,
    sort: str = "title",
    descending: bool = False,
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> list[CaseId]:
    """The ids the list shows, in order, cheap even for 100,000 cases; the first `limit`
    of them only, if given (a first screen, at once).

    The usual sorts read an index in order (migration 4) and never the rows; cases without
    a value (no age, undated) come after the others whichever way the list is sorted.
    """
    if sort == "due":
        return _by_due(conn, case_filter, descending, now, limit)
    if sort == COLLECTION_ORDER:
        if case_filter.kind != "collection" or case_filter.value is None:
            raise ValueError("only a collection's list is in collection order")
        from desktop.store.collections import member_ids

        try:
            members = member_ids(conn, case_filter.value, nested=True)
        except LookupError:
            members = []  # deleted meanwhile (another program): nothing to list
        ordered = members[::-1] if descending else members
        return ordered if limit is None else ordered[:limit]
    where, params = _where(case_filter, now)
    if sort not in SORTS:
        raise ValueError(f"cannot sort by {sort!r}; choose one of {', '.join(SORTS)}")
    wanted = -1 if limit is None else limit  # SQLite reads LIMIT -1 as no limit
    if sort not in _JOINED_SORTS and _few_members(conn, case_filter):
        # Each member's row read and sorted: cheaper than reading the whole list index in
        # order and testing every case against the members.
        where, params = _where(case_filter, now, _OUT_OF_TRASH_BY_ID)
        sql = f"SELECT c.id FROM cases c WHERE {where} ORDER BY {order_by(sort, descending)}"
        # No LIMIT unless one is asked for: SQLite sorts a limited list more slowly.
        if limit is not None:
            sql, params = f"{sql} LIMIT ?", (*params, limit)
        return [row[0] for row in conn.execute(sql, params)]
    if sort in _JOINED_SORTS:
        order = order_by(sort, descending)
        rows = conn.execute(
            f"SELECT c.id FROM {_FROM} WHERE {where} ORDER BY {order} LIMIT ?", (*params, wanted)
        )
        return [CaseId(row[0]) for row in rows]
    expression = SORTS[sort]
    column = expression.removesuffix(" COLLATE NOCASE")
    direction = "DESC" if descending else "ASC"
    # Row ids come back as plain ints, which is what CaseId is at run time: no per-row call.
    ids: list[CaseId] = [
        row[0]
        for row in conn.execute(
            f"SELECT c.id FROM cases c WHERE {where} AND {column} IS NOT NULL"
            f" ORDER BY {expression} {direction}, c.id {direction} LIMIT ?",
            (*params, wanted),
        )
    ]
    if sort not in _NEVER_NULL and (limit is None or len(ids) < limit):
        ids += [
            row[0]
            for row in conn.execute(
                f"SELECT c.id FROM cases c WHERE {where} AND {column} IS NULL"
                f" ORDER BY c.id {direction} LIMIT ?",
                (*params, -1 if limit is None else limit - len(ids)),
            )
        ]
    return ids


def _by_due(
    conn: sqlite3.Connection,
    case_filter: CaseFilter,
    descending: bool,
    now: dt.datetime | None,
    limit: int | None,
) -> list[CaseId]:
    """The list by when each case is next due, then the cases never drilled (by id).

    Two index reads and a set, never a case's row: the entry's cases from a list index
    (as sorting by title reads them), and the schedule in due order from its own index
    (joining the cases instead costs a page read per scheduled case: 220 ms at 100,000)."""
    listed = case_ids(conn, case_filter, "title", now=now)
    wanted = set(listed)
    direction = "DESC" if descending else "ASC"
    scheduled = [
        row[0]
        for row in conn.execute(
            "SELECT case_id FROM study_schedule WHERE case_id IS NOT NULL"
            f" ORDER BY due {direction}, case_id {direction}"
        )
        if row[0] in wanted
    ]
    never = sorted(wanted.difference(scheduled), reverse=descending)
    ordered = scheduled + never
    return ordered if limit is None else ordered[:limit]


#: A collection or tag holding fewer records than 1/_FEW_MEMBERS of the cases lists them by
#: reading each member's row (about 3 us a member, with its id) and sorting; more, and the
#: list index is read in order, each case tested against the members (0.3 us a case, plus
#: 1.4 us a member to make their set).
_FEW_MEMBERS = 5


def _few_members(conn: sqlite3.Connection, case_filter: CaseFilter) -> bool:
    """Whether a collection's or a tag's list is cheaper read member by member (above)."""
    if case_filter.kind == "collection":
        condition, bound = _IN_SUBTREE, (case_filter.value,)
    elif case_filter.kind == "tag":
        condition, bound = _tag_equals(case_filter.value or "")
    else:
        return False
    table = "collection_members" if case_filter.kind == "collection" else "case_tags"
    members, top = conn.execute(
        f"SELECT (SELECT count(*) FROM {table} x WHERE x.deleted_at IS NULL AND {condition}),"
        " (SELECT coalesce(max(id), 0) FROM cases)",
        bound,
    ).fetchone()
    return bool(members * _FEW_MEMBERS < top)


def _tag_equals(tag: str) -> tuple[str, tuple[str]]:
    from desktop.query import tag_equals  # loaded with the first tag listed

    return tag_equals("x.tag", tag)


def sort_ids(
    conn: sqlite3.Connection, ids: list[CaseId], sort: str, descending: bool
) -> list[CaseId]:
    """Puts the given ids (search hits) in list order."""
    order = order_by(sort, descending)
    found: list[CaseId] = []
    # A temporary table keeps the statement short whatever the number of hits.
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS sort_ids (id INTEGER PRIMARY KEY)")
    try:
        # (None is no case: SQLite would make it a new row id.)
        rows = [(i,) for i in ids if i is not None]
        conn.executemany("INSERT OR IGNORE INTO temp.sort_ids VALUES (?)", rows)
        for row in conn.execute(
            f"SELECT c.id FROM {_FROM} WHERE c.id IN (SELECT id FROM temp.sort_ids)"
            f" ORDER BY {order}"
        ):
            found.append(CaseId(row[0]))
    finally:
        conn.execute("DELETE FROM temp.sort_ids")
    return found


def rows(conn: sqlite3.Connection, ids: list[CaseId]) -> list[ListRow]:
    """List rows for the given ids, in the order given (ids not found are left out)."""
    found = {
        row[0]: ListRow(
            summary=summary_from_row(row[:10]),
            bookmarked=bool(row[10]),
            has_note=bool(row[11]),
            read=bool(row[12]),
            has_highlights=bool(row[13]),
            due=instant(row[14]) if row[14] else None,
        )
        for row in _select_ids(conn, _ROW_COLUMNS, ids)
    }
    return [found[i] for i in ids if i in found]


def highlight_counts(conn: sqlite3.Connection, ids: list[CaseId]) -> dict[CaseId, int]:
    """How many live highlights each of these cases has (cases with none left out)."""
    found: dict[CaseId, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(
            conn.execute(
                "SELECT c.id, count(*) FROM cases c JOIN highlights h ON h.case_source = c.source"
                " AND h.case_source_id = c.source_id AND h.deleted_at IS NULL"
                f" WHERE c.id IN ({marks}) GROUP BY c.id",
                chunk,
            )
        )
    return found


def _select_ids(
    conn: sqlite3.Connection,
    columns: str,
    ids: list[CaseId],
    where: str = "1",
    params: tuple[Any, ...] = (),
) -> Iterator[tuple[Any, ...]]:
    """Rows of `columns` for these case ids (500 a statement, within SQLite's limits)."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        yield from conn.execute(
            f"SELECT {columns} FROM {_FROM} WHERE c.id IN ({marks}) AND {where}",
            (*chunk, *params),
        )


#: The sidebar's counts in groups a change moves together (see `parts_moved`); "trash":
#: cases moved into or out of the trash (every count they are in moves by one).
COUNT_PARTS = frozenset({"reading", "bookmarks", "notes", "highlights", "trash", "due"})


def parts_moved(changes: Changes) -> frozenset[str] | None:
    """The groups of sidebar counts a change may move (None: all of them, as when cases
    came, went or changed); empty when it moves none of them (a tag, a collection, a saved
    search: those count apart)."""
    if changes.whole_library or changes.cases - changes.trash_moves:
        return None
    moved = {
        "reading": changes.reading,
        "bookmarks": changes.bookmarks,
        "notes": changes.notes,
        "highlights": changes.highlights,
        "trash": changes.trash_moves,
        "due": changes.reviews,
    }
    return frozenset(part for part, cases in moved.items() if cases)


def counts(
    conn: sqlite3.Connection,
    now: dt.datetime | None = None,
    *,
    only: frozenset[str] | None = None,
    previous: SidebarCounts | None = None,
    reading_orphans: list[str] | None = None,
    trash_moves: frozenset[CaseId] = frozenset(),
) -> SidebarCounts:
    """The sidebar's counts, from the indexes and the small tables of the reader's data.

    Args:
        only, previous: Count only these groups (`COUNT_PARTS`) and take the rest from
            `previous` (the counts before a change that moved only these: `parts_moved`).
            Either None: count everything.
        reading_orphans: `reading_orphans` as they stand (kept by the library): then the
            read cases are counted from the index of readings, not case by case.
        trash_moves: With "trash" in `only`: the cases that moved into or out of it.
    """
    if only is not None and previous is not None:
        if "trash" in only:
            previous = _trash_moved(conn, now, trash_moves, previous)
            only = only | {"due"}  # a due case moved with them, or not: ask the index
        return _recount(conn, now, only - {"trash"}, previous, reading_orphans)
    since = _recent_since(now)

    def count(sql: str, *params: object) -> int:
        return int(conn.execute(sql, params).fetchone()[0])

    def on_shelf(table: str, columns: str = "count(*)", *params: object) -> Any:
        return _on_shelf(conn, table, columns, *params)

    # The whole table less the trash, both from an index: testing `trashed_at` (the last
    # column of a large row) would read every case's row (0.1 s at 100,000 cases).
    total = count(
        "SELECT (SELECT count(*) FROM cases)"
        " - (SELECT count(*) FROM cases WHERE trashed_at IS NOT NULL)"
    )
    read, recent = on_shelf("reading", "count(*), coalesce(sum(x.last_read_at >= ?), 0)", since)
    (bookmarked,) = on_shelf("bookmarks")
    (notes,) = on_shelf("notes")
    highlighted = count_listed(conn)
    unread = total - read
    sections = conn.execute(
        "SELECT section, count(*) FROM cases WHERE section IS NOT NULL AND trashed_at IS NULL"
        " GROUP BY section ORDER BY section COLLATE NOCASE"
    ).fetchall()
    trash = conn.execute("SELECT count(*) FROM cases WHERE trashed_at IS NOT NULL").fetchone()
    return SidebarCounts(
        all=int(total),
        unread=int(unread),
        bookmarked=int(bookmarked),
        notes=int(notes),
        recent=int(recent),
        sections=tuple((str(name), int(count)) for name, count in sections),
        trash=int(trash[0]),
        highlights=int(highlighted),
        due=count_due(conn, now or dt.datetime.now(dt.UTC)),
    )


def _on_shelf(
    conn: sqlite3.Connection, table: str, columns: str = "count(*)", *params: object
) -> Any:
    """`columns` over the live records of a reader table naming cases in the library and
    out of the trash."""
    return conn.execute(
        f"SELECT {columns} FROM {_LIVE_CASES.format(table=table, condition='1')}"
        " AND k.id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)",
        params,
    ).fetchone()


def reading_orphans(conn: sqlite3.Connection) -> list[str]:
    """When each live reading record that names no case in the library was last read.

    Only a change that adds or removes cases (or merges reader data) changes these, so the
    library keeps them between such changes: the read cases are then those of the index
    of readings less these and those in the trash, with no lookup per reading."""
    rows = conn.execute(
        "SELECT x.last_read_at FROM reading x WHERE x.deleted_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM cases k WHERE k.source = x.case_source"
        " AND k.source_id = x.case_source_id)"
    )
    return [str(row[0]) for row in rows]


def _read_counts(
    conn: sqlite3.Connection, since: str, orphans: list[str] | None
) -> tuple[int, int]:
    """(cases read, read since `since`) in the library and out of the trash."""
    if orphans is None:
        read, recent = _on_shelf(
            conn, "reading", "count(*), coalesce(sum(x.last_read_at >= ?), 0)", since
        )
        return int(read), int(recent)
    live, live_recent = conn.execute(
        "SELECT count(*), coalesce(sum(last_read_at >= ?), 0) FROM reading"
        " INDEXED BY reading_last_read WHERE deleted_at IS NULL",
        (since,),
    ).fetchone()
    trashed, trashed_recent = conn.execute(
        "SELECT count(*), coalesce(sum(x.last_read_at >= ?), 0) FROM cases c"
        " CROSS JOIN reading x ON x.case_source = c.source AND x.case_source_id = c.source_id"
        " WHERE c.trashed_at IS NOT NULL AND x.deleted_at IS NULL",
        (since,),
    ).fetchone()
    orphans_recent = sum(1 for moment in orphans if moment >= since)
    return (
        int(live) - int(trashed) - len(orphans),
        int(live_recent) - int(trashed_recent) - orphans_recent,
    )


def _trash_moved(
    conn: sqlite3.Connection,
    now: dt.datetime | None,
    moved: frozenset[CaseId],
    previous: SidebarCounts,
) -> SidebarCounts:
    """`previous` after these cases moved into the trash or out of it (each as it is now):
    every count a case is in moves by one, read from the case itself."""

    def live(table: str, condition: str = "") -> str:
        return (
            f"(SELECT count(*) FROM {table} x WHERE x.case_source = c.source"
            f" AND x.case_source_id = c.source_id AND x.deleted_at IS NULL{condition})"
        )

    rows = conn.execute(
        "SELECT c.section, c.trashed_at IS NOT NULL, "
        + ", ".join(
            (
                live("reading"),
                live("reading", " AND x.last_read_at >= ?"),
                live("bookmarks"),
                live("notes"),
                live("highlights"),
            )
        )
        + " FROM cases c WHERE c.id IN (SELECT value FROM json_each(?))",
        (_recent_since(now), json.dumps(sorted(int(case) for case in moved))),
    ).fetchall()
    totals = dict.fromkeys(("all", "unread", "recent", "bookmarked", "notes", "highlights"), 0)
    sections = dict(previous.sections)
    trash = previous.trash
    for section, trashed, read, recent, bookmarked, notes, highlighted in rows:
        step = -1 if trashed else 1
        trash -= step
        totals["all"] += step
        totals["unread"] += step * (not read)
        totals["recent"] += step * bool(recent)
        totals["bookmarked"] += step * bool(bookmarked)
        totals["notes"] += step * bool(notes)
        totals["highlights"] += step * int(highlighted)
        if section is not None:
            sections[section] = sections.get(section, 0) + step
    return dataclasses.replace(
        previous,
        **{name: getattr(previous, name) + step for name, step in totals.items()},
        trash=trash,
        sections=tuple(
            sorted(
                ((name, count) for name, count in sections.items() if count > 0),
                key=lambda item: (nocase(item[0]), item[0]),
            )
        ),
    )


def _recount(
    conn: sqlite3.Connection,
    now: dt.datetime | None,
    only: frozenset[str],
    previous: SidebarCounts,
    reading_orphans: list[str] | None = None,
) -> SidebarCounts:
    """`previous` with the groups in `only` counted afresh (the cases on the shelf, and
    so "All" and the sections, unchanged)."""
    fresh: dict[str, Any] = {}
    if "reading" in only:
        read, recent = _read_counts(conn, _recent_since(now), reading_orphans)
        fresh["unread"], fresh["recent"] = previous.all - read, recent
    if "bookmarks" in only:
        fresh["bookmarked"] = int(_on_shelf(conn, "bookmarks")[0])
    if "notes" in only:
        fresh["notes"] = int(_on_shelf(conn, "notes")[0])
    if "highlights" in only:
        fresh["highlights"] = int(count_listed(conn))
    if "due" in only:
        fresh["due"] = count_due(conn, now or dt.datetime.now(dt.UTC))
    return dataclasses.replace(previous, **fresh)


def search(
    conn: sqlite3.Connection,
    query: str,
    case_filter: CaseFilter,
    *,
    limit: int = 200,
    marks: tuple[str, str] = ("«", "»"),
    now: dt.datetime | None = None,
    prefix_last: bool = True,
) -> list[Hit]:
    """Ranked search over every case field and the reader's notes, within a filter.

    FTS5 picks and ranks the matches (see `ranking`); rows and snippets are read only for
    the hits returned. A case matching in both text and note adds the two scores; its
    snippet comes from the case text. The query is first cut to at most
    `cases.MAX_QUERY_WORDS` words (`cases.cut_query`).
    """
    from desktop.query import uses_language  # loaded with the first search, not at start

    if uses_language(query):
        return _language_search(
            conn, query, case_filter, limit=limit, marks=marks, now=now, prefix_last=prefix_last
        )
    # Bounded cost for every query: repeats dropped, at most MAX_QUERY_WORDS words.
    query, _ = cut_query(query)
    match = fts_query(query, prefix_last=prefix_last)
    if match is None:
        return []
    where, params = _where(case_filter, now)
    terms = query_terms(query, prefix_last=prefix_last)
    fields = ", ".join(f"c.{column}" for column in FTS_COLUMNS)
    wanted = 2 * limit + 50  # room for cases the sidebar filter leaves out
    ranked = ranked_ids(conn, match, terms, wanted)
    rows = _rows_in(conn, ranked.ids, fields, where, params)
    if len(rows) < limit and len(ranked.ids) >= wanted:
        # A narrow filter left too few of the best matches: rank within the filter instead.
        rows = _filtered_ranking(conn, match, fields, (where, params), limit=limit)
        order = list(rows)
        scores = {case_id: rows[case_id][0] for case_id in order}
    else:
        order = [case_id for case_id in ranked.ids if case_id in rows]
        scores = ranked.scores
    found: dict[CaseId, Hit] = {}
    for case_id in order[:limit]:
        snippet = make_snippet(rows[case_id][1:], terms, marks, width=12)
        found[case_id] = Hit(case_id, snippet, scores.get(case_id, 0.0), in_note=False)
    # The reader's own words: notes, then highlight comments and tags. Each index holds
    # every record, tombstones too (it mirrors its table); only live records of cases in
    # the library count. A case matching in its text too keeps the text's snippet.
    for fts, text, origin, columns in _READER_INDEXES:
        for row in conn.execute(
            f"SELECT c.id, bm25({fts}), {text} FROM {fts}"
            f" CROSS JOIN {origin} x ON x.id = {fts}.rowid AND x.deleted_at IS NULL"
            " CROSS JOIN cases c ON c.source = x.case_source AND c.source_id = x.case_source_id"
            f" WHERE {fts} MATCH ? AND {where} ORDER BY bm25({fts}) LIMIT ?",
            (f"{columns} : ({match})" if columns else match, *params, limit),
        ):
            case_id = CaseId(row[0])
            score = -float(row[1]) * _NOTE_WEIGHT
            earlier = found.get(case_id)
            if earlier is None:
                snippet = make_snippet([row[2]], terms, marks, width=12)
                in_note = origin == "notes"
                found[case_id] = Hit(case_id, snippet, score, in_note, not in_note)
            else:
                found[case_id] = dataclasses.replace(earlier, score=earlier.score + score)
    if ranked.strategy == "newest":
        # Nothing was ranked: keep the newest-first order, notes first.
        return sorted(
            found.values(), key=lambda hit: (not (hit.in_note or hit.in_highlight), -hit.case_id)
        )[:limit]
    # Equal scores keep the ranking's own order (the unranked tail of a broad search
    # scores 0 and comes newest first); hits found only in notes follow, newest first.
    place = {case_id: index for index, case_id in enumerate(order)}
    return sorted(
        found.values(),
        key=lambda hit: (-hit.score, place.get(hit.case_id, len(place)), -hit.case_id),
    )[:limit]


def _language_search(
    conn: sqlite3.Connection,
    query: str,
    case_filter: CaseFilter,
    *,
    limit: int,
    marks: tuple[str, str],
    now: dt.datetime | None,
    prefix_last: bool,
) -> list[Hit]:
    """A query with filters, groups, `or` or negation: the cases it selects (within the
    sidebar entry; in the Trash too when it names ``is:trashed``), those matching its
    words best first, then the newest.

    Raises:
        QueryInvalid: the query cannot be read; the message says what and where.
    """
    from desktop.query import compile_query, parse, ranked_words

    parsed = parse(query, prefix_last=prefix_last)
    if parsed.errors:
        first = parsed.errors[0]
        raise QueryInvalid(
            f"{first.message} (at {first.start + 1}–{max(first.end, first.start + 1)})",
            first.start,
            first.end,
        )
    if parsed.node is None:
        return []
    moment = now or dt.datetime.now(dt.UTC)
    compiled = compile_query(parsed.node, now=moment)
    # Out of the trash by the trash's own index: testing `trashed_at` (the last column of
    # a large row) would read every case's row to its end.
    where, params = _where(case_filter, now, _OUT_OF_TRASH_BY_ID)
    if compiled.trash and case_filter.kind != "trash":
        condition, params = _kind_condition(case_filter, now)
        where = condition
    terms = list(compiled.text_terms)
    words, rest = ranked_words(parsed.node)
    if words and rest is not None:
        # Words beside filters: ranked within what the filters select (see _words_within).
        whole = case_filter.kind == "all" and not compiled.trash
        # The filters' set is made from the list indexes where they serve (`age:`).
        within = (where, params) if compiled.trash else _where(case_filter, now)
        order, scores = _words_within(
            conn,
            (compiled, where, params),
            (words, rest),
            within,
            whole=whole,
            limit=limit,
            moment=moment,
        )
        return _hits(conn, order, scores, terms, marks)
    if not terms:
        # Filters alone list the newest cases: a broad collection is cheaper tested case by
        # case as the list is read than made into a set first.
        compiled = compile_query(
            parsed.node, now=moment, probe=_broad_collections(conn, parsed.node, limit)
        )
    # Filters alone list the newest cases: the first `limit` found are the ones shown. The
    # reader's marks are not joined: a filter on them is a set of ids (see query.py).
    ids = [
        CaseId(row[0])
        for row in conn.execute(
            f"SELECT c.id FROM cases c WHERE {compiled.where} AND {where}"
            " ORDER BY c.id DESC LIMIT ?",
            (*compiled.params, *params, MAX_LANGUAGE_HITS if terms else limit),
        )
    ]
    scores = _text_scores(conn, ids, terms, limit)
    # The best matches in the case text, then the others (matched in a note, or only by
    # filters) newest first.
    order = list(scores)
    order += [case_id for case_id in ids if case_id not in scores][: limit - len(order)]
    return _hits(conn, order, scores, terms, marks)


def _hits(
    conn: sqlite3.Connection,
    order: list[CaseId],
    scores: dict[CaseId, float],
    terms: list[str],
    marks: tuple[str, str],
) -> list[Hit]:
    """Hits for the cases in `order`, with snippets cut from their text (read for them
    only)."""
    fields = ", ".join(f"c.{column}" for column in FTS_COLUMNS) if terms else "NULL"
    rows = _rows_in(conn, order, fields, "1", ())
    shown = query_terms(" ".join(terms), prefix_last=False, starred=True) if terms else []
    return [
        Hit(
            case_id,
            make_snippet(rows[case_id][1:], shown, marks, width=12) if shown else "",
            scores.get(case_id, 0.0),
            in_note=False,
        )
        for case_id in order
        if case_id in rows
    ]


#: A language query ranks at most this many of the cases it selects (the newest), unless
#: it is words beside filters (`_words_within`).
MAX_LANGUAGE_HITS = 20_000
#: An ``in:`` term reaching at least sqrt(this x the number shown x the cases) memberships
#: is tested case by case when filters alone list the newest cases. A set costs about
#: 1.4 us a membership to make; a lookup about 2.5 us a case read, and the list reads
#: about shown x cases / memberships of them: the two meet near 1.8.
_PROBE_BREADTH = 2


def _broad_collections(conn: sqlite3.Connection, node: Node, limit: int) -> frozenset[InCollection]:
    """The ``in:`` terms of a query broad enough to be tested case by case (see above)."""
    from desktop.query import collection_count, collection_terms

    found = collection_terms(node)
    if not found:
        return frozenset()
    top = int(conn.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0])
    broad = []
    for term in found:
        sql, params = collection_count(term)
        members = int(conn.execute(sql, params).fetchone()[0])
        if members * members >= _PROBE_BREADTH * max(limit, 1) * top:
            broad.append(term)
    return frozenset(broad)


#: Words matching at most this many cases rank them looking each up (a microsecond or two
#: a case); more, and the filters' sets are tested on the search index's rowids instead.
_FEW_MATCHES = 2_000


def _words_within(
    conn: sqlite3.Connection,
    query: tuple[Compiled, str, tuple[Any, ...]],
    parts: tuple[tuple[Text, ...], Node],
    within: tuple[str, tuple[Any, ...]],
    *,
    whole: bool,
    limit: int,
    moment: dt.datetime,
) -> tuple[list[CaseId], dict[CaseId, float]]:
    """The first `limit` cases of a query of words beside filters (`query.ranked_words`),
    best first, then the newest; with their scores (bm25, higher better; 0 unranked).

    Args:
        query: the whole query compiled, and the sidebar entry's condition with its values.
        parts: the query's words, and its other terms.
        within: the sidebar entry's condition again, in the form the list indexes read.
        whole: the sidebar entry is the whole library out of the trash.

    The cases holding every word in their text are ranked in one statement: FTS5 walks the
    words' matches once, tests each against the filters' sets of ids and weighs (bm25)
    only those the filters keep, so no set as large as the words' matches (90,000 cases for
    a common word) is made and no case row is read. The others the query selects matched
    a word only in the reader's note or highlights (few: their indexes are small).
    """
    from desktop.query import by_id, case_text_match, compile_query

    compiled, where, params = query
    words, rest = parts
    terms = list(compiled.text_terms)
    match = case_text_match(words)
    source = "cases_fts"
    filters = compile_query(rest, now=moment)
    found = conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? LIMIT ?)",
        (match, _FEW_MATCHES + 1),
    ).fetchone()[0]
    if found <= _FEW_MATCHES:
        # Few cases hold the words: each is looked up and tested, as the words find it.
        source = "cases_fts CROSS JOIN cases c ON c.id = cases_fts.rowid"
        condition = f"{filters.where} AND {where}"
        values: tuple[Any, ...] = (*filters.params, *params)
    elif whole and by_id(rest):
        # Every filter is a set of ids: tested on the index's rowid, never reading a row.
        inner = compile_query(rest, now=moment, case_id="+cases_fts.rowid")
        condition = (
            f"{inner.where} AND"
            " +cases_fts.rowid NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)"
        )
        values = inner.params
    else:
        condition = (
            f"+cases_fts.rowid IN (SELECT c.id FROM cases c WHERE {filters.where} AND {within[0]})"
        )
        values = (*filters.params, *within[1])
    # The "+" keeps the ids from being handed to FTS5 as rowid lookups (see _text_scores).
    scores = {
        CaseId(row[0]): float(row[1])
        for row in conn.execute(
            f"SELECT cases_fts.rowid, -bm25(cases_fts, {BM25_WEIGHTS}) FROM {source}"
            f" WHERE cases_fts MATCH ? AND {condition}"
            f" ORDER BY bm25(cases_fts, {BM25_WEIGHTS}), cases_fts.rowid DESC LIMIT ?",
            (match, *values, limit),
        )
    }
    if len(words) == 1 and len(scores) == limit:
        # One word: a case it found only in the reader's words has none in its text, so it
        # scores 0 and comes after these.
        return list(scores), scores
    match = _any_term(terms)
    reader = " OR ".join(
        f"c.id IN (SELECT k.id FROM {fts} CROSS JOIN {origin} x ON x.id = {fts}.rowid"
        " CROSS JOIN cases k ON k.source = x.case_source AND k.source_id = x.case_source_id"
        f" WHERE {fts} MATCH ? AND x.deleted_at IS NULL)"
        for fts, _text, origin, _columns in _READER_INDEXES
    )
    reader_params = tuple(
        f"{columns} : ({match})" if columns else match
        for _fts, _text, _origin, columns in _READER_INDEXES
    )
    # The filters' cases with a word of the query in the reader's words (few); with one
    # word, those are the cases it found there alone (its matches in the case text are
    # ranked above).
    others = [
        CaseId(row[0])
        for row in conn.execute(
            f"SELECT c.id FROM cases c WHERE {filters.where} AND {where} AND ({reader})"
            " ORDER BY c.id DESC",
            (*filters.params, *params, *reader_params),
        )
        if row[0] not in scores
    ]
    if len(words) > 1:
        # Several words: each must be in the text, the note or a highlight; one found in
        # the reader's words may still be in the text with the others, and ranks by them.
        others = _holding_every_word(conn, others, words)
        scores.update(_text_scores(conn, others, terms, limit))
    ranked = sorted(scores, key=lambda case_id: (-scores[case_id], -case_id))[:limit]
    ranked += [case_id for case_id in others if case_id not in scores][: limit - len(ranked)]
    return ranked, scores


def _holding_every_word(
    conn: sqlite3.Connection, ids: list[CaseId], words: tuple[Text, ...]
) -> list[CaseId]:
    """Those of `ids` (a few cases) that hold each of `words` in their text, their live
    note or a live highlight's comment or tags, as the query's own terms test them; read
    word by word, with no set of all the cases holding a word."""
    from desktop.query import case_text_match

    kept = set(ids)
    for word in words:
        if not kept:
            break
        match = case_text_match((word,))
        held = {
            row[0]
            for row in conn.execute(
                "SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?"
                " AND +rowid IN (SELECT value FROM json_each(?))",
                (match, json.dumps(sorted(kept))),
            )
        }
        for fts, _text, origin, columns in _READER_INDEXES:
            held.update(
                row[0]
                for row in conn.execute(
                    f"SELECT k.id FROM {fts} CROSS JOIN {origin} x ON x.id = {fts}.rowid"
                    " CROSS JOIN cases k ON k.source = x.case_source"
                    f" AND k.source_id = x.case_source_id"
                    f" WHERE {fts} MATCH ? AND x.deleted_at IS NULL",
                    (f"{columns} : ({match})" if columns else match,),
                )
            )
        kept &= held
    return [case_id for case_id in ids if case_id in kept]


def _text_scores(
    conn: sqlite3.Connection, ids: list[CaseId], terms: list[str], limit: int
) -> dict[CaseId, float]:
    """The `limit` cases among `ids` whose text best matches any of the query's words, best
    first (newest first among equals), with their scores (bm25, higher better)."""
    if not ids or not terms:
        return {}
    match = _any_term(terms)
    # One statement: FTS5 walks the matches once and weighs (bm25) only those among the ids.
    # The "+" keeps the ids from being handed to FTS5 as rowid lookups, each of which would
    # run the whole match again (2 ms a case at 100,000 cases).
    rows = conn.execute(
        f"SELECT rowid, -bm25(cases_fts, {BM25_WEIGHTS}) FROM cases_fts"
        " WHERE cases_fts MATCH ? AND +rowid IN (SELECT value FROM json_each(?))"
        f" ORDER BY bm25(cases_fts, {BM25_WEIGHTS}), rowid DESC LIMIT ?",
        (match, json.dumps(ids), limit),
    )
    return {CaseId(row[0]): float(row[1]) for row in rows}


def _any_term(terms: list[str]) -> str:
    """An FTS5 query matching any of a query's text terms (`Compiled.text_terms`)."""
    return " OR ".join(
        '"' + term.rstrip("*").replace('"', '""') + '"' + ("*" if term.endswith("*") else "")
        for term in terms
    )


def _rows_in(
    conn: sqlite3.Connection,
    ids: list[CaseId],
    fields: str,
    where: str,
    params: tuple[Any, ...],
) -> dict[CaseId, tuple[Any, ...]]:
    """(score placeholder, text fields...) of those `ids` the filter keeps."""
    rows = _select_ids(conn, f"c.id, 0.0, {fields}", ids, where, params)
    return {CaseId(row[0]): tuple(row[1:]) for row in rows}


def _filtered_ranking(
    conn: sqlite3.Connection,
    match: str,
    fields: str,
    condition: tuple[str, tuple[Any, ...]],
    *,
    limit: int,
) -> dict[CaseId, tuple[Any, ...]]:
    where, params = condition
    rows = conn.execute(
        f"SELECT c.id, -bm25(cases_fts, {BM25_WEIGHTS}), {fields}"
        f" FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid"
        f" WHERE cases_fts MATCH ? AND {where} ORDER BY bm25(cases_fts, {BM25_WEIGHTS})"
        f" LIMIT ?",
        (match, *params, limit),
    )
    return {CaseId(row[0]): tuple(row[1:]) for row in rows}


def order_by(sort: str, descending: bool) -> str:
    """An ORDER BY clause for a sort key; unknown keys are refused (never put into SQL)."""
    if sort not in SORTS:
        raise ValueError(f"cannot sort by {sort!r}; choose one of {', '.join(SORTS)}")
    direction = "DESC" if descending else "ASC"
    expression = SORTS[sort]
    if sort in _NEVER_NULL:
        return f"{expression} {direction}, c.id {direction}"
    # Unknown values (no age, never read) go last whichever way the list is sorted.
    column = expression.removesuffix(" COLLATE NOCASE")
    return f"{column} IS NULL, {expression} {direction}, c.id {direction}"


#: A case out of the trash, as the list indexes (partial, on this very condition) read it.
_OUT_OF_TRASH = "c.trashed_at IS NULL"
#: The same, from the trash's index alone (for queries that read no list index).
_OUT_OF_TRASH_BY_ID = "c.id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)"


def _where(
    case_filter: CaseFilter, now: dt.datetime | None, out_of_trash: str = _OUT_OF_TRASH
) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of a sidebar entry; trashed cases show only in the trash."""
    if case_filter.kind == "trash":
        return "c.trashed_at IS NOT NULL", ()
    if case_filter.kind == "saved":
        return _saved_where(case_filter.value or "", now, out_of_trash)
    condition, params = _kind_condition(case_filter, now)
    return f"{out_of_trash} AND {condition}", params


def count_filter(
    conn: sqlite3.Connection, case_filter: CaseFilter, now: dt.datetime | None = None
) -> int:
    """How many cases a sidebar entry's list shows (a saved search's: those its query
    selects, out of the trash unless it names ``is:trashed``; none if it no longer reads)."""
    where, params = _where(case_filter, now, _OUT_OF_TRASH_BY_ID)  # reads no row
    return int(conn.execute(f"SELECT count(*) FROM cases c WHERE {where}", params).fetchone()[0])


def _kind_condition(
    case_filter: CaseFilter, now: dt.datetime | None
) -> tuple[str, tuple[Any, ...]]:
    # Sets of ids rather than joins, so a list can be read from an index in order: each set
    # is made once, from the reader table (see _LIVE_CASES), and the list then tests only
    # ids, never reading a case's row.
    kind = case_filter.kind
    if kind == "all":
        return "1", ()
    if kind == "unread":
        return f"c.id NOT IN {_case_ids_of('reading')}", ()
    if kind == "bookmarked":
        return f"c.id IN {_case_ids_of('bookmarks')}", ()
    if kind == "notes":
        return f"c.id IN {_case_ids_of('notes')}", ()
    if kind == "recent":
        return (
            f"c.id IN {_case_ids_of('reading', 'x.last_read_at >= ?')}",
            (_recent_since(now),),
        )
    if kind == "due":
        return DUE_CONDITION, (stamp(now or dt.datetime.now(dt.UTC)),)
    if kind == "collection":
        return f"c.id IN {_case_ids_of('collection_members', _IN_SUBTREE)}", (case_filter.value,)
    if kind == "tag":
        condition, bound = _tag_equals(case_filter.value or "")
        return f"c.id IN {_case_ids_of('case_tags', condition)}", bound
    if kind == "saved":
        return _saved_where(case_filter.value or "", now)
    if case_filter.section is None:
        return "c.section IS NULL", ()
    return "c.section = ?", (case_filter.section,)


#: Memberships of a collection (the bound uid) or of any live collection under it.
_IN_SUBTREE = (
    "x.collection_uid IN (WITH RECURSIVE tree(uid) AS (SELECT ?"
    " UNION SELECT k2.uid FROM tree CROSS JOIN collections k2"
    " WHERE k2.parent_uid = tree.uid AND k2.deleted_at IS NULL) SELECT uid FROM tree)"
)


def _saved_where(
    query: str, now: dt.datetime | None, out_of_trash: str = _OUT_OF_TRASH
) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of a saved search: its query compiled (out of the trash unless it
    names ``is:trashed``); one that no longer reads selects nothing."""
    from desktop.query import compile_query, parse  # loaded with the first saved search

    # Word for word: Save Search writes the box's as-you-type prefix out (`as_saved`).
    parsed = parse(query)
    if parsed.errors or parsed.node is None:
        return "0", ()
    compiled = compile_query(parsed.node, now=now or dt.datetime.now(dt.UTC))
    if compiled.trash:
        return compiled.where, compiled.params
    return f"{out_of_trash} AND {compiled.where}", compiled.params


def _recent_since(now: dt.datetime | None) -> str:
    moment = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=RECENT_DAYS)
    return moment.isoformat(timespec="seconds")
