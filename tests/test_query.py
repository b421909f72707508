"""The search language (`desktop.query`): what each query means, where each mistake is, and
what the SQL finds in a real library of the sample cases.

The tables follow Anki's `parsing()` and `errors()` tests: a query and its meaning written
out by `describe`; a query and the kind and place of its error.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.importer import import_paths
from desktop.query import (
    FILTERS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    Compiled,
    Filter,
    Not,
    Text,
    by_id,
    case_text_match,
    collection_terms,
    compile_query,
    describe,
    parse,
    ranked_words,
)
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)

# fmt: off
#: A query and its meaning.
PARSING: list[tuple[str, str]] = [
    # Words, phrases, prefixes.
    ("liver", "text(liver)"),
    ("  liver  ", "text(liver)"),
    ("Liver", "text(Liver)"),
    ('"cyst wall"', 'text("cyst wall")'),
    ('"  cyst   wall "', 'text("cyst wall")'),
    ("neuro*", "text(neuro*)"),
    ("neuro**", "text(neuro*)"),
    ("non-accidental", 'text("non accidental")'),
    ("T2/FLAIR", 'text("T2 FLAIR")'),
    ("10:30", 'text("10 30")'),
    ("a-*", "text(a)"),
    ("naïve", "text(naïve)"),
    ("日本語", "text(日本語)"),
    ('"neuro*"', "text(neuro)"),
    ("snake_case", 'text("snake case")'),
    # Implicit and, explicit and, or, precedence.
    ("liver cyst", "and(text(liver), text(cyst))"),
    ("liver and cyst", "and(text(liver), text(cyst))"),
    ("liver AND cyst", "and(text(liver), text(cyst))"),
    ("liver or cyst", "or(text(liver), text(cyst))"),
    ("liver OR cyst", "or(text(liver), text(cyst))"),
    ("liver Or cyst", "or(text(liver), text(cyst))"),
    ("a b or c", "or(and(text(a), text(b)), text(c))"),
    ("a or b c", "or(text(a), and(text(b), text(c)))"),
    ("a or b or c", "or(text(a), text(b), text(c))"),
    ("a (b or c)", "and(text(a), or(text(b), text(c)))"),
    ("(a b) c", "and(text(a), text(b), text(c))"),
    ("((a))", "text(a)"),
    ("(a or b) or c", "or(text(a), text(b), text(c))"),
    ("a a", "text(a)"),
    ("a or a", "text(a)"),
    ('"or"', "text(or)"),
    ('"and" "or"', "and(text(and), text(or))"),
    ("orange andes", "and(text(orange), text(andes))"),
    ("a(b)", "and(text(a), text(b))"),
    ('a"b c"', 'and(text(a), text("b c"))'),
    # Negation.
    ("-liver", "not(text(liver))"),
    ("-(a b)", "not(and(text(a), text(b)))"),
    ("-(a or b)", "not(or(text(a), text(b)))"),
    ('-"cyst wall"', 'not(text("cyst wall"))'),
    ("--a", "text(a)"),
    ("-(-a)", "text(a)"),
    ("a -b", "and(text(a), not(text(b)))"),
    ("a-b", 'text("a b")'),
    ("-tag:x", "not(tag=x)"),
    # Words with nothing to search are left out.
    ("", ""),
    ("   ", ""),
    ("&", ""),
    ('""', ""),
    ("& or a", "text(a)"),
    ("(&)", ""),
    # section:, sex:.
    ("section:Neuroradiology", "section=Neuroradiology"),
    ("SECTION:neuroradiology", "section=neuroradiology"),
    ("section:chest*", "section^chest"),
    ('section:"Chest imaging"', "section=Chest imaging"),
    ("section:*", "section:*"),
    ("sex:f", "sex=female"),
    ("sex:Female", "sex=female"),
    ("sex:M", "sex=male"),
    ("Sex:male", "sex=male"),
    # age: (days, MIRC's units: 7 a week, 30 a month, 365 a year; [low, high)).
    ("age:<1y", "age[,365d)"),
    ("age:<=1y", "age[,730d)"),
    ("age:>65y", "age[24090d,)"),
    ("age:>=65y", "age[23725d,)"),
    ("age:<=2w", "age[,21d)"),
    ("age:3m", "age[90d,120d)"),
    ("age:=3m", "age[90d,120d)"),
    ("age:10d", "age[10d,11d)"),
    ("age:40", "age[14600d,14965d)"),
    ("age:18-40y", "age[6570d,14965d)"),
    ("age:18..40y", "age[6570d,14965d)"),
    ("age:18-40", "age[6570d,14965d)"),
    ("age:6m-2y", "age[180d,1095d)"),
    ("age:1-1y", "age[365d,730d)"),
    ("AGE:<1Y", "age[,365d)"),
    # dx:, ddx: (all the words, in any order).
    ("dx:appendicitis", "dx(appendicitis)"),
    ('dx:"aortic dissection"', "dx(aortic dissection)"),
    ("dx:carcin*", "dx(carcin*)"),
    ('ddx:"aortic dissection"', "ddx(aortic dissection)"),
    ("dx:aortic dissection", "and(dx(aortic), text(dissection))"),
    # tag:.
    ("tag:neuro", "tag=neuro"),
    ("tag:neuro*", "tag^neuro"),
    ("tag:*", "tag:*"),
    ("-tag:*", "not(tag:*)"),
    ('tag:"spot diagnosis"', "tag=spot diagnosis"),
    ("tag:a_b%", "tag=a_b%"),
    # in:.
    ("in:Boards", "in(Boards)"),
    ("in:Boards/Chest", "in(Boards/Chest)"),
    ('in:"Boards/Chest"', "in(Boards/Chest)"),
    ('in:"My boards / Chest"', "in(My boards/Chest)"),
    ("in:/Boards", "in(/Boards)"),
    ("in:Boards/", "in(Boards)"),
    # is:, has:.
    ("is:bookmarked", "is=bookmarked"),
    ("is:unread", "is=unread"),
    ("is:read", "is=read"),
    ("IS:Trashed", "is=trashed"),
    ("has:notes", "has=notes"),
    ("has:note", "has=notes"),
    ("has:highlights", "has=highlights"),
    ("-is:unread", "not(is=unread)"),
    # published:, added:.
    ("published:2011", "published[2011-01-01,2012-01-01)"),
    ("published:2011..2015", "published[2011-01-01,2016-01-01)"),
    ("published:2020-03..2021", "published[2020-03-01,2022-01-01)"),
    ("published:2020-12", "published[2020-12-01,2021-01-01)"),
    ("published:2020-02-29", "published[2020-02-29,2020-03-01)"),
    ("published:>2018", "published[2019-01-01,)"),
    ("published:>=2018", "published[2018-01-01,)"),
    ("published:<2018", "published[,2018-01-01)"),
    ("published:<=2018-06", "published[,2018-07-01)"),
    ("published:2011..", "published[2011-01-01,)"),
    ("published:..2015", "published[,2016-01-01)"),
    ("published:9999", "published[9999-01-01,)"),
    ("added:30d", "added(30d)"),
    ("added:30", "added(30d)"),
    ("added:2w", "added(14d)"),
    ("added:6m", "added(180d)"),
    ("added:1y", "added(365d)"),
    # Everything together.
    (
        "-is:unread in:A (tag:x or tag:y) liver",
        "and(not(is=unread), in(A), or(tag=x, tag=y), text(liver))",
    ),
    (
        'age:<1y sex:f -(dx:volvulus or "midgut")',
        'and(age[,365d), sex=female, not(or(dx(volvulus), text(midgut))))',
    ),
    (
        "(a or (b and -c)) -d",
        "and(or(text(a), and(text(b), not(text(c)))), not(text(d)))",
    ),
]

#: A query, the kind of its first error and where that error is.
ERRORS: list[tuple[str, str, int, int]] = [
    ('"liver', "unclosed_quote", 0, 6),
    ('a "b c', "unclosed_quote", 2, 6),
    ('tag:"spot', "unclosed_quote", 4, 9),
    ("(a", "unclosed_group", 0, 1),
    ("a (b (c)", "unclosed_group", 2, 3),
    ("a)", "unopened_group", 1, 2),
    ("()", "empty_group", 0, 2),
    ("a ( ) b", "empty_group", 2, 5),
    ("or", "misplaced_or", 0, 2),
    ("or a", "misplaced_or", 0, 2),
    ("a or", "misplaced_or", 2, 4),
    ("a or or b", "misplaced_or", 2, 4),
    ("(or a)", "misplaced_or", 1, 3),
    ("(a OR)", "misplaced_or", 3, 5),
    ("and a", "misplaced_and", 0, 3),
    ("a and", "misplaced_and", 2, 5),
    ("a and or b", "misplaced_and", 2, 5),
    ("-", "dangling_negation", 0, 1),
    ("a -", "dangling_negation", 2, 3),
    ("- a", "dangling_negation", 0, 1),
    ("(a -)", "dangling_negation", 3, 4),
    ("a -or b", "dangling_negation", 2, 3),
    ("tags:x", "unknown_filter", 0, 5),
    ("a foo:bar", "unknown_filter", 2, 6),
    ("http://example", "unknown_filter", 0, 5),
    ("tag:", "bad_value", 4, 4),
    ('tag:""', "bad_value", 5, 5),
    ("sex:x", "bad_value", 4, 5),
    ("sex:unknown", "bad_value", 4, 11),
    ("is:new", "bad_value", 3, 6),
    ("has:tags", "bad_value", 4, 8),
    ("age:old", "bad_value", 4, 7),
    ("age:3x", "bad_value", 4, 6),
    ("age:40-18y", "bad_value", 4, 10),
    ("age:1.5y", "bad_value", 4, 8),
    ("age:1234567y", "bad_value", 4, 12),
    ("age:-5", "bad_value", 4, 6),
    ("dx:&", "bad_value", 3, 4),
    ("published:2011-13", "bad_value", 10, 17),
    ("published:2011-02-30", "bad_value", 10, 20),
    ("published:11", "bad_value", 10, 12),
    ("published:..", "bad_value", 10, 12),
    ("published:2015..2011", "bad_value", 10, 20),
    ("published:>", "bad_value", 10, 11),
    ("added:soon", "bad_value", 6, 10),
    ("added:3q", "bad_value", 6, 8),
    ("in:A//B", "bad_value", 3, 7),
    ("in:/", "bad_value", 3, 4),
]
# fmt: on


def meaning(text: str, *, prefix_last: bool = False) -> str:
    """What a query means, as `describe` writes it ("" for nothing to search)."""
    parsed = parse(text, prefix_last=prefix_last)
    assert parsed.errors == (), parsed.errors
    return describe(parsed.node) if parsed.node is not None else ""


@pytest.mark.parametrize(("query", "described"), PARSING)
def test_parsing(query: str, described: str) -> None:
    assert meaning(query) == described


def test_the_parsing_table_is_large() -> None:
    assert len(PARSING) >= 60
    assert len(ERRORS) >= 30


@pytest.mark.parametrize(("query", "kind", "start", "end"), ERRORS)
def test_errors(query: str, kind: str, start: int, end: int) -> None:
    parsed = parse(query)
    assert parsed.node is None
    assert parsed.errors, query
    first = parsed.errors[0]
    assert (first.kind, first.start, first.end) == (kind, start, end)
    assert first.message
    assert 0 <= first.start <= first.end <= len(query)


def test_every_error_is_reported_in_order_of_place() -> None:
    parsed = parse('tagz:x sex:q (a or) "b')
    kinds = [(e.kind, e.start) for e in parsed.errors]
    assert kinds == [
        ("unknown_filter", 0),
        ("bad_value", 11),
        ("misplaced_or", 16),
        ("unclosed_quote", 20),
    ]


def test_an_unknown_filter_suggests_the_nearest_name() -> None:
    (error,) = parse("tags:neuro").errors
    assert "Did you mean tag:?" in error.message
    (error,) = parse("sexx:f").errors
    assert "Did you mean sex:?" in error.message
    (error,) = parse("publish:2011").errors
    assert "Did you mean published:?" in error.message
    # Nothing near: every filter is listed.
    (error,) = parse("zzzz:q").errors
    assert all(f"{name}:" in error.message for name in FILTERS)
    assert "quotes" in error.message


def test_a_bad_state_lists_the_values_allowed() -> None:
    (error,) = parse("is:starred").errors
    assert error.kind == "bad_value"
    for value in ("is:bookmarked", "is:unread", "is:read", "is:trashed"):
        assert value in error.message
    (error,) = parse("has:tags").errors
    assert "has:notes" in error.message and "has:highlights" in error.message
    (error,) = parse("sex:x").errors
    assert "female" in error.message


def test_parse_never_raises_on_odd_text() -> None:
    for text in ["\x00", "\u2028", "((((", "))))", '"""', "-" * 50, ":::", "a:" * 10, "\ud800"]:
        parse(text)


# Bounds.


def test_at_most_max_length_characters() -> None:
    assert parse("a" * MAX_LENGTH).errors == ()
    parsed = parse("a" * (MAX_LENGTH + 1))
    assert parsed.node is None
    (error,) = parsed.errors
    assert (error.kind, error.start, error.end) == ("too_long", MAX_LENGTH, MAX_LENGTH + 1)


def test_at_most_max_terms_terms() -> None:
    words = [f"w{n}" for n in range(MAX_TERMS + 1)]
    assert parse(" ".join(words[:MAX_TERMS])).errors == ()
    text = " ".join(words)
    (error,) = parse(text).errors
    assert error.kind == "too_many_terms"
    assert text[error.start : error.end] == words[-1]
    # A term repeated counts once; a phrase counts each of its words; a filter counts one.
    assert parse(" ".join(["a"] * 500)).errors == ()
    phrase = '"' + " ".join(words[:MAX_TERMS]) + '"'
    assert parse(phrase).errors == ()
    assert parse(phrase + " x").errors[0].kind == "too_many_terms"
    filters = " ".join(f"tag:t{n}" for n in range(MAX_TERMS + 1))
    assert parse(filters).errors[0].kind == "too_many_terms"


def test_at_most_max_depth_levels_of_parentheses() -> None:
    assert parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH).errors == ()
    text = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    (error,) = parse(text).errors
    assert (error.kind, error.start, error.end) == ("too_deep", MAX_DEPTH, MAX_DEPTH + 1)
    # Negations do not nest the parser: a long run of them is read in a loop.
    assert meaning("-" * 501 + "a") == "not(text(a))"


def test_the_last_word_is_a_prefix_while_typing() -> None:
    def typing(text: str) -> str:
        return meaning(text, prefix_last=True)

    assert typing("liver cy") == "and(text(liver), text(cy*))"
    assert typing("liver cy ") == "and(text(liver), text(cy))"
    assert typing('liver "cy"') == "and(text(liver), text(cy))"
    assert typing("tag:neu") == "tag=neu"
    assert typing("a-b") == 'text("a b"*)'
    assert meaning("liver cy") == "and(text(liver), text(cy))"


# Compiling.


def compiled(text: str) -> Compiled:
    parsed = parse(text)
    assert parsed.node is not None, parsed.errors
    return compile_query(parsed.node, now=NOW)


def test_every_value_is_a_bound_parameter() -> None:
    result = compiled('tag:"x\' OR 1=1 --" section:"a%b_c*" dx:"drop" in:"a\'/b"')
    assert result.where.count("?") == len(result.params)
    assert "'" not in result.where and '"' not in result.where
    assert result.params[0] == "x' OR 1=1 --"
    assert result.params[1:3] == ("a\\%b\\_c%", "\\")  # LIKE, escaped, its escape bound too
    assert result.params[3] == '{final_diagnosis} : ("drop")'
    assert result.params[4:] == ('["a\'", "b"]', 0)


def test_fts_strings_quote_every_term() -> None:
    assert compiled("liver").params == ('"liver"', '"liver"', '{comment tags} : "liver"')
    assert compiled('"cyst wall"').params[0] == '"cyst wall"'
    assert compiled("neuro*").params[0] == '"neuro"*'
    assert compiled("NEAR").params[0] == '"NEAR"'
    assert compiled("dx:aortic*").params == ('{final_diagnosis} : ("aortic"*)',)
    assert compiled('ddx:"b a"').params == ('{differential_diagnosis} : ("b" "a")',)


def test_the_sql_does_not_depend_on_the_values() -> None:
    pairs = [
        ("tag:abc", "tag:xyz"),
        ('in:"a/b/c"', "in:x/y/z"),
        ("age:<1y", "age:<7d"),
        ("published:2011..2012", "published:1999-01..2000-05-03"),
        ("liver", '"a b c d"'),
        ("section:x*", 'section:"y z*"'),
        ("added:3d", "added:999y"),
    ]
    for first, second in pairs:
        assert compiled(first).where == compiled(second).where


def test_text_terms_are_the_positive_free_text() -> None:
    result = compiled('liver "cyst wall" neuro* -kidney dx:appendicitis (a or -b) liver')
    assert result.text_terms == ("liver", "cyst wall", "neuro*", "a")
    assert compiled("tag:x").text_terms == ()


def test_the_trash_flag() -> None:
    assert compiled("is:trashed").trash
    assert compiled("a or -is:trashed").trash
    assert not compiled("is:unread").trash


def test_added_counts_back_from_now() -> None:
    assert compiled("added:30d").params == ("2026-11-01T12:00:00+00:00",)
    # A naive time is UTC; a time in another zone is turned to UTC, as the store writes.
    naive = compile_query(Filter("is", "=", "read"), now=NOW.replace(tzinfo=None))
    assert naive.params == ()
    node = parse("added:1d").node
    assert node is not None
    eastern = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert compile_query(node, now=eastern).params == ("2026-11-30T12:00:00+00:00",)
    assert compile_query(node, now=NOW.replace(tzinfo=None)).params == (
        "2026-11-30T12:00:00+00:00",
    )
    # Further back than time goes: everything.
    ancient = compiled("added:999999y")
    assert ancient.params == ("0001-01-01T00:00:00+00:00",)


def test_nodes_are_values() -> None:
    assert parse("a b").node == parse("a  AND  b").node
    assert parse("tag:X").node == Filter("tag", "=", "X")
    assert parse("a").node == Text(("a",))


# Execution over the sample cases.


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """The sample cases with reader data on some: tags, collections, a bookmark, notes,
    readings, a highlight, a case in the trash, and set dates."""
    path: Path = tmp_path_factory.mktemp("query") / "library.db"
    with Library.open(path) as library:
        assert import_paths(library, [SAMPLE_CASES]).imported == 26
        ids = {
            source_id: case_id
            for case_id, source_id in library._conn.execute("SELECT id, source_id FROM cases")
        }
        library.set_bookmark(ids["cardio-01"], True)
        library.set_bookmark(ids["cardio-02"], True)
        library.set_bookmark(ids["cardio-02"], False)
        library.save_note(ids["msk-02"], "A zebra among scaphoids")
        library.save_note(ids["msk-03"], "quagga")
        library.save_note(ids["msk-03"], "")
        library.mark_read(ids["neuro-01"])
        library.mark_read(ids["neuro-02"])
        library.add_highlight(ids["uro-01"], "title", 0, 5, comment="quokka", tags=["mnemonic"])
        uid = library.add_highlight(ids["uro-02"], "title", 0, 5, comment="wombat")
        library.delete_highlight(uid)
        library.trash(ids["gyn-01"])
        db = library._conn  # the organising tables of migration 8, written with plain SQL
        stamp = "2026-11-01T00:00:00+00:00"
        for n, (source_id, tag, deleted) in enumerate(
            [
                ("abdo-01", "spot diagnosis", None),
                ("abdo-01", "GI", None),
                ("neuro-01", "Neuro", None),
                ("neuro-02", "neuroradiology", None),
                ("chest-01", "neuro", stamp),  # a removed tag
                ("chest-02", "a_b%", None),
            ]
        ):
            db.execute(
                "INSERT INTO case_tags (uid, created_at, updated_at, deleted_at, case_source,"
                " case_source_id, tag) VALUES (?, ?, ?, ?, 'lightbox', ?, ?)",
                (f"t{n}", stamp, stamp, deleted, source_id, tag),
            )
        for uid, name, parent, deleted in [
            ("boards", "Boards", None, None),
            ("chest", "Chest", "boards", None),
            ("nested", "Nested", "chest", None),
            ("abdo", "Abdo", "boards", None),
            ("teaching", "Teaching", None, None),
            ("chest2", "chest", "teaching", None),
            ("old", "Old", "boards", stamp),  # a deleted collection
            ("under-old", "Under", "old", None),
            ("cycle-a", "Loop", "cycle-b", None),  # a cycle never loops the query
            ("cycle-b", "Loop2", "cycle-a", None),
        ]:
            db.execute(
                "INSERT INTO collections (uid, created_at, updated_at, deleted_at, name,"
                " parent_uid) VALUES (?, ?, ?, ?, ?, ?)",
                (uid, stamp, stamp, deleted, name, parent),
            )
        for n, (source_id, collection, deleted) in enumerate(
            [
                ("chest-01", "chest", None),
                ("chest-02", "nested", None),
                ("abdo-01", "abdo", None),
                ("chest-03", "chest2", None),
                ("msk-01", "boards", stamp),  # taken out again
                ("msk-02", "under-old", None),
                ("msk-03", "cycle-b", None),
            ]
        ):
            db.execute(
                "INSERT INTO collection_members (uid, created_at, updated_at, deleted_at,"
                " case_source, case_source_id, collection_uid)"
                " VALUES (?, ?, ?, ?, 'lightbox', ?, ?)",
                (f"m{n}", stamp, stamp, deleted, source_id, collection),
            )
        db.execute("UPDATE cases SET imported_at = '2026-11-20T12:00:00+00:00'")
        for source_id, published, imported in [
            ("abdo-01", "2011-06-01", "2026-09-01T12:00:00+00:00"),
            ("abdo-02", "2015-12-31", "2025-01-01T12:00:00+00:00"),
            ("abdo-03", "2016-01-01", None),
            ("breast-01", "2020-03-15", None),
            ("breast-02", None, None),
        ]:
            db.execute(
                "UPDATE cases SET published = ?, imported_at = coalesce(?, imported_at)"
                " WHERE source_id = ?",
                (published, imported, source_id),
            )
        yield library._conn


ALL = frozenset(
    "abdo-01 abdo-02 abdo-03 breast-01 breast-02 cardio-01 cardio-02 chest-01 chest-02"
    " chest-03 gyn-01 headneck-01 headneck-02 hybrid-01 ir-01 msk-01 msk-02 msk-03 neuro-01"
    " neuro-02 neuro-03 paeds-01 paeds-02 paeds-03 uro-01 uro-02".split()
)

#: A query and the sample cases it finds (space-separated source ids; "ALL" is every case,
#: "ALL -x -y" every case but those).
FINDS: list[tuple[str, str]] = [
    # Free text: the case's text, a live note, a live highlight's comment or tags.
    ("gynaecomastia", "breast-02"),
    ("GYNAECOMASTIA", "breast-02"),
    ("schwannoma", "headneck-01"),
    ('"pulmonary embolism"', "cardio-02"),
    ("non-accidental", "paeds-02"),
    ("osteosarc*", "msk-01"),
    ("zebra", "msk-02"),
    ("quagga", ""),  # a cleared note
    ("quokka", "uro-01"),
    ("mnemonic", "uro-01"),
    ("wombat", ""),  # a deleted highlight
    ("zebra fracture", "msk-02"),  # one word in the note, the other in the case
    ("zebra or quokka", "msk-02 uro-01"),
    ("sarcoidosis -hodgkin", "chest-02"),
    ("volvulus or torsion", "paeds-01 gyn-01 uro-01"),
    ("-fracture", "ALL -msk-01 -msk-02 -msk-03 -neuro-01 -paeds-02"),
    ("haematoma (-neuro* tag:*)", ""),
    ("haematoma -(section:neuro* or section:cardio*)", "paeds-03"),
    # Filters.
    ("section:Neuroradiology", "neuro-01 neuro-02 neuro-03"),
    ("section:neuroradiology", "neuro-01 neuro-02 neuro-03"),
    ("section:chest", "chest-01 chest-02 chest-03"),  # the first words of its name
    ("section:ches", ""),  # a word cut short is a prefix only with *
    ("section:chest*", "chest-01 chest-02 chest-03"),
    ('section:"chest imaging"', "chest-01 chest-02 chest-03"),
    ("section:*", "ALL"),
    ("sex:f section:neuro*", "neuro-01 neuro-03"),
    ("sex:male section:paed*", "paeds-01 paeds-03"),
    ("age:<1y", "paeds-01 paeds-02"),
    ("age:<=2w", "paeds-01"),
    ("age:4m", "paeds-02"),
    ("age:2y", "paeds-03"),
    ("age:6m-2y", "paeds-03"),
    ("age:18-40y", "abdo-01 cardio-02 chest-01 chest-02 gyn-01 hybrid-01 msk-02 msk-03 neuro-03"),
    ("age:19-38y", "abdo-01 cardio-02 chest-01 chest-02 gyn-01 hybrid-01 msk-02 msk-03 neuro-03"),
    ("age:>65y", "abdo-03 breast-02 chest-03 neuro-01 neuro-02"),
    ("age:>=67y", "abdo-03 breast-02 chest-03 neuro-01 neuro-02"),
    ("age:>67y", "abdo-03 breast-02 chest-03 neuro-01"),
    ("age:14y or age:15y", "msk-01 uro-01"),
    ("dx:appendicitis", "abdo-01"),
    ("appendicitis", "abdo-01 paeds-03"),
    ("dx:carcin*", "abdo-02 breast-01 uro-02"),
    ('dx:"embolism pulmonary"', "cardio-02"),
    ('ddx:"aortic dissection"', "cardio-01 cardio-02"),
    ("tag:neuro", "neuro-01"),
    ("tag:NEURO*", "neuro-01 neuro-02"),
    ('tag:"spot diagnosis"', "abdo-01"),
    ("tag:a_b%", "chest-02"),
    ("tag:a_*", "chest-02"),
    ("tag:a*b", ""),
    ("tag:*", "abdo-01 neuro-01 neuro-02 chest-02"),
    ("-tag:*", "ALL -abdo-01 -neuro-01 -neuro-02 -chest-02"),
    ("in:Boards", "chest-01 chest-02 abdo-01"),
    ("in:boards/chest", "chest-01 chest-02"),
    ('in:"Boards/Chest/Nested"', "chest-02"),
    ("in:Chest", "chest-01 chest-02 chest-03"),
    ("in:/Chest", ""),
    ("in:/Teaching/Chest", "chest-03"),
    ("in:Nested", "chest-02"),
    ("in:Boards/Nested", ""),
    ("in:Old", ""),
    ("in:Under", "msk-02"),
    ("in:Loop", "msk-03"),
    ("in:Nowhere", ""),
    ("-in:Boards section:chest*", "chest-03"),
    ("is:bookmarked", "cardio-01"),
    ("is:read", "neuro-01 neuro-02"),
    ("is:unread section:neuro*", "neuro-03"),
    ("-is:unread", "neuro-01 neuro-02"),
    ("is:trashed", "gyn-01"),
    ("has:notes", "msk-02"),
    ("has:highlights", "uro-01"),
    ("published:2011", "abdo-01"),
    ("published:2011..2015", "abdo-01 abdo-02"),
    ("published:2015..2016", "abdo-02 abdo-03"),
    ("published:<2016", "abdo-01 abdo-02"),
    ("published:<=2016", "abdo-01 abdo-02 abdo-03"),
    ("published:2020-03", "breast-01"),
    ("published:2020-03-15", "breast-01"),
    ("published:>2020", "ALL -abdo-01 -abdo-02 -abdo-03 -breast-01 -breast-02"),
    ("-published:>2020", "abdo-01 abdo-02 abdo-03 breast-01 breast-02"),
    ("added:30d", "ALL -abdo-01 -abdo-02"),
    ("added:1y", "ALL -abdo-02"),
    ("-added:6m", "abdo-02"),
]


def found(conn: sqlite3.Connection, text: str) -> set[str]:
    result = compiled(text)
    rows = conn.execute(
        f"SELECT c.source_id FROM cases c WHERE {result.where}", result.params
    ).fetchall()
    return {row[0] for row in rows}


def expected(cases: str) -> set[str]:
    words = cases.split()
    if words[:1] == ["ALL"]:
        return set(ALL) - {word.removeprefix("-") for word in words[1:]}
    assert set(words) <= ALL
    return set(words)


@pytest.mark.parametrize(("query", "cases"), FINDS)
def test_finds(conn: sqlite3.Connection, query: str, cases: str) -> None:
    assert found(conn, query) == expected(cases)


@pytest.mark.parametrize("query", [query for query, _ in FINDS])
def test_a_negation_finds_exactly_the_other_cases(conn: sqlite3.Connection, query: str) -> None:
    inside = found(conn, query)
    outside = found(conn, f"-({query})")
    assert inside.isdisjoint(outside)
    assert inside | outside == ALL


def test_the_clause_keeps_its_meaning_beside_others(conn: sqlite3.Connection) -> None:
    """A caller adds its own conditions (the trash hidden): an `or` stays inside."""
    result = compiled("section:chest* or is:trashed")
    rows = conn.execute(
        f"SELECT c.source_id FROM cases c WHERE c.trashed_at IS NULL AND {result.where}",
        result.params,
    )
    assert {row[0] for row in rows} == {"chest-01", "chest-02", "chest-03"}


def test_a_recorded_age_is_that_age(conn: sqlite3.Connection) -> None:
    """Each case recorded as "N years/months/days" is found by age:N<unit>, and only by
    N: the query counts a year as the store does (365 days, MIRC's rule), not 365.25."""
    for source_id, age in conn.execute("SELECT source_id, age FROM cases"):
        number, unit = age.split()
        assert source_id in found(conn, f"age:{number}{unit[0]}")
        assert source_id not in found(conn, f"age:{int(number) + 1}{unit[0]}")
        assert source_id not in found(conn, f"age:<{number}{unit[0]}")


def test_the_collection_query_runs_once_not_per_case(conn: sqlite3.Connection) -> None:
    """The collection tree and the text sets are made once a statement (SQLite's plan
    says so), not for each case it tests."""
    result = compiled("in:Boards zebra")
    plan = " | ".join(
        row[3]
        for row in conn.execute(
            f"EXPLAIN QUERY PLAN SELECT c.id FROM cases c WHERE {result.where}", result.params
        )
    )
    assert "CORRELATED LIST SUBQUERY" not in plan, plan


# No input reaches SQL unbound.

#: A query that uses every fragment the compiler has: the words of any compiled query are
#: among the words of this one's SQL.
EVERYTHING = (
    'a "b c" d* section:x section:y* section:* sex:f age:<1y age:1-2y published:2011..2012'
    " added:3d dx:e ddx:f tag:g tag:h* tag:* tag:ödem in:i is:bookmarked is:read is:unread"
    " is:trashed"
    " has:notes has:highlights (j or -k)"
)

_PIECES = st.sampled_from(
    [
        "a",
        "liver",
        "or",
        "OR",
        "and",
        "-",
        "(",
        ")",
        '"',
        ":",
        "*",
        "/",
        "..",
        "<",
        ">=",
        "tag:",
        "in:",
        "age:",
        "sex:",
        "is:",
        "has:",
        "dx:",
        "ddx:",
        "section:",
        "published:",
        "added:",
        "1y",
        "3m",
        "18-40y",
        "2011",
        "2020-03",
        "x",
        "' OR 1=1 --",
        "NEAR",
        "é",
        "\x00",
        "\ud800",
        "\t",
        "\u3000",
        "日本",
        "%",
        "_",
        "\\",
        " ",
        "{",
        "}",
        "^",
        "c.id",
        "cases",
    ]
)
QUERIES = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=20).map("".join),
    st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=20).map(" ".join),
)


@pytest.fixture(scope="module")
def vocabulary() -> frozenset[str]:
    return frozenset(re.findall(r"\w+", compiled(EVERYTHING).where))


@given(text=QUERIES)
def test_no_input_reaches_sql_unbound(
    conn: sqlite3.Connection, vocabulary: frozenset[str], text: str
) -> None:
    parsed = parse(text)
    assert (parsed.node is None) or not parsed.errors
    for error in parsed.errors:
        assert 0 <= error.start <= error.end <= len(text)
    if parsed.node is None:
        return
    describe(parsed.node)
    result = compile_query(parsed.node, now=NOW)
    assert result.where.count("?") == len(result.params)
    assert "'" not in result.where and '"' not in result.where
    assert set(re.findall(r"\w+", result.where)) <= vocabulary
    # And the SQL runs: any sqlite3 error fails the test.
    conn.execute(f"SELECT count(*) FROM cases c WHERE {result.where}", result.params).fetchone()


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("pneumo", "pneumo*"),
        ("lung nod", "lung nod*"),
        ("section:chest pneumo ", "section:chest pneumo*"),
        ("pneumo*", "pneumo*"),
        ('"pleural effusion"', '"pleural effusion"'),
        ("tag:x", "tag:x"),
        ("is:unread", "is:unread"),
        ("(unclosed", "(unclosed"),
    ],
)
def test_a_saved_search_writes_out_the_prefix_the_box_reads(typed: str, saved: str) -> None:
    from desktop.query import as_saved

    assert as_saved(typed) == saved


def _ids_to_keys(conn: sqlite3.Connection, ids: set[int]) -> set[str]:
    rows = conn.execute("SELECT id, source_id FROM cases").fetchall()
    return {source_id for case_id, source_id in rows if case_id in ids}


@pytest.mark.parametrize(("query", "cases"), FINDS)
def test_a_collection_tested_case_by_case_finds_the_same(
    conn: sqlite3.Connection, query: str, cases: str
) -> None:
    """``in:`` as a lookup per case (for a broad collection) selects what its set does,
    negated too."""
    node = parse(query).node
    assert node is not None
    for tree in (node, Not(node)):
        result = compile_query(tree, now=NOW, probe=frozenset(collection_terms(tree)))
        rows = conn.execute(f"SELECT c.source_id FROM cases c WHERE {result.where}", result.params)
        inside = {row[0] for row in rows}
        assert inside == (expected(cases) if tree is node else ALL - expected(cases))


@pytest.mark.parametrize(("query", "cases"), FINDS)
def test_a_tree_of_id_sets_tests_any_ids(conn: sqlite3.Connection, query: str, cases: str) -> None:
    """A tree `by_id` accepts tests another table's ids and reads no case row: the same
    cases; words, tags, collections, sections and the reader's marks are such trees."""
    node = parse(query).node
    assert node is not None
    if not by_id(node):
        assert re.search(r"age:|published:|added:|sex:|is:(un)?read|is:trashed|\*", query)
        return
    result = compile_query(node, now=NOW, case_id="t.id")
    assert not re.search(r"\bc\.", result.where)
    rows = conn.execute(
        f"SELECT t.id FROM (SELECT id FROM cases) t WHERE {result.where}", result.params
    )
    assert _ids_to_keys(conn, {row[0] for row in rows}) == expected(cases)


def test_the_words_a_query_ranks_by() -> None:
    def split(text: str) -> tuple[list[str], str | None]:
        node = parse(text).node
        assert node is not None
        words, rest = ranked_words(node)
        return [describe(w) for w in words], None if rest is None else describe(rest)

    assert split("liver in:Boards") == (["text(liver)"], "in(Boards)")
    assert split('"pleural effusion" liver* age:>65y -is:unread') == (
        ['text("pleural effusion")', "text(liver*)"],
        "and(age[24090d,), not(is=unread))",
    )
    assert split("liver") == (["text(liver)"], None)
    assert split("tag:x") == ([], "tag=x")
    # Words under `or`, or among the other terms, rank the whole query instead.
    assert split("liver or tag:x") == ([], "or(text(liver), tag=x)")
    assert split("liver (spleen or tag:x)")[0] == []
    assert split("liver -spleen tag:x") == (["text(liver)"], "and(not(text(spleen)), tag=x)")
    assert case_text_match(ranked_words(parse('"a b" c*').node or Text(("x",)))[0]) == (
        '"a b" "c"*'
    )
