"""The word tables of the typed-answer checker (desktop/answers.py), as Python data.

Everything here is data written for Lightbox: stopwords, qualifiers a reader may leave out,
British spellings, irregular plurals, abbreviations, a few synonyms and the near-misses that
must never pass as each other. Words are written as a reader would type them; answers.py
normalises every table at import, so an entry may use either spelling.
"""

from __future__ import annotations

#: Words that carry no diagnosis: dropped from both sides before comparing. Hedges ("likely")
#: are here too, so "likely sarcoidosis" is read as "sarcoidosis".
STOPWORDS = frozenset(
    """
    a an the of and or with from in into on at by for to as well part is are was were be its
    this that these those vs versus probable probably possible possibly likely suspected
    consistent suggestive compatible findings finding case
    """.split()
)

#: Words after which a diagnosis goes on with its circumstances ("metastasis from RCC",
#: "fractures as part of a seatbelt syndrome"): the head noun is the last required word
#: before the first of them.
SEGMENT_BREAKS = frozenset(
    """
    of with from in into to as due without devoid secondary after following by for on at
    presenting presented treated managed related associated causing caused complicated
    mimicking simulating involving containing successfully
    """.split()
)

#: Qualifiers a reader can leave out and still be right: "Scimitar" is right for "Scimitar
#: syndrome", "rib fractures" for "Blunt traumatic rib fractures". Typed but absent from the
#: target they are ignored, unless they contradict one the target has (CONTRADICTING below).
#: Not here, because they change the diagnosis: malignant, benign, congenital, secondary,
#: metastatic, multiple, giant, cystic.
OPTIONAL_QUALIFIERS = frozenset(
    """
    blunt traumatic posttraumatic acute subacute chronic left right bilateral unilateral
    sided late early type syndrome disease disorder spectrum complex primary persistent stage
    grade
    1 2 3 4 5 6 7 8 9 10
    """.split()
)

#: Head nouns too general to name a diagnosis alone: typed by themselves they are only partly
#: right ("fracture" for "Scaphoid waist fracture"); with one more word of the diagnosis'
#: first phrase they name it ("scaphoid fracture"). A specific head ("osteosarcoma",
#: "intussusception", "sarcoidosis") names it alone, whatever grade or site the case adds.
GENERIC_HEADS = frozenset(
    """
    fracture tear rupture laceration contusion injury trauma carcinoma cancer tumour tumor
    neoplasm mass lesion nodule cyst stroke infarct infarction ischaemia embolism embolus
    thrombosis occlusion stenosis haemorrhage hemorrhage haematoma hematoma bleeding bleed
    dissection obstruction lymphoma leukaemia leukemia metastasis sarcoma adenoma abscess
    aneurysm malformation fistula infection inflammation torsion hernia herniation effusion
    collection fibrosis pneumonia atresia duplication anomaly dysplasia hypoplasia aplasia
    agenesis necrosis perforation disease syndrome cell
    """.split()
)

#: Words of a diagnosis' first phrase that change what it is: left out, a match on the rest is
#: only partly right ("thymoma" for "Malignant thymoma", "teratoma" for "Immature teratoma").
DECISIVE_QUALIFIERS = frozenset(
    """
    malignant benign mature immature congenital acquired metastatic invasive atypical
    anaplastic intramural ruptured perforated cement fat air septic gas non
    """.split()
)

#: Optional qualifiers that exclude each other: typed against the other one, an otherwise full
#: match is only partly right ("left pneumothorax" for "Right pneumothorax").
CONTRADICTING_QUALIFIERS: tuple[frozenset[str], ...] = (
    frozenset({"left", "right", "bilateral"}),
    frozenset({"unilateral", "bilateral"}),
    frozenset({"acute", "subacute", "chronic"}),
    frozenset({"early", "late"}),
    frozenset("1 2 3 4 5 6 7 8 9 10".split()),
)

#: Roman numerals, read as the numbers above ("type -II" is "type 2").
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7"}

#: British spellings with no pattern below, and -re words (centre, not "genre"), as whole
#: words. A trailing "s" is handled by the checker.
SPELLING_WORDS = {
    "centre": "center",
    "fibre": "fiber",
    "litre": "liter",
    "metre": "meter",
    "calibre": "caliber",
    "manoeuvre": "maneuver",
    "aluminium": "aluminum",
    "foetus": "fetus",
    "sulphur": "sulfur",
    "grey": "gray",
    "mould": "mold",
    "plough": "plow",
    "programme": "program",
    "tonne": "ton",
    "kerb": "curb",
}

#: British letter groups and their American spelling, replaced wherever they occur in a word
#: (haematoma, leukaemia, paediatric, orthopaedic, oesophagus, oedema, diarrhoea, coeliac...).
SPELLING_PARTS: tuple[tuple[str, str], ...] = (
    ("haem", "hem"),
    ("aem", "em"),
    ("paed", "ped"),
    ("aedic", "edic"),
    ("oesoph", "esoph"),
    ("oedem", "edem"),
    ("oestr", "estr"),
    ("foet", "fet"),
    ("rrhoe", "rrhe"),
    ("pnoe", "pne"),
    ("amoeb", "ameb"),
    ("coeliac", "celiac"),
    ("caec", "cec"),
    ("gynaec", "gynec"),
    ("aetiol", "etiol"),
    ("anaesth", "anesth"),
    ("sulph", "sulf"),
    ("ischae", "ische"),
    ("leucocyt", "leukocyt"),
)

#: British word endings (regular expressions on a whole word) and their American ones:
#: tumour(s), colour; organise(d), paralyse, catalogue. Only for words of at least 6 letters,
#: so "four", "rise" and "wise" keep theirs.
SPELLING_ENDINGS: tuple[tuple[str, str], ...] = (
    (r"our(s?)$", r"or\1"),
    (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"),
    (r"ys(e|es|ed|ing)$", r"yz\1"),
    (r"ogue(s?)$", r"og\1"),
)

#: Irregular plurals (Latin and Greek) and their singular.
PLURALS = {
    "emboli": "embolus",
    "thrombi": "thrombus",
    "calculi": "calculus",
    "bronchi": "bronchus",
    "bronchioli": "bronchiolus",
    "fungi": "fungus",
    "nuclei": "nucleus",
    "foci": "focus",
    "nevi": "nevus",
    "naevi": "nevus",
    "villi": "villus",
    "alveoli": "alveolus",
    "bacilli": "bacillus",
    "glomeruli": "glomerulus",
    "tophi": "tophus",
    "diverticula": "diverticulum",
    "bacteria": "bacterium",
    "septa": "septum",
    "atria": "atrium",
    "ostia": "ostium",
    "ganglia": "ganglion",
    "foramina": "foramen",
    "lumina": "lumen",
    "vertebrae": "vertebra",
    "bullae": "bulla",
    "sequelae": "sequela",
    "fistulae": "fistula",
    "lacunae": "lacuna",
    "apices": "apex",
    "varices": "varix",
    "cortices": "cortex",
    "appendices": "appendix",
    "cervices": "cervix",
    "phalanges": "phalanx",
    "testes": "testis",
    "ova": "ovum",
    "mets": "metastasis",
}

#: Words ending in s that are not plurals (the -sis, -itis, -us and -ss words need no entry).
NOT_PLURAL = frozenset(
    """
    series species caries rabies scabies facies herpes diabetes ascites pes os lens
    pancreas atlas chiasmas bilateralis
    """.split()
)

#: Words that name the same thing, mapped to one of them. Kept small: each pair is one a
#: radiologist would call the same diagnosis ("lung abscess", "pulmonary abscess").
SYNONYMS = {
    "lung": "pulmonary",
    "kidney": "renal",
    "liver": "hepatic",
    "brain": "cerebral",
    "heart": "cardiac",
    "bone": "osseous",
    "stomach": "gastric",
    "spleen": "splenic",
    "bleed": "hemorrhage",
    "bleeding": "hemorrhage",
    "hemorrhagic": "hemorrhage",
    "cancer": "carcinoma",
    "tumor": "neoplasm",
    "stone": "calculus",
    "herniation": "hernia",
    "infarct": "infarction",
    # An ischaemic stroke is a cerebral infarction: "MCA infarct" names "MCA territory stroke".
    "stroke": "infarction",
}

#: Abbreviations a reader types for a diagnosis, each with every expansion meant in a
#: radiology teaching file ("AML" is both angiomyolipoma and acute myeloid leukaemia). An
#: answer matches if any expansion (or the abbreviation itself) does. English words that are
#: also abbreviations ("all", "as") are left out: they would be read as diagnoses.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "ms": ("multiple sclerosis",),
    "pe": ("pulmonary embolism", "pulmonary thromboembolism"),
    "dvt": ("deep vein thrombosis", "deep venous thrombosis"),
    "hcc": ("hepatocellular carcinoma",),
    "gbm": ("glioblastoma multiforme", "glioblastoma"),
    "avm": ("arteriovenous malformation",),
    "avf": ("arteriovenous fistula",),
    "adem": ("acute disseminated encephalomyelitis",),
    "pml": ("progressive multifocal leukoencephalopathy",),
    "rcc": ("renal cell carcinoma",),
    "tb": ("tuberculosis",),
    "mi": ("myocardial infarction",),
    "cva": ("cerebrovascular accident", "stroke"),
    "sah": ("subarachnoid hemorrhage",),
    "sdh": ("subdural hematoma", "subdural hemorrhage"),
    "edh": ("extradural hematoma", "epidural hematoma"),
    "ich": ("intracerebral hemorrhage", "intracranial hemorrhage"),
    "dai": ("diffuse axonal injury",),
    "nph": ("normal pressure hydrocephalus",),
    "pres": ("posterior reversible encephalopathy syndrome",),
    "cjd": ("creutzfeldt jakob disease",),
    "hsv": ("herpes simplex virus", "herpes simplex"),
    "vzv": ("varicella zoster virus",),
    "ebv": ("epstein barr virus",),
    "cmv": ("cytomegalovirus",),
    "pcp": ("pneumocystis pneumonia", "pneumocystis carinii pneumonia"),
    "pjp": ("pneumocystis jirovecii pneumonia", "pneumocystis pneumonia"),
    "copd": ("chronic obstructive pulmonary disease",),
    "ild": ("interstitial lung disease",),
    "uip": ("usual interstitial pneumonia",),
    "nsip": ("nonspecific interstitial pneumonia", "non specific interstitial pneumonia"),
    "ipf": ("idiopathic pulmonary fibrosis",),
    "ards": ("acute respiratory distress syndrome",),
    "cf": ("cystic fibrosis",),
    "abpa": ("allergic bronchopulmonary aspergillosis",),
    "pcd": ("primary ciliary dyskinesia",),
    "lam": ("lymphangioleiomyomatosis",),
    "pap": ("pulmonary alveolar proteinosis",),
    "lch": ("langerhans cell histiocytosis",),
    "nf": ("neurofibromatosis",),
    "nf1": ("neurofibromatosis type 1",),
    "nf2": ("neurofibromatosis type 2",),
    "ts": ("tuberous sclerosis",),
    "tsc": ("tuberous sclerosis complex",),
    "vhl": ("von hippel lindau",),
    "aaa": ("abdominal aortic aneurysm",),
    "imh": ("aortic intramural hematoma", "intramural hematoma"),
    "pau": ("penetrating atherosclerotic ulcer", "penetrating aortic ulcer"),
    "tof": ("tetralogy of fallot",),
    "asd": ("atrial septal defect",),
    "vsd": ("ventricular septal defect",),
    "pda": ("patent ductus arteriosus",),
    "tapvr": ("total anomalous pulmonary venous return",),
    "papvr": ("partial anomalous pulmonary venous return",),
    "tga": ("transposition of the great arteries",),
    "svc": ("superior vena cava",),
    "ivc": ("inferior vena cava",),
    "nmo": ("neuromyelitis optica",),
    "nmosd": ("neuromyelitis optica spectrum disorder",),
    "mca": ("middle cerebral artery",),
    "aca": ("anterior cerebral artery",),
    "pca": ("posterior cerebral artery",),
    "ica": ("internal carotid artery",),
    "sma": ("superior mesenteric artery",),
    "smv": ("superior mesenteric vein",),
    "gist": ("gastrointestinal stromal tumor",),
    "fnh": ("focal nodular hyperplasia",),
    "cca": ("cholangiocarcinoma",),
    "ipmn": ("intraductal papillary mucinous neoplasm",),
    "sca": ("serous cystadenoma",),
    "mcn": ("mucinous cystic neoplasm",),
    "pdac": ("pancreatic ductal adenocarcinoma",),
    "net": ("neuroendocrine tumor",),
    "aml": ("angiomyolipoma", "acute myeloid leukemia"),
    "tcc": ("transitional cell carcinoma",),
    "uc": ("urothelial carcinoma", "ulcerative colitis"),
    "bph": ("benign prostatic hyperplasia",),
    "oa": ("osteoarthritis",),
    "ra": ("rheumatoid arthritis",),
    "avn": ("avascular necrosis",),
    "scfe": ("slipped capital femoral epiphysis",),
    "ddh": ("developmental dysplasia of the hip",),
    "nai": ("non accidental injury",),
    "acl": ("anterior cruciate ligament",),
    "pcl": ("posterior cruciate ligament",),
    "mcl": ("medial collateral ligament",),
    "dcis": ("ductal carcinoma in situ",),
    "idc": ("invasive ductal carcinoma",),
    "ilc": ("invasive lobular carcinoma",),
    "nhl": ("non hodgkin lymphoma",),
    "hl": ("hodgkin lymphoma",),
    "malt": ("mucosa associated lymphoid tissue",),
    "sle": ("systemic lupus erythematosus",),
    "gpa": ("granulomatosis with polyangiitis",),
    "pan": ("polyarteritis nodosa",),
    "eg": ("eosinophilic granuloma",),
    "pmma": ("polymethyl methacrylate",),
    "ccam": ("congenital cystic adenomatoid malformation",),
    "cpam": ("congenital pulmonary airway malformation",),
    "cdh": ("congenital diaphragmatic hernia",),
    "scc": ("squamous cell carcinoma",),
    "sclc": ("small cell lung carcinoma",),
    "nsclc": ("non small cell lung carcinoma",),
    "pcnsl": ("primary central nervous system lymphoma",),
    "cns": ("central nervous system",),
    "abc": ("aneurysmal bone cyst",),
    "nof": ("non ossifying fibroma",),
    "ptld": ("post transplant lymphoproliferative disorder",),
    "ibd": ("inflammatory bowel disease",),
    "sbo": ("small bowel obstruction",),
    "nec": ("necrotizing enterocolitis",),
    "hocm": ("hypertrophic obstructive cardiomyopathy",),
    "pvns": ("pigmented villonodular synovitis",),
    "als": ("amyotrophic lateral sclerosis",),
}

#: Words that must never pass as each other, however close their spelling: within one group
#: no member is accepted for another. Each group with the reason it is here.
CONFUSABLE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("opposite parts of the colon", ("ascending", "descending")),
    ("different embryonal tumours of childhood", ("neuroblastoma", "nephroblastoma")),
    ("bone-forming and giant-cell tumours", ("osteoblastoma", "osteoclastoma")),
    ("thin bones and dense bones", ("osteoporosis", "osteopetrosis")),
    ("pus and urine in a dilated kidney", ("pyonephrosis", "hydronephrosis")),
    ("endometrial tissue spread and a cyst of it", ("endometriosis", "endometrioma")),
    ("the uterine disorder and its focal mass", ("adenomyosis", "adenomyoma")),
    (
        "too little, too much, badly formed or none: different findings",
        ("aplasia", "hypoplasia", "hyperplasia", "dysplasia", "metaplasia", "neoplasia"),
    ),
    ("growth, wasting and abnormal growth", ("hypertrophy", "hypotrophy", "atrophy", "dystrophy")),
    ("small bowel, pelvic bone and bowel obstruction", ("ileum", "ilium", "ileus")),
    ("different tumours a letter or two apart", ("hepatoma", "hematoma")),
    ("different tumours a letter or two apart", ("teratoma", "hamartoma")),
    ("different tumours a letter or two apart", ("carcinoma", "carcinoid", "sarcoma", "sarcoid")),
    ("adenoma and its smooth-muscle variant", ("adenoma", "adenomyoma")),
    ("uterine adenomyosis and polyposis", ("adenomyosis", "adenomatosis")),
    (
        "tumour, tumour and infection of the meninges",
        ("meningioma", "medulloblastoma", "meningitis"),
    ),
    ("glial tumour and paraganglioma", ("glioma", "glomus")),
    ("ventricular tumours a prefix apart", ("ependymoma", "subependymoma")),
    ("pleural tumour and a benign reaction", ("mesothelioma", "mesothelial")),
    ("perineum and fibula", ("perineal", "peroneal", "peritoneal")),
    (
        "different tubes of the urinary tract",
        ("ureter", "urethra", "ureteral", "urethral", "ureteric"),
    ),
    ("opposite movements", ("abduction", "adduction", "abductor", "adductor")),
    ("bone infection and marrow disease", ("osteomyelitis", "osteomyelosis")),
    ("bile duct and gallbladder inflammation", ("cholangitis", "cholecystitis")),
    ("dilated kidney and dilated ureter", ("hydronephrosis", "hydroureter")),
    (
        "air in different spaces",
        ("pneumothorax", "pneumomediastinum", "pneumopericardium", "pneumoperitoneum"),
    ),
    ("joint and vessel inflammation", ("arthritis", "arteritis")),
    (
        "spine: inflammation, degeneration, defect, slip",
        ("spondylitis", "spondylosis", "spondylolysis", "spondylolisthesis"),
    ),
    ("spinal cord and muscle inflammation", ("myelitis", "myositis")),
    ("breast and mastoid inflammation", ("mastitis", "mastoiditis")),
    ("airway inflammation at two levels", ("bronchitis", "bronchiolitis")),
    ("infection and non-infective inflammation of the lung", ("pneumonia", "pneumonitis")),
    ("layers of the heart", ("myocarditis", "endocarditis", "pericarditis")),
    ("kidney inflammation and nephrotic disease", ("nephritis", "nephrosis")),
    ("sinus and joint lining inflammation", ("sinusitis", "synovitis")),
    ("narrowing and hardening", ("stenosis", "sclerosis")),
    ("opposite positions", ("anterior", "posterior")),
    ("opposite positions", ("superior", "inferior")),
    ("opposite behaviour", ("benign", "malignant")),
)

#: Prefixes of opposite meaning: words that differ in them never pass as each other
#: (hypointense/hyperintense, hypothyroidism/hyperthyroidism, intradural/extradural,
#: intramural/extramural, intramedullary/extramedullary, antegrade/antigrade).
CONFUSABLE_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("too little or too much", ("hypo", "hyper")),
    ("inside, outside or between", ("intra", "extra", "inter")),
    ("before or against", ("ante", "anti")),
    ("below, above or beneath", ("sub", "supra", "infra")),
    ("small or large", ("micro", "macro")),
    ("the layers around the brain and spine", ("epi", "sub", "extra", "intra", "peri")),
    ("before or after", ("pre", "post")),
)

#: Prefixes that turn a word into its opposite: "non-accidental" is not "accidental",
#: "immature" not "mature", "uncomplicated" not "complicated", "atypical" not "typical".
NEGATING_PREFIXES = ("non", "un", "im", "in", "ir", "il", "dis", "a")

#: Endings that name different kinds of disease: words that differ in them are never a typo
#: of each other ("endometriosis" is not "endometrioma", "nephritis" not "nephrosis").
MEANINGFUL_ENDINGS = (
    "oma", "osis", "itis", "iasis", "emia", "uria", "ectomy", "otomy", "ostomy", "plasty",
    "pathy", "plasia", "trophy", "algia", "cele", "ectasis", "ectasia",
)  # fmt: skip

#: Other names for a diagnosis, phrase for phrase (a word's synonyms are in SYNONYMS).
PHRASE_SYNONYMS: dict[str, str] = {
    "acoustic neuroma": "vestibular schwannoma",
    "acoustic schwannoma": "vestibular schwannoma",
    "child abuse": "non accidental injury",
    "battered child": "non accidental injury",
    "shaken baby": "non accidental injury",
    "brittle bone disease": "osteogenesis imperfecta",
    "wilms tumour": "nephroblastoma",
    "wilms tumor": "nephroblastoma",
    "acl rupture": "acl tear",
    "anterior cruciate ligament rupture": "anterior cruciate ligament tear",
    "ischaemic stroke": "infarction",
    "ischemic stroke": "infarction",
}

#: Words after which a diagnosis names what the case does not have: "pneumothorax without
#: tension" is no tension pneumothorax.
NEGATING_BREAKS = frozenset("without no not devoid absent excluding".split())

#: A word and a longer name it is part of, for a different entity: typing the short one for
#: the long one (or the reverse) is wrong, not partly right.
CONFUSABLE_PHRASES: tuple[tuple[str, str, str], ...] = (
    ("a different bone tumour", "osteoma", "osteoid osteoma"),
    ("a simple bone cyst is not an aneurysmal one", "bone cyst", "aneurysmal bone cyst"),
)
