"""Where a highlight sits in a case's text now: quote and position selectors, re-anchoring.

First step: the stored position when the quote is still there, else the quote's only
occurrence when it was also unique when made; anything else is detached (never placed on
words that may not be the reader's). The full ladder (context, fuzzy) follows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

#: Characters of context kept on each side of a quote.
CONTEXT = 32


@dataclass(frozen=True, slots=True)
class Selector:
    section: str
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    unique: bool


Method = Literal["position", "exact", "context", "fuzzy"]


@dataclass(frozen=True, slots=True)
class Placement:
    section: str
    start: int
    end: int
    method: Method
    score: float


def make_selector(section: str, text: str, start: int, end: int) -> Selector:
    if not 0 <= start < end <= len(text) or not text[start:end].strip():
        raise ValueError(f"no text to highlight at {start}-{end} of {section}")
    quote = text[start:end]
    unique = text.count(quote) == 1
    return Selector(
        section,
        start,
        end,
        quote,
        text[max(0, start - CONTEXT) : start],
        text[end : end + CONTEXT],
        unique,
    )


def occurrence(text: str, quote: str, n: int = 1) -> tuple[int, int] | None:
    at = -1
    for _ in range(n):
        at = text.find(quote, at + 1)
        if at < 0:
            return None
    return at, at + len(quote)


def anchor(selector: Selector, sections: Mapping[str, str]) -> Placement | None:
    text = sections.get(selector.section)
    if text is None:
        return None
    if text[selector.start : selector.end] == selector.quote:
        return Placement(selector.section, selector.start, selector.end, "position", 1.0)
    if selector.unique and text.count(selector.quote) == 1:
        at = text.find(selector.quote)
        return Placement(selector.section, at, at + len(selector.quote), "exact", 1.0)
    return None


def anchor_all(
    selectors: Sequence[Selector], sections: Mapping[str, str]
) -> list[Placement | None]:
    return [anchor(selector, sections) for selector in selectors]
