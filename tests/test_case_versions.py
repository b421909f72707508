"""A re-import never silently shrinks a case (issue 11, item 6): fields the new file lacks are
kept, the replaced text is kept as a numbered version, listed and restorable per case
(`lightbox versions ID [--restore N]`), and an update that takes text away says so in the
import report, on a line of its own. SAFETY B8 (identical re-import: no version row) and B9
(an edited case keeps its old text as a version).

Issue 11's fault, from real data: the seed case 8455, then a truncated page of it (a third
of the text, no final diagnosis, no differential, no DOI), which replaced the full case and
said "1 updated". It runs with ../shared; the same behaviour is tested on a truncated copy of
a sample case, so a fresh clone tests it too.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.formats.decoding import decode_case_bytes
from desktop.formats.eurorad_text import parse_eurorad_text
from desktop.importer import import_paths
from desktop.model import Case, DiscussionPart, Patient
from desktop.store.errors import DuplicateDoi
from desktop.store.library import Library
from desktop.store.versions import differences, is_shorter, keep_missing, text_size
from tests.conftest import EURORAD_DATA, SAMPLE_CASES, SEED_CASE
from tests.fixtures.make_fixture import reader_view
from tests.tools import needs_shared

TRUNCATED_8455 = EURORAD_DATA / "page-variants" / "eurorad_8455_newsite.txt"
DOI = "10.99999/lightbox.abdo-01"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def parse(path: Path) -> Case:
    return parse_eurorad_text(decode_case_bytes(path.read_bytes()).text)


def full_and_truncated(folder: Path) -> tuple[Path, Path]:
    """A sample case with a DOI, and the same file cut to its first third (as a truncated
    page is): no differential, no final diagnosis, no references, no DOI."""
    text = (SAMPLE_CASES / "abdo-01.txt").read_text("utf-8")
    text = text.replace("License: CC BY 4.0", f"DOI: {DOI}\nLicense: CC BY 4.0")
    full = folder / "full" / "abdo-01.txt"
    truncated = folder / "truncated" / "abdo-01.txt"
    for path, body in ((full, text), (truncated, text[: len(text) // 3])):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, "utf-8")
    return full, truncated


def reader_data(library: Library) -> dict[str, list[list[object]]]:
    return reader_view(library._conn)


def version_rows(library: Library) -> int:
    return int(library._conn.execute("SELECT count(*) FROM case_versions").fetchone()[0])


# --- the rule, without a database -----------------------------------------------------------


def test_keep_missing_keeps_what_the_new_case_lacks_and_takes_what_it_has() -> None:
    stored = Case(
        "eurorad",
        "1",
        "Title",
        clinical_history="History.",
        imaging_findings="Findings.",
        discussion=(DiscussionPart(None, "Long discussion."),),
        differential_diagnosis=("A", "B"),
        final_diagnosis="A",
        references=("Ref 1",),
        doi="10.1/x",
        patient=Patient("40 years", 14600, "male"),
    )
    incoming = Case("eurorad", "1", "New title", clinical_history="History, edited.")
    merged, kept = keep_missing(stored, incoming)
    assert kept == (
        "final_diagnosis",
        "differential_diagnosis",
        "doi",
        "imaging_findings",
        "discussion",
        "references",
        "patient",
    )
    assert merged.title == "New title"
    assert merged.clinical_history == "History, edited."
    assert (merged.final_diagnosis, merged.differential_diagnosis, merged.doi) == (
        "A",
        ("A", "B"),
        "10.1/x",
    )
    assert merged.patient == stored.patient
    assert keep_missing(stored, stored) == (stored, ())


def test_shorter_means_more_than_a_third_dropped() -> None:
    assert is_shorter(3000, 1999)
    assert not is_shorter(3000, 2000)
    assert not is_shorter(0, 0)


def test_differences_name_what_changed() -> None:
    earlier = Case("x", "1", "T", imaging_findings="abc", final_diagnosis="Dx", doi="10.1/a")
    current = Case(
        "x", "1", "T", imaging_findings="abcdef", discussion=(DiscussionPart(None, "D"),)
    )
    assert differences(current, earlier) == [
        "findings 3 characters (now 6)",
        "no discussion (the current text has it)",
        "diagnosis (the current text has none)",
        "DOI (the current text has none)",
    ]
    assert differences(current, current) == []


# --- re-importing a truncated case -------------------------------------------------------------


def test_a_truncated_re_import_keeps_the_fields_and_the_earlier_text(
    tmp_path: Path, library: Library
) -> None:
    full, truncated = full_and_truncated(tmp_path)
    assert import_paths(library, [full]).imported == 1
    case_id = library.resolve("lightbox:abdo-01")
    library.save_note(case_id, "My note on appendicitis.")
    library.set_bookmark(case_id, True)
    library.mark_read(case_id)
    before = library.get_case(case_id)
    assert before is not None and before.doi == DOI
    mine = reader_data(library)

    report = import_paths(library, [truncated])
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 0)
    assert report.shrunk == [
        (
            str(truncated),
            "lightbox:abdo-01: the new file is shorter; kept the diagnosis, the differential,"
            " the DOI, the references and the licence; the earlier text is version 1",
        )
    ]
    assert report.backup is not None  # the importer's backup before changing a case
    after = library.get_case(case_id)
    assert after is not None
    assert after.final_diagnosis == before.final_diagnosis
    assert after.differential_diagnosis == before.differential_diagnosis
    assert after.doi == DOI
    assert after.references == before.references
    (version,) = library.case_versions(case_id)
    assert version.number == 1
    assert version.case == before
    assert version.replaced_by == f"import of {truncated}"
    assert reader_data(library) == mine
    assert library.check() == []

    # The same truncated file again: nothing more to take, nothing more to keep.
    again = import_paths(library, [truncated])
    assert (again.updated, again.unchanged, again.shrunk) == (0, 1, [])
    assert version_rows(library) == 1

    # Restoring version 1 brings the full text back, keeps the truncated one as version 2.
    changes = library.restore_case_version(case_id, 1)
    assert changes.cases == {case_id}
    assert library.get_case(case_id) == before
    assert [v.number for v in library.case_versions(case_id)] == [1, 2]
    assert library.case_versions(case_id)[1].case == after
    assert library.case_versions(case_id)[1].replaced_by == "restore of version 1"
    assert library.restore_case_version(case_id, 1).cases == frozenset()  # already current
    assert reader_data(library) == mine
    assert library.search("appendicolith")[0].summary.id == case_id
    assert library.check() == []


def test_an_identical_re_import_keeps_no_version(tmp_path: Path, library: Library) -> None:
    """SAFETY B8: same case id, same reader's data, no new version row."""
    full, _ = full_and_truncated(tmp_path)
    import_paths(library, [full])
    case_id = library.resolve("lightbox:abdo-01")
    library.set_bookmark(case_id, True)
    mine = reader_data(library)
    report = import_paths(library, [full, SAMPLE_CASES])
    assert report.updated == 0 and report.shrunk == []
    assert library.resolve("lightbox:abdo-01") == case_id
    assert version_rows(library) == 0
    assert reader_data(library) == mine


def test_an_edited_re_import_keeps_the_old_text_quietly(library: Library) -> None:
    """SAFETY B9: a typo fixed is an update; its old text is a version; nothing is reported
    (nothing was taken away)."""
    case = parse(SAMPLE_CASES / "chest-01.txt")
    library.store_case(case)
    edited = dataclasses.replace(case, imaging_findings=case.imaging_findings + " Typo fixed.")
    stored = library.store_case(edited)
    assert (stored.outcome, stored.version, stored.kept, stored.sizes) == ("updated", 1, (), None)
    assert stored.notice is None
    assert library.case_versions(stored.case_id)[0].case.imaging_findings == case.imaging_findings


def test_a_shorter_file_with_every_field_is_still_reported(library: Library) -> None:
    case = parse(SAMPLE_CASES / "neuro-01.txt")
    library.store_case(case)
    short = dataclasses.replace(
        case, discussion=(DiscussionPart(None, "Short."),), clinical_history="Brief."
    )
    stored = library.store_case(short)
    assert stored.sizes is not None and stored.sizes[1] < stored.sizes[0]
    assert (
        stored.notice == "lightbox:neuro-01: the new file is shorter; the earlier text is version 1"
    )
    lacking = dataclasses.replace(case, final_diagnosis="")
    stored = library.store_case(lacking)
    # Only the diagnosis lacking: kept, and the rest of the file (the earlier, longer text)
    # is taken.
    assert stored.notice == (
        "lightbox:neuro-01: the new file lacks diagnosis; kept the diagnosis;"
        " the earlier text is version 2"
    )


def test_a_refused_update_leaves_no_version(library: Library) -> None:
    first = parse(SAMPLE_CASES / "abdo-01.txt")
    other = parse(SAMPLE_CASES / "chest-01.txt")
    library.store_case(dataclasses.replace(first, doi="10.1/taken"))
    library.store_case(other)
    with pytest.raises(DuplicateDoi):
        library.store_case(dataclasses.replace(other, doi="10.1/taken", title="Edited"))
    assert version_rows(library) == 0
    stored = library.get_case(library.resolve("lightbox:chest-01"))
    assert stored is not None and stored.title == other.title and stored.doi is None


def test_versions_are_append_only_and_keyed_by_identity(library: Library) -> None:
    case = parse(SAMPLE_CASES / "abdo-01.txt")
    library.store_case(case)
    for n in range(3):
        library.store_case(dataclasses.replace(case, title=f"{case.title} {n}"))
    conn = library._conn
    rows = conn.execute(
        "SELECT case_source, case_source_id, version FROM case_versions ORDER BY id"
    ).fetchall()
    assert rows == [("lightbox", "abdo-01", n) for n in (1, 2, 3)]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO case_versions (case_source, case_source_id, version, case_json,"
            " content_hash, stored_at, replaced_at, replaced_by)"
            " VALUES ('lightbox', 'abdo-01', 3, '{}', '', '', '', '')"
        )
    # The case leaving the library (trash emptied) does not take its versions with it.
    case_id = library.resolve("lightbox:abdo-01")
    library.trash(case_id)
    library.empty_trash()
    assert conn.execute("SELECT count(*) FROM case_versions").fetchone()[0] == 3


# --- the command line ----------------------------------------------------------------------------


def test_versions_command_lists_and_restores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full, truncated = full_and_truncated(tmp_path)
    lib = str(tmp_path / "cli.db")
    assert run(capsys, "import", "--library", lib, str(full))[0] == 0
    assert run(capsys, "note", "lightbox:abdo-01", "--set", "kept", "--library", lib)[0] == 0
    status, out, _ = run(capsys, "versions", "lightbox:abdo-01", "--library", lib)
    assert status == 0
    assert "No earlier versions" in out
    status, out, _ = run(capsys, "import", "--library", lib, str(truncated))
    assert status == 0
    lines = out.strip().splitlines()
    assert lines == [
        "lightbox:abdo-01: the new file is shorter; kept the diagnosis, the differential,"
        " the DOI, the references and the licence; the earlier text is version 1",
        "0 imported, 1 updated, 0 unchanged, 0 failed",
    ]
    status, out, _ = run(capsys, "versions", "lightbox:abdo-01", "--library", lib)
    assert status == 0
    listing = out.splitlines()
    assert listing[1].startswith("current  ")
    assert listing[2].startswith("1        ")
    assert "replaced" in listing[2] and f"by import of {truncated}" in listing[2]
    assert "discussion" in listing[3]
    status, out, _ = run(capsys, "versions", "lightbox:abdo-01", "--restore", "1", "--library", lib)
    assert status == 0
    assert out.startswith(
        "Restored version 1 of lightbox:abdo-01; the text it replaced is version 2."
    )
    status, out, _ = run(capsys, "show", "lightbox:abdo-01", "--json", "--library", lib)
    shown = json.loads(out)
    assert shown["doi"] == DOI
    assert shown["final_diagnosis"].startswith("Acute uncomplicated appendicitis")
    assert run(capsys, "note", "lightbox:abdo-01", "--library", lib)[1] == "kept\n"
    status, out, _ = run(capsys, "versions", "lightbox:abdo-01", "--restore", "2", "--library", lib)
    assert status == 0 and "version 3" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["versions", "lightbox:abdo-01", "--restore", "7"], "lightbox:abdo-01 has no version 7"),
        (["versions", "lightbox:abdo-01", "--restore", "0"], "at least 1"),
        (["versions", "lightbox:abdo-01", "--restore", "99999999999999999999"], "at most"),
        (["versions", "lightbox:nope"], "no case lightbox:nope"),
    ],
)
def test_versions_errors_are_one_line_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    lib = str(tmp_path / "cli.db")
    run(capsys, "import", "--library", lib, str(SAMPLE_CASES / "abdo-01.txt"))
    status, out, err = run(capsys, *args, "--library", lib)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and message in err, err


# --- issue 11's fault, with the real case -----------------------------------------------------


@needs_shared(SEED_CASE, TRUNCATED_8455)
def test_issue_11_a_truncated_page_of_8455_no_longer_replaces_the_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = str(tmp_path / "real.db")
    assert run(capsys, "import", "--library", lib, str(SEED_CASE))[0] == 0
    run(capsys, "bookmark", "eurorad:8455", "--library", lib)
    _, before, _ = run(capsys, "show", "eurorad:8455", "--json", "--library", lib)
    full = json.loads(before)
    truncated = parse(TRUNCATED_8455)
    assert text_size(truncated) * 3 < text_size(parse(SEED_CASE)) * 2  # under two thirds

    status, out, _ = run(capsys, "import", "--library", lib, str(TRUNCATED_8455))
    assert status == 0
    shrunk, summary = out.strip().splitlines()
    assert shrunk.startswith(
        "eurorad:8455: the new file is shorter; kept the diagnosis, the differential, the DOI"
    )
    assert shrunk.endswith("; the earlier text is version 1")
    assert summary == "0 imported, 1 updated, 0 unchanged, 0 failed"
    _, after, _ = run(capsys, "show", "eurorad:8455", "--json", "--library", lib)
    kept = json.loads(after)
    for key in ("final_diagnosis", "differential_diagnosis", "doi", "clinical_history"):
        assert kept[key] == full[key], key
    assert run(capsys, "bookmarks", "--library", lib)[1].startswith("eurorad:8455")

    assert run(capsys, "versions", "eurorad:8455", "--restore", "1", "--library", lib)[0] == 0
    _, restored, _ = run(capsys, "show", "eurorad:8455", "--json", "--library", lib)
    assert json.loads(restored) == full
