"""What an image file is, from its first bytes: format and size in pixels (no Qt, no decoding).

The importer reads this before it keeps a figure's image, so a file that is not a raster
image (a text file named .png, an SVG drawing, a PDF) is refused with a reason, and a
figure records its size without the image being decoded. Decoding, with its own limits,
happens only when an image is shown (`desktop.ui.image_loading`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["ImageInfo", "NotAnImage", "image_info"]


class NotAnImage(ValueError):
    """Bytes that are not a raster image Lightbox shows; the message says what they are."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """A raster image's format ("png", "jpeg", "gif", "bmp", "webp", "tiff") and size (None
    when its header does not say, or says nonsense)."""

    format: str
    width: int | None
    height: int | None


#: First bytes of files that are often mistaken for images, and what to call them.
_OTHER_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x7fELF", "a program"),
    (b"DICM", "a DICOM file"),
)


def image_info(data: bytes) -> ImageInfo:
    """The format and size of the image in `data`.

    Raises:
        NotAnImage: `data` is empty, or not a PNG, JPEG, GIF, BMP, WebP or TIFF image.
    """
    if not data:
        raise NotAnImage("the file is empty")
    head = data[:32]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if head.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack_from("<HH", data, 6) if len(data) >= 10 else (0, 0)
        return _sized("gif", width, height)
    if head.startswith(b"BM") and len(data) >= 26:
        if struct.unpack_from("<I", data, 14)[0] == 12:  # OS/2 1.x header: 16-bit sizes
            width, height = struct.unpack_from("<HH", data, 18)
        else:
            width, height = struct.unpack_from("<ii", data, 18)
        return _sized("bmp", width, abs(height))
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(data)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return ImageInfo("tiff", None, None)
    if data[:4096].lstrip().lower().startswith((b"<?xml", b"<svg", b"<!doctype svg")) and (
        b"<svg" in data[:4096].lower()
    ):
        raise NotAnImage("an SVG drawing, not a raster image (drawings are not shown)")
    for magic, kind in _OTHER_KINDS:
        if data.startswith(magic) or (magic == b"DICM" and data[128:132] == magic):
            raise NotAnImage(f"{kind}, not an image")
    raise NotAnImage("not an image Lightbox shows (PNG, JPEG, GIF, BMP, WebP or TIFF)")


def _sized(kind: str, width: int, height: int) -> ImageInfo:
    if width <= 0 or height <= 0:
        return ImageInfo(kind, None, None)
    return ImageInfo(kind, width, height)


def _png(data: bytes) -> ImageInfo:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise NotAnImage("a damaged PNG (no image header)")
    width, height = struct.unpack_from(">II", data, 16)
    return _sized("png", width, height)


def _jpeg(data: bytes) -> ImageInfo:
    """Walks the JPEG's segments to its frame header (SOF), which holds the size."""
    position = 2
    while position + 9 <= len(data):
        if data[position] != 0xFF:
            position += 1  # fill bytes between segments
            continue
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack_from(">H", data, position + 2)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack_from(">HH", data, position + 5)
            return _sized("jpeg", width, height)
        if marker == 0xDA or length < 2:  # image data before any frame header: no size
            break
        position += 2 + length
    return ImageInfo("jpeg", None, None)


def _webp(data: bytes) -> ImageInfo:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return _sized("webp", width, height)
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return _sized("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack_from("<HH", data, 26)
        return _sized("webp", width & 0x3FFF, height & 0x3FFF)
    return ImageInfo("webp", None, None)
