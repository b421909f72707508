"""Hostile input to the importer: a clear error or a correct import, in bounded time and memory.

Small hand-made inputs live in tests/data/hostile/; anything big (50 MB, 10 MB lines, zip
bombs, 10,000 files, 10,000 nested tags) is generated in tmp_path at test time. Every import
here runs with a fresh folder as the working directory and as LIGHTBOX_HOME, and the files
under tmp_path (and wherever a hostile path pointed) are snapshotted before and after: the
only files an import may change are the library's own (library.db, -wal, -shm).

Time bounds are generous, and asserted only in the `timed` variants that `pytest -m slow` runs
(tests/tools.py TIMED): the default suite never fails on a slow machine, and pytest-timeout
still ends a hang. Import throughput is measured in tests/bench. Memory is measured as the
peak RSS of a child Python process that runs only the import (VmHWM on Linux, ru_maxrss
elsewhere), so the test runner's own peak does not blur the figure.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from desktop import importer
from desktop.importer import ImportReport, import_paths
from desktop.render import LIGHT, case_html
from desktop.store.library import Library
from tests.conftest import ROOT, SEED_CASE
from tests.tools import TIMED, needs_shared

HOSTILE = ROOT / "tests" / "data" / "hostile"
LIBRARY_FILES = frozenset({"library.db", "library.db-wal", "library.db-shm", "library.db.verified"})
#: Generous bounds: a correct importer takes a small fraction of these (see the report).
IMPORT_SECONDS = 20.0
CHILD_PEAK_MB = 400

#: A tiny valid case in the seed's layout; {n} is its Eurorad number, {findings} one line.
SMALL_CASE = (
    "CASE {n} Published on 01.02.2024\n\n{title}\n\nChest imaging\n\n40 years, male\n\n"
    "Clinical History\nCough for two weeks.\nImaging Findings\n{findings}\n"
    "Differential Diagnosis List\nPneumonia\nFinal Diagnosis\nPneumonia\n"
)

#: Tags a case page may contain: case text is always escaped, so nothing else can appear.
CASE_PAGE_TAGS = frozenset(
    {
        "html", "head", "title", "style", "body", "h1", "h2", "h3", "p", "span", "a", "sup",
        "br", "ul", "ol", "li", "hr",
    }
)  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------


FileState = tuple[int, int, int]


def snapshot(*roots: Path) -> dict[Path, FileState]:
    """Every file, link and folder under `roots` (links not followed), with mode, size, mtime."""
    state: dict[Path, FileState] = {}
    for root in roots:
        if not root.exists():
            continue
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in dirs + files:
                path = Path(folder, name)
                info = path.lstat()
                state[path] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return state


def changed_paths(before: dict[Path, FileState], after: dict[Path, FileState]) -> set[Path]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


@dataclass
class Sandbox:
    """A library in tmp_path/lib, inputs in tmp_path/in, cwd tmp_path/cwd, a fresh home."""

    root: Path
    home: Path
    library: Library
    #: Assert IMPORT_SECONDS on each import (the `timed` variants, under `pytest -m slow`).
    timed: bool = False

    @property
    def inputs(self) -> Path:
        return self.root / "in"

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    def import_checked(
        self, paths: list[Path], *, watch: tuple[Path, ...] = ()
    ) -> tuple[ImportReport, float]:
        """Imports `paths`; asserts only the library's files changed; returns report, seconds."""
        roots = (self.root, self.home, *watch)
        before = snapshot(*roots)
        started = time.monotonic()
        report = import_paths(self.library, paths)
        elapsed = time.monotonic() - started
        self.library.close()  # checkpoints the WAL: every write the import made is now on disk
        self.library = Library.open(self.root / "lib" / "library.db")
        changed = changed_paths(before, snapshot(*roots))
        library_dir = self.root / "lib"  # its own entry changes as -wal and -shm come and go
        outside = {
            p
            for p in changed
            if p != library_dir and not (p.parent == library_dir and p.name in LIBRARY_FILES)
        }
        assert not outside, f"the import wrote outside the library: {sorted(map(str, outside))}"
        if self.timed:
            assert elapsed < IMPORT_SECONDS, f"import took {elapsed:.1f} s"
        return report, elapsed


@pytest.fixture
def sandbox(
    tmp_path: Path, lightbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sandbox]:
    for name in ("lib", "in", "cwd"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    box = Sandbox(tmp_path, lightbox_home, Library.open(tmp_path / "lib" / "library.db"))
    yield box
    box.library.close()


def hostile_copy(sandbox: Sandbox, name: str) -> Path:
    """A file from tests/data/hostile copied into the sandbox (its mtime is then ours)."""
    target = sandbox.inputs / name
    shutil.copyfile(HOSTILE / name, target)
    return target


def only_failure(report: ImportReport) -> tuple[str, str]:
    assert (report.imported, report.updated, report.unchanged) == (0, 0, 0), report.summary()
    assert len(report.failed) == 1, report.failed
    return report.failed[0]


#: The child's own peak RSS in KB. On Linux, ru_maxrss of a child also carries the peak of
#: the process it was forked from (the kernel keeps the pre-exec high-water mark), so the
#: figure would be the test runner's; VmHWM belongs to the child's own address space.
_CHILD_PEAK = textwrap.dedent(
    """
    import resource

    def peak_kb():
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    """
)
_CHILD_IMPORT = _CHILD_PEAK + textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from desktop.importer import import_paths
    from desktop.store.library import Library

    library = Library.open(Path(sys.argv[1]))
    before = peak_kb()
    started = time.monotonic()
    report = import_paths(library, [Path(p) for p in sys.argv[2:]])
    seconds = time.monotonic() - started
    peak = peak_kb()
    count = library.count_cases()
    library.close()
    print(json.dumps({
        "imported": report.imported, "failed": report.failed, "count": count, "seconds": seconds,
        "peak_mb": peak / 1024, "growth_mb": (peak - before) / 1024,
    }))
    """
)


@dataclass(frozen=True)
class ChildImport:
    """What an import in a fresh interpreter did, how long it took, and its peak memory."""

    imported: int
    failed: list[tuple[str, str]]
    count: int
    seconds: float
    peak_mb: float
    growth_mb: float


def import_in_child(sandbox: Sandbox, *paths: Path, timeout: float = 60) -> ChildImport:
    """Runs import_paths in a fresh interpreter, into the sandbox's library."""
    child_library = sandbox.root / "lib" / "library.db"
    sandbox.library.close()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD_IMPORT, str(child_library), *map(str, paths)],
            cwd=sandbox.cwd,
            env={**os.environ, "LIGHTBOX_HOME": str(sandbox.home)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        sandbox.library = Library.open(child_library)
    assert done.returncode == 0, done.stderr
    raw = json.loads(done.stdout)
    result = ChildImport(
        imported=raw["imported"],
        failed=[(name, reason) for name, reason in raw["failed"]],
        count=raw["count"],
        seconds=raw["seconds"],
        peak_mb=raw["peak_mb"],
        growth_mb=raw["growth_mb"],
    )
    print(
        f"child import of {[p.name for p in paths]}: {result.seconds:.3f} s, "
        f"peak RSS {result.peak_mb:.0f} MB (+{result.growth_mb:.0f} MB during the import)"
    )
    if sandbox.timed:
        assert result.seconds < IMPORT_SECONDS
    assert result.peak_mb < CHILD_PEAK_MB
    return result


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, name, value) for name, value in attrs)


def assert_case_page_inert(document: str) -> None:
    parser = _Tags()
    parser.feed(document)
    parser.close()
    assert set(parser.tags) <= CASE_PAGE_TAGS, set(parser.tags) - CASE_PAGE_TAGS
    assert parser.tags.count("style") == 1
    for tag, name, value in parser.attrs:
        assert not name.startswith("on") and name not in ("src", "style", "background")
        if name == "href":
            assert (tag, (value or "").startswith("https://doi.org/")) == ("a", True), value
    lowered = document.lower()
    for needle in ("<script", "<iframe", "<img", "<object", "<embed", "<link", "<svg", "<div"):
        assert needle not in lowered, needle


# --- small hand-made files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.txt", "the file is empty"),
        ("binary.txt", "binary file (PNG image), not a text case file"),
        ("nul.txt", "file contains NUL bytes"),
        ("invalid-utf8.txt", "neither UTF-8 nor Windows-1252 (byte 0x81 at offset "),
    ],
)
def test_unreadable_files_fail_with_a_clear_reason(
    sandbox: Sandbox, name: str, reason: str
) -> None:
    path = hostile_copy(sandbox, name)
    report, _ = sandbox.import_checked([path])
    failed_path, failure = only_failure(report)
    assert failed_path == str(path)
    assert reason in failure
    assert sandbox.library.count_cases() == 0


def test_invalid_byte_offset_is_the_real_one(sandbox: Sandbox) -> None:
    path = hostile_copy(sandbox, "invalid-utf8.txt")
    offset = path.read_bytes().index(b"\x81\x8d")
    report, _ = sandbox.import_checked([path])
    assert only_failure(report)[1].endswith(f"(byte 0x81 at offset {offset})")


def test_utf16_without_bom_is_imported_with_a_warning(sandbox: Sandbox) -> None:
    little = hostile_copy(sandbox, "utf16-nobom.txt")
    assert not little.read_bytes().startswith((b"\xff\xfe", b"\xfe\xff"))
    text = little.read_bytes().decode("utf-16-le")
    big = sandbox.inputs / "utf16-be-nobom.txt"
    big.write_bytes(text.replace("990004", "990005").encode("utf-16-be"))
    report, _ = sandbox.import_checked([little, big])
    assert (report.imported, report.failed) == (2, [])
    assert report.warnings == [
        (str(little), "no byte-order mark: decoded as utf-16-le"),
        (str(big), "no byte-order mark: decoded as utf-16-be"),
    ]
    case = sandbox.library.get_case(sandbox.library.resolve("eurorad:990004"))
    assert case is not None
    assert case.title == "UTF-16 without BOM case"
    assert case.imaging_findings == "Consolidation was seen in the right lower lobe."


def test_utf16_without_bom_that_the_pattern_cannot_prove_is_refused(sandbox: Sandbox) -> None:
    # Greek text: no byte of its UTF-16 pairs is reliably zero, so the ladder refuses it
    # rather than guessing (a clear error, never mojibake).
    text = SMALL_CASE.format(n=990006, title="Πνευμονία", findings="Πύκνωση στον δεξιό πνεύμονα.")
    path = sandbox.inputs / "greek-utf16.txt"
    path.write_bytes((text * 3).encode("utf-16-le"))
    report, _ = sandbox.import_checked([path])
    assert "NUL bytes" in only_failure(report)[1]


def test_markup_in_case_text_is_stored_literally_and_rendered_inert(sandbox: Sandbox) -> None:
    path = hostile_copy(sandbox, "script-case.txt")
    report, _ = sandbox.import_checked([path])
    assert (report.imported, report.failed, report.warnings) == (1, [], [])
    case = sandbox.library.get_case(sandbox.library.resolve("eurorad:990001"))
    assert case is not None
    # Stored exactly as written: nothing stripped, nothing interpreted at import.
    assert case.title.startswith('<script>alert("title")</script> Hostile <iframe')
    assert case.clinical_history.startswith("<script>alert(document.cookie)</script>")
    assert '<img src="file:///etc/passwd">' in case.imaging_findings
    assert "[x](javascript:alert(1))" in case.imaging_findings
    assert '<a href="data:text/html,<script>alert(1)</script>">data</a>' in case.imaging_findings
    assert case.final_diagnosis == '<b onmouseover="alert(1)">Pneumonia</b>'
    assert case.doi == '10.1594/x"><script>alert(1)</script>'
    page = case_html(case, theme=LIGHT)
    assert_case_page_inert(page)
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in page
    # The one link is the DOI link, percent-encoded: the DOI cannot break out of it.
    assert 'href="https://doi.org/10.1594/x%22%3E%3Cscript%3Ealert%281%29%3C/script%3E"' in page
    # Search highlighting splits the escaped text into spans, and adds nothing active.
    highlighted = case_html(case, theme=LIGHT, highlight=("script", "img", "javascript", "on"))
    assert_case_page_inert(highlighted)
    assert '&lt;<span class="hit">script</span>&gt;alert(document.cookie)' in highlighted


# --- generated big or deep inputs ---------------------------------------------------------------


BIG_HEADER = "CASE 990010 Published on 01.02.2024\n\nBig case\n\nImaging Findings\n"


def write_text_file(path: Path, size: int, line: str) -> None:
    """A text file of exactly `size` bytes: a case header, then `line` over and over."""
    block = line * max(1, (1 << 20) // len(line))
    with path.open("w", encoding="utf-8") as handle:
        handle.write(BIG_HEADER)
        while handle.tell() < size:
            handle.write(block)
        handle.truncate(size)


def test_50_mb_text_file_is_refused_unread(sandbox: Sandbox) -> None:
    path = sandbox.inputs / "fifty.txt"
    write_text_file(path, 50 * 1024 * 1024, "Consolidation was seen in the right lower lobe.\n")
    result = import_in_child(sandbox, path)
    assert (result.imported, result.count) == (0, 0)
    assert result.failed == [(str(path), "file too large (50.0 MB; a case file is at most 5 MB)")]
    # Refused by size before a byte is read: the import grew the child by far less than 50 MB.
    assert result.growth_mb < 20


def test_one_10_mb_line_is_refused(sandbox: Sandbox) -> None:
    path = sandbox.inputs / "line.txt"
    write_text_file(path, 10 * 1024 * 1024, "word ")
    assert path.read_bytes().count(b"\n") == BIG_HEADER.count("\n")  # then one 10 MB line
    report, _ = sandbox.import_checked([path])
    assert "file too large (10.0 MB" in only_failure(report)[1]


@TIMED
def test_one_line_just_under_the_size_limit_imports_in_bounded_time_and_memory(
    sandbox: Sandbox, timed: bool
) -> None:
    sandbox.timed = timed
    findings = "Radiograph showed consolidation number " + " ".join(f"w{n}" for n in range(600_000))
    text = SMALL_CASE.format(n=990011, title="One huge line", findings=findings)
    path = sandbox.inputs / "huge-line.txt"
    path.write_text(text, encoding="utf-8")
    assert 4 * 1024 * 1024 < path.stat().st_size <= importer.MAX_FILE_BYTES
    result = import_in_child(sandbox, path)
    assert (result.imported, result.failed, result.count) == (1, [], 1)
    case = sandbox.library.get_case(sandbox.library.resolve("eurorad:990011"))
    assert case is not None and case.imaging_findings == findings
    started = time.monotonic()
    page = case_html(case, theme=LIGHT, highlight=("w59999",))
    if timed:
        assert time.monotonic() - started < 5
    assert page.count('<span class="hit">') == 11  # w59999 and w599990..w599999


NESTED = "<div>" * 10_000 + "deep" + "</div>" * 10_000


def nested_case_text() -> str:
    """A case whose fields hold 10,000 nested tags, on one line and over 10,000 lines."""
    return (
        "CASE 990020 Published on 01.02.2024\n\nNested tags <b>" + "<i>" * 10_000 + "\n\n"
        "Chest imaging\n\n40 years, male\n\nClinical History\n" + NESTED + "\n"
        "Imaging Findings\nThe radiograph showed nesting.\n" + NESTED + "\n"
        "Discussion\n" + "\n".join(["<ul><li><blockquote><table><tr><td>"] * 10_000) + "\n"
        "Differential Diagnosis List\n" + "<table>" * 10_000 + "\n"
        "Final Diagnosis\nDeep nesting\n"
    )


_CHILD_RENDER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from PySide6.QtGui import QGuiApplication, QTextDocument
    from desktop.render import LIGHT, case_html
    from desktop.store.library import Library

    app = QGuiApplication([])
    library = Library.open(Path(sys.argv[1]), create=False)
    case = library.get_case(library.resolve(sys.argv[2]))
    started = time.monotonic()
    page = case_html(case, theme=LIGHT)
    rendered = time.monotonic()
    document = QTextDocument()
    document.setHtml(page)
    document.setTextWidth(800)
    height = document.size().height()
    laid_out = time.monotonic()
    print(json.dumps({
        "case_html": rendered - started, "qt": laid_out - rendered, "height": height,
        "plain": document.toPlainText()[:200],
    }))
    """
)


@TIMED
def test_10000_nested_tags_import_and_render_quickly(sandbox: Sandbox, timed: bool) -> None:
    sandbox.timed = timed
    path = sandbox.inputs / "nested.txt"
    path.write_text(nested_case_text(), encoding="utf-8")
    report, _ = sandbox.import_checked([path])
    assert (report.imported, report.failed) == (1, [])
    case = sandbox.library.get_case(sandbox.library.resolve("eurorad:990020"))
    assert case is not None
    assert case.clinical_history == NESTED
    assert case.imaging_findings == "The radiograph showed nesting.\n\n" + NESTED
    assert_case_page_inert(case_html(case, theme=LIGHT))
    # Qt's own layout of that page, timed in a child so a hang is killed, not waited out.
    done = subprocess.run(
        [sys.executable, "-c", _CHILD_RENDER, str(sandbox.root / "lib" / "library.db"), case.key],
        cwd=sandbox.cwd,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "LIGHTBOX_HOME": str(sandbox.home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    timing = json.loads(done.stdout)
    print(f"10,000 nested tags: {timing['case_html']:.3f} s case_html, {timing['qt']:.3f} s Qt")
    if timed:
        assert timing["case_html"] + timing["qt"] < 5
    assert timing["plain"].startswith("Nested tags <b><i><i>")  # shown as text


# --- zip archives -------------------------------------------------------------------------------


def zip_with(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def traversal_targets(sandbox: Sandbox, name: str) -> list[Path]:
    """Where an entry name would land if someone extracted it: beside the zip, or in cwd."""
    clean = name.replace("\\", "/")
    if clean.startswith("/"):
        return [Path(clean)]
    return [
        Path(os.path.normpath(base / clean.split(":", 1)[-1]))
        for base in (sandbox.inputs, sandbox.cwd)
    ]


@needs_shared(SEED_CASE)
def test_zip_entries_pointing_outside_are_refused_and_nothing_is_written(
    sandbox: Sandbox,
) -> None:
    outside = sandbox.root / "outside"
    names = [
        "../escaped.txt",
        "../../escaped-twice.txt",
        "cases/../../escaped-nested.txt",
        "..\\escaped-backslash.txt",
        f"{outside}/absolute.txt",
        "\\absolute-backslash.txt",
        "C:/drive.txt",
        "C:drive-relative.txt",
    ]
    seed = SEED_CASE.read_bytes()
    archives = [
        zip_with(sandbox.inputs / f"evil-{index}.zip", [("ok.txt", seed), (name, seed)])
        for index, name in enumerate(names)
    ]
    targets = [target for name in names for target in traversal_targets(sandbox, name)]
    report, _ = sandbox.import_checked(archives, watch=(outside,))
    assert (report.imported, report.skipped) == (0, [])
    assert [path for path, _ in report.failed] == [str(a) for a in archives]
    for (_, reason), name in zip(report.failed, names, strict=True):
        assert reason == f"zip entry {name!r} points outside the archive"
    for target in targets:
        assert not target.exists(), target
    assert sandbox.library.count_cases() == 0


def test_zip_with_a_lying_size_header_is_cut_off_at_the_claim(sandbox: Sandbox) -> None:
    """256 MB of zeros behind a header that claims 1 KB: read stops at the claim (bad CRC)."""
    path = sandbox.inputs / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.txt", "w") as entry:
            block = bytes(1 << 20)
            for _ in range(256):
                entry.write(block)
    data = bytearray(path.read_bytes())
    assert len(data) < 1 << 20  # ratio over 250: a real bomb
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    result = import_in_child(sandbox, path)
    [(name, reason)] = result.failed
    assert name == f"{path}!/bomb.txt"
    assert reason.startswith("damaged zip entry (Bad CRC-32")
    assert result.growth_mb < 50  # never inflated past the claimed size


@pytest.mark.parametrize(
    ("megabytes", "reason"),
    [
        (50, "zip entry 'bomb.txt' expands"),  # ratio over 100, total within 100 MB
        (200, "zip would unpack to 200 MB (at most 100 MB)"),
    ],
)
@needs_shared(SEED_CASE)
def test_zip_bombs_are_refused_before_a_byte_is_inflated(
    sandbox: Sandbox, megabytes: int, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sandbox.inputs / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ok.txt", SEED_CASE.read_bytes())
        with archive.open("bomb.txt", "w") as entry:
            block = bytes(1 << 20)
            for _ in range(megabytes):
                entry.write(block)
    [info] = [i for i in zipfile.ZipFile(path).infolist() if i.filename == "bomb.txt"]
    assert info.file_size > 100 * info.compress_size
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def recording_open(
        archive: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: Any, **kwargs: Any
    ) -> Any:
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(archive, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    report, _ = sandbox.import_checked([path])
    assert only_failure(report) == (str(path), report.failed[0][1])
    assert report.failed[0][1].startswith(reason)
    assert opened == []  # refused from the central directory alone: no entry was opened
    assert sandbox.library.count_cases() == 0


def test_zip_of_many_small_high_ratio_entries_stays_bounded(sandbox: Sandbox) -> None:
    # Each entry under the 1 MB ratio floor, all together under 100 MB: allowed, read one
    # at a time with a byte counter, each failing on its own (each reads like a damaged
    # case: a CASE line, so it is parsed, not skipped).
    path = sandbox.inputs / "many-small.zip"
    zip_with(path, [(f"z{n:02d}.txt", b"CASE 1\n" + b"A" * 999_992) for n in range(90)])
    result = import_in_child(sandbox, path)
    assert result.imported == 0 and len(result.failed) == 90
    assert {reason for _, reason in result.failed} == {
        "no 'Clinical History' or 'Imaging Findings' heading (field 'imaging_findings')"
    }


@needs_shared(SEED_CASE)
def test_other_refused_archives(sandbox: Sandbox) -> None:
    seed = SEED_CASE.read_bytes()
    too_many = zip_with(sandbox.inputs / "many.zip", [(f"{n}.txt", b"x") for n in range(1001)])
    twice = sandbox.inputs / "twice.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        zip_with(twice, [("a.txt", seed), ("a.txt", b"CASE 1")])
    encrypted = zip_with(sandbox.inputs / "locked.zip", [("locked.txt", seed)])
    data = bytearray(encrypted.read_bytes())  # zipfile cannot write encrypted entries:
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the flag bit
        data[data.index(signature) + flags] |= 0x1
    encrypted.write_bytes(bytes(data))
    assert zipfile.ZipFile(encrypted).infolist()[0].flag_bits & 0x1
    truncated = sandbox.inputs / "truncated.zip"
    truncated.write_bytes(zip_with(sandbox.inputs / "t.zip", [("a.txt", seed)]).read_bytes()[:-30])
    (sandbox.inputs / "t.zip").unlink()
    report, _ = sandbox.import_checked([too_many, twice, encrypted, truncated])
    assert report.imported == 0
    reasons = dict(report.failed)
    assert reasons[str(too_many)] == "zip has 1001 entries (at most 1000)"
    assert reasons[str(twice)] == "zip has two entries named 'a.txt'"
    assert reasons[str(encrypted)] == "zip entry 'locked.txt' is encrypted"
    assert reasons[str(truncated)].startswith("not a readable zip archive")


# --- folders ------------------------------------------------------------------------------------


@needs_shared(SEED_CASE)
def test_symlink_loops_terminate_and_only_real_files_import(sandbox: Sandbox) -> None:
    folder = sandbox.inputs / "loops"
    (folder / "a").mkdir(parents=True)
    shutil.copy(SEED_CASE, folder / "seed.txt")
    (folder / "a" / "real.txt").write_text(
        SMALL_CASE.format(n=990030, title="Real file", findings="Nodule was seen."), "utf-8"
    )
    (folder / "loop").symlink_to(".")
    (folder / "a" / "b").symlink_to("../..")
    (folder / "self.txt").symlink_to("self.txt")  # ELOOP if anyone opened it
    report, _ = sandbox.import_checked([folder])
    assert (report.imported, report.failed) == (2, [])
    assert sorted(report.skipped) == sorted(
        f"{folder / name} (symbolic link, not followed)" for name in ("loop", "a/b", "self.txt")
    )
    # Named directly, the self-loop fails with the system's reason instead of hanging.
    report, _ = sandbox.import_checked([folder / "self.txt", folder / "loop"])
    assert report.imported == 0
    assert [path for path, _ in report.failed] == [str(folder / "self.txt"), str(folder / "loop")]
    assert all("symbolic links" in reason for _, reason in report.failed), report.failed


def test_a_folder_of_10000_files_imports_completely(sandbox: Sandbox) -> None:
    folder = sandbox.inputs / "many"
    folder.mkdir()
    for n in range(10_000):
        text = SMALL_CASE.format(n=500_000 + n, title=f"Case {n}", findings="Nodule was seen.")
        (folder / f"case-{n:05d}.txt").write_text(text, encoding="utf-8")
    report, elapsed = sandbox.import_checked([folder])
    print(f"10,000 files imported in {elapsed:.2f} s")
    assert (report.imported, report.updated, report.unchanged) == (10_000, 0, 0)
    assert (report.failed, report.skipped, report.warnings) == ([], [], [])
    assert len(report.changes.cases) == 10_000
    assert sandbox.library.count_cases() == 10_000
    again, elapsed = sandbox.import_checked([folder])
    print(f"10,000 files re-imported (unchanged) in {elapsed:.2f} s")
    assert (again.imported, again.unchanged, again.failed) == (0, 10_000, [])


@needs_shared(SEED_CASE)
def test_a_hostile_folder_mixing_everything(sandbox: Sandbox) -> None:
    """All the small hostile files at once, plus a FIFO and an unreadable file: one report."""
    for item in HOSTILE.iterdir():
        shutil.copyfile(item, sandbox.inputs / item.name)
    os.mkfifo(sandbox.inputs / "fifo.txt")
    locked = sandbox.inputs / "locked.txt"
    shutil.copyfile(SEED_CASE, locked)
    locked.chmod(0)
    readable = os.access(locked, os.R_OK)  # root reads anything
    try:
        report, _ = sandbox.import_checked([sandbox.inputs])
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert report.imported == (3 if readable else 2)  # script-case, utf16 (+ the seed)
    reasons = {Path(path).name: reason for path, reason in report.failed}
    expected = {"fifo.txt", "invalid-utf8.txt", "nul.txt"}
    assert set(reasons) == expected | (set() if readable else {"locked.txt"})
    # Found in a folder, an empty file and a PNG named .txt are no case: skipped, not
    # failed (named alone, each fails: test_unreadable_files_fail_with_a_clear_reason).
    skipped = {Path(path).name for path in report.skipped}
    assert {"binary.txt", "empty.txt"} <= skipped
    assert reasons["fifo.txt"] == "not a regular file"
    if not readable:
        assert reasons["locked.txt"] == "cannot read: Permission denied"


# --- search over a hostile case -----------------------------------------------------------------

_CHILD_SEARCH = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from desktop.store.library import Library

    library = Library.open(Path(sys.argv[1]), create=False)
    started = time.monotonic()
    hits = library.search(sys.argv[2])
    print(json.dumps({"seconds": time.monotonic() - started, "hits": len(hits)}))
    """
)
#: A search over one case should take well under a second; the child is killed after this.
SEARCH_SECONDS = 5


@TIMED
def test_search_in_a_case_repeating_one_word_is_bounded(sandbox: Sandbox, timed: bool) -> None:
    sandbox.timed = timed
    findings = "Radiograph showed " + "showed " * 100_000  # 700 KB: well inside the 5 MB limit
    path = sandbox.inputs / "repeated.txt"
    path.write_text(SMALL_CASE.format(n=990040, title="Repeated", findings=findings), "utf-8")
    report, _ = sandbox.import_checked([path])
    assert report.imported == 1
    sandbox.library.close()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD_SEARCH, str(sandbox.root / "lib" / "library.db"), "showed"],
        cwd=sandbox.cwd,
        env={**os.environ, "LIGHTBOX_HOME": str(sandbox.home)},
        capture_output=True,
        text=True,
        timeout=SEARCH_SECONDS if timed else 120,  # untimed: only a hang is killed
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["hits"] == 1
    if timed:
        assert result["seconds"] < SEARCH_SECONDS


# --- hostile command-line input: one-line errors, exit status 2, nothing saved ------------------

CASE = b"lightbox:abdo-01"
#: (arguments after `lightbox`, standard input, what the one line of stderr says). Raw bytes:
#: a shell passes arguments that are not UTF-8 as they are.
CLI_FAULTS = [
    ([b"note", CASE, b"--set", b"abc\xff"], b"", "not UTF-8 text (byte 0xff at offset 3)"),
    ([b"note", CASE, b"--set", b"-"], b"abc\xff\xfe", "not UTF-8 text (byte 0xff at offset 3)"),
    ([b"search", b"x", b"--limit", b"99999999999999999999"], b"", "must be at most 100,000"),
    ([b"search", b"x", b"--limit", b"-1"], b"", "must be at least 1"),
    ([b"versions", CASE, b"--restore", b"99999999999999999999"], b"", "must be at most"),
    ([b"purge-deleted", b"--older-than", b"99999999999999999999", b"--yes"], b"", "at most 36,500"),
    ([b"show", b"lightbox:abdo-01\xff"], b"", "is not UTF-8 text"),
    ([b"bookmark", b"\xfflightbox:abdo-01"], b"", "is not UTF-8 text"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "stdin", "message"), CLI_FAULTS)
def test_hostile_command_line_input_is_a_one_line_error(
    sandbox: Sandbox, args: list[bytes], stdin: bytes, message: str
) -> None:
    library = sandbox.root / "lib" / "library.db"
    report, _ = sandbox.import_checked([ROOT / "cases" / "abdo-01.txt"])
    assert report.imported == 1
    sandbox.library.save_note(sandbox.library.resolve("lightbox:abdo-01"), "my note")
    sandbox.library.close()
    try:
        done = subprocess.run(
            [sys.executable.encode(), b"-m", b"desktop", *args, b"--library", bytes(library)],
            cwd=sandbox.cwd,
            env={**os.environ, "LIGHTBOX_HOME": str(sandbox.home)},
            input=stdin,
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        sandbox.library = Library.open(library)
    err = done.stderr.decode("utf-8", "replace")
    assert (done.returncode, done.stdout) == (2, b""), err
    assert err.startswith("lightbox: ") and err.count("\n") == 1, err
    assert message in err
    note = sandbox.library.note(sandbox.library.resolve("lightbox:abdo-01"))
    assert note is not None and note.body == "my note"  # nothing saved


@TIMED
def test_a_query_of_10000_words_is_cut_and_returns(sandbox: Sandbox, timed: bool) -> None:
    """Issue 11: 10,000 words never returned; the search now reads MAX_QUERY_WORDS of them."""
    report, _ = sandbox.import_checked([ROOT / "cases"])
    assert report.imported > 20
    sandbox.library.close()
    words = " ".join(f"word{n} a*" for n in range(5000))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD_SEARCH, str(sandbox.root / "lib" / "library.db"), words],
        cwd=sandbox.cwd,
        env={**os.environ, "LIGHTBOX_HOME": str(sandbox.home)},
        capture_output=True,
        text=True,
        timeout=SEARCH_SECONDS if timed else 120,
        check=False,
    )
    sandbox.library = Library.open(sandbox.root / "lib" / "library.db")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["hits"] == 0  # no case holds word0 ... word31
    if timed:
        assert result["seconds"] < SEARCH_SECONDS
