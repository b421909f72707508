"""The reader's data in the store: notes, bookmarks, reading state, filters, counts, search."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from desktop.importer import import_paths
from desktop.model import CaseFilter, CaseId
from desktop.store.changes import Changes
from desktop.store.library import Library
from tests.conftest import EURORAD_DATA, SEED_CASE
from tests.tools import shared_path

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def filled(library: Library) -> Library:
    report = import_paths(library, [shared_path(SEED_CASE), shared_path(EURORAD_DATA / "cases")])
    assert report.imported == 16
    return library


def seed_id(library: Library) -> CaseId:
    return library.resolve("eurorad:8455")


def test_note_round_trip_and_changes(filled: Library) -> None:
    case_id = seed_id(filled)
    assert filled.note(case_id) is None
    assert filled.save_note(case_id, "Heel sticks! **calcinosis**", NOW) == Changes(
        notes=frozenset({case_id})
    )
    note = filled.note(case_id)
    assert note is not None
    assert (note.body, note.updated_at) == ("Heel sticks! **calcinosis**", NOW)
    assert not filled.save_note(case_id, "Heel sticks! **calcinosis**", NOW)
    assert filled.save_note(case_id, "  \n", NOW)
    assert filled.note(case_id) is None


def test_notes_are_searched_with_the_cases(filled: Library) -> None:
    case_id = seed_id(filled)
    other = filled.resolve("eurorad:543")
    filled.save_note(other, "Remember the zebrafish mnemonic", NOW)
    hits = filled.search_cases("zebrafish")
    assert [(h.case_id, h.in_note) for h in hits] == [(other, True)]
    assert "«zebrafish»" in hits[0].snippet
    filled.save_note(other, "Nothing left here", NOW)
    assert filled.search_cases("zebrafish") == []
    filled.save_note(case_id, "calcinosis again", NOW)
    hits = filled.search_cases("calcinosis")
    assert hits[0].case_id == case_id
    assert not hits[0].in_note


def test_bookmarks(filled: Library) -> None:
    case_id = seed_id(filled)
    assert filled.set_bookmark(case_id, True, NOW) == Changes(bookmarks=frozenset({case_id}))
    assert not filled.set_bookmark(case_id, True, NOW)
    assert filled.is_bookmarked(case_id)
    assert filled.bookmarked_ids() == [case_id]
    assert filled.set_bookmark(case_id, False, NOW)
    assert filled.bookmarked_ids() == []


def test_reading_state(filled: Library) -> None:
    case_id = seed_id(filled)
    assert filled.mark_read(case_id, NOW) == Changes(reading=frozenset({case_id}))
    assert not filled.mark_read(case_id, NOW)
    assert filled.mark_unread(case_id)
    assert filled.rows([case_id])[0].read is False


def test_filters_and_counts(filled: Library) -> None:
    seed = seed_id(filled)
    other = filled.resolve("eurorad:543")
    filled.set_bookmark(seed, True, NOW)
    filled.save_note(other, "A note", NOW)
    filled.mark_read(other, NOW - dt.timedelta(days=2))
    filled.mark_read(seed, NOW - dt.timedelta(days=90))
    counts = filled.counts(NOW)
    assert (counts.all, counts.unread, counts.bookmarked, counts.notes, counts.recent) == (
        16,
        14,
        1,
        1,
        1,
    )
    assert dict(counts.sections) == {"Chest imaging": 15, "Paediatric radiology": 1}

    def ids(kind: str, section: str | None = None) -> list[CaseId]:
        return filled.case_ids(CaseFilter(kind, section), now=NOW)  # type: ignore[arg-type]

    assert ids("bookmarked") == [seed]
    assert ids("notes") == [other]
    assert ids("recent") == [other]
    assert seed not in ids("unread")
    assert len(ids("unread")) == 14
    assert ids("section", "Paediatric radiology") == [seed]
    row = filled.rows([seed])[0]
    assert (row.bookmarked, row.has_note, row.read) == (True, False, True)
    assert filled.search_cases("calcinosis", CaseFilter("section", "Chest imaging")) == []
    assert len(filled.search_cases("calcinosis", CaseFilter("bookmarked"))) == 1


def test_sort_by_marks_and_reading(filled: Library) -> None:
    seed = seed_id(filled)
    other = filled.resolve("eurorad:543")
    filled.set_bookmark(seed, True, NOW)
    filled.save_note(other, "A note", NOW)
    assert filled.case_ids(sort="marks", descending=True)[:2] == [seed, other]
    filled.mark_read(other, NOW)
    filled.mark_read(seed, NOW + dt.timedelta(minutes=1))
    assert filled.case_ids(sort="read", descending=True)[:2] == [seed, other]


def test_reader_data_survives_reimport(
    filled: Library, seed_case_text: str, tmp_path: Path
) -> None:
    case_id = seed_id(filled)
    filled.save_note(case_id, "mine", NOW)
    filled.set_bookmark(case_id, True, NOW)
    filled.mark_read(case_id, NOW)
    edited = tmp_path / "edited.txt"
    edited.write_text(seed_case_text.replace("The contralateral", "The other"), "utf-8")
    assert import_paths(filled, [edited]).updated == 1
    assert filled.resolve("eurorad:8455") == case_id
    row = filled.rows([case_id])[0]
    assert (row.bookmarked, row.has_note, row.read) == (True, True, True)


def test_a_case_with_reader_data_cannot_be_deleted_by_accident(filled: Library) -> None:
    case_id = seed_id(filled)
    filled.save_note(case_id, "mine", NOW)
    with pytest.raises(sqlite3.IntegrityError), filled.transaction():
        filled._conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
    note = filled.note(case_id)
    assert note is not None


@pytest.fixture
def seed_case_text() -> str:
    return shared_path(SEED_CASE).read_text("utf-8")
