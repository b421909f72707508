"""Is a file a sound Lightbox library? The checks behind `lightbox check`, restore and the
check before a run's first write.

- `file_problem`: what `os.stat` says before anything opens the file (a folder, a FIFO or a
  device is refused at once: opening a FIFO would block).
- `problems`: the whole check of an open library or candidate: our application id, a known
  schema version, exactly the tables, indexes and triggers a library of that version has
  (compared with the schema the migration chain builds for it in memory: `expected_schema`,
  so a new migration is covered without listing anything), SQLite's `integrity_check`, the
  foreign-key check and the search indexes' own integrity checks.
- The verified stamp: after a clean check, and after each write of a run that began
  verified that changed the file, the library file's identity, size and times are written
  to ``<library>.verified``. A run whose
  file still has that stamp needs no new check before writing: nothing but Lightbox has
  written to the file since it was last found sound. Any other change to the file (bytes
  flipped by another program or a failing disk write, a copy, a crash mid-run) changes its
  size, modification or change time (the change time cannot be set back by a program), so
  the full check runs again before the first write.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import stat
from pathlib import Path

from desktop.store.db import APPLICATION_ID, transaction

#: One object of a library's schema: (type, name, table, SQL with its spacing normalised).
SchemaItem = tuple[str, str, str, str]
#: Tables SQLite itself may add (ANALYZE's statistics): harmless, never refused.
SQLITE_STATISTICS = frozenset({"sqlite_stat1", "sqlite_stat4"})
STAMP_SUFFIX = ".verified"
#: Errors that say a check could not run, not that the library is damaged.
_NOT_DAMAGE = (
    "SQLITE_READONLY",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_CANTOPEN",
    "SQLITE_PERM",
    "SQLITE_NOMEM",
    "SQLITE_INTERRUPT",
)


def file_problem(path: Path) -> str | None:
    """What is wrong with `path` as a library file, from `os.stat` alone; None if nothing.

    Never opens the file: a FIFO would block an open, a device would be read forever.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return f"{path} does not exist"
    except OSError as error:
        return f"cannot read {path}: {error.strerror or error}"
    mode = info.st_mode
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a pipe (FIFO)"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    )
    for test, kind in kinds:
        if test(mode):
            return f"{path} is {kind}, not a library file"
    if not stat.S_ISREG(mode):
        return f"{path} is not a regular file"
    if info.st_size == 0:
        return f"{path} is empty (0 bytes): it holds no library"
    return None


@functools.cache
def expected_schema(version: int) -> frozenset[SchemaItem]:
    """The schema a library of `version` has: the migration chain run in memory up to it."""
    import sqlite_utils  # only here: it costs ~90 ms to import

    from desktop.store.schema import MIGRATIONS

    if not 0 <= version <= len(MIGRATIONS):
        raise ValueError(f"no schema version {version}")
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
        for number, step in enumerate(MIGRATIONS[:version]):
            with transaction(conn):
                step(db)
                conn.execute(f"PRAGMA user_version={number + 1}")
        return schema_of(conn)
    finally:
        conn.close()


def schema_of(conn: sqlite3.Connection) -> frozenset[SchemaItem]:
    # Read as bytes: damage can leave text that is not UTF-8, which must differ, not crash.
    rows = conn.execute(
        "SELECT CAST(type AS BLOB), CAST(name AS BLOB), CAST(tbl_name AS BLOB),"
        " CAST(coalesce(sql, '') AS BLOB) FROM sqlite_master"
    ).fetchall()
    return frozenset((_text(t), _text(n), _text(tb), _text(sql)) for t, n, tb, sql in rows)


def _text(value: bytes | None) -> str:
    return " ".join((value or b"").decode("utf-8", "replace").split())


def schema_problems(conn: sqlite3.Connection, newest_version: int) -> list[str]:
    """Differences from a Lightbox library of the file's own schema version, in words."""
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id != APPLICATION_ID:
        return [f"not a Lightbox library (application id {app_id:#x})"]
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version < 1:
        return ["it holds no Lightbox library (schema version 0)"]
    if version > newest_version:
        return [
            f"it was made by a newer Lightbox (schema {version}; this version reads up to"
            f" {newest_version})"
        ]
    expected = expected_schema(version)
    actual = {item for item in schema_of(conn) if item[1] not in SQLITE_STATISTICS}
    found = {(item[0], item[1]): item for item in actual}
    wanted = {(item[0], item[1]): item for item in expected}
    # What must not be there first: a foreign trigger or view is the alarming finding.
    problems = [
        f"{kind} {name} is not part of a Lightbox library"
        for kind, name in sorted(found.keys() - wanted.keys())
    ]
    problems += [
        f"{kind} {name} differs from a Lightbox library's"
        for (kind, name) in sorted(found.keys() & wanted.keys())
        if found[kind, name] != wanted[kind, name]
    ]
    problems += [f"{kind} {name} is missing" for kind, name in sorted(wanted.keys() - found.keys())]
    return [f"schema {version}: {problem}" for problem in problems]


def problems(
    conn: sqlite3.Connection, newest_version: int, *, search_indexes: bool = True
) -> list[str]:
    """Everything wrong with an open library, in plain words; empty when it is sound.

    Args:
        search_indexes: Run the full-text indexes' own integrity checks too (they compare
            each index with the text it indexes, so they catch bytes changed inside a case's
            text). These are written as INSERT statements: they need a writable connection,
            though they change nothing.
    """
    found = schema_problems(conn, newest_version)
    if found and found[0].startswith(("not a Lightbox", "it holds no", "it was made by")):
        return found
    found += [
        f"integrity: {' '.join(str(row[0]).split())}"
        for row in conn.execute("PRAGMA integrity_check")
        if row[0] != "ok"
    ]
    found += [
        f"a row of {row[0]} points to a missing row of {row[2]}"
        for row in conn.execute("PRAGMA foreign_key_check")
    ]
    # The search indexes' checks write (nothing): only where the schema is ours.
    if search_indexes and not found:
        tables = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5%' ORDER BY name"
            )
        ]
        for table in tables:
            try:
                conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as error:
                if getattr(error, "sqlite_errorname", "").startswith(_NOT_DAMAGE):
                    raise  # the check could not run (read-only, locked, full): not damage
                found.append(f"search index {table}: {error}")
    return found


# --- the verified stamp ---------------------------------------------------------------------


def stamp_path(library_path: Path) -> Path:
    return library_path.with_name(library_path.name + STAMP_SUFFIX)


def stamp_of(library_path: Path) -> dict[str, int] | None:
    """The file's identity, size and times now; None if it cannot be read."""
    try:
        info = os.stat(library_path)
    except OSError:
        return None
    return {
        "dev": info.st_dev,
        "ino": info.st_ino,
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "ctime_ns": info.st_ctime_ns,
    }


def files_stamp(library_path: Path) -> dict[str, dict[str, int] | None]:
    """The stamp of the library file, as the verified stamp records it.

    The -wal is left out: SQLite touches its times whenever a connection opens (and changes
    its owner when run as root), so its stamp cannot tell writes from reads. Another
    program's write through SQLite reaches the library file at the next checkpoint (at the
    latest when the last connection closes), and a run that sees it then stamps nothing.
    """
    return {"main": stamp_of(library_path)}


def recorded_stamp(library_path: Path) -> dict[str, dict[str, int] | None] | None:
    try:
        recorded = json.loads(stamp_path(library_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) else None


def stamp_matches(library_path: Path) -> bool:
    """Whether the file is exactly as a Lightbox that had verified it left it."""
    now = files_stamp(library_path)
    return now["main"] is not None and recorded_stamp(library_path) == now


def record_stamp(library_path: Path, value: dict[str, dict[str, int] | None] | None = None) -> bool:
    """Writes the verified stamp of the files as they are now (`value`, when the caller
    has just taken it); False if it could not be.

    Best effort: without a stamp, the next run checks the library in full before writing.
    """
    value = files_stamp(library_path) if value is None else value
    if value["main"] is None:
        return False
    target = stamp_path(library_path)
    temporary = target.with_name(target.name + ".tmp")
    try:
        temporary.write_text(json.dumps(value, sort_keys=True), encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        temporary.unlink(missing_ok=True)
        return False
    return True


def forget_stamp(library_path: Path) -> None:
    """Removes the stamp: the next run checks in full before its first write."""
    try:
        stamp_path(library_path).unlink(missing_ok=True)
    except OSError:
        pass
