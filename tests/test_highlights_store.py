"""Highlights in the store: made, edited, deleted and undeleted as records, placed again when
their case's text changes (never dropped), listed, browsed, counted and searched."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator

import pytest

from desktop.importer import import_paths
from desktop.model import CaseId, HighlightFilter
from desktop.store.changes import Changes
from desktop.store.errors import StorageUnavailable
from desktop.store.highlights import clean_tags, section_texts
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
CHEST = "lightbox:chest-01"
QUOTE = "visceral pleural line"


@pytest.fixture
def filled(library: Library) -> Library:
    report = import_paths(library, [SAMPLE_CASES])
    assert report.imported >= 10
    return library


def chest(library: Library) -> CaseId:
    return library.resolve(CHEST)


def span(library: Library, section: str, quote: str) -> tuple[int, int]:
    case = library.get_case(chest(library))
    assert case is not None
    text = section_texts(case)[section]
    start = text.index(quote)
    return start, start + len(quote)


def mark(library: Library, section: str = "imaging_findings", quote: str = QUOTE, **kw) -> str:  # type: ignore[no-untyped-def]
    start, end = span(library, section, quote)
    return library.add_highlight(chest(library), section, start, end, now=NOW, **kw)


def test_a_highlight_is_a_record_on_its_words(filled: Library) -> None:
    uid = mark(filled, colour="Red", comment="**key** finding", tags=["#pneumo", " Pneumo", "ptx"])
    (found,) = filled.highlights(chest(filled))
    assert found.uid == uid
    assert (found.section, found.quote, found.text) == ("imaging_findings", QUOTE, QUOTE)
    assert found.status == "anchored"
    assert (found.colour, found.comment, found.tags) == (
        "red",
        "**key** finding",
        ("pneumo", "ptx"),
    )
    assert found.created_at == found.updated_at == NOW
    row = filled._conn.execute(
        "SELECT case_source, case_source_id, deleted_at FROM highlights WHERE uid = ?", (uid,)
    ).fetchone()
    assert tuple(row) == ("lightbox", "chest-01", None)


def test_bad_highlights_are_refused_with_a_reason(filled: Library) -> None:
    case_id = chest(filled)
    with pytest.raises(LookupError, match="no section"):
        filled.add_highlight(case_id, "nowhere", 0, 4, now=NOW)
    with pytest.raises(ValueError, match="no colour"):
        mark(filled, colour="chartreuse")
    with pytest.raises(ValueError):
        filled.add_highlight(case_id, "imaging_findings", 5, 5, now=NOW)
    with pytest.raises(ValueError):
        filled.add_highlight(case_id, "imaging_findings", 0, 10**6, now=NOW)
    with pytest.raises(ValueError, match="tags"):
        mark(filled, tags=[f"t{i}" for i in range(40)])
    assert filled.highlights(case_id) == []


def test_reading_order_and_detached_last(filled: Library) -> None:
    later = mark(filled, "imaging_findings", "large pneumothorax")
    earlier = mark(filled, "clinical_history", "sudden sharp left-sided chest pain")
    first = mark(filled, "imaging_findings", QUOTE)
    assert [h.uid for h in filled.highlights(chest(filled))] == [earlier, first, later]


def test_edit_delete_undelete_are_changes_with_tombstones(filled: Library) -> None:
    uid = mark(filled)
    case_id = chest(filled)
    later = NOW + dt.timedelta(minutes=5)
    assert filled.edit_highlight(uid, comment="tension?", now=later) == Changes(
        highlights=frozenset({case_id})
    )
    assert not filled.edit_highlight(uid, comment="tension?", now=later)
    assert filled.highlights(case_id)[0].updated_at == later
    assert filled.delete_highlight(uid, now=later) == Changes(highlights=frozenset({case_id}))
    assert filled.highlights(case_id) == []
    deleted = filled._conn.execute("SELECT deleted_at FROM highlights WHERE uid = ?", (uid,))
    assert deleted.fetchone()[0] is not None
    with pytest.raises(LookupError, match="deleted"):
        filled.edit_highlight(uid, comment="x")
    assert filled.undelete_highlight(uid, now=later) == Changes(highlights=frozenset({case_id}))
    assert [h.comment for h in filled.highlights(case_id)] == ["tension?"]


def test_undelete_survives_a_restart(filled: Library) -> None:
    uid = mark(filled)
    filled.delete_highlight(uid)
    path = filled.path
    filled.close()
    with Library.open(path) as again:
        again.undelete_highlight(uid)
        assert [h.uid for h in again.highlights(again.resolve(CHEST))] == [uid]


def test_ids_resolve_by_a_unique_beginning(filled: Library) -> None:
    uid = mark(filled)
    assert filled.resolve_highlight(uid[:8]) == uid
    assert filled.resolve_highlight(uid.upper()) == uid
    with pytest.raises(LookupError, match="too short"):
        filled.resolve_highlight(uid[:2])
    with pytest.raises(LookupError, match="no highlight"):
        filled.resolve_highlight("ffffffff-0000")
    with pytest.raises(LookupError, match="no highlight"):
        filled.resolve_highlight("%%%%")


def edited(library: Library, replace: tuple[str, str]) -> None:
    """Re-imports chest-01 with one replacement made in its imaging findings."""
    case = library.get_case(chest(library))
    assert case is not None
    findings = case.imaging_findings.replace(*replace)
    assert findings != case.imaging_findings
    library.store_case(dataclasses.replace(case, imaging_findings=findings))


def test_a_reimport_moves_highlights_with_their_words(filled: Library) -> None:
    uid = mark(filled)
    edited(filled, ("The erect", "Compared with the prior film, the erect"))
    assert not filled._conn.execute(  # placed in the import's own transaction
        "SELECT count(*) FROM highlights x JOIN cases c ON c.source = x.case_source"
        " AND c.source_id = x.case_source_id WHERE x.anchored_to != c.content_hash"
    ).fetchone()[0]
    (moved,) = filled.highlights(chest(filled))
    assert moved.uid == uid and moved.text == QUOTE
    start, _ = span(filled, "imaging_findings", QUOTE)
    assert moved.start == start


def test_a_highlight_whose_words_went_is_detached_and_kept(filled: Library) -> None:
    uid = mark(filled, comment="remember", tags=["pleura"])
    edited(filled, (QUOTE, "fine white line"))
    (kept,) = filled.highlights(chest(filled))
    assert (kept.uid, kept.status, kept.start, kept.text) == (uid, "detached", None, "")
    assert (kept.quote, kept.comment, kept.tags) == (QUOTE, "remember", ("pleura",))
    # Importing the old text again puts it back on its words.
    edited(filled, ("fine white line", QUOTE))
    (back,) = filled.highlights(chest(filled))
    assert back.status == "anchored" and back.text == QUOTE
    # Or the reader attaches it by hand.
    edited(filled, (QUOTE, "fine white line"))
    start, end = span(filled, "imaging_findings", "fine white line")
    assert filled.attach_highlight(uid, "imaging_findings", start, end)
    (attached,) = filled.highlights(chest(filled))
    assert (attached.status, attached.text, attached.comment) == (
        "anchored",
        "fine white line",
        "remember",
    )


def test_restoring_a_case_version_moves_highlights_too(filled: Library) -> None:
    edited(filled, ("The erect", "Compared with the prior film, the erect"))
    uid = mark(filled)
    filled.restore_case_version(chest(filled), 1)
    (moved,) = filled.highlights(chest(filled))
    assert moved.uid == uid and moved.text == QUOTE


def test_stale_placements_are_placed_again_when_shown(filled: Library) -> None:
    uid = mark(filled)
    edited(filled, ("The erect", "Compared with the prior film, the erect"))
    # As another machine's copy would arrive: placed against another text.
    filled._conn.execute(
        "UPDATE highlights SET anchored_to = 'elsewhere', anchor_start = 0, anchor_end = 3"
    )
    (shown,) = filled.highlights(chest(filled))
    assert shown.uid == uid and shown.text == QUOTE


def test_marks_counts_and_browser(filled: Library) -> None:
    case_id = chest(filled)
    assert not filled.rows([case_id])[0].has_highlights
    first = mark(filled, colour="red", tags=["Pleura"])
    second = mark(filled, "clinical_history", "tall, thin", colour="blue", comment="habitus")
    assert filled.rows([case_id])[0].has_highlights
    assert filled.counts().highlights == 2
    rows = filled.highlight_rows(filled.highlight_ids(HighlightFilter()))
    assert {row.highlight.uid for row in rows} == {first, second}
    assert rows[0].case_key == CHEST
    assert filled.highlight_ids(HighlightFilter(colour="red")) == [rows_id(filled, first)]
    assert filled.highlight_ids(HighlightFilter(tag="pleura")) == [rows_id(filled, first)]
    assert filled.highlight_ids(HighlightFilter(text="HABITUS")) == [rows_id(filled, second)]
    assert filled.highlight_ids(HighlightFilter(text="100%_")) == []
    # Words of the case's title find its highlights too.
    title_word = "pleuritic"
    assert set(filled.highlight_ids(HighlightFilter(text=title_word))) == {
        rows_id(filled, first),
        rows_id(filled, second),
    }
    assert filled.highlight_tags() == [("Pleura", 1)]
    filled.trash(case_id)
    assert filled.highlight_ids(HighlightFilter()) == []
    assert filled.counts().highlights == 0


def rows_id(library: Library, uid: str) -> int:
    return int(
        library._conn.execute("SELECT id FROM highlights WHERE uid = ?", (uid,)).fetchone()[0]
    )


def test_comments_and_tags_are_searched(filled: Library) -> None:
    uid = mark(filled, comment="think of the quokka habitus", tags=["zebrafish"])
    case_id = chest(filled)
    hits = filled.search_cases("quokka")
    assert [(h.case_id, h.in_highlight) for h in hits] == [(case_id, True)]
    assert "«quokka»" in hits[0].snippet
    assert [h.case_id for h in filled.search_cases("zebrafish")] == [case_id]
    filled.delete_highlight(uid)
    assert filled.search_cases("quokka") == []


def test_colour_meanings(filled: Library) -> None:
    assert filled.colour_meanings() == {}
    assert filled.set_colour_meaning("red", "  key   finding ") == Changes(colour_meanings=True)
    assert not filled.set_colour_meaning("Red", "key finding")
    assert filled.colour_meanings() == {"red": "key finding"}
    filled.set_colour_meaning("red", "")
    assert filled.colour_meanings() == {}
    with pytest.raises(ValueError):
        filled.set_colour_meaning("teal", "x")


def test_clean_tags() -> None:
    assert clean_tags(["  a  b ", "#A B", "", "c"]) == ("a b", "c")
    with pytest.raises(ValueError, match="longer"):
        clean_tags(["x" * 65])


def test_tags_are_stored_as_a_json_list(filled: Library) -> None:
    uid = mark(filled, tags=['quote " and ]'])
    stored = filled._conn.execute("SELECT tags FROM highlights WHERE uid = ?", (uid,)).fetchone()
    assert json.loads(stored[0]) == ['quote " and ]']


def test_a_library_that_cannot_be_written_still_shows_highlights_on_their_words(
    filled: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Placements made against another text (a merge, an older Lightbox) are placed again
    when read; if that cannot be written (a full or read-only disk) they are placed for the
    reading only, never drawn at their stale offsets on other words."""
    uid = mark(filled)
    edited(filled, ("The erect", "Compared with the prior film, the erect"))
    filled._conn.execute(
        "UPDATE highlights SET anchored_to = 'elsewhere', anchor_start = 0, anchor_end = 3"
    )

    @contextlib.contextmanager
    def refused() -> Iterator[None]:
        raise StorageUnavailable("disk full")
        yield

    monkeypatch.setattr(filled, "transaction", refused)
    case_id = chest(filled)
    for _ in range(2):  # not remembered: each reading places them again
        (shown,) = filled.highlights(case_id)
        assert (shown.uid, shown.text) == (uid, QUOTE)
        ((_, section, start, end, _),) = filled.highlight_marks(case_id)
        assert (section, start, end) == ("imaging_findings", shown.start, shown.end)
    stored = filled._conn.execute("SELECT anchor_start FROM highlights WHERE uid = ?", (uid,))
    assert stored.fetchone()[0] == 0  # nothing was written
