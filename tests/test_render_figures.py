"""Figures in a case page: thumbnails, label lines and legends where the figures fall, links
from references in the text, and a position map that stays exact around the images."""

from __future__ import annotations

import re
import time

import pytest
from PySide6.QtGui import QTextCursor, QTextDocument

from desktop.model import Case, DiscussionPart, Figure, Patient
from desktop.render import FIGURE_LINK, LIGHT, figure_references, render_case, thumbnail_box
from desktop.sections import case_sections
from tests.test_positions import check_case
from tests.tools import TIMED

HASH_A = "a" * 64
HASH_B = "0123456789abcdef" * 4

FIGURES = (
    Figure(
        "Figure 1",
        "Axial CT: a <b>hyperdense</b> lesion in the left lobe (see Fig. 2).",
        image=HASH_A,
        modality="CT - noncontrast",
        plane="Axial",
        width=512,
        height=512,
    ),
    Figure("Figure 2", "Coronal T2: the lesion is bright 😀.", image=HASH_B, width=400, height=600),
    Figure("Figure 3", "", image=None, missing="image file images/x.png not found"),
    Figure("Figure 4", "Sagittal view.", image=HASH_A, modality="MR - T2 weighted"),
)


def figure_case(figures: tuple[Figure, ...] = FIGURES, **fields: object) -> Case:
    defaults: dict[str, object] = {
        "source": "lightbox",
        "source_id": "fig-1",
        "title": "Lesion with figures",
        "patient": Patient(age="45 years", sex="female"),
        "clinical_history": "Headache.\n\nNo trauma; see figure 1.",
        "imaging_findings": "A lesion (Figure 2a) and (Figs. 1 and 4); fig 9 does not exist.",
        "discussion": (DiscussionPart(None, "As Figures 2 and 3 show, it is benign."),),
        "differential_diagnosis": ("Abscess", "Metastasis"),
        "final_diagnosis": "Meningioma",
        "references": ("Smith J. Fig. 1 of an old paper.",),
        "figures": figures,
    }
    defaults.update(fields)
    return Case(**defaults)  # type: ignore[arg-type]


# --- references ------------------------------------------------------------------------------

THREE = ("Figure 1", "Figure 2", "Figure 3")


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("see Fig. 2 here", THREE, [("Fig. 2", 2)]),
        ("see figure 2 here", THREE, [("figure 2", 2)]),
        ("fig 3", THREE, [("fig 3", 3)]),
        ("FIG.1", THREE, [("FIG.1", 1)]),
        ("(Figure 2a)", THREE, [("Figure 2a", 2)]),
        ("Figures 2 and 3 show", THREE, [("Figures 2", 2), ("3", 3)]),
        ("Figs. 1, 2, 3", THREE, [("Figs. 1", 1), ("2", 2), ("3", 3)]),
        ("Figs. 1-3", THREE, [("Figs. 1", 1), ("3", 3)]),
        ("figure\xa02", THREE, [("figure\xa02", 2)]),
        # Not references:
        ("a figure-of-eight suture", THREE, []),
        ("Fig. 12 of the atlas", THREE, []),
        ("Fig. 0", THREE, []),
        ("configure 2 scanners", THREE, []),
        ("prefigure 2", THREE, []),
        ("figures show", THREE, []),
        ("Figure 2nd edition", THREE, []),
        ("fig. 2", (), []),
        ("Figures 2 and 7", THREE, [("Figures 2", 2)]),
        # By label when labels carry numbers: parts, and numbers that are not positions.
        ("Figure 1b", ("Figure 1a", "Figure 1b", "Figure 2"), [("Figure 1b", 2)]),
        ("Figure 2", ("Figure 1a", "Figure 1b", "Figure 2"), [("Figure 2", 3)]),
        ("Figure 3", ("Figure 1a", "Figure 1b", "Figure 2"), []),
        ("Figure 1", ("Figure 1a", "Figure 1b", "Figure 2"), [("Figure 1", 1)]),
        ("Fig. 2", ("Axial", "Coronal"), [("Fig. 2", 2)]),
    ],
)
def test_figure_references(text: str, labels: tuple[str, ...], expected: list) -> None:
    found = figure_references(text, labels)
    assert [(text[a:b], n) for a, b, n in found] == expected


@pytest.mark.parametrize(
    ("size", "side", "box"),
    [
        ((512, 512), 180, (180, 180)),
        ((400, 600), 180, (120, 180)),
        ((1000, 250), 180, (180, 45)),
        ((64, 32), 180, (64, 32)),  # never blown up
        ((None, None), 180, (180, 180)),
        ((0, 100), 180, (180, 180)),
    ],
)
def test_thumbnail_box(size: tuple, side: int, box: tuple[int, int]) -> None:
    assert thumbnail_box(*size, side) == box


# --- the page --------------------------------------------------------------------------------


def test_figures_block_sits_after_findings_with_thumbnails_labels_and_legends() -> None:
    page = render_case(figure_case(), theme=LIGHT)
    text = page.html
    findings, figures, discussion = (
        text.index('id="findings"'),
        text.index('id="figures"'),
        text.index('id="discussion"'),
    )
    assert findings < figures < discussion
    assert text.count(f'src="lightbox-img:{HASH_A}"') == 2
    assert f'<a href="lightbox:figure/1"><img src="lightbox-img:{HASH_A}" width="180"' in text
    assert f'src="lightbox-img:{HASH_B}" width="120" height="180"' in text
    assert "Figure 1 \u00b7 CT - noncontrast \u00b7 Axial" in text
    assert "Figure 4 \u00b7 MR - T2 weighted" in text
    assert "Image not available \u2014 image file images/x.png not found" in text
    # Legends are escaped case text, like any other.
    assert "&lt;b&gt;hyperdense&lt;/b&gt;" in text
    assert "<b>hyperdense" not in text
    # The only image sources are thumbnails; the page lists them with their boxes.
    assert set(re.findall(r'src="([^"]*)"', text)) == {
        f"lightbox-img:{HASH_A}",
        f"lightbox-img:{HASH_B}",
    }
    assert dict(page.images) == {HASH_A: (180, 180), HASH_B: (120, 180)}


def test_thumbnails_grow_with_the_text() -> None:
    import dataclasses

    page = render_case(figure_case(), theme=dataclasses.replace(LIGHT, base_point_size=22.0))
    assert page.images[HASH_B] == (240, 360)


def test_figures_without_legends_are_still_shown() -> None:
    figures = (Figure("Figure 1", "", image=HASH_A), Figure("Figure 2", "", image=None))
    case = figure_case(figures)
    assert not [s for s in case_sections(case) if s.kind == "figures"]
    page = render_case(case, theme=LIGHT)
    assert 'id="figures"' in page.html
    assert page.html.index('id="figures"') < page.html.index('id="discussion"')
    assert "Image not available \u2014 none in the source" in page.html


def test_figures_come_last_when_nothing_follows_them() -> None:
    case = Case("lightbox", "f-2", "Only figures", figures=(Figure("Figure 1", "Legend."),))
    page = render_case(case, theme=LIGHT)
    assert 'id="figures"' in page.html
    assert page.positions.keys == ["title", "figures.1"]


def test_an_image_reference_that_is_not_a_hash_is_never_a_source() -> None:
    figures = (Figure("Figure 1", "x", image="../../etc/passwd"),)
    page = render_case(figure_case(figures), theme=LIGHT)
    assert "<img" not in page.html
    assert "Image not available \u2014 the image reference is not valid" in page.html
    assert dict(page.images) == {}


def test_references_in_the_text_link_to_figures_and_add_no_characters() -> None:
    case = figure_case()
    plain = render_case(case, theme=LIGHT)
    assert '<a href="lightbox:figure/2">Figure 2a</a>' in plain.html
    assert '<a href="lightbox:figure/1">Figs. 1</a> and <a href="lightbox:figure/4">4</a>' in (
        plain.html
    )
    assert "fig 9" in plain.html and "lightbox:figure/9" not in plain.html
    assert '<a href="lightbox:figure/2">see Fig. 2</a>' not in plain.html
    assert '(see <a href="lightbox:figure/2">Fig. 2</a>)' in plain.html
    # A cited paper's figure is not the case's.
    assert "Smith J. Fig. 1 of an old paper." in plain.html
    # The title is never linked.
    titled = render_case(figure_case(title="Fig. 1 shows it"), theme=LIGHT)
    assert "<h1>Fig. 1 shows it</h1>" in titled.html
    no_figures = render_case(figure_case(()), theme=LIGHT)
    assert "lightbox:figure" not in no_figures.html
    assert "<img" not in no_figures.html


def test_references_survive_search_hits_and_highlights() -> None:
    case = figure_case()
    findings = next(s for s in case_sections(case) if s.key == "imaging_findings")
    start = findings.text.index("Figure 2a")
    page = render_case(
        case,
        theme=LIGHT,
        highlight=("figure",),
        marks=[("imaging_findings", start + 4, start + 9, "red")],
    )
    plain = render_case(case, theme=LIGHT)
    assert page.positions.runs == plain.positions.runs
    # Cut into pieces by the hit and the mark, every piece still links to figure 2.
    pieces = re.findall(r'<a href="lightbox:figure/2">(.*?)</a>', page.html)
    joined = "".join(re.sub(r"<[^>]+>", "", piece) for piece in pieces)
    assert "Figure 2a" in joined
    assert '<span class="hit">Figure</span>' in page.html
    assert 'class="mark-red"' in page.html


@pytest.mark.usefixtures("qapp")
@pytest.mark.parametrize(
    "figures",
    [
        FIGURES,
        (),
        (Figure("Figure 1", ""),),
        (Figure("Figure 1", "Only legend.", image=HASH_A),),
        tuple(
            Figure(f"Figure {n}", f"Legend {n} " + "x" * 200, image=HASH_A) for n in range(1, 11)
        ),
    ],
)
def test_the_document_holds_each_section_at_its_mapped_place(figures: tuple[Figure, ...]) -> None:
    """For every run, the document's text at the mapped positions is the section's text,
    thumbnails (one object character each), placeholders and tables counted."""
    case = figure_case(figures)
    check_case(case)
    page = render_case(case, theme=LIGHT, highlight=("lesion", "fig"))
    document = QTextDocument()
    document.setHtml(page.html)
    assert document.characterCount() == page.positions.character_count
    cursor = QTextCursor(document)
    for section in case_sections(case):
        for run in page.positions.runs:
            if run.key != section.key:
                continue
            cursor.setPosition(run.doc_start)
            cursor.setPosition(run.doc_end, QTextCursor.MoveMode.KeepAnchor)
            shown = cursor.selectedText().replace("\u200b", "")
            assert shown == section.text[run.offset : run.offset + run.length]
    # One object character per thumbnail.
    objects = document.toPlainText().count("\ufffc")
    assert objects == sum(1 for f in figures if f.image)


@TIMED
def test_thousands_of_figure_references_render_in_linear_time(timed: bool) -> None:
    """A field of 16,000 "Fig. 1" (112 KB; took 9.8 s when each piece rescanned every
    link) and a 40,000-number list of figures: every reference linked, quickly."""
    figure = (Figure("Figure 1", "A legend."),)
    for findings, links in (("Fig. 1 " * 16000, 16000), ("Figures 1" + ", 1" * 40000, 40001)):
        case = Case("test", "refs", "Many references", imaging_findings=findings, figures=figure)
        began = time.perf_counter()
        page = render_case(case, theme=LIGHT)
        seconds = time.perf_counter() - began
        assert page.html.count(f'href="{FIGURE_LINK.format(1)}"') >= links - 1
        if timed:
            assert seconds < 2.0, seconds
