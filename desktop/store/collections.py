"""Nested collections and the cases in them (tables ``collections`` and
``collection_members``, schema 8).

A collection is a library record; a case in a collection is a reader record naming the case
by identity (`desktop.store.records`). Deleting either leaves a tombstone; putting a case
back into a collection revives its newest tombstone there. The rules a unique index cannot
keep across merges are kept here: one live membership of a case in a collection, and no two
live sibling collections whose names differ only in case. Cases are ordered within a
collection by a REAL ``position``: a moved case takes the midpoint of its neighbours, and
the collection is renumbered only when that gap runs out. Callers pass case row ids and run
each change inside `Library.transaction()`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.model import CaseId, Collection
from desktop.store.reader_data import CASE_OF, _require
from desktop.store.records import CaseKey, clean_label, new_uid, stamp

#: The longest name a collection takes, in characters.
MAX_NAME = 100
#: The distance between positions when a collection's cases are numbered afresh.
STEP = 1024.0
#: Below this gap between two neighbours a midpoint no longer tells them apart reliably:
#: the collection is renumbered.
MIN_GAP = 1e-6

#: Live memberships joined to their case, out of the trash (members aliased `x`). The
#: case's id comes from the index on its identity and the trash from its own index: testing
#: `trashed_at` (the last column of a large row) would read each case's row to its end.
_ON_SHELF = f"collection_members x CROSS JOIN {CASE_OF} WHERE x.deleted_at IS NULL" + (
    " AND c.id NOT IN (SELECT id FROM cases WHERE trashed_at IS NOT NULL)"
)


def clean_name(name: str) -> str:
    """A collection's name as stored: trimmed, 1 to `MAX_NAME` characters, no control
    characters and no "/" (which separates the names of a path).

    Raises:
        ValueError: the name breaks one of those rules; the message says which.
    """
    cleaned = clean_label(name, "a collection name", MAX_NAME)
    if "/" in cleaned:
        raise ValueError(f"a collection name cannot hold '/' ({cleaned!r})")
    return cleaned


def split_path(path: str) -> list[str]:
    """A path "A/B/C" as its cleaned names, top first.

    Raises:
        ValueError: an empty path or a bad name in it.
    """
    return [clean_name(name) for name in path.split("/")]


def _same(first: str, second: str) -> bool:
    return first.casefold() == second.casefold()


def _children(conn: sqlite3.Connection, parent_uid: str | None) -> list[tuple[str, str]]:
    """The live collections directly under `parent_uid` (None: the top): (uid, name)."""
    rows = conn.execute(
        "SELECT uid, name FROM collections WHERE parent_uid IS ? AND deleted_at IS NULL"
        " ORDER BY position, id",
        (parent_uid,),
    )
    return [(str(row[0]), str(row[1])) for row in rows]


def _child_named(conn: sqlite3.Connection, parent_uid: str | None, name: str) -> str | None:
    for uid, held in _children(conn, parent_uid):
        if _same(held, name):
            return uid
    return None


def _live(conn: sqlite3.Connection, uid: str) -> tuple[str, str | None]:
    """A live collection's (name, parent uid).

    Raises:
        LookupError: there is no such live collection.
    """
    row = conn.execute(
        "SELECT name, parent_uid FROM collections WHERE uid = ? AND deleted_at IS NULL", (uid,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no collection {uid} in this library")
    return str(row[0]), row[1]


def path_of(conn: sqlite3.Connection, uid: str) -> str:
    """A live collection's path ("A/B/C")."""
    names: list[str] = []
    current: str | None = uid
    while current is not None and len(names) <= _MAX_DEPTH:
        name, current = _live(conn, current)
        names.append(name)
    return "/".join(reversed(names))


#: Deeper than this a parent chain must be a cycle (a merge could make one): stop there.
_MAX_DEPTH = 1000


def find(conn: sqlite3.Connection, path: str) -> str | None:
    """The uid of the live collection at `path` (names matched ignoring case), or None.

    Raises:
        ValueError: a malformed path.
    """
    parent: str | None = None
    for name in split_path(path):
        parent = _child_named(conn, parent, name)
        if parent is None:
            return None
    return parent


def resolve(conn: sqlite3.Connection, path: str, now: dt.datetime) -> tuple[str, bool]:
    """The uid of the collection at `path`, making the missing ones on the way.

    Returns:
        (uid, whether any collection was made).

    Raises:
        ValueError: a malformed path.
    """
    parent: str | None = None
    made = False
    for name in split_path(path):
        found = _child_named(conn, parent, name)
        if found is None:
            found = create(conn, parent, name, now)
            made = True
        parent = found
    assert parent is not None  # split_path never returns an empty list
    return parent, made


def _next_sibling_position(conn: sqlite3.Connection, parent_uid: str | None) -> float:
    row = conn.execute(
        "SELECT max(position) FROM collections WHERE parent_uid IS ? AND deleted_at IS NULL",
        (parent_uid,),
    ).fetchone()
    return (row[0] or 0.0) + STEP


def create(conn: sqlite3.Connection, parent_uid: str | None, name: str, now: dt.datetime) -> str:
    """Makes a collection under `parent_uid` (None: at the top), last among its siblings;
    returns its uid.

    Raises:
        LookupError: no such parent. ValueError: a bad name, or a sibling has it already.
    """
    cleaned = clean_name(name)
    if parent_uid is not None:
        _live(conn, parent_uid)
    _refuse_clash(conn, parent_uid, cleaned, None)
    moment = stamp(now)
    uid = new_uid()
    conn.execute(
        "INSERT INTO collections (uid, created_at, updated_at, name, parent_uid, position)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (uid, moment, moment, cleaned, parent_uid, _next_sibling_position(conn, parent_uid)),
    )
    return uid


def _refuse_clash(
    conn: sqlite3.Connection, parent_uid: str | None, name: str, own: str | None
) -> None:
    clash = _child_named(conn, parent_uid, name)
    if clash is not None and clash != own:
        where = "at the top" if parent_uid is None else f"in {path_of(conn, parent_uid)}"
        raise ValueError(f"there is a collection named {name!r} {where} already")


def rename(conn: sqlite3.Connection, uid: str, name: str, now: dt.datetime) -> bool:
    """Renames a collection; returns whether the name changed.

    Raises:
        LookupError: no such collection. ValueError: a bad name, or a sibling has it.
    """
    held, parent = _live(conn, uid)
    cleaned = clean_name(name)
    if cleaned == held:
        return False
    _refuse_clash(conn, parent, cleaned, uid)
    moment = stamp(now)
    conn.execute(
        "UPDATE collections SET name = ?, updated_at = ? WHERE uid = ?", (cleaned, moment, uid)
    )
    return True


def _descendants(conn: sqlite3.Connection, uid: str) -> list[str]:
    """The live collections under `uid`, at any depth (not `uid` itself)."""
    rows = conn.execute(
        "WITH RECURSIVE under(uid, depth) AS (SELECT ?, 0 UNION SELECT c.uid, u.depth + 1"
        " FROM collections c JOIN under u ON c.parent_uid = u.uid"
        f" WHERE c.deleted_at IS NULL AND u.depth < {_MAX_DEPTH})"
        " SELECT uid FROM under WHERE uid != ?",
        (uid, uid),
    )
    return [str(row[0]) for row in rows]


def move(conn: sqlite3.Connection, uid: str, parent_uid: str | None, now: dt.datetime) -> bool:
    """Moves a collection (with what is under it) under `parent_uid` (None: to the top),
    last among its new siblings; returns whether it moved.

    Raises:
        LookupError: no such collection or parent.
        ValueError: the parent is the collection itself or under it, or a sibling there
            has its name.
    """
    name, held = _live(conn, uid)
    if parent_uid == held:
        return False
    if parent_uid is not None:
        _live(conn, parent_uid)
        if parent_uid == uid or parent_uid in _descendants(conn, uid):
            raise ValueError(
                f"cannot move {path_of(conn, uid)} into itself or a collection inside it"
            )
    _refuse_clash(conn, parent_uid, name, uid)
    moment = stamp(now)
    conn.execute(
        "UPDATE collections SET parent_uid = ?, position = ?, updated_at = ? WHERE uid = ?",
        (parent_uid, _next_sibling_position(conn, parent_uid), moment, uid),
    )
    return True


def delete(conn: sqlite3.Connection, uid: str, now: dt.datetime) -> list[CaseId]:
    """Deletes a collection and every collection under it (tombstones), and takes the cases
    out of them (their memberships become tombstones); the cases themselves stay.

    Returns:
        The cases (in the library) that were in them.

    Raises:
        LookupError: no such collection.
    """
    _live(conn, uid)
    doomed = [uid, *_descendants(conn, uid)]
    moment = stamp(now)
    affected: set[CaseId] = set()
    for start in range(0, len(doomed), 500):
        chunk = doomed[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        affected.update(
            CaseId(row[0])
            for row in conn.execute(
                f"SELECT c.id FROM collection_members x JOIN {CASE_OF}"
                f" WHERE x.deleted_at IS NULL AND x.collection_uid IN ({marks})",
                chunk,
            )
        )
        conn.execute(
            "UPDATE collection_members SET deleted_at = ?, updated_at = ?"
            f" WHERE deleted_at IS NULL AND collection_uid IN ({marks})",
            (moment, moment, *chunk),
        )
        conn.execute(
            "UPDATE collections SET deleted_at = ?, updated_at = ?"
            f" WHERE deleted_at IS NULL AND uid IN ({marks})",
            (moment, moment, *chunk),
        )
    return sorted(affected)


def _membership(conn: sqlite3.Connection, uid: str, key: CaseKey) -> tuple[int, str | None] | None:
    """A case's record in a collection: (row id, deleted_at), the live one if there is one,
    else the newest tombstone (which adding the case again revives)."""
    row = conn.execute(
        "SELECT id, deleted_at FROM collection_members WHERE collection_uid = ?"
        " AND case_source = ? AND case_source_id = ?"
        " ORDER BY deleted_at IS NOT NULL, updated_at DESC, id DESC LIMIT 1",
        (uid, *key),
    ).fetchone()
    return None if row is None else (int(row[0]), row[1])


def _last_position(conn: sqlite3.Connection, uid: str) -> float:
    row = conn.execute(
        "SELECT max(position) FROM collection_members"
        " WHERE collection_uid = ? AND deleted_at IS NULL",
        (uid,),
    ).fetchone()
    return float(row[0] or 0.0)


def add_cases(
    conn: sqlite3.Connection, uid: str, case_ids: Iterable[CaseId], now: dt.datetime
) -> list[CaseId]:
    """Puts cases at the end of a collection, in the order given; cases already in it stay
    where they are.

    Returns:
        The cases added.

    Raises:
        LookupError: no such collection or case (nothing is added).
    """
    _live(conn, uid)
    wanted = list(dict.fromkeys(case_ids))
    keys = [_require(conn, case_id) for case_id in wanted]
    moment = stamp(now)
    position = _last_position(conn, uid)
    added: list[CaseId] = []
    for case_id, key in zip(wanted, keys, strict=True):
        found = _membership(conn, uid, key)
        if found is not None and found[1] is None:
            continue
        position += STEP
        if found is None:
            conn.execute(
                "INSERT INTO collection_members (uid, created_at, updated_at, case_source,"
                " case_source_id, collection_uid, position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (new_uid(), moment, moment, *key, uid, position),
            )
        else:
            conn.execute(
                "UPDATE collection_members SET deleted_at = NULL, updated_at = ?, position = ?"
                " WHERE id = ?",
                (moment, position, found[0]),
            )
        added.append(case_id)
    return added


def remove_cases(
    conn: sqlite3.Connection, uid: str, case_ids: Iterable[CaseId], now: dt.datetime
) -> list[CaseId]:
    """Takes cases out of a collection (their memberships become tombstones).

    Returns:
        The cases that were in it.

    Raises:
        LookupError: no such collection or case.
    """
    _live(conn, uid)
    moment = stamp(now)
    removed: list[CaseId] = []
    for case_id in dict.fromkeys(case_ids):
        key = _require(conn, case_id)
        cursor = conn.execute(
            "UPDATE collection_members SET deleted_at = ?, updated_at = ?"
            " WHERE collection_uid = ? AND case_source = ? AND case_source_id = ?"
            " AND deleted_at IS NULL",
            (moment, moment, uid, *key),
        )
        if cursor.rowcount:
            removed.append(case_id)
    return removed


def _ordered(conn: sqlite3.Connection, uid: str) -> list[tuple[int, CaseKey, float]]:
    """A collection's live memberships in order: (row id, case identity, position)."""
    rows = conn.execute(
        "SELECT id, case_source, case_source_id, position FROM collection_members"
        " WHERE collection_uid = ? AND deleted_at IS NULL ORDER BY position, id",
        (uid,),
    )
    return [(int(row[0]), (str(row[1]), str(row[2])), float(row[3])) for row in rows]


def reorder(
    conn: sqlite3.Connection,
    uid: str,
    case_id: CaseId,
    before: CaseId | None,
    now: dt.datetime,
) -> bool:
    """Moves a case of a collection just before another of its cases (None: to the end);
    returns whether its place changed.

    The moved case takes the midpoint of its new neighbours' positions, so no other row is
    written, unless the gap is too small to split: then the whole collection is numbered
    afresh (every row's ``updated_at`` moves, as its position changed).

    Raises:
        LookupError: no such collection, or either case is not in it.
        ValueError: a case placed before itself.
    """
    _live(conn, uid)
    key = _require(conn, case_id)
    target = None if before is None else _require(conn, before)
    if target == key:
        raise ValueError("a case cannot be placed before itself")
    members = _ordered(conn, uid)
    keys = [member[1] for member in members]
    if key not in keys:
        raise LookupError(f"case {key[0]}:{key[1]} is not in {path_of(conn, uid)}")
    if target is not None and target not in keys:
        raise LookupError(f"case {target[0]}:{target[1]} is not in {path_of(conn, uid)}")
    at = keys.index(key)
    moving = members.pop(at)
    rest = [member[1] for member in members]
    slot = len(members) if target is None else rest.index(target)
    if slot == at:
        return False
    moment = stamp(now)
    low = members[slot - 1][2] if slot > 0 else None
    high = members[slot][2] if slot < len(members) else None
    if high is None:
        position = (low if low is not None else 0.0) + STEP
    elif low is None:
        position = high - STEP
    else:
        position = (low + high) / 2
    if low is not None and high is not None and (high - low < MIN_GAP or not low < position < high):
        members.insert(slot, moving)
        for number, (row, _key, _old) in enumerate(members, start=1):
            conn.execute(
                "UPDATE collection_members SET position = ?, updated_at = ? WHERE id = ?",
                (number * STEP, moment, row),
            )
        return True
    conn.execute(
        "UPDATE collection_members SET position = ?, updated_at = ? WHERE id = ?",
        (position, moment, moving[0]),
    )
    return True


def member_ids(conn: sqlite3.Connection, uid: str, *, nested: bool = False) -> list[CaseId]:
    """The cases in a collection (in the library, out of the trash), in its order; with
    `nested`, then those of the collections under it (depth first), each case once.

    Raises:
        LookupError: no such collection.
    """
    _live(conn, uid)
    order = [uid, *(_subtree_order(conn, uid) if nested else [])]
    found: dict[CaseId, None] = {}
    for collection in order:
        rows = conn.execute(
            f"SELECT c.id FROM {_ON_SHELF} AND x.collection_uid = ? ORDER BY x.position, x.id",
            (collection,),
        )
        for row in rows:
            found.setdefault(CaseId(row[0]), None)
    return list(found)


def _subtree_order(conn: sqlite3.Connection, uid: str) -> list[str]:
    """The collections under `uid`, depth first in sibling order."""
    ordered: list[str] = []
    stack = [child for child, _name in reversed(_children(conn, uid))]
    while stack and len(ordered) < 100_000:
        current = stack.pop()
        ordered.append(current)
        stack.extend(child for child, _name in reversed(_children(conn, current)))
    return ordered


def direct_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many cases (out of the trash) each collection holds directly.

    Counted from the partial index ``collection_members_live`` alone, then less the
    memberships of trashed cases (found from the trash, which is small): joining every
    membership to its case costs a second at 100,000 cases. A live membership always names
    a case in the library (adding one requires the case, and emptying the trash makes its
    memberships tombstones), so the index count is exact.
    """
    counts = {
        str(row[0]): int(row[1])
        for row in conn.execute(
            "SELECT collection_uid, count(*) FROM collection_members INDEXED BY"
            " collection_members_live WHERE deleted_at IS NULL GROUP BY collection_uid"
        )
    }
    for uid, trashed in conn.execute(
        "SELECT x.collection_uid, count(*) FROM cases c CROSS JOIN collection_members x"
        " ON x.case_source = c.source AND x.case_source_id = c.source_id"
        " WHERE c.trashed_at IS NOT NULL AND x.deleted_at IS NULL GROUP BY 1"
    ):
        counts[str(uid)] = counts.get(str(uid), 0) - int(trashed)
    return counts


@dataclass(slots=True)
class Counts:
    """Every collection's counts, as `tree` shows them (a caller may keep them up to date).

    Attributes:
        direct: uid -> cases out of the trash directly in it (`direct_counts`).
        totals: uid -> cases out of the trash in it or in any collection under it, each
            once (`subtree_totals`).
    """

    direct: dict[str, int]
    totals: dict[str, int]


def count_all(conn: sqlite3.Connection) -> Counts:
    """Every collection's counts, counted now."""
    direct = direct_counts(conn)
    return Counts(direct, subtree_totals(conn, direct))


def _parents(conn: sqlite3.Connection) -> dict[str, str | None]:
    """Every live collection's parent as the tree shows it (None: at the top, also when
    its parent is not live, which a merge can leave)."""
    rows = conn.execute("SELECT uid, parent_uid FROM collections WHERE deleted_at IS NULL")
    held = {str(uid): parent for uid, parent in rows}
    return {uid: (str(parent) if parent in held else None) for uid, parent in held.items()}


def _chains(parents: dict[str, str | None]) -> dict[str, tuple[str, ...]]:
    """Each live collection with the collections above it: itself first, then up to the
    top (a cycle a merge made is followed once round)."""
    chains: dict[str, tuple[str, ...]] = {}
    for uid, parent in parents.items():
        chain = [uid]
        current = parent
        while current is not None and current not in chain and len(chain) <= _MAX_DEPTH:
            chain.append(current)
            current = parents[current]
        chains[uid] = tuple(chain)
    return chains


def subtree_totals(conn: sqlite3.Connection, direct: dict[str, int]) -> dict[str, int]:
    """How many cases out of the trash each live collection holds, itself or in any
    collection under it, each case once.

    A collection with none under it holds its direct count. For the others, the cases of
    their subtree are gathered from the index of live memberships (each collection's read
    once) and counted once each, less the trashed ones among them (the trash is small).
    This reads every membership in a nested collection (about 1 µs each, 0.2 s for 200,000)
    and is paid only when the counts are not kept (see `Library._counts`).
    """
    chains = _chains(_parents(conn))
    under: dict[str, list[str]] = {}
    for uid, chain in chains.items():
        for above in chain:
            under.setdefault(above, []).append(uid)
    totals = {uid: direct.get(uid, 0) for uid in chains}
    nested = [uid for uid, members in under.items() if len(members) > 1]
    if not nested:
        return totals
    cases_in: dict[str, list[tuple[str, str]]] = {}
    for uid in nested:
        gathered: set[tuple[str, str]] = set()
        for member in under[uid]:
            if member not in cases_in:
                cases_in[member] = conn.execute(
                    "SELECT case_source, case_source_id FROM collection_members"
                    " INDEXED BY collection_members_live"
                    " WHERE collection_uid = ? AND deleted_at IS NULL",
                    (member,),
                ).fetchall()
            gathered.update(cases_in[member])
        totals[uid] = len(gathered)
    trashed = [CaseId(row[0]) for row in conn.execute(
        "SELECT id FROM cases WHERE trashed_at IS NOT NULL"
    )]  # fmt: skip
    for above_all in covering(conn, trashed).values():
        for above in above_all:
            if len(under[above]) > 1:
                totals[above] -= 1
    return totals


def filed(conn: sqlite3.Connection, case_ids: Iterable[CaseId]) -> dict[CaseId, list[str]]:
    """The collections (uids) each case is directly in: its live memberships (the trash is
    not looked at)."""
    wanted = list(dict.fromkeys(case_ids))
    found: dict[CaseId, list[str]] = {case_id: [] for case_id in wanted}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for case_id, uid in conn.execute(
            "SELECT c.id, x.collection_uid FROM cases c CROSS JOIN collection_members x"
            " ON x.case_source = c.source AND x.case_source_id = c.source_id"
            f" WHERE x.deleted_at IS NULL AND c.id IN ({marks})",
            chunk,
        ):
            found[CaseId(case_id)].append(str(uid))
    return found


def covering(conn: sqlite3.Connection, case_ids: Iterable[CaseId]) -> dict[CaseId, set[str]]:
    """For each case, the live collections whose total counts it: those it is directly in
    and every collection above them (the trash is not looked at)."""
    chains = _chains(_parents(conn))
    return {
        case_id: {above for uid in uids for above in chains.get(uid, ())}
        for case_id, uids in filed(conn, case_ids).items()
    }


def shift(conn: sqlite3.Connection, counts: Counts, case_ids: Iterable[CaseId], step: int) -> None:
    """Brings kept counts up to date after cases left the trash (`step` 1) or went into it
    (-1): their memberships count again, or no longer."""
    wanted = list(dict.fromkeys(case_ids))
    for uids in filed(conn, wanted).values():
        for uid in uids:
            counts.direct[uid] = counts.direct.get(uid, 0) + step
    for above_all in covering(conn, wanted).values():
        for above in above_all:
            counts.totals[above] = counts.totals.get(above, 0) + step


def tree(conn: sqlite3.Connection, counts: Counts | None = None) -> list[Collection]:
    """Every live collection, depth first in sibling order, with its counts: `count` the
    cases directly in it, `total` the cases in it or in any collection under it, each once
    (a case filed in two of them counts once; `member_ids` with `nested` lists them).

    A collection whose parent is not live (a merge can leave one so) is shown at the top.

    Args:
        counts: `count_all` as a caller keeps them up to date (None: count now).
    """
    rows = conn.execute(
        "SELECT uid, name, parent_uid FROM collections WHERE deleted_at IS NULL"
        " ORDER BY position, id"
    ).fetchall()
    names = {str(row[0]): str(row[1]) for row in rows}
    children: dict[str | None, list[str]] = {}
    parents: dict[str, str | None] = {}
    for uid, _name, held in rows:
        parent = held if held in names else None
        parents[str(uid)] = parent
        children.setdefault(parent, []).append(str(uid))
    if counts is None:
        counts = count_all(conn)
    found: list[Collection] = []
    seen: set[str] = set()

    def walk(parent: str | None, prefix: str) -> None:
        """Adds the collections under `parent`."""
        for uid in children.get(parent, []):
            if uid in seen:  # a cycle a merge made: each collection once
                continue
            seen.add(uid)
            path = f"{prefix}{names[uid]}"
            count = counts.direct.get(uid, 0)
            total = counts.totals.get(uid, count)
            found.append(Collection(uid, names[uid], parents[uid], path, count, total))
            walk(uid, path + "/")

    walk(None, "")
    return found


def shelved_ids(conn: sqlite3.Connection, case_ids: Iterable[CaseId]) -> list[CaseId]:
    """Those of the cases that are in the library and out of the trash."""
    wanted = list(dict.fromkeys(case_ids))
    found: list[CaseId] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found += [
            CaseId(row[0])
            for row in conn.execute(
                f"SELECT id FROM cases WHERE trashed_at IS NULL AND id IN ({marks})", chunk
            )
        ]
    return found


def shelved(conn: sqlite3.Connection, case_ids: Iterable[CaseId]) -> int:
    """How many of the cases are in the library and out of the trash."""
    return len(shelved_ids(conn, case_ids))


def collections_of(conn: sqlite3.Connection, case_id: CaseId) -> list[str]:
    """The uids of the live collections a case is in (in any order)."""
    key = _require(conn, case_id)
    rows = conn.execute(
        "SELECT DISTINCT x.collection_uid FROM collection_members x JOIN collections k"
        " ON k.uid = x.collection_uid AND k.deleted_at IS NULL"
        " WHERE x.case_source = ? AND x.case_source_id = ? AND x.deleted_at IS NULL",
        key,
    )
    return [str(row[0]) for row in rows]
