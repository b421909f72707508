"""The MedPix 2.0 data set as a data set format: its cases and figures for the importer.

A MedPix 2.0 folder (or a zip holding one) has ``Case_topic.json`` (a JSON list, one object
per case), ``Descriptions.json`` (a JSON list, one object per image) and ``images/<image
id>.png``. It is recognised by those two files and the first bytes of ``Case_topic.json``
(a list of objects with a ``"U_id"``), never by the folder's name.

How a case maps onto `desktop.model.Case`:

* Identity: source ``medpix``, source id the case's ``U_id`` (``medpix:MPX1038``).
* Placeholders are absent everywhere, never shown: an empty value, ``N/A``, ``NA``,
  ``N/C``, ``IN PROGRESS``, ``Unavailable.``, ``TBD``, a value without a letter or digit,
  an ACR code of ``-1.-1``, a plane of ``NOS - Not specified``. They are expected in MedPix,
  so dropping one is not a warning. Two more are MedPix's own: a case discussion that only
  says "see factoid" (the topic's discussion, which follows it, is the factoid) and a topic
  discussion that only repeats a title or the case's own discussion.
* ``title``: ``Case.Title``; when it is absent or runs over several lines (some are a
  bulleted diagnosis list), ``Topic.Title``, with a warning.
* ``clinical_history``: ``Case.History``, then ``Case.Exam`` as further paragraphs, the first
  prefixed "Exam: ".
* ``imaging_findings``: ``Case.Findings``; ``final_diagnosis``: ``Case."Case Diagnosis"``.
* ``differential_diagnosis``: ``Case."Differential Diagnosis"`` split into items by
  `split_differential` (rules there).
* ``discussion``: up to three parts, each under its heading: "Case Discussion"
  (``Case.Discussion``), "Disease Discussion" (``Topic."Disease Discussion"``),
  "Treatment & Follow-Up" (``Case."Treatment & Follow Up"``).
* ``references``: ``Topic.Reference`` split by `split_references`; MedPix's editorial note
  "Accepted by <editor>" is not a reference and is dropped.
* ``keywords``: ``Topic.Keywords`` split by `split_keywords`; ``acr_code``:
  ``Topic."ACR Code"`` without its unknown (``-1``) parts; ``category``: ``Topic.Category``;
  ``diagnosis_by``: ``Case."Diagnosis By"``.
* ``patient``: age and sex from the case's image descriptions, the first that gives each
  ("27" is "27 years", 27 × 365 days, as the Eurorad format counts them; sex "male" or
  "female", anything else unknown). MedPix rounds infants up: an 8-week-old is "1".
* ``section``: the images' most common ``Location`` ("Brain and Neuro", MedPix's own
  name; the first among equals); ``areas_of_interest``: each image's ``Location Category``
  and ``Location``, distinct, in figure order; ``imaging_techniques``: the images' ``Type``
  ("CT", "MR" as the data says them), distinct, in figure order (for an image without a
  description, from the list naming it: ``TAC`` is CT, ``MRI`` is MR).
* Not in the data set, so None: ``published``, ``license``, ``doi``. ``Topic."External
  Links"`` are bare host names and paths (no scheme, some dead), so they are left out.

Figures, one per image: the case's ``TAC`` list then its ``MRI`` list, in list order, labelled
"Figure 1", "Figure 2"... List order, not ``Figure Part``: the part is missing for most
images, repeats ("2", "2", "2") and, where given, can run against the list ("2e" before
"2a"); it is kept as the figure's ``part``. The legend is the image's ``Caption``, with its
``Modality`` and ``Plane``; the figure's image is the image id, which `Parsed.images` maps
to ``images/<id>.png`` (read only when the importer asks, at most `MAX_IMAGE_BYTES`; this
module never checks that the file is there). An image listed without a description is a
figure without a caption; a description of the case's that names an image not in its lists
is a figure after the listed ones; both with a warning.

`Parsed.name` is ``<Case_topic.json as the tree shows it> (<U_id>)``; a case without an id
is ``(case <n>)``, n counting from 1 in the file. Text is kept as the data has it, stray
white space stripped, line ends made LF; each source line is a paragraph (the model's
paragraphs are separated by a blank line). The importer makes it canonical.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.formats.errors import CaseFormatError
from desktop.formats.registry import (
    FileTree,
    ImageSource,
    Parsed,
    ParseFailure,
    SourceRefused,
)
from desktop.model import Case, DiscussionPart, Figure, Patient, Sex

__all__ = [
    "CASES_FILE",
    "DESCRIPTIONS_FILE",
    "MAX_IMAGE_BYTES",
    "MAX_JSON_BYTES",
    "MEDPIX2",
    "MedPix2",
    "split_differential",
    "split_keywords",
    "split_references",
]

#: The data set's case list.
CASES_FILE = "Case_topic.json"
#: The data set's image descriptions.
DESCRIPTIONS_FILE = "Descriptions.json"
#: Largest JSON file read (the full data set's are a few MB).
MAX_JSON_BYTES = 200 * 1024 * 1024
#: Largest image file read (MedPix images are about 512 px, well under 1 MB).
MAX_IMAGE_BYTES = 64 * 1024 * 1024

#: What recognition reads first: a file this small is read whole, once.
_RECOGNITION_READ = 64 * 1024
#: How much of the start of Case_topic.json recognition looks at.
_RECOGNITION_HEAD = 16 * 1024
_LOOKS_LIKE_CASES = re.compile(r"\A\ufeff?\s*\[\s*\{")
_U_ID_KEY = re.compile(r'"U_id"\s*:')

#: Whole values that mean "nothing here" (compared case-folded, a trailing full stop off).
_PLACEHOLDERS = frozenset(
    {"n/a", "na", "n/c", "in progress", "unavailable", "not available", "tbd", "-1.-1"}
)
#: Longer than any placeholder, however spaced.
_PLACEHOLDER_CHARS = 200
#: A planes value that says no plane.
_NO_PLANE = "nos - not specified"
#: A case discussion that only points at the topic's ("factoid") discussion.
_SEE_FACTOID = re.compile(r"(?:please\s+)?see\s+(?:the\s+)?factoid\.?", re.IGNORECASE)
#: A letter or digit: what `str.isalnum` says of a character, found by one search.
_CONTENT = re.compile(r"[^\W_]")
#: A control character: no file name holds one.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
#: MedPix's editorial note left among references ("; Accepted by jsmirnio").
_ACCEPTED_NOTE = re.compile(r"[;,.\s]*accepted\s+by\s+\S+\.?", re.IGNORECASE)

#: The image lists of a case, in figure order, and the technique each stands for.
_IMAGE_LISTS = (("TAC", "CT"), ("MRI", "MR"))

_AGE = re.compile(
    r"(?P<number>\d{1,3}(?:\.\d+)?)\s*(?:(?P<unit>day|week|month|year)s?(?:\s+old)?)?",
    re.IGNORECASE,
)
_AGE_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}

# --- list splitting ------------------------------------------------------------------------

#: Bullets that may start an item anywhere in a line (a list glued into one line).
_INLINE_BULLETS = re.compile(r"[•●▪◦]")
#: A list marker at the start of a line: a bullet or dash, or a number ("1.", "1)", "(1)"),
#: not a decimal ("1.5 cm").
_MARKER = re.compile(r"(?:[-–—*·•●▪◦]+|\(?\d{1,2}[.)](?!\d))\s*")
_NUMBERED = re.compile(r"\(?\d{1,2}[.)](?!\d)|[-–—*·•●▪◦]")
#: Comma lists: at least this many pieces, each at most `_SHORT_WORDS` words...
_MIN_COMMA_PIECES = 3
_SHORT_WORDS = 5
#: ...none holding what shows a piece is not a plain name (a label, a dash clause, a
#: sentence end).
_NOT_A_NAME = re.compile(r":|\s[-–—]\s|\.\s")
_CONJUNCTION = re.compile(r"(?:and|or)\s+", re.IGNORECASE)
#: Where a glued keyword list changes word: "AppendicitisRuptured", "HSVEncephalitis".
_GLUED_WORDS = re.compile(r"(?<=[a-z]{4})(?=[A-Z])|(?<=[A-Z]{2})(?=[A-Z][a-z]{2})")
#: Keyword separators given in the data.
_KEYWORD_SEPARATORS = re.compile(r"[,;\n]")
#: A line that ends a reference (a full stop, a bracket, or page numbers).
_REFERENCE_END = re.compile(r"[.?!)\]\d]$")


def split_differential(text: str) -> tuple[str, ...]:
    """The items of a free-text differential diagnosis, in order.

    Rules, in order:

    * Each line is an item; so is each piece after a bullet (•) inside a line, since lists
      come glued into one line ("...aldosteronoma)• Cyst and pseudocysts").
    * A line ending in a comma goes on on the next line (a hard-wrapped sentence).
    * A leading bullet or dash ("•  ", "-", "*", "·") or number ("1.", "1)", "(1)") is
      dropped; a mnemonic letter ("C- Carcinoma") is text, and so is a decimal ("1.5 cm").
    * Semicolons outside brackets separate items.
    * Commas outside brackets separate items only in a clear list of names: at least three
      pieces of at most five words, none holding a colon, a spaced dash or a full stop
      inside ("Spigelian hernia, congenital or acquired" stays whole). The last piece loses
      a leading "and" or "or".
    * An item loses one trailing full stop when it holds no other sentence end.
    * A line of nothing but punctuation is no item; no item is empty.
    """
    lines = []
    for line in _lines(text):
        lines.extend(_INLINE_BULLETS.split(line))
    items: list[str] = []
    pending = ""
    for raw in lines:
        line = _one_line(raw)
        if pending:
            line = f"{pending} {line}".strip()
            pending = ""
        if line.endswith(","):
            pending = line
            continue
        items.extend(_differential_items(line))
    if pending:
        items.extend(_differential_items(pending))
    return tuple(items)


def split_references(text: str) -> tuple[str, ...]:
    """The references in a free-text reference list, in order.

    When the list is numbered or bulleted (its first line starts with "1.", "1)", "(1)" or a
    dash), each marked line starts a reference and unmarked lines go on the one before
    ("1.  Irma Sanchez Montes, MD" / "Maximo Deysine, MD, ..."); the markers are dropped.
    Otherwise each line is a reference, but a line after one that does not end like a
    reference (a full stop, bracket or page number) goes on it. A blank line always ends a
    reference. MedPix's "Accepted by <editor>" note is dropped.
    """
    lines = [_one_line(line) for line in _lines(text)]
    first = next((line for line in lines if line), "")
    numbered = _NUMBERED.match(first) is not None
    references: list[str] = []
    joinable = False  # a blank line ends a reference
    for line in lines:
        if not line:
            joinable = False
            continue
        marker = _MARKER.match(line) if numbered else None
        body = line[marker.end() :] if marker else line
        if references and joinable:
            if numbered:
                continues = marker is None
            else:
                continues = _REFERENCE_END.search(references[-1]) is None or line[:1].islower()
            if continues:
                references[-1] = f"{references[-1]} {body}"
                continue
        references.append(body)
        joinable = True
    return tuple(
        reference
        for reference in references
        if _has_content(reference) and not _ACCEPTED_NOTE.fullmatch(reference)
    )


def split_keywords(text: str) -> tuple[str, ...]:
    """The keywords of a topic, distinct (ignoring case), in order.

    Split at commas, semicolons and line ends when the text has any; MedPix's export glued
    most lists into one word ("AppendicitisRuptured", "HSVEncephalitis", "May
    ThurnerIliac venous thrombosisDVT"), so each piece is also split where a word of four
    or more lower-case letters runs into a capital, or an acronym into a capitalised word.
    Glued lower-case words ("sandaspirationblast") cannot be told apart and stay one.
    """
    keywords: list[str] = []
    seen: set[str] = set()
    for piece in _KEYWORD_SEPARATORS.split(text.replace("\r", "\n")):
        for word in _GLUED_WORDS.split(piece):
            keyword = _one_line(word)
            if keyword and _has_content(keyword) and keyword.casefold() not in seen:
                seen.add(keyword.casefold())
                keywords.append(keyword)
    return tuple(keywords)


def _differential_items(line: str) -> list[str]:
    line = _strip_marker(line)
    if not _has_content(line):
        return []
    items = []
    for piece in _split_outside_brackets(line, ";"):
        items.extend(_comma_items(piece))
    return [item for raw in items if (item := _drop_full_stop(raw.strip())) and _has_content(item)]


def _comma_items(text: str) -> list[str]:
    pieces = [piece.strip() for piece in _split_outside_brackets(text, ",")]
    if len(pieces) < _MIN_COMMA_PIECES:
        return [text]
    last = _CONJUNCTION.match(pieces[-1])
    if last:
        pieces[-1] = pieces[-1][last.end() :]
    if any(
        not piece or len(piece.split()) > _SHORT_WORDS or _NOT_A_NAME.search(piece)
        for piece in pieces
    ):
        return [text]
    return pieces


def _split_outside_brackets(text: str, separator: str) -> list[str]:
    if not any(bracket in text for bracket in "([{)]}"):
        return [piece for piece in text.split(separator) if piece.strip()]
    pieces: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        if char == separator and depth == 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return [piece for piece in pieces if piece.strip()]


def _strip_marker(line: str) -> str:
    marker = _MARKER.match(line)
    return line[marker.end() :].strip() if marker else line


def _drop_full_stop(item: str) -> str:
    if item.endswith(".") and not item.endswith("..") and ". " not in item:
        return item[:-1].rstrip()
    return item


# --- text ----------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _one_line(text: str) -> str:
    """White space runs (line ends included) made one space; a no-break space is kept, as
    canonical text keeps it."""
    # str.split is many times faster than a regular expression over every character; it
    # splits at no-break spaces too, so they are hidden in NUL (made U+FFFD first, as
    # canonical text makes it) and brought back.
    if "\xa0" not in text:
        return " ".join(text.split())
    hidden = text.replace("\x00", "\ufffd").replace("\xa0", "\x00")
    return " ".join(hidden.split()).replace("\x00", "\xa0")


def _has_content(text: str) -> bool:
    return _CONTENT.search(text) is not None


def _is_placeholder(text: str) -> bool:
    if len(text) > _PLACEHOLDER_CHARS:  # most fields: not worth folding
        return not _has_content(text)
    return _is_short_placeholder(text)


@functools.lru_cache(maxsize=4096)
def _is_short_placeholder(text: str) -> bool:
    # Image fields repeat ("Axial", "CT", "female"): each is folded once.
    if not _has_content(text):
        return True
    return _one_line(text).casefold().rstrip(".").strip() in _PLACEHOLDERS


def _folded(text: str) -> str:
    """One line of text, or paragraphs (`_paragraphs`: their breaks are their only line
    ends), folded for comparing."""
    return text.replace("\n\n", " ").casefold().rstrip(".")


def _paragraphs(text: str) -> str:
    """Each source line a paragraph, separated by a blank line; lines without a letter or
    digit ("--") dropped."""
    return "\n\n".join(line for raw in _lines(text) if _has_content(line := _one_line(raw)))


@dataclass
class _Reader:
    """Reads one case's fields, collecting warnings."""

    case_id: str
    warnings: list[str] = field(default_factory=list)

    def text(self, record: Mapping[str, Any], key: str, where: str) -> str | None:
        """The field's text, or None when it is absent or a placeholder."""
        value = record.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.warnings.append(f"{self.case_id}: {where} {key!r} is not text; left out")
            return None
        text = str(value).strip()
        return None if _is_placeholder(text) else text

    def line(self, record: Mapping[str, Any], key: str, where: str) -> str | None:
        text = self.text(record, key, where)
        return _one_line(text) if text is not None else None


# --- the format ----------------------------------------------------------------------------


class MedPix2:
    """The MedPix 2.0 data set as a data set format of the registry
    (`desktop.formats.registry.DataSetFormat`)."""

    name = "medpix2"
    description = "MedPix 2.0 data set"
    index_file = CASES_FILE

    def recognises(self, tree: FileTree) -> bool:
        """Both JSON files are there and Case_topic.json starts as a list of objects with a
        "U_id". A small file is read whole; a larger one only when the small read is
        refused. When the file cannot be read at all (too large, unreadable), the two file
        names are trusted, so the import report says why rather than "not a format"."""
        if not (tree.has(CASES_FILE) and tree.has(DESCRIPTIONS_FILE)):
            return False
        try:
            try:
                data = tree.read(CASES_FILE, _RECOGNITION_READ)
            except SourceRefused:
                data = tree.read(CASES_FILE, MAX_JSON_BYTES)
        except FileNotFoundError:
            return False
        except OSError:  # SourceRefused too: cases() says what is wrong
            return True
        return _looks_like_cases(data[:_RECOGNITION_HEAD])

    def count(self, tree: FileTree) -> int:
        return len(_load_list(tree, CASES_FILE))

    def cases(self, tree: FileTree) -> Iterator[Parsed | ParseFailure]:
        records = _load_list(tree, CASES_FILE)
        descriptions = _Descriptions(_load_list(tree, DESCRIPTIONS_FILE))
        where = tree.display(CASES_FILE)
        seen: set[str] = set()
        for number, record in enumerate(records, 1):
            case_id = record.get("U_id") if isinstance(record, dict) else None
            name = (
                f"{where} ({_one_line(case_id)})"
                if isinstance(case_id, str) and case_id.strip()
                else f"{where} (case {number})"
            )
            if not isinstance(record, dict):
                yield ParseFailure(name, f"case {number} is not a JSON object")
                continue
            try:
                parsed = _parse_case(record, descriptions, tree, name)
            except CaseFormatError as error:
                yield ParseFailure(name, str(error))
                continue
            if parsed.case.source_id in seen:
                yield ParseFailure(
                    name, f"U_id {parsed.case.source_id} appears twice; the first is kept"
                )
                continue
            seen.add(parsed.case.source_id)
            yield parsed


MEDPIX2 = MedPix2()


def _looks_like_cases(head: bytes) -> bool:
    text = head.decode(json.detect_encoding(head), errors="replace")
    return _LOOKS_LIKE_CASES.match(text) is not None and _U_ID_KEY.search(text) is not None


def _load_list(tree: FileTree, relative: str) -> list[Any]:
    shown = tree.display(relative)
    try:
        data = tree.read(relative, MAX_JSON_BYTES)
    except SourceRefused as error:
        raise CaseFormatError(f"{shown}: {error}") from None
    except FileNotFoundError:
        raise CaseFormatError(f"{shown} is missing") from None
    except OSError as error:
        raise CaseFormatError(f"{shown} cannot be read ({error})") from None
    try:
        value = json.loads(data)
    except json.JSONDecodeError as error:
        raise CaseFormatError(
            f"{shown} is not valid JSON ({error.msg}, column {error.colno})", line=error.lineno
        ) from None
    except UnicodeDecodeError:
        raise CaseFormatError(f"{shown} is not UTF-8 text") from None
    except RecursionError:
        raise CaseFormatError(f"{shown} is nested too deeply to read") from None
    except ValueError as error:  # a number longer than Python converts, and the like
        raise CaseFormatError(f"{shown} cannot be read as JSON ({error})") from None
    if not isinstance(value, list):
        raise CaseFormatError(f"{shown} is not a JSON list (it holds a {_json_type(value)})")
    return value


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "JSON object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


class _Descriptions:
    """The image descriptions, by image id and by case."""

    def __init__(self, records: Sequence[Any]):
        self.by_image: dict[str, dict[str, Any]] = {}
        self.by_case: dict[str, list[str]] = {}
        self.repeated: dict[str, set[str]] = {}
        for record in records:
            if not isinstance(record, dict):
                continue
            image, case_id = record.get("image"), record.get("U_id")
            if not isinstance(image, str) or not image.strip():
                continue
            image = image.strip()
            owner = case_id.strip() if isinstance(case_id, str) else ""
            if image in self.by_image:
                self.repeated.setdefault(owner, set()).add(image)
                continue
            self.by_image[image] = record
            if owner:
                self.by_case.setdefault(owner, []).append(image)


@dataclass
class _Image:
    image_id: str
    technique: str | None
    description: dict[str, Any] | None


def _parse_case(
    record: dict[str, Any], descriptions: _Descriptions, tree: FileTree, name: str
) -> Parsed:
    raw_id = record.get("U_id")
    if raw_id is None:
        raise CaseFormatError("the case has no U_id")
    if not isinstance(raw_id, str) or not raw_id.strip() or not _encodable(raw_id):
        raise CaseFormatError("the case's U_id is not an id", field="U_id")
    case_id = _one_line(raw_id)
    reader = _Reader(case_id)
    case_part = _part(record, "Case", reader)
    topic = _part(record, "Topic", reader)

    title = _title(case_part, topic, reader)
    history = reader.text(case_part, "History", "Case")
    exam = reader.text(case_part, "Exam", "Case")
    clinical = [_paragraphs(history)] if history else []
    if exam:
        clinical.append(_paragraphs(f"Exam: {exam}"))

    images = _case_images(record, case_id, descriptions, reader)
    figures, sources = _figures(images, tree, reader)
    described = [image.description for image in images if image.description is not None]
    locations = [
        location
        for description in described
        if (location := reader.line(description, "Location", "image")) is not None
    ]
    areas = [
        value
        for description in described
        for key in ("Location Category", "Location")
        if (value := reader.line(description, key, "image")) is not None
    ]
    techniques = [
        technique for image in images if (technique := _technique(image, reader)) is not None
    ]

    differential = reader.text(case_part, "Differential Diagnosis", "Case")
    references = reader.text(topic, "Reference", "Topic")
    keywords = reader.text(topic, "Keywords", "Topic")
    case = Case(
        source="medpix",
        source_id=case_id,
        title=title,
        section=_most_common(locations),
        patient=_patient(described, reader),
        areas_of_interest=_distinct(areas),
        imaging_techniques=_distinct(techniques),
        clinical_history="\n\n".join(part for part in clinical if part),
        imaging_findings=_paragraphs(reader.text(case_part, "Findings", "Case") or ""),
        discussion=_discussion(case_part, topic, reader),
        differential_diagnosis=split_differential(differential) if differential else (),
        final_diagnosis=_paragraphs(reader.text(case_part, "Case Diagnosis", "Case") or ""),
        references=split_references(references) if references else (),
        figures=figures,
        keywords=split_keywords(keywords) if keywords else (),
        acr_code=_acr_code(reader.line(topic, "ACR Code", "Topic")),
        category=reader.line(topic, "Category", "Topic"),
        diagnosis_by=_paragraphs(reader.text(case_part, "Diagnosis By", "Case") or "") or None,
    )
    return Parsed(name, case, sources, tuple(dict.fromkeys(reader.warnings)))


def _part(record: Mapping[str, Any], key: str, reader: _Reader) -> dict[str, Any]:
    value = record.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        reader.warnings.append(f"{reader.case_id}: {key!r} is not a JSON object; left out")
        return {}
    return value


def _title(case_part: Mapping[str, Any], topic: Mapping[str, Any], reader: _Reader) -> str:
    case_title = reader.text(case_part, "Title", "Case")
    topic_title = reader.text(topic, "Title", "Topic")
    if case_title and len([line for line in _lines(case_title) if line.strip()]) == 1:
        return _one_line(case_title)
    if topic_title:
        reader.warnings.append(
            f"{reader.case_id}: "
            + ("the case title runs over several lines" if case_title else "no case title")
            + "; the topic's title is used"
        )
        return _one_line(topic_title)
    if case_title:
        first = next(line for line in _lines(case_title) if line.strip())
        reader.warnings.append(
            f"{reader.case_id}: the case title runs over several lines; its first is used"
        )
        return _strip_marker(_one_line(first))
    raise CaseFormatError("the case has no title (neither Case.Title nor Topic.Title)")


def _discussion(
    case_part: Mapping[str, Any], topic: Mapping[str, Any], reader: _Reader
) -> tuple[DiscussionPart, ...]:
    parts = []
    case_discussion = _paragraphs(reader.text(case_part, "Discussion", "Case") or "")
    if case_discussion and not _SEE_FACTOID.fullmatch(case_discussion):
        parts.append(DiscussionPart("Case Discussion", case_discussion))
    disease = _paragraphs(reader.text(topic, "Disease Discussion", "Topic") or "")
    # Some topics' discussion only repeats a title, or the case's own discussion.
    repeats = {
        _folded(text)
        for text in (
            reader.line(topic, "Title", "Topic"),
            reader.line(case_part, "Title", "Case"),
            case_discussion,
        )
        if text
    }
    if disease and _folded(disease) not in repeats:
        parts.append(DiscussionPart("Disease Discussion", disease))
    treatment = _paragraphs(reader.text(case_part, "Treatment & Follow Up", "Case") or "")
    if treatment:
        parts.append(DiscussionPart("Treatment & Follow-Up", treatment))
    return tuple(parts)


def _case_images(
    record: Mapping[str, Any], case_id: str, descriptions: _Descriptions, reader: _Reader
) -> list[_Image]:
    images: list[_Image] = []
    seen: set[str] = set()
    for key, technique in _IMAGE_LISTS:
        listed = record.get(key)
        if listed is None:
            continue
        if not isinstance(listed, list):
            reader.warnings.append(f"{case_id}: {key!r} is not a list of images; left out")
            continue
        for entry in listed:
            if not isinstance(entry, str) or not entry.strip():
                reader.warnings.append(f"{case_id}: {key!r} lists {entry!r}, not an image id")
                continue
            image_id = entry.strip()
            if image_id in seen:
                reader.warnings.append(f"{case_id}: image {image_id} is listed twice; shown once")
                continue
            seen.add(image_id)
            description = descriptions.by_image.get(image_id)
            if description is None:
                reader.warnings.append(
                    f"{case_id}: image {image_id} has no description in {DESCRIPTIONS_FILE}; "
                    "its figure has no caption"
                )
            images.append(_Image(image_id, technique, description))
    for image_id in descriptions.by_case.get(case_id, []):
        if image_id not in seen:
            seen.add(image_id)
            reader.warnings.append(
                f"{case_id}: image {image_id} is described in {DESCRIPTIONS_FILE} but not "
                "listed in the case; added after the listed figures"
            )
            images.append(_Image(image_id, None, descriptions.by_image[image_id]))
    for image_id in sorted(descriptions.repeated.get(case_id, ())):
        reader.warnings.append(
            f"{case_id}: image {image_id} is described more than once; the first is used"
        )
    return images


def _figures(
    images: Sequence[_Image], tree: FileTree, reader: _Reader
) -> tuple[tuple[Figure, ...], dict[str, ImageSource]]:
    figures = []
    sources: dict[str, ImageSource] = {}
    for number, image in enumerate(images, 1):
        description = image.description or {}
        details = description.get("Description")
        if details is not None and not isinstance(details, dict):
            reader.warnings.append(
                f"{reader.case_id}: the description of image {image.image_id} is not a JSON "
                "object; its figure has no caption"
            )
            details = None
        details = details or {}
        plane = reader.line(details, "Plane", "image")
        relative = _image_file(image.image_id)
        if relative is None:
            reader.warnings.append(
                f"{reader.case_id}: image id {image.image_id!r} is not a plain file name; "
                "its figure has no image"
            )
        else:
            sources[image.image_id] = ImageSource(
                tree.display(relative),
                functools.partial(tree.read, relative, MAX_IMAGE_BYTES),
                relative=relative,
            )
        figure = Figure(
            label=f"Figure {number}",
            legend=reader.line(details, "Caption", "image") or "",
            image=image.image_id if relative is not None else None,
            modality=reader.line(details, "Modality", "image"),
            plane=None if plane is not None and plane.casefold() == _NO_PLANE else plane,
            part=reader.line(details, "Figure Part", "image"),
            missing=None if relative is not None else "its image id is not a file name",
        )
        figures.append(figure)
    return tuple(figures), sources


def _encodable(text: str) -> bool:
    """Whether `text` is valid Unicode (JSON may carry lone surrogates, which no file name
    and no database text can hold)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _image_file(image_id: str) -> str | None:
    """``images/<id>.png``, or None for an id that is no plain file name."""
    if (
        "/" in image_id
        or "\\" in image_id
        or image_id.startswith(".")
        or _CONTROL.search(image_id) is not None
        or not _encodable(image_id)
    ):
        return None
    name = image_id if image_id.casefold().endswith(".png") else f"{image_id}.png"
    return f"images/{name}"


def _technique(image: _Image, reader: _Reader) -> str | None:
    if image.description is not None:
        described = reader.line(image.description, "Type", "image")
        if described is not None:
            return described
    return image.technique


def _patient(described: Sequence[Mapping[str, Any]], reader: _Reader) -> Patient:
    age: str | None = None
    age_days: int | None = None
    sex: Sex | None = None
    for description in described:
        details = description.get("Description")
        if not isinstance(details, dict):
            continue
        if age is None and (given := reader.line(details, "Age", "image")) is not None:
            age, age_days = _age(given)
        if sex is None:
            given = reader.line(details, "Sex", "image")
            folded = given.casefold() if given else ""
            if folded == "male":
                sex = "male"
            elif folded == "female":
                sex = "female"
    return Patient(age=age, age_days=age_days, sex=sex)


def _age(text: str) -> tuple[str, int | None]:
    """The age as shown and in days: a bare number is years."""
    match = _AGE.fullmatch(text)
    if match is None:
        return text, None
    number = float(match["number"])
    unit = (match["unit"] or "year").lower()
    shown = match["number"] + f" {unit}" + ("" if number == 1 else "s")
    return shown, round(number * _AGE_UNITS[unit])


def _acr_code(code: str | None) -> str | None:
    """The code without its unknown parts ("1.-1" is "1"); None when nothing is known."""
    if code is None:
        return None
    parts = code.split(".")
    while parts and parts[-1].strip() == "-1":
        parts.pop()
    if not parts or any(part.strip() == "-1" for part in parts):
        return None
    return ".".join(parts)


def _most_common(values: Sequence[str]) -> str | None:
    if not values:
        return None
    counts = Counter(values)
    best = max(counts.values())
    return next(value for value in values if counts[value] == best)


def _distinct(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
