"""Fuzzing with hypothesis: decode → parse, the FTS query builder, and the note sanitiser.

* Arbitrary bytes and mutated copies of the seed case go through `decode_case_bytes` and
  `parse_eurorad_text`: only `CaseFormatError` may escape, and whatever parses renders inert.
* `fts_query` turns any text into a query whose every term is double-quoted (nothing an FTS5
  operator could act on outside quotes, except one trailing prefix `*`), and searching a real
  library with that text never raises.
* `note_html` on Markdown/HTML soup (links, images, raw tags, entity-encoded schemes, nested
  emphasis, code fences) leaves no active tag, no handler, no src and only lightbox: links.

test_properties.py and test_render.py hold the plain-text properties; these add structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.errors import CaseFormatError
from desktop.formats.eurorad_text import parse_eurorad_text
from desktop.importer import import_paths
from desktop.model import CaseFilter
from desktop.render import DARK, LIGHT, case_html, note_html
from desktop.store.cases import fts_query
from desktop.store.errors import QueryInvalid
from desktop.store.library import Library
from tests.conftest import SEED_CASE
from tests.tools import needs_shared, shared_bytes, shared_path

SEED = shared_bytes(SEED_CASE)
FUZZ = settings(max_examples=200, deadline=None)

# --- helpers ------------------------------------------------------------------------------------


class _Markup(HTMLParser):
    """Tags and attributes of a document, with character references resolved as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.style_text: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, name, value) for name, value in attrs)
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            del self._stack[self._stack.index(tag) :]

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1] == "style":
            self.style_text.append(data)


def markup(document: str) -> _Markup:
    parser = _Markup()
    parser.feed(document)
    parser.close()
    return parser


ACTIVE_TAGS = frozenset(
    {
        "script", "iframe", "img", "svg", "object", "embed", "style", "link", "math", "video",
        "audio", "source", "picture", "frame", "frameset", "form", "input", "button", "base",
        "meta", "table", "td", "div", "span", "font", "applet", "image", "textarea", "select",
    }
)  # fmt: skip
#: The only other attributes a note may carry, each with a few fixed values.
NOTE_FIXED_VALUES = {
    ("th", "align"): {"left", "center", "right"},
    ("td", "align"): {"left", "center", "right"},
    ("span", "class"): {"image"},
}
CASE_PAGE_TAGS = frozenset(
    {
        "html", "head", "title", "style", "body", "h1", "h2", "h3", "p", "span", "a", "sup",
        "br", "ul", "ol", "li", "hr",
    }
)  # fmt: skip


def assert_note_inert(document: str) -> None:
    page = markup(document)
    # The document's one <style> is ours, in the head, built from validated theme colours.
    assert page.tags.count("style") == 1 and page.tags.index("style") < page.tags.index("body")
    style = "".join(page.style_text).lower()
    assert "url(" not in style and "@import" not in style
    body_tags = page.tags[page.tags.index("body") + 1 :]
    # A note may hold Markdown's tables and the span of an image's placeholder, nothing active.
    active = ACTIVE_TAGS - {"table", "td", "span"}
    assert not set(body_tags) & active, set(body_tags) & active
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name, value)
        assert name != "src", (tag, name, value)
        if tag in ("html", "head", "title", "style", "body"):
            continue
        if (tag, name) in NOTE_FIXED_VALUES:
            assert value in NOTE_FIXED_VALUES[tag, name], (tag, name, value)
            continue
        assert (tag, name) == ("a", "href"), (tag, name, value)
        # Resolved references included: "&#106;avascript:" is seen here as "javascript:".
        assert value is not None and value.lower().startswith("lightbox:"), value


# --- (a) decode → parse on arbitrary and mutated bytes ---------------------------------------


def decode_and_parse(data: bytes) -> None:
    """Runs the import pipeline on bytes; only CaseFormatError may escape. Parsed → rendered."""
    try:
        case = parse_eurorad_text(decode_case_bytes(data).text)
    except CaseFormatError as error:
        assert str(error)  # a reason the import report can show
        return
    assert case.title.strip() and case.source_id
    page = markup(case_html(case, theme=LIGHT, highlight=("calc", "<script")))
    assert set(page.tags) <= CASE_PAGE_TAGS, set(page.tags) - CASE_PAGE_TAGS
    assert all(
        (tag, name)
        in {("a", "href"), ("a", "name"), ("h2", "id"), ("p", "class"), ("span", "class")}
        for tag, name, _ in page.attrs
    ), page.attrs
    assert all(
        value is not None and value.startswith("https://doi.org/")
        for _, name, value in page.attrs
        if name == "href"
    )


#: Byte strings that steer the decoder and parser into their branches.
INTERESTING = st.sampled_from(
    [
        b"\x00", b"\x00\x00", b"\r", b"\r\n", b"\n\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
        b"\xff\xfe\x00\x00", b"\x81", b"\x8d\x90", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"%PDF-", b"\xe2\x80\xa8",
        b"CASE ", b"CASE 1 Published on 31.02.2011\n", b"CASE lightbox:x-1\n",
        b"\nClinical History\n", b"\nImaging Findings\n", b"\nDiscussion\n",
        b"\nDifferential Diagnosis List\n", b"\nFinal Diagnosis\n", b"\nReferences\n",
        b"\nCase information\n", b"\nSection\n", b"\nPatient\n", b"\nCategories\n",
        b"\nBackground\n", b"Teaching point", b"[12]", b"Fig. 3", b" showed ", b"(1) ",
        b"999 years, male", b"Area of Interest ((((", b"DOI: 10.1234/x\"><script>",
        b"<script>alert(1)</script>", b"<img src=http://127.0.0.1:9/x.png>",
    ]
)  # fmt: skip
PAYLOAD = st.one_of(st.binary(min_size=1, max_size=64), INTERESTING)


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    """The seed with a few insertions, replacements and deletions at random offsets."""
    data = bytearray(SEED)
    for _ in range(draw(st.integers(1, 8))):
        offset = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "replace", "delete"]))
        if kind == "delete":
            del data[offset : offset + draw(st.integers(1, 200))]
        else:
            payload = draw(PAYLOAD)
            end = offset + (len(payload) if kind == "replace" else 0)
            data[offset:end] = payload
    if draw(st.booleans()):  # sometimes re-encode what is left, BOM and all
        encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252"]))
        data = bytearray(bytes(data).decode("utf-8", "replace").encode(encoding, "replace"))
    return bytes(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_decode_then_parse_any_bytes(data: bytes) -> None:
    decode_and_parse(data)


@FUZZ
@given(mutated_seed())
@needs_shared(SEED_CASE)
def test_decode_then_parse_mutated_seed(data: bytes) -> None:
    decode_and_parse(data)


@needs_shared(SEED_CASE)
def test_the_unmutated_seed_parses() -> None:
    """The mutation strategy's starting point is a case (so mutants are near misses)."""
    case = parse_eurorad_text(decode_case_bytes(SEED).text)
    assert case.key == "eurorad:8455"


# --- (b) FTS query building -----------------------------------------------------------------

#: One quoted term: words joined by single spaces, no quote inside, nothing else.
_TERM = r'"\w+(?: \w+)*"'
_QUERY = re.compile(rf"{_TERM}(?: {_TERM})*(?P<prefix>\*)?")

FTS_SOUP = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "AND",
                "OR",
                "NOT",
                "NEAR",
                "NEAR(",
                "near/3",
                "*",
                "^",
                ":",
                "(",
                ")",
                '"',
                '""',
                "'",
                "-",
                "+",
                "{",
                "}",
                "title:",
                "{title discussion}:",
                "cases_fts",
                "rank",
                "calcinosis",
                "calc",
                "neonat",
                "Iatrogenic",
                "é",
                "ß",
                "İ",
                "_",
                "\\",
                "%",
                ";",
                "--",
                "/*",
                "\x00",
                "\u200b",
                "\u0301",
                "\ufeff",
                "\ud800",
                " ",
                "\t",
                "\n",
                "١٢",
                "𝟘",
                "½",
            ]
        ),
        st.text(max_size=6),
    ),
    max_size=20,
).map("".join)
#: Any characters, lone surrogates included (a paste can carry them).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
QUERIES = st.one_of(st.text(max_size=60), ANY_TEXT, FTS_SOUP)


@FUZZ
@given(QUERIES, st.booleans())
def test_fts_query_quotes_every_term(text: str, prefix_last: bool) -> None:
    query = fts_query(text, prefix_last=prefix_last)
    if query is None:
        assert not re.search(r"\w", text.replace('"', ""))
        return
    match = _QUERY.fullmatch(query)
    assert match is not None, query
    if match["prefix"]:
        assert prefix_last and not text[-1:].isspace()
    # Every word of the input is searched for, and nothing else.
    assert re.findall(r"\w+", query) == re.findall(r"\w+", text)


@pytest.fixture
def seeded(library: Library) -> Iterator[Library]:
    """The `library` fixture with the seed case and a note full of FTS syntax in it."""
    report = import_paths(library, [shared_path(SEED_CASE)])
    assert report.imported == 1
    case_id = library.resolve("eurorad:8455")
    library.save_note(case_id, 'NEAR(calcinosis "cutis") OR title:* AND ^x {a b}: NOT -y')
    yield library


@settings(
    max_examples=200,
    deadline=None,
    # Searching is read-only: one library for every example is what we want.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(QUERIES)
def test_searching_a_real_library_never_raises(seeded: Library, text: str) -> None:
    """Whatever the text: hits, or (from the search language) a refusal that says where;
    never another error."""
    try:
        hits = seeded.search(text)
    except QueryInvalid as error:
        assert 0 <= error.start <= error.end <= len(text) + 1
        with pytest.raises(QueryInvalid):
            seeded.search_cases(text, CaseFilter())
        return
    assert len(hits) <= 1
    listed = seeded.search_cases(text, CaseFilter())
    assert len(listed) <= 1
    if fts_query(text) is None:
        assert hits == [] and listed == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("calcinosis", True),
        # The seed has the words "or" and "not" but not "near", "title" or "nothinglikeit".
        # FTS5's operators never reach it: OR is the search language's own `or`; NOT, NEAR
        # and column filters are words, or refused by the language with a reason.
        ("nothinglikeit OR calcinosis", True),  # the language's or
        ("calcinosis NOT cutis", True),  # as an operator, NOT would exclude it
        ("NOT calcinosis", True),  # as an operator, a syntax error
        ("cutis OR", None),  # an `or` with nothing after it: refused
        ("NEAR(calcinosis cutis)", False),  # as an operator, a match
        ("title:calcinosis", None),  # no such filter: refused (as a column filter, a match)
        ("{title}: calcinosis", False),
        ("calc*", True),
        ('"neonatal calcinosis"', True),
        ('"calcinosis neonatal"', False),  # a phrase stays a phrase
        ('"neonatal calcinosis', True),  # an unclosed quote closes at the end
    ],
)
@needs_shared(SEED_CASE)
def test_fts_operators_are_words_not_operators(
    library: Library, text: str, found: bool | None
) -> None:
    # The seed alone: search also covers notes, and `seeded`'s note holds these words.
    import_paths(library, [SEED_CASE])
    if found is None:
        with pytest.raises(QueryInvalid):
            library.search(text)
        return
    assert bool(library.search(text)) is found


# --- (c) notes: Markdown and HTML soup --------------------------------------------------------

URLS = st.sampled_from(
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)", "&#0000106avascript:alert(1)", "java&#x09;script:alert(1)",
        "java\tscript:alert(1)", " javascript:alert(1)", "\x01javascript:alert(1)",
        "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>",
        "data:image/png;base64,iVBORw0KGgo=", "data:image/svg+xml,<svg onload=alert(1)>",
        "file:///etc/passwd", "FILE:///etc/passwd", "/etc/passwd", "../x.png", "x.png",
        "//127.0.0.1:9/x", "http://127.0.0.1:9/x.png", "https://example.com/a?b=c&d=e",
        "ftp://x/y", "mailto:a@b", "#top", "lightbox:case/eurorad:8455", "LIGHTBOX:case/1",
        "lightbox:javascript:alert(1)", "lightbox:", "<lightbox:x>", "",
    ]
)  # fmt: skip
TAGS = st.sampled_from(
    [
        "script", "iframe", "img", "svg", "object", "embed", "style", "link", "a", "div", "b",
        "math", "form", "base", "meta", "table", "td", "video", "source", "p", "strong", "code",
        "pre", "h1", "blockquote", "ul", "li", "SCRIPT", "ScRiPt", "image", "xmp", "noscript",
    ]
)  # fmt: skip
ATTRIBUTES = st.sampled_from(
    [
        "src", "href", "onerror", "onload", "onclick", "OnMouseOver", "style", "background",
        "srcset", "xlink:href", "formaction", "data", "action", "poster", "title", "lang",
        "class", "id", "dynsrc", "lowsrc",
    ]
)  # fmt: skip
WORDS = st.sampled_from(["x", "scan", "alert(1)", "&amp;", "&lt;script&gt;", "é", "  ", "\t"])
ENTITIES = st.sampled_from(
    ["&#106;", "&#x6A;", "&lt;", "&gt;", "&quot;", "&#60;script&#62;", "&#0;", "&#xD800;", "&"]
)


@st.composite
def raw_tag(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    tag = draw(TAGS)
    attrs = []
    for name, url in draw(st.lists(st.tuples(ATTRIBUTES, URLS), max_size=3)):
        quote = draw(st.sampled_from(['"', "'", ""]))
        attrs.append(f" {name}={quote}{url}{quote}")
    closing = draw(st.sampled_from(["", f"</{tag}>", "/>"]))
    return f"<{tag}{''.join(attrs)}>{draw(inner)}{closing}"


def _markdown(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda t, u: f"[{t}]({u})", inner, URLS),
        st.builds(lambda t, u: f"![{t}]({u})", inner, URLS),
        st.builds(lambda t, u: f'[{t}]({u} "title")', inner, URLS),
        st.builds(lambda t, u: f"[{t}][r]\n\n[r]: {u}\n", inner, URLS),
        st.builds(lambda t, u: f"![{t}][i]\n\n[i]: <{u}>\n", inner, URLS),
        st.builds(lambda u: f"<{u}>", URLS),
        st.builds(lambda t, m: f"{m}{t}{m}", inner, st.sampled_from(["*", "**", "_", "__", "~~"])),
        st.builds(lambda t, f: f"\n{f}html\n{t}\n{f}\n", inner, st.sampled_from(["```", "~~~"])),
        st.builds(lambda t: f"`{t}`", inner),
        st.builds(lambda t, p: f"\n{p}{t}\n", inner, st.sampled_from(["> ", "- ", "1. ", "# "])),
        st.builds(lambda t: f"<!-- {t} -->", inner),
        st.builds(lambda t: f"<![CDATA[{t}]]>", inner),
        raw_tag(inner),
    )


SOUP = st.recursive(
    st.one_of(WORDS, ENTITIES, URLS),
    lambda inner: st.one_of(
        _markdown(inner),
        st.lists(inner, min_size=2, max_size=4).map(" ".join),
        st.lists(inner, min_size=2, max_size=4).map("\n\n".join),
    ),
    max_leaves=40,
)


@FUZZ
@given(SOUP)
def test_note_html_on_markdown_soup_stays_inert(note: str) -> None:
    assert_note_inert(note_html(note, theme=LIGHT).html)


@FUZZ
@given(st.lists(SOUP, min_size=1, max_size=6).map("\n".join), st.booleans())
def test_note_html_on_longer_soup_stays_inert(note: str, dark: bool) -> None:
    rendering = note_html(note, theme=DARK if dark else LIGHT)
    assert_note_inert(rendering.html)
    assert (rendering.message is None) is not rendering.plain_fallback


@pytest.mark.parametrize(
    "note",
    [
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](java&#x09;script:alert(1))",
        '<a href="&#106;avascript:alert(1)">x</a>',
        "<a href=' javascript:alert(1)'>x</a>",
        '[x](lightbox:case/1 "t" onclick=alert(1))',
        '<a href="lightbox:x" onclick="alert(1)" style="x">x</a>',
        "![x](lightbox:case/1)",
        "<img src=lightbox:case/1>",
        "***[_`<script>`_](lightbox:case/1)***",
        "```\n<script>alert(1)</script>\n```",
    ],
)
def test_note_html_known_tricks(note: str) -> None:
    assert_note_inert(note_html(note, theme=LIGHT).html)
