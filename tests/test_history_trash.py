"""Note history (every replaced text kept; one a minute of a writer's own typing) and the
trash, in the store."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop.importer import import_paths
from desktop.model import CaseFilter
from desktop.store.library import Library
from tests.conftest import SEED_CASE
from tests.tools import shared_path

T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded(library: Library) -> Library:
    import_paths(library, [shared_path(SEED_CASE)])
    return library


def test_typing_keeps_one_version_a_minute_of_the_writers_own_text(seeded: Library) -> None:
    case_id = seeded.resolve("eurorad:8455")
    # The window's autosave every second for three minutes, each over its own last save.
    base = None
    for second in range(180):
        saved = seeded.save_note_over(
            "eurorad:8455", f"text {second}", base, T0 + dt.timedelta(seconds=second)
        )
        assert not saved.conflict
        base = saved.note
    versions = seeded.note_versions(case_id)
    assert 2 <= len(versions) <= 4
    assert [v.body for v in versions] == sorted(
        (v.body for v in versions), key=lambda b: -int(b.split()[1])
    )
    note = seeded.note(case_id)
    assert note is not None
    assert note.body == "text 179"


def test_every_other_save_keeps_the_text_it_replaces(seeded: Library) -> None:
    case_id = seeded.resolve("eurorad:8455")
    # Saves with no writer's base (the command line, a script) thin nothing.
    for second in range(5):
        seeded.save_note(case_id, f"text {second}", T0 + dt.timedelta(seconds=second))
    assert [v.body for v in seeded.note_versions(case_id)] == [f"text {i}" for i in (3, 2, 1, 0)]


def test_clearing_and_forced_saves_always_keep_a_version(seeded: Library) -> None:
    case_id = seeded.resolve("eurorad:8455")
    seeded.save_note(case_id, "one", T0)
    seeded.save_note(case_id, "two", T0 + dt.timedelta(seconds=1), keep_version=True)
    seeded.save_note(case_id, "", T0 + dt.timedelta(seconds=2))
    assert [v.body for v in seeded.note_versions(case_id)] == ["two", "one"]
    assert seeded.note(case_id) is None


def test_restoring_a_version_keeps_the_current_text(seeded: Library) -> None:
    case_id = seeded.resolve("eurorad:8455")
    seeded.save_note(case_id, "old", T0)
    seeded.save_note(case_id, "new", T0 + dt.timedelta(minutes=5))
    old = seeded.note_versions(case_id)[0]
    assert old.body == "old"
    changes = seeded.restore_note_version(old.id, T0 + dt.timedelta(minutes=6))
    assert case_id in changes.notes
    note = seeded.note(case_id)
    assert note is not None
    assert note.body == "old"
    assert "new" in [v.body for v in seeded.note_versions(case_id)]
    with pytest.raises(LookupError):
        seeded.restore_note_version(99999)


def test_trash_keeps_everything_until_emptied(seeded: Library) -> None:
    case_id = seeded.resolve("eurorad:8455")
    seeded.save_note(case_id, "mine", T0)
    seeded.save_note(case_id, "mine again", T0 + dt.timedelta(minutes=2))
    seeded.set_bookmark(case_id, True, T0)
    seeded.mark_read(case_id, T0)
    assert case_id in seeded.trash(case_id).cases
    assert seeded.case_ids() == []
    assert seeded.case_ids(CaseFilter("trash")) == [case_id]
    assert seeded.search_cases("calcinosis") == []
    assert seeded.search("calcinosis") == []
    assert seeded.counts().trash == 1
    assert seeded.counts().all == 0
    seeded.untrash(case_id)
    row = seeded.rows([case_id])[0]
    assert (row.bookmarked, row.has_note, row.read) == (True, True, True)
    seeded.trash(case_id)
    # Re-importing a trashed case updates it but leaves it in the trash.
    import_paths(seeded, [SEED_CASE])
    assert seeded.case_ids(CaseFilter("trash")) == [case_id]
    assert seeded.empty_trash().cases == {case_id}
    assert seeded.count_cases() == 0
    assert seeded.check() == []


def test_emptying_the_trash_keeps_other_cases_data(seeded: Library) -> None:
    keep = seeded.resolve("eurorad:8455")
    seeded.save_note(keep, "kept", T0)
    seeded.empty_trash()
    note = seeded.note(keep)
    assert note is not None
    assert note.body == "kept"


def test_restoring_a_version_of_a_cleared_note_revives_the_same_record(seeded: Library) -> None:
    case_id = seeded.resolve("eurorad:8455")
    seeded.save_note(case_id, "worth keeping", T0)
    note = seeded.note(case_id)
    assert note is not None and note.uid
    seeded.save_note(case_id, "", T0 + dt.timedelta(minutes=1))
    assert seeded.note(case_id) is None
    (version,) = seeded.note_versions(case_id)
    assert version.body == "worth keeping" and version.uid and version.uid != note.uid
    seeded.restore_note_version(version.id, T0 + dt.timedelta(minutes=2))
    revived = seeded.note(case_id)
    assert revived is not None
    assert (revived.body, revived.uid) == ("worth keeping", note.uid)
    assert len({v.uid for v in seeded.note_versions(case_id)}) == len(seeded.note_versions(case_id))


def test_emptying_the_trash_deletes_only_the_cases_confirmed(library: Library) -> None:
    """The reader confirms the cases in the Trash; one trashed meanwhile (by another
    window or the command line) stays in it, with its notes."""
    from tests.conftest import SAMPLE_CASES

    import_paths(library, [SAMPLE_CASES])
    first, second = library.case_ids()[:2]
    library.trash(first)
    confirmed = library.trashed_ids()
    library.save_note(second, "kept")
    library.trash(second)  # meanwhile
    assert library.empty_trash(only=confirmed).cases == {first}
    assert library.trashed_ids() == [second]
    note = library.note(second)
    assert note is not None and note.body == "kept"
