"""Edit > Earlier Versions of Case, in the real window: a re-imported case's earlier text is
listed, and Restore brings it back through the operations runner, leaving the note alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.model import DiscussionPart
from desktop.store.changes import Changes
from desktop.ui.main_window import MainWindow
from desktop.ui.versions import CaseVersionsDialog
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, tmp_path / "library.db", tmp_path / "s.ini", SAMPLE_CASES) as win:
        yield win


def test_the_versions_dialog_lists_and_restores(window: MainWindow, qtbot: QtBot) -> None:
    library = window.library
    case_id = library.resolve("lightbox:abdo-01")
    full = library.get_case(case_id)
    assert full is not None
    library.save_note(case_id, "my note")
    short = dataclasses.replace(
        full, discussion=(DiscussionPart(None, "Cut short."),), final_diagnosis=""
    )
    stored = library.store_case(short)
    assert stored.notice is not None

    window.list.select_case(case_id)
    window.versions_action.trigger()
    dialogs = window.findChildren(CaseVersionsDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    qtbot.waitExposed(dialog)
    assert dialog.list.count() == 1
    assert dialog.list.item(0).text().startswith("Version 1 — replaced ")
    assert "discussion" in dialog.text.toPlainText()
    assert dialog.restore_button.isEnabled()

    announced: list[Changes] = []
    window.bus.changed.connect(lambda changes, _initiator: announced.append(changes))
    assert dialog.restore_chosen() == Changes(cases=frozenset({case_id}))
    assert announced and case_id in announced[-1].cases
    assert library.get_case(case_id) == full
    assert dialog.list.count() == 2  # the short text is a version now
    note = library.note(case_id)
    assert note is not None and note.body == "my note"
    dialog.close()


def test_a_case_without_versions_says_so(window: MainWindow) -> None:
    case_id = window.library.resolve("lightbox:chest-01")
    dialog = CaseVersionsDialog(window.library, window.operations, case_id, window)
    assert dialog.list.count() == 0
    assert "No earlier versions" in dialog.heading.text()
    assert not dialog.restore_button.isEnabled()
    dialog.close()
