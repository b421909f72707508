"""Decodes stored figure images safely for thumbnails and the figure viewer, and prepares
them for window/level.

A figure file comes from whatever a case package held, so it is treated as hostile: its
format is decided by its first bytes (never its name), only raster formats are decoded (an
SVG could reference other files and costs unbounded work to draw), its declared size is
checked before a single pixel is decoded, and Qt's own 256 MB allocation limit stays as Qt
sets it. Everything here is safe to run on a worker thread (QImage, never QPixmap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader, qRgb

if TYPE_CHECKING:
    import numpy as np

#: The longest side and the most pixels a figure may declare; larger ones are refused
#: before decoding (the PNG bomb of SAFETY.md C10 declares 30000×30000 in 109 KB). Qt's
#: allocation limit (256 MB, never raised) refuses more: 67 megapixels at 32 bits.
MAX_SIDE = 16384
MAX_PIXELS = 100_000_000
#: How many bytes decide the format.
_SNIFF_BYTES = 512
#: Magic numbers of the raster formats we decode, in the names QImageReader knows.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)
#: How many byte pairs apply_table maps at a time (512 KB of pixels, 2 MB of indices).
_PAIRS_A_SLICE = 1 << 18
#: The grey ramp an Indexed8 grey image starts with: window/level replaces only this table.
GREY_RAMP: tuple[int, ...] = tuple(qRgb(v, v, v) for v in range(256))


@dataclass(frozen=True)
class LoadedImage:
    """A decoded figure, or the reason it is not shown.

    Attributes:
        image: The picture (8-bit: Grayscale8, RGB32 or ARGB32, upright), or None.
        reason: Why there is no picture, in plain words ("image too large (30000×30000)").
        original_size: The size the file declares, upright (invalid when unknown).
        format: The format found in the file's content ("png"), or "" when none was.
    """

    image: QImage | None
    reason: str | None
    original_size: QSize
    format: str = ""


def load_image(path: Path, *, max_side: int | None = None) -> LoadedImage:
    """Decodes one figure image, never raising for anything the file holds.

    Args:
        path: The image file.
        max_side: Decode scaled down (aspect kept) so neither side exceeds this; for
            thumbnails. None decodes at full size.

    Returns:
        The image, or None with the reason.
    """
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except FileNotFoundError:
        return _refused("the image file is missing")
    except IsADirectoryError:
        return _refused("not an image file (a folder)")
    except OSError as error:
        return _refused(f"the image file cannot be read ({error.strerror or error})")
    if not head:
        return _refused("the image file is empty")
    kind = sniff_format(head)
    if kind is None:
        return _refused(f"not a raster image ({_describe_unknown(path, head)})")
    supported = {bytes(name.data()).decode() for name in QImageReader.supportedImageFormats()}
    if kind not in supported:
        return _refused(f"{kind} images cannot be read on this system", kind=kind)
    reader = QImageReader(str(path), kind.encode())
    reader.setDecideFormatFromContent(False)
    reader.setAutoTransform(True)
    size = reader.size()
    if not size.isValid() or size.isEmpty():
        return _refused(f"damaged image ({_plain(reader.errorString())})", kind=kind)
    upright = size.transposed() if _rotated(reader) else size
    if _too_large(size):
        return _refused(f"image too large ({upright.width()}×{upright.height()})", upright, kind)
    if max_side is not None and max(size.width(), size.height()) > max_side:
        # Scaling happens before the EXIF turn, so the file's own orientation is scaled.
        reader.setScaledSize(fitted_size(size, max_side))
    image = reader.read()
    if image.isNull():
        return _refused(
            f"damaged or incomplete image ({_plain(reader.errorString())})", upright, kind
        )
    return LoadedImage(_displayable(image), None, upright, kind)


def sniff_format(head: bytes) -> str | None:
    """The raster format the first bytes of a file announce, or None."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def to_greyscale_indexed(image: QImage) -> QImage | None:
    """An Indexed8 copy of an all-grey image whose colour table is the grey ramp, or None.

    Window/level on the copy is then one setColorTable() with 256 entries: no pixel is
    touched. Images with any coloured pixel, or any not fully opaque, give None.
    """
    if image.isNull():
        return None
    if image.format() != QImage.Format.Format_Grayscale8:
        if image.hasAlphaChannel() and not _opaque(image):
            return None
        if not image.allGray():
            return None
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    indexed = QImage(image.size(), QImage.Format.Format_Indexed8)
    if indexed.isNull():
        return None
    indexed.setColorTable(list(GREY_RAMP))
    # Both formats hold one byte a pixel with rows padded alike: copy the bytes as they are.
    target = _bytes_view(indexed)
    target[:] = _bytes_view(image, writable=False)
    return indexed


def apply_table(source: QImage, table: bytes, target: QImage) -> None:
    """Writes `source` through a 256-entry table, per colour channel, into `target`.

    Both are RGB32 or ARGB32 (as load_image gives) of the same size and format; alpha is
    kept. Vectorised with numpy and no per-pixel Python: the bytes are read in pairs through
    a 65536-entry table (both bytes mapped at once), a slice at a time so the index
    conversion numpy makes stays small; nothing the size of the image is allocated (target
    is reused).
    """
    import numpy as np

    lut = np.frombuffer(table, dtype=np.uint8).astype(np.uint16)
    pairs_table = (lut[None, :] | (lut[:, None] << 8)).ravel()  # [lo | hi << 8] → mapped
    pixels = _bytes_view(source, writable=False)
    out = _bytes_view(target)
    source_pairs = pixels.view(np.uint16)
    out_pairs = out.view(np.uint16)
    for start in range(0, source_pairs.size, _PAIRS_A_SLICE):
        stop = start + _PAIRS_A_SLICE
        # Every uint16 is a valid index: "clip" skips numpy's bounds check.
        np.take(pairs_table, source_pairs[start:stop], out=out_pairs[start:stop], mode="clip")
    # The alpha byte (0xff in RGB32, which Qt requires stay so) is copied, not mapped.
    alpha = _alpha_index()
    out.reshape(-1, 4)[:, alpha] = pixels.reshape(-1, 4)[:, alpha]


def colour_table(table: bytes) -> list[int]:
    """The Indexed8 colour table that shows grey level x as `table[x]`."""
    return [qRgb(v, v, v) for v in table]


def _bytes_view(image: QImage, *, writable: bool = True) -> np.ndarray:
    """The image's bytes, rows padded as Qt keeps them; read-only ones never detach it."""
    import numpy as np

    data = image.bits() if writable else image.constBits()
    return np.frombuffer(data, dtype=np.uint8, count=image.sizeInBytes())


def _alpha_index() -> int:
    import sys

    return 3 if sys.byteorder == "little" else 0


def _opaque(image: QImage) -> bool:
    """Whether every pixel of a 32-bit ARGB image is fully opaque."""
    import numpy as np

    if image.format() != QImage.Format.Format_ARGB32:
        image = image.convertToFormat(QImage.Format.Format_ARGB32)
    view = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return bool((view.reshape(-1, 4)[:, _alpha_index()] == 255).all())


def _displayable(image: QImage) -> QImage:
    """8 bits a channel in one of three formats: Grayscale8, RGB32, or ARGB32."""
    fmt = image.format()
    if fmt == QImage.Format.Format_Grayscale8:
        return image
    if fmt == QImage.Format.Format_Grayscale16:
        return image.convertToFormat(QImage.Format.Format_Grayscale8)
    # CMYK (Qt ≥ 6.8), 16-bit and float RGB, indexed and mono all become 8-bit RGB.
    target = QImage.Format.Format_ARGB32 if image.hasAlphaChannel() else QImage.Format.Format_RGB32
    return image if fmt == target else image.convertToFormat(target)


def _too_large(size: QSize) -> bool:
    """Whether a declared size is past our caps, or past what Qt would allocate for it as
    the 32-bit image we display (so the reader gets "too large", not a decoding error)."""
    pixels = size.width() * size.height()
    if max(size.width(), size.height()) > MAX_SIDE or pixels > MAX_PIXELS:
        return True
    limit_mb = QImageReader.allocationLimit()
    return limit_mb > 0 and pixels * 4 > limit_mb * 1024 * 1024


def _rotated(reader: QImageReader) -> bool:
    turn = QImageIOHandler.Transformation.TransformationRotate90
    return bool(reader.transformation() & turn)


def _describe_unknown(path: Path, head: bytes) -> str:
    """A word for what a file that is not a raster image seems to be ("svg", "text")."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text or (text.startswith(b"<?xml") and b"svg" in text):
        return "svg"
    if head.startswith(b"\x1f\x8b"):
        return "compressed data"
    if head.startswith(b"%PDF"):
        return "pdf"
    if text.startswith((b"<!doctype html", b"<html")):
        return "html"
    if text.startswith(b"<"):
        return "xml"
    reader = QImageReader(str(path))
    reader.setDecideFormatFromContent(True)
    found = bytes(reader.format().data()).decode("ascii", "replace")
    if found:
        return found
    if _looks_like_text(head):
        return "text"
    return "unknown content"


def _looks_like_text(head: bytes) -> bool:
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n" for ch in decoded)


def _plain(message: str) -> str:
    """Qt's reader message in lower case ("Unable to read image data" → "unable to ...")."""
    message = message.strip().rstrip(".")
    if message.lower() in {"", "unknown error"}:
        return "the decoder could not read it"
    return message[:1].lower() + message[1:] if message else "unknown error"


def _refused(reason: str, size: QSize | None = None, kind: str = "") -> LoadedImage:
    return LoadedImage(None, reason, size if size is not None else QSize(), kind)


def fitted_size(size: QSize, max_side: int) -> QSize:
    """`size` scaled down (never up) so neither side exceeds `max_side`, aspect kept."""
    if max(size.width(), size.height()) <= max_side:
        return QSize(size)
    ratio = max_side / max(size.width(), size.height())
    return QSize(
        max(1, math.floor(size.width() * ratio)), max(1, math.floor(size.height() * ratio))
    )
