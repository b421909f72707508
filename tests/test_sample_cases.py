"""The sample cases in cases/: ours, complete, parseable, and never posing as Eurorad cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.eurorad_text import parse_eurorad_text, render_eurorad_text
from desktop.model import Case
from tests.conftest import SAMPLE_CASES

FILES = sorted(SAMPLE_CASES.glob("*.txt"))
SECTIONS = {
    "Neuroradiology",
    "Head & neck imaging",
    "Chest imaging",
    "Cardiovascular",
    "Abdominal imaging",
    "Uroradiology & genital male imaging",
    "Musculoskeletal system",
    "Paediatric radiology",
    "Breast imaging",
    "Interventional radiology",
    "Hybrid imaging",
}


def load(path: Path) -> Case:
    decoded = decode_case_bytes(path.read_bytes())
    assert (decoded.encoding, decoded.warning) == ("utf-8", None)
    return parse_eurorad_text(decoded.text)


def test_there_are_enough_and_they_cover_the_sections() -> None:
    cases = [load(path) for path in FILES]
    assert len(cases) >= 24
    assert {case.section for case in cases} >= SECTIONS
    assert {case.patient.sex for case in cases} == {"male", "female"}
    units = {case.patient.age.split()[1].rstrip("s") for case in cases if case.patient.age}
    assert {"day", "month", "year"} <= units
    assert len({case.key for case in cases}) == len(cases)
    assert len({case.final_diagnosis.casefold() for case in cases}) == len(cases)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_sample_case_is_complete_and_ours(path: Path) -> None:
    case = load(path)
    assert (case.source, case.source_id) == ("lightbox", path.stem)
    assert case.doi is None
    assert not re.search(r"\beurorad\b", path.read_text("utf-8"), re.IGNORECASE)
    assert case.license == "CC BY 4.0"
    assert case.published is not None
    assert case.patient.age_days is not None
    assert case.patient.sex is not None
    assert len(case.clinical_history) >= 200
    assert len(case.imaging_findings) >= 200
    headings = [part.heading for part in case.discussion]
    assert None not in headings
    assert {"Background", "Imaging Perspective", "Teaching Points"} <= set(headings)
    assert all(part.text for part in case.discussion)
    assert 3 <= len(case.differential_diagnosis) <= 6
    assert case.final_diagnosis
    assert parse_eurorad_text(render_eurorad_text(case)) == case
