"""Nested collections and the cases in them, through `Library`: the record rule, paths,
rename/move/delete rules, order, counts, the trash and re-import."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.importer import import_paths
from desktop.model import CaseId
from desktop.store.changes import Changes
from desktop.store.library import Library
from desktop.store.records import stamp
from tests.conftest import SAMPLE_CASES
from tests.organise_helpers import ids, rows, with_samples

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)


@pytest.fixture
def filled(library: Library) -> Library:
    return with_samples(library)


def by_path(library: Library) -> dict[str, tuple[int, int]]:
    return {found.path: (found.count, found.total) for found in library.collections()}


def test_a_path_nests_and_is_matched_ignoring_case(filled: Library) -> None:
    uid, changes = filled.make_collection_path(" Boards / Chest ", NOW)
    assert changes == Changes(collection_tree=True)
    assert filled.make_collection_path("boards/CHEST", NOW) == (uid, Changes())
    assert filled.find_collection("BOARDS/chest") == uid
    assert filled.find_collection("Boards/Neuro") is None
    assert filled.collection_path(uid) == "Boards/Chest"
    tree = filled.collections()
    assert [(c.path, c.name) for c in tree] == [("Boards", "Boards"), ("Boards/Chest", "Chest")]
    assert tree[1].parent_uid == tree[0].uid and tree[0].parent_uid is None


@pytest.mark.parametrize("path", ["", "A//B", "/A", "A/" + "x" * 101, "A/b\x07c", "  "])
def test_bad_paths_are_refused(filled: Library, path: str) -> None:
    with pytest.raises(ValueError):
        filled.make_collection_path(path, NOW)
    assert filled.collections() == []


def test_collections_are_library_records(filled: Library) -> None:
    uid, _ = filled.make_collection_path("Neuro", NOW)
    ((rid, created, updated, deleted),) = rows(
        filled, "SELECT uid, created_at, updated_at, deleted_at FROM collections"
    )
    assert (rid, created, updated, deleted) == (uid, stamp(NOW), stamp(NOW), None)
    filled.rename_collection(uid, "Neuroradiology", LATER)
    assert rows(filled, "SELECT name, created_at, updated_at FROM collections") == [
        ("Neuroradiology", stamp(NOW), stamp(LATER))
    ]


def test_add_keeps_order_skips_members_and_revives_tombstones(filled: Library) -> None:
    uid, _ = filled.make_collection_path("Chest", NOW)
    chest1, chest2, chest3 = ids(filled, "chest-01", "chest-02", "chest-03")
    assert filled.add_to_collection(uid, [chest2, chest1], NOW) == Changes(
        collections=frozenset({chest1, chest2})
    )
    assert filled.add_to_collection(uid, [chest1, chest3], NOW) == Changes(
        collections=frozenset({chest3})
    )
    assert filled.collection_case_ids(uid) == [chest2, chest1, chest3]
    member_rows = rows(filled, "SELECT uid, case_source_id FROM collection_members ORDER BY id")
    assert len(member_rows) == 3 and all(len(str(r[0])) == 36 for r in member_rows)

    assert filled.remove_from_collection(uid, [chest2], LATER) == Changes(
        collections=frozenset({chest2})
    )
    assert filled.remove_from_collection(uid, [chest2], LATER) == Changes()
    assert rows(
        filled,
        "SELECT deleted_at, updated_at FROM collection_members WHERE case_source_id = ?",
        "chest-02",
    ) == [(stamp(LATER), stamp(LATER))]
    filled.add_to_collection(uid, [chest2], LATER)
    assert filled.collection_case_ids(uid) == [chest1, chest3, chest2]  # back at the end
    assert len(rows(filled, "SELECT 1 FROM collection_members")) == 3  # revived, no new row
    assert [c.path for c in filled.collections_of(chest2)] == ["Chest"]


def test_unknown_cases_and_collections_are_refused(filled: Library) -> None:
    uid, _ = filled.make_collection_path("Chest", NOW)
    with pytest.raises(LookupError):
        filled.add_to_collection(uid, [*ids(filled, "chest-01"), CaseId(99_999)], NOW)
    assert filled.collection_case_ids(uid) == []  # nothing was added
    with pytest.raises(LookupError):
        filled.add_to_collection("no-such-uid", ids(filled, "chest-01"), NOW)
    with pytest.raises(LookupError):
        filled.rename_collection("no-such-uid", "X", NOW)


def test_rename_refuses_a_sibling_clash(filled: Library) -> None:
    chest, _ = filled.make_collection_path("Boards/Chest", NOW)
    neuro, _ = filled.make_collection_path("Boards/Neuro", NOW)
    filled.make_collection_path("Other/Spine", NOW)
    with pytest.raises(ValueError, match="already"):
        filled.rename_collection(neuro, "CHEST", NOW)
    assert filled.rename_collection(neuro, "Spine", NOW) == Changes(collection_tree=True)
    assert filled.rename_collection(chest, "chest", NOW)  # its own name in other letters
    assert filled.rename_collection(chest, "chest", NOW) == Changes()
    with pytest.raises(ValueError):
        filled.create_collection("SPINE", filled.find_collection("Boards"), NOW)


def test_move_refuses_itself_a_descendant_and_a_clash(filled: Library) -> None:
    top, _ = filled.make_collection_path("A", NOW)
    middle, _ = filled.make_collection_path("A/B", NOW)
    leaf, _ = filled.make_collection_path("A/B/C", NOW)
    filled.make_collection_path("C", NOW)
    for target in (top, middle, leaf):
        with pytest.raises(ValueError, match="into itself"):
            filled.move_collection(top, target, NOW)
    with pytest.raises(ValueError, match="already"):
        filled.move_collection(leaf, None, NOW)
    assert filled.move_collection(middle, None, NOW) == Changes(collection_tree=True)
    assert [c.path for c in filled.collections()] == ["A", "C", "B", "B/C"]
    assert filled.move_collection(middle, None, NOW) == Changes()


def test_delete_tombstones_the_subtree_and_memberships_never_cases(filled: Library) -> None:
    top, _ = filled.make_collection_path("Boards", NOW)
    chest, _ = filled.make_collection_path("Boards/Chest", NOW)
    keep, _ = filled.make_collection_path("Keep", NOW)
    chest1, chest2 = ids(filled, "chest-01", "chest-02")
    filled.add_to_collection(chest, [chest1], NOW)
    filled.add_to_collection(top, [chest2], NOW)
    filled.add_to_collection(keep, [chest1], NOW)
    cases_before = filled.count_cases()
    assert filled.delete_collection(top, LATER) == Changes(
        collections=frozenset({chest1, chest2}), collection_tree=True
    )
    assert [c.path for c in filled.collections()] == ["Keep"]
    assert filled.count_cases() == cases_before
    assert rows(filled, "SELECT count(*) FROM collections WHERE deleted_at = ?", stamp(LATER)) == [
        (2,)
    ]
    assert rows(
        filled,
        "SELECT count(*) FROM collection_members WHERE deleted_at IS NULL",
    ) == [(1,)]
    assert len(rows(filled, "SELECT 1 FROM collection_members")) == 3  # tombstones, not gone
    with pytest.raises(LookupError):
        filled.collection_case_ids(chest)
    # A collection made again under the old name is a new record, and starts empty.
    again, _ = filled.make_collection_path("Boards/Chest", LATER)
    assert again != chest and filled.collection_case_ids(again) == []


def test_reorder_takes_a_midpoint_and_renumbers_only_when_needed(filled: Library) -> None:
    uid, _ = filled.make_collection_path("Chest", NOW)
    one, two, three = ids(filled, "chest-01", "chest-02", "chest-03")
    filled.add_to_collection(uid, [one, two, three], NOW)
    assert filled.reorder_in_collection(uid, three, one, LATER) == Changes(
        collections=frozenset({three})
    )
    assert filled.collection_case_ids(uid) == [three, one, two]
    assert filled.reorder_in_collection(uid, three, one, LATER) == Changes()
    assert filled.reorder_in_collection(uid, three, None, LATER)
    assert filled.collection_case_ids(uid) == [one, two, three]
    # Only the moved row was written.
    assert rows(
        filled, "SELECT case_source_id FROM collection_members WHERE updated_at = ?", stamp(LATER)
    ) == [("chest-03",)]
    # Squeezing into the same gap again and again runs out of room: then it renumbers.
    for _ in range(60):
        filled.reorder_in_collection(uid, three, two, LATER)
        filled.reorder_in_collection(uid, two, three, LATER)
    assert filled.collection_case_ids(uid) == [one, two, three]
    positions = [row[0] for row in rows(filled, "SELECT position FROM collection_members")]
    assert len(set(positions)) == 3
    with pytest.raises(LookupError):
        filled.reorder_in_collection(uid, ids(filled, "abdo-01")[0], None, NOW)
    with pytest.raises(ValueError):
        filled.reorder_in_collection(uid, one, one, NOW)


@given(moves=st.lists(st.tuples(st.integers(0, 5), st.integers(-1, 5)), max_size=40))
def test_any_sequence_of_moves_keeps_a_permutation(tmp_path_factory, moves) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("reorder") / "library.db"
    shutil.copy(_reorder_template(tmp_path_factory), path)
    with Library.open(path, quick_check=False) as library:
        uid = library.find_collection("R")
        assert uid is not None
        members = library.collection_case_ids(uid)
        expected = list(members)
        for moving, before in moves:
            case = members[moving]
            target = None if before < 0 else members[before]
            if case == target:
                continue
            library.reorder_in_collection(uid, case, target, NOW)
            expected.remove(case)
            expected.insert(len(expected) if target is None else expected.index(target), case)
            assert library.collection_case_ids(uid) == expected
        assert sorted(expected) == sorted(members)


_TEMPLATE: dict[str, Path] = {}


def _reorder_template(factory: pytest.TempPathFactory) -> Path:
    """A library with six cases in the collection "R", made once per run."""
    if "path" not in _TEMPLATE:
        path = factory.mktemp("template") / "library.db"
        with Library.open(path) as library:
            names = sorted(p for p in SAMPLE_CASES.iterdir() if p.suffix == ".txt")[:6]
            assert not import_paths(library, names).failed
            uid, _ = library.make_collection_path("R", NOW)
            library.add_to_collection(uid, library.case_ids(_all()), NOW)
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


def _all():  # type: ignore[no-untyped-def]
    from desktop.model import CaseFilter

    return CaseFilter()


def test_counts_leave_out_the_trash_and_totals_count_each_case_once(filled: Library) -> None:
    boards, _ = filled.make_collection_path("Boards", NOW)
    chest, _ = filled.make_collection_path("Boards/Chest", NOW)
    neuro, _ = filled.make_collection_path("Boards/Neuro", NOW)
    one, two, three = ids(filled, "chest-01", "chest-02", "chest-03")
    filled.add_to_collection(boards, [one], NOW)
    filled.add_to_collection(chest, [one, two, three], NOW)
    filled.add_to_collection(neuro, [two], NOW)
    assert by_path(filled) == {"Boards": (1, 3), "Boards/Chest": (3, 3), "Boards/Neuro": (1, 1)}
    filled.trash(three)
    assert by_path(filled) == {"Boards": (1, 2), "Boards/Chest": (2, 2), "Boards/Neuro": (1, 1)}
    assert filled.collection_case_ids(chest) == [one, two]
    assert filled.collection_case_ids(boards, nested=True) == [one, two]
    filled.untrash(three)
    assert filled.collection_case_ids(boards, nested=True) == [one, two, three]


def test_emptying_the_trash_tombstones_memberships(filled: Library) -> None:
    uid, _ = filled.make_collection_path("Chest", NOW)
    one, two = ids(filled, "chest-01", "chest-02")
    filled.add_to_collection(uid, [one, two], NOW)
    filled.trash(one)
    filled.empty_trash()
    assert rows(
        filled,
        "SELECT case_source_id, deleted_at IS NOT NULL FROM collection_members ORDER BY id",
    ) == [("chest-01", 1), ("chest-02", 0)]
    assert by_path(filled) == {"Chest": (1, 1)}


def test_reimporting_every_case_keeps_collections_order_tags_and_bookmarks(
    filled: Library, tmp_path: Path
) -> None:
    everything = filled.case_ids(_all())
    top, _ = filled.make_collection_path("Boards", NOW)
    nested, _ = filled.make_collection_path("Boards/Mixed", NOW)
    filled.add_to_collection(top, everything, NOW)
    mixed = list(reversed(everything))[::2]
    filled.add_to_collection(nested, mixed, NOW)
    filled.reorder_in_collection(nested, mixed[-1], mixed[0], NOW)
    filled.tag_cases(everything[:5], ["spot diagnosis", "FRCR"], NOW)
    filled.set_bookmark(everything[3], True)
    before = (
        filled.collections(),
        filled.collection_case_ids(top),
        filled.collection_case_ids(nested),
        {case: filled.case_tags(case) for case in everything},
        filled.bookmarked_ids(),
    )
    edited = tmp_path / "edited"
    shutil.copytree(SAMPLE_CASES, edited)
    for path in edited.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\nImaging Findings\n", " Edited.\nImaging Findings\n", 1))
    report = import_paths(filled, [edited])
    assert not report.failed and report.updated == len(everything)
    after = (
        filled.collections(),
        filled.collection_case_ids(top),
        filled.collection_case_ids(nested),
        {case: filled.case_tags(case) for case in everything},
        filled.bookmarked_ids(),
    )
    assert after == before


def test_a_case_in_two_sub_collections_counts_once_above_them(filled: Library) -> None:
    """`total` is the cases in a collection or under it, each once: a case filed in two
    sub-collections of one parent (or deeper) is one case of the parent and of the top."""
    chest, _ = filled.make_collection_path("Boards/Chest", NOW)
    neuro, _ = filled.make_collection_path("Boards/Neuro", NOW)
    deep, _ = filled.make_collection_path("Boards/Neuro/Spine", NOW)
    one, two = ids(filled, "chest-01", "chest-02")
    filled.add_to_collection(chest, [one, two], NOW)
    filled.add_to_collection(neuro, [one], NOW)
    filled.add_to_collection(deep, [one, two], NOW)
    expected = {
        "Boards": (0, 2),
        "Boards/Chest": (2, 2),
        "Boards/Neuro": (1, 2),
        "Boards/Neuro/Spine": (2, 2),
    }
    assert by_path(filled) == expected
    with Library.open(filled.path, quick_check=False) as fresh:  # counted afresh: the same
        assert by_path(fresh) == expected
    total_under_boards = filled.collection_case_ids(filled.collections()[0].uid, nested=True)
    assert len(total_under_boards) == 2
