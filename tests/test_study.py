"""Drilling's store and scheduler: the `fsrs` reference sequence through Lightbox's own code,
the append-only review log (mergeable records), undo, the due queue, leeches, retention,
statistics, the trash and re-import."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from desktop import study
from desktop.importer import import_paths
from desktop.model import CaseId
from desktop.store import study as study_store
from desktop.store.library import Library
from desktop.store.records import RECORD_COLUMNS, Record, merge
from tests.conftest import SAMPLE_CASES
from tests.organise_helpers import ids, rows, with_samples

START = dt.datetime(2022, 11, 29, 12, 30, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
#: FSRS 6's own reference: 13 reviews at their due times, fuzzing off, default parameters.
REFERENCE_RATINGS = "GGGGGGAAGGGGG"
REFERENCE_INTERVALS = [0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21]


@pytest.fixture
def filled(library: Library) -> Library:
    return with_samples(library)


def test_the_reference_sequence_through_the_pure_scheduler() -> None:
    letters = {"A": 1, "H": 2, "G": 3, "E": 4}
    reviews: list[tuple[dt.datetime, int]] = []
    at, intervals = START, []
    for letter in REFERENCE_RATINGS:
        reviews.append((at, letters[letter]))
        state = study.replay(reviews)
        assert state is not None
        intervals.append((state.due - at).days)
        at = state.due
    assert intervals == REFERENCE_INTERVALS


def test_the_reference_sequence_through_the_library(filled: Library) -> None:
    """The same 13 ratings given with `Library.rate`, each at the due time the library
    stored after the one before."""
    (case,) = ids(filled, "chest-01")
    letters = {"A": 1, "G": 3}
    at, intervals = START, []
    for letter in REFERENCE_RATINGS:
        _uid, state, changes = filled.rate(case, letters[letter], at)
        assert changes.reviews == {case}
        stored = filled.study_states([case])[case]
        assert stored.due == state.due.replace(microsecond=stored.due.microsecond)
        intervals.append((stored.due - at).days)
        at = stored.due
    assert intervals == REFERENCE_INTERVALS
    assert [review.rating for review in filled.reviews(case)] == [
        letters[letter] for letter in REFERENCE_RATINGS
    ]
    assert filled.study_states([case])[case].misses == 2


def test_reviews_are_records_appended_never_edited(filled: Library) -> None:
    (case,) = ids(filled, "abdo-01")
    first, _state, _ = filled.rate(case, 3, NOW, answer="appendicitis", verdict="correct")
    filled.rate(case, 1, NOW + dt.timedelta(minutes=10))
    stored = rows(filled, f"SELECT {', '.join(RECORD_COLUMNS)}, rating FROM reviews")
    assert len(stored) == 2
    for row in stored:
        assert row[1] and row[2] and row[3] and row[4] is None
        assert row[5:7] == ("lightbox", "abdo-01")  # the case's identity, never a row id
    assert filled.reviews(case)[0].answer == "appendicitis"
    assert filled.reviews(case)[0].uid == first


def test_undo_tombstones_and_replays(filled: Library) -> None:
    (case,) = ids(filled, "abdo-01")
    _, after_first, _ = filled.rate(case, 3, NOW)
    uid, _, _ = filled.rate(case, 1, NOW + dt.timedelta(minutes=10))
    assert filled.study_states([case])[case].misses == 1
    changes = filled.undo_rating(uid, NOW + dt.timedelta(minutes=11))
    assert changes.reviews == {case}
    state = filled.study_states([case])[case]
    assert (state.reviews, state.misses, state.due) == (1, 0, after_first.due)
    assert rows(filled, "SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL") == [(1,)]
    assert not filled.undo_rating(uid)  # undone already
    first = filled.reviews(case)[0].uid
    filled.undo_rating(first)
    assert filled.study_states([case]) == {}
    assert filled.due_ids(NOW + dt.timedelta(days=400)) == []


def test_bad_ratings_and_times_are_refused(filled: Library) -> None:
    (case,) = ids(filled, "abdo-01")
    with pytest.raises(ValueError, match="1 to 4"):
        filled.rate(case, 5, NOW)
    with pytest.raises(ValueError, match="time zone"):
        filled.rate(case, 3, dt.datetime(2026, 1, 1))
    with pytest.raises(LookupError):
        filled.rate(CaseId(9999), 3, NOW)
    assert rows(filled, "SELECT count(*) FROM reviews") == [(0,)]


def test_the_due_queue_is_most_overdue_first_and_leaves_the_trash_out(filled: Library) -> None:
    first, second, third = ids(filled, "abdo-01", "chest-01", "neuro-01")
    filled.rate(first, 3, NOW)  # learning: due in 10 minutes
    filled.rate(second, 1, NOW - dt.timedelta(hours=1))  # due an hour ago + 1 min
    filled.rate(third, 4, NOW)  # easy: days away
    later = NOW + dt.timedelta(hours=1)
    assert filled.due_ids(later) == [second, first]
    assert filled.count_due(later) == 2
    filled.trash(second)
    assert filled.due_ids(later) == [first]
    filled.untrash(second)
    assert filled.due_ids(later, limit=1) == [second]


def test_a_case_missed_often_is_a_leech(filled: Library) -> None:
    (case,) = ids(filled, "msk-01")
    at = NOW
    for n in range(study.LEECH_MISSES):
        _uid, state, _ = filled.rate(case, 1, at)
        assert state.leech == (n + 1 >= study.LEECH_MISSES)
        at = state.due
    stats = filled.study_statistics(at)
    assert [missed.case_id for missed in stats.leeches] == [case]
    assert stats.most_missed[0].misses == study.LEECH_MISSES


def test_desired_retention_is_a_library_preference(filled: Library) -> None:
    assert filled.desired_retention() == pytest.approx(0.9)
    (case,) = ids(filled, "abdo-01")
    filled.rate(case, 3, NOW)
    _, at_default, _ = filled.rate(case, 3, NOW + dt.timedelta(minutes=10))
    filled.undo_rating(filled.reviews(case)[-1].uid)
    filled.set_desired_retention(0.8)
    assert filled.desired_retention() == pytest.approx(0.8)
    _, at_lower, _ = filled.rate(case, 3, NOW + dt.timedelta(minutes=10))
    assert at_lower.due > at_default.due  # lower retention: longer intervals
    with pytest.raises(ValueError, match="between"):
        filled.set_desired_retention(0.5)


def test_statistics_count_days_sections_collections_and_the_forecast(filled: Library) -> None:
    abdo, chest = ids(filled, "abdo-01", "chest-01")
    filled.make_collection_path("Boards/Abdomen")
    uid = filled.find_collection("Boards/Abdomen")
    assert uid is not None
    filled.add_to_collection(uid, [abdo])
    yesterday = NOW - dt.timedelta(days=1)
    filled.rate(abdo, 3, yesterday)
    filled.rate(abdo, 4, yesterday + dt.timedelta(minutes=10))
    filled.rate(chest, 1, NOW)
    stats = filled.study_statistics(NOW, zone=dt.UTC)
    assert (stats.reviews, stats.cases_reviewed) == (3, 2)
    assert len(stats.days) == 30 and stats.days[-1].label == NOW.date().isoformat()
    assert (stats.days[-2].got_it, stats.days[-2].easy, stats.days[-1].missed) == (1, 1, 1)
    sections = {tally.label: tally for tally in stats.by_section}
    abdo_section = filled.get_case(abdo).section  # type: ignore[union-attr]
    assert sections[abdo_section].accuracy == 1.0
    assert [(t.label, t.total) for t in stats.by_collection] == [("Boards/Abdomen", 2)]
    assert len(stats.forecast) == 14 and stats.forecast[0][0] == NOW.date()
    assert sum(count for _day, count in stats.forecast) == 2  # chest today, abdo later
    assert stats.forecast[0][1] == 1
    # A day is the reader's day: 23:30 UTC is the next day two hours east.
    east = dt.timezone(dt.timedelta(hours=2))
    late = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
    filled.rate(chest, 3, late)
    by_day = filled.study_statistics(NOW, zone=east).days
    assert by_day[-1].label == "2026-11-30" and by_day[-1].got_it == 1


def test_reviews_survive_the_trash_and_reimport(filled: Library, tmp_path: Path) -> None:
    (case,) = ids(filled, "neuro-01")
    filled.rate(case, 2, NOW)
    folder = tmp_path / "again"
    folder.mkdir()
    shutil.copy(SAMPLE_CASES / "neuro-01.txt", folder)
    filled.trash(case)
    assert filled.due_ids(NOW + dt.timedelta(days=30)) == []
    filled.untrash(case)
    assert not import_paths(filled, [folder]).failed  # re-import keeps the log
    assert [review.rating for review in filled.reviews(case)] == [2]
    assert filled.due_ids(NOW + dt.timedelta(days=30)) == [case]
    # Emptying the Trash deletes for good: the log becomes tombstones, the schedule goes,
    # and the case imported again starts afresh.
    filled.trash(case)
    filled.empty_trash()
    assert rows(filled, "SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL") == [(1,)]
    assert not import_paths(filled, [folder]).failed
    (again,) = ids(filled, "neuro-01")
    assert filled.reviews(again) == [] and filled.study_states([again]) == {}


def _review_records(library: Library) -> list[Record]:
    columns = "uid, case_source, case_source_id, created_at, updated_at, deleted_at"
    return [
        Record(
            uid=row[0],
            case=(row[1], row[2]),
            created_at=row[3],
            updated_at=row[4],
            deleted_at=row[5],
            fields=(("rating", row[6]), ("reviewed_at", row[7])),
        )
        for row in rows(library, f"SELECT {columns}, rating, reviewed_at FROM reviews")
    ]


def test_two_copies_review_logs_merge_and_the_schedule_replays_from_both(
    tmp_path: Path,
) -> None:
    """A case drilled on two machines: the merged log holds every review of both, and the
    schedule replayed from it is the one a single machine would have reached."""
    copies = []
    for name, ratings in (("laptop", [(0, 3), (2, 1)]), ("desk", [(1, 3)])):
        library = with_samples(Library.open(tmp_path / f"{name}.db"))
        (case,) = ids(library, "chest-01")
        for day, rating in ratings:
            library.rate(case, rating, NOW + dt.timedelta(days=day))
        copies.append(library)
    laptop, desk = copies
    merged = merge(_review_records(laptop), _review_records(desk))
    assert len(merged) == 3
    known = {record.uid for record in _review_records(laptop)}
    conn = laptop._conn
    with laptop.transaction():
        for record in merged - set(_review_records(laptop)):
            assert record.uid not in known
            values = dict(record.fields)
            conn.execute(
                "INSERT INTO reviews (uid, created_at, updated_at, deleted_at, case_source,"
                " case_source_id, rating, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.uid, record.created_at, record.updated_at, record.deleted_at,
                 *record.case, values["rating"], values["reviewed_at"]),
            )  # fmt: skip
        assert study_store.replay_all(conn) == 1
    (case,) = ids(laptop, "chest-01")
    assert [review.rating for review in laptop.reviews(case)] == [3, 3, 1]
    expected = study.replay([(NOW + dt.timedelta(days=d), r) for d, r in ((0, 3), (1, 3), (2, 1))])
    assert laptop.study_states([case])[case].due == expected.due  # type: ignore[union-attr]
    for library in copies:
        library.close()


def test_days_follow_the_zone_s_rules_across_a_change_of_summer_time(filled: Library) -> None:
    """00:30 in London in October (summer time, UTC+1) is 23:30 UTC the day before: it
    counts on the London day, though the statistics are taken in winter (UTC+0)."""
    london = _London()
    (case,) = ids(filled, "chest-01")
    filled.rate(case, 3, dt.datetime(2026, 10, 20, 0, 30, tzinfo=london))
    now = dt.datetime(2026, 11, 5, 12, 0, tzinfo=london)
    days = {tally.label: tally.total for tally in filled.study_statistics(now, london).days}
    assert days["2026-10-20"] == 1 and days["2026-10-19"] == 0


class _London(dt.tzinfo):
    """London's 2026 clocks without the tz database (a fresh machine may lack it): summer
    time (UTC+1) until 25 October 2026 01:00 UTC, then UTC."""

    _CHANGE = dt.datetime(2026, 10, 25, 1, 0)

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta:
        if moment is None:
            return dt.timedelta()
        # A local time (as combine() and fromutc() hand it) near enough to the change.
        return (
            dt.timedelta(hours=1) if moment.replace(tzinfo=None) < self._CHANGE else dt.timedelta()
        )

    def dst(self, moment: dt.datetime | None) -> dt.timedelta:
        return self.utcoffset(moment)

    def tzname(self, moment: dt.datetime | None) -> str:
        return "BST" if self.utcoffset(moment) else "GMT"
