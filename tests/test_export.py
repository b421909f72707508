"""Markdown export (desktop.export): front matter, grouping by colour, safe file names, and a
folder that a second export updates in place."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import pytest

from desktop.export import (
    INDEX_NAME,
    MAX_NAME_BYTES,
    MAX_NAME_CHARS,
    case_markdown,
    export_notes,
    file_name,
    highlights_markdown,
    obsidian_tag,
    yaml_string,
)
from desktop.importer import import_paths
from desktop.model import Case, CaseId, Highlight
from desktop.store.highlights import section_texts
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
EXPORTED = dt.date(2026, 3, 14)

HOSTILE_TITLES = [
    "Fracture: left wrist",
    'He said "no" \\ then yes',
    "#1 cause of # pain",
    "- leading dash",
    "two\nlines\r\nand more",
    "line\u2028separator\u2029paragraph\x85next",
    "del\x7fand bell\x07 and nul\x00",
    "right-to-left \u202eevil\u202c",
    "bom\ufeff and \ufffe",
    "{flow: [map]} & *alias !tag %directive @at `tick` |pipe >fold",
    "emoji 🫁🧑🏽‍⚕️ and accents é",
]

#: YAML's printable characters (YAML 1.2, c-printable): what may stand raw in a scalar.
_PRINTABLE = re.compile(
    "[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*", re.DOTALL
)


def _case(title: str, source: str = "eurorad", source_id: str = "1", **fields: object) -> Case:
    return Case(source=source, source_id=source_id, title=title, **fields)  # type: ignore[arg-type]


def _highlight(
    colour: str,
    quote: str,
    *,
    start: int | None = 0,
    comment: str = "",
    tags: tuple[str, ...] = (),
    uid: str = "u",
) -> Highlight:
    return Highlight(
        uid=uid,
        case_id=CaseId(1),
        section="imaging_findings",
        start=start,
        end=None if start is None else start + len(quote),
        quote=quote,
        text="" if start is None else quote,
        colour=colour,
        comment=comment,
        tags=tags,
        created_at=NOW,
        updated_at=NOW,
    )


def _front_matter(text: str) -> dict[str, str]:
    """The front matter's raw values by key; asserts its shape (one line per key)."""
    assert text.startswith("---\n")
    block, rule, _rest = text[4:].partition("\n---\n")
    assert rule, "the front matter is closed"
    values = {}
    for line in block.split("\n"):
        key, sep, value = line.partition(": ")
        assert sep and re.fullmatch(r"[a-z_]+", key), line
        values[key] = value
    return values


def _assert_double_quoted(value: str) -> str:
    """Checks a YAML double-quoted scalar on one line; returns the string it stands for."""
    assert value.startswith('"') and value.endswith('"'), value
    assert "\n" not in value and "\r" not in value
    assert _PRINTABLE.fullmatch(value), f"unprintable character in {value!r}"
    for raw in "\x85\u2028\u2029\ufeff":  # line breaks to some readers; a BOM
        assert raw not in value
    # Every escape is one YAML shares with JSON: JSON reads what YAML reads.
    loaded = json.loads(value)
    assert isinstance(loaded, str)
    return loaded


# --- the Markdown -------------------------------------------------------------------------


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_front_matter_values_are_one_line_double_quoted_scalars(title: str) -> None:
    case = _case(title, doi="10.1594/EURORAD/CASE.1", section='Chest: "thorax"')
    highlights = [_highlight("red", "x", tags=("key finding", 'odd "tag"'))]
    text = case_markdown(case, case.key, "", highlights, {}, exported=EXPORTED)
    values = _front_matter(text)
    assert list(values) == ["title", "id", "doi", "section", "tags", "exported", "exported_by"]
    loaded_title = _assert_double_quoted(values["title"])
    assert "\n" not in loaded_title
    assert loaded_title == " ".join(unicodedata.normalize("NFC", loaded_title).split())
    assert _assert_double_quoted(values["id"]) == "eurorad:1"
    assert _assert_double_quoted(values["doi"]) == "10.1594/EURORAD/CASE.1"
    assert _assert_double_quoted(values["section"]) == 'Chest: "thorax"'
    assert values["exported"] == "2026-03-14"
    tags = values["tags"]
    assert tags.startswith("[") and tags.endswith("]")
    assert [_assert_double_quoted(t) for t in tags[1:-1].split(", ")] == [
        "key-finding",
        "odd-_tag_",
    ]
    assert text.split("\n---\n", 1)[1].lstrip("\n").startswith(f"# {loaded_title}\n")


def test_yaml_string_escapes_what_yaml_does_not_take_raw() -> None:
    assert yaml_string("a: b") == '"a: b"'
    assert yaml_string("x\x7fy\x85z\u2028") == '"x\\u007fy\\u0085z\\u2028"'
    assert json.loads(yaml_string("\ufeff\ufffe")) == "\ufeff\ufffe"
    assert yaml_string("🧑🏽‍⚕️") == '"🧑🏽‍⚕️"'  # the joiner stays as it is


def test_front_matter_without_doi_or_section_says_null() -> None:
    case = _case("Plain")
    values = _front_matter(case_markdown(case, case.key, "note", [], {}, exported=EXPORTED))
    assert values["doi"] == values["section"] == "null"
    assert values["tags"] == "[]"


def test_highlights_are_grouped_by_colour_in_palette_order_with_meanings() -> None:
    highlights = [
        _highlight("grey", "grey one", uid="1"),
        _highlight("red", "first red", comment="Look **here**", tags=("key finding",), uid="2"),
        _highlight("yellow", "a yellow", uid="3"),
        _highlight("red", "second red", uid="4"),
    ]
    text = highlights_markdown(highlights, {"red": "key finding", "blue": "unused"})
    headings = [line for line in text.split("\n") if line.startswith("#") and " " in line]
    assert headings == ["## Highlights", "### Yellow", "### Red — key finding", "### Grey"]
    red = text.split("### Red — key finding\n\n", 1)[1].split("### Grey", 1)[0]
    assert red == "> first red\n\nLook **here**\n\n#key-finding\n\n> second red\n\n"
    assert "Blue" not in text
    assert text.endswith("> grey one\n")


def test_highlights_markdown_is_empty_without_highlights() -> None:
    assert highlights_markdown([], {"red": "key"}) == ""


def test_detached_highlights_stay_under_their_colour_and_are_marked() -> None:
    text = highlights_markdown(
        [_highlight("green", "on the page", uid="1"), _highlight("green", "gone", start=None)],
        {},
    )
    green = text.split("### Green\n\n", 1)[1]
    assert green.index("> on the page") < green.index("> gone")
    assert "> gone\n>\n> *(detached: not found in the current text)*" in green
    assert green.count("detached") == 1


def test_multi_line_quotes_prefix_every_line() -> None:
    text = highlights_markdown([_highlight("blue", "first paragraph\nsecond\nthird")], {})
    quote = text.split("### Blue\n\n", 1)[1]
    assert quote == "> first paragraph\n>\n> second\n>\n> third\n"


def test_quoted_case_text_stays_text() -> None:
    quote = "# not a heading <b>bold</b> [[link]] #tag $x$ ==mark== a_b*c*\n- no list\n1. no item"
    text = highlights_markdown([_highlight("yellow", quote)], {})
    lines = text.split("### Yellow\n\n", 1)[1].rstrip("\n").split("\n")
    assert lines[0] == (
        "> \\# not a heading \\<b\\>bold\\</b\\> \\[\\[link\\]\\] \\#tag \\$x\\$ \\=\\=mark\\=\\="
        " a\\_b\\*c\\*"
    )
    assert lines[2] == "> \\- no list"
    assert lines[4] == "> 1\\. no item"


@pytest.mark.parametrize(
    ("tag", "safe"),
    [
        ("key finding", "key-finding"),
        ("  spaced   out  ", "spaced-out"),
        ("#already", "already"),
        ("chest/ct", "chest/ct"),
        ("2024", "_2024"),
        ("a.b,c!", "a_b_c_"),
        ("éclair", "éclair"),
        ("#", ""),
    ],
)
def test_tags_become_obsidian_tags(tag: str, safe: str) -> None:
    assert obsidian_tag(tag) == safe


def test_case_markdown_puts_title_note_then_highlights() -> None:
    case = _case("Title")
    text = case_markdown(
        case,
        case.key,
        "My **note**\n\n- one",
        [_highlight("red", "x", tags=("t1",)), _highlight("red", "y", tags=("T1", "t2"))],
        {"red": "key finding"},
        exported=EXPORTED,
    )
    body = text.split("\n---\n", 1)[1]
    assert body == (
        "\n# Title\n\nMy **note**\n\n- one\n\n## Highlights\n\n### Red — key finding\n\n"
        "> x\n\n#t1\n\n> y\n\n#T1 #t2\n"
    )
    assert _front_matter(text)["tags"] == '["t1", "t2"]'


# --- file names ---------------------------------------------------------------------------

_FORBIDDEN = set('/\\:*?"<>|#^[]')
_WINDOWS_DEVICES = re.compile(r"(CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³])", re.IGNORECASE)


def _assert_safe(name: str) -> None:
    assert name.endswith(".md")
    stem = name[:-3]
    assert not _FORBIDDEN & set(stem), name
    assert all(unicodedata.category(c)[0] != "C" or c == "\u200d" for c in stem), name
    assert stem == stem.strip(" .") and stem
    assert not _WINDOWS_DEVICES.fullmatch(name.split(".", 1)[0].rstrip(" "))
    assert len(stem) <= MAX_NAME_CHARS
    assert len(stem.encode("utf-8")) <= MAX_NAME_BYTES
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(
    "title",
    [
        "CON",
        "con.txt",
        "NUL",
        "COM1",
        "LPT9. report",
        "a/b\\c:d*?",
        'quote " and <angle> | pipe',
        "[[wiki|alias]]#heading^block",
        "x" * 300,
        "word " * 80,
        "🫁" * 100,
        "🧑🏽‍⚕️" * 40,
        "trailing dots...",
        "trailing spaces   ",
        "...leading dots",
        "",
        "   ",
        "e\u0301te\u0301",
        "bell\x07 tab\t newline\n rtl\u202e",
        *HOSTILE_TITLES,
    ],
)
def test_file_names_are_safe_on_every_system(title: str) -> None:
    _assert_safe(file_name(_case(title, source_id="8455")))


def test_file_names_keep_the_case_id_and_are_stable() -> None:
    one = file_name(_case("Pneumothorax", source_id="1"))
    assert one == "Pneumothorax (eurorad 1).md"
    assert file_name(_case("Pneumothorax", source_id="1")) == one
    assert file_name(_case("Pneumothorax", source_id="2")) != one
    long = file_name(_case("y" * 300, source_id="8455"))
    assert long.endswith(" (eurorad 8455).md")
    assert file_name(_case("CON", source_id="1")) == "_CON (eurorad 1).md"
    assert file_name(_case("a/b\\c:d*?", source="lightbox", source_id="x:y")) == (
        "a-b-c d (lightbox x y).md"
    )
    assert file_name(_case("e\u0301")) == "\u00e9 (eurorad 1).md"
    assert file_name(_case("")) == "Untitled (eurorad 1).md"


def test_a_cut_never_leaves_half_an_emoji_sequence() -> None:
    name = file_name(_case("🧑🏽‍⚕️" * 60, source_id="1"))
    stem = name.removesuffix(" (eurorad 1).md")
    assert stem[-1] not in "\u200d\ufe0f" and not "\U0001f3fb" <= stem[-1] <= "\U0001f3ff"


# --- export_notes -------------------------------------------------------------------------


@pytest.fixture
def filled(library: Library) -> Library:
    """The sample cases, with a note on one case and two highlights on another."""
    report = import_paths(library, [SAMPLE_CASES])
    assert not report.failed
    chest = library.resolve("lightbox:chest-01")
    findings = section_texts(_get(library, chest))["imaging_findings"]
    start = findings.index("visceral pleural line")
    library.add_highlight(
        chest, "imaging_findings", start, start + 21, colour="red", tags=["key finding"]
    )
    library.add_highlight(chest, "imaging_findings", 0, 10, colour="yellow", comment="why")
    library.set_colour_meaning("red", "key finding")
    library.save_note(library.resolve("lightbox:neuro-01"), "My note on *neuro*")
    return library


def _get(library: Library, case_id: CaseId) -> Case:
    case = library.get_case(case_id)
    assert case is not None
    return case


def _md_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_export_writes_a_file_per_case_with_notes_or_highlights_and_an_index(
    filled: Library, tmp_path: Path
) -> None:
    out = tmp_path / "vault" / "cases"
    report = export_notes(filled, out, now=NOW)
    assert report.summary() == "2 written, 0 unchanged, 0 failed"
    chest = _get(filled, filled.resolve("lightbox:chest-01"))
    neuro = _get(filled, filled.resolve("lightbox:neuro-01"))
    assert _md_files(out) == sorted([file_name(chest), file_name(neuro), INDEX_NAME])
    text = (out / file_name(chest)).read_text("utf-8")
    assert _front_matter(text)["id"] == '"lightbox:chest-01"'
    assert "### Red — key finding\n\n> visceral pleural line\n\n#key-finding" in text
    assert "My note on *neuro*" in (out / file_name(neuro)).read_text("utf-8")
    assert report.index == out / INDEX_NAME


def test_index_links_resolve_to_the_exported_files(filled: Library, tmp_path: Path) -> None:
    export_notes(filled, tmp_path, now=NOW)
    index = (tmp_path / INDEX_NAME).read_text("utf-8")
    links = re.findall(r"\[\[([^\]]+)\]\]", index)
    assert len(links) == 2
    for link in links:
        assert (tmp_path / f"{link}.md").is_file()


def test_exporting_twice_updates_in_place_never_duplicates(filled: Library, tmp_path: Path) -> None:
    first = export_notes(filled, tmp_path, now=NOW)
    names = _md_files(tmp_path)
    later = NOW + dt.timedelta(days=3)
    again = export_notes(filled, tmp_path, now=later)
    assert again.summary() == "0 written, 2 unchanged, 0 failed"  # only the date would change
    assert _md_files(tmp_path) == names
    neuro = filled.resolve("lightbox:neuro-01")
    filled.save_note(neuro, "A better note")
    third = export_notes(filled, tmp_path, now=later)
    assert third.summary() == "1 written, 1 unchanged, 0 failed"
    assert _md_files(tmp_path) == names
    assert "A better note" in third.written[0].read_text("utf-8")
    assert "exported: 2026-03-17" in third.written[0].read_text("utf-8")
    assert first.written[0].name in names


def test_a_changed_title_renames_the_file_rather_than_adding_one(
    filled: Library, tmp_path: Path
) -> None:
    export_notes(filled, tmp_path / "out", now=NOW)
    neuro = filled.resolve("lightbox:neuro-01")
    old = file_name(_get(filled, neuro))
    source = (SAMPLE_CASES / "neuro-01.txt").read_text("utf-8")
    title = _get(filled, neuro).title
    assert source.count(title) == 1
    edited = tmp_path / "neuro-01.txt"
    edited.write_text(source.replace(title, "Retitled: a subdural haematoma"), "utf-8")
    assert not import_paths(filled, [edited]).failed
    report = export_notes(filled, tmp_path / "out", now=NOW)
    new = file_name(_get(filled, neuro))
    assert new == "Retitled a subdural haematoma (lightbox neuro-01).md"
    assert [path.name for path in report.written] == [new]
    names = _md_files(tmp_path / "out")
    assert new in names and old not in names
    assert len([name for name in names if "neuro-01" in name]) == 1
    assert "My note on *neuro*" in (tmp_path / "out" / new).read_text("utf-8")


def test_files_left_behind_are_kept_and_still_indexed(filled: Library, tmp_path: Path) -> None:
    export_notes(filled, tmp_path, now=NOW)
    neuro = filled.resolve("lightbox:neuro-01")
    name = file_name(_get(filled, neuro))
    filled.save_note(neuro, "")
    report = export_notes(filled, tmp_path, now=NOW)
    assert report.summary() == "0 written, 1 unchanged, 0 failed"
    assert (tmp_path / name).is_file()
    assert f"[[{name[:-3]}]]" in (tmp_path / INDEX_NAME).read_text("utf-8")


def test_a_file_lightbox_did_not_write_is_never_overwritten(
    filled: Library, tmp_path: Path
) -> None:
    neuro = _get(filled, filled.resolve("lightbox:neuro-01"))
    mine = tmp_path / file_name(neuro)
    mine.write_text("the reader's own file\n", "utf-8")
    report = export_notes(filled, tmp_path, now=NOW)
    assert [(path, "Lightbox did not write" in reason) for path, reason in report.failed] == [
        (mine, True)
    ]
    assert mine.read_text("utf-8") == "the reader's own file\n"
    assert len(report.written) == 1  # the rest went on
    assert report.summary() == "1 written, 0 unchanged, 1 failed"


def test_a_failure_on_one_file_names_it_and_the_rest_goes_on(
    filled: Library, tmp_path: Path
) -> None:
    chest = _get(filled, filled.resolve("lightbox:chest-01"))
    (tmp_path / file_name(chest)).mkdir()  # a folder where the file would go
    report = export_notes(filled, tmp_path, now=NOW)
    assert [path for path, _reason in report.failed] == [tmp_path / file_name(chest)]
    assert len(report.written) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lightbox-")]


def test_given_cases_are_exported_even_without_notes(filled: Library, tmp_path: Path) -> None:
    abdo = filled.resolve("lightbox:abdo-01")
    report = export_notes(filled, tmp_path, case_ids=[abdo], now=NOW)
    assert [path.name for path in report.written] == [file_name(_get(filled, abdo))]
    text = report.written[0].read_text("utf-8")
    assert "## Highlights" not in text
    index = (tmp_path / INDEX_NAME).read_text("utf-8")
    assert index.count("[[") == 1


def test_trashed_cases_are_left_out_of_a_whole_export(filled: Library, tmp_path: Path) -> None:
    filled.trash(filled.resolve("lightbox:chest-01"))
    report = export_notes(filled, tmp_path, now=NOW)
    assert [path.name for path in report.written] == [
        file_name(_get(filled, filled.resolve("lightbox:neuro-01")))
    ]


def test_a_highlight_whose_case_is_not_here_exports_no_other_case(
    filled: Library, tmp_path: Path
) -> None:
    """A highlight a merge brought before its case names no case of this library: nothing
    is exported for it (and never the case that happens to have row id 1)."""
    filled._conn.execute(
        "UPDATE highlights SET case_source_id = 'not-here' WHERE colour = 'yellow'"
    )
    report = export_notes(filled, tmp_path, now=NOW)
    assert sorted(path.name for path in report.written) == sorted(
        file_name(_get(filled, filled.resolve(key)))
        for key in ("lightbox:chest-01", "lightbox:neuro-01")
    )


def test_files_are_utf8_with_unix_line_ends(filled: Library, tmp_path: Path) -> None:
    report = export_notes(filled, tmp_path, now=NOW)
    for path in (*report.written, tmp_path / INDEX_NAME):
        data = path.read_bytes()
        assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")
