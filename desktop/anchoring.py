"""Where a highlight's words lie in a case's edited text, or that they lie nowhere (detached).

A highlight keeps a `Selector`: its section key, its last offsets, the exact quote, up to
`CONTEXT` characters on each side and whether the quote was unique in its section when made.
When a case comes back with edited text, `anchor` (or `anchor_all`, for a case's highlights
at once) finds each one again, trying in this order and stopping at the first that holds:

1. **position**: the stored offsets, if the quote is still exactly there;
2. **exact**: the quote's only exact occurrence in the section, if it was also unique there
   when the highlight was made;
3. **context**: otherwise an exact occurrence only where both context sides agree with the
   stored ones: the best context wins, then the one nearest the old place;
4. **fuzzy**: a passage that differs from the quote by spelling and spacing only, whose
   context agrees on both sides, that scores above the thresholds and clearly ahead of the
   runner-up (see `score`);
5. **elsewhere**: a section key that is gone (a discussion sub-heading renamed) or a section
   that no longer holds the words: the other sections, with the strict rules only (below);
6. else **detached** (None): never a guess. The store keeps the selector, so a later
   version of the case that holds the words again anchors it again.

Decisions, each in the direction of "detached when in doubt":

* Offsets are Python characters (code points) into a section's canonical text
  (`desktop.sections`); an emoji or a mathematical letter counts one, here and in rapidfuzz.
* Occurrences overlap: "ss" occurs twice in "sss". Counting every place the quote could be
  makes "unique" a claim that holds for every reading.
* Context sides stop at a paragraph break: what lies beyond it is the neighbouring
  paragraph, which may be reordered or rewritten without touching ours, and the start of a
  paragraph (or of the section) is itself context. Two sides are compared by edit distance,
  aligned at the quote, with the far end free to slide by `_SLACK` characters.
* Quotes under `SHORT_QUOTE` characters ("cyst", a name) are never matched approximately;
  they need at least one context side that agrees exactly, wherever they are found, and at
  their old offsets one side that agrees (h#2634: "Linus" placed on "chines"; h#2798: a copy
  edit's word placed on an earlier instance of it in the same sentence).
* A look-alike passage (a sibling paragraph about the other kidney, client#7571) is the
  danger of approximate matching: the fuzzy step asks for context agreement on both sides
  and rejects a passage where a number changed or a word was replaced by another word.
* Other sections are searched without approximate matching: an exact occurrence is taken
  when it is the only one in the whole case, the quote was unique when made and one context
  side agrees (exactly, for a short quote); else where both sides agree, the best context,
  and detached if two places share it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

__all__ = [
    "CONTEXT",
    "MARGIN",
    "MIN_QUOTE",
    "MIN_SIDE",
    "MIN_TOTAL",
    "SHORT_QUOTE",
    "Method",
    "Placement",
    "Scores",
    "Selector",
    "anchor",
    "anchor_all",
    "make_selector",
    "moved",
    "occurrence",
    "occurrences",
    "score",
    "same_words",
]

#: Characters of context kept on each side of a quote.
CONTEXT = 32
#: Quotes shorter than this are never matched approximately (see the module docstring).
SHORT_QUOTE = 12
#: Least similarity of the placed text to the quote, for an approximate match.
MIN_QUOTE = 0.85
#: Least combined score (`Scores.total`) of an approximate match.
MIN_TOTAL = 0.80
#: Least similarity of each context side, for an approximate match or a repeated quote.
MIN_SIDE = 0.80
#: How far an approximate match must lead the best other (non-overlapping) candidate.
MARGIN = 0.05

#: Hypothesis's weights: the quote counts most, the position only breaks near-ties.
_W_QUOTE, _W_PREFIX, _W_SUFFIX, _W_POSITION = 50, 20, 20, 2
_W_ALL = _W_QUOTE + _W_PREFIX + _W_SUFFIX + _W_POSITION
#: How far the far end of a context side may slide (words inserted or removed next to it).
_SLACK = 8
#: Characters searched on each side of the old place, whatever the exact seeds found.
_HINT_WINDOW = 256
#: Most regions aligned approximately per highlight, and most hits a seed chunk may have
#: (a chunk found more often says little about where the quote is).
_MAX_REGIONS = 16
_MAX_SEED_HITS = 32
#: rapidfuzz's partial-alignment score (0-100) below which a window is not a candidate; low
#: enough to find a runner-up that a clear margin must beat.
_ALIGN_CUTOFF = 60.0
#: Letters a word may differ by and still count as the same word with a typo, by length.
_TYPO_SHORT, _TYPO_LONG, _TYPO_SHORT_WORD = 1, 2, 5
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")

#: The step of the ladder that placed a highlight (another section's placement is "exact" or
#: "context").
Method = Literal["position", "exact", "context", "fuzzy"]


@dataclass(frozen=True, slots=True)
class Selector:
    """What a highlight keeps to be found again.

    Attributes:
        section: The section key where it was last placed (or made).
        start: Its last known start; still a hint when detached.
        end: Its last known end.
        quote: The exact text the highlight was made on.
        prefix: Up to `CONTEXT` characters before it when made ('' at the section start).
        suffix: Up to `CONTEXT` characters after it when made ('' at the section end).
        unique: The quote occurred exactly once in its section when made.
    """

    section: str
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    unique: bool


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a highlight lies now.

    Attributes:
        section: The section key.
        start: Start offset in the section's text.
        end: End offset.
        method: The step of the ladder that placed it (see the module docstring).
        score: 1.0 for position and exact; the combined score (`Scores.total`) otherwise.
    """

    section: str
    start: int
    end: int
    method: Method
    score: float


@dataclass(frozen=True, slots=True)
class Scores:
    """How well a span of a section's text matches a selector, each from 0.0 to 1.0.

    Attributes:
        quote: Similarity of the span to the quote (normalized Levenshtein).
        prefix: Agreement of the text before the span with the stored prefix.
        suffix: Agreement of the text after the span with the stored suffix.
        position: Nearness to the old start (1.0 there, 0.0 a section's length away).
        total: (50 quote + 20 prefix + 20 suffix + 2 position) / 92, as Hypothesis weighs them.
    """

    quote: float
    prefix: float
    suffix: float
    position: float
    total: float

    @property
    def context(self) -> float:
        """The weaker side's agreement."""
        return min(self.prefix, self.suffix)

    def acceptable(self) -> bool:
        """Above every threshold an approximate match must pass (the margin aside)."""
        return self.quote >= MIN_QUOTE and self.total >= MIN_TOTAL and self.context >= MIN_SIDE


def occurrences(text: str, quote: str, limit: int | None = None) -> list[int]:
    """The start of every exact occurrence of `quote` in `text`, overlapping ones included.

    Args:
        text: Where to look.
        quote: What to look for; an empty quote occurs nowhere.
        limit: Stop after this many.

    Returns:
        The starts, in increasing order.
    """
    starts: list[int] = []
    if not quote:
        return starts
    at = text.find(quote)
    while at >= 0 and (limit is None or len(starts) < limit):
        starts.append(at)
        at = text.find(quote, at + 1)
    return starts


def occurrence(text: str, quote: str, n: int = 1) -> tuple[int, int] | None:
    """The `n`th (from 1) exact occurrence of `quote` in `text`, counted as `occurrences`
    counts them (overlapping ones included, by start).

    Returns:
        Its (start, end), or None when there are fewer than `n`.

    Raises:
        ValueError: `n` is below 1.
    """
    if n < 1:
        raise ValueError(f"occurrence numbers start at 1, not {n}")
    starts = occurrences(text, quote, limit=n)
    if len(starts) < n:
        return None
    return starts[n - 1], starts[n - 1] + len(quote)


def make_selector(section: str, text: str, start: int, end: int) -> Selector:
    """The selector of a highlight made on `text[start:end]`.

    Args:
        section: The section's key.
        text: The section's canonical text.
        start: Start offset (characters).
        end: End offset.

    Raises:
        ValueError: The span is empty, out of the text, or only white space.
    """
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span {start}:{end} is empty or outside a text of {len(text)}")
    quote = text[start:end]
    if not quote.strip():
        raise ValueError(f"span {start}:{end} is only white space")
    return Selector(
        section=section,
        start=start,
        end=end,
        quote=quote,
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
        unique=len(occurrences(text, quote, limit=2)) == 1,
    )


def moved(selector: Selector, placement: Placement) -> Selector:
    """The selector with its place (section and offsets) updated to `placement`.

    The quote and its context stay as made: they are what identifies the highlight. After a
    fuzzy placement the store may rather make a new selector on the new words
    (`make_selector`), keeping the old quote in the highlight's history.
    """
    return dataclasses.replace(
        selector, section=placement.section, start=placement.start, end=placement.end
    )


def score(selector: Selector, text: str, start: int, end: int) -> Scores:
    """How well `text[start:end]` matches the selector (its hint is `selector.start`).

    Args:
        selector: The highlight's selector.
        text: A section's text.
        start: Start of the span.
        end: End of the span.
    """
    quote = Levenshtein.normalized_similarity(selector.quote, text[start:end])
    return _scores(selector, text, start, end, quote, hint=selector.start)


def same_words(quote: str, found: str) -> bool:
    """Whether `found` says what `quote` says, up to spelling, case, spacing and punctuation.

    Every stretch of words that differs must be the same letters with the spaces moved
    ("4.2cm" / "4.2 cm"), or within one letter (two in words over five letters) of them by
    optimal string alignment ("teh" / "the", "oesophagus" / "esophagus"), or a doubled word
    removed or added; its numbers must be the same. A replaced word ("left" / "right", "Alpha"
    / "Beta") or a changed number ("14 mm" / "16 mm") is another statement: a look-alike.
    """
    a = [word.casefold() for word in _WORD.findall(quote)]
    b = [word.casefold() for word in _WORD.findall(found)]
    for i1, i2, j1, j2 in _changed_stretches(a, b):
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        if old == new:
            continue
        if _DIGITS.findall(old) != _DIGITS.findall(new):
            return False
        if not old or not new:  # words only removed or only added
            words, other, at = (a[i1:i2], a, i1) if old else (b[j1:j2], b, j1)
            if not _doubled(words, other, at):
                return False
            continue
        allowed = _TYPO_SHORT if max(len(old), len(new)) <= _TYPO_SHORT_WORD else _TYPO_LONG
        if OSA.distance(old, new, score_cutoff=allowed) > allowed:
            return False
    return True


def anchor(selector: Selector, sections: Mapping[str, str]) -> Placement | None:
    """Where the selector's highlight lies in the case's text now.

    Args:
        selector: The highlight's selector.
        sections: Every section key of the case now, with its text.

    Returns:
        Its placement, or None when it is detached.
    """
    return _Anchorer(sections).place(selector)


def anchor_all(
    selectors: Sequence[Selector], sections: Mapping[str, str]
) -> list[Placement | None]:
    """`anchor` for each selector, in order, sharing the searches they have in common.

    Args:
        selectors: The case's highlights' selectors.
        sections: Every section key of the case now, with its text.
    """
    anchorer = _Anchorer(sections)
    return [anchorer.place(selector) for selector in selectors]


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A span that may be the highlight's, with its scores."""

    start: int
    end: int
    scores: Scores


class _Anchorer:
    """The ladder over one version of a case, with the exact searches cached."""

    __slots__ = ("_found", "_sections")

    def __init__(self, sections: Mapping[str, str]) -> None:
        self._sections = sections
        self._found: dict[tuple[str, str], list[int]] = {}

    def place(self, selector: Selector) -> Placement | None:
        if not selector.quote.strip():
            return None  # a damaged record: nothing to look for
        text = self._sections.get(selector.section)
        if text is not None:
            placement = self._in_section(selector, selector.section, text)
            if placement is not None:
                return placement
        return self._elsewhere(selector)

    def _occurrences(self, key: str, text: str, quote: str) -> list[int]:
        found = self._found.get((key, quote))
        if found is None:
            found = self._found[key, quote] = occurrences(text, quote)
        return found

    def _in_section(self, selector: Selector, key: str, text: str) -> Placement | None:
        quote, start, end = selector.quote, selector.start, selector.end
        short = len(quote) < SHORT_QUOTE
        if 0 <= start and text[start:end] == quote:
            # A short word at its old offsets may be another instance that slid into place:
            # like everywhere else, it needs one side of its context exactly as it was.
            if not short or _one_side_exact(selector, text, start, end):
                return Placement(key, start, end, "position", 1.0)
        starts = self._occurrences(key, text, quote)
        if len(starts) == 1 and selector.unique:
            at = starts[0]
            if not short or _one_side_exact(selector, text, at, at + len(quote)):
                return Placement(key, at, at + len(quote), "exact", 1.0)
        best = _best_by_context(selector, text, starts, hint=start)
        if best is not None:
            return Placement(key, best.start, best.end, "context", best.scores.total)
        if short:
            return None
        return _fuzzy(selector, key, text)

    def _elsewhere(self, selector: Selector) -> Placement | None:
        quote = selector.quote
        short = len(quote) < SHORT_QUOTE
        found: list[tuple[str, str, int]] = []
        total = 0
        for key, text in self._sections.items():
            starts = self._occurrences(key, text, quote)
            total += len(starts)
            if key != selector.section:
                found.extend((key, text, at) for at in starts)
        if total == 1 and found and selector.unique:
            key, text, at = found[0]
            end = at + len(quote)
            prefix, suffix, prefix_exact, suffix_exact = _sides(selector, text, at, end)
            agrees = (prefix_exact or suffix_exact) if short else max(prefix, suffix) >= MIN_SIDE
            if agrees:
                return Placement(key, at, end, "exact", 1.0)
        agreeing: list[tuple[float, str, _Candidate]] = []
        for key, text, at in found:
            candidate = _context_candidate(selector, text, at, hint=None)
            if candidate is not None:
                agreeing.append((_context_of(candidate), key, candidate))
        if not agreeing:
            return None
        agreeing.sort(key=lambda item: item[0], reverse=True)
        if len(agreeing) > 1 and agreeing[1][0] >= agreeing[0][0]:
            return None  # two places agree as well: the old place cannot break the tie
        _, key, best = agreeing[0]
        return Placement(key, best.start, best.end, "context", best.scores.total)


def _scores(
    selector: Selector, text: str, start: int, end: int, quote: float, *, hint: int | None
) -> Scores:
    prefix, suffix, _, _ = _sides(selector, text, start, end)
    if hint is None:  # another section: the old offsets say nothing here
        position = 0.0
    else:
        position = max(0.0, 1.0 - abs(start - hint) / max(1, len(text)))
    total = (
        _W_QUOTE * quote + _W_PREFIX * prefix + _W_SUFFIX * suffix + _W_POSITION * position
    ) / _W_ALL
    return Scores(quote, prefix, suffix, position, total)


def _context_of(candidate: _Candidate) -> float:
    return candidate.scores.prefix + candidate.scores.suffix


def _context_candidate(
    selector: Selector, text: str, start: int, hint: int | None
) -> _Candidate | None:
    """An exact occurrence, if its context agrees on both sides (one exactly, if short)."""
    end = start + len(selector.quote)
    if len(selector.quote) < SHORT_QUOTE and not _one_side_exact(selector, text, start, end):
        return None
    scores = _scores(selector, text, start, end, 1.0, hint=hint)
    if scores.context < MIN_SIDE:
        return None
    return _Candidate(start, end, scores)


def _best_by_context(
    selector: Selector, text: str, starts: list[int], hint: int
) -> _Candidate | None:
    """The occurrence whose context agrees best, then the one nearest the old place."""
    best: _Candidate | None = None
    for start in starts:
        candidate = _context_candidate(selector, text, start, hint)
        if candidate is None:
            continue
        if best is None or (_context_of(candidate), -abs(start - hint)) > (
            _context_of(best),
            -abs(best.start - hint),
        ):
            best = candidate
    return best


# Context sides. A prefix is read from the quote outwards, so a suffix is handled as a
# reversed prefix: the character nearest the quote is always the last one.


def _side_key(side: str) -> str:
    """A side cut at its paragraph break, with "\\n" marking where a paragraph or the
    section begins (a side shorter than `CONTEXT` reached the start of the section)."""
    cut = side.rfind("\n")
    if cut >= 0:
        return side[cut:]
    return "\n" + side if len(side) < CONTEXT else side


def _side_agreement(stored: str, actual: str) -> tuple[float, bool]:
    """How far the side found agrees with the stored one (0.0-1.0), and whether exactly."""
    made, now = _side_key(stored), _side_key(actual)
    if made == now:
        return 1.0, True
    n = len(made)
    low, high = max(0, n - _SLACK), min(len(now), n + _SLACK)
    if low > high:
        distance = Levenshtein.distance(made, now)
    else:
        distance = min(
            Levenshtein.distance(made, now[len(now) - size :]) for size in range(low, high + 1)
        )
    return max(0.0, 1.0 - distance / n), False


def _sides(selector: Selector, text: str, start: int, end: int) -> tuple[float, float, bool, bool]:
    """Agreement of the prefix and the suffix, and whether each agrees exactly."""
    prefix, prefix_exact = _side_agreement(selector.prefix, text[max(0, start - CONTEXT) : start])
    suffix, suffix_exact = _side_agreement(selector.suffix[::-1], text[end : end + CONTEXT][::-1])
    return prefix, suffix, prefix_exact, suffix_exact


def _one_side_exact(selector: Selector, text: str, start: int, end: int) -> bool:
    before = _side_key(text[max(0, start - CONTEXT) : start]) == _side_key(selector.prefix)
    return before or _side_key(text[end : end + CONTEXT][::-1]) == _side_key(selector.suffix[::-1])


# The approximate search.


def _fuzzy(selector: Selector, key: str, text: str) -> Placement | None:
    quote = selector.quote
    if len(text) < math.ceil(len(quote) * MIN_QUOTE):
        return None  # no span of this text can be similar enough
    spans: set[tuple[int, int]] = set()
    for low, high in _regions(selector, text):
        window = text[low:high]
        for _ in range(2):  # the best alignment in the region, then the next (a sibling)
            found = fuzz.partial_ratio_alignment(quote, window, score_cutoff=_ALIGN_CUTOFF)
            if found is None or found.dest_end <= found.dest_start:
                break
            spans.add(_refine(quote, text, low + found.dest_start, low + found.dest_end))
            width = found.dest_end - found.dest_start
            window = window[: found.dest_start] + "\0" * width + window[found.dest_end :]
    candidates = sorted(
        (
            _Candidate(start, end, score(selector, text, start, end))
            for start, end in spans
            if end > start
        ),
        key=lambda candidate: candidate.scores.total,
        reverse=True,
    )
    if not candidates:
        return None
    best = candidates[0]
    runner_up = next(
        (c for c in candidates[1:] if c.end <= best.start or c.start >= best.end), None
    )
    if not best.scores.acceptable():
        return None
    if runner_up is not None and best.scores.total - runner_up.scores.total < MARGIN:
        return None
    if not same_words(quote, text[best.start : best.end]):
        return None
    return Placement(key, best.start, best.end, "fuzzy", best.scores.total)


def _chunks(quote: str) -> Iterator[tuple[int, str]]:
    """Up to eight non-overlapping pieces of the quote, spread over it, with their offsets."""
    size = 8 if len(quote) < 40 else 12 if len(quote) < 120 else 16
    count = len(quote) // size
    step = max(1, count // 8)
    for index in range(0, count, step):
        yield index * size, quote[index * size : (index + 1) * size]


def _regions(selector: Selector, text: str) -> list[tuple[int, int]]:
    """Stretches of the text where the quote may lie: around the old place and wherever a
    piece of the quote or of its context is found exactly, merged, the likeliest first."""
    length = len(selector.quote)
    pad = max(16, length // 4)
    hits: dict[int, int] = {}  # a start the quote would have -> how many pieces say so

    def seed(piece: str, offset: int) -> None:
        found = occurrences(text, piece, limit=_MAX_SEED_HITS + 1)
        if len(found) <= _MAX_SEED_HITS:
            for at in found:
                hits[at - offset] = hits.get(at - offset, 0) + 1

    for offset, piece in _chunks(selector.quote):
        seed(piece, offset)
    before, after = selector.prefix[-12:], selector.suffix[:12]
    if len(before) == 12 and "\n" not in before:
        seed(before, -12)
    if len(after) == 12 and "\n" not in after:
        seed(after, length)
    spans = [(start - pad, start + length + pad, votes) for start, votes in hits.items()]
    hint = selector.start
    spans.append((hint - _HINT_WINDOW, hint + length + _HINT_WINDOW, 1))
    merged: list[list[int]] = []
    for first, last, votes in sorted(spans):
        low, high = max(0, first), min(len(text), last)
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
            merged[-1][2] += votes
        elif low < high:
            merged.append([low, high, votes])
    merged.sort(key=lambda region: (-region[2], abs(region[0] - hint)))
    return [(low, high) for low, high, _ in merged[:_MAX_REGIONS]]


def _refine(quote: str, text: str, start: int, end: int) -> tuple[int, int]:
    """The span around start:end nearest the quote by edit distance: the alignment gives a
    window as long as the quote, the words found may be a little longer or shorter."""
    reach = min(48, max(2, math.ceil(len(quote) * (1 - MIN_QUOTE))))
    best = Levenshtein.distance(quote, text[start:end])
    for _ in range(2):  # move the start, then the end, twice over
        for moved_start in _around(start, reach, 0, end - 1):
            distance = Levenshtein.distance(quote, text[moved_start:end], score_cutoff=best)
            if distance < best:
                best, start = distance, moved_start
        for moved_end in _around(end, reach, start + 1, len(text)):
            distance = Levenshtein.distance(quote, text[start:moved_end], score_cutoff=best)
            if distance < best:
                best, end = distance, moved_end
    return start, end


def _around(at: int, reach: int, low: int, high: int) -> Iterator[int]:
    """at-1, at+1, at-2, at+2... within [low, high]: the nearest first, so ties keep it."""
    for step in range(1, reach + 1):
        for value in (at - step, at + step):
            if low <= value <= high:
                yield value


def _changed_stretches(a: list[str], b: list[str]) -> Iterator[tuple[int, int, int, int]]:
    """The stretches where two word lists differ, adjacent edits merged into one."""
    stretch: list[int] | None = None
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            if stretch is not None:
                yield stretch[0], stretch[1], stretch[2], stretch[3]
                stretch = None
        elif stretch is None:
            stretch = [op.src_start, op.src_end, op.dest_start, op.dest_end]
        else:
            stretch[1], stretch[3] = op.src_end, op.dest_end
    if stretch is not None:
        yield stretch[0], stretch[1], stretch[2], stretch[3]


def _doubled(words: list[str], within: list[str], at: int) -> bool:
    """Whether `words`, taken out of (or put into) `within` at `at`, repeat a neighbour."""
    size = len(words)
    return within[at - size : at] == words or within[at + size : at + 2 * size] == words
