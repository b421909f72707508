"""The media promises (GUIDE.md: "Images are stored once by content hash; backups stay small
and a restored backup still shows every figure it had") under backups, rotation, sweeps and
hostile data sets.

The crash (SIGKILL mid-import), full-disk and migration versions of these promises live
with their harnesses in test_crash.py, test_disk_full.py and test_migrations.py; the data
sets they import are made here (`write_many_cases`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import struct
import time
import zlib
from pathlib import Path

import pytest

from desktop.formats import medpix2
from desktop.importer import import_paths
from desktop.library_setup import recover_from_backup
from desktop.model import Case
from desktop.store import backup
from desktop.store.backup import Retention
from desktop.store.library import Library
from desktop.store.media import SWEEP_GRACE, MediaStore, media_folder, names_in, sweep_library
from tests.test_import_figures import write_data_set
from tests.test_media import png
from tests.tools import MEDPIX_DATA, needs_shared

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


# --- hostile data sets -----------------------------------------------------------------------


def png_bomb_header(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose header declares a huge image (SAFETY C10: 30000 × 30000, decoded ~900 MB
    or more), with a few rows of data only: what matters is what it claims."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="x()"></svg>'


@pytest.mark.timeout(60)  # a FIFO opened for reading would block until then
def test_hostile_images_leave_their_figures_missing_and_write_nothing(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each hostile image: the case is imported, its figure kept with its legend and the
    reason it has no image, the report warns, and nothing of it reaches the media folder."""
    good = png(6, 6, 33)
    oversized = noisy_png(40, 40, 1)  # ~1.7 KB: over the cap set below
    ids = ["MPX9001_good", "MPX9001_link", "MPX9001_big", "MPX9001_fifo", "MPX9001_svg"]
    ids += ["MPX9001_bomb", "../outside"]
    folder = write_data_set(
        tmp_path / "medpix",
        images={
            "MPX9001_good": good,
            "MPX9001_link": None,
            "MPX9001_big": oversized,
            "MPX9001_fifo": None,
            "MPX9001_svg": SVG,
            "MPX9001_bomb": png_bomb_header(),
            "../outside": None,
        },
    )
    images = folder / "images"
    (images / "MPX9001_link.png").symlink_to("/etc/passwd")
    os.mkfifo(images / "MPX9001_fifo.png")
    outside = png(7, 7, 99)  # where "images/../outside.png" leads: must not be read
    (folder / "outside.png").write_bytes(outside)
    monkeypatch.setattr(medpix2, "MAX_IMAGE_BYTES", 1024)
    started = time.monotonic()
    report = import_paths(library, [folder])
    took = time.monotonic() - started
    assert (report.imported, report.failed) == (1, [])
    case = library.get_case(library.resolve("medpix:MPX9001"))
    assert case is not None
    by_caption = {f.legend.split(":")[0].removeprefix("Caption of "): f for f in case.figures}
    assert sorted(by_caption) == sorted(ids)
    assert by_caption["MPX9001_good"].missing is None
    assert by_caption["MPX9001_good"].image == hashlib.sha256(good).hexdigest()
    reasons = {image_id: by_caption[image_id].missing for image_id in ids[1:]}
    print(f"\nhostile images imported in {took:.2f} s; reasons:")
    for image_id, reason in reasons.items():
        print(f"  {image_id}: {reason}")
    for image_id, reason in reasons.items():
        figure = by_caption[image_id]
        assert reason and figure.image is None and figure.legend, image_id
        named = (figure.label, repr(image_id))  # a refused id: the format's own warning
        assert any(n in m for _name, m in report.warnings for n in named), image_id
    assert "symbolic link" in (reasons["MPX9001_link"] or "").lower()
    assert "too large" in (reasons["MPX9001_big"] or "")
    assert "not a regular file" in (reasons["MPX9001_fifo"] or "")
    assert "SVG" in (reasons["MPX9001_svg"] or "")
    assert "too large" in (reasons["MPX9001_bomb"] or "")
    assert "not a file name" in (reasons["../outside"] or "")
    # Nothing but the good image was written; no temporary either.
    good_name = hashlib.sha256(good).hexdigest()
    assert [p.name for p in library.media.folder.iterdir()] == [good_name]
    secret = Path("/etc/passwd").read_bytes()
    for data in (secret, oversized, SVG, png_bomb_header(), outside):
        assert not library.media.has(hashlib.sha256(data).hexdigest())
    assert library.media_problems() == []
    assert library.check() == []


def test_put_never_fails_because_a_sweep_deletes_the_file_it_found(tmp_path: Path) -> None:
    """A sweep in another process may delete an unnamed old file while `put` looks at it:
    `put` then writes it again, it never fails (it used to raise StorageUnavailable, "No
    such file or directory", stopping the import)."""
    import threading

    store = MediaStore(tmp_path / "media")
    data = png(5, 5, 5)
    digest = store.put(data)
    failures: list[BaseException] = []
    stop = threading.Event()

    def sweeper() -> None:
        while not stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                moment = time.time() - 3 * 86400
                os.utime(store.path(digest), (moment, moment))
            store.sweep(set())

    thread = threading.Thread(target=sweeper, daemon=True)
    thread.start()
    try:
        for _ in range(3000):
            try:
                assert store.put(data) == digest
            except Exception as error:  # noqa: BLE001 - counted, then reported
                failures.append(error)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert failures == [], f"{len(failures)} puts failed, e.g. {failures[0]!r}"
    store.put(data)
    assert store.problem(digest) is None


# --- backups stay small; a restored backup shows its figures -----------------------------------


def figures_resolve(path: Path) -> int:
    """Opens a library and asserts every figure of every case has its image on disk, with
    its bytes; returns how many figures there are."""
    count = 0
    with Library.open(path, create=False) as library:
        for case_id in library.case_ids():
            case = library.get_case(case_id)
            assert case is not None
            for figure in case.figures:
                assert figure.image is not None and figure.missing is None, case.key
                assert library.image_path(figure.image) is not None, (case.key, figure.label)
                assert library.media.problem(figure.image) is None
                count += 1
        assert library.media_problems() == []
    return count


@needs_shared(MEDPIX_DATA)
def test_a_backup_of_the_medpix_cases_is_small_and_its_restore_shows_every_figure(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lib" / "library.db"
    path.parent.mkdir()
    with Library.open(path) as library:
        report = import_paths(library, [MEDPIX_DATA])
        assert (report.imported, report.failed) == (40, [])
        taken = library.backup("manual", NOW)
    media_bytes = dir_size(media_folder(path))
    backup_bytes = taken.stat().st_size
    print(
        f"\nMedPix 40 cases: backup {backup_bytes / 1e6:.2f} MB, media folder"
        f" {media_bytes / 1e6:.2f} MB ({len(list(MediaStore(media_folder(path)).files()))}"
        f" files), ratio 1/{media_bytes / backup_bytes:.0f}"
    )
    assert backup_bytes < media_bytes / 5
    # A new library restored from the backup, beside the same media folder.
    restored = path.with_name("restored.db")
    recover_from_backup(restored, taken).close()
    assert figures_resolve(restored) == 120


def test_rotation_then_sweep_removes_only_what_the_rotated_backup_alone_named(
    tmp_path: Path,
) -> None:
    """A backup names images the library no longer does: they stay while it does, its
    restore shows them; once rotation removes it (and the grace is past), a sweep removes
    those images and only those."""
    first_set = tmp_path / "first"
    first = write_many_cases(first_set, 3)
    path = tmp_path / "lib" / "library.db"
    path.parent.mkdir()
    with Library.open(path) as library:
        assert import_paths(library, [first_set]).imported == 3
        older = library.backup("daily", NOW)
    # The same cases again, the first one with new images (re-scanned, say).
    second_set = tmp_path / "second"
    second = write_many_cases(second_set, 3, image=lambda n: small_png(n + (1000 if n < 2 else 0)))
    replaced = {hashlib.sha256(data).hexdigest() for data in first["medpix:MPX10000"]}
    with Library.open(path) as library:
        report = import_paths(library, [second_set])
        assert (report.updated, report.unchanged) == (1, 2)
        # As if the case's earlier texts were pruned: only the backup names the old images.
        library._conn.execute("DELETE FROM case_versions")
        library._conn.commit()
        newer = library.backup("daily", NOW + dt.timedelta(hours=1))
    assert replaced.isdisjoint(named_images(path))
    assert replaced <= named_images(older) and replaced.isdisjoint(named_images(newer))
    store = MediaStore(media_folder(path))
    every = {p.name for p in store.files()}
    age_media(store.folder, 2)
    assert sweep_library(path) == []  # the older backup still names them
    restored = path.with_name("from-older.db")
    recover_from_backup(restored, older).close()
    assert figures_resolve(restored) == 6
    restored.unlink()
    for suffix in ("-wal", "-shm", ".verified"):
        Path(f"{restored}{suffix}").unlink(missing_ok=True)
    # Rotation keeps the newest backup only (the import's pre-import one goes too: it
    # named the old images as well).
    before_rotation = {b.path for b in backup.list_backups(path)}
    removed = backup.rotate(path, Retention(daily=1, weekly=1, monthly=1))
    assert older in removed and set(removed) == before_rotation - {newer}
    swept = sweep_library(path)
    assert {p.name for p in swept} == replaced
    assert {p.name for p in store.files()} == every - replaced
    assert figures_resolve(path) == 6
    with Library.open(path) as library:
        case = library.get_case(library.resolve("medpix:MPX10000"))
        assert case is not None
        assert [f.image for f in case.figures] == [
            hashlib.sha256(data).hexdigest() for data in second["medpix:MPX10000"]
        ]
    assert SWEEP_GRACE <= dt.timedelta(days=2)  # the ageing above is past it
