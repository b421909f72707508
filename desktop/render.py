"""Cases and notes as HTML for Qt's rich-text engine (QTextBrowser), with nothing active in it.

QTextBrowser is not a browser: it reads a small HTML4/CSS2 subset, runs no scripts, but will
fetch images and stylesheets on its own. The UI blocks those fetches; this module makes sure
the HTML never asks for one in the first place:

* Case text is always escaped, never interpreted. The only links in a case page are the DOI
  link we build (``https://doi.org/...``) and ``lightbox:figure/N`` links to the case's own
  figures (thumbnails, and references such as "Fig. 2" in the text). The only images are
  figure thumbnails, ``<img src="lightbox-img:<sha256 hex>">``, which the UI answers from its
  own decoded thumbnails; no ``url()``, no imports; the one ``<style>`` element is generated
  from a `Theme` whose colours are validated hex.
* Notes are Markdown: rendered with three harmless extensions (lists, fenced code, tables),
  then cleaned by nh3 with an explicit allow-list (`NOTE_TAGS`, `NOTE_ATTRIBUTES`,
  `NOTE_ATTRIBUTE_VALUES`, `NOTE_URL_SCHEMES`) so only ``lightbox:`` links keep their
  target. An image is never loaded: it becomes a placeholder with its alt text. Notes too
  large, nested too deeply or with too big tables fall back to escaped plain text with a
  message.

Long unbroken tokens get zero-width spaces (Qt's line breaker is superlinear in token length:
a 1 MB token takes close to a minute), and element depth is bounded for the same reason. In a
case page each section paragraph is a block of its own and every inserted break is counted,
so `render_case` can return a `PositionMap` between the page and the sections' text.

Everything here is pure Python (no Qt), so `note_html` can run in a worker process: it takes
a str and returns a picklable frozen dataclass.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import datetime as dt
import functools
import html
import itertools
import math
import re
import types
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from html.parser import HTMLParser
from urllib.parse import quote

from desktop.model import Author, Case, Figure
from desktop.palette import COLOURS
from desktop.positions import PositionMap, TextRun, utf16_length
from desktop.sections import (
    HEADINGS,
    Section,
    SectionKey,
    canonical_line,
    case_sections,
    replace_unsafe,
    section_kind,
)

__all__ = [
    "DARK",
    "LIGHT",
    "MAX_DEPTH",
    "MAX_PREVIEW_CHARS",
    "MAX_TABLE_CELLS",
    "MAX_TABLE_DEPTH",
    "NOTE_ATTRIBUTES",
    "NOTE_ATTRIBUTE_VALUES",
    "NOTE_TAGS",
    "NOTE_URL_SCHEMES",
    "SOFT_BREAK_EVERY",
    "NoteRendering",
    "RenderedCase",
    "Theme",
    "case_html",
    "drill_anchor",
    "drill_html",
    "figure_references",
    "message_html",
    "note_html",
    "render_case",
    "render_drill",
    "thumbnail_box",
]

#: Notes longer than this (in characters) are shown as plain text, never given to Markdown.
MAX_PREVIEW_CHARS = 65536
#: Deepest element nesting a rendered note may have before it is shown as plain text.
MAX_DEPTH = 32
#: Runs of non-space characters longer than this get a zero-width space every so many chars.
SOFT_BREAK_EVERY = 80
#: The longest side of a figure thumbnail on the page, in pixels, at the default text size
#: (`Theme.base_point_size` 11); it grows and shrinks with the text.
THUMBNAIL_SIDE = 180
#: The URL scheme of a figure's thumbnail image (``lightbox-img:<sha256 hex>``).
IMAGE_SCHEME = "lightbox-img"
#: A figure link's URL, from the figure's position (from 1).
FIGURE_LINK = "lightbox:figure/{}"

#: Tags a rendered note may contain: Markdown's own and its tables. Deliberately no img, div
#: or style; a span only as the placeholder of an image (see `NOTE_ATTRIBUTE_VALUES`).
NOTE_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a", "del", "s", "sup", "sub",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }
)  # fmt: skip
#: Attributes a rendered note may carry with any value: href on links, nothing else. The
#: empty "*" entry matters: without it nh3 keeps its default generic attributes (title,
#: lang) on every tag.
NOTE_ATTRIBUTES: Mapping[str, frozenset[str]] = types.MappingProxyType(
    {"a": frozenset({"href"}), "*": frozenset()}
)
#: Attributes a rendered note may carry with one of a few fixed values only: a table
#: column's alignment, and the class that styles an image's placeholder.
NOTE_ATTRIBUTE_VALUES: Mapping[str, Mapping[str, frozenset[str]]] = types.MappingProxyType(
    {
        "th": types.MappingProxyType({"align": frozenset({"left", "center", "right"})}),
        "td": types.MappingProxyType({"align": frozenset({"left", "center", "right"})}),
        "span": types.MappingProxyType({"class": frozenset({"image"})}),
    }
)
#: The only URL scheme a note link may use; http, file, javascript... lose their href.
NOTE_URL_SCHEMES: frozenset[str] = frozenset({"lightbox"})
#: Most table cells a previewed note may have: Qt lays tables out on the GUI thread, and
#: 1,000 cells take about 0.1 s there (30,000, which a 64 KB note can hold, take seconds).
MAX_TABLE_CELLS = 1000
#: Tables inside tables (raw HTML only: Markdown cannot nest them) are not previewed: Qt's
#: layout cost grows with each level of nesting.
MAX_TABLE_DEPTH = 1

_ZWSP = "\u200b"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_LONG_RUN = re.compile(rf"\S{{{SOFT_BREAK_EVERY + 1},}}")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_VOID_TAGS = frozenset({"br", "hr"})
_DIGEST = re.compile(r"[0-9a-f]{64}")
#: "Fig. 2", "figure 2", "Figures 2", "(Figure 2a)", "fig 3", "FIG.3": the word, then the
#: number and an optional part letter, standing alone ("figure-of-eight" and "configure 2"
#: are no reference).
_FIGURE_REFERENCE = re.compile(
    r"\b(?:fig(?:ure)?s?)(?:\.|\b)[ \t\xa0]*(\d{1,3})([a-z])?(?!\w)", re.IGNORECASE
)
#: A further number in a reference to several figures: "Figures 2 and 3", "Figs. 2, 3, 4".
_MORE_FIGURES = re.compile(
    r"[ \t\xa0]*(?:,|and|&|or|-|\u2013|to)[ \t\xa0]*(\d{1,3})([a-z])?(?!\w)", re.IGNORECASE
)
#: The number (and part letter) a figure's label gives it: "Figure 2a" -> 2, "a".
_LABEL_NUMBER = re.compile(r"(\d{1,3})[ \xa0]*([a-z])?(?![a-z])", re.IGNORECASE)

#: A highlight to draw: (section key, start, end, palette colour name), offsets in the
#: section's canonical text.
Mark = tuple[str, int, int, str]
#: Renders one piece of case text as escaped, highlighted HTML.
_Inline = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours (``#rrggbb``) and base font size for rendered pages.

    Colours are checked on creation because they go straight into the stylesheet: a value
    like ``red; background-image: url(...)`` must never reach it.
    """

    text: str
    muted: str
    background: str
    accent: str
    chip_background: str
    chip_text: str
    hit_background: str
    hit_text: str
    rule: str
    link: str
    base_point_size: float = 11.0
    #: How opaque a highlight's colour is over the page: enough to tell the eight colours
    #: apart, little enough that the text on it keeps its contrast (tests check every
    #: colour on both pages); the dark page's light text needs a darker mix.
    mark_alpha: float = 0.45

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "base_point_size":
                if not 4.0 <= float(value) <= 72.0:
                    raise ValueError(f"base_point_size {value!r} is outside 4..72")
            elif item.name == "mark_alpha":
                if not 0.0 <= float(value) <= 1.0:
                    raise ValueError(f"mark_alpha {value!r} is outside 0..1")
            elif not isinstance(value, str) or not _HEX_COLOUR.fullmatch(value):
                raise ValueError(f"theme colour {item.name}={value!r} is not of the form #rrggbb")


#: Daylight theme: near-white paper, slate text, a calm clinical blue for headings.
LIGHT = Theme(
    text="#1e2a33",
    muted="#5d6a75",
    background="#fcfcfb",
    accent="#1f5f8b",
    chip_background="#e3edf4",
    chip_text="#22475e",
    hit_background="#ffe38a",
    hit_text="#1e2a33",
    rule="#d3dbe1",
    link="#1a6aa0",
)
#: Reading-room theme: blue-grey charcoal, soft off-white text, muted steel-blue accents.
DARK = Theme(
    text="#d8dee4",
    muted="#8f9ba6",
    background="#1c2127",
    accent="#84b9da",
    chip_background="#2b3641",
    chip_text="#c8d8e4",
    hit_background="#6e5816",
    hit_text="#fff3cf",
    rule="#36414c",
    link="#8ec5ea",
    mark_alpha=0.32,
)


@dataclass(frozen=True, slots=True)
class NoteRendering:
    """A rendered note: the HTML document, whether it fell back to plain text, and why."""

    html: str
    plain_fallback: bool
    message: str | None


# --- Case pages -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenderedCase:
    """A case page: the HTML document and the map from its positions to section offsets.

    Attributes:
        html: The document.
        positions: Document positions <-> section offsets.
        images: The thumbnails the page shows: each image's hash and the box it is drawn in
            (width, height in pixels); the UI answers ``lightbox-img:<hash>`` with a picture
            of that size (an image shown twice is one entry: same file, same box).
    """

    html: str
    positions: PositionMap
    images: Mapping[str, tuple[int, int]] = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({})
    )


def case_html(
    case: Case,
    *,
    theme: Theme,
    highlight: Sequence[str] = (),
    show_diagnosis: bool = True,
) -> str:
    """One case as a full HTML document (`render_case` without the position map)."""
    return render_case(case, theme=theme, highlight=highlight, show_diagnosis=show_diagnosis).html


def render_case(
    case: Case,
    *,
    theme: Theme,
    highlight: Sequence[str] = (),
    show_diagnosis: bool = True,
    marks: Iterable[Mark] = (),
) -> RenderedCase:
    """One case as a full HTML document, every piece of case text escaped, with its map.

    The sections come from `desktop.sections`; each paragraph is a block of its own, so
    the page holds each section's canonical text exactly, plus the zero-width spaces the
    map accounts for.

    Args:
        case: The case to show.
        theme: Colours and font size.
        highlight: Search terms; each marks words it is a prefix of (case- and
            accent-insensitive) with ``<span class="hit">``.
        show_diagnosis: False hides the final diagnosis and the differential list (quiz mode).
        marks: The reader's highlights, as (section key, start, end, palette colour name)
            with offsets in the section's text; each passage gets the colour's background
            (``<span class="mark-red">``), the shortest one where they overlap. Spans add
            no characters, so the map is the same with or without them.
    """
    page = _Page(_fold_terms(highlight), marks, figures=case.figures)
    sections = case_sections(case, answers=show_diagnosis)
    for section in sections:
        if section.kind == "title":
            page.run_block("<h1>", "</h1>", section.key, 0, section.text)
    chips = [page.fragment(chip) for chip in _chips(case)]  # never empty: the key is there
    # Qt ignores padding on inline elements: non-breaking spaces pad the chip instead.
    page.block(
        '<p class="chips">',
        "</p>",
        _join(
            [_wrap('<span class="chip">&#160;', chip, "&#160;</span>", "\xa0") for chip in chips],
            (" &#160;", " \xa0"),
        ),
    )
    byline = _byline(case.authors, page)
    if byline[1]:
        page.block('<p class="meta">', "</p>", byline)
    # Only number affiliations when authors refer to them (old exports have one block).
    numbered = any(a.affiliations for a in case.authors)
    for number, affiliation in enumerate(case.affiliations, start=1):
        text = page.fragment(affiliation)
        if not text[1]:
            continue
        if numbered:
            text = (f"<sup>{number}</sup>&#160;{text[0]}", f"{number}\xa0{text[1]}")
        page.block('<p class="meta affiliation">', "</p>", text)

    legends: dict[str, Section] = {s.key: s for s in sections if s.kind == "figures"}
    figures_shown = not case.figures
    opened: set[str] = set()
    for section in sections:
        kind = section.kind
        if kind == "title":
            continue
        if not figures_shown and (kind == "figures" or kind in _AFTER_FIGURES):
            figures_shown = True
            page.close_list()
            _figures_block(case.figures, legends, page, theme)
        if kind == "figures":
            continue  # in the figures block, beside their thumbnails
        if kind not in opened:
            opened.add(kind)
            page.close_list()
            anchor = _ANCHORS[kind]
            # Both forms: QTextBrowser.scrollToAnchor() looks up <a name>, id costs nothing.
            page.block(
                f'<h2 id="{anchor}"><a name="{anchor}"></a>',
                "</h2>",
                (html.escape(HEADINGS[kind]), HEADINGS[kind]),
            )
        page.section(section)
    page.close_list()
    if not figures_shown:
        _figures_block(case.figures, legends, page, theme)
    footer = _footer(case, page)
    if footer[1]:
        page.block("<hr>", "", ("", ""))
        page.block('<p class="footer">', "</p>", footer)
    body = "\n".join(page.parts)
    return RenderedCase(
        html=_document(canonical_line(case.title), body, theme),
        positions=PositionMap(page.runs, page.position),
        images=types.MappingProxyType(page.images),
    )


def thumbnail_box(width: int | None, height: int | None, side: int) -> tuple[int, int]:
    """The box a figure's thumbnail is drawn in: the image's shape, its longer side `side`
    (or its own size, if smaller: a small image is not blown up); a square when its size
    is not known."""
    if not width or not height or width <= 0 or height <= 0:
        return side, side
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def figure_references(text: str, labels: Sequence[str]) -> list[tuple[int, int, int]]:
    """Where a text refers to the case's figures ("Fig. 2", "figures 2 and 3", "(Figure 2a)").

    A reference names a figure by the number its label carries ("Figure 2a" is figure 2,
    part a); when no label carries a number, by its position. Numbers no figure has are no
    reference ("Fig. 12" in a case with three figures).

    Args:
        text: Case text (a paragraph).
        labels: The case's figures' labels, in order.

    Returns:
        (start, end, position) for each reference: the span of the text to link, and the
        figure's position (from 1). A reference to several figures gives one span per number
        (the first with the word: "Figures 2", then "3").
    """
    if not labels or "fig" not in text.casefold():
        return []
    by_part: dict[tuple[int, str], int] = {}
    by_number: dict[int, int] = {}
    for position, label in enumerate(labels, start=1):
        found = _LABEL_NUMBER.search(label)
        if found:
            number, part = int(found.group(1)), (found.group(2) or "").casefold()
            by_part.setdefault((number, part), position)
            by_number.setdefault(number, position)

    def resolve(number: str, part: str | None) -> int | None:
        n = int(number)
        if by_number:
            exact = by_part.get((n, (part or "").casefold()))
            return exact if exact is not None else by_number.get(n)
        return n if 1 <= n <= len(labels) else None

    found_spans: list[tuple[int, int, int]] = []
    for match in _FIGURE_REFERENCE.finditer(text):
        target = resolve(match.group(1), match.group(2))
        if target is None:
            continue
        found_spans.append((match.start(), match.end(), target))
        end = match.end()
        while more := _MORE_FIGURES.match(text, end):
            target = resolve(more.group(1), more.group(2))
            if target is None:
                break
            found_spans.append((more.start(1), more.end(), target))
            end = more.end()
    return found_spans


#: Section kinds that come after the figures block.
_AFTER_FIGURES = frozenset({"discussion", "differential", "final_diagnosis", "reference"})
#: The object replacement character: an image is one character of the document.
_OBJECT = "\ufffc"


def _figures_block(
    figures: Sequence[Figure], legends: Mapping[str, Section], page: _Page, theme: Theme
) -> None:
    """The Figures heading and one row per figure: its thumbnail (a link to the viewer) or
    why there is none, beside its label line and its legend (the ``figures.<n>`` section).

    One table, so every legend starts at the same left edge whatever its thumbnail's shape.
    In the document a table adds one position at its end; each cell's paragraphs are blocks
    as anywhere else, and an image is one character.
    """
    page.block(
        '<h2 id="figures"><a name="figures"></a>',
        "</h2>",
        (html.escape(HEADINGS["figures"]), HEADINGS["figures"]),
    )
    side = max(48, round(THUMBNAIL_SIDE * theme.base_point_size / 11.0))
    boxes = [thumbnail_box(f.width, f.height, side) for f in figures]
    column = max(w for w, _ in boxes)
    page.parts.append('<table class="figures" width="100%" cellspacing="0" cellpadding="0">')
    for number, (figure, (width, height)) in enumerate(zip(figures, boxes, strict=True), 1):
        page.parts.append(f'<tr><td class="thumb" width="{column + 16}" valign="top">')
        digest = figure.image if figure.image and _DIGEST.fullmatch(figure.image) else None
        if digest is not None:
            page.images[digest] = (width, height)
            alt = html.escape(canonical_line(figure.label) or f"Figure {number}", quote=True)
            image = (
                f'<a href="{FIGURE_LINK.format(number)}"><img src="{IMAGE_SCHEME}:{digest}" '
                f'width="{width}" height="{height}" alt="{alt}"></a>'
            )
            page.block('<p class="thumbnail">', "</p>", (image, _OBJECT))
        else:
            if figure.image:
                reason = "the image reference is not valid"
            else:
                reason = canonical_line(figure.missing or "") or "none in the source"
            text = page.fragment(f"Image not available \u2014 {reason}")
            page.block('<p class="nofigure">', "</p>", text)
        page.parts.append('</td><td class="caption" valign="top">')
        page.block('<p class="figlabel">', "</p>", page.fragment(_figure_label(figure, number)))
        legend = legends.get(f"figures.{number}")
        if legend is not None:
            page.run_block('<p class="legend">', "</p>", legend.key, 0, legend.text)
        page.parts.append("</td></tr>")
    page.parts.append("</table>")
    page.position += 1  # the table's end


def _figure_label(figure: Figure, number: int) -> str:
    """ "Figure 1 · CT - noncontrast · Axial": the label and what the source says of it."""
    parts = [canonical_line(figure.label) or f"Figure {number}"]
    parts += [canonical_line(p) for p in (figure.modality, figure.plane) if p]
    return " \u00b7 ".join(part for part in parts if part)


#: A drill's steps, in the order Space reveals them: the section kinds each shows. The
#: figures come before the findings, as a reader meets them: the images first, then the
#: report (their legends, which often describe the findings, come with the findings).
DRILL_STEPS: tuple[str, ...] = (
    "clinical_history",
    "figures",
    "imaging_findings",
    "discussion",
    "differential",
    "final_diagnosis",
)
#: The step whose reveal shows the figures' legends too.
_LEGENDS_STEP = DRILL_STEPS.index("imaging_findings")


def drill_anchor(step: int) -> str:
    """The anchor of a drill step's heading (0: the history), to scroll to once revealed."""
    return _ANCHORS[DRILL_STEPS[step]]


def drill_html(case: Case, theme: Theme, revealed: int, heading: str) -> str:
    """`render_drill` without the thumbnails' boxes."""
    return render_drill(case, theme, revealed, heading).html


def render_drill(case: Case, theme: Theme, revealed: int, heading: str) -> RenderedCase:
    """A case as a drill shows it: `heading` ("Case 3 of 20 · Chest · 45 y, F") in place
    of the title, the chips without the case's key, and the first `revealed` steps of
    `DRILL_STEPS`; the later ones are named but hidden. No authors, no references, no
    footer: each may name the diagnosis. With every step revealed, the title follows.

    The figures step shows each figure's thumbnail and its label line (modality, plane);
    their legends follow once the findings are revealed.

    A differential list a scrape split word by word is shown rebuilt into items
    (`desktop.differential.rebuild_items`), as the answer checker reads it.
    """
    from desktop.differential import rebuild_items

    shown = (
        case
        if case.differential_diagnosis == ()
        else dataclasses.replace(
            case, differential_diagnosis=rebuild_items(case.differential_diagnosis)
        )
    )
    page = _Page((), figures=case.figures)
    page.block("<h1>", "</h1>", page.fragment(heading))
    chips = [page.fragment(chip) for chip in _chips(shown)[:-1]]  # not the key
    if chips:
        page.block(
            '<p class="chips">',
            "</p>",
            _join(
                [_wrap('<span class="chip">&#160;', c, "&#160;</span>", "\xa0") for c in chips],
                (" &#160;", " \xa0"),
            ),
        )
    by_kind: dict[str, list[Section]] = {}
    for section in case_sections(shown):
        by_kind.setdefault(section.kind, []).append(section)
    for step, kind in enumerate(DRILL_STEPS):
        sections = by_kind.get(kind, [])
        if kind == "figures" and step < revealed and case.figures:
            legends: dict[str, Section] = {}
            if revealed > _LEGENDS_STEP:
                legends = {str(s.key): s for s in sections}
            _figures_block(case.figures, legends, page, theme)
            continue
        title = HEADINGS[kind]
        anchor = _ANCHORS[kind]
        page.block(
            f'<h2 id="{anchor}"><a name="{anchor}"></a>', "</h2>", (html.escape(title), title)
        )
        if step >= revealed:
            word = "Hidden — press Space to reveal" if step == revealed else "Hidden"
            page.block('<p class="meta">', "</p>", (html.escape(word), word))
            continue
        if kind == "figures":  # revealed, and the case has none
            page.block(
                '<p class="meta">', "</p>", ("No figures in this case.", "No figures in this case.")
            )
            continue
        if not sections:
            page.block(
                '<p class="meta">', "</p>", ("None given in this case.", "None given in this case.")
            )
            continue
        for section in sections:
            page.section(section)
        page.close_list()
    if revealed >= len(DRILL_STEPS):
        page.block("<h2>", "</h2>", ("Case title", "Case title"))
        page.block("<p>", "</p>", page.fragment(canonical_line(case.title)))
    return RenderedCase(
        html=_document(heading, "\n".join(page.parts), theme),
        positions=PositionMap(page.runs, page.position),
        images=dict(page.images),
    )


def message_html(heading: str, paragraphs: Sequence[str], theme: Theme) -> str:
    """A page of plain words in the case pages' look (every string escaped)."""
    body = [f"<h1>{html.escape(heading)}</h1>"]
    body += [f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs]
    return _document(heading, "\n".join(body), theme)


#: The anchor of each section kind's heading (the UI scrolls to these).
_ANCHORS = {
    "clinical_history": "history",
    "imaging_findings": "findings",
    "discussion": "discussion",
    "differential": "differential",
    "final_diagnosis": "diagnosis",
    "reference": "references",
    "figures": "figures",
}
#: Section kinds shown as list items, and the list they go in.
_LIST_KINDS = {"differential": "ul", "reference": "ol"}

#: A piece of a page: its HTML and the text Qt makes of it.
_Fragment = tuple[str, str]


def _join(fragments: Sequence[_Fragment], separator: _Fragment) -> _Fragment:
    return (
        separator[0].join(f[0] for f in fragments),
        separator[1].join(f[1] for f in fragments),
    )


def _wrap(opening: str, fragment: _Fragment, closing: str, pad: str) -> _Fragment:
    return (f"{opening}{fragment[0]}{closing}", f"{pad}{fragment[1]}{pad}")


class _Page:
    """Builds a case page block by block, counting positions as Qt will.

    Every block adds the UTF-16 length of its text plus one (the step to the next block);
    list tags open no block of their own.
    """

    def __init__(
        self, terms: Sequence[str], marks: Iterable[Mark] = (), figures: Sequence[Figure] = ()
    ) -> None:
        self.terms = terms
        #: The figures' labels, for links from references in the text ("Fig. 2").
        self.labels = tuple(canonical_line(figure.label) for figure in figures)
        #: The thumbnails shown: image hash -> box (see `RenderedCase.images`).
        self.images: dict[str, tuple[int, int]] = {}
        #: The marks by section key, for `run_block`.
        self.marks: dict[str, list[tuple[int, int, str]]] = {}
        for key, start, end, colour in marks:
            if colour in COLOURS and start < end:
                self.marks.setdefault(key, []).append((start, end, colour))
        self.parts: list[str] = []
        self.runs: list[TextRun] = []
        self.position = 0
        self._list: str | None = None

    def fragment(self, text: str) -> _Fragment:
        """Metadata shown on the page (a chip, a name): one canonical line, escaped."""
        shown = _soft_break(canonical_line(text))
        return _highlighted(shown, self.terms), shown

    def block(self, opening: str, closing: str, content: _Fragment) -> None:
        self.parts.append(f"{opening}{content[0]}{closing}")
        self.position += utf16_length(content[1]) + 1

    def run_block(
        self, opening: str, closing: str, key: SectionKey, offset: int, text: str
    ) -> None:
        """A block holding one paragraph of a section, recorded in the position map."""
        breaks = _break_points(text)
        shown = _insert_breaks(text, breaks)
        astral = tuple(i for i, char in enumerate(text) if ord(char) > 0xFFFF)
        length = utf16_length(shown)
        self.runs.append(
            TextRun(key, offset, len(text), self.position, length, astral, tuple(breaks))
        )
        end = offset + len(text)
        # A mark's boundary at character k of the text is at k plus the breaks put before
        # characters up to k in what is shown: the map counts them the same way.
        marks = [
            (
                local_start + bisect.bisect_right(breaks, local_start),
                local_end + bisect.bisect_right(breaks, local_end),
                colour,
                stop - start,
            )
            for start, stop, colour in self.marks.get(key, ())
            if start < end and stop > offset
            for local_start, local_end in [(max(start, offset) - offset, min(stop, end) - offset)]
        ]
        # References become links in the case's own text: not in the title, and not in the
        # bibliography (a cited paper's "Fig. 1" is not this case's). Links add no
        # characters, so the map is the same with or without them.
        own_text = key != "title" and section_kind(key) != "reference"
        links = figure_references(shown, self.labels) if own_text else []
        if marks or links:
            body = _marked(shown, self.terms, marks, links)
        else:
            body = _highlighted(shown, self.terms)
        self.parts.append(f"{opening}{body}{closing}")
        self.position += length + 1

    def section(self, section: Section) -> None:
        """A section's text: a discussion part under its sub-heading, a list item in its
        list, else each paragraph a block of its own."""
        kind = section.kind
        if kind == "discussion" and section.key != "discussion":
            self.block("<h3>", "</h3>", self.fragment(section.heading))
        if kind in _LIST_KINDS:
            self.open_list(_LIST_KINDS[kind])
            self.run_block("<li>", "</li>", section.key, 0, section.text)
            return
        offset = 0
        for paragraph in section.paragraphs:
            self.run_block("<p>", "</p>", section.key, offset, paragraph)
            offset += len(paragraph) + 1

    def open_list(self, tag: str) -> None:
        if self._list != tag:
            self.close_list()
            self.parts.append(f"<{tag}>")
            self._list = tag

    def close_list(self) -> None:
        if self._list is not None:
            self.parts.append(f"</{self._list}>")
            self._list = None


def _chips(case: Case) -> list[str]:
    chips: list[str] = []
    if case.section and canonical_line(case.section):
        chips.append(case.section)
    lines = (canonical_line(p) for p in (case.patient.age, case.patient.sex) if p)
    patient = " · ".join(line for line in lines if line)
    if patient:
        chips.append(patient)
    if case.published is not None:
        chips.append(f"Published {_format_date(case.published)}")
    chips.append(case.key)
    return chips


def _format_date(day: dt.date) -> str:
    # Not strftime("%b"): month names must not depend on the reader's locale.
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _byline(authors: Iterable[Author], page: _Page) -> _Fragment:
    names: list[_Fragment] = []
    for author in authors:
        name = page.fragment(author.name)
        if not name[1]:
            continue
        marks = ",".join(str(n) for n in author.affiliations)
        if marks:
            name = (f"{name[0]}<sup>{marks}</sup>", f"{name[1]}{marks}")
        names.append(name)
    return _join(names, (", ", ", "))


def _footer(case: Case, page: _Page) -> _Fragment:
    items: list[_Fragment] = []
    doi = _normalise_doi(canonical_line(case.doi or ""))
    if doi:
        text = page.fragment(doi)
        if _DOI.fullmatch(doi):
            # The one link a case page may hold: fixed origin, DOI percent-encoded.
            href = html.escape("https://doi.org/" + quote(doi, safe="/"), quote=True)
            items.append((f'DOI <a href="{href}">{text[0]}</a>', f"DOI {text[1]}"))
        else:
            items.append((f"DOI {text[0]}", f"DOI {text[1]}"))
    for label, value in (("ISSN ", case.issn), ("Licence: ", case.license)):
        text = page.fragment(value or "")
        if text[1]:
            items.append((f"{label}{text[0]}", f"{label}{text[1]}"))
    return _join(items, (" &#160;·&#160; ", " \xa0·\xa0 "))


def _normalise_doi(doi: str) -> str:
    doi = doi.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            return doi[len(prefix) :].strip()
    return doi


# --- Text: cleaning, soft breaks, highlighting, escaping -----------------------------------


def _clean(text: str) -> str:
    """Replaces characters Qt/nh3/Markdown mishandle with U+FFFD; newlines normalised."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return replace_unsafe(text)


def _break_points(text: str) -> list[int]:
    """Where zero-width spaces go: every SOFT_BREAK_EVERY chars inside over-long runs of
    non-space characters (indices of the character each one goes before)."""
    points: list[int] = []
    for match in _LONG_RUN.finditer(text):
        points.extend(range(match.start() + SOFT_BREAK_EVERY, match.end(), SOFT_BREAK_EVERY))
    return points


def _insert_breaks(text: str, points: Sequence[int]) -> str:
    if not points:
        return text
    bounds = [0, *points, len(text)]
    return _ZWSP.join(text[a:b] for a, b in itertools.pairwise(bounds))


def _soft_break(text: str) -> str:
    """Puts a zero-width space every SOFT_BREAK_EVERY chars inside over-long non-space runs."""
    return _insert_breaks(text, _break_points(text))


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One character as search sees it: case-folded, compatibility-decomposed, unaccented."""
    if char == _ZWSP:
        return ""
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


#: Highlighting marks at most this many distinct terms (a search reads no more words:
#: `desktop.store.cases.MAX_QUERY_WORDS`); each term costs a pass over every text.
MAX_HIGHLIGHT_TERMS = 32


def _fold_terms(terms: Sequence[str]) -> tuple[str, ...]:
    if isinstance(terms, str):  # a bare string is one term, not a list of letters
        terms = (terms,)
    distinct = (t for t in dict.fromkeys(_fold(_clean(t).strip()) for t in terms) if t)
    folded = list(itertools.islice(distinct, MAX_HIGHLIGHT_TERMS))
    # Longest first, so "calcinosis" wins over "calc" where both match at one place.
    return tuple(sorted(folded, key=lambda t: (-len(t), t)))


def _hit_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where terms match at word starts, as merged (start, end) spans of ``text``."""
    if not terms:
        return []
    folded_chars: list[str] = []
    origin: list[int] = []  # origin[k] = index in text of folded character k
    for index, char in enumerate(text):
        for folded_char in _fold_char(char):
            folded_chars.append(folded_char)
            origin.append(index)
    folded = "".join(folded_chars)
    spans: list[tuple[int, int]] = []
    for term in terms:
        # Plain substring search, never a regex: terms are user input.
        start = folded.find(term)
        while start != -1:
            if start == 0 or not folded[start - 1].isalnum():
                spans.append((origin[start], origin[start + len(term) - 1] + 1))
            start = folded.find(term, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inline(text: str, terms: Sequence[str]) -> str:
    """Case text to HTML: cleaned, soft-broken, split at hits, then each piece escaped."""
    return _highlighted(_soft_break(_clean(text)), terms)


def _highlighted(text: str, terms: Sequence[str]) -> str:
    """Text to HTML, escaped, with the words the terms match marked as hits."""
    out: list[str] = []
    position = 0
    for start, end in _hit_spans(text, terms):
        out.append(html.escape(text[position:start]))
        out.append(f'<span class="hit">{html.escape(text[start:end])}</span>')
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out)


# --- Documents and stylesheet --------------------------------------------------------------


def _marked(
    text: str,
    terms: Sequence[str],
    marks: Sequence[tuple[int, int, str, int]],
    links: Sequence[tuple[int, int, int]] = (),
) -> str:
    """Text to HTML, escaped, with search hits marked, the reader's highlights (spans of
    `text` with a colour and their whole length) given their colour's class (where marks
    overlap, the shortest, then the first colour by name), and figure references (spans
    with a figure's position) made links. A link cut by a hit or a mark is several links
    to the same figure, side by side."""
    hits = _hit_spans(text, terms)
    # One sweep over the boundaries, each span added where it starts and dropped where it
    # ends: linear in the spans (a paragraph of thousands of "Fig. 1" stays quick).
    changes: dict[int, list[tuple[int, int, tuple[int, str] | None, int]]] = (
        collections.defaultdict(list)
    )  # boundary -> (+1 opens / -1 closes, hit?, mark (size, colour), figure)
    for a, b in hits:
        changes[a].append((1, 1, None, 0))
        changes[b].append((-1, 1, None, 0))
    for a, b, colour, size in marks:
        changes[a].append((1, 0, (size, colour), 0))
        changes[b].append((-1, 0, (size, colour), 0))
    for a, b, figure in links:
        changes[a].append((1, 0, None, figure))
        changes[b].append((-1, 0, None, figure))
    bounds = sorted({0, len(text), *changes})
    hit_count = 0
    colours: collections.Counter[tuple[int, str]] = collections.Counter()
    figures: collections.Counter[int] = collections.Counter()
    # Each piece between two boundaries: whether a hit covers it, its mark's colour, and
    # the figure it links to (0: none).
    styled: list[tuple[int, int, bool, str, int]] = []
    for start, end in itertools.pairwise(bounds):
        for step, is_hit, mark, figure_number in changes.get(start, ()):
            hit_count += step * is_hit
            if mark is not None:
                colours[mark] += step
                if not colours[mark]:
                    del colours[mark]
            if figure_number:
                figures[figure_number] += step
                if not figures[figure_number]:
                    del figures[figure_number]
        hit = hit_count > 0
        colour = min(colours)[1] if colours else ""
        figure = min(figures, default=0)
        if styled and styled[-1][2:] == (hit, colour, figure):
            styled[-1] = (styled[-1][0], end, hit, colour, figure)  # one span for a run alike
        else:
            styled.append((start, end, hit, colour, figure))
    out: list[str] = []
    for start, end, hit, colour, figure in styled:
        piece = html.escape(text[start:end])
        if hit:
            piece = f'<span class="hit">{piece}</span>'
        if colour:
            piece = f'<span class="mark-{colour}">{piece}</span>'
        if figure:
            piece = f'<a href="{FIGURE_LINK.format(figure)}">{piece}</a>'
        out.append(piece)
    return "".join(out)


def mark_colour(colour: str, theme: Theme) -> str:
    """A highlight colour as drawn on the page: the palette's shade mixed into the page's
    background at the theme's `mark_alpha` (``#rrggbb``)."""
    shade, paper = COLOURS[colour].hex, theme.background
    mixed = (
        round(theme.mark_alpha * int(shade[i : i + 2], 16)
              + (1 - theme.mark_alpha) * int(paper[i : i + 2], 16))
        for i in (1, 3, 5)
    )  # fmt: skip
    return "#" + "".join(f"{value:02x}" for value in mixed)


def _document(title: str, body: str, theme: Theme, *, extra_css: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html><head>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{_stylesheet(theme)}{extra_css}</style>"
        f"</head><body>\n{body}\n</body></html>"
    )


def _pt(theme: Theme, factor: float) -> str:
    return f"{theme.base_point_size * factor:.1f}pt"


def _stylesheet(theme: Theme) -> str:
    """The page CSS, built only from validated hex colours and numbers (no url(), no import)."""
    t = theme
    rules = {
        "body": f"color: {t.text}; background-color: {t.background}; font-size: {_pt(t, 1.0)};",
        "p": "line-height: 145%; margin-top: 0px; margin-bottom: 9px;",
        "li": "line-height: 140%; margin-bottom: 3px;",
        # No font-size on headings: Qt ignores it there and sizes h1-h6 from the document's
        # default font (h1 twice it, h2 1.5, h3 1.2 times), which the view sets to the
        # body's size (`CaseView`), so they grow with the text as it is zoomed.
        "h1": f"color: {t.accent}; font-weight: 600; margin-top: 4px; margin-bottom: 8px;",
        "h2": f"color: {t.accent}; font-weight: 700; "
        "text-transform: uppercase; letter-spacing: 1px; margin-top: 20px; margin-bottom: 6px;",
        "h3": f"color: {t.text}; font-weight: 600; margin-top: 12px; margin-bottom: 4px;",
        "h4, h5, h6": f"color: {t.text}; font-weight: 600;",
        "a": f"color: {t.link}; text-decoration: none;",
        "hr": f"color: {t.rule}; background-color: {t.rule}; height: 1px; border: none;",
        "blockquote": f"color: {t.muted}; margin-left: 16px;",
        "code, pre": "font-family: monospace;",
        "pre": f"background-color: {t.chip_background}; color: {t.chip_text};",
        ".chips": "margin-bottom: 6px;",
        ".chip": f"background-color: {t.chip_background}; color: {t.chip_text}; "
        f"font-size: {_pt(t, 0.85)}; padding: 2px 6px;",
        ".meta": f"color: {t.muted}; font-size: {_pt(t, 0.85)}; line-height: 125%; "
        "margin-bottom: 2px;",
        ".footer": f"color: {t.muted}; font-size: {_pt(t, 0.8)}; margin-top: 6px;",
        ".hit": f"background-color: {t.hit_background}; color: {t.hit_text};",
        ".plain": "font-family: monospace; white-space: pre-wrap;",
        ".figures": "margin-top: 2px; margin-bottom: 4px;",
        ".thumb": "padding-right: 14px; padding-bottom: 14px;",
        ".caption": "padding-bottom: 14px;",
        ".figlabel": f"color: {t.text}; font-size: {_pt(t, 0.9)}; font-weight: 600; "
        "margin-bottom: 3px;",
        ".legend": "margin-bottom: 0px;",
        # A proportional line height would stretch the image's line too.
        ".thumbnail": "line-height: 100%; margin-bottom: 0px;",
        ".nofigure": f"color: {t.muted}; font-size: {_pt(t, 0.85)}; font-style: italic; "
        "line-height: 125%; margin-bottom: 0px;",
        **{f".mark-{name}": f"background-color: {mark_colour(name, t)};" for name in COLOURS},
    }
    return "\n".join(f"{selector} {{ {body} }}" for selector, body in rules.items())


# --- Notes ---------------------------------------------------------------------------------


def note_html(markdown_text: str, *, theme: Theme) -> NoteRendering:
    """A note (Markdown) as a sanitised HTML document, or as escaped plain text if unsafe.

    Never raises on any text. Runs in a worker process in the UI, hence str in, dataclass out.
    """
    text = _clean(markdown_text)
    if len(text) > MAX_PREVIEW_CHARS:
        kilobytes = math.ceil(len(text) / 1024)
        return plain_note(
            text, theme, f"Note too long to preview ({kilobytes} KB); shown as plain text"
        )
    too_deep = "Note nested too deeply to preview; shown as plain text"
    import markdown  # type: ignore[import-untyped]  # no stubs shipped; loaded only when needed
    import nh3

    try:
        rendered = markdown.markdown(
            text,
            extensions=["sane_lists", "fenced_code", "tables"],
            # align="left" rather than a style attribute: notes carry no style at all.
            extension_configs={"tables": {"use_align_attribute": True}},
        )
    except RecursionError:
        return plain_note(text, theme, too_deep)
    cleaned = nh3.clean(
        rendered,
        # An img is kept only to be turned into its placeholder below: with its alt text
        # and nothing else (no src, so nothing could ever be fetched).
        tags=NOTE_TAGS | {"img"},
        attributes={**NOTE_ATTRIBUTES, "img": {"alt"}},  # nh3 wants real dicts and sets
        tag_attribute_values={
            tag: {name: set(values) for name, values in allowed.items()}
            for tag, allowed in NOTE_ATTRIBUTE_VALUES.items()
        },
        url_schemes=NOTE_URL_SCHEMES,
        # Relative links would resolve against the document base (maybe a local folder).
        url_relative="deny",
        link_rel=None,
        strip_comments=True,
    )
    rewriter = _NoteRewriter()
    rewriter.feed(cleaned)
    rewriter.close()
    if rewriter.max_depth > MAX_DEPTH:
        return plain_note(text, theme, too_deep)
    if rewriter.max_table_depth > MAX_TABLE_DEPTH:
        return plain_note(text, theme, "Note has a table inside a table; shown as plain text")
    if rewriter.cells > MAX_TABLE_CELLS:
        return plain_note(
            text,
            theme,
            f"Note has too many table cells to preview ({rewriter.cells:,} > "
            f"{MAX_TABLE_CELLS:,}); shown as plain text",
        )
    return NoteRendering(
        html=_document("Note", rewriter.html(), theme, extra_css=_note_stylesheet(theme)),
        plain_fallback=False,
        message=None,
    )


def _note_stylesheet(theme: Theme) -> str:
    """What a note has and a case page has not: tables, inline code, image placeholders."""
    t = theme
    rules = {
        # Code, inline or in a block, on the chip colours: readable on either page.
        "code": f"background-color: {t.chip_background}; color: {t.chip_text};",
        "table": f"border-collapse: collapse; border-width: 1px; border-style: solid; "
        f"border-color: {t.muted}; margin-top: 2px; margin-bottom: 9px;",
        "th, td": f"border-width: 1px; border-style: solid; border-color: {t.muted}; "
        "padding: 3px 7px;",
        "th": f"background-color: {t.chip_background}; color: {t.chip_text}; font-weight: 600;",
        # Italic in the body font (code is upright, monospace); muted on a chip would be too
        # faint on the dark page.
        ".image": f"background-color: {t.chip_background}; color: {t.chip_text}; "
        "font-style: italic;",
    }
    return "\n" + "\n".join(f"{selector} {{ {body} }}" for selector, body in rules.items())


def note_theme(*, dark: bool, point_size: float) -> Theme:
    """The note preview's theme: light or dark, at the reader's text size."""
    return dataclasses.replace(DARK if dark else LIGHT, base_point_size=point_size)


def plain_note(text: str, theme: Theme, message: str) -> NoteRendering:
    """A note shown as escaped plain text, with the reason it was not rendered."""
    blocks = [b for b in _PARAGRAPH_BREAK.split(text.strip("\n")) if b.strip()]
    body = "".join(
        '<p class="plain">'
        + "<br>".join(html.escape(_soft_break(line)) for line in block.split("\n"))
        + "</p>"
        for block in blocks
    )
    return NoteRendering(html=_document("Note", body, theme), plain_fallback=True, message=message)


class _NoteRewriter(HTMLParser):
    """Re-serialises nh3's output: measures nesting depth and tables, soft-breaks long text
    runs, and turns each image into a placeholder that shows its alt text.

    It also re-applies the allow-list, so a future nh3 default change cannot widen it.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._depth = 0
        self._table_depth = 0
        self._in_pre = 0
        self.max_depth = 0
        self.max_table_depth = 0
        #: Table cells (th and td) in the note.
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self._image(dict(attrs).get("alt"))
            return
        if tag not in NOTE_TAGS:
            return
        allowed = NOTE_ATTRIBUTES.get(tag, frozenset())
        values = NOTE_ATTRIBUTE_VALUES.get(tag, {})
        rendered = "".join(
            f' {name}="{html.escape(value, quote=True)}"'
            for name, value in attrs
            if value is not None and (name in allowed or value in values.get(name, ()))
        )
        self._out.append(f"<{tag}{rendered}>")
        if tag not in _VOID_TAGS:
            self._depth += 1
            self.max_depth = max(self.max_depth, self._depth)
        if tag == "table":
            self._table_depth += 1
            self.max_table_depth = max(self.max_table_depth, self._table_depth)
        elif tag == "pre":
            self._in_pre += 1
        elif tag in ("th", "td"):
            self.cells += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in NOTE_TAGS and tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in NOTE_TAGS and tag not in _VOID_TAGS:
            if tag == "code" and self._in_pre and self._out and self._out[-1].endswith("\n"):
                # A code block's last newline would show as an empty shaded line.
                self._out[-1] = self._out[-1][:-1]
            self._out.append(f"</{tag}>")
            self._depth = max(0, self._depth - 1)
            if tag == "table":
                self._table_depth = max(0, self._table_depth - 1)
            elif tag == "pre":
                self._in_pre = max(0, self._in_pre - 1)

    def handle_data(self, data: str) -> None:
        self._out.append(html.escape(_soft_break(data)))

    def _image(self, alt: str | None) -> None:
        """An image is never loaded, but it does not vanish: "[image: its alt text]"."""
        words = " ".join((alt or "").split())
        label = f"[image: {words}]" if words else "[image]"
        self._out.append(f'<span class="image">{html.escape(_soft_break(label))}</span>')
        self.max_depth = max(self.max_depth, self._depth + 1)

    def html(self) -> str:
        return "".join(self._out)
