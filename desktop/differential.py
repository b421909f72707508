"""Word-split differential lists rebuilt into items, for the importer and the answer checker.

A scraped Eurorad list often arrives as one line of comma-separated single words
("Pulmonary, sequestration, Bronchogenic, cyst"). Such a line is rebuilt by starting an item
at each capitalised word, with three exceptions that keep an item whole: an acronym
("RCC", "(PMMA)", "-II.") or a single-letter shape ("Z-shaped") never starts one; a word after
one ending in a colon ("issues:") continues its item; and a word after an adjective
("Pulmonary", "Malignant") continues it, since an item does not end on an adjective.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["is_word_split", "rebuild_items"]

#: Words that never make an item on their own; one of them among the pieces shows that the
#: commas are the scrape's, not the author's (a genuine list of single words is all nouns).
_JOINING_WORDS = frozenset(
    "a an and as at by for from in into of on or the to with without devoid due "
    "syndrome disease type sign part".split()
)

#: Adjectives the suffix rule below misses.
_ADJECTIVES = frozenset(
    "malignant benign acute chronic persistent recurrent left right late early blunt "
    "poorly well ruptured".split()
)

#: Suffixes of plainly adjectival words (pulmonary, arteriovenous, renal, cystic, vascular,
#: reactive); nouns with these endings rarely make a one-word differential item.
_ADJECTIVE_SUFFIX = re.compile(r"(?:ary|ous|al|ic|ar|ive|ed)$")

#: Fewest comma-separated pieces that can be a word-split list ("Scimitar, syndrome.").
_MIN_PIECES = 2


def rebuild_items(items: Sequence[str]) -> tuple[str, ...]:
    """The differential items, with each word-split line rebuilt into its items.

    Args:
        items: the list as stored or scraped, one item per entry.

    Returns:
        The items, stripped and without empty ones; word-split entries become several items
        without their trailing full stops, other entries pass through unchanged.
    """
    out: list[str] = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        if is_word_split(text):
            out.extend(_rebuild(text.split(", ")))
        else:
            out.append(text)
    return tuple(out)


def is_word_split(item: str) -> bool:
    """Whether `item` is a line of single words whose item boundaries the scrape lost:
    at least two comma-separated pieces, none with a space inside, and at least one that
    cannot stand alone as an item (a joining word, an adjective, bare punctuation, a word
    ending in a colon, or a full stop before the last piece)."""
    pieces = item.strip().split(", ")
    if len(pieces) < _MIN_PIECES or any(not p or any(c.isspace() for c in p) for p in pieces):
        return False
    for index, piece in enumerate(pieces):
        word = piece.casefold().strip(".,;")
        if (
            word in _JOINING_WORDS
            or _is_adjective(word)
            or not any(c.isalnum() for c in word)
            or piece.endswith(":")
            or (piece.endswith(".") and index < len(pieces) - 1)
        ):
            return True
    return False


def _rebuild(words: list[str]) -> list[str]:
    items: list[list[str]] = []
    for word in words:
        if not items or not _starts_item(word, items[-1][-1]):
            if items:
                items[-1].append(word)
            else:
                items.append([word])
        else:
            items.append([word])
    return [text for words_ in items if (text := " ".join(words_).rstrip(". ").strip())]


def _starts_item(word: str, previous: str) -> bool:
    if not _is_capitalised(word) or previous.endswith(":"):
        return False
    if previous.endswith("."):
        return True
    return not _is_adjective(previous.casefold().strip(",;"))


def _is_capitalised(word: str) -> bool:
    """First character an upper-case letter, and the word not an acronym ("RCC", "PMMA") or
    a single-letter shape ("Z-shaped", "T-cell")."""
    if not word[:1].isupper():
        return False
    if len(word) > 1 and word[1] == "-":
        return False
    letters = [c for c in word[1:] if c.isalpha()]
    return not letters or not all(c.isupper() for c in letters)


def _is_adjective(word: str) -> bool:
    return word in _ADJECTIVES or (len(word) > 4 and _ADJECTIVE_SUFFIX.search(word) is not None)
