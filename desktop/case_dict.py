"""One serialisation of a case: to and from a plain JSON-able dict.

`lightbox show --json` prints `case_to_dict`; case bundles will carry it; the store encodes
its JSON columns (authors, figures) with the same field converters. The dict keeps the keys
`show --json` has always printed (text fields with a blank line between paragraphs, the
discussion flattened into one string) and adds ``sections``: every section in reading order
as ``{"key", "heading", "text"}``, which is lossless. `case_from_dict` reads the discussion
back from the sections, and checks every value's type, naming the key it rejects: a bundle
from elsewhere is untrusted input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from desktop.model import Author, Case, DiscussionPart, Figure, Patient
from desktop.sections import canonical_case, case_sections, section_kind

__all__ = [
    "CaseDataError",
    "authors_from_data",
    "authors_to_data",
    "case_from_dict",
    "case_to_dict",
    "figures_from_data",
    "figures_to_data",
]


class CaseDataError(ValueError):
    """A case dict that cannot be read back; the message names the key."""


def case_to_dict(case: Case) -> dict[str, Any]:
    """The case as plain data (str, int, None, lists and dicts only)."""
    case = canonical_case(case)
    return {
        "id": case.key,
        "source": case.source,
        "source_id": case.source_id,
        "title": case.title,
        "published": case.published.isoformat() if case.published else None,
        "section": case.section,
        "case_type": case.case_type,
        "authors": authors_to_data(case.authors),
        "affiliations": list(case.affiliations),
        "patient": {
            "age": case.patient.age,
            "age_days": case.patient.age_days,
            "sex": case.patient.sex,
        },
        "areas_of_interest": list(case.areas_of_interest),
        "imaging_techniques": list(case.imaging_techniques),
        "clinical_history": case.clinical_history,
        "imaging_findings": case.imaging_findings,
        "discussion": case.discussion_text,
        "differential_diagnosis": list(case.differential_diagnosis),
        "final_diagnosis": case.final_diagnosis,
        "references": list(case.references),
        "doi": case.doi,
        "issn": case.issn,
        "license": case.license,
        "figures": figures_to_data(case.figures),
        "keywords": list(case.keywords),
        "acr_code": case.acr_code,
        "category": case.category,
        "diagnosis_by": case.diagnosis_by,
        "sections": [
            {"key": s.key, "heading": s.heading, "text": s.text} for s in case_sections(case)
        ],
    }


def case_from_dict(data: Mapping[str, Any]) -> Case:
    """The case a `case_to_dict` dict describes (made canonical).

    Raises:
        CaseDataError: a key is missing or holds a value of the wrong type.
    """
    if not isinstance(data, Mapping):
        raise CaseDataError("a case must be a JSON object")
    patient = data.get("patient") or {}
    if not isinstance(patient, Mapping):
        raise CaseDataError("'patient' must be an object")
    published = _optional_str(data, "published")
    try:
        published_date = dt.date.fromisoformat(published) if published else None
    except ValueError:
        raise CaseDataError(f"'published' is not a date: {published!r}") from None
    sex = _optional_str(patient, "sex", "patient.sex")
    if sex not in (None, "male", "female"):
        raise CaseDataError(f"'patient.sex' must be male, female or null, not {sex!r}")
    age_days = patient.get("age_days")
    if age_days is not None and (isinstance(age_days, bool) or not isinstance(age_days, int)):
        raise CaseDataError("'patient.age_days' must be a whole number or null")
    case = Case(
        source=_str(data, "source"),
        source_id=_str(data, "source_id"),
        title=_str(data, "title"),
        published=published_date,
        section=_optional_str(data, "section"),
        case_type=_optional_str(data, "case_type"),
        authors=authors_from_data(_list(data, "authors")),
        affiliations=_strings(data, "affiliations"),
        patient=Patient(
            age=_optional_str(patient, "age", "patient.age"),
            age_days=age_days,
            sex=cast("Any", sex),
        ),
        areas_of_interest=_strings(data, "areas_of_interest"),
        imaging_techniques=_strings(data, "imaging_techniques"),
        clinical_history=_str(data, "clinical_history", default=""),
        imaging_findings=_str(data, "imaging_findings", default=""),
        discussion=_discussion(data),
        differential_diagnosis=_strings(data, "differential_diagnosis"),
        final_diagnosis=_str(data, "final_diagnosis", default=""),
        references=_strings(data, "references"),
        doi=_optional_str(data, "doi"),
        issn=_optional_str(data, "issn"),
        license=_optional_str(data, "license"),
        figures=figures_from_data(_list(data, "figures")),
        keywords=_strings(data, "keywords"),
        acr_code=_optional_str(data, "acr_code"),
        category=_optional_str(data, "category"),
        diagnosis_by=_optional_str(data, "diagnosis_by"),
    )
    return canonical_case(case)


def authors_to_data(authors: Sequence[Author]) -> list[dict[str, Any]]:
    return [{"name": a.name, "affiliations": list(a.affiliations)} for a in authors]


def authors_from_data(items: Sequence[Any]) -> tuple[Author, ...]:
    authors = []
    for number, item in enumerate(items, start=1):
        where = f"authors[{number}]"
        if not isinstance(item, Mapping):
            raise CaseDataError(f"'{where}' must be an object")
        numbers = item.get("affiliations") or []
        if not isinstance(numbers, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in numbers
        ):
            raise CaseDataError(f"'{where}.affiliations' must be a list of numbers")
        authors.append(Author(_str(item, "name", f"{where}.name"), tuple(numbers)))
    return tuple(authors)


def figures_to_data(figures: Sequence[Figure]) -> list[dict[str, Any]]:
    """Figures as plain data, numbered from 1 in the case's order. ``missing`` says whether
    the figure lacks the image its source named, ``missing_reason`` why."""
    return [
        {
            "number": number,
            "label": figure.label,
            "caption": figure.legend,
            "image": figure.image,
            "modality": figure.modality,
            "plane": figure.plane,
            "part": figure.part,
            "width": figure.width,
            "height": figure.height,
            "missing": figure.missing is not None,
            "missing_reason": figure.missing,
        }
        for number, figure in enumerate(figures, start=1)
    ]


def figures_from_data(items: Sequence[Any]) -> tuple[Figure, ...]:
    figures = []
    for number, item in enumerate(items, start=1):
        where = f"figures[{number}]"
        if not isinstance(item, Mapping):
            raise CaseDataError(f"'{where}' must be an object")
        width, height = (_optional_size(item, name, where) for name in ("width", "height"))
        figures.append(
            Figure(
                _str(item, "label", f"{where}.label"),
                # Figures stored before they had captions called theirs a legend.
                _str(
                    item,
                    "caption" if "caption" in item else "legend",
                    f"{where}.caption",
                    default="",
                ),
                _optional_str(item, "image", f"{where}.image"),
                modality=_optional_str(item, "modality", f"{where}.modality"),
                plane=_optional_str(item, "plane", f"{where}.plane"),
                part=_optional_str(item, "part", f"{where}.part"),
                width=width,
                height=height,
                missing=_missing_reason(item, where),
            )
        )
    return tuple(figures)


def _discussion(data: Mapping[str, Any]) -> tuple[DiscussionPart, ...]:
    """Discussion parts from the sections; from the flattened text if there are none."""
    sections = data.get("sections")
    if sections is None:
        text = _str(data, "discussion", default="")
        return (DiscussionPart(None, text),) if text else ()
    if not isinstance(sections, list):
        raise CaseDataError("'sections' must be a list")
    parts = []
    for number, section in enumerate(sections, start=1):
        where = f"sections[{number}]"
        if not isinstance(section, Mapping):
            raise CaseDataError(f"'{where}' must be an object")
        key = _str(section, "key", f"{where}.key")
        if section_kind(key) != "discussion":
            continue
        # "discussion" and "discussion-2" have no sub-heading; "discussion.outcome" has one.
        heading = _str(section, "heading", f"{where}.heading") if "." in key else None
        text = _str(section, "text", f"{where}.text")
        parts.append(DiscussionPart(heading, text.replace("\n", "\n\n")))
    return tuple(parts)


def _str(
    data: Mapping[str, Any], key: str, name: str | None = None, *, default: str | None = None
) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        missing = "is missing" if key not in data else "must be text"
        raise CaseDataError(f"'{name or key}' {missing}")
    return value


def _optional_str(data: Mapping[str, Any], key: str, name: str | None = None) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise CaseDataError(f"'{name or key}' must be text or null")
    return value


def _missing_reason(item: Mapping[str, Any], where: str) -> str | None:
    reason = _optional_str(item, "missing_reason", f"{where}.missing_reason")
    if item.get("missing") is True and not reason:
        return "the image is missing"
    return reason


def _optional_size(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise CaseDataError(f"'{where}.{key}' must be a number of pixels or null")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise CaseDataError(f"'{key}' must be a list")
    return value


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = _list(data, key)
    if not all(isinstance(v, str) for v in values):
        raise CaseDataError(f"'{key}' must be a list of text")
    return tuple(values)
