"""Which matches a search ranks: all of them when there are few, the best candidates when
there are many, the newest when a query is still too broad to rank.

Ranking by bm25 costs about a microsecond per matching case, so a two-letter prefix over
100,000 cases (every case matches) would take 100 ms or more, while the reader is still
typing. Counting matches is cheap; so is reading them newest first.

Phrases differ: FTS5 must read the word positions of every case holding all their words,
so counting a phrase costs as much as finding it, and bm25 pays that once more to weigh
the phrase (its document frequency) before it ranks anything. A short probe over the
newest cases tells how densely a phrase matches; a phrase too broad to rank whole within
the budget is ranked within its newest RANK_PHRASES or so matches.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

from desktop.model import CaseId
from desktop.store.snippets import Term

#: Up to this many matches, every match is ranked by bm25.
RANK_ALL = 20_000
#: A phrase is ranked whole up to about this many matches, else within its newest ones.
RANK_PHRASES = 2_000
#: The density probe of a phrase reads at most the newest 1/_PROBE_SHARE of the library.
_PROBE_SHARE = 8
#: Where a broad query looks for its best candidates: the heaviest-weighted columns.
_CANDIDATE_COLUMNS = "{title final_diagnosis differential_diagnosis}"
#: bm25 weights per FTS column: title, history, findings, discussion, differential, diagnosis,
#: figure legends.
BM25_WEIGHTS = "8.0, 1.0, 2.0, 1.0, 3.0, 5.0, 1.0"

Strategy = Literal["ranked", "candidates", "recent", "newest"]


@dataclass(frozen=True, slots=True)
class Ranked:
    """Case ids best first, each with a score (0 for those listed newest first).

    `ranked`: every match ranked; `candidates`: the best in the heaviest columns, then the
    newest; `recent`: the newest RANK_PHRASES or so matches ranked; `newest`: unranked.
    """

    ids: list[CaseId]
    scores: dict[CaseId, float]
    strategy: Strategy


def ranked_ids(conn: sqlite3.Connection, match: str, terms: list[Term], limit: int) -> Ranked:
    """The `limit` best matches of an FTS5 query over the cases."""
    if any(" " in term for term in match.split('"')[1::2]):
        return _phrase(conn, match, limit)
    # Count first (cheap, and cut off just past RANK_ALL) to choose how to rank.
    if _count(conn, match) <= RANK_ALL:
        return _bm25(conn, match, limit, "ranked")
    last = terms[-1] if terms else None
    if last is not None and last.prefix and len(last.text) <= 2:
        return _newest(conn, match, limit, {})
    candidates = f"{_CANDIDATE_COLUMNS} : ({match})"
    if _count(conn, candidates) <= RANK_ALL:
        best = _bm25(conn, candidates, limit, "candidates")
        if len(best.ids) >= limit:
            return best
        return _newest(conn, match, limit, best.scores, first=best.ids)
    return _newest(conn, match, limit, {})


def _phrase(conn: sqlite3.Connection, match: str, limit: int) -> Ranked:
    """A query holding a phrase, ranked whole or within its newest matches (see above)."""
    top = int(conn.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0])
    probed = top - top // _PROBE_SHARE
    found = [
        row[0]
        for row in conn.execute(
            "SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? AND rowid > ?"
            " ORDER BY rowid DESC LIMIT ?",
            (match, probed, limit),
        )
    ]
    # The probe stops at `limit` matches or at the end of the newest share, whichever is
    # first: either way it has seen how densely the phrase matches.
    span = top - found[-1] + 1 if len(found) == limit else top - probed
    if len(found) * top <= RANK_PHRASES * max(span, 1):
        return _bm25(conn, match, limit, "ranked")
    start = top - span * RANK_PHRASES // len(found)
    rows = _scored(conn, match, "AND rowid >= ? ORDER BY score LIMIT ?", (start, limit))
    return _best_first(rows, "recent")


def _scored(
    conn: sqlite3.Connection, match: str, rest: str, params: tuple[int, ...]
) -> list[tuple[int, float]]:
    """(rowid, bm25 score) of the matches; `rest` is fixed SQL, never the reader's input."""
    sql = f"SELECT rowid, bm25(cases_fts, {BM25_WEIGHTS}) AS score FROM cases_fts"
    return conn.execute(f"{sql} WHERE cases_fts MATCH ? {rest}", (match, *params)).fetchall()


def _best_first(rows: list[tuple[int, float]], strategy: Strategy) -> Ranked:
    rows = sorted(rows, key=lambda row: (row[1], row[0]))
    return Ranked(
        [CaseId(r[0]) for r in rows], {CaseId(r[0]): -float(r[1]) for r in rows}, strategy
    )


def _count(conn: sqlite3.Connection, match: str) -> int:
    """Matches, counted no further than RANK_ALL + 1."""
    row = conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? LIMIT ?)",
        (match, RANK_ALL + 1),
    )
    return int(row.fetchone()[0])


def _bm25(conn: sqlite3.Connection, match: str, limit: int, strategy: Strategy) -> Ranked:
    return _best_first(_scored(conn, match, "ORDER BY score LIMIT ?", (limit,)), strategy)


def _newest(
    conn: sqlite3.Connection,
    match: str,
    limit: int,
    scores: dict[CaseId, float],
    first: list[CaseId] | None = None,
) -> Ranked:
    ids = list(first or [])
    seen = set(ids)
    # FTS5 walks its index in rowid order and stops at the limit: cheap however broad.
    for row in conn.execute(
        "SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
        (match, limit + len(ids)),
    ):
        case_id = CaseId(row[0])
        if case_id not in seen and len(ids) < limit:
            ids.append(case_id)
            seen.add(case_id)
    return Ranked(ids, {i: scores.get(i, 0.0) for i in ids}, "candidates" if first else "newest")
