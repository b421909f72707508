"""The window's state between runs: size, pane sizes, list columns, text size, last case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from desktop.ui.case_list import AGE, COLUMNS, DIAGNOSIS, DUE, PUBLISHED, SECTION, TITLE
from desktop.ui.highlighting import UNDELETE, push_undelete

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow


def restore_state(window: MainWindow) -> None:
    """Restores what `save_state` saved (defaults the first time), and opens the last case."""
    settings = window.settings
    geometry = settings.value("window/geometry")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    else:
        window.resize(1440, 900)
    defaults = (
        ("window/splitter", window.splitter, [230, 1210]),
        ("window/list_splitter", window.list_splitter, [300, 520]),
        ("window/reading_splitter", window.reading_splitter, [860, 370]),
    )
    for key, splitter, sizes in defaults:
        state = settings.value(key)
        if not (isinstance(state, QByteArray) and splitter.restoreState(state)):
            splitter.setSizes(sizes)
    header = settings.value("list/header")
    # A header saved with other columns (before Due was added) would give its widths and
    # its sort to the wrong columns (Qt restores it all the same): the defaults then.
    same_columns = str(settings.value("list/columns", "")) == str(len(COLUMNS))
    if not (
        same_columns
        and isinstance(header, QByteArray)
        and window.list.horizontalHeader().restoreState(header)
    ):
        for column, width in (
            (TITLE, 370),
            (SECTION, 170),
            (AGE, 76),
            (DIAGNOSIS, 300),
            (PUBLISHED, 92),
            (DUE, 72),
        ):
            window.list.setColumnWidth(column, width)
    zoom = str(settings.value("view/zoom", 0) or 0)
    window.detail.set_zoom(int(zoom) if zoom.lstrip("-").isdigit() else 0)
    key = settings.value("view/last_case")
    opened = False
    if isinstance(key, str) and key:
        try:
            opened = window.open_case(window.library.resolve(key))
        except (ValueError, LookupError):
            pass
    if not opened and window.model.rowCount():
        window.list.select_row(0)
    # Highlights deleted in earlier runs can still be undone (they are tombstones).
    deleted = settings.value("undo/deleted_highlights") or []
    for uid in [deleted] if isinstance(deleted, str) else list(deleted):
        push_undelete(window.library, window.operations, window.undo_stack, str(uid))


def save_state(window: MainWindow) -> None:
    if not window.keep_settings:
        return
    settings = window.settings
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/splitter", window.splitter.saveState())
    settings.setValue("window/list_splitter", window.list_splitter.saveState())
    settings.setValue("window/reading_splitter", window.reading_splitter.saveState())
    settings.setValue("list/header", window.list.horizontalHeader().saveState())
    settings.setValue("list/columns", len(COLUMNS))
    settings.setValue("view/zoom", window.detail.zoom)
    # A case shown before a staged start completed is not selected in the list yet.
    case_id = window.startup.pending_case or window.list.current_case()
    case = window.library.get_case(case_id) if case_id is not None else None
    settings.setValue("view/last_case", case.key if case else "")
    deleted = [uid for uid in map(_undeleted, window.undo_stack.keys()) if uid is not None]
    settings.setValue("undo/deleted_highlights", deleted[-KEPT_UNDELETES:])
    settings.sync()


#: Deleted highlights whose Undo outlives the run, at most (the newest).
KEPT_UNDELETES = 50


def _undeleted(key: object) -> str | None:
    """The uid an undo step brings back, if it brings back a deleted highlight."""
    if isinstance(key, tuple) and len(key) == 2 and key[0] == UNDELETE:
        return str(key[1])
    return None
