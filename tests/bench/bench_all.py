"""Lightbox at size: import, search, list, open, start-up and memory, each against a floor.

Usage::

    .venv/bin/python tests/bench/bench_all.py [--sizes 10000,100000] [--queries 40]

For each size it builds (once; cached in bench-results/cache/) a library of generated cases
through the real importer, timing it against the import floor of bench_import.py, then
measures in the same run:

* search: the first 50 ranked results with snippets, for single words, 2-4-letter prefixes,
  two words and phrases (p95 per kind), against a bare FTS5 MATCH with bm25() and snippet();
* list: the first screen and a jump to the end of the case list, against an empty QTableView
  over an in-memory model of as many rows;
* open: showing a case in the window (detail and notes), median;
* start-up: launch to the first painted frame with a case in it, against a process that
  shows a bare QMainWindow and quits once it is painted (median of 5 each); a reference
  row shows what Qt alone costs a window of three panes like ours;
* memory: peak RSS of the app with the library open, a case shown and a search run, against
  the bare window's;
* the damage check before a run's first write: with the stamp of a verified run, and in full
  after another program changed the file, against SQLite's quick check (one read of the file).

Prints one table: figure, Lightbox, floor, ratio, target, pass/fail; with --profile (needs
the `bench` extra: pip install -e '.[bench]'), a pyinstrument profile of each figure that
missed its target. Not part of the test suite (a smoke test runs it at 1,000 cases).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# This folder is on sys.path when the file runs as a script, so its siblings import directly.
import offscreen
from bench_import import floor_rows, format_table, machine, run_floor, run_lightbox
from generate import VOCABULARY, generate_cases, write_case_files

from desktop.model import Case, CaseFilter
from desktop.store.library import Library
from desktop.store.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench-results" / "cache"
Row = tuple[str, str, str, str, str, str, str]
HEADERS = ("figure", "Lightbox", "floor", "ratio", "target", "result", "Anki (peer)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated case counts")
    parser.add_argument("--queries", type=int, default=40, help="queries per search kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the table, a pyinstrument profile of each figure that missed its target",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", offscreen.DESKTOP)
    print(f"machine: {machine()}")
    rows: list[Row] = []
    for size in (int(s) for s in args.sizes.split(",")):
        library_path, import_row = cached_library(size, args.seed)
        rows.append(import_row)
        peer = anki_p95(library_path, size, args.queries, args.seed)
        rows += search_rows(library_path, size, args.queries, args.seed, peer)
        rows += gui_rows(library_path, size)
        rows += startup_rows(library_path, size)
        rows += memory_rows(library_path, size)
        rows += damage_check_rows(library_path, size)
        print(format_table(HEADERS, rows))
        print()
        if args.profile:
            for row in rows:
                if row[5] == "FAIL" and f"({size:,})" in row[0]:
                    print(profile(row[0], library_path, args.queries, args.seed))
    return 0


def profile(figure: str, library_path: Path, count: int, seed: int) -> str:
    """Where the time of a missed figure goes: a pyinstrument profile, as text."""
    if figure.startswith("start-up"):
        # Profiled in the app's own process, from launch to its first painted frame.
        code = f"""
from pyinstrument import Profiler
profiler = Profiler(interval=0.0005)
profiler.start()
from desktop.ui import app
probe = app._startup_probe
def stop_at_first_frame(window):
    profiler.stop()
    print(profiler.output_text(), flush=True)
    probe(window)
app._startup_probe = stop_at_first_frame
from desktop.cli import main
main(["--library", {str(library_path)!r}])
"""
        env = _child_env()
        with tempfile.TemporaryDirectory() as home:
            env["LIGHTBOX_HOME"] = home
            result = subprocess.run(
                [sys.executable, "-c", code],
                env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
            )  # fmt: skip
        return f"--- profile: {figure}, launch to the first frame\n{result.stdout}"
    if figure.startswith("search"):
        from pyinstrument import Profiler

        kind = figure.split(", ", 1)[1].rsplit(" (", 1)[0]
        with Library.open(library_path, quick_check=False) as library:
            texts = queries(library, count, seed)[kind]
            timed = sorted((_ms(lambda q=q: library.search_cases(q, limit=50)), q) for q in texts)
            worst = timed[-1][1]
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(5):
                    library.search_cases(worst, limit=50)
        return f"--- profile: {figure}, slowest query {worst!r} x5\n{profiler.output_text()}"
    return f"--- no profiler for: {figure}"


# --- the library ----------------------------------------------------------------------------


def cached_library(size: int, seed: int) -> tuple[Path, Row]:
    """A library of `size` generated cases, imported by the real importer (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = f"library-{size}-seed{seed}-v{SCHEMA_VERSION}"
    path, record = CACHE / f"{stem}.db", CACHE / f"{stem}.json"
    if not (path.exists() and record.exists()):
        with tempfile.TemporaryDirectory(prefix="lightbox-bench-") as tmp_name:
            tmp = Path(tmp_name)
            cases = list(generate_cases(size, seed))
            write_case_files(tmp / "cases", size, seed, cases=cases)
            lightbox = run_lightbox(tmp / "cases", tmp / "lightbox.db", cases)
            sql, rows = floor_rows(cases)
            floor = run_floor(tmp / "floor.db", sql, rows, cases)
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{tmp / 'lightbox.db'}{suffix}")
                if part.exists():
                    shutil.move(part, f"{path}{suffix}")
        measured = {"lightbox_s": lightbox, "floor_s": floor, "at": time.strftime("%F %T")}
        record.write_text(json.dumps(measured))
    measured = json.loads(record.read_text())
    light, floor = size / measured["lightbox_s"], size / measured["floor_s"]
    row = _row(
        f"import cases/s ({size:,}; measured {measured['at']})",
        f"{light:,.0f}",
        f"{floor:,.0f}",
        light / floor,
        "≥ 0.50",
        light / floor >= 0.5,
    )
    return path, row


# --- search ---------------------------------------------------------------------------------


def queries(library: Library, count: int, seed: int) -> dict[str, list[str]]:
    """Queries of each kind, drawn from the generated vocabulary and from case text."""
    rng = random.Random(seed)
    words = [w for w in VOCABULARY if len(w) >= 5]
    ids = library.case_ids()
    phrases = []
    for case_id in rng.sample(ids, min(count, len(ids))):
        case = library.get_case(case_id)
        assert isinstance(case, Case)
        tokens = re.findall(r"[a-z]{4,}", case.imaging_findings.lower())
        start = rng.randrange(max(len(tokens) - 1, 1))
        phrases.append('"' + " ".join(tokens[start : start + 2]) + '"')
    return {
        "single words": [rng.choice(words) for _ in range(count)],
        "2-4-letter prefixes": [rng.choice(words)[: rng.randint(2, 4)] for _ in range(count)],
        "two words": [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(count)],
        "phrases": phrases,
    }


def search_rows(
    library_path: Path, size: int, count: int, seed: int, peer: dict[str, float]
) -> list[Row]:
    rows = []
    with Library.open(library_path) as library:
        conn = sqlite3.connect(library_path)
        try:
            for kind, texts in queries(library, count, seed).items():
                ours = [_ms(lambda q=q: library.search_cases(q, limit=50)) for q in texts]
                floor = [_ms(lambda q=q: _floor_search(conn, q)) for q in texts]
                mine, theirs = _p95(ours), _p95(floor)
                anki = peer.get(kind)
                if anki is None:
                    shown = "—"
                elif anki >= mine:
                    shown = f"{anki:.1f} (Lightbox {anki / mine:.1f}× faster)"
                else:
                    shown = f"{anki:.1f} (Anki {mine / anki:.1f}× faster)"
                rows.append(
                    _row(
                        f"search p95 ms, {kind} ({size:,})",
                        f"{mine:.1f}",
                        f"{theirs:.1f}",
                        mine / theirs,
                        "≤ 50 ms",
                        mine <= 50,
                    )[:6]
                    + (shown,)
                )
        finally:
            conn.close()
    return rows


def anki_p95(library_path: Path, size: int, count: int, seed: int) -> dict[str, float]:
    """The peer: Anki's headless library searching the same cases as notes, p95 ms per query
    kind; empty when the `anki` package is not installed (pip install -e '.[peer]').

    Each case becomes a Basic note (title on the front, every section on the back) in a
    collection cached beside the library; the same queries run through `find_notes`.
    """
    try:
        from anki.collection import AddNoteRequest, Collection
    except ImportError:
        return {}
    path = library_path.with_suffix(".anki2")
    fresh = not path.exists()
    collection = Collection(str(path))
    try:
        if fresh:
            model = collection.models.by_name("Basic")
            deck = collection.decks.id("Default")
            requests = []
            for case in generate_cases(size, seed):
                note = collection.new_note(model)
                note["Front"] = case.title
                note["Back"] = "\n".join(
                    [case.clinical_history, case.imaging_findings, case.discussion_text,
                     "\n".join(case.differential_diagnosis), case.final_diagnosis]
                )  # fmt: skip
                requests.append(AddNoteRequest(note=note, deck_id=deck))
            collection.add_notes(requests)
        with Library.open(library_path, quick_check=False) as library:
            kinds = queries(library, count, seed)
        found = {}
        for kind, texts in kinds.items():
            asked = [t + "*" if kind.startswith("2-4") else t for t in texts]
            found[kind] = _p95([_ms(lambda q=q: collection.find_notes(q)) for q in asked])
        return found
    finally:
        collection.close()


def _floor_search(conn: sqlite3.Connection, text: str) -> list[tuple[object, ...]]:
    """The naive ranked query: bare FTS5 MATCH with bm25() and snippet(), LIMIT 50."""
    from desktop.store.cases import fts_query

    match = fts_query(text)
    return conn.execute(
        "SELECT rowid, bm25(cases_fts), snippet(cases_fts, -1, '[', ']', '…', 12)"
        " FROM cases_fts WHERE cases_fts MATCH ? ORDER BY bm25(cases_fts) LIMIT 50",
        (match,),
    ).fetchall()


# --- list and open (in this process, offscreen) -----------------------------------------------


def gui_rows(library_path: Path, size: int) -> list[Row]:
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSettings, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    from desktop.ui.app import application
    from desktop.ui.case_list import CaseListView, CaseTableModel
    from desktop.ui.main_window import MainWindow

    application("light")

    class Floor(QAbstractTableModel):
        def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else size

        def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else 6

        def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
            return f"row {index.row()}" if role == Qt.ItemDataRole.DisplayRole else None

    def first_screen_and_end(make: Callable[[], QTableView]) -> tuple[float, float]:
        started = time.perf_counter()
        view = make()
        view.resize(1200, 700)
        view.show()
        view.grab()
        first = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        view.scrollToBottom()
        view.grab()
        end = (time.perf_counter() - started) * 1000
        view.close()
        return first, end

    floor_view = QTableView()

    def make_floor() -> QTableView:
        floor_view.setModel(Floor())
        return floor_view

    with Library.open(library_path) as library:

        def make_ours() -> QTableView:
            model = CaseTableModel(library)
            model.show_filter(CaseFilter())
            return CaseListView(model)

        ours_first, ours_end = first_screen_and_end(make_ours)
        floor_first, floor_end = first_screen_and_end(make_floor)
        window = MainWindow(
            library, QSettings(str(CACHE / "bench.ini"), QSettings.Format.IniFormat)
        )
        window.keep_settings = False
        window.resize(1440, 900)
        window.show()
        rng = random.Random(7)
        ids = rng.sample(library.case_ids(), min(50, size))
        app = QApplication.instance()
        assert app is not None

        def show(case_id: object) -> None:
            window._show_case(case_id)  # type: ignore[arg-type]
            app.processEvents()  # layout and paint, as the reader sees it

        opens = [_ms(lambda i=i: show(i)) for i in ids]
        window.close()
    opened = statistics.median(opens)
    return [
        _row(f"list first screen ms ({size:,})", f"{ours_first:.1f}", f"{floor_first:.1f}",
             ours_first / floor_first, "≤ 50 ms", ours_first <= 50),
        _row(f"list scroll to end ms ({size:,})", f"{ours_end:.1f}", f"{floor_end:.1f}",
             ours_end / max(floor_end, 0.01), "≤ 200 ms", ours_end <= 200),
        _row(f"open a case, median ms ({size:,})", f"{opened:.1f}", "—", None, "≤ 30 ms",
             opened <= 30),
    ]  # fmt: skip


# --- start-up and memory (separate processes) -----------------------------------------------

#: The end of each floor script: show `window`, quit once `watched` has first been painted
#: (after the rest of that frame, as Lightbox's probe does), printing the probe's line.
_QUIT_AT_FIRST_PAINT = """
def shown():
    print("lightbox: first case shown: True", file=sys.stderr, flush=True)
    app.quit()
class FirstPaint(QObject):
    def eventFilter(self, target, event):
        if event.type() == QEvent.Type.Paint:
            target.removeEventFilter(self)
            QTimer.singleShot(0, shown)
        return False
first_paint = FirstPaint()
watched.installEventFilter(first_paint)
window.show()
app.exec()
"""

_BARE_WINDOW = (
    """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1440, 900)
watched = window
"""
    + _QUIT_AT_FIRST_PAINT
)

#: The same kinds of widgets as Lightbox's window (sidebar tree, a 200-row table, a case
#: in a text browser, a notes editor, splitters, a toolbar), filled with fixed text: what
#: Qt itself costs a three-pane window, with none of Lightbox's code. A reference row only.
_THREE_PANES = (
    """
import sys
from PySide6.QtCore import QAbstractTableModel, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication, QLineEdit, QMainWindow, QPlainTextEdit, QSplitter, QTableView, QTextBrowser,
    QToolBar, QTreeWidget, QTreeWidgetItem,
)
app = QApplication(sys.argv)
app.setStyle("Fusion")
class Rows(QAbstractTableModel):
    def rowCount(self, parent=None):
        return 200
    def columnCount(self, parent=None):
        return 6
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return f"case {index.row()} column {index.column()}"
        return None
window = QMainWindow()
window.resize(1440, 900)
sidebar = QTreeWidget()
sidebar.setColumnCount(2)
for name in ("All cases", "Unread", "Bookmarked", "With notes", "Recently read", "Trash"):
    QTreeWidgetItem(sidebar, [name, "100000"])
table = QTableView()
table.setModel(Rows())
case = QTextBrowser()
case.setHtml("<h1>A case title</h1>" + "<h2>Findings</h2><p>" + "finding " * 600 + "</p>")
reading = QSplitter(Qt.Orientation.Horizontal)
reading.addWidget(case)
reading.addWidget(QPlainTextEdit())
listing = QSplitter(Qt.Orientation.Vertical)
listing.addWidget(table)
listing.addWidget(reading)
main = QSplitter(Qt.Orientation.Horizontal)
main.addWidget(sidebar)
main.addWidget(listing)
window.setCentralWidget(main)
toolbar = QToolBar()
window.addToolBar(toolbar)
toolbar.addWidget(QLineEdit())
for number in range(8):
    toolbar.addAction(QAction(f"Action {number}", window))
watched = case.viewport()
"""
    + _QUIT_AT_FIRST_PAINT
)

_PEAK = "import atexit, sys\natexit.register(lambda: print(open('/proc/self/status').read()" \
    ".split('VmHWM:')[1].split()[0], file=sys.stderr))\n"  # fmt: skip


def _child_env() -> dict[str, str]:
    """The environment of a timed app process: offscreen, quitting at its first frame."""
    env = {**os.environ, "QT_QPA_PLATFORM": offscreen.DESKTOP, "LIGHTBOX_STARTUP_PROBE": "1"}
    # Bytecode caches, as an installed app has them (pip compiles a wheel's modules): with
    # PYTHONDONTWRITEBYTECODE set, a source checkout would compile every module at each start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(CACHE.parent / "pycache")
    return env


def _spawn(code: str | None, library_path: Path, peak: bool = False) -> tuple[float, int]:
    env = _child_env()
    with tempfile.TemporaryDirectory() as home:
        env["LIGHTBOX_HOME"] = home
        if code is None:
            app = "from desktop.cli import main; import sys; sys.exit(main())"
            command = [sys.executable, "-c", (_PEAK if peak else "") + app, "--library",
                       str(library_path)]  # fmt: skip
        else:
            command = [sys.executable, "-c", (_PEAK if peak else "") + code]
        # Timed from launch to the line each process prints once its first frame is painted
        # (with Lightbox's first case in it; teardown and work after it are not start-up).
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert process.stderr is not None
        elapsed = 0.0
        lines = []
        for line in process.stderr:
            lines.append(line)
            if "first case shown" in line and not elapsed:
                elapsed = (time.perf_counter() - started) * 1000
        process.wait(timeout=300)
    if process.returncode != 0 or not elapsed:
        raise RuntimeError(f"{command[:3]} failed: {''.join(lines)[-2000:]}")
    kilobytes = int(lines[-1]) if peak else 0
    return elapsed, kilobytes


def startup_rows(library_path: Path, size: int) -> list[Row]:
    # Today's backup first: the app would otherwise start one at each launch measured.
    from desktop.library_setup import daily_backup

    daily_backup(library_path)
    for code in (None, _BARE_WINDOW, _THREE_PANES):
        _spawn(code, library_path)  # warm the page cache and Python's bytecode caches
    ours = statistics.median(_spawn(None, library_path)[0] for _ in range(5))
    floor = statistics.median(_spawn(_BARE_WINDOW, library_path)[0] for _ in range(5))
    panes = statistics.median(_spawn(_THREE_PANES, library_path)[0] for _ in range(5))
    reference = _row(f"  reference: three bare panes, no Lightbox code ({size:,})", f"{panes:.0f}",
                     f"{floor:.0f}", panes / floor, "—", True)  # fmt: skip
    return [
        _row(f"start-up to first case ms ({size:,})", f"{ours:.0f}", f"{floor:.0f}",
             ours / floor, "≤ 1.5× floor", ours <= 1.5 * floor),
        reference[:5] + ("ref",) + reference[6:],
    ]  # fmt: skip


def memory_rows(library_path: Path, size: int) -> list[Row]:
    ours = _spawn(None, library_path, peak=True)[1] / 1024
    floor = _spawn(_BARE_WINDOW, library_path, peak=True)[1] / 1024
    return [_row(f"peak memory MB ({size:,})", f"{ours:.0f}", f"{floor:.0f}", ours / floor,
                 "≤ floor + 150 MB", ours <= floor + 150)]  # fmt: skip


# --- the check before the first write ---------------------------------------------------------


def damage_check_rows(library_path: Path, size: int) -> list[Row]:
    """What a run pays to make sure it never writes into a damaged library.

    The floor is SQLite's quick check (it reads the whole file once). A run whose library
    still carries the stamp a verified run left costs a stat and a small read
    (`verify.stamp_matches`); after another program changed the file it runs the full
    `Library.check` (integrity, foreign keys, schema, search indexes) once, before its
    first write.
    """
    from desktop.store import verify

    def quick_check() -> None:
        conn = sqlite3.connect(f"{library_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()

    quick_check()  # warm the page cache: every figure here reads from memory
    floor = statistics.median(_ms(quick_check) for _ in range(3))
    with Library.open(library_path, quick_check=False) as library:
        full = _ms(library.check)
    verify.record_stamp(library_path)
    stamped = statistics.median(_ms(lambda: verify.stamp_matches(library_path)) for _ in range(50))
    # Once per outside change, not per run: shown for reference, with no target.
    full_row = _row(
        f"  reference: full check after another program changed it ({size:,})",
        f"{full:.0f}",
        f"{floor:.0f}",
        full / floor,
        "once per change",
        True,
    )
    return [
        _row(f"damage check before a run's first write ms ({size:,})", f"{stamped:.2f}",
             f"{floor:.0f}", stamped / floor, "≤ 0.01× floor", stamped <= 0.01 * floor),
        full_row[:5] + ("ref",) + full_row[6:],
    ]  # fmt: skip


# --- helpers --------------------------------------------------------------------------------


def _ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _row(*cells: object) -> Row:
    """(figure, Lightbox, floor, ratio or None, target, passed) as table cells."""
    figure, ours, floor, ratio, target, passed = cells
    shown = "—" if ratio is None else f"{ratio:.2f}"
    result = "pass" if passed else "FAIL"
    return (str(figure), str(ours), str(floor), shown, str(target), result, "—")


if __name__ == "__main__":
    sys.exit(main())
