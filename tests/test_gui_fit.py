"""The window fits a laptop's screen: its first size and a saved one, the panes' shares,
the list's columns, tooltips on cut text, and marks that show on the selection."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QMargins, QModelIndex, QPoint, QRect, QSettings
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QImage,
    QPainter,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QStyle,
    QStyleOptionViewItem,
    QToolTip,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter
from desktop.store import Library
from desktop.ui import theme
from desktop.ui.case_list import (
    AGE,
    COLUMNS,
    DIAGNOSIS,
    MARKS,
    SECTION,
    TITLE,
    TITLE_ROOM,
    CaseListView,
    column_widths,
)
from desktop.ui.delegates import MarksDelegate
from desktop.ui.main_window import MainWindow
from desktop.ui.roles import Roles
from desktop.ui.window_state import DEFAULT_SIZE, default_splits, first_geometry, fitted
from tests.conftest import ROOT, SAMPLE_CASES
from tests.gui_helpers import close_window, make_window

# --- the sizing rules, with the screen's area given -------------------------------------------


@pytest.mark.parametrize(
    "available",
    [QRect(0, 0, 1280, 720), QRect(0, 0, 1024, 768), QRect(0, 27, 1366, 741)],
    ids=["1280x720", "1024x768", "1366x768-top-panel"],
)
def test_a_first_start_on_a_small_screen_takes_the_screen_maximised(available: QRect) -> None:
    rect, maximised = first_geometry(available)
    assert maximised
    assert available.contains(rect)


def test_a_first_start_on_a_large_screen_opens_at_the_default_size_centred() -> None:
    available = QRect(0, 0, 1920, 1080)
    rect, maximised = first_geometry(available)
    assert not maximised
    assert rect.size() == DEFAULT_SIZE
    assert rect.center() == available.center()


def test_a_window_larger_than_the_screen_is_shrunk_and_moved_onto_it_frame_and_all() -> None:
    frame = QMargins(4, 30, 4, 4)
    placed = fitted(QRect(900, 500, 1440, 900), QRect(0, 0, 1280, 720), frame)
    assert placed.marginsAdded(frame) == QRect(0, 0, 1280, 720)
    # One that fits stays where it is; one hanging off an edge is moved back on.
    assert fitted(QRect(100, 80, 800, 600), QRect(0, 0, 1280, 720)) == QRect(100, 80, 800, 600)
    assert fitted(QRect(900, 500, 800, 600), QRect(0, 0, 1280, 720)) == QRect(480, 120, 800, 600)


@pytest.mark.parametrize("area", [(1280, 631), (1020, 675), (1436, 807)])
def test_the_panes_leave_the_list_room_for_rows_and_the_case_room_to_read(
    area: tuple[int, int],
) -> None:
    from PySide6.QtCore import QSize

    (sidebar, right), (listed, reading), (case, notes) = default_splits(QSize(*area), 4)
    width, height = area
    assert sidebar + right + 4 == width and listed + reading + 4 == height
    assert case + notes + 4 == right
    assert 190 <= sidebar <= 240
    assert listed >= 0.4 * height  # some 10 rows and the header at 1280×720
    assert reading >= 0.5 * height
    assert case >= 2 * notes


@pytest.mark.parametrize("room", [500, 750, 900, 1400])
def test_the_title_takes_the_most_of_the_shared_width(room: int) -> None:
    section, diagnosis = column_widths(room)
    title = room - section - diagnosis
    assert title >= TITLE_ROOM
    assert title > diagnosis > section


# --- the real app on small screens -------------------------------------------------------------


def _screen(tmp_path: Path, width: int, height: int) -> str:
    config = tmp_path / f"screen-{width}x{height}.json"
    screen = {"name": "s", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


def _screenshot(tmp_path: Path, platform: str, home: Path) -> QImage:
    target = tmp_path / "shot.png"
    env = {**os.environ, "LIGHTBOX_HOME": str(home), "QT_QPA_PLATFORM": platform}
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--screenshot", str(target)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return QImage(str(target))


@pytest.mark.parametrize("screen", [(1280, 720), (1024, 768)])
def test_the_app_opens_within_a_small_screen(tmp_path: Path, screen: tuple[int, int]) -> None:
    image = _screenshot(tmp_path, _screen(tmp_path, *screen), tmp_path / "home")
    width, height = screen
    # The whole screen less the offscreen frame (2 px a side): nothing hangs off it.
    assert width - 8 <= image.width() <= width
    assert height - 8 <= image.height() <= height


def test_a_layout_saved_on_a_larger_screen_opens_within_a_smaller_one(
    qtbot: QtBot, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    big = QWidget()
    qtbot.addWidget(big)
    big.setGeometry(200, 100, 1700, 950)  # saved on this test's 1920×1080 screen
    settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("window/geometry", big.saveGeometry())
    settings.sync()
    image = _screenshot(tmp_path, _screen(tmp_path, 1024, 768), home)
    assert image.width() <= 1024 and image.height() <= 768


#: Shows a window at a size (and with a settings file).
Show = Callable[..., MainWindow]

# --- the window, laid out at a laptop's size ---------------------------------------------------


@pytest.fixture
def window_at(qtbot: QtBot, tmp_path: Path) -> Iterator[Show]:
    """Shows a window on the sample cases at a given size, as a first start lays it out."""
    opened: list[MainWindow] = []

    def show(width: int, height: int, settings: Path | None = None) -> MainWindow:
        window = make_window(tmp_path / "library.db", settings or tmp_path / "s.ini", SAMPLE_CASES)
        qtbot.addWidget(window)
        window.keep_settings = False
        window.setGeometry(0, 0, width, height)  # as maximised on that screen
        window.show()
        qtbot.waitExposed(window)
        opened.append(window)
        return window

    yield show
    for window in opened:
        if window.isVisible():
            close_window(window)


def test_a_window_whose_frame_would_hang_off_the_screen_is_fitted_when_shown(
    window_at: Show,
) -> None:
    available = QApplication.primaryScreen().availableGeometry()
    window = window_at(available.width(), available.height())  # no room for its frame
    assert not window.isMaximized()
    assert available.contains(window.frameGeometry())
    assert window.width() >= available.width() - 8


def _visible_rows(view: CaseListView) -> int:
    return view.viewport().height() // view.rowHeight(0)


@pytest.mark.parametrize("size", [(1280, 720), (1020, 764), (1436, 896)])
def test_the_list_shows_enough_rows_and_its_columns_fill_its_width(
    window_at: Show, size: tuple[int, int]
) -> None:
    window = window_at(*size)
    view = window.list
    assert _visible_rows(view) >= 8
    assert view.horizontalScrollBar().maximum() == 0  # never scrolls sideways
    used = sum(view.columnWidth(column) for column in range(len(COLUMNS)))
    assert used == view.viewport().width()  # and no width is left empty at the right
    # The marks take what three icons need, not what the other columns leave.
    assert view.columnWidth(MARKS) < 100
    title, section, diagnosis = (view.columnWidth(c) for c in (TITLE, SECTION, DIAGNOSIS))
    assert title > diagnosis > section >= 90
    # The notes and the case both keep room to read.
    case, notes = window.reading_splitter.sizes()
    assert notes >= 260 and case >= 1.5 * notes


def test_the_reader_s_column_widths_are_kept_but_never_crowd_out_the_title(
    window_at: Show, tmp_path: Path
) -> None:
    window = window_at(1436, 896)
    view = window.list
    view.setColumnWidth(SECTION, 260)  # the reader widens a column
    assert view.columnWidth(SECTION) == 260
    header = view.horizontalHeader().saveState()
    close_window(window)
    settings = QSettings(str(tmp_path / "wide.ini"), QSettings.Format.IniFormat)
    settings.setValue("list/header", header)
    settings.setValue("list/columns", len(COLUMNS))
    settings.sync()
    again = window_at(1436, 896, tmp_path / "wide.ini")
    assert again.list.columnWidth(SECTION) == 260
    # On a small screen the reader's columns are cut down before the title is.
    again.setGeometry(0, 0, 1020, 764)
    QApplication.processEvents()
    assert again.list.columnWidth(TITLE) >= TITLE_ROOM - 1
    assert again.list.horizontalScrollBar().maximum() == 0


def test_a_layout_saved_with_the_last_column_stretched_is_laid_out_afresh(
    window_at: Show, tmp_path: Path
) -> None:
    # The header as a layout of before this change saved it: Marks took what was left.
    window = window_at(1436, 896)
    header = window.list.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for column, width in ((TITLE, 370), (SECTION, 170), (AGE, 76), (DIAGNOSIS, 300)):
        window.list.setColumnWidth(column, width)
    settings = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    settings.setValue("list/header", header.saveState())
    settings.setValue("list/columns", len(COLUMNS))
    settings.sync()
    close_window(window)
    again = window_at(1280, 720, tmp_path / "old.ini")
    view = again.list
    assert view.columnWidth(MARKS) < 100
    assert view.horizontalScrollBar().maximum() == 0
    assert view.columnWidth(TITLE) > view.columnWidth(DIAGNOSIS)


# --- tooltips on cut text ----------------------------------------------------------------------


def _tooltip_at(widget: QWidget, point: QPoint) -> str:
    """The tooltip a hover at `point` shows ("" for none)."""
    QToolTip.hideText()
    deadline = time.monotonic() + 5
    while QToolTip.isVisible() and time.monotonic() < deadline:  # it fades out
        QApplication.processEvents()
        time.sleep(0.01)
    event = QHelpEvent(QEvent.Type.ToolTip, point, widget.mapToGlobal(point))
    QApplication.sendEvent(widget, event)
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_a_cut_cell_shows_its_whole_text_in_a_tooltip_and_a_whole_one_none(window_at: Show) -> None:
    window = window_at(1280, 720)
    view = window.list
    view.setColumnWidth(SECTION, 70)
    model = view.model()
    for column in (TITLE, SECTION, DIAGNOSIS):
        row = next(
            r
            for r in range(model.rowCount())
            if view.fontMetrics().horizontalAdvance(str(model.index(r, column).data()))
            > view.columnWidth(column)
        )
        index = model.index(row, column)
        tip = _tooltip_at(view.viewport(), view.visualRect(index).center())
        assert str(index.data()) in tip.replace("&amp;", "&"), (column, tip)
    # "3 d · M" fits its column: no tooltip repeats it.
    age = model.index(0, AGE)
    assert _tooltip_at(view.viewport(), view.visualRect(age).center()) == ""


def test_a_cut_sidebar_name_shows_whole_in_a_tooltip(window_at: Show) -> None:
    window = window_at(1280, 720)
    sidebar = window.sidebar
    window.splitter.setSizes([190, 1086])  # the sidebar's width at 1024×768
    QApplication.processEvents()
    item = next(it for it in _items(sidebar) if it.text(0) == "Uroradiology & genital male imaging")
    tip = _tooltip_at(sidebar.viewport(), sidebar.visualItemRect(item).center())
    assert item.text(0) in tip.replace("&amp;", "&")
    # A name shown whole has none; an entry's own tooltip stays.
    short = next(it for it in _items(sidebar) if it.text(0) == "Breast imaging")
    assert _tooltip_at(sidebar.viewport(), sidebar.visualItemRect(short).center()) == ""
    due = next(it for it in _items(sidebar) if it.text(0) == "Due for drill")
    assert "Drill Due" in _tooltip_at(sidebar.viewport(), sidebar.visualItemRect(due).center())


def _items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    found = []
    iterator = QTreeWidgetItemIterator(tree)
    while iterator.value():
        found.append(iterator.value())
        iterator += 1
    return found


# --- marks on the selection --------------------------------------------------------------------


@pytest.mark.usefixtures("qapp")
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_note_mark_stands_out_on_the_selection(library: Library, dark: bool) -> None:
    from desktop.importer import import_paths

    import_paths(library, [SAMPLE_CASES])
    row = library.rows(library.case_ids(CaseFilter())[:1])[0]
    row = dataclasses.replace(row, has_note=True, bookmarked=False, has_highlights=False)
    model = QStandardItemModel()
    item = QStandardItem()
    item.setData(row, Roles.ObjectRole)
    model.appendRow(item)
    palette = theme._dark_palette() if dark else QApplication.style().standardPalette()
    delegate = MarksDelegate()
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 80, 26)
    option.palette = palette
    option.state = (
        QStyle.StateFlag.State_Selected
        | QStyle.StateFlag.State_Enabled
        | QStyle.StateFlag.State_Active
    )
    image = QImage(80, 26, QImage.Format.Format_ARGB32)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    image.fill(highlight)
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0, 0, QModelIndex()))
    painter.end()
    # The note's place is the second of three (the star's first, kept empty).
    ink = palette.color(QPalette.ColorRole.HighlightedText)
    size = MarksDelegate.ICON_SIZE
    left = 6 + size + 4
    inked = [
        image.pixelColor(x, y)
        for x in range(left, left + size)
        for y in range(5, 5 + size)
        if _distance(image.pixelColor(x, y), ink) < 60
    ]
    assert len(inked) >= 20  # strokes in the selection's text colour
    assert _distance(highlight, ink) > 200


def _distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())
