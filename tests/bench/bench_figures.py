"""Figures (issue 15, item 8): importing the MedPix cases with their images, opening a case
with ten figures, a window/level change on a 2048 × 2048 image, and the memory of a window
on a library of 10,000 figures. Each figure comes with a floor measured in the same run:

* import: `import_paths` of the shared MedPix folder (40 cases, 120 PNGs) into a new
  library, against loading its two JSON files and copying its image files into a new
  folder, flushed to disk: the floor is the fastest of three copies, each file flushed in
  turn as it is written, all written then flushed together on several threads, and each
  flushed on several threads as soon as it is written (what the import does). The issue
  asks the import to run at ≥ 0.5× the floor's speed (its time ≤ 2× the floor's). This
  machine's disk flushes at two speeds, changing every few seconds, which moves the floor
  by up to 2×; so the speed is also given as the median of each run's import against the
  floor measured beside it. Each step runs in a new folder, deleted after it, and starts
  after `os.sync()`, so none pays for what the one before it wrote; and the floor and the
  import take turns at going first, as the second of two ran slower here (15 runs each
  way: the import took 238 ms after the copies and 156 ms before them, the copy 116 ms
  first and 153 ms after the import). The copy without flushing is printed for
  reference, and so are the import of the same two JSON files with no image file
  (parsing, storing and indexing alone) and the processor time (all threads, user and
  system) of the import and of the copy flushed as written.
* open: the time from `CaseView.show_case` of a case with 10 figures to the first paint of
  the page (thumbnails drawn once decoded, not waited for), and with its thumbnails cached
  (the case opened before), against opening the same case with its figures taken out
  (≤ 50 ms asked).
* window/level: `FigureViewer`'s change of window/level on a 2048 × 2048 grey image (a new
  colour table), and on a colour one (numpy lookup per channel, over a copy of the size
  shown while the image is shown smaller than its size), fitted in a 1400 × 1000 viewer and
  at 1:1, against a repaint of the viewer with nothing changed (≤ 16 ms asked).
* memory: the peak resident memory of the window on a library of 10,000 figures (2,500
  cases of four), opened and scrolled through 50 cases with figures, against the same
  window on the same cases without figures (≤ + 200 MB asked). Each runs in a child
  process of its own, so one's memory never counts in the other.

Run: ``.venv/bin/python tests/bench/bench_figures.py [--runs K]`` (needs ../shared for the
MedPix data; Qt runs offscreen on a 1920×1080 screen unless QT_QPA_PLATFORM is set).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import offscreen  # noqa: E402  (a sibling: this folder is on sys.path when run as a script)

from desktop.importer import import_paths  # noqa: E402
from desktop.model import Case, CaseId, DiscussionPart, Figure  # noqa: E402
from desktop.store.library import Library  # noqa: E402
from desktop.store.media import FLUSH_THREADS  # noqa: E402

MEDPIX = ROOT.parent / "shared" / "data" / "medpix2"
#: The durable copies the import floor is the fastest of (see `copy_floor`).
FLUSHED = ("each", "together", "ahead")
T = TypeVar("T")


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def line(name: str, values: list[float], floor: list[float], bound: str) -> str:
    value, base = median_ms(values), median_ms(floor)
    return (
        f"{name:<34} median {value:8.2f} ms  floor {base:8.2f} ms"
        f"  ratio {value / base:5.2f}  ({bound})"
    )


def copy_floor(source: Path, target: Path, *, flush: str | None) -> None:
    """What any import must at least do: read the index, write every image to disk, flushed
    "each" in turn as written, or "together" once all are written, or "ahead": each as
    written on threads of its own, while the next ones are written (or not at all: None)."""
    for name in ("Case_topic.json", "Descriptions.json"):
        json.loads((source / name).read_bytes())
    target.mkdir()
    written = []
    with ThreadPoolExecutor(FLUSH_THREADS) as pool:
        for image in sorted((source / "images").iterdir()):
            data = image.read_bytes()
            with (target / image.name).open("wb") as handle:
                handle.write(data)
                if flush == "each":
                    handle.flush()
                    os.fsync(handle.fileno())
            written.append(target / image.name)
            if flush == "ahead":
                pool.submit(fsync_path, written[-1])
        if flush == "together":
            list(pool.map(fsync_path, written))
    if flush is not None:
        fsync_path(target)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def bench_import(runs: int) -> None:
    imports: list[float] = []
    copies: dict[str | None, list[float]] = {"each": [], "together": [], "ahead": [], None: []}
    floors: list[float] = []
    #: Processor time (all threads, user and system) of the import and of the "ahead" copy.
    import_cpu: list[float] = []
    copy_cpu: list[float] = []
    without_images: list[float] = []

    def copy(flush: str | None) -> None:
        def work(folder: Path) -> None:
            began, cpu = time.perf_counter(), time.process_time()
            copy_floor(MEDPIX, folder / "copy", flush=flush)
            copies[flush].append(time.perf_counter() - began)
            if flush == "ahead":
                copy_cpu.append(time.process_time() - cpu)

        in_new_folder(work)

    def floor() -> None:
        for flush in FLUSHED:
            copy(flush)
        floors.append(min(copies[flush][-1] for flush in FLUSHED))

    def full_import() -> None:
        wall, cpu = in_new_folder(lambda folder: timed_import(MEDPIX, folder / "library"))
        imports.append(wall)
        import_cpu.append(cpu)

    with tempfile.TemporaryDirectory() as index_only:
        # The same cases with no image file to keep: what parsing, storing and indexing
        # cost alone (each figure then names its image missing).
        for name in ("Case_topic.json", "Descriptions.json"):
            (Path(index_only) / name).write_bytes((MEDPIX / name).read_bytes())
        for run in range(runs):
            # The second of the two ran slower on this machine's disk: they take turns.
            for step in (floor, full_import) if run % 2 == 0 else (full_import, floor):
                step()
            copy(None)
            without_images.append(
                in_new_folder(lambda folder: timed_import(Path(index_only), folder / "bare"))[0]
            )
    print(line("import 40 MedPix cases, 120 images", imports, floors, "≤ 2× floor asked"))
    labels = {
        "each": "each flushed",
        "together": "flushed together",
        "ahead": "flushed as written",
        None: "not flushed",
    }
    for flush, label in labels.items():
        print(f"{'  (copy, ' + label + ')':<34} median {median_ms(copies[flush]):8.2f} ms")
    print(f"{'  (import, no image files)':<34} median {median_ms(without_images):8.2f} ms")
    print(
        f"{'  processor time, import':<34} median {median_ms(import_cpu):8.2f} ms"
        f"  (copy flushed as written: {median_ms(copy_cpu):.2f} ms)"
    )
    speed = median_ms(floors) / median_ms(imports)
    paired = statistics.median(f / i for f, i in zip(floors, imports, strict=True))
    print(f"{'  import speed / floor speed':<34} {speed:.2f} (≥ 0.5 asked)")
    print(f"{'  the same, run by run (median)':<34} {paired:.2f}")


def in_new_folder(work: Callable[[Path], T]) -> T:
    """`work` done in a new temporary folder, deleted after it, the deletion flushed to
    disk."""
    with tempfile.TemporaryDirectory() as folder:
        result = work(Path(folder))
    os.sync()
    return result


def timed_import(source: Path, folder: Path) -> tuple[float, float]:
    """The wall and processor time of importing the MedPix data set at `source` into a new
    library in `folder`."""
    folder.mkdir()
    with Library.open(folder / "library.db") as library:
        os.sync()
        began, cpu = time.perf_counter(), time.process_time()
        report = import_paths(library, [source])
        times = time.perf_counter() - began, time.process_time() - cpu
        assert (report.imported, report.failed) == (40, []), report.summary()
    return times


def timed(work: Callable[[], object], runs: int) -> list[float]:
    work()
    values = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        values.append(time.perf_counter() - began)
    return values


def test_image(path: Path, *, colour: bool) -> Path:
    """A 2048 × 2048 PNG: a grey gradient with noise (a CT slice's spread of values), or
    the same in colour."""
    import numpy as np
    from PySide6.QtGui import QImage

    side = 2048
    rng = np.random.default_rng(7)
    ramp = np.add.outer(np.arange(side), np.arange(side)) * 255 // (2 * side - 2)
    grey = np.clip(ramp + rng.integers(-20, 20, (side, side)), 0, 255).astype(np.uint8)
    if colour:
        pixels = np.dstack([grey, np.flipud(grey), np.fliplr(grey), np.full_like(grey, 255)])
        image = QImage(pixels.tobytes(), side, side, side * 4, QImage.Format.Format_RGBA8888)
    else:
        image = QImage(grey.tobytes(), side, side, side, QImage.Format.Format_Grayscale8)
    assert image.save(str(path)), path
    return path


def window_level_times(viewer: object, runs: int) -> tuple[list[float], list[float]]:
    """A window/level change and its repaint, against a repaint alone."""
    from desktop.ui.figure_viewer import FigureViewer

    assert isinstance(viewer, FigureViewer)
    viewport = viewer.view.viewport()
    centres = iter(range(10**6))

    def change() -> None:
        viewer.set_window(60 + next(centres) % 120, 120)
        viewport.repaint()

    return timed(change, runs), timed(viewport.repaint, runs)


def bench_window_level(runs: int) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.ui.figure_viewer import FigureViewer, ViewerFigure

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        for colour in (False, True):
            path = test_image(Path(folder) / f"image-{colour}.png", colour=colour)
            viewer = FigureViewer([ViewerFigure("Figure 1", "A legend.", path)], 0)
            viewer.resize(1400, 1000)
            viewer.show()
            began = time.perf_counter()
            while viewer.is_loading() and time.perf_counter() - began < 30:
                app.processEvents()
            assert viewer.has_image() and viewer.uses_colour_table() != colour
            values, floor = window_level_times(viewer, runs)
            kind = "colour" if colour else "grey"
            print(line(f"window/level 2048² {kind}, fitted", values, floor, "≤ 16 ms asked"))
            viewer.actual_size()  # 1:1: every pixel of the image is mapped
            values, floor = window_level_times(viewer, runs)
            print(line(f"window/level 2048² {kind}, 1:1", values, floor, "reference"))
            viewer.close()
            viewer.deleteLater()
            app.processEvents()


def figured_case(library: Library, source_id: str, count: int, offset: int = 0) -> Case:
    """A case with `count` figures whose images are MedPix PNGs kept in the library."""
    from PySide6.QtGui import QImageReader

    descriptions = json.loads((MEDPIX / "Descriptions.json").read_text("utf-8"))
    figures = []
    for number in range(1, count + 1):
        entry = descriptions[(offset + number - 1) % len(descriptions)]
        path = MEDPIX / "images" / f"{entry['image']}.png"
        size = QImageReader(str(path)).size()
        about = entry["Description"]
        figures.append(
            Figure(
                f"Figure {number}",
                about.get("Caption") or "",
                library.media.put(path.read_bytes()),
                modality=about.get("Modality"),
                plane=about.get("Plane"),
                width=size.width(),
                height=size.height(),
            )
        )
    return Case(
        "bench",
        source_id,
        f"A case with {count} figures ({source_id})",
        clinical_history="Headache for three weeks (Fig. 1).",
        imaging_findings="A mass, shown in figures 2 and 3. " * 20,
        discussion=(DiscussionPart(None, "Discussion of the case. " * 200),),
        final_diagnosis="Meningioma",
        figures=tuple(figures),
    )


def bench_open_case(runs: int) -> None:
    """A case with 10 figures, open to first paint: thumbnails cold, then cached."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject
    from PySide6.QtWidgets import QApplication

    from desktop.ui.case_view import DetailPane
    from desktop.ui.change_bus import ChangeBus

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        library = Library.open(Path(folder) / "library.db")
        case = figured_case(library, "ten", 10)
        with_figures = library.store_case(case).case_id
        without = library.store_case(dataclasses.replace(case, source_id="none", figures=()))
        pane = DetailPane()
        pane.resize(900, 1000)
        pane.subscribe(library, ChangeBus())
        pane.show()
        app.processEvents()

        class FirstPaint(QObject):
            at: float | None = None

            def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint and self.at is None:
                    self.at = time.perf_counter()
                return False

        painted = FirstPaint()
        pane.view.viewport().installEventFilter(painted)

        def open_once(case_id: CaseId, cold: bool) -> float:
            pane.open_case(None)
            app.processEvents()
            assert pane.thumbnails is not None
            if cold:
                pane.thumbnails.clear()
            painted.at = None
            began = time.perf_counter()
            pane.open_case(case_id)
            while painted.at is None:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 1)
            first = painted.at - began
            while pane.thumbnails.pending():
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 1)
            return first

        floor = [open_once(without.case_id, False) for _ in range(runs)]
        cold = [open_once(with_figures, True) for _ in range(runs)]
        cached = [open_once(with_figures, False) for _ in range(runs)]
        print(line("open, 10 figures, thumbnails cold", cold, floor, "≤ 50 ms asked"))
        print(line("open, 10 figures, thumbnails cached", cached, floor, "≤ 50 ms asked"))
        pane.close()
        library.close()


#: The child process of `bench_memory`: opens the window on a library, opens N cases one
#: after another (each with its thumbnails drawn), prints its peak resident memory (kB).
_MEMORY_CHILD = """
import sys, time
from pathlib import Path
from PySide6.QtCore import QEventLoop, QSettings
from desktop.store.library import Library
from desktop.ui.app import application
from desktop.ui.main_window import MainWindow
app = application("light")
library = Library.open(Path(sys.argv[1]))
window = MainWindow(library, QSettings(sys.argv[2], QSettings.Format.IniFormat))
window.resize(1500, 950)
window.show()
app.processEvents()
ids = window.model.ids()[: int(sys.argv[3])]
for case_id in ids:
    window.open_case(case_id)
    began = time.perf_counter()
    while time.perf_counter() - began < 5:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        service = window.detail.thumbnails
        if window.detail.case_id == case_id and (service is None or not service.pending()):
            break
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        print(line.split()[1])
window.close()
library.close()
"""


def bench_memory(cases: int, figures_each: int, opened: int) -> None:
    """Peak memory of the window on `cases` x `figures_each` figures, against the same
    cases without figures, each in a child process of its own."""
    peaks = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("bare", "figures"):
            path = Path(folder) / kind / "library.db"
            path.parent.mkdir()
            with Library.open(path) as library, library.transaction():
                template = figured_case(library, "template", figures_each)
                for number in range(cases):
                    figures = template.figures if kind == "figures" else ()
                    offset = number * figures_each
                    if figures:  # each case its own images' order, so thumbnails differ
                        figures = figured_case(library, "x", figures_each, offset).figures
                    library.store_case(
                        dataclasses.replace(
                            template,
                            source_id=f"{number:05d}",
                            title=f"Case {number:05d}",
                            figures=figures,
                        )
                    )
            settings = Path(folder) / kind / "settings.ini"
            env = {**os.environ, "QT_QPA_PLATFORM": offscreen.DESKTOP, "LIGHTBOX_HOME": folder}
            done = subprocess.run(
                [sys.executable, "-c", _MEMORY_CHILD, str(path), str(settings), str(opened)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            peaks[kind] = int(done.stdout.split()[-1]) / 1024
    extra = peaks["figures"] - peaks["bare"]
    print(
        f"{'memory, ' + str(cases * figures_each) + ' figures':<34} peak {peaks['figures']:7.1f} MB"
        f"  bare {peaks['bare']:7.1f} MB  extra {extra:6.1f} MB  (≤ +200 MB asked;"
        f" {opened} cases opened)"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cases", type=int, default=2500, help="cases of 4 figures (memory)")
    parser.add_argument("--opened", type=int, default=50, help="cases opened (memory)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", offscreen.DESKTOP)
    if not MEDPIX.is_dir():
        print(f"needs the MedPix cases at {MEDPIX}")
        return 2
    bench_import(args.runs)
    bench_open_case(max(args.runs, 7))
    bench_window_level(max(args.runs, 30))
    bench_memory(args.cases, 4, args.opened)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
