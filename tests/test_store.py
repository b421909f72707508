"""The store: connection policy, migrations, identity and in-place updates, full-text search."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.eurorad_text import parse_eurorad_text
from desktop.model import Case, DiscussionPart
from desktop.store import schema
from desktop.store.db import APPLICATION_ID, connect, transaction
from desktop.store.errors import (
    DuplicateDoi,
    LibraryTooNew,
    MigrationFailed,
    NotALibrary,
    QueryInvalid,
)
from desktop.store.library import Library
from tests.conftest import SEED_CASE
from tests.tools import shared_path

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seed_case() -> Case:
    return parse_eurorad_text(decode_case_bytes(shared_path(SEED_CASE).read_bytes()).text)


def pragmas(path: Path) -> dict[str, object]:
    conn = connect(path)
    try:
        return {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in (
                "journal_mode",
                "synchronous",
                "foreign_keys",
                "busy_timeout",
                "application_id",
            )
        }
    finally:
        conn.close()


def test_connection_policy(tmp_path: Path) -> None:
    Library.open(tmp_path / "l.db").close()
    assert pragmas(tmp_path / "l.db") == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "application_id": APPLICATION_ID,
    }


def test_fresh_library_is_at_the_latest_schema(library: Library) -> None:
    conn = sqlite3.connect(library.path)
    assert schema.user_version(conn) == schema.SCHEMA_VERSION == len(schema.MIGRATIONS)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"cases", "cases_fts", "cases_fts_insert", "cases_fts_update"} <= names


def test_library_from_a_newer_lightbox_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Library.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LibraryTooNew, match="newer Lightbox"):
        Library.open(path)
    assert path.read_bytes() == before


def test_other_files_are_not_taken_for_libraries(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello " * 1000)
    with pytest.raises(NotALibrary):
        Library.open(text)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotALibrary, match="another program"):
        Library.open(other)


def test_a_failing_migration_leaves_the_version_and_schema_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.db"
    Library.open(path).close()

    def m002_broken(db: object) -> None:
        conn = db.conn  # type: ignore[attr-defined]
        conn.execute("CREATE TABLE half_done(x)")
        conn.execute("ALTER TABLE cases ADD COLUMN extra TEXT")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, m002_broken])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS) + 1)
    with pytest.raises(MigrationFailed, match="disk on fire"):
        Library.open(path)
    conn = sqlite3.connect(path)
    assert schema.user_version(conn) == len(schema.MIGRATIONS) - 1
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names
    columns = {row[1] for row in conn.execute("PRAGMA table_info(cases)")}
    assert "extra" not in columns


def test_transaction_is_all_or_nothing(library: Library, seed_case: Case) -> None:
    with pytest.raises(RuntimeError), library.transaction():
        library.store_case(seed_case, T0)
        raise RuntimeError("crash mid-change")
    assert library.count_cases() == 0


def test_nested_transaction_rolls_back_only_its_part(library: Library, seed_case: Case) -> None:
    other = dataclasses.replace(seed_case, source_id="1", doi=None)
    with library.transaction():
        library.store_case(seed_case, T0)
        with pytest.raises(RuntimeError), library.transaction():
            library.store_case(other, T0)
            raise RuntimeError("this one fails")
    assert library.count_cases() == 1


def test_transactions_are_immediate(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    other = sqlite3.connect(tmp_path / "x.db", timeout=0)
    with transaction(conn):
        # BEGIN IMMEDIATE took the write lock at once: a second writer cannot start.
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.close()
    conn.close()


def test_store_then_read_back_every_field(library: Library, seed_case: Case) -> None:
    stored = library.store_case(seed_case, T0)
    assert stored.outcome == "imported"
    assert library.get_case(stored.case_id) == seed_case
    assert library.resolve("eurorad:8455") == stored.case_id


def test_reimport_is_unchanged_then_updates_in_place(library: Library, seed_case: Case) -> None:
    first = library.store_case(seed_case, T0)
    again = library.store_case(seed_case, T0)
    assert again == dataclasses.replace(first, outcome="unchanged")
    edited = dataclasses.replace(seed_case, final_diagnosis="Calcinosis cutis, iatrogenic")
    updated = library.store_case(edited, T0)
    assert updated.case_id == first.case_id
    assert updated.outcome == "updated"
    assert library.count_cases() == 1
    got = library.get_case(first.case_id)
    assert got is not None
    assert got.final_diagnosis == "Calcinosis cutis, iatrogenic"


def test_search_index_follows_updates(library: Library, seed_case: Case) -> None:
    stored = library.store_case(seed_case, T0)
    assert [h.summary.id for h in library.search("calcinosis")] == [stored.case_id]
    edited = dataclasses.replace(
        seed_case,
        title="Zebra sign",
        clinical_history="Nothing here.",
        imaging_findings="Nothing.",
        # Every field given new text: an empty one would be kept from the stored case.
        discussion=(DiscussionPart(None, "Stripes."),),
        differential_diagnosis=("Horse",),
        final_diagnosis="Zebra",
    )
    library.store_case(edited, T0)
    assert library.search("calcinosis") == []
    assert [h.summary.id for h in library.search("zebra")] == [stored.case_id]


def test_doi_belongs_to_one_case(library: Library, seed_case: Case) -> None:
    library.store_case(seed_case, T0)
    impostor = dataclasses.replace(seed_case, source="other", source_id="x")
    with pytest.raises(DuplicateDoi, match="eurorad:8455"):
        library.store_case(impostor, T0)
    assert library.count_cases() == 1


def test_search_ranks_title_matches_first_and_marks_snippets(
    library: Library, seed_case: Case
) -> None:
    library.store_case(seed_case, T0)
    title_hit = dataclasses.replace(
        seed_case, source_id="2", doi=None, title="Neonatal extravasation", discussion=()
    )
    library.store_case(title_hit, T0)
    hits = library.search("extravasation")
    assert [h.summary.source_id for h in hits] == ["2", "8455"]
    assert all("«extravasation»" in h.snippet.lower() for h in hits)
    assert hits[0].score > hits[1].score


@pytest.mark.parametrize(
    "query",
    ['"', "AND", "NOT x", "a OR", "(", "*", "col:foo", "NEAR(a b)", "'; DROP TABLE cases; --", "^"],
)
def test_search_syntax_never_leaks(library: Library, seed_case: Case, query: str) -> None:
    """FTS5's own syntax never reaches it: a query is searched as words, or read by the
    search language, which refuses what it cannot read with a reason (nothing run)."""
    library.store_case(seed_case, T0)
    try:
        library.search(query)
    except QueryInvalid as error:
        assert 0 <= error.start <= len(query)
    assert library.count_cases() == 1


def test_prefix_and_phrase_search(library: Library, seed_case: Case) -> None:
    library.store_case(seed_case, T0)
    assert len(library.search("calcin")) == 1
    assert library.search("calcin", prefix_last=False) == []
    assert len(library.search('"calcinosis cutis"')) == 1
    assert library.search('"cutis calcinosis"') == []
    assert len(library.search("Calcinosis NEONATAL")) == 1


def test_sorting(library: Library, seed_case: Case) -> None:
    for number, (title, age) in enumerate([("b", 30), ("a", None), ("c", 10)], 1):
        library.store_case(
            dataclasses.replace(
                seed_case,
                source_id=str(number),
                doi=None,
                title=title,
                patient=dataclasses.replace(seed_case.patient, age_days=age),
            ),
            T0,
        )

    def titles(sort: str, descending: bool = False) -> list[str]:
        rows = library.rows(library.case_ids(sort=sort, descending=descending))
        return [row.summary.title for row in rows]

    assert titles("title") == ["a", "b", "c"]
    assert titles("title", descending=True) == ["c", "b", "a"]
    assert titles("age") == ["c", "b", "a"]
    assert titles("age", descending=True) == ["b", "c", "a"]
    ids = library.case_ids()
    assert [row.summary.title for row in library.rows(ids[::-1])] == ["c", "b", "a"]
    assert library.sort_ids(ids[:2], "title", True) == ids[:2][::-1]
    with pytest.raises(ValueError, match="cannot sort"):
        library.case_ids(sort="title; DROP TABLE cases")
    # A first screen is the head of the whole list, in every sort (undated and ageless last).
    for sort in ("title", "age", "published", "marks", "read"):
        for descending in (False, True):
            whole = library.case_ids(sort=sort, descending=descending)
            for limit in (0, 1, 2, 3, 5):
                head = library.case_ids(sort=sort, descending=descending, limit=limit)
                assert head == whole[:limit], (sort, descending, limit)


def test_search_index_can_be_rebuilt_and_checked(library: Library, seed_case: Case) -> None:
    library.store_case(seed_case, T0)
    conn = sqlite3.connect(library.path)
    conn.execute("INSERT INTO cases_fts(cases_fts) VALUES('rebuild')")
    conn.execute("INSERT INTO cases_fts(cases_fts) VALUES('integrity-check')")
    conn.commit()
    conn.close()
    assert len(library.search("calcinosis")) == 1


def test_discussion_structure_survives_storage(library: Library, seed_case: Case) -> None:
    parts = (
        DiscussionPart(None, "Opening.\n\nSecond."),
        DiscussionPart("Background", ""),
        DiscussionPart("Outcome", "Background"),
        DiscussionPart("", "x\n\n\n\ny"),
    )
    case = dataclasses.replace(seed_case, discussion=parts)
    stored = library.store_case(case, T0)
    got = library.get_case(stored.case_id)
    assert got is not None
    # Stored canonical: a lone sub-heading is dropped, a blank one is none, blank lines one.
    assert got.discussion == (parts[0], parts[2], DiscussionPart(None, "x\n\ny"))


def fts_integrity(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO cases_fts(cases_fts, rank) VALUES('integrity-check', 1)")
    finally:
        conn.close()


def test_index_stays_consistent_through_insert_update_and_delete(
    library: Library, seed_case: Case
) -> None:
    edited = dataclasses.replace(seed_case, title="Edited title")
    with library.transaction():
        first = library.store_case(seed_case, T0)
        # Updated while still queued for indexing, in the same transaction.
        library.store_case(edited, T0)
    fts_integrity(library.path)
    assert library.search("calcinosis")[0].summary.title == "Edited title"
    library.store_case(dataclasses.replace(seed_case, title="Third title"), T0)
    fts_integrity(library.path)
    assert library.search("edited") == []
    with library.transaction():
        library._conn.execute("DELETE FROM cases WHERE id = ?", (first.case_id,))
    fts_integrity(library.path)
    assert library.search("calcinosis") == []
