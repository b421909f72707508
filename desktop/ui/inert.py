"""A text browser that never loads anything and never follows a link by itself.

Qt's rich text is not a sandbox: QTextBrowser loads file:// and absolute-path images,
data: images and @imported local stylesheets on its own; returning None from loadResource
does not stop that (Qt then reads the file itself), so every resource request gets an empty
placeholder. With default link handling a click on a file:// link replaces the document
with that file, so links are never opened here: the owner decides on `anchorClicked`.

The one exception is a figure's thumbnail: an image named exactly ``lightbox-img:`` and a
SHA-256 hex digest is offered to `InertBrowser.image_resource`, which a subclass answers
from pictures it decoded itself (never from a path or URL the page names); anything else,
a ``lightbox-img:`` URL with more or less in it included, gets the placeholder.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QPixmap, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

#: The only image URL that may get a real picture: a figure's image by its content hash.
THUMBNAIL_URL = re.compile(r"lightbox-img:([0-9a-f]{64})")


def thumbnail_digest(url: QUrl | str) -> str | None:
    """The image hash a ``lightbox-img:<sha256 hex>`` URL names, or None for any other."""
    text = url.toString() if isinstance(url, QUrl) else str(url)
    found = THUMBNAIL_URL.fullmatch(text)
    return found.group(1) if found else None


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
        url = QUrl(name)
        self.requested.append(url)
        if kind == QTextDocument.ResourceType.ImageResource.value:
            digest = thumbnail_digest(url)
            image = self.image_resource(digest) if digest is not None else None
            return image if image is not None else _placeholder_image()
        return ""

    def image_resource(self, digest: str) -> QImage | QPixmap | None:
        """The picture for a figure's thumbnail (``lightbox-img:<digest>``), or None for the
        placeholder. Never reads a file on the GUI thread: subclasses answer from memory."""
        del digest
        return None


def _placeholder_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(0)
    return image
