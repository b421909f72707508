"""Helpers for the tests: the command-line tools of the test environment, and the real test
data in ../shared, which a fresh clone does not have.

../shared holds cases written by others (GUIDE.md: never copied into the project). It sits
beside the project folder, as it does in CI, where every test that reads it runs. Without it
those tests skip, each with one line naming what is missing and where it goes. Every test that
reads ../shared says so through one of these:

* `needs_shared(*paths)` — a mark: ``@needs_shared(SEED_CASE)`` on a test (or ``pytestmark``);
* `shared_path(path)` — inside a fixture or a test: the path, or the test skips;
* `shared_files(folder, pattern)` — for ``parametrize``: the files, or one skipped parameter
  (so a module that lists files at import time still collects);
* `shared_bytes(path)` — a file's bytes at import time, or b"" (tests using them need the mark).

No test in the default suite asserts on wall-clock time: a machine under load must not turn it
red. A test whose claim includes "quickly" takes `timed` (see TIMED): it runs untimed in the
default suite (pytest-timeout's global guard still catches a hang) and again, with its bound
asserted, under `pytest -m slow`. Throughput figures live in tests/bench.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Real cases written by others, read in place beside the project folder.
#: LIGHTBOX_TESTS_WITHOUT_SHARED=1 runs the suite as a fresh clone without ../shared sees it.
SHARED = ROOT.parent / (
    "shared-absent" if os.environ.get("LIGHTBOX_TESTS_WITHOUT_SHARED") == "1" else "shared"
)
SEED_CASE = SHARED / "seed" / "000_bfbcad2912d90428.txt"
EURORAD_DATA = SHARED / "data" / "eurorad"
MEDPIX_DATA = SHARED / "data" / "medpix2"
MIRC_DATA = SHARED / "data" / "mirc"

#: What each part of ../shared is, for the skip reasons (the longest matching prefix wins).
_WHAT = {
    "": "the real test data",
    "seed": "the reference Eurorad case",
    "data": "the real test cases",
    "data/eurorad": "the real Eurorad cases",
    "data/medpix2": "the MedPix 2.0 cases",
    "data/mirc": "the RSNA MIRC templates",
}


#: Parametrises a test with `timed`: False in the default suite, True under `pytest -m slow`,
#: where the test asserts its wall-clock bounds (`if timed: assert seconds < BOUND`).
TIMED = pytest.mark.parametrize(
    "timed",
    [pytest.param(False, id="untimed"), pytest.param(True, id="timed", marks=pytest.mark.slow)],
)


def run_lightbox(
    library: Path, *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m desktop --library FILE ARGS...` as a process of its own (its data folder
    beside the library). The timeout fails a test that would block (a FIFO opened by
    mistake), it asserts nothing about speed."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--library", str(library), *args],
        cwd=ROOT,
        env={**os.environ, "LIGHTBOX_HOME": str(library.parent / "home")},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_ok(library: Path, *args: str) -> str:
    """Runs a command that must succeed; returns what it printed."""
    result = run_lightbox(library, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def cli_fails(library: Path, *args: str) -> str:
    """Runs a command that must fail as a usage error (status 2, nothing printed, one line
    on stderr); returns that line."""
    result = run_lightbox(library, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lightbox: "), result.stderr
    return lines[0]


def tool(name: str) -> str:
    """The path of a console script from the test environment."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is a test dependency: bash packaging/bootstrap.sh --test"
    return found


def missing_reason(*paths: Path) -> str | None:
    """None when every path exists; else one line saying what is missing and where it goes."""
    for path in paths:
        if path.exists():
            continue
        shown = os.path.relpath(path, ROOT)
        inside = path.resolve().relative_to(SHARED.resolve()).as_posix() if _in_shared(path) else ""
        parts = inside.split("/") if inside else []
        what = next(
            _WHAT[prefix]
            for prefix in ("/".join(parts[:n]) for n in range(len(parts), -1, -1))
            if prefix in _WHAT
        )
        where = "absent in this clone" if not SHARED.exists() else "not in ../shared here"
        return f"needs {shown} ({what}; ../shared sits beside the project folder); {where}"
    return None


def _in_shared(path: Path) -> bool:
    return path.resolve().is_relative_to(SHARED.resolve())


def needs_shared(*paths: Path) -> pytest.MarkDecorator:
    """A mark that skips the test, with the reason, unless every path in ../shared exists."""
    reason = missing_reason(*paths)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def shared_path(path: Path) -> Path:
    """`path` if it exists; else skips the calling test (or every test using the fixture)."""
    reason = missing_reason(path)
    if reason is not None:
        pytest.skip(reason)
    return path


def shared_files(folder: Path, pattern: str) -> list[Any]:
    """The files in `folder` matching `pattern`, sorted, as parameters; without the folder,
    one parameter marked skip with the reason, so the parametrised test still collects."""
    reason = missing_reason(folder)
    if reason is not None:
        return [pytest.param(folder / pattern, marks=pytest.mark.skip(reason=reason), id="absent")]
    return sorted(folder.glob(pattern))


def shared_bytes(path: Path) -> bytes:
    """A file's bytes, read at import time; b"" without it (the tests using them need
    `needs_shared(path)`)."""
    return path.read_bytes() if path.exists() else b""


def if_shared(*paths: Path) -> list[Path]:
    """Those of `paths` that exist: for tests to which a shared case is incidental (one more
    case beside the samples), so they run in a fresh clone too, and with it where it is."""
    return [path for path in paths if path.exists()]
