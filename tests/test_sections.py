"""Sections with identity, canonical text, and the one serialisation of a case."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.case_dict import CaseDataError, case_from_dict, case_to_dict
from desktop.formats.decoding import decode_case_bytes
from desktop.formats.eurorad_text import parse_eurorad_text
from desktop.model import Case, DiscussionPart
from desktop.sections import (
    SEARCH_COLUMN,
    canonical_case,
    canonical_text,
    case_sections,
    section_kind,
)
from desktop.store.library import Library
from tests.conftest import EURORAD_DATA, ROOT, SAMPLE_CASES, SEED_CASE
from tests.test_positions import CASES
from tests.tools import needs_shared

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def parse(path: Path) -> Case:
    return parse_eurorad_text(decode_case_bytes(path.read_bytes()).text)


def full_case() -> Case:
    return Case(
        source="lightbox",
        source_id="t-1",
        title="  Ménétrier\u00a0disease \n",
        clinical_history="First  line.\nSecond\tline.\n\n\n  Third.  ",
        imaging_findings="CT showed 😀 thick folds.",
        discussion=(
            DiscussionPart(None, "Opening."),
            DiscussionPart("Background", "Rare.\n\nAcquired."),
            DiscussionPart("Teaching Points", "Think of it."),
            DiscussionPart("Background", "Again."),
            DiscussionPart("Outcome", ""),
        ),
        differential_diagnosis=("Lymphoma", "  ", "Zollinger–Ellison\nsyndrome"),
        final_diagnosis="Ménétrier disease",
        references=("Ref one.", ""),
    )


# --- Canonical text and keys -----------------------------------------------------------


def test_canonical_text_rules() -> None:
    assert canonical_text(" a \t b\u2003c \n\n\r\n d\u2028e\u2029f\x85g ") == "a b c\nd\ne\nf\ng"
    assert canonical_text("\u00a0kept\u00a0 ") == "\u00a0kept\u00a0"  # NBSP is not collapsed
    assert canonical_text("x\x00y\ud800\ufdd0") == "x\ufffdy\ufffd\ufffd"
    assert canonical_text("e\u0301") == "\u00e9"


@settings(max_examples=300)
@given(st.text())
def test_canonical_text_is_idempotent(text: str) -> None:
    once = canonical_text(text)
    assert canonical_text(once) == once
    assert "\n\n" not in once and not once.startswith(" ")


#: What canonical text treats specially: spaces of every kind, line ends, unsafe
#: characters, a combining accent.
ODD = " \n\t\r\xa0\x00\x1c\x85\u2028\u3000\ud800\u0301"
#: Canonical text with one odd thing in it, or text made of odd things and letters.
NEARLY_CANONICAL = st.builds(
    lambda before, odd, after: canonical_text(before) + odd + canonical_text(after),
    st.text("ab \n\xa0é", max_size=8),
    st.sampled_from([*ODD, "  ", "\n\n", " \n", "\n "]),
    st.text("ab \n\xa0é", max_size=8),
)
TRICKY_TEXT = st.one_of(NEARLY_CANONICAL, st.text(ODD + "ae"), st.text())


@settings(max_examples=500)
@given(TRICKY_TEXT)
def test_text_is_left_as_it_is_only_when_it_is_canonical(text: str) -> None:
    """Text found canonical by one scan is returned as it is: the same as making it so."""
    from desktop.sections import _made_canonical, _paragraph_field

    assert canonical_text(text) == (_made_canonical(text) if text else "")
    assert _paragraph_field(text) == canonical_text(text).replace("\n", "\n\n")
    paragraphs = canonical_text(text).replace("\n", "\n\n")
    assert _paragraph_field(paragraphs) == paragraphs


def test_no_printable_character_is_white_space_or_unsafe_but_the_space() -> None:
    """What the shortcut to canonical text rests on, for every code point."""
    from desktop.sections import _UNSAFE

    printable = [chr(c) for c in range(0x110000) if chr(c).isprintable()]
    assert [c for c in printable if c.isspace() or _UNSAFE.match(c)] == [" "]


@settings(max_examples=150, deadline=None)
@given(CASES)
def test_canonical_case_is_idempotent_and_keeps_sections(case: Case) -> None:
    once = canonical_case(case)
    assert canonical_case(once) == once
    assert case_sections(once) == case_sections(case)


def test_sections_in_reading_order_with_keys_and_headings() -> None:
    sections = case_sections(full_case())
    assert [(s.key, s.heading) for s in sections] == [
        ("title", "Title"),
        ("clinical_history", "Clinical History"),
        ("imaging_findings", "Imaging Findings"),
        ("discussion", "Discussion"),
        ("discussion.background", "Background"),
        ("discussion.teaching_points", "Teaching Points"),
        ("discussion.background-2", "Background"),
        ("differential.1", "Differential Diagnosis"),
        ("differential.2", "Differential Diagnosis"),
        ("final_diagnosis", "Final Diagnosis"),
        ("reference.1", "References"),
    ]
    text = {s.key: s.text for s in sections}
    assert text["title"] == "Ménétrier\u00a0disease"
    assert text["clinical_history"] == "First line.\nSecond line.\nThird."
    assert text["discussion.background"] == "Rare.\nAcquired."
    assert text["differential.2"] == "Zollinger–Ellison syndrome"
    assert [section_kind(s.key) for s in sections][6:9] == [
        "discussion",
        "differential",
        "differential",
    ]


def test_answers_can_be_left_out() -> None:
    kinds = {s.kind for s in case_sections(full_case(), answers=False)}
    assert "final_diagnosis" not in kinds and "differential" not in kinds


def test_the_search_index_holds_exactly_the_sections_text(library: Library) -> None:
    """Each full-text column of a stored case is its sections' text (one kind a column)."""
    for path in sorted(SAMPLE_CASES.glob("*.txt"))[:6]:
        stored = library.store_case(parse(path), T0)
        case = library.get_case(stored.case_id)
        assert case is not None
        columns = dict.fromkeys(SEARCH_COLUMN.values(), "")
        row = library._conn.execute(
            f"SELECT {', '.join(columns)} FROM cases WHERE id = ?", (stored.case_id,)
        ).fetchone()
        indexed = dict(zip(columns, row, strict=True))
        grouped: dict[str, list[str]] = {c: [] for c in columns}
        for section in case_sections(case):
            column = SEARCH_COLUMN.get(section.kind)
            if column is None:
                continue
            if section.kind == "discussion" and "." in section.key:
                grouped[column].append(section.heading)
            grouped[column].append(section.text)
        for column, texts in grouped.items():
            words = re.findall(r"\w+", "\n".join(texts))
            assert re.findall(r"\w+", indexed[column] or "") == words, column


# --- One serialisation ----------------------------------------------------------------


def test_every_sample_case_round_trips_through_its_dict(library: Library) -> None:
    check_round_trips(library, sorted(SAMPLE_CASES.glob("*.txt")))


@needs_shared(SEED_CASE, EURORAD_DATA)
def test_every_real_case_round_trips_through_its_dict(library: Library) -> None:
    files = [SEED_CASE, *sorted((EURORAD_DATA / "cases").glob("*"))]
    check_round_trips(library, files + sorted((EURORAD_DATA / "page-variants").glob("*_*.txt")))


def check_round_trips(library: Library, files: list[Path]) -> None:
    """Stored, serialised, read back: the same case, for every file."""
    assert files
    for path in files:
        stored = library.store_case(parse(path), T0)
        case = library.get_case(stored.case_id)
        assert case is not None
        data = case_to_dict(case)
        assert case_from_dict(json.loads(json.dumps(data))) == case, path.name


@settings(max_examples=150, deadline=None)
@given(CASES)
def test_any_case_round_trips_as_its_canonical_form(case: Case) -> None:
    data = json.loads(json.dumps(case_to_dict(case)))
    assert case_from_dict(data) == canonical_case(case)


def test_dict_keeps_the_show_json_keys_and_adds_lossless_sections() -> None:
    data = case_to_dict(full_case())
    assert list(data)[:5] == ["id", "source", "source_id", "title", "published"]
    assert data["discussion"].startswith("Opening.\n\nBackground\nRare.\n\nAcquired.")
    assert data["clinical_history"] == "First line.\n\nSecond line.\n\nThird."
    assert [s["key"] for s in data["sections"] if s["key"].startswith("discussion")] == [
        "discussion",
        "discussion.background",
        "discussion.teaching_points",
        "discussion.background-2",
    ]
    back = case_from_dict(data)
    assert [p.heading for p in back.discussion] == [
        None,
        "Background",
        "Teaching Points",
        "Background",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": None}, "'source' must be text"),
        ({"title": 3}, "'title' must be text"),
        ({"published": "yesterday"}, "'published' is not a date"),
        ({"patient": {"sex": "x"}}, "'patient.sex' must be"),
        ({"patient": {"age_days": "3"}}, "'patient.age_days'"),
        ({"authors": [{"name": "A", "affiliations": ["1"]}]}, "'authors[1].affiliations'"),
        ({"sections": [{"key": "discussion", "heading": "D", "text": 5}]}, "'sections[1].text'"),
        ({"differential_diagnosis": "one"}, "'differential_diagnosis' must be a list"),
        ({"figures": [{"legend": "x"}]}, "'figures[1].label' is missing"),
    ],
)
def test_a_bad_dict_is_refused_naming_the_key(change: dict[str, object], message: str) -> None:
    data = {**case_to_dict(full_case()), **change}
    with pytest.raises(CaseDataError, match=re.escape(message)):
        case_from_dict(data)


def test_a_dict_without_sections_reads_its_discussion_as_one_part() -> None:
    data = case_to_dict(full_case())
    del data["sections"]
    back = case_from_dict(data)
    assert len(back.discussion) == 1 and back.discussion[0].heading is None


# --- The command line -------------------------------------------------------------------


def test_show_json_prints_sections_in_reading_order(tmp_path: Path) -> None:
    library = tmp_path / "library.db"
    source = tmp_path / "case.txt"
    case = dataclasses.replace(parse(SAMPLE_CASES / "neuro-01.txt"))
    source.write_text((SAMPLE_CASES / "neuro-01.txt").read_text("utf-8"), "utf-8")
    run = [sys.executable, "-m", "desktop", "--library", str(library)]
    subprocess.run([*run, "import", str(source)], cwd=ROOT, check=True, capture_output=True)
    shown = subprocess.run(
        [*run, "show", case.key, "--json"], cwd=ROOT, check=True, capture_output=True, text=True
    )
    data = json.loads(shown.stdout)
    assert [s["key"] for s in data["sections"]] == [s.key for s in case_sections(case)]
    assert case_from_dict(data) == canonical_case(case)


def test_a_case_stored_before_text_was_canonical_reimports_as_unchanged(
    library: Library,
) -> None:
    """Libraries made before this rule hold raw text; the same file again is "unchanged"."""
    raw = full_case()
    stored = library.store_case(raw, T0)
    with library.transaction():  # as an older Lightbox stored it: raw text, raw digest
        library._conn.execute(
            "UPDATE cases SET clinical_history = ?, content_hash = 'old' WHERE id = ?",
            (raw.clinical_history, stored.case_id),
        )
    with library.transaction():
        again = library.store_case(raw, T0 + dt.timedelta(days=1))
    assert again.outcome == "unchanged"
    case = library.get_case(stored.case_id)
    assert case is not None and case.clinical_history == "First line.\n\nSecond line.\n\nThird."
    with library.transaction():
        edited = library.store_case(dataclasses.replace(raw, final_diagnosis="Other"), T0)
    assert edited.outcome == "updated"
