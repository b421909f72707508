"""A text browser that never loads anything and never follows a link by itself.

Qt's rich text is not a sandbox: QTextBrowser loads file:// and absolute-path images,
data: images and @imported local stylesheets on its own; returning None from loadResource
does not stop that (Qt then reads the file itself), so every resource request gets an empty
placeholder. With default link handling a click on a file:// link replaces the document
with that file, so links are never opened here: the owner decides on `anchorClicked`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget


class InertBrowser(QTextBrowser):
    """QTextBrowser with every resource load answered by a placeholder and links inert.

    Attributes:
        requested: Every resource URL Qt asked for (tests assert nothing was fetched).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.requested: list[QUrl] = []

    def show_html(self, html: str) -> None:
        """Replaces the document; the search path is cleared so relative names resolve nowhere."""
        self.setSearchPaths([])
        self.document().setBaseUrl(QUrl())
        self.setHtml(html)

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        self.requested.append(QUrl(name))
        if kind == QTextDocument.ResourceType.ImageResource.value:
            return _placeholder_image()
        return ""


def _placeholder_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(0)
    return image
