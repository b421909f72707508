"""Saved searches, through `Library`: the record rule, name and query rules, uniqueness
ignoring case, replacing, reviving tombstones, counts that follow the library, re-import."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from desktop.importer import import_paths
from desktop.model import CaseFilter, SavedSearch
from desktop.store import QueryInvalid
from desktop.store.changes import Changes
from desktop.store.library import Library
from desktop.store.records import stamp
from tests.conftest import SAMPLE_CASES
from tests.organise_helpers import ids, rows, with_samples

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)
LATEST = NOW + dt.timedelta(minutes=10)
SAVED = Changes(saved_searches=True)


@pytest.fixture
def filled(library: Library) -> Library:
    return with_samples(library)


def stored(library: Library) -> list[tuple[object, ...]]:
    """Every saved search row, tombstones too, in row order."""
    return rows(
        library,
        "SELECT uid, created_at, updated_at, deleted_at, name, query FROM saved_searches"
        " ORDER BY id",
    )


def test_changes_carry_saved_searches_without_touching_cases() -> None:
    assert SAVED and not Changes()
    assert (Changes() | SAVED).saved_searches and (SAVED | Changes()).saved_searches
    assert not (Changes(collection_tree=True) | Changes()).saved_searches
    assert SAVED.touched == frozenset()


def test_saved_searches_are_library_records(filled: Library) -> None:
    uid, changes = filled.save_search("  Chest to revise ", " section:chest is:unread ", NOW)
    assert changes == SAVED
    made = SavedSearch(uid, "Chest to revise", "section:chest is:unread")
    assert filled.saved_searches() == [made]
    assert stored(filled) == [
        (uid, stamp(NOW), stamp(NOW), None, "Chest to revise", "section:chest is:unread")
    ]
    assert len(uid) == 36
    assert filled.rename_saved_search(uid, "Chest", LATER) == SAVED
    assert filled.rename_saved_search(uid, " Chest ", LATER) == Changes()
    assert filled.edit_saved_search(uid, "section:chest", LATEST) == SAVED
    assert filled.edit_saved_search(uid, "section:chest ", LATEST) == Changes()
    assert stored(filled) == [(uid, stamp(NOW), stamp(LATEST), None, "Chest", "section:chest")]
    assert filled.delete_saved_search(uid, LATEST) == SAVED
    assert filled.saved_searches() == []
    assert filled.find_saved_search("Chest") is None
    assert stored(filled) == [
        (uid, stamp(NOW), stamp(LATEST), stamp(LATEST), "Chest", "section:chest")
    ]
    for change in (
        lambda: filled.delete_saved_search(uid, LATEST),
        lambda: filled.rename_saved_search(uid, "Other", LATEST),
        lambda: filled.edit_saved_search(uid, "pneumothorax", LATEST),
        lambda: filled.rename_saved_search("no-such-uid", "Other", LATEST),
    ):
        with pytest.raises(LookupError):
            change()
    assert stored(filled)[0][3] == stamp(LATEST)  # still the same tombstone


def test_saved_searches_are_listed_by_name_ignoring_case(filled: Library) -> None:
    for name in ("neuro", "Boards/Chest", "abdomen", "Ärzte"):
        filled.save_search(name, "pneumothorax", NOW)
    assert [found.name for found in filled.saved_searches()] == [
        "abdomen",
        "Boards/Chest",
        "neuro",
        "Ärzte",
    ]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 101, "at most 100"),
        ("a\tb", "control"),
        ("a\nb", "control"),
        ("bell\x07", "control"),
    ],
)
def test_bad_names_are_refused(filled: Library, name: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        filled.save_search(name, "pneumothorax", NOW)
    uid, _ = filled.save_search("Good", "pneumothorax", NOW)
    with pytest.raises(ValueError, match=fragment):
        filled.rename_saved_search(uid, name, NOW)
    assert [found.name for found in filled.saved_searches()] == ["Good"]


def test_long_names_and_slashes_are_taken(filled: Library) -> None:
    longest = "y" * 100
    filled.save_search(f" {longest} ", "pneumothorax", NOW)
    filled.save_search("Boards/Chest", "section:chest", NOW)
    assert {found.name for found in filled.saved_searches()} == {longest, "Boards/Chest"}


def test_names_are_unique_ignoring_case(filled: Library) -> None:
    chest, _ = filled.save_search("Chest", "section:chest", NOW)
    with pytest.raises(ValueError, match="a saved search named 'Chest' exists"):
        filled.save_search(" CHEST ", "pneumothorax", NOW)
    arzte, _ = filled.save_search("Ärzte", "pneumothorax", NOW)
    with pytest.raises(ValueError, match="exists"):
        filled.save_search("äRZTE", "pneumothorax", NOW)
    with pytest.raises(ValueError, match="a saved search named 'Chest' exists"):
        filled.rename_saved_search(arzte, "chest", NOW)
    assert filled.rename_saved_search(chest, "CHEST", LATER) == SAVED  # its own name, respelled
    found = filled.find_saved_search(" chest ")
    assert found == SavedSearch(chest, "CHEST", "section:chest")
    assert filled.find_saved_search("ärzte") == SavedSearch(arzte, "Ärzte", "pneumothorax")
    assert filled.find_saved_search("Neuro") is None
    assert len(stored(filled)) == 2


def test_replace_updates_the_one_of_that_name(filled: Library) -> None:
    uid, _ = filled.save_search("Chest", "section:chest", NOW)
    again, changes = filled.save_search("chest", "section:chest is:unread", LATER, replace=True)
    assert (again, changes) == (uid, SAVED)
    assert filled.saved_searches() == [SavedSearch(uid, "chest", "section:chest is:unread")]
    assert filled.save_search("chest", "section:chest is:unread", LATEST, replace=True) == (
        uid,
        Changes(),
    )
    assert stored(filled) == [
        (uid, stamp(NOW), stamp(LATER), None, "chest", "section:chest is:unread")
    ]
    made, changes = filled.save_search("Neuro", "section:neuro", LATER, replace=True)
    assert made != uid and changes == SAVED  # nothing to replace: a new one
    with pytest.raises(QueryInvalid):
        filled.save_search("Chest", "sectoin:chest", LATEST, replace=True)
    assert filled.find_saved_search("chest") == SavedSearch(uid, "chest", "section:chest is:unread")


def test_saving_a_deleted_name_revives_its_newest_tombstone(filled: Library) -> None:
    first, _ = filled.save_search("Revise", "section:chest", NOW)
    filled.delete_saved_search(first, NOW)
    second, _ = filled.save_search("Other", "section:neuro", NOW)
    filled.rename_saved_search(second, "revise", NOW)  # a tombstone's name is free
    filled.delete_saved_search(second, LATER)
    revived, changes = filled.save_search("REVISE", "pneumothorax", LATEST)
    assert (revived, changes) == (second, SAVED)  # the newer of the two tombstones
    assert filled.saved_searches() == [SavedSearch(second, "REVISE", "pneumothorax")]
    assert stored(filled) == [
        (first, stamp(NOW), stamp(NOW), stamp(NOW), "Revise", "section:chest"),
        (second, stamp(NOW), stamp(LATEST), None, "REVISE", "pneumothorax"),
    ]
    filled.delete_saved_search(second, LATEST)
    assert filled.save_search("revise", "section:chest", LATEST)[0] == second
    assert filled.save_search("Third", "section:chest", LATEST)[0] not in (first, second)
    assert len(stored(filled)) == 3


@pytest.mark.parametrize(
    ("query", "fragment", "start", "end"),
    [
        ("sectoin:chest", "Did you mean section:? To search for the text", 0, 8),
        ("pneumothorax (chest", "(at 14–14)", 13, 14),
        ("  (chest", "(at 3–3)", 2, 3),
        ('dx:"ground glass', "(at 4–", 3, 16),
        ("", "needs a query", 0, 0),
        ("   ", "needs a query", 0, 0),
        ("a" * 1001, "at most 1000 characters (at 1001–1001)", 1000, 1001),
        (" " + "a" * 1002, "at most 1000 characters (at 1002–1003)", 1001, 1003),
    ],
)
def test_bad_queries_are_refused_with_their_place(
    filled: Library, query: str, fragment: str, start: int, end: int
) -> None:
    with pytest.raises(QueryInvalid) as refused:
        filled.save_search("Bad", query, NOW)
    assert fragment in str(refused.value)
    assert (refused.value.start, refused.value.end) == (start, end)
    uid, _ = filled.save_search("Good", "section:chest", NOW)
    with pytest.raises(QueryInvalid):
        filled.edit_saved_search(uid, query, LATER)
    assert stored(filled) == [(uid, stamp(NOW), stamp(NOW), None, "Good", "section:chest")]


def test_a_query_of_a_thousand_characters_is_taken(filled: Library) -> None:
    query = " ".join(["pneumothorax"] * 76) + " " + "x" * 12
    assert len(query) == 1000
    uid, _ = filled.save_search("Long", f"  {query}  ", NOW)
    assert filled.saved_searches() == [SavedSearch(uid, "Long", query)]


def test_counts_follow_the_library(filled: Library) -> None:
    one, two, three = ids(filled, "chest-01", "chest-02", "chest-03")
    queries = {
        "marked": "is:bookmarked",
        "chest": "section:chest",
        "binned": "is:trashed",
        "chest binned": "section:chest is:trashed",
        "word": "pneumothorax",
        "tagged": "tag:frcr",
        "unread chest": "section:chest -is:read",
    }
    for name, query in queries.items():
        filled.save_search(name, query, NOW)

    def counts() -> dict[str, int]:
        found = {s.name: filled.count_saved_search(s.query, NOW) for s in filled.saved_searches()}
        for search in filled.saved_searches():  # what its list shows, exactly
            listed = filled.case_ids(CaseFilter("saved", value=search.query), now=NOW)
            assert found[search.name] == len(listed), search.name
        return found

    assert counts() == {
        "marked": 0,
        "chest": 3,
        "binned": 0,
        "chest binned": 0,
        "word": 1,
        "tagged": 0,
        "unread chest": 3,
    }
    filled.set_bookmark(one, True)
    filled.set_bookmark(two, True)
    filled.tag_cases([one, three], ["FRCR"], NOW)
    filled.mark_read(three)
    assert counts() == {
        "marked": 2,
        "chest": 3,
        "binned": 0,
        "chest binned": 0,
        "word": 1,
        "tagged": 2,
        "unread chest": 2,
    }
    filled.trash(two)
    filled.trash(three)
    assert counts() == {
        "marked": 1,
        "chest": 1,
        "binned": 2,
        "chest binned": 2,
        "word": 1,
        "tagged": 1,
        "unread chest": 1,
    }
    filled.untrash(two)
    assert counts()["chest"] == 2 and counts()["binned"] == 1
    assert filled.count_saved_search("sectoin:chest", NOW) == 0  # one that no longer reads


def test_counts_follow_an_edited_query(filled: Library) -> None:
    uid, _ = filled.save_search("Mine", "section:chest", NOW)
    filled.edit_saved_search(uid, "section:neuroradiology", LATER)
    (search,) = filled.saved_searches()
    assert filled.count_saved_search(search.query, NOW) == 3


def test_reimporting_every_case_keeps_saved_searches(filled: Library, tmp_path: Path) -> None:
    (one,) = ids(filled, "chest-01")
    kept, _ = filled.save_search("Chest", "section:chest is:unread", NOW)
    gone, _ = filled.save_search("Gone", "pneumothorax", NOW)
    filled.save_search("Marked", "is:bookmarked", NOW)
    filled.delete_saved_search(gone, LATER)
    filled.rename_saved_search(kept, "Chest to revise", LATER)
    filled.set_bookmark(one, True)
    before = (
        filled.saved_searches(),
        stored(filled),
        [filled.count_saved_search(s.query, NOW) for s in filled.saved_searches()],
    )
    assert before[2] == [3, 1]
    edited = tmp_path / "edited"
    shutil.copytree(SAMPLE_CASES, edited)
    for path in edited.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\nImaging Findings\n", " Edited.\nImaging Findings\n", 1))
    report = import_paths(filled, [edited])
    assert not report.failed and report.updated == filled.count_cases()
    after = (
        filled.saved_searches(),
        stored(filled),
        [filled.count_saved_search(s.query, NOW) for s in filled.saved_searches()],
    )
    assert after == before
