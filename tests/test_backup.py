"""Backups: checked, self-contained copies with the library's records; named by time and
reason; taken daily; thinned to days, weeks and months (pinned ones kept); consistent while
the reader keeps writing."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.library_setup import daily_backup, newest_good_backup, open_library, retention
from desktop.model import Case, CaseId
from desktop.store import backup
from desktop.store.backup import Backup, Retention
from desktop.store.db import APPLICATION_ID
from desktop.store.library import Library
from desktop.store.schema import SCHEMA_VERSION
from tests.fixtures.make_fixture import Records, user_records
from tests.tools import run_lightbox as lightbox

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
NAME = re.compile(r"lightbox-\d{6}-(\d{8})-(\d{6})-([a-z-]+?)(?:-v(\d+))?\.db")


def records_of(path: Path) -> Records:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return user_records(conn)
    finally:
        conn.close()


def add_cases(library: Library, count: int, start: int = 0) -> list[CaseId]:
    ids = []
    with library.transaction():
        for n in range(start, start + count):
            case = Case(
                source="test",
                source_id=str(n),
                title=f"Case {n} about a lesion",
                clinical_history=f"history {n}",
                differential_diagnosis=("cyst", "abscess"),
            )
            ids.append(library.store_case(case, T0).case_id)
    return ids


@pytest.fixture
def full_library(tmp_path: Path) -> Iterator[Library]:
    """A library with cases, notes (with versions), bookmarks, reading and a trashed case."""
    folder = tmp_path / "lib"
    folder.mkdir()
    with Library.open(folder / "library.db") as library:
        ids = add_cases(library, 12)
        for n, case_id in enumerate(ids[:8]):
            library.save_note(case_id, f"note {n} ✓ 😀", T0)
            library.save_note(case_id, f"note {n} edited", T0 + dt.timedelta(minutes=5))
        library.set_bookmark(ids[1], True, T0)
        library.mark_read(ids[2], T0)
        library.trash(ids[3], T0)
        yield library


def test_a_backup_is_a_checked_standalone_copy_with_the_same_records(
    full_library: Library,
) -> None:
    path = full_library.backup("manual", T0)
    assert path.parent == full_library.path.parent / "backups"
    assert path.name == f"lightbox-000001-20260302-080000-manual-v{SCHEMA_VERSION}.db"
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no -wal, no .tmp
    assert records_of(path) == records_of(full_library.path)
    assert records_of(path)["note_versions"]["rows"]  # the records are really there
    contents = backup.backup_contents(path)
    assert (contents.cases, contents.notes, contents.bookmarks) == (12, 8, 1)
    # Two in the same second get distinct names; both are listed, with their reasons.
    second = full_library.backup("pre-restore", T0)
    assert NAME.fullmatch(second.name) and second != path
    listed = backup.list_backups(full_library.path)
    assert {b.path for b in listed} == {path, second}
    assert {b.reason for b in listed} == {"manual", "pre-restore"}
    assert all(b.taken_at == T0 for b in listed)


def test_backups_taken_within_one_second_are_listed_newest_first(
    full_library: Library,
) -> None:
    made = [full_library.backup("manual", T0) for _ in range(11)]
    assert [b.path for b in backup.list_backups(full_library.path)] == made[::-1]


def test_backup_command_prints_the_path(
    full_library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    full_library.close()
    assert main(["backup", "--library", str(full_library.path)]) == 0
    out, err = capsys.readouterr()
    printed = Path(out.strip())
    assert len(out.strip().splitlines()) == 1 and err == ""
    match = NAME.fullmatch(printed.name)
    assert match and match[3] == "manual" and match[4] == str(SCHEMA_VERSION)
    assert printed.parent == full_library.path.parent / "backups" and printed.is_file()
    backup.check_backup(printed)
    assert records_of(printed) == records_of(full_library.path)


def test_stale_temporaries_are_removed_and_real_backups_kept(full_library: Library) -> None:
    """SAFETY B3: a backup killed halfway leaves only a .tmp, removed at the next start."""
    kept = full_library.backup("manual", T0)
    folder = kept.parent
    stale = folder / "lightbox-20260302-090000-daily-v3.db.tmp"
    stale.write_bytes(b"half a backup")
    other = folder / "notes.txt"
    other.write_text("not ours")
    assert [b.path for b in backup.list_backups(full_library.path)] == [kept]  # .tmp unlisted
    assert backup.remove_stale_temporaries(full_library.path) == [stale]
    assert not stale.exists() and kept.exists() and other.exists()
    # ... and at start: open_library removes them before anything else.
    stale.write_bytes(b"again")
    path = full_library.path
    full_library.close()
    library, _ = open_library(path, create=False)
    library.close()
    assert not stale.exists() and kept.exists() and other.exists()


def test_daily_backup_only_when_the_newest_is_a_day_old(full_library: Library) -> None:
    first = daily_backup(full_library, T0)
    assert first is not None and "-daily-" in first.name
    assert daily_backup(full_library, T0 + dt.timedelta(hours=23, minutes=59)) is None
    later = T0 + dt.timedelta(hours=24)
    second = daily_backup(full_library, later)
    assert second is not None and second != first
    assert [b.taken_at for b in backup.list_backups(full_library.path)] == [later, T0]
    # A manual backup counts as the newest too.
    full_library.backup("manual", later + dt.timedelta(hours=20))
    assert daily_backup(full_library, later + dt.timedelta(hours=30)) is None


def test_no_daily_backup_of_an_empty_new_library(tmp_path: Path) -> None:
    with Library.open(tmp_path / "library.db") as library:
        assert daily_backup(library, T0) is None
    assert not (tmp_path / "backups").exists()


def simulated(start: dt.datetime, days: int, every: dt.timedelta) -> list[Backup]:
    backups = []
    moment = start
    while moment < start + dt.timedelta(days=days):
        name = f"lightbox-{moment:%Y%m%d-%H%M%S}-daily-v3.db"
        backups.append(Backup(Path("/nowhere") / name, moment, "daily"))
        moment += every
    return backups


def newest_per_bucket(
    backups: list[Backup], bucket_of: Callable[[dt.datetime], object], count: int
) -> set[Path]:
    """An independent statement of the rule: the newest backup of each of the `count` most
    recent buckets that hold a backup."""
    newest: dict[object, Backup] = {}
    for each in backups:
        key = bucket_of(each.taken_at)
        if key not in newest or each.taken_at > newest[key].taken_at:
            newest[key] = each
    recent = sorted(newest.values(), key=lambda b: b.taken_at, reverse=True)[:count]
    return {b.path for b in recent}


def test_rotation_over_400_days_of_half_hourly_backups() -> None:
    """SAFETY B1 with Retention(7, 4, 12): the newest of each of the last 7 days, 4 weeks
    and 12 months, and every pinned one; the clock is injected, no files needed."""
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    backups = simulated(start, 400, dt.timedelta(minutes=30))
    assert len(backups) == 400 * 48
    pinned = [
        Backup(Path(f"/nowhere/lightbox-2025{m}-pre-migration-v{v}.db"), t, "pre-migration")
        for m, t, v in [
            ("0210-101500", dt.datetime(2025, 2, 10, 10, 15, tzinfo=dt.UTC), 1),
            ("0901-000001", dt.datetime(2025, 9, 1, 0, 0, 1, tzinfo=dt.UTC), 2),
            # the newest of its day: rotation must still keep that day's newest regular one
            ("0204-235959", dt.datetime(2026, 2, 4, 23, 59, 59, tzinfo=dt.UTC), 2),
        ]
    ]
    everything = backups + pinned
    removed = backup.backups_to_remove(everything, Retention(7, 4, 12))
    kept = {b.path for b in everything} - {b.path for b in removed}

    expected = (
        newest_per_bucket(backups, lambda t: t.date(), 7)
        | newest_per_bucket(backups, lambda t: t.isocalendar()[:2], 4)
        | newest_per_bucket(backups, lambda t: (t.year, t.month), 12)
        | {b.path for b in pinned}
    )
    assert kept == expected
    # 2026-02-04 (a Wednesday) 23:30 is the last one: 7 days (29 Jan - 4 Feb), 2 more weeks
    # (Sundays 18 and 25 Jan; this week's and last week's newest are daily ones already),
    # 10 more months (Mar - Dec 2025; January's and February's newest are daily ones), and
    # the 3 pinned ones.
    assert len(kept) == 7 + 2 + 10 + 3
    regular = sorted((b for b in everything if b.path in kept and not b.pinned), key=_taken)
    assert regular[-1] == backups[-1]
    assert [b.taken_at for b in regular[:3]] == [
        dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 4, 30, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 5, 31, 23, 30, tzinfo=dt.UTC),
    ]
    # Each kept regular backup is the newest of its day.
    for each in regular:
        same_day = [b for b in backups if b.taken_at.date() == each.taken_at.date()]
        assert each.taken_at == max(b.taken_at for b in same_day)
    # Rotation is stable: running it again on what is left removes nothing.
    left = [b for b in everything if b.path in kept]
    assert backup.backups_to_remove(left, Retention(7, 4, 12)) == []


def _taken(each: Backup) -> dt.datetime:
    return each.taken_at


def test_rotate_deletes_exactly_what_backups_to_remove_names(full_library: Library) -> None:
    """On real files: 60 days of backups every 6 hours, plus a pinned one and a stranger."""
    template = full_library.backup("manual", T0 - dt.timedelta(days=365))
    folder = template.parent
    start = T0 - dt.timedelta(days=60)
    for each in simulated(start, 60, dt.timedelta(hours=6)):
        shutil.copyfile(template, folder / each.path.name)
    pinned = folder / f"lightbox-{start:%Y%m%d}-120000-pre-migration-v2.db"
    shutil.copyfile(template, pinned)
    stranger = folder / "my-own-copy.db"
    shutil.copyfile(template, stranger)
    listed = backup.list_backups(full_library.path)
    assert len(listed) == 60 * 4 + 2
    planned = {b.path for b in backup.backups_to_remove(listed, Retention(7, 4, 12))}
    removed = backup.rotate(full_library.path, Retention(7, 4, 12))
    assert set(removed) == planned and len(removed) == len(planned) > 200
    assert not any(p.exists() for p in removed)
    survivors = {b.path for b in backup.list_backups(full_library.path)}
    assert survivors == {b.path for b in listed} - planned
    assert pinned in survivors and stranger.exists()
    for each in survivors:
        backup.check_backup(each)


def test_daily_backups_over_three_weeks_keep_the_configured_number(
    full_library: Library, lightbox_home: Path
) -> None:
    """daily_backup rotates with the limits from settings.ini; pinned backups survive."""
    (lightbox_home / "settings.ini").write_text("[backups]\ndaily=3\nweekly=2\nmonthly=1\n")
    assert retention() == Retention(3, 2, 1)
    pinned = full_library.backup("pre-migration", T0 - dt.timedelta(days=1))
    for day in range(20):
        daily_backup(full_library, T0 + dt.timedelta(days=day))
    left = backup.list_backups(full_library.path)
    # The last is Saturday 21 March: 3 days (21, 20, 19), 2 weeks (this one's newest is the
    # 21st; last week's is Sunday 15 March), 1 month (March's newest is the 21st).
    assert [b.taken_at for b in left if not b.pinned] == [
        dt.datetime(2026, 3, day, 8, 0, tzinfo=dt.UTC) for day in (21, 20, 19, 15)
    ]
    for each in left:
        backup.check_backup(each.path)
    assert pinned in {b.path for b in left}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[backups]\ndaily=3\nweekly=2\nmonthly=1\n", Retention(3, 2, 1)),
        ("[backups]\ndaily = 10\n", Retention(10, 4, 12)),
        ("[backups]\ndaily=0\nweekly=-1\nmonthly=lots\n", Retention()),
        ("[window]\ngeometry=abc\n", Retention()),
        ("not an ini file at all [[[", Retention()),
        (None, Retention()),
    ],
    ids=["all", "one", "invalid", "no-section", "garbage", "no-file"],
)
def test_retention_comes_from_settings(
    lightbox_home: Path, text: str | None, expected: Retention
) -> None:
    if text is not None:
        (lightbox_home / "settings.ini").write_text(text)
    assert retention() == expected


def test_backup_while_another_connection_keeps_writing(tmp_path: Path) -> None:
    """SAFETY B2: each backup is a committed prefix of the writer's acknowledged notes."""
    path = tmp_path / "library.db"
    with Library.open(path) as library:
        ids = add_cases(library, 3000)
        keys = {row.summary.source_id: row.summary.id for row in library.rows(ids)}
    acknowledged: list[CaseId] = []
    stop = threading.Event()
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            with Library.open(path) as own:
                for n, case_id in enumerate(ids):
                    if stop.is_set():
                        return
                    own.save_note(case_id, f"note {n}", T0)
                    acknowledged.append(case_id)  # only after save_note returned (committed)
        except BaseException as error:  # reported below, in the test's thread
            failure.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        taken = []
        while len(taken) < 5 and thread.is_alive():
            if len(acknowledged) < 20 * (len(taken) + 1):
                stop.wait(0.002)
                continue
            before = len(acknowledged)
            made = backup.take_backup(path, "manual", T0 + dt.timedelta(seconds=len(taken)))
            taken.append((before, len(acknowledged), made))
    finally:
        stop.set()
        thread.join()
    assert not failure, failure
    assert len(taken) == 5, "the writer finished before five backups were taken"
    counts = []
    for before, after, made in taken:
        backup.check_backup(made)
        notes = records_of(made)["notes"]
        columns = notes["columns"]
        saved = [dict(zip(columns, row, strict=True)) for row in notes["rows"]]
        count = len(saved)
        counts.append(count)
        assert before <= count <= after, (before, count, after)
        assert [keys[n["case_source_id"]] for n in saved] == acknowledged[:count]
        assert [n["body"] for n in saved] == [f"note {n}" for n in range(count)]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    # The writer really was committing while the backups were taken.
    assert sum(after - before for before, after, _ in taken) > 0


def test_backups_work_with_a_relative_library_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.store.backup import backup_contents, check_backup, take_backup

    monkeypatch.chdir(tmp_path)
    with Library.open(Path("relative.db")) as library:
        add_cases(library, 2)
        taken = library.backup("manual")
    assert taken.exists()
    check_backup(Path("backups") / taken.name)
    assert backup_contents(Path("backups") / taken.name).cases == 2
    assert take_backup(Path("relative.db"), "daily").exists()


def test_stale_backup_journals_are_removed_too(tmp_path: Path) -> None:
    from desktop.store.backup import backup_folder, remove_stale_temporaries

    library = tmp_path / "library.db"
    folder = backup_folder(library)
    folder.mkdir()
    (folder / "lightbox-20260101-000000-daily-v3.db.tmp").write_bytes(b"x")
    (folder / "lightbox-20260101-000000-daily-v3.db.tmp-journal").write_bytes(b"x")
    assert len(remove_stale_temporaries(library)) == 2
    assert list(folder.iterdir()) == []


# --- issue 11 item 7: backups are ordered by a sequence, not by the clock alone -------------


@pytest.mark.parametrize("naming", ["numbered", "unnumbered (older Lightbox)"])
def test_a_backup_dated_in_the_future_never_stops_daily_backups(
    full_library: Library, naming: str
) -> None:
    """One run with the clock years ahead left a backup dated in the future; the next runs,
    with the clock right again, still take their daily backup (it used to stop for good)."""
    path = full_library.path
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(days=3 * 365)
    future = full_library.backup("daily", ahead)
    if naming != "numbered":
        future = future.rename(future.with_name(f"lightbox-{ahead:%Y%m%d-%H%M%S}-daily-v5.db"))
    full_library.close()
    result = lightbox(path, "list")
    assert result.returncode == 0, result.stderr
    listed = backup.list_backups(path)
    assert len(listed) == 2 and listed[1].path == future
    today = listed[0]
    assert today.reason == "daily" and today.taken_at < ahead and today.sequence >= 1
    assert backup.newest_backup(path) == today  # the newest is the one made last
    # ... and the next run the same day takes none: the newest is today's.
    assert lightbox(path, "list").returncode == 0
    assert backup.list_backups(path) == listed
    # Rotation keeps the newest by sequence, whatever the dates say.
    assert today not in backup.backups_to_remove(listed, Retention(1, 1, 1))


@pytest.mark.parametrize("order", [("daily", "manual"), ("manual", "daily")])
def test_two_backups_in_the_same_second_keep_their_order(
    full_library: Library, order: tuple[str, str]
) -> None:
    """Recovery offers the backup made last, even within one second (it used to offer the
    older of a daily and a manual backup made in the same second)."""
    path = full_library.path
    first = full_library.backup(order[0], T0)
    full_library.save_note(full_library.resolve("test:11"), "only in the second backup", T0)
    second = full_library.backup(order[1], T0)
    assert [b.path for b in backup.list_backups(path)] == [second, first]
    full_library.close()
    os.truncate(path, path.stat().st_size // 2)
    result = lightbox(path, "list")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"the newest good backup is {second}" in result.stderr
    good = newest_good_backup(path)
    assert good is not None and good.path == second
    recovered = lightbox(path, "restore", str(second))
    assert recovered.returncode == 0, recovered.stderr
    shown = lightbox(path, "note", "test:11")
    assert shown.stdout.strip() == "only in the second backup"


def test_sequence_numbers_go_on_from_the_highest(full_library: Library) -> None:
    folder = full_library.path.parent / "backups"
    made = [full_library.backup("manual", T0 - dt.timedelta(days=n)) for n in range(3)]
    assert [backup.list_backups(full_library.path)[i].path for i in range(3)] == made[::-1]
    made[1].unlink()
    (folder / "lightbox-000041-20200101-000000-manual-v5.db").write_bytes(made[0].read_bytes())
    assert backup.next_sequence(full_library.path) == 42
    assert full_library.backup("manual", T0).name.startswith("lightbox-000042-")
