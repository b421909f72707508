"""The registry of the reader's own data, for the data-safety tests (SAFETY.md, section A).

To cover a new kind of user data, add one Kind to KINDS: the crash tests (test_crash.py) and
the disk-full tests (test_disk_full.py) then write it, kill or starve the writer, and check
that every acknowledged record survived.

A Kind knows three things:

- `plan(key, i)`: the record its i-th write on the case `key` ("source:source_id") makes, as
  plain JSON-able values (a str, or a (key, text) pair), known *before* the write starts;
- `write(library, case_id, i)`: makes that write through the store's own code (the Library
  methods the app and the command line use), committed when it returns; returns the record
  as JSON text (`record_text`), the "description" a writer prints after the commit;
- `digest(library)`: the set of records of this kind the library holds now.

`latest_wins` marks kinds where a later write on the same case replaces the earlier record
(a note has one body); for the others records accumulate (a kept version, a bookmark, a
reading, a trashed case), so every acknowledged record must still be there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import desktop.query  # noqa: F401  (see _saved_write)
from desktop.model import CaseFilter, CaseId
from desktop.store.library import Library

#: A record: a case key, or a (case key, text) pair.
Record = str | tuple[str, str]
Digest = dict[str, frozenset[Record]]


@dataclass(frozen=True)
class Kind:
    """One kind of user data; see the module docstring."""

    name: str
    plan: Callable[[str, int], Record]
    write: Callable[[Library, CaseId, int], str]
    digest: Callable[[Library], frozenset[Record]]
    latest_wins: bool = False


def record_text(record: Record) -> str:
    """A record as one line of JSON (what a writer prints after `done <kind>`)."""
    return json.dumps(record, ensure_ascii=False)


def parse_record(text: str) -> Record:
    value = json.loads(text)
    if isinstance(value, list):
        key, body = value
        return (str(key), str(body))
    return str(value)


# --- the cases of a library ------------------------------------------------------------------


def case_keys(library: Library) -> dict[CaseId, str]:
    """Every case of the library, trashed ones included: id -> "source:source_id"."""
    ids = library.case_ids(CaseFilter()) + library.trashed_ids()
    return {row.summary.id: row.summary.key for row in library.rows(ids)}


def _key(library: Library, case_id: CaseId) -> str:
    (row,) = library.rows([case_id])
    return row.summary.key


# --- the kinds ---------------------------------------------------------------------------------
# Texts carry non-ASCII letters (2- and 3-byte UTF-8) so a torn write would show.


def _note_plan(key: str, i: int) -> Record:
    return (key, f"note {i} on {key}: ground-glass opacité → 5 mm°")


def _note_write(library: Library, case_id: CaseId, i: int) -> str:
    record = _note_plan(_key(library, case_id), i)
    library.save_note(case_id, record[1])
    return record_text(record)


def _note_digest(library: Library) -> frozenset[Record]:
    found: set[Record] = set()
    for case_id, key in case_keys(library).items():
        note = library.note(case_id)
        if note is not None:
            found.add((key, note.body))
    return frozenset(found)


def _version_plan(key: str, i: int) -> Record:
    return (key, f"version {i} of {key}: Läsion ≤ 2 cm")


def _version_write(library: Library, case_id: CaseId, i: int) -> str:
    """Saves the planned text, then a revision of it: the planned text becomes a version."""
    record = _version_plan(_key(library, case_id), i)
    library.save_note(case_id, record[1], keep_version=True)
    library.save_note(case_id, record[1] + " (revised)", keep_version=True)
    return record_text(record)


def _version_digest(library: Library) -> frozenset[Record]:
    return frozenset(
        (key, version.body)
        for case_id, key in case_keys(library).items()
        for version in library.note_versions(case_id)
    )


def _key_plan(key: str, _i: int) -> Record:
    return key


def _bookmark_write(library: Library, case_id: CaseId, i: int) -> str:
    library.set_bookmark(case_id, True)
    return record_text(_key_plan(_key(library, case_id), i))


def _bookmark_digest(library: Library) -> frozenset[Record]:
    keys = case_keys(library)
    return frozenset(keys[case_id] for case_id in library.bookmarked_ids())


def _reading_write(library: Library, case_id: CaseId, i: int) -> str:
    library.mark_read(case_id)
    return record_text(_key_plan(_key(library, case_id), i))


def _reading_digest(library: Library) -> frozenset[Record]:
    keys = case_keys(library)
    return frozenset(row.summary.key for row in library.rows(list(keys)) if row.read)


def _trash_write(library: Library, case_id: CaseId, i: int) -> str:
    library.trash(case_id)
    return record_text(_key_plan(_key(library, case_id), i))


def _trash_digest(library: Library) -> frozenset[Record]:
    keys = case_keys(library)
    return frozenset(keys[case_id] for case_id in library.trashed_ids())


def _highlight_plan(key: str, i: int) -> Record:
    return (key, f"highlight {i} on {key}: Hämangiom → «typisch»")


def _highlight_write(library: Library, case_id: CaseId, i: int) -> str:
    """Highlights the first word of the case's title, the planned text as its comment."""
    record = _highlight_plan(_key(library, case_id), i)
    library.add_highlight(case_id, "title", 0, 4, colour="red", comment=record[1], tags=["ß"])
    return record_text(record)


def _highlight_digest(library: Library) -> frozenset[Record]:
    return frozenset(
        (key, highlight.comment)
        for case_id, key in case_keys(library).items()
        for highlight in library.highlights(case_id)
    )


def _collection_plan(key: str, i: int) -> Record:
    return (key, f"Fälle/Thorax № {i}")


def _collection_write(library: Library, case_id: CaseId, i: int) -> str:
    """Puts the case into the planned (nested) collection, made on the way."""
    record = _collection_plan(_key(library, case_id), i)
    uid, _ = library.make_collection_path(record[1])
    library.add_to_collection(uid, [case_id])
    return record_text(record)


def _collection_digest(library: Library) -> frozenset[Record]:
    return frozenset(
        (key, collection.path)
        for case_id, key in case_keys(library).items()
        for collection in library.collections_of(case_id)
    )


def _tag_plan(key: str, i: int) -> Record:
    return (key, f"tag {i} Hämangiom ≥ 2")


def _tag_write(library: Library, case_id: CaseId, i: int) -> str:
    record = _tag_plan(_key(library, case_id), i)
    library.tag_cases([case_id], [record[1]])
    return record_text(record)


def _tag_digest(library: Library) -> frozenset[Record]:
    return frozenset(
        (key, tag)
        for case_id, key in case_keys(library).items()
        for tag in library.case_tags(case_id)
    )


def _saved_plan(key: str, i: int) -> Record:
    return (key, f"Suche {i} · Hämangiom ≥ 2 cm · {key}")


def _saved_write(library: Library, case_id: CaseId, i: int) -> str:
    """Saves a search named for the case (a saved search belongs to no case: its name
    carries the key, so the digest can tell whose write it was).

    The search language it checks the query with is imported with this module, as a window
    has it loaded by its first search: loaded lazily it would cost the crash test's writer
    some 20 ms inside its first round, which the kill may then cut short.
    """
    record = _saved_plan(_key(library, case_id), i)
    library.save_search(record[1], f'"Hämangiom {i}" is:unread', replace=True)
    return record_text(record)


def _saved_digest(library: Library) -> frozenset[Record]:
    return frozenset(
        (search.name.rsplit(" · ", 1)[-1], search.name) for search in library.saved_searches()
    )


KINDS: list[Kind] = [
    Kind("notes", _note_plan, _note_write, _note_digest, latest_wins=True),
    Kind("note-versions", _version_plan, _version_write, _version_digest),
    Kind("bookmarks", _key_plan, _bookmark_write, _bookmark_digest),
    Kind("reading", _key_plan, _reading_write, _reading_digest),
    Kind("trash", _key_plan, _trash_write, _trash_digest),
    Kind("highlights", _highlight_plan, _highlight_write, _highlight_digest),
    Kind("collections", _collection_plan, _collection_write, _collection_digest),
    Kind("tags", _tag_plan, _tag_write, _tag_digest),
    Kind("saved-searches", _saved_plan, _saved_write, _saved_digest),
]
KIND_BY_NAME = {kind.name: kind for kind in KINDS}


def digest(library: Library) -> Digest:
    """The user-data digest: every kind's records."""
    return {kind.name: kind.digest(library) for kind in KINDS}


def oracle(path: Path) -> tuple[list[str], Digest]:
    """Opens the library as the app would (never creating it) and returns what every
    data-safety test checks: the problems `check()` finds (integrity, foreign keys, search
    index; empty when sound) and the user-data digest."""
    with Library.open(path, create=False) as library:
        return library.check(), digest(library)


def case_pools(library: Library) -> dict[str, list[tuple[CaseId, str]]]:
    """The cases split between the kinds, round robin by key, so that two kinds never write
    the same case (a note and its versions would otherwise mix with the notes kind)."""
    ordered = sorted(case_keys(library).items(), key=lambda item: item[1])
    return {kind.name: ordered[n :: len(KINDS)] for n, kind in enumerate(KINDS)}
