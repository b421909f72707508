"""Tags on cases, through `Library`: the record rule, cleaning, counts without the trash,
renaming and merging, untagging many cases at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from desktop.model import CaseFilter, CaseId, TagCount
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


#: Every kind of write after which the sidebar's collection and tag counts are asked for:
#: (name, the write, whether the kept counts hold on after it: brought up to date by the
#: change itself, or vouched not to move by it). A write another program makes (another
#: connection) always has them counted afresh.
_WRITES: list[tuple[str, Callable[[Library, list[CaseId]], object], bool]] = [
    ("bookmark", lambda lib, c: lib.set_bookmark(c[0], True, NOW), True),
    ("unbookmark", lambda lib, c: lib.set_bookmark(c[5], False, NOW), True),
    ("note", lambda lib, c: lib.save_note(c[0], "Liver signs.", NOW), True),
    ("read", lambda lib, c: lib.mark_read(c[0], NOW), True),
    ("unread", lambda lib, c: lib.mark_unread(c[6]), True),
    (
        "highlight",
        lambda lib, c: lib.add_highlight(c[0], "title", 0, 4, tags=["frcr"], now=NOW),
        True,
    ),
    ("edit a highlight", lambda lib, _c: lib.edit_highlight(_hl(lib), comment="x"), True),
    ("delete a highlight", lambda lib, _c: lib.delete_highlight(_hl(lib), NOW), True),
    ("colour meaning", lambda lib, _c: lib.set_colour_meaning("red", "key finding"), True),
    ("add to a collection", lambda lib, c: lib.add_to_collection(_uid(lib, "A/B"), c[:4]), True),
    ("remove from one", lambda lib, c: lib.remove_from_collection(_uid(lib, "A/C"), c[1:3]), True),
    ("tag", lambda lib, c: lib.tag_cases(c[:3], ["Neuro", "new"], NOW), True),
    ("untag", lambda lib, c: lib.untag_cases(c[:2], ["chest"], NOW), True),
    ("trash", lambda lib, c: lib.trash(c[1], NOW), True),
    ("untrash", lambda lib, c: lib.untrash(c[7]), True),
    ("trash again", lambda lib, c: lib.trash(c[7], NOW), True),
    ("reorder", lambda lib, c: lib.reorder_in_collection(_uid(lib, "A/B"), c[1], None), True),
    ("move a collection", lambda lib, _c: lib.move_collection(_uid(lib, "A/C"), None), False),
    ("delete a collection", lambda lib, _c: lib.delete_collection(_uid(lib, "A/B")), False),
    ("rename a tag", lambda lib, _c: lib.rename_tag("chest", "Thorax", NOW), False),
    ("empty the trash", lambda lib, _c: lib.empty_trash(), False),
    ("another program tags", lambda lib, c: _other(lib).tag_cases(c[8:], ["x"]), False),
    ("another program bookmarks", lambda lib, c: _other(lib).set_bookmark(c[8], True), False),
    ("another program files",
     lambda lib, c: _other(lib).add_to_collection(_uid(lib, "A"), c[8:]), False),
    ("another program trashes", lambda lib, c: _other(lib).trash(c[2]), False),
]  # fmt: skip


def _uid(library: Library, path: str) -> str:
    found = library.find_collection(path)
    assert found is not None
    return found


def _hl(library: Library) -> str:
    (uid,) = rows(library, "SELECT uid FROM highlights WHERE deleted_at IS NULL LIMIT 1")[0]
    return str(uid)


def _other(library: Library) -> Library:
    """Another program's connection to the same file (closed with the test's)."""
    other = Library.open(library.path, quick_check=False)
    _OTHERS.append(other)
    return other


_OTHERS: list[Library] = []


@pytest.mark.parametrize(("name", "write", "kept"), _WRITES, ids=[w[0] for w in _WRITES])
def test_counts_stay_right_after_every_kind_of_write(
    filled: Library,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    write: Callable[[Library, list[CaseId]], object],
    kept: bool,
) -> None:
    """After each kind of write the collection and tag counts equal a fresh count of the
    file; they are kept (not counted again) after this object's own writes that keep
    them up to date or cannot move them, and counted afresh after the others."""
    from desktop.store import collections, tags

    cases = filled.case_ids(CaseFilter())
    filled.make_collection_path("A/B/D", NOW)
    filled.make_collection_path("A/C", NOW)
    filled.add_to_collection(_uid(filled, "A/B"), cases[:6], NOW)
    filled.add_to_collection(_uid(filled, "A/C"), cases[2:8], NOW)
    filled.add_to_collection(_uid(filled, "A/B/D"), cases[1:4], NOW)
    filled.tag_cases(cases[:5], ["chest", "FRCR"], NOW)
    filled.tag_cases(cases[4:9], ["neuro"], NOW)
    filled.set_bookmark(cases[5], True, NOW)
    filled.mark_read(cases[6], NOW)
    filled.add_highlight(cases[3], "title", 0, 4, now=NOW)
    filled.trash(cases[7], NOW)
    filled.collections(), filled.tag_counts()  # counted: kept from here on
    recounts: list[str] = []
    for module, counter in ((collections, "direct_counts"), (tags, "nocase_counts")):
        real = getattr(module, counter)

        def counting(conn, real=real, counter=counter):  # type: ignore[no-untyped-def]
            recounts.append(counter)
            return real(conn)

        monkeypatch.setattr(module, counter, counting)
    try:
        write(filled, cases)
        with Library.open(filled.path, quick_check=False) as fresh:
            expected = (fresh.collections(), fresh.tag_counts())
        recounts.clear()
        assert (filled.collections(), filled.tag_counts()) == expected, name
        assert (recounts == []) is kept, (name, recounts)
        # Asked again with nothing written since: kept, whatever the write was.
        recounts.clear()
        assert (filled.collections(), filled.tag_counts()) == expected, name
        assert recounts == []
    finally:
        while _OTHERS:
            _OTHERS.pop().close()


def test_the_tags_of_many_cases_come_in_one_list(library: Library) -> None:
    filled = with_samples(library)
    chest, neuro, msk = ids(filled, "chest-01", "neuro-01", "msk-01")
    filled.tag_cases([chest], ["Sign", "classic"], NOW)
    filled.tag_cases([neuro], ["sign", "zebra"], NOW)
    assert filled.tags_of_cases([chest, neuro, msk]) == ["classic", "Sign", "zebra"]
    assert filled.tags_of_cases([msk]) == []
    assert filled.tags_of_cases([]) == []
