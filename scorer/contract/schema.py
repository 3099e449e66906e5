"""Load the JSON Schemas in ``scorer/contract/schemas/`` and report validation problems as data.

The schemas are the single source of truth for every file format: this module validates with
them, the site publishes them (``tinymlperf build`` copies them to ``schemas/``) and generates
the format page from their descriptions, and editors can point at their published ``$id``.
They ship inside the package (package data, read through ``importlib.resources``), so the
scorer installed with ``pip install .`` finds them wherever it runs.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_DIR = Path(str(resources.files("scorer.contract") / "schemas"))
SCHEMA_NAMES = ("submission", "result", "awards", "reviews", "leaderboard", "pr-summary")


@dataclass(frozen=True, order=True)
class SchemaProblem:
    path: str  # a JSON path such as "$.team.id"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def schema_bytes(name: str) -> bytes:
    """The packaged file of schema ``name``, byte for byte (as the site publishes it)."""
    return (resources.files("scorer.contract") / "schemas" / f"{name}.schema.json").read_bytes()


@functools.cache
def load_schema(name: str) -> dict:
    return json.loads(schema_bytes(name).decode("utf-8"))


def published_files() -> dict[str, bytes]:
    """``schemas/<name>.schema.json`` for the built site: where every ``$id`` points."""
    return {f"schemas/{name}.schema.json": schema_bytes(name) for name in SCHEMA_NAMES}


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(name)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@functools.cache
def _fast(name: str):
    # jsonschema-rs checks a valid document about 100 times faster than the pure-Python
    # validator, which matters when a build reads 10,000 records; the Python validator still
    # explains an invalid one, since its errors carry the paths and messages users see.
    return jsonschema_rs.validator_for(load_schema(name), validate_formats=True)


def json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown propert{'y' if len(extra) == 1 else 'ies'} {', '.join(map(repr, extra))}; remove {'it' if len(extra) == 1 else 'them'} or check the spelling"
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        return f"{json.dumps(error.instance)[:60]} is not one of {allowed}"
    if error.validator == "pattern":
        what = error.schema.get("description", "")
        return f"{json.dumps(error.instance)[:60]} has the wrong form. {what}".strip()
    if error.validator == "anyOf" and error.context:
        return best_match(error.context).message
    return error.message


def validate(instance: object, name: str) -> list[SchemaProblem]:
    """Every problem of ``instance`` against schema ``name``: the best match first, then sorted."""
    try:
        if _fast(name).is_valid(instance):
            return []
    except (ValueError, OverflowError):  # a value the fast path cannot represent: let Python decide
        pass
    validator = _validator(name)
    errors = list(validator.iter_errors(instance))
    if not errors:
        return []
    headline = best_match(errors)
    rest = sorted({SchemaProblem(json_path(e), _message(e)) for e in errors if e is not headline})
    first = SchemaProblem(json_path(headline), _message(headline))
    return [first] + [p for p in rest if p != first]


def load_yaml(raw: bytes | str, where: str, name: str, schema_hint: str) -> dict:
    """A maintainers' YAML file (awards.yml, reviews.yml), parsed and checked against schema
    ``name``; a bad file is one ``RecordError`` naming ``where``, the problem and the schema."""
    import yaml

    from scorer.contract.errors import RecordError

    try:
        data = yaml.safe_load(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise RecordError(
            f"{where}: not valid YAML ({err}); fix the syntax, see {schema_hint}"
        ) from err
    problems = validate(data, name)
    if problems:
        raise RecordError(f"{where}: {problems[0]}; fix the entry to match {schema_hint}")
    return data
