"""Highlight benchmarks (issue 12): opening a case with many highlights, the highlight browser
at 100,000 highlights, and re-anchoring through a real re-import — each against a floor
measured in the same run.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_highlights.py \\
        [--highlights 200] [--browser 100000] [--repeat 30]

* open: showing a case in the window (detail pane with its highlights drawn, notes panel
  with its Highlights tab) when it has N highlights, against the same text as another case
  with none; median of the repeats, shown alternately with a third case between so each
  open really draws. Target: ratio ≤ 1.5.
* browser: the highlight browser's first screen (model made, ids and a first page read,
  the view painted) over a library holding 100,000 highlights, against an empty QTableView
  over an in-memory model of as many rows (what Qt alone costs). Target ≤ 50 ms.
* re-import: storing an edited 60 KB case that has 500 highlights (the text written, its
  old version kept, every highlight placed again, in one transaction), against storing the
  same edit of the same case with none. Target: the highlights' share under 1 s. The pure
  re-anchoring figure is bench_anchoring.py's.

Not part of the test suite (a smoke test runs it small).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# This folder is on sys.path when the file runs as a script, so its siblings import directly.
from bench_import import format_table, machine
from generate import VOCABULARY, generate_cases

from desktop.model import Case
from desktop.palette import PALETTE
from desktop.store.highlights import section_texts
from desktop.store.library import Library

HEADERS = ("figure", "Lightbox", "floor", "ratio", "target", "result")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--highlights", type=int, default=200)
    parser.add_argument("--browser", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as folder:
        rows += open_rows(Path(folder) / "open.db", args.highlights, args.repeat)
        rows += browser_rows(Path(folder) / "browser.db", args.browser)
        rows += reimport_rows(Path(folder) / "reimport.db")
    print(format_table(HEADERS, rows))
    return 0


def spread_highlights(library: Library, case: Case, count: int, seed: int) -> None:
    """`count` highlights of 1-12 words at random over every section of the case."""
    rng = random.Random(seed)
    case_id = library.resolve(case.key)
    texts = {key: text for key, text in section_texts(case).items() if len(text) > 40}
    keys = list(texts)
    with library.transaction():
        for number in range(count):
            key = rng.choice(keys)
            text = texts[key]
            start = rng.randrange(0, len(text) - 30)
            while start and not text[start - 1].isspace():
                start -= 1
            end = min(len(text), start + rng.randint(4, 80))
            if not text[start:end].strip():
                continue
            library.add_highlight(
                case_id,
                key,
                start,
                end,
                colour=PALETTE[number % 8].name,
                comment=f"comment {number}" if number % 3 else "",
                tags=["bench"] if number % 5 == 0 else [],
            )


def open_rows(path: Path, count: int, repeat: int) -> list[tuple[str, ...]]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.ui.app import application
    from desktop.ui.main_window import MainWindow

    application("light")
    base, other = list(generate_cases(2, seed=5))
    marked = dataclasses.replace(base, source_id="marked", doi=None)
    with Library.open(path) as library:
        for case in (base, marked, other):
            library.store_case(case)
        stored = library.get_case(library.resolve(marked.key))
        assert stored is not None
        spread_highlights(library, stored, count, seed=3)
        held = len(library.highlights(library.resolve(marked.key)))
        window = MainWindow(library, QSettings(str(path) + ".ini", QSettings.Format.IniFormat))
        window.keep_settings = False
        window.resize(1440, 900)
        window.show()
        app = QApplication.instance()
        assert app is not None
        ids = {name: library.resolve(case.key) for name, case in
               (("none", base), ("marked", marked), ("other", other))}  # fmt: skip

        def show(name: str) -> None:
            window._show_case(ids[name])
            app.processEvents()  # layout and paint, as the reader sees it

        rows = []
        # As the window starts (the Note tab in front), then with the Highlights tab in
        # front, which lists them all on every open.
        for tab, label in ((0, ""), (1, ", Highlights tab in front")):
            window.notes.tabs.setCurrentIndex(tab)
            times: dict[str, list[float]] = {"none": [], "marked": []}
            for _ in range(repeat):
                for name in ("none", "marked"):
                    show("other")
                    times[name].append(_ms(lambda name=name: show(name)))  # type: ignore[misc]
            none, marked_ms = statistics.median(times["none"]), statistics.median(times["marked"])
            ratio = marked_ms / none
            rows.append(
                _row(f"open a case with {held} highlights{label}, median ms", f"{marked_ms:.1f}",
                     f"{none:.1f}", f"{ratio:.2f}", "≤ 1.5×", ratio <= 1.5)
            )  # fmt: skip
        window.close()
    return rows


def browser_rows(path: Path, count: int) -> list[tuple[str, ...]]:
    """The browser's first screen over `count` highlights, against a bare table view."""
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
    from PySide6.QtWidgets import QMainWindow, QTableView

    from desktop.ui.change_bus import ChangeBus
    from desktop.ui.highlight_browser import HighlightBrowser
    from desktop.ui.operations import Operations

    with Library.open(path) as library:
        fill_highlights(library, count)

        class Floor(QAbstractTableModel):
            def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
                return 0 if parent.isValid() else count

            def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
                return 0 if parent.isValid() else 6

            def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
                return f"row {index.row()}" if role == Qt.ItemDataRole.DisplayRole else None

        def first_screen(make: Callable[[], object]) -> float:
            started = time.perf_counter()
            widget = make()
            widget.resize(1200, 700)  # type: ignore[attr-defined]
            widget.show()  # type: ignore[attr-defined]
            widget.grab()  # type: ignore[attr-defined]
            elapsed = (time.perf_counter() - started) * 1000
            widget.close()  # type: ignore[attr-defined]
            return elapsed

        def make_floor() -> QTableView:
            view = QTableView()
            view.setModel(Floor(view))
            return view

        host = QMainWindow()
        operations = Operations(ChangeBus(host), host, host.statusBar())

        def make_ours() -> HighlightBrowser:
            browser = HighlightBrowser(library, operations)
            browser.load()  # what showing it the first time does: the filter bar and a head
            return browser

        first_screen(make_floor)  # warm Qt's caches for both
        ours = statistics.median(first_screen(make_ours) for _ in range(5))
        floor = statistics.median(first_screen(make_floor) for _ in range(5))
        # Then the rest of the ids, read once the first screen is up.
        model = make_ours().model
        rest = _ms(model.load_rest)
        assert model.rowCount() == count, model.rowCount()
    return [
        _row(f"highlight browser first screen ms ({count:,} highlights)", f"{ours:.1f}",
             f"{floor:.1f}", f"{ours / floor:.2f}", "≤ 50 ms", ours <= 50),
        _row(f"highlight browser, the rest of the list after it, ms ({count:,})",
             f"{rest:.1f}", "—", "—", "(one step, no target)", True),
    ]  # fmt: skip


def fill_highlights(library: Library, count: int) -> None:
    """`count` highlights over up to 2,000 generated cases (50 a case), written as the store
    writes them but in one statement (100,000 through the API would take minutes)."""
    cases = list(generate_cases(min(2000, max(10, count // 50)), seed=11))
    rng = random.Random(2)
    with library.transaction():
        for case in cases:
            library.store_case(case)
        conn = library._conn
        rows = []
        keyed = conn.execute("SELECT source, source_id, content_hash, imaging_findings FROM cases")
        stored = [tuple(row) for row in keyed]
        for number in range(count):
            source, source_id, digest, findings = stored[number % len(stored)]
            text = findings.replace("\n\n", "\n")
            start = rng.randrange(0, max(1, len(text) - 60))
            quote = text[start : start + rng.randint(8, 60)]
            day = f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}"
            stamp = f"{day}T10:00:{number % 60:02d}.000+00:00"
            rows.append((f"bench-{number:08d}", stamp, stamp, source, source_id,
                         "imaging_findings", start, start + len(quote), start,
                         start + len(quote), quote, "", "", 1, PALETTE[number % 8].name,
                         f"comment {rng.choice(VOCABULARY)}", '["bench"]', digest))  # fmt: skip
        conn.executemany(
            "INSERT INTO highlights (uid, created_at, updated_at, case_source, case_source_id,"
            " section, anchor_start, anchor_end, hint_start, hint_end, quote, prefix, suffix,"
            " unique_quote, colour, comment, tags, anchored_to)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def reimport_rows(path: Path) -> list[tuple[str, ...]]:
    """Storing an edited 60 KB case with 500 highlights, against the same with none."""
    (base,) = generate_cases(1, seed=9)
    filler = " ".join(random.Random(4).choice(VOCABULARY) for _ in range(12000))
    big = dataclasses.replace(base, imaging_findings=f"{base.imaging_findings}\n\n{filler}")
    plain = dataclasses.replace(big, source_id="plain", doi=None)
    inserted = " ".join(random.Random(8).choice(VOCABULARY) for _ in range(400))

    def edit(case: Case) -> Case:
        return dataclasses.replace(
            case, imaging_findings=f"{inserted}\n\n{case.imaging_findings.replace('e', 'é', 40)}"
        )

    with Library.open(path) as library:
        library.store_case(big)
        library.store_case(plain)
        stored = library.get_case(library.resolve(big.key))
        assert stored is not None and len("".join(section_texts(stored).values())) > 55_000
        spread_highlights(library, stored, 500, seed=6)
        floor = _ms(lambda: library.store_case(edit(plain)))
        ours = _ms(lambda: library.store_case(edit(big)))
        found = library.highlights(library.resolve(big.key))
        anchored = sum(h.status == "anchored" for h in found)
    share = (ours - floor) / 1000
    return [
        _row(f"re-import a 60 KB case with {len(found)} highlights ({anchored} anchored), ms",
             f"{ours:.0f}", f"{floor:.0f}", f"{ours / floor:.2f}",
             "highlights' share < 1 s", share < 1.0),
    ]  # fmt: skip


def _ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def _row(*cells: object) -> tuple[str, ...]:
    """(figure, Lightbox, floor, ratio, target, passed) as table cells."""
    *shown, passed = cells
    return (*(str(cell) for cell in shown), "pass" if passed else "FAIL")


if __name__ == "__main__":
    sys.exit(main())
