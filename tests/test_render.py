"""Rendering cases and notes to HTML: structure on the seed, and nothing active ever (C, D)."""

from __future__ import annotations

import datetime as dt
import html
import pickle
import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.eurorad_text import parse_eurorad_text
from desktop.model import Author, Case, DiscussionPart, Patient
from desktop.render import (
    DARK,
    LIGHT,
    MAX_DEPTH,
    MAX_PREVIEW_CHARS,
    MAX_TABLE_CELLS,
    MAX_TABLE_DEPTH,
    NOTE_ATTRIBUTE_VALUES,
    NOTE_ATTRIBUTES,
    NOTE_TAGS,
    NOTE_URL_SCHEMES,
    Theme,
    case_html,
    note_html,
)
from tests.conftest import SEED_CASE
from tests.tools import shared_path

ZWSP = "\u200b"
NBSP = "\xa0"
SEED_DOI_LINK = "https://doi.org/10.1594/EURORAD/CASE.8455"
#: Tags a case page may contain.
CASE_TAGS = {
    "html", "head", "title", "style", "body", "h1", "h2", "h3", "p", "span", "a", "sup",
    "ul", "ol", "li", "br", "hr",
}  # fmt: skip
DOCUMENT_TAGS = {"html", "head", "title", "style", "body"}
HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="http://example.com/x.png">',
    '<img src="file:///etc/passwd">',
    '<a href="javascript:alert(1)">x</a>',
    "<style>@import url(http://x)</style>",
    '<link rel=stylesheet href="http://x/s.css">',
    '<td background="http://x/t.png" style="font-size:100000px">',
]
#: What must never appear in markup (tags, attributes, stylesheet), whatever the text says.
FORBIDDEN_IN_MARKUP = ("<script", "<img", "<iframe", "<link", "javascript:", "@import", "url(")


@dataclass
class Page:
    """An HTML document taken apart: tags, attributes, text, stylesheet, markup skeleton."""

    tags: list[str] = field(default_factory=list)
    attrs: list[tuple[str, str, str | None]] = field(default_factory=list)
    text: str = ""
    style: str = ""
    #: The markup with all text removed (style content kept): where active content would be.
    skeleton: str = ""
    comments: list[str] = field(default_factory=list)
    #: Text per element class / tag, e.g. "span.chip", "h2", "h1".
    texts: dict[str, list[str]] = field(default_factory=dict)
    #: Paragraph count per section anchor.
    paragraphs: dict[str, int] = field(default_factory=dict)

    @property
    def hrefs(self) -> list[str | None]:
        return [value for _, name, value in self.attrs if name == "href"]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._open: list[str] = []
        self._section = ""
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        page = self.page
        page.tags.append(tag)
        page.attrs.extend((tag, name, value) for name, value in attrs)
        page.skeleton += self.get_starttag_text() or ""
        values = dict(attrs)
        if tag == "a" and values.get("name"):
            self._section = values["name"] or ""
        if tag == "hr":
            self._section = "footer"
        if tag == "p":
            page.paragraphs[self._section] = page.paragraphs.get(self._section, 0) + 1
        if tag not in {"br", "hr"}:
            key = f"{tag}.{values['class']}" if values.get("class") else tag
            self._open.append(key)
            page.texts.setdefault(key, []).append("")

    def handle_endtag(self, tag: str) -> None:
        self.page.skeleton += f"</{tag}>"
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "style":
            self.page.style += data
            self.page.skeleton += data
            return
        self.page.text += data
        for key in set(self._open):
            self.page.texts[key][-1] += data

    def handle_comment(self, data: str) -> None:
        self.page.comments.append(data)


def parse(document: str) -> Page:
    parser = _Parser()
    parser.feed(document)
    parser.close()
    return parser.page


def squeeze(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").replace(ZWSP, "").split())


@pytest.fixture(scope="module")
def seed() -> Case:
    return parse_eurorad_text(decode_case_bytes(shared_path(SEED_CASE).read_bytes()).text)


def full_case(**changes: Any) -> Case:
    """A case with every field filled, discussion sub-headings and references included."""
    case = Case(
        source="lightbox",
        source_id="demo-1",
        title="Ménétrier disease",
        published=dt.date(2020, 1, 31),
        section="Abdominal imaging",
        authors=(Author("Doe J", (1, 2)), Author("Roe R", (2,))),
        affiliations=("First Hospital", "Second Hospital"),
        patient=Patient(age="45 years", age_days=None, sex="female"),
        clinical_history="Epigastric pain.\n\nWeight loss.",
        imaging_findings="Thick gastric folds.",
        discussion=(
            DiscussionPart(None, "Opening paragraph."),
            DiscussionPart("Background", "Rare disease.\n\nOf unknown cause."),
            DiscussionPart("Take Home Message", "Think of it."),
        ),
        differential_diagnosis=("Lymphoma", "Zollinger-Ellison syndrome"),
        final_diagnosis="Ménétrier disease",
        references=("Ref one.", "Ref two."),
        doi="10.1594/EURORAD/CASE.1",
        issn="1563-4086",
        license="CC BY-NC-SA 4.0",
    )
    return replace(case, **changes)


def hits(document: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<span class="hit">(.*?)</span>', document)]


# --- the seed case ------------------------------------------------------------------------


def test_seed_headings_and_anchors_in_order(seed: Case) -> None:
    page = parse(case_html(seed, theme=LIGHT))
    assert page.texts["h1"] == ["Iatrogenic neonatal calcinosis cutis"]
    assert page.texts["h2"] == [
        "Clinical History",
        "Imaging Findings",
        "Discussion",
        "Differential Diagnosis",
        "Final Diagnosis",
    ]
    names = [value for tag, name, value in page.attrs if tag == "a" and name == "name"]
    assert names == ["history", "findings", "discussion", "differential", "diagnosis"]
    ids = [value for tag, name, value in page.attrs if tag == "h2" and name == "id"]
    assert ids == names


def test_seed_doi_link_is_the_only_href(seed: Case) -> None:
    page = parse(case_html(seed, theme=LIGHT))
    assert page.hrefs == [SEED_DOI_LINK]
    assert set(page.tags) <= CASE_TAGS


def test_seed_chips_byline_and_footer(seed: Case) -> None:
    page = parse(case_html(seed, theme=LIGHT))
    chips = [squeeze(chip) for chip in page.texts["span.chip"]]
    assert chips == [
        "Paediatric radiology",
        "24 days · male",
        "Published 7 Aug 2011",
        "eurorad:8455",
    ]
    meta = [squeeze(m) for m in page.texts["p.meta"]]
    assert meta[0] == "Arora A1, Jain V2, Bhutani R3"
    assert page.texts["sup"][:3] == ["1", "2", "3"]
    affiliations = [squeeze(m) for m in page.texts["p.meta affiliation"]]
    assert len(affiliations) == 3 and affiliations[0].startswith("1 Department of Radiodiagnosis")
    footer = squeeze(page.texts["p.footer"][0])
    assert footer == "DOI 10.1594/EURORAD/CASE.8455 · ISSN 1563-4086"


def test_seed_paragraphs(seed: Case) -> None:
    page = parse(case_html(seed, theme=LIGHT))
    assert page.paragraphs["discussion"] == 4
    assert page.paragraphs["history"] == 1
    assert page.paragraphs["findings"] == 1
    assert page.paragraphs["diagnosis"] == 1
    assert squeeze(page.texts["li"][0]) == "Iatrogenic calcinosis cutis"


def test_one_themed_stylesheet_in_head(seed: Case) -> None:
    for theme in (LIGHT, DARK):
        document = case_html(seed, theme=theme)
        page = parse(document)
        assert page.tags.count("style") == 1
        assert document.index("<style>") < document.index("</head>")
        assert theme.background in page.style and theme.accent in page.style
        assert "url(" not in page.style and "@import" not in page.style


def test_full_case_sections_and_subheadings() -> None:
    page = parse(case_html(full_case(), theme=DARK))
    assert page.texts["h2"][-1] == "References"
    assert page.texts["h3"] == ["Background", "Take Home Message"]
    assert page.paragraphs["discussion"] == 4
    assert page.paragraphs["history"] == 2
    assert [squeeze(li) for li in page.texts["li"]] == [
        "Lymphoma",
        "Zollinger-Ellison syndrome",
        "Ref one.",
        "Ref two.",
    ]
    assert page.texts["sup"][:2] == ["1,2", "2"]
    assert squeeze(page.texts["span.chip"][1]) == "45 years · female"
    assert "Licence: CC BY-NC-SA 4.0" in squeeze(page.texts["p.footer"][0])


def test_empty_sections_are_omitted() -> None:
    bare = Case(source="lightbox", source_id="x", title="Only a title")
    page = parse(case_html(bare, theme=LIGHT))
    assert "h2" not in page.tags and "hr" not in page.tags and "a" not in page.tags
    assert [squeeze(c) for c in page.texts["span.chip"]] == ["lightbox:x"]
    blank = full_case(clinical_history=" \n\n ", references=("", " "), discussion=())
    headings = parse(case_html(blank, theme=LIGHT)).texts["h2"]
    assert "Clinical History" not in headings
    assert "References" not in headings and "Discussion" not in headings


def test_show_diagnosis_false_hides_diagnosis_and_differential() -> None:
    case = full_case(final_diagnosis="Spoiler-diagnosis", differential_diagnosis=("Spoiler-ddx",))
    document = case_html(case, theme=LIGHT, show_diagnosis=False)
    page = parse(document)
    assert "Final Diagnosis" not in page.texts["h2"]
    assert "Differential Diagnosis" not in page.texts["h2"]
    assert "Spoiler" not in document
    assert "ul" not in page.tags
    assert page.texts["h2"][-1] == "References"


# --- hostile case text (C1, C2, C5, C11) -------------------------------------------------------


def hostile_case() -> Case:
    bad = " ".join(HOSTILE)
    return Case(
        source="eurorad",
        source_id="666",
        title=bad,
        section=bad,
        authors=(Author(bad, (1,)),),
        affiliations=(bad,),
        patient=Patient(age=bad, sex=None),
        clinical_history=f"{bad}\n\n{HOSTILE[0]}",
        imaging_findings=bad,
        discussion=(DiscussionPart(bad, bad),),
        differential_diagnosis=(bad,),
        final_diagnosis=bad,
        references=(bad,),
        doi='10.1594/x"><script>alert(1)</script>',
        issn=bad,
        license=bad,
    )


def test_hostile_case_text_is_shown_literally_never_interpreted() -> None:
    document = case_html(hostile_case(), theme=LIGHT, highlight=["script", "img"])
    page = parse(document)
    lowered = page.skeleton.lower()
    for needle in FORBIDDEN_IN_MARKUP:
        assert needle not in lowered, needle
    assert "<script" not in document.lower() and "<img" not in document.lower()
    assert "&lt;script&gt;" in document
    assert set(page.tags) <= CASE_TAGS
    assert {name for _, name, _ in page.attrs} <= {"class", "id", "name", "href"}
    assert page.hrefs == ["https://doi.org/10.1594/x%22%3E%3Cscript%3Ealert%281%29%3C/script%3E"]
    assert not page.comments
    # The characters themselves are all there, as text.
    for snippet in HOSTILE:
        assert snippet in page.text.replace(ZWSP, "")


def test_doi_that_is_not_a_doi_gets_no_link() -> None:
    for doi in ("javascript:alert(1)", "http://evil.example/x", "not a doi"):
        page = parse(case_html(full_case(doi=doi), theme=LIGHT))
        assert page.hrefs == []
    page = parse(case_html(full_case(doi="https://doi.org/10.1000/abc"), theme=LIGHT))
    assert page.hrefs == ["https://doi.org/10.1000/abc"]


def test_control_characters_and_lone_surrogates_are_replaced() -> None:
    document = case_html(full_case(title="a\x00b\x02c\ud800d"), theme=LIGHT)
    assert "\x00" not in document and "\ud800" not in document
    assert "a\ufffdb\ufffdc\ufffdd" in document
    document.encode("utf-8")  # Qt gets it as a QString: must be valid Unicode


# --- long tokens (C8) --------------------------------------------------------------------------


def test_long_tokens_get_zero_width_spaces() -> None:
    token = "x" * 1000
    page = parse(case_html(full_case(imaging_findings=f"see {token} here"), theme=LIGHT))
    findings = next(t for t in page.texts["p"] if "see" in t)
    assert findings.replace(ZWSP, "") == f"see {token} here"
    assert max(len(run) for run in re.split(rf"[\s{ZWSP}]", findings)) == 80
    assert findings.count(ZWSP) == 12


def test_tokens_up_to_80_are_left_alone() -> None:
    document = case_html(full_case(imaging_findings="y" * 80 + " " + "z" * 81), theme=LIGHT)
    assert "y" * 80 in document
    assert "z" * 80 + ZWSP + "z" in document


def test_megabyte_token_renders_quickly() -> None:
    document = case_html(full_case(imaging_findings="&" * 1_000_000), theme=LIGHT, highlight=["&"])
    assert ZWSP in document and "&&" not in document


# --- highlighting ------------------------------------------------------------------------------


def test_highlight_marks_word_prefixes_case_insensitively(seed: Case) -> None:
    document = case_html(seed, theme=LIGHT, highlight=["calcin"])
    assert '<h1>Iatrogenic neonatal <span class="hit">calcin</span>osis cutis</h1>' in document
    assert '<span class="hit">Calcin</span>osis cutis is a term' in document
    found = hits(case_html(seed, theme=LIGHT, highlight=["CALCIN"]))
    assert found and {h.lower() for h in found} == {"calcin"}


def test_highlight_only_at_word_starts() -> None:
    case = full_case(title="Calcinosis, precalcinosis and calcium-calcinosis")
    page = case_html(case, theme=LIGHT, highlight=["calcin"])
    title = page[page.index("<h1>") : page.index("</h1>")]
    assert hits(title) == ["Calcin", "calcin"]
    assert "pre<span" not in title


def test_highlight_ignores_diacritics_both_ways() -> None:
    accented = case_html(full_case(), theme=LIGHT, highlight=["menetrier"])
    assert '<h1><span class="hit">Ménétrier</span> disease</h1>' in accented
    plain = case_html(full_case(title="Menetrier disease"), theme=LIGHT, highlight=["Ménétrier"])
    assert '<h1><span class="hit">Menetrier</span> disease</h1>' in plain
    decomposed = case_html(full_case(title="Me\u0301ne\u0301trier"), theme=LIGHT, highlight=["men"])
    assert hits(decomposed)[0] == "M\u00e9n"  # case text is shown in NFC (desktop.sections)


def test_highlight_terms_are_not_regexes_and_stay_escaped() -> None:
    case = full_case(title="c++( and <b>bold</b> & co", imaging_findings="a.*b (x|y) [z]")
    terms = ["c++(", "<b", "&", ".*", "(x|y", "[", "\\", "*", "(?P<x>", ""]
    document = case_html(case, theme=LIGHT, highlight=terms)
    title = document[document.index("<h1>") : document.index("</h1>")]
    assert '<span class="hit">c++(</span>' in title
    assert '<span class="hit">&lt;b</span>' in title
    assert '<span class="hit">&amp;</span>' in title
    assert "<b>" not in document
    assert set(parse(document).tags) <= CASE_TAGS


def test_highlight_bare_string_is_one_term() -> None:
    document = case_html(full_case(), theme=LIGHT, highlight="lymph")
    assert hits(document) == ["Lymph"]


# --- themes ------------------------------------------------------------------------------------


def _contrast(one: str, two: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_theme_is_readable_without_extremes(theme: Theme) -> None:
    assert 7 <= _contrast(theme.text, theme.background) < 17  # AAA, but not pure black/white
    for colour in (theme.muted, theme.accent, theme.link):
        assert _contrast(colour, theme.background) >= 4.5
    assert _contrast(theme.chip_text, theme.chip_background) >= 4.5
    assert _contrast(theme.hit_text, theme.hit_background) >= 4.5


def test_theme_rejects_anything_but_hex_colours() -> None:
    with pytest.raises(ValueError, match="#rrggbb"):
        replace(LIGHT, accent="red; background-image: url(http://x)")
    with pytest.raises(ValueError, match="#rrggbb"):
        replace(DARK, text="#fff")
    with pytest.raises(ValueError, match="base_point_size"):
        replace(LIGHT, base_point_size=1000.0)


# --- notes (D) ---------------------------------------------------------------------------------


def note_page(markdown_text: str) -> Page:
    rendering = note_html(markdown_text, theme=LIGHT)
    assert not rendering.plain_fallback, rendering.message
    return parse(rendering.html)


def assert_note_is_inert(document: str) -> None:
    page = parse(document)
    assert set(page.tags) <= NOTE_TAGS | DOCUMENT_TAGS
    # No src, no on* handler, no style: the only free attribute is a lightbox: href (its path
    # may say anything, e.g. "lightbox:javascript:"; the UI's lightbox: handler parses it
    # strictly); the others are a cell's align and the image placeholder's class, fixed values.
    for tag, name, value in page.attrs:
        if name in NOTE_ATTRIBUTE_VALUES.get(tag, {}):
            assert value in NOTE_ATTRIBUTE_VALUES[tag][name], (tag, name, value)
            continue
        assert (tag, name) == ("a", "href"), (tag, name, value)
        assert value is not None and value.lower().startswith("lightbox:"), value
    assert not page.comments
    assert "url(" not in page.style and "@import" not in page.style
    # Text is escaped, so these could only appear as markup.
    lowered = document.lower()
    for needle in ("<script", "<iframe", "<img", "<svg", "<object", "<embed", "<link"):
        assert needle not in lowered, needle


@pytest.mark.parametrize(
    "note",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<iframe src="http://example.com/"></iframe>',
        "<svg onload=alert(1)><circle r=9></circle></svg>",
        "<!-- <script>alert(1)</script> -->",
        "text <!-- hidden --> more",
        '<p onclick="alert(1)" style="font-size:100000px" title="t" lang="en">p</p>',
        '<object data="http://x"></object><embed src="http://x"><form action="http://x">',
        "<table><tr><td background=http://x/t.png>cell</td></tr></table>",
        '<link rel=stylesheet href="http://x/s.css"><style>@import url(http://x)</style>',
        "<meta http-equiv=refresh content='0;url=http://x'>",
    ],
)
def test_d1_raw_html_in_notes_is_removed(note: str) -> None:
    rendering = note_html(f"before\n\n{note}\n\nafter", theme=LIGHT)
    assert not rendering.plain_fallback
    assert_note_is_inert(rendering.html)
    assert "alert" not in rendering.html
    text = parse(rendering.html).text
    assert "before" in text and "after" in text


@pytest.mark.parametrize(
    "note",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](file:///etc/passwd)",
        "[x](http://example.com)",
        "[x](https://example.com)",
        "[x](data:text/html,hi)",
        "[x](relative.html)",
        "[x](//example.com/x)",
        "[x](#anchor)",
        "[x][r]\n\n[r]: http://example.com",
    ],
)
def test_d2_links_lose_their_target_but_keep_their_text(note: str) -> None:
    page = note_page(note)
    assert page.hrefs == [] and page.tags.count("a") == 1
    assert squeeze(page.text).endswith("x")


def test_d2_autolink_is_shown_as_text() -> None:
    page = note_page("<http://example.com>")
    assert page.hrefs == [] and "http://example.com" in page.text


def test_d2_lightbox_links_keep_their_target() -> None:
    page = note_page("See [the seed](lightbox:case/eurorad:8455) and [it](LIGHTBOX:case/x).")
    assert page.hrefs == ["lightbox:case/eurorad:8455", "LIGHTBOX:case/x"]
    assert "the seed" in page.text


def test_d3_images_are_never_requested() -> None:
    rendering = note_html(
        "![scan](http://evil/track.png)\n\n![x][i]\n\n[i]: file:///x.png", theme=LIGHT
    )
    assert "<img" not in rendering.html and "src=" not in rendering.html
    assert "track.png" not in rendering.html
    assert_note_is_inert(rendering.html)


def test_d6_allow_list_is_pinned() -> None:
    assert NOTE_TAGS == {
        "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a", "del", "s", "sup", "sub",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }  # fmt: skip
    assert dict(NOTE_ATTRIBUTES) == {"a": {"href"}, "*": set()}
    assert {tag: dict(values) for tag, values in NOTE_ATTRIBUTE_VALUES.items()} == {
        "th": {"align": {"left", "center", "right"}},
        "td": {"align": {"left", "center", "right"}},
        "span": {"class": {"image"}},
    }
    assert NOTE_URL_SCHEMES == {"lightbox"}
    assert MAX_PREVIEW_CHARS == 65536 and MAX_DEPTH == 32
    assert MAX_TABLE_CELLS == 1000 and MAX_TABLE_DEPTH == 1


def test_markdown_renders_the_usual_things() -> None:
    note = (
        "# Title\n\nSome **bold**, *em*, `code`.\n\n> quoted\n\n1. one\n2. two\n\n"
        "- a\n- b\n\n---\n\n```python\n<b>not bold</b>\n```\n"
    )
    rendering = note_html(note, theme=DARK)
    page = parse(rendering.html)
    for tag in ("h1", "strong", "em", "code", "blockquote", "ol", "ul", "li", "hr", "pre"):
        assert tag in page.tags, tag
    assert "&lt;b&gt;not bold&lt;/b&gt;" in rendering.html
    assert "b" not in page.tags
    assert DARK.background in page.style
    assert rendering.message is None


def test_note_long_tokens_soft_break_text_but_not_links() -> None:
    target = "lightbox:case/" + "k" * 200
    page = note_page(f"{'w' * 200}\n\n[link]({target})")
    assert page.hrefs == [target]
    assert ZWSP in page.text and page.text.replace(ZWSP, "").count("w" * 200) == 1


def test_note_too_long_falls_back_to_plain_text() -> None:
    note = ("<script>x</script> [a](javascript:b)\n" * 2000)[: 70 * 1024]
    rendering = note_html(note, theme=LIGHT)
    assert rendering.plain_fallback
    assert rendering.message == "Note too long to preview (70 KB); shown as plain text"
    assert "&lt;script&gt;" in rendering.html and "<script" not in rendering.html
    page = parse(rendering.html)
    assert set(page.tags) <= DOCUMENT_TAGS | {"p", "br"} and page.hrefs == []


def test_note_at_the_limit_is_still_rendered() -> None:
    note = ("word " * 20_000)[:MAX_PREVIEW_CHARS]
    assert not note_html(note, theme=LIGHT).plain_fallback


def test_note_nested_too_deeply_falls_back_to_plain_text() -> None:
    rendering = note_html(">" * 100 + " deep", theme=LIGHT)
    assert rendering.plain_fallback
    assert rendering.message == "Note nested too deeply to preview; shown as plain text"
    assert "deep" in parse(rendering.html).text
    assert not note_html(">" * 10 + " fine", theme=LIGHT).plain_fallback
    assert note_html("<b>" * 200 + "x", theme=LIGHT).plain_fallback


def test_note_with_control_characters_and_surrogates() -> None:
    rendering = note_html("a\x00b \x02wzxhzdk:0\x03 \ud800 <b>x</b>", theme=LIGHT)
    assert "\ufffd" in rendering.html and "\x00" not in rendering.html
    rendering.html.encode("utf-8")
    assert_note_is_inert(rendering.html)


def test_note_rendering_crosses_process_boundaries() -> None:
    rendering = note_html("**hi**", theme=LIGHT)
    assert pickle.loads(pickle.dumps(rendering)) == rendering
    assert pickle.loads(pickle.dumps(LIGHT)) == LIGHT


# --- properties --------------------------------------------------------------------------------

#: Fragments that make Markdown and HTML parsers work hard.
_PIECES = st.sampled_from(
    [
        "<", ">", "</", "/>", "[", "]", "(", ")", "!", "*", "_", "`", "```", "#", "-", "\n",
        "\n\n", " ", "    ", "\t", '"', "'", "=", ":", "&", "&#", ";", "script", "img", "src",
        "onerror", "javascript:", "lightbox:", "http://x", "<!--", "-->", "<a href=", "<svg ",
        "\\", "|", "x", "\x00", "\x02", "\x03", "é", "\u202e",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_note_html_never_raises_and_stays_inert(note: str) -> None:
    assert_note_is_inert(note_html(note, theme=LIGHT).html)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=300).map("".join))
def test_note_html_markup_soup_stays_inert(note: str) -> None:
    assert_note_is_inert(note_html(note, theme=DARK).html)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(_PIECES, max_size=100).map("".join),
    st.lists(st.text(max_size=8), max_size=4),
)
def test_case_html_never_interprets_text(text: str, terms: list[str]) -> None:
    case = full_case(title=text, clinical_history=text, references=(text,))
    page = parse(case_html(case, theme=LIGHT, highlight=terms))
    assert set(page.tags) <= CASE_TAGS
    assert page.hrefs == ["https://doi.org/10.1594/EURORAD/CASE.1"]
    lowered = page.skeleton.lower()
    assert not any(needle in lowered for needle in FORBIDDEN_IN_MARKUP)
