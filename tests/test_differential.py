"""Rebuilding word-split differential lists: the real Eurorad lists, hand-written cases, a
property that no word is lost, and the importer storing the rebuilt items."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.differential import is_word_split, rebuild_items
from desktop.formats.decoding import decode_case_bytes
from desktop.formats.eurorad_text import parse_eurorad_text
from tests.conftest import EURORAD_DATA
from tests.tools import needs_shared

#: Expected items for each real scraped list in ../shared/data/eurorad/truth (read in place).
REAL = {
    "10939": (
        "Pulmonary polymethyl methacrylate (PMMA) - cement embolism",
        "Contrast within the pulmonary artery",
        "Calcification associated with the pulmonary artery",
    ),
    "10994": (
        "Swyer-James-McLeod syndrome",
        "Technical issues: patient rotation",
        "Technical issues: heel efect",
        "Mastectomy",
        "Poland syndrome",
        "Pneumothorax",
        "Emphysema",
        "Scoliosis",
        "Pulmonary thromboembolism",
        "Endobronchial obstruction: foreign body (children)",
        "Endobronchial obstruction: mucus plug",
        "Endobronchial obstruction: neoplasm",
    ),
    "14980": (
        "Late pulmonary metastasis from RCC",
        "Carcinoid",
        "Pulmonary Arteriovenous Malformations",
        "Metastases of clear-cell renal carcinoma",
    ),
    "15140": (
        "Poorly-differentiated sarcoma of the posterior mediastinum",
        "Malignant peripheral nerve sheath tumours",
        "Neurogenic tumours",
    ),
    "17135": (
        "Congenital cystic adenomatoid malformations type -II",
        "Bronchogenic cyst",
        "Congenital cystic bronchiectasis",
        "Congenital diaphragmatic herniation",
        "Pulmonary sequestration",
    ),
    "18822": (
        "Persistent left superior vena cava",
        "Vertical vein",
        "Anomalous left brachiocephalic vein",
        "Levoatrialcardinal vein",
        "Pericardiophrenic vein",
        "Left superior intercostal vein",
        "Vascular structures secondary to surgery",
    ),
    "189": ("Malignant Thymoma",),
    "543": ("Blunt traumatic sternal and chondrosternal fractures as part of a seatbelt syndrome",),
    "546": ("Blunt traumatic Z-shaped rib fractures",),
    "549": ("Blunt traumatic scapulo-thoracic dissociation with lateral scapular displacement",),
    "553": ("Blunt left diaphragmatic rupture with stomach herniation",),
    "558": ("Blunt traumatic pulmonary lacerations devoid of surrounding pulmonary contusions",),
    "562": (
        "Blunt tracheal rupture with subsequent pneumomediastinum, pneumoperitoneum, as well as "
        "subcutaneous and muscular emphysema",
    ),
    "565": ("Blunt traumatic aortic intramural hematoma",),
    "6551": ("Scimitar syndrome",),
}


@needs_shared(EURORAD_DATA / "truth")
def test_every_real_list_has_an_expected_rebuild() -> None:
    assert {p.stem.removeprefix("eurorad_") for p in (EURORAD_DATA / "truth").glob("*.json")} == (
        set(REAL)
    )


@pytest.mark.parametrize("case_id", sorted(REAL))
@needs_shared(EURORAD_DATA / "truth")
def test_real_lists_are_rebuilt(case_id: str) -> None:
    truth = json.loads((EURORAD_DATA / "truth" / f"eurorad_{case_id}.json").read_text("utf-8"))
    rebuilt = rebuild_items([truth["differential_diagnosis"]])
    assert rebuilt == REAL[case_id]
    # The final diagnosis leads the scraped list (its trailing full stop dropped).
    assert rebuilt[0] == truth["diagnosis"].rstrip(".")


@needs_shared(EURORAD_DATA / "cases" / "eurorad_10939.txt")
def test_importing_a_case_stores_the_rebuilt_items() -> None:
    path = EURORAD_DATA / "cases" / "eurorad_10939.txt"
    case = parse_eurorad_text(decode_case_bytes(path.read_bytes()).text)
    assert case.differential_diagnosis == REAL["10939"]


@pytest.mark.parametrize("case_id", sorted(REAL))
@needs_shared(EURORAD_DATA / "cases")
def test_every_real_case_imports_with_the_rebuilt_items(case_id: str) -> None:
    path = EURORAD_DATA / "cases" / f"eurorad_{case_id}.txt"
    case = parse_eurorad_text(decode_case_bytes(path.read_bytes()).text)
    assert case.differential_diagnosis == REAL[case_id]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # Genuine lists pass through: single nouns, or items with spaces inside.
        (["Meningioma, schwannoma"], ("Meningioma, schwannoma",)),
        (["Meningioma, schwannoma, metastasis"], ("Meningioma, schwannoma, metastasis",)),
        (["cholecystitis, choledocholithiasis, cholangitis"], None),
        (["cholecystitis, cholangitis, acute pancreatitis"], None),
        (["Malignancy, leiomyoma or benign tumor, Irritation, Inflammation"], None),
        (["Sarcoid", "Lymphoma", "Lymphangitic Carcinomatosis"], None),
        (["Optic nerve sheath meningioma."], None),
        # Word-split lines.
        (
            ["Pulmonary, sequestration, Bronchogenic, cyst"],
            ("Pulmonary sequestration", "Bronchogenic cyst"),
        ),
        (["Malignant, Thymoma"], ("Malignant Thymoma",)),
        (["Scimitar, syndrome."], ("Scimitar syndrome",)),
        (["Mastectomy, Poland, syndrome"], ("Mastectomy", "Poland syndrome")),
        (
            ["Carcinoid, Pulmonary, Arteriovenous, Malformations"],
            ("Carcinoid", "Pulmonary Arteriovenous Malformations"),
        ),
        (
            ["Renal, cell, carcinoma, (RCC), Oncocytoma"],
            ("Renal cell carcinoma (RCC)", "Oncocytoma"),
        ),
        (["Technical, issues:, Patient, rotation"], ("Technical issues: Patient rotation",)),
        (
            ["Blunt, traumatic, Z-shaped, rib, fractures."],
            ("Blunt traumatic Z-shaped rib fractures",),
        ),
        (["Acute, Pulmonary, embolism., Pneumonia"], ("Acute Pulmonary embolism", "Pneumonia")),
        # Mixed: a word-split entry beside genuine ones; blanks dropped, whitespace stripped.
        (
            ["  Lymphoma ", "", "Vertical, vein, Left, superior, intercostal, vein", "Goitre"],
            ("Lymphoma", "Vertical vein", "Left superior intercostal vein", "Goitre"),
        ),
        ([], ()),
    ],
)
def test_hand_written_lists(items: list[str], expected: tuple[str, ...] | None) -> None:
    assert rebuild_items(items) == (expected if expected is not None else tuple(items))


@pytest.mark.parametrize(
    ("item", "split"),
    [
        ("Meningioma, schwannoma", False),
        ("Lymphoma, sarcoidosis, tuberculosis, metastases, histoplasmosis", False),
        ("Scimitar, syndrome.", True),
        ("Contrast, within, the, artery", True),
        ("Pneumothorax, -, tension", True),
        ("Pulmonary, sequestration", True),
        ("Lymphoma", False),
        ("Acute pancreatitis, cholangitis", False),
    ],
)
def test_detection(item: str, split: bool) -> None:
    assert is_word_split(item) is split


def _words(items: tuple[str, ...] | list[str]) -> list[str]:
    words = (w.rstrip(".") for item in items for w in item.replace(", ", " ").split())
    return [w for w in words if w]


_WORD = st.one_of(
    st.sampled_from(
        "Pulmonary pulmonary the of RCC (PMMA) - Z-shaped issues: Carcinoid syndrome "
        "Poland Malignant thymoma embolism. -II. Left vein Arteriovenous".split()
    ),
    st.text(st.characters(categories=["L", "N", "P"], exclude_characters=","), min_size=1),
)


@given(st.lists(st.lists(_WORD, min_size=1, max_size=12), max_size=4))
def test_never_loses_a_word(lines: list[list[str]]) -> None:
    items = [", ".join(words) for words in lines]
    assert _words(rebuild_items(items)) == _words(items)
