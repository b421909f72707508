"""Import benchmark: Lightbox's importer against a plain-SQLite floor on the same schema.

Usage::

    .venv/bin/python tests/bench/bench_import.py [--cases N] [--repeat R] [--check] [--profile]

Each repeat works in a fresh temporary folder holding N generated case files and two fresh
libraries, both made by `Library.open` (same tables, triggers and pragmas: WAL,
synchronous=FULL):

* Lightbox: the real importer, ``import_paths(library, [folder])`` (read, decode, parse,
  store, index), timed as a whole.
* Floor: the least any importer could do to put the same rows into that schema. The FTS
  triggers are dropped, the row tuples are built beforehand from the same cases (not timed),
  then one transaction runs ``executemany(INSERT ...)`` and an FTS5 'rebuild'.

The figure is cases per second, best of R repeats; the ratio Lightbox / floor has a target
of at least 0.50. Both libraries are checked afterwards (case count, a search that must hit),
so a broken import cannot pass for a fast one. The exit status is 0 unless something fails;
with ``--check`` it is 1 when the ratio is below the target. ``--profile`` adds one more
Lightbox import under cProfile and prints where it spends its time.

Not part of the test suite: pytest only collects ``test_*.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# This folder is on sys.path when the file runs as a script, so its sibling imports directly.
from generate import check_round_trip, generate_cases, write_case_files

from desktop.importer import import_paths
from desktop.model import Case
from desktop.store.cases import _case_values
from desktop.store.library import Library

TARGET_RATIO = 0.50
FTS_TRIGGERS = ("cases_fts_insert", "cases_fts_delete", "cases_fts_update")
FTS_REBUILD = "INSERT INTO cases_fts(cases_fts) VALUES('rebuild')"
#: Stand-ins for the columns `store_case` computes (a digest and the import time).
_PLACEHOLDER_HASH = "0" * 64
_PLACEHOLDER_STAMP = "2026-01-01T00:00:00+00:00"


@dataclass
class Timings:
    """Wall-clock seconds of each repeat, for one contender."""

    seconds: list[float]

    @property
    def best(self) -> float:
        return min(self.seconds)

    def rate(self, cases: int) -> float:
        return cases / self.best


def probe_word(cases: Sequence[Case]) -> str:
    """A word that the first case certainly contains (the last word of its title)."""
    return cases[0].title.split()[-1].lower()


def floor_rows(cases: Sequence[Case]) -> tuple[str, list[tuple[Any, ...]]]:
    """The INSERT statement `store_case` uses and the row tuples for every case."""
    columns = list(_case_values(cases[0]))
    names = ", ".join([*columns, "content_hash", "imported_at", "updated_at"])
    marks = ", ".join("?" for _ in range(len(columns) + 3))
    sql = f"INSERT INTO cases ({names}) VALUES ({marks})"
    extra = (_PLACEHOLDER_HASH, _PLACEHOLDER_STAMP, _PLACEHOLDER_STAMP)
    rows = [(*_case_values(case).values(), *extra) for case in cases]
    return sql, rows


def run_lightbox(folder: Path, db_path: Path, cases: Sequence[Case]) -> float:
    """Times the real importer on a fresh library, then checks what it stored."""
    library = Library.open(db_path)
    try:
        started = time.perf_counter()
        report = import_paths(library, [folder])
        elapsed = time.perf_counter() - started
        _verify_lightbox(library, report.imported, report.failed, cases)
    finally:
        library.close()
    return elapsed


def _verify_lightbox(
    library: Library, imported: int, failed: list[tuple[str, str]], cases: Sequence[Case]
) -> None:
    n = len(cases)
    if failed:
        raise RuntimeError(f"Lightbox import failed {len(failed)} files, first: {failed[0]}")
    if imported != n or library.count_cases() != n:
        raise RuntimeError(f"Lightbox imported {imported} ({library.count_cases()} stored) of {n}")
    word = probe_word(cases)
    if not library.search(word, prefix_last=False):
        raise RuntimeError(f"Lightbox search for {word!r} found nothing after the import")
    stored = library.get_case(library.resolve(cases[0].key))
    if stored != cases[0]:
        raise RuntimeError(f"{cases[0].key} reads back different from what was generated")


def run_floor(db_path: Path, sql: str, rows: list[tuple[Any, ...]], cases: Sequence[Case]) -> float:
    """Times bulk INSERT plus one FTS5 'rebuild' on a fresh library file, then checks it."""
    Library.open(db_path).close()  # the same schema and persistent settings as Lightbox's
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        # Per-connection settings are not stored in the file: set them as `connect` does.
        conn.execute("PRAGMA foreign_keys=ON")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous=FULL")
        if mode != "wal" or conn.execute("PRAGMA synchronous").fetchone()[0] != 2:
            raise RuntimeError("the floor library is not in WAL mode with synchronous=FULL")
        for trigger in FTS_TRIGGERS:
            conn.execute(f"DROP TRIGGER {trigger}")
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute(FTS_REBUILD)
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        _verify_floor(conn, cases)
    finally:
        conn.close()
    return elapsed


def _verify_floor(conn: sqlite3.Connection, cases: Sequence[Case]) -> None:
    count = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    word = probe_word(cases)
    hits = conn.execute(
        "SELECT count(*) FROM cases_fts WHERE cases_fts MATCH ?", (f'"{word}"',)
    ).fetchone()[0]
    if count != len(cases) or not hits:
        raise RuntimeError(f"floor stored {count} of {len(cases)} cases, {hits} hits for {word!r}")


def profile_lightbox(folder: Path, db_path: Path, top: int = 15) -> str:
    """One more Lightbox import under cProfile; the `top` entries by cumulative time."""
    library = Library.open(db_path)
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        import_paths(library, [folder])
        profiler.disable()
    finally:
        library.close()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        """Text left-aligned, numbers right-aligned."""
        return " | ".join(
            cell.rjust(width) if cell[:1].isdigit() else cell.ljust(width)
            for cell, width in zip(cells, widths, strict=True)
        )

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def machine() -> str:
    return (
        f"{platform.platform()}; {platform.processor() or platform.machine()},"
        f" {os.cpu_count()} CPUs; Python {platform.python_version()}"
        f" ({platform.python_implementation()}); SQLite {sqlite3.sqlite_version}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10000, metavar="N", help="cases to import")
    parser.add_argument("--repeat", type=int, default=3, metavar="R", help="repeats (best kept)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--check", action="store_true", help="exit 1 if below the target ratio")
    parser.add_argument(
        "--profile", action="store_true", help="also profile one Lightbox import (cProfile)"
    )
    parser.add_argument(
        "--tmp", type=Path, default=None, help="where to make the temporary folders"
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1:
        parser.error("--cases and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    n: int = args.cases
    print(f"machine: {machine()}")
    started = time.perf_counter()
    cases = list(generate_cases(n, args.seed))
    checked = check_round_trip(cases)
    sql, rows = floor_rows(cases)
    print(
        f"generated {n} cases (seed {args.seed}) in {time.perf_counter() - started:.1f} s;"
        f" {checked} checked to round-trip through the text layout"
    )

    lightbox, floor = Timings([]), Timings([])
    for repeat in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory(prefix="lightbox-bench-", dir=args.tmp) as tmp_name:
            tmp = Path(tmp_name)
            paths = write_case_files(tmp / "cases", n, args.seed, cases=cases)
            size = sum(path.stat().st_size for path in paths)
            lightbox.seconds.append(run_lightbox(tmp / "cases", tmp / "lightbox.db", cases))
            floor.seconds.append(run_floor(tmp / "floor.db", sql, rows, cases))
        print(
            f"repeat {repeat}/{args.repeat}: Lightbox {lightbox.seconds[-1]:.3f} s,"
            f" floor {floor.seconds[-1]:.3f} s ({size / 1e6:.1f} MB of case files)"
        )

    ratio = lightbox.rate(n) / floor.rate(n)
    passed = ratio >= TARGET_RATIO
    print()
    print(
        format_table(
            ("figure", "Lightbox", "floor", "ratio", "target", "result"),
            [
                (
                    f"import cases/s ({n} cases)",
                    f"{lightbox.rate(n):,.0f}",
                    f"{floor.rate(n):,.0f}",
                    f"{ratio:.2f}",
                    f"≥ {TARGET_RATIO:.2f}",
                    "pass" if passed else "fail",
                )
            ],
        )
    )
    print()
    for name, timings in (("Lightbox", lightbox), ("floor", floor)):
        runs = ", ".join(f"{s:.3f}" for s in timings.seconds)
        print(f"{name} wall time: best {timings.best:.3f} s of {args.repeat} ({runs})")

    if args.profile:
        with tempfile.TemporaryDirectory(prefix="lightbox-bench-", dir=args.tmp) as tmp_name:
            tmp = Path(tmp_name)
            write_case_files(tmp / "cases", n, args.seed, cases=cases)
            print()
            print("one more Lightbox import under cProfile (slower than untimed runs):")
            print(profile_lightbox(tmp / "cases", tmp / "lightbox.db"))
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
