"""The cases table: storing, reading, listing and full-text searching cases."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from desktop.case_dict import (
    authors_from_data,
    authors_to_data,
    figures_from_data,
    figures_to_data,
)
from desktop.model import (
    Case,
    CaseId,
    CaseSummary,
    DiscussionPart,
    Patient,
)
from desktop.sections import canonical_case
from desktop.store.errors import DuplicateDoi
from desktop.store.schema import FTS_COLUMNS
from desktop.store.versions import (
    KEPT_NAMES,
    get_version,
    is_shorter,
    keep_missing,
    keep_version,
    text_size,
)

Outcome = Literal["imported", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class StoredCase:
    """What storing one case did.

    Attributes:
        case_id: The case's row.
        outcome: Imported (new), updated (its text changed) or unchanged.
        key: The case's public id (``eurorad:8455``).
        version: The number under which the replaced text was kept (updates only).
        kept: Fields the incoming case lacked and the stored one had, kept from the stored
            one (`versions.KEPT_NAMES` keys).
        sizes: (stored, incoming) characters of text, when the incoming case dropped more
            than a third of it.
    """

    case_id: CaseId
    outcome: Outcome
    key: str = ""
    version: int | None = None
    kept: tuple[str, ...] = ()
    sizes: tuple[int, int] | None = None

    @property
    def notice(self) -> str | None:
        """One line for the import report when an update shrank the case or kept fields the
        new file lacks; None for an update that took nothing away."""
        if self.outcome != "updated" or (not self.kept and self.sizes is None):
            return None
        parts = []
        if self.sizes is not None:
            parts.append("the new file is shorter")
        elif self.kept:
            parts.append(f"the new file lacks {_names(self.kept).removeprefix('the ')}")
        if self.kept:
            parts.append(f"kept {_names(self.kept)}")
        parts.append(f"the earlier text is version {self.version}")
        return f"{self.key}: " + "; ".join(parts)


def _names(kept: tuple[str, ...]) -> str:
    names = [KEPT_NAMES[name] for name in kept]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


#: Columns added to `cases` after schema 1 (m010): left out of the digest while empty.
_ADDED_COLUMNS = frozenset({"figure_legends", "keywords", "acr_code", "category", "diagnosis_by"})


def content_hash(values: dict[str, Any]) -> str:
    """A digest of every stored field, so re-importing identical text is seen as unchanged."""
    import hashlib  # here: only imports need it, and it costs ~2 ms of every start

    digest = hashlib.sha256()
    for key in sorted(values):
        value = values[key]
        if value is None and key in _ADDED_COLUMNS:
            continue  # so a case stored before the column existed hashes as it did
        digest.update(
            f"{key}\x00{type(value).__name__}\x00{value}\x00".encode("utf-8", "surrogatepass")
        )
    return digest.hexdigest()


def store_case(
    conn: sqlite3.Connection,
    case: Case,
    now: dt.datetime,
    before_update: Callable[[], None] | None = None,
    replaced_by: str = "import",
) -> StoredCase:
    """Inserts a case, or updates the one with the same (source, source id) in place.

    Must run inside a transaction. The case is stored canonical (`desktop.sections`).
    Everything the reader made stays keyed to the case's identity, which an update keeps.
    An update never silently shrinks a case: the fields the incoming case lacks are kept
    from the stored one, and the text it replaces is kept as a version of the case
    (`desktop.store.versions`). The case row is written by one statement and its version
    after it, so a refused update leaves nothing behind.

    Args:
        before_update: Called just before an existing case's text is changed (the importer
            backs the library up there, once per import).
        replaced_by: What replaces the stored text, for its version ("import of FILE").

    Raises:
        DuplicateDoi: the DOI already belongs to a case with another identity.
    """
    # Stored text is canonical, so the index, snippets and highlights read the very text
    # the sections give, and offsets into it survive changes to the rules for new text.
    case = canonical_case(case)
    values = _case_values(case)
    digest = content_hash(values)
    row = conn.execute(
        "SELECT id, content_hash, updated_at FROM cases WHERE source = ? AND source_id = ?",
        (case.source, case.source_id),
    ).fetchone()
    stamp = now.isoformat(timespec="seconds")
    if row is None:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = _write(
            conn,
            case.doi,
            f"INSERT INTO cases ({columns}, content_hash, imported_at, updated_at)"
            f" VALUES ({marks}, ?, ?, ?)",
            (*values.values(), digest, stamp, stamp),
        )
        new_id = CaseId(int(cursor.lastrowid or 0))
        # A schedule replayed from reviews that came before the case (merged in) finds it.
        conn.execute(
            "UPDATE study_schedule SET case_id = ? WHERE case_source = ? AND case_source_id = ?",
            (new_id, case.source, case.source_id),
        )
        return StoredCase(new_id, "imported", case.key)
    case_id = CaseId(row[0])
    if row[1] == digest:
        return StoredCase(case_id, "unchanged", case.key)
    stored = get_case(conn, case_id)
    assert stored is not None  # the row was just read, in this transaction
    stored_canonical = canonical_case(stored)  # a case stored by an older Lightbox may not be
    merged, kept = keep_missing(stored_canonical, case)
    if kept:
        values = _case_values(merged)
        digest = content_hash(values)
        if row[1] == digest:  # the file only lacks fields the case keeps
            return StoredCase(case_id, "unchanged", case.key)
    assignments = ", ".join(f"{column} = ?" for column in values)
    if content_hash(_case_values(stored_canonical)) == digest:
        # Same case, stored before cases were kept canonical: bring its text and digest
        # up to date quietly; to the reader nothing changed.
        _write(
            conn,
            case.doi,
            f"UPDATE cases SET {assignments}, content_hash = ? WHERE id = ?",
            (*values.values(), digest, case_id),
        )
        return StoredCase(case_id, "unchanged", case.key)
    if before_update is not None:
        before_update()
    # The case first: if it is refused (a DOI another case owns), no version is left behind.
    _write(
        conn,
        merged.doi,
        f"UPDATE cases SET {assignments}, content_hash = ?, updated_at = ? WHERE id = ?",
        (*values.values(), digest, stamp, case_id),
    )
    number = keep_version(
        conn, stored, row[1], stored_at=row[2], replaced_at=now, replaced_by=replaced_by
    )
    old_size, new_size = text_size(stored), text_size(case)
    sizes = (old_size, new_size) if is_shorter(old_size, new_size) else None
    return StoredCase(case_id, "updated", case.key, number, kept, sizes)


def restore_version(
    conn: sqlite3.Connection, case_id: CaseId, number: int, now: dt.datetime
) -> StoredCase:
    """Makes version `number` of the case its current text, keeping the current text as a
    new version. The reader's data, keyed by the case's identity, is not touched.

    Must run inside a transaction.

    Raises:
        LookupError: no such case or version.
        DuplicateDoi: the version's DOI now belongs to another case.
    """
    row = conn.execute(
        "SELECT source, source_id, content_hash, updated_at FROM cases WHERE id = ?", (case_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no case with id {case_id}")
    version = get_version(conn, row[0], row[1], number)
    if version is None:
        raise LookupError(f"{row[0]}:{row[1]} has no version {number}")
    values = _case_values(canonical_case(version.case))
    digest = content_hash(values)
    if digest == row[2]:
        return StoredCase(case_id, "unchanged", f"{row[0]}:{row[1]}")
    current = get_case(conn, case_id)
    assert current is not None
    assignments = ", ".join(f"{column} = ?" for column in values)
    _write(
        conn,
        version.case.doi,
        f"UPDATE cases SET {assignments}, content_hash = ?, updated_at = ? WHERE id = ?",
        (*values.values(), digest, now.isoformat(timespec="seconds"), case_id),
    )
    kept_as = keep_version(
        conn,
        current,
        row[2],
        stored_at=row[3],
        replaced_at=now,
        replaced_by=f"restore of version {number}",
    )
    return StoredCase(case_id, "updated", f"{row[0]}:{row[1]}", kept_as)


def _write(
    conn: sqlite3.Connection, doi: str | None, sql: str, params: tuple[Any, ...]
) -> sqlite3.Cursor:
    """Runs one write of a case row; a DOI owned by another case becomes DuplicateDoi."""
    try:
        return conn.execute(sql, params)
    except sqlite3.IntegrityError:
        owner = conn.execute(
            "SELECT source || ':' || source_id FROM cases WHERE doi = ?", (doi,)
        ).fetchone()
        if owner is None:
            raise
        raise DuplicateDoi(f"DOI {doi} already belongs to case {owner[0]}") from None


def index_pending(conn: sqlite3.Connection) -> int:
    """Indexes the cases queued by the triggers, in one statement; returns how many.

    `Library.transaction` calls it before every commit, so a committed library never has a
    case missing from search.
    """
    if conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is None:
        return 0  # the usual case: a note or bookmark saved, no case text changed
    columns = ", ".join(FTS_COLUMNS)
    cursor = conn.execute(
        f"INSERT INTO cases_fts(rowid, {columns}) SELECT id, {columns} FROM cases"
        " WHERE id IN (SELECT case_id FROM search_pending)"
    )
    conn.execute("DELETE FROM search_pending")
    return cursor.rowcount


def get_case(conn: sqlite3.Connection, case_id: CaseId) -> Case | None:
    row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None:
        return None
    names = [d[0] for d in conn.execute("SELECT * FROM cases LIMIT 0").description]
    return _row_to_case(dict(zip(names, row, strict=True)))


def find_case_id(conn: sqlite3.Connection, source: str, source_id: str) -> CaseId | None:
    row = conn.execute(
        "SELECT id FROM cases WHERE source = ? AND source_id = ?", (source, source_id)
    ).fetchone()
    return CaseId(row[0]) if row else None


def all_ids(conn: sqlite3.Connection) -> list[CaseId]:
    return [CaseId(row[0]) for row in conn.execute("SELECT id FROM cases")]


def count_cases(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])


_TOKEN = re.compile(r'"([^"]*)"?|(\w+)', re.UNICODE)
_WORDS = re.compile(r"\w+")

#: A search reads at most this many words of a query (a phrase counts each of its words; a
#: word repeated counts once). FTS5 weighs every match of every term against every other
#: term of the query, so its cost grows with the square of the number of terms: 2,000 terms
#: took seconds on 55 cases, 10,000 never returned. The rest of a longer query is left out,
#: and the command line says so (`query_cut_notice`).
MAX_QUERY_WORDS = 32


def cut_query(text: str) -> tuple[str, int]:
    """The query as it is searched: repeated words and phrases dropped, and cut after
    MAX_QUERY_WORDS words (a phrase crossing the limit keeps its first words); and how many
    words were left out by the cut. Linear in the length of the query.

    A query with nothing to drop comes back as it was; a cut query ends with a space, so
    its last word is a whole word, not a prefix still being typed.
    """
    tokens = list(_TOKEN.finditer(text))
    pieces: list[str] = []
    seen: set[str] = set()
    used = left_out = 0
    dropped = False
    for index, match in enumerate(tokens):
        if match[2] is not None:
            # The word being typed (the last, with nothing after it) is a prefix: it is not
            # a repeat of the same whole word earlier in the query.
            typing = index == len(tokens) - 1 and match.end() == len(text)
            key = match[2].casefold() + ("*" if typing else "")
            if key in seen:
                dropped = True
            elif used >= MAX_QUERY_WORDS:
                left_out += 1
            else:
                seen.add(key)
                used += 1
                pieces.append(match[2])
            continue
        words = _WORDS.findall(match[1] or "")
        key = '"' + " ".join(words).casefold()
        if not words or key in seen:
            dropped = True
            continue
        kept = words[: max(MAX_QUERY_WORDS - used, 0)]
        left_out += len(words) - len(kept)
        if kept:
            seen.add(key)
            used += len(kept)
            pieces.append('"' + " ".join(kept) + '"')
    if not left_out and not dropped:
        return text, 0
    ending = " " if left_out or text[-1:].isspace() else ""
    return " ".join(pieces) + ending, left_out


def query_cut_notice(text: str) -> str | None:
    """A line for the reader when `cut_query` leaves words of the query out, else None."""
    searched, left_out = cut_query(text)
    if not left_out:
        return None
    return f"searched the first {MAX_QUERY_WORDS} words only; {left_out:,} left out"


def fts_query(text: str, *, prefix_last: bool = True) -> str | None:
    """Turns reader input into a safe FTS5 query: every term quoted, so no operator leaks.

    Returns None when the input has no searchable word.
    """
    terms: list[str] = []
    last_is_word = False
    for match in _TOKEN.finditer(text):
        if match[2] is not None:
            terms.append(f'"{match[2]}"')
            last_is_word = True
        else:
            words = re.findall(r"\w+", match[1] or "")
            if words:
                terms.append('"' + " ".join(words) + '"')
                last_is_word = False
    if not terms:
        return None
    if prefix_last and last_is_word and not text[-1:].isspace():
        terms[-1] += "*"
    return " ".join(terms)


def _case_values(case: Case) -> dict[str, Any]:
    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    discussion, outline = _discussion_columns(case.discussion)
    return {
        "source": case.source,
        "source_id": case.source_id,
        "doi": case.doi,
        "title": case.title,
        "published": case.published.isoformat() if case.published else None,
        "section": case.section,
        "case_type": case.case_type,
        "authors": dump(authors_to_data(case.authors)),
        "affiliations": dump(list(case.affiliations)),
        "age": case.patient.age,
        "age_days": case.patient.age_days,
        "sex": case.patient.sex,
        "areas_of_interest": dump(list(case.areas_of_interest)),
        "imaging_techniques": dump(list(case.imaging_techniques)),
        "clinical_history": case.clinical_history,
        "imaging_findings": case.imaging_findings,
        "discussion": discussion,
        "discussion_outline": outline,
        # One item a line: items are single lines (a line break inside one becomes a space).
        "differential_diagnosis": "\n".join(
            " ".join(item.split("\n")) for item in case.differential_diagnosis if item
        ),
        "final_diagnosis": case.final_diagnosis,
        "reference_list": dump(list(case.references)),
        "issn": case.issn,
        "license": case.license,
        "figures": dump(figures_to_data(case.figures)),
        # The legends again, one a line, for the search index (the figures column is JSON).
        "figure_legends": "\n".join(f.legend for f in case.figures if f.legend) or None,
        "keywords": dump(list(case.keywords)) if case.keywords else None,
        "acr_code": case.acr_code,
        "category": case.category,
        "diagnosis_by": case.diagnosis_by,
    }


def _row_to_case(row: dict[str, Any]) -> Case:
    def load(name: str) -> Any:
        return json.loads(row[name]) if row[name] else []

    return Case(
        source=row["source"],
        source_id=row["source_id"],
        title=row["title"],
        published=dt.date.fromisoformat(row["published"]) if row["published"] else None,
        section=row["section"],
        case_type=row["case_type"],
        authors=authors_from_data(load("authors")),
        affiliations=tuple(load("affiliations")),
        patient=Patient(age=row["age"], age_days=row["age_days"], sex=row["sex"]),
        areas_of_interest=tuple(load("areas_of_interest")),
        imaging_techniques=tuple(load("imaging_techniques")),
        clinical_history=row["clinical_history"] or "",
        imaging_findings=row["imaging_findings"] or "",
        discussion=_discussion_parts(row["discussion"] or "", load("discussion_outline")),
        differential_diagnosis=tuple(row["differential_diagnosis"].split("\n"))
        if row["differential_diagnosis"]
        else (),
        final_diagnosis=row["final_diagnosis"] or "",
        references=tuple(load("reference_list")),
        doi=row["doi"],
        issn=row["issn"],
        license=row["license"],
        figures=figures_from_data(load("figures")),
        keywords=tuple(load("keywords")),
        acr_code=row["acr_code"],
        category=row["category"],
        diagnosis_by=row["diagnosis_by"],
    )


def _discussion_columns(parts: tuple[DiscussionPart, ...]) -> tuple[str, str]:
    """The discussion as plain searchable text, and an outline to rebuild its parts exactly.

    The text is the blocks (each heading, then each paragraph of its part) joined by blank
    lines; the outline is ``[[heading, paragraph count], ...]``. Storing the text once, as a
    plain column, lets FTS5 index the table itself instead of a second copy.
    """
    blocks: list[str] = []
    outline: list[list[Any]] = []
    for part in parts:
        if part.heading is not None:
            blocks.append(part.heading)
        paragraphs = part.text.split("\n\n") if part.text else []
        blocks.extend(paragraphs)
        outline.append([part.heading, len(paragraphs)])
    return "\n\n".join(blocks), json.dumps(outline, ensure_ascii=False)


def _discussion_parts(text: str, outline: list[list[Any]]) -> tuple[DiscussionPart, ...]:
    blocks = text.split("\n\n") if text else []
    parts = []
    position = 0
    for heading, count in outline:
        if heading is not None:
            position += 1
        parts.append(DiscussionPart(heading, "\n\n".join(blocks[position : position + count])))
        position += count
    return tuple(parts)


def summary_from_row(row: tuple[Any, ...]) -> CaseSummary:
    return CaseSummary(
        id=CaseId(row[0]),
        source=row[1],
        source_id=row[2],
        title=row[3],
        section=row[4],
        published=dt.date.fromisoformat(row[5]) if row[5] else None,
        age=row[6],
        age_days=row[7],
        sex=row[8],
        final_diagnosis=row[9] or "",
    )
