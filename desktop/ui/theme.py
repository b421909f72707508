"""Light and dark looks: Qt's Fusion style following the system scheme, our style sheet,
icons recoloured for the palette, and the matching colours for rendered documents."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Literal

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

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
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in (16, 20, 24, 32, 48):
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result


def app_icon() -> QIcon:
    return _icon("lightbox", False)
