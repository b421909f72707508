"""The case model: frozen dataclasses shared by formats, store, CLI and UI (no Qt, no DB)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, NewType

#: Row id of a case in the library; stable across re-imports of the same (source, source id).
CaseId = NewType("CaseId", int)

Sex = Literal["male", "female"]

#: Discussion sub-headings used by Eurorad, in their usual order.
DISCUSSION_HEADINGS: tuple[str, ...] = (
    "Background",
    "Clinical Perspective",
    "Imaging Perspective",
    "Outcome",
    "Teaching Points",
    "Take Home Message",
)


@dataclass(frozen=True, slots=True)
class Author:
    """One author as printed, with the numbers of their affiliations (1-based)."""

    name: str
    affiliations: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Patient:
    """The patient line: age as written, age in days (MIRC's rule), sex."""

    age: str | None = None
    age_days: int | None = None
    sex: Sex | None = None


@dataclass(frozen=True, slots=True)
class DiscussionPart:
    """A run of discussion paragraphs under one sub-heading (None before the first one)."""

    heading: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure of a case: its label, legend and image.

    Attributes:
        label: As the case names it: "Figure 1", "Figure 2a".
        legend: The caption, plain text.
        image: In a stored case, the content hash (SHA-256, hex) of its image in the
            library's media folder (`desktop.store.media`); in a case a format has just
            parsed, the format's own reference to the image (a file name in the data set),
            which the importer swaps for the hash. None when the figure has no image: the
            source gave none, or its file was missing or unreadable at import (`missing`).
        modality: "CT - noncontrast", "MR - T2 weighted"..., as the source says it.
        plane: "Axial", "Coronal"...
        part: The source's own figure part ("1", "2b").
        width: The image's size in pixels, when it has one.
        height: See `width`.
        missing: Why the figure has no image although its source named one ("image file
            images/x.png not found"); None when it has its image or never had one.
    """

    label: str
    legend: str = ""
    image: str | None = None
    modality: str | None = None
    plane: str | None = None
    part: str | None = None
    width: int | None = None
    height: int | None = None
    missing: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A teaching case as imported. Text fields hold paragraphs separated by a blank line.

    Attributes:
        source: Where the case comes from ("eurorad", "lightbox", ...).
        source_id: The id within that source; (source, source_id) is the case's identity.
        keywords: The source's keywords for the case (MedPix).
        acr_code: The American College of Radiology index code ("4.3"), when given.
        category: The source's category of disease ("Neoplasm, benign").
        diagnosis_by: How the diagnosis was made ("Biopsy", "Surgery"), when given.
    """

    source: str
    source_id: str
    title: str
    published: dt.date | None = None
    section: str | None = None
    case_type: str | None = None
    authors: tuple[Author, ...] = ()
    affiliations: tuple[str, ...] = ()
    patient: Patient = field(default_factory=Patient)
    areas_of_interest: tuple[str, ...] = ()
    imaging_techniques: tuple[str, ...] = ()
    clinical_history: str = ""
    imaging_findings: str = ""
    discussion: tuple[DiscussionPart, ...] = ()
    differential_diagnosis: tuple[str, ...] = ()
    final_diagnosis: str = ""
    references: tuple[str, ...] = ()
    doi: str | None = None
    issn: str | None = None
    license: str | None = None
    figures: tuple[Figure, ...] = ()
    keywords: tuple[str, ...] = ()
    acr_code: str | None = None
    category: str | None = None
    diagnosis_by: str | None = None

    @property
    def key(self) -> str:
        """The public id, e.g. ``eurorad:8455``."""
        return f"{self.source}:{self.source_id}"

    @property
    def discussion_text(self) -> str:
        """The whole discussion, each sub-heading on a line of its own."""
        return discussion_to_text(self.discussion)


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """What the case list shows for one case."""

    id: CaseId
    source: str
    source_id: str
    title: str
    section: str | None
    published: dt.date | None
    age: str | None
    age_days: int | None
    sex: Sex | None
    final_diagnosis: str

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A ranked search result: the case, a snippet with matches in [brackets], and a score."""

    summary: CaseSummary
    snippet: str
    score: float


def discussion_to_text(parts: tuple[DiscussionPart, ...]) -> str:
    """Joins discussion parts: heading on its own line, paragraphs separated by blank lines."""
    blocks: list[str] = []
    for part in parts:
        if part.heading and part.text:
            blocks.append(f"{part.heading}\n{part.text}")
        elif part.heading:
            blocks.append(part.heading)
        elif part.text:
            blocks.append(part.text)
    return "\n\n".join(blocks)


def parse_case_key(key: str) -> tuple[str, str]:
    """Splits ``source:source_id``; raises ValueError naming the expected form."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:  # a command-line argument that was not UTF-8 to begin with
        raise ValueError(f"case id {key!r} is not UTF-8 text") from None
    source, sep, source_id = key.partition(":")
    if not sep or not source or not source_id:
        raise ValueError(f"case id {key!r} is not of the form SOURCE:ID (e.g. eurorad:8455)")
    return source, source_id


@dataclass(frozen=True, slots=True)
class Note:
    """The reader's Markdown note on a case; `uid` is its record's stable id (merges)."""

    case_id: CaseId
    body: str
    updated_at: dt.datetime
    uid: str = ""


@dataclass(frozen=True, slots=True)
class NoteVersion:
    """An earlier text of a note, as it was saved at `saved_at`.

    `id` is local to this library (what `restore_note_version` takes); `uid` is the
    record's stable id, the same in every copy of the library.
    """

    id: int
    case_id: CaseId
    body: str
    saved_at: dt.datetime
    uid: str = ""


#: Where a highlight stands: on its words, or kept apart until the reader attaches it.
AnchorStatus = Literal["anchored", "detached"]


@dataclass(frozen=True, slots=True)
class Highlight:
    """A passage the reader marked, with its colour, comment and tags.

    Attributes:
        uid: Its record's stable id (what the command line and merges name it by).
        case_id: The case it belongs to (a local row id); None for a highlight whose case
            is not in this library (a merge brought it before its case).
        section: The section key it sits in (or last sat in, when detached).
        start: Where it starts in that section's canonical text (characters); None when
            detached.
        end: Where it ends; None when detached.
        quote: The text it was made on.
        text: The text it covers now ('' when detached); differs from `quote` only when it
            was re-anchored onto slightly edited words.
        colour: A colour name of `desktop.palette`.
        comment: The reader's comment, Markdown.
        tags: The reader's tags, in the order given.
        created_at: When it was made.
        updated_at: When it last changed.
    """

    uid: str
    case_id: CaseId | None
    section: str
    start: int | None
    end: int | None
    quote: str
    text: str
    colour: str
    comment: str
    tags: tuple[str, ...]
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def status(self) -> AnchorStatus:
        return "detached" if self.start is None else "anchored"


#: What drawing a highlight needs: (uid, section, start, end, colour), start and end None
#: while detached. A plain tuple: a page reads hundreds at once.
HighlightMark = tuple[str, str, int | None, int | None, str]


@dataclass(frozen=True, slots=True)
class HighlightFilter:
    """Which highlights the browser lists: every field narrows (None: any)."""

    colour: str | None = None
    tag: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class HighlightRow:
    """One row of the highlight browser: the highlight and its case's title."""

    highlight: Highlight
    case_title: str
    case_key: str


#: What the sidebar can select; "section" takes a section name.
FilterKind = Literal[
    "all",
    "unread",
    "bookmarked",
    "notes",
    "recent",
    "due",
    "section",
    "trash",
    "collection",
    "tag",
    "saved",
]


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """A sidebar selection: which cases the list shows.

    Attributes:
        kind: The entry's kind.
        section: For "section": the section's name (None: cases without one).
        value: For "collection": its uid (its cases, then those of the collections under
            it); for "tag": the tag; for "saved": the saved search's query text.
        uid: For "saved": the saved search's uid (two saved searches may hold one query).
    """

    kind: FilterKind = "all"
    section: str | None = None
    value: str | None = None
    uid: str | None = None


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of the case list: the summary and the reader's marks."""

    summary: CaseSummary
    bookmarked: bool
    has_note: bool
    read: bool
    has_highlights: bool = False
    #: When the case is next due for a drill (None: never drilled).
    due: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SidebarCounts:
    """How many cases each sidebar entry holds."""

    all: int
    unread: int
    bookmarked: int
    notes: int
    recent: int
    sections: tuple[tuple[str, int], ...]
    trash: int = 0
    highlights: int = 0
    #: Cases due for a drill now.
    due: int = 0


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection as the sidebar shows it.

    Attributes:
        uid: Its stable id (a record's uid).
        name: Its own name.
        parent_uid: The collection it sits in; None at the top.
        path: Its names from the top, joined by "/" ("Boards/Chest").
        count: Cases directly in it (in the library, out of the trash).
        total: Cases in it or in any collection under it, each once.
    """

    uid: str
    name: str
    parent_uid: str | None
    path: str
    count: int
    total: int


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """A search the reader saved under a name (a sidebar entry that lists its cases).

    Attributes:
        uid: Its stable id (a record's uid).
        name: The name it shows under.
        query: The search, in the search language.
    """

    uid: str
    name: str
    query: str


@dataclass(frozen=True, slots=True)
class TagCount:
    """A tag in use and how many cases (in the library, out of the trash) carry it."""

    tag: str
    count: int


#: How a drill went for one case, as the reader rates it: FSRS's Again, Hard, Good, Easy.
RATING_NAMES: dict[int, str] = {1: "Missed", 2: "Partly", 3: "Got it", 4: "Easy"}


@dataclass(frozen=True, slots=True)
class Review:
    """One entry of a case's review log (append-only: a review is never edited).

    Attributes:
        uid: The record's uid.
        reviewed_at: When the reader rated the case (UTC).
        rating: 1 Missed, 2 Partly, 3 Got it, 4 Easy.
        answer: What the reader typed before revealing ("" if nothing).
        verdict: The checker's verdict on it: "correct", "partial", "wrong" or "".
        matched: What the answer matched (the final diagnosis or a differential item).
    """

    uid: str
    reviewed_at: dt.datetime
    rating: int
    answer: str = ""
    verdict: str = ""
    matched: str = ""


@dataclass(frozen=True, slots=True)
class StudyState:
    """A case's schedule, replayed from its review log.

    Attributes:
        due: When it is next due (UTC).
        stage: "learning", "review" or "relearning" (FSRS's states).
        stability, difficulty: FSRS's memory state (None before the first review).
        reviews: Live reviews in its log.
        misses: Of those, rated Missed.
        last_review: The latest review's time.
        leech: Missed often enough to need another approach (see `desktop.study`).
    """

    due: dt.datetime
    stage: str
    stability: float | None
    difficulty: float | None
    reviews: int
    misses: int
    last_review: dt.datetime
    leech: bool


@dataclass(frozen=True, slots=True)
class Tally:
    """How the reviews of a group went (a day, a section, a collection), by rating."""

    label: str
    missed: int = 0
    partly: int = 0
    got_it: int = 0
    easy: int = 0

    @property
    def total(self) -> int:
        return self.missed + self.partly + self.got_it + self.easy

    @property
    def accuracy(self) -> float | None:
        """The share rated Got it or Easy (None without reviews)."""
        return (self.got_it + self.easy) / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class MissedCase:
    """A case the reader misses: for the most-missed list and the leeches."""

    case_id: CaseId
    title: str
    section: str | None
    misses: int
    reviews: int
    leech: bool
    #: The case's key (source:source id), for the command line.
    key: str = ""


@dataclass(frozen=True, slots=True)
class StudyStats:
    """What the statistics view and `lightbox stats` show.

    Attributes:
        days: Reviews per day for the last 30 days (oldest first), each a Tally whose label
            is the ISO date, in the reader's local time.
        by_section: One Tally per section reviewed (most reviewed first).
        by_collection: One Tally per collection (its full path) whose cases were reviewed.
        forecast: (date, cases due that day) for today and the 13 days after; today
            includes every case overdue.
        most_missed: Cases with the most Missed ratings (at least one), most first.
        leeches: Every leech, most missed first.
        reviews: Live reviews in the log.
        cases_reviewed: Cases with at least one review (not in the Trash).
        due_now: Cases due now.
    """

    days: tuple[Tally, ...]
    by_section: tuple[Tally, ...]
    by_collection: tuple[Tally, ...]
    forecast: tuple[tuple[dt.date, int], ...]
    most_missed: tuple[MissedCase, ...]
    leeches: tuple[MissedCase, ...]
    reviews: int
    cases_reviewed: int
    due_now: int
