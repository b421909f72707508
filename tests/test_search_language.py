"""The search language behind the search box and `lightbox search`: filters, groups, `or` and
negation select cases (ranked by their words), and a query it cannot read is refused with
what and where, in the window under the box (the list kept) and as one line from the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.importer import import_paths
from desktop.model import CaseFilter
from desktop.query import compile_query, highlight_words, parse, uses_language
from desktop.store import QueryInvalid
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window
from tests.tools import run_lightbox

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def samples(library: Library) -> Library:
    assert not import_paths(library, [SAMPLE_CASES]).failed
    return library


def keys(library: Library, query: str, case_filter: CaseFilter | None = None) -> list[str]:
    hits = library.search_cases(query, case_filter, now=NOW)
    return [library.case_key(hit.case_id) or "" for hit in hits]


def test_plain_words_keep_the_word_search_and_filters_use_the_language() -> None:
    assert not uses_language("pneumothorax tension")
    assert not uses_language('"deep sulcus" sign')
    assert uses_language("section:chest")
    assert uses_language("a or b") and uses_language("(a b)") and uses_language("a -b")
    # A long pasted paragraph stays words, even with "or" in it.
    assert not uses_language("pain or swelling " * 100)
    assert highlight_words("section:chest pneumothorax -tension") == ("pneumothorax",)


def test_filters_select_and_words_rank(samples: Library) -> None:
    assert keys(samples, "section:chest pneumothorax")[0] == "lightbox:chest-01"
    assert set(keys(samples, "section:chest")) == {
        "lightbox:chest-01",
        "lightbox:chest-02",
        "lightbox:chest-03",
    }
    either = set(keys(samples, "pneumothorax or embolism"))
    assert {"lightbox:chest-01", "lightbox:cardio-02"} <= either
    assert "lightbox:chest-01" not in keys(samples, "pneumothorax -section:chest")
    hits = samples.search_cases("section:chest pneumothorax", now=NOW)
    assert "«pneumothorax»" in hits[0].snippet.lower()


def test_reader_state_filters_and_the_sidebar_entry(samples: Library) -> None:
    chest = samples.resolve("lightbox:chest-01")
    samples.set_bookmark(chest, True)
    assert keys(samples, "is:bookmarked") == ["lightbox:chest-01"]
    assert "lightbox:chest-01" not in keys(samples, "-is:bookmarked")
    assert keys(samples, "section:chest", CaseFilter("bookmarked")) == ["lightbox:chest-01"]
    samples.trash(chest)
    assert "lightbox:chest-01" not in keys(samples, "section:chest")
    assert keys(samples, "is:trashed") == ["lightbox:chest-01"]  # the query names the Trash


def test_a_query_it_cannot_read_is_refused_with_where(samples: Library) -> None:
    with pytest.raises(QueryInvalid, match="Did you mean section:") as refused:
        samples.search_cases("sectoin:chest")
    assert (refused.value.start, refused.value.end) == (0, 8)  # "sectoin:"
    with pytest.raises(QueryInvalid, match="closing"):
        samples.search_cases('tag:"spot')


def test_the_window_says_what_is_wrong_and_keeps_the_list(qtbot: QtBot, tmp_path: Path) -> None:
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "s.ini", SAMPLE_CASES) as win:
        bar = win.search_bar
        win.search.setText("section:chest")
        bar.run_search()
        qtbot.waitUntil(lambda: len(win.search_hits()) == 3)
        win.search.setText("section:chest (pneumothorax")
        bar.run_search()
        qtbot.waitUntil(lambda: bar.error_text != "")
        assert "never closed" in bar.error_text and "Search failed" not in bar.error_text
        assert len(win.search_hits()) == 3  # the previous results stay
        win.search.setText("section:chest (pneumothorax)")
        bar.run_search()
        qtbot.waitUntil(lambda: bar.error_text == "" and len(win.search_hits()) == 1)


def test_the_command_line_takes_the_language(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with Library.open(path) as library:
        import_paths(library, [SAMPLE_CASES])
    found = run_lightbox(path, "search", "section:chest pneumothorax", "--limit", "5")
    assert found.returncode == 0 and found.stdout.startswith("lightbox:chest-01"), found.stderr
    refused = run_lightbox(path, "search", "sectoin:chest")
    assert refused.returncode == 2 and refused.stdout == ""
    (line,) = refused.stderr.splitlines()
    assert "Did you mean section:" in line and "(at 1–8)" in line


def _selected(library: Library, query: str) -> set[int]:
    """What a query selects out of the trash, straight from its compiled SQL (the oracle)."""
    node = parse(query).node
    assert node is not None
    result = compile_query(node, now=NOW)
    rows = library._conn.execute(
        f"SELECT c.id FROM cases c WHERE {result.where} AND c.trashed_at IS NULL", result.params
    )
    return {row[0] for row in rows}


def _in_text(library: Library, match: str) -> set[int]:
    rows = library._conn.execute("SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?", (match,))
    return {row[0] for row in rows}


@pytest.fixture
def filed(samples: Library) -> Library:
    """The samples with a collection of most cases, notes, a highlight and a trashed case."""
    boards, _ = samples.make_collection_path("Boards", NOW)
    keys = "abdo-03 cardio-02 chest-01 chest-02 chest-03 msk-01 msk-02 msk-03 neuro-01 uro-01"
    samples.add_to_collection(boards, [samples.resolve(f"lightbox:{k}") for k in keys.split()])
    samples.save_note(samples.resolve("lightbox:msk-02"), "Pneumothorax after the fall", NOW)
    samples.save_note(samples.resolve("lightbox:chest-01"), "A zebra", NOW)
    samples.add_highlight(samples.resolve("lightbox:uro-01"), "title", 0, 5, comment="pneumothorax")
    samples.tag_cases([samples.resolve("lightbox:msk-01")], ["seen"], NOW)
    samples.mark_read(samples.resolve("lightbox:msk-01"), NOW)
    samples.mark_read(samples.resolve("lightbox:neuro-01"), NOW)
    samples.trash(samples.resolve("lightbox:chest-03"), NOW)
    return samples


@pytest.mark.parametrize(
    ("query", "in_text"),
    [
        ("pneumothorax in:Boards", '"pneumothorax"'),
        ("pneumo* in:Boards -tag:seen", '"pneumo"*'),
        ("fracture in:Boards", '"fracture"'),
        ("fracture section:musculo*", '"fracture"'),  # a section: a set of ids too
        ("fracture age:>1y in:Boards", '"fracture"'),  # age reads the row
        ("fracture -is:unread", '"fracture"'),
        ('"after the fall" in:Boards', '"after the fall"'),
    ],
)
def test_words_beside_filters_rank_what_the_query_selects(
    filed: Library, query: str, in_text: str
) -> None:
    """Words beside filters: exactly the cases the query selects (out of the trash); those
    holding the words in their text first, best first, then those holding them only in the
    reader's note or a highlight, newest first; a shorter list is the start of a longer."""
    hits = filed.search_cases(query, limit=1000, now=NOW)
    ids = [hit.case_id for hit in hits]
    assert len(ids) == len(set(ids))
    assert set(ids) == _selected(filed, query)
    texts = _in_text(filed, in_text)
    ranked = [hit for hit in hits if hit.case_id in texts]
    assert hits[: len(ranked)] == ranked
    assert [hit.score for hit in ranked] == sorted((hit.score for hit in ranked), reverse=True)
    assert all(hit.score > 0 for hit in ranked)
    rest = ids[len(ranked) :]
    assert rest == sorted(rest, reverse=True)
    for limit in (1, 2, 3):
        assert filed.search_cases(query, limit=limit, now=NOW) == hits[:limit]


def test_words_found_only_in_the_readers_words_still_count(filed: Library) -> None:
    msk_2, uro_1, chest_1 = (
        filed.resolve(f"lightbox:{k}") for k in ("msk-02", "uro-01", "chest-01")
    )
    hits = {hit.case_id: hit for hit in filed.search_cases("pneumothorax in:Boards", now=NOW)}
    assert set(hits) == {chest_1, msk_2, uro_1}
    assert hits[chest_1].score > 0 and hits[msk_2].score == 0 == hits[uro_1].score
    # Two words, one in the note: the case ranks by the one in its text.
    (hit,) = filed.search_cases("pneumothorax zebra in:Boards", now=NOW)
    assert hit.case_id == chest_1 and hit.score > 0
    # The sidebar entry still bounds the hits, and the trash is left out unless named.
    assert filed.search_cases("pneumo* in:Boards", CaseFilter("notes"), now=NOW)[0].case_id in {
        msk_2,
        chest_1,
    }
    trashed = filed.resolve("lightbox:chest-03")
    assert trashed not in {h.case_id for h in filed.search_cases("pneumo* in:Boards", now=NOW)}
    assert [h.case_id for h in filed.search_cases("pneumo* is:trashed", now=NOW)] == [trashed]


def test_a_broad_collection_lists_the_same_newest_cases(filed: Library) -> None:
    """Filters alone list the newest cases; ``in:`` a collection holding many of them is
    tested case by case, and lists the same as its set would."""
    everything = sorted(_selected(filed, "in:Boards"), reverse=True)
    assert [h.case_id for h in filed.search_cases("in:Boards", limit=1000, now=NOW)] == everything
    for limit in (1, 2, 5):  # 10 memberships of 26 cases: broad for a list of one
        hits = filed.search_cases("in:Boards", limit=limit, now=NOW)
        assert [hit.case_id for hit in hits] == everything[:limit]
        hits = filed.search_cases("-in:Boards", limit=limit, now=NOW)
        assert [hit.case_id for hit in hits] == sorted(_selected(filed, "-in:Boards"))[::-1][:limit]


@pytest.mark.parametrize(
    "query",
    [
        "fall fracture in:Boards",
        "pneumothorax zebra in:Boards",
        "pneumo* fall -tag:seen",
        '"after the fall" fracture section:musculo*',
        "fracture pneumothorax age:>1y",
    ],
)
def test_several_words_beside_filters_select_what_the_query_does(
    filed: Library, query: str
) -> None:
    """Each word may be in the case text, the note or a highlight: exactly the cases the
    query selects, those with a word in their text ranked (score above 0) first."""
    hits = filed.search_cases(query, limit=1000, now=NOW)
    assert {hit.case_id for hit in hits} == _selected(filed, query)
    scores = [hit.score for hit in hits]
    ranked = [score for score in scores if score > 0]
    assert scores[: len(ranked)] == sorted(ranked, reverse=True)
