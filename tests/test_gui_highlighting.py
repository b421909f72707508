"""Highlights in the detail pane: made with 1-8, the colour bar and the context menu, drawn
over exactly their words, edited, deleted and undone, attached, and moved by a re-import."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from desktop.model import Case, CaseId, DiscussionPart, Highlight
from desktop.palette import PALETTE, Colour
from desktop.render import DARK, LIGHT, mark_colour, render_case
from desktop.sections import canonical_case, case_sections
from desktop.store import Changes, Library
from desktop.store.highlights import section_texts
from desktop.ui import theme
from desktop.ui.case_view import DetailPane, tooltip_html
from desktop.ui.highlighting import TOOLTIP_COMMENT_CHARS, tooltip_text
from desktop.ui.main_window import MainWindow
from desktop.ui.preferences import PreferencesDialog
from tests.conftest import SAMPLE_CASES
from tests.gui_helpers import shown_window

NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
CASE = Case(
    source="lightbox",
    source_id="highlight-1",
    title="Cough in a smoker",
    clinical_history="A smoker 😀 with a chronic cough and weight loss.\n\nNo fever.",
    imaging_findings="CT showed a spiculated nodule in the right upper lobe.",
    discussion=(DiscussionPart("Teaching Points", "Look for spiculation and pleural tags."),),
    differential_diagnosis=("Hamartoma", "Granuloma"),
    final_diagnosis="Adenocarcinoma",
)
#: The discussion's sub-heading is a section of its own.
TEACHING = "discussion.teaching_points"
TEXTS = {section.key: section.text for section in case_sections(CASE)}


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    """A real window showing CASE."""
    library_path = tmp_path / "library.db"
    with Library.open(library_path) as library:
        case_id = library.store_case(CASE, NOW).case_id
    with shown_window(qtbot, library_path, tmp_path / "settings.ini") as opened:
        assert opened.list.select_case(case_id)
        yield opened


def span(key: str, words: str) -> tuple[int, int]:
    start = TEXTS[key].index(words)
    return start, start + len(words)


def select(pane: DetailPane, key: str, start: int, end: int, end_key: str | None = None) -> None:
    """Selects from (key, start) to (end_key or key, end), through the position map."""
    assert pane.positions is not None
    first = pane.positions.to_document(key, start)
    last = pane.positions.to_document(end_key or key, end)
    assert first is not None and last is not None
    cursor = QTextCursor(pane.view.document())
    cursor.setPosition(first)
    cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
    pane.view.setTextCursor(cursor)


def add(window: MainWindow, key: str, words: str, **values: object) -> str:
    """Highlights words through the library, announced as the window announces changes."""
    case_id = window.detail.case_id
    assert case_id is not None
    start, end = span(key, words)
    uid = window.library.add_highlight(case_id, key, start, end, **values)  # type: ignore[arg-type]
    window.operations.announce(Changes(highlights=frozenset({case_id})))
    return uid


def drawn(pane: DetailPane) -> list[tuple[int, int]]:
    """The document spans the page draws highlights on."""
    return pane.drawn_spans()


def flashed(pane: DetailPane) -> list[tuple[int, int]]:
    """The spans drawn over the page (a flashed passage)."""
    return [
        (mark.cursor.selectionStart(), mark.cursor.selectionEnd())
        for mark in pane.view.extraSelections()
    ]


def background_at(pane: DetailPane, position: int) -> str:
    """The background colour of the character after a document position, as #rrggbb."""
    cursor = QTextCursor(pane.view.document())
    cursor.setPosition(position + 1)
    brush = cursor.charFormat().background()
    return brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else ""


def document_span(pane: DetailPane, key: str, start: int, end: int) -> tuple[int, int]:
    assert pane.positions is not None
    first = pane.positions.to_document(key, start)
    last = pane.positions.to_document(key, end)
    assert first is not None and last is not None
    return first, last


def point_on(pane: DetailPane, key: str, words: str) -> QPoint:
    """A viewport point inside the words (for the context menu and the tooltip)."""
    start, end = span(key, words)
    first, _last = document_span(pane, key, start, end)
    cursor = QTextCursor(pane.view.document())
    cursor.setPosition(first + 2)
    return pane.view.cursorRect(cursor).center()


def menu_action(menu: QMenu, *path: str):  # type: ignore[no-untyped-def]
    """The action at a path of item texts (without '&' and the shortcut after a tab)."""
    for index, wanted in enumerate(path):
        for action in menu.actions():
            if action.text().replace("&", "").split("\t")[0] == wanted:
                if index == len(path) - 1:
                    return action
                submenu = action.menu()
                assert isinstance(submenu, QMenu)
                menu = submenu
                break
        else:
            raise AssertionError(f"no {wanted!r} in {[a.text() for a in menu.actions()]}")
    raise AssertionError("empty path")


def only(window: MainWindow) -> Highlight:
    case_id = window.detail.case_id
    assert case_id is not None
    found = window.library.highlights(case_id)
    assert len(found) == 1
    return found[0]


def test_pressing_2_over_a_selection_makes_a_red_highlight_on_exactly_those_words(
    window: MainWindow, qtbot: QtBot
) -> None:
    pane = window.detail
    start, end = span("clinical_history", "chronic cough")  # after an emoji: two UTF-16 units
    select(pane, "clinical_history", start, end)
    pane.view.setFocus()
    qtbot.keyClick(pane.view, Qt.Key.Key_2)
    made = only(window)
    assert (made.section, made.start, made.end) == ("clinical_history", start, end)
    assert made.colour == "red"
    assert made.text == made.quote == "chronic cough"
    first, last = document_span(pane, "clinical_history", start, end)
    assert drawn(pane) == [(first, last)]
    # The page itself carries the colour on exactly those characters.
    red = mark_colour("red", DARK if theme.is_dark() else LIGHT)
    assert {background_at(pane, p) for p in range(first, last)} == {red}
    assert background_at(pane, first - 1) != red and background_at(pane, last) != red
    assert not pane.view.textCursor().hasSelection()  # cleared: the new highlight shows


def test_digits_stay_text_outside_a_selection_in_the_case(window: MainWindow, qtbot: QtBot) -> None:
    pane = window.detail
    pane.view.setFocus()
    qtbot.keyClick(pane.view, Qt.Key.Key_3)  # no selection: nothing to highlight
    select(pane, "clinical_history", *span("clinical_history", "weight loss"))
    window.search.setFocus()
    qtbot.keyClicks(window.search, "12")
    assert window.search.text() == "12"
    assert window.library.highlights(pane.case_id) == []  # type: ignore[arg-type]


def test_a_selection_across_two_sections_makes_one_highlight_in_each(
    window: MainWindow, qtbot: QtBot
) -> None:
    pane = window.detail
    select(pane, "clinical_history", 2, 11, end_key="imaging_findings")
    qtbot.keyClick(pane.view, Qt.Key.Key_4)
    made = window.library.highlights(pane.case_id)  # type: ignore[arg-type]
    assert [(h.section, h.start, h.end, h.colour) for h in made] == [
        ("clinical_history", 2, len(TEXTS["clinical_history"]), "blue"),
        ("imaging_findings", 0, 11, "blue"),  # "CT showed a"
    ]
    assert len(drawn(pane)) == 2


def test_a_selection_of_a_heading_only_highlights_nothing_and_says_why(
    window: MainWindow,
) -> None:
    pane = window.detail
    heading = pane.view.document().find("Imaging Findings")
    assert not heading.isNull()
    pane.view.setTextCursor(heading)
    assert window.highlighting.highlight_selection("green") == []
    assert window.library.highlights(pane.case_id) == []  # type: ignore[arg-type]
    assert "Nothing to highlight" in window.statusBar().currentMessage()


def test_white_space_at_the_ends_of_a_selection_is_left_out(window: MainWindow) -> None:
    pane = window.detail
    start, end = span("imaging_findings", " spiculated nodule ")
    select(pane, "imaging_findings", start, end)
    window.highlighting.highlight_selection("yellow")
    assert only(window).text == "spiculated nodule"


def test_the_colour_bar_offers_the_colours_and_makes_a_highlight(
    window: MainWindow, qtbot: QtBot
) -> None:
    pane, controller = window.detail, window.highlighting
    select(pane, "imaging_findings", *span("imaging_findings", "right upper lobe"))
    assert controller.offer_colour_bar()
    bar = controller.colour_bar
    assert bar.isVisible()
    assert bar.swatches["yellow"].toolTip() == tooltip_html("Yellow (1)")
    qtbot.keyClick(pane.view, Qt.Key.Key_Escape)  # Esc hides it, and only it
    assert not bar.isVisible()
    assert pane.view.textCursor().hasSelection()
    assert controller.offer_colour_bar()
    bar.swatches["green"].click()
    assert only(window).colour == "green"
    assert not bar.isVisible()


def test_context_menu_highlights_recolours_and_edits_comment_and_tags(
    window: MainWindow,
) -> None:
    pane, controller = window.detail, window.highlighting
    select(pane, TEACHING, *span(TEACHING, "pleural tags"))
    menu = pane.view.context_menu(QPoint(1, 1))
    menu_action(menu, "Highlight", "Purple").trigger()
    assert only(window).colour == "purple"
    menu = pane.view.context_menu(point_on(pane, TEACHING, "pleural tags"))
    menu_action(menu, "Highlight Colour", "Orange").trigger()
    assert only(window).colour == "orange"
    menu = pane.view.context_menu(point_on(pane, TEACHING, "pleural tags"))
    menu_action(menu, "Edit Comment and Tags…").trigger()
    editor = controller.editor
    assert editor is not None
    editor.comment_edit.setPlainText("Think of **mesothelioma** <b>too</b>")
    editor.tags_edit.setText("pleura, board-review,")
    editor.accept()
    edited = only(window)
    assert edited.comment == "Think of **mesothelioma** <b>too</b>"
    assert edited.tags == ("pleura", "board-review")


def test_hovering_a_highlight_shows_its_colour_comment_and_tags_as_text(
    window: MainWindow,
) -> None:
    pane = window.detail
    add(window, "imaging_findings", "spiculated nodule", colour="red", comment="<i>Key</i> sign")
    window.library.set_colour_meaning("red", "key finding")
    window.operations.announce(Changes(colour_meanings=True))
    assert pane.view.tooltip_at is not None
    text = pane.view.tooltip_at(point_on(pane, "imaging_findings", "spiculated nodule"))
    assert text == "Red — key finding\n<i>Key</i> sign"
    assert pane.view.tooltip_at(QPoint(1, 1)) == ""  # the page's margin
    shown = tooltip_html(text)
    assert "&lt;i&gt;Key&lt;/i&gt;" in shown and "<i>" not in shown


def test_a_long_comment_is_cut_short_in_the_tooltip() -> None:
    highlight = Highlight(
        "u1", CaseId(1), TEACHING, 0, 4, "word", "word", "blue", "x" * 5000,
        ("a", "b"), NOW, NOW,
    )  # fmt: skip
    text = tooltip_text(highlight, {})
    lines = text.split("\n")
    assert lines[0] == "Blue"
    assert lines[1] == "x" * TOOLTIP_COMMENT_CHARS + "…"
    assert lines[2] == "Tags: a, b"


def test_deleting_a_highlight_is_undone_by_ctrl_z(window: MainWindow) -> None:
    pane = window.detail
    uid = add(window, "imaging_findings", "spiculated nodule", comment="keep me")
    assert len(drawn(pane)) == 1
    menu = pane.view.context_menu(point_on(pane, "imaging_findings", "spiculated nodule"))
    menu_action(menu, "Delete Highlight").trigger()
    assert window.library.highlights(pane.case_id) == []  # type: ignore[arg-type]
    assert drawn(pane) == []
    assert window.undo_action.text() == "Undo Delete Highlight"
    window.undo_action.trigger()
    restored = only(window)
    assert (restored.uid, restored.comment) == (uid, "keep me")
    assert len(drawn(pane)) == 1


def test_a_detached_highlight_is_attached_to_the_selection(window: MainWindow) -> None:
    pane, controller = window.detail, window.highlighting
    case_id = pane.case_id
    assert case_id is not None
    uid = add(window, "imaging_findings", "spiculated nodule", colour="blue")
    edited = dataclasses.replace(
        CASE, imaging_findings="CT showed a smooth round mass in the right upper lobe."
    )
    window.library.store_case(edited, NOW + dt.timedelta(days=1))
    window.operations.announce(Changes(cases=frozenset({case_id})))
    assert only(window).status == "detached"
    assert drawn(pane) == []  # detached highlights are not drawn
    text = edited.imaging_findings
    start = text.index("smooth round mass")
    select(pane, "imaging_findings", start, start + len("smooth round mass"))
    menu = pane.view.context_menu(QPoint(1, 1))
    menu_action(menu, "Attach Detached Highlight Here", "spiculated nodule").trigger()
    attached = only(window)
    assert (attached.uid, attached.status, attached.text) == (uid, "anchored", "smooth round mass")
    assert len(drawn(pane)) == 1
    assert not controller.attach_to_selection(uid)  # nothing selected now


def test_highlights_move_with_the_text_when_the_case_is_reimported(window: MainWindow) -> None:
    pane = window.detail
    case_id = pane.case_id
    assert case_id is not None
    add(window, "imaging_findings", "spiculated nodule")
    inserted = "Axial images 🫁 after contrast. "
    edited = dataclasses.replace(CASE, imaging_findings=inserted + CASE.imaging_findings)
    window.library.store_case(edited, NOW + dt.timedelta(days=1))
    window.operations.announce(Changes(cases=frozenset({case_id})))
    moved = only(window)
    assert moved.start == span("imaging_findings", "spiculated nodule")[0] + len(inserted)
    assert moved.end is not None
    first, last = document_span(pane, "imaging_findings", moved.start, moved.end)
    assert drawn(pane) == [(first, last)]
    cursor = QTextCursor(pane.view.document())
    cursor.setPosition(first)
    cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
    assert cursor.selectedText() == "spiculated nodule"


def test_preferences_save_a_meaning_that_the_colour_bar_shows(window: MainWindow) -> None:
    dialog = PreferencesDialog(window.library, window.operations, window)
    dialog.meaning_edits["red"].setText("  key finding ")
    dialog.accept()
    assert window.library.colour_meanings()["red"] == "key finding"
    assert dialog.meaning_edits["red"].maxLength() == 80
    select(window.detail, "imaging_findings", *span("imaging_findings", "upper lobe"))
    assert window.highlighting.offer_colour_bar()
    swatches = window.highlighting.colour_bar.swatches
    assert swatches["red"].toolTip() == tooltip_html("Red (2) — key finding")
    # A meaning is the reader's text, never markup (a tooltip would render it).
    window.library.set_colour_meaning("blue", '<img src="file:///etc/hostname"><b>x</b>')
    window.highlighting.colour_bar.set_meanings(window.library.colour_meanings())
    assert "<img" not in swatches["blue"].toolTip()
    assert "&lt;img" in swatches["blue"].toolTip()
    assert window.preferences_action.shortcut().toString() == "Ctrl+,"


def test_flash_passage_blinks_a_passage_then_stops(window: MainWindow, qtbot: QtBot) -> None:
    pane = window.detail
    start, end = span(TEACHING, "spiculation")
    assert pane.flash_passage(TEACHING, start, end)
    assert pane.flashing
    assert document_span(pane, TEACHING, start, end) in flashed(pane)
    qtbot.waitUntil(lambda: not pane.flashing)
    assert flashed(pane) == []
    assert not pane.flash_passage("no_such_section", 0, 1)


def test_a_sample_case_opens_with_its_highlights_drawn(qtbot: QtBot, tmp_path: Path) -> None:
    library_path = tmp_path / "library.db"
    sample = SAMPLE_CASES / "chest-01.txt"
    with shown_window(qtbot, library_path, tmp_path / "settings.ini", sample) as opened:
        case_id = opened.list.current_case()
        assert case_id is not None
        case = opened.library.get_case(case_id)
        assert case is not None
        for index, section in enumerate(case_sections(case)[:4]):
            colour = PALETTE[index].name
            opened.library.add_highlight(case_id, section.key, 0, 5, colour=colour)
        opened.detail.open_case(None)
        opened.detail.open_case(case_id)
        assert len(drawn(opened.detail)) == 4


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_on_every_highlight_colour_stays_readable(dark: bool) -> None:
    page = DARK if dark else LIGHT
    for colour in PALETTE:
        alpha = page.mark_alpha
        mixed = [
            alpha * shade + (1 - alpha) * paper
            for shade, paper in zip(_rgb(colour.hex), _rgb(page.background), strict=True)
        ]
        assert _contrast(_rgb(page.text), mixed) >= 4.5, colour.name  # WCAG AA body text


def _rgb(value: str) -> list[float]:
    return [int(value[index : index + 2], 16) for index in (1, 3, 5)]


def _contrast(one: list[float], other: list[float]) -> float:
    def luminance(rgb: list[float]) -> float:
        linear = [
            v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
            for v in (c / 255 for c in rgb)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- property: the page colours exactly the highlighted characters --------------------------

PIECES = ("lesion ", "😀", "𝑥", "é", "x" * 130, "<b>&amp;", " ", "cyst. ")


@pytest.mark.usefixtures("qapp")
@settings(max_examples=60, deadline=None)
@given(
    paragraphs=st.lists(
        st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join),
        min_size=1,
        max_size=3,
    ),
    picks=st.lists(st.tuples(st.integers(0, 500), st.integers(1, 60), st.sampled_from(PALETTE))),
    term=st.sampled_from(["", "cy", "lesion", "x"]),
)
def test_marks_colour_exactly_their_characters(
    paragraphs: list[str], picks: list[tuple[int, int, Colour]], term: str
) -> None:
    """Whatever the text (astral characters, soft breaks in long tokens, markup-like text)
    and however highlights overlap, the page gives each highlighted character the colour of
    the shortest highlight over it, and no other character any (a search hit shows over
    them while it is searched for)."""
    text = "\n\n".join(p.strip() or "cyst" for p in paragraphs)
    case = canonical_case(Case(source="t", source_id="1", title="T", imaging_findings=text))
    findings = section_texts(case)["imaging_findings"]
    marks = []
    for wanted, size, colour in picks:
        start = min(wanted, len(findings) - 1)
        marks.append(("imaging_findings", start, min(len(findings), start + size), colour.name))
    page = render_case(case, theme=LIGHT, highlight=(term,) if term else (), marks=marks)
    document = QTextDocument()
    document.setHtml(page.html)
    assert document.characterCount() == page.positions.character_count
    for offset in range(len(findings)):
        if findings[offset] == "\n":
            continue  # between paragraphs: no character on the page
        covering = [(e - s, c) for _, s, e, c in marks if s <= offset < e]
        expected = mark_colour(min(covering)[1], LIGHT) if covering else ""
        first = page.positions.to_document("imaging_findings", offset)
        last = page.positions.to_document("imaging_findings", offset + 1)
        assert first is not None and last is not None
        for position in range(first, last):
            if document.characterAt(position) == "\u200b":
                continue  # a soft break: coloured like whichever side it joins
            cursor = QTextCursor(document)
            cursor.setPosition(position + 1)
            brush = cursor.charFormat().background()
            found = brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else ""
            if term and found == LIGHT.hit_background:
                continue  # a search hit shows over everything while it is searched for
            assert found == expected, (offset, findings[offset])
