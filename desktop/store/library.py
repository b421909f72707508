"""`Library`: the one object the CLI, importer and UI use to read and change a library file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from desktop.model import (
    Case,
    CaseFilter,
    CaseId,
    Collection,
    Highlight,
    HighlightFilter,
    HighlightMark,
    HighlightRow,
    ListRow,
    Note,
    NoteVersion,
    Review,
    SavedSearch,
    SearchHit,
    SidebarCounts,
    StudyState,
    StudyStats,
    TagCount,
    parse_case_key,
)
from desktop.store import (
    backup,
    cases,
    collections,
    highlights,
    listing,
    media,
    reader_data,
    saved_searches,
    study,
    verify,
    versions,
)
from desktop.store import tags as tagging
from desktop.store.backup import Backup, BackupContents
from desktop.store.cases import StoredCase
from desktop.store.changes import Changes
from desktop.store.collections import Counts as CollectionCounts
from desktop.store.db import connect, transaction
from desktop.store.errors import (
    Interrupted,
    LibraryCorrupt,
    LibraryError,
    MigrationFailed,
    NotALibrary,
    classify,
)
from desktop.store.highlights import Item as HighlightItem
from desktop.store.listing import Hit
from desktop.store.records import READER_TABLES, instant
from desktop.store.schema import SCHEMA_VERSION, migrate, user_version
from desktop.store.versions import CaseVersion

T = TypeVar("T")


class Library:
    """An open library: one connection, used from one thread.

    Attributes:
        path: The library file.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn = conn
        #: The figures' images, beside the library (`desktop.store.media`).
        self.media = media.MediaStore(media.media_folder(path))
        #: Whether this run found the library sound (by a check, or by its verified stamp):
        #: nothing is written to it before. See `verify`.
        self.verified = False
        #: The file's stamp as this run last left it (see `close`); shared with the
        #: connections `for_thread` opens, whose writes are this run's too.
        self._custody = _Custody(path)
        self._damage: str | None = None
        #: Write transactions this connection began: with `data_version`, tells whether
        #: anything may have changed since a read (see `highlights`).
        self._writes = 0
        #: The last case's highlights (and marks), with the (case, data_version, writes) they
        #: were read at: the detail pane and the notes panel both ask when a case opens.
        self._highlights_read: dict[str, tuple[tuple[int, int, int], list[Any]]] = {}
        #: Write transactions of this connection that may move the sidebar's collection and
        #: tag counts: all but those that vouch they cannot (see `transaction`).
        self._count_writes = 0
        #: The sidebar's collection and tag counts, kept up to date by this object's own
        #: changes to collections and tags (see `_counts`), with the (data_version,
        #: count writes) they hold for.
        self._organise_counts: dict[str, tuple[tuple[int, int], Any]] = {}
        self._counts_untouched: list[str] = []

    @classmethod
    def open(cls, path: Path, *, create: bool = True, quick_check: bool = True) -> Library:
        """Opens (creating and migrating as needed) the library at `path`.

        Runs SQLite's quick check first; a library that fails it is refused untouched. The
        first write of the run checks it in full first, unless its verified stamp shows that
        nothing but Lightbox wrote to it since it was last found sound (`verify`). A library
        at an older schema is checked, then backed up (a pinned backup), then migrated. A
        file that holds no library (zero bytes, or no tables) with backups beside it is
        refused as damaged rather than started afresh.

        Raises:
            LibraryError: the file cannot be used as a library; the message says why.
            LibraryCorrupt: the file is damaged.
        """
        problem = verify.file_problem(path)
        existed = path.exists()
        if existed and problem is not None and not problem.endswith("holds no library"):
            raise NotALibrary(problem)
        # A file holding no library, with backups of one beside it, was damaged or replaced:
        # refused (and the backups offered), never silently made a new empty library.
        had_backups = existed and bool(backup.list_backups(path))
        sound = verify.stamp_matches(path)
        conn = connect(
            path,
            create=create,
            newest_version=SCHEMA_VERSION,
            quick_check=quick_check,
            empty_is_damage=had_backups,
        )
        library = cls(path, conn)
        try:
            version = user_version(conn)
            # Nothing to damage in a library this run just started; else the stamp tells.
            library.verified = sound or version == 0
            if 0 < version < SCHEMA_VERSION:
                library.verify()  # a migration writes: check first
                backup.take_backup(path, "pre-migration", schema_version=version)
            try:
                _guard(path, lambda: migrate(conn))
            except LibraryError:
                raise
            except Exception as error:
                raise MigrationFailed(
                    f"upgrading {path} from schema {version} failed ({error}); the upgrade"
                    f" was undone and the library is unchanged. A backup taken before it is"
                    f" in {backup.backup_folder(path)}."
                ) from error
            library._custody = _Custody(path)
            if conn.execute("SELECT EXISTS (SELECT 1 FROM search_pending)").fetchone()[0]:
                with library.transaction():
                    pass  # committing indexes what was left queued
        except BaseException:
            conn.close()
            raise
        return library

    def close(self) -> None:
        """Closes the connection. A run that found the library sound, and saw no other
        program change the file since its own last write, stamps it as verified."""
        unchanged = self.verified and self._custody.intact()
        self._conn.close()
        if unchanged:  # closing may checkpoint: stamp the files as they are now, if needed
            now = verify.files_stamp(self.path)
            if verify.recorded_stamp(self.path) != now:
                verify.record_stamp(self.path, now)

    def backup(
        self, reason: str = "manual", now: dt.datetime | None = None, *, label: str = ""
    ) -> Path:
        """Writes a checked backup of the committed library; returns its path. `label` says
        what it comes before (an import's file name), in the backup's name."""
        version = user_version(self._conn)
        return backup.take_backup(self.path, reason, now, schema_version=version, label=label)

    def restore_from(self, source: Path) -> Changes:
        """Replaces the library's content with a backup's, after backing up the current one
        (see `restore_checked`, which says what it restored).

        Raises:
            LibraryError: the backup is not a sound Lightbox library this version reads,
                or the library could not be written; the library is then unchanged.
        """
        return self.restore_checked(source).changes

    def check(self) -> list[str]:
        """The schema check (every table, index and trigger of the library's version, and
        nothing else), SQLite's full integrity check, the foreign-key check and the search
        indexes' checks (see `desktop.store.verify.problems`).

        Returns:
            Problems found, in plain words; empty when the library is sound.
        """
        try:
            return _guard(self.path, lambda: verify.problems(self._conn, SCHEMA_VERSION))
        except LibraryCorrupt as error:
            return [str(error)]
        except UnicodeDecodeError:
            return ["integrity: SQLite reports damage in text that is not UTF-8"]

    def media_problems(self) -> list[str]:
        """Images the library's figures name that are missing or damaged, one line each
        naming the cases that show them. Not part of `check`: a lost image file is a
        figure shown as missing, not a damaged library (writes go on)."""
        named = _guard(self.path, lambda: media.names_by_case(self._conn))
        found = []
        for digest, keys in sorted(named.items()):
            problem = self.media.problem(digest)
            if problem is not None:
                cases = ", ".join(sorted(keys)[:3]) + (" ..." if len(keys) > 3 else "")
                found.append(f"figures: {problem} (shown by {cases})")
        return found

    def image_path(self, digest: str | None) -> Path | None:
        """The file of a figure's image; None when it has none or the file is not there."""
        if not digest or not self.media.has(digest):
            return None
        return self.media.path(digest)

    def interrupt(self) -> None:
        """Stops the query running on this library's connection (safe from any thread)."""
        self._conn.interrupt()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, keeps_counts: bool = False) -> Iterator[None]:
        """A write transaction; nested use is a savepoint (one case inside a batch).

        The outermost one indexes the cases it queued for search just before it commits.

        Args:
            keeps_counts: the caller vouches that what it writes cannot move a collection's
                or a tag's count (a bookmark, a note, a reading, a highlight, a colour's
                meaning): the kept counts hold on after it. An allow-list, so a write
                nobody thought about recounts rather than shows a wrong count.
        """
        outermost = not self._conn.in_transaction
        self._writes += 1
        if not keeps_counts:
            self._count_writes += 1
        if outermost and not self.verified:
            self.verify()  # the first write of this run: never into a damaged library
        if outermost:
            self._custody.before_write()
        try:
            with transaction(self._conn):
                yield
                if outermost:
                    cases.index_pending(self._conn)
        except sqlite3.Error as error:
            mapped = classify(error, self.path)
            if mapped is None:
                raise
            raise mapped from error
        finally:
            if outermost and self.verified:
                self._custody.after_write()

    def index_pending(self) -> None:
        """Indexes queued cases now (inside a transaction) rather than at its commit."""
        with self.transaction():
            cases.index_pending(self._conn)

    def store_case(
        self,
        case: Case,
        now: dt.datetime | None = None,
        before_update: Callable[[], None] | None = None,
        replaced_by: str = "import",
    ) -> StoredCase:
        """Adds a case or updates it in place (same id), keeping the text it replaces as a
        version of the case; all-or-nothing.

        Inside a caller's transaction (a bulk import) no savepoint is needed: the case row
        is written by one statement, which SQLite undoes whole if it fails, and its version
        only after it.

        Args:
            replaced_by: What replaces an existing text, for its version ("import of FILE").
        """
        stamp = now or _now()

        def store() -> StoredCase:
            stored = cases.store_case(self._conn, case, stamp, before_update, replaced_by)
            if stored.outcome == "updated":  # the highlights follow the text, in this write
                highlights.reanchor(self._conn, stored.case_id)
            return stored

        if self._conn.in_transaction:
            return _guard(self.path, store)
        with self.transaction():
            return store()

    def get_case(self, case_id: CaseId) -> Case | None:
        return _guard(self.path, lambda: cases.get_case(self._conn, case_id))

    def resolve(self, key: str) -> CaseId:
        """The id of the case ``source:source_id``.

        Raises:
            ValueError: malformed key. LookupError: no such case.
        """
        source, source_id = parse_case_key(key)
        found = _guard(self.path, lambda: cases.find_case_id(self._conn, source, source_id))
        if found is None:
            raise LookupError(f"no case {key} in {self.path}")
        return found

    def count_cases(self) -> int:
        return _guard(self.path, lambda: cases.count_cases(self._conn))

    def case_ids(
        self,
        case_filter: CaseFilter | None = None,
        sort: str = "title",
        descending: bool = False,
        now: dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[CaseId]:
        """The ids of the cases a sidebar entry shows, sorted in SQL (the first `limit`)."""
        chosen = case_filter or CaseFilter()
        return _guard(
            self.path,
            lambda: listing.case_ids(self._conn, chosen, sort, descending, now=now, limit=limit),
        )

    def sort_ids(self, ids: list[CaseId], sort: str, descending: bool) -> list[CaseId]:
        return _guard(self.path, lambda: listing.sort_ids(self._conn, ids, sort, descending))

    def rows(self, ids: list[CaseId]) -> list[ListRow]:
        """List rows (summary and marks) for these ids, in this order."""
        return _guard(self.path, lambda: listing.rows(self._conn, ids))

    def highlight_counts(self, ids: list[CaseId]) -> dict[CaseId, int]:
        """How many highlights each of these cases has (those with none left out)."""
        return _guard(self.path, lambda: listing.highlight_counts(self._conn, ids))

    def counts(
        self,
        now: dt.datetime | None = None,
        *,
        after: Changes | None = None,
        previous: SidebarCounts | None = None,
    ) -> SidebarCounts:
        """The sidebar's counts; with `after` (a change) and `previous` (the counts before
        it), only the groups that change moved are counted (`listing.parts_moved`)."""
        only = listing.parts_moved(after) if after is not None and previous is not None else None
        if only is not None and not only and previous is not None:
            return previous
        orphans = None
        if only is not None and "reading" in only:
            orphans = self._counts("reading-orphans", lambda: listing.reading_orphans(self._conn))
        moves = after.trash_moves if after is not None else frozenset()
        return _guard(
            self.path,
            lambda: listing.counts(
                self._conn,
                now,
                only=only,
                previous=previous,
                reading_orphans=orphans,
                trash_moves=moves,
            ),
        )

    def search_cases(
        self,
        query: str,
        case_filter: CaseFilter | None = None,
        *,
        limit: int = 200,
        marks: tuple[str, str] = ("«", "»"),
        now: dt.datetime | None = None,
    ) -> list[Hit]:
        """Ranked search over case text and notes, within a sidebar entry."""
        chosen = case_filter or CaseFilter()
        return _guard(
            self.path,
            lambda: listing.search(self._conn, query, chosen, limit=limit, marks=marks, now=now),
        )

    def note(self, case_id: CaseId) -> Note | None:
        return _guard(self.path, lambda: reader_data.get_note(self._conn, case_id))

    def save_note(
        self,
        case_id: CaseId,
        body: str,
        now: dt.datetime | None = None,
        *,
        keep_version: bool = False,
    ) -> Changes:
        """Saves the reader's note (committed when this returns); blank clears it (the
        note record becomes a tombstone).

        The text it replaces is kept as a version unless that exact text is already in
        the case's history, whoever saves (see `reader_data.save_note`).

        Raises:
            LookupError: there is no such case.
        """
        with self.transaction(keeps_counts=True):
            changed = reader_data.save_note(
                self._conn, case_id, body, now or _now(), keep_version=keep_version
            )
        return Changes(notes=frozenset({case_id})) if changed else Changes()

    def note_versions(self, case_id: CaseId) -> list[NoteVersion]:
        """Earlier texts of the note, newest first."""
        return _guard(self.path, lambda: reader_data.note_versions(self._conn, case_id))

    def restore_note_version(self, version_id: int, now: dt.datetime | None = None) -> Changes:
        """Makes an earlier version the note again; the text it replaces is kept too."""
        version = _guard(self.path, lambda: reader_data.note_version(self._conn, version_id))
        if version is None:
            raise LookupError(f"no note version {version_id}")
        return self.save_note(version.case_id, version.body, now, keep_version=True)

    def is_bookmarked(self, case_id: CaseId) -> bool:
        return _guard(self.path, lambda: reader_data.is_bookmarked(self._conn, case_id))

    def set_bookmark(self, case_id: CaseId, on: bool, now: dt.datetime | None = None) -> Changes:
        with self.transaction(keeps_counts=True):
            changed = reader_data.set_bookmark(self._conn, case_id, on, now or _now())
        return Changes(bookmarks=frozenset({case_id})) if changed else Changes()

    def bookmarked_ids(self) -> list[CaseId]:
        return _guard(self.path, lambda: reader_data.bookmarked_ids(self._conn))

    def mark_read(self, case_id: CaseId, now: dt.datetime | None = None) -> Changes:
        """Records a reading; the Changes name the case only if it was unread."""
        with self.transaction(keeps_counts=True):
            first = reader_data.mark_read(self._conn, case_id, now or _now())
        return Changes(reading=frozenset({case_id})) if first else Changes()

    def trash(self, case_id: CaseId, now: dt.datetime | None = None) -> Changes:
        """Moves a case with all the reader's data on it to the trash (undo: `untrash`)."""
        with self.transaction():
            changed = reader_data.trash_case(self._conn, case_id, now or _now())
            kept = self._trash_shift(case_id, -1) if changed else self._kept_counts(())
        self._kept_counts_done(kept)
        return _trash_move(case_id) if changed else Changes()

    def untrash(self, case_id: CaseId) -> Changes:
        with self.transaction():
            changed = reader_data.untrash_case(self._conn, case_id)
            kept = self._trash_shift(case_id, 1) if changed else self._kept_counts(())
        self._kept_counts_done(kept)
        return _trash_move(case_id) if changed else Changes()

    def trashed_ids(self) -> list[CaseId]:
        return _guard(self.path, lambda: reader_data.trashed_ids(self._conn))

    def empty_trash(self, only: Sequence[CaseId] | None = None) -> Changes:
        """Deletes the trashed cases for good (of `only`, those still in the Trash: the ones
        the reader confirmed); the reader's data on them becomes tombstones (kept until
        `purge_tombstones`)."""
        with self.transaction():
            ids = reader_data.empty_trash(self._conn, _now(), only)
        return Changes(cases=frozenset(ids))

    def mark_unread(self, case_id: CaseId) -> Changes:
        with self.transaction(keeps_counts=True):
            changed = reader_data.mark_unread(self._conn, case_id, _now())
        return Changes(reading=frozenset({case_id})) if changed else Changes()

    def read_ids(self, case_ids: Sequence[CaseId]) -> set[CaseId]:
        """Of these cases, those marked read."""
        return _guard(self.path, lambda: reader_data.read_ids(self._conn, case_ids))

    def mark_read_many(self, case_ids: Sequence[CaseId], now: dt.datetime | None = None) -> Changes:
        """Marks the unread ones of these cases read, in one transaction (a case already
        read keeps its dates and count, a case no longer in the library is passed over); the
        Changes name those that were unread."""
        with self.transaction(keeps_counts=True):
            changed = reader_data.mark_read_many(self._conn, case_ids, now or _now())
        return Changes(reading=frozenset(changed))

    def mark_unread_many(self, case_ids: Sequence[CaseId]) -> Changes:
        """Marks these cases unread, in one transaction; the Changes name those that were read."""
        with self.transaction(keeps_counts=True):
            changed = reader_data.mark_unread_many(self._conn, case_ids, _now())
        return Changes(reading=frozenset(changed))

    def revive_reading(self, case_ids: Sequence[CaseId]) -> Changes:
        """Undoes `mark_unread_many`: the cases are read again, as they were read before
        (their first and last reading and their count kept), in one transaction."""
        with self.transaction(keeps_counts=True):
            changed = reader_data.revive_readings(self._conn, case_ids, _now())
        return Changes(reading=frozenset(changed))

    def count_tombstones(
        self, older_than: dt.timedelta | None = None, now: dt.datetime | None = None
    ) -> int:
        """How many deleted records of the reader's data `purge_tombstones` would remove."""
        moment = now or _now()
        return _guard(
            self.path, lambda: reader_data.count_tombstones(self._conn, older_than, moment)
        )

    def purge_tombstones(
        self, older_than: dt.timedelta | None = None, now: dt.datetime | None = None
    ) -> int:
        """Removes for good the tombstones of the reader's data deleted more than
        `older_than` ago (all of them if None); returns how many.

        Only this removes a deleted record: until then a merge with another copy of the
        library knows the record was deleted here, rather than never made. Nothing shown
        changes.
        """
        with self.transaction():
            return reader_data.purge_tombstones(self._conn, older_than, now or _now())

    def search(
        self,
        query: str,
        limit: int = 50,
        *,
        prefix_last: bool = True,
        marks: tuple[str, str] = ("«", "»"),
    ) -> list[SearchHit]:
        """Ranked search over case text and notes, with each hit's summary (CLI, scripts)."""

        def run() -> list[SearchHit]:
            hits = listing.search(
                self._conn, query, CaseFilter(), limit=limit, marks=marks, prefix_last=prefix_last
            )
            rows = {
                row.summary.id: row for row in listing.rows(self._conn, [h.case_id for h in hits])
            }
            return [SearchHit(rows[h.case_id].summary, h.snippet, h.score) for h in hits]

        return _guard(self.path, run)

    # --- for the window (it reaches storage only through this object) ----------------------

    def for_thread(self) -> Library:
        """Another connection to this library, for a worker thread (a connection is never
        shared between threads); call it on that thread. The library is not checked again.

        Raises:
            LibraryError: the library cannot be opened (moved, deleted, unreadable).
        """
        other = Library.open(self.path, create=False, quick_check=False)
        if self.verified:
            other.verified = True
            other._custody = self._custody
        return other

    def search_cases_interruptible(
        self, query: str, case_filter: CaseFilter | None = None, *, limit: int = 200
    ) -> list[Hit]:
        """`search_cases`, for search as you type.

        Raises:
            Interrupted: `interrupt()` stopped it (a newer query made it stale); not a failure.
            LibraryError: the search could not be run; the message says why.
        """
        try:
            return self.search_cases(query, case_filter, limit=limit)
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorname", "") == "SQLITE_INTERRUPT":
                raise Interrupted(str(error)) from error
            raise

    def backups(self) -> list[Backup]:
        """The library's backups, newest first."""
        return backup.list_backups(self.path)

    def backup_contents(self, source: Path) -> BackupContents:
        """What a backup holds, read without changing it.

        Raises:
            LibraryError: the file is not a readable Lightbox library.
        """
        return backup.backup_contents(source)

    def restore(self, source: Path) -> Changes:
        """`restore_from`, announcing that the whole library may have changed."""
        return self.restore_from(source) | Changes(whole_library=True)

    # --- earlier texts of cases: what re-imports replaced (desktop.store.versions) ---------

    def case_versions(self, case_id: CaseId) -> list[CaseVersion]:
        """The case's earlier texts, oldest (number 1) first; empty for an unknown case."""

        def run() -> list[CaseVersion]:
            key = reader_data.identity(self._conn, case_id)
            return [] if key is None else versions.list_versions(self._conn, *key)

        return _guard(self.path, run)

    def restore_case_version(
        self, case_id: CaseId, number: int, now: dt.datetime | None = None
    ) -> Changes:
        """Makes version `number` the case's text again; the current text becomes a new
        version. The reader's notes, marks and history are not touched.

        Raises:
            LookupError: no such case or version.
            DuplicateDoi: the version's DOI now belongs to another case.
        """
        with self.transaction():
            stored = cases.restore_version(self._conn, case_id, number, now or _now())
            if stored.outcome == "updated":
                highlights.reanchor(self._conn, case_id)
        return Changes(cases=frozenset({case_id})) if stored.outcome == "updated" else Changes()

    # --- living beside other programs (the command line, a second window) -----------------

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: it changes when another connection (another
        program, another window, a worker thread) commits to the library; never for this
        connection's own commits. Cheap enough to poll a few times a second."""
        return int(
            _guard(self.path, lambda: self._conn.execute("PRAGMA data_version").fetchone()[0])
        )

    def case_key(self, case_id: CaseId) -> str | None:
        """The case's stable identity "source:source_id", or None if it is not here."""
        found = _guard(self.path, lambda: reader_data.identity(self._conn, case_id))
        return None if found is None else f"{found[0]}:{found[1]}"

    def trashed_at(self, case_id: CaseId) -> dt.datetime | None:
        """When the case was moved to the Trash, or None if it is not in the Trash."""
        row = _guard(
            self.path,
            lambda: self._conn.execute(
                "SELECT trashed_at FROM cases WHERE id = ?", (case_id,)
            ).fetchone(),
        )
        return None if row is None or row[0] is None else instant(row[0])

    def save_note_over(
        self, case_key: str, body: str, base: Note | None, now: dt.datetime | None = None
    ) -> reader_data.NoteSave:
        """The window's save: `body` over `base`, the note as this writer last loaded or
        stored it, for the case named by its identity. Text another program saved in the
        meantime is kept in the history, and the result says so.

        Raises:
            LookupError: the case is no longer in the library.
            ValueError: a malformed key.
        """
        key = parse_case_key(case_key)
        with self.transaction(keeps_counts=True):
            return reader_data.save_note_over(self._conn, key, body, base, now or _now())

    # --- safety: a check before the first write, and checked restores ----------------------

    def needs_full_check(self) -> bool:
        """Whether `verify` would run the full check (the library changed outside Lightbox
        since it was last found sound); False once verified or when the stamp matches."""
        return not self.verified and (
            self._damage is not None or not verify.stamp_matches(self.path)
        )

    def verify(self) -> None:
        """Makes sure the library is sound before this run first writes to it.

        Instant when the file still carries the stamp a verified run left on it (nothing
        but Lightbox has written to it since); otherwise runs `check` in full (its cost
        grows with the library: see tests/bench/bench_all.py) and stamps the library when
        it is sound.

        Raises:
            LibraryCorrupt: the library is damaged; nothing was written to it.
        """
        if self.verified:
            return
        if self._damage is not None:
            raise LibraryCorrupt(self._damage)  # found earlier in this run: not checked twice
        if not verify.stamp_matches(self.path):
            found = self.check()
            if found:
                more = f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""
                self._damage = (
                    f"{self.path} is damaged ({found[0]}{more}); nothing was written to it"
                )
                raise LibraryCorrupt(self._damage)
            verify.record_stamp(self.path)
        self.verified = True
        self._custody = _Custody(self.path)

    def restore_checked(self, source: Path) -> Restored:
        """Replaces the library's content with a backup's, checked first in full.

        Before the library is touched, the backup is copied through SQLite into a scratch
        file (a FIFO, a folder or a device is refused before anything opens it) and the
        copy is checked as a complete library of a known schema version: our application
        id, every table, index and trigger of its version and nothing else (no foreign
        triggers, views or tables), integrity, foreign keys and search indexes. Then the
        current library is backed up (unless it holds nothing) and the checked copy goes
        into this open connection through SQLite's backup API (a stale -wal can never
        replay over it) and is upgraded if it is older.

        Raises:
            NotALibrary: the file is not a Lightbox library (or not a regular file).
            LibraryError: the backup is damaged, incomplete, foreign or from a newer
                Lightbox, or the library could not be written; the library is unchanged.
            LibraryCorrupt: this library is damaged: move it aside and recover instead.
        """
        problem = verify.file_problem(source)
        if problem is not None:
            raise NotALibrary(problem)
        if self.path.exists() and source.resolve().samefile(self.path):
            raise LibraryError(f"{source} is this library itself, not a backup of it")
        scratch = backup.scratch_path(self.path)
        try:
            page_size = int(self._conn.execute("PRAGMA page_size").fetchone()[0])
            contents = backup.checked_copy(source, scratch, SCHEMA_VERSION, page_size)
            self.verify()
            safety = self.backup("pre-restore") if self._holds_anything() else None
            try:
                origin = sqlite3.connect(scratch, isolation_level=None)
                try:
                    origin.backup(self._conn)
                finally:
                    origin.close()
            except sqlite3.Error as error:
                mapped = classify(error, self.path)
                raise (mapped or LibraryError(f"restore failed: {error}")) from error
            try:
                migrate(self._conn)
            except Exception as error:
                kept = f"; the library as it was is in {safety}" if safety else ""
                raise MigrationFailed(
                    f"restored {source}, but upgrading it from schema"
                    f" {contents.schema_version} failed ({error}){kept}"
                ) from error
            with self.transaction():
                cases.index_pending(self._conn)
        finally:
            backup.remove_scratch(scratch)
        self._custody = _Custody(self.path)
        changes = Changes(cases=frozenset(_guard(self.path, lambda: cases.all_ids(self._conn))))
        return Restored(source, contents, safety, changes)

    # --- highlights (desktop.store.highlights) ---------------------------------------------

    def highlights(self, case_id: CaseId) -> list[Highlight]:
        """The case's live highlights in reading order, detached ones last.

        Highlights placed against another text of the case (one this library got from a
        merge, or from a Lightbox that stored them without re-anchoring) are placed again
        first, and that is written down; a library that cannot be written to still gets
        them placed, for this once.
        """
        return self._fresh_highlights(
            "highlights", case_id, lambda: highlights.highlights_of(self._conn, case_id)
        )

    def deleted_highlights(self, case_id: CaseId) -> list[Highlight]:
        """The case's deleted highlights (tombstones, which `undelete_highlight` brings
        back), in reading order as they were placed when deleted."""
        return _guard(
            self.path, lambda: highlights.highlights_of(self._conn, case_id, deleted=True)
        )

    def highlight_marks(self, case_id: CaseId) -> list[HighlightMark]:
        """The case's live highlights as (uid, section, start, end, colour), placed as
        `highlights` places them: what drawing the page needs, cheaper to read."""
        return self._fresh_highlights(
            "marks", case_id, lambda: highlights.marks_of(self._conn, case_id)
        )

    def _fresh_highlights(
        self, what: str, case_id: CaseId, read: Callable[[], list[HighlightItem]]
    ) -> list[HighlightItem]:
        """`read()` of a case's highlights once they are placed on its text as it is now;
        the same answer again until something changes the library."""
        moment = (case_id, self.data_version(), self._writes)
        held = self._highlights_read.get(what)
        if held is not None and held[0] == moment:
            return list(held[1])
        if _guard(self.path, lambda: highlights.needs_reanchoring(self._conn, case_id)):
            try:
                with self.transaction():
                    highlights.reanchor(self._conn, case_id)
            except LibraryError:
                # Not written (a read-only or full disk): placed for this reading only, and
                # not kept, so the next reading tries to write it again.
                return _guard(
                    self.path, lambda: highlights.placed_for_now(self._conn, case_id, read())
                )
        found = _guard(self.path, read)
        self._highlights_read[what] = ((case_id, self.data_version(), self._writes), found)
        return list(found)

    def highlight(self, uid: str) -> Highlight | None:
        """A highlight by uid, deleted ones too (None if there is none)."""
        return _guard(self.path, lambda: highlights.get_highlight(self._conn, uid))

    def resolve_highlight(self, text: str) -> str:
        """The uid of the highlight named by its uid or a unique beginning of it.

        Raises:
            LookupError: none or several match; the message says which.
        """
        return _guard(self.path, lambda: highlights.resolve(self._conn, text))

    def add_highlight(
        self,
        case_id: CaseId,
        section: str,
        start: int,
        end: int,
        *,
        colour: str = "yellow",
        comment: str = "",
        tags: Sequence[str] = (),
        now: dt.datetime | None = None,
    ) -> str:
        """Highlights a passage of a section (offsets in its canonical text); returns the
        new highlight's uid.

        Raises:
            LookupError: no such case or section.
            ValueError: an empty or out-of-range span, an unknown colour, bad tags.
        """
        with self.transaction(keeps_counts=True):
            return highlights.add_highlight(
                self._conn,
                case_id,
                section,
                start,
                end,
                now=now or _now(),
                colour=colour,
                comment=comment,
                tags=tags,
            )

    def edit_highlight(
        self,
        uid: str,
        *,
        colour: str | None = None,
        comment: str | None = None,
        tags: Sequence[str] | None = None,
        now: dt.datetime | None = None,
    ) -> Changes:
        """Changes a highlight's colour, comment or tags (those given).

        Raises:
            LookupError: no such live highlight.
            ValueError: an unknown colour, bad tags, a comment too long.
        """
        with self.transaction(keeps_counts=True):
            case_id = highlights.edit_highlight(
                self._conn, uid, now or _now(), colour=colour, comment=comment, tags=tags
            )
        return _highlight_changes(case_id)

    def delete_highlight(self, uid: str, now: dt.datetime | None = None) -> Changes:
        """Deletes a highlight: a tombstone, which `undelete_highlight` brings back.

        Raises:
            LookupError: no such highlight.
        """
        with self.transaction(keeps_counts=True):
            case_id = highlights.set_deleted(self._conn, uid, True, now or _now())
        return _highlight_changes(case_id)

    def undelete_highlight(self, uid: str, now: dt.datetime | None = None) -> Changes:
        """Brings a deleted highlight back (placed again on the case's text as it is now).

        Raises:
            LookupError: no such highlight.
        """
        with self.transaction(keeps_counts=True):
            case_id = highlights.set_deleted(self._conn, uid, False, now or _now())
        return _highlight_changes(case_id)

    def attach_highlight(
        self, uid: str, section: str, start: int, end: int, now: dt.datetime | None = None
    ) -> Changes:
        """Puts a (detached) highlight on a passage the reader chose."""
        with self.transaction(keeps_counts=True):
            case_id = highlights.attach(self._conn, uid, section, start, end, now=now or _now())
        return _highlight_changes(case_id)

    def highlight_ids(self, wanted: HighlightFilter, limit: int | None = None) -> list[int]:
        """The browser's highlights (local row ids), newest first."""
        return _guard(self.path, lambda: highlights.browse_ids(self._conn, wanted, limit))

    def highlight_rows(self, ids: Sequence[int]) -> list[HighlightRow]:
        """Browser rows for row ids from `highlight_ids`, in the order given."""
        return _guard(self.path, lambda: highlights.browse_rows(self._conn, ids))

    def highlight_tags(self) -> list[tuple[str, int]]:
        """Tags on live highlights, with how many carry each."""
        return _guard(self.path, lambda: highlights.tag_counts(self._conn))

    def colour_meanings(self) -> dict[str, str]:
        """What the reader said each colour means."""
        return _guard(self.path, lambda: highlights.colour_meanings(self._conn))

    def set_colour_meaning(
        self, colour: str, meaning: str, now: dt.datetime | None = None
    ) -> Changes:
        """Gives a colour a meaning ("red = key finding"); '' clears it."""
        with self.transaction(keeps_counts=True):
            changed = highlights.set_colour_meaning(self._conn, colour, meaning, now or _now())
        return Changes(colour_meanings=changed)

    def _holds_anything(self) -> bool:
        tables = ["cases", *READER_TABLES]
        query = " OR ".join(f"EXISTS (SELECT 1 FROM {table})" for table in tables)
        return bool(_guard(self.path, lambda: self._conn.execute(f"SELECT {query}").fetchone()[0]))

    # --- collections (desktop.store.collections) -------------------------------------------

    def collections(self) -> list[Collection]:
        """Every collection, depth first in sibling order, with its counts."""
        counts = self._counts("collections", lambda: collections.count_all(self._conn))
        return _guard(self.path, lambda: collections.tree(self._conn, counts))

    def find_collection(self, path: str) -> str | None:
        """The uid of the collection at a path ("Boards/Chest"; names ignore case), or None.

        Raises:
            ValueError: a malformed path.
        """
        return _guard(self.path, lambda: collections.find(self._conn, path))

    def collection_path(self, uid: str) -> str:
        """A collection's path ("Boards/Chest").

        Raises:
            LookupError: no such collection.
        """
        return _guard(self.path, lambda: collections.path_of(self._conn, uid))

    def make_collection_path(
        self, path: str, now: dt.datetime | None = None
    ) -> tuple[str, Changes]:
        """The uid of the collection at `path`, making it and any missing parent.

        Raises:
            ValueError: a malformed path (a name empty, too long, with control characters).
        """
        with self.transaction():
            kept = self._counts_kept("collections")
            uid, made = collections.resolve(self._conn, path, now or _now())
        self._counts_done("collections", kept)
        return uid, Changes(collection_tree=made)

    def create_collection(
        self, name: str, parent_uid: str | None = None, now: dt.datetime | None = None
    ) -> str:
        """Makes a collection under `parent_uid` (None: at the top); returns its uid.

        Raises:
            LookupError: no such parent. ValueError: a bad name, or a sibling has it.
        """
        with self.transaction():
            kept = self._counts_kept("collections")
            uid = collections.create(self._conn, parent_uid, name, now or _now())
        self._counts_done("collections", kept)
        return uid

    def rename_collection(self, uid: str, name: str, now: dt.datetime | None = None) -> Changes:
        """Raises: LookupError: no such collection. ValueError: a bad or taken name."""
        with self.transaction():
            kept = self._counts_kept("collections")
            changed = collections.rename(self._conn, uid, name, now or _now())
        self._counts_done("collections", kept)
        return Changes(collection_tree=changed)

    def move_collection(
        self, uid: str, parent_uid: str | None, now: dt.datetime | None = None
    ) -> Changes:
        """Moves a collection under another (None: to the top).

        Raises:
            LookupError: no such collection. ValueError: into itself or under itself, or
                a sibling there has its name.
        """
        with self.transaction():
            kept = self._counts_kept("collections")
            changed = collections.move(self._conn, uid, parent_uid, now or _now())
        # The totals above it, where it left and where it went, are counted afresh.
        self._counts_done("collections", None if changed else kept)
        return Changes(collection_tree=changed)

    def delete_collection(self, uid: str, now: dt.datetime | None = None) -> Changes:
        """Deletes a collection and those under it; the cases in them stay in the library.

        Raises:
            LookupError: no such collection.
        """
        with self.transaction():
            self._counts_kept("collections")
            affected = collections.delete(self._conn, uid, now or _now())
        self._counts_done("collections", None)  # the totals above it: counted afresh
        return Changes(collections=frozenset(affected), collection_tree=True)

    def add_to_collection(
        self, uid: str, case_ids: Sequence[CaseId], now: dt.datetime | None = None
    ) -> Changes:
        """Puts cases at the end of a collection, in the order given (those in it already
        keep their place).

        Raises:
            LookupError: no such collection or case (nothing is added).
        """
        with self.transaction():
            kept = self._counts_kept("collections")
            before = self._covered_before(kept, case_ids)
            added = collections.add_cases(self._conn, uid, case_ids, now or _now())
            if before is not None:
                shelved = collections.shelved_ids(self._conn, added)
                kept = self._tree_delta(kept, uid, shelved, before, 1)
        self._counts_done("collections", kept if before is not None else None)
        return Changes(collections=frozenset(added))

    def remove_from_collection(
        self, uid: str, case_ids: Sequence[CaseId], now: dt.datetime | None = None
    ) -> Changes:
        """Takes cases out of a collection.

        Raises:
            LookupError: no such collection or case.
        """
        with self.transaction():
            kept = self._counts_kept("collections")
            before = self._covered_before(kept, case_ids)
            removed = collections.remove_cases(self._conn, uid, case_ids, now or _now())
            if before is not None:
                shelved = collections.shelved_ids(self._conn, removed)
                kept = self._tree_delta(kept, uid, shelved, before, -1)
        self._counts_done("collections", kept if before is not None else None)
        return Changes(collections=frozenset(removed))

    def reorder_in_collection(
        self,
        uid: str,
        case_id: CaseId,
        before: CaseId | None,
        now: dt.datetime | None = None,
    ) -> Changes:
        """Moves a case of a collection just before another of its cases (None: last).

        Raises:
            LookupError: no such collection, or a case not in it. ValueError: before itself.
        """
        with self.transaction():
            kept = self._counts_kept("collections")
            moved = collections.reorder(self._conn, uid, case_id, before, now or _now())
        self._counts_done("collections", kept)
        return Changes(collections=frozenset({case_id})) if moved else Changes()

    def collection_case_ids(self, uid: str, *, nested: bool = False) -> list[CaseId]:
        """The cases in a collection in its order (with `nested`, then those under it, each
        once); trashed cases are left out.

        Raises:
            LookupError: no such collection.
        """
        return _guard(self.path, lambda: collections.member_ids(self._conn, uid, nested=nested))

    def collections_of(self, case_id: CaseId) -> list[Collection]:
        """The collections a case is in, in tree order.

        Raises:
            LookupError: no such case.
        """
        uids = set(_guard(self.path, lambda: collections.collections_of(self._conn, case_id)))
        return [found for found in self.collections() if found.uid in uids]

    # --- tags on cases (desktop.store.tags) ------------------------------------------------

    def tag_cases(
        self, case_ids: Sequence[CaseId], tags: Sequence[str], now: dt.datetime | None = None
    ) -> Changes:
        """Puts every tag on every case.

        Raises:
            LookupError: no such case. ValueError: no tag or a bad one (nothing is written).
        """
        with self.transaction():
            kept = self._counts_kept("tags")
            pairs = tagging.tag_cases(self._conn, case_ids, tags, now or _now())
            kept = self._tag_delta(kept, pairs, 1)
        self._counts_done("tags", kept)
        return Changes(tags=frozenset(case for case, _tag in pairs))

    def untag_cases(
        self, case_ids: Sequence[CaseId], tags: Sequence[str], now: dt.datetime | None = None
    ) -> Changes:
        """Takes the tags off the cases (one case or many at once).

        Raises:
            LookupError: no such case. ValueError: no tag or a bad one.
        """
        with self.transaction():
            kept = self._counts_kept("tags")
            pairs = tagging.untag_cases(self._conn, case_ids, tags, now or _now())
            kept = self._tag_delta(kept, pairs, -1)
        self._counts_done("tags", kept)
        return Changes(tags=frozenset(case for case, _tag in pairs))

    def case_tags(self, case_id: CaseId) -> list[str]:
        """A case's tags, sorted ignoring case."""
        return _guard(self.path, lambda: tagging.tags_of(self._conn, case_id))

    def tags_of_cases(self, case_ids: Sequence[CaseId]) -> list[str]:
        """The tags any of these cases carries, sorted ignoring case."""
        return _guard(self.path, lambda: tagging.tags_of_cases(self._conn, case_ids))

    def tag_counts(self) -> list[TagCount]:
        """Every tag on cases in the library (out of the trash), with its count."""
        counted = self._counts("tags", lambda: tagging.nocase_counts(self._conn))
        return tagging.tag_counts(self._conn, counted)

    def tagged_ids(self, tag: str) -> list[CaseId]:
        """The cases (out of the trash) carrying a tag.

        Raises:
            ValueError: a bad tag.
        """
        return _guard(self.path, lambda: tagging.tagged_ids(self._conn, tag))

    def rename_tag(self, old: str, new: str, now: dt.datetime | None = None) -> Changes:
        """Renames a tag everywhere; a case that had both keeps one (a merge).

        Raises:
            ValueError: a bad name.
        """
        with self.transaction():
            changed = tagging.rename_tag(self._conn, old, new, now or _now())
        return Changes(tags=frozenset(changed))

    # --- saved searches (desktop.store.saved_searches) --------------------------------------

    def saved_searches(self) -> list[SavedSearch]:
        """Every saved search, sorted by name ignoring case."""
        return _guard(self.path, lambda: saved_searches.saved_searches(self._conn))

    def find_saved_search(self, name: str) -> SavedSearch | None:
        """The saved search of a name (ignoring case), or None."""
        return _guard(self.path, lambda: saved_searches.find(self._conn, name))

    def save_search(
        self, name: str, query: str, now: dt.datetime | None = None, *, replace: bool = False
    ) -> tuple[str, Changes]:
        """Saves a search under a name; returns its uid. With `replace`, one of that name
        (ignoring case) takes this query and this spelling of the name.

        Raises:
            ValueError: a bad name, or one of that name exists (without `replace`).
            QueryInvalid: a query the search language cannot read (says what and where).
        """
        with self.transaction():
            uid, changed = saved_searches.save(
                self._conn, name, query, now or _now(), replace=replace
            )
        return uid, Changes(saved_searches=changed)

    def rename_saved_search(self, uid: str, name: str, now: dt.datetime | None = None) -> Changes:
        """Raises: LookupError: no such saved search. ValueError: a bad or taken name."""
        with self.transaction():
            changed = saved_searches.rename(self._conn, uid, name, now or _now())
        return Changes(saved_searches=changed)

    def edit_saved_search(self, uid: str, query: str, now: dt.datetime | None = None) -> Changes:
        """Gives a saved search another query.

        Raises:
            LookupError: no such saved search. QueryInvalid: a query that cannot be read.
        """
        with self.transaction():
            changed = saved_searches.edit(self._conn, uid, query, now or _now())
        return Changes(saved_searches=changed)

    def delete_saved_search(self, uid: str, now: dt.datetime | None = None) -> Changes:
        """Deletes a saved search (the cases it shows stay as they are).

        Raises:
            LookupError: no such saved search.
        """
        with self.transaction():
            saved_searches.delete(self._conn, uid, now or _now())
        return Changes(saved_searches=True)

    def count_saved_search(self, query: str, now: dt.datetime | None = None) -> int:
        """How many cases a saved search of this query lists (0 for one that cannot be read)."""
        chosen = CaseFilter("saved", value=query)
        return _guard(self.path, lambda: listing.count_filter(self._conn, chosen, now))

    # --- drilling (desktop.store.study) -------------------------------------------------

    def rate(
        self,
        case_id: CaseId,
        rating: int,
        at: dt.datetime | None = None,
        *,
        answer: str = "",
        verdict: str = "",
        matched: str = "",
    ) -> tuple[str, StudyState, Changes]:
        """Records a drill's rating of a case (1 Missed .. 4 Easy) at `at` (now if None)
        and replays its schedule; returns the review's uid and the case's new schedule.

        Raises:
            LookupError: no such case. ValueError: a bad rating or a time without a zone.
        """
        when = at or _now()
        with self.transaction(keeps_counts=True):
            uid, state = study.record_review(
                self._conn,
                case_id,
                rating,
                when,
                answer=answer,
                verdict=verdict,
                matched=matched,
                now=_now(),
            )
        return uid, state, Changes(reviews=frozenset({case_id}))

    def undo_rating(self, uid: str, now: dt.datetime | None = None) -> Changes:
        """Takes a rating back (its record becomes a tombstone); the case's schedule is
        replayed without it."""
        with self.transaction(keeps_counts=True):
            key = study.undo_review(self._conn, uid, now or _now())
            found = None if key is None else self._case_of(key)
        return Changes(reviews=frozenset({found})) if found is not None else Changes()

    def reviews(self, case_id: CaseId) -> list[Review]:
        """A case's live reviews, oldest first."""
        return _guard(self.path, lambda: study.reviews_of(self._conn, case_id))

    def study_states(self, ids: Sequence[CaseId]) -> dict[CaseId, StudyState]:
        """The schedules of these cases (those never drilled are left out)."""
        return _guard(self.path, lambda: study.states_of(self._conn, ids))

    def due_ids(self, now: dt.datetime | None = None, limit: int | None = None) -> list[CaseId]:
        """Cases due now (out of the trash), the most overdue first."""
        return _guard(self.path, lambda: study.due_ids(self._conn, now or _now(), limit))

    def count_due(self, now: dt.datetime | None = None) -> int:
        return _guard(self.path, lambda: study.count_due(self._conn, now or _now()))

    def study_statistics(
        self, now: dt.datetime | None = None, zone: dt.tzinfo | None = None
    ) -> StudyStats:
        """The drill statistics (days counted in `zone`, the machine's if None)."""
        return _guard(self.path, lambda: study.statistics(self._conn, now or _now(), zone))

    def desired_retention(self) -> float:
        return _guard(self.path, lambda: study.retention(self._conn))

    def set_desired_retention(self, value: float, now: dt.datetime | None = None) -> Changes:
        """Raises: ValueError: outside `desktop.study.RETENTION_RANGE`."""
        with self.transaction(keeps_counts=True):
            study.set_retention(self._conn, value, now or _now())
        return Changes()

    def _case_of(self, key: tuple[str, str]) -> CaseId | None:
        row = self._conn.execute(
            "SELECT id FROM cases WHERE source = ? AND source_id = ?", key
        ).fetchone()
        return None if row is None else CaseId(row[0])

    def _counts(self, what: str, count: Callable[[], Any]) -> Any:
        """The sidebar counts of `what` ("collections", "tags"): kept ones while nothing
        wrote the library since but this object's own changes that either bring them up
        to date (collections, tags, the trash) or cannot move them (see `transaction`),
        else counted afresh (tens of milliseconds at 100,000 cases, where keeping them
        costs well under one)."""
        moment = (self.data_version(), self._count_writes)
        held = self._organise_counts.get(what)
        if held is not None and held[0] == moment:
            return held[1]
        found = _guard(self.path, count)
        self._organise_counts[what] = (moment, found)
        return found

    def _counts_kept(self, what: str) -> Any:
        """Inside a change's transaction, before it writes: the kept counts of `what`
        (taken from the cache, for the change to update) if they held until this very
        transaction, else None (they are dropped). The other kind's counts, which this
        change leaves alone, are marked to hold on after it."""
        return self._kept_counts((what,))[what]

    def _kept_counts(self, kinds: tuple[str, ...]) -> dict[str, Any]:
        """`_counts_kept` of each of `kinds` (a change that moves several)."""
        before = (self.data_version(), self._count_writes - 1)
        self._counts_untouched = [
            kind
            for kind, held in self._organise_counts.items()
            if kind not in kinds and held[0] == before
        ]
        found: dict[str, Any] = {}
        for kind in kinds:
            held = self._organise_counts.pop(kind, None)
            found[kind] = None if held is None or held[0] != before else held[1]
        return found

    def _counts_done(self, what: str, kept: Any) -> None:
        """After a change committed: keeps `kept` (brought up to date) as the counts of
        `what`, and the other kind's counts as they were."""
        self._kept_counts_done({what: kept})

    def _kept_counts_done(self, kept: dict[str, Any]) -> None:
        """`_counts_done` of each kind in `kept`."""
        moment = (self.data_version(), self._count_writes)
        for kind in self._counts_untouched:
            if kind in self._organise_counts:
                self._organise_counts[kind] = (moment, self._organise_counts[kind][1])
        self._counts_untouched = []
        for kind, counts in kept.items():
            if counts is not None:
                self._organise_counts[kind] = (moment, counts)

    def _trash_shift(self, case_id: CaseId, step: int) -> dict[str, Any]:
        """Inside a trash change's transaction, after it wrote: the kept collection and
        tag counts with the case's memberships and tags counted again (`step` 1) or no
        longer (-1)."""
        kept = self._kept_counts(("collections", "tags"))
        if kept["collections"] is not None:
            collections.shift(self._conn, kept["collections"], [case_id], step)
        if kept["tags"] is not None:
            tagging.shift(self._conn, kept["tags"], [case_id], step)
        return kept

    def _tree_delta(
        self,
        kept: CollectionCounts | None,
        uid: str,
        cases: list[CaseId],
        before: dict[CaseId, set[str]],
        step: int,
    ) -> CollectionCounts | None:
        """Inside a change's transaction, after it wrote: the kept collection counts after
        `cases` (out of the trash) went into collection `uid` (`step` 1) or out of it
        (-1); `before` held the collections whose totals counted each case before."""
        if kept is None:
            return None
        kept.direct[uid] = kept.direct.get(uid, 0) + step * len(cases)
        for case, after in collections.covering(self._conn, cases).items():
            held = before.get(case, set())
            for above in after - held if step > 0 else held - after:
                kept.totals[above] = kept.totals.get(above, 0) + step
        return kept

    def _covered_before(
        self, kept: CollectionCounts | None, case_ids: Sequence[CaseId]
    ) -> dict[CaseId, set[str]] | None:
        """Inside a change's transaction, before it writes: what `_tree_delta` needs to
        know of the cases (None when nothing is kept, or for a batch so large that
        counting afresh costs less)."""
        if kept is None or len(case_ids) > _MOST_KEPT:
            return None
        return collections.covering(self._conn, collections.shelved_ids(self._conn, case_ids))

    def _tag_delta(
        self, kept: tagging.Counted | None, pairs: Sequence[tuple[CaseId, str]], step: int
    ) -> tagging.Counted | None:
        """Inside a change's transaction: the kept tag counts after (case, tag) pairs were
        added (`step` 1) or taken off (-1)."""
        if kept is None:
            return None
        out = set(collections.shelved_ids(self._conn, [case for case, _tag in pairs]))
        touched: dict[str, str] = {}
        for case, tag in pairs:
            key = tagging.nocase(tag)
            touched[key] = tag
            if case in out:
                shown, count = kept.get(key, (tag, 0))
                kept[key] = (shown, count + step)
        for key, tag in touched.items():
            spelled = tagging.spelling(self._conn, tag)
            if spelled is None:
                kept.pop(key, None)
            else:
                kept[key] = (spelled, kept.get(key, (tag, 0))[1])
        return kept


class _Custody:
    """Whether this run can still vouch for the library file, and its stamp as this run
    (or another verified Lightbox run) last left it.

    A change to the file between this run's writes is adopted when the verified stamp
    shows another verified Lightbox made it (the command line beside the window); any
    other change breaks custody: this run then stamps nothing, and the next run checks the
    file in full before writing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = verify.files_stamp(path)
        self.broken = False

    def before_write(self) -> None:
        if self.broken:
            return
        now = verify.files_stamp(self.path)
        if now == self.seen:
            return
        if verify.recorded_stamp(self.path) == now:
            self.seen = now  # another verified Lightbox run left it so
        else:
            self.broken = True

    def after_write(self) -> None:
        """Re-stamps the files after this run's commit, so that a crash later in the run
        does not cost the next start a full check, and so that another Lightbox writing
        the same library can tell this run's writes from another program's."""
        if self.broken:
            return
        now = verify.files_stamp(self.path)
        if now != self.seen:
            self.seen = now
            verify.record_stamp(self.path, now)

    def intact(self) -> bool:
        return not self.broken and verify.files_stamp(self.path) == self.seen


@dataclass(frozen=True, slots=True)
class Restored:
    """What `Library.restore_checked` did.

    Attributes:
        source: The backup restored.
        contents: What it held (its schema version before any upgrade, and its counts).
        safety_backup: The backup of the library as it was before, or None when it held
            nothing.
        changes: What changed, for the window.
    """

    source: Path
    contents: BackupContents
    safety_backup: Path | None
    changes: Changes


def _trash_move(case_id: CaseId) -> Changes:
    return Changes(cases=frozenset({case_id}), trash_moves=frozenset({case_id}))


def _highlight_changes(case_id: CaseId | None) -> Changes:
    return Changes(highlights=frozenset({case_id})) if case_id is not None else Changes()


#: A change to more cases than this at once leaves the collection counts to be counted
#: afresh: bringing the totals up to date case by case would cost more.
_MOST_KEPT = 1_000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _guard(path: Path, work: Callable[[], T]) -> T:
    """Runs a read, turning storage failures into LibraryError with a plain message."""
    try:
        return work()
    except sqlite3.Error as error:
        mapped = classify(error, path)
        if mapped is None:
            raise
        raise mapped from error


__all__ = ["Library", "LibraryError", "Restored", "StoredCase"]
