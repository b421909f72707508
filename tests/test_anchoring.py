"""Re-anchoring highlights (desktop.anchoring): tables, the safety plan's F fixtures and the
failure patterns reported against Hypothesis's anchoring, in radiology text of our own."""

from __future__ import annotations

import pytest

from desktop.anchoring import (
    CONTEXT,
    MARGIN,
    MIN_QUOTE,
    MIN_SIDE,
    MIN_TOTAL,
    Placement,
    Selector,
    anchor,
    anchor_all,
    make_selector,
    moved,
    occurrence,
    occurrences,
    same_words,
    score,
)

FINDINGS = (
    "A 58-year-old man with painless haematuria. Contrast-enhanced CT of the abdomen shows a "
    "4.2 cm exophytic mass arising from the lower pole of the right kidney, with heterogeneous "
    "enhancement and a central area of necrosis.\n"
    "There is no renal vein or inferior vena cava thrombus. The left kidney is normal. "
    "No retroperitoneal lymphadenopathy is seen.\n"
    "The liver, spleen, pancreas and adrenal glands are unremarkable."
)

#: Five occurrences of "cyst" (F4).
CYSTS = (
    "Segment 2 holds a 6 mm cyst with a thin wall.\n"
    "Segment 4 holds a 12 mm cyst with a thin septum.\n"
    "Segment 6 holds a 9 mm cyst without enhancement.\n"
    "Segment 7 holds a 3 mm cyst too small to characterise.\n"
    "The right kidney has a Bosniak I cyst at its upper pole."
)


def select(text: str, quote: str, n: int = 1, section: str = "imaging_findings") -> Selector:
    """The selector of a highlight made on the nth occurrence of `quote` in `text`."""
    found = occurrence(text, quote, n)
    assert found is not None, quote
    return make_selector(section, text, *found)


def words(placement: Placement | None, sections: dict[str, str]) -> str | None:
    """The text a placement covers (None when detached)."""
    if placement is None:
        return None
    return sections[placement.section][placement.start : placement.end]


# Making selectors and finding occurrences.


def test_make_selector_keeps_quote_context_and_uniqueness() -> None:
    sel = select(FINDINGS, "exophytic mass")
    assert sel.quote == "exophytic mass"
    assert FINDINGS[sel.start : sel.end] == sel.quote
    assert len(sel.prefix) == len(sel.suffix) == CONTEXT
    assert FINDINGS.endswith(sel.suffix + FINDINGS[sel.end + CONTEXT :])
    assert sel.unique
    assert not select(FINDINGS, "kidney").unique


def test_make_selector_at_the_edges_keeps_short_context() -> None:
    first = make_selector("s", FINDINGS, 0, 5)
    assert first.prefix == ""
    last = make_selector("s", FINDINGS, len(FINDINGS) - 13, len(FINDINGS))
    assert last.suffix == ""
    assert last.quote == "unremarkable."


@pytest.mark.parametrize(
    ("start", "end"), [(5, 5), (6, 5), (-1, 4), (0, len(FINDINGS) + 1), (1, 2)]
)
def test_make_selector_refuses_empty_outside_or_blank_spans(start: int, end: int) -> None:
    assert FINDINGS[1] == " "
    with pytest.raises(ValueError, match="span"):
        make_selector("s", FINDINGS, start, end)


def test_occurrences_overlap_and_count_from_one() -> None:
    assert occurrences("sss", "ss") == [0, 1]
    assert occurrence("sss", "ss", 2) == (1, 3)
    assert occurrence("sss", "ss", 3) is None
    assert occurrences("abc", "") == []
    assert occurrence(CYSTS, "cyst", 5) == (CYSTS.rindex("cyst"), CYSTS.rindex("cyst") + 4)
    with pytest.raises(ValueError, match="start at 1"):
        occurrence("abc", "a", 0)


# Tables in the spirit of Hypothesis's match-quote test (our own text).

FINDINGS_SECTIONS = {"imaging_findings": FINDINGS}


def test_unchanged_text_is_placed_by_position() -> None:
    sel = select(FINDINGS, "central area of necrosis")
    assert anchor(sel, FINDINGS_SECTIONS) == Placement(
        "imaging_findings", sel.start, sel.end, "position", 1.0
    )


def test_a_moved_unique_quote_is_placed_exactly() -> None:
    sel = select(FINDINGS, "central area of necrosis")
    edited = "Clinical note added. " + FINDINGS
    placement = anchor(sel, {"imaging_findings": edited})
    assert placement is not None
    assert placement.method == "exact"
    assert placement.start == sel.start + len("Clinical note added. ")


def test_an_approximate_match_is_found_when_no_exact_one_is() -> None:
    sel = select(FINDINGS, "heterogeneous enhancement")
    edited = FINDINGS.replace("heterogeneous", "heterogenous")
    placement = anchor(sel, {"imaging_findings": edited})
    assert placement is not None and placement.method == "fuzzy"
    assert MIN_TOTAL <= placement.score < 1.0
    assert edited[placement.start : placement.end] == "heterogenous enhancement"


def test_scores_fall_as_the_quote_drifts() -> None:
    sel = select(FINDINGS, "exophytic mass arising from the lower pole")
    at = sel.start
    drifts = [
        "exophytic mass arising from the lower pole",
        "exophytic mass arising from the lowr pole",
        "exophytic mass arising from the upper pole",
        "endophytic lesion arising at the upper pole",
    ]
    totals = []
    for drift in drifts:
        edited = FINDINGS.replace(sel.quote, drift)
        totals.append(score(sel, edited, at, at + len(drift)).total)
    assert totals == sorted(totals, reverse=True)
    assert len(set(totals)) == len(totals)


@pytest.mark.parametrize("side", ["prefix", "suffix"])
def test_scores_fall_as_the_context_drifts(side: str) -> None:
    sel = select(FINDINGS, "exophytic mass")
    if side == "prefix":
        drifts = [
            "abdomen shows a 4.2 cm ",
            "abdomen shows a 4.3 cm ",
            "pelvis shows a 4.3 cm ",
            "the image has one ",
        ]
        old = sel.prefix[-len(drifts[0]) :]
    else:
        drifts = [" arising from the lower", " arising from the lowar", " rising to the upper", "."]
        old = sel.suffix[: len(drifts[0])]
    totals = []
    for drift in drifts:
        edited = FINDINGS.replace(
            old + sel.quote if side == "prefix" else sel.quote + old,
            drift + sel.quote if side == "prefix" else sel.quote + drift,
        )
        at = edited.index(sel.quote)
        totals.append(score(sel, edited, at, at + len(sel.quote)).total)
    assert totals == sorted(totals, reverse=True)
    assert len(set(totals)) == len(totals)


#: Three sentences that repeat "the lesion": which one a highlight means, its context says.
REPEATS = (
    "On CT the lesion is hypodense. On MRI the lesion is hyperintense on T2. "
    "After gadolinium the lesion enhances in its periphery."
)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_context_picks_the_occurrence_the_highlight_was_made_on(n: int) -> None:
    sel = select(REPEATS, "the lesion", n)
    edited = "Axial and coronal images were reviewed. " + REPEATS
    placement = anchor(sel, {"imaging_findings": edited})
    assert placement is not None and placement.method == "context"
    assert placement.start == sel.start + len("Axial and coronal images were reviewed. ")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_context_with_a_typo_still_picks_the_occurrence(n: int) -> None:
    sel = select(REPEATS, "the lesion is", n) if n < 3 else select(REPEATS, "the lesion", n)
    edited = "Images reviewed. " + REPEATS.replace("hypodense", "hypodens").replace(
        "periphery", "peripheri"
    )
    placement = anchor(sel, {"imaging_findings": edited})
    assert placement is not None and placement.method == "context"
    assert (placement.start, placement.end) == occurrence(edited, sel.quote, n)


def test_the_old_place_breaks_a_tie_between_equal_contexts() -> None:
    block = "Follow-up in six months was advised. "
    text = block * 3
    for n in (1, 2, 3):
        sel = select(text, "six months", n)
        placement = anchor(sel, {"imaging_findings": text + "Signed."})
        assert placement is not None
        assert placement.start == sel.start


def test_a_quote_near_the_start_with_a_longer_stored_prefix_is_found() -> None:
    sel = select(FINDINGS, "58-year-old man")
    edited = FINDINGS.replace("A 58-year-old man", "58-year-old man", 1)
    placement = anchor(sel, {"imaging_findings": edited})
    assert placement is not None
    assert edited[placement.start : placement.end] == "58-year-old man"


def test_a_quote_at_the_end_with_its_suffix_gone_is_found() -> None:
    sel = select(FINDINGS, "adrenal glands are unremarkable")
    edited = FINDINGS.removesuffix(".")
    assert anchor(sel, {"imaging_findings": edited}) is not None


def test_nothing_is_placed_for_an_empty_quote_or_text() -> None:
    sel = select(FINDINGS, "exophytic mass")
    assert anchor(sel, {"imaging_findings": ""}) is None
    damaged = Selector("imaging_findings", 0, 0, "", "", "", True)
    assert anchor(damaged, FINDINGS_SECTIONS) is None


def test_an_unrelated_text_places_nothing() -> None:
    sel = select(FINDINGS, "exophytic mass arising from the lower pole of the right kidney")
    other = (
        "The knee radiograph shows a transverse fracture of the patella with a displaced "
        "inferior fragment and a large joint effusion."
    )
    assert anchor(sel, {"imaging_findings": other}) is None


# The safety plan's F fixtures.


def test_f2_thirty_kilobytes_inserted_above() -> None:
    """F2: 30 KB of new paragraphs above the highlight: found by its quote, same words."""
    filler = "\n".join(
        f"Paragraph {i}: the previous examination from another hospital was reviewed again."
        for i in range(400)
    )
    assert len(filler) > 30_000
    edited = filler + "\n" + FINDINGS
    sections = {"imaging_findings": edited}
    for quote, n in (("exophytic mass", 1), ("kidney", 2), ("No retroperitoneal", 1)):
        sel = select(FINDINGS, quote, n)
        placement = anchor(sel, sections)
        assert placement is not None
        assert placement.method in {"exact", "context"}
        assert placement.start == sel.start + len(filler) + 1
        assert words(placement, sections) == quote


def test_f3_deleted_sentence_with_a_near_identical_sibling_left_is_detached() -> None:
    """F3 (client#7571): the highlighted sentence is deleted; its sibling about the other
    kidney differs only in side and size, and the approximate search must not take it."""
    v1 = (
        "Right kidney: there is a 14 mm simple cortical cyst in the upper pole, with no "
        "enhancement after contrast.\n"
        "Left kidney: there is a 16 mm simple cortical cyst in the upper pole, with no "
        "enhancement after contrast."
    )
    sel = select(v1, "there is a 14 mm simple cortical cyst in the upper pole")
    assert sel.unique
    sibling_only = v1.split("\n")[1]
    for v2 in (sibling_only, "Right kidney: normal.\n" + sibling_only):
        assert anchor(sel, {"imaging_findings": v2}) is None


def test_f3_sibling_differing_by_one_digit_is_still_not_taken() -> None:
    """F3 (client#7571) at its hardest: siblings whose context differs by one character and
    whose quotes differ by one digit. Only the word rule (a changed number is another
    statement) tells them apart."""
    v1 = (
        "Segment 6: a 14 mm arterially enhancing nodule with washout on the portal phase.\n"
        "Segment 7: a 16 mm arterially enhancing nodule with washout on the portal phase."
    )
    sel = select(v1, "a 14 mm arterially enhancing nodule with washout")
    v2 = v1.split("\n")[1]
    assert anchor(sel, {"imaging_findings": v2}) is None


def test_f4_short_quote_among_five_placed_by_context() -> None:
    """F4 (h#2798, h#2634): "cyst" five times; another one edited: ours by its context."""
    edited = CYSTS.replace("a 9 mm cyst", "a 9 mm haemangioma")
    sections = {"imaging_findings": "Liver MRI.\n" + edited}
    for n in (1, 2, 4, 5):
        sel = select(CYSTS, "cyst", n)
        placement = anchor(sel, sections)
        assert placement is not None, n
        expected = sel.start + len("Liver MRI.\n")
        if n > 3:
            expected += len("haemangioma") - len("cyst")
        assert placement.start == expected
        assert placement.method == "context"


def test_f4_short_quote_whose_own_occurrence_was_edited_is_detached() -> None:
    """F4 (h#2798): our "cyst" became "haemangioma"; four others remain, none is ours."""
    sel = select(CYSTS, "cyst", 3)
    edited = CYSTS.replace("a 9 mm cyst without", "a 9 mm haemangioma without")
    assert anchor(sel, {"imaging_findings": edited}) is None
    assert anchor(sel, {"imaging_findings": "Liver MRI.\n" + edited}) is None


def test_f4_short_quote_with_both_sides_edited_is_detached() -> None:
    """F4: ours is still there but both its sides changed: five look the same, so detached
    rather than a guess."""
    sel = select(CYSTS, "cyst", 2)
    edited = CYSTS.replace("a 12 mm cyst with a thin septum", "one cyst, septated")
    assert anchor(sel, {"imaging_findings": "Liver MRI.\n" + edited}) is None


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("exophytic mass arising", "exophytc mass arising"),
        ("exophytic mass arising", "exophytic mass ariisng"),
        ("4.2 cm exophytic", "4.2cm exophytic"),
        ("4.2 cm exophytic", "4.2\xa0cm exophytic"),
        ("lower pole of the right", "lower pole of the the right"),
        ("with heterogeneous enhancement", "with\nheterogeneous enhancement"),
    ],
    ids=["typo", "transposition", "space-removed", "nbsp", "doubled-word", "line-break"],
)
def test_f5_typo_and_spacing_changes_inside_the_quote_stay_anchored(
    before: str, after: str
) -> None:
    """F5: a typo fix or a spacing change inside the quote: anchored on the same words."""
    quote = "4.2 cm exophytic mass arising from the lower pole of the right kidney, with "
    quote += "heterogeneous enhancement"
    for old, new in ((FINDINGS, FINDINGS.replace(before, after)),):
        sel = select(new, quote.replace(before, after))  # made on the text with the slip
        sections = {"imaging_findings": "Reviewed twice. " + old}
        placement = anchor(sel, sections)
        assert placement is not None
        assert placement.method == "fuzzy"
        assert words(placement, sections) == quote


def test_f5_nbsp_change_around_a_short_quote_keeps_it_exact() -> None:
    """F5: spacing changes outside a short quote leave it found exactly, by one side."""
    sel = select(FINDINGS, "4.2 cm")
    edited = FINDINGS.replace("shows a 4.2", "shows a\xa04.2")
    placement = anchor(sel, {"imaging_findings": edited})
    assert placement is not None
    assert edited[placement.start : placement.end] == "4.2 cm"


def test_f6_reordered_paragraphs_stay_anchored() -> None:
    """F6: the paragraphs in another order: every highlight follows its words."""
    paragraphs = FINDINGS.split("\n")
    reordered = "\n".join(reversed(paragraphs))
    sections = {"imaging_findings": reordered}
    quotes = [
        ("A 58-year-old man", 1),  # a paragraph start
        ("central area of necrosis.", 1),  # a paragraph end
        ("kidney", 2),  # a repeated word, placed by context
        ("The liver, spleen, pancreas and adrenal glands are unremarkable.", 1),
        ("No retroperitoneal lymphadenopathy is seen.", 1),
    ]
    for quote, n in quotes:
        sel = select(FINDINGS, quote, n)
        placement = anchor(sel, sections)
        assert placement is not None, quote
        assert words(placement, sections) == quote
        # the same words: the same place in the moved paragraph
        paragraph = FINDINGS[: sel.start].count("\n")
        offset = sel.start - (FINDINGS.rfind("\n", 0, sel.start) + 1)
        moved_start = reordered.index(paragraphs[paragraph]) + offset
        assert placement.start == moved_start


def test_f6_reordered_paragraphs_with_a_typo_fix_stay_anchored() -> None:
    """F6 with F5: a paragraph moved and a typo inside the quote fixed."""
    slip = FINDINGS.replace("inferior vena cava", "inferior vena cave")
    sel = select(slip, "no renal vein or inferior vena cave thrombus")
    paragraphs = FINDINGS.split("\n")
    reordered = "\n".join([paragraphs[2], paragraphs[0], paragraphs[1]])
    sections = {"imaging_findings": reordered}
    placement = anchor(sel, sections)
    assert placement is not None and placement.method == "fuzzy"
    assert words(placement, sections) == "no renal vein or inferior vena cava thrombus"


def test_f9_round_trip_v1_v2_v1() -> None:
    """F9: detached in v2 (the sentence deleted), anchored again when v1 comes back; moved
    in v2, back at its first place in v1."""
    v1 = {"imaging_findings": FINDINGS, "final_diagnosis": "Clear cell renal cell carcinoma."}
    deleted = "There is no renal vein or inferior vena cava thrombus. "
    v2 = {
        "imaging_findings": "Second reading. " + FINDINGS.replace(deleted, ""),
        "final_diagnosis": "Clear cell renal cell carcinoma, Fuhrman grade 2.",
    }
    gone = select(FINDINGS, "no renal vein or inferior vena cava thrombus")
    kept = select(FINDINGS, "central area of necrosis")
    diagnosis = select(v1["final_diagnosis"], "Clear cell", section="final_diagnosis")
    first = anchor_all([gone, kept, diagnosis], v2)
    assert first[0] is None
    assert first[1] is not None and first[1].method == "exact"
    assert first[2] is not None and first[2].method == "position"
    # The store keeps a detached selector as it is and moves the others.
    after_v2 = [gone, moved(kept, first[1]), moved(diagnosis, first[2])]
    second = anchor_all(after_v2, v1)
    assert [p.start if p else None for p in second] == [gone.start, kept.start, diagnosis.start]
    assert [words(p, v1) for p in second] == [gone.quote, kept.quote, diagnosis.quote]


# The failure patterns reported against Hypothesis's anchoring.


def test_client_7571_fuzzy_lookalike_sibling_paragraph() -> None:
    """client#7571: after the highlighted paragraph was rewritten, the approximate search
    jumped to the sibling paragraph that says nearly the same of another lobe."""
    v1 = (
        "Right upper lobe: a spiculated 22 mm nodule abutting the pleura, with FDG uptake "
        "of SUVmax 7.8, suspicious for primary lung cancer.\n"
        "Left upper lobe: a spiculated 19 mm nodule abutting the pleura, with FDG uptake "
        "of SUVmax 2.1, favoured to be inflammatory."
    )
    sel = select(v1, "a spiculated 22 mm nodule abutting the pleura, with FDG uptake of SUVmax")
    rewritten = "Right upper lobe: resected; no recurrence at the staple line.\n"
    v2 = rewritten + v1.split("\n")[1]
    assert anchor(sel, {"imaging_findings": v2}) is None


def test_client_7571_exact_lookalike_with_other_context() -> None:
    """client#7571, exact variant: both paragraphs held the quote when it was made; ours is
    deleted, and the sibling's different neighbourhood keeps it from being taken."""
    v1 = (
        "Right hip: joint effusion with synovial thickening and marginal erosions, in "
        "keeping with septic arthritis.\n"
        "Left hip: joint effusion with synovial thickening and marginal erosions, in keeping "
        "with inflammatory arthritis."
    )
    sel = select(v1, "joint effusion with synovial thickening and marginal erosions", 1)
    assert not sel.unique
    v2 = v1.split("\n")[1]
    assert anchor(sel, {"imaging_findings": v2}) is None
    # the sibling's own highlight is still found, by context
    other = select(v1, "joint effusion with synovial thickening and marginal erosions", 2)
    placement = anchor(other, {"imaging_findings": v2})
    assert placement is not None and placement.start == v2.index("joint")


def test_h_2798_copy_edit_word_is_not_moved_to_an_earlier_instance() -> None:
    """h#2798: a highlight on a word the editor then corrected was placed on an earlier
    instance of that word in the same sentence instead of being detached."""
    v1 = "The left adrenal nodule displaces the left upper pole of the kidney downwards."
    sel = select(v1, "left", 2)  # a note on it: "should read right"
    v2 = v1.replace("displaces the left", "displaces the right")
    assert anchor(sel, {"imaging_findings": v2}) is None


def test_h_2798_unique_word_is_not_moved_to_another_section() -> None:
    """h#2798 across sections: the corrected word was unique in its section; the case still
    has it in another section, with other words around it."""
    v1 = {
        "clinical_history": "Pain in the left flank for two weeks.",
        "imaging_findings": "The adrenal nodule displaces the left kidney downwards.",
    }
    sel = select(v1["imaging_findings"], "left")
    assert sel.unique
    v2 = {**v1, "imaging_findings": v1["imaging_findings"].replace("left", "right")}
    assert anchor(sel, v2) is None


def test_short_quote_at_its_old_offsets_in_a_lookalike_sentence_is_detached() -> None:
    """h#2798 / h#2634 at the old offsets: "cyst" was highlighted in the left kidney's
    sentence; that sentence lost the word, and text added above slid the right kidney's
    "cyst" exactly onto the old offsets. Its context differs on both sides: detached."""
    old = (
        "Ultrasound of both kidneys. Right kidney: a simple cyst of 2 cm at the upper pole."
        " Left kidney: a simple cyst of 3 cm at the lower pole."
    )
    start = old.index("cyst", old.index("Left"))
    selector = make_selector("f", old, start, start + 4)
    body = (
        "Right kidney: a simple cyst of 2 cm at the upper pole. Left kidney: normal, no focal"
        " lesion."
    )
    lead = ("Ultrasound of both kidneys and bladder, reviewed. " + "x" * 200)[
        : start - body.index("cyst") - 1
    ]
    new = f"{lead} {body}"
    assert new[start : start + 4] == "cyst"
    assert anchor(selector, {"f": new}) is None


def test_h_2634_short_quote_never_matches_part_of_another_word() -> None:
    """h#2634: a short quote ("Linus") was matched to a piece of another word ("chines")."""
    v1 = {"discussion.background": "Wilms tumour is the commonest renal tumour of childhood."}
    sel = select(v1["discussion.background"], "Wilms", section="discussion.background")
    v2 = {
        "discussion.background": "Nephroblastoma is the commonest renal tumour of childhood.",
        "imaging_findings": "Plain films show a soft-tissue mass displacing the bowel loops.",
    }
    assert anchor(sel, v2) is None
    assert anchor(sel, {"discussion.epidemiology": v2["imaging_findings"]}) is None


def test_h_4328_different_quote_and_context_are_not_a_match() -> None:
    """h#4328: a highlight was placed on text whose quote, prefix and suffix all differed
    from the stored ones (a heading found as a fragment of a sentence)."""
    v1 = {
        "discussion.teaching_points": (
            "Teaching point, Interventional Radiology: embolise the feeding artery first.\n"
            "Teaching point, Neuroradiology: look for restricted diffusion."
        )
    }
    key = "discussion.teaching_points"
    sel = select(v1[key], "Interventional Radiology", section=key)
    v2 = {
        key: (
            "Interventional radiologists and neuroradiologists share the angiography suite, "
            "and a radiology trainee rotates through both."
        )
    }
    assert anchor(sel, v2) is None


# Sections that are gone or that lost the words.


def test_a_renamed_discussion_heading_is_followed() -> None:
    text = "Renal cell carcinoma accounts for most solid renal masses in adults."
    sel = select(text, "most solid renal masses", section="discussion.background")
    sections = {
        "discussion.introduction": text,
        "discussion.teaching_points": "Solid masses need further characterisation.",
    }
    placement = anchor(sel, sections)
    assert placement is not None
    assert placement.section == "discussion.introduction"
    assert placement.method == "exact"
    assert words(placement, sections) == sel.quote


def test_a_differential_item_moved_to_another_number_is_followed() -> None:
    v1 = ["Oncocytoma", "Fat-poor angiomyolipoma", "Renal metastasis"]
    sel = select(v1[1], "Fat-poor angiomyolipoma", section="differential.2")
    v2 = {f"differential.{i}": item for i, item in enumerate(reversed(v1), start=1)}
    placement = anchor(sel, v2)
    assert placement is not None
    assert placement.section == "differential.2"  # reversed: the middle stays in place
    sel = select(v1[0], "Oncocytoma", section="differential.1")
    placement = anchor(sel, v2)
    assert placement is not None and placement.section == "differential.3"


def test_a_quote_found_in_two_other_sections_alike_is_detached() -> None:
    text = "Renal cell carcinoma accounts for most solid renal masses in adults."
    sel = select(text, "most solid renal masses", section="discussion.background")
    sections = {"discussion.a": text, "discussion.b": text}
    assert anchor(sel, sections) is None


def test_a_copy_in_another_section_with_other_surroundings_is_not_taken() -> None:
    """The quote was unique in its section, but the case also had it elsewhere: when ours
    is deleted, the other copy (different neighbours) is not the reader's passage."""
    v1 = {
        "imaging_findings": "A solitary pulmonary nodule in the right upper lobe is noted.",
        "discussion.background": "Every solitary pulmonary nodule needs a risk estimate first.",
    }
    sel = select(v1["imaging_findings"], "solitary pulmonary nodule")
    v2 = {**v1, "imaging_findings": "The lungs are clear."}
    assert anchor(sel, v2) is None


def test_fuzzy_is_never_tried_in_other_sections() -> None:
    sel = select(FINDINGS, "heterogeneous enhancement and a central area of necrosis")
    sections = {
        "imaging_findings": "The kidney was removed.",
        "discussion": FINDINGS.replace("heterogeneous", "heterogenous"),
    }
    assert anchor(sel, sections) is None


# The word rule and anchor_all.


@pytest.mark.parametrize(
    ("quote", "found", "same"),
    [
        ("exophytic mass", "exophytc mass", True),
        ("the lesion", "teh lesion", True),
        ("4.2 cm mass", "4.2cm mass", True),
        ("oesophageal wall", "esophageal wall", True),
        ("Simple cyst.", "simple cyst", True),
        ("no no enhancement", "no enhancement", True),
        ("14 mm nodule", "16 mm nodule", False),
        ("left kidney", "right kidney", False),
        ("Team Alpha reported", "Team Beta reported", False),
        ("with enhancement", "with no enhancement", False),
        ("subtle haemorrhage", "haemorrhage", False),
    ],
)
def test_same_words(quote: str, found: str, same: bool) -> None:
    assert same_words(quote, found) is same


def test_anchor_all_gives_what_anchor_gives() -> None:
    edited = "Reviewed. " + FINDINGS.replace("heterogeneous", "heterogenous")
    sections = {"imaging_findings": edited, "final_diagnosis": "Renal cell carcinoma."}
    selectors = [
        select(FINDINGS, "kidney", 1),
        select(FINDINGS, "kidney", 2),
        select(FINDINGS, "heterogeneous enhancement"),
        select(FINDINGS, "painless haematuria"),
        select("Renal cell carcinoma.", "carcinoma", section="final_diagnosis"),
        select(FINDINGS, "no renal vein", section="gone"),
    ]
    assert anchor_all(selectors, sections) == [anchor(sel, sections) for sel in selectors]


def test_thresholds_are_those_of_the_design() -> None:
    """SAFETY.md's re-anchoring design: a floor, a margin, and stricter short quotes."""
    assert (MIN_QUOTE, MIN_TOTAL, MARGIN) == (0.85, 0.80, 0.05)
    assert MIN_SIDE >= 0.8
