"""The detail pane and its position map: what the reader selects is the sections' text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.model import Case, DiscussionPart
from desktop.sections import case_sections
from desktop.store import Library
from desktop.ui.case_view import DetailPane
from tests.gui_helpers import shown_window

LONG = "ab" * 70 + "😀" + "c" * 120  # a token the renderer soft-breaks, with an emoji in it
CASE = Case(
    source="lightbox",
    source_id="map-1",
    title="Lung 🫁 nodule — שלום",
    clinical_history="A 60-year-old smoker 😀 with cough.\n\nNo fever.",
    imaging_findings=f"CT showed {LONG} in the right upper lobe.",
    discussion=(DiscussionPart("Teaching Points", "Look for spiculation.\nCombining e\u0301."),),
    differential_diagnosis=("Hamartoma", "Granuloma"),
    final_diagnosis="Adenocarcinoma",
)


@pytest.fixture
def detail(qtbot: QtBot, tmp_path: Path) -> Iterator[DetailPane]:
    """The detail pane of a real window showing CASE."""
    library_path = tmp_path / "library.db"
    with Library.open(library_path) as library:
        case_id = library.store_case(CASE, dt.datetime(2026, 11, 30, tzinfo=dt.UTC)).case_id
    with shown_window(qtbot, library_path, tmp_path / "settings.ini") as window:
        assert window.list.select_case(case_id)
        yield window.detail


def test_every_passage_selects_exactly_its_text_in_the_window(detail: DetailPane) -> None:
    assert detail.positions is not None  # the map fits the document Qt built
    assert detail.view.document().characterCount() == detail.positions.character_count
    for section in case_sections(CASE):
        text = section.text
        for start, end in ((0, len(text)), (2, len(text) - 1), (len(text) // 2, len(text))):
            assert detail.show_passage(section.key, start, end)
            assert detail.selected_passages() == [(section.key, start, end)]
            copied = detail.view.createMimeDataFromSelection().text()
            assert copied == text[start:end]
    assert not detail.show_passage("final_diagnosis", 0, 99)
    assert not detail.show_passage("no_such_section", 0, 1)


def test_a_selection_across_sections_is_one_passage_per_section(detail: DetailPane) -> None:
    assert detail.positions is not None
    start = detail.positions.to_document("clinical_history", 2)
    end = detail.positions.to_document("imaging_findings", 10)
    assert start is not None and end is not None
    cursor = detail.view.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, cursor.MoveMode.KeepAnchor)
    detail.view.setTextCursor(cursor)
    history = "A 60-year-old smoker 😀 with cough.\nNo fever."
    assert detail.selected_passages() == [
        ("clinical_history", 2, len(history)),
        ("imaging_findings", 0, 10),
    ]
