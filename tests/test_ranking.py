"""How search chooses what to rank: each strategy of `store.ranking`, on a real library file
(cases stored through the store, indexed by its own triggers and FTS5 table), with the
thresholds lowered so a few hundred small cases show what 100,000 would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from itertools import pairwise

import pytest

from desktop.model import Case, DiscussionPart
from desktop.store import ranking
from desktop.store.cases import fts_query
from desktop.store.library import Library
from desktop.store.snippets import query_terms

ROWS = 400


def ranking_case(i: int) -> Case:
    """Every case holds the phrase "lymph node", every 50th has "pleural effusion and lymph
    node" for title, two a rare finding; the discussion's length varies, so bm25 orders
    matches differently from case ids."""
    return Case(
        source="lightbox",
        source_id=f"ranking-{i:03d}",
        title="pleural effusion and lymph node" if i % 50 == 0 else f"case {i}",
        clinical_history="a rare finding" if i in (7, 300) else "cough",
        imaging_findings="enlarged lymph node" if i % 2 == 0 else "node in the lymph chain",
        discussion=(DiscussionPart(None, "lymph node " + "filler " * (i % 7)),),
        differential_diagnosis=("differential",),
        final_diagnosis="diagnosis",
    )


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """A library file holding the ROWS cases, stored in one import-like transaction, in order
    (so case i has id i, and "newest" means the highest ids)."""
    path = tmp_path_factory.mktemp("ranking") / "library.db"
    with Library.open(path) as opened:
        with opened.transaction():
            stored = [opened.store_case(ranking_case(i)) for i in range(1, ROWS + 1)]
        assert [s.case_id for s in stored] == list(range(1, ROWS + 1))
        assert opened.check() == []
        yield opened


@pytest.fixture
def conn(library: Library) -> Iterator[sqlite3.Connection]:
    """A read-only connection to that library file, as ranking gets one from the store."""
    db = sqlite3.connect(f"file:{library.path}?mode=ro", uri=True)
    yield db
    db.close()


def searched(library: Library, text: str, limit: int = 20) -> list[int]:
    """The case ids the library's own search returns, in its order."""
    return [hit.summary.id for hit in library.search(text, limit)]


def rank(conn: sqlite3.Connection, text: str, limit: int = 20) -> ranking.Ranked:
    match = fts_query(text)
    assert match is not None
    return ranking.ranked_ids(conn, match, query_terms(text), limit)


def bm25_order(conn: sqlite3.Connection, match: str, where: str = "") -> list[int]:
    rows = conn.execute(
        f"SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? {where}"
        f" ORDER BY bm25(cases_fts, {ranking.BM25_WEIGHTS}), rowid",
        (match,),
    )
    return [row[0] for row in rows]


def test_a_narrow_phrase_is_ranked_whole(conn: sqlite3.Connection, library: Library) -> None:
    found = rank(conn, '"rare finding"')
    assert found.strategy == "ranked"
    assert sorted(found.ids) == [7, 300]
    assert searched(library, '"rare finding"') == found.ids


def test_a_phrase_within_budget_ranks_every_match(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "RANK_PHRASES", ROWS)
    found = rank(conn, '"lymph node"', limit=30)
    assert found.strategy == "ranked"
    assert found.ids == bm25_order(conn, '"lymph node"')[:30]
    assert all(found.scores[a] >= found.scores[b] for a, b in pairwise(found.ids))


def test_a_broad_phrase_is_ranked_within_its_newest_matches(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every row holds the phrase: with a budget of 100 matches, the newest ~100 are ranked.
    monkeypatch.setattr(ranking, "RANK_PHRASES", 100)
    found = rank(conn, '"lymph node"', limit=30)
    assert found.strategy == "recent"
    assert len(found.ids) == 30
    assert min(found.ids) > ROWS - 150
    newest = bm25_order(conn, '"lymph node"', f"AND rowid >= {min(found.ids)}")
    assert found.ids == [i for i in newest if i in set(found.ids)]
    assert found.ids != sorted(found.ids, reverse=True)  # ranked, not merely newest first


def test_a_phrase_sparse_in_the_newest_cases_is_ranked_whole(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Eight title matches in 400 rows: the probe of the newest eighth finds one, so the
    # estimate (8) is within budget and every match is ranked, titles from all ages.
    monkeypatch.setattr(ranking, "RANK_PHRASES", 20)
    found = rank(conn, '"pleural effusion"')
    assert found.strategy == "ranked"
    assert sorted(found.ids) == list(range(50, ROWS + 1, 50))


def test_words_under_the_cap_are_ranked_by_bm25(conn: sqlite3.Connection, library: Library) -> None:
    found = rank(conn, "effusion ")
    assert found.strategy == "ranked"
    assert found.ids == bm25_order(conn, '"effusion"')[:20]
    assert searched(library, "effusion ") == found.ids


def test_broad_words_rank_the_best_candidates_first(
    conn: sqlite3.Connection, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "lymph" is in all 400 rows, over the cap of 100, and in 8 titles (a candidate
    # column): those 8 come first, ranked, then the newest of the rest.
    monkeypatch.setattr(ranking, "RANK_ALL", 100)
    found = rank(conn, "lymph ", limit=20)
    assert found.strategy == "candidates"
    titled = list(range(50, ROWS + 1, 50))
    assert found.ids[:8] == bm25_order(conn, '{title} : "lymph"')
    assert sorted(found.ids[:8]) == titled
    assert found.ids[8:] == [i for i in range(ROWS, 0, -1) if i not in titled][:12]
    # The library's search shows the same cases in the same order: the ranked eight, then
    # the rest newest first.
    assert searched(library, "lymph ") == found.ids


def test_a_short_broad_prefix_lists_the_newest(
    conn: sqlite3.Connection, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "RANK_ALL", 100)
    found = rank(conn, "ly")
    assert found.strategy == "newest"
    assert found.ids == list(range(ROWS, ROWS - 20, -1))
    assert searched(library, "ly") == found.ids
