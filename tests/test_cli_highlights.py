"""`lightbox highlight add|list|delete|undelete` and `lightbox export notes`, run as the
processes scripts run: exact forms, one-line errors with exit status 2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from desktop.export import INDEX_NAME
from tests.tools import cli_fails, cli_ok, run_lightbox

CASE = "lightbox:chest-01"
UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def lib(samples_file: Path) -> Path:
    return samples_file


def _fails(library: Path, *args: str) -> str:
    """A usage error, as argparse words it ("lightbox: error: ...")."""
    line = cli_fails(library, *args)
    assert line.startswith("lightbox: error: "), line
    return line


def _sections(library: Path, case: str = CASE) -> dict[str, str]:
    shown = json.loads(cli_ok(library, "show", case, "--json"))
    return {section["key"]: section["text"] for section in shown["sections"]}


def _listed(library: Path, case: str = CASE) -> list[dict[str, Any]]:
    found = json.loads(cli_ok(library, "highlight", "list", case, "--json"))
    assert isinstance(found, list)
    return found


def test_add_prints_only_the_new_id_and_list_json_matches_show_json(lib: Path) -> None:
    out = cli_ok(
        lib, "highlight", "add", CASE, "--section", "imaging_findings",
        "--quote", "pleural", "--occurrence", "2", "--colour", "red",
        "--comment", "Size it *on the erect film*", "--tag", "key finding", "--tag", "size",
    )  # fmt: skip
    assert UID.fullmatch(out.strip()) and out.endswith("\n") and out.count("\n") == 1
    uid = out.strip()
    [listed] = _listed(lib)
    assert {"id", "section", "start", "end", "quote", "status", "colour", "comment", "tags",
            "created_at"} <= set(listed)  # fmt: skip
    assert listed["id"] == uid
    assert listed["section"] == "imaging_findings"
    assert listed["status"] == "anchored"
    assert listed["colour"] == "red"
    assert listed["comment"] == "Size it *on the erect film*"
    assert listed["tags"] == ["key finding", "size"]
    assert listed["created_at"].endswith("+00:00")
    # The offsets are into the section's text exactly as show --json prints it, and the
    # occurrence is the second one.
    text = _sections(lib)["imaging_findings"]
    first = text.index("pleural")
    second = text.index("pleural", first + 1)
    assert (listed["start"], listed["end"]) == (second, second + len("pleural"))
    assert text[listed["start"] : listed["end"]] == listed["quote"] == "pleural"


def test_add_across_paragraphs_and_in_a_discussion_part(lib: Path) -> None:
    sections = _sections(lib)
    paragraphs = sections["clinical_history"].split("\n")
    quote = f"{paragraphs[0][-20:]}\n{paragraphs[1][:15]}"
    cli_ok(lib, "highlight", "add", CASE, "--section", "clinical_history", "--quote", quote)
    teaching = sections["discussion.teaching_points"]
    cli_ok(
        lib, "highlight", "add", CASE, "--section", "discussion.teaching_points",
        "--quote", teaching[:30], "--color", "Blue",
    )  # fmt: skip
    listed = _listed(lib)
    assert [(h["section"], h["colour"]) for h in listed] == [
        ("clinical_history", "yellow"),
        ("discussion.teaching_points", "blue"),
    ]
    for highlight in listed:
        text = sections[highlight["section"]]
        assert text[highlight["start"] : highlight["end"]] == highlight["quote"]


def test_list_without_json_is_readable(lib: Path) -> None:
    assert cli_ok(lib, "highlight", "list", CASE).strip() == f"No highlights on {CASE}."
    uid = cli_ok(
        lib, "highlight", "add", CASE, "--section", "imaging_findings", "--quote",
        "visceral pleural line", "--colour", "green", "--comment", "the sign", "--tag", "sign",
    ).strip()  # fmt: skip
    lines = cli_ok(lib, "highlight", "list", CASE).splitlines()
    assert lines[0].startswith(f"{uid[:8]}  green")
    assert "imaging_findings" in lines[0] and "“visceral pleural line”" in lines[0]
    assert lines[1].split() == ["the", "sign", "[sign]"]


def test_delete_and_undelete_by_a_unique_beginning_of_the_id(lib: Path) -> None:
    uid = cli_ok(
        lib, "highlight", "add", CASE, "--section", "imaging_findings", "--quote", "trachea"
    ).strip()
    assert cli_ok(lib, "highlight", "delete", uid[:6]).startswith(f"Deleted highlight {uid[:8]}")
    assert _listed(lib) == []
    # The deleted ones are listed on request, so a script (or a reader after a restart)
    # finds the id to bring back.
    deleted = json.loads(cli_ok(lib, "highlight", "list", CASE, "--deleted", "--json"))
    assert [(h["id"], h["quote"]) for h in deleted] == [(uid, "trachea")]
    assert "trachea" in cli_ok(lib, "highlight", "list", CASE, "--deleted")
    assert cli_ok(lib, "highlight", "undelete", uid.upper(), "--quiet") == ""
    assert [h["id"] for h in _listed(lib)] == [uid]
    assert json.loads(cli_ok(lib, "highlight", "list", CASE, "--deleted", "--json")) == []


def test_a_kind_with_parts_is_searched_part_by_part(lib: Path) -> None:
    """`--section discussion` (the issue's example) finds the quote in whichever part of
    the discussion holds it; --occurrence counts across the parts in reading order."""
    sections = _sections(lib)
    parts = [key for key in sections if key.startswith("discussion.")]
    assert len(parts) > 1 and "discussion" not in sections
    quote = "pneumothorax"
    total = sum(sections[key].count(quote) for key in parts)
    assert total >= 3
    first = sections[parts[0]].count(quote)
    uid = cli_ok(
        lib, "highlight", "add", CASE, "--section", "discussion", "--quote", quote,
        "--occurrence", str(first + 1),
    ).strip()  # fmt: skip
    (made,) = [h for h in _listed(lib) if h["id"] == uid]
    later = [key for key in parts[1:] if quote in sections[key]][0]
    assert made["section"] == later
    assert sections[later][made["start"] : made["end"]] == quote
    assert f"occurs {total} times" in _fails(
        lib, "highlight", "add", CASE, "--section", "discussion", "--quote", quote,
        "--occurrence", str(total + 1),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--section", "imaging_findings", "--quote", "no such words"], "quote is not in section"),
        (["--section", "nope", "--quote", "the"], "has no section 'nope'"),
        (["--section", "imaging_findings", "--quote", "trachea", "--occurrence", "2"],
         "occurs 1 time in section imaging_findings of lightbox:chest-01; --occurrence 2"),
        (["--section", "imaging_findings", "--quote", "the", "--occurrence", "0"],
         "must be at least 1"),
        (["--section", "imaging_findings", "--quote", "the", "--colour", "mauve"],
         "no colour 'mauve'"),
        (["--section", "imaging_findings", "--quote", "the", "--color", "#123456"],
         "no colour '#123456'"),
        (["--section", "imaging_findings", "--quote", "   "], "--quote is empty"),
        (["--quote", "the"], "required: --section"),
        (["--section", "imaging_findings"], "required: --quote"),
        (["--section", "imaging_findings", "--quote", "the", "--tag", "x" * 65], "longer than"),
    ],
)  # fmt: skip
def test_add_errors_are_one_line_with_status_2(lib: Path, args: list[str], said: str) -> None:
    assert said in _fails(lib, "highlight", "add", CASE, *args)
    assert _listed(lib) == []


def test_add_to_an_unknown_or_malformed_case_fails(lib: Path) -> None:
    add = ["--section", "imaging_findings", "--quote", "the"]
    assert "no case lightbox:nope" in _fails(lib, "highlight", "add", "lightbox:nope", *add)
    assert "SOURCE:ID" in _fails(lib, "highlight", "add", "chest-01", *add)
    assert "no case" in _fails(lib, "highlight", "list", "eurorad:0")


@pytest.mark.parametrize(
    ("hid", "said"),
    [("abc", "too short"), ("ffffffff", "no highlight 'ffffffff'")],
)
def test_delete_and_undelete_of_unknown_ids_fail(lib: Path, hid: str, said: str) -> None:
    assert said in _fails(lib, "highlight", "delete", hid)
    assert said in _fails(lib, "highlight", "undelete", hid)


def test_highlight_needs_an_action(lib: Path) -> None:
    assert "required: ACTION" in _fails(lib, "highlight")
    assert "invalid choice" in _fails(lib, "highlight", "remove", "x")


def test_export_notes_writes_files_and_updates_them_in_place(lib: Path, tmp_path: Path) -> None:
    cli_ok(lib, "note", CASE, "--set", "My note")
    cli_ok(
        lib, "highlight", "add", "lightbox:neuro-01", "--section", "clinical_history",
        "--quote", "warfarin", "--colour", "red",
    )  # fmt: skip
    out = tmp_path / "vault"
    assert cli_ok(lib, "export", "notes", str(out)).strip() == (
        f"2 written, 0 unchanged, 0 failed in {out}"
    )
    names = sorted(path.name for path in out.iterdir())
    assert INDEX_NAME in names and len(names) == 3
    assert cli_ok(lib, "export", "notes", str(out)).startswith("0 written, 2 unchanged, 0 failed")
    assert sorted(path.name for path in out.iterdir()) == names
    neuro = next(out.glob("*neuro-01*.md")).read_text("utf-8")
    assert "### Red\n\n> warfarin" in neuro


def test_export_notes_of_chosen_cases(lib: Path, tmp_path: Path) -> None:
    out = cli_ok(
        lib, "export", "notes", str(tmp_path), "--case", "lightbox:abdo-01", "--case", CASE,
        "--case", CASE,
    )  # fmt: skip
    assert out.startswith("2 written")
    assert len(list(tmp_path.glob("*(lightbox *).md"))) == 2


def test_export_notes_failures(lib: Path, tmp_path: Path) -> None:
    assert "no case lightbox:nope" in _fails(
        lib, "export", "notes", str(tmp_path), "--case", "lightbox:nope"
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert f"cannot export into {blocker / 'x'}" in _fails(
        lib, "export", "notes", str(blocker / "x")
    )
    assert "required: WHAT" in _fails(lib, "export")
    # A file that fails is named, with its reason; the others are written; exit status 1.
    cli_ok(lib, "note", CASE, "--set", "note")
    cli_ok(lib, "note", "lightbox:abdo-01", "--set", "note")
    out = tmp_path / "out"
    cli_ok(lib, "export", "notes", str(out))
    target = next(out.glob("*chest-01*.md"))
    target.unlink()
    target.mkdir()
    cli_ok(lib, "note", "lightbox:abdo-01", "--set", "changed")
    result = run_lightbox(lib, "export", "notes", str(out))
    assert result.returncode == 1
    failed, summary = result.stdout.splitlines()
    assert failed.startswith(f"FAILED {target}: ")
    assert summary == f"1 written, 0 unchanged, 1 failed in {out}"


def test_a_non_utf8_comment_is_refused(lib: Path) -> None:
    result = run_lightbox(
        lib, "highlight", "add", CASE, "--section", "imaging_findings", "--quote", "trachea",
        "--comment", b"caf\xe9".decode("utf-8", "surrogateescape"),
    )  # fmt: skip
    assert result.returncode == 2
    assert "--comment is not UTF-8 text" in result.stderr
