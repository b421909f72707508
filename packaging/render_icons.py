"""Renders the application icon, resources/icons/lightbox.svg, to PNGs for the desktop entry.

    .venv/bin/python packaging/render_icons.py

writes resources/icons/png/lightbox-<size>.png for every size in SIZES (Qt's SVG renderer,
offscreen: no display needed). Run it again whenever the SVG changes and commit the PNGs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "icons" / "lightbox.svg"
TARGET = ROOT / "resources" / "icons" / "png"
#: The hicolor theme's usual application icon sizes, in pixels.
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(source: Path, target: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Renders `source` as a square PNG of each size into `target`; returns the files."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise ValueError(f"{source} is not a valid SVG file")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = target / f"lightbox-{size}.png"
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


def main() -> int:
    for path in render(SOURCE, TARGET):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
