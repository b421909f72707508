"""What a change to the library touched, so views redraw from it (storage emits no signals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop.model import CaseId


@dataclass(frozen=True, slots=True)
class Changes:
    """The ids each kind of record a mutation added, changed or removed.

    Attributes:
        cases: Cases whose text or metadata changed (or that were added or removed).
    """

    cases: frozenset[CaseId] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return bool(self.cases)

    def __or__(self, other: Changes) -> Changes:
        return Changes(cases=self.cases | other.cases)
