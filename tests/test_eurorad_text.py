"""The Eurorad text parser: the seed (every field), the shared real cases, the page variants."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.errors import CaseFormatError
from desktop.formats.eurorad_text import parse_eurorad_text, render_eurorad_text
from desktop.model import Author, Case, DiscussionPart, Patient
from tests.conftest import EURORAD_DATA, SEED_CASE
from tests.tools import needs_shared, shared_files, shared_path


def parse_file(path: Path) -> Case:
    return parse_eurorad_text(decode_case_bytes(path.read_bytes()).text)


def squeeze(text: str) -> str:
    """Whitespace normalised: runs of whitespace (NBSP included) become one space."""
    return " ".join(text.split())


# --- the seed: every field exactly ----------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Case:
    return parse_file(shared_path(SEED_CASE))


def test_seed_header(seed: Case) -> None:
    assert seed.source == "eurorad"
    assert seed.source_id == "8455"
    assert seed.key == "eurorad:8455"
    assert seed.published == dt.date(2011, 8, 7)
    assert seed.title == "Iatrogenic neonatal calcinosis cutis"
    assert seed.section == "Paediatric radiology"
    assert seed.case_type == "Clinical Cases"
    assert seed.authors == (
        Author("Arora A", (1,)),
        Author("Jain V", (2,)),
        Author("Bhutani R", (3,)),
    )
    assert seed.affiliations == (
        "Department of Radiodiagnosis, Institute of Liver & Biliary Sciences, New Delhi, India",
        "Department of Neonatology, Fortis Hospital, Shalimar Bagh, New Delhi, India",
        "Department of Radiodiagnosis, La-Femme Fortis Hospital, New Delhi, India",
    )
    assert seed.patient == Patient(age="24 days", age_days=24, sex="male")
    assert seed.areas_of_interest == ()
    assert seed.imaging_techniques == ()


def test_seed_body(seed: Case) -> None:
    lines = SEED_CASE.read_text(encoding="utf-8").splitlines()
    assert seed.clinical_history == lines[lines.index("Clinical History") + 1]
    assert "\n" not in seed.clinical_history
    assert seed.clinical_history.startswith("This preterm neonate was discharged")
    assert seed.imaging_findings == (
        "The neonate was subjected to plain radiographs of the lower limbs, which showed linear "
        "extraosseous calcification extending from the level of knee joint to the ankle. The "
        "underlying bones appeared normal. The contralateral limb was normal."
    )
    start = next(i for i, line in enumerate(lines) if line.startswith("Based upon the imaging"))
    end = lines.index("Differential Diagnosis List")
    expected = "\n\n".join(line for line in lines[start:end] if line.strip())
    assert seed.discussion == (DiscussionPart(None, expected),)
    assert seed.discussion_text.startswith("Based upon the imaging findings")
    assert seed.discussion_text.endswith("Most infants recover without functional deficit.")
    assert seed.discussion_text.count("\n\n") == 3
    assert seed.differential_diagnosis == ("Iatrogenic calcinosis cutis",)
    assert seed.final_diagnosis == "Iatrogenic calcinosis cutis"
    assert seed.doi == "10.1594/EURORAD/CASE.8455"
    assert seed.issn == "1563-4086"
    assert seed.license is None
    assert seed.references == ()
    assert seed.figures == ()


# --- the shared real cases against their truth files ----------------------------------------

REAL_CASES = shared_files(EURORAD_DATA / "cases", "*.txt")


@needs_shared(EURORAD_DATA / "cases")
def test_real_cases_are_there() -> None:
    assert len(REAL_CASES) == 15


@pytest.mark.parametrize("path", REAL_CASES, ids=lambda p: p.stem)
@needs_shared(EURORAD_DATA / "truth")
def test_real_case_matches_truth(path: Path) -> None:
    case = parse_file(path)
    truth = json.loads((EURORAD_DATA / "truth" / f"{path.stem}.json").read_text("utf-8"))
    assert case.source_id == str(truth["case_id"])
    assert case.title == truth["title"]
    assert case.section == truth["section"]
    assert case.patient.sex == truth["gender"]
    assert case.patient.age == f"{truth['age']} years"
    assert case.patient.age_days == int(truth["age"]) * 365
    assert case.published is not None
    assert case.published.strftime("%d.%m.%Y") == truth["time"]
    assert squeeze(case.clinical_history) == squeeze(truth["history"])
    assert squeeze(case.imaging_findings) == squeeze(truth["image_finding"])
    # Sub-headings glued to their text in the scrape ("BackgroundVertebroplasty") are split
    # onto their own line, so the discussion is compared with all whitespace removed.
    assert "".join(case.discussion_text.split()) == "".join(truth["discussion"].split())

    # The scrape lost the list's item boundaries (one comma-joined line of words); the parser
    # rebuilds the items (tests/test_differential.py) without losing a word.
    def words(text: str) -> list[str]:
        return text.replace(",", "").replace(".", "").split()

    assert words(" ".join(case.differential_diagnosis)) == words(truth["differential_diagnosis"])
    assert case.final_diagnosis == truth["diagnosis"]


@needs_shared(EURORAD_DATA / "cases")
def test_glued_subheadings_become_structure() -> None:
    case = parse_file(EURORAD_DATA / "cases" / "eurorad_10939.txt")
    headings = [part.heading for part in case.discussion]
    assert headings == [
        "Background",
        "Clinical perspective",
        "Imaging perspective",
        "Outcome",
        "Teaching points",
    ]
    assert case.discussion[0].text.startswith("Vertebroplasty is a commonly performed")
    assert case.discussion[-1].text.startswith("This case highlights the importance")


@needs_shared(EURORAD_DATA / "cases")
def test_subheading_lines_become_structure() -> None:
    case = parse_file(EURORAD_DATA / "cases" / "eurorad_18822.txt")
    assert [part.heading for part in case.discussion] == [
        "Background and Imaging Perspective",
        "Clinical Perspective",
        "Teaching Points",
    ]


@needs_shared(EURORAD_DATA / "cases")
def test_findings_with_blank_lines_stay_findings() -> None:
    case = parse_file(EURORAD_DATA / "cases" / "eurorad_15140.txt")
    assert case.imaging_findings.count("\n\n") == 3
    assert case.imaging_findings.endswith("consistent with poorly-differentiated sarcoma.")
    assert case.discussion_text.startswith("Posterior mediastinal tumours")


@needs_shared(EURORAD_DATA / "cases")
def test_hard_wrapped_lines_are_joined() -> None:
    case = parse_file(EURORAD_DATA / "cases" / "eurorad_6551.txt")
    assert "in whitch the existence of an anomalous" in case.imaging_findings
    assert "\n" not in case.imaging_findings


# --- page variants: header fields ------------------------------------------------------------

VARIANTS = EURORAD_DATA / "page-variants"


@needs_shared(VARIANTS)
def test_variant_new_site_unlabelled() -> None:
    case = parse_file(VARIANTS / "eurorad_8455_newsite.txt")
    assert (case.source_id, case.published) == ("8455", dt.date(2011, 8, 7))
    assert case.title == "Iatrogenic neonatal calcinosis cutis"
    assert case.section == "Paediatric radiology"
    assert case.case_type == "Clinical Cases"
    assert [a.name for a in case.authors] == ["Arora A", "Jain V", "Bhutani R"]
    assert len(case.affiliations) == 3
    assert case.patient == Patient("24 days", 24, "male")


@pytest.mark.parametrize("name", ["eurorad_17122_newsite_labels", "eurorad_17122_newsite_nolabels"])
@needs_shared(VARIANTS)
def test_variant_17122_labelled_and_not(name: str) -> None:
    case = parse_file(VARIANTS / f"{name}.txt")
    assert (case.source_id, case.published) == ("17122", dt.date(2021, 1, 13))
    assert case.title == "Spontaneous mediastinal hematoma."
    assert case.section == "Chest imaging"
    assert case.case_type == "Clinical Cases"
    assert case.authors == (
        Author("Alicia Berral Santana"),
        Author("Eva Aguilar Rivilla"),
        Author("Joaquín Costa Subías"),
    )
    assert case.affiliations == (
        "Hospital Universitario de Getafe, Toledo Road km 12.500, 28905, Getafe, Madrid, Spain.",
    )
    assert case.patient == Patient("46 years", 46 * 365, "male")
    assert case.areas_of_interest == ("Cardiovascular system", "Emergency", "Mediastinum")
    assert case.imaging_techniques == ("CT", "MR")
    assert case.clinical_history.startswith("A 46-year-old male presents")
    assert case.imaging_findings.startswith("A plain X-ray was performed")
    assert case.imaging_findings.count("\n\n") == 3


@needs_shared(VARIANTS)
def test_variant_labelled_with_titles() -> None:
    case = parse_file(VARIANTS / "eurorad_12282_newsite_labels.txt")
    assert (case.source_id, case.published) == ("12282", dt.date(2015, 5, 9))
    assert case.title == "Invasive thymoma - invading the superior vena cava and right atrium"
    assert case.section == "Chest imaging"
    assert case.authors == (
        Author("Pujanwita Das Majumder", (1,)),
        Author("Chitrangada Singh", (2,)),
        Author("Vijay DeSilva"),
        Author("Om Tavri"),
        Author("Rajas Chaubal"),
    )
    assert case.affiliations == (
        "Dr. D Y Patil Hospital and research Centre; Sector 7 Nerul east Navi Mumbai 400706, "
        "India; Email:chitrangada.singh@gmail.com",
    )
    assert case.patient == Patient("57 years", 57 * 365, "male")
    assert case.areas_of_interest == ("Veins / Vena cava", "Mediastinum", "Management")
    assert case.imaging_techniques == ("CT", "CT-High Resolution")
    assert case.discussion_text.startswith("Thymic epithelial tumours are mostly located")


@needs_shared(VARIANTS)
def test_variant_old_site() -> None:
    case = parse_file(VARIANTS / "eurorad_10974_oldsite.txt")
    assert (case.source_id, case.published) == ("10974", dt.date(2013, 8, 21))
    assert case.title == "Bronchial atresia seen as a rounded opacity on a chest radiograph"
    assert case.section == "Chest imaging"
    assert case.case_type == "Clinical Cases"
    assert [a.name for a in case.authors][:2] == ["Millor M", "García Barquín P"]
    assert len(case.authors) == 9
    assert all(a.affiliations == () for a in case.authors)
    assert case.affiliations == ("Avenida Pío XII, 36 Pamplona, Spain; Email:mmillor@unav.es",)
    assert case.patient == Patient("42 years", 42 * 365, "male")
    assert case.areas_of_interest == ("Lung",)
    assert case.imaging_techniques == ("CT", "Conventional radiography")
    # The old site has a Discussion heading: findings end where it starts.
    assert case.imaging_findings.endswith(case.imaging_findings.split("\n\n")[-1])
    assert "Bronchial atresia is a rare congenital" in case.discussion_text
    assert "Bronchial atresia is a rare congenital" not in case.imaging_findings


# --- layout details ----------------------------------------------------------------------------

MINIMAL = """CASE 42 Published on 01.02.2020

A title


Neuroradiology


6 months, female

Clinical History
History line.
Imaging Findings
Findings line.
Differential Diagnosis List
First
Second
Final Diagnosis
First
"""


def test_minimal_case() -> None:
    case = parse_eurorad_text(MINIMAL)
    assert case.patient == Patient("6 months", 180, "female")
    assert case.differential_diagnosis == ("First", "Second")
    assert case.discussion == ()


@pytest.mark.parametrize(
    ("age", "days"),
    [("24 days", 24), ("3 weeks", 21), ("6 months", 180), ("1 month", 30), ("42 years", 15330)],
)
def test_age_in_days_follows_mirc(age: str, days: int) -> None:
    case = parse_eurorad_text(MINIMAL.replace("6 months", age))
    assert case.patient.age_days == days


def test_heading_followed_by_nbsp_and_crlf() -> None:
    text = MINIMAL.replace("Imaging Findings\n", "Imaging Findings\u00a0\n").replace(
        "Findings line.\n",
        "Findings line.\nDiscussion\nBackground\u00a0\nWhy it matters.\nTeaching Points\nLook.\n",
    )
    case = parse_eurorad_text(decode_case_bytes(text.replace("\n", "\r\n").encode()).text)
    assert case.imaging_findings == "Findings line."
    assert case.discussion == (
        DiscussionPart("Background", "Why it matters."),
        DiscussionPart("Teaching Points", "Look."),
    )


def test_lightbox_source_prefix() -> None:
    case = parse_eurorad_text(MINIMAL.replace("CASE 42", "CASE lightbox:neuro-01"))
    assert (case.source, case.source_id) == ("lightbox", "neuro-01")


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("", None, None, "empty"),
        ("   \n\n  \n", None, None, "empty"),
        ("Hello\nworld\n", 1, None, "first line should read"),
        (MINIMAL.replace("CASE 42", "CASE abc"), 1, "id", "digits"),
        (MINIMAL.replace("01.02.2020", "31.02.2020"), 1, "published", "no such date"),
        (
            MINIMAL.replace("Imaging Findings\n", "").replace("Clinical History\n", ""),
            None,
            "imaging_findings",
            "heading",
        ),
        (
            MINIMAL.replace("Imaging Findings\n", "Findings\n"),
            None,
            "imaging_findings",
            "Imaging Findings",
        ),
        (
            "CASE 42\n\nClinical History\nHistory.\nImaging Findings\nSeen.\n",
            2,
            "title",
            "no title",
        ),
    ],
)
def test_errors_name_line_and_field(
    text: str, line: int | None, field: str | None, words: str
) -> None:
    with pytest.raises(CaseFormatError) as caught:
        parse_eurorad_text(text)
    assert caught.value.line == line
    assert caught.value.field == field
    assert words in str(caught.value)


def test_render_then_parse_gives_the_seed_back(seed: Case) -> None:
    assert parse_eurorad_text(render_eurorad_text(seed)) == seed
