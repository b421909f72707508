"""SAFETY B9 and F9 end to end: a case file edited and imported again through the real
importer keeps every highlight — moved with its words, or detached and kept — and importing
the old file again puts the detached ones back."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from desktop.importer import import_paths
from desktop.model import Highlight
from desktop.store.highlights import section_texts
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES

ORIGINAL = (SAMPLE_CASES / "chest-01.txt").read_text(encoding="utf-8")
KEY = "lightbox:chest-01"
#: (section, quote) the reader highlighted in the original.
MARKED = {
    "moved": ("imaging_findings", "sharply defined visceral pleural line"),
    "deleted": ("discussion.teaching_points", "Tension is a clinical diagnosis."),
    "typo": ("discussion.outcome", "safety-net instructions"),
    "untouched": ("clinical_history", "worse on inspiration"),
}
#: About 30 KB of new findings, put above the highlighted findings.
INSERTED = " ".join(
    f"Prior study {n}: no pneumothorax, no effusion, normal cardiomediastinal contour."
    for n in range(380)
)


def edited_text() -> str:
    """The case as a later export of it might read: 30 KB inserted above a highlight, the
    paragraph of another deleted (its words survive elsewhere only in a look-alike sentence,
    "Tension pneumothorax is a clinical diagnosis"), a typo fixed inside a third."""
    text = ORIGINAL.replace("Imaging Findings\n", f"Imaging Findings\n{INSERTED}\n\n", 1)
    text = text.replace(
        "Confirm a true visceral pleural line with absent markings beyond it before diagnosing"
        " pneumothorax, and exclude skin folds and bullae. Size is measured on an erect PA"
        " film, but treatment depends mainly on symptoms. Tension is a clinical diagnosis.",
        "Always compare with previous imaging.",
    )
    text = text.replace("safety-net instructions", "safety net instructions")
    assert text.count("Tension is a clinical diagnosis.") == 0
    assert len(text) > len(ORIGINAL) + 29_000
    return text


def import_text(library: Library, folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "chest-01.txt"
    path.write_text(text, encoding="utf-8")
    report = import_paths(library, [path])
    assert not report.failed and report.imported + report.updated == 1


def by_quote(library: Library) -> dict[str, Highlight]:
    return {h.quote: h for h in library.highlights(library.resolve(KEY))}


def test_an_edited_case_keeps_every_highlight(library: Library, tmp_path: Path) -> None:
    import_text(library, tmp_path / "v1", ORIGINAL)
    case_id = library.resolve(KEY)
    case = library.get_case(case_id)
    assert case is not None
    texts = section_texts(case)
    first_place = texts["imaging_findings"].index(MARKED["moved"][1])
    for section, quote in MARKED.values():
        start = texts[section].index(quote)
        library.add_highlight(case_id, section, start, start + len(quote), comment=quote)

    import_text(library, tmp_path / "v2", edited_text())
    found = by_quote(library)
    assert len(found) == len(MARKED)  # never dropped
    assert len(library.case_versions(case_id)) == 1  # the old text is kept
    for name in ("moved", "untouched"):
        section, quote = MARKED[name]
        assert (found[quote].status, found[quote].section, found[quote].text) == (
            "anchored",
            section,
            quote,
        ), name
    # Below the inserted paragraph (and its line end).
    assert found[MARKED["moved"][1]].start == len(INSERTED) + 1 + first_place
    gone = found[MARKED["deleted"][1]]
    assert (gone.status, gone.comment) == ("detached", MARKED["deleted"][1])  # not the look-alike
    typo = found[MARKED["typo"][1]]
    assert (typo.status, typo.text) == ("anchored", "safety net instructions")

    import_text(library, tmp_path / "v1-again", ORIGINAL)
    again = by_quote(library)
    assert {h.status for h in again.values()} == {"anchored"}
    assert all(h.text == h.quote for h in again.values())


# --- property: whatever the edit, no highlight is lost ------------------------------------

WORDS = ("lesion", "cyst", "enhancing", "the", "left", "no", "mass", "😀", "𝑥", "é", "\n")


@st.composite
def edit_scripts(draw: st.DrawFn) -> list[tuple[str, int, int, str]]:
    """Edits of the imaging findings: (kind, at, length, new text), applied in order."""
    steps = draw(st.integers(1, 6))
    return [
        (
            draw(st.sampled_from(["insert", "delete", "replace"])),
            draw(st.integers(0, 2000)),
            draw(st.integers(1, 80)),
            " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))),
        )
        for _ in range(steps)
    ]


def apply(text: str, script: list[tuple[str, int, int, str]]) -> str:
    for kind, wanted, length, new in script:
        at = min(wanted, len(text))
        if kind == "insert":
            text = text[:at] + new + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + length :]
        else:
            text = text[:at] + new + text[at + length :]
    return text


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=edit_scripts())
def test_random_edits_never_lose_or_misplace_a_highlight(
    library: Library, script: list[tuple[str, int, int, str]]
) -> None:
    if not library.count_cases():
        import_paths(library, [SAMPLE_CASES / "chest-01.txt"])
    case_id = library.resolve(KEY)
    case = library.get_case(case_id)
    assert case is not None
    for highlight in library.highlights(case_id):
        library.delete_highlight(highlight.uid)
    text = section_texts(case)["imaging_findings"]
    spans = [(at, at + size) for at in range(0, len(text) - 40, 97) for size in (6, 23)]
    made = {
        library.add_highlight(case_id, "imaging_findings", start, end): text[start:end]
        for start, end in spans
        if text[start:end].strip()
    }
    edited = dataclasses.replace(case, imaging_findings=apply(case.imaging_findings, script))
    library.store_case(edited)
    now = {h.uid: h for h in library.highlights(case_id)}
    assert set(now) == set(made)  # never dropped
    for uid, quote in made.items():
        highlight = now[uid]
        if highlight.status == "anchored" and highlight.text != quote:
            # Only a fuzzy placement may cover other words, and only near-identical ones.
            assert fuzz.ratio(highlight.text, quote) >= 85, (quote, highlight.text)
    library.store_case(case)  # the original text again: every one back on its words
    assert all(h.text == made[h.uid] for h in library.highlights(case_id))
