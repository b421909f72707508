"""A case's sections in reading order, as canonical plain text.

This is the one place that says what the text of a case is. The renderer, the search index
and its snippets, the command line, and later highlights, drill and export read a case's
text only through `case_sections` (or a case already made canonical by `canonical_case`).

Canonical text is what the reader sees, character for character:

* Characters Qt, nh3 or Markdown mishandle (C0 controls but tab and newline, DEL, lone
  surrogates, Qt's private frame markers) become U+FFFD; every line end (CR LF, CR, U+2028,
  U+2029, NEL) becomes LF; the text is NFC.
* Each line is one paragraph: runs of white space inside a line become one space (a
  no-break space is kept as it is: it is not white space to HTML either), lines are
  stripped, blank lines are dropped. A section's text joins its paragraphs with one LF.
* Titles, headings, figure legends and list items (differential, references) are one line.

Making text canonical twice changes nothing, so offsets into a section's text stay valid
when this module learns new rules for text it has not seen yet. A stored case is already
canonical (`desktop.store` stores `canonical_case(case)`); in its fields paragraphs are
separated by a blank line, as everywhere in the model, and a section's text is the same
paragraphs separated by one LF.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import NewType

from desktop.model import Case, DiscussionPart

__all__ = [
    "HEADINGS",
    "SEARCH_COLUMN",
    "Section",
    "SectionKey",
    "canonical_case",
    "canonical_line",
    "canonical_text",
    "case_sections",
    "replace_unsafe",
    "section_kind",
]

#: A section's identity within its case: ``title``, ``clinical_history``,
#: ``imaging_findings``, ``discussion`` (a discussion part with no sub-heading),
#: ``discussion.<sub-heading>`` (``discussion.teaching_points``), ``differential.<n>``,
#: ``figures.<n>`` (the legend of the case's n-th figure), ``final_diagnosis``,
#: ``reference.<n>`` (n counts from 1). A key that would repeat gets
#: ``-2``, ``-3``... after it. Highlights and drill store these keys.
SectionKey = NewType("SectionKey", str)

#: Headings of the section kinds, as the detail pane and the command line print them.
HEADINGS: dict[str, str] = {
    "title": "Title",
    "clinical_history": "Clinical History",
    "imaging_findings": "Imaging Findings",
    "figures": "Figures",
    "discussion": "Discussion",
    "differential": "Differential Diagnosis",
    "final_diagnosis": "Final Diagnosis",
    "reference": "References",
}

#: The full-text column of the cases table that holds each section kind's text.
SEARCH_COLUMN: dict[str, str] = {
    "title": "title",
    "clinical_history": "clinical_history",
    "imaging_findings": "imaging_findings",
    "figures": "figure_legends",
    "discussion": "discussion",
    "differential": "differential_diagnosis",
    "final_diagnosis": "final_diagnosis",
}

#: Kinds that answer the case: hidden while drilling.
ANSWER_KINDS = frozenset({"differential", "final_diagnosis"})

#: C0 controls (except tab and newline), DEL, lone surrogates, and U+FDD0/U+FDD1 (Qt marks
#: frame boundaries with them inside a document): Qt and nh3 either choke on them or show
#: garbage, and Markdown uses \x02/\x03 as internal placeholders.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0\ufdd1]")
_SLUG = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a case: its key, its heading, its canonical text (never empty).

    Attributes:
        key: The section's identity in its case.
        heading: "Clinical History", a discussion part's sub-heading ("Background"), ...
        text: Canonical text, paragraphs separated by one LF.
    """

    key: SectionKey
    heading: str
    text: str

    @property
    def kind(self) -> str:
        return section_kind(self.key)

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n")


def section_kind(key: str) -> str:
    """``discussion`` for ``discussion.background-2``; ``differential`` for ``differential.3``."""
    return key.split(".", 1)[0].split("-", 1)[0]


def replace_unsafe(text: str) -> str:
    """Characters Qt, nh3 or Markdown mishandle, each replaced by U+FFFD."""
    return _UNSAFE.sub("\ufffd", text)


def canonical_text(text: str) -> str:
    """Paragraphs, one a line, as the reader sees them (see the module docstring)."""
    if not text:
        return ""
    if _is_canonical(text):
        return text  # most text is (a stored case's, a parser's)
    return _made_canonical(text)


def _is_canonical(text: str) -> bool:
    """Whether `text` is canonical already, found by a few scans in C (a sufficient test:
    a no-break space or a format character sends text the long way, which keeps them).

    `str.isprintable` refuses every unsafe character and every kind of white space but
    the space (what `str.split` splits at); the rest is two spaces, a space at either end
    of a line, a blank line, a line end at either end, and text not NFC.
    """
    if not text.isprintable():  # a line end, or worse
        if not text.replace("\n", "").isprintable():
            return False
        if "\n\n" in text or " \n" in text or "\n " in text or "\n" in (text[0], text[-1]):
            return False
    return (
        " " not in (text[0], text[-1])
        and "  " not in text
        and unicodedata.is_normalized("NFC", text)
    )


def _made_canonical(text: str) -> str:
    # Plain str methods where they do the job: the importer runs this over every case, and
    # a regular expression over every space costs more than parsing the case.
    text = _UNSAFE.sub("\ufffd", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for line_end in "\u2028\u2029\x85":
        if line_end in text:
            text = text.replace(line_end, "\n")
    text = unicodedata.normalize("NFC", text)
    # str.split() collapses every kind of white space, the no-break space too: hide it in
    # \x00 (which cannot be left in the text: _UNSAFE replaced it) and bring it back after.
    keep = "\xa0" in text
    if keep:
        text = text.replace("\xa0", "\x00")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    text = "\n".join(line for line in lines if line)
    return text.replace("\x00", "\xa0") if keep else text


def canonical_line(text: str) -> str:
    """Canonical text on one line: a title, a heading, a list item."""
    return canonical_text(text).replace("\n", " ")


def _paragraph_field(text: str) -> str:
    # Model fields separate paragraphs by a blank line; a section by one LF.
    lines = text.replace("\n\n", "\n")
    if text.count("\n") == 2 * lines.count("\n") and (not lines or _is_canonical(lines)):
        return text  # every line end is in a blank line, between canonical paragraphs
    return canonical_text(text).replace("\n", "\n\n")


def canonical_case(case: Case) -> Case:
    """The case with every text a section reads made canonical (idempotent).

    Discussion parts with no text (a lone sub-heading), empty differential items and empty
    references are dropped; a sub-heading that is blank becomes None. Metadata (section,
    age, authors...) is left as it is: the renderer makes what it shows of it safe.
    """
    parts: list[DiscussionPart] = []
    for part in case.discussion:
        heading = canonical_line(part.heading) if part.heading is not None else ""
        text = _paragraph_field(part.text)
        if text:  # a sub-heading with nothing under it is not shown, so not kept
            parts.append(DiscussionPart(heading or None, text))
    return dataclasses.replace(
        case,
        title=canonical_line(case.title),
        clinical_history=_paragraph_field(case.clinical_history),
        imaging_findings=_paragraph_field(case.imaging_findings),
        discussion=tuple(parts),
        differential_diagnosis=tuple(
            item for item in map(canonical_line, case.differential_diagnosis) if item
        ),
        final_diagnosis=_paragraph_field(case.final_diagnosis),
        references=tuple(item for item in map(canonical_line, case.references) if item),
        figures=tuple(
            dataclasses.replace(
                figure, label=canonical_line(figure.label), legend=canonical_line(figure.legend)
            )
            for figure in case.figures
        ),
        keywords=tuple(item for item in map(canonical_line, case.keywords) if item),
    )


def case_sections(case: Case, *, answers: bool = True) -> tuple[Section, ...]:
    """The case's sections in reading order; empty ones are left out.

    Args:
        case: Any case; its text is made canonical here (a stored case already is).
        answers: False leaves out the differential list and the final diagnosis (drill).
    """
    sections: list[Section] = []
    used: set[str] = set()

    def add(key: str, heading: str, text: str) -> None:
        if not text:
            return
        unique, n = key, 1
        while unique in used:
            n += 1
            unique = f"{key}-{n}"
        used.add(unique)
        sections.append(Section(SectionKey(unique), heading, text))

    add("title", HEADINGS["title"], canonical_line(case.title))
    add("clinical_history", HEADINGS["clinical_history"], canonical_text(case.clinical_history))
    add("imaging_findings", HEADINGS["imaging_findings"], canonical_text(case.imaging_findings))
    for number, figure in enumerate(case.figures, start=1):
        label = canonical_line(figure.label) or f"Figure {number}"
        add(f"figures.{number}", label, canonical_line(figure.legend))
    for part in case.discussion:
        heading = canonical_line(part.heading) if part.heading is not None else ""
        slug = _SLUG.sub("_", heading.casefold()).strip("_")
        key = f"discussion.{slug}" if heading else "discussion"
        if heading and not slug:  # a heading with no letters or digits at all
            key = "discussion.part"
        add(key, heading or HEADINGS["discussion"], canonical_text(part.text))
    if answers:
        items = [line for line in map(canonical_line, case.differential_diagnosis) if line]
        for number, item in enumerate(items, start=1):
            add(f"differential.{number}", HEADINGS["differential"], item)
        add("final_diagnosis", HEADINGS["final_diagnosis"], canonical_text(case.final_diagnosis))
    references = [line for line in map(canonical_line, case.references) if line]
    for number, reference in enumerate(references, start=1):
        add(f"reference.{number}", HEADINGS["reference"], reference)
    return tuple(sections)
