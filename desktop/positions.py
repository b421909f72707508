"""The map between a rendered case's document positions and (section key, offset).

Qt counts document positions in UTF-16 code units, one more between two blocks; sections
count offsets in Python characters of their canonical text (`desktop.sections`). The
renderer puts each paragraph of a section in a block of its own, so a paragraph is one
`TextRun` here, and the LF that separates two paragraphs in a section is the step from one
block to the next in the document. Inside a run, a document position runs ahead of the
section offset by one for every character outside the Basic Multilingual Plane before it
(two UTF-16 units) and for every zero-width space the renderer inserted before it (soft
breaks in long tokens). Nothing else in a case page is section text: headings, chips and
footer map to no section.

Pure Python, no Qt: the UI converts with it, tests check it against a real QTextDocument.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.sections import SectionKey

__all__ = ["PositionMap", "TextRun", "utf16_length"]


def utf16_length(text: str) -> int:
    """How many UTF-16 code units Qt counts for `text`."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@dataclass(frozen=True, slots=True)
class TextRun:
    """One paragraph of a section, laid out as one block of the document.

    Attributes:
        key: The section it belongs to.
        offset: Where it starts in the section's text (characters).
        length: Its length in characters.
        doc_start: The document position of its first character.
        doc_length: Its length in the document (UTF-16 units, inserted breaks included).
        astral: Sorted indices of its characters outside the BMP (two UTF-16 units each).
        breaks: Sorted indices of the characters the renderer put a zero-width space before.
    """

    key: SectionKey
    offset: int
    length: int
    doc_start: int
    doc_length: int
    astral: tuple[int, ...] = ()
    breaks: tuple[int, ...] = ()

    @property
    def doc_end(self) -> int:
        return self.doc_start + self.doc_length

    def position_of(self, index: int) -> int:
        """The document position of the run's character `index` (0..length)."""
        return (
            self.doc_start
            + index
            + bisect_left(self.astral, index)
            + bisect_right(self.breaks, index)
        )

    def index_at(self, position: int) -> int:
        """The run's character boundary at a document position in it.

        Inside a character outside the BMP, the boundary before it; on an inserted break,
        the boundary the break stands at.
        """
        low, high = 0, self.length
        while low < high:  # the last index whose position is <= `position`
            middle = (low + high + 1) // 2
            if self.position_of(middle) <= position:
                low = middle
            else:
                high = middle - 1
        if low < self.length:
            width = 2 if _contains(self.astral, low) else 1
            if position >= self.position_of(low) + width:
                return low + 1  # among the breaks that follow the character
        return low


class PositionMap:
    """Both ways between document positions and (section key, offset) for one page.

    Attributes:
        runs: Every run, in document order.
        character_count: What ``QTextDocument.characterCount()`` gives for the page; the
            UI compares them to know the map fits the document it shows.
    """

    __slots__ = ("_by_key", "_starts", "character_count", "runs")

    def __init__(self, runs: Iterable[TextRun], character_count: int) -> None:
        self.runs = tuple(sorted(runs, key=lambda run: run.doc_start))
        self.character_count = character_count
        self._starts = [run.doc_start for run in self.runs]
        self._by_key: dict[str, list[TextRun]] = {}
        for run in self.runs:
            self._by_key.setdefault(run.key, []).append(run)

    def __repr__(self) -> str:
        return f"PositionMap({len(self.runs)} runs, {self.character_count} positions)"

    @property
    def keys(self) -> list[SectionKey]:
        """The sections shown, in reading order."""
        return [SectionKey(key) for key in self._by_key]

    def to_document(self, key: str, offset: int) -> int | None:
        """The document position of a section offset; None if the section is not shown or
        the offset lies outside its text."""
        runs = self._by_key.get(key)
        if not runs or offset < 0:
            return None
        for run in runs:
            if offset <= run.offset + run.length:
                if offset < run.offset:
                    return None  # cannot happen for a section's own runs: they touch
                return run.position_of(offset - run.offset)
        return None

    def to_section(self, position: int) -> tuple[SectionKey, int] | None:
        """The (section, offset) at a document position; None outside section text.

        A position between the two halves of a character outside the BMP gives the
        boundary before that character.
        """
        index = bisect_right(self._starts, position) - 1
        if index < 0:
            return None
        run = self.runs[index]
        if position > run.doc_end:
            return None
        return run.key, run.offset + run.index_at(position)

    def to_sections(self, start: int, end: int) -> list[tuple[SectionKey, int, int]]:
        """A document range cut into (section, start offset, end offset) per section.

        A selection that crosses two sections gives two ranges; parts of it outside any
        section (headings, chips) are left out, and so are empty pieces (an empty range
        gives an empty list).
        """
        if end < start:
            start, end = end, start
        pieces: dict[str, tuple[int, int]] = {}
        first = max(0, bisect_right(self._starts, start) - 1)
        last = bisect_right(self._starts, end)
        for run in self.runs[first:last]:
            low, high = max(start, run.doc_start), min(end, run.doc_end)
            if low > high:
                continue
            # A piece that only touches a run still counts: merged with its neighbour in
            # the same section it carries the LF between two paragraphs.
            lo = run.offset + run.index_at(low)
            hi = run.offset + _index_at_or_after(run, high)
            if run.key in pieces:
                lo = min(lo, pieces[run.key][0])
                hi = max(hi, pieces[run.key][1])
            pieces[run.key] = (lo, hi)
        return [(SectionKey(key), lo, hi) for key, (lo, hi) in pieces.items() if hi > lo]

    def section_span(self, key: str) -> tuple[int, int] | None:
        """The document range a section occupies, or None if it is not shown."""
        runs = self._by_key.get(key)
        if not runs:
            return None
        return runs[0].doc_start, runs[-1].doc_end


def _contains(ordered: tuple[int, ...], value: int) -> bool:
    index = bisect_left(ordered, value)
    return index < len(ordered) and ordered[index] == value


def _index_at_or_after(run: TextRun, position: int) -> int:
    """The run's first character boundary at or after a document position."""
    index = run.index_at(position)
    if run.position_of(index) < position and index < run.length:
        index += 1
    return index
