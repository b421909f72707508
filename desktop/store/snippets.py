"""Search snippets built in linear time from the text of the ranked hits.

SQLite's snippet() slows with the square of a term's hits in one document: a legal 700 KB
case repeating a word took 57 s. Ranking stays in FTS5 (bm25); the snippet for each hit
shown is cut here: the stretch of text holding the most distinct query terms, matched the
way the unicode61 tokenizer matches (case- and accent-insensitive, the last word as a
prefix). Matching runs as one regular expression over a folded copy of the text that keeps
every character's position, so a snippet costs a fraction of a millisecond.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"\w+")
#: Matches looked at per field at most: keeps the worst case bounded.
MAX_MATCHES = 2_000
#: Characters per snippet word, to turn a width in words into one in characters.
_CHARS_PER_WORD = 7


@dataclass(frozen=True, slots=True)
class Term:
    """A query word, folded; `prefix` matches any word that starts with it."""

    text: str
    prefix: bool = False


def fold(word: str) -> str:
    """Lower case without accents, as FTS5's unicode61 (remove_diacritics 2) compares."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _FoldTable(dict[int, str]):
    """str.translate table folding each character to one character, so positions hold."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))
        value = folded if len(folded) == 1 else chr(code).lower()[:1] or chr(code)
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def fold_keeping_positions(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_FOLD_TABLE)


#: A phrase in quotes (the closing quote may be missing), or a bare word: as `fts_query`
#: reads a query.
_TOKEN = re.compile(r'"([^"]*)"?|(\w+)')


def query_terms(query: str, *, prefix_last: bool = True, starred: bool = False) -> list[Term]:
    """The words of a reader's query, folded, the last a prefix when typing goes on.

    With `starred` (the search language's terms), a word written with a star after it
    ("pneumo*") is a prefix wherever it stands.
    """
    terms: list[Term] = []
    last_bare = False
    for match in _TOKEN.finditer(query):
        bare = match[2] is not None
        star = starred and bare and query[match.end() : match.end() + 1] == "*"
        words = [fold(w) for w in ([match[2]] if bare else _WORD.findall(match[1]))]
        terms += [Term(w, prefix=star) for w in words if w]
        last_bare = bare
    # As in fts_query: only a bare last word is a prefix, unless a space follows it (not
    # one in quotes; "pneumo*" is a prefix too, as FTS5 reads it).
    if terms and prefix_last and last_bare and not query[-1:].isspace():
        terms[-1] = Term(terms[-1].text, prefix=True)
    return terms


@lru_cache(maxsize=64)
def _pattern(terms: tuple[Term, ...]) -> re.Pattern[str]:
    # Each word first, then "no word character before it" (a look-behind over the word
    # itself): a pattern that starts with a literal lets `re` jump from one occurrence to
    # the next, ten times quicker over a long case than testing every position.
    alternatives = [
        f"{re.escape(term.text)}(?<!\\w{re.escape(term.text)})"
        + (r"\w*" if term.prefix else r"(?!\w)")
        for term in sorted(terms, key=lambda t: -len(t.text))
    ]
    return re.compile("|".join(alternatives))


def make_snippet(
    fields: Sequence[str],
    terms: Sequence[Term],
    marks: tuple[str, str],
    *,
    width: int = 16,
) -> str:
    """The best stretch of about `width` words over the fields, matches between `marks`.

    Fields are tried in order; a later field wins only with more distinct terms in view.
    """
    if not terms:
        return ""
    pattern = _pattern(tuple(terms))
    span = width * _CHARS_PER_WORD
    best: tuple[int, str, int, list[tuple[int, int]]] | None = None
    for text in fields:
        if not text:
            continue
        folded = fold_keeping_positions(text)
        hits: list[tuple[int, int]] = []
        kinds: list[str] = []
        for number, match in enumerate(pattern.finditer(folded)):
            if number >= MAX_MATCHES:
                break
            hits.append(match.span())
            kinds.append(_kind(match.group(), terms))
        if not hits:
            continue
        score, start = _best_window(hits, kinds, span)
        if best is None or score > best[0]:
            best = (score, text, start, hits)
    if best is None:
        return ""
    _, text, start, hits = best
    return _render(text, start, span, hits, marks)


def _kind(matched: str, terms: Sequence[Term]) -> str:
    for term in terms:
        if matched == term.text or (term.prefix and matched.startswith(term.text)):
            return term.text
    return matched


def _best_window(hits: list[tuple[int, int]], kinds: list[str], span: int) -> tuple[int, int]:
    """Slides over the hits: (distinct terms in the best window, where its text starts)."""
    best_score, best_first = 0, 0
    left = 0
    counts: dict[str, int] = {}
    for right, (position, _) in enumerate(hits):
        counts[kinds[right]] = counts.get(kinds[right], 0) + 1
        while position - hits[left][0] >= span:
            counts[kinds[left]] -= 1
            if not counts[kinds[left]]:
                del counts[kinds[left]]
            left += 1
        if len(counts) > best_score:
            best_score, best_first = len(counts), left
    first = hits[best_first][0]
    return best_score, max(first - span // 4, 0)


def _render(
    text: str, start: int, span: int, hits: list[tuple[int, int]], marks: tuple[str, str]
) -> str:
    # Start and end on word boundaries, so no word is cut in half.
    if start > 0:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(start + span, len(text))
    if end < len(text):
        space = text.find(" ", end)
        end = space if 0 <= space < end + 20 else end
    pieces = []
    cursor = start
    for hit_start, hit_end in hits:
        if hit_end <= start or hit_start >= end:
            continue
        first, last = max(hit_start, start), min(hit_end, end)
        pieces.append(text[cursor:first])
        pieces.append(f"{marks[0]}{text[first:last]}{marks[1]}")
        cursor = last
    pieces.append(text[cursor:end])
    body = " ".join("".join(pieces).split())
    before = "…" if start > 0 else ""
    after = "…" if end < len(text.rstrip()) else ""
    return f"{before}{body}{after}"
