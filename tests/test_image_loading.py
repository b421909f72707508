"""Figure image decoding against hostile and awkward files, all made here in tmp_path: each
is shown correctly or refused with a plain reason, quickly and in bounded memory."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QImageReader, QImageWriter

from desktop.ui.image_loading import (
    GREY_RAMP,
    LoadedImage,
    apply_table,
    load_image,
    sniff_format,
    to_greyscale_indexed,
)
from desktop.window_level import lookup_table
from tests.conftest import ROOT

# Every file here is small; a decode that hangs or balloons must fail fast. Image plugins
# need the application.
pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("qapp")]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int, colour_type: int = 2) -> bytes:
    """A valid PNG header declaring width×height, and a few bytes of compressed zeros."""
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096, 9))
        + png_chunk(b"IEND", b"")
    )


def gif(width: int, height: int, frames: list[int]) -> bytes:
    """A GIF whose frames are each one flat palette index, written uncompressed: 8-bit LZW
    codes that are all literals, with a clear code often enough that the code width never
    grows."""
    palette = bytearray(128 * 3)
    palette[3:6] = b"\xff\x00\x00"  # index 1: red
    palette[6:9] = b"\x00\x00\xff"  # index 2: blue
    out = b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF6, 0, 0) + bytes(palette)
    for index in frames:
        codes = bytearray()
        pixels = [index] * (width * height)
        for start in range(0, len(pixels), 100):
            codes += bytes([128, *pixels[start : start + 100]])
        codes.append(129)
        blocks = b"".join(
            bytes([len(codes[i : i + 255])]) + codes[i : i + 255] for i in range(0, len(codes), 255)
        )
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 0.1 s a frame
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x07" + blocks + b"\x00"
    return out + b"\x3b"


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an APP1 EXIF segment holding only the Orientation tag, after SOI."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def saved(image: QImage, path: Path, fmt: str, quality: int = -1) -> Path:
    assert image.save(str(path), fmt, quality), f"Qt could not write {fmt}"
    return path


def flat(width: int, height: int, colour: str) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    return image


def rgb(image: QImage, x: int, y: int) -> tuple[int, int, int]:
    colour = image.pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


def close_to(actual: tuple[int, int, int], expected: tuple[int, int, int], slack: int = 24) -> bool:
    return all(abs(a - e) <= slack for a, e in zip(actual, expected, strict=True))


def assert_refused(loaded: LoadedImage, reason: str) -> None:
    assert loaded.image is None
    assert loaded.reason == reason


def test_a_png_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(30000, 30000))
    assert path.stat().st_size < 2000
    loaded = load_image(path)
    assert_refused(loaded, "image too large (30000×30000)")
    assert (loaded.original_size.width(), loaded.original_size.height()) == (30000, 30000)
    assert load_image(path, max_side=128).reason == "image too large (30000×30000)"
    # SAFETY.md C10: the allocation limit stays Qt's default, never raised.
    assert 0 < QImageReader.allocationLimit() <= 256


def test_an_image_past_qts_allocation_limit_is_called_too_large(tmp_path: Path) -> None:
    """10000×10000 RGBA is inside the side cap but would need 400 MB: Qt would refuse it
    halfway; we say why before Qt is asked."""
    path = tmp_path / "big.png"
    path.write_bytes(png_bomb(10000, 10000, colour_type=6))
    assert_refused(load_image(path), "image too large (10000×10000)")


def test_the_png_bomb_stays_within_300_mb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(30000, 30000))
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtGui import QGuiApplication\n"
        "from desktop.ui.image_loading import load_image\n"
        "app = QGuiApplication([])\n"
        "for _ in range(3):\n"
        "    loaded = load_image(Path(sys.argv[1]))\n"
        "    assert loaded.image is None, loaded\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    peak_mb = int(result.stdout.split()[-1]) / 1024  # Linux reports kilobytes
    assert peak_mb < 300, peak_mb


def test_a_truncated_png_gives_a_reason(tmp_path: Path) -> None:
    whole = saved(flat(64, 48, "#336699"), tmp_path / "whole.png", "PNG").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[: len(whole) // 2])
    loaded = load_image(path)
    assert loaded.image is None
    assert loaded.reason is not None
    assert loaded.reason.startswith("damaged or incomplete image (")
    assert loaded.format == "png"


def test_a_header_alone_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "header.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    loaded = load_image(path)
    assert loaded.image is None
    assert loaded.reason is not None
    assert loaded.reason.startswith("damaged image (")


def test_text_named_png_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("Axial CT: hyperdense lesion.\n", encoding="utf-8")
    assert_refused(load_image(path), "not a raster image (text)")


@pytest.mark.parametrize("name", ["drawing.svg", "drawing.png"])
def test_svg_is_refused_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="file:///etc/passwd" width="10" height="10"/></svg>',
        encoding="utf-8",
    )
    assert_refused(load_image(path), "not a raster image (svg)")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the image file is empty"),
        (b"%PDF-1.7\n", "not a raster image (pdf)"),
        (b"<!DOCTYPE html><html></html>", "not a raster image (html)"),
        (b"\x1f\x8b\x08\x00rest", "not a raster image (compressed data)"),
        (bytes(range(256)), "not a raster image (unknown content)"),
    ],
    ids=["empty", "pdf", "html", "gzip", "binary"],
)
def test_other_content_is_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "figure.jpg"
    path.write_bytes(content)
    assert_refused(load_image(path), reason)


def test_missing_files_and_folders(tmp_path: Path) -> None:
    assert_refused(load_image(tmp_path / "gone.png"), "the image file is missing")
    assert_refused(load_image(tmp_path), "not an image file (a folder)")


def test_a_png_named_jpg_is_read_as_png(tmp_path: Path) -> None:
    path = saved(flat(8, 6, "#ff0000"), tmp_path / "figure.jpg", "PNG")
    loaded = load_image(path)
    assert loaded.format == "png"
    assert loaded.image is not None
    assert rgb(loaded.image, 0, 0) == (255, 0, 0)


def test_sixteen_bit_greyscale_becomes_eight_bit(tmp_path: Path) -> None:
    source = QImage(4, 2, QImage.Format.Format_Grayscale16)
    levels = np.array([0, 257 * 64, 257 * 200, 65535], dtype=np.uint16)
    for y in range(2):
        row = np.frombuffer(source.scanLine(y), dtype=np.uint16, count=4)
        row.setflags(write=True)
        row[:] = levels
    path = saved(source, tmp_path / "grey16.png", "PNG")
    assert QImageReader(str(path)).imageFormat() == QImage.Format.Format_Grayscale16
    loaded = load_image(path)
    assert loaded.image is not None
    assert loaded.image.format() == QImage.Format.Format_Grayscale8
    assert [loaded.image.pixelColor(x, 1).red() for x in range(4)] == [0, 64, 200, 255]


def test_sixteen_bit_rgb_becomes_eight_bit(tmp_path: Path) -> None:
    source = QImage(3, 3, QImage.Format.Format_RGBA64)
    source.fill(QColor(10, 200, 30))
    path = saved(source, tmp_path / "rgb16.png", "PNG")
    loaded = load_image(path)
    assert loaded.image is not None
    assert loaded.image.format() in {QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32}
    assert rgb(loaded.image, 1, 1) == (10, 200, 30)


def test_a_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    cmyk = getattr(QImage.Format, "Format_CMYK8888", None)
    if cmyk is None:
        pytest.skip("this Qt has no CMYK images (Qt < 6.8)")
    source = QImage(16, 16, cmyk)
    pixels = np.frombuffer(source.bits(), dtype=np.uint8).reshape(-1, 4)
    pixels[:] = (255, 0, 0, 0)  # C, M, Y, K in memory order: cyan
    path = tmp_path / "cmyk.jpg"
    if not source.save(str(path), "JPEG", 95):
        pytest.skip("this Qt cannot write CMYK JPEGs")
    assert QImageReader(str(path)).imageFormat() == cmyk
    loaded = load_image(path)
    assert loaded.image is not None
    assert loaded.image.format() == QImage.Format.Format_RGB32
    assert close_to(rgb(loaded.image, 8, 8), (0, 255, 255)), rgb(loaded.image, 8, 8)


def test_an_exif_rotated_photograph_is_shown_upright(tmp_path: Path) -> None:
    """Orientation 6: the camera was turned a quarter clockwise; the stored left edge is the
    picture's top."""
    source = QImage(40, 20, QImage.Format.Format_RGB32)
    source.fill(QColor("#0000ff"))
    for y in range(20):
        for x in range(20):
            source.setPixelColor(x, y, QColor("#ff0000"))
    plain = saved(source, tmp_path / "plain.jpg", "JPEG", 95).read_bytes()
    path = tmp_path / "rotated.jpg"
    path.write_bytes(with_exif_orientation(plain, 6))
    loaded = load_image(path)
    assert loaded.image is not None
    assert (loaded.image.width(), loaded.image.height()) == (20, 40)
    assert (loaded.original_size.width(), loaded.original_size.height()) == (20, 40)
    assert close_to(rgb(loaded.image, 10, 5), (255, 0, 0))
    assert close_to(rgb(loaded.image, 10, 35), (0, 0, 255))
    thumb = load_image(path, max_side=10)
    assert thumb.image is not None
    assert (thumb.image.width(), thumb.image.height()) == (5, 10)


def test_a_one_pixel_png(tmp_path: Path) -> None:
    loaded = load_image(saved(flat(1, 1, "#808080"), tmp_path / "dot.png", "PNG"))
    assert loaded.image is not None
    assert loaded.image.size().width() == loaded.image.size().height() == 1
    assert rgb(loaded.image, 0, 0) == (128, 128, 128)


def test_a_gif_shows_its_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "cine.gif"
    path.write_bytes(gif(30, 20, frames=[1, 2]))
    reader = QImageReader(str(path))
    assert reader.imageCount() == 2
    loaded = load_image(path)
    assert loaded.format == "gif"
    assert loaded.image is not None
    assert (loaded.image.width(), loaded.image.height()) == (30, 20)
    assert rgb(loaded.image, 15, 10) == (255, 0, 0)


@pytest.mark.parametrize("fmt", ["BMP", "WEBP", "TIFF"])
def test_other_raster_formats(tmp_path: Path, fmt: str) -> None:
    if fmt.lower().encode() not in [bytes(f.data()) for f in QImageWriter.supportedImageFormats()]:
        pytest.skip(f"this Qt cannot write {fmt}")
    path = saved(flat(64, 48, "#00ff00"), tmp_path / "figure.img", fmt, 100)
    loaded = load_image(path)
    assert loaded.format == fmt.lower()
    assert loaded.image is not None
    assert close_to(rgb(loaded.image, 6, 5), (0, 255, 0), slack=8)


def test_max_side_decodes_small_and_keeps_the_aspect(tmp_path: Path) -> None:
    path = saved(flat(2000, 1000, "#204060"), tmp_path / "wide.jpg", "JPEG")
    thumb = load_image(path, max_side=128)
    assert thumb.image is not None
    assert (thumb.image.width(), thumb.image.height()) == (128, 64)
    assert (thumb.original_size.width(), thumb.original_size.height()) == (2000, 1000)
    small = saved(flat(50, 40, "#204060"), tmp_path / "small.png", "PNG")
    unscaled = load_image(small, max_side=128).image
    assert unscaled is not None
    assert (unscaled.width(), unscaled.height()) == (50, 40)
    sliver = saved(flat(4000, 2, "#204060"), tmp_path / "sliver.png", "PNG")
    line = load_image(sliver, max_side=100).image
    assert line is not None
    assert (line.width(), line.height()) == (100, 1)


def test_sniffing_goes_by_content() -> None:
    assert sniff_format(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff_format(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert sniff_format(b"<svg") is None


def test_grey_images_become_indexed_with_the_grey_ramp(tmp_path: Path) -> None:
    source = QImage(5, 3, QImage.Format.Format_RGB32)  # odd width: rows are padded
    for x in range(5):
        for y in range(3):
            source.setPixelColor(x, y, QColor(x * 60, x * 60, x * 60))
    loaded = load_image(saved(source, tmp_path / "grey.png", "PNG"))
    assert loaded.image is not None
    indexed = to_greyscale_indexed(loaded.image)
    assert indexed is not None
    assert indexed.format() == QImage.Format.Format_Indexed8
    assert indexed.colorTable() == list(GREY_RAMP)
    assert [indexed.pixelIndex(x, 2) for x in range(5)] == [0, 60, 120, 180, 240]
    grey8 = loaded.image.convertToFormat(QImage.Format.Format_Grayscale8)
    again = to_greyscale_indexed(grey8)
    assert again is not None
    assert [again.pixelIndex(x, 1) for x in range(5)] == [0, 60, 120, 180, 240]


def test_colour_and_translucent_images_are_not_grey() -> None:
    colour = flat(4, 4, "#808080")
    colour.setPixelColor(3, 3, QColor(128, 129, 128))
    assert to_greyscale_indexed(colour) is None
    translucent = QImage(4, 4, QImage.Format.Format_ARGB32)
    translucent.fill(QColor(90, 90, 90, 255))
    assert to_greyscale_indexed(translucent) is not None
    translucent.setPixelColor(0, 0, QColor(90, 90, 90, 10))
    assert to_greyscale_indexed(translucent) is None
    assert to_greyscale_indexed(QImage()) is None


def test_a_table_applies_to_each_colour_channel_and_keeps_alpha() -> None:
    source = QImage(3, 2, QImage.Format.Format_ARGB32)
    source.fill(QColor(10, 100, 250, 77))
    target = QImage(source.size(), source.format())
    apply_table(source, lookup_table(127.5, 255, invert=True), target)
    colour = target.pixelColor(2, 1)
    assert (colour.red(), colour.green(), colour.blue(), colour.alpha()) == (245, 155, 5, 77)
    opaque = flat(3, 2, "#0a64fa")
    out = QImage(opaque.size(), opaque.format())
    apply_table(opaque, lookup_table(127.5, 255, invert=True), out)
    assert rgb(out, 0, 0) == (245, 155, 5)
    # RGB32 keeps its fourth byte 0xff, as Qt requires (pixelColor would not show it).
    raw = np.frombuffer(out.constBits(), dtype=np.uint8, count=out.sizeInBytes())
    assert set(raw.reshape(-1, 4)[:, 3 if sys.byteorder == "little" else 0]) == {255}


def test_a_table_maps_every_level_of_every_channel() -> None:
    source = QImage(256, 3, QImage.Format.Format_RGB32)
    for x in range(256):
        source.setPixelColor(x, 0, QColor(x, 0, 0))
        source.setPixelColor(x, 1, QColor(0, x, 0))
        source.setPixelColor(x, 2, QColor(0, 0, x))
    table = lookup_table(90, 60)
    out = QImage(source.size(), source.format())
    apply_table(source, table, out)
    assert [out.pixelColor(x, 0).red() for x in range(256)] == list(table)
    assert [out.pixelColor(x, 1).green() for x in range(256)] == list(table)
    assert [out.pixelColor(x, 2).blue() for x in range(256)] == list(table)
    assert {out.pixelColor(x, 2).red() for x in range(256)} == {table[0]}
