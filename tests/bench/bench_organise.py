"""Sidebar counts of collections and tags at scale (issue 13, item 7: ≤ 20 ms after a change).

Builds a library of N cases (bare rows: the counts never read case text), 200 collections
(20 at the top, 9 under each), every case in one to C of them, and 2,000 tags, one to T on
each case; a hundred cases are in the trash. Then, after each of a few changes (a
case added to a collection, a case tagged), times `Library.collections()` (the tree with
direct counts and subtree totals) and `Library.tag_counts()`: kept up to date by those
changes themselves. After a case is trashed (a change that is not theirs) both count
afresh: timed as "recount".

Run: ``.venv/bin/python tests/bench/bench_organise.py [N [C [T]]]`` (defaults 100,000, 3, 5:
two memberships and three tags a case on average; ``100000 1 1`` files each case once).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop.model import CaseId
from desktop.store.library import Library
from desktop.store.records import new_uid, stamp

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def build(path: Path, n: int, most_in: int = 3, most_tags: int = 5, seed: int = 1) -> None:
    rng = random.Random(seed)
    moment = stamp(NOW)
    with Library.open(path) as library:
        tops = [library.create_collection(f"Top {i}", None, NOW) for i in range(20)]
        leaves = [library.create_collection(f"Sub {j}", top, NOW) for top in tops for j in range(9)]
        uids = tops + leaves
        conn = library._conn
        with library.transaction():
            conn.executemany(
                "INSERT INTO cases (source, source_id, title, content_hash, imported_at,"
                " updated_at, trashed_at) VALUES ('bench', ?, ?, '', ?, ?, ?)",
                (
                    (str(i), f"Case {i}", moment, moment, moment if i % 1000 == 0 else None)
                    for i in range(n)
                ),
            )
            conn.execute("DELETE FROM search_pending")
            members = []
            for i in range(n):
                for position, uid in enumerate(rng.sample(uids, rng.randint(1, most_in))):
                    members.append((new_uid(), moment, moment, "bench", str(i), uid, position))
            conn.executemany(
                "INSERT INTO collection_members (uid, created_at, updated_at, case_source,"
                " case_source_id, collection_uid, position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                members,
            )
            tags = [f"tag {k}" for k in range(2000)]
            conn.executemany(
                "INSERT INTO case_tags (uid, created_at, updated_at, case_source,"
                " case_source_id, tag) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (new_uid(), moment, moment, "bench", str(i), tag)
                    for i in range(n)
                    for tag in rng.sample(tags, rng.randint(1, most_tags))
                ),
            )
        conn.execute("ANALYZE")


def _ms(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str]) -> int:
    n, most_in, most_tags = [int(a) for a in argv] + [100_000, 3, 5][len(argv) :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "library.db"
        began = time.perf_counter()
        build(path, n, most_in, most_tags)
        print(
            f"built {n:,} cases (in 1-{most_in} collections, 1-{most_tags} tags each)"
            f" in {time.perf_counter() - began:.1f} s"
        )
        with Library.open(path) as library:
            tree = library.collections()
            print(f"{len(tree)} collections, {len(library.tag_counts())} tags")
            timings: dict[str, list[float]] = {
                name: []
                for name in ("collections()", "tag_counts()", "recount collections", "recount tags")
            }
            for round_ in range(20):
                case = CaseId(1 + round_ * 37)
                library.add_to_collection(tree[round_].uid, [case], NOW)
                timings["collections()"].append(_ms(library.collections))
                library.tag_cases([case], [f"fresh {round_}", "tag 7"], NOW)
                timings["tag_counts()"].append(_ms(library.tag_counts))
                library.untag_cases([case], ["tag 7"], NOW)
                timings["tag_counts()"].append(_ms(library.tag_counts))
                library.trash(CaseId(2 + round_ * 37))
                timings["recount collections"].append(_ms(library.collections))
                timings["recount tags"].append(_ms(library.tag_counts))
            for name, values in timings.items():
                values.sort()
                p95 = values[int(len(values) * 0.95) - 1]
                print(
                    f"{name:<20} median {statistics.median(values):6.1f} ms"
                    f"  p95 {p95:6.1f} ms  max {values[-1]:6.1f} ms"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
