"""Figures (issue 15, item 8): importing the MedPix cases with their images, opening a case
with ten figures, a window/level change on a 2048 × 2048 image, and the memory of a window
on a library of 10,000 figures. Each figure comes with a floor measured in the same run:

* import: `import_paths` of the shared MedPix folder (40 cases, 120 PNGs) into a new
  library, against copying its image files into a new folder, each flushed to disk as the
  media store does (`os.fsync`), plus loading its two JSON files. The issue asks the import
  to run at ≥ 0.5× the floor's speed (its time ≤ 2× the floor's). For reference, the same
  copy without flushing is printed too.
* open: the time from `CaseView.show_case` of a case with 10 figures to the first paint of
  the page (thumbnails drawn once decoded, not waited for), and with its thumbnails cached
  (the case opened before), against opening the same case with its figures taken out
  (≤ 50 ms asked).
* window/level: `FigureViewer`'s change of window/level on a 2048 × 2048 grey image (a new
  colour table), and on a colour one (numpy lookup per channel), against a repaint of the
  viewer with nothing changed (≤ 16 ms asked).
* memory: the peak resident memory of the window on a library of 10,000 figures (2,500
  cases of four), opened and scrolled through 50 cases with figures, against the same
  window on the same cases without figures (≤ + 200 MB asked). Each runs in a child
  process of its own, so one's memory never counts in the other.

Run: ``.venv/bin/python tests/bench/bench_figures.py [--runs K]`` (needs ../shared for the
MedPix data; QT_QPA_PLATFORM=offscreen is set if unset).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop.importer import import_paths  # noqa: E402
from desktop.store.library import Library  # noqa: E402

MEDPIX = ROOT.parent / "shared" / "data" / "medpix2"


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def line(name: str, values: list[float], floor: list[float], bound: str) -> str:
    value, base = median_ms(values), median_ms(floor)
    return (
        f"{name:<34} median {value:8.2f} ms  floor {base:8.2f} ms"
        f"  ratio {value / base:5.2f}  ({bound})"
    )


def copy_floor(source: Path, target: Path, *, flush: bool) -> None:
    """What any import must at least do: read the index, write every image to disk."""
    for name in ("Case_topic.json", "Descriptions.json"):
        json.loads((source / name).read_bytes())
    target.mkdir()
    for image in sorted((source / "images").iterdir()):
        data = image.read_bytes()
        with (target / image.name).open("wb") as handle:
            handle.write(data)
            if flush:
                handle.flush()
                os.fsync(handle.fileno())


def bench_import(runs: int) -> None:
    imports: list[float] = []
    floors: list[float] = []
    loose: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            began = time.perf_counter()
            copy_floor(MEDPIX, Path(folder) / "durable", flush=True)
            floors.append(time.perf_counter() - began)
            began = time.perf_counter()
            copy_floor(MEDPIX, Path(folder) / "loose", flush=False)
            loose.append(time.perf_counter() - began)
            (Path(folder) / "lib").mkdir()
            with Library.open(Path(folder) / "lib" / "library.db") as library:
                began = time.perf_counter()
                report = import_paths(library, [MEDPIX])
                imports.append(time.perf_counter() - began)
                assert (report.imported, report.failed) == (40, []), report.summary()
    print(line("import 40 MedPix cases, 120 images", imports, floors, "≤ 2× floor asked"))
    print(f"{'  (copy without flushing)':<34} median {median_ms(loose):8.2f} ms")
    speed = median_ms(floors) / median_ms(imports)
    print(f"{'  import speed / floor speed':<34} {speed:.2f} (≥ 0.5 asked)")


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
            viewport = viewer.view.viewport()
            centres = iter(range(10**6))

            def change() -> None:
                centre = 60 + next(centres) % 120
                viewer.set_window(centre, 120)
                viewport.repaint()

            values = timed(change, runs)
            floor = timed(viewport.repaint, runs)
            kind = "colour" if colour else "grey"
            print(line(f"window/level 2048² {kind}", values, floor, "≤ 16 ms asked"))
            viewer.close()
            viewer.deleteLater()
            app.processEvents()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not MEDPIX.is_dir():
        print(f"needs the MedPix cases at {MEDPIX}")
        return 2
    bench_import(args.runs)
    bench_window_level(max(args.runs, 30))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
