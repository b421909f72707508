"""The reader-record rule (desktop/store/records.py): merges as pure functions, tested without
a database (hypothesis), and every table of a fresh library classified and shaped by it."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.store.library import Library
from desktop.store.records import (
    LIBRARY_RECORD_COLUMNS,
    LIBRARY_TABLES,
    OTHER_TABLES,
    READER_TABLES,
    RECORD_COLUMNS,
    Record,
    current,
    instant,
    live,
    merge,
    new_uid,
    newer,
    stamp,
)

CASE = ("eurorad", "8455")
OTHER = ("lightbox", "abdo-01")


def record(
    uid: str,
    updated: str,
    *,
    deleted: str | None = None,
    case: tuple[str, str] = CASE,
    body: str = "text",
) -> Record:
    return Record(uid, case, "2026-01-01T00:00:00.000+00:00", updated, deleted, (("body", body),))


# --- examples -------------------------------------------------------------------------------


def test_the_newer_edit_wins() -> None:
    old = record("a", "2026-03-01T10:00:00.000+00:00", body="old")
    new = record("a", "2026-03-01T10:00:00.001+00:00", body="new")
    assert merge([old], [new]) == merge([new], [old]) == {new}


def test_a_newer_tombstone_beats_an_older_edit_and_a_newer_edit_an_older_tombstone() -> None:
    edit = record("a", "2026-03-01T10:00:00+00:00", body="edited")
    gone = record("a", "2026-03-02T10:00:00+00:00", deleted="2026-03-02T10:00:00+00:00")
    again = record("a", "2026-03-03T10:00:00+00:00", body="written again")
    assert merge([edit], [gone]) == {gone}
    assert merge([gone], [again]) == {again}
    assert live(merge([edit], [gone])) == frozenset()


def test_timestamps_compare_as_instants_not_as_text() -> None:
    """The same moment spelt three ways ties (then tombstone and canonical form decide); a
    later moment spelt shorter still wins."""
    z = record("a", "2026-03-01T10:00:00Z", body="z")
    offset = record("a", "2026-03-01T11:00:00+01:00", body="offset")
    assert instant(z.updated_at) == instant(offset.updated_at)
    assert newer(z, offset) == newer(offset, z)
    later = record("a", "2026-03-01T10:00:01+00:00", body="later")
    earlier = record("a", "2026-03-01T10:00:00.999+00:00", body="earlier")
    assert merge([earlier], [later]) == {later}


def test_at_the_same_instant_the_tombstone_wins() -> None:
    moment = "2026-03-01T10:00:00.000+00:00"
    edit = record("a", moment)
    gone = record("a", moment, deleted=moment)
    assert merge([edit], [gone]) == merge([gone], [edit]) == {gone}


def test_two_records_for_one_case_resolve_like_one_record() -> None:
    """Two machines each bookmarked the case (two uids): the newest record speaks for it,
    a tombstone included; both uids are kept."""
    here = record("here", "2026-03-01T10:00:00+00:00")
    there = record("there", "2026-03-02T10:00:00+00:00", body="theirs")
    assert current(merge([here], [there])) == {CASE: there}
    deleted_there = record(
        "there", "2026-03-03T10:00:00+00:00", deleted="2026-03-03T10:00:00+00:00"
    )
    merged = merge([here], [there], [deleted_there])
    assert {r.uid for r in merged} == {"here", "there"}
    assert current(merged)[CASE] == deleted_there
    edited_here = record("here", "2026-03-04T10:00:00+00:00", body="mine, later")
    assert current(merge(merged, [edited_here])) == {CASE: edited_here}


def test_uids_and_stamps() -> None:
    made = {new_uid() for _ in range(1000)}
    assert len(made) == 1000
    assert all(uuid.UUID(u).version == 4 and str(uuid.UUID(u)) == u for u in made)
    moment = dt.datetime(2026, 3, 1, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert stamp(moment) == "2026-03-01T10:00:00.000+00:00"
    assert instant(stamp(moment)) == moment


# --- properties -----------------------------------------------------------------------------

_MOMENTS = [
    dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=n) for n in (0, 1, 2)
]


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """A few instants, each in several ISO spellings (ties happen, spelt differently)."""
    moment = draw(st.sampled_from(_MOMENTS))
    spelling = draw(st.sampled_from(["seconds", "milliseconds", "z", "offset"]))
    if spelling == "z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if spelling == "offset":
        return moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    return moment.isoformat(timespec=spelling)


@st.composite
def records(draw: st.DrawFn) -> Record:
    updated = draw(timestamps())
    deleted = draw(st.sampled_from([None, updated]))
    return Record(
        uid=draw(st.sampled_from(["u1", "u2", "u3", "u4"])),
        case=draw(st.sampled_from([CASE, OTHER])),
        created_at=draw(timestamps()),
        updated_at=updated,
        deleted_at=deleted,
        fields=(("body", draw(st.sampled_from(["", "a", "b", "😀"]))),),
    )


copies = st.lists(records(), max_size=6)


@given(copies, copies)
def test_merge_is_commutative(a: list[Record], b: list[Record]) -> None:
    assert merge(a, b) == merge(b, a)
    assert current(merge(a, b)) == current(merge(b, a))


@given(copies, copies, copies)
def test_merge_is_associative(a: list[Record], b: list[Record], c: list[Record]) -> None:
    assert merge(merge(a, b), c) == merge(a, merge(b, c)) == merge(a, b, c)


@given(copies, copies)
def test_merge_is_idempotent(a: list[Record], b: list[Record]) -> None:
    once = merge(a, b)
    assert merge(once, once) == once
    assert merge(once, a) == once
    assert merge(once, b) == once


@given(copies, copies)
def test_merge_never_drops_a_uid_and_keeps_the_newest_of_each(
    a: list[Record], b: list[Record]
) -> None:
    merged = merge(a, b)
    assert sorted(r.uid for r in merged) == sorted({r.uid for r in [*a, *b]})
    for kept in merged:
        versions = [r for r in [*a, *b] if r.uid == kept.uid]
        assert kept in versions
        assert instant(kept.updated_at) == max(instant(r.updated_at) for r in versions)
        if any(r.deleted and instant(r.updated_at) == instant(kept.updated_at) for r in versions):
            assert kept.deleted


@given(copies, copies)
def test_each_case_is_settled_by_its_newest_record(a: list[Record], b: list[Record]) -> None:
    merged = merge(a, b)
    settled = current(merged)
    assert set(settled) == {r.case for r in merged}
    for case, chosen in settled.items():
        mine = [r for r in merged if r.case == case]
        assert chosen in mine
        assert instant(chosen.updated_at) == max(instant(r.updated_at) for r in mine)


# --- the schema follows the rule ------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fresh") / "library.db"
    Library.open(path).close()
    return path


def test_every_table_is_classified_as_reader_data_or_not(fresh: Path) -> None:
    """A new table must say which it is: reader data (and then follow the rule) or not."""
    with Library.open(fresh) as library:
        rows = library._conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    virtual = {name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL")}
    tables = {name for name, _ in rows if not any(name.startswith(f"{v}_") for v in virtual)}
    kinds = (set(READER_TABLES), set(LIBRARY_TABLES), set(OTHER_TABLES))
    assert sum(len(kind) for kind in kinds) == len(set().union(*kinds))  # each in one
    assert tables == set().union(*kinds), (
        "every table of a library is listed in desktop/store/records.py: READER_TABLES or"
        " LIBRARY_TABLES (and follows the record rule) or OTHER_TABLES (with the reason it"
        " is not)"
    )


@pytest.mark.parametrize("table", sorted(LIBRARY_TABLES))
def test_every_library_table_follows_the_record_rule(fresh: Path, table: str) -> None:
    """Reader data of no one case: uid (unique), timestamps, tombstone, no case identity."""
    with Library.open(fresh) as library:
        conn = library._conn
        names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        unique = [
            [row[2] for row in conn.execute(f"PRAGMA index_info({index[1]})")]
            for index in conn.execute(f"PRAGMA index_list({table})")
            if index[2] and not index[4]
        ]
    assert names[: len(LIBRARY_RECORD_COLUMNS)] == list(LIBRARY_RECORD_COLUMNS)
    assert ["uid"] in unique
    assert "case_source" not in names


@pytest.mark.parametrize("table", sorted(READER_TABLES))
def test_every_reader_table_follows_the_record_rule(fresh: Path, table: str) -> None:
    with Library.open(fresh) as library:
        conn = library._conn
        columns = {row[1]: row for row in conn.execute(f"PRAGMA table_info({table})")}
        names = list(columns)
        indexes = conn.execute(f"PRAGMA index_list({table})").fetchall()
        unique_columns = [
            [row[2] for row in conn.execute(f"PRAGMA index_info({index[1]})")]
            for index in indexes
            if index[2] and not index[4]  # unique, not partial
        ]
        partial_unique = [
            [row[2] for row in conn.execute(f"PRAGMA index_info({index[1]})")]
            for index in indexes
            if index[2] and index[4]
        ]
        indexed = [
            [row[2] for row in conn.execute(f"PRAGMA index_info({index[1]})")] for index in indexes
        ]
        foreign_keys = conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()
    assert names[: len(RECORD_COLUMNS)] == list(RECORD_COLUMNS)
    assert columns["id"][5] == 1  # the local integer row id (pk)
    for name in ("uid", "created_at", "updated_at", "case_source", "case_source_id"):
        assert columns[name][3] == 1, f"{table}.{name} must be NOT NULL"
    assert columns["deleted_at"][3] == 0, "a live record has no deleted_at"
    assert ["uid"] in unique_columns
    assert foreign_keys == [], "reader data never refers to a row (no foreign key, no cascade)"
    assert any(cols[:2] == ["case_source", "case_source_id"] for cols in indexed)
    if READER_TABLES[table] == "one-per-case":
        assert ["case_source", "case_source_id"] in partial_unique
