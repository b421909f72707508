"""The MedPix 2.0 data set format: the real data set in ../shared (read in place), synthetic
data sets written to a temporary folder or zip, the list splitters' tables and a property."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.formats.errors import CaseFormatError
from desktop.formats.medpix2 import (
    MAX_IMAGE_BYTES,
    MAX_JSON_BYTES,
    MEDPIX2,
    _has_content,
    split_differential,
    split_keywords,
    split_references,
)
from desktop.formats.registry import (
    FolderTree,
    Parsed,
    ParseFailure,
    SourceRefused,
    ZipTree,
    data_set_format,
)
from desktop.model import Case, DiscussionPart, Patient
from tests.tools import MEDPIX_DATA, needs_shared

PNG = b"\x89PNG\r\n\x1a\n"


def squeeze(text: str) -> str:
    return " ".join(text.split())


def paragraphs(text: str) -> str:
    """A JSON field as the format makes it: each non-blank line a paragraph."""
    return "\n\n".join(squeeze(line) for line in text.splitlines() if line.strip())


# --- the real data set ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> dict[str, Parsed]:
    tree = FolderTree(MEDPIX_DATA)
    found: dict[str, Parsed] = {}
    for result in MEDPIX2.cases(tree):
        assert isinstance(result, Parsed), result
        found[result.case.source_id] = result
    return found


@pytest.fixture(scope="module")
def json_cases() -> dict[str, dict[str, Any]]:
    records = json.loads((MEDPIX_DATA / "Case_topic.json").read_text("utf-8"))
    return {record["U_id"]: record for record in records}


#: The tests that read the real data set in ../shared skip, saying why, without it.
pytestmark_real = needs_shared(MEDPIX_DATA)


@pytestmark_real
def test_real_data_set_is_recognised_and_counted() -> None:
    tree = FolderTree(MEDPIX_DATA)
    assert MEDPIX2.recognises(tree)
    assert data_set_format(tree) is MEDPIX2
    assert MEDPIX2.count(tree) == 40


@pytestmark_real
def test_real_cases_keys_and_names(real: dict[str, Parsed]) -> None:
    assert len(real) == 40
    for source_id, parsed in real.items():
        assert re.fullmatch(r"medpix:MPX\d+", parsed.case.key)
        assert parsed.case.source == "medpix"
        assert parsed.name == f"{MEDPIX_DATA / 'Case_topic.json'} ({source_id})"
        assert parsed.case.published is None
        assert parsed.case.license is None


@pytestmark_real
def test_real_figures_all_have_their_image_files(real: dict[str, Parsed]) -> None:
    figures = [(parsed, figure) for parsed in real.values() for figure in parsed.case.figures]
    assert len(figures) == 120
    for parsed, figure in figures:
        assert figure.image is not None
        source = parsed.images[figure.image]
        assert source.name == str(MEDPIX_DATA / "images" / f"{figure.image}.png")
        assert Path(source.name).is_file()
        assert source.read().startswith(PNG)
    for parsed in real.values():
        labels = [figure.label for figure in parsed.case.figures]
        assert labels == [f"Figure {n}" for n in range(1, len(labels) + 1)]


@pytestmark_real
def test_real_figures_follow_the_lists_tac_then_mri(
    real: dict[str, Parsed], json_cases: dict[str, dict[str, Any]]
) -> None:
    for source_id, parsed in real.items():
        record = json_cases[source_id]
        assert [f.image for f in parsed.case.figures] == record["TAC"] + record["MRI"]


@pytestmark_real
def test_real_jefferson_fracture_field_by_field(
    real: dict[str, Parsed], json_cases: dict[str, dict[str, Any]]
) -> None:
    parsed = real["MPX1038"]
    case, record = parsed.case, json_cases["MPX1038"]["Case"]
    assert case.title == "Jefferson Fracture"
    assert case.clinical_history == (f"{record['History']}\n\nExam: {squeeze(record['Exam'])}")
    assert case.imaging_findings == squeeze(record["Findings"])
    assert case.final_diagnosis == "Jefferson Fracture"
    assert case.differential_diagnosis == ("Fracture",)
    assert [part.heading for part in case.discussion] == [
        "Case Discussion",
        "Disease Discussion",
        "Treatment & Follow-Up",
    ]
    assert case.discussion[0].text == squeeze(record["Discussion"])
    assert case.discussion[2].text == record["Treatment & Follow Up"]
    # The topic's link list ends with a "--" line: no paragraph of its own.
    assert not case.discussion[1].text.endswith("--")
    assert case.references == ()
    assert case.patient == Patient(age="27 years", age_days=27 * 365, sex="female")
    assert case.diagnosis_by is None  # "NA"
    assert case.acr_code == "1.3"
    assert case.category == "Neoplasm, malignant (NOS)"
    assert case.section == "Brain and Neuro"
    assert case.areas_of_interest == ("Head", "Brain and Neuro")
    assert case.imaging_techniques == ("CT",)
    assert [f.part for f in case.figures] == ["1", "3", "4", "5"]
    first = case.figures[0]
    assert first.legend == "Selected axial CT images in bone window."
    assert (first.modality, first.plane) == ("CT - noncontrast", "Axial")
    assert parsed.warnings == ()


@pytestmark_real
def test_real_sarcoid_placeholders_and_acr(real: dict[str, Parsed]) -> None:
    case = real["MPX1114"].case
    assert case.acr_code is None  # "-1.-1"
    # No Exam, and Treatment & Follow Up is "Unavailable.": neither shows.
    assert "Exam:" not in case.clinical_history
    assert [part.heading for part in case.discussion] == ["Disease Discussion"]
    assert case.differential_diagnosis == ("Sarcoid", "Lymphoma", "Lymphangitic Carcinomatosis")
    assert case.keywords == ("Sarcoid", "HRCT")
    assert len(case.references) == 1
    assert case.diagnosis_by == "Biopsy confirmed."
    assert case.patient == Patient(age="36 years", age_days=36 * 365, sex="male")


@pytestmark_real
def test_real_meningioma_ct_then_mr(real: dict[str, Parsed]) -> None:
    case = real["MPX1643"].case
    assert case.title == "Optic nerve sheath meningioma."
    assert case.clinical_history == "70 year old female for follow up follow up tumor."  # N/A
    assert case.differential_diagnosis == (
        "Optic nerve sheath meningioma",
        "Neurofibroma",
        "Cavernous hemangioma",
        "Intraconal hematoma",
    )
    assert case.patient == Patient(age="70 years", age_days=70 * 365, sex=None)  # Sex N/A
    assert case.imaging_techniques == ("CT", "MR")
    assert [f.modality for f in case.figures][:2] == ["CT - noncontrast", "MR - T1W - noncontrast"]
    assert all(f.part is None for f in case.figures)  # null in the data
    assert [part.heading for part in case.discussion] == ["Disease Discussion"]
    assert len(case.references) == 2
    assert case.keywords == ("Meningioma", "Extra-axial")


@pytestmark_real
def test_real_septic_emboli_exam_paragraphs_and_mnemonic_list(
    real: dict[str, Parsed], json_cases: dict[str, dict[str, Any]]
) -> None:
    case = real["MPX1509"].case
    history, exam = json_cases["MPX1509"]["Case"]["History"], json_cases["MPX1509"]["Case"]["Exam"]
    assert case.clinical_history == f"{squeeze(history)}\n\n{paragraphs('Exam: ' + exam)}"
    assert case.clinical_history.split("\n\n")[1] == "Exam: PE:"
    assert case.differential_diagnosis[0] == "C- Carcinoma - Squamous is most common"
    assert len(case.differential_diagnosis) == 6
    # The topic's discussion only repeats the case title: left out.
    assert [part.heading for part in case.discussion] == [
        "Case Discussion",
        "Treatment & Follow-Up",
    ]
    assert len(case.references) == 3


@pytestmark_real
def test_real_see_factoid_and_repeated_discussions_are_left_out(
    real: dict[str, Parsed],
) -> None:
    for source_id in ("MPX2601", "MPX2094", "MPX2570"):  # "Please see factoid." and kin
        headings = [part.heading for part in real[source_id].case.discussion]
        assert "Case Discussion" not in headings, source_id
        assert "Disease Discussion" in headings, source_id
    # MPX1891's topic discussion is its case discussion, word for word: shown once.
    assert [part.heading for part in real["MPX1891"].case.discussion] == [
        "Case Discussion",
        "Treatment & Follow-Up",
    ]
    assert len(real["MPX2601"].case.references) == 3  # "1.\t" numbering


@pytestmark_real
def test_real_multi_line_title_falls_back_to_the_topic(real: dict[str, Parsed]) -> None:
    parsed = real["MPX1390"]
    assert parsed.case.title == "Osteomyelitis"
    assert parsed.warnings == (
        "MPX1390: the case title runs over several lines; the topic's title is used",
    )
    assert real["MPX2261"].case.title == "Multiple Myeloma"
    assert real["MPX2261"].case.final_diagnosis.startswith("Multiple Myeloma\n\nDiagnosis was")


@pytestmark_real
def test_real_case_without_history_or_keywords(real: dict[str, Parsed]) -> None:
    case = real["MPX1763"].case
    assert case.title == "Spleen Maximum Dimensions"
    assert (case.clinical_history, case.imaging_findings) == ("", "")
    assert case.differential_diagnosis == ()
    assert case.keywords == ()
    assert case.patient.sex is None
    assert real["MPX2579"].case.patient == Patient(age="1 year", age_days=365, sex="male")


@pytestmark_real
def test_real_only_two_cases_warn(real: dict[str, Parsed]) -> None:
    warned = sorted(source_id for source_id, parsed in real.items() if parsed.warnings)
    assert warned == ["MPX1390", "MPX2261"]


#: Whole values that must never be shown.
PLACEHOLDER_VALUE = re.compile(
    r"(?i)(?:n/a|na|n/c|in progress|unavailable|-1\.-1|nos - not specified"
    r"|(?:please )?see factoid)\.?"
)


def all_text(case: Case) -> list[str]:
    """Every piece of text a case shows, split into paragraphs."""
    pieces: list[str | None] = [
        case.title,
        case.section,
        case.patient.age,
        case.acr_code,
        case.category,
        case.diagnosis_by,
        case.clinical_history,
        case.imaging_findings,
        case.final_diagnosis,
        *case.areas_of_interest,
        *case.imaging_techniques,
        *case.differential_diagnosis,
        *case.references,
        *case.keywords,
    ]
    for part in case.discussion:
        pieces += [part.heading, part.text]
    for figure in case.figures:
        pieces += [figure.legend, figure.modality, figure.plane, figure.part]
    return [paragraph for piece in pieces if piece for paragraph in piece.split("\n\n")]


@pytestmark_real
def test_real_no_placeholder_anywhere(real: dict[str, Parsed]) -> None:
    for source_id, parsed in real.items():
        for text in all_text(parsed.case):
            assert text == text.strip(), (source_id, text)
            assert text and any(c.isalnum() for c in text), (source_id, text)
            assert not PLACEHOLDER_VALUE.fullmatch(text), (source_id, text)
            assert not re.search(r"\bN/[AC]\b|IN PROGRESS|Accepted by", text), (source_id, text)
            assert "\r" not in text


# --- the differential splitter: every real shape, then made-up hard ones --------------------

SPLITS = [
    # Real shapes (the case each comes from).
    ("Fracture", ["Fracture"]),  # MPX1038: one item
    (  # MPX1114: one a line
        "Sarcoid\nLymphoma\nLymphangitic Carcinomatosis",
        ["Sarcoid", "Lymphoma", "Lymphangitic Carcinomatosis"],
    ),
    (  # MPX1349: bullets
        "•  Sand Aspiration\n•  Drowning\n•  Blast Lung",
        ["Sand Aspiration", "Drowning", "Blast Lung"],
    ),
    (  # MPX1472: nested dashes, indented
        "Odontogenic cysts\n          -Follicular cysts\nOdontogenic tumors\n   -ameloblastoma",
        ["Odontogenic cysts", "Follicular cysts", "Odontogenic tumors", "ameloblastoma"],
    ),
    (  # MPX1509: a mnemonic, letter and dash are text; commas after a dash clause stay
        "C- Carcinoma - Squamous is most common \n"
        "I- Infection - Lung abscess, Bacterial pneumonia, Fungal pneumonia, Tuberculosis",
        [
            "C- Carcinoma - Squamous is most common",
            "I- Infection - Lung abscess, Bacterial pneumonia, Fungal pneumonia, Tuberculosis",
        ],
    ),
    (  # MPX1520: semicolons
        "Chronic appendicits; Mucinous cystadenoma; Mucinous Cystadenocarcinoma",
        ["Chronic appendicits", "Mucinous cystadenoma", "Mucinous Cystadenocarcinoma"],
    ),
    (  # MPX1643: numbered, full stops
        "1. Optic nerve sheath meningioma.\n2. Neurofibroma.",
        ["Optic nerve sheath meningioma", "Neurofibroma"],
    ),
    (  # MPX1683: a bullet glued mid-line, then a comma list on a bullet
        "• Adenoma (50%–80%)– 10% Functioning (Cushing syndrome)• Cyst and pseudocysts (5%–20%)\n"
        "• Hematoma, infection (Histo), lymphoma, granuloma (rare)",
        [
            "Adenoma (50%–80%)– 10% Functioning (Cushing syndrome)",
            "Cyst and pseudocysts (5%–20%)",
            "Hematoma",
            "infection (Histo)",
            "lymphoma",
            "granuloma (rare)",
        ],
    ),
    (  # MPX1544: "vs." is no sentence end
        "Communicating vs. Non-communicating Hydrocephalus",
        ["Communicating vs. Non-communicating Hydrocephalus"],
    ),
    (  # MPX1844: two long comma pieces are prose
        "Splenic laceration with or without frank hemorrhage, other visceral trauma.",
        ["Splenic laceration with or without frank hemorrhage, other visceral trauma"],
    ),
    (  # MPX2133: a clear comma list
        "Malignancy, leiomyoma or benign tumor, Irritation, Inflammation",
        ["Malignancy", "leiomyoma or benign tumor", "Irritation", "Inflammation"],
    ),
    ("Tuberous Sclerosis Complex.", ["Tuberous Sclerosis Complex"]),  # MPX2174
    (  # MPX2344: a hard-wrapped sentence (line ends in a comma) stays one item
        "Cerebellar astrocytoma, Medulloblastoma, Ependymoma,\nHemangioblastoma, Meningioma, "
        "and secondary metastases are neoplasms which occur in the posterior fossa",
        [
            "Cerebellar astrocytoma, Medulloblastoma, Ependymoma, Hemangioblastoma, Meningioma, "
            "and secondary metastases are neoplasms which occur in the posterior fossa"
        ],
    ),
    ("Spigelian hernia, congenital or acquired", ["Spigelian hernia, congenital or acquired"]),
    (  # MPX1236: a lead-in line, then "1." without a space
        "Broadly - including the colpocephaly:\n"
        "1.Corpus Callosum Agenesis/dysgenesis\n2.Hydrocephalus",
        [
            "Broadly - including the colpocephaly:",
            "Corpus Callosum Agenesis/dysgenesis",
            "Hydrocephalus",
        ],
    ),
    (  # MPX1891
        "cholecystitis, choledocholithiasis, cholangitis, acute pancreatitis",
        ["cholecystitis", "choledocholithiasis", "cholangitis", "acute pancreatitis"],
    ),
    (  # MPX2093: two headed groups separated by a blank line
        "Differential DX of imaging findings\n-Trauma\n\nDifferential Dx of Causes\n-Idiopathic",
        [
            "Differential DX of imaging findings",
            "Trauma",
            "Differential Dx of Causes",
            "Idiopathic",
        ],
    ),
    (  # MPX2469: blank lines, " - " sub-items, a quoted dash clause keeps its commas
        '•  "Butterfly Lesions" - Astrocytoma, primary CNS lymphoma, meningioma\n\n\n'
        '•  Retinal "blue cell tumor"\n - Retinal lymphoma\n - Retinoblastoma',
        [
            '"Butterfly Lesions" - Astrocytoma, primary CNS lymphoma, meningioma',
            'Retinal "blue cell tumor"',
            "Retinal lymphoma",
            "Retinoblastoma",
        ],
    ),
    (  # MPX2094: CR LF
        "Azygous lobe\r\nFocal atelectasis or pleural scarring.",
        ["Azygous lobe", "Focal atelectasis or pleural scarring"],
    ),
    # Made-up hard ones.
    ("", []),
    ("•\n-\n  \n1.", []),
    ("1) Abscess\n2) Tumour\n(3) Cyst", ["Abscess", "Tumour", "Cyst"]),
    ("* Abscess\n· Tumour", ["Abscess", "Tumour"]),
    ("1.5 cm nodule", ["1.5 cm nodule"]),  # a decimal is no number marker
    ("Abscess, tumour, and cyst", ["Abscess", "tumour", "cyst"]),
    ("Abscess, tumour, or cyst", ["Abscess", "tumour", "cyst"]),
    (
        "Lymphoma (B-cell; T-cell), leukaemia, myeloma",
        ["Lymphoma (B-cell; T-cell)", "leukaemia", "myeloma"],
    ),
    ("Infection: abscess, empyema, phlegmon", ["Infection: abscess, empyema, phlegmon"]),
    ("Abscess. Tumour, cyst, other", ["Abscess. Tumour, cyst, other"]),
    ("Wilms tumour; ; neuroblastoma", ["Wilms tumour", "neuroblastoma"]),
    ("Trailing ellipsis...", ["Trailing ellipsis..."]),
]


@pytest.mark.parametrize(("text", "items"), SPLITS)
def test_split_differential(text: str, items: list[str]) -> None:
    assert list(split_differential(text)) == items


def _letters(text: str) -> str:
    """The letters, without the words "and" and "or" (a comma list may drop one)."""
    return "".join(c for c in re.sub(r"(?i)\b(?:and|or)\b", "", text) if c.isalpha())


@given(st.text())
def test_content_is_any_letter_or_digit(text: str) -> None:
    # One regular expression stands in for str.isalnum over every character (it is faster).
    assert _has_content(text) == any(c.isalnum() for c in text)


#: Pieces of differential lists: letters, markers, separators, brackets, conjunctions.
PIECES = [*"abcAB xé,;.:()[]-–*•·\n\r\t019", "and ", "or ", "1. ", "2) ", " - ", "\n- "]


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_split_differential_keeps_every_letter_and_no_empty_item(text: str) -> None:
    items = split_differential(text)
    for item in items:
        assert item and item == item.strip()
        assert any(c.isalnum() for c in item)
        assert "\n" not in item
    assert _letters(" ".join(items)) == _letters(text)


# --- references and keywords -----------------------------------------------------------------

REFERENCES = [
    ("One. Book. 2001.", ["One. Book. 2001."]),
    (  # numbered, a continuation line goes on its reference (MPX2570)
        "1.  Irma Sanchez Montes, MD, FACS\nMaximo Deysine, MD. Hernia. 2003\n2.  Blaivas M. 2002",
        ["Irma Sanchez Montes, MD, FACS Maximo Deysine, MD. Hernia. 2003", "Blaivas M. 2002"],
    ),
    (
        "1.\tGaerte SC. Fat. 2002\n2.\tMeaney JFM. CT. 1997",
        ["Gaerte SC. Fat. 2002", "Meaney JFM. CT. 1997"],
    ),
    ("1) Hewer. Drowning.\n2) Bonilla. Sand.", ["Hewer. Drowning.", "Bonilla. Sand."]),
    ("-Aribandi. Agenesis.\n\n-Marszal. Agenesis.", ["Aribandi. Agenesis.", "Marszal. Agenesis."]),
    (  # unnumbered: one a line, blank lines between some (MPX1371)
        "Nishiharu. Radiology 1999; 212: 445-452\n\nPulay. Pancreas 2000\nWebb. Body CT.",
        ["Nishiharu. Radiology 1999; 212: 445-452", "Pulay. Pancreas 2000", "Webb. Body CT."],
    ),
    (  # unnumbered, a line that does not end like a reference goes on
        "Grossman RI, Yousem DM. Neuroradiology: The\nRequisites. Mosby, 1994.",
        ["Grossman RI, Yousem DM. Neuroradiology: The Requisites. Mosby, 1994."],
    ),
    (
        "[https://www.ncbi.nlm.nih.gov/pubmed/1]\n[https://x.org/2]",
        ["[https://www.ncbi.nlm.nih.gov/pubmed/1]", "[https://x.org/2]"],
    ),
    ("; Accepted by jsmirnio", []),  # MPX2174: an editorial note
    ("", []),
]


@pytest.mark.parametrize(("text", "references"), REFERENCES)
def test_split_references(text: str, references: list[str]) -> None:
    assert list(split_references(text)) == references


KEYWORDS = [
    ("aortic dissection", ["aortic dissection"]),
    ("SarcoidHRCT", ["Sarcoid", "HRCT"]),
    ("HSVEncephalitis", ["HSV", "Encephalitis"]),
    ("May ThurnerIliac venous thrombosisDVT", ["May Thurner", "Iliac venous thrombosis", "DVT"]),
    ("MeningiomaExtra-axial", ["Meningioma", "Extra-axial"]),
    ("sandaspirationblast", ["sandaspirationblast"]),  # glued lower case: one
    ("stroke\r\nhemorrhagic\r\nventricle", ["stroke", "hemorrhagic", "ventricle"]),
    ("MRICNS LymphomaOrbit", ["MRICNS Lymphoma", "Orbit"]),
    ("McArdle disease, DeBakey; MacLeod", ["McArdle disease", "DeBakey", "MacLeod"]),
    ("Celiac ArteryCeliac artery", ["Celiac Artery"]),  # distinct, ignoring case
    ("MRIs, CT", ["MRIs", "CT"]),
    (" , ;", []),
]


@pytest.mark.parametrize(("text", "keywords"), KEYWORDS)
def test_split_keywords(text: str, keywords: list[str]) -> None:
    assert list(split_keywords(text)) == keywords


# --- synthetic data sets ---------------------------------------------------------------------


def case_record(uid: str | None = "MPX1", **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "TAC": [],
        "MRI": [],
        "Case": {"Title": "A title"},
        "Topic": {"Title": "A topic"},
    }
    if uid is not None:
        record["U_id"] = uid
    record.update(overrides)
    return record


def description(image: str, uid: str = "MPX1", kind: str = "CT", **details: Any) -> dict[str, Any]:
    return {
        "Type": kind,
        "U_id": uid,
        "image": image,
        "Description": {"Caption": f"Caption of {image}", **details},
        "Location": "Abdomen",
        "Location Category": "Abdomen",
    }


def write_data_set(
    folder: Path,
    cases: Any,
    descriptions: Any = (),
    *,
    images: tuple[str, ...] = (),
) -> FolderTree:
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in (("Case_topic.json", cases), ("Descriptions.json", descriptions)):
        data = value if isinstance(value, bytes) else json.dumps(list(value), indent=1)
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    (folder / "images").mkdir(exist_ok=True)
    for image in images:
        (folder / "images" / f"{image}.png").write_bytes(PNG + image.encode())
    return FolderTree(folder)


def parse_all(tree: Any) -> list[Parsed | ParseFailure]:
    return list(MEDPIX2.cases(tree))


def only_case(tree: Any) -> Parsed:
    (result,) = parse_all(tree)
    assert isinstance(result, Parsed), result
    return result


def test_minimal_case_has_empty_fields(tmp_path: Path) -> None:
    tree = write_data_set(tmp_path, [{"U_id": "MPX9", "Case": {"Title": "Only a title"}}])
    assert MEDPIX2.recognises(tree)
    parsed = only_case(tree)
    assert parsed.case == Case(source="medpix", source_id="MPX9", title="Only a title")
    assert parsed.name == f"{tmp_path / 'Case_topic.json'} (MPX9)"
    assert parsed.images == {}
    assert parsed.warnings == ()


def test_placeholders_are_absent(tmp_path: Path) -> None:
    record = case_record(
        TAC=["MPX1_a"],
        Case={
            "Title": "T",
            "History": "  N/A ",
            "Exam": "N/C",
            "Findings": "IN PROGRESS",
            "Differential Diagnosis": "NA",
            "Case Diagnosis": "",
            "Diagnosis By": "na",
            "Treatment & Follow Up": "Unavailable.",
            "Discussion": "see factoid",
        },
        Topic={
            "Title": "T",
            "Disease Discussion": "In progress",
            "ACR Code": "-1.-1",
            "Category": "N/A",
            "Keywords": "--",
            "Reference": "Not available",
        },
    )
    details = {"Age": "N/A", "Sex": "N/A", "Figure Part": "N/A", "Plane": "NOS - Not specified"}
    tree = write_data_set(tmp_path, [record], [description("MPX1_a", **details)])
    case = only_case(tree).case
    assert case == Case(
        source="medpix",
        source_id="MPX1",
        title="T",
        section="Abdomen",
        areas_of_interest=("Abdomen",),
        imaging_techniques=("CT",),
        figures=case.figures,
    )
    (figure,) = case.figures
    assert (figure.plane, figure.part) == (None, None)


def test_text_is_stripped_and_lines_become_paragraphs(tmp_path: Path) -> None:
    record = case_record(
        Case={
            "Title": "  Two   spaces ",
            "History": "Line one.  \r\n\r\n  Line   two.\n--\n",
            "Exam": "Pulse 80\nBP 120/80",
            "Findings": "\tA finding.",
            "Case Diagnosis": "Dx",
        }
    )
    case = only_case(write_data_set(tmp_path, [record])).case
    assert case.title == "Two spaces"
    assert case.clinical_history == "Line one.\n\nLine two.\n\nExam: Pulse 80\n\nBP 120/80"
    assert case.imaging_findings == "A finding."


def test_discussion_parts_and_topic_fields(tmp_path: Path) -> None:
    record = case_record(
        Case={
            "Title": "T",
            "Discussion": "Case words.\nMore.",
            "Treatment & Follow Up": "Surgery.",
            "Diagnosis By": "Biopsy",
        },
        Topic={
            "Title": "Topic",
            "Disease Discussion": "Disease words.",
            "ACR Code": "1.-1",
            "Category": "Neoplasm, benign",
            "Keywords": "liver; spleen, kidney",
            "Reference": "1. First. 2001.\n2. Second. 2002.",
            "External Links": "www.example.org",
        },
    )
    case = only_case(write_data_set(tmp_path, [record])).case
    assert case.discussion == (
        DiscussionPart("Case Discussion", "Case words.\n\nMore."),
        DiscussionPart("Disease Discussion", "Disease words."),
        DiscussionPart("Treatment & Follow-Up", "Surgery."),
    )
    assert case.acr_code == "1"
    assert case.category == "Neoplasm, benign"
    assert case.diagnosis_by == "Biopsy"
    assert case.keywords == ("liver", "spleen", "kidney")
    assert case.references == ("First. 2001.", "Second. 2002.")
    assert "example.org" not in repr(case)


def test_title_falls_back_to_the_topic(tmp_path: Path) -> None:
    records = [
        case_record("MPX1", Case={"Title": "N/A"}, Topic={"Title": "Topic title"}),
        case_record("MPX2", Case={"Title": "• a\n• b"}, Topic={}),
    ]
    first, second = parse_all(write_data_set(tmp_path, records))
    assert isinstance(first, Parsed) and isinstance(second, Parsed)
    assert first.case.title == "Topic title"
    assert first.warnings == ("MPX1: no case title; the topic's title is used",)
    assert second.case.title == "a"
    assert second.warnings == ("MPX2: the case title runs over several lines; its first is used",)


def test_ct_under_tac_comes_first_then_mri(tmp_path: Path) -> None:
    record = {
        "U_id": "MPX1",
        "MRI": ["MPX1_m1", "MPX1_m2"],
        "TAC": ["MPX1_c1"],
        "Case": {"Title": "T"},
    }
    descriptions = [
        description("MPX1_m2", kind="MR", Modality="MR - T2 weighted", **{"Figure Part": "1"}),
        description("MPX1_c1", Modality="CT w/contrast (IV)", Plane="Axial", Age="45", Sex="male"),
        description("MPX1_m1", kind="MR", Age="46", Sex="female"),
    ]
    descriptions[1]["Location"] = "Gastrointestinal"
    parsed = only_case(write_data_set(tmp_path, [record], descriptions))
    case = parsed.case
    assert [f.image for f in case.figures] == ["MPX1_c1", "MPX1_m1", "MPX1_m2"]
    assert [f.label for f in case.figures] == ["Figure 1", "Figure 2", "Figure 3"]
    assert case.figures[0].legend == "Caption of MPX1_c1"
    assert case.figures[0].modality == "CT w/contrast (IV)"
    assert case.figures[2].part == "1"
    assert case.imaging_techniques == ("CT", "MR")
    assert case.patient == Patient(age="45 years", age_days=45 * 365, sex="male")
    assert case.section == "Abdomen"  # two of three
    assert case.areas_of_interest == ("Abdomen", "Gastrointestinal")
    assert parsed.warnings == ()


def test_image_without_description_and_description_without_listing(tmp_path: Path) -> None:
    record = case_record(TAC=["MPX1_listed"], MRI=["MPX1_bare"])
    descriptions = [
        description("MPX1_extra", kind="MR"),
        description("MPX1_listed"),
        description("MPX2_other", uid="MPX2"),
    ]
    parsed = only_case(write_data_set(tmp_path, [record], descriptions))
    figures = parsed.case.figures
    assert [f.image for f in figures] == ["MPX1_listed", "MPX1_bare", "MPX1_extra"]
    assert figures[1].legend == ""
    assert figures[1].modality is None
    assert parsed.case.imaging_techniques == ("CT", "MR")  # MRI list, then the extra's Type
    assert parsed.warnings == (
        "MPX1: image MPX1_bare has no description in Descriptions.json; its figure has no caption",
        "MPX1: image MPX1_extra is described in Descriptions.json but not listed in the "
        "case; added after the listed figures",
    )
    # Image files are not looked for here: the importer does that when it reads them.
    assert set(parsed.images) == {"MPX1_listed", "MPX1_bare", "MPX1_extra"}
    assert parsed.images["MPX1_bare"].name == str(tmp_path / "images" / "MPX1_bare.png")
    with pytest.raises(FileNotFoundError):
        parsed.images["MPX1_bare"].read()


def test_images_are_read_on_demand_and_bounded(tmp_path: Path) -> None:
    tree = write_data_set(
        tmp_path, [case_record(TAC=["MPX1_a"])], [description("MPX1_a")], images=("MPX1_a",)
    )
    source = only_case(tree).images["MPX1_a"]
    assert source.read() == PNG + b"MPX1_a"
    assert MAX_IMAGE_BYTES == 64 * 1024 * 1024
    assert MAX_JSON_BYTES == 200 * 1024 * 1024


def test_odd_image_ids_and_lists(tmp_path: Path) -> None:
    record = case_record(TAC=["../secret", "MPX1_a", "MPX1_a", 7], MRI="MPX1_b")
    parsed = only_case(write_data_set(tmp_path, [record]))
    figures = parsed.case.figures
    assert [f.image for f in figures] == [None, "MPX1_a"]
    assert figures[0].missing is not None
    assert "../secret" not in parsed.images
    assert parsed.warnings == (
        "MPX1: image ../secret has no description in Descriptions.json; its figure has no caption",
        "MPX1: image MPX1_a has no description in Descriptions.json; its figure has no caption",
        "MPX1: image MPX1_a is listed twice; shown once",
        "MPX1: 'TAC' lists 7, not an image id",
        "MPX1: 'MRI' is not a list of images; left out",
        "MPX1: image id '../secret' is not a plain file name; its figure has no image",
    )


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        ("27", Patient(age="27 years", age_days=27 * 365)),
        (27, Patient(age="27 years", age_days=27 * 365)),
        ("1", Patient(age="1 year", age_days=365)),
        ("6 months", Patient(age="6 months", age_days=180)),
        ("3 weeks", Patient(age="3 weeks", age_days=21)),
        ("adult", Patient(age="adult")),
        ("N/A", Patient()),
    ],
)
def test_age(tmp_path: Path, age: object, expected: Patient) -> None:
    record = case_record(TAC=["MPX1_a"])
    parsed = only_case(write_data_set(tmp_path, [record], [description("MPX1_a", Age=age)]))
    assert parsed.case.patient == expected


@pytest.mark.parametrize(
    ("sexes", "expected"),
    [(["Female"], "female"), (["N/A", "male"], "male"), (["unknown"], None), ([None], None)],
)
def test_sex(tmp_path: Path, sexes: list[Any], expected: str | None) -> None:
    images = [f"MPX1_{n}" for n in range(len(sexes))]
    descriptions = [description(image, Sex=sex) for image, sex in zip(images, sexes, strict=True)]
    parsed = only_case(write_data_set(tmp_path, [case_record(TAC=images)], descriptions))
    assert parsed.case.patient.sex == expected


def test_a_case_without_id_or_title_fails_and_the_rest_go_on(tmp_path: Path) -> None:
    records = [
        case_record(None),
        case_record("MPX2", Case={}, Topic={}),
        "not an object",
        case_record("MPX4"),
        case_record("MPX4"),
        case_record(12),
    ]
    results = parse_all(write_data_set(tmp_path, records))
    shown = tmp_path / "Case_topic.json"
    assert results[0] == ParseFailure(f"{shown} (case 1)", "the case has no U_id")
    assert results[1] == ParseFailure(
        f"{shown} (MPX2)", "the case has no title (neither Case.Title nor Topic.Title)"
    )
    assert results[2] == ParseFailure(f"{shown} (case 3)", "case 3 is not a JSON object")
    assert isinstance(results[3], Parsed) and results[3].case.source_id == "MPX4"
    assert results[4] == ParseFailure(
        f"{shown} (MPX4)", "U_id MPX4 appears twice; the first is kept"
    )
    assert isinstance(results[5], ParseFailure)
    assert "U_id" in results[5].reason


def test_fields_that_are_not_text_are_left_out_with_a_warning(tmp_path: Path) -> None:
    record = case_record(Case={"Title": "T", "History": ["a", "b"]}, Topic="oops")
    parsed = only_case(write_data_set(tmp_path, [record]))
    assert parsed.case.clinical_history == ""
    assert parsed.warnings == (
        "MPX1: 'Topic' is not a JSON object; left out",
        "MPX1: Case 'History' is not text; left out",
    )


@pytest.mark.parametrize("bad_file", ["Case_topic.json", "Descriptions.json"])
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'[{"U_id": "MPX1", ', "is not valid JSON (Expecting property name"),
        (b'{"U_id": "MPX1"}', "is not a JSON list (it holds a JSON object)"),
        (b'"text"', "is not a JSON list (it holds a string)"),
        (b'[{"U_id": "MPX\xff"}]', "is not UTF-8 text"),
    ],
)
def test_a_damaged_json_file_is_a_format_error_naming_it(
    tmp_path: Path, bad_file: str, content: bytes, says: str
) -> None:
    tree = write_data_set(tmp_path, [case_record()])
    (tmp_path / bad_file).write_bytes(content)
    with pytest.raises(CaseFormatError) as raised:
        parse_all(tree)
    assert str(raised.value).startswith(f"{tmp_path / bad_file} {says}")
    if bad_file == "Case_topic.json":
        with pytest.raises(CaseFormatError, match=re.escape(says)):
            MEDPIX2.count(tree)


def test_a_missing_descriptions_file_is_a_format_error(tmp_path: Path) -> None:
    tree = write_data_set(tmp_path, [case_record()])
    (tmp_path / "Descriptions.json").unlink()
    assert not MEDPIX2.recognises(tree)
    with pytest.raises(CaseFormatError, match="Descriptions.json is missing"):
        parse_all(tree)


def test_a_deeply_nested_file_is_a_format_error(tmp_path: Path) -> None:
    tree = write_data_set(tmp_path, b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(CaseFormatError, match="Case_topic.json"):
        MEDPIX2.count(tree)


@pytest.mark.parametrize(
    "files",
    [
        {"Case_topic.json": b'{"U_id": "MPX1"}', "Descriptions.json": b"[]"},
        {"Case_topic.json": b'[{"id": "x"}]', "Descriptions.json": b"[]"},
        {"Case_topic.json": b"[1, 2]", "Descriptions.json": b"[]"},
        {"Case_topic.json": b'[{"U_id": "MPX1"}]'},
        {"Descriptions.json": b"[]"},
        {"cases.json": b'[{"U_id": "MPX1"}]', "other.json": b"[]"},
    ],
)
def test_not_recognised(tmp_path: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    tree = FolderTree(tmp_path)
    assert not MEDPIX2.recognises(tree)
    assert data_set_format(tree) is None


def test_recognised_with_a_bom_and_another_key_first(tmp_path: Path) -> None:
    (tmp_path / "Case_topic.json").write_bytes(b'\xef\xbb\xbf [ \n{"TAC": [], "U_id": "MPX1"}]')
    (tmp_path / "Descriptions.json").write_bytes(b"[]")
    tree = FolderTree(tmp_path)
    assert MEDPIX2.recognises(tree)
    assert only_case_or_failure(tree) == ParseFailure(
        f"{tmp_path / 'Case_topic.json'} (MPX1)",
        "the case has no title (neither Case.Title nor Topic.Title)",
    )


def only_case_or_failure(tree: Any) -> Parsed | ParseFailure:
    (result,) = parse_all(tree)
    return result


class CountingTree:
    """A FileTree over a folder that records the limits it is read with, and can refuse."""

    def __init__(self, folder: Path, refuse_over: int | None = None):
        self.inner = FolderTree(folder)
        self.name = self.inner.name
        self.limits: list[int] = []
        self.refuse_over = refuse_over

    def has(self, relative: str) -> bool:
        return self.inner.has(relative)

    def read(self, relative: str, limit: int) -> bytes:
        self.limits.append(limit)
        if self.refuse_over is not None and limit > self.refuse_over:
            raise SourceRefused("file too large")
        return self.inner.read(relative, limit)

    def display(self, relative: str) -> str:
        return self.inner.display(relative)


def test_recognition_reads_little(tmp_path: Path) -> None:
    write_data_set(tmp_path, [case_record()])
    tree = CountingTree(tmp_path)
    assert MEDPIX2.recognises(tree)
    assert tree.limits == [64 * 1024]
    # A larger file is refused by the small read, and read once more whole.
    big = [case_record(f"MPX{n}", Case={"Title": "x" * 500}) for n in range(200)]
    write_data_set(tmp_path, big)
    tree = CountingTree(tmp_path)
    assert MEDPIX2.recognises(tree)
    assert tree.limits == [64 * 1024, MAX_JSON_BYTES]


def test_a_file_too_large_to_look_at_is_trusted_by_name_and_reported(tmp_path: Path) -> None:
    write_data_set(tmp_path, [case_record()])
    tree = CountingTree(tmp_path, refuse_over=0)
    assert MEDPIX2.recognises(tree)
    with pytest.raises(CaseFormatError, match="Case_topic.json: file too large"):
        MEDPIX2.count(tree)


def test_through_a_zip(tmp_path: Path) -> None:
    archive_path = tmp_path / "medpix.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr(
            "MedPix-2.0/Case_topic.json",
            json.dumps([case_record(TAC=["MPX1_a"]), case_record("MPX2")]),
        )
        archive.writestr("MedPix-2.0/Descriptions.json", json.dumps([description("MPX1_a")]))
        archive.writestr("MedPix-2.0/images/MPX1_a.png", PNG + b"zip")
    with zipfile.ZipFile(archive_path) as archive:
        tree = ZipTree(archive, "MedPix-2.0/", f"{archive_path}/MedPix-2.0")
        assert MEDPIX2.recognises(tree)
        assert MEDPIX2.count(tree) == 2
        first, second = parse_all(tree)
        assert isinstance(first, Parsed) and isinstance(second, Parsed)
        assert first.name == f"{archive_path}/MedPix-2.0/Case_topic.json (MPX1)"
        source = first.images["MPX1_a"]
        assert source.name == f"{archive_path}/MedPix-2.0/images/MPX1_a.png"
        assert source.read() == PNG + b"zip"
        assert first.case.figures[0].legend == "Caption of MPX1_a"
        assert second.case.figures == ()


@pytest.mark.parametrize("folder", [".", "/", "data/medpix", "/srv/data/medpix"])
@given(
    st.lists(
        st.sampled_from(["images", "a.png", "", ".", "..", "x:y", "b\\c", "Case_topic.json"]),
        min_size=1,
        max_size=4,
    )
)
def test_a_folder_names_its_files_as_pathlib_would(folder: str, parts: list[str]) -> None:
    """`FolderTree.display` joins plain names itself (pathlib took longer than parsing a
    case): every name is the one pathlib gives."""
    from pathlib import PurePosixPath

    relative = "/".join(parts)
    tree = FolderTree(Path(folder))
    assert tree.display(relative) == str(Path(folder).joinpath(*PurePosixPath(relative).parts))
