"""Light and dark looks: Qt's Fusion style following the system scheme, our style sheet,
icons recoloured for the palette, and the matching colours for rendered documents."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Literal

from PySide6.QtCore import QByteArray, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleOption

from desktop import paths
from desktop.render import DARK, LIGHT, Theme

Scheme = Literal["system", "light", "dark"]

#: The stroke colour our monochrome icons are drawn in; replaced to suit the palette.
ICON_INK = "#5f6b7a"
_ICON_INK_DARK = "#c3ccd6"


def apply_theme(app: QApplication, scheme: Scheme = "system") -> None:
    """Fusion style (the same on every platform), the scheme, and our style sheet.

    Fusion follows a dark system scheme by itself on desktops that report one; where the
    platform reports none (offscreen, some window managers) an explicit "dark" still gets a
    dark palette.
    """
    app.setStyle("Fusion")
    hints = app.styleHints()
    if scheme == "light":
        hints.setColorScheme(Qt.ColorScheme.Light)
        app.setPalette(app.style().standardPalette())
    elif scheme == "dark":
        hints.setColorScheme(Qt.ColorScheme.Dark)
        if not is_dark(app.palette()):
            app.setPalette(_dark_palette())
    style = paths.resources_dir() / "style.qss"
    app.setStyleSheet(style.read_text(encoding="utf-8"))


def _dark_palette() -> QPalette:
    """A calm dark palette close to Fusion's own dark one."""
    palette = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: "#23282e",
        role.WindowText: "#d8dee4",
        role.Base: "#1c2127",
        role.AlternateBase: "#232931",
        role.ToolTipBase: "#2b3641",
        role.ToolTipText: "#d8dee4",
        role.PlaceholderText: "#8f9ba6",
        role.Text: "#d8dee4",
        role.Button: "#2b3138",
        role.ButtonText: "#d8dee4",
        role.BrightText: "#ffffff",
        role.Light: "#3a424b",
        role.Midlight: "#323940",
        role.Mid: "#3d4650",
        role.Dark: "#15191d",
        role.Shadow: "#0c0e10",
        role.Highlight: "#2f6f9f",
        role.HighlightedText: "#ffffff",
        role.Link: "#8ec5ea",
        role.LinkVisited: "#b39ddb",
    }
    for colour_role, value in colours.items():
        palette.setColor(colour_role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for colour_role in (role.Text, role.WindowText, role.ButtonText):
        palette.setColor(disabled, colour_role, QColor("#6b7580"))
    return palette


def is_dark(palette: QPalette | None = None) -> bool:
    chosen = palette or QApplication.palette()
    return chosen.color(QPalette.ColorRole.Window).lightness() < 128


def document_theme(point_size: float) -> Theme:
    """The colours for rendered case and note documents, at the reader's text size."""
    return dataclasses.replace(DARK if is_dark() else LIGHT, base_point_size=point_size)


def icon(name: str) -> QIcon:
    """An icon from resources/icons, its ink recoloured for a light or dark palette."""
    return _icon(name, is_dark())


@cache
def _icon(name: str, dark: bool) -> QIcon:
    svg = (paths.resources_dir() / "icons" / f"{name}.svg").read_text(encoding="utf-8")
    if dark:
        svg = svg.replace(ICON_INK, _ICON_INK_DARK)
    return QIcon(_SvgIconEngine(svg.encode("utf-8")))


class _SvgIconEngine(QIconEngine):
    """Draws one SVG at each size (and mode) the first time a widget asks for it.

    Rendering every size up front cost ~8 ms of start-up for icons mostly never shown.
    """

    def __init__(self, svg: bytes):
        super().__init__()
        self._svg = svg
        self._renderer: QSvgRenderer | None = None
        self._pixmaps: dict[tuple[int, int, QIcon.Mode], QPixmap] = {}

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._svg)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        width, height = round(size.width() * scale), round(size.height() * scale)
        key = (width, height, mode)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            if self._renderer is None:
                self._renderer = QSvgRenderer(QByteArray(self._svg))
            pixmap = QPixmap(QSize(width, height))
            pixmap.fill(QColor(0, 0, 0, 0))
            painter = QPainter(pixmap)
            self._renderer.render(painter)
            painter.end()
            style = QApplication.style()
            if mode == QIcon.Mode.Disabled and style is not None:
                pixmap = style.generatedIconPixmap(mode, pixmap, QStyleOption())
            pixmap.setDevicePixelRatio(scale)
            self._pixmaps[key] = pixmap
        return pixmap


@cache
def app_icon() -> QIcon:
    """The app's own icon, from the PNGs drawn for the desktop (Qt loads each when needed)."""
    result = QIcon()
    for path in sorted((paths.resources_dir() / "icons" / "png").glob("lightbox-*.png")):
        result.addFile(str(path))
    return result
