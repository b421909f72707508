"""Issue 16: the command line speaks like one. `--help` lists every command, one line each,
and the exit statuses; a command that changes something says so in one line, which
`--quiet` silences; an import treats files that are no case alike; `list --json` carries
the reader's marks; a prefix search shows its snippets."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from desktop import cli
from desktop.cli import main
from desktop.formats.registry import NOT_A_FORMAT
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES

CHEST = "lightbox:chest-01"  # a spontaneous pneumothorax
NEURO = "lightbox:neuro-01"
ABDO = "lightbox:abdo-01"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def lib(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "speaks.db"
    status, _, _ = run(capsys, "import", "--quiet", "--library", str(path), str(SAMPLE_CASES))
    assert status == 0
    return str(path)


# --- --help -------------------------------------------------------------------------------------


def _section(text: str, title: str) -> list[str]:
    """The lines of a help section, from its title to the next blank line."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_help_lists_every_command_on_one_line_and_the_exit_statuses(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    status, out, err = run(capsys, "--help")
    assert (status, err) == (0, "")
    listed = _section(out, "commands:")
    # One line a command: its name, then its help, nothing wrapped onto a second line.
    named = [re.fullmatch(r"  ([a-z-]+) {2,}\S.*", line) for line in listed]
    assert all(named), listed
    assert {match[1] for match in named if match} == cli._COMMAND_NAMES
    assert len(listed) == len(cli._COMMAND_NAMES)
    assert max(len(line) for line in out.splitlines()) <= 80
    statuses = _section(out, "Exit status:")
    codes = [int(line.split()[0]) for line in statuses if not line.startswith("       ")]
    assert codes == [code for code, _ in cli.EXIT_STATUSES] == [0, 1, 2, 130]
    assert "--quiet" in out and "for scripts" in out
    # The window's options are there too, as is the form that imports files.
    assert "--screenshot FILE" in out and "[FILE ...]" in out


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["tag", "--help"], "usage: lightbox tag "),
        (["collection", "add", "--help"], "usage: lightbox collection add "),
        (["drill", "--help"], "usage: lightbox drill "),
        (["-h"], "usage: lightbox [--library FILE]"),
    ],
)
def test_each_command_has_its_own_help(
    capsys: pytest.CaptureFixture[str], args: list[str], usage: str
) -> None:
    status, out, _ = run(capsys, *args)
    assert status == 0
    assert out.startswith(usage)
    if args[0] != "-h":
        assert "-q, --quiet" in out
        # Its one-line help, as a sentence, says what it does.
        assert re.search(r"^[A-Z].*\.$", out, re.MULTILINE)


def test_version_still_prints_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.startswith("lightbox ")


# --- one line for each change, --quiet for none ---------------------------------------------------


def test_every_change_says_what_it_did_in_one_line_and_quiet_silences_it(
    lib: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def said(*args: str) -> str:
        status, out, err = run(capsys, *args, "--library", lib)
        assert (status, err) == (0, ""), (args, err)
        assert out.count("\n") == 1, (args, out)
        return out.strip()

    def silent(*args: str) -> None:
        status, out, err = run(capsys, *args, "--library", lib, "--quiet")
        assert (status, out, err) == (0, "", ""), args

    assert said("note", CHEST, "--set", "Look at the apex.") == (
        f"Saved the note on {CHEST} (17 characters)."
    )
    assert said("note", CHEST, "--set", "Look at the apex.") == f"The note on {CHEST} is unchanged."
    assert said("note", CHEST, "--set", "").startswith(f"Cleared the note on {CHEST}")
    silent("note", CHEST, "--set", "quiet words")
    assert run(capsys, "note", CHEST, "--library", lib)[1] == "quiet words\n"

    assert said("bookmark", CHEST) == f"Bookmarked {CHEST}."
    assert said("bookmark", CHEST) == f"{CHEST} was bookmarked already."
    assert said("bookmark", CHEST, "--off") == f"Removed the bookmark from {CHEST}."
    assert said("bookmark", CHEST, "--off") == f"{CHEST} had no bookmark."
    silent("bookmark", NEURO)

    assert said("tag", CHEST, "spot", "FRCR") == f"Tagged {CHEST}: spot, FRCR."
    assert said("tag", CHEST, "spot") == f"{CHEST} had those tags already."
    assert said("untag", CHEST, "spot") == f"Took spot off {CHEST}."
    silent("untag", CHEST, "FRCR")

    assert said("collection", "add", "Boards/Chest", CHEST, NEURO) == (
        "Added 2 cases to Boards/Chest (a new collection)."
    )
    assert said("collection", "add", "Boards/Chest", CHEST, ABDO) == (
        "Added 1 case to Boards/Chest; 1 case in it already."
    )
    assert said("collection", "remove", "Boards/Chest", NEURO) == "Took 1 case out of Boards/Chest."
    silent("collection", "remove", "Boards/Chest", ABDO)

    assert said("saved", "add", "Lungs", "section:chest") == (
        "Saved the search “Lungs” the query 'section:chest'."
    )
    assert said("saved", "add", "Lungs", "pneumothorax", "--replace").startswith(
        "Gave the saved search “Lungs” the query"
    )
    assert (
        said("saved", "rename", "Lungs", "Chest") == "Renamed the saved search “Lungs” to “Chest”."
    )
    assert said("saved", "remove", "Chest") == "Deleted the saved search “Chest”."
    silent("saved", "add", "Quiet", "section:chest")

    # What a command makes, a script needs: printed even with --quiet.
    status, out, _ = run(
        capsys, "highlight", "add", CHEST, "--section", "title", "--quote", "chest", "-q",
        "--library", lib,
    )  # fmt: skip
    assert status == 0
    uid = out.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", uid)
    assert said("highlight", "delete", uid).startswith(f"Deleted highlight {uid[:8]} (")
    assert said("highlight", "undelete", uid) == f"Brought back highlight {uid[:8]}."
    silent("highlight", "delete", uid)

    assert said("drill", "retention", "0.85") == "Desired retention set to 0.85."
    silent("drill", "retention", "0.9")

    assert said("trash", ABDO).startswith(f"Moved {ABDO} to the Trash ('lightbox untrash {ABDO}'")
    assert said("untrash", ABDO) == f"Took {ABDO} out of the Trash."
    assert said("untrash", ABDO) == f"{ABDO} was not in the Trash."
    silent("trash", ABDO)
    assert said("empty-trash", "--yes") == (
        "Deleted 1 trashed case and your notes on them for good."
    )
    assert said("empty-trash", "--yes") == "The Trash was empty: nothing was deleted."
    assert said("purge-deleted", "--yes").startswith("Purged ")
    silent("purge-deleted", "--yes")

    out_dir = tmp_path / "notes"
    assert said("export", "notes", str(out_dir)).endswith(f"in {out_dir}")
    silent("export", "notes", str(out_dir))

    status, out, _ = run(capsys, "backup", "--quiet", "--library", lib)
    backup = Path(out.strip())
    assert status == 0 and backup.is_file()
    # A restore says what it did, then where the library as it was went (a second line).
    status, out, _ = run(capsys, "restore", str(backup), "--library", lib)
    assert status == 0
    restored, kept = out.splitlines()
    assert restored.startswith(f"Restored {backup} into ")
    assert kept.startswith("The library as it was is backed up in ")
    silent("restore", str(backup))


def test_quiet_may_come_before_the_command(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--quiet", "--library", lib, "bookmark", CHEST) == (0, "", "")
    assert run(capsys, "-q", "bookmark", CHEST, "--off", "--library", lib) == (0, "", "")
    status, out, _ = run(capsys, "bookmarks", "--library", lib)
    assert (status, out) == (0, "")


# --- import: files that are no case -----------------------------------------------------------


def _mixed_folder(root: Path) -> Path:
    folder = root / "mixed"
    folder.mkdir()
    shutil.copy(SAMPLE_CASES / "chest-01.txt", folder / "chest-01.txt")
    (folder / "README.txt").write_text("Cases for the Tuesday meeting.\n", encoding="utf-8")
    (folder / "table.tsv").write_text("id\ttitle\n1\tx\n", encoding="utf-8")
    return folder


def test_import_skips_a_readme_as_it_skips_a_tsv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _mixed_folder(tmp_path)
    library = str(tmp_path / "x.db")
    status, out, _ = run(capsys, "import", str(folder), "--library", library)
    assert status == 0
    assert f"skipped {folder / 'README.txt'}: {NOT_A_FORMAT}" in out
    assert f"skipped {folder / 'table.tsv'}: {NOT_A_FORMAT}" in out
    assert "FAILED" not in out
    assert out.splitlines()[-1] == (
        f"1 imported, 0 updated, 0 unchanged, 0 failed, 2 skipped ({NOT_A_FORMAT})"
    )


def test_a_damaged_case_in_a_folder_still_fails_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _mixed_folder(tmp_path)
    # The first line lost its CASE: the rest reads as a case, so it is one, damaged.
    text = (SAMPLE_CASES / "neuro-01.txt").read_text("utf-8").split("\n", 1)[1]
    (folder / "neuro-01.txt").write_text(text, encoding="utf-8")
    library = str(tmp_path / "x.db")
    status, out, _ = run(capsys, "import", str(folder), "--library", library)
    assert status == 1
    assert f"FAILED {folder / 'neuro-01.txt'}: not a case file" in out
    assert "2 skipped" in out.splitlines()[-1]
    # --quiet leaves the failure, drops the rest.
    status, out, _ = run(capsys, "import", "-q", str(folder), "--library", library)
    assert status == 1
    assert out.splitlines() == [
        f"FAILED {folder / 'neuro-01.txt'}: " + out.split(": ", 1)[1].strip()
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("README.txt", "not a case file"), ("table.tsv", NOT_A_FORMAT)],
)
def test_a_file_named_alone_that_is_no_case_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, reason: str
) -> None:
    path = _mixed_folder(tmp_path) / name
    status, out, _ = run(capsys, "import", str(path), "--library", str(tmp_path / "x.db"))
    assert status == cli.EXIT_FAILURES
    assert out.startswith(f"FAILED {path}: {reason}")


# --- list --json and --sort marks ------------------------------------------------------------


def test_list_json_carries_the_readers_marks(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "bookmark", CHEST, "--library", lib)
    run(capsys, "note", NEURO, "--set", "subdural", "--library", lib)
    for quote in ("pain", "chest"):
        run(capsys, "highlight", "add", CHEST, "--section", "title", "--quote", quote,
            "--library", lib)  # fmt: skip
    run(capsys, "drill", "rate", ABDO, "missed", "--library", lib)
    with Library.open(Path(lib), create=False) as library:
        library.mark_read(library.resolve(NEURO))
    status, out, _ = run(capsys, "list", "--json", "--library", lib)
    assert status == 0
    rows = {row["id"]: row for row in json.loads(out)}
    marks = ("bookmarked", "has_note", "read", "highlights", "due")
    assert {key: rows[CHEST][key] for key in marks} == {
        "bookmarked": True, "has_note": False, "read": False, "highlights": 2, "due": None,
    }  # fmt: skip
    assert {key: rows[NEURO][key] for key in marks} == {
        "bookmarked": False, "has_note": True, "read": True, "highlights": 0, "due": None,
    }  # fmt: skip
    assert rows[ABDO]["due"] is not None
    assert rows[ABDO]["due"][:4].isdigit() and "T" in rows[ABDO]["due"]
    assert all(isinstance(row["highlights"], int) for row in rows.values())


def test_sort_marks_puts_marked_cases_first(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "note", NEURO, "--set", "subdural", "--library", lib)
    run(capsys, "bookmark", ABDO, "--library", lib)
    run(capsys, "highlight", "add", CHEST, "--section", "title", "--quote", "chest",
        "--library", lib)  # fmt: skip
    _, out, _ = run(capsys, "list", "--sort", "marks", "--library", lib)
    keys = [line.split()[0] for line in out.splitlines()]
    # Bookmarked, then with a note, then highlighted; the unmarked after them.
    assert keys[:3] == [ABDO, NEURO, CHEST]
    _, out, _ = run(capsys, "list", "--sort", "marks", "--reverse", "--json", "--library", lib)
    reversed_keys = [row["id"] for row in json.loads(out)]
    assert reversed_keys[-3:] == [CHEST, NEURO, ABDO]
    assert set(reversed_keys) == set(keys)


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["pneumo*", "pneumo", "section:chest pneumo*"])
def test_a_prefix_search_prints_its_snippets_and_no_blank_line(
    lib: str, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    status, out, _ = run(capsys, "search", query, "--library", lib)
    assert status == 0
    lines = out.splitlines()
    assert lines and all(line.strip() for line in lines), out
    snippets = [line for line in lines if line.startswith("    ")]
    assert snippets, out
    assert all(re.search(r"«pneumo\w*»", line, re.IGNORECASE) for line in snippets), snippets
    _, out, _ = run(capsys, "search", query, "--json", "--library", lib)
    assert all(hit["snippet"] for hit in json.loads(out))


def test_a_search_of_filters_alone_prints_no_blank_snippet_line(
    lib: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "search", "section:chest", "--library", lib)
    assert status == 0
    assert out.strip() and all(line.strip() for line in out.splitlines())


# --- exit statuses, as --help writes them ------------------------------------------------------


def test_the_exit_statuses_are_the_ones_help_lists(
    lib: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, "search", "xyzzy", "--library", lib)[0] == cli.EXIT_OK
    assert run(capsys, "list", "--library", lib)[0] == cli.EXIT_OK
    assert run(capsys, "import", str(empty), "--library", lib)[0] == cli.EXIT_FAILURES
    assert run(capsys, "bookmark", "lightbox:nope", "--library", lib)[0] == cli.EXIT_ERROR
    assert run(capsys, "list", "--sort", "colour", "--library", lib)[0] == cli.EXIT_ERROR
    assert run(capsys, "frobnicate", "--library", lib)[0] == cli.EXIT_ERROR


def test_a_long_query_that_finds_nothing_is_not_repeated_whole(
    lib: str, capsys: pytest.CaptureFixture[str]
) -> None:
    query = " ".join(f"zzq{n}" for n in range(300))  # about 1,700 characters
    status, out, _ = run(capsys, "search", query, "--library", lib)
    assert status == cli.EXIT_OK
    assert out.startswith("No case matches 'zzq0 zzq1 ")
    assert out.strip().endswith("…'.")
    assert len(out.strip()) < 100
