"""Migrations: a library of every released schema upgrades to exactly today's schema with every
record intact; a failing migration changes nothing; a newer library is refused untouched.

The fixtures (tests/fixtures/library-v<N>.db, made by make_fixture.py) stand for libraries
readers already have. They are frozen: every test works on a copy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from desktop.cli import main
from desktop.importer import import_paths
from desktop.model import CaseFilter, SavedSearch
from desktop.store import backup, schema
from desktop.store import library as library_module
from desktop.store.db import APPLICATION_ID
from desktop.store.errors import LibraryTooNew, MigrationFailed
from desktop.store.library import Library
from desktop.store.media import flatten_folders, media_folder
from desktop.store.records import READER_TABLES
from tests.conftest import SAMPLE_CASES
from tests.fixtures.make_fixture import Records, reader_view, user_records

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VERSIONS = range(1, schema.SCHEMA_VERSION + 1)
#: Case columns whose text the search index covers.
TEXT_COLUMNS = schema.FTS_COLUMNS


def fixture_path(version: int) -> Path:
    path = FIXTURES / f"library-v{version}.db"
    if not path.exists():
        pytest.fail(
            f"no fixture for schema {version}: every migration needs one; run"
            f" '.venv/bin/python tests/fixtures/make_fixture.py {version} {path}'"
        )
    return path


def copy_fixture(version: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "library.db"
    shutil.copyfile(fixture_path(version), target)
    return target


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def records_of(path: Path, columns: dict[str, list[str]] | None = None) -> Records:
    conn = read_only(path)
    try:
        return user_records(conn, columns)
    finally:
        conn.close()


def normalised_schema(path: Path) -> list[tuple[str, str, str, str]]:
    """sqlite_master as (type, name, table, sql with whitespace collapsed), sorted."""
    conn = read_only(path)
    try:
        rows = conn.execute(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master"
            " WHERE name NOT LIKE 'sqlite_autoindex%' AND name NOT LIKE 'sqlite_stat%'"
        ).fetchall()
    finally:
        conn.close()
    return sorted((kind, name, table, " ".join(sql.split())) for kind, name, table, sql in rows)


def pragma(path: Path, name: str) -> Any:
    conn = read_only(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def columns_of(records: Records) -> dict[str, list[str]]:
    return {table: list(data["columns"]) for table, data in records.items()}


def case_columns_of(records: Records) -> dict[str, list[str]]:
    """The columns of the tables that are not reader data (rebuilt by migration 5)."""
    return {t: cols for t, cols in columns_of(records).items() if t not in READER_TABLES}


def view_of(path: Path) -> dict[str, list[list[Any]]]:
    conn = read_only(path)
    try:
        return reader_view(conn)
    finally:
        conn.close()


def as_dicts(records: Records, table: str) -> list[dict[str, Any]]:
    data = records.get(table, {"columns": [], "rows": []})
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


@pytest.fixture(scope="module")
def fresh_schema(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str, str]]:
    path = tmp_path_factory.mktemp("fresh") / "library.db"
    Library.open(path).close()
    return normalised_schema(path)


def test_every_schema_version_has_a_frozen_fixture() -> None:
    found = {
        int(match[1]): path
        for path in FIXTURES.glob("library-v*.db")
        if (match := re.fullmatch(r"library-v(\d+)\.db", path.name))
    }
    assert sorted(found) == list(VERSIONS), (
        "one fixture per schema version 1..SCHEMA_VERSION: a new migration adds its fixture"
        " (tests/fixtures/make_fixture.py)"
    )
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (FIXTURES / "SHA256SUMS").read_text().splitlines()
        if line.strip()
    )
    for version, path in found.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sums.get(path.name), (
            f"{path.name} changed: fixtures are frozen (tests must work on copies)"
        )
        # Small enough to keep in git: each schema adds a few pages (a table, its indexes).
        assert path.stat().st_size < 500_000
        assert pragma(path, "user_version") == version
        assert pragma(path, "application_id") == APPLICATION_ID
        assert pragma(path, "journal_mode") == "delete"
        assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_upgrades_to_the_fresh_schema_with_every_record_intact(
    version: int, tmp_path: Path, fresh_schema: list[tuple[str, str, str, str]]
) -> None:
    path = copy_fixture(version, tmp_path / "lib")
    before = records_of(path)
    # The fixture is full of the reader's data for its version.
    expected_tables = (
        {"cases"}
        | ({"notes", "bookmarks", "reading"} if version >= 2 else set())
        | ({"note_versions"} if version >= 3 else set())
    )
    assert expected_tables <= set(before)
    assert len(before["cases"]["rows"]) >= 4
    assert all(before[table]["rows"] for table in expected_tables)

    view = view_of(path)
    with Library.open(path) as library:
        assert schema.user_version(library._conn) == schema.SCHEMA_VERSION
        assert library.check() == []
        # Every record the fixture had: case rows column by column, ids included; the
        # reader's data record by record, each naming the same case with the same values.
        kept = case_columns_of(before)
        assert records_of(path, kept) == {t: before[t] for t in kept}
        assert view_of(path) == view
        after = records_of(path)
        if version == schema.SCHEMA_VERSION:
            assert after == before
        elif version >= 5:  # reader records already: migrations since add tables (and
            # columns of cases, checked above) only
            assert {t: after[t] for t in before if t != "cases"} == {
                t: before[t] for t in before if t != "cases"
            }
        elif version >= 2:
            check_new_records(before, after)
        # Columns added since then hold their defaults on the old rows.
        for table, data in after.items():
            if table in READER_TABLES and version >= 2:
                continue  # rebuilt: see check_new_records
            added = [c for c in data["columns"] if c not in columns_of(before).get(table, [])]
            for row in as_dicts(after, table):
                assert all(row[column] is None for column in added), (table, added)
        # New tables start empty (they hold nothing the old version could have written).
        assert all(not after[t]["rows"] for t in set(after) - set(before))
        check_search(library, after)
        check_counts(library, after)
        conn = library._conn
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []  # SAFETY B5
        assert conn.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    assert normalised_schema(path) == fresh_schema
    assert pragma(path, "journal_mode") == "wal"

    pinned = [b for b in backup.list_backups(path) if b.reason == "pre-migration"]
    if version == schema.SCHEMA_VERSION:
        assert pinned == []
        return
    assert len(pinned) == 1 and pinned[0].pinned
    assert pinned[0].path.name.endswith(f"-pre-migration-v{version}.db")
    backup.check_backup(pinned[0].path)
    contents = backup.backup_contents(pinned[0].path)
    assert contents.schema_version == version
    assert records_of(pinned[0].path) == before
    assert normalised_schema(pinned[0].path) == normalised_schema(fixture_path(version))


#: Migration 5: where each reader table's record stamps come from in the old row.
STAMPS_FROM = {
    "notes": ("created_at", "updated_at"),
    "bookmarks": ("created_at", "created_at"),
    "reading": ("first_read_at", "last_read_at"),
    "note_versions": ("kept_at", "kept_at"),
}


def check_new_records(before: Records, after: Records) -> None:
    """Each old row of reader data became one live record, in the old order: a new uid of
    its own (a version 4 UUID), its case's identity, its old timestamps."""
    keys = {c["id"]: (c["source"], c["source_id"]) for c in as_dicts(before, "cases")}
    uids = set()
    for table, (created, updated) in STAMPS_FROM.items():
        old = as_dicts(before, table)
        new = as_dicts(after, table)
        assert len(new) == len(old), table
        for was, now in zip(old, new, strict=True):
            assert (now["case_source"], now["case_source_id"]) == keys[was["case_id"]]
            assert (now["created_at"], now["updated_at"]) == (was[created], was[updated])
            assert now["deleted_at"] is None
            assert str(uuid.UUID(now["uid"])) == now["uid"]
            assert uuid.UUID(now["uid"]).version == 4
            uids.add(now["uid"])
    assert len(uids) == sum(len(after[t]["rows"]) for t in STAMPS_FROM)


def check_counts(library: Library, records: Records) -> None:
    """The sidebar counts live records of cases in the library and out of the trash only
    (the schema 5 fixture also holds tombstones and records of cases it does not have)."""
    cases = as_dicts(records, "cases")
    shelf = {f"{c['source']}:{c['source_id']}" for c in cases if not c.get("trashed_at")}

    def live(table: str) -> set[str]:
        return {
            f"{r['case_source']}:{r['case_source_id']}" if "case_source" in r else ""
            for r in as_dicts(records, table)
            if r.get("deleted_at") is None
        }

    counts = library.counts()
    assert counts.all == len(shelf)
    assert counts.trash == len(cases) - len(shelf)
    assert counts.bookmarked == len(live("bookmarks") & shelf)
    assert counts.notes == len(live("notes") & shelf)
    assert counts.unread == len(shelf - live("reading"))
    bookmarked = {library.rows([i])[0].summary.key for i in library.bookmarked_ids()}
    assert bookmarked == live("bookmarks") & {f"{c['source']}:{c['source_id']}" for c in cases}


def check_search(library: Library, records: Records) -> None:
    """A word of each case's title finds it; a word only a note has finds the note, unless
    the note is a tombstone (or its case is not in the library): then nothing."""
    cases = as_dicts(records, "cases")
    trashed = {c["id"] for c in cases if c.get("trashed_at")}
    ids = {f"{c['source']}:{c['source_id']}": c["id"] for c in cases}
    case_text = " ".join(str(c[column] or "") for c in cases for column in TEXT_COLUMNS)
    case_words = set(re.findall(r"\w+", case_text.casefold()))
    for case in cases:
        word = max(re.findall(r"[^\W\d_]{4,}", case["title"]), key=len)
        visible = {hit.case_id for hit in library.search_cases(word)}
        in_trash = {hit.case_id for hit in library.search_cases(word, CaseFilter("trash"))}
        if case["id"] in trashed:
            assert case["id"] in in_trash and case["id"] not in visible, word
        else:
            assert case["id"] in visible, word
    notes = as_dicts(records, "notes")
    found_in_notes = gone = 0
    for note in notes:
        words = re.findall(r"[^\W\d_]{6,}", note["body"])
        only_here = [w for w in words if w.casefold() not in case_words]
        case_id = ids.get(f"{note['case_source']}:{note['case_source_id']}")
        if not only_here or case_id in trashed:
            continue
        hits = library.search_cases(only_here[0])
        if note["deleted_at"] is not None or case_id is None:
            assert hits == [], only_here[0]
            gone += 1
            continue
        assert [(h.case_id, h.in_note) for h in hits] == [(case_id, True)], only_here[0]
        found_in_notes += 1
    assert found_in_notes >= (1 if notes else 0)
    assert gone >= (2 if library.count_tombstones() else 0)


@pytest.mark.parametrize("version", VERSIONS)
def test_reimporting_a_fixture_case_keeps_its_id_and_the_readers_data(
    version: int, tmp_path: Path
) -> None:
    """The fixture's cases are stored as that version stored them: re-importing the same
    file after the upgrade finds the case unchanged, under the same id."""
    from desktop.formats.decoding import decode_case_bytes
    from desktop.formats.eurorad_text import parse_eurorad_text
    from tests.conftest import SAMPLE_CASES

    path = copy_fixture(version, tmp_path / "lib")
    before = records_of(path)
    view = view_of(path)
    case = parse_eurorad_text(decode_case_bytes((SAMPLE_CASES / "abdo-01.txt").read_bytes()).text)
    with Library.open(path) as library:
        stored = library.store_case(case)
        assert stored.case_id == library.resolve("lightbox:abdo-01")
        assert stored.outcome == "unchanged"
    kept = case_columns_of(before)
    assert records_of(path, kept) == {t: before[t] for t in kept}
    assert view_of(path) == view


@pytest.mark.parametrize("version", VERSIONS)
def test_saved_searches_of_a_fixture_are_kept_and_list_their_cases(
    version: int, tmp_path: Path
) -> None:
    """From schema 8 on, a fixture holds a saved search: after the upgrade and a re-import of
    its cases it is listed as it was, and it lists the cases its query selects."""
    path = copy_fixture(version, tmp_path / "lib")
    with Library.open(path) as library:
        found = library.saved_searches()
        if version < 8:
            assert found == []
            return
        query = 'in:"Boards/Chest" is:unread'
        assert found == [
            SavedSearch("d0000000-0000-4000-8000-000000000001", "Chest to revise", query)
        ]
        assert library.count_saved_search(query) == 1
        assert import_paths(library, [SAMPLE_CASES]).failed == []
        assert library.saved_searches() == found
        listed = library.case_ids(CaseFilter("saved", value=query))
        assert [library.case_key(case) for case in listed] == ["lightbox:chest-01"]


def fail_next_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Appends a migration that half-does its work, then fails."""

    def m_broken(db: Any) -> None:
        conn = db.conn
        conn.execute("CREATE TABLE half_done(x)")
        conn.execute("ALTER TABLE cases ADD COLUMN extra TEXT")
        conn.execute("UPDATE cases SET title = 'overwritten'")
        conn.execute("DELETE FROM bookmarks")
        raise RuntimeError("migration failed halfway")

    version = schema.SCHEMA_VERSION + 1
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, m_broken])
    # library.py imported the constant by name: both must see the new version.
    monkeypatch.setattr(schema, "SCHEMA_VERSION", version)
    monkeypatch.setattr(library_module, "SCHEMA_VERSION", version)


def test_a_failing_migration_changes_nothing_even_after_five_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SAFETY A6 + B4: five starts in a row, each failing in the same migration."""
    current = schema.SCHEMA_VERSION
    path = copy_fixture(current, tmp_path / "lib")
    Library.open(path).close()  # as the reader's app left it: WAL, at the current schema
    data = records_of(path)
    shape = normalised_schema(path)
    file_bytes = path.read_bytes()
    fail_next_migration(monkeypatch)

    for attempt in range(1, 6):
        with pytest.raises(MigrationFailed, match="migration failed halfway"):
            Library.open(path)
        assert pragma(path, "user_version") == current
        assert normalised_schema(path) == shape
        assert records_of(path) == data
        assert path.read_bytes() == file_bytes, f"attempt {attempt} changed the file"
        pinned = [b for b in backup.list_backups(path) if b.pinned]
        assert 1 <= len(pinned) <= attempt
        for each in pinned:
            backup.check_backup(each.path)
            assert backup.backup_contents(each.path).schema_version == current
            assert records_of(each.path) == data
    assert not list((path.parent / "backups").glob("*.tmp"))


def test_a_failing_step_keeps_the_steps_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each step commits on its own: from schema 1, the good steps stay done, the failed one
    is undone, and the pinned backup still holds the library as it was at schema 1."""
    path = copy_fixture(1, tmp_path / "lib")
    before = records_of(path)
    fail_next_migration(monkeypatch)
    with pytest.raises(MigrationFailed):
        Library.open(path)
    assert pragma(path, "user_version") == schema.SCHEMA_VERSION - 1
    assert records_of(path, columns_of(before)) == before
    names = {row[1] for row in normalised_schema(path)}
    assert "half_done" not in names
    (pinned,) = [b for b in backup.list_backups(path) if b.pinned]
    assert backup.backup_contents(pinned.path).schema_version == 1
    assert records_of(pinned.path) == before


def make_too_new(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()


def test_a_library_from_a_newer_lightbox_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SAFETY B6, on a library as Lightbox leaves it (WAL mode)."""
    path = copy_fixture(schema.SCHEMA_VERSION, tmp_path / "lib")
    Library.open(path).close()
    make_too_new(path)
    before = path.read_bytes()
    with pytest.raises(LibraryTooNew, match="newer Lightbox"):
        Library.open(path)
    assert main(["list", "--library", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "newer Lightbox" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert not (path.parent / "backups").exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["library.db"]


def test_a_rollback_journal_library_from_a_newer_lightbox_is_left_byte_for_byte(
    tmp_path: Path,
) -> None:
    path = copy_fixture(schema.SCHEMA_VERSION, tmp_path / "lib")  # journal_mode=delete
    make_too_new(path)
    before = path.read_bytes()
    with pytest.raises(LibraryTooNew):
        Library.open(path)
    assert path.read_bytes() == before


def fail_midway_through_m005(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Makes migration 5 fail with some of its tables rebuilt ("bookmarks": the notes, their
    search index and the note history already done) or after all of its work ("end")."""
    if where == "end":
        done = schema.MIGRATIONS[4]

        def m005_then_fail(db: Any) -> None:
            done(db)
            raise RuntimeError("migration failed halfway")

        monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS[:4], m005_then_fail])
        return
    real = schema.reader_table_sql

    def failing(name: str, *args: Any) -> list[str]:
        if name == where:
            raise RuntimeError("migration failed halfway")
        return real(name, *args)

    monkeypatch.setattr(schema, "reader_table_sql", failing)


@pytest.mark.parametrize("where", ["bookmarks", "end"])
def test_migration_5_failing_midway_leaves_the_library_at_schema_4(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table rebuilds, the dropped search index and its triggers all roll back with it;
    a later start (the fault gone) migrates the same data."""
    path = copy_fixture(4, tmp_path / "lib")
    before = records_of(path)
    view = view_of(path)
    shape = normalised_schema(path)
    with monkeypatch.context() as patched:
        fail_midway_through_m005(patched, where)
        with pytest.raises(MigrationFailed, match="migration failed halfway"):
            Library.open(path)
    assert pragma(path, "user_version") == 4
    assert normalised_schema(path) == shape
    assert records_of(path) == before
    conn = sqlite3.connect(path)  # FTS5's integrity check needs a writable connection
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for table in ("cases_fts", "notes_fts"):
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()
    with Library.open(path) as library:
        assert library.check() == []
    assert view_of(path) == view


@pytest.mark.parametrize("version", VERSIONS)
def test_case_versions_after_the_upgrade(version: int, tmp_path: Path) -> None:
    """Migration 6: every library gains the case versions; the schema 6 fixture's versions
    read back whole (text with emoji, RTL, combining marks), a version of a case no longer
    in the library stays, and an update after the upgrade numbers on from the last one."""
    from desktop.formats.decoding import decode_case_bytes
    from desktop.formats.eurorad_text import parse_eurorad_text
    from tests.conftest import SAMPLE_CASES
    from tests.fixtures.make_fixture import CASE_VERSIONS

    path = copy_fixture(version, tmp_path / "lib")
    expected = [v for v in CASE_VERSIONS if version >= 6]
    with Library.open(path) as library:
        abdo = library.resolve("lightbox:abdo-01")
        edge = library.resolve("fixture:edge-1")
        numbers = [v.number for v in library.case_versions(abdo)]
        assert numbers == [n for key, n, *_ in expected if key == "lightbox:abdo-01"]
        edge_versions = library.case_versions(edge)
        if version >= 6:
            assert edge_versions[0].case.title.startswith("Quellwolke sign, first text 😀 עברית")
            assert edge_versions[0].replaced_by == "import of /media/usb/édge 😀.txt"
            conn = library._conn
            gone = conn.execute(
                "SELECT count(*) FROM case_versions WHERE case_source_id = 'gone-01'"
            ).fetchone()[0]
            assert gone == 1
        else:
            assert edge_versions == []
        text = (SAMPLE_CASES / "abdo-01.txt").read_bytes()
        case = parse_eurorad_text(decode_case_bytes(text).text)
        held = library.get_case(abdo)  # from schema 10 on, with figures the file lacks
        edited = dataclasses.replace(case, clinical_history=case.clinical_history + " Edited.")
        stored = library.store_case(edited)
        assert stored.outcome == "updated"
        assert stored.version == len(numbers) + 1
        assert library.case_versions(abdo)[-1].case == held
        restored = library.restore_case_version(abdo, stored.version or 0)
        assert restored.cases == {abdo}
        current = library.get_case(abdo)
        assert current is not None
        assert current.clinical_history == case.clinical_history
        assert library.check() == []
    assert view_of(path) == view_of(fixture_path(version))  # the reader's data untouched


# --- figures: schema 10 ------------------------------------------------------------------------

#: Figures as schemas before 10 stored them ({"label", "legend", "image"}), with words no
#: other text of the fixtures has.
OLD_FIGURES = [
    {
        "label": "Figure 1",
        "legend": "Axial CT: a snowstormlike pattern in both lungs.",
        "image": None,
    },
    {"label": "Figure 2", "legend": "", "image": None},
    {"label": "Figure 3", "legend": "Coronal CT: zygomaticofacial sparing.", "image": None},
]


def test_upgrading_v9_keeps_every_record_and_makes_old_legends_searchable(
    tmp_path: Path,
) -> None:
    """Migration 10 fills figure_legends from the figures a case already had (their old
    form called the caption a legend) and rebuilds the search index with them."""
    import json

    from desktop.model import Figure

    path = copy_fixture(9, tmp_path / "lib")
    conn = sqlite3.connect(path)  # the case as a schema 9 Lightbox stored it
    conn.execute(
        "UPDATE cases SET figures = ? WHERE source = 'lightbox' AND source_id = 'chest-01'",
        (json.dumps(OLD_FIGURES),),
    )
    conn.commit()
    conn.close()
    before = records_of(path)
    view = view_of(path)
    with Library.open(path) as library:
        assert schema.user_version(library._conn) == schema.SCHEMA_VERSION
        assert library.check() == []
        chest = library.resolve("lightbox:chest-01")
        for word in ("snowstormlike", "zygomaticofacial"):
            assert [hit.case_id for hit in library.search_cases(word)] == [chest], word
        case = library.get_case(chest)
        assert case is not None
        assert case.figures == tuple(
            Figure(f["label"], f["legend"] or "", f["image"]) for f in OLD_FIGURES
        )
        legends = library._conn.execute(
            "SELECT figure_legends FROM cases WHERE id = ?", (chest,)
        ).fetchone()[0]
        assert legends == f"{OLD_FIGURES[0]['legend']}\n{OLD_FIGURES[2]['legend']}"
        assert library.media_problems() == []  # it names no image
        assert library._conn.execute("PRAGMA foreign_key_check").fetchall() == []
    kept = case_columns_of(before)
    assert records_of(path, kept) == {t: before[t] for t in kept}
    assert view_of(path) == view


def test_the_v10_fixture_reads_its_figures_and_check_reports_its_missing_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The schema 10 fixture ships no media folder: its one stored image is missing. Its
    figures read back with every detail; `lightbox check` names the missing file, does not
    call the database damaged, and the library stays writable."""
    from desktop.model import Figure
    from tests.fixtures.make_fixture import FIGURES

    path = copy_fixture(10, tmp_path / "lib")
    missing = str(FIGURES[0]["image"])
    with Library.open(path) as library:
        abdo = library.resolve("lightbox:abdo-01")
        case = library.get_case(abdo)
        assert case is not None
        assert case.figures == (
            Figure(
                "Figure 1",
                "Axial CT: a low-density mass in the pancreatic head.",
                missing,
                modality="CT - contrast",
                plane="Axial",
                part="1",
                width=512,
                height=512,
            ),
            Figure(
                "Figure 2",
                "Coronal MR: the dilated duct.",
                None,
                modality="MR - T2",
                plane="Coronal",
                part="2",
                missing="image file images/MPX9_synpic2.png not found",
            ),
        )
        assert (case.keywords, case.acr_code, case.category, case.diagnosis_by) == (
            ("pancreas", "duct"),
            "7.3",
            "Neoplasm, carcinoma",
            "Biopsy",
        )
        assert library.image_path(missing) is None
        assert [hit.case_id for hit in library.search_cases("pancreatic head")] == [abdo]
    assert main(["check", "--library", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    reported = [line for line in out.splitlines() if missing in line]
    assert len(reported) == 1 and "missing" in reported[0] and "lightbox:abdo-01" in reported[0]
    assert "damaged" not in out  # the database is sound: only an image file is gone
    with Library.open(path) as library:
        assert library.check() == []
        abdo = library.resolve("lightbox:abdo-01")
        library.save_note(abdo, "written after check: the image must be imported again")
        note = library.note(abdo)
        assert note is not None and note.body.startswith("written after check")
        assert library.check() == []
        assert len(library.media_problems()) == 1


# --- the flat media folder: schema 11 -------------------------------------------------------


def legacy_media(path: Path) -> tuple[Path, dict[str, Path]]:
    """The v10 fixture's image, and an image nothing names, where schema 10 kept them
    (``media/<first two hex digits>/<hash>``), with a file of someone else's in one
    sub-folder."""
    folder = media_folder(path)
    kept: dict[str, Path] = {}
    for data in (b"fixture image 1", b"an image nothing names"):
        digest = hashlib.sha256(data).hexdigest()
        kept[digest] = folder / digest[:2] / digest
        kept[digest].parent.mkdir(parents=True, exist_ok=True)
        kept[digest].write_bytes(data)
    stray = folder / "ab" / "notes.txt"
    stray.parent.mkdir(exist_ok=True)
    stray.write_text("not an image")
    return stray, kept


def test_migration_11_moves_the_images_into_one_folder(tmp_path: Path) -> None:
    from tests.fixtures.make_fixture import FIGURES

    path = copy_fixture(10, tmp_path / "lib")
    stray, kept = legacy_media(path)
    with Library.open(path) as library:
        assert schema.user_version(library._conn) == 11
        named = str(FIGURES[0]["image"])
        assert library.image_path(named) == media_folder(path) / named
        assert library.media_problems() == []  # the figure shows its image again
        assert sorted(p.name for p in library.media.files()) == sorted(kept)
    for old in kept.values():
        assert not old.exists()
        assert old.parent.exists() == (old.parent == stray.parent)  # emptied, removed
    assert stray.read_text() == "not an image"  # someone else's: left where it was
    # A backup from before restored: its migration finds nothing left to move.
    with Library.open(path) as library:
        pinned = [b for b in backup.list_backups(path) if b.pinned]
        library.restore_from(pinned[0].path)
        assert library.media_problems() == []


def test_migration_11_failing_midway_is_finished_by_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy_fixture(10, tmp_path / "lib")
    _stray, kept = legacy_media(path)
    real_replace = os.replace
    moves = []

    def second_move_fails(source: Path, target: Path) -> None:
        if Path(source).parent.parent == media_folder(path):
            moves.append(source)
            if len(moves) == 2:
                raise PermissionError(13, "Permission denied")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", second_move_fails)
    with pytest.raises(MigrationFailed, match="Permission denied"):
        Library.open(path)
    monkeypatch.undo()
    assert pragma(path, "user_version") == 10
    # The first image moved stays moved (schema 11 looks there; schema 10 never opens the
    # library again once a start of this version has begun it), the second is where it was.
    first, second = (Path(p).name for p in moves)
    assert (media_folder(path) / first).is_file() and kept[second].is_file()
    with Library.open(path) as library:  # the next start moves the rest
        assert sorted(p.name for p in library.media.files()) == sorted(kept)
        assert library.media_problems() == []


def test_two_processes_flattening_one_media_folder_at_once_strand_nothing(
    tmp_path: Path,
) -> None:
    """Two libraries in one folder share their media folder: both migrate it at once."""
    folder = tmp_path / "media"
    names = set()
    for n in range(300):
        digest = hashlib.sha256(str(n).encode()).hexdigest()
        (folder / digest[:2]).mkdir(parents=True, exist_ok=True)
        (folder / digest[:2] / digest).write_text(str(n))
        names.add(digest)
    start = threading.Barrier(2)

    def flatten() -> int:
        start.wait()
        return flatten_folders(folder)

    with ThreadPoolExecutor(2) as pool:
        moved = sum(pool.map(lambda _: flatten(), range(2)))
    assert moved == len(names)
    assert {p.name for p in folder.iterdir()} == names  # every one flat, no folder left
