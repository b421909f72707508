"""Drilling cases: the ratings, FSRS scheduling replayed from a case's review log, leeches,
and the order a drill takes its cases in (pure: no Qt, no database).

A case's schedule is a function of its live reviews and the desired retention: the log is
the record (append-only, merged record by record between copies), the schedule is replayed
from it. Fuzzing is off so that every copy of a library replays the same log to the same
due dates, and so that the `fsrs` package's reference sequence holds here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from desktop.model import RATING_NAMES, CaseId, StudyState

if TYPE_CHECKING:
    import fsrs

#: The ratings by the names the command line takes; FSRS's Again, Hard, Good, Easy.
RATINGS: dict[str, int] = {"missed": 1, "partly": 2, "got-it": 3, "easy": 4}
#: The desired retention when the reader has not chosen one (FSRS's default).
DEFAULT_RETENTION = 0.9
#: The choices a reader is offered: below 0.7 reviews come too rarely to teach, above 0.97
#: they come so often that the workload explodes (FSRS's own advice).
RETENTION_RANGE = (0.70, 0.97)
#: Missed this many times, a case is a leech: drilling it again the same way is not
#: working (Anki's default is 8 lapses of a card; a whole case is reviewed far less often).
LEECH_MISSES = 4
#: Cases a drill takes when the reader does not say.
DEFAULT_DRILL_LENGTH = 20

_STAGES = {1: "learning", 2: "review", 3: "relearning"}


@lru_cache(maxsize=8)
def scheduler(retention: float = DEFAULT_RETENTION) -> fsrs.Scheduler:
    """FSRS with its default parameters and steps, fuzzing off (see the module)."""
    import fsrs

    return fsrs.Scheduler(desired_retention=retention, enable_fuzzing=False)


def replay(
    reviews: Sequence[tuple[dt.datetime, int]], retention: float = DEFAULT_RETENTION
) -> StudyState | None:
    """The schedule after these (time, rating) reviews, taken in time order; None for none.

    Raises:
        ValueError: a rating outside 1-4, or a time without a time zone.
    """
    if not reviews:
        return None
    import fsrs

    ordered = sorted(reviews, key=lambda review: review[0])
    card = fsrs.Card(card_id=1)
    runner = scheduler(retention)
    misses = 0
    for at, rating in ordered:
        if rating not in RATING_NAMES:
            raise ValueError(f"a rating is 1 to 4, not {rating!r}")
        if at.tzinfo is None:
            raise ValueError("review times must carry a time zone")
        card, _log = runner.review_card(card, fsrs.Rating(rating), at.astimezone(dt.UTC))
        misses += rating == 1
    return StudyState(
        due=card.due,
        stage=_STAGES.get(int(card.state), "review"),
        stability=card.stability,
        difficulty=card.difficulty,
        reviews=len(ordered),
        misses=misses,
        last_review=ordered[-1][0].astimezone(dt.UTC),
        leech=misses >= LEECH_MISSES,
    )


def next_dues(
    reviews: Sequence[tuple[dt.datetime, int]],
    at: dt.datetime,
    retention: float = DEFAULT_RETENTION,
) -> dict[int, dt.datetime]:
    """When the case would next be due after each rating given at `at` (for the buttons)."""
    dues = {}
    for rating in RATING_NAMES:
        state = replay([*reviews, (at, rating)], retention)
        assert state is not None
        dues[rating] = state.due
    return dues


def interval_text(delta: dt.timedelta) -> str:
    """A wait in the words a rating button shows: '10 min', '5 h', '3 d', '4 mo', '1.5 y'."""
    minutes = max(round(delta.total_seconds() / 60), 0)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)} h"
    days = hours / 24
    if days < 31:
        return f"{round(days)} d"
    if days < 365:
        return f"{round(days / 30.4)} mo"
    years = days / 365
    return f"{years:.1f} y".replace(".0 y", " y")


def drill_order(
    ids: Sequence[CaseId],
    states: Mapping[CaseId, StudyState],
    now: dt.datetime,
    *,
    shuffle: bool = False,
    length: int | None = DEFAULT_DRILL_LENGTH,
    seed: int | None = None,
) -> list[CaseId]:
    """The cases a drill takes from `ids`, in the order it takes them.

    Due first (the most overdue first), then cases never drilled (in the order given),
    then the others, soonest due first; or, shuffled, all of them in a random order.
    `length` cuts the list (None: all).
    """
    if shuffle:
        chosen = list(ids)
        random.Random(seed).shuffle(chosen)
    else:
        due, new, later = [], [], []
        for case_id in ids:
            state = states.get(case_id)
            if state is None:
                new.append(case_id)
            elif state.due <= now:
                due.append(case_id)
            else:
                later.append(case_id)
        due.sort(key=lambda case_id: states[case_id].due)
        later.sort(key=lambda case_id: states[case_id].due)
        chosen = due + new + later
    return chosen if length is None else chosen[: max(length, 0)]
