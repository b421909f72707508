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
from desktop.query import highlight_words, uses_language
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
