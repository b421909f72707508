"""Tags on cases, through `Library`: the record rule, cleaning, counts without the trash,
renaming and merging, untagging many cases at once."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop.model import CaseId, TagCount
from desktop.store.changes import Changes
from desktop.store.library import Library
from desktop.store.records import stamp
from tests.organise_helpers import ids, rows, with_samples

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)


@pytest.fixture
def filled(library: Library) -> Library:
    return with_samples(library)


def test_tags_are_cleaned_like_highlight_tags_and_kept_once(filled: Library) -> None:
    (one,) = ids(filled, "chest-01")
    assert filled.tag_cases([one], ["  #spot   diagnosis ", "Neuro", "neuro"], NOW) == Changes(
        tags=frozenset({one})
    )
    assert filled.case_tags(one) == ["Neuro", "spot diagnosis"]
    assert filled.tag_cases([one], ["NEURO"], NOW) == Changes()
    assert filled.case_tags(one) == ["Neuro", "spot diagnosis"]
    for bad in (["x" * 65], ["  ", "#"]):
        with pytest.raises(ValueError):
            filled.tag_cases([one], bad, NOW)
    with pytest.raises(LookupError):
        filled.tag_cases([CaseId(99_999)], ["x"], NOW)


def test_tags_are_reader_records_and_untagging_revives(filled: Library) -> None:
    (one,) = ids(filled, "chest-01")
    filled.tag_cases([one], ["Neuro"], NOW)
    ((uid, created, updated, deleted, source, source_id, tag),) = rows(
        filled,
        "SELECT uid, created_at, updated_at, deleted_at, case_source, case_source_id, tag"
        " FROM case_tags",
    )
    assert len(str(uid)) == 36 and (created, updated, deleted) == (stamp(NOW), stamp(NOW), None)
    assert (source, source_id, tag) == ("lightbox", "chest-01", "Neuro")
    assert filled.untag_cases([one], ["neuro"], LATER) == Changes(tags=frozenset({one}))
    assert filled.untag_cases([one], ["neuro"], LATER) == Changes()
    assert rows(filled, "SELECT uid, deleted_at, updated_at FROM case_tags") == [
        (uid, stamp(LATER), stamp(LATER))
    ]
    filled.tag_cases([one], ["neuro"], LATER)
    assert rows(filled, "SELECT uid, deleted_at, tag FROM case_tags") == [(uid, None, "neuro")]


def test_counts_leave_out_the_trash(filled: Library) -> None:
    one, two, three = ids(filled, "chest-01", "chest-02", "chest-03")
    filled.tag_cases([one, two, three], ["chest", "FRCR"], NOW)
    filled.tag_cases([one], ["spot"], NOW)
    assert filled.tag_counts() == [TagCount("chest", 3), TagCount("FRCR", 3), TagCount("spot", 1)]
    filled.trash(one)
    assert filled.tag_counts() == [TagCount("chest", 2), TagCount("FRCR", 2)]
    assert filled.tagged_ids("CHEST") == sorted([two, three])
    filled.empty_trash()
    assert rows(
        filled,
        "SELECT count(*) FROM case_tags WHERE case_source_id = 'chest-01'"
        " AND deleted_at IS NOT NULL",
    ) == [(3,)]


def test_untag_many_cases_at_once(filled: Library) -> None:
    cases = ids(filled, "chest-01", "chest-02", "chest-03")
    filled.tag_cases(cases, ["chest", "keep"], NOW)
    assert filled.untag_cases(cases, ["Chest"], LATER) == Changes(tags=frozenset(cases))
    assert filled.tag_counts() == [TagCount("keep", 3)]


def test_rename_everywhere_and_merge(filled: Library) -> None:
    one, two, three = ids(filled, "chest-01", "chest-02", "chest-03")
    filled.tag_cases([one, two], ["pneumo"], NOW)
    filled.tag_cases([two, three], ["Pneumothorax"], NOW)
    assert filled.rename_tag("PNEUMO", "pneumothorax", LATER) == Changes(tags=frozenset({one, two}))
    assert filled.tag_counts() == [TagCount("Pneumothorax", 3)]
    assert [filled.case_tags(case) for case in (one, two, three)] == [
        ["pneumothorax"],
        ["Pneumothorax"],
        ["Pneumothorax"],
    ]
    # The merged record is a tombstone, not a deleted row.
    assert rows(filled, "SELECT count(*) FROM case_tags WHERE deleted_at IS NOT NULL") == [(1,)]
    assert filled.rename_tag("absent", "other", LATER) == Changes()
    # A rename changing only letters' case rewrites the name.
    filled.rename_tag("pneumothorax", "PTX", LATER)
    assert filled.tag_counts() == [TagCount("PTX", 3)]


def test_kept_counts_match_a_fresh_count_after_each_change(
    filled: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sidebar's counts are kept up to date by the changes themselves (no recount):
    after every kind of change they equal what a fresh count of the file gives."""
    from desktop.store import collections, tags

    recounts: list[str] = []
    for module, name in ((collections, "direct_counts"), (tags, "nocase_counts")):
        real = getattr(module, name)

        def counting(conn, real=real, name=name):  # type: ignore[no-untyped-def]
            recounts.append(name)
            return real(conn)

        monkeypatch.setattr(module, name, counting)
    cases = filled.case_ids(_all())
    top, _ = filled.make_collection_path("Top", NOW)
    child, _ = filled.make_collection_path("Top/Child", NOW)
    steps = [
        lambda: filled.add_to_collection(top, cases[:5], NOW),
        lambda: filled.add_to_collection(child, cases[3:9], NOW),
        lambda: filled.trash(cases[4]),
        lambda: filled.add_to_collection(child, cases[4:12], NOW),
        lambda: filled.remove_from_collection(child, cases[2:6], NOW),
        lambda: filled.reorder_in_collection(top, cases[0], None, NOW),
        lambda: filled.make_collection_path("Top/Child/Leaf", NOW),
        lambda: filled.tag_cases(cases[:6], ["neuro", "FRCR"], NOW),
        lambda: filled.tag_cases(cases[5:9], ["frcr", "chest"], NOW),
        lambda: filled.untag_cases(cases[:3], ["FRCR"], NOW),
        lambda: filled.untag_cases(cases[:8], ["chest"], NOW),
        lambda: filled.untrash(cases[4]),
        lambda: filled.tag_cases(cases[4:5], ["late"], NOW),
        lambda: filled.rename_tag("neuro", "Neuroradiology", NOW),
        lambda: filled.set_bookmark(cases[1], True),
        lambda: filled.add_to_collection(top, cases[10:14], NOW),
        lambda: filled.delete_collection(child, NOW),
        lambda: filled.add_to_collection(top, cases[14:15], NOW),
    ]
    for number, step in enumerate(steps):
        step()
        with Library.open(filled.path, quick_check=False) as fresh:
            fresh_tree, fresh_tags = fresh.collections(), fresh.tag_counts()
        before = len(recounts)
        assert filled.collections() == fresh_tree, number
        assert filled.tag_counts() == fresh_tags, number
        if number in (1, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15):  # kept up to date by the change
            assert len(recounts) == before, (number, recounts[before:])


def _all():  # type: ignore[no-untyped-def]
    from desktop.model import CaseFilter

    return CaseFilter()
