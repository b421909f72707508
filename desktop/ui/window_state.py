"""The window's state between runs: size, pane sizes, list columns, text size, last case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from desktop.ui.case_list import COLUMNS
from desktop.ui.highlighting import UNDELETE, push_undelete

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow


def restore_state(window: MainWindow) -> None:
    """Restores what `save_state` saved (defaults the first time), and opens the last case."""
    settings = window.settings
    geometry = settings.value("window/geometry")
    # Qt shrinks and moves a saved geometry to fit the screen, by its guess of the frame;
    # the window fits it again by its real frame once shown (MainWindow.showEvent).
    if not (isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)):
        place_first_window(window, available_area(window))
    # Panes not saved get sizes for the window's real size once it is laid out (see
    # `apply_default_splits`): set now, they would be scaled from a hidden window's size.
    window.unsized_splitters = []
    for key, splitter in (
        ("window/splitter", window.splitter),
        ("window/list_splitter", window.list_splitter),
        ("window/reading_splitter", window.reading_splitter),
    ):
        state = settings.value(key)
        if not (isinstance(state, QByteArray) and splitter.restoreState(state)):
            window.unsized_splitters.append(splitter)
    header = settings.value("list/header")
    # A header saved with other columns (before Due was added) would give its widths and
    # its sort to the wrong columns (Qt restores it all the same): the defaults then.
    same_columns = str(settings.value("list/columns", "")) == str(len(COLUMNS))
    if not (
        same_columns
        and isinstance(header, QByteArray)
        and window.list.horizontalHeader().restoreState(header)
    ):
        window.list.reset_columns()
    else:
        window.list.keep_columns()
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


#: The window's size on a first start, where the screen has room for it (a frame aside).
DEFAULT_SIZE = QSize(1440, 900)


def available_area(widget: QWidget) -> QRect:
    """The screen area a window may take (less panels and docks) on the widget's screen."""
    # The screen under it: a saved geometry may place a hidden window on another screen.
    screen = (
        QGuiApplication.screenAt(widget.geometry().center())
        or widget.screen()
        or QGuiApplication.primaryScreen()
    )
    return screen.availableGeometry() if screen is not None else QRect(QPoint(0, 0), DEFAULT_SIZE)


def fitted(wanted: QRect, available: QRect, frame: QMargins | None = None) -> QRect:
    """The window rect (inside its frame) nearest `wanted` whose framed rect lies within
    `available`: shrunk where it is larger, then moved onto it."""
    margins = frame or QMargins()
    room = available.marginsRemoved(margins)
    size = wanted.size().boundedTo(room.size()).expandedTo(QSize(1, 1))
    left = min(max(wanted.left(), room.left()), room.right() - size.width() + 1)
    top = min(max(wanted.top(), room.top()), room.bottom() - size.height() + 1)
    return QRect(left, top, size.width(), size.height())


def first_geometry(available: QRect) -> tuple[QRect, bool]:
    """Where the window opens the first time, and whether maximised: the default size
    centred, or the whole area (maximised) where the default does not fit."""
    rect = QRect(QPoint(0, 0), DEFAULT_SIZE)
    rect.moveCenter(available.center())
    # A frame's worth of room to spare, else the default would hang off the screen's edge.
    too_small = (
        available.width() < DEFAULT_SIZE.width() + _FRAME.left() + _FRAME.right()
        or available.height() < DEFAULT_SIZE.height() + _FRAME.top() + _FRAME.bottom()
    )
    # Maximised, the size it takes when the reader restores it leaves room for a frame
    # (the window manager gives the frame's size only once the window is shown).
    return fitted(rect, available, _FRAME if too_small else None), too_small


#: Room for a window manager's frame, title bar included, before its size is known.
_FRAME = QMargins(8, 40, 8, 8)


def place_first_window(window: QWidget, available: QRect) -> None:
    rect, maximised = first_geometry(available)
    window.setGeometry(rect)
    if maximised:
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def fit_to_screen(window: QWidget) -> None:
    """Shrinks and moves a window (not maximised, not full screen) that does not fit its
    screen's available area, frame included (the frame is known once it is shown)."""
    states = Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen
    if window.windowState() & states:
        return
    inside, outside = window.geometry(), window.frameGeometry()
    frame = QMargins(
        inside.left() - outside.left(),
        inside.top() - outside.top(),
        outside.right() - inside.right(),
        outside.bottom() - inside.bottom(),
    )
    target = fitted(inside, available_area(window), frame)
    if target != inside:
        window.setGeometry(target)


def default_splits(area: QSize, handle: int = 0) -> tuple[list[int], list[int], list[int]]:
    """Pane sizes for panes that fill `area` (splitter handles `handle` wide): the sidebar
    and the notes a share of the width within bounds, the list about 44% of the height
    (some 10 rows maximised at 1280×720, 13 at 1440×900), the case the rest.

    Returns:
        The sizes of the sidebar and list, of the list and the reading panes, and of the
        case and the notes.
    """
    width, height = area.width(), area.height()
    sidebar = _clamp(round(width * 0.17), 190, 240)
    right = max(width - sidebar - handle, 1)
    listed = _clamp(round(height * 0.44), 160, 420)
    notes = _clamp(round(right * 0.28), min(260, round(right * 0.34)), 380)
    return (
        [sidebar, right],
        [listed, max(height - listed - handle, 1)],
        [max(right - notes - handle, 1), notes],
    )


def apply_default_splits(window: MainWindow) -> None:
    """Sizes the panes no saved state sized, for the window's size now (laid out)."""
    pending = window.unsized_splitters
    window.unsized_splitters = []
    sizes = default_splits(window.splitter.size(), window.splitter.handleWidth())
    for splitter, split in zip(
        (window.splitter, window.list_splitter, window.reading_splitter), sizes, strict=True
    ):
        if splitter in pending:
            splitter.setSizes(split)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


#: Deleted highlights whose Undo outlives the run, at most (the newest).
KEPT_UNDELETES = 50


def _undeleted(key: object) -> str | None:
    """The uid an undo step brings back, if it brings back a deleted highlight."""
    if isinstance(key, tuple) and len(key) == 2 and key[0] == UNDELETE:
        return str(key[1])
    return None
