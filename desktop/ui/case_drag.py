"""What a drag carries between the case list and the sidebar: case ids, or a collection's
uid, each with the library it came from (a drop from a window on another library is
refused: its row ids name other cases)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData

from desktop.model import CaseId

CASES_MIME = "application/x-lightbox-cases"
COLLECTION_MIME = "application/x-lightbox-collection"
#: More cases than this in one drag are refused (a drag holds ids, not a query).
MAX_DRAGGED = 1_000_000


def cases_mime(case_ids: Sequence[CaseId], library: Path) -> QMimeData:
    mime = QMimeData()
    payload = {"library": str(library), "cases": [int(case) for case in case_ids]}
    mime.setData(CASES_MIME, json.dumps(payload).encode("utf-8"))
    return mime


def dragged_cases(mime: QMimeData, library: Path) -> list[CaseId] | None:
    """The cases a drag carries, if it carries cases of `library`; else None."""
    payload = _payload(mime, CASES_MIME, library)
    cases = payload.get("cases") if payload else None
    if not isinstance(cases, list) or not 0 < len(cases) <= MAX_DRAGGED:
        return None
    if not all(isinstance(case, int) and not isinstance(case, bool) for case in cases):
        return None
    return [CaseId(case) for case in cases]


def collection_mime(uid: str, library: Path) -> QMimeData:
    mime = QMimeData()
    payload = {"library": str(library), "collection": uid}
    mime.setData(COLLECTION_MIME, json.dumps(payload).encode("utf-8"))
    return mime


def collection_from_mime(mime: QMimeData, library: Path) -> str | None:
    """The collection a drag carries, if it is one of `library`'s; else None."""
    payload = _payload(mime, COLLECTION_MIME, library)
    uid = payload.get("collection") if payload else None
    return uid if isinstance(uid, str) and uid else None


def _payload(mime: QMimeData, kind: str, library: Path) -> dict[str, object] | None:
    if not mime.hasFormat(kind):
        return None
    try:
        payload = json.loads(bytes(mime.data(kind).data()).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("library") != str(library):
        return None
    return payload
