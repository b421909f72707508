"""Cases due for a drill in the library's own views: the sidebar's Due entry and its count
(after a rating, the trash, and time passing), the list's Due column and its sort, and the
search language's ``is:due`` and ``is:leech``."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop import study
from desktop.model import CaseFilter, CaseId
from desktop.store.library import Library
from desktop.ui.case_list import DUE, due_text
from desktop.ui.main_window import MainWindow
from tests.conftest import SAMPLE_CASES
from tests.organise_helpers import ids, with_samples

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
DUE_FILTER = CaseFilter("due")


@pytest.fixture
def filled(library: Library) -> Library:
    return with_samples(library)


def rated(library: Library) -> tuple[CaseId, CaseId, CaseId]:
    """Three cases: one due an hour ago, one due in ten minutes, one due in days."""
    overdue, soon, later = ids(library, "chest-01", "neuro-01", "msk-01")
    library.rate(overdue, 1, NOW - dt.timedelta(hours=1, minutes=1))
    library.rate(soon, 3, NOW)
    library.rate(later, 4, NOW)
    return overdue, soon, later


def test_the_due_entry_lists_and_counts_what_is_due(filled: Library) -> None:
    overdue, soon, _later = rated(filled)
    assert filled.case_ids(DUE_FILTER, "title", False, now=NOW) == [overdue]
    assert filled.counts(NOW).due == 1
    later = NOW + dt.timedelta(minutes=11)
    assert sorted(filled.case_ids(DUE_FILTER, "title", False, now=later)) == sorted([overdue, soon])
    assert filled.counts(later).due == 2


def test_the_due_count_follows_ratings_and_the_trash_without_a_full_recount(
    filled: Library,
) -> None:
    overdue, _soon, _later = rated(filled)
    before = filled.counts(NOW)
    _, _, changes = filled.rate(overdue, 3, NOW)  # rated: not due any more
    after = filled.counts(NOW, after=changes, previous=before)
    assert after.due == 0 and after.all == before.all
    (fresh,) = ids(filled, "paeds-01")
    _, _, changes = filled.rate(fresh, 1, NOW - dt.timedelta(minutes=30))
    again = filled.counts(NOW, after=changes, previous=after)
    assert again.due == 1
    moved = filled.trash(fresh)
    assert filled.counts(NOW, after=moved, previous=again).due == 0
    assert filled.counts(NOW).due == 0


def test_the_list_sorts_by_due_and_rows_carry_it(filled: Library) -> None:
    overdue, soon, later = rated(filled)
    listed = filled.case_ids(CaseFilter(), "due", False)
    assert listed[:3] == [overdue, soon, later]  # never drilled: after them
    assert len(listed) == 26
    rows = {row.summary.id: row for row in filled.rows([overdue, soon, later, listed[-1]])}
    assert rows[overdue].due is not None and rows[overdue].due < NOW
    assert rows[listed[-1]].due is None
    # Descending too, never-drilled cases last.
    assert filled.case_ids(CaseFilter(), "due", True)[:3] == [later, soon, overdue]


def test_is_due_and_is_leech_in_the_search_language(filled: Library) -> None:
    overdue, _soon, _later = rated(filled)
    assert [hit.case_id for hit in filled.search_cases("is:due", now=NOW)] == [overdue]
    assert filled.count_saved_search("is:due", now=NOW) == 1
    assert filled.count_saved_search("-is:due", now=NOW) == 25
    assert filled.count_saved_search("is:leech") == 0
    at = NOW
    for _ in range(study.LEECH_MISSES):
        _, state, _ = filled.rate(overdue, 1, at)
        at = state.due
    assert [hit.case_id for hit in filled.search_cases("is:leech")] == [overdue]


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (None, ""),
        (NOW - dt.timedelta(days=3), "now"),
        (NOW + dt.timedelta(minutes=10), "in 10 min"),
        (NOW + dt.timedelta(days=3), "in 3 d"),
        (NOW + dt.timedelta(days=90), "in 3 mo"),
    ],
)
def test_due_text(due: dt.datetime | None, text: str) -> None:
    assert due_text(due, NOW) == text


@pytest.fixture
def window(samples_window: MainWindow) -> MainWindow:
    return samples_window


def test_the_window_shows_due_cases_and_keeps_up_with_the_clock(window: MainWindow) -> None:
    library = window.library
    (case,) = ids(library, "chest-01")
    assert window.sidebar.count_of(DUE_FILTER) == "0"
    now = dt.datetime.now(dt.UTC)
    # Missed a minute ago less a second: due a second from now.
    window.operations.run(lambda: library.rate(case, 1, now - dt.timedelta(seconds=59))[2])
    window.sidebar.select_filter(DUE_FILTER)
    assert window.model.ids() == []
    row = window.model.row_of(case)
    assert row is None
    time.sleep(1.2)
    window._due_tick()
    assert window.sidebar.count_of(DUE_FILTER) == "1"
    assert window.model.ids() == [case]
    index = window.model.index(0, DUE)
    assert index.data() == "now"
    assert window.model.headerData(DUE, Qt.Orientation.Horizontal) == "Due"
    # Rating it takes it out of Due at once.
    window.operations.run(lambda: library.rate(case, 4, dt.datetime.now(dt.UTC))[2])
    assert window.model.ids() == [] and window.sidebar.count_of(DUE_FILTER) == "0"


def test_a_closed_window_counts_nothing_more(window: MainWindow) -> None:
    window.close()
    window.library.close()
    assert not window._due_timer.isActive()
    window._due_tick()  # a tick already queued: nothing touches the closed library


def test_a_header_saved_with_other_columns_falls_back_to_the_defaults(tmp_path: Path) -> None:
    """A window of a version before the Due column saved a header of six columns, sorted by
    Marks: restored as it is, Qt would sort the list by Due; the defaults stand instead."""
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QTableView

    from desktop.ui.case_list import COLUMNS, TITLE
    from tests.gui_helpers import close_window, make_window

    old = QTableView()
    old.setModel(QStandardItemModel(1, 6))
    old.horizontalHeader().setSortIndicator(5, Qt.SortOrder.DescendingOrder)
    settings_path = tmp_path / "s.ini"
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    settings.setValue("list/header", old.horizontalHeader().saveState())
    settings.sync()
    window = make_window(tmp_path / "library.db", settings_path, SAMPLE_CASES)
    try:
        header = window.list.horizontalHeader()
        assert header.sortIndicatorSection() == TITLE and window.model.sort_state == (
            "title",
            False,
        )
        window.keep_settings = True
        window.close()
        saved = QSettings(str(settings_path), QSettings.Format.IniFormat)
        assert str(saved.value("list/columns")) == str(len(COLUMNS))
    finally:
        close_window(window)
