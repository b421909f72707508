"""The figure viewer from the reading window: a figure asked for in the case opens it, one
viewer at a time; its keys are in the F1 table; closing the window closes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.ui.main_window import MainWindow
from tests.gui_helpers import shown_window
from tests.test_import_figures import write_data_set
from tests.test_media import png


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    folder = write_data_set(
        tmp_path / "medpix",
        images={"MPX9001_a": png(64, 48, 40), "MPX9001_b": png(32, 32, 200), "MPX9001_c": None},
    )
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "settings.ini", folder) as shown:
        yield shown


def test_a_figure_asked_for_in_the_case_opens_in_the_viewer(
    qtbot: QtBot, window: MainWindow
) -> None:
    case_id = window.library.resolve("medpix:MPX9001")
    assert window.open_case(case_id)
    qtbot.waitUntil(lambda: window.detail.case_id == case_id)
    window.detail.view.figure_requested.emit(1)
    viewer = window.figures.viewer
    assert viewer is not None and viewer.isVisible()
    assert viewer.position_text() == "Figure 2 of 3"
    qtbot.waitUntil(lambda: not viewer.is_loading())
    assert viewer.has_image()
    assert viewer.current().details == "MR - T2 weighted · Coronal"
    # The third figure's file was missing at import: its reason shows, never an image.
    viewer.next_figure()
    assert not viewer.has_image()
    assert "not found" in viewer.placeholder_text()
    # Asking again shows the figure in one viewer, not a second window.
    window.detail.view.figure_requested.emit(0)
    qtbot.waitUntil(lambda: window.figures.viewer is not None)
    assert window.figures.viewer is not None
    assert window.figures.viewer.position_text() == "Figure 1 of 3"
    qtbot.waitUntil(lambda: viewer is not window.figures.viewer)


def test_the_viewers_keys_are_in_the_shortcut_table(window: MainWindow) -> None:
    table = dict(window.shortcut_table())
    assert table["I"] == "Invert (figure viewer)"
    assert any("Window/level" in action for action in table.values())
    assert "Click or Enter on a figure" in table


def test_closing_the_window_closes_the_viewer(qtbot: QtBot, window: MainWindow) -> None:
    case_id = window.library.resolve("medpix:MPX9001")
    window.open_case(case_id)
    qtbot.waitUntil(lambda: window.detail.case is not None)
    window.open_figure(0)
    viewer = window.figures.viewer
    assert viewer is not None
    window.close()
    qtbot.waitUntil(lambda: window.figures.viewer is None)


def test_import_folder_reads_a_data_set_and_names_what_it_skipped(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """File > Import Folder on a folder holding a data set and a stray picture: the data
    set's case comes in with its figures, the report names the missing image and the file
    in no known format."""
    outer = tmp_path / "downloads"
    write_data_set(outer / "set", images={"MPX9001_a": png(8, 8, 1), "MPX9001_z": None})
    (outer / "scan.png").write_bytes(png(4, 4))
    worker = window.start_import([outer])
    assert worker is not None
    qtbot.waitUntil(lambda: not window.imports.running, timeout=15000)
    report = window.imports.last_report
    assert report is not None and report.skipped == [str(outer / "scan.png")]
    details = window.imports.report_dialog.details.toPlainText()
    assert "MPX9001_z.png not found" in details
    assert f"skipped {outer / 'scan.png'}" in details and "not a format Lightbox reads" in details
    window.imports.report_dialog.close()


def test_a_drill_shows_figures_at_their_step_and_legends_with_the_findings(
    qtbot: QtBot, window: MainWindow
) -> None:
    from desktop.ui.drill import DrillSession

    case_id = window.library.resolve("medpix:MPX9001")
    assert window.start_drill(DrillSession([case_id], "Test"))
    drill = window.drill
    assert drill.revealed == 1
    drill.document.figure_requested.emit(0)  # a "Fig. 1" in the history, say
    assert window.figures.viewer is None  # not before the figures step
    assert "Caption of" not in drill.document.toPlainText()
    drill.reveal(2)
    text = drill.document.toPlainText()
    assert "Figure 1 · CT - contrast · Axial" in text and "Caption of" not in text
    drill.document.figure_requested.emit(0)
    viewer = window.figures.viewer
    assert viewer is not None and viewer.current().legend == ""
    drill.reveal(3)  # the findings, and with them the legends
    assert "Caption of MPX9001_a" in drill.document.toPlainText()
    drill.document.figure_requested.emit(1)
    qtbot.waitUntil(lambda: window.figures.viewer is not viewer)
    assert window.figures.viewer is not None
    assert window.figures.viewer.current().legend.startswith("Caption of MPX9001_b")
