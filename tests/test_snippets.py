"""Snippets cut in Python: the best window, accent- and case-insensitive, linear time."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.store.snippets import Term, make_snippet, query_terms
from tests.tools import TIMED

MARKS = ("«", "»")


def test_query_terms_fold_and_prefix() -> None:
    assert query_terms("Café LESION") == [Term("cafe"), Term("lesion", prefix=True)]
    assert query_terms("cafe ") == [Term("cafe")]
    assert query_terms('"calcinosis cutis"') == [Term("calcinosis"), Term("cutis")]
    assert query_terms("AND OR") == [Term("and"), Term("or", prefix=True)]


def test_the_window_with_most_distinct_terms_wins() -> None:
    text = (
        "Calcinosis is common. " + "Filler words here. " * 20 + "Iatrogenic calcinosis cutis "
        "after calcium gluconate."
    )
    snippet = make_snippet([text], query_terms("calcinosis cutis"), MARKS, width=8)
    assert "«calcinosis» «cutis»" in snippet
    assert snippet.startswith("…")


def test_prefix_accents_and_fields() -> None:
    fields = ["A title", "", "Lésion kystique du pancréas."]
    snippet = make_snippet(fields, query_terms("lesion pancr"), MARKS)
    assert snippet == "«Lésion» kystique du «pancréas»."
    assert make_snippet(fields, query_terms("absent"), MARKS) == ""


@TIMED
def test_a_word_repeated_a_hundred_thousand_times_is_quick(timed: bool) -> None:
    text = "showed " * 100_000
    started = time.monotonic()
    snippet = make_snippet([text], query_terms("showed"), MARKS)
    if timed:
        assert time.monotonic() - started < 2.0
    assert snippet.startswith("«showed»")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=4), st.text(max_size=40))
def test_never_raises_and_marks_balance(fields: list[str], query: str) -> None:
    snippet = make_snippet(fields, query_terms(query), MARKS)
    assert snippet.count("«") >= 0
