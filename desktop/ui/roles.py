"""Custom item-data roles shared by the models and views."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt


class Roles(IntEnum):
    """Roles beyond Qt's own, read with ``index.data(Roles.IdRole)``."""

    #: The case id (CaseId) of a row.
    IdRole = Qt.ItemDataRole.UserRole + 1
    #: The search snippet for a row, matches between « and »; None outside a search.
    SnippetRole = Qt.ItemDataRole.UserRole + 2
    #: The whole ListRow behind a row.
    ObjectRole = Qt.ItemDataRole.UserRole + 3
    #: What a sidebar entry selects (a CaseFilter).
    FilterRole = Qt.ItemDataRole.UserRole + 4
    #: The uid of a sidebar entry's record (a collection, a saved search).
    UidRole = Qt.ItemDataRole.UserRole + 5
    #: The name of a sidebar group's header ("collections", "tags"...).
    HeaderRole = Qt.ItemDataRole.UserRole + 6
    #: The count a sidebar entry shows, as text (drawn at its right by CountDelegate).
    CountRole = Qt.ItemDataRole.UserRole + 7
