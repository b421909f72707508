"""`lightbox drill …` and `lightbox stats`: the due queue, checking a typed answer, recording a
rating, a case's review log, the desired retention and the statistics, headless."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from desktop import study
from desktop.model import RATING_NAMES, MissedCase, StudyStats, Tally
from desktop.store.library import Library

#: How far past now `drill rate --at` may be (clocks differ a little between machines).
FUTURE_SKEW = dt.timedelta(minutes=5)
#: The rating names the command line prints, by value (the inverse of `study.RATINGS`).
RATING_WORDS = {value: name for name, value in study.RATINGS.items()}


def add_commands(commands: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    drill = commands.add_parser(
        "drill", parents=[common], help="what is due; check an answer; rate a case; its log"
    )
    drill.add_argument("--due", action="store_true", help="list the cases due now")
    drill.add_argument("--json", action="store_true", help="print JSON")
    actions = drill.add_subparsers(
        dest="drill_command", metavar="ACTION", parser_class=parser_class
    )
    checking = actions.add_parser(
        "check", parents=[common], help="check a typed diagnosis against a case"
    )
    checking.add_argument("id", metavar="ID", help="the case, SOURCE:ID")
    checking.add_argument("answer", metavar="ANSWER", help="the diagnosis as typed")
    checking.add_argument("--json", action="store_true", help="print one JSON object")
    rating = actions.add_parser(
        "rate", parents=[common], help="record how a drill of a case went; prints when it is due"
    )
    rating.add_argument("id", metavar="ID", help="the case, SOURCE:ID")
    rating.add_argument("rating", choices=list(study.RATINGS), metavar="RATING",
                        help="missed, partly, got-it or easy")  # fmt: skip
    rating.add_argument(
        "--at",
        metavar="TIME",
        type=_moment,
        help="when (ISO 8601; local time unless it names a zone; default now)",
    )
    rating.add_argument("--answer", metavar="TEXT", help="the diagnosis typed (checked, kept)")
    rating.add_argument("--json", action="store_true", help="print one JSON object")
    undoing = actions.add_parser(
        "undo", parents=[common], help="take a rating back (its uid, from drill log)"
    )
    undoing.add_argument("uid", metavar="REVIEW", help="the review's uid")
    log = actions.add_parser("log", parents=[common], help="a case's reviews, oldest first")
    log.add_argument("id", metavar="ID", help="the case, SOURCE:ID")
    log.add_argument("--json", action="store_true", help="print a JSON array")
    retention = actions.add_parser(
        "retention", parents=[common], help="print or set the desired retention (0.70-0.97)"
    )
    retention.add_argument("value", nargs="?", type=float, metavar="VALUE")
    stats = commands.add_parser("stats", parents=[common], help="drill statistics")
    stats.add_argument("--json", action="store_true", help="print one JSON object")


def drill(library: Library, args: argparse.Namespace) -> int:
    from desktop.cli import UsageError

    command = getattr(args, "drill_command", None)
    if command is None:
        if not args.due:
            raise UsageError("say --due, or an action: check, rate, log, undo, retention")
        return _due(library, as_json=args.json)
    if command == "retention":
        return _retention(library, args)
    if command == "undo":
        if not library.undo_rating(_text(args.uid, "REVIEW").strip()):
            raise UsageError(f"no review {args.uid!r} to take back in {library.path}")
        _say(args, f"Took back review {args.uid.strip()}.")
        return 0
    case_id = _resolve(library, args.id)
    if command == "check":
        return _check(library, case_id, _text(args.answer, "ANSWER"), as_json=args.json)
    if command == "rate":
        return _rate(library, case_id, args)
    return _log(library, case_id, as_json=args.json)


def stats(library: Library, args: argparse.Namespace) -> int:
    from desktop.cli import _print_json

    figures = library.study_statistics()
    if args.json:
        _print_json(_stats_json(figures))
        return 0
    print(
        f"{figures.reviews} reviews of {figures.cases_reviewed} cases;"
        f" {figures.due_now} due now; {len(figures.leeches)} leeches"
    )
    recent = [day for day in figures.days if day.total]
    if recent:
        print("\nReviews per day (last 30 days)")
        for day in recent:
            print(f"  {day.label}  {day.total:>4}  {_accuracy(day)}")
    for title, tallies in (
        ("Accuracy by section", figures.by_section),
        ("Accuracy by collection", figures.by_collection),
    ):
        if tallies:
            print(f"\n{title}")
            for tally in tallies:
                print(f"  {_accuracy(tally):>5}  of {tally.total:>4}  {tally.label}")
    print("\nDue in the next 14 days")
    for date, count in figures.forecast:
        print(f"  {date.isoformat()}  {count}")
    if figures.most_missed:
        print("\nMost missed")
        for missed in figures.most_missed:
            leech = "  (leech)" if missed.leech else ""
            print(f"  {missed.misses:>3} of {missed.reviews:>3}  {missed.title}{leech}")
    return 0


# --- the actions ----------------------------------------------------------------------------


def _due(library: Library, *, as_json: bool) -> int:
    from desktop.cli import _print_json

    now = dt.datetime.now(dt.UTC)
    due = library.due_ids(now)
    states = library.study_states(due)
    summaries = {row.summary.id: row.summary for row in library.rows(due)}
    found = [(summaries[i], states[i]) for i in due if i in summaries and i in states]
    if as_json:
        _print_json(
            [
                {
                    "id": summary.key,
                    "section": summary.section,
                    "age": summary.age,
                    "sex": summary.sex,
                    "due": state.due.isoformat(),
                    "stage": state.stage,
                    "reviews": state.reviews,
                    "misses": state.misses,
                    "leech": state.leech,
                }
                for summary, state in found
            ]
        )
        return 0
    if not found:
        print("Nothing is due.")
    # No titles: a title often names the diagnosis the drill will ask for.
    for summary, state in found:
        patient = ", ".join(p for p in (summary.age, summary.sex) if p)
        about = " · ".join(p for p in (summary.section, patient) if p)
        when = state.due.astimezone().strftime("%Y-%m-%d %H:%M")
        leech = "  (leech)" if state.leech else ""
        print(f"{summary.key:<20} due {when}  {about}{leech}")
    return 0


def _check(library: Library, case_id: Any, answer: str, *, as_json: bool) -> int:
    from desktop.cli import UsageError, _print_json

    checked = _checked(library, case_id, answer)
    if checked is None:
        raise UsageError("the case has no final diagnosis to check an answer against")
    if as_json:
        _print_json(
            {
                "verdict": checked.verdict,
                "matched": checked.matched or None,
                "rating": RATING_WORDS[checked.rating],
                "explanation": checked.explanation,
            }
        )
        return 0
    print(f"{checked.verdict}: {checked.explanation}")
    print(f"suggested rating: {RATING_WORDS[checked.rating]}")
    return 0


def _checked(library: Library, case_id: Any, answer: str) -> Any:
    """The checker's verdict on `answer` for the case, or None when it has no diagnosis."""
    from desktop.cli import UsageError

    if not answer.strip():
        raise UsageError("ANSWER is empty: type a diagnosis")
    case = library.get_case(case_id)
    if case is None or not case.final_diagnosis.strip():
        return None
    from desktop.answers import check_answer

    return check_answer(answer, case.final_diagnosis, case.differential_diagnosis)


def _rate(library: Library, case_id: Any, args: argparse.Namespace) -> int:
    from desktop.cli import UsageError, _print_json

    rating = study.RATINGS[args.rating]
    if args.at is not None and args.at > dt.datetime.now(dt.UTC) + FUTURE_SKEW:
        # A rating from the future would outrank every real one after it.
        raise UsageError("--at is in the future; a review is recorded when it happened")
    answer = _text(args.answer or "", "--answer")
    checked = _checked(library, case_id, answer) if answer.strip() else None
    uid, state, _changes = library.rate(
        case_id,
        rating,
        args.at,
        answer=answer.strip(),
        verdict=checked.verdict if checked else "",
        matched=checked.matched if checked else "",
    )
    if args.json:
        _print_json(
            {"review": uid, "due": state.due.isoformat(), "stage": state.stage,
             "leech": state.leech}
        )  # fmt: skip
        return 0
    due = state.due.astimezone()
    print(f"due {due.strftime('%Y-%m-%d %H:%M %Z').strip()}{'  (leech)' if state.leech else ''}")
    return 0


def _log(library: Library, case_id: Any, *, as_json: bool) -> int:
    from desktop.cli import _print_json

    reviews = library.reviews(case_id)
    if as_json:
        _print_json(
            [
                {
                    "uid": review.uid,
                    "reviewed_at": review.reviewed_at.isoformat(),
                    "rating": RATING_WORDS[review.rating],
                    "answer": review.answer,
                    "verdict": review.verdict or None,
                    "matched": review.matched or None,
                }
                for review in reviews
            ]
        )
        return 0
    if not reviews:
        print("No reviews.")
    for review in reviews:
        when = review.reviewed_at.astimezone().strftime("%Y-%m-%d %H:%M")
        typed = f"  “{review.answer}” ({review.verdict})" if review.answer else ""
        print(f"{when}  {RATING_NAMES[review.rating]}{typed}")
    return 0


def _retention(library: Library, args: argparse.Namespace) -> int:
    from desktop.cli import UsageError

    value = args.value
    if value is None:
        print(f"{library.desired_retention():.2f}")
        return 0
    try:
        library.set_desired_retention(value)
    except ValueError as error:
        raise UsageError(str(error)) from None
    _say(args, f"Desired retention set to {library.desired_retention():.2f}.")
    return 0


# --- helpers -----------------------------------------------------------------------------------


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.astimezone()  # local time, as the reader's


def _resolve(library: Library, key: str) -> Any:
    from desktop.cli import _resolve as resolve

    return resolve(library, key)


def _say(args: argparse.Namespace, message: str) -> None:
    from desktop.cli import _say as say

    say(args, message)


def _text(value: str, option: str) -> str:
    from desktop.cli import _text_argument

    return _text_argument(value, option)


def _accuracy(tally: Tally) -> str:
    return "" if tally.accuracy is None else f"{tally.accuracy:.0%}"


def _tally_json(tally: Tally) -> dict[str, Any]:
    return {
        "label": tally.label,
        "reviews": tally.total,
        "missed": tally.missed,
        "partly": tally.partly,
        "got_it": tally.got_it,
        "easy": tally.easy,
        "accuracy": None if tally.accuracy is None else round(tally.accuracy, 4),
    }


def _missed_json(missed: MissedCase) -> dict[str, Any]:
    return {
        "id": missed.key,
        "title": missed.title,
        "section": missed.section,
        "misses": missed.misses,
        "reviews": missed.reviews,
        "leech": missed.leech,
    }


def _stats_json(figures: StudyStats) -> dict[str, Any]:
    return {
        "reviews": figures.reviews,
        "cases_reviewed": figures.cases_reviewed,
        "due_now": figures.due_now,
        "days": [_tally_json(day) for day in figures.days],
        "by_section": [_tally_json(tally) for tally in figures.by_section],
        "by_collection": [_tally_json(tally) for tally in figures.by_collection],
        "forecast": [{"date": day.isoformat(), "due": count} for day, count in figures.forecast],
        "most_missed": [_missed_json(m) for m in figures.most_missed],
        "leeches": [_missed_json(m) for m in figures.leeches],
    }
