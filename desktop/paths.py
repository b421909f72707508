"""Where Lightbox keeps its data, and where the bundled sample cases are."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that overrides the data folder (tests always set it).
HOME_VARIABLE = "LIGHTBOX_HOME"
LIBRARY_NAME = "library.db"


def data_dir() -> Path:
    """The data folder: $LIGHTBOX_HOME, else the platform's user data folder."""
    override = os.environ.get(HOME_VARIABLE)
    if override:
        return Path(override).expanduser()
    import platformdirs  # imported here: only needed when no override is set

    return Path(platformdirs.user_data_dir("lightbox", appauthor=False))


def default_library_path() -> Path:
    return data_dir() / LIBRARY_NAME


def sample_cases_dir() -> Path | None:
    """The sample cases: packaged beside the code in a wheel, or `cases/` in a source tree."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "sample_cases", package.parent / "cases"):
        if candidate.is_dir():
            return candidate
    return None


def resources_dir() -> Path:
    """Icons and style sheets: packaged beside the code in a wheel, or `resources/` in a tree."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "resources", package.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("Lightbox's resources folder is missing from this installation")


def settings_path() -> Path:
    """Window layout and view preferences (not the reader's data, which is in the library)."""
    return data_dir() / "settings.ini"


#: Folder names of sync clients that rewrite files behind SQLite's back.
_CLOUD_FOLDERS = (
    "dropbox",
    "onedrive",
    "icloud drive",
    "icloud~",
    "mobile documents",
    "google drive",
    "googledrive",
    "my drive",
    "nextcloud",
    "owncloud",
)


def cloud_sync_warning(path: Path) -> str | None:
    """A warning when a library sits in a cloud-synced folder, where sync clients can copy a
    half-written database or its -wal file and damage the library; None otherwise."""
    for part in path.expanduser().resolve().parts:
        folded = part.casefold()
        if any(folded.startswith(name) for name in _CLOUD_FOLDERS):
            return (
                f"the library {path} is inside a cloud-synced folder ({part}); sync clients "
                "can damage a database that is in use. Keep it in a local folder and use "
                "Lightbox's backups instead (set LIGHTBOX_HOME or use --library)."
            )
    return None
