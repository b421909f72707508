"""Opening the library at start: the default one is created and seeded on first use; a daily
backup is taken and rotated; a damaged library is moved aside, never written to."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import paths
from desktop.store import backup, media
from desktop.store.backup import Backup, Retention
from desktop.store.errors import LibraryError
from desktop.store.library import Library, Restored
from desktop.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from desktop.importer import ImportReport

#: A new backup is taken at start when the newest is older than this.
DAILY = dt.timedelta(hours=24)


def open_library(
    explicit: Path | None, *, create: bool, backup_now: bool = True, quick_check: bool = True
) -> tuple[Library, ImportReport | None]:
    """Opens `explicit`, or the default library in the data folder.

    Args:
        explicit: A library file named by the reader (--library); None for the default.
        create: Whether a missing explicit file may be created. The default library is
            always created when missing, and then seeded with the sample cases.
        backup_now: Take the daily backup before returning (the app takes it later, on a
            thread of its own, with `daily_backup`).
        quick_check: Check the file before opening it; the app skips this when its last
            session ended cleanly (see `check_marker`) and checks on a thread instead.

    Returns:
        The library, and the seeding report when a new default library was seeded.

    Raises:
        LibraryError: the file cannot be used; the message says why (LibraryCorrupt when it
            is damaged: see `move_aside` and `newest_good_backup`).
    """
    if explicit is not None:
        library = Library.open(explicit, create=create, quick_check=quick_check)
        if backup_now:
            daily_backup(library)
        return library, None
    path = paths.default_library_path()
    fresh = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    library = Library.open(path, create=True, quick_check=quick_check)
    cases = paths.sample_cases_dir()
    if fresh and cases is not None:
        from desktop.importer import import_paths  # only now: it costs ~45 ms to load

        return library, import_paths(library, [cases])
    if backup_now:
        daily_backup(library)
    return library, None


def daily_backup(target: Library | Path, now: dt.datetime | None = None) -> Path | None:
    """Backs the library up if the newest backup is a day old (or none exists), then rotates.

    Works from the file alone (connections of its own), so the app can run it on a thread
    after its window is up: a big library takes seconds to copy. A failed backup must not
    stop the reader from working: it is reported by returning None, and tried again at the
    next start.
    """
    path = target.path if isinstance(target, Library) else target
    moment = now or dt.datetime.now(dt.UTC)
    backup.remove_stale_temporaries(path)
    newest = backup.newest_backup(path)  # by sequence: the one made last
    # One dated in the future (the clock was ahead, or went back) is not a reason to wait.
    if newest is not None and dt.timedelta(0) <= moment - newest.taken_at < DAILY:
        return None
    try:
        if isinstance(target, Library):
            # A backup of damage would push good backups out of the rotation.
            target.verify()
        contents = backup.backup_contents(path)
        if contents.cases == 0 and newest is None:
            return None
        taken = backup.take_backup(path, "daily", moment, schema_version=contents.schema_version)
        backup.rotate(path, retention())
        # Images only the rotated backups named can go now (see desktop.store.media).
        media.sweep_library(path)
    except LibraryError:
        return None
    return taken


def check_marker(library_path: Path) -> Path:
    """A file that exists while the app has the library open, and after a crash.

    When it is there at start, the last session did not end cleanly (or a background check
    found damage): the library is checked before the window opens.
    """
    return library_path.with_name(library_path.name + ".check")


def background_check(library_path: Path) -> str | None:
    """SQLite's quick check through a read-only connection of its own.

    Returns:
        None when the library is sound; else what is wrong, after leaving the marker so the
        next start checks before opening and offers recovery.
    """
    try:
        conn = sqlite3.connect(f"{library_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        verdict = [str(error)]
    if verdict == ["ok"]:
        return None
    check_marker(library_path).touch()
    return "; ".join(verdict[:3])


def retention() -> Retention:
    """Rotation limits from the [backups] group of settings.ini (daily, weekly, monthly)."""
    import configparser  # here, off the start-up path: the daily backup runs on a thread

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(paths.settings_path(), encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return Retention()
    section = parser["backups"] if parser.has_section("backups") else {}
    default = Retention()

    def number(key: str, fallback: int) -> int:
        value = str(section.get(key, fallback))
        return int(value) if value.isdigit() and int(value) > 0 else fallback

    return Retention(
        daily=number("daily", default.daily),
        weekly=number("weekly", default.weekly),
        monthly=number("monthly", default.monthly),
    )


def move_aside(path: Path, now: dt.datetime | None = None) -> Path:
    """Moves a damaged library, with its -wal and -shm, into damaged-<time>/ beside it.

    Returns:
        The folder the files are now in; nothing is deleted or overwritten.
    """
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    folder = path.parent / f"damaged-{moment:%Y%m%d-%H%M%S}"
    counter = 1
    while folder.exists():
        counter += 1
        folder = path.parent / f"damaged-{moment:%Y%m%d-%H%M%S}-{counter}"
    folder.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            shutil.move(part, folder / part.name)
    return folder


def newest_good_backup(library_path: Path) -> Backup | None:
    """The newest backup this Lightbox can restore: ours, not too new, and sound."""
    for candidate in backup.list_backups(library_path):
        try:
            check_restorable(candidate.path)
        except LibraryError:
            continue
        return candidate
    return None


def check_restorable(source: Path) -> None:
    """Raises LibraryError unless `source` is a sound Lightbox library this version reads
    (checked read-only where it lies; the restore itself checks its copy in full)."""
    backup.check_restorable(source, SCHEMA_VERSION)


def recover_from_backup(library_path: Path, source: Path) -> Library:
    """Starts a new library at `library_path` (which must be free) from a backup.

    The backup is checked before anything is created; if the restore still fails, the
    half-made library is removed, so no empty library is left to open silently.
    """
    return recover_checked(library_path, source)[0]


def recover_checked(
    library_path: Path, source: Path, *, checked: bool = False
) -> tuple[Library, Restored]:
    """`recover_from_backup`, also saying what was restored. `checked`: the caller has just
    run `check_restorable` on `source` (a backup is read whole by it: not twice)."""
    if library_path.exists():
        raise LibraryError(f"{library_path} exists; move it aside before recovering")
    if not checked:
        check_restorable(source)
    library = Library.open(library_path, create=True)
    try:
        restored = library.restore_checked(source)
    except BaseException:
        library.close()
        for suffix in ("", "-wal", "-shm", ".verified"):
            Path(f"{library_path}{suffix}").unlink(missing_ok=True)
        raise
    return library, restored
