"""What a change to the library touched, so views redraw from it (storage emits no signals)."""

from __future__ import annotations

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
        whole_library: Anything may have changed (a restore, an import that stopped part
            way): every view redraws from the library, whatever the id sets say.
    """

    cases: frozenset[CaseId] = field(default_factory=frozenset)
    notes: frozenset[CaseId] = field(default_factory=frozenset)
    bookmarks: frozenset[CaseId] = field(default_factory=frozenset)
    reading: frozenset[CaseId] = field(default_factory=frozenset)
    whole_library: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.whole_library or self.cases or self.notes or self.bookmarks or self.reading
        )

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            cases=self.cases | other.cases,
            notes=self.notes | other.notes,
            bookmarks=self.bookmarks | other.bookmarks,
            reading=self.reading | other.reading,
            whole_library=self.whole_library or other.whole_library,
        )

    @property
    def touched(self) -> frozenset[CaseId]:
        """Every case whose row in the list may look different."""
        return self.cases | self.notes | self.bookmarks | self.reading
