"""Re-anchoring properties (desktop.anchoring): edits away from a highlight never move it off
its words (F7), a removed quote is detached (F8), characters outside the Basic Multilingual
Plane shift nothing (F1 at the str level), and no input yields an arbitrary span."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from desktop.anchoring import (
    CONTEXT,
    Placement,
    Selector,
    anchor,
    anchor_all,
    make_selector,
    same_words,
    score,
)

#: Our own words: radiology terms, small words, a number, a unit; and characters outside
#: the Basic Multilingual Plane (two UTF-16 units each, one Python character).
WORDS = (
    "the a of and with in no is cyst lesion mass nodule kidney liver lung left right upper "
    "lower pole segment lobe enhancement contrast arterial portal phase washout calcified "
    "simple complex septated solid cystic margin wall thin thick mm cm 4.2 12 T2 signal "
    "hyperintense hypodense restricted diffusion effusion fracture oedema fat necrosis"
).split()
ASTRAL = ("😀", "𝑥", "🫁", "𝛼", "🦴")
SECTION = "imaging_findings"

word = st.sampled_from(WORDS)
astral = st.sampled_from(ASTRAL)
phrase = st.lists(st.one_of(word, word, word, astral), min_size=1, max_size=12).map(" ".join)
paragraph = st.lists(word, min_size=4, max_size=40).map(" ".join)
section_text = st.lists(paragraph, min_size=1, max_size=5).map("\n".join)


def marked_window(text: str, start: int, end: int) -> str:
    """The quote with its context as the anchoring compares it: cut at paragraph breaks,
    with LF standing for the start or end of the section (search it in LF + text + LF)."""
    before = text[max(0, start - CONTEXT) : start]
    after = text[end : end + CONTEXT]
    before = before[before.rfind("\n") :] if "\n" in before else before
    after = after[: after.find("\n") + 1] if "\n" in after else after
    if start < CONTEXT and "\n" not in before:
        before = "\n" + before
    if end + CONTEXT > len(text) and "\n" not in after:
        after += "\n"
    return before + text[start:end] + after


def count(text: str, part: str) -> int:
    return sum(1 for i in range(len(text)) if text.startswith(part, i))


@st.composite
def highlight(draw: st.DrawFn, text: st.SearchStrategy[str] = section_text) -> tuple[str, int, int]:
    """A section text and a span in it that is not only white space."""
    body = draw(text)
    start = draw(st.integers(0, len(body) - 1))
    end = draw(st.integers(start + 1, min(len(body), start + 80)))
    assume(body[start:end].strip())
    return body, start, end


@st.composite
def distant_edits(
    draw: st.DrawFn, body: str, start: int, end: int, distance: int
) -> tuple[str, int]:
    """Edits of `body` that keep `distance` characters clear around start:end; returns the
    edited text and how far start moved."""
    edits: list[tuple[int, int, str]] = []  # (at, removed, inserted), non-overlapping
    for _ in range(draw(st.integers(1, 6))):
        zones = [(0, start - distance), (end + distance, len(body))]
        low, high = draw(st.sampled_from(zones))
        if high < low:
            continue
        at = draw(st.integers(low, high))
        removed = draw(st.integers(0, min(20, high - at)))
        if any(at < a + r and a < at + removed or a == at for a, r, _ in edits):
            continue
        edits.append((at, removed, draw(st.one_of(st.just(""), phrase.map(lambda p: p + " ")))))
    shift = 0
    for at, removed, inserted in sorted(edits, reverse=True):
        body = body[:at] + inserted + body[at + removed :]
        if at + removed <= start:
            shift += len(inserted) - removed
    return body, shift


@given(st.data())
def test_f7_edits_away_from_the_highlight_keep_it_on_its_words(data: st.DataObject) -> None:
    """F7: random edits outside [start-64, end+64] leave the anchor exactly on the same
    words, at the edited text's equivalent of the original span."""
    body, start, end = data.draw(highlight())
    sel = make_selector(SECTION, body, start, end)
    edited, shift = data.draw(distant_edits(body, start, end, 64))
    new_start, new_end = start + shift, end + shift
    assert edited[new_start:new_end] == sel.quote
    # Ambiguous by construction, not by the edits: the same words with the same
    # neighbours twice, or another copy of the quote slid exactly into the old offsets.
    window = marked_window(edited, new_start, new_end)
    assume(count("\n" + edited + "\n", window) == 1)
    assume(shift == 0 or edited[start:end] != sel.quote)
    placement = anchor(sel, {SECTION: edited})
    assert placement is not None
    assert (placement.start, placement.end) == (new_start, new_end)
    assert placement.method in {"position", "exact", "context"}
    assert edited[placement.start : placement.end] == sel.quote


@given(st.data())
def test_f8_a_removed_quote_is_detached(data: st.DataObject) -> None:
    """F8: the quote's words removed (and no other copy left): detached, or on a near copy
    of the very words (which fuzzy matching is there to find), never on other words."""
    body, start, end = data.draw(highlight())
    sel = make_selector(SECTION, body, start, end)
    replacement = data.draw(st.one_of(st.just(""), phrase))
    edited = body[:start] + replacement + body[end:]
    if data.draw(st.booleans()):
        edited, _ = data.draw(distant_edits(edited, start, start + len(replacement), 0))
    assume(sel.quote not in edited)
    placement = anchor(sel, {SECTION: edited})
    if placement is not None:
        # The words are not gone: a near copy of them (a typo apart, in a context that
        # agrees) is what fuzzy matching finds. Repetitive text makes one; never other words.
        found = edited[placement.start : placement.end]
        assert placement.method == "fuzzy" and same_words(sel.quote, found), found


@given(st.data())
def test_astral_characters_before_a_highlight_shift_nothing(data: st.DataObject) -> None:
    """F1 at the str level: characters outside the BMP inserted anywhere before a highlight
    move it by one position each, exactly onto its words."""
    body, start, end = data.draw(highlight(section_text.map(lambda t: "🫁 " + t + " 𝑥")))
    sel = make_selector(SECTION, body, start, end)
    assume(sel.unique and len(sel.quote) >= 12)
    places = data.draw(st.lists(st.integers(0, start), min_size=1, max_size=8))
    edited = body
    for at in sorted(places, reverse=True):
        edited = edited[:at] + data.draw(astral) + edited[at:]
    placement = anchor(sel, {SECTION: edited})
    assert placement == Placement(SECTION, start + len(places), end + len(places), "exact", 1.0)


@given(st.lists(astral, min_size=1, max_size=6), st.integers(0, 3))
def test_astral_characters_and_a_typo_fix_keep_the_words(inserted: list[str], at: int) -> None:
    """F1 with F5: a typo fixed inside a quote that holds astral characters, and more of them
    added before its context: the approximate match lands on the same characters."""
    fixed = (
        "🦴 Radiographs of the wrist in two planes. Cortical 𝛼 erosion of the distal radius 😀 "
        "with periosteal reaction. 𝑥 No fracture."
    )
    slip = fixed.replace("periosteal", "periostal")
    quote = "erosion of the distal radius 😀 with periostal reaction"
    start = slip.index(quote)
    sel = make_selector(SECTION, slip, start, start + len(quote))
    cut = [0, 2, 19, start - CONTEXT][at]
    edited = fixed[:cut] + "".join(inserted) + fixed[cut:]
    placement = anchor(sel, {SECTION: edited})
    assert placement is not None and placement.method == "fuzzy"
    expected = fixed.index("erosion") + len(inserted)
    assert (placement.start, placement.end) == (expected, expected + len(quote) + 1)
    assert edited[placement.start : placement.end] == quote.replace("periostal", "periosteal")


def _raw_selector() -> st.SearchStrategy[Selector]:
    text = st.one_of(phrase, st.text(max_size=40))
    return st.builds(
        Selector,
        section=st.sampled_from([SECTION, "discussion", "gone"]),
        start=st.integers(-5, 400),
        end=st.integers(-5, 400),
        quote=st.one_of(phrase, st.text(min_size=1, max_size=40)),
        prefix=text.map(lambda t: t[-CONTEXT:]),
        suffix=text.map(lambda t: t[:CONTEXT]),
        unique=st.booleans(),
    )


@st.composite
def case_and_selectors(draw: st.DrawFn) -> tuple[dict[str, str], list[Selector]]:
    """A case's sections now, and selectors made on an earlier version of it or made up."""
    body, start, end = draw(highlight())
    made = make_selector(SECTION, body, start, end)
    edited = body
    for _ in range(draw(st.integers(0, 2))):  # a slip or two inside the quote: the fuzzy step
        at = draw(st.integers(start, end - 1))
        slip = draw(st.sampled_from(["", "e", " ", "\xa0", "s"]))
        edited = edited[:at] + slip + edited[at + draw(st.integers(0, 1)) :]
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(edited)))
        removed = draw(st.integers(0, 12))
        edited = edited[:at] + draw(st.one_of(st.just(""), phrase)) + edited[at + removed :]
    sections = {SECTION: edited}
    if draw(st.booleans()):
        sections["discussion"] = draw(st.one_of(section_text, st.just(body)))
    selectors = [made, *draw(st.lists(_raw_selector(), max_size=3))]
    return sections, selectors


@given(case_and_selectors())
def test_a_placement_is_the_quote_or_passes_every_threshold(
    case: tuple[dict[str, str], list[Selector]],
) -> None:
    """Whatever the input: a placement lies within its section's text, and covers either
    exactly the quote or a span that scores above the thresholds with the same words; never
    an arbitrary span. anchor_all agrees with anchor."""
    sections, selectors = case
    placements = anchor_all(selectors, sections)
    assert placements == [anchor(sel, sections) for sel in selectors]
    for sel, placement in zip(selectors, placements, strict=True):
        if placement is None:
            continue
        text = sections[placement.section]
        assert 0 <= placement.start < placement.end <= len(text)
        found = text[placement.start : placement.end]
        if placement.method == "fuzzy":
            assert placement.section == sel.section
            scores = score(sel, text, placement.start, placement.end)
            assert scores.acceptable()
            assert scores.total == placement.score
            assert same_words(sel.quote, found)
        else:
            assert found == sel.quote
            assert 0.0 < placement.score <= 1.0
