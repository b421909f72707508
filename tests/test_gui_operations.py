"""The operations runner, panes that redraw themselves from the change bus, and background work
that never fails silently (failures injected through the real window)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

import desktop.importer
from desktop.model import CaseFilter, CaseId
from desktop.store import Changes, Interrupted, Library, StorageUnavailable
from desktop.ui.case_list import MARKS
from desktop.ui.change_bus import ChangeBus
from desktop.ui.main_window import MainWindow
from desktop.ui.operations import Operations
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window

#: One case file to import (a sample of our own: the suite runs without ../shared too).
SAMPLE_CASE = SAMPLE_CASES / "neuro-02.txt"


class Boxes:
    """Message boxes the code under test opened (patched: a modal box would block the test)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.warnings: list[tuple[str, str]] = []
        self.bugs: list[tuple[str, str]] = []
        monkeypatch.setattr(
            QMessageBox,
            "warning",
            lambda _parent, title, text, *_rest: self.warnings.append((title, text)),
        )
        monkeypatch.setattr(
            QMessageBox,
            "critical",
            lambda _parent, title, text, *_rest: self.bugs.append((title, text)),
        )


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> Boxes:
    return Boxes(monkeypatch)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "s.ini", SAMPLE_CASES) as win:
        yield win


def announced(bus: ChangeBus) -> list[tuple[Changes, object]]:
    heard: list[tuple[Changes, object]] = []
    bus.changed.connect(lambda changes, initiator: heard.append((changes, initiator)))
    return heard


# --- the runner on its own ---------------------------------------------------------------------


@pytest.fixture
def runner(qtbot: QtBot) -> Operations:
    host = QMainWindow()
    qtbot.addWidget(host)
    return Operations(ChangeBus(host), host, host.statusBar())


def test_a_change_that_succeeds_is_announced_once_with_its_initiator(runner: Operations) -> None:
    heard = announced(runner.bus)
    made = Changes(bookmarks=frozenset({CaseId(3)}))
    initiator = object()
    assert runner.run(lambda: made, initiator=initiator) is made
    assert heard == [(made, initiator)]


def test_a_change_that_changed_nothing_is_not_announced(runner: Operations) -> None:
    heard = announced(runner.bus)
    assert runner.run(Changes) == Changes()
    assert heard == []


def test_a_storage_failure_is_told_plainly_and_announces_nothing(
    runner: Operations, boxes: Boxes
) -> None:
    heard = announced(runner.bus)

    def fail() -> Changes:
        raise StorageUnavailable("disk full: the last change to x.db was NOT saved")

    assert runner.run(fail) is None
    assert heard == []
    assert boxes.warnings == [
        (
            "Not saved",
            "The change was not saved.\n\ndisk full: the last change to x.db was NOT saved",
        )
    ]
    assert boxes.bugs == []


def test_a_quiet_failure_goes_to_the_status_bar(runner: Operations, boxes: Boxes) -> None:
    def fail() -> Changes:
        raise StorageUnavailable("locked by another program")

    assert runner.run(fail, quiet=True) is None
    host = runner.parent()
    assert isinstance(host, QMainWindow)
    assert host.statusBar().currentMessage() == (
        "The change was not saved: locked by another program"
    )
    assert boxes.warnings == []


def test_a_bug_is_shown_as_a_bug_never_swallowed(
    runner: Operations, boxes: Boxes, capsys: pytest.CaptureFixture[str]
) -> None:
    heard = announced(runner.bus)

    def buggy() -> Changes:
        raise KeyError("oops")

    assert runner.run(buggy) is None
    assert heard == []
    assert boxes.warnings == []
    [(title, text)] = boxes.bugs
    assert title == "Lightbox hit a bug"
    assert "KeyError: 'oops'" in text
    assert "Traceback" in capsys.readouterr().err


def test_an_expected_failure_can_be_handled_by_the_caller(runner: Operations, boxes: Boxes) -> None:
    handled: list[Exception] = []

    def fail() -> Changes:
        raise StorageUnavailable("read-only")

    assert runner.run(fail, on_failure=handled.append) is None
    assert [str(error) for error in handled] == ["read-only"]
    assert boxes.warnings == []


# --- each pane redraws itself from changes it did not make --------------------------------------


def test_each_pane_redraws_from_a_change_made_elsewhere(window: MainWindow) -> None:
    library = window.library
    case_id = library.resolve("lightbox:chest-01")
    assert window.list.select_case(case_id)
    row = window.model.row_of(case_id)
    assert row is not None
    # Another program (the command line) changed the library; the change is announced.
    library.set_bookmark(case_id, True)
    library.save_note(case_id, "written elsewhere")
    window.bus.announce(Changes(bookmarks=frozenset({case_id}), notes=frozenset({case_id})))
    assert window.model.data(window.model.index(row, MARKS)) == "bookmarked, note"
    assert window.sidebar.count_of(CaseFilter("bookmarked")) == "1"
    assert window.sidebar.count_of(CaseFilter("notes")) == "1"
    assert window.detail.star.isChecked()
    assert window.notes.editor.toPlainText() == "written elsewhere"


def test_the_notes_panel_ignores_its_own_changes(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:chest-02")
    assert window.list.select_case(case_id)
    window.library.save_note(case_id, "from elsewhere")
    window.bus.announce(Changes(notes=frozenset({case_id})), window.notes)
    assert window.notes.editor.toPlainText() == ""  # its own change: nothing to reload
    window.bus.announce(Changes(notes=frozenset({case_id})))
    assert window.notes.editor.toPlainText() == "from elsewhere"


def test_a_whole_library_change_redraws_every_pane(
    window: MainWindow, qtmodeltester: ModelTester
) -> None:
    library = window.library
    case_id = library.resolve("lightbox:neuro-02")
    assert window.list.select_case(case_id)
    qtmodeltester.check(window.model, force_py=True)  # and it watches the reset below
    library.set_bookmark(case_id, True)
    library.save_note(case_id, "restored text")
    library.trash(library.resolve("lightbox:gyn-01"))
    total = window.model.rowCount()
    window.bus.announce(Changes(whole_library=True))
    assert window.model.rowCount() == total - 1
    assert window.list.current_case() == case_id
    assert window.sidebar.count_of(CaseFilter("trash")) == "1"
    assert window.detail.star.isChecked()
    assert window.notes.editor.toPlainText() == "restored text"


def test_the_detail_pane_redraws_its_case_when_the_case_changes(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:neuro-02")
    title = "Sudden right-sided weakness and loss of speech in a 67-year-old man"
    assert window.list.select_case(case_id)
    window.detail.view.setPlainText("stale")
    window.bus.announce(Changes(cases=frozenset({case_id})))
    assert window.detail.view.toPlainText().startswith(title)
    assert window.windowTitle() == f"{title} — Lightbox"


# --- background work never fails silently -------------------------------------------------------


def test_a_bug_in_the_import_worker_ends_the_import_and_the_next_one_runs(
    qtbot: QtBot,
    window: MainWindow,
    boxes: Boxes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = tmp_path / "one.txt"
    shutil.copy(SAMPLE_CASE, case)

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the importer blew up")

    monkeypatch.setattr(desktop.importer, "import_paths", explode)
    heard = announced(window.bus)
    assert window.start_import([case]) is not None
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    [(title, text)] = boxes.bugs
    assert title == "Lightbox hit a bug"
    assert "RuntimeError: the importer blew up" in text
    assert not window.imports.progress.isVisible()
    # What the import stored before it stopped is unknown: the panes redraw everything.
    assert [changes for changes, _ in heard] == [Changes(whole_library=True)]
    monkeypatch.undo()
    assert window.start_import([case]) is not None  # not refused as "already running"
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    report = window.imports.last_report
    assert report is not None
    assert (report.unchanged, report.failed) == (1, [])
    assert window.imports.report_dialog is not None
    window.imports.report_dialog.close()


def test_a_storage_error_in_the_import_is_told_plainly(
    qtbot: QtBot,
    window: MainWindow,
    boxes: Boxes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(_self: Library) -> Library:
        raise StorageUnavailable("library.db is locked by another program")

    monkeypatch.setattr(Library, "for_thread", unavailable)
    assert window.start_import([SAMPLE_CASE]) is not None
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    assert boxes.bugs == []
    [(title, text)] = boxes.warnings
    assert title == "Import stopped"
    assert "library.db is locked by another program" in text


def search_for(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.search.setText(text)
    with qtbot.waitSignal(window.search_bar.worker.finished, timeout=5000):
        window.search_bar.timer.stop()
        window.search_bar.run_search()


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        (
            StorageUnavailable("library.db could not be read or written (disk I/O error)"),
            "Search failed: library.db could not be read or written (disk I/O error)",
        ),
        (ValueError("bad token"), "Search failed (a bug in Lightbox): ValueError: bad token"),
    ],
)
def test_a_failed_search_says_why_under_the_box_never_an_empty_list(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    shown: str,
) -> None:
    total = window.model.rowCount()

    def fail(*_args: object, **_kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(Library, "search_cases_interruptible", fail)
    search_for(qtbot, window, "subdural")
    assert window.search_bar.error.isVisible()
    assert window.search_bar.error_text == shown
    assert window.search_bar.error.text().startswith("Search failed")
    assert window.model.rowCount() == total  # the list is not emptied as if nothing matched
    assert not window.list.empty.isVisible()
    monkeypatch.undo()
    search_for(qtbot, window, "subdural")
    assert not window.search_bar.error.isVisible()
    assert 0 < window.model.rowCount() < total


def test_a_search_stopped_for_a_newer_one_is_not_a_failure(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Library.search_cases_interruptible
    calls: list[str] = []

    def interrupted_once(self: Library, query: str, *args: object, **kwargs: object) -> object:
        calls.append(query)
        if len(calls) == 1:
            raise Interrupted("interrupted")
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(Library, "search_cases_interruptible", interrupted_once)
    search_for(qtbot, window, "subdural")
    assert calls == ["subdural", "subdural"]  # stopped for no newer query: run again
    assert not window.search_bar.error.isVisible()
    assert window.search_hits()
