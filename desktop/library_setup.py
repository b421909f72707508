"""Opens the library the reader asked for, or the default one, created and seeded on first use."""

from __future__ import annotations

from pathlib import Path

from desktop import paths
from desktop.importer import ImportReport, import_paths
from desktop.store.library import Library


def open_library(explicit: Path | None, *, create: bool) -> tuple[Library, ImportReport | None]:
    """Opens `explicit`, or the default library in the data folder.

    Args:
        explicit: A library file named by the reader (--library); None for the default.
        create: Whether a missing explicit file may be created. The default library is
            always created when missing, and then seeded with the sample cases.

    Returns:
        The library, and the seeding report when a new default library was seeded.

    Raises:
        LibraryError: the file cannot be used; the message says why.
    """
    if explicit is not None:
        return Library.open(explicit, create=create), None
    path = paths.default_library_path()
    fresh = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    library = Library.open(path, create=True)
    cases = paths.sample_cases_dir()
    if not fresh or cases is None:
        return library, None
    return library, import_paths(library, [cases])
