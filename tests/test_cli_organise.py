"""`lightbox collection add|remove|list`, `tag`, `untag`, `tags` and `saved`, run as the processes
scripts run: exact forms, JSON shapes, one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.store.library import Library
from tests.tools import cli_fails, cli_ok

ONE, TWO, THREE = "lightbox:chest-01", "lightbox:chest-02", "lightbox:chest-03"


@pytest.fixture
def lib(samples_file: Path) -> Path:
    return samples_file


def test_collection_add_nests_keeps_order_and_lists(lib: Path) -> None:
    said = cli_ok(lib, "collection", "add", "Boards/Chest", TWO, ONE)
    assert said == "Added 2 cases to Boards/Chest (a new collection).\n"
    cli_ok(lib, "collection", "add", "boards/chest", ONE, THREE)  # ONE is in already
    cli_ok(lib, "collection", "add", "Boards", THREE)
    listed = json.loads(cli_ok(lib, "collection", "list", "--json"))
    assert [(c["path"], c["name"], c["count"]) for c in listed] == [
        ("Boards", "Boards", 1),
        ("Boards/Chest", "Chest", 3),
    ]
    assert listed[0]["parent"] is None and listed[1]["parent"] == listed[0]["uid"]
    text = cli_ok(lib, "collection", "list")
    assert "Boards/Chest" in text and listed[1]["uid"] in text
    with Library.open(lib) as library:
        uid = library.find_collection("Boards/Chest")
        assert uid is not None
        keys = [library.case_key(case) for case in library.collection_case_ids(uid)]
    assert keys == [TWO, ONE, THREE]
    cli_ok(lib, "collection", "remove", "Boards/Chest", ONE)
    listed = json.loads(cli_ok(lib, "collection", "list", "--json"))
    assert [c["count"] for c in listed] == [1, 2]


def test_collection_errors_are_one_line(lib: Path) -> None:
    assert "no collection" in cli_fails(lib, "collection", "remove", "Nowhere", ONE)
    assert "lightbox:nope" in cli_fails(lib, "collection", "add", "A", "lightbox:nope")
    assert "empty" in cli_fails(lib, "collection", "add", "A//B", ONE)
    cli_fails(lib, "collection", "add", "A")
    cli_fails(lib, "collection")
    assert json.loads(cli_ok(lib, "collection", "list", "--json")) == []
    assert cli_ok(lib, "collection", "list") == "No collections.\n"


def test_tag_untag_and_tags(lib: Path) -> None:
    cli_ok(lib, "tag", ONE, "#spot diagnosis", "FRCR")
    cli_ok(lib, "tag", TWO, "frcr")
    assert json.loads(cli_ok(lib, "tags", "--json")) == [
        {"tag": "FRCR", "count": 2},
        {"tag": "spot diagnosis", "count": 1},
    ]
    cli_ok(lib, "untag", ONE, "FRCR")
    cli_ok(lib, "trash", TWO)
    assert json.loads(cli_ok(lib, "tags", "--json")) == [{"tag": "spot diagnosis", "count": 1}]
    assert cli_ok(lib, "tags").split() == ["1", "spot", "diagnosis"]


def test_tag_errors_are_one_line(lib: Path) -> None:
    assert "longer than" in cli_fails(lib, "tag", ONE, "x" * 65)
    assert "no tag" in cli_fails(lib, "tag", ONE, "  ")
    assert "lightbox:nope" in cli_fails(lib, "untag", "lightbox:nope", "x")
    cli_fails(lib, "tag", ONE)
    assert json.loads(cli_ok(lib, "tags", "--json")) == []


def test_saved_add_list_rename_remove(lib: Path) -> None:
    said = cli_ok(lib, "saved", "add", " Chest to revise ", "section:chest is:unread")
    assert said.startswith("Saved the search “Chest to revise”")
    cli_ok(lib, "saved", "add", "Pneumo/thorax", "pneumothorax")
    cli_ok(lib, "saved", "add", "marked", "is:bookmarked")
    cli_ok(lib, "bookmark", ONE)
    listed = json.loads(cli_ok(lib, "saved", "list", "--json"))
    assert [(s["name"], s["query"], s["count"]) for s in listed] == [
        ("Chest to revise", "section:chest is:unread", 3),
        ("marked", "is:bookmarked", 1),
        ("Pneumo/thorax", "pneumothorax", 1),
    ]
    assert all(set(s) == {"uid", "name", "query", "count"} for s in listed)
    with Library.open(lib) as library:
        assert [s.uid for s in library.saved_searches()] == [s["uid"] for s in listed]
    assert cli_ok(lib, "saved", "list").splitlines() == [
        "     3  Chest to revise  section:chest is:unread",
        "     1  marked  is:bookmarked",
        "     1  Pneumo/thorax  pneumothorax",
    ]
    cli_ok(lib, "trash", TWO)
    cli_ok(lib, "saved", "add", "CHEST to revise", "section:chest", "--replace")
    cli_ok(lib, "saved", "rename", "pneumo/THORAX", "Air")
    cli_ok(lib, "saved", "remove", "MARKED")
    again = json.loads(cli_ok(lib, "saved", "list", "--json"))
    assert [(s["name"], s["query"], s["count"]) for s in again] == [
        ("Air", "pneumothorax", 1),
        ("CHEST to revise", "section:chest", 2),
    ]
    assert {s["uid"] for s in again} == {listed[0]["uid"], listed[2]["uid"]}


def test_saved_errors_are_one_line(lib: Path) -> None:
    cli_ok(lib, "saved", "add", "Chest", "section:chest")
    assert "named 'Chest' exists" in cli_fails(lib, "saved", "add", "chest", "pneumothorax")
    refused = cli_fails(lib, "saved", "add", "Typo", "sectoin:chest")
    assert "Did you mean section:" in refused and "(at 1–8)" in refused
    assert "(at 7–7)" in cli_fails(lib, "saved", "add", "Group", "chest (lung")
    assert "needs a query" in cli_fails(lib, "saved", "add", "Empty", "  ")
    assert "empty" in cli_fails(lib, "saved", "add", "  ", "pneumothorax")
    assert "no saved search 'Nowhere'" in cli_fails(lib, "saved", "remove", "Nowhere")
    assert "no saved search" in cli_fails(lib, "saved", "rename", "Nowhere", "X")
    cli_ok(lib, "saved", "add", "Other", "pneumothorax")
    assert "named 'Chest' exists" in cli_fails(lib, "saved", "rename", "Other", "CHEST")
    cli_fails(lib, "saved", "add", "Only a name")
    cli_fails(lib, "saved")
    listed = json.loads(cli_ok(lib, "saved", "list", "--json"))
    assert [(s["name"], s["query"]) for s in listed] == [
        ("Chest", "section:chest"),
        ("Other", "pneumothorax"),
    ]
    cli_ok(lib, "saved", "remove", "chest")
    cli_ok(lib, "saved", "remove", "other")
    assert json.loads(cli_ok(lib, "saved", "list", "--json")) == []
    assert cli_ok(lib, "saved", "list") == "No saved searches.\n"
