"""Figure images in the media folder: stored once by hash, checked, swept only when nothing
(library, earlier case text, backup, other library beside it) names them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import hashlib
import os
import struct
import time
import zlib
from pathlib import Path

import pytest

from desktop.image_info import ImageInfo, NotAnImage, image_info
from desktop.model import Case, Figure
from desktop.store import backup, media
from desktop.store.errors import StorageUnavailable
from desktop.store.library import Library
from desktop.store.media import (
    SWEEP_GRACE,
    MediaStore,
    media_folder,
    names_around,
    sweep_library,
)

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def png(width: int, height: int, colour: int = 0) -> bytes:
    """A valid greyscale PNG of the given size (one flat colour)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([colour]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a JPEG up to its frame header (enough for `image_info`)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xda"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(512, 300), ImageInfo("png", 512, 300)),
        (jpeg_header(640, 480), ImageInfo("jpeg", 640, 480)),
        (b"GIF89a" + struct.pack("<HH", 20, 10) + b"\x00" * 8, ImageInfo("gif", 20, 10)),
        (
            b"BM" + b"\x00" * 16 + struct.pack("<ii", 30, -40) + b"\x00" * 8,
            ImageInfo("bmp", 30, 40),
        ),
        # An OS/2 bitmap: a 12-byte header with 16-bit sizes.
        (
            b"BM" + b"\x00" * 12 + struct.pack("<IHH", 12, 40, 30) + b"\x00" * 8,
            ImageInfo("bmp", 40, 30),
        ),
        (b"II*\x00" + b"\x00" * 20, ImageInfo("tiff", None, None)),
        # A PNG declaring a nonsense size still is a PNG: its size is not trusted.
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 8,
            ImageInfo("png", None, None),
        ),
    ],
)
def test_image_info_reads_format_and_size_from_the_header(data: bytes, expected: ImageInfo) -> None:
    assert image_info(data) == expected


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"Clinical History\nA 40-year-old man.", "not an image"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"<svg onload='x'></svg>", "SVG"),
        (b"%PDF-1.7\n", "PDF"),
        (b"PK\x03\x04rest", "zip"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "damaged PNG"),
    ],
)
def test_image_info_refuses_what_is_not_a_raster_image(data: bytes, words: str) -> None:
    with pytest.raises(NotAnImage, match=words):
        image_info(data)


def test_put_keeps_each_image_once_under_its_hash(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    data = png(4, 4)
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.put(data) == digest
    assert [p.name for p in store.files()] == [digest]
    assert store.path(digest).read_bytes() == data
    assert store.problem(digest) is None
    # One folder, the image in it under its hash: nothing else, no temporary left behind.
    assert [p.name for p in store.folder.iterdir()] == [digest]


def test_put_replaces_a_damaged_file_whole(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    data = png(4, 4, 9)
    digest = store.put(data)
    store.path(digest).write_bytes(data[:20])  # cut short, by a crash or a bad disk
    old = store.path(digest).stat().st_ino
    assert store.put(data) == digest
    assert store.problem(digest) is None
    # A new file renamed over the damaged one (a window showing it meanwhile reads one or
    # the other, never a file being written); its temporary is gone.
    assert store.path(digest).stat().st_ino != old
    assert list((store.folder / "tmp").iterdir()) == []


def test_on_windows_an_image_held_open_by_another_writer_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows replaces no file another writer holds open: the same image being written by
    another thread or process. The write waits for it rather than stopping the import."""
    store = MediaStore(tmp_path / "media")
    data = png(4, 4, 5)
    digest = store.put(data)
    store.path(digest).write_bytes(data[:30])  # what the other writer has written so far
    real_replace = os.replace
    tries = []

    def held_open_twice(source: Path, target: Path) -> None:
        tries.append(source)
        if len(tries) <= 2:
            raise PermissionError(13, "Access is denied")
        real_replace(source, target)

    monkeypatch.setattr(media, "_WINDOWS", True)
    monkeypatch.setattr(media, "_REPLACE_WAIT", 0.001)
    monkeypatch.setattr(os, "replace", held_open_twice)
    assert store.put(data) == digest
    assert len(tries) == 3 and store.problem(digest) is None
    monkeypatch.setattr(media, "_WINDOWS", False)  # elsewhere: a real permission problem
    store.path(digest).write_bytes(data[:30])
    tries.clear()
    with pytest.raises(StorageUnavailable, match="Access is denied"):
        store.put(data)
    assert len(tries) == 1


def test_a_write_that_fails_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MediaStore(tmp_path / "media")
    store.folder.mkdir()
    real_write = os.write

    def half_then_full(fd: int, data: object) -> int:
        monkeypatch.setattr(os, "write", real_write)
        real_write(fd, bytes(memoryview(data))[:10])  # type: ignore[arg-type]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(StorageUnavailable, match="disk full"):
        store.put(png(4, 4, 3))
    assert list(store.folder.iterdir()) == []


def test_problem_names_a_missing_or_damaged_file(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    digest = store.put(png(2, 2))
    other = hashlib.sha256(b"never stored").hexdigest()
    assert "missing" in (store.problem(other) or "")
    store.path(digest).write_bytes(b"flipped bytes")
    assert "damaged" in (store.problem(digest) or "")
    assert "not an image hash" in (store.problem("../../etc/passwd") or "")
    with pytest.raises(ValueError):
        store.path("../x")


def figured(case: Case, *digests: str | None) -> Case:
    figures = tuple(
        Figure(f"Figure {n}", f"Legend {n}", digest, width=2, height=2)
        for n, digest in enumerate(digests, start=1)
    )
    return dataclasses.replace(case, figures=figures)


def a_case(source_id: str = "1") -> Case:
    return Case(
        source="test",
        source_id=source_id,
        title="Pancreatic head mass",
        clinical_history="Painless jaundice.",
        imaging_findings="A low-density mass.",
        final_diagnosis="Pancreatic adenocarcinoma",
    )


def age(path: Path, days: float) -> None:
    moment = time.time() - days * 86400
    os.utime(path, (moment, moment))


def test_sweep_deletes_only_old_files_nothing_names(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with Library.open(path) as library:
        kept = library.media.put(png(3, 3, 1))
        orphan = library.media.put(png(3, 3, 2))
        fresh_orphan = library.media.put(png(3, 3, 3))
        library.store_case(figured(a_case(), kept))
        for digest in (kept, orphan):
            age(library.media.path(digest), 3)
        # A temporary a crash left, old enough to go.
        stale = library.media.folder / "tmp" / "x.1.tmp"
        stale.parent.mkdir()
        stale.write_bytes(b"half")
        age(stale, 3)
        removed = sweep_library(path)
        assert sorted(p.name for p in removed) == sorted([orphan, "x.1.tmp"])
        assert library.media.has(kept)
        assert library.media.has(fresh_orphan)  # younger than the grace: an import's, maybe
        assert SWEEP_GRACE >= dt.timedelta(hours=1)


def test_a_backup_keeps_its_images_and_a_restore_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with Library.open(path) as library:
        first = library.media.put(png(5, 5, 7))
        library.store_case(figured(a_case(), first))
        library.backup("manual", NOW)
        second = library.media.put(png(5, 5, 8))
        library.store_case(figured(a_case(), second))  # the figure's image replaced
        age(library.media.path(first), 3)
        # Kept: the backup names it (and so does the case's earlier text, a version).
        assert sweep_library(path) == []
        assert library.media.has(first)
        assert first in (names_around(path) or set())
    # With the version gone too, only the backup still names the first image.
    with Library.open(path) as library:
        library._conn.execute("DELETE FROM case_versions")
        library._conn.commit()
    assert sweep_library(path) == []
    taken = backup.list_backups(path)[0].path
    with Library.open(path) as library:
        library.restore_from(taken)
        case = library.get_case(library.resolve("test:1"))
        assert case is not None and case.figures[0].image == first
        assert library.image_path(first) is not None
        assert library.check() == []


def test_an_unreadable_library_beside_it_stops_the_sweep(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with Library.open(path) as library:
        orphan = library.media.put(png(3, 3, 4))
        age(library.media.path(orphan), 3)
    # A SQLite file (by its first bytes) that cannot be read: what does it need? Unknown.
    (tmp_path / "other.lightbox").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert names_around(path) is None
    assert sweep_library(path) == []
    assert MediaStore(media_folder(path)).has(orphan)


def test_check_reports_missing_and_damaged_images_by_case(tmp_path: Path) -> None:
    with Library.open(tmp_path / "library.db") as library:
        good = library.media.put(png(2, 2, 1))
        damaged = library.media.put(png(2, 2, 2))
        gone = library.media.put(png(2, 2, 3))
        library.store_case(figured(a_case("1"), good, damaged))
        library.store_case(figured(a_case("2"), gone, None))
        assert library.media_problems() == []
        library.media.path(damaged).write_bytes(b"\x89PNG garbage")
        library.media.path(gone).unlink()
        assert library.check() == []  # the database is sound: writes go on
        problems = library.media_problems()
        assert len(problems) == 2
        assert any("damaged" in p and "test:1" in p for p in problems)
        assert any("missing" in p and "test:2" in p for p in problems)
        assert library.image_path(gone) is None
        assert library.image_path(good) == library.media.path(good)


def test_keeping_an_image_again_repairs_a_damaged_copy(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    data = png(6, 6, 9)
    digest = store.put(data)
    damaged = bytearray(data)
    damaged[-20] ^= 0xFF  # same size, one byte flipped
    store.path(digest).write_bytes(bytes(damaged))
    assert "damaged" in (store.problem(digest) or "")
    assert store.put(data) == digest
    assert store.problem(digest) is None
