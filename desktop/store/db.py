"""The connection policy: every connection to a library is made here, and only here.

WAL, synchronous=FULL (the reader's work must survive power loss), foreign keys, a busy
timeout and our application id. Python's sqlite3 module opens transactions implicitly and
commits DDL outside them, so connections run in autocommit mode and every change goes through
`transaction()`, which issues BEGIN IMMEDIATE itself: a migration is then atomic too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.store.errors import (
    LibraryCorrupt,
    LibraryError,
    LibraryTooNew,
    NotALibrary,
    StorageUnavailable,
    classify,
)

#: "LBOX" — marks the file as a Lightbox library for `file(1)` and for us.
APPLICATION_ID = 0x4C424F58
BUSY_TIMEOUT_MS = 5000


def connect(
    path: Path,
    *,
    create: bool = True,
    newest_version: int | None = None,
    quick_check: bool = True,
    empty_is_damage: bool = False,
) -> sqlite3.Connection:
    """Opens a library file with the connection policy applied.

    Everything that can refuse the file runs before anything is written to it (switching
    to WAL rewrites the header): that it is ours, not too new, passes SQLite's quick check,
    and can be written.

    Args:
        path: The library file.
        create: Whether a missing file may be created (its folder must exist).
        newest_version: The newest schema this Lightbox reads; a newer file is refused.
        quick_check: Run SQLite's quick check first (it reads the whole file: about half a
            second per GB; the app runs it on a thread instead when the last session ended
            cleanly).
        empty_is_damage: Refuse a file that holds no tables (zero bytes, or a bare SQLite
            header) as damaged rather than start a new library in it: the caller knows a
            library was there (its backups are beside it).

    Raises:
        LibraryError: the file is missing, unreadable, not SQLite, not ours, or read-only.
        LibraryTooNew: made by a newer Lightbox. LibraryCorrupt: damaged.
    """
    if not create and not path.exists():
        raise LibraryError(f"no library at {path}")
    if path.exists() and not path.is_file():
        raise NotALibrary(f"{path} is not a file")
    if not path.parent.is_dir():
        raise LibraryError(f"cannot create a library in {path.parent}: no such folder")
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as error:
        raise LibraryError(f"cannot open {path}: {error}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        # Tags of letters beyond ASCII are one tag in any case of letters (NOCASE folds
        # ASCII only): see desktop.query.tag_equals.
        conn.create_function("casefold", 1, _casefold, deterministic=True)
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and has_tables):
            raise NotALibrary(f"{path} is another program's database, not a Lightbox library")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if not has_tables and (empty_is_damage or version > 0):
            raise LibraryCorrupt(
                f"{path} is damaged: it holds no library (it is empty), though "
                + (
                    "backups of a library are beside it"
                    if empty_is_damage
                    else f"its header says schema {version}"
                )
            )
        if newest_version is not None and version > newest_version:
            raise LibraryTooNew(
                f"this library was created by a newer Lightbox (schema {version}; "
                f"this version reads up to {newest_version}); please update Lightbox"
            )
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check")] if quick_check else ["ok"]
        if verdict != ["ok"]:
            found = "; ".join(" ".join(str(line).split()) for line in verdict[:3])
            raise LibraryCorrupt(f"{path} is damaged: {found}")
        # Refuse a library we cannot write at once, rather than at the reader's first save.
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise StorageUnavailable(f"cannot switch {path} to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous=FULL")
        if app_id == 0:
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    except sqlite3.Error as error:
        conn.close()
        mapped = classify(error, path)
        if mapped is None:
            raise
        raise mapped from None
    except LibraryError:
        conn.close()
        raise
    except UnicodeDecodeError:
        # SQLite's message quotes a schema name whose bytes are not UTF-8: damage.
        conn.close()
        raise LibraryCorrupt(
            f"{path} is damaged (its schema holds text that is not UTF-8)"
        ) from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One explicit write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on error.

    Nested use becomes a savepoint, so a bulk import can keep each case all-or-nothing
    inside one batch transaction.
    """
    if conn.in_transaction:
        conn.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException:
            # A full disk or an I/O error can make SQLite roll the whole transaction back
            # itself: then there is no savepoint left to undo, and the error is what counts.
            if _in_transaction(conn):
                conn.execute("ROLLBACK TO SAVEPOINT nested")
                conn.execute("RELEASE SAVEPOINT nested")
            raise
        conn.execute("RELEASE SAVEPOINT nested")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if _in_transaction(conn):
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if _in_transaction(conn):
            conn.execute("ROLLBACK")
        raise


def _in_transaction(conn: sqlite3.Connection) -> bool:
    # A function, not the attribute inline: the attribute changes behind the type checker's back.
    return conn.in_transaction


def _casefold(text: str | None) -> str | None:
    return text.casefold() if isinstance(text, str) else None
