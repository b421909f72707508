"""Earlier texts of cases (the `case_versions` table): what a re-import keeps, and the rule
for what an incoming case may not take away.

A re-import never silently shrinks a case. A field the stored case has and the incoming
file lacks (a truncated page: no final diagnosis, no differential, no DOI) is kept from the
stored case (`keep_missing`); every text that an update replaces is kept as a numbered
version of the case (`keep_version`), listed and restorable per case; and an update that
drops more than a third of the text, or lacks a field it had, says so (`StoredCase.notice`
in `desktop.store.cases`).

Versions are keyed by the case's identity (source, source id) and a number counting from 1
within the case; they hold the replaced case as `desktop.case_dict.case_to_dict` JSON. The
table is append-only: nothing here updates or deletes a version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from desktop.case_dict import case_from_dict, case_to_dict
from desktop.model import Case, Figure, Patient
from desktop.sections import case_sections
from desktop.store.records import instant

#: An update whose incoming text is under this share of the stored text is "shorter".
SHORTER_SHARE = (2, 3)

#: The fields `keep_missing` may keep, in the order a notice names them, with their names.
#: The diagnosis, the differential and the DOI come first: losing them is what matters most.
KEPT_NAMES: dict[str, str] = {
    "final_diagnosis": "the diagnosis",
    "differential_diagnosis": "the differential",
    "doi": "the DOI",
    "clinical_history": "the clinical history",
    "imaging_findings": "the findings",
    "discussion": "the discussion",
    "references": "the references",
    "figures": "the figures",
    "figure_images": "the figures' images",
    "license": "the licence",
    "issn": "the ISSN",
    "published": "the publication date",
    "section": "the section",
    "case_type": "the case type",
    "authors": "the authors",
    "affiliations": "the affiliations",
    "patient": "the patient's age and sex",
    "areas_of_interest": "the areas of interest",
    "imaging_techniques": "the imaging techniques",
    "keywords": "the keywords",
    "acr_code": "the ACR code",
    "category": "the category",
    "diagnosis_by": "how the diagnosis was made",
}

#: Parts of a case compared by `differences`, with their names.
_COMPARED: tuple[tuple[str, str], ...] = (
    ("title", "title"),
    ("clinical_history", "history"),
    ("imaging_findings", "findings"),
    ("discussion", "discussion"),
    ("differential", "differential"),
    ("final_diagnosis", "diagnosis"),
    ("reference", "references"),
)


@dataclass(frozen=True, slots=True)
class CaseVersion:
    """An earlier text of a case, as a re-import or a restore replaced it.

    Attributes:
        number: Its number within the case, from 1 (oldest first).
        case: The case as it was (canonical).
        content_hash: The digest the case row had then.
        stored_at: When that text was stored (imported, updated or restored).
        replaced_at: When it was replaced.
        replaced_by: What replaced it: "import of FILE", "restore of version N".
    """

    number: int
    case: Case
    content_hash: str
    stored_at: dt.datetime
    replaced_at: dt.datetime
    replaced_by: str

    @property
    def size(self) -> int:
        """Characters of text in its sections (`text_size`)."""
        return text_size(self.case)

    def differences(self, current: Case) -> list[str]:
        """What differs in this text from the case's current one (see `differences`)."""
        return differences(current, self.case)


def text_size(case: Case) -> int:
    """How much text a case has: the characters of its sections, headings left out."""
    return sum(len(section.text) for section in case_sections(case))


def is_shorter(stored: int, incoming: int) -> bool:
    """Whether `incoming` characters drop more than a third of `stored` ones."""
    share, whole = SHORTER_SHARE
    return incoming * whole < stored * share


def _empty(value: object) -> bool:
    return value is None or value in ("", ())


def keep_missing(stored: Case, incoming: Case) -> tuple[Case, tuple[str, ...]]:
    """The incoming case, with each field it lacks and the stored case has kept from the
    stored one; and the names (`KEPT_NAMES` keys, in that order) of the fields kept.

    "Lacks" means empty: no text, no items, no value. A field the incoming case has, however
    short, is taken as it is (the notice says when the text shrank). A figure that comes
    without its image (the file was missing at this import) keeps the image the stored
    figure of the same place and label has ("figure_images").
    """
    kept: list[str] = []
    changes: dict[str, Any] = {}
    for name in KEPT_NAMES:
        if name == "patient":
            patient = _keep_patient(stored.patient, incoming.patient)
            if patient != incoming.patient:
                changes["patient"] = patient
                kept.append(name)
            continue
        if name == "figure_images":
            figures = _keep_images(stored.figures, changes.get("figures", incoming.figures))
            if figures is not None:
                changes["figures"] = figures
                kept.append(name)
            continue
        old, new = getattr(stored, name), getattr(incoming, name)
        if _empty(new) and not _empty(old):
            changes[name] = old
            kept.append(name)
    return (dataclasses.replace(incoming, **changes) if changes else incoming), tuple(kept)


def _keep_images(
    stored: tuple[Figure, ...], incoming: tuple[Figure, ...]
) -> tuple[Figure, ...] | None:
    """The incoming figures, each that lost its image given back the stored one's (same
    place, same label); None when none did."""
    kept = False
    figures = list(incoming)
    for index, (old, new) in enumerate(zip(stored, incoming, strict=False)):
        if new.image is None and new.missing and old.image and old.label == new.label:
            figures[index] = dataclasses.replace(
                new, image=old.image, width=old.width, height=old.height, missing=None
            )
            kept = True
    return tuple(figures) if kept else None


def _keep_patient(stored: Patient, incoming: Patient) -> Patient:
    if incoming.age is None and incoming.age_days is None and stored.age is not None:
        incoming = dataclasses.replace(incoming, age=stored.age, age_days=stored.age_days)
    if incoming.sex is None and stored.sex is not None:
        incoming = dataclasses.replace(incoming, sex=stored.sex)
    return incoming


def differences(current: Case, other: Case) -> list[str]:
    """What differs in `other` (an earlier text) from the `current` text of a case, in a few
    words each, said of `other`: "discussion 3,362 characters (now 916)", "diagnosis (the
    current text has none)", "no DOI (the current text has one)"; empty when the same."""

    def texts(case: Case) -> dict[str, str]:
        found: dict[str, list[str]] = {}
        for section in case_sections(case):
            found.setdefault(section.kind, []).append(section.text)
        return {kind: "\n".join(parts) for kind, parts in found.items()}

    now, then = texts(current), texts(other)
    said: list[str] = []
    for kind, name in _COMPARED:
        before, after = now.get(kind, ""), then.get(kind, "")
        if before == after:
            continue
        if not after:
            said.append(f"no {name} (the current text has it)")
        elif not before:
            said.append(f"{name} (the current text has none)")
        elif len(before) != len(after):
            said.append(f"{name} {len(after):,} characters (now {len(before):,})")
        else:
            said.append(f"{name} differs")
    if current.doi != other.doi:
        if not other.doi:
            said.append("no DOI (the current text has one)")
        elif not current.doi:
            said.append("DOI (the current text has none)")
        else:
            said.append("another DOI")
    return said


def keep_version(
    conn: sqlite3.Connection,
    case: Case,
    content_hash: str,
    *,
    stored_at: str,
    replaced_at: dt.datetime,
    replaced_by: str,
) -> int:
    """Adds `case` (the text being replaced) as the next version of its case; its number.

    Must run inside the transaction that replaces it.
    """
    row = conn.execute(
        "SELECT coalesce(max(version), 0) FROM case_versions"
        " WHERE case_source = ? AND case_source_id = ?",
        (case.source, case.source_id),
    ).fetchone()
    number = int(row[0]) + 1
    conn.execute(
        "INSERT INTO case_versions (case_source, case_source_id, version, case_json,"
        " content_hash, stored_at, replaced_at, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case.source,
            case.source_id,
            number,
            json.dumps(case_to_dict(case), ensure_ascii=False),
            content_hash,
            stored_at,
            replaced_at.isoformat(timespec="seconds"),
            replaced_by,
        ),
    )
    return number


def list_versions(conn: sqlite3.Connection, source: str, source_id: str) -> list[CaseVersion]:
    """The case's earlier texts, oldest (number 1) first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM case_versions WHERE case_source = ? AND case_source_id = ?"
        " ORDER BY version",
        (source, source_id),
    )
    return [_version(row) for row in rows]


def get_version(
    conn: sqlite3.Connection, source: str, source_id: str, number: int
) -> CaseVersion | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM case_versions WHERE case_source = ? AND case_source_id = ?"
        " AND version = ?",
        (source, source_id, number),
    ).fetchone()
    return None if row is None else _version(row)


_COLUMNS = "version, case_json, content_hash, stored_at, replaced_at, replaced_by"


def _version(row: tuple[Any, ...]) -> CaseVersion:
    return CaseVersion(
        number=int(row[0]),
        case=case_from_dict(json.loads(row[1])),
        content_hash=row[2],
        stored_at=instant(row[3]),
        replaced_at=instant(row[4]),
        replaced_by=row[5],
    )
