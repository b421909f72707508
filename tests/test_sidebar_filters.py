"""The sidebar's organising entries as list filters, through `Library.case_ids`: a
collection (its own cases in its order, then those under it), a tag, a saved search."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop.model import CaseFilter
from desktop.store import listing
from desktop.store.changes import Changes
from desktop.store.library import Library
from desktop.store.listing import COLLECTION_ORDER
from tests.organise_helpers import ids, with_samples

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def filled(library: Library) -> Library:
    return with_samples(library)


def test_a_collection_lists_its_cases_in_its_order_then_those_under_it(filled: Library) -> None:
    chest_1, chest_2, neuro_1 = ids(filled, "chest-01", "chest-02", "neuro-01")
    top, _ = filled.make_collection_path("Boards", NOW)
    sub, _ = filled.make_collection_path("Boards/Neuro", NOW)
    filled.add_to_collection(top, [chest_2, chest_1], NOW)
    filled.add_to_collection(sub, [neuro_1, chest_1], NOW)
    listed = CaseFilter("collection", value=top)
    assert filled.case_ids(listed, COLLECTION_ORDER) == [chest_2, chest_1, neuro_1]
    assert filled.case_ids(listed, COLLECTION_ORDER, descending=True) == [neuro_1, chest_1, chest_2]
    assert filled.case_ids(listed, COLLECTION_ORDER, limit=1) == [chest_2]
    # Sorted by a column: the same cases, in that column's order.
    assert sorted(filled.case_ids(listed, "title")) == sorted([chest_1, chest_2, neuro_1])
    filled.reorder_in_collection(top, chest_1, chest_2, NOW)
    assert filled.case_ids(listed, COLLECTION_ORDER) == [chest_1, chest_2, neuro_1]
    filled.trash(chest_2, NOW)
    assert filled.case_ids(listed, COLLECTION_ORDER) == [chest_1, neuro_1]
    assert filled.case_ids(listed, "title") == sorted(
        [chest_1, neuro_1], key=lambda case: filled.get_case(case).title.casefold()
    )


def test_a_deleted_collection_lists_nothing(filled: Library) -> None:
    uid, _ = filled.make_collection_path("Gone", NOW)
    filled.add_to_collection(uid, ids(filled, "chest-01"), NOW)
    filled.delete_collection(uid, NOW)
    listed = CaseFilter("collection", value=uid)
    assert filled.case_ids(listed, COLLECTION_ORDER) == []
    assert filled.case_ids(listed, "title") == []


def test_only_a_collection_has_a_collection_order(filled: Library) -> None:
    with pytest.raises(ValueError, match="collection order"):
        filled.case_ids(CaseFilter("bookmarked"), COLLECTION_ORDER)


def test_a_tag_lists_its_cases_ignoring_case(filled: Library) -> None:
    chest_1, neuro_1 = ids(filled, "chest-01", "neuro-01")
    filled.tag_cases([chest_1], ["Spot diagnosis"], NOW)
    filled.tag_cases([neuro_1], ["spot DIAGNOSIS", "other"], NOW)
    assert sorted(filled.case_ids(CaseFilter("tag", value="spot diagnosis"))) == sorted(
        [chest_1, neuro_1]
    )
    filled.untag_cases([neuro_1], ["Spot diagnosis"], NOW)
    assert filled.case_ids(CaseFilter("tag", value="Spot diagnosis")) == [chest_1]
    assert filled.case_ids(CaseFilter("tag", value="spot")) == []


def test_a_saved_search_lists_what_its_query_selects(filled: Library) -> None:
    chest_1, neuro_1 = ids(filled, "chest-01", "neuro-01")
    filled.set_bookmark(chest_1, True, NOW)
    filled.set_bookmark(neuro_1, True, NOW)
    filled.tag_cases([neuro_1], ["boards"], NOW)
    assert filled.case_ids(CaseFilter("saved", value="is:bookmarked -tag:boards")) == [chest_1]
    filled.trash(chest_1, NOW)
    assert filled.case_ids(CaseFilter("saved", value="is:bookmarked -tag:boards")) == []
    assert filled.case_ids(CaseFilter("saved", value="is:bookmarked is:trashed")) == [chest_1]


@pytest.mark.parametrize("query", ["(unclosed", "", "   ", "nosuch:filter", 'tag:"open'])
def test_a_saved_search_that_no_longer_reads_lists_nothing(filled: Library, query: str) -> None:
    assert filled.case_ids(CaseFilter("saved", value=query)) == []


def test_changes_merge_as_one_what_or_would() -> None:
    import functools

    from desktop.model import CaseId
    from desktop.store.changes import Changes

    many = [
        Changes(cases=frozenset({CaseId(1)}), tags=frozenset({CaseId(2)})),
        Changes(bookmarks=frozenset({CaseId(3)}), collection_tree=True),
        Changes(saved_searches=True, notes=frozenset({CaseId(1)})),
        Changes(),
    ]
    assert Changes.merge(many) == functools.reduce(lambda a, b: a | b, many)
    assert Changes.merge([]) == Changes()


@pytest.mark.parametrize(
    "change",
    [
        "bookmark",
        "unbookmark",
        "note",
        "empty note",
        "read",
        "unread",
        "highlight",
        "tag",
        "collection",
        "trash",
        "untrash",
    ],
)
def test_counting_only_what_a_change_moved_gives_the_whole_count(
    filled: Library, change: str
) -> None:
    from desktop.store.listing import parts_moved

    chest, neuro = ids(filled, "chest-01", "neuro-01")
    filled.set_bookmark(neuro, True, NOW)
    filled.save_note(neuro, "kept", NOW)
    filled.mark_read(neuro, NOW)
    filled.trash(ids(filled, "msk-01")[0], NOW)
    before = filled.counts(NOW)
    uid, _ = filled.make_collection_path("Boards", NOW)
    done = {
        "bookmark": lambda: filled.set_bookmark(chest, True, NOW),
        "unbookmark": lambda: filled.set_bookmark(neuro, False, NOW),
        "note": lambda: filled.save_note(chest, "a note", NOW),
        "empty note": lambda: filled.save_note(neuro, "", NOW),
        "read": lambda: filled.mark_read(chest, NOW),
        "unread": lambda: filled.mark_unread(neuro),
        "highlight": lambda: filled.add_highlight(chest, "clinical_history", 0, 5, now=NOW),
        "tag": lambda: filled.tag_cases([chest], ["x"], NOW),
        "collection": lambda: filled.add_to_collection(uid, [chest], NOW),
        "trash": lambda: filled.trash(chest, NOW),
        "untrash": lambda: filled.untrash(ids(filled, "msk-01")[0]),
    }[change]()
    changes = done if isinstance(done, Changes) else Changes(highlights=frozenset({chest}))
    moved = parts_moved(changes)
    whole = filled.counts(NOW)
    assert moved is not None  # no case came, went or changed its text
    assert filled.counts(NOW, after=changes, previous=before) == whole
    assert whole != before or change in ("tag", "collection", "read")


@pytest.mark.parametrize("few", [True, False])
@pytest.mark.parametrize("sort", ["title", "section", "age", "diagnosis", "published", "imported"])
def test_members_list_in_the_same_order_as_the_whole_library(
    filled: Library, sort: str, few: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collection or tag lists its members in the whole library's order (cases without a
    value last), either way, and the first `limit` of it, leaving out a trashed member:
    whether it reads its few members' rows and sorts them, or reads the list index in
    order and tests each case."""
    monkeypatch.setattr(listing, "_FEW_MEMBERS", 0 if few else 1_000)
    chest_1, chest_2, neuro_1, msk_1, paeds_1 = ids(
        filled, "chest-01", "chest-02", "neuro-01", "msk-01", "paeds-01"
    )
    top, _ = filled.make_collection_path("Boards", NOW)
    sub, _ = filled.make_collection_path("Boards/Neuro", NOW)
    filled.add_to_collection(top, [chest_2, msk_1], NOW)
    filled.add_to_collection(sub, [neuro_1, chest_1], NOW)
    filled.tag_cases([chest_1, neuro_1, paeds_1, msk_1], ["Spot"], NOW)
    filled.trash(msk_1, NOW)
    for chosen, inside in [
        (CaseFilter("collection", value=top), {chest_1, chest_2, neuro_1}),
        (CaseFilter("tag", value="spot"), {chest_1, neuro_1, paeds_1}),
    ]:
        for descending in (False, True):
            whole = filled.case_ids(CaseFilter(), sort, descending)
            expected = [case for case in whole if case in inside]
            assert filled.case_ids(chosen, sort, descending) == expected
            assert filled.case_ids(chosen, sort, descending, limit=2) == expected[:2]


def test_a_tag_beyond_ascii_is_one_tag_in_any_case_everywhere(filled: Library) -> None:
    first, second = ids(filled, "chest-01", "neuro-01")
    filled.tag_cases([first], ["Ödem"], NOW)
    filled.tag_cases([second], ["ödem"], NOW)
    (shown,) = filled.tag_counts()
    assert shown.count == 2
    both = sorted([first, second])
    assert sorted(filled.case_ids(CaseFilter("tag", value=shown.tag))) == both
    assert sorted(filled.tagged_ids("ÖDEM")) == both
    assert sorted(hit.case_id for hit in filled.search_cases("tag:ödem")) == both
    filled.rename_tag("ödem", "Oedema", NOW)
    assert filled.case_tags(first) == filled.case_tags(second) == ["Oedema"]


def test_read_counts_after_a_reading_leave_out_the_trash_and_records_of_no_case(
    filled: Library,
) -> None:
    from desktop.store.listing import parts_moved

    chest, neuro, msk = ids(filled, "chest-01", "neuro-01", "msk-01")
    moment = NOW.isoformat(timespec="seconds")
    with filled.transaction():  # reader data naming a case this library does not hold
        filled._conn.execute(
            "INSERT INTO reading (uid, created_at, updated_at, case_source, case_source_id,"
            " first_read_at, last_read_at) VALUES ('orphan', ?, ?, 'eurorad', '99999', ?, ?)",
            (moment, moment, moment, moment),
        )
    filled.mark_read(msk, NOW)
    filled.trash(msk, NOW)  # read, then trashed: not counted
    shown = filled.counts(NOW)
    for change in (
        lambda: filled.mark_read(chest, NOW),
        lambda: filled.mark_read(neuro, NOW),
        lambda: filled.mark_unread(chest),
        lambda: filled.mark_read(chest, NOW),
    ):
        changes = change()
        assert parts_moved(changes) == frozenset({"reading"})
        shown = filled.counts(NOW, after=changes, previous=shown)
        assert shown == filled.counts(NOW)
    assert shown.unread == shown.all - 2 and shown.recent == 2


def test_counts_after_cases_move_through_the_trash_are_the_whole_counts(
    filled: Library,
) -> None:
    from desktop.store.listing import parts_moved

    gyn, chest = ids(filled, "gyn-01", "chest-01")  # gyn-01: its section's only case
    filled.set_bookmark(chest, True, NOW)
    filled.save_note(chest, "a note", NOW)
    filled.mark_read(chest, NOW)
    filled.add_highlight(chest, "clinical_history", 0, 5, now=NOW)
    shown = filled.counts(NOW)
    moves = [
        lambda: Changes.merge([filled.trash(gyn, NOW), filled.trash(chest, NOW)]),
        lambda: filled.untrash(chest),
        lambda: filled.untrash(gyn),
        lambda: filled.trash(chest, NOW),
    ]
    for move in moves:  # counted right after each, as the sidebar counts
        changes = move()
        assert parts_moved(changes) == frozenset({"trash"})
        shown = filled.counts(NOW, after=changes, previous=shown)
        assert shown == filled.counts(NOW)
    assert shown.trash == 1 and shown.bookmarked == 0 and shown.highlights == 0


def test_a_case_whose_text_changed_is_counted_whole() -> None:
    from desktop.model import CaseId
    from desktop.store.listing import parts_moved

    assert parts_moved(Changes(cases=frozenset({CaseId(1)}))) is None
    moved = Changes(cases=frozenset({CaseId(1)}), trash_moves=frozenset({CaseId(1)}))
    assert parts_moved(moved | Changes(cases=frozenset({CaseId(2)}))) is None
    assert parts_moved(Changes(tags=frozenset({CaseId(1)}))) == frozenset()


def test_a_case_moved_through_the_trash_twice_in_one_change_is_counted_whole(
    filled: Library,
) -> None:
    from desktop.store.listing import parts_moved

    (chest,) = ids(filled, "chest-01")
    there_and_back = [filled.trash(chest, NOW), filled.untrash(chest)]
    assert parts_moved(Changes.merge(there_and_back)) is None
    assert parts_moved(there_and_back[0] | there_and_back[1]) is None
