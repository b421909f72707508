"""Drilling at scale (issue 14, item 8): the due queue at 100,000 cases with 50,000 reviewed
(≤ 50 ms), the next case of a drill on screen (≤ 30 ms), checking a typed answer (≤ 5 ms).

Builds a library of N cases, copies of the 26 sample cases with their whole text (so a case
renders as a real one does), and gives R of them a review log of one to eight ratings over
the last year, their schedules replayed from it as the app does. Each figure comes with a
floor measured in the same run, and the ratio to it:

* due queue: `Library.due_ids()` (every case due now, most overdue first) against reading
  the whole case list in title order (`Library.case_ids`, the list's own query);
* next case: `DrillView.show_position` (the case read, its log and schedule, the buttons'
  intervals, the page rendered and laid out) against `DetailPane.open_case` of the same
  case (opening it to read);
* due sort: the whole list sorted by the Due column against the same list by title;
* list page: a page of 100 list rows (marks and due time with each) against reading the
  same rows' titles;
* statistics: `Library.study_statistics()` (what Drill > Statistics charts) against the
  sidebar's counts from scratch (`Library.counts()`);
* check: `check_answer` against a rapidfuzz `extractOne` of the typed answer over the final
  diagnosis and the differential (one fuzzy comparison each, nothing more).

Run: ``.venv/bin/python tests/bench/bench_drill.py [--cases N] [--reviewed R] [--runs K]``
(defaults 100,000, 50,000, 50; Qt runs offscreen on a 1920×1080 screen unless
QT_QPA_PLATFORM is set).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import offscreen  # noqa: E402  (a sibling: this folder is on sys.path when run as a script)

from desktop import study  # noqa: E402
from desktop.importer import import_paths  # noqa: E402
from desktop.model import CaseFilter, CaseId  # noqa: E402
from desktop.store.library import Library  # noqa: E402
from desktop.store.records import new_uid, stamp  # noqa: E402

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
#: (typed answer, final diagnosis, differential): a typical check, and harder ones.
CHECKS = (
    ("vestibular schwanoma", "Right vestibular schwannoma",
     ("Meningioma", "Epidermoid cyst", "Facial nerve schwannoma", "Arachnoid cyst")),
    ("saddle PE with RV strain", "Acute saddle pulmonary embolism with right ventricular strain"
     " and left leg deep vein thrombosis",
     ("Pulmonary artery sarcoma", "Chronic thromboembolic disease", "In situ thrombosis",
      "Tumour embolism", "Mixing artefact", "Pulmonary hypertension", "Vasculitis",
      "Fat embolism", "Septic emboli", "Hilar lymph nodes")),
    ("acute subdural haematoma", "Acute subdural haematoma with mass effect in an"
     " anticoagulated patient", ("Extradural haematoma", "Subdural empyema",
                                 "Subdural hygroma", "Pachymeningeal metastases")),
    ("hypoplasia of the thymus", "Thymic hyperplasia", ("Thymoma", "Lymphoma", "Germ cell tumour")),
)  # fmt: skip


def build(path: Path, cases: int, reviewed: int, seed: int = 1) -> None:
    """`cases` copies of the sample cases; `reviewed` of them with a review log."""
    rng = random.Random(seed)
    with Library.open(path) as library:
        assert not import_paths(library, [ROOT / "cases"]).failed
        conn = library._conn
        columns = [
            row[1]
            for row in conn.execute("PRAGMA table_info(cases)")
            if row[1] not in ("id", "source", "source_id", "doi")
        ]
        listed = ", ".join(columns)
        samples = [row[0] for row in conn.execute("SELECT id FROM cases ORDER BY id")]
        with library.transaction():
            for start in range(len(samples), cases, len(samples)):
                for offset, sample in enumerate(samples):
                    number = start + offset
                    if number >= cases:
                        break
                    conn.execute(
                        f"INSERT INTO cases (source, source_id, {listed}) SELECT 'bench', ?,"
                        f" {listed} FROM cases WHERE id = ?",
                        (str(number), sample),
                    )
            conn.execute("DELETE FROM search_pending")  # the drill never searches
            rows = conn.execute("SELECT source, source_id, id FROM cases").fetchall()
            ids = {(row[0], row[1]): row[2] for row in rows}
            keys = list(ids)
            reviews, schedules = [], []
            for key in rng.sample(keys, min(reviewed, len(keys))):
                at = NOW - dt.timedelta(days=rng.uniform(1, 365))
                logged: list[tuple[dt.datetime, int]] = []
                for _ in range(rng.randint(1, 8)):
                    rating = rng.choices((1, 2, 3, 4), (2, 1, 6, 1))[0]
                    logged.append((at, rating))
                    state = study.replay(logged)
                    assert state is not None
                    if state.due >= NOW:
                        break
                    at = state.due
                for when, rating in logged:
                    reviews.append((new_uid(), stamp(when), stamp(when), *key, rating, stamp(when)))
                state = study.replay(logged)
                assert state is not None
                ratings = [rating for _when, rating in logged]
                schedules.append(
                    (*key, ids[key], stamp(state.due), state.stage, state.stability,
                     state.difficulty, state.reviews, state.misses, stamp(state.last_review),
                     int(state.leech), ratings.count(2), ratings.count(3), ratings.count(4))
                )  # fmt: skip
            conn.executemany(
                "INSERT INTO reviews (uid, created_at, updated_at, case_source, case_source_id,"
                " rating, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                reviews,
            )
            conn.executemany(
                "INSERT INTO study_schedule (case_source, case_source_id, case_id, due, stage,"
                " stability, difficulty, reviews, misses, last_review, leech, partly, got_it,"
                " easy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                schedules,
            )
        conn.execute("ANALYZE")


def timed(work: Callable[[], object], runs: int) -> list[float]:
    work()  # warm: caches, first statement preparation
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        found.append((time.perf_counter() - start) * 1000)
    return sorted(found)


def line(name: str, values: list[float], floor: list[float], bound: float | None) -> str:
    """A figure with its floor and their ratio; `bound`: the issue's (None: a reference)."""
    p95 = values[max(int(len(values) * 0.95) - 1, 0)]
    median, floor_median = statistics.median(values), statistics.median(floor)
    verdict = (
        "reference"
        if bound is None
        else f"bound {bound:g} ms: " + ("ok" if p95 <= bound else "OVER")
    )
    return (
        f"{name:<12} median {median:7.2f} ms  p95 {p95:7.2f} ms  ({verdict})"
        f"  floor median {floor_median:7.2f} ms  ratio {median / floor_median:5.2f}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--reviewed", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", offscreen.DESKTOP)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "library.db"
        began = time.perf_counter()
        build(path, args.cases, args.reviewed)
        print(
            f"built {args.cases:,} cases, {args.reviewed:,} reviewed,"
            f" in {time.perf_counter() - began:.1f} s"
        )
        with Library.open(path) as library:
            due = library.due_ids(NOW)
            print(f"{len(due):,} due at {NOW.isoformat()}")
            print(
                line(
                    "due queue",
                    timed(lambda: library.due_ids(NOW), args.runs),
                    timed(lambda: library.case_ids(CaseFilter(), "title", False), args.runs),
                    50,
                ),
                flush=True,
            )
            title_sort = timed(lambda: library.case_ids(CaseFilter(), "title", False), args.runs)
            print(
                line(
                    "due sort",
                    timed(lambda: library.case_ids(CaseFilter(), "due", False), args.runs),
                    title_sort,
                    None,
                ),
                flush=True,
            )
            listed = library.case_ids(CaseFilter(), "title", False)
            page = listed[len(listed) // 2 : len(listed) // 2 + 100]
            marks = ", ".join("?" for _ in page)
            print(
                line(
                    "list page",
                    timed(lambda: library.rows(page), args.runs),
                    timed(
                        lambda: library._conn.execute(
                            f"SELECT id, title FROM cases WHERE id IN ({marks})", page
                        ).fetchall(),
                        args.runs,
                    ),
                    None,
                ),
                flush=True,
            )
            print(
                line(
                    "statistics",
                    timed(lambda: library.study_statistics(NOW, dt.UTC), max(args.runs // 5, 3)),
                    timed(lambda: library.counts(NOW), max(args.runs // 5, 3)),
                    None,
                ),
                flush=True,
            )
            print(_next_case(library, due, args.runs), flush=True)
        print(_check(args.runs))
    return 0


def _next_case(library: Library, due: list[CaseId], runs: int) -> str:
    from PySide6.QtCore import QSettings

    from desktop.ui.app import application
    from desktop.ui.drill import DrillSession
    from desktop.ui.main_window import MainWindow

    app = application("light")
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(library, settings)
        window.keep_settings = False
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        ids = due[: runs + 1]
        drill_times, open_times = [], []
        window.start_drill(DrillSession(ids, "Due now"))
        app.processEvents()
        for position in range(1, len(ids)):
            start = time.perf_counter()
            window.drill.show_position(position)
            app.processEvents()
            drill_times.append((time.perf_counter() - start) * 1000)
        window.drill.end()
        app.processEvents()
        for case_id in ids[1:]:
            start = time.perf_counter()
            window.detail.open_case(case_id)
            app.processEvents()
            open_times.append((time.perf_counter() - start) * 1000)
        window.close()
    return line("next case", sorted(drill_times), sorted(open_times), 30)


def _check(runs: int) -> str:
    from desktop import answers
    from desktop.answers import check_answer

    def forget() -> None:
        for value in vars(answers).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()

    from rapidfuzz import process

    def check_all() -> None:
        for typed, final, differential in CHECKS:
            check_answer(typed, final, differential)

    def floor_all() -> None:
        for typed, final, differential in CHECKS:
            process.extractOne(typed, [final, *differential])

    per_check = [t / len(CHECKS) for t in timed(check_all, runs * 4)]
    per_floor = [t / len(CHECKS) for t in timed(floor_all, runs * 4)]

    def check_cold() -> None:  # a case's first check: nothing of it is cached yet
        for typed, final, differential in CHECKS:
            forget()
            check_answer(typed, final, differential)

    per_cold = [t / len(CHECKS) for t in timed(check_cold, runs * 4)]
    return "\n".join(
        (
            line("check", per_check, per_floor, 5),
            line("check cold", per_cold, per_floor, 5),
        )
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
