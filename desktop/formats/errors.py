"""The one error the format modules raise for input they refuse."""

from __future__ import annotations


class CaseFormatError(ValueError):
    """A case file that cannot be read; the message says why, in words a reader understands.

    Attributes:
        reason: What is wrong.
        line: 1-based line number the problem is on, when known.
        field: The case field concerned, when known.
    """

    def __init__(self, reason: str, *, line: int | None = None, field: str | None = None):
        self.reason = reason
        self.line = line
        self.field = field
        where = []
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{reason} ({', '.join(where)})" if where else reason)
