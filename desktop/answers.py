"""The tolerant checker of typed drill answers: verdict, match, suggested rating, explanation.

Both the answer and the target (the final diagnosis, or an item of the differential) become
sets of canonical words: accents, case, punctuation and stopwords go; British spellings,
plurals and a few synonyms fold to one form; abbreviations expand (each expansion is tried).
Word order does not count, and a repeated word counts once. Two words match when their
canonical forms are equal, or within a typing slip that grows with length (GUIDE.md, "Typed
answers") and not a known near-miss (answer_terms.CONFUSABLE_*): "hypoplasia" is never
"hyperplasia", however close.

Verdicts:

* correct: every word typed matches a distinct word of the final diagnosis, and every required
  word of it (all but the optional qualifiers: blunt, acute, left, syndrome...) is matched;
* partial: the final diagnosis with an optional qualifier contradicted ("left" for "right"),
  or a part of it with nothing else typed (at least half its required words, or all those
  before its first comma or preposition, or its head noun and one more), or a full match of an
  item of the differential;
* wrong: anything else; a known near-miss is named in the explanation.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein

from desktop import answer_terms as terms
from desktop.differential import rebuild_items

__all__ = ["RATINGS", "Checked", "Verdict", "check_answer"]

Verdict = Literal["correct", "partial", "wrong"]

#: The FSRS rating each verdict suggests: Got it, Partly, Missed.
RATINGS: dict[Verdict, int] = {"correct": 3, "partial": 2, "wrong": 1}

#: Most readings of one text tried when its abbreviations have several expansions.
_MAX_VARIANTS = 24


@dataclass(frozen=True, slots=True)
class Checked:
    """How a typed answer compares with a case's diagnosis.

    Attributes:
        verdict: correct, partial or wrong.
        matched: the final diagnosis or the differential item the answer matched; "" when
            wrong.
        rating: the suggested FSRS rating: 3 (Got it), 2 (Partly) or 1 (Missed).
        explanation: one plain sentence for the reader.
    """

    verdict: Verdict
    matched: str
    rating: int
    explanation: str


def check_answer(typed: str, final_diagnosis: str, differential: Sequence[str] = ()) -> Checked:
    """Checks a typed answer against a case's final diagnosis and differential.

    Args:
        typed: what the reader typed; must not be empty.
        final_diagnosis: the case's final diagnosis.
        differential: the case's differential items (word-split lists are rebuilt first).

    Returns:
        The verdict, what it matched, the suggested rating and an explanation.

    Raises:
        ValueError: `typed` is empty or only whitespace.
    """
    if not typed.strip():
        raise ValueError("an empty answer cannot be checked")
    answer = _readings(typed)
    final = final_diagnosis.strip()
    fit = _best_fit(answer, _target_readings(final))
    if fit.kind == "full":
        return _checked("correct", final, "Matches the final diagnosis.")
    if fit.kind == "qualifier" and fit.pair:
        typed_word, target_word = fit.pair
        return _checked(
            "partial",
            final,
            f"Matches the final diagnosis except “{typed_word}”, which should be "
            f"“{target_word}” — partly right.",
        )
    if fit.kind == "part":
        return _checked(
            "partial", final, f"Part of the final diagnosis, “{final}” — right but incomplete."
        )
    clash = fit.pair if fit.kind == "clash" else None
    for listed in rebuild_items(differential):
        item = _LIST_MARKER.sub("", listed)
        item_fit = _best_fit(answer, _readings(item))
        if item_fit.kind == "full":
            return _checked(
                "partial", item, f"Matches “{item}” from the differential — partly right."
            )
        if clash is None and item_fit.kind == "clash":
            clash = item_fit.pair
    if clash:
        return _checked("wrong", "", f"Not the diagnosis: “{clash[0]}” is not “{clash[1]}”.")
    return _checked("wrong", "", "Matches neither the final diagnosis nor the differential.")


#: A parenthesis in a diagnosis: "(dermoid cyst)", "(LI-RADS LR-5)".
_PARENTHESIS = re.compile(r"\(([^()]*)\)")


def _target_readings(text: str) -> tuple[_Reading, ...]:
    """The readings of a diagnosis, and of it without its parentheses and of what they hold
    (another name, "Mature cystic teratoma (dermoid cyst)"; or a grade, "(LI-RADS LR-5)",
    that should not become the phrase's head)."""
    readings = _readings(text)
    if "(" in text:
        readings += _readings(_PARENTHESIS.sub(" ", text))
        for inside in _PARENTHESIS.findall(text):
            if inside.strip():
                readings += _readings(inside)
    return readings


#: A bullet or number before a differential item ("•  Ependymoma", "2. Neurofibroma").
_LIST_MARKER = re.compile(r"^(?:[•·*‣◦–-]|\d{1,2}[.)])\s*")


def _checked(verdict: Verdict, matched: str, explanation: str) -> Checked:
    return Checked(verdict, matched, RATINGS[verdict], explanation)


# --- words ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    canon: str
    #: The word as written (case-folded, accents stripped), for explanations.
    surface: str
    optional: bool


@dataclass(frozen=True, slots=True)
class _Reading:
    """One reading of a text (one choice of expansion for each abbreviation)."""

    words: tuple[_Word, ...]
    #: The canonical head noun: the last required word of the first segment (the words before
    #: the first comma, semicolon, colon or SEGMENT_BREAKS word: "metastasis from RCC").
    head: str | None
    #: The required words of the first segment (the core of "Subependymoma, lateral ventricle").
    core: frozenset[str]


_POSSESSIVE = re.compile(r"['’]s\b")
_WORD = re.compile(r"[^\W_]+|[,;:]")
#: Punctuation kept by _split, as segment breaks.
_BREAKS = frozenset(",;:")
_ENDINGS = tuple((re.compile(pattern), repl) for pattern, repl in terms.SPELLING_ENDINGS)


def _split(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _WORD.findall(_POSSESSIVE.sub("", bare))


def _spelling(word: str) -> str:
    if word in terms.SPELLING_WORDS:
        return terms.SPELLING_WORDS[word]
    if word.endswith("s") and word[:-1] in terms.SPELLING_WORDS:
        return terms.SPELLING_WORDS[word[:-1]] + "s"
    for british, american in terms.SPELLING_PARTS:
        if british in word:
            word = word.replace(british, american)
    if len(word) >= 6:
        for pattern, repl in _ENDINGS:
            word = pattern.sub(repl, word)
    return word


def _singular(word: str) -> str:
    """One form for singular and plural; for -sis/-ses words a shared stem ("metastas")."""
    word = terms.PLURALS.get(word, word)
    if word in terms.NOT_PLURAL or len(word) <= 3:
        return word
    if word.endswith("sis"):
        return word[:-2]
    if word.endswith("ses") and len(word) > 5:
        return word[:-2]
    if word.endswith("se"):
        return word[:-1]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("ae") and len(word) > 4:
        return word[:-1]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "as", "os")):
        return word[:-1]
    return word


def _fold(word: str) -> str:
    return _singular(_spelling(terms.ROMAN.get(word, word)))


_SYNONYMS = {_fold(word): _fold(same) for word, same in terms.SYNONYMS.items()}


@functools.lru_cache(maxsize=16384)
def _canon(word: str) -> str:
    folded = _fold(word)
    return _SYNONYMS.get(folded, folded)


_OPTIONAL = frozenset(_canon(word) for word in terms.OPTIONAL_QUALIFIERS)
_CONTRADICTING = tuple(
    frozenset(_canon(word) for word in group) for group in terms.CONTRADICTING_QUALIFIERS
)


_HYPHEN = re.compile(r"(?<=[^\W_])[-‐‑](?=[^\W_])")


@functools.lru_cache(maxsize=4096)
def _readings(text: str) -> tuple[_Reading, ...]:
    """The readings of `text`: hyphens as spaces ("Z-shaped" is "z shaped") and, when it has
    any, compounds joined ("scapulo-thoracic" is "scapulothoracic"), each with every choice of
    abbreviation expansion."""
    readings = _expanded(_split(text))
    if _HYPHEN.search(text):
        readings += _expanded(_split(_HYPHEN.sub("", text)))
    words = _split(_HYPHEN.sub(" ", text))
    for phrase, same in _PHRASE_SYNONYMS:
        replaced = _replace_phrase(words, phrase, same)
        if replaced is not None:
            readings += _expanded(replaced)
    return readings


_PHRASE_SYNONYMS = tuple(
    (_split(phrase), _split(same)) for phrase, same in terms.PHRASE_SYNONYMS.items()
)


def _replace_phrase(words: list[str], phrase: list[str], same: list[str]) -> list[str] | None:
    """`words` with the first run of `phrase` replaced by `same` (None: no such run)."""
    size = len(phrase)
    for start in range(len(words) - size + 1):
        if words[start : start + size] == phrase:
            return words[:start] + same + words[start + size :]
    return None


def _expanded(words: list[str]) -> tuple[_Reading, ...]:
    choices: list[list[list[str]]] = []
    for word in words:
        options = [[word]]
        key = word
        if key not in terms.ABBREVIATIONS and len(key) >= 4 and key.endswith("s"):
            key = key[:-1]
        options += [expansion.split() for expansion in terms.ABBREVIATIONS.get(key, ())]
        choices.append(options)
    combinations = itertools.islice(itertools.product(*choices), _MAX_VARIANTS)
    return tuple(
        _reading([w for part in combination for w in part]) for combination in combinations
    )


def _joined_negations(words: list[str]) -> list[str]:
    """ "non accidental" as one word, "nonaccidental", so it is never read as "accidental"."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] == "non" and word not in _BREAKS:
            joined[-1] = "non" + word
        else:
            joined.append(word)
    return joined


def _reading(words: list[str]) -> _Reading:
    words = _joined_negations(words)
    out: list[_Word] = []
    seen: set[str] = set()
    head: str | None = None
    core: set[str] = set()
    in_first_segment = True
    negated = False
    for word in words:
        if word in terms.NEGATING_BREAKS:
            negated = True  # what follows, to the next break, the case does not have
            in_first_segment = in_first_segment and not out
            continue
        if word in terms.SEGMENT_BREAKS or word in _BREAKS:
            negated = False
            if out:
                in_first_segment = False
        if negated or word in terms.STOPWORDS or word in _BREAKS:
            continue
        canon = _canon(word)
        optional = canon in _OPTIONAL
        if in_first_segment and not optional:
            head = canon
            core.add(canon)
        if canon not in seen:
            seen.add(canon)
            out.append(_Word(canon, word, optional))
    return _Reading(tuple(out), head, frozenset(core))


# --- comparing words --------------------------------------------------------------------------


def _tolerance(length: int) -> int:
    """Edits allowed in a word of `length` letters (GUIDE.md, "Typed answers")."""
    if length <= 3:
        return 0
    if length <= 5:
        return 1
    if length <= 7:
        return 2
    return 2 + length // 7


def _within(a: str, b: str) -> bool:
    """Whether `a` may be a typo of `b`: within the tolerance of their length, from the same
    first letter (typists rarely miss it; "epidural" is no slip for "subdural") and without
    a different meaningful ending ("endometrioma" is no slip for "endometriosis")."""
    limit = _tolerance(min(len(a), len(b)))
    if limit == 0 or abs(len(a) - len(b)) > limit or a[0] != b[0]:
        return False
    ending_a, ending_b = _ending(a), _ending(b)
    if ending_a and ending_b and ending_a != ending_b:
        return False
    return Levenshtein.distance(a, b, score_cutoff=limit) <= limit


_ENDINGS_BY_LENGTH = sorted(terms.MEANINGFUL_ENDINGS, key=len, reverse=True)


def _ending(word: str) -> str:
    """The meaningful ending of a word (`terms.MEANINGFUL_ENDINGS`), or ""."""
    return next((e for e in _ENDINGS_BY_LENGTH if word.endswith(e) and len(word) > len(e) + 2), "")


def _negation(a: str, b: str) -> bool:
    """Whether one word is the other with a negating prefix ("nonaccidental", "immature")."""
    short, long = sorted((a, b), key=len)
    for prefix in terms.NEGATING_PREFIXES:
        rest = len(short) >= (5 if prefix == "a" else 4)
        if rest and long == prefix + short:
            return True
    return False


_GROUPS = tuple(
    tuple(dict.fromkeys(_canon(member) for member in members))
    for _reason, members in terms.CONFUSABLE_WORDS
)
_PREFIXES = tuple(prefixes for _reason, prefixes in terms.CONFUSABLE_PREFIXES)
_PHRASES = tuple(
    (tuple(_canon(w) for w in short.split()), tuple(_canon(w) for w in long.split()), short, long)
    for _reason, short, long in terms.CONFUSABLE_PHRASES
)


@functools.lru_cache(maxsize=16384)
def _members(word: str) -> tuple[tuple[int, str], ...]:
    """The near-miss groups `word` belongs to, each with the member it is (the nearest one,
    when no other member is as near)."""
    found = []
    for index, group in enumerate(_GROUPS):
        near: list[tuple[int, str]] = []
        for member in group:
            limit = _tolerance(min(len(word), len(member)))
            if abs(len(word) - len(member)) > limit:
                continue
            distance = Levenshtein.distance(word, member, score_cutoff=limit)
            if distance <= limit:
                near.append((distance, member))
        near.sort()
        if near and (len(near) == 1 or near[0][0] < near[1][0]):
            found.append((index, near[0][1]))
    return tuple(found)


def _prefix(word: str, prefixes: tuple[str, ...]) -> str | None:
    matches = [p for p in prefixes if word.startswith(p) and len(word) - len(p) >= 3]
    return max(matches, key=len) if matches else None


@functools.lru_cache(maxsize=65536)
def _confusable(a: str, b: str) -> bool:
    """Whether `a` and `b` are a known near-miss: different members of one group (of words or
    of contradicting qualifiers: "unilateral" is not a slip for "bilateral"), or the same word
    with prefixes of opposite meaning."""
    if a == b:
        return False
    if any(a in group and b in group for group in _CONTRADICTING):
        return True
    if _negation(a, b):
        return True
    for prefixes in _PREFIXES:
        pa, pb = _prefix(a, prefixes), _prefix(b, prefixes)
        if pa and pb and pa != pb:
            return True
    groups_b = dict(_members(b))
    return any(index in groups_b and groups_b[index] != member for index, member in _members(a))


@functools.lru_cache(maxsize=65536)
def _same(a: str, b: str) -> bool:
    return a == b or (_within(a, b) and not _confusable(a, b))


# --- comparing a reading with a target --------------------------------------------------------

_Kind = Literal["full", "qualifier", "part", "clash", "none"]
_RANK: dict[_Kind, int] = {"full": 4, "qualifier": 3, "part": 2, "clash": 1, "none": 0}


@dataclass(frozen=True, slots=True)
class _Fit:
    kind: _Kind
    #: (typed word, target word) for a clash or a contradicted qualifier.
    pair: tuple[str, str] | None = None


_NO_FIT = _Fit("none")


def _best_fit(answer: tuple[_Reading, ...], target: tuple[_Reading, ...]) -> _Fit:
    best = _NO_FIT
    for typed in answer:
        for reading in target:
            fit = _fit(typed, reading)
            if _RANK[fit.kind] > _RANK[best.kind]:
                best = fit
                if fit.kind == "full":
                    return fit
    return best


def _fit(typed: _Reading, target: _Reading) -> _Fit:
    if not typed.words or not target.words:
        return _NO_FIT
    pairs = _pair(typed.words, target.words)
    phrase = _phrase_clash(typed, target)
    if phrase:
        return _Fit("clash", phrase)
    extras = 0
    qualifier: tuple[str, str] | None = None
    for index, word in enumerate(typed.words):
        if index in pairs:
            continue
        if word.optional:
            qualifier = qualifier or _contradicted(word, target)
            continue
        for other in target.words:
            if _confusable(word.canon, other.canon):
                return _Fit("clash", (word.surface, other.surface))
        extras += 1
    if extras:
        return _NO_FIT
    required = [i for i, w in enumerate(target.words) if not w.optional] or list(
        range(len(target.words))
    )
    matched = set(pairs.values())
    covered = sum(1 for i in required if i in matched)
    if covered == len(required):
        return _Fit("qualifier", qualifier) if qualifier else _Fit("full")
    matched_words = {target.words[i].canon for i in matched}
    named = _names_the_core(target, matched_words)
    if named is not None:
        if named:
            return _Fit("qualifier", qualifier) if qualifier else _Fit("full")
        return _Fit("part")
    # Two words of it and nothing else: a part of the case's diagnosis ("optic neuritis" for
    # "Multiple sclerosis presenting with left optic neuritis").
    if covered and (
        2 * covered >= len(required)
        or (target.core and target.core <= matched_words)
        or covered >= 2
    ):
        return _Fit("part")
    return _NO_FIT


_GENERIC_HEADS = frozenset(_canon(word) for word in terms.GENERIC_HEADS)
_DECISIVE = frozenset(_canon(word) for word in terms.DECISIVE_QUALIFIERS)


def _names_the_core(target: _Reading, matched: set[str]) -> bool | None:
    """Whether the matched words name the diagnosis' first phrase, where a teaching file puts
    the entity before its grade, site, cause and course ("High-grade conventional
    osteosarcoma of the distal femur"): its head noun, with one more of its words when the
    head is generic, and every decisive qualifier it has. True: they do; False: the head is
    there but not enough with it (partly right); None: the head is not matched."""
    head = target.head
    if head is None or head not in matched:
        return None
    if target.core & _DECISIVE - matched:
        return False
    if head in _GENERIC_HEADS and len(target.core) > 1 and len(target.core & matched) < 2:
        return False
    return True


def _pair(typed: tuple[_Word, ...], target: tuple[_Word, ...]) -> dict[int, int]:
    """A largest matching of typed words to distinct target words (exact matches first)."""
    edges: list[list[int]] = []
    for word in typed:
        exact = [j for j, other in enumerate(target) if other.canon == word.canon]
        near = [
            j
            for j, other in enumerate(target)
            if other.canon != word.canon and _same(word.canon, other.canon)
        ]
        edges.append(exact + near)
    owner: dict[int, int] = {}

    def assign(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or assign(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(typed)):
        assign(i, set())
    return {i: j for j, i in owner.items()}


def _contradicted(word: _Word, target: _Reading) -> tuple[str, str] | None:
    for group in _CONTRADICTING:
        if word.canon in group:
            for other in target.words:
                if other.canon in group and other.canon != word.canon:
                    return (word.surface, other.surface)
    return None


def _phrase_clash(typed: _Reading, target: _Reading) -> tuple[str, str] | None:
    typed_words = {w.canon for w in typed.words}
    target_words = {w.canon for w in target.words}
    for short, long, short_text, long_text in _PHRASES:
        extra = set(long) - set(short)
        if set(long) <= target_words and set(short) <= typed_words and not extra & typed_words:
            return (short_text, long_text)
        if set(short) <= target_words and not extra & target_words and set(long) <= typed_words:
            return (long_text, short_text)
    return None
