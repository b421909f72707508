"""`lightbox drill --due|check|rate|log|retention` and `lightbox stats`, run as the processes
scripts run: exact forms, JSON shapes, one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tools import cli_fails, cli_ok

PNEUMOTHORAX = "lightbox:chest-01"  # Large left primary spontaneous pneumothorax ...
SCHWANNOMA = "lightbox:headneck-01"  # Right vestibular schwannoma


@pytest.fixture
def lib(samples_file: Path) -> Path:
    return samples_file


def test_rate_prints_the_next_due_date_and_log_lists_the_reviews(lib: Path) -> None:
    printed = cli_ok(lib, "drill", "rate", PNEUMOTHORAX, "got-it", "--at", "2026-11-30T10:00Z")
    assert printed.startswith("due 2026-11-30") or printed.startswith("due 2026-12-01")
    rated = json.loads(
        cli_ok(lib, "drill", "rate", PNEUMOTHORAX, "got-it", "--at", "2026-11-30T10:10Z", "--json")
    )
    assert rated["due"] == "2026-12-02T10:10:00+00:00"  # FSRS: Good, Good -> 2 days
    assert rated["stage"] == "review" and rated["leech"] is False
    log = json.loads(cli_ok(lib, "drill", "log", PNEUMOTHORAX, "--json"))
    assert [(r["reviewed_at"], r["rating"]) for r in log] == [
        ("2026-11-30T10:00:00+00:00", "got-it"),
        ("2026-11-30T10:10:00+00:00", "got-it"),
    ]
    assert set(log[0]) == {"uid", "reviewed_at", "rating", "answer", "verdict", "matched"}
    assert "Got it" in cli_ok(lib, "drill", "log", PNEUMOTHORAX)
    assert cli_ok(lib, "drill", "log", SCHWANNOMA) == "No reviews.\n"


def test_due_lists_what_is_due_without_titles(lib: Path) -> None:
    assert cli_ok(lib, "drill", "--due") == "Nothing is due.\n"
    cli_ok(lib, "drill", "rate", PNEUMOTHORAX, "missed", "--at", "2026-01-01T09:00:00+00:00")
    cli_ok(lib, "drill", "rate", SCHWANNOMA, "easy", "--at", "2026-11-29T09:00:00+00:00")
    due = json.loads(cli_ok(lib, "drill", "--due", "--json"))
    assert [item["id"] for item in due] == [PNEUMOTHORAX]  # easy: not due for days
    assert due[0]["due"] == "2026-01-01T09:01:00+00:00" and due[0]["misses"] == 1
    text = cli_ok(lib, "drill", "--due")
    assert PNEUMOTHORAX in text and "pneumothorax" not in text.lower().replace(PNEUMOTHORAX, "")


def test_stats_json_counts_the_reviews(lib: Path) -> None:
    for minute, rating in ((0, "missed"), (1, "partly"), (11, "easy")):
        cli_ok(lib, "drill", "rate", PNEUMOTHORAX, rating, "--at", f"2026-11-30T10:{minute:02}Z")
    figures = json.loads(cli_ok(lib, "stats", "--json"))
    assert (figures["reviews"], figures["cases_reviewed"]) == (3, 1)
    assert len(figures["days"]) == 30 and len(figures["forecast"]) == 14
    (section,) = figures["by_section"]
    assert (section["missed"], section["partly"], section["easy"]) == (1, 1, 1)
    assert section["accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["most_missed"][0]["id"] == PNEUMOTHORAX
    assert "3 reviews of 1 cases" in cli_ok(lib, "stats")


def test_retention_is_printed_and_set(lib: Path) -> None:
    assert cli_ok(lib, "drill", "retention") == "0.90\n"
    cli_ok(lib, "drill", "retention", "0.85")
    assert cli_ok(lib, "drill", "retention") == "0.85\n"
    assert "between 0.70 and 0.97" in cli_fails(lib, "drill", "retention", "0.99")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("drill",), "--due"),
        (("drill", "rate", PNEUMOTHORAX, "great"), "invalid choice"),
        (("drill", "rate", PNEUMOTHORAX, "easy", "--at", "yesterday"), "ISO 8601"),
        (("drill", "rate", "lightbox:nope", "easy"), "nope"),
        (("drill", "check", PNEUMOTHORAX, "  "), "empty"),
        (("drill", "log", "lightbox:nope"), "nope"),
    ],
)
def test_drill_errors_are_one_line(lib: Path, args: tuple[str, ...], says: str) -> None:
    assert says in cli_fails(lib, *args)


def test_check_gives_verdict_matched_and_rating(lib: Path) -> None:
    wrong = json.loads(cli_ok(lib, "drill", "check", PNEUMOTHORAX, "pneumonia", "--json"))
    assert (wrong["verdict"], wrong["matched"], wrong["rating"]) == ("wrong", None, "missed")
    # Pneumomediastinum is on the case's differential list: partly right, never the diagnosis.
    near = json.loads(cli_ok(lib, "drill", "check", PNEUMOTHORAX, "pneumomediastinum", "--json"))
    assert (near["verdict"], near["matched"]) == ("partial", "Pneumomediastinum")
    partial = json.loads(
        cli_ok(lib, "drill", "check", PNEUMOTHORAX, "skin fold artifact", "--json")
    )
    assert (partial["verdict"], partial["matched"], partial["rating"]) == (
        "partial",
        "Skin fold artefact",
        "partly",
    )
    right = json.loads(
        cli_ok(lib, "drill", "check", SCHWANNOMA, "vestibular schwannoma, right", "--json")
    )
    assert (right["verdict"], right["rating"]) == ("correct", "got-it")
    assert right["matched"] == "Right vestibular schwannoma"
    text = cli_ok(lib, "drill", "check", SCHWANNOMA, "right vestibular schwanoma")
    assert text.startswith("correct: ") and "suggested rating: got-it" in text


def test_rate_keeps_a_typed_answer_with_its_verdict(lib: Path) -> None:
    cli_ok(lib, "drill", "rate", SCHWANNOMA, "got-it", "--answer", "acoustic schwannoma")
    (review,) = json.loads(cli_ok(lib, "drill", "log", SCHWANNOMA, "--json"))
    assert review["answer"] == "acoustic schwannoma" and review["verdict"] is not None


def test_a_rating_from_the_future_is_refused_and_undo_takes_one_back(lib: Path) -> None:
    assert "future" in cli_fails(lib, "drill", "rate", PNEUMOTHORAX, "easy", "--at", "2099-01-01")
    cli_ok(lib, "drill", "rate", PNEUMOTHORAX, "missed")
    (review,) = json.loads(cli_ok(lib, "drill", "log", PNEUMOTHORAX, "--json"))
    assert cli_ok(lib, "drill", "undo", review["uid"]) == f"Took back review {review['uid']}.\n"
    assert json.loads(cli_ok(lib, "drill", "log", PNEUMOTHORAX, "--json")) == []
    assert "no review" in cli_fails(lib, "drill", "undo", review["uid"])
