"""The position map of a rendered case, checked against a real QTextDocument.

Every section offset maps to a document position and back to itself, the document holds
each section's canonical text at the mapped places (with only the renderer's inserted
breaks between), and a selected document range maps to exactly the canonical substring.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor, QTextDocument

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.eurorad_text import parse_eurorad_text
from desktop.model import Author, Case, DiscussionPart, Patient
from desktop.positions import PositionMap, TextRun
from desktop.render import LIGHT, render_case
from desktop.sections import SectionKey, case_sections
from tests.conftest import EURORAD_DATA, SAMPLE_CASES, SEED_CASE
from tests.tools import if_shared

ZWSP = "\u200b"


#: Pieces that stress the map: astral characters, combining marks, right-to-left text,
#: every kind of white space and line end, controls, a lone surrogate, and long tokens.
PIECES = [
    "a", "Z", "lesion", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\xa0", "\u2003",
    "\u2028", "\u2029", "\x85", "\u202f", "😀", "𝑥", "🫁", "e\u0301", "\u0301", "ñ",
    "שלום", "مرحبا", "\u200f", "\u200e", "\u00ad", "\ufeff", "\x00", "\x0b", "\x1f",
    "\ud800", "\ufdd0", "<b>", "&amp;", "x" * 85, "😀" * 90, "ab" * 70 + "😀" + "c" * 40,
]  # fmt: skip
TEXT = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    st.text(st.characters(exclude_characters=ZWSP), max_size=60),
)
CASES = st.builds(
    Case,
    source=st.just("lightbox"),
    source_id=st.just("gen-1"),
    title=TEXT,
    section=st.one_of(st.none(), TEXT),
    patient=st.builds(Patient, age=st.one_of(st.none(), TEXT), sex=st.just("female")),
    authors=st.lists(st.builds(Author, TEXT, st.just((1,))), max_size=2).map(tuple),
    affiliations=st.lists(TEXT, max_size=2).map(tuple),
    clinical_history=TEXT,
    imaging_findings=TEXT,
    discussion=st.lists(
        st.builds(DiscussionPart, st.one_of(st.none(), TEXT), TEXT), max_size=3
    ).map(tuple),
    differential_diagnosis=st.lists(TEXT, max_size=3).map(tuple),
    final_diagnosis=TEXT,
    references=st.lists(TEXT, max_size=2).map(tuple),
    published=st.one_of(st.none(), st.just(dt.date(2011, 8, 7))),
    doi=st.one_of(st.none(), st.just("10.1594/EURORAD/CASE.8455"), TEXT),
    license=st.one_of(st.none(), TEXT),
)


def _document_units(document: QTextDocument) -> bytes:
    """The document's text as UTF-16 code units (two bytes each), block ends as U+2029."""
    cursor = QTextCursor(document)
    cursor.select(QTextCursor.SelectionType.Document)
    return cursor.selectedText().encode("utf-16-le", "surrogatepass")


def _unit_slice(units: bytes, start: int, end: int) -> str:
    return units[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")


def _selected(document: QTextDocument, start: int, end: int) -> str:
    cursor = QTextCursor(document)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    return cursor.selectedText().replace("\u2029", "\n")


def check_case(case: Case) -> None:
    """Every property of the map for one case (shared by the example and property tests)."""
    rendered = render_case(case, theme=LIGHT, highlight=("a", "les"))
    positions = rendered.positions
    document = QTextDocument()
    document.setHtml(rendered.html)
    assert document.characterCount() == positions.character_count
    units = _document_units(document)
    sections = case_sections(case)
    assert positions.keys == [s.key for s in sections]
    for section in sections:
        text = section.text
        places = [positions.to_document(section.key, i) for i in range(len(text) + 1)]
        assert None not in places
        for offset, place in enumerate(places):
            assert positions.to_section(place) == (section.key, offset)
        for offset, char in enumerate(text):
            width = 2 if ord(char) > 0xFFFF else 1
            here, after = places[offset], places[offset + 1]
            assert _unit_slice(units, here, here + width) == ("\u2029" if char == "\n" else char)
            # Between two characters there is nothing but the renderer's breaks.
            assert set(_unit_slice(units, here + width, after)) <= {ZWSP}
        # Selections: the whole section, and a few ranges inside it.
        for start, end in {(0, len(text)), (0, len(text) // 2), (len(text) // 3, len(text))}:
            a, b = places[start], places[end]
            assert _selected(document, a, b).replace(ZWSP, "") == text[start:end]
            expected = [(section.key, start, end)] if end > start else []
            assert positions.to_sections(a, b) == expected
            assert positions.to_sections(b, a) == expected


def _real_case_files() -> list[Path]:
    """The sample cases, and the real ones when ../shared is beside the project."""
    return [
        *sorted(SAMPLE_CASES.glob("*.txt")),
        *if_shared(SEED_CASE),
        *(sorted((EURORAD_DATA / "cases").glob("*")) if if_shared(EURORAD_DATA) else []),
    ]


@pytest.mark.usefixtures("qapp")
@pytest.mark.parametrize("path", _real_case_files(), ids=lambda p: p.name)
def test_real_and_sample_cases_map_exactly(path: Path) -> None:
    case = parse_eurorad_text(decode_case_bytes(path.read_bytes()).text)
    check_case(case)


@pytest.mark.usefixtures("qapp")
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_every_offset_maps_to_the_document_and_back(case: Case) -> None:
    check_case(case)


@pytest.mark.usefixtures("qapp")
def test_a_selection_across_two_sections_gives_one_range_in_each() -> None:
    case = Case(
        "lightbox",
        "x",
        "Title",
        clinical_history="First 😀 line\n\nSecond line",
        imaging_findings="Findings here",
    )
    positions = render_case(case, theme=LIGHT).positions
    start = positions.to_document("clinical_history", 6)
    end = positions.to_document("imaging_findings", 8)
    assert start is not None and end is not None
    assert positions.to_sections(start, end) == [
        ("clinical_history", 6, len("First 😀 line\nSecond line")),
        ("imaging_findings", 0, 8),
    ]


def test_a_section_not_shown_maps_to_nothing() -> None:
    case = Case("lightbox", "x", "T", final_diagnosis="Hidden", clinical_history="Shown")
    positions = render_case(case, theme=LIGHT, show_diagnosis=False).positions
    assert positions.to_document("final_diagnosis", 0) is None
    assert positions.to_document("clinical_history", 6) is None  # past the end
    assert positions.to_document("clinical_history", 5) is not None
    assert positions.section_span("final_diagnosis") is None


def test_positions_in_headings_and_chips_map_to_no_section() -> None:
    case = Case("lightbox", "x", "T", clinical_history="History")
    positions = render_case(case, theme=LIGHT).positions
    span = positions.section_span("clinical_history")
    assert span is not None
    assert positions.to_section(span[0] - 2) is None  # inside the "Clinical History" heading
    assert positions.to_section(span[1] + 1) is None


def test_run_arithmetic_with_astral_characters_and_breaks() -> None:
    # "a😀b" with a break inserted before "b": a=0, 😀=1..2, ZWSP=3, b=4.
    run = TextRun(SectionKey("title"), 0, 3, 10, 5, astral=(1,), breaks=(2,))
    positions = PositionMap([run], 16)
    assert [positions.to_document("title", i) for i in range(4)] == [10, 11, 14, 15]
    assert positions.to_section(12) == ("title", 1)  # between the halves of 😀
    assert positions.to_section(13) == ("title", 2)  # before the inserted break
    assert positions.to_section(14) == ("title", 2)  # after it
    assert positions.to_sections(12, 15) == [("title", 1, 3)]
    assert positions.to_sections(13, 15) == [("title", 2, 3)]
