"""Figure thumbnails for the case page: decoded off the GUI thread, kept in memory.

The GUI thread never opens an image file: it asks for a thumbnail by its `ThumbnailKey`,
gets it at once if it is in the cache, and otherwise gets it later through `ready` (or
`failed`, with the loader's reason). Decoding runs in a small thread pool of its own, with
`desktop.ui.image_loading.load_image` (size caps, content sniffing, EXIF turns), scaled to
the box at the screen's device pixel ratio, and is centred on a transparent canvas of
exactly the box, so a file whose shape differs from what its case declared is letterboxed,
never stretched. Only QImage is touched off the GUI thread (QPixmap is GUI-thread only).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QObject, QRect, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPainter

from desktop.ui.image_loading import load_image

#: What the cache may hold, in bytes of decoded pixels (about 500 thumbnails of 180 px at
#: a device pixel ratio of 2).
CACHE_BYTES = 64 * 1024 * 1024
#: How many decodes run at once: thumbnails are small; two keep a slow disk busy without
#: taking every core from the reader.
WORKERS = 2
#: How many failures are remembered (so a missing file is not tried at every paint).
MAX_FAILURES = 1024


class ThumbnailKey(NamedTuple):
    """One thumbnail: an image (SHA-256 hex of its file), the box it fills on the page in
    logical pixels, and the device pixel ratio it is decoded for."""

    digest: str
    width: int
    height: int
    dpr: float

    @property
    def pixels(self) -> QSize:
        """The thumbnail's size in device pixels."""
        return QSize(max(1, round(self.width * self.dpr)), max(1, round(self.height * self.dpr)))


class ThumbnailService(QObject):
    """Decodes figure thumbnails in worker threads and caches them (LRU by bytes).

    Safe to share between views: one decode per key at a time, whoever asks. The resolver
    runs on a worker thread, so it must not touch a database connection
    (`Library.image_path` only looks at the media folder).

    Attributes:
        cache_bytes: The cache's cap in bytes.

    Signals:
        ready(ThumbnailKey, QImage): a thumbnail was decoded (on the GUI thread; the image
            has the key's device pixel ratio and is exactly the key's box).
        failed(ThumbnailKey, str): a thumbnail could not be made; the reason in plain words
            ("the image file is missing", "image too large (30000×30000)").
    """

    ready = Signal(object, QImage)
    failed = Signal(object, str)

    def __init__(
        self,
        resolve: Callable[[str], Path | None],
        *,
        cache_bytes: int = CACHE_BYTES,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.cache_bytes = cache_bytes
        self._resolve = resolve
        self._cache: OrderedDict[ThumbnailKey, QImage] = OrderedDict()
        self._bytes = 0
        self._pending: set[ThumbnailKey] = set()
        self._failures: OrderedDict[ThumbnailKey, str] = OrderedDict()
        # Owned by Qt, pool by the service and relay by the pool: a pool waits for its
        # workers before it deletes its children, so no worker outlives the relay it
        # reports through, whatever order Python drops its wrappers in.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(WORKERS)
        self._relay = _Relay(self._pool)
        self._relay.done.connect(self._finished)

    def cached(self, key: ThumbnailKey) -> QImage | None:
        """The thumbnail if it is decoded (and marks it recently used), else None."""
        image = self._cache.get(key)
        if image is not None:
            self._cache.move_to_end(key)
        return image

    def failure(self, key: ThumbnailKey) -> str | None:
        """Why the thumbnail could not be made, if it was tried and failed."""
        return self._failures.get(key)

    def request(self, key: ThumbnailKey) -> QImage | None:
        """The thumbnail now if cached; else None, and it is decoded in the background
        (once, however often it is asked for) unless it already failed."""
        image = self.cached(key)
        if image is not None or key in self._pending or key in self._failures:
            return image
        self._pending.add(key)
        self._pool.start(_Decode(key, self._resolve, self._relay))
        return None

    def pending(self) -> int:
        """How many thumbnails are being decoded."""
        return len(self._pending)

    def cached_bytes(self) -> int:
        """The bytes the cache holds now."""
        return self._bytes

    def forget_failures(self) -> None:
        """Lets thumbnails that failed be tried again (a page shown anew: the image may
        have come back with a re-import since)."""
        self._failures.clear()

    def clear(self) -> None:
        """Forgets every thumbnail and failure (decodes under way still report)."""
        self._cache.clear()
        self._failures.clear()
        self._bytes = 0

    def wait(self, msecs: int = -1) -> bool:
        """Waits for the decodes under way (scripts and tests; never the GUI)."""
        return self._pool.waitForDone(msecs)

    def _finished(self, key: ThumbnailKey, image: QImage | None, reason: str) -> None:
        self._pending.discard(key)
        if image is None:
            self._failures[key] = reason
            while len(self._failures) > MAX_FAILURES:
                self._failures.popitem(last=False)
            self.failed.emit(key, reason)
            return
        self._store(key, image)
        self.ready.emit(key, image)

    def _store(self, key: ThumbnailKey, image: QImage) -> None:
        size = image.sizeInBytes()
        if size > self.cache_bytes:
            return  # never kept: it would push out everything else
        old = self._cache.pop(key, None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        self._cache[key] = image
        self._bytes += size
        while self._bytes > self.cache_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._bytes -= dropped.sizeInBytes()


def make_thumbnail(key: ThumbnailKey, path: Path | None) -> tuple[QImage | None, str]:
    """Decodes one thumbnail (any thread): the image fitted and centred in the key's box at
    its device pixel ratio, or None and the reason."""
    if path is None:
        return None, "the image file is missing"
    box = key.pixels
    loaded = load_image(path, max_side=max(box.width(), box.height()))
    source = loaded.image
    if source is None:
        return None, loaded.reason or "the image could not be read"
    fitted = source.size().scaled(box, Qt.AspectRatioMode.KeepAspectRatio)
    canvas = QImage(box, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(Qt.GlobalColor.transparent)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawImage(
        QRect(
            (box.width() - fitted.width()) // 2,
            (box.height() - fitted.height()) // 2,
            fitted.width(),
            fitted.height(),
        ),
        source,
    )
    painter.end()
    canvas.setDevicePixelRatio(key.dpr)
    return canvas, ""


def thumbnail_key(digest: str, box: tuple[int, int], dpr: float) -> ThumbnailKey:
    """The key of an image's thumbnail in a box on a screen (ratios rounded to 1/100: a
    fractional scale's float noise must not split the cache)."""
    return ThumbnailKey(digest, box[0], box[1], math.floor(dpr * 100 + 0.5) / 100)


class _Relay(QObject):
    """Carries a worker's result to the GUI thread (it lives there; emitting from a worker
    queues the call)."""

    done = Signal(object, object, str)


class _Decode(QRunnable):
    def __init__(
        self, key: ThumbnailKey, resolve: Callable[[str], Path | None], relay: _Relay
    ) -> None:
        super().__init__()
        self._key = key
        self._resolve = resolve
        self._relay = relay

    def run(self) -> None:
        try:
            image, reason = make_thumbnail(self._key, self._resolve(self._key.digest))
        except Exception as error:  # noqa: BLE001 - reported to the reader, never lost
            image, reason = None, f"the image could not be read ({error})"
        self._relay.done.emit(self._key, image, reason)
