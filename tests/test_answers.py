"""The typed-answer checker: a table of answers and verdicts, every entry of the word tables,
and the real diagnoses in ../shared (Eurorad truth, MedPix)."""

from __future__ import annotations

import json
from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop import answer_terms as terms
from desktop import answers
from desktop.answers import RATINGS, Checked, check_answer
from desktop.differential import rebuild_items
from tests.tools import EURORAD_DATA, MEDPIX_DATA, needs_shared

#: `matched` for a row whose answer matched the final diagnosis.
FINAL = "<final>"

#: A word-split differential as a scrape delivers it (our own example, not a real case).
SPLIT = ["Pulmonary, sequestration, Bronchogenic, cyst, Congenital, lobar, overinflation"]
#: Another, whose first item is the final diagnosis.
SPLIT_WITH_FINAL = ["Late, pulmonary, metastasis, from, RCC., Carcinoid, Pulmonary, AVM"]

# (typed, final diagnosis, differential, verdict, matched: FINAL, an item, or None = unchecked)
ROWS: list[tuple[str, str, list[str], str, str | None]] = [
    # British and American spellings, both ways.
    ("haematoma", "Hematoma", [], "correct", FINAL),
    ("hematoma", "Haematoma", [], "correct", FINAL),
    ("subdural haematoma", "Subdural hematoma", [], "correct", FINAL),
    ("oesophageal atresia", "Esophageal atresia", [], "correct", FINAL),
    ("esophagus", "Oesophagus", [], "correct", FINAL),
    ("pulmonary oedema", "Pulmonary edema", [], "correct", FINAL),
    ("paediatric brain tumour", "Pediatric brain tumor", [], "correct", FINAL),
    ("tumour", "Tumor", [], "correct", FINAL),
    ("haemorrhage", "Hemorrhage", [], "correct", FINAL),
    ("leukaemia", "Leukemia", [], "correct", FINAL),
    ("foetal hydrops", "Fetal hydrops", [], "correct", FINAL),
    ("coeliac disease", "Celiac disease", [], "correct", FINAL),
    ("anaemia", "Anemia", [], "correct", FINAL),
    ("orthopaedic hardware failure", "Orthopedic hardware failure", [], "correct", FINAL),
    ("caecal volvulus", "Cecal volvulus", [], "correct", FINAL),
    ("sulphur colloid", "Sulfur colloid", [], "correct", FINAL),
    ("neoplasm centre", "Neoplasm center", [], "correct", FINAL),
    # Typing slips: none in short words, more in long ones.
    ("pnemothorax", "Pneumothorax", [], "correct", FINAL),
    ("menigioma", "Meningioma", [], "correct", FINAL),
    ("glioblastma multiform", "Glioblastoma multiforme", [], "correct", FINAL),
    ("lymphangioleomyomatossis", "Lymphangioleiomyomatosis", [], "correct", FINAL),
    ("absess", "Abscess", [], "correct", FINAL),
    ("hamartma", "Hamartoma", [], "correct", FINAL),
    ("sarcoidsis", "Sarcoidosis", [], "correct", FINAL),
    ("MR", "MS", [], "wrong", ""),
    ("CMV", "HSV", [], "wrong", ""),
    ("cyts", "Cyst", [], "wrong", ""),
    ("lipoma", "Lymphoma", [], "wrong", ""),
    # Abbreviations, typed or in the diagnosis.
    ("MS", "Multiple sclerosis", [], "correct", FINAL),
    ("multiple sclerosis", "MS", [], "correct", FINAL),
    ("PE", "Pulmonary embolism", [], "correct", FINAL),
    ("DVT", "Deep vein thrombosis", [], "correct", FINAL),
    ("HCC", "Hepatocellular carcinoma", [], "correct", FINAL),
    ("GBM", "Glioblastoma", [], "correct", FINAL),
    ("AVM", "Arteriovenous malformation", [], "correct", FINAL),
    ("ADEM", "Acute disseminated encephalomyelitis", [], "correct", FINAL),
    ("PML", "Progressive multifocal leukoencephalopathy", [], "correct", FINAL),
    ("RCC", "Renal cell carcinoma", [], "correct", FINAL),
    ("TB", "Tuberculosis (TB)", [], "correct", FINAL),
    ("tuberculosis", "Tuberculosis (TB)", [], "correct", FINAL),
    ("pulmonary AVMs", "Pulmonary arteriovenous malformations", [], "correct", FINAL),
    ("HSV encephalitis", "Herpes simplex encephalitis", [], "correct", FINAL),
    ("AML", "Angiomyolipoma", [], "correct", FINAL),
    ("AML", "Acute myeloid leukaemia", [], "correct", FINAL),
    ("renal AML", "Renal angiomyolipoma", [], "correct", FINAL),
    ("creutzfeldt-jakob disease", "CJD", [], "correct", FINAL),
    ("IMH", "Blunt traumatic aortic intramural hematoma", [], "correct", FINAL),
    ("NF2", "NF1", [], "partial", FINAL),
    # Word order, hyphens, accents, possessives, hedges.
    ("sclerosis tuberous", "Tuberous sclerosis", [], "correct", FINAL),
    ("dissection aortic", "Aortic dissection", [], "correct", FINAL),
    ("fractures rib z shaped", "Blunt traumatic Z-shaped rib fractures", [], "correct", FINAL),
    ("scapulothoracic dissociation", "Scapulo-thoracic dissociation", [], "correct", FINAL),
    ("Kohlers disease", "Köhler's disease", [], "correct", FINAL),
    ("likely the sarcoidosis", "Sarcoidosis", [], "correct", FINAL),
    ("papilloma of the choroid plexus", "Choroid plexus papilloma", [], "correct", FINAL),
    # Plurals.
    ("metastases", "Metastasis", [], "correct", FINAL),
    ("colonic diverticula", "Colonic diverticulum", [], "correct", FINAL),
    ("bronchiectases", "Bronchiectasis", [], "correct", FINAL),
    ("pulmonary arteries", "Pulmonary artery", [], "correct", FINAL),
    ("septic pulmonary embolus", "Septic pulmonary emboli", [], "correct", FINAL),
    ("rib fracture", "Rib fractures", [], "correct", FINAL),
    ("abscesses", "Abscess", [], "correct", FINAL),
    ("neurogenic tumour", "Neurogenic tumours", [], "correct", FINAL),
    # Synonyms.
    ("lung abscess", "Pulmonary abscess", [], "correct", FINAL),
    ("lung metastasis", "Pulmonary metastases", [], "correct", FINAL),
    ("kidney infarct", "Renal infarction", [], "correct", FINAL),
    ("liver laceration", "Hepatic laceration", [], "correct", FINAL),
    ("brain abscess", "Cerebral abscess", [], "correct", FINAL),
    ("lung cancer", "Lung carcinoma", [], "correct", FINAL),
    ("subarachnoid bleed", "Subarachnoid haemorrhage", [], "correct", FINAL),
    # Optional qualifiers left out, or added.
    ("scimitar", "Scimitar syndrome.", [], "correct", FINAL),
    ("Poland", "Poland syndrome", [], "correct", FINAL),
    (
        "aortic intramural hematoma",
        "Blunt traumatic aortic intramural hematoma",
        [],
        "correct",
        FINAL,
    ),
    ("acute pancreatitis", "Pancreatitis", [], "correct", FINAL),
    ("left superior vena cava", "Persistent left superior vena cava", [], "correct", FINAL),
    (
        "diaphragmatic rupture with stomach herniation",
        "Blunt left diaphragmatic rupture with stomach herniation",
        [],
        "correct",
        FINAL,
    ),
    # Near-misses: never accepted, and named.
    ("hypoplasia", "Hyperplasia", [], "wrong", ""),
    ("hypothyroidism", "Hyperthyroidism", [], "wrong", ""),
    ("hyperintense lesion", "Hypointense lesion", [], "wrong", ""),
    ("hypotrophy", "Hypertrophy", [], "wrong", ""),
    ("ileum", "Ilium", [], "wrong", ""),
    ("ileus", "Ileum", [], "wrong", ""),
    ("osteoma", "Osteoid osteoma", [], "wrong", ""),
    ("osteoid osteoma", "Osteoma", [], "wrong", ""),
    ("aplasia", "Dysplasia", [], "wrong", ""),
    ("adenoma", "Adenomyoma", [], "wrong", ""),
    ("adenomatosis", "Adenomyosis", [], "wrong", ""),
    ("peroneal", "Perineal", [], "wrong", ""),
    ("urethral stricture", "Ureteral stricture", [], "wrong", ""),
    ("abduction", "Adduction", [], "wrong", ""),
    ("intramedullary lesion", "Extramedullary lesion", [], "wrong", ""),
    ("extradural cyst", "Intradural cyst", [], "wrong", ""),
    ("osteomyelosis", "Osteomyelitis", [], "wrong", ""),
    ("cholecystitis", "Cholangitis", [], "wrong", ""),
    ("glioma", "Glomus", [], "wrong", ""),
    ("hydroureter", "Hydronephrosis", [], "wrong", ""),
    ("pneumopericardium", "Pneumomediastinum", [], "wrong", ""),
    ("hamartoma", "Teratoma", [], "wrong", ""),
    ("hepatoma", "Hematoma", [], "wrong", ""),
    ("carcinoid", "Carcinoma", [], "wrong", ""),
    ("benign thymoma", "Malignant thymoma", [], "wrong", ""),
    # Plainly wrong.
    ("pneumonia", "Aortic dissection", [], "wrong", ""),
    ("hepatic hematoma", "Blunt traumatic aortic intramural hematoma", [], "wrong", ""),
    ("lymphoma", "Malignant thymoma", [], "wrong", ""),
    ("the", "Sarcoidosis", [], "wrong", ""),
    # Part of the final diagnosis, or a contradicted qualifier: partial.
    ("thymoma", "Malignant Thymoma", [], "partial", FINAL),
    ("aortic hematoma", "Blunt traumatic aortic intramural hematoma", [], "partial", FINAL),
    (
        "pulmonary embolism",
        "Pulmonary polymethyl methacrylate (PMMA) - cement embolism",
        [],
        "partial",
        FINAL,
    ),
    # The entity first, its site, grade and shape after: naming the entity is right.
    ("rib fractures", "Blunt traumatic Z-shaped rib fractures", [], "correct", FINAL),
    ("subependymoma", "Subependymoma, lateral ventricle", [], "correct", FINAL),
    (
        "osteosarcoma",
        "High-grade conventional osteosarcoma of the distal femur",
        [],
        "correct",
        FINAL,
    ),
    (
        "intussusception",
        "Idiopathic ileocolic intussusception successfully reduced by air enema",
        [],
        "correct",
        FINAL,
    ),
    (
        "dermoid cyst",
        "Mature cystic teratoma (dermoid cyst) of the right ovary",
        [],
        "correct",
        FINAL,
    ),
    (
        "HCC",
        "Hepatocellular carcinoma (LI-RADS LR-5) in hepatitis C cirrhosis",
        [],
        "correct",
        FINAL,
    ),
    (
        "MCA infarct",
        "Acute left middle cerebral artery territory ischaemic stroke",
        [],
        "correct",
        FINAL,
    ),
    # A generic head needs another word of the entity; alone it is partly right.
    (
        "fracture",
        "Radiographically occult undisplaced scaphoid waist fracture",
        [],
        "partial",
        FINAL,
    ),
    (
        "scaphoid fracture",
        "Radiographically occult undisplaced scaphoid waist fracture",
        [],
        "correct",
        FINAL,
    ),
    ("lymphoma", "Classical Hodgkin lymphoma, nodular sclerosis", [], "partial", FINAL),
    # A decisive qualifier left out: partly right.
    ("appendicitis", "Ruptured appendicitis", [], "partial", FINAL),
    ("teratoma", "Immature teratoma of the ovary", [], "partial", FINAL),
    # Two words of a later phrase, nothing else: a part of the diagnosis.
    (
        "optic neuritis",
        "Relapsing-remitting multiple sclerosis presenting with left optic neuritis",
        [],
        "partial",
        FINAL,
    ),
    ("left pneumothorax", "Right pneumothorax", [], "partial", FINAL),
    ("chronic subdural hematoma", "Acute subdural hematoma", [], "partial", FINAL),
    # The differential: a full match of an item is partial, naming it.
    (
        "pulmonary sequestration",
        "Congenital pulmonary airway malformation",
        SPLIT,
        "partial",
        "Pulmonary sequestration",
    ),
    (
        "bronchogenic cyst",
        "Congenital pulmonary airway malformation",
        SPLIT,
        "partial",
        "Bronchogenic cyst",
    ),
    ("CPAM", "Congenital pulmonary airway malformation", SPLIT, "correct", FINAL),
    ("congenital lobar emphysema", "Congenital pulmonary airway malformation", SPLIT, "wrong", ""),
    ("pulmonary sequestration", "Pulmonary sequestration", SPLIT, "correct", FINAL),
    (
        "late pulmonary metastasis from RCC",
        "Late pulmonary metastasis from RCC.",
        SPLIT_WITH_FINAL,
        "correct",
        FINAL,
    ),
    ("carcinoid", "Late pulmonary metastasis from RCC.", SPLIT_WITH_FINAL, "partial", "Carcinoid"),
    (
        "arteriovenous malformation of the lung",
        "Late pulmonary metastasis from RCC.",
        SPLIT_WITH_FINAL,
        "partial",
        "Pulmonary AVM",
    ),
    ("hypoplasia", "Hyperplasia", ["Hypoplasia", "Aplasia"], "partial", "Hypoplasia"),
    (
        "ependymoma",
        "Subependymoma, lateral ventricle",
        ["•  Ependymoma", "•  Subependymoma"],
        "partial",
        "Ependymoma",
    ),
]


def _expect(result: Checked, final: str, verdict: str, matched: str | None) -> None:
    assert result.verdict == verdict, result
    if matched is not None:
        assert result.matched == (final.strip() if matched == FINAL else matched), result
    assert result.rating == RATINGS[result.verdict]
    assert result.explanation.endswith("."), result


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) >= 70


@pytest.mark.parametrize(
    ("typed", "final", "differential", "verdict", "matched"),
    ROWS,
    ids=[f"{row[0]}|{row[1]}" for row in ROWS],
)
def test_table(
    typed: str, final: str, differential: list[str], verdict: str, matched: str | None
) -> None:
    _expect(check_answer(typed, final, differential), final, verdict, matched)


def test_ratings_follow_the_verdict() -> None:
    assert check_answer("pneumothorax", "Pneumothorax").rating == 3
    assert check_answer("thymoma", "Malignant thymoma").rating == 2
    assert check_answer("pneumonia", "Pneumothorax").rating == 1
    assert RATINGS == {"correct": 3, "partial": 2, "wrong": 1}


def test_explanations() -> None:
    assert check_answer("MS", "Multiple sclerosis").explanation == "Matches the final diagnosis."
    item = check_answer("bronchogenic cyst", "Pulmonary sequestration", SPLIT)
    assert item.explanation == "Matches “Bronchogenic cyst” from the differential — partly right."
    near = check_answer("hypoplasia", "Hyperplasia")
    assert near.explanation == "Not the diagnosis: “hypoplasia” is not “hyperplasia”."
    part = check_answer("thymoma", "Malignant thymoma")
    assert "incomplete" in part.explanation and "Malignant thymoma" in part.explanation
    side = check_answer("left pneumothorax", "Right pneumothorax")
    assert "“left”" in side.explanation and "“right”" in side.explanation


@pytest.mark.parametrize("typed", ["", "   ", "\n\t"])
def test_an_empty_answer_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        check_answer(typed, "Pneumothorax")


# --- every entry of the tables ---------------------------------------------------------------


def _pairs(groups: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[str, str]]:
    return [pair for _reason, members in groups for pair in permutations(members, 2)]


@pytest.mark.parametrize(("typed", "target"), _pairs(terms.CONFUSABLE_WORDS))
def test_every_confusable_pair_is_rejected(typed: str, target: str) -> None:
    result = check_answer(typed, target)
    assert result.verdict == "wrong", result
    assert result.explanation == f"Not the diagnosis: “{typed}” is not “{target}”."


@pytest.mark.parametrize(("typed", "target"), _pairs(terms.CONFUSABLE_PREFIXES))
def test_words_differing_in_an_opposite_prefix_are_rejected(typed: str, target: str) -> None:
    # The same root under each prefix; a slip in the root does not make it acceptable.
    assert check_answer(f"{typed}plasia", f"{target}plasia").verdict == "wrong"
    assert check_answer(f"{typed}mural", f"{target}mural").verdict == "wrong"


@pytest.mark.parametrize(
    ("typed", "target"),
    [
        ("hypertrophy", "hypotrophy"),
        ("hyperthyroidism", "hypothyroidism"),
        ("intramural", "extramural"),
        ("intradural", "extradural"),
        ("intramedullary", "extramedullary"),
        ("intercostal", "intracostal"),
        ("antegrade", "antigrade"),
        ("subglottic", "supraglottic"),
        ("supraspinatus", "infraspinatus"),
        ("microadenoma", "macroadenoma"),
        ("prerenal", "postrenal"),
    ],
)
def test_real_prefix_pairs_are_rejected(typed: str, target: str) -> None:
    assert check_answer(typed, target).verdict == "wrong"
    assert check_answer(target, typed).verdict == "wrong"


@pytest.mark.parametrize(("reason", "short", "long"), terms.CONFUSABLE_PHRASES)
def test_confusable_phrases_are_wrong_both_ways(reason: str, short: str, long: str) -> None:
    assert reason
    assert check_answer(short, long).verdict == "wrong"
    assert check_answer(long, short).verdict == "wrong"
    assert check_answer(long, long).verdict == "correct"


def test_every_group_has_a_reason() -> None:
    for reason, members in (*terms.CONFUSABLE_WORDS, *terms.CONFUSABLE_PREFIXES):
        assert reason and len(members) >= 2


@pytest.mark.parametrize(
    ("abbreviation", "expansion"),
    [
        (key, expansion)
        for key, expansions in terms.ABBREVIATIONS.items()
        for expansion in expansions
    ],
)
def test_every_abbreviation_is_accepted_for_its_expansion(
    abbreviation: str, expansion: str
) -> None:
    assert check_answer(abbreviation.upper(), expansion).verdict == "correct"
    assert check_answer(expansion, abbreviation.upper()).verdict == "correct"
    assert check_answer(abbreviation, abbreviation.upper()).verdict == "correct"


def test_the_abbreviation_table_is_large_enough() -> None:
    assert len(terms.ABBREVIATIONS) >= 60


@pytest.mark.parametrize(("word", "same"), sorted(terms.SYNONYMS.items()))
def test_every_synonym(word: str, same: str) -> None:
    assert check_answer(word, same).verdict == "correct"
    assert check_answer(same, word).verdict == "correct"


@pytest.mark.parametrize(("british", "american"), sorted(terms.SPELLING_WORDS.items()))
def test_every_spelling_word(british: str, american: str) -> None:
    assert check_answer(british, american).verdict == "correct"
    assert check_answer(f"{british}s", f"{american}s").verdict == "correct"


@pytest.mark.parametrize(("plural", "singular"), sorted(terms.PLURALS.items()))
def test_every_irregular_plural(plural: str, singular: str) -> None:
    assert check_answer(plural, singular).verdict == "correct"


@pytest.mark.parametrize("word", sorted(terms.OPTIONAL_QUALIFIERS))
def test_every_optional_qualifier_can_be_left_out(word: str) -> None:
    assert check_answer("pneumothorax", f"{word} pneumothorax").verdict == "correct"


@pytest.mark.parametrize(
    ("typed", "target"),
    [(a, b) for group in terms.CONTRADICTING_QUALIFIERS for a, b in permutations(sorted(group), 2)],
)
def test_contradicting_qualifiers_make_it_partial(typed: str, target: str) -> None:
    assert check_answer(f"{typed} pneumothorax", f"{target} pneumothorax").verdict == "partial"


_NEGATING = set(terms.NEGATING_BREAKS) | {"non"}
_WORDS = st.sampled_from(
    "pulmonary renal cell carcinoma metastasis hypoplasia osteoid osteoma left type II of the "
    "Haematoma tumours AVM MS Z-shaped rib fractures syndrome with RCC (TB) lung".split()
)


@given(st.lists(_WORDS | st.text(min_size=1, max_size=12), min_size=1, max_size=8))
def test_any_diagnosis_matches_itself_in_any_order(words: list[str]) -> None:
    text = " ".join(words)
    if not text.strip():
        return
    result = check_answer(text, text)
    if result.verdict != "wrong":  # all stopwords or punctuation: nothing to compare
        assert result.verdict == "correct"
        # Order matters only to negation ("without X", "non X"): it binds what follows.
        # ("0:NO" and "NÒ" hold the word "no": split as the checker splits.)
        if not _NEGATING & set(answers._split(text)):
            assert check_answer(" ".join(reversed(words)), text).verdict == "correct"


# --- the real diagnoses in ../shared -------------------------------------------------------------


def _truth() -> list[dict[str, str]]:
    return [
        json.loads(p.read_text("utf-8")) for p in sorted((EURORAD_DATA / "truth").glob("*.json"))
    ]


@needs_shared(EURORAD_DATA / "truth")
def test_real_eurorad_diagnoses() -> None:
    truths = _truth()
    assert len(truths) == 15
    for truth in truths:
        final, split = truth["diagnosis"], [truth["differential_diagnosis"]]
        assert check_answer(final, final, split).verdict == "correct", final
        assert check_answer(final.upper(), final, split).verdict == "correct", final
        # Each other item of the rebuilt list is partly right, naming the item.
        for item in rebuild_items(split)[1:]:
            result = check_answer(item, final, split)
            assert (result.verdict, result.matched) == ("partial", item), (final, item)


#: Rows quoting the real diagnoses by the file they are in: (case file, typed, verdict, matched).
EURORAD_ROWS = [
    ("eurorad_189", "thymoma", "partial", FINAL),
    ("eurorad_189", "malignant thymoma", "correct", FINAL),
    ("eurorad_6551", "scimitar", "correct", FINAL),
    ("eurorad_14980", "pulmonary metastases from renal cell carcinoma", "correct", FINAL),
    ("eurorad_14980", "RCC metastasis to the lung", "correct", FINAL),
    ("eurorad_14980", "pulmonary metastasis", "correct", FINAL),
    ("eurorad_14980", "pulmonary AVM", "partial", "Pulmonary Arteriovenous Malformations"),
    ("eurorad_17135", "CCAM", "correct", FINAL),
    ("eurorad_17135", "congenital cystic adenomatoid malformation type 1", "partial", FINAL),
    ("eurorad_17135", "sequestration of the lung", "partial", "Pulmonary sequestration"),
    ("eurorad_10994", "Swyer James McLeod", "correct", FINAL),
    ("eurorad_10994", "Poland syndrome", "partial", "Poland syndrome"),
    ("eurorad_565", "aortic intramural haematoma", "correct", FINAL),
    ("eurorad_565", "hepatic hematoma", "wrong", ""),
    ("eurorad_546", "Z shaped rib fractures", "correct", FINAL),
    ("eurorad_18822", "persistent left SVC", "correct", FINAL),
    ("eurorad_18822", "vertical vein", "partial", "Vertical vein"),
    ("eurorad_10939", "PMMA cement embolism of the lung", "correct", FINAL),
    ("eurorad_558", "pulmonary lacerations", "correct", FINAL),
]


@pytest.mark.parametrize(("name", "typed", "verdict", "matched"), EURORAD_ROWS)
@needs_shared(EURORAD_DATA / "truth")
def test_real_eurorad_rows(name: str, typed: str, verdict: str, matched: str) -> None:
    truth = json.loads((EURORAD_DATA / "truth" / f"{name}.json").read_text("utf-8"))
    final = truth["diagnosis"]
    result = check_answer(typed, final, [truth["differential_diagnosis"]])
    _expect(result, final, verdict, matched)


def _medpix() -> dict[str, dict[str, str]]:
    cases = json.loads((MEDPIX_DATA / "Case_topic.json").read_text("utf-8"))
    return {
        case["Case"]["Case Diagnosis"]: case["Case"]
        for case in cases
        if case["Case"].get("Case Diagnosis")
    }


#: MedPix rows: (the case's diagnosis, as the file has it; typed; verdict; matched).
MEDPIX_ROWS = [
    ("HSV Encephalitis", "herpes simplex encephalitis", "correct", FINAL),
    ("Tuberous Sclerosis", "TSC", "correct", FINAL),
    ("Pancreatic Carcinoma", "pancreatic cancer", "correct", FINAL),
    ("Pancreatic Carcinoma", "cholangiocarcinoma", "partial", "Cholangiocarcinoma"),
    ("Iliac vein compression sydrome", "iliac vein compression syndrome", "correct", FINAL),
    ("Iliac vein compression sydrome", "DVT", "partial", "DVT"),
    ("Subependymoma, lateral ventricle", "subependymoma", "correct", FINAL),
    ("Subependymoma, lateral ventricle", "ependymoma", "partial", "Ependymoma"),
    ("Azygous Lobe", "azygos lobe", "correct", FINAL),
    ("Sarcoid", "sarcoidosis", "correct", FINAL),
    ("Sarcoid", "lymphoma", "partial", "Lymphoma"),
    ("Eosinophilic granuloma", "EG", "correct", FINAL),
    ("Eosinophilic granuloma", "Ewing's sarcoma", "partial", "Ewing sarcoma"),
    ("Agenesis of the Corpus Callosum", "corpus callosum agenesis", "correct", FINAL),
    ("Choroid Plexus Papilloma", "papilloma of the choroid plexus", "correct", FINAL),
    ("Cervical cancer with bilateral hydronephrosis", "cervical carcinoma", "correct", FINAL),
    (
        "Lipomatous hypertrophy of the interatrial septum",
        "cardiac lipoma",
        "partial",
        "Cardiac lipoma",
    ),
    ("Lipomatous hypertrophy of the interatrial septum", "lipomatous hypotrophy", "wrong", ""),
    ("Ruptured Appendicitis", "appendicitis", "partial", FINAL),
    ("Spigelian hernia", "spigelian hernias", "correct", FINAL),
]


@pytest.mark.parametrize(("final", "typed", "verdict", "matched"), MEDPIX_ROWS)
@needs_shared(MEDPIX_DATA / "Case_topic.json")
def test_real_medpix_rows(final: str, typed: str, verdict: str, matched: str) -> None:
    case = _medpix()[final]
    differential = (case.get("Differential Diagnosis") or "").splitlines()
    _expect(check_answer(typed, final, differential), final, verdict, matched)


@needs_shared(MEDPIX_DATA / "Case_topic.json")
def test_every_one_line_medpix_diagnosis_matches_itself_in_any_order() -> None:
    finals = [final for final in _medpix() if "\n" not in final and len(final) <= 80]
    assert len(finals) >= 30
    for final in finals:
        assert check_answer(final, final).verdict == "correct", final
        if _NEGATING & {word.casefold() for word in final.split()}:
            continue  # "Non communicating hydrocephalus": negation binds the next word
        reordered = " ".join(reversed(final.split()))
        assert check_answer(reordered, final).verdict == "correct", final


# --- near-misses a reviewer found accepted, and right answers rejected --------------------------

_REVIEWED = [
    # A different layer, part, tumour, or the opposite: never right.
    ("epidural haematoma", "Acute subdural haematoma with mass effect", (), "wrong", ""),
    ("neuroblastoma", "Nephroblastoma", (), "wrong", ""),
    ("nephroblastoma", "Neuroblastoma", (), "wrong", ""),
    ("osteoblastoma", "Osteoclastoma", (), "wrong", ""),
    ("descending colon carcinoma", "Ascending colon carcinoma", (), "wrong", ""),
    ("complicated appendicitis", "Uncomplicated appendicitis", (), "wrong", ""),
    ("osteoporosis", "Osteopetrosis", (), "wrong", ""),
    ("osteopetrosis", "Osteoporosis", (), "wrong", ""),
    ("pyonephrosis", "Hydronephrosis", (), "wrong", ""),
    ("endometriosis", "Endometrioma", (), "wrong", ""),
    ("adenomyosis", "Adenomyoma", (), "wrong", ""),
    ("typical carcinoid", "Atypical carcinoid", (), "wrong", ""),
    # The opposite of the diagnosis, but on the differential: partly right, naming it.
    ("accidental injury", "Non-accidental injury with multiple fractures",
     ("Accidental injury", "Osteogenesis imperfecta"), "partial", "Accidental injury"),
    ("tension pneumothorax", "Large left primary spontaneous pneumothorax without tension",
     ("Tension pneumothorax",), "partial", "Tension pneumothorax"),
    ("immature teratoma", "Mature cystic teratoma (dermoid cyst) of the right ovary",
     ("Immature teratoma",), "partial", "Immature teratoma"),
    # Other names, and what "without" leaves out.
    ("acoustic neuroma", "Right vestibular schwannoma", (), "correct", FINAL),
    ("anterior cruciate ligament rupture", "Complete ACL tear with pivot-shift contusions", (),
     "correct", FINAL),
    ("child abuse", "Non-accidental injury with multiple fractures", (), "correct", FINAL),
    ("non-accidental injury", "Non accidental injury", (), "correct", FINAL),
    ("wilms tumour", "Nephroblastoma", (), "correct", FINAL),
    ("NMO", "Multiple sclerosis", ("NMOSD",), "partial", "NMOSD"),
    ("pneumothorax", "Large left primary spontaneous pneumothorax without tension", (),
     "correct", FINAL),
    # Typos in the ending are still typos.
    ("glioblastma", "Glioblastoma", (), "correct", FINAL),
]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "final", "differential", "verdict", "matched"),
    _REVIEWED,
    ids=[f"{row[0]}|{row[1]}" for row in _REVIEWED],
)
def test_reviewed_near_misses_and_other_names(
    typed: str, final: str, differential: tuple[str, ...], verdict: str, matched: str
) -> None:
    result = check_answer(typed, final, differential)
    assert result.verdict == verdict, result
    assert result.matched == (final if matched == FINAL else matched), result
