"""The review log and the schedule replayed from it: recording a rating, the due queue, a
case's reviews, the drill statistics, and the desired retention.

``reviews`` is reader data (`desktop.store.records`): append-only, one record a rating,
naming its case by identity; undoing a rating tombstones it. ``study_schedule`` holds each
reviewed case's schedule as `desktop.study.replay` makes it from the case's live reviews:
derived data, rewritten whenever the case's log changes, so the due queue reads one index.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence

from desktop import study
from desktop.model import (
    CaseId,
    MissedCase,
    Review,
    StudyState,
    StudyStats,
    Tally,
)
from desktop.store.reader_data import CASE_OF, identity
from desktop.store.records import CaseKey, instant, new_uid, stamp

#: The preferences key of the desired retention.
RETENTION_KEY = "study.desired_retention"
#: Days of reviews the statistics chart, and days of due forecast.
STATS_DAYS = 30
FORECAST_DAYS = 14
#: Cases the most-missed list holds.
MOST_MISSED = 10

#: A schedule's counts by rating, added up (Missed, Partly, Got it, Easy).
_RATING_SUMS = "sum(s.misses), sum(s.partly), sum(s.got_it), sum(s.easy)"
#: A case `c` out of the trash, by the trash's own index (`trashed_at` ends a large row).
_OUT_OF_TRASH = "c.id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)"
#: Schedules of cases in the library and out of the trash.
_SHELVED = (
    "case_id IS NOT NULL AND case_id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)"
)
#: Above this many cases `states_of` reads every schedule rather than each case's.
_READ_ALL_ABOVE = 2000
_STATE_COLUMNS = "due, stage, stability, difficulty, reviews, misses, last_review, leech"


def _require(conn: sqlite3.Connection, case_id: CaseId) -> CaseKey:
    key = identity(conn, case_id)
    if key is None:
        raise LookupError(f"no case {case_id} in this library")
    return key


def retention(conn: sqlite3.Connection) -> float:
    """The desired retention the reader chose (FSRS's 0.9 if none)."""
    row = conn.execute("SELECT value FROM preferences WHERE key = ?", (RETENTION_KEY,)).fetchone()
    try:
        value = float(row[0]) if row else study.DEFAULT_RETENTION
    except ValueError:
        return study.DEFAULT_RETENTION
    low, high = study.RETENTION_RANGE
    return min(max(value, low), high)


def set_retention(conn: sqlite3.Connection, value: float, now: dt.datetime) -> None:
    """Stores the desired retention; it applies from the next rating of each case on (the
    due dates already given stay, as in Anki).

    Raises:
        ValueError: outside `desktop.study.RETENTION_RANGE`.
    """
    low, high = study.RETENTION_RANGE
    if not low <= value <= high:
        raise ValueError(f"the desired retention is between {low:.2f} and {high:.2f}")
    conn.execute(
        "INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
        " updated_at = excluded.updated_at",
        (RETENTION_KEY, f"{value:.4f}", stamp(now)),
    )


def record_review(
    conn: sqlite3.Connection,
    case_id: CaseId,
    rating: int,
    at: dt.datetime,
    *,
    answer: str = "",
    verdict: str = "",
    matched: str = "",
    now: dt.datetime | None = None,
) -> tuple[str, StudyState]:
    """Appends a rating to the case's log and replays its schedule.

    Returns:
        The review's uid and the case's schedule after it.

    Raises:
        LookupError: no such case.
        ValueError: a rating outside 1-4 or a time without a zone.
    """
    if rating not in (1, 2, 3, 4):
        raise ValueError(f"a rating is 1 to 4, not {rating!r}")
    if at.tzinfo is None:
        raise ValueError("a review's time must carry a time zone")
    key = _require(conn, case_id)
    uid = new_uid()
    moment = stamp(now or at)
    conn.execute(
        "INSERT INTO reviews (uid, created_at, updated_at, case_source, case_source_id,"
        " rating, reviewed_at, answer, verdict, matched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (uid, moment, moment, *key, rating, stamp(at), answer, verdict, matched),
    )
    state = replay_case(conn, key)
    assert state is not None
    return uid, state


def undo_review(conn: sqlite3.Connection, uid: str, now: dt.datetime) -> CaseKey | None:
    """Tombstones a review (the drill's Undo) and replays its case; its case's identity,
    or None if there is no live review `uid`."""
    row = conn.execute(
        "SELECT case_source, case_source_id FROM reviews WHERE uid = ? AND deleted_at IS NULL",
        (uid,),
    ).fetchone()
    if row is None:
        return None
    moment = stamp(now)
    conn.execute(
        "UPDATE reviews SET deleted_at = ?, updated_at = ? WHERE uid = ?", (moment, moment, uid)
    )
    key = (str(row[0]), str(row[1]))
    replay_case(conn, key)
    return key


def replay_case(conn: sqlite3.Connection, key: CaseKey) -> StudyState | None:
    """Rewrites a case's schedule from its live reviews (none: it has no schedule)."""
    logged = [
        (instant(at), int(rating))
        for at, rating in conn.execute(
            # Ties in time go by uid: every copy of a library replays them alike.
            "SELECT reviewed_at, rating FROM reviews WHERE case_source = ? AND"
            " case_source_id = ? AND deleted_at IS NULL ORDER BY reviewed_at, uid",
            key,
        )
    ]
    state = study.replay(logged, retention(conn))
    if state is None:
        conn.execute("DELETE FROM study_schedule WHERE case_source = ? AND case_source_id = ?", key)
        return None
    found = conn.execute("SELECT id FROM cases WHERE source = ? AND source_id = ?", key).fetchone()
    by_rating = [sum(1 for _at, rating in logged if rating == r) for r in (2, 3, 4)]
    conn.execute(
        "INSERT OR REPLACE INTO study_schedule (case_source, case_source_id, case_id,"
        f" partly, got_it, easy, {_STATE_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            *key,
            found[0] if found else None,
            *by_rating,
            stamp(state.due),
            state.stage,
            state.stability,
            state.difficulty,
            state.reviews,
            state.misses,
            stamp(state.last_review),
            int(state.leech),
        ),
    )
    return state


def replay_all(conn: sqlite3.Connection) -> int:
    """Rewrites every schedule from the log (after records were merged in); how many."""
    keys = conn.execute(
        "SELECT DISTINCT case_source, case_source_id FROM reviews WHERE deleted_at IS NULL"
    ).fetchall()
    conn.execute("DELETE FROM study_schedule")
    for source, source_id in keys:
        replay_case(conn, (str(source), str(source_id)))
    return len(keys)


def reviews_of(conn: sqlite3.Connection, case_id: CaseId) -> list[Review]:
    """A case's live reviews, oldest first."""
    key = identity(conn, case_id)
    if key is None:
        return []
    return [
        Review(
            uid=row[0],
            reviewed_at=instant(row[1]),
            rating=int(row[2]),
            answer=row[3],
            verdict=row[4],
            matched=row[5],
        )
        for row in conn.execute(
            "SELECT uid, reviewed_at, rating, answer, verdict, matched FROM reviews"
            " WHERE case_source = ? AND case_source_id = ? AND deleted_at IS NULL"
            " ORDER BY reviewed_at, id",
            key,
        )
    ]


def _state(row: Sequence[object]) -> StudyState:
    due, stage, stability, difficulty, reviews, misses, last_review, leech = row
    return StudyState(
        due=instant(str(due)),
        stage=str(stage),
        stability=None if stability is None else float(str(stability)),
        difficulty=None if difficulty is None else float(str(difficulty)),
        reviews=int(str(reviews)),
        misses=int(str(misses)),
        last_review=instant(str(last_review)),
        leech=bool(leech),
    )


def states_of(conn: sqlite3.Connection, ids: Iterable[CaseId]) -> dict[CaseId, StudyState]:
    """The schedules of these cases (cases never drilled are left out), by the row id the
    schedule keeps: a long list (a drill of the whole library) reads every schedule once."""
    wanted = list(dict.fromkeys(ids))
    select = f"SELECT case_id, {_STATE_COLUMNS} FROM study_schedule WHERE case_id"
    if len(wanted) > _READ_ALL_ABOVE:
        chosen = set(wanted)
        rows: Iterable[Sequence[object]] = (
            row for row in conn.execute(f"{select} IS NOT NULL") if row[0] in chosen
        )
    else:
        rows = (
            row
            for start in range(0, len(wanted), 500)
            for row in conn.execute(
                f"{select} IN ({', '.join('?' for _ in wanted[start : start + 500])})",
                wanted[start : start + 500],
            )
        )
    return {CaseId(int(str(row[0]))): _state(row[1:]) for row in rows}


def due_ids(conn: sqlite3.Connection, now: dt.datetime, limit: int | None = None) -> list[CaseId]:
    """Cases due by `now` (out of the trash), the most overdue first."""
    # Out of the trash by the trash's own index: `trashed_at` is the last column of a large
    # row, and reading it for every due case would read the case.
    rows = conn.execute(
        "SELECT case_id FROM study_schedule WHERE due <= ? AND case_id IS NOT NULL AND"
        " case_id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)"
        " ORDER BY due, case_id LIMIT ?",
        (stamp(now), -1 if limit is None else limit),
    )
    return [row[0] for row in rows]


#: The cases due at a moment (the bound parameter, stamped): a set of ids from the
#: schedule's index, never a case's row (the list's "Due" entry and ``is:due``).
DUE_CONDITION = "c.id IN (SELECT case_id FROM study_schedule WHERE due <= ?)"


def count_due(conn: sqlite3.Connection, now: dt.datetime) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM study_schedule WHERE due <= ? AND case_id IS NOT NULL AND"
            " case_id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)",
            (stamp(now),),
        ).fetchone()[0]
    )


def _missed_cases(conn: sqlite3.Connection, where: str, limit: int) -> tuple[MissedCase, ...]:
    return tuple(
        MissedCase(
            case_id=CaseId(row[0]),
            title=row[1],
            section=row[2],
            misses=int(row[3]),
            reviews=int(row[4]),
            leech=bool(row[5]),
            key=f"{row[6]}:{row[7]}",
        )
        # The schedule picks and orders them; only those read their case's title.
        for row in conn.execute(
            "SELECT c.id, c.title, c.section, s.misses, s.reviews, s.leech, c.source,"
            " c.source_id FROM (SELECT * FROM study_schedule s"
            f" WHERE {_SHELVED} AND {where} ORDER BY s.misses DESC, s.reviews DESC, s.case_id"
            " LIMIT ?) s CROSS JOIN cases c ON c.id = s.case_id"
            " ORDER BY s.misses DESC, s.reviews DESC, s.case_id",
            (limit,),
        )
    )


def leeches(conn: sqlite3.Connection) -> tuple[MissedCase, ...]:
    """Every leech out of the trash, most missed first."""
    return _missed_cases(conn, "s.leech", -1)


def _tallies(rows: Iterable[tuple[object, object, object]]) -> dict[str, Tally]:
    """(label, rating, count) rows as a Tally a label, in the order labels first come."""
    counts: dict[str, list[int]] = {}
    for label, rating, count in rows:
        counts.setdefault(str(label), [0, 0, 0, 0])[int(str(rating)) - 1] += int(str(count))
    return {
        label: Tally(label, missed=c[0], partly=c[1], got_it=c[2], easy=c[3])
        for label, c in counts.items()
    }


def _by_total(tallies: Iterable[Tally]) -> tuple[Tally, ...]:
    return tuple(sorted(tallies, key=lambda tally: (-tally.total, tally.label.casefold())))


def statistics(
    conn: sqlite3.Connection, now: dt.datetime, zone: dt.tzinfo | None = None
) -> StudyStats:
    """The drill statistics at `now`; days are the reader's days in `zone` (the machine's
    local time if None), each instant placed by the zone's rules at that instant, so a
    review at 00:30 counts on the reader's day, across a change of summer time too.

    Reviews per day read the log's index by time; everything else adds up the schedule's
    counts by rating (one row a reviewed case, derived from the log)."""
    today = now.astimezone(zone).date()
    first_day = today - dt.timedelta(days=STATS_DAYS - 1)
    # A day's margin either side of the local days, in UTC; each instant is then placed.
    since = _midnight(first_day, zone) - dt.timedelta(days=1)
    per_day: dict[str, list[int]] = {}
    for at, rating in conn.execute(
        f"SELECT x.reviewed_at, x.rating FROM reviews x JOIN {CASE_OF}"
        f" WHERE x.deleted_at IS NULL AND {_OUT_OF_TRASH} AND x.reviewed_at >= ?",
        (stamp(since),),
    ):
        day = instant(at).astimezone(zone).date()
        if first_day <= day <= today:
            per_day.setdefault(day.isoformat(), [0, 0, 0, 0])[int(rating) - 1] += 1
    days = tuple(
        Tally(label, *per_day.get(label, (0, 0, 0, 0)))
        for label in ((first_day + dt.timedelta(days=n)).isoformat() for n in range(STATS_DAYS))
    )
    by_section = _by_total(
        Tally(str(label), *map(int, counts))
        for label, *counts in conn.execute(
            f"SELECT coalesce(c.section, 'No section'), {_RATING_SUMS} FROM study_schedule s"
            f" CROSS JOIN cases c ON c.id = s.case_id WHERE {_SHELVED} GROUP BY 1"
        )
    )
    return StudyStats(
        days=days,
        by_section=by_section,
        by_collection=_by_total(_collection_tallies(conn)),
        forecast=_forecast(conn, today, zone),
        most_missed=_missed_cases(conn, "s.misses > 0", MOST_MISSED),
        leeches=leeches(conn),
        reviews=_count(
            conn, f"SELECT coalesce(sum(reviews), 0) FROM study_schedule WHERE {_SHELVED}"
        ),
        cases_reviewed=_count(conn, f"SELECT count(*) FROM study_schedule WHERE {_SHELVED}"),
        due_now=count_due(conn, now),
    )


def _count(conn: sqlite3.Connection, sql: str, *params: object) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _midnight(day: dt.date, zone: dt.tzinfo | None) -> dt.datetime:
    """The start of a local day (in `zone`, or the machine's time zone)."""
    if zone is None:
        return dt.datetime.combine(day, dt.time()).astimezone()  # local rules for that day
    return dt.datetime.combine(day, dt.time(), zone)


def _forecast(
    conn: sqlite3.Connection, today: dt.date, zone: dt.tzinfo | None
) -> tuple[tuple[dt.date, int], ...]:
    """Cases due on each of the next FORECAST_DAYS local days; today holds the overdue."""
    out_of_trash = (
        "case_id IS NOT NULL AND case_id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)"
    )
    low = _midnight(today, zone) - dt.timedelta(days=1)
    high = _midnight(today + dt.timedelta(days=FORECAST_DAYS), zone) + dt.timedelta(days=1)
    counts = dict.fromkeys((today + dt.timedelta(days=n) for n in range(FORECAST_DAYS)), 0)
    counts[today] = int(
        conn.execute(
            f"SELECT count(*) FROM study_schedule WHERE due < ? AND {out_of_trash}", (stamp(low),)
        ).fetchone()[0]
    )
    for (due,) in conn.execute(
        f"SELECT due FROM study_schedule WHERE due >= ? AND due < ? AND {out_of_trash}",
        (stamp(low), stamp(high)),
    ):
        day = max(instant(due).astimezone(zone).date(), today)
        if day in counts:
            counts[day] += 1
    return tuple(counts.items())


def _collection_tallies(conn: sqlite3.Connection) -> list[Tally]:
    """Reviews of each collection's own cases, by its full path (a case in two
    collections counts in both)."""
    from desktop.store.collections import path_of

    tallies = {
        str(uid): Tally(str(uid), *map(int, counts))
        for uid, *counts in conn.execute(
            f"SELECT m.collection_uid, {_RATING_SUMS} FROM collection_members m"
            " CROSS JOIN cases c ON c.source = m.case_source AND c.source_id = m.case_source_id"
            f" JOIN study_schedule s ON s.case_id = c.id WHERE m.deleted_at IS NULL"
            f" AND {_OUT_OF_TRASH} GROUP BY 1"
        )
    }
    found = []
    for uid, tally in tallies.items():
        try:
            path = path_of(conn, uid)
        except LookupError:
            continue  # a deleted collection's members (kept while being undone)
        found.append(Tally(path, tally.missed, tally.partly, tally.got_it, tally.easy))
    return found
