"""The `lightbox` command: with no command, the reading window; `import`, `list`, `search` and
`show` do the same work headless, over the same store.

Exit status: 0 success; 1 an import had failures; 2 a usage error, an unknown case, or a
library that cannot be used — always one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from desktop import __version__
from desktop.model import Case, CaseFilter, CaseSummary
from desktop.store.errors import LibraryError
from desktop.store.library import Library

EXIT_FAILURES = 1
EXIT_ERROR = 2


class UsageError(Exception):
    """Bad arguments or an unknown case: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--library",
        metavar="FILE",
        type=Path,
        default=argparse.SUPPRESS,
        help="library file to use (default: library.db in the data folder)",
    )
    parser = _Parser(
        prog="lightbox",
        description="Lightbox: an offline reader for radiology teaching cases.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"lightbox {__version__}")
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        type=Path,
        help="open the window, save a PNG of it to FILE and quit",
    )
    parser.add_argument("--case", metavar="ID", help="open the window on this case")
    parser.add_argument(
        "--theme",
        choices=["system", "light", "dark"],
        default="system",
        help="light or dark look (default: follow the system)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    importing = commands.add_parser(
        "import", parents=[common], help="import case files, folders or zip archives"
    )
    importing.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    listing = commands.add_parser("list", parents=[common], help="list the cases")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--sort", default="title", help="title, section, age, published, ...")
    listing.add_argument("--reverse", action="store_true", help="sort in descending order")

    searching = commands.add_parser("search", parents=[common], help="full-text search")
    searching.add_argument("query")
    searching.add_argument("--limit", type=_positive_int, default=20, metavar="N")
    searching.add_argument("--json", action="store_true", help="print a JSON array")

    showing = commands.add_parser("show", parents=[common], help="show one case")
    showing.add_argument("id", metavar="ID", help="SOURCE:ID, e.g. eurorad:8455")
    showing.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except UsageError as error:
        return _fail(f"error: {error}")
    except LibraryError as error:
        return _fail(str(error))
    except BrokenPipeError:
        # The reader piped us into `head`; stop quietly.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    explicit = getattr(args, "library", None)
    if args.command is None:
        from desktop.ui.app import run

        return run(explicit, screenshot=args.screenshot, case_key=args.case, scheme=args.theme)
    if args.command == "import":
        with _open(explicit, create=True) as library:
            return _import(library, args.paths)
    with _open(explicit, create=False) as library:
        if args.command == "show":
            return _show(library, args.id, as_json=args.json)
        if args.command == "search":
            return _search(library, args.query, args.limit, as_json=args.json)
        try:
            ids = library.case_ids(CaseFilter(), args.sort, args.reverse)
        except ValueError as error:
            raise UsageError(str(error)) from None
        summaries = [row.summary for row in library.rows(ids)]
        if args.json:
            _print_json([_summary_json(s) for s in summaries])
        else:
            for summary in summaries:
                print(_summary_line(summary))
        return 0


def _open(explicit: Path | None, *, create: bool) -> Library:
    """Opens the named library, or the default one (created and seeded on first use)."""
    from desktop.library_setup import open_library

    library, seeded = open_library(explicit, create=create)
    if seeded is not None:
        print(f"New library at {library.path}, seeded with {seeded.summary()}.", file=sys.stderr)
        for path, reason in seeded.failed:
            print(f"FAILED {path}: {reason}", file=sys.stderr)
    return library


def _import(library: Library, paths: list[Path]) -> int:
    from desktop.importer import import_paths

    report = import_paths(library, paths)
    for path, reason in report.failed:
        print(f"FAILED {path}: {reason}")
    for path, message in report.warnings:
        print(f"warning: {path}: {message}")
    print(report.summary())
    return EXIT_FAILURES if report.failed else 0


def _show(library: Library, key: str, *, as_json: bool) -> int:
    try:
        case_id = library.resolve(key)
    except (ValueError, LookupError) as error:
        raise UsageError(str(error).strip("'\"")) from None
    case = library.get_case(case_id)
    if case is None:
        raise UsageError(f"no case {key} in {library.path}")
    if as_json:
        _print_json(case_json(case))
    else:
        print(case_text(case))
    return 0


def _search(library: Library, query: str, limit: int, *, as_json: bool) -> int:
    hits = library.search(query, limit)
    if as_json:
        _print_json(
            [
                {**_summary_json(hit.summary), "snippet": hit.snippet, "score": round(hit.score, 4)}
                for hit in hits
            ]
        )
        return 0
    if not hits:
        print(f"No case matches {query!r}.")
    for hit in hits:
        print(_summary_line(hit.summary))
        print(f"    {hit.snippet}")
    return 0


def case_json(case: Case) -> dict[str, Any]:
    """The `show --json` object: exactly these keys, text with blank lines between paragraphs."""
    return {
        "id": case.key,
        "source": case.source,
        "source_id": case.source_id,
        "title": case.title,
        "published": case.published.isoformat() if case.published else None,
        "section": case.section,
        "case_type": case.case_type,
        "authors": [{"name": a.name, "affiliations": list(a.affiliations)} for a in case.authors],
        "affiliations": list(case.affiliations),
        "patient": {
            "age": case.patient.age,
            "age_days": case.patient.age_days,
            "sex": case.patient.sex,
        },
        "areas_of_interest": list(case.areas_of_interest),
        "imaging_techniques": list(case.imaging_techniques),
        "clinical_history": case.clinical_history,
        "imaging_findings": case.imaging_findings,
        "discussion": case.discussion_text,
        "differential_diagnosis": list(case.differential_diagnosis),
        "final_diagnosis": case.final_diagnosis,
        "references": list(case.references),
        "doi": case.doi,
        "issn": case.issn,
        "license": case.license,
        "figures": [{"label": f.label, "legend": f.legend, "image": f.image} for f in case.figures],
    }


def case_text(case: Case) -> str:
    """A case as plain text for the terminal."""
    facts = [
        case.section,
        ", ".join(p for p in (case.patient.age, case.patient.sex) if p),
        f"published {case.published.isoformat()}" if case.published else None,
        case.key,
    ]
    lines = [case.title, " · ".join(f for f in facts if f), ""]
    if case.authors:
        lines += [", ".join(a.name for a in case.authors), ""]
    sections = (
        ("Clinical History", case.clinical_history),
        ("Imaging Findings", case.imaging_findings),
        ("Discussion", case.discussion_text),
        ("Differential Diagnosis", "\n".join(f"- {d}" for d in case.differential_diagnosis)),
        ("Final Diagnosis", case.final_diagnosis),
        ("References", "\n".join(case.references)),
    )
    for heading, text in sections:
        if text:
            lines += [heading.upper(), text, ""]
    info = [f"{k}: {v}" for k, v in (("DOI", case.doi), ("License", case.license)) if v]
    lines += info
    return "\n".join(lines).rstrip()


def _summary_json(summary: CaseSummary) -> dict[str, Any]:
    return {
        "id": summary.key,
        "title": summary.title,
        "section": summary.section,
        "published": summary.published.isoformat() if summary.published else None,
        "age": summary.age,
        "sex": summary.sex,
        "final_diagnosis": summary.final_diagnosis,
    }


def _summary_line(summary: CaseSummary) -> str:
    patient = ", ".join(p for p in (summary.age, summary.sex) if p)
    extra = " · ".join(p for p in (summary.section, patient) if p)
    return f"{summary.key:<20} {summary.title}" + (f"  ({extra})" if extra else "")


def _print_json(value: object) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _fail(message: str) -> int:
    print(f"lightbox: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
