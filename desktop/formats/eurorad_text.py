"""Eurorad's plain-text case export (and Lightbox's own sample cases) to and from `Case`.

The layout, as the seed and the real pages show it::

    CASE 8455 Published on 07.08.2011        <- "CASE lightbox:neuro-01 ..." for other sources
    <title>
    [Section] <section>
    [Case Type] <case type>
    [Authors] Arora A1, Jain V2, Dr. Bhutani R3
    (1) affiliation ...                      <- or one unnumbered block (old site)
    [Patient] 24 days, male
    [Categories] Area of Interest ... ; Imaging Technique ...
    Clinical History / Imaging Findings / [Discussion] / Differential Diagnosis List /
    Final Diagnosis / [References] / [Case information: DOI, ISSN, License]

Bracketed labels appear only in some site versions. In the body every non-empty line is a
paragraph, except a line starting with a lowercase letter, which continues a hard-wrapped line
(old-site exports wrap mid-sentence). Text fields are stored with paragraphs separated by a
blank line.

Where no "Discussion" heading separates findings from discussion (the current site), the rule
is: the text after "Imaging Findings" is cut into blocks at blank lines; the first block is
findings; each following block stays in the findings while it reads as a report on this
patient — it cites a figure or reports in the past tense ("showed", "was noted", "revealed",
"underwent"...) —
and has neither a literature citation ("[3]") nor a discussion sub-heading. The discussion
starts at the first block that fails that test, and runs to "Differential Diagnosis List".

Discussion sub-headings (Background, Clinical Perspective, ...) are recognised on a line of
their own, optionally followed by a non-breaking space, and also glued to the next sentence
("BackgroundVertebroplasty is..."), as scraped copies have them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from desktop.differential import rebuild_items
from desktop.formats.decoding import decode_case_bytes
from desktop.formats.errors import CaseFormatError
from desktop.formats.registry import Parsed
from desktop.model import Author, Case, DiscussionPart, Patient, Sex

#: Body headings and the section each starts.
_BODY_HEADINGS: dict[str, str] = {
    "clinical history": "history",
    "imaging findings": "findings",
    "discussion": "discussion",
    "differential diagnosis list": "differential",
    "differential diagnosis": "differential",
    "final diagnosis": "final",
    "references": "references",
    "reference": "references",
    "case information": "information",
}
#: Which section may follow which: a heading line anywhere else is text. This keeps a
#: paragraph that happens to read "References" inside the history.
_NEXT_SECTIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"history", "findings"}),
    "history": frozenset({"findings"}),
    "findings": frozenset({"discussion", "differential", "final"}),
    "discussion": frozenset({"differential", "final"}),
    "differential": frozenset({"final", "references", "information"}),
    "final": frozenset({"references", "information"}),
    "references": frozenset({"information"}),
    "information": frozenset({"references"}),
}

#: Longer lines cannot be a heading (the longest, with room for stray spaces and a colon).
_LONGEST_HEADING = 40

_HEADER_LABELS = {"section", "case type", "authors", "patient", "categories"}

_CASE_LINE = re.compile(
    r"CASE\s+(?:(?P<source>[a-z][a-z0-9_-]{0,31}):)?(?P<id>[A-Za-z0-9][A-Za-z0-9._-]{0,63})"
    r"(?:\s+Published\s+on\s+(?P<date>\d{1,2}\.\d{1,2}\.\d{4}))?"
)

_AGE_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_PATIENT = re.compile(
    r"(?:(?P<age>(?P<number>\d{1,3}(?:[.,]\d+)?)\s*(?P<unit>day|week|month|year)s?(?:\s+old)?)"
    r"\s*,?\s*)?(?P<sex>male|female)?\.?",
    re.IGNORECASE,
)
_CATEGORY_KEYS = {
    "area of interest": "areas",
    "imaging technique": "techniques",
    "procedure": None,
    "special focus": None,
}
_AFFILIATION_NUMBER = re.compile(r"\((\d{1,3})\)\s*(.*)")
_AUTHOR_SPLIT = re.compile(r",\s+|\s+and\s+|\s*;\s*")
_AUTHOR_TITLE = re.compile(r"^(?:(?:Prof(?:essor)?|Dr|Mrs|Mr|Ms|Assoc)(?:\.\s*|\s+))+")
_AUTHOR_NUMBERS = re.compile(r"(?<=[^\d\s])(\d{1,3}(?:,\d{1,3})*)$")

_HEADING_WORDS = (
    r"background|clinical\s+perspectives?|imaging\s+perspectives?|outcomes?"
    r"|teaching\s+points?|take[- ]home\s+messages?"
)
#: Every sub-heading contains one of these; paragraphs without any skip the costly search.
_HEADING_STEMS = ("background", "perspective", "outcome", "teaching", "home")
_SUBHEADING_LINE = re.compile(
    rf"(?:{_HEADING_WORDS})(?:\s*(?:and|&|/)\s*(?:{_HEADING_WORDS}))*\s*:?", re.IGNORECASE
)
#: A sub-heading glued to the sentence after it, at the start or after a sentence end.
_GLUED_SUBHEADING = re.compile(
    rf"(?:^|(?<=[.!?\])]\s)|(?<=[.!?\])]))((?i:{_HEADING_WORDS}))(?=[A-Z])"
)
_CITATION = re.compile(r"\[\d{1,3}(?:\s*[-–,]\s*\d{1,3})*\]")
_REPORT_CUE = re.compile(
    r"\bfig(?:ure)?s?\b\.?\s*:?\s*\d"
    r"|(?<!been )\b(?:showed|revealed|demonstrated|underwent)\b"
    r"|\b(?:was|were)\s+(?:also\s+)?(?:seen|noted|identified|visuali[sz]ed|observed|detected"
    r"|performed|found)\b"
    r"|\b(?:is|are)\s+(?:also\s+)?noted\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Line:
    number: int
    text: str


@dataclass
class _Sections:
    lines: dict[str, list[_Line]] = field(default_factory=dict)


def looks_like_eurorad_text(text: str) -> bool:
    """True if the first non-empty line is a ``CASE ...`` header."""
    for line in text.split("\n", 20)[:20]:
        if line.strip():
            return _CASE_LINE.fullmatch(line.strip()) is not None
    return False


class EuroradText:
    """The Eurorad text export as a file format of the registry (`desktop.formats.registry`).

    Recognised by its first line, ``CASE <id> [Published on DD.MM.YYYY]``.
    """

    name = "eurorad-text"
    description = "Eurorad case text"

    def recognises(self, head: bytes) -> bool:
        for bom, codec in (
            (b"\xef\xbb\xbf", "utf-8"),
            (b"\xff\xfe", "utf-16-le"),
            (b"\xfe\xff", "utf-16-be"),
        ):
            if head.startswith(bom):
                head, encoding = head[len(bom) :], codec
                break
        else:
            encoding = "utf-8"
        # The head may end inside a character: what is cut off does not matter here.
        text = head.decode(encoding, errors="replace").replace("\r", "\n")
        return looks_like_eurorad_text(text)

    def parse(self, data: bytes, name: str) -> Parsed:
        decoded = decode_case_bytes(data)
        case = parse_eurorad_text(decoded.text)
        return Parsed(name, case, warnings=(decoded.warning,) if decoded.warning else ())


EURORAD_TEXT = EuroradText()


def parse_eurorad_text(text: str) -> Case:
    """Parses one case in the Eurorad text layout.

    Args:
        text: Canonical text (LF line ends), as `decode_case_bytes` returns it.

    Returns:
        The case, with every field the text has.

    Raises:
        CaseFormatError: naming the line and field when the text is not such a case.
    """
    lines = [_Line(i + 1, raw.rstrip()) for i, raw in enumerate(text.split("\n"))]
    first = next((line for line in lines if line.text.strip()), None)
    if first is None:
        raise CaseFormatError("the file is empty")
    match = _CASE_LINE.fullmatch(first.text.strip())
    if match is None:
        raise CaseFormatError(
            "not a case file: the first line should read 'CASE <number> Published on DD.MM.YYYY'",
            line=first.number,
        )
    source = match["source"] or "eurorad"
    source_id = match["id"]
    if source == "eurorad" and not source_id.isdigit():
        raise CaseFormatError(
            f"a Eurorad case number is digits, not {source_id!r}", line=first.number, field="id"
        )
    published = _parse_date(match["date"], first.number) if match["date"] else None

    body_start = next(
        (i for i, line in enumerate(lines) if _heading_key(line.text) in ("history", "findings")),
        None,
    )
    if body_start is None:
        raise CaseFormatError(
            "no 'Clinical History' or 'Imaging Findings' heading", field="imaging_findings"
        )
    header = _parse_header(lines[first.number : body_start])
    sections = _split_body(lines[body_start:])
    if "findings" not in sections.lines:
        raise CaseFormatError("no 'Imaging Findings' heading", field="imaging_findings")
    if not header.title:
        raise CaseFormatError("the case has no title", line=first.number + 1, field="title")

    findings_lines = sections.lines["findings"]
    if "discussion" in sections.lines:
        findings = _paragraphs(findings_lines)
        discussion = _paragraphs(sections.lines["discussion"])
    else:
        findings, discussion = _split_findings_discussion(findings_lines)
    info = _case_information(sections.lines.get("information", []))
    return Case(
        source=source,
        source_id=source_id,
        title=header.title,
        published=published,
        section=header.section,
        case_type=header.case_type,
        authors=header.authors,
        affiliations=header.affiliations,
        patient=header.patient,
        areas_of_interest=header.areas,
        imaging_techniques=header.techniques,
        clinical_history=_join(_paragraphs(sections.lines.get("history", []))),
        imaging_findings=_join(findings),
        discussion=_discussion_parts(discussion),
        # The scrape can join a whole list into one line of words: split it back into items.
        differential_diagnosis=rebuild_items(_items(sections.lines.get("differential", []))),
        final_diagnosis=_join(_paragraphs(sections.lines.get("final", []))),
        references=_items(sections.lines.get("references", [])),
        doi=info.get("doi"),
        issn=info.get("issn"),
        license=info.get("license") or info.get("licence"),
    )


def render_eurorad_text(case: Case) -> str:
    """Writes a case in the labelled text layout that `parse_eurorad_text` reads back.

    The discussion gets an explicit "Discussion" heading, so no split rule is needed.
    """
    head = f"CASE {case.source_id}" if case.source == "eurorad" else f"CASE {case.key}"
    if case.published:
        head += f" Published on {case.published:%d.%m.%Y}"
    out = [head, "", case.title, ""]

    def labelled(label: str, *block: str) -> None:
        out.extend([label, "", *block, ""])

    if case.section:
        labelled("Section", case.section)
    if case.case_type:
        labelled("Case Type", case.case_type)
    if case.authors:
        names = []
        for author in case.authors:
            numbers = ",".join(str(n) for n in author.affiliations)
            names.append(f"{author.name}{numbers}")
        labelled("Authors", ", ".join(names))
    if case.affiliations:
        out.extend([f"({n}) {text}" for n, text in enumerate(case.affiliations, 1)] + [""])
    patient = ", ".join(p for p in (case.patient.age, case.patient.sex) if p)
    if patient:
        labelled("Patient", patient)
    categories = []
    if case.areas_of_interest:
        categories.append("Area of Interest " + ", ".join(case.areas_of_interest))
    if case.imaging_techniques:
        categories.append("Imaging Technique " + ", ".join(case.imaging_techniques))
    if categories:
        out.extend(["Categories", "", " ; ".join(categories)])
    out.extend(["Clinical History", case.clinical_history, "Imaging Findings"])
    out.append(case.imaging_findings)
    out.append("Discussion")
    for part in case.discussion:
        if part.heading:
            out.append(part.heading)
        if part.text:
            out.append(part.text)
    out.extend(["Differential Diagnosis List", *case.differential_diagnosis])
    out.extend(["Final Diagnosis", case.final_diagnosis])
    if case.references:
        out.extend(["References", *case.references])
    info = [
        f"{key}: {value}"
        for key, value in (("DOI", case.doi), ("ISSN", case.issn), ("License", case.license))
        if value
    ]
    if info:
        out.extend(["Case information", *info])
    return "\n".join(out) + "\n"


# --- header -------------------------------------------------------------------------------


@dataclass
class _Header:
    title: str = ""
    section: str | None = None
    case_type: str | None = None
    authors: tuple[Author, ...] = ()
    affiliations: tuple[str, ...] = ()
    patient: Patient = field(default_factory=Patient)
    areas: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()


def _header_blocks(lines: list[_Line]) -> Iterator[tuple[str | None, list[_Line]]]:
    """Groups header lines into blocks at blank lines and labels; yields (label, lines).

    The first block is the title and the line after a label is its value, even when they
    read like a label ("Categories" as a title).
    """
    label: str | None = None
    block: list[_Line] = []
    titled = False
    for line in lines:
        stripped = line.text.strip()
        if not stripped:
            if block:
                yield label, block
                block, label, titled = [], None, True
        elif titled and not block and label is None and stripped.casefold() in _HEADER_LABELS:
            label = stripped.casefold()
        elif titled and block and stripped.casefold() in _HEADER_LABELS:
            yield label, block
            block, label = [], stripped.casefold()
        else:
            block.append(_Line(line.number, stripped))
    if block:
        yield label, block


def _parse_header(lines: list[_Line]) -> _Header:
    header = _Header()
    affiliations: list[str] = []
    authors_seen = False
    for index, (label, block) in enumerate(_header_blocks(lines)):
        joined = " ".join(line.text for line in block)
        if index == 0 and label is None:
            header.title = joined
        elif label == "section":
            header.section = joined
        elif label == "case type":
            header.case_type = joined
        elif label == "patient" or (label is None and _PATIENT.fullmatch(joined) and joined):
            header.patient = _parse_patient(joined, block[0].number)
        elif label == "categories" or (label is None and _is_categories(joined)):
            header.areas, header.techniques = _parse_categories(joined)
        elif label == "authors" or (
            label is None
            and header.section is not None
            and not authors_seen
            and not _AFFILIATION_NUMBER.match(joined)
        ):
            header.authors = _parse_authors(joined)
            authors_seen = True
        elif label is None and header.section is None and not _AFFILIATION_NUMBER.match(joined):
            header.section = joined
        else:
            affiliations.extend(_parse_affiliations(block))
    header.affiliations = tuple(affiliations)
    return header


def _parse_date(text: str, line: int) -> dt.date:
    day, month, year = (int(part) for part in text.split("."))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CaseFormatError(f"no such date {text!r}", line=line, field="published") from None


def _parse_patient(text: str, line: int) -> Patient:
    match = _PATIENT.fullmatch(text.strip())
    if match is None:
        raise CaseFormatError(
            f"patient line {text!r} is not '<age> <unit>, <sex>'", line=line, field="patient"
        )
    age_days = None
    if match["number"]:
        number = float(match["number"].replace(",", "."))
        age_days = round(number * _AGE_UNITS[match["unit"].lower()])
    sex: Sex | None = None
    if match["sex"]:
        sex = "male" if match["sex"].lower() == "male" else "female"
    return Patient(age=match["age"], age_days=age_days, sex=sex)


def _is_categories(text: str) -> bool:
    lowered = text.casefold()
    return lowered.startswith("area of interest") or lowered.startswith("imaging technique")


def _parse_categories(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {"areas": (), "techniques": ()}
    for raw in text.split(";"):
        part = raw.strip()
        for key, target in _CATEGORY_KEYS.items():
            if part.casefold().startswith(key):
                if target:
                    found[target] = _split_outside_parentheses(part[len(key) :])
                break
    return found["areas"], found["techniques"]


def _split_outside_parentheses(text: str) -> tuple[str, ...]:
    if "(" not in text:
        return tuple(item for raw in text.split(",") if (item := raw.strip()))
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth <= 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return tuple(item for item in items if item)


def _parse_authors(text: str) -> tuple[Author, ...]:
    authors = []
    for raw in _AUTHOR_SPLIT.split(text):
        name = _AUTHOR_TITLE.sub("", raw.strip()).strip()
        numbers: tuple[int, ...] = ()
        match = _AUTHOR_NUMBERS.search(name)
        if match:
            numbers = tuple(int(n) for n in match[1].split(","))
            name = name[: match.start()].rstrip()
        if name:
            authors.append(Author(name=name, affiliations=numbers))
    return tuple(authors)


def _parse_affiliations(block: list[_Line]) -> list[str]:
    """Numbered lines are one affiliation each; an unnumbered block is one affiliation."""
    result: list[str] = []
    numbered = False
    for line in block:
        match = _AFFILIATION_NUMBER.fullmatch(line.text)
        if match:
            numbered = True
            result.append(match[2].strip())
        elif numbered or result:
            result[-1] = f"{result[-1]} {line.text}"
        else:
            result.append(line.text)
    return result


# --- body ---------------------------------------------------------------------------------


def _heading_key(text: str) -> str | None:
    if len(text) > _LONGEST_HEADING:  # most lines are paragraphs: skip them cheaply
        return None
    return _BODY_HEADINGS.get(" ".join(text.split()).casefold().rstrip(":"))


def _split_body(lines: list[_Line]) -> _Sections:
    sections = _Sections()
    current: str | None = None
    for line in lines:
        key = _heading_key(line.text)
        if key in _NEXT_SECTIONS[current] and key not in sections.lines:
            current = key
            sections.lines[key] = []
        elif current is not None:
            sections.lines[current].append(line)
    return sections


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Each line a paragraph; a line starting lowercase continues a hard-wrapped one."""
    paragraphs: list[str] = []
    continuable = False
    for line in lines:
        text = line.text.strip()
        if not text:
            continuable = False
            continue
        if continuable and text[0].islower() and not paragraphs[-1].endswith((".", ":", ";")):
            paragraphs[-1] = f"{paragraphs[-1]} {text}"
        else:
            paragraphs.append(text)
        continuable = True
    return paragraphs


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    blocks: list[list[_Line]] = [[]]
    for line in lines:
        if line.text.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _reads_as_findings(paragraphs: list[str]) -> bool:
    text = "\n".join(paragraphs)
    if _CITATION.search(text):
        return False
    if any(_SUBHEADING_LINE.fullmatch(p) or _GLUED_SUBHEADING.match(p) for p in paragraphs):
        return False
    return _REPORT_CUE.search(text) is not None


def _split_findings_discussion(lines: list[_Line]) -> tuple[list[str], list[str]]:
    blocks = [_paragraphs(block) for block in _blocks(lines)]
    if not blocks:
        return [], []
    cut = 1
    while cut < len(blocks) and _reads_as_findings(blocks[cut]):
        cut += 1
    findings = [p for block in blocks[:cut] for p in block]
    discussion = [p for block in blocks[cut:] for p in block]
    return findings, discussion


def _discussion_parts(paragraphs: list[str]) -> tuple[DiscussionPart, ...]:
    parts: list[tuple[str | None, list[str]]] = [(None, [])]
    for paragraph in paragraphs:
        for heading, text in _unglue(paragraph):
            if heading is not None:
                parts.append((heading, []))
            if text:
                parts[-1][1].append(text)
    return tuple(
        DiscussionPart(heading=heading, text=_join(texts))
        for heading, texts in parts
        if heading is not None or texts
    )


def _unglue(paragraph: str) -> list[tuple[str | None, str]]:
    """Splits a paragraph into (heading, text) pieces; heading None for plain text."""
    if _SUBHEADING_LINE.fullmatch(paragraph):
        return [(paragraph.rstrip(":").strip(), "")]
    folded = paragraph.casefold()
    if not any(word in folded for word in _HEADING_STEMS):
        return [(None, paragraph)]
    pieces: list[tuple[str | None, str]] = []
    position = 0
    heading: str | None = None
    for match in _GLUED_SUBHEADING.finditer(paragraph):
        pieces.append((heading, paragraph[position : match.start()].strip()))
        heading = match[1]
        position = match.end()
    pieces.append((heading, paragraph[position:].strip()))
    return [(h, t) for h, t in pieces if h is not None or t]


def _items(lines: list[_Line]) -> tuple[str, ...]:
    return tuple(text for line in lines if (text := line.text.strip()))


def _case_information(lines: list[_Line]) -> dict[str, str]:
    info = {}
    for line in lines:
        key, sep, value = line.text.partition(":")
        if sep and value.strip():
            info[key.strip().casefold()] = value.strip()
    return info


def _join(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)
