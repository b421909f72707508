"""Deterministic synthetic teaching cases for the import benchmark.

Every case is built from one `random.Random(seed)`, so the same (n, seed) always gives the
same cases, byte for byte. Sizes follow real Eurorad cases: a title of about 80 characters,
a clinical history of about 600, imaging findings of about 800 and a discussion of about
3,500 split under the usual sub-headings, plus differential items, a final diagnosis,
patient, section, date, references and case information.

Words come from a small radiology vocabulary (written for this benchmark) mixed with common
English function words, drawn with a Zipf-like weight of 1 / rank ** 1.07. The text keeps to
what the Eurorad text layout reads back unchanged: every paragraph is one line starting with a
capital letter, no paragraph or item reads as a heading, and author names carry no digits.

Run it directly for a self-check: ``.venv/bin/python tests/bench/generate.py [N]``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from desktop.formats.eurorad_text import parse_eurorad_text, render_eurorad_text
from desktop.model import DISCUSSION_HEADINGS, Author, Case, DiscussionPart, Patient, Sex

SOURCE = "bench"
ZIPF_EXPONENT = 1.07

#: The most frequent words of clinical English, ranked first.
_TOP_WORDS = ("the", "of", "and", "with", "in", "a", "to", "is", "was", "on", "at", "no")

FUNCTION_WORDS: tuple[str, ...] = (
    *_TOP_WORDS,
    *"""
    an or as by for from which that this these there were are be been has had have not but
    also into within between after before during due than its their it more most such other
    any some all only however although while whereas because therefore thus then when where
    over under along around through against per each either neither nor same very so both
    """.split(),
)

MEDICAL_WORDS: tuple[str, ...] = tuple(
    """
    abdomen abdominal acetabulum adrenal airway alveolar aorta aortic appendix arterial
    artery atrial atrium axilla axillary basal biliary bladder bone bowel brain brainstem
    bronchial bronchus caecum calcaneus capsule cardiac carotid cartilage caudate cavity
    cerebellar cerebellum cerebral cervical chest clavicle coccyx colon colonic cord coronary
    cortex cortical cranial diaphragm disc duct duodenal duodenum dural epiphysis femoral
    femur fibula foramen frontal gallbladder gland gastric glenoid gyrus hepatic hilar hip
    humeral humerus ileal ileum iliac inguinal intestinal jejunum joint kidney knee labrum
    lacrimal laryngeal larynx ligament liver lobar lobe lumbar lung lymphatic mandible marrow
    maxillary mediastinal mediastinum medulla meniscus mesenteric mesentery metaphysis
    myocardial myocardium nasal neck nerve occipital oesophageal oesophagus orbit orbital
    ovarian ovary pancreas pancreatic parietal parotid patella pelvic pelvis pericardial
    pericardium perineal peritoneal peritoneum pharyngeal pharynx pituitary placenta pleura
    pleural portal prostate prostatic pulmonary radius rectal rectum renal retroperitoneal
    rib sacral sacrum scapula scrotal sellar sigmoid sinus skull spinal spine spleen splenic
    sternum subarachnoid subdural synovial temporal tendon testicular testis thalamus
    thoracic thyroid tibia tibial trachea tracheal ulna ureter ureteric urethra uterine
    uterus vaginal valve vascular vein venous ventricle ventricular vertebra vertebral vessel
    wrist
    abnormal abscess acute adenoma adenopathy adjacent aneurysm angiomyolipoma anterior apical
    atelectasis atrophy atypical benign bilateral bleeding bulky calcification calcified
    carcinoma cavitation central chronic circumscribed collection consolidation contrast cyst
    cystic deformity degenerative dense density deposit diffuse dilatation dilated
    displacement distal distension effusion embolism emphysema encasement enhancement
    enhancing enlarged enlargement erosion extension exudate fat fibrosis fibrotic fistula
    focal fluid fracture gas granuloma haemangioma haematoma haemorrhage haemorrhagic
    heterogeneous homogeneous hyperdense hyperechoic hyperintense hyperintensity hypertrophy
    hypodense hypoechoic hypointense infarct infarction infiltration inflammation
    inflammatory intense irregular ischaemia ischaemic lateral lesion lesions linear lobulated
    localised lucency lymphadenopathy lymphoma malignancy malignant margin margins mass medial
    metastasis metastatic mild mucosal multifocal multilocular necrosis necrotic nodular
    nodule nodules normal obstruction oedema opacity osteolytic osteosclerotic peripheral
    perfusion polyp posterior proximal pseudoaneurysm rim rupture sclerosis sclerotic septated
    septum signal solid spiculated stenosis stricture subtle superior inferior thickened
    thickening thrombosis thrombus tumour ulceration unilateral well wall widening
    acquisition angiography attenuation axial coronal sagittal diffusion doppler echo
    fluoroscopy gadolinium imaging mammography radiograph radiography scan scintigraphy
    sequence sequences slice sonography spectroscopy tomography ultrasound weighted window
    phase delayed unenhanced restricted restriction apparent coefficient intensity uptake
    tracer reconstruction projection view oblique image images examination protocol
    resolution artefact voxel bolus injection guided biopsy aspiration drainage embolisation
    stent catheter needle ablation CT MRI PET FDG
    admission antibiotic antibiotics anticoagulation asymptomatic chemotherapy child complaint
    complication course cough diagnosis discharge disease dyspnoea emergency fever follow
    history hospital infant infection laboratory management mother neonate onset pain
    patient physician presentation presented progressive recurrent referred resection
    response serum surgery surgical swelling symptoms syndrome therapy treatment trauma weeks
    months weight loss elevated markers count level levels tenderness vomiting nausea
    headache seizure seizures weakness jaundice haematuria haemoptysis palpable painless
    previous prior smoking smoker woman man boy girl year old days stable improvement
    recovery outcome prognosis mortality incidence prevalence rare common typical
    characteristic classic features feature appearance appearances finding findings pattern
    sign entity entities aetiology pathogenesis pathology histology histological
    histopathology immunohistochemistry specimen cells cell tissue tissues origin congenital
    acquired idiopathic autoimmune genetic hereditary familial sporadic neoplasm neoplastic
    sarcoma glioma meningioma schwannoma neuroblastoma nephroblastoma hepatoblastoma
    cholangiocarcinoma adenocarcinoma myeloma leukaemia tuberculosis sarcoidosis pneumonia
    pneumothorax appendicitis diverticulitis cholecystitis pancreatitis colitis
    hydronephrosis hydrocephalus osteomyelitis arthritis endometriosis torsion
    intussusception volvulus herniation hernia dissection aneurysmal cirrhosis steatosis
    stone stones calculus cholelithiasis urolithiasis
    demonstrates demonstrated shows showed revealed confirmed suggests suggesting consistent
    compatible associated involving involvement extending surrounding measuring located
    arising causing compressing displacing containing including without evidence absence
    presence size shape location extent region area segment portion component components
    structure structures relation relationship mostly usually often rarely typically
    frequently commonly may can should must important useful essential helpful accurate
    specific sensitive sensitivity specificity modality modalities choice first second
    further additional initial final subsequent early late small large multiple single
    several few right left upper lower middle high low increased decreased reduced marked
    moderate severe significant minimal extensive partial complete total new known clinical
    radiological radiologist radiologists differentiation distinguish recognition awareness
    knowledge literature reported described cases case series study studies review report
    """.split()
)

#: Twelve sections in the style of Eurorad's.
SECTIONS: tuple[str, ...] = (
    "Abdominal imaging",
    "Breast imaging",
    "Cardiovascular",
    "Chest imaging",
    "Genital (female) imaging",
    "Head & neck imaging",
    "Hybrid imaging",
    "Interventional radiology",
    "Musculoskeletal system",
    "Neuroradiology",
    "Paediatric radiology",
    "Uroradiology & genital male imaging",
)

#: The discussion sub-headings used here, with each one's share of the discussion text.
HEADINGS: tuple[str, ...] = DISCUSSION_HEADINGS[:5]
_HEADING_SHARES: tuple[float, ...] = (0.25, 0.2, 0.3, 0.1, 0.15)

_AREAS = ("Abdomen", "Bones", "Brain", "Breast", "Head and neck", "Kidney", "Liver", "Lung")
_TECHNIQUES = ("CT", "MR", "Ultrasound", "Conventional radiography", "PET-CT", "Angiography")
_SURNAMES = (
    "Halvorsen Okafor Lindqvist Moreau Castellano Nakamura Brennan Kowalski Haddad Ferreira"
    " Oyelaran Whitcombe Vasquez Petrov Albrecht Sorensen Quinlan Tanaka Delacroix Ibrahim"
).split()
_CITIES = ("Bergen", "Lyon", "Porto", "Leeds", "Gdansk", "Graz", "Utrecht", "Bologna")
_JOURNALS = ("Eur Radiol", "Insights Imaging", "Clin Radiol", "Radiographics", "Skeletal Radiol")

#: Words that, all together in a short line, could read as a heading of the text layout.
_RESERVED_WORDS = frozenset(
    """
    background clinical imaging perspective perspectives outcome outcomes teaching point
    points take home message messages and history findings discussion differential
    diagnosis list final references reference case information section type authors
    patient categories
    """.split()
)


def _ranked_vocabulary() -> tuple[str, ...]:
    """Function words and terms in one rank order, fixed whatever the case seed."""
    rest = [w for w in dict.fromkeys(FUNCTION_WORDS + MEDICAL_WORDS) if w not in _TOP_WORDS]
    random.Random(1107).shuffle(rest)
    return (*_TOP_WORDS, *rest)


def _zipf_cumulative(count: int) -> list[float]:
    return list(itertools.accumulate(1.0 / rank**ZIPF_EXPONENT for rank in range(1, count + 1)))


VOCABULARY: tuple[str, ...] = _ranked_vocabulary()
_VOCABULARY_WEIGHTS = _zipf_cumulative(len(VOCABULARY))
#: Titles and diagnoses draw from the terms only (same Zipf shape over their own ranks).
_TERMS: tuple[str, ...] = tuple(w for w in VOCABULARY if w not in FUNCTION_WORDS)
_TERM_WEIGHTS = _zipf_cumulative(len(_TERMS))


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(rng: random.Random) -> str:
    """8 to 25 words, first capitalised, ending with a period; now and then a measurement."""
    words = rng.choices(VOCABULARY, cum_weights=_VOCABULARY_WEIGHTS, k=rng.randint(8, 25))
    if rng.random() < 0.15:
        words[rng.randrange(1, len(words))] = f"{rng.randint(2, 90)} mm"
    return _capitalise(" ".join(words)) + "."


def _grow(first: str, more: Callable[[], str], chars: int) -> str:
    """Appends pieces from `more` while that brings the text closer to `chars` long."""
    text = first
    while True:
        piece = more()
        if abs(len(text) + 1 + len(piece) - chars) >= abs(len(text) - chars):
            return text
        text = f"{text} {piece}"


def _paragraph(rng: random.Random, chars: int) -> str:
    return _grow(_sentence(rng), lambda: _sentence(rng), chars)


def _text(rng: random.Random, chars: int) -> str:
    """About `chars` characters in paragraphs of 350 to 700, one line each, blank-separated."""
    count = max(1, round(chars / rng.randint(350, 700)))
    return "\n\n".join(_paragraph(rng, chars // count) for _ in range(count))


def _phrase(rng: random.Random, low: int, high: int) -> str:
    """A capitalised run of terms that cannot be mistaken for a heading."""
    while True:
        draws = rng.choices(_TERMS, cum_weights=_TERM_WEIGHTS, k=rng.randint(low, high))
        words = list(dict.fromkeys(draws))
        if not _RESERVED_WORDS.issuperset(w.lower() for w in words):
            return _capitalise(" ".join(words))


def _title(rng: random.Random) -> str:
    return _grow(_phrase(rng, 2, 3), lambda: _phrase(rng, 1, 2).lower(), rng.randint(65, 95))


def _patient(rng: random.Random) -> Patient:
    draw = rng.random()
    if draw < 0.8:
        number, unit, days = rng.randint(1, 90), "year", 365
    elif draw < 0.92:
        number, unit, days = rng.randint(1, 11), "month", 30
    else:
        number, unit, days = rng.randint(1, 29), "day", 1
    age = f"{number} {unit}" + ("" if number == 1 else "s")
    sex: Sex = "male" if rng.random() < 0.5 else "female"
    return Patient(age=age, age_days=number * days, sex=sex)


def _authors(rng: random.Random) -> tuple[Author, ...]:
    names = rng.sample(_SURNAMES, rng.randint(1, 4))
    return tuple(Author(f"{name} {rng.choice('ABCDEFGHJKLMNPRST')}") for name in names)


def _reference(rng: random.Random) -> str:
    authors = ", ".join(f"{n} {rng.choice('ABCDEHJKLM')}" for n in rng.sample(_SURNAMES, 2))
    first_page = rng.randint(1, 900)
    return (
        f"{authors} ({rng.randint(1995, 2023)}) {_phrase(rng, 4, 9)}. {rng.choice(_JOURNALS)}"
        f" {rng.randint(1, 60)}:{first_page}-{first_page + rng.randint(3, 12)}"
    )


def _discussion(rng: random.Random) -> tuple[DiscussionPart, ...]:
    total = round(3500 * rng.uniform(0.7, 1.3))
    return tuple(
        DiscussionPart(heading, _text(rng, round(total * share)))
        for heading, share in zip(HEADINGS, _HEADING_SHARES, strict=True)
    )


def make_case(rng: random.Random, number: int) -> Case:
    """Case ``bench:bench-<number>``, drawn from `rng`."""
    differential = tuple(dict.fromkeys(_phrase(rng, 1, 4) for _ in range(rng.randint(3, 6))))
    city = rng.choice(_CITIES)
    return Case(
        source=SOURCE,
        source_id=f"{SOURCE}-{number}",
        title=_title(rng),
        published=dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(7000)),
        section=rng.choice(SECTIONS),
        case_type="Clinical Cases",
        authors=_authors(rng),
        affiliations=(f"Department of Radiology, {city} University Hospital, {city}",),
        patient=_patient(rng),
        areas_of_interest=tuple(sorted(rng.sample(_AREAS, rng.randint(1, 3)))),
        imaging_techniques=tuple(sorted(rng.sample(_TECHNIQUES, rng.randint(1, 3)))),
        clinical_history=_text(rng, round(600 * rng.uniform(0.7, 1.3))),
        imaging_findings=_text(rng, round(800 * rng.uniform(0.7, 1.3))),
        discussion=_discussion(rng),
        differential_diagnosis=differential,
        final_diagnosis=differential[0],
        references=tuple(_reference(rng) for _ in range(rng.randint(3, 8))),
        doi=f"10.5555/BENCH.{number}",
        issn="0000-0000",
        license="CC BY-NC-SA 4.0",
    )


def generate_cases(n: int, seed: int = 1) -> Iterator[Case]:
    """Cases ``bench:bench-1`` to ``bench:bench-<n>``, the same for the same seed."""
    rng = random.Random(seed)
    for number in range(1, n + 1):
        yield make_case(rng, number)


def write_case_files(
    folder: Path, n: int, seed: int = 1, *, cases: Iterable[Case] | None = None
) -> list[Path]:
    """Writes each case's text to ``<folder>/<source_id>.txt`` (UTF-8); returns the paths.

    Args:
        cases: Cases already generated (from the same n and seed), to save generating again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in cases if cases is not None else generate_cases(n, seed):
        path = folder / f"{case.source_id}.txt"
        path.write_text(render_eurorad_text(case), encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


def check_round_trip(cases: Sequence[Case], limit: int = 200) -> int:
    """Checks that the first `limit` cases read back unchanged from their text; returns how many.

    Raises:
        AssertionError: naming the first case and field that do not survive the layout.
    """
    checked = cases[:limit]
    for case in checked:
        back = parse_eurorad_text(render_eurorad_text(case))
        if back != case:
            fields = [
                name
                for name in case.__dataclass_fields__
                if getattr(back, name) != getattr(case, name)
            ]
            raise AssertionError(f"{case.key} does not round-trip; differing fields: {fields}")
    return len(checked)


def _summary(cases: Sequence[Case]) -> str:
    def mean(values: Iterable[int]) -> float:
        items = list(values)
        return sum(items) / len(items)

    sizes = {
        "title": mean(len(c.title) for c in cases),
        "history": mean(len(c.clinical_history) for c in cases),
        "findings": mean(len(c.imaging_findings) for c in cases),
        "discussion": mean(len(c.discussion_text) for c in cases),
        "file": mean(len(render_eurorad_text(c).encode()) for c in cases),
    }
    words = {w for c in cases for w in re.findall(r"[a-z]+", c.discussion_text.lower())}
    lines = [f"{name:>10}: {value:8.0f} chars on average" for name, value in sizes.items()]
    lines.append(f"vocabulary: {len(VOCABULARY)} words ({len(words)} used in discussions)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 200
    cases = list(generate_cases(n))
    checked = check_round_trip(cases)
    print(f"{checked} of {n} cases round-trip through the text layout")
    print(_summary(cases))
    print()
    print(render_eurorad_text(cases[0])[:1500])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
