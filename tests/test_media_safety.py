"""The media promises (GUIDE.md: "Images are stored once by content hash; backups stay small
and a restored backup still shows every figure it had") under backups, rotation, sweeps and
hostile data sets.

The crash (SIGKILL mid-import), full-disk and migration versions of these promises live
with their harnesses in test_crash.py, test_disk_full.py and test_migrations.py; the data
sets they import are made here (`write_many_cases`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import struct
import time
import zlib
from pathlib import Path

import pytest

from desktop.importer import import_paths
from desktop.model import Case
from desktop.store.library import Library
from desktop.store.media import MediaStore, media_folder, names_in, sweep_library
from tests.test_import_figures import write_data_set
from tests.test_media import png

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


# --- synthetic data sets -------------------------------------------------------------------


def noisy_png(width: int, height: int, seed: int) -> bytes:
    """A valid greyscale PNG of random pixels: it does not compress, so its size on disk is
    about width × height bytes (what the full-disk tests need)."""
    rng = random.Random(seed)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + rng.randbytes(width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def small_png(n: int) -> bytes:
    """The n-th of many small PNGs, each with bytes of its own (its size says n)."""
    return png(2 + n % 64, 2 + n // 64, n % 251)


def write_many_cases(
    folder: Path, count: int, images_per_case: int = 2, image: object = small_png
) -> dict[str, list[bytes]]:
    """A MedPix 2.0 folder of `count` cases, each with `images_per_case` images of distinct
    bytes (`image(n)` makes the n-th), built from `write_data_set`'s one case.

    Returns:
        Each case's key ("medpix:MPX…") with its images' bytes, in figure order.
    """
    make = image if callable(image) else small_png
    write_data_set(folder, images={f"MPX9001_{n}": None for n in range(images_per_case)})
    (template,) = json.loads((folder / "Case_topic.json").read_text(encoding="utf-8"))
    descriptions = json.loads((folder / "Descriptions.json").read_text(encoding="utf-8"))
    cases, described, expected = [], [], {}
    for number in range(count):
        uid = f"MPX{10000 + number}"
        ids = [f"{uid}_{n}" for n in range(images_per_case)]
        case = json.loads(json.dumps(template))
        case["U_id"] = uid
        case["TAC"], case["MRI"] = ids[:1], ids[1:]
        case["Case"]["Title"] = f"Choledochal cyst number {number}"
        cases.append(case)
        images = []
        for n, (image_id, description) in enumerate(zip(ids, descriptions, strict=True)):
            entry = json.loads(json.dumps(description))
            entry["U_id"], entry["image"] = uid, image_id
            described.append(entry)
            data = make(number * images_per_case + n)
            (folder / "images" / f"{image_id}.png").write_bytes(data)
            images.append(data)
        expected[f"medpix:{uid}"] = images
    (folder / "Case_topic.json").write_text(json.dumps(cases), encoding="utf-8")
    (folder / "Descriptions.json").write_text(json.dumps(described), encoding="utf-8")
    return expected


def age_media(folder: Path, days: float) -> None:
    """Makes every file in a media folder (temporaries too) `days` old."""
    moment = time.time() - days * 86400
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (moment, moment))


def named_images(path: Path) -> set[str]:
    import sqlite3

    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return names_in(conn)
    finally:
        conn.close()


def dir_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- a sweep while an import runs ------------------------------------------------------------


def test_an_import_reusing_an_old_orphan_keeps_it_from_a_sweep_before_its_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image kept long ago that nothing names now (its case was re-imported with another
    image, or an import was killed before its commit) is named again by a new import. The
    import finds the file already kept; a sweep (the app's daily backup, another process)
    that runs before the import commits must not delete it, or the case would name an
    image that is not on disk."""
    folder = tmp_path / "set"
    expected = write_many_cases(folder, 3)
    path = tmp_path / "lib" / "library.db"
    path.parent.mkdir()
    store = MediaStore(media_folder(path))
    for images in expected.values():
        for data in images:
            store.put(data)  # kept by an import killed before its commit, two days ago
    age_media(store.folder, 2)
    lost: list[str] = []
    real_store_case = Library.store_case

    def sweep_then_store(self: Library, case: Case, *args: object, **kwargs: object) -> object:
        # Between the case's images' put and its commit. (Images of cases the reader has
        # not reached yet may go: it writes them again.)
        gone = {p.name for p in sweep_library(self.path)}
        lost.extend(f.image for f in case.figures if f.image in gone)
        return real_store_case(self, case, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Library, "store_case", sweep_then_store)
    with Library.open(path) as library:
        report = import_paths(library, [folder])
        assert (report.imported, report.failed) == (3, [])
        assert lost == []
        assert library.media_problems() == []
    # Once named, and older than the grace, they stay; unnamed again, they go.
    monkeypatch.undo()
    age_media(store.folder, 2)
    assert sweep_library(path) == []
