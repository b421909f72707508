"""The search language: a reader's query text -> a tree of terms -> parameterised SQL.

Pure: no Qt, no database. `parse` reads the text into a `Parsed` (a tree, or the errors with
their places in the text: it never raises); `compile_query` turns a tree into a WHERE clause
over the case row ``c`` (table ``cases``) with every value of the reader's as a bound
parameter; `describe` writes a tree back in one canonical form (the tests read it).

The language (Anki's search grammar and Joplin's filters are its models):

* Words, ``"phrases"`` and ``prefix*`` search all of a case's text (every section), the
  reader's live note on it and the comments and tags of its live highlights: a term matches
  a case when its words are in any one of those. A bare word with inner punctuation
  (``non-accidental``, ``T2/FLAIR``) is a phrase of its words. A term with no word in it
  (``&``, ``"..."``) is left out, as the search index would.
* Terms side by side must all match (an ``and`` word may stand between them too); ``or``
  between two terms lets either match; ``and`` binds tighter than ``or``, as in Anki and SQL
  (``a b or c`` is ``(a and b) or c``); parentheses group; ``-`` before a term or a group
  negates it. ``or`` and ``and`` are operators in any case (``OR``, ``Or``); quote them to
  search for the words.
* Filters, ``name:value`` (names in any case; a value with spaces in quotes,
  ``tag:"spot diagnosis"``)::

      section:Neuroradiology  section:neuro*  section:*       the case's section
      sex:f  sex:female  sex:m  sex:male
      age:<1y  age:<=2w  age:>65y  age:>=18y  age:3m  age:18-40y  age:6m-2y  age:40
      dx:WORDS   ddx:WORDS                                  final diagnosis, differential
      tag:x  tag:neuro*  tag:*                              -tag:* is "no tag"
      in:Boards  in:Boards/Chest  in:/Boards                a collection and those inside it
      is:bookmarked  is:unread  is:read  is:trashed  has:notes  has:highlights
      is:due  is:leech                                      due for a drill now; missed often
      published:2011  published:2020-03  published:2011..2015  published:>2018  ..2015
      added:30d  added:2w  added:6m  added:1y               imported in the last N days...

Decisions:

* **Ages.** A case's age in days follows MIRC's rule, as `desktop.model.Patient` stores it:
  a year is 365 days, a month 30, a week 7 (``19 years`` is stored as 6,935 days). The
  query uses the same units, so a case recorded as "N units" is N units old here: with 365.25
  days a year, ``age:19y`` would miss the case recorded as 19 years old. An age in a unit is
  whole units, rounded down: ``age:3m`` is 90 <= days < 120, ``age:<1y`` is days < 365,
  ``age:>65y`` is 66 years or more, ``age:<=2w`` is days < 21. A range includes the whole of
  its last unit: ``age:18-40y`` is 18 years <= age < 41 years; each end may have its own unit
  (``age:6m-2y``; the first takes the second's when it has none); an age without a unit is
  in years. Cases without an age never match an age filter (and always match its negation).
* **Dates.** ``published:`` takes a year, a year-month or a day; a range includes both ends
  whole (``2011..2015`` is 2011-01-01 <= published < 2016-01-01), either end may be left
  open, and ``>``, ``>=``, ``<``, ``<=`` compare with the whole period. ``added:N`` is
  "imported at or after now - N days" (units as for ages; no unit is days).
* **Case.** Filter values compare without regard to case (``section:``, ``tag:``, ``in:``
  names): SQLite's rules, which fold ASCII letters only. ``sex:``, ``is:`` and ``has:``
  values are words of the language, in any case.
* **Collections.** ``in:A`` finds every live collection named A, wherever it sits, with
  every collection nested in it; ``in:A/B`` a B directly inside an A; a leading ``/`` anchors
  the first name at the top level. A trailing ``/`` is allowed, an empty name between two
  is not.
* **Negation is a complement.** Every condition is true or false, never NULL, so ``-x``
  matches exactly the cases ``x`` does not (``-age:<1y`` includes cases of unknown age).
* **Bounds.** At most `MAX_LENGTH` characters, `MAX_TERMS` terms (a phrase counts each of
  its words, as `desktop.store.cases.MAX_QUERY_WORDS` does; a term repeated counts once) and
  `MAX_DEPTH` levels of parentheses. Past a bound the query is an error, not cut short: a
  query with some terms dropped means something else (a dropped ``-x`` widens it), and the
  reader sees where the bound was reached.
* **Errors** are values with a kind, a plain message and their place in the text. The tree
  is given only when there are none. All errors found are given, in order of place.

The trash: `compile_query` does not leave trashed cases out; the caller decides (see
`Compiled.trash`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FILTERS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "Added",
    "Age",
    "And",
    "Compiled",
    "Diagnosis",
    "ErrorKind",
    "Filter",
    "InCollection",
    "Node",
    "Not",
    "Or",
    "Parsed",
    "Published",
    "QueryError",
    "Text",
    "by_id",
    "case_text_match",
    "collection_count",
    "collection_terms",
    "compile_query",
    "describe",
    "parse",
    "ranked_words",
    "short_query",
]

#: The longest query read, in characters.
MAX_LENGTH = 1_000
#: The most terms a query may have (see the module docstring: a phrase counts each word).
MAX_TERMS = 32
#: The most levels of parentheses one inside another.
MAX_DEPTH = 16

#: Days in each unit of an age or of ``added:`` (MIRC's rule, as the importer stores ages).
UNIT_DAYS: dict[str, int] = {"d": 1, "w": 7, "m": 30, "y": 365}
#: The largest number an age or ``added:`` value may have (six digits).
_MAX_NUMBER = 999_999

#: Every filter name, for the "did you mean" suggestion.
FILTERS = (
    "section",
    "sex",
    "age",
    "dx",
    "ddx",
    "tag",
    "in",
    "is",
    "has",
    "published",
    "added",
)
_SEXES = {"f": "female", "female": "female", "m": "male", "male": "male"}
#: Values of ``is:`` and ``has:``, with the spellings each accepts.
_STATES: dict[str, dict[str, str]] = {
    "is": {
        "bookmarked": "bookmarked",
        "unread": "unread",
        "read": "read",
        "trashed": "trashed",
        "due": "due",
        "leech": "leech",
    },
    "has": {
        "notes": "notes",
        "note": "notes",
        "highlights": "highlights",
        "highlight": "highlights",
    },
}

ErrorKind = Literal[
    "unclosed_quote",  #: a ``"`` with no closing one
    "unclosed_group",  #: a ``(`` with no closing ``)``
    "unopened_group",  #: a ``)`` with no ``(`` before it
    "empty_group",  #: ``()``
    "misplaced_or",  #: ``or`` with no term on one side
    "misplaced_and",  #: ``and`` with no term on one side
    "dangling_negation",  #: a ``-`` with nothing after it to negate
    "unknown_filter",  #: ``name:`` where name is no filter
    "bad_value",  #: a filter's value it cannot read (or none)
    "too_long",  #: more than MAX_LENGTH characters
    "too_many_terms",  #: more than MAX_TERMS terms
    "too_deep",  #: more than MAX_DEPTH levels of parentheses
]


@dataclass(frozen=True, slots=True)
class QueryError:
    """A mistake in a query: what kind, a plain message, and where (``text[start:end]``,
    in characters)."""

    kind: ErrorKind
    message: str
    start: int
    end: int


# The tree. Nodes compare by meaning; `describe` writes them out.


@dataclass(frozen=True, slots=True)
class Text:
    """Words searched in all of a case's text, its note and its highlights' comments and
    tags: one word, or a phrase (its words in this order); the last word a prefix if
    `prefix`."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """``dx:`` (final diagnosis) or ``ddx:`` (differential list): all of `words` in that
    field, in any order; the last a prefix if `prefix`."""

    field: Literal["dx", "ddx"]
    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Filter:
    """A filter with a word for its value: ``section``, ``sex``, ``tag`` (value as typed,
    matched without regard to case), ``is``, ``has`` (canonical value).

    Attributes:
        name: the filter.
        op: ``=`` (equal), ``prefix`` (starts with `value`) or ``any`` (has one at all).
        value: the value (empty for ``any``).
    """

    name: Literal["section", "sex", "tag", "is", "has"]
    op: Literal["=", "prefix", "any"]
    value: str = ""


@dataclass(frozen=True, slots=True)
class Age:
    """The patient's age in days lies in [low, high); None is an open end."""

    low: int | None
    high: int | None


@dataclass(frozen=True, slots=True)
class Published:
    """The published date (ISO ``YYYY-MM-DD``) lies in [low, high); None is an open end."""

    low: str | None
    high: str | None


@dataclass(frozen=True, slots=True)
class Added:
    """Imported at or after `days` days before the moment the query is compiled for."""

    days: int


@dataclass(frozen=True, slots=True)
class InCollection:
    """In the collection at `path` (names, nested) or in one inside it; `anchored`: the
    first name is a top-level collection, else any collection of that name."""

    path: tuple[str, ...]
    anchored: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    """All children match (two or more, none of them an And)."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Any child matches (two or more, none of them an Or)."""

    children: tuple[Node, ...]


Node = Text | Diagnosis | Filter | Age | Published | Added | InCollection | Not | And | Or


@dataclass(frozen=True, slots=True)
class Parsed:
    """What `parse` read: the tree (None for a query with no terms, or with errors) and the
    errors, in order of their place in the text."""

    node: Node | None
    errors: tuple[QueryError, ...] = ()


@dataclass(frozen=True, slots=True)
class Compiled:
    """A query as SQL.

    Attributes:
        where: a boolean SQL expression over the case row ``c`` (``FROM cases c``), made only
            of this module's fixed fragments; every value is a ``?`` in it.
        params: the values, in the order of the ``?``.
        text_terms: the free-text terms that are not negated, for ranking and highlighting:
            a word, words of a phrase joined by a space, a prefix with ``*`` after it.
        trash: the query names ``is:trashed`` somewhere (a caller that hides the trash by
            default should show it then).
    """

    where: str
    params: tuple[object, ...]
    text_terms: tuple[str, ...]
    trash: bool = False


# Parsing ---------------------------------------------------------------------------------

#: Words of the search index: letters and digits (the index splits at underscores too).
_WORD = re.compile(r"[^\W_]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_FILTER_NAME = re.compile(r"[A-Za-z]+")
#: A bare run ends at white space, a parenthesis or a quote.
_BARE_END = frozenset('()"')
_AGE_ONE = re.compile(r"(<=|>=|<|>|=)?(\d{1,6})([a-z])?")
_AGE_RANGE = re.compile(r"(\d{1,6})([a-z])?(?:-|\.\.)(\d{1,6})([a-z])?")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_ADDED = re.compile(r"(\d{1,6})([a-z])?")

TokenKind = Literal["open", "close", "not", "or", "and", "word", "phrase", "filter"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: TokenKind
    start: int
    end: int
    text: str = ""  # a word's or phrase's text; a filter's value
    name: str = ""  # a filter's name, lower case
    value_start: int = 0  # where a filter's value starts (after its quote, if quoted)


#: What only the language reads: a filter (`tag:`), a group, a negated term.
_STRUCTURE = re.compile(r"[A-Za-z]+:|[()]|(?:^|\s)-\S")
#: `or` and `and` between words (`and` only matters where it sits wrongly).
_OPERATOR = re.compile(r"(?:^|\s)(?:or|and)(?:\s|$)", re.IGNORECASE)


def uses_language(text: str) -> bool:
    """Whether the query needs this language to be read. A query of plain words and phrases
    is searched as words (ranked, and an over-long one cut rather than refused); so is a
    text too long for the language with no filter, group or negation in it (a paragraph
    pasted into the box, where `or` and `and` are words)."""
    if _STRUCTURE.search(text):
        return True
    return len(text) <= MAX_LENGTH and _OPERATOR.search(text) is not None


def highlight_words(text: str) -> tuple[str, ...]:
    """The words a query looks for in case text (not negated, not filter values), for
    marking them in the case shown; () when the query cannot be read."""
    if not uses_language(text):
        return tuple(_WORD.findall(text))
    node = parse(text).node
    if node is None:
        return ()
    return tuple(dict.fromkeys(w for t in _positive_text(node) for w in t.words))


def parse(text: str, *, prefix_last: bool = False) -> Parsed:
    """Reads a query. Never raises: mistakes come back as `Parsed.errors`.

    Args:
        text: the query as typed.
        prefix_last: the last term is a word still being typed: search it as a prefix (a
            bare word at the very end only, not one in quotes or followed by a space).

    Returns:
        The tree and no errors; or no tree and the errors; or neither, for a query with
        nothing to search (empty, white space, punctuation).
    """
    if len(text) > MAX_LENGTH:
        message = (
            f"A query can be at most {MAX_LENGTH:,} characters long; this one has {len(text):,}."
        )
        return Parsed(None, (QueryError("too_long", message, MAX_LENGTH, len(text)),))
    # A lone surrogate cannot be bound to SQLite (it is no UTF-8): one U+FFFD each, so
    # every place in the text stays where it was.
    tokens, errors = _lex(_SURROGATE.sub("\ufffd", text))
    parser = _Parser(tokens, text, prefix_last)
    node = parser.parse()
    errors += parser.errors
    if errors:
        return Parsed(None, tuple(sorted(errors, key=lambda e: (e.start, e.end))))
    return Parsed(node)


def _lex(text: str) -> tuple[list[_Token], list[QueryError]]:
    tokens: list[_Token] = []
    errors: list[QueryError] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token("open" if char == "(" else "close", i, i + 1))
            i += 1
        elif char == "-":
            after = text[i + 1 : i + 2]
            if not after or after.isspace() or after == ")":
                errors.append(
                    QueryError(
                        "dangling_negation",
                        "A '-' must stand right before the term or group it leaves out.",
                        i,
                        i + 1,
                    )
                )
            else:
                tokens.append(_Token("not", i, i + 1))
            i += 1
        elif char == '"':
            close = text.find('"', i + 1)
            if close < 0:
                errors.append(_unclosed_quote(i, n))
                break
            tokens.append(_Token("phrase", i, close + 1, text[i + 1 : close]))
            i = close + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _BARE_END:
                j += 1
            run = text[i:j]
            name, colon, value = run.partition(":")
            if colon and _FILTER_NAME.fullmatch(name):
                if not value and text[j : j + 1] == '"':
                    close = text.find('"', j + 1)
                    if close < 0:
                        errors.append(_unclosed_quote(j, n))
                        break
                    tokens.append(
                        _Token("filter", i, close + 1, text[j + 1 : close], name.lower(), j + 1)
                    )
                    j = close + 1
                else:
                    tokens.append(_Token("filter", i, j, value, name.lower(), i + len(name) + 1))
            elif run.casefold() in ("or", "and"):
                tokens.append(_Token("or" if run.casefold() == "or" else "and", i, j))
            else:
                tokens.append(_Token("word", i, j, run))
            i = j
    return tokens, errors


def _unclosed_quote(start: int, end: int) -> QueryError:
    return QueryError(
        "unclosed_quote", 'This quote has no closing ". Add one after the words.', start, end
    )


#: An item of a group, as read: a term (None: one with nothing to search) or an operator.
_Item = tuple[Literal["term"], Node | None, _Token] | tuple[Literal["or", "and"], None, _Token]


class _Parser:
    """Recursive descent over the tokens, one level of parentheses a call."""

    def __init__(self, tokens: list[_Token], text: str, prefix_last: bool) -> None:
        self.tokens = tokens
        self.text = text
        self.prefix_last = prefix_last
        self.at = 0
        self.errors: list[QueryError] = []
        self.seen: set[Node] = set()
        self.terms = 0
        self.stopped = False

    def parse(self) -> Node | None:
        return self._group(None, 0)

    def _group(self, opening: _Token | None, depth: int) -> Node | None:
        """The terms up to the `)` that closes `opening` (or to the end, for the top)."""
        items: list[_Item] = []
        while self.at < len(self.tokens) and not self.stopped:
            token = self.tokens[self.at]
            self.at += 1
            if token.kind == "close":
                if opening is not None:
                    if not items:
                        self._error(
                            "empty_group",
                            "These parentheses hold nothing: put terms inside or remove them.",
                            opening.start,
                            token.end,
                        )
                    return self._combine(items)
                self._error(
                    "unopened_group", "This ')' closes no '(' before it.", token.start, token.end
                )
            elif token.kind in ("or", "and"):
                kind: Literal["or", "and"] = "or" if token.kind == "or" else "and"
                items.append((kind, None, token))
            else:
                items.append(("term", self._unary(token, depth), token))
        if opening is not None and not self.stopped:
            self._error(
                "unclosed_group", "This '(' is never closed: add a ')'.", opening.start, opening.end
            )
        return self._combine(items)

    def _unary(self, token: _Token, depth: int) -> Node | None:
        """A term, a group, or either after one or more '-' (`token` is its first token)."""
        negations = 0
        while token.kind == "not":
            nxt = self.tokens[self.at] if self.at < len(self.tokens) else None
            if nxt is None or nxt.kind in ("close", "or", "and"):
                self._error(
                    "dangling_negation",
                    "A '-' must stand right before the term or group it leaves out.",
                    token.start,
                    token.end,
                )
                return None
            negations += 1
            token = nxt
            self.at += 1
        if token.kind == "open":
            if depth >= MAX_DEPTH:
                self._error(
                    "too_deep",
                    f"At most {MAX_DEPTH} levels of parentheses can nest.",
                    token.start,
                    token.end,
                )
                self.stopped = True
                return None
            node = self._group(token, depth + 1)
        else:
            node = self._term(token)
        if node is None or negations % 2 == 0:
            return node
        return node.child if isinstance(node, Not) else Not(node)

    def _term(self, token: _Token) -> Node | None:
        if token.kind == "filter":
            node = self._filter(token)
            if node is not None:
                self._count(node, 1, token)
            return node
        words = tuple(_WORD.findall(token.text))
        if not words:
            return None
        last = token.kind == "word" and token is self.tokens[-1]
        typing = self.prefix_last and last and token.end == len(self.text)
        prefix = token.kind == "word" and (token.text.endswith("*") or typing)
        # A star counts only right after a word: "a-*" is the word a, not a prefix.
        if prefix and token.text.endswith("*") and not token.text.rstrip("*")[-1:].isalnum():
            prefix = False
        node = Text(words, prefix)
        self._count(node, len(words), token)
        return node

    def _count(self, node: Node, weight: int, token: _Token) -> None:
        if node in self.seen:
            return
        self.seen.add(node)
        before = self.terms
        self.terms += weight
        if before <= MAX_TERMS < self.terms:
            self._error(
                "too_many_terms",
                f"A query can have at most {MAX_TERMS} terms (a phrase counts each word);"
                " this is one too many.",
                token.start,
                token.end,
            )

    def _filter(self, token: _Token) -> Node | None:
        name, value = token.name, token.text
        where = (token.value_start, token.value_start + len(value))
        if name not in FILTERS:
            close = difflib.get_close_matches(name, FILTERS, n=1, cutoff=0.6)
            hint = (
                f"Did you mean {close[0]}:?"
                if close
                else "Filters: " + ", ".join(f"{f}:" for f in FILTERS) + "."
            )
            self._error(
                "unknown_filter",
                f"There is no filter {name}:. {hint} To search for the text, put it in quotes.",
                token.start,
                token.start + len(name) + 1,
            )
            return None
        if not value.strip():
            self._error("bad_value", f"{name}: needs a value after the colon.", *where)
            return None
        problem, node = _read_filter(name, value.strip())
        if problem is not None:
            self._error("bad_value", problem, *where)
        return node

    def _combine(self, items: list[_Item]) -> Node | None:
        """One node from a group's items: checks the operators stand between terms, then
        joins the terms (``and`` before ``or``)."""
        for index, (kind, _, token) in enumerate(items):
            if kind == "term":
                continue
            before = items[index - 1][0] if index > 0 else None
            after = items[index + 1][0] if index + 1 < len(items) else None
            if before != "term" or after != "term":
                self._error(
                    "misplaced_or" if kind == "or" else "misplaced_and",
                    f"'{self.text[token.start : token.end]}' must stand between"
                    " two terms. To search for the word, put it in quotes.",
                    token.start,
                    token.end,
                )
        alternatives: list[list[Node]] = [[]]
        for kind, node, _ in items:
            if kind == "or":
                alternatives.append([])
            elif node is not None:
                alternatives[-1].append(node)
        return _or([_and(terms) for terms in alternatives if terms])

    def _error(self, kind: ErrorKind, message: str, start: int, end: int) -> None:
        self.errors.append(QueryError(kind, message, start, end))


def _and(children: list[Node]) -> Node | None:
    flat = _flatten(children, And)
    return flat[0] if len(flat) == 1 else And(flat) if flat else None


def _or(children: list[Node | None]) -> Node | None:
    flat = _flatten([c for c in children if c is not None], Or)
    return flat[0] if len(flat) == 1 else Or(flat) if flat else None


def _flatten(children: list[Node], kind: type[And] | type[Or]) -> tuple[Node, ...]:
    """Children of nested nodes of the same kind lifted into one, repeats dropped."""
    flat: dict[Node, None] = {}
    for child in children:
        for node in child.children if isinstance(child, kind) else (child,):
            flat.setdefault(node)
    return tuple(flat)


def _read_filter(name: str, value: str) -> tuple[str | None, Node | None]:
    """A filter's node, or what is wrong with its value."""
    lowered = value.casefold()
    if name in ("section", "tag"):
        field: Literal["section", "tag"] = "section" if name == "section" else "tag"
        if not value.rstrip("*"):
            return None, Filter(field, "any")
        if value.endswith("*"):
            return None, Filter(field, "prefix", value.rstrip("*"))
        return None, Filter(field, "=", value)
    if name == "sex":
        sex = _SEXES.get(lowered)
        if sex is None:
            return "sex: takes f, female, m or male.", None
        return None, Filter("sex", "=", sex)
    if name in ("is", "has"):
        state = _STATES[name].get(lowered)
        if state is None:
            allowed = ", ".join(f"{name}:{v}" for v in dict.fromkeys(_STATES[name].values()))
            return f"{name}:{value} is not known; use one of {allowed}.", None
        return None, Filter("is" if name == "is" else "has", "=", state)
    if name in ("dx", "ddx"):
        words = tuple(_WORD.findall(value))
        if not words:
            return f"{name}: needs a word to search for.", None
        prefix = value.endswith("*") and value.rstrip("*")[-1:].isalnum()
        return None, Diagnosis("dx" if name == "dx" else "ddx", words, prefix)
    if name == "age":
        return _read_age(lowered)
    if name == "published":
        return _read_published(lowered)
    if name == "added":
        match = _ADDED.fullmatch(lowered)
        if match is None or (match[2] and match[2] not in UNIT_DAYS):
            return "added: takes a number of days, weeks, months or years: added:30d.", None
        return None, Added(int(match[1]) * UNIT_DAYS[match[2] or "d"])
    # `name` is one of FILTERS: the branches above cover each.
    assert name == "in", name
    anchored = value.startswith("/")
    names = [part.strip() for part in value.removeprefix("/").removesuffix("/").split("/")]
    if not all(names):
        return "in: needs a collection name between each '/'; in:Boards/Chest.", None
    return None, InCollection(tuple(names), anchored)


def _read_age(value: str) -> tuple[str | None, Node | None]:
    units = "use d, w, m or y (days, weeks, months, years)"
    match = _AGE_RANGE.fullmatch(value)
    if match is not None:
        first_unit, second_unit = match[2], match[4]
        if any(u and u not in UNIT_DAYS for u in (first_unit, second_unit)):
            return f"age: has no such unit; {units}.", None
        high_unit = UNIT_DAYS[second_unit or "y"]
        low_unit = UNIT_DAYS[first_unit] if first_unit else high_unit
        low, high = int(match[1]) * low_unit, (int(match[3]) + 1) * high_unit
        if low >= high:
            return "age: this range ends before it starts.", None
        return None, Age(low, high)
    match = _AGE_ONE.fullmatch(value)
    if match is None:
        return f"age: takes an age such as <1y, >65y, 3m or 18-40y; {units}.", None
    if match[3] and match[3] not in UNIT_DAYS:
        return f"age: has no such unit; {units}.", None
    unit = UNIT_DAYS[match[3] or "y"]
    start, after = int(match[2]) * unit, (int(match[2]) + 1) * unit
    bounds = {
        "<": (None, start),
        "<=": (None, after),
        ">": (after, None),
        ">=": (start, None),
    }.get(match[1] or "=", (start, after))
    return None, Age(*bounds)


def _read_published(value: str) -> tuple[str | None, Node | None]:
    wrong = "published: takes a year, 2011-03 or 2011-03-05, a range 2011..2015, or >2018."
    for operator in ("<=", ">=", "<", ">"):
        if value.startswith(operator):
            period = _period(value[len(operator) :])
            if period is None:
                return wrong, None
            first, after = period
            bounds = {
                "<": (None, first),
                "<=": (None, after),
                ">": (after, None),
                ">=": (first, None),
            }[operator]
            if bounds == (None, None):
                return wrong, None
            return None, Published(*bounds)
    if ".." in value:
        low_text, _, high_text = value.partition("..")
        low = _period(low_text) if low_text else (None, None)
        high = _period(high_text) if high_text else (None, None)
        if low is None or high is None or (not low_text and not high_text):
            return wrong, None
        if low[0] is not None and high[1] is not None and low[0] >= high[1]:
            return "published: this range ends before it starts.", None
        return None, Published(low[0], high[1])
    period = _period(value)
    if period is None:
        return wrong, None
    return None, Published(*period)


def _period(text: str) -> tuple[str | None, str | None] | None:
    """The first day of a year, month or day and the first day after it (None past year
    9999), as ISO dates; None if `text` is no such period."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        first = dt.date(year, month, day)
    except ValueError:
        return None
    try:
        if match[3]:
            after = first + dt.timedelta(days=1)
        elif match[2]:
            after = dt.date(year + month // 12, month % 12 + 1, 1)
        else:
            after = dt.date(year + 1, 1, 1)
    except (ValueError, OverflowError):
        return first.isoformat(), None
    return first.isoformat(), after.isoformat()


# Describing ------------------------------------------------------------------------------


def describe(node: Node) -> str:
    """The tree in one canonical, readable form: ``and(text(a), not(tag=x))``."""
    if isinstance(node, And | Or):
        name = "and" if isinstance(node, And) else "or"
        return f"{name}({', '.join(describe(child) for child in node.children)})"
    if isinstance(node, Not):
        return f"not({describe(node.child)})"
    if isinstance(node, Text):
        return f"text({_words(node.words, node.prefix, phrase=True)})"
    if isinstance(node, Diagnosis):
        return f"{node.field}({_words(node.words, node.prefix, phrase=False)})"
    if isinstance(node, Filter):
        if node.op == "any":
            return f"{node.name}:*"
        return f"{node.name}{'^' if node.op == 'prefix' else '='}{node.value}"
    if isinstance(node, Age):
        low = "" if node.low is None else f"{node.low}d"
        high = "" if node.high is None else f"{node.high}d"
        return f"age[{low},{high})"
    if isinstance(node, Published):
        return f"published[{node.low or ''},{node.high or ''})"
    if isinstance(node, Added):
        return f"added({node.days}d)"
    return f"in({'/' if node.anchored else ''}{'/'.join(node.path)})"


def _words(words: tuple[str, ...], prefix: bool, *, phrase: bool) -> str:
    text = " ".join(words)
    if phrase and len(words) > 1:
        text = f'"{text}"'
    return text + ("*" if prefix else "")


# Compiling -------------------------------------------------------------------------------

#: The id a set of ids is tested against: the case row's, unless the caller names another
#: (see `compile_query`).
_CASE_ID = "c.id"
#: The cases whose own text matches (a non-correlated set: SQLite makes it once a query).
_CASE_TEXT = "{id} IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)"
#: Free text: the case's text, its live note, or a live highlight's comment or tags. The
#: index drives each part (a set of case ids made once) rather than a probe per case.
_TEXT = (
    f"({_CASE_TEXT}"
    " OR {id} IN (SELECT k.id FROM notes_fts CROSS JOIN notes x ON x.id = notes_fts.rowid"
    " CROSS JOIN cases k ON k.source = x.case_source AND k.source_id = x.case_source_id"
    " WHERE notes_fts MATCH ? AND x.deleted_at IS NULL)"
    " OR {id} IN (SELECT k.id FROM highlights_fts"
    " CROSS JOIN highlights x ON x.id = highlights_fts.rowid"
    " CROSS JOIN cases k ON k.source = x.case_source AND k.source_id = x.case_source_id"
    " WHERE highlights_fts MATCH ? AND x.deleted_at IS NULL))"
)
#: Two ways to test that a case has a live record `x` in a reader table (with `condition`
#: on it). A filter alone lists only the newest cases shown, so the list is read newest
#: first and stops once it has them: the cost of a test depends on how many cases hold.
#: `_IN_SET` makes the set of those cases' ids once a query (one index lookup per record),
#: then tests ids: best for records on few cases (a tag, bookmarks, notes, a collection),
#: whatever the query. `_PROBE` looks the case up in the reader table: a lookup per case
#: read, so best for what many cases hold (read, any tag, a tag prefix), where the list
#: stops after a few hundred cases rather than making a set of tens of thousands.
_IN_SET = (
    "{{id}} IN (SELECT k.id FROM {table} x CROSS JOIN cases k ON k.source = x.case_source"
    " AND k.source_id = x.case_source_id WHERE x.deleted_at IS NULL{condition})"
)
_PROBE = (
    "EXISTS (SELECT 1 FROM {table} x WHERE x.case_source = c.source"
    " AND x.case_source_id = c.source_id AND x.deleted_at IS NULL{condition})"
)
_STATE_SQL: dict[str, str] = {
    "bookmarked": _IN_SET.format(table="bookmarks", condition=""),
    "read": _PROBE.format(table="reading", condition=""),
    "unread": "NOT " + _PROBE.format(table="reading", condition=""),
    "trashed": "c.trashed_at IS NOT NULL",
    "notes": _IN_SET.format(table="notes", condition=" AND length(x.body) > 0"),
    "highlights": _IN_SET.format(table="highlights", condition=""),
    # The schedule is derived and keeps each case's row id: a set of ids from its indexes.
    "due": "{id} IN (SELECT case_id FROM study_schedule WHERE due <= ?)",
    "leech": "{id} IN (SELECT case_id FROM study_schedule WHERE leech)",
}
#: LIKE with a bound escape character, so no literal sits in the SQL.
_LIKE = "LIKE ? ESCAPE ?"
_TAG = _IN_SET.format(table="case_tags", condition="{condition}")
_ANY_TAG = _PROBE.format(table="case_tags", condition="{condition}")
#: The uids of the collections at a path (a JSON list of names; the first anywhere, or at
#: the top when the second parameter is 1) and of every live collection inside them.
_COLLECTION_UIDS = (
    "WITH RECURSIVE seg(i, name) AS (SELECT key, value FROM json_each(?)),"
    " hit(uid, i) AS (SELECT k.uid, 0 FROM seg CROSS JOIN collections k"
    " WHERE seg.i = 0 AND k.deleted_at IS NULL AND k.name = seg.name COLLATE NOCASE"
    " AND (k.parent_uid IS NULL OR NOT ?)"
    " UNION SELECT k.uid, hit.i + 1 FROM hit CROSS JOIN seg CROSS JOIN collections k"
    " WHERE seg.i = hit.i + 1 AND k.parent_uid = hit.uid AND k.deleted_at IS NULL"
    " AND k.name = seg.name COLLATE NOCASE),"
    " tree(uid) AS (SELECT uid FROM hit WHERE i = (SELECT max(i) FROM seg)"
    " UNION SELECT k.uid FROM tree CROSS JOIN collections k"
    " WHERE k.parent_uid = tree.uid AND k.deleted_at IS NULL)"
    " SELECT uid FROM tree"
)
_IN = _IN_SET.format(
    table="collection_members", condition=f" AND x.collection_uid IN ({_COLLECTION_UIDS})"
)
#: `in:` as a lookup per case (see `_PROBE`), for a collection holding many of the cases.
_IN_PROBE = _PROBE.format(
    table="collection_members", condition=f" AND x.collection_uid IN ({_COLLECTION_UIDS})"
)
#: How many live memberships `in:` reaches (from the index of live memberships).
_IN_COUNT = (
    "SELECT count(*) FROM collection_members x WHERE x.deleted_at IS NULL"
    f" AND x.collection_uid IN ({_COLLECTION_UIDS})"
)
_FTS_COLUMN = {"dx": "final_diagnosis", "ddx": "differential_diagnosis"}
#: A section by name: the library's few section names are read (each once) from the index
#: on sections and compared with the value, then the ids of the cases in those sections
#: come from that index too; no case row is read, whichever way the name is compared.
_SECTION = (
    "{id} IN (SELECT s.id FROM cases s WHERE s.section IN (SELECT d.section FROM"
    " (SELECT DISTINCT d0.section FROM cases d0 WHERE d0.section IS NOT NULL) d"
    " WHERE (d.section {condition})))"
)


def compile_query(
    node: Node,
    *,
    now: dt.datetime,
    case_id: str = _CASE_ID,
    probe: frozenset[InCollection] = frozenset(),
) -> Compiled:
    """The tree as a WHERE clause over ``cases c``; ``SELECT c.id FROM cases c WHERE
    {where}`` with `params` runs it.

    Args:
        node: a tree from `parse`.
        now: the moment ``added:`` counts back from (a naive time is taken as UTC).
        case_id: the SQL of the case id that sets of ids are tested against; another than
            ``c.id`` (a search index's rowid) only for a tree `by_id` accepts.
        probe: ``in:`` terms to test by a lookup per case rather than as a set of ids: best
            for a collection holding many cases when the query lists only the newest few
            (see `_PROBE`). Each needs the case row.
    """
    params: list[object] = []
    # In parentheses, so the clause keeps its meaning beside anything a caller adds.
    where = f"({_sql(node, params, now, (case_id, probe))})"
    terms = dict.fromkeys(_words(t.words, t.prefix, phrase=False) for t in _positive_text(node))
    trash = any(n == Filter("is", "=", "trashed") for n in _walk(node))
    return Compiled(where, tuple(params), tuple(terms), trash)


#: How `_sql` writes sets of ids: the id tested, and the ``in:`` terms looked up per case.
_Way = tuple[str, frozenset["InCollection"]]


def _sql(node: Node, params: list[object], now: dt.datetime, way: _Way) -> str:
    if isinstance(node, And | Or):
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(_sql(child, params, now, way) for child in node.children) + ")"
    if isinstance(node, Not):
        return f"NOT ({_sql(node.child, params, now, way)})"
    # The fragments are fixed text: the id put in is the caller's fixed SQL, never a value.
    return _leaf_sql(node, params, now, way[1]).replace("{id}", way[0])


def _leaf_sql(
    node: Node, params: list[object], now: dt.datetime, probe: frozenset[InCollection]
) -> str:
    if isinstance(node, Text):
        match = _fts_terms(node.words, node.prefix, phrase=True)
        params += (match, match, "{comment tags} : " + match)
        return _TEXT
    if isinstance(node, Diagnosis):
        words = _fts_terms(node.words, node.prefix, phrase=False)
        params.append(f"{{{_FTS_COLUMN[node.field]}}} : ({words})")
        return _CASE_TEXT
    if isinstance(node, Filter):
        if node.name == "is" and node.value == "due":
            params.append(_stamp(now))
        return _filter_sql(node, params)
    if isinstance(node, Age | Published):
        column = "c.age_days" if isinstance(node, Age) else "c.published"
        parts = [f"{column} IS NOT NULL"]
        if node.low is not None:
            parts.append(f"{column} >= ?")
            params.append(node.low)
        if node.high is not None:
            parts.append(f"{column} < ?")
            params.append(node.high)
        return "(" + " AND ".join(parts) + ")"
    if isinstance(node, Added):
        params.append(_since(now, node.days))
        return "c.imported_at >= ?"
    assert isinstance(node, InCollection), node
    params += (json.dumps(list(node.path), ensure_ascii=False), int(node.anchored))
    return _IN_PROBE if node in probe else _IN


def collection_count(node: InCollection) -> tuple[str, tuple[object, ...]]:
    """SQL (and its parameters) counting the live memberships an ``in:`` term reaches: a
    case filed twice counts twice. Cheap (an index); tells how broad the term is."""
    return _IN_COUNT, (json.dumps(list(node.path), ensure_ascii=False), int(node.anchored))


def by_id(node: Node) -> bool:
    """Whether every condition of the tree is a set of case ids (words, ``dx:``, a tag, a
    collection, bookmarks, notes, highlights), so that it can test another table's row ids
    (`compile_query`'s `case_id`) without reading the case row."""
    if isinstance(node, And | Or):
        return all(by_id(child) for child in node.children)
    if isinstance(node, Not):
        return by_id(node.child)
    if isinstance(node, Filter):
        if node.name in ("tag", "section"):
            return node.op != "any" if node.name == "section" else node.op == "="
        return node.name in ("is", "has") and node.value in (
            "bookmarked",
            "notes",
            "highlights",
            "due",
            "leech",
        )
    return isinstance(node, Text | Diagnosis | InCollection)


def ranked_words(node: Node) -> tuple[tuple[Text, ...], Node | None]:
    """The words every case the query selects must hold, and the rest of the query.

    For a query that is words beside other terms (``liver in:Boards``): its words not
    negated (each must be in the case text, its note or a highlight's comment or tags) and
    the other terms (None if there are none), which search no more words. For any other
    shape (``liver or tag:x``, ``liver (a or b)``), no words and the tree.
    """
    children = node.children if isinstance(node, And) else (node,)
    words = tuple(child for child in children if isinstance(child, Text))
    rest = tuple(child for child in children if not isinstance(child, Text))
    if not words or any(True for child in rest for _ in _positive_text(child)):
        return (), node
    if not rest:
        return words, None
    return words, rest[0] if len(rest) == 1 else And(rest)


def collection_terms(node: Node) -> tuple[InCollection, ...]:
    """The ``in:`` terms of a tree, negated or not."""
    return tuple(dict.fromkeys(n for n in _walk(node) if isinstance(n, InCollection)))


def case_text_match(words: tuple[Text, ...]) -> str:
    """An FTS5 query over the case text matching cases that hold all of `words`."""
    return " ".join(_fts_terms(t.words, t.prefix, phrase=True) for t in words)


def _filter_sql(node: Filter, params: list[object]) -> str:
    if node.name in ("is", "has"):
        return _STATE_SQL[node.value]
    if node.name == "sex":
        params.append(node.value)
        return "c.sex IS ?"
    if node.op == "=" and node.name == "section":
        # Sections are named in full ("Chest imaging"); a reader types the first words
        # ("section:chest"): the name itself, or the name followed by more words.
        params += (node.value, _like_prefix(node.value + " "), "\\")
        return _SECTION.replace("{condition}", f"= ? COLLATE NOCASE OR d.section {_LIKE}")
    if node.op == "=":
        equals, bound = tag_equals("x.tag", node.value)
        params += bound
        return _TAG.replace("{condition}", f" AND {equals}")
    if node.op == "prefix":
        params += (_like_prefix(node.value), "\\")
        condition = _LIKE
    elif node.name == "section":
        return "c.section IS NOT NULL"
    else:
        return _ANY_TAG.format(condition="")
    if node.name == "section":
        return _SECTION.replace("{condition}", condition)
    return _ANY_TAG.format(condition=f" AND x.tag {condition}")


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _fts_terms(words: tuple[str, ...], prefix: bool, *, phrase: bool) -> str:
    """An FTS5 query for words, every one inside double quotes (a quote in one doubled), so
    no operator of FTS5's own can come from the reader: one phrase, or all of the words."""

    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    parts = [quoted(" ".join(words))] if phrase else [quoted(word) for word in words]
    if prefix:
        parts[-1] += "*"
    return " ".join(parts)


def _stamp(now: dt.datetime) -> str:
    """`now` as the store stamps times (the schedule's due times compare as text); a naive
    time is taken as UTC, as ``added:`` takes it."""
    from desktop.store.records import stamp

    return stamp(now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC))


def _since(now: dt.datetime, days: int) -> str:
    moment = now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)
    try:
        since = moment.astimezone(dt.UTC) - dt.timedelta(days=days)
    except OverflowError:
        since = dt.datetime.min.replace(tzinfo=dt.UTC)
    # The same form the store writes imported_at in, so the text compares in time order.
    return since.isoformat(timespec="seconds")


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, And | Or):
        for child in node.children:
            yield from _walk(child)
    elif isinstance(node, Not):
        yield from _walk(node.child)


def _positive_text(node: Node) -> Iterator[Text]:
    if isinstance(node, Text):
        yield node
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from _positive_text(child)


def as_saved(text: str) -> str:
    """The search box's query as a saved search keeps it: the box reads its last word as a
    prefix while it is typed ("pneumo" finds "pneumothorax"); saved, that `*` is written
    out, so the saved search lists what the box listed."""
    stripped = text.rstrip()
    if not stripped[-1:].isalnum():
        return stripped
    typed, literal = parse(stripped, prefix_last=True), parse(stripped)
    return stripped + "*" if typed.node != literal.node and not typed.errors else stripped


def tag_equals(column: str, tag: str) -> tuple[str, tuple[str]]:
    """SQL that holds where `column` names `tag` in any case of letters, and its parameter.

    An ASCII tag compares NOCASE (an index can answer it); any other goes through the
    ``casefold`` function every library connection has, as Python folds it ("Ödem" is
    "ödem"), so a tag's list and its count (which folds so too) agree.
    """
    if tag.isascii():
        return f"{column} = ? COLLATE NOCASE", (tag,)
    return f"casefold({column}) = ?", (tag.casefold(),)


def short_query(query: str, limit: int = 60) -> str:
    """A query as a message quotes it: its spaces collapsed and, when longer than `limit`,
    cut after a whole word (mid-word only for a very long one) with an ellipsis."""
    text = " ".join(query.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"
