"""Search snippets built in linear time from the text of the ranked hits.

SQLite's snippet() slows with the square of a term's hits in one document: a legal 700 KB
case repeating a word took 57 s. Ranking stays in FTS5 (bm25); the snippet for each of the
few hits shown is cut here: the window of words holding the most distinct query terms,
matched the way the unicode61 tokenizer matches (case- and accent-insensitive, the last
word as a prefix).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
#: Words scanned per field at most: keeps the worst case linear in a bounded prefix.
MAX_WORDS_SCANNED = 20_000


@dataclass(frozen=True, slots=True)
class Term:
    """A query word, folded; `prefix` matches any word that starts with it."""

    text: str
    prefix: bool = False


def fold(word: str) -> str:
    """Lower case without accents, as FTS5's unicode61 (remove_diacritics 2) compares."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_terms(query: str, *, prefix_last: bool = True) -> list[Term]:
    """The words of a reader's query, folded, the last a prefix when typing goes on."""
    words = [fold(w) for w in _WORD.findall(query)]
    terms = [Term(w) for w in words if w]
    # As in fts_query: only a bare last word still being typed is a prefix (not one in
    # quotes, and not one followed by a space).
    open_quote = query.count('"') % 2 == 1
    typing = query[-1:].isalnum() or query[-1:] == "_"
    if terms and prefix_last and typing and not open_quote:
        terms[-1] = Term(terms[-1].text, prefix=True)
    return terms


def make_snippet(
    fields: Sequence[str],
    terms: Sequence[Term],
    marks: tuple[str, str],
    *,
    width: int = 16,
) -> str:
    """The best window of `width` words over the fields, matches between `marks`.

    Fields are tried in order; a later field wins only with more distinct terms in view.
    """
    if not terms:
        return ""
    best: tuple[int, int, str, list[re.Match[str]]] | None = None  # (score, start, text, words)
    for text in fields:
        if not text:
            continue
        words = []
        for number, match in enumerate(_WORD.finditer(text)):
            if number >= MAX_WORDS_SCANNED:
                break
            words.append(match)
        hits = [i for i, word in enumerate(words) if _matches(fold(word.group()), terms)]
        if not hits:
            continue
        score, start = _best_window(words, hits, terms, width)
        if best is None or score > best[0]:
            best = (score, start, text, words)
    if best is None:
        return ""
    _, start, text, words = best
    return _render(text, words, (start, width), terms, marks)


def _matches(word: str, terms: Sequence[Term]) -> bool:
    return any(word.startswith(t.text) if t.prefix else word == t.text for t in terms)


def _which(word: str, terms: Sequence[Term]) -> int:
    for index, term in enumerate(terms):
        if word.startswith(term.text) if term.prefix else word == term.text:
            return index
    return -1


def _best_window(
    words: list[re.Match[str]], hits: list[int], terms: Sequence[Term], width: int
) -> tuple[int, int]:
    """Slides over the hit positions: (distinct terms in the best window, its first word)."""
    kinds = [_which(fold(words[i].group()), terms) for i in hits]
    best_score, best_start = 0, max(hits[0] - width // 4, 0)
    left = 0
    counts: dict[int, int] = {}
    for right, position in enumerate(hits):
        counts[kinds[right]] = counts.get(kinds[right], 0) + 1
        while position - hits[left] >= width:
            counts[kinds[left]] -= 1
            if not counts[kinds[left]]:
                del counts[kinds[left]]
            left += 1
        if len(counts) > best_score:
            best_score = len(counts)
            span = position - hits[left]
            best_start = max(hits[left] - (width - span) // 3, 0)
    return best_score, best_start


def _render(
    text: str,
    words: list[re.Match[str]],
    window: tuple[int, int],
    terms: Sequence[Term],
    marks: tuple[str, str],
) -> str:
    start, width = window
    end = min(start + width, len(words))
    begin = words[start].start()
    finish = words[end - 1].end()
    pieces = []
    cursor = begin
    for word in words[start:end]:
        pieces.append(text[cursor : word.start()])
        if _matches(fold(word.group()), terms):
            pieces.append(f"{marks[0]}{word.group()}{marks[1]}")
        else:
            pieces.append(word.group())
        cursor = word.end()
    if end == len(words):
        pieces.append(text[finish:])  # the closing punctuation of the field
    body = " ".join("".join(pieces).split())
    before = "…" if start > 0 else ""
    after = "…" if end < len(words) else ""
    return f"{before}{body}{after}"
