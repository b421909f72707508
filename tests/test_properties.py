"""Property tests: the parser fails only in its documented way; render → parse is lossless."""

from __future__ import annotations

import datetime as dt
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.errors import CaseFormatError
from desktop.formats.eurorad_text import parse_eurorad_text, render_eurorad_text
from desktop.model import DISCUSSION_HEADINGS, Author, Case, DiscussionPart, Patient


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_raises_only_its_own_error_on_any_text(text: str) -> None:
    try:
        parse_eurorad_text(text)
    except CaseFormatError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_decoder_raises_only_its_own_error_on_any_bytes(data: bytes) -> None:
    try:
        decoded = decode_case_bytes(data)
    except CaseFormatError:
        return
    assert "\r" not in decoded.text
    assert "\x00" not in decoded.text


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("CASE 0123456789.\nPublished onClinical History")),
        max_size=200,
    )
)
def test_parser_on_near_miss_layouts(text: str) -> None:
    try:
        parse_eurorad_text("CASE 1 Published on 01.01.2001\n" + text)
    except CaseFormatError:
        pass


# --- generated cases round-trip through the text layout -------------------------------------

TITLE = re.compile(r"(?:Prof|Professor|Dr|Mrs|Mr|Ms|Assoc)\b")
WORD = st.text(alphabet=string.ascii_lowercase + "éüøµ-", min_size=1, max_size=10).filter(
    lambda w: w.strip("-") == w
)


@st.composite
def sentences(draw: st.DrawFn, *, max_words: int = 12) -> str:
    words = draw(st.lists(WORD, min_size=1, max_size=max_words))
    text = " ".join(words)
    # Always punctuated: the layout cannot tell a bare paragraph "References" from a heading.
    return text[0].upper() + text[1:] + draw(st.sampled_from([".", "!", "?"]))


@st.composite
def paragraphs(draw: st.DrawFn, *, max_paragraphs: int = 3) -> str:
    found = draw(st.lists(sentences(), min_size=0, max_size=max_paragraphs))
    return "\n\n".join(found)


@st.composite
def names(draw: st.DrawFn) -> str:
    return " ".join(w.capitalize() for w in draw(st.lists(WORD, min_size=1, max_size=3)))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    number = draw(st.integers(min_value=0, max_value=120))
    unit = draw(st.sampled_from(["days", "weeks", "months", "years"]))
    factor = {"days": 1, "weeks": 7, "months": 30, "years": 365}[unit]
    with_age = draw(st.booleans())
    sex = draw(st.sampled_from([None, "male", "female"]))
    affiliations = tuple(draw(st.lists(sentences(max_words=6), max_size=3)))
    numbers = st.lists(
        st.integers(min_value=1, max_value=max(len(affiliations), 1)), max_size=2, unique=True
    )
    authors = tuple(
        Author(name, tuple(draw(numbers)) if affiliations else ())
        # Titles such as "Dr" or "Mr" are dropped from author names by design.
        for name in draw(st.lists(names().filter(lambda n: not TITLE.match(n)), max_size=4))
    )
    parts = []
    if draw(st.booleans()):
        parts.append(DiscussionPart(None, draw(paragraphs()).strip() or "Opening."))
    for heading in draw(st.lists(st.sampled_from(DISCUSSION_HEADINGS), max_size=4, unique=True)):
        parts.append(DiscussionPart(heading, draw(paragraphs())))
    return Case(
        source=draw(st.sampled_from(["eurorad", "lightbox"])),
        source_id=str(draw(st.integers(min_value=1, max_value=10**6))),
        title=draw(sentences()),
        published=draw(st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))),
        section=draw(st.one_of(st.none(), names())),
        case_type=draw(st.one_of(st.none(), st.just("Clinical Cases"))),
        authors=authors,
        affiliations=affiliations,
        patient=Patient(
            age=f"{number} {unit}" if with_age else None,
            age_days=number * factor if with_age else None,
            sex=sex,
        ),
        areas_of_interest=tuple(draw(st.lists(names(), max_size=3))),
        imaging_techniques=tuple(
            draw(st.lists(st.sampled_from(["CT", "MR", "Ultrasound"]), max_size=2))
        ),
        clinical_history=draw(paragraphs()),
        imaging_findings=draw(paragraphs()),
        discussion=tuple(parts),
        differential_diagnosis=tuple(draw(st.lists(sentences(max_words=5), max_size=5))),
        final_diagnosis=draw(sentences(max_words=6)),
        references=tuple(draw(st.lists(sentences(), max_size=3))),
        doi=draw(st.one_of(st.none(), st.just("10.1594/EURORAD/CASE.1"))),
        issn=draw(st.one_of(st.none(), st.just("1563-4086"))),
        license=draw(st.one_of(st.none(), st.just("CC BY 4.0"))),
    )


@settings(max_examples=300, deadline=None)
@given(cases())
def test_render_then_parse_gives_the_same_case(case: Case) -> None:
    assert parse_eurorad_text(render_eurorad_text(case)) == case
