"""The reader's data in the store: notes, bookmarks, reading state, filters, counts, search."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from desktop.importer import import_paths
from desktop.model import CaseFilter, CaseId
from desktop.store.changes import Changes
from desktop.store.library import Library
from desktop.store.records import READER_TABLES, new_uid, stamp
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


def test_a_case_leaving_the_library_never_takes_the_readers_work_with_it(
    filled: Library,
) -> None:
    """Reader data names its case by (source, source id), with no foreign key: deleting the
    case row leaves the records, and the case imported again (under a new row id) has them."""
    case_id = seed_id(filled)
    filled.save_note(case_id, "mine", NOW)
    filled.set_bookmark(case_id, True, NOW)
    filled.mark_read(case_id, NOW)
    uid = note_uid(filled, case_id)
    with filled.transaction():
        filled._conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
    assert filled.note(case_id) is None
    assert filled.bookmarked_ids() == []
    assert filled.counts(NOW).notes == 0
    assert [r[0] for r in live_records(filled, "notes")] == [("eurorad", "8455")]
    assert import_paths(filled, [shared_path(SEED_CASE)]).imported == 1
    again = seed_id(filled)
    assert again != case_id
    note = filled.note(again)
    assert note is not None
    assert (note.body, note.uid) == ("mine", uid)
    row = filled.rows([again])[0]
    assert (row.bookmarked, row.has_note, row.read) == (True, True, True)
    assert filled.check() == []


def note_uid(library: Library, case_id: CaseId) -> str:
    note = library.note(case_id)
    assert note is not None
    return note.uid


def records(library: Library, table: str) -> list[tuple[tuple[str, str], str, str | None]]:
    """(case identity, uid, deleted_at) of every record of a reader table, tombstones too."""
    rows = library._conn.execute(
        f"SELECT case_source, case_source_id, uid, deleted_at FROM {table} ORDER BY id"
    )
    return [((row[0], row[1]), row[2], row[3]) for row in rows]


def live_records(library: Library, table: str) -> list[tuple[tuple[str, str], str, str | None]]:
    return [record for record in records(library, table) if record[2] is None]


def test_unbookmarking_leaves_a_tombstone_that_bookmarking_revives(filled: Library) -> None:
    case_id = seed_id(filled)
    filled.set_bookmark(case_id, True, NOW)
    ((key, uid, deleted),) = records(filled, "bookmarks")
    assert (key, deleted) == (("eurorad", "8455"), None)
    assert filled.set_bookmark(case_id, False, NOW + dt.timedelta(minutes=1))
    assert records(filled, "bookmarks") == [(key, uid, "2026-11-25T12:01:00.000+00:00")]
    assert not filled.is_bookmarked(case_id)
    assert filled.bookmarked_ids() == []
    assert filled.case_ids(CaseFilter("bookmarked")) == []
    assert filled.counts(NOW).bookmarked == 0
    assert filled.rows([case_id])[0].bookmarked is False
    assert not filled.set_bookmark(case_id, False, NOW)  # a tombstone stays one
    assert filled.set_bookmark(case_id, True, NOW + dt.timedelta(minutes=2))
    assert records(filled, "bookmarks") == [(key, uid, None)]
    created, updated = filled._conn.execute(
        "SELECT created_at, updated_at FROM bookmarks"
    ).fetchone()
    assert (created, updated) == ("2026-11-25T12:00:00.000+00:00", "2026-11-25T12:02:00.000+00:00")
    assert filled.is_bookmarked(case_id)


def test_marking_unread_leaves_a_tombstone(filled: Library) -> None:
    case_id = seed_id(filled)
    filled.mark_read(case_id, NOW)
    filled.mark_read(case_id, NOW + dt.timedelta(hours=1))
    ((_, uid, _),) = records(filled, "reading")
    assert filled.mark_unread(case_id)
    assert not filled.mark_unread(case_id)
    ((_, same, deleted),) = records(filled, "reading")
    assert same == uid and deleted is not None
    assert filled.rows([case_id])[0].read is False
    assert case_id in filled.case_ids(CaseFilter("unread"), now=NOW)
    assert filled.case_ids(CaseFilter("recent"), now=NOW) == []
    assert filled.counts(NOW).unread == 16
    # Reading it again revives the record and counts afresh, as a first reading.
    assert filled.mark_read(case_id, NOW + dt.timedelta(days=1)) == Changes(
        reading=frozenset({case_id})
    )
    times = filled._conn.execute("SELECT times_read FROM reading").fetchone()[0]
    assert (records(filled, "reading"), times) == ([(("eurorad", "8455"), uid, None)], 1)


def test_clearing_a_note_leaves_a_tombstone_and_its_text_in_history(filled: Library) -> None:
    case_id = seed_id(filled)
    other = filled.resolve("eurorad:543")
    filled.save_note(case_id, "the zebrafish sign", NOW)
    uid = note_uid(filled, case_id)
    filled.save_note(case_id, "", NOW + dt.timedelta(seconds=5))
    ((_, same, deleted),) = records(filled, "notes")
    assert same == uid and deleted == "2026-11-25T12:00:05.000+00:00"
    assert filled.note(case_id) is None
    assert [v.body for v in filled.note_versions(case_id)] == ["the zebrafish sign"]
    assert filled.search_cases("zebrafish") == []
    assert filled.case_ids(CaseFilter("notes")) == []
    assert filled.counts(NOW).notes == 0
    assert filled.rows([case_id])[0].has_note is False
    assert filled.case_ids(sort="marks", descending=True)[0] != case_id
    assert not filled.save_note(case_id, "   ", NOW)  # clearing a cleared note: no change
    assert filled.check() == []
    # Writing again revives the same record.
    filled.save_note(case_id, "zebrafish again", NOW + dt.timedelta(minutes=1))
    assert note_uid(filled, case_id) == uid
    assert [h.case_id for h in filled.search_cases("zebrafish")] == [case_id]
    filled.save_note(other, "another", NOW)
    assert len({r[1] for r in records(filled, "notes")}) == 2


def test_emptying_the_trash_only_tombstones_the_readers_data(filled: Library) -> None:
    case_id = seed_id(filled)
    filled.save_note(case_id, "first", NOW)
    filled.save_note(case_id, "second", NOW + dt.timedelta(minutes=5))
    filled.set_bookmark(case_id, True, NOW)
    filled.mark_read(case_id, NOW)
    filled.add_highlight(case_id, "title", 0, 4, now=NOW)
    filled.rate(case_id, 3, NOW)
    # Organising records (their store calls come with issue 13's next step).
    for table, column, value in (("collection_members", "collection_uid", "c1"),
                                 ("case_tags", "tag", "t")):  # fmt: skip
        filled._conn.execute(
            f"INSERT INTO {table} (uid, created_at, updated_at, case_source, case_source_id,"
            f" {column}) VALUES (?, ?, ?, 'eurorad', '8455', ?)",
            (new_uid(), stamp(NOW), stamp(NOW), value),
        )
    filled.trash(case_id, NOW)
    before = {table: records(filled, table) for table in READER_TABLES}
    assert all(len(rows) == 1 for rows in before.values())
    filled.empty_trash()
    for table in READER_TABLES:
        after = records(filled, table)
        assert [(key, uid) for key, uid, _ in after] == [(k, u) for k, u, _ in before[table]]
        assert all(deleted is not None for _, _, deleted in after), table
    assert filled.check() == []
    # The case imported again does not bring back what was deleted with it.
    import_paths(filled, [shared_path(SEED_CASE)])
    again = seed_id(filled)
    row = filled.rows([again])[0]
    assert (row.bookmarked, row.has_note, row.read, row.has_highlights) == (False,) * 4
    assert filled.note(again) is None and filled.note_versions(again) == []
    # Bookmarking it again revives the old record rather than making a second one.
    filled.set_bookmark(again, True, NOW)
    assert [uid for _, uid, _ in records(filled, "bookmarks")] == [before["bookmarks"][0][1]]


def test_tombstones_are_purged_only_when_asked(filled: Library) -> None:
    case_id = seed_id(filled)
    other = filled.resolve("eurorad:543")
    filled.set_bookmark(case_id, True, NOW - dt.timedelta(days=40))
    filled.set_bookmark(case_id, False, NOW - dt.timedelta(days=30))
    filled.set_bookmark(other, True, NOW - dt.timedelta(days=3))
    filled.set_bookmark(other, False, NOW - dt.timedelta(days=2))
    filled.save_note(other, "kept", NOW)
    filled.mark_read(other, NOW)
    assert filled.count_tombstones(None, NOW) == 2
    assert filled.count_tombstones(dt.timedelta(days=7), NOW) == 1
    assert filled.purge_tombstones(dt.timedelta(days=7), NOW) == 1
    assert [key for key, _, _ in records(filled, "bookmarks")] == [("eurorad", "543")]
    assert filled.purge_tombstones(dt.timedelta(days=7), NOW) == 0
    assert filled.purge_tombstones(None, NOW) == 1
    assert records(filled, "bookmarks") == []
    assert filled.note(other) is not None and filled.rows([other])[0].read
    assert filled.check() == []


@pytest.fixture
def seed_case_text() -> str:
    return shared_path(SEED_CASE).read_text("utf-8")


def test_purge_deleted_command(
    filled: Library, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.cli import main

    today = dt.datetime.now(dt.UTC)
    case_id = seed_id(filled)
    other = filled.resolve("eurorad:543")
    filled.set_bookmark(case_id, True, today - dt.timedelta(days=40))
    filled.set_bookmark(case_id, False, today - dt.timedelta(days=30))
    filled.save_note(other, "short-lived", today - dt.timedelta(days=2))
    filled.save_note(other, "", today - dt.timedelta(days=1))
    library = str(filled.path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["purge-deleted", "--library", library]) == 2
    out, err = capsys.readouterr()
    assert "confirm with --yes" in err and len(err.strip().splitlines()) == 1
    assert filled.count_tombstones() == 2
    assert main(["purge-deleted", "--library", library, "--older-than", "7", "--yes"]) == 0
    assert capsys.readouterr().out == "Purged 1 deleted record(s).\n"
    assert records(filled, "bookmarks") == []
    assert len(records(filled, "notes")) == 1
    assert main(["purge-deleted", "--library", library, "--older-than", "-1"]) == 2
    capsys.readouterr()
    assert main(["purge-deleted", "--library", library, "--yes"]) == 0
    assert capsys.readouterr().out == "Purged 1 deleted record(s).\n"
    assert filled.count_tombstones() == 0
    assert [v.body for v in filled.note_versions(other)] == ["short-lived"]
    # Nothing left to purge: no question asked, even without --yes.
    assert main(["purge-deleted", "--library", library]) == 0
    assert capsys.readouterr().out == "Purged 0 deleted record(s).\n"
