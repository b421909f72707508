"""What a change to the library touched, so views redraw from it (storage emits no signals)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from desktop.model import CaseId


@dataclass(frozen=True, slots=True)
class Changes:
    """The ids each kind of record a mutation added, changed or removed.

    Attributes:
        cases: Cases whose text or metadata changed (or that were added or removed).
        notes: Cases whose note changed.
        bookmarks: Cases bookmarked or unbookmarked.
        reading: Cases whose read state changed.
        highlights: Cases whose highlights changed (made, edited, deleted, moved), and
            changes to what the colours mean (with no case).
        collections: Cases put into or taken out of a collection, or moved within one
            (their collection was deleted, too).
        collection_tree: Collections were made, renamed, moved or deleted (the sidebar's
            tree and its counts redraw).
        tags: Cases tagged or untagged (a tag renamed or merged too).
        reviews: Cases rated in a drill (or a rating undone): their schedule changed.
        saved_searches: Saved searches were made, renamed, edited or deleted (the
            sidebar's list of them redraws; no case changed).
        whole_library: Anything may have changed (a restore, an import that stopped part
            way): every view redraws from the library, whatever the id sets say.
    """

    cases: frozenset[CaseId] = field(default_factory=frozenset)
    notes: frozenset[CaseId] = field(default_factory=frozenset)
    bookmarks: frozenset[CaseId] = field(default_factory=frozenset)
    reading: frozenset[CaseId] = field(default_factory=frozenset)
    highlights: frozenset[CaseId] = field(default_factory=frozenset)
    #: What the colours mean changed (Preferences).
    colour_meanings: bool = False
    collections: frozenset[CaseId] = field(default_factory=frozenset)
    collection_tree: bool = False
    tags: frozenset[CaseId] = field(default_factory=frozenset)
    reviews: frozenset[CaseId] = field(default_factory=frozenset)
    saved_searches: bool = False
    whole_library: bool = False
    #: Of `cases`, those that only moved into or out of the trash, once (each count they
    #: are in moves by one: see `desktop.store.listing.parts_moved`). Joined changes keep
    #: a case here only if one of them moved it: moved twice, it may be back where it was.
    trash_moves: frozenset[CaseId] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return bool(
            self.whole_library
            or self.cases
            or self.notes
            or self.bookmarks
            or self.reading
            or self.highlights
            or self.colour_meanings
            or self.collections
            or self.collection_tree
            or self.tags
            or self.reviews
            or self.saved_searches
        )

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            cases=self.cases | other.cases,
            notes=self.notes | other.notes,
            bookmarks=self.bookmarks | other.bookmarks,
            reading=self.reading | other.reading,
            highlights=self.highlights | other.highlights,
            colour_meanings=self.colour_meanings or other.colour_meanings,
            collections=self.collections | other.collections,
            collection_tree=self.collection_tree or other.collection_tree,
            tags=self.tags | other.tags,
            reviews=self.reviews | other.reviews,
            trash_moves=self.trash_moves ^ other.trash_moves,
            saved_searches=self.saved_searches or other.saved_searches,
            whole_library=self.whole_library or other.whole_library,
        )

    @classmethod
    def merge(cls, many: Iterable[Changes]) -> Changes:
        """All of `many` as one, in one pass (``|`` in a loop copies growing sets: its
        cost grows with the square of the cases)."""
        cases, notes, bookmarks, reading, highlights, collections, tags, reviews, moves = (
            set[CaseId]() for _ in range(9)
        )
        flags = dict.fromkeys(
            ("colour_meanings", "collection_tree", "saved_searches", "whole_library"), False
        )
        for changes in many:
            cases |= changes.cases
            notes |= changes.notes
            bookmarks |= changes.bookmarks
            reading |= changes.reading
            highlights |= changes.highlights
            collections |= changes.collections
            tags |= changes.tags
            reviews |= changes.reviews
            moves ^= changes.trash_moves  # see `trash_moves`
            for name in flags:
                flags[name] = flags[name] or getattr(changes, name)
        return cls(
            cases=frozenset(cases),
            notes=frozenset(notes),
            bookmarks=frozenset(bookmarks),
            reading=frozenset(reading),
            highlights=frozenset(highlights),
            collections=frozenset(collections),
            tags=frozenset(tags),
            reviews=frozenset(reviews),
            trash_moves=frozenset(moves),
            **flags,
        )

    @property
    def touched(self) -> frozenset[CaseId]:
        """Every case whose row in the list may look different."""
        return (
            self.cases
            | self.notes
            | self.bookmarks
            | self.reading
            | self.highlights
            | self.collections
            | self.tags
            | self.reviews
        )
