"""Every item model passes pytest-qt's model tester, while loading and after changes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.importer import import_paths
from desktop.model import CaseFilter
from desktop.store.library import Library
from desktop.ui.app import application
from desktop.ui.case_list import MARKS, CaseTableModel
from tests.conftest import EURORAD_DATA, SAMPLE_CASES
from tests.tools import needs_shared


@needs_shared(EURORAD_DATA / "cases")
def test_case_table_model(qtmodeltester: ModelTester, qtbot: QtBot, tmp_path: Path) -> None:
    application("light")
    with Library.open(tmp_path / "m.db") as library:
        import_paths(library, [SAMPLE_CASES])
        model = CaseTableModel(library)
        model.PAGE_SIZE = 7  # several pages, so paging itself is exercised
        model.show_filter(CaseFilter())
        qtmodeltester.check(model, force_py=True)
        import_paths(library, [EURORAD_DATA / "cases"])
        model.reload()
        model.sort(2, Qt.SortOrder.DescendingOrder)
        model.show_hits(library.search_cases("chest"))
        qtmodeltester.check(model, force_py=True)
        assert model.rowCount() > 0
        assert model.data(model.index(0, 0)) is not None
        assert model.data(model.index(-1, 0)) is None
        assert model.data(model.index(0, 0), 9999) is None
        assert model.headerData(0, Qt.Orientation.Horizontal) == "Title"
        assert model.headerData(0, Qt.Orientation.Vertical) is None
        first = model.case_id(0)
        assert first is not None
        library.set_bookmark(first, True)
        with qtbot.waitSignal(model.dataChanged):
            model.refresh_cases([first])
        assert model.data(model.index(0, MARKS)) == "bookmarked"
