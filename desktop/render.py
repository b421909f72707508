"""Cases and notes as HTML for Qt's rich-text engine (QTextBrowser), with nothing active in it.

QTextBrowser is not a browser: it reads a small HTML4/CSS2 subset, runs no scripts, but will
fetch images and stylesheets on its own. The UI blocks those fetches; this module makes sure
the HTML never asks for one in the first place:

* Case text is always escaped, never interpreted. The only link in a case page is the DOI
  link we build (``https://doi.org/...``). There are no images, no ``url()``, no imports;
  the one ``<style>`` element is generated from a `Theme` whose colours are validated hex.
* Notes are Markdown: rendered with two harmless extensions, then cleaned by nh3 with an
  explicit allow-list (`NOTE_TAGS`, `NOTE_ATTRIBUTES`, `NOTE_URL_SCHEMES`) so only
  ``lightbox:`` links keep their target. Notes too large or nested too deeply fall back to
  escaped plain text with a message.

Long unbroken tokens get zero-width spaces (Qt's line breaker is superlinear in token length:
a 1 MB token takes close to a minute), and element depth is bounded for the same reason.

Everything here is pure Python (no Qt), so `note_html` can run in a worker process: it takes
a str and returns a picklable frozen dataclass.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
import math
import re
import types
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from html.parser import HTMLParser
from urllib.parse import quote

from desktop.model import Author, Case

__all__ = [
    "DARK",
    "LIGHT",
    "MAX_DEPTH",
    "MAX_PREVIEW_CHARS",
    "NOTE_ATTRIBUTES",
    "NOTE_TAGS",
    "NOTE_URL_SCHEMES",
    "SOFT_BREAK_EVERY",
    "NoteRendering",
    "Theme",
    "case_html",
    "note_html",
]

#: Notes longer than this (in characters) are shown as plain text, never given to Markdown.
MAX_PREVIEW_CHARS = 65536
#: Deepest element nesting a rendered note may have before it is shown as plain text.
MAX_DEPTH = 32
#: Runs of non-space characters longer than this get a zero-width space every so many chars.
SOFT_BREAK_EVERY = 80

#: Tags a rendered note may contain. Deliberately no img, table, span, div or style.
NOTE_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a", "del", "s", "sup", "sub",
    }
)  # fmt: skip
#: Attributes a rendered note may carry: href on links, nothing else. The empty "*" entry
#: matters: without it nh3 keeps its default generic attributes (title, lang) on every tag.
NOTE_ATTRIBUTES: Mapping[str, frozenset[str]] = types.MappingProxyType(
    {"a": frozenset({"href"}), "*": frozenset()}
)
#: The only URL scheme a note link may use; http, file, javascript... lose their href.
NOTE_URL_SCHEMES: frozenset[str] = frozenset({"lightbox"})

_ZWSP = "\u200b"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
#: C0 controls (except tab, newline, carriage return) and lone surrogates: Qt and nh3 either
#: choke on them or show garbage, and Markdown uses \x02/\x03 as internal placeholders.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LONG_RUN = re.compile(rf"\S{{{SOFT_BREAK_EVERY + 1},}}")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_VOID_TAGS = frozenset({"br", "hr"})

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

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "base_point_size":
                if not 4.0 <= float(value) <= 72.0:
                    raise ValueError(f"base_point_size {value!r} is outside 4..72")
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
)


@dataclass(frozen=True, slots=True)
class NoteRendering:
    """A rendered note: the HTML document, whether it fell back to plain text, and why."""

    html: str
    plain_fallback: bool
    message: str | None


# --- Case pages -------------------------------------------------------------------------


def case_html(
    case: Case,
    *,
    theme: Theme,
    highlight: Sequence[str] = (),
    show_diagnosis: bool = True,
) -> str:
    """One case as a full HTML document; every piece of case text is escaped.

    Args:
        case: The case to show.
        theme: Colours and font size.
        highlight: Search terms; each marks words it is a prefix of (case- and
            accent-insensitive) with ``<span class="hit">``.
        show_diagnosis: False hides the final diagnosis and the differential list (quiz mode).
    """
    terms = _fold_terms(highlight)

    def inline(text: str) -> str:
        return _inline(text, terms)

    def paragraphs(text: str) -> str:
        return "".join(f"<p>{_lines(block, terms)}</p>" for block in _split_paragraphs(text))

    parts: list[str] = [f"<h1>{inline(case.title)}</h1>"]
    chips = _chips(case)  # never empty: the case key is always there
    parts.append(
        '<p class="chips">'
        # Qt ignores padding on inline elements: non-breaking spaces pad the chip instead.
        + " &#160;".join(f'<span class="chip">&#160;{inline(c)}&#160;</span>' for c in chips)
        + "</p>"
    )
    byline = _byline(case.authors, inline)
    if byline:
        parts.append(f'<p class="meta">{byline}</p>')
    # Only number affiliations when authors refer to them (old exports have one block).
    numbered = any(a.affiliations for a in case.authors)
    for number, affiliation in enumerate(case.affiliations, start=1):
        if not affiliation.strip():
            continue
        mark = f"<sup>{number}</sup>&#160;" if numbered else ""
        parts.append(f'<p class="meta affiliation">{mark}{inline(affiliation)}</p>')

    def section(anchor: str, heading: str, body: str) -> None:
        if body:
            # Both forms: QTextBrowser.scrollToAnchor() looks up <a name>, id costs nothing.
            parts.append(f'<h2 id="{anchor}"><a name="{anchor}"></a>{heading}</h2>{body}')

    section("history", "Clinical History", paragraphs(case.clinical_history))
    section("findings", "Imaging Findings", paragraphs(case.imaging_findings))
    discussion: list[str] = []
    for part in case.discussion:
        if part.heading and part.heading.strip():
            discussion.append(f"<h3>{inline(part.heading)}</h3>")
        discussion.append(paragraphs(part.text))
    section("discussion", "Discussion", "".join(discussion))
    if show_diagnosis:
        items = [f"<li>{_lines(d, terms)}</li>" for d in case.differential_diagnosis if d.strip()]
        section("differential", "Differential Diagnosis", _list("ul", items))
        section("diagnosis", "Final Diagnosis", paragraphs(case.final_diagnosis))
    refs = [f"<li>{_lines(r, terms)}</li>" for r in case.references if r.strip()]
    section("references", "References", _list("ol", refs))
    footer = _footer(case, inline)
    if footer:
        parts.append(f'<hr><p class="footer">{footer}</p>')
    return _document(_clean(case.title), "\n".join(parts), theme)


def _list(tag: str, items: list[str]) -> str:
    return f"<{tag}>{''.join(items)}</{tag}>" if items else ""


def _chips(case: Case) -> list[str]:
    chips: list[str] = []
    if case.section and case.section.strip():
        chips.append(case.section.strip())
    patient = " · ".join(
        p.strip() for p in (case.patient.age, case.patient.sex) if p is not None and p.strip()
    )
    if patient:
        chips.append(patient)
    if case.published is not None:
        chips.append(f"Published {_format_date(case.published)}")
    chips.append(case.key)
    return chips


def _format_date(day: dt.date) -> str:
    # Not strftime("%b"): month names must not depend on the reader's locale.
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _byline(authors: Iterable[Author], inline: _Inline) -> str:
    names: list[str] = []
    for author in authors:
        if not author.name.strip():
            continue
        marks = ",".join(str(n) for n in author.affiliations)
        names.append(inline(author.name) + (f"<sup>{marks}</sup>" if marks else ""))
    return ", ".join(names)


def _footer(case: Case, inline: _Inline) -> str:
    items: list[str] = []
    if case.doi and case.doi.strip():
        doi = _normalise_doi(case.doi)
        if _DOI.fullmatch(doi):
            # The one link a case page may hold: fixed origin, DOI percent-encoded.
            href = html.escape("https://doi.org/" + quote(doi, safe="/"), quote=True)
            items.append(f'DOI <a href="{href}">{inline(doi)}</a>')
        else:
            items.append(f"DOI {inline(doi)}")
    if case.issn and case.issn.strip():
        items.append(f"ISSN {inline(case.issn.strip())}")
    if case.license and case.license.strip():
        items.append(f"Licence: {inline(case.license.strip())}")
    return " &#160;·&#160; ".join(items)


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
    return _UNSAFE_CHARS.sub("\ufffd", text)


def _soft_break(text: str) -> str:
    """Puts a zero-width space every SOFT_BREAK_EVERY chars inside over-long non-space runs."""

    def breaks(match: re.Match[str]) -> str:
        run = match.group()
        step = SOFT_BREAK_EVERY
        return _ZWSP.join(run[i : i + step] for i in range(0, len(run), step))

    return _LONG_RUN.sub(breaks, text)


def _split_paragraphs(text: str) -> list[str]:
    blocks = _PARAGRAPH_BREAK.split(_clean(text).strip())
    return [b.strip() for b in blocks if b.strip()]


def _lines(block: str, terms: Sequence[str]) -> str:
    # A single newline inside a paragraph is kept as a line break.
    return "<br>".join(_inline(line, terms) for line in block.split("\n"))


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One character as search sees it: case-folded, compatibility-decomposed, unaccented."""
    if char == _ZWSP:
        return ""
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def _fold_terms(terms: Sequence[str]) -> tuple[str, ...]:
    if isinstance(terms, str):  # a bare string is one term, not a list of letters
        terms = (terms,)
    folded = {_fold(_clean(t).strip()) for t in terms}
    # Longest first, so "calcinosis" wins over "calc" where both match at one place.
    return tuple(sorted((t for t in folded if t), key=lambda t: (-len(t), t)))


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
    text = _soft_break(_clean(text))
    out: list[str] = []
    position = 0
    for start, end in _hit_spans(text, terms):
        out.append(html.escape(text[position:start]))
        out.append(f'<span class="hit">{html.escape(text[start:end])}</span>')
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out)


# --- Documents and stylesheet --------------------------------------------------------------


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
        "h1": f"color: {t.accent}; font-size: {_pt(t, 1.65)}; font-weight: 600; "
        "margin-top: 4px; margin-bottom: 8px;",
        "h2": f"color: {t.accent}; font-size: {_pt(t, 0.95)}; font-weight: 700; "
        "text-transform: uppercase; letter-spacing: 1px; margin-top: 20px; margin-bottom: 6px;",
        "h3": f"color: {t.text}; font-size: {_pt(t, 1.05)}; font-weight: 600; "
        "margin-top: 12px; margin-bottom: 4px;",
        "h4, h5, h6": f"color: {t.text}; font-size: {_pt(t, 1.0)}; font-weight: 600;",
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
        rendered = markdown.markdown(text, extensions=["sane_lists", "fenced_code"])
    except RecursionError:
        return plain_note(text, theme, too_deep)
    cleaned = nh3.clean(
        rendered,
        tags=NOTE_TAGS,
        attributes=dict(NOTE_ATTRIBUTES),  # nh3 wants a real dict, not the read-only view
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
    return NoteRendering(
        html=_document("Note", rewriter.html(), theme), plain_fallback=False, message=None
    )


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
    """Re-serialises nh3's output: measures nesting depth and soft-breaks long text runs.

    It also re-applies the allow-list, so a future nh3 default change cannot widen it.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._depth = 0
        self.max_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in NOTE_TAGS:
            return
        allowed = NOTE_ATTRIBUTES.get(tag, frozenset())
        rendered = "".join(
            f' {name}="{html.escape(value, quote=True)}"'
            for name, value in attrs
            if name in allowed and value is not None
        )
        self._out.append(f"<{tag}{rendered}>")
        if tag not in _VOID_TAGS:
            self._depth += 1
            self.max_depth = max(self.max_depth, self._depth)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in NOTE_TAGS and tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in NOTE_TAGS and tag not in _VOID_TAGS:
            self._out.append(f"</{tag}>")
            self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        self._out.append(html.escape(_soft_break(data)))

    def html(self) -> str:
        return "".join(self._out)
