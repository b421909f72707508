"""The `lightbox` command line: import, list, search, show; errors are one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main
from tests.conftest import EURORAD_DATA, ROOT, SAMPLE_CASES, SEED_CASE
from tests.tools import needs_shared, shared_path

SHOW_KEYS = [
    "id", "source", "source_id", "title", "published", "section", "case_type", "authors",
    "affiliations", "patient", "areas_of_interest", "imaging_techniques", "clinical_history",
    "imaging_findings", "discussion", "differential_diagnosis", "final_diagnosis", "references",
    "doi", "issn", "license", "figures", "keywords", "acr_code", "category", "diagnosis_by",
    "sections", "trashed_at",
]  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def lib(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "cli.db"
    shared_path(SEED_CASE)
    shared_path(EURORAD_DATA / "cases")
    status, _, _ = run(
        capsys, "import", "--library", str(path), str(SEED_CASE), str(EURORAD_DATA / "cases")
    )
    assert status == 0
    return str(path)


@needs_shared(SEED_CASE)
def test_import_prints_the_report_and_fails_with_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("not a case")
    library = str(tmp_path / "x.db")
    status, out, _ = run(capsys, "import", str(SEED_CASE), str(bad), "--library", library)
    assert status == 1
    assert f"FAILED {bad}: not a case file" in out
    assert out.strip().endswith("1 imported, 0 updated, 0 unchanged, 1 failed")
    status, out, _ = run(capsys, "--library", library, "import", str(SEED_CASE))
    assert status == 0
    assert out.strip() == "0 imported, 0 updated, 1 unchanged, 0 failed"


def test_show_json_has_exactly_the_documented_keys(
    lib: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "show", "eurorad:8455", "--json", "--library", lib)
    assert status == 0
    case = json.loads(out)
    assert list(case) == SHOW_KEYS
    assert case["id"] == "eurorad:8455"
    assert case["published"] == "2011-08-07"
    assert case["authors"][0] == {"name": "Arora A", "affiliations": [1]}
    assert case["patient"] == {"age": "24 days", "age_days": 24, "sex": "male"}
    assert case["differential_diagnosis"] == ["Iatrogenic calcinosis cutis"]
    assert case["discussion"].count("\n\n") == 3
    assert case["doi"] == "10.1594/EURORAD/CASE.8455"
    assert case["figures"] == []


def test_show_json_discussion_puts_subheadings_on_their_own_lines(
    lib: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "show", "eurorad:18822", "--json", "--library", lib)
    lines = json.loads(out)["discussion"].split("\n")
    assert lines[0] == "Background and Imaging Perspective"
    assert "Clinical Perspective" in lines


def test_show_text(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "show", "eurorad:8455", "--library", lib)
    assert status == 0
    assert out.startswith("Iatrogenic neonatal calcinosis cutis\n")
    assert "IMAGING FINDINGS" in out


def test_list_json(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "list", "--json", "--library", lib)
    assert status == 0
    rows = json.loads(out)
    assert len(rows) == 16
    assert {"id", "title", "section", "final_diagnosis"} <= set(rows[0])
    titles = [row["title"] for row in rows]
    assert titles == sorted(titles, key=str.casefold)


def test_search_json_ranked_with_snippets(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "search", "thymoma", "--json", "--limit", "3", "--library", lib)
    assert status == 0
    hits = json.loads(out)
    assert 1 <= len(hits) <= 3
    assert hits[0]["id"] == "eurorad:189"
    assert "«" in hits[0]["snippet"]
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_search_text_says_when_nothing_matches(
    lib: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "search", "xyzzy", "--library", lib)
    assert (status, out.strip()) == (0, "No case matches 'xyzzy'.")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "eurorad:1"], "no case eurorad:1"),
        (["show", "8455"], "not of the form SOURCE:ID"),
        (["search", "x", "--limit", "0"], "at least 1"),
        (["list", "--sort", "colour"], "cannot sort by"),
        (["frobnicate"], "no such file or command: frobnicate"),
    ],
)
def test_errors_are_one_line_with_status_2(
    lib: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, out, err = run(capsys, *args, "--library", lib)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("lightbox: ")
    assert message in err


def test_unreadable_libraries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00" * 100 + b"garbage" * 1000)
    for path, message in ((tmp_path / "none.db", "no library at"), (garbage, "not a Lightbox")):
        status, _, err = run(capsys, "list", "--library", str(path))
        assert status == 2
        assert message in err
        assert err.count("\n") == 1


def test_default_library_is_seeded_from_sample_cases(
    lightbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "list")
    assert status == 0
    assert "seeded with" in err
    assert (lightbox_home / "library.db").is_file()
    samples = len(list(SAMPLE_CASES.glob("*.txt")))
    assert len(out.strip().splitlines()) == samples
    assert all(line.startswith("lightbox:") for line in out.strip().splitlines())
    # Only the first start seeds.
    status, _, err = run(capsys, "list")
    assert (status, err) == (0, "")


def test_module_entry_point_and_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "show", "eurorad:1", "--library", str(tmp_path / "n.db")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"lightbox: no library at {tmp_path / 'n.db'}"


def test_command_names_match_the_parser() -> None:
    import argparse

    from desktop import cli
    from desktop.cli import build_parser

    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(action.choices) == cli._COMMAND_NAMES


def test_unknown_file_or_command_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "no-such-file.txt")
    assert status == 2
    assert err.strip() == "lightbox: error: no such file or command: no-such-file.txt"
