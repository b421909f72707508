"""Rows of a long list read a page at a time, the pages used last kept (Anki's browser does
the same): the case list and the highlight browser hold only ids and read the rows shown."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TypeVar

Row = TypeVar("Row")
Id = TypeVar("Id")


def paged_row(
    pages: OrderedDict[int, list[Row | None]],
    ids: Sequence[Id],
    row: int,
    *,
    page_size: int,
    max_pages: int,
    load: Callable[[Sequence[Id]], list[Row | None]],
) -> Row | None:
    """Row `row` of the list whose ids are `ids`, reading its page with `load` (the rows of
    those ids, in their order, None where one is gone) unless `pages` holds it; at most
    `max_pages` pages are kept, the least recently used dropped first."""
    number = row // page_size
    page = pages.get(number)
    if page is None:
        start = number * page_size
        page = load(ids[start : start + page_size])
        pages[number] = page
        while len(pages) > max_pages:
            pages.popitem(last=False)
    else:
        pages.move_to_end(number)
    return page[row % page_size]
