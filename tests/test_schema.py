"""The JSON Schemas: valid against the metaschema, documented on every property."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from scorer.contract import results, schema
from scorer.contract.events import EVENT_IDS

SCHEMAS = sorted(schema.SCHEMA_DIR.glob("*.schema.json"))


def properties(node, path="$"):
    """Every (path, property schema) pair of object schemas, recursively."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
            yield from properties(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from properties(node[key], f"{path}[]")
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(key, []):
                yield from properties(sub, path)


def objects(node, path="$"):
    if isinstance(node, dict):
        if node.get("type") == "object" or "object" in (node.get("type") or []):
            if "properties" in node:
                yield path, node
        for name, sub in node.get("properties", {}).items():
            yield from objects(sub, f"{path}.{name}")
        if isinstance(node.get("items"), dict):
            yield from objects(node["items"], f"{path}[]")


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path):
    data = json.loads(path.read_text())
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(data)
    assert data["$id"].endswith(f"/schemas/{path.name}")
    for example in data.get("examples", []):
        jsonschema.Draft202012Validator(data).validate(example)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_property_is_documented(path):
    data = json.loads(path.read_text())
    missing = [p for p, sub in properties(data) if not {"description"} <= set(sub)]
    assert not missing, f"properties without a description: {missing}"
    top = [
        p for p, sub in properties({"properties": data.get("properties", {})}) if p.count(".") == 1
    ]
    for p in top:
        sub = data["properties"][p[2:]]
        assert {"title", "description", "examples"} <= set(sub), p


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_objects_forbid_unknown_properties(path):
    data = json.loads(path.read_text())
    loose = [
        p
        for p, node in objects(data)
        if node.get("additionalProperties") is not False and p != "$.environment.isolation"
    ]
    assert not loose, f"objects without additionalProperties: false: {loose}"


def test_problems_have_json_paths_with_the_best_match_first():
    problems = schema.validate(
        {"schema_version": 1, "team": {"id": "X!", "name": "", "members": []}}, "submission"
    )
    paths = [p.path for p in problems]
    assert paths[0] == "$"  # the missing required properties are the headline
    assert "$.team.id" in paths and "$.team.members" in paths
    assert paths[1:] == sorted(paths[1:])


def test_unknown_properties_are_named():
    record = json.loads(
        (Path(__file__).parent / "fixtures/records/example_mlp_sprint.json").read_text()
    )
    record["surprise"] = 1
    problems = schema.validate(record, "result")
    assert any("'surprise'" in p.message for p in problems)


def _event_id_sets(node, where="$"):
    """Every enum (and every properties/patternProperties key set) in a schema that names an
    event id, with its JSON path."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum" and isinstance(value, list) and set(value) & set(EVENT_IDS):
                yield f"{where}.enum", set(value)
            elif key == "properties" and isinstance(value, dict) and set(value) & set(EVENT_IDS):
                yield f"{where}.properties", set(value)
            yield from _event_id_sets(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _event_id_sets(value, f"{where}[{i}]")


@pytest.mark.parametrize("name", schema.SCHEMA_NAMES)
def test_every_schema_names_the_contract_s_events_exactly(name):
    # The contract (scorer/contract/events.py) defines the events once; a schema that lists
    # event ids must list exactly those, so adding an event fails here until every schema has it.
    found = list(_event_id_sets(schema.load_schema(name)))
    for where, ids in found:
        assert ids == set(EVENT_IDS), f"{name}.schema.json {where}: {sorted(ids)}"


def test_the_event_parity_check_sees_the_schemas_event_lists():
    names = {name for name in schema.SCHEMA_NAMES if list(_event_id_sets(schema.load_schema(name)))}
    assert names == {"submission", "result", "awards", "reviews"}


def test_the_result_schema_lists_the_contracts_interleavings():
    # scorer/contract/results.py defines how a round's runs may share the machine; the record's
    # baseline.interleaving must accept exactly those.
    baseline = schema.load_schema("result")["properties"]["baseline"]
    assert baseline["properties"]["interleaving"]["enum"] == list(results.INTERLEAVINGS)
