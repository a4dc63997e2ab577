"""Zendesk's own Channel Framework JSON schemas (tests/fixtures/zendesk-schemas), ready to validate."""
import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
from referencing import Registry
from referencing import Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "zendesk-schemas"


def _any_to_empty(node):
    # The schemas still use draft-3's "type": "any" (and "time" for timestamps), which
    # draft 4 does not know; "any" is simply {} and the timestamp's type is left open.
    if isinstance(node, dict):
        if node.get("type") in ("any", "time"):
            node = {k: v for k, v in node.items() if k != "type"}
        return {k: _any_to_empty(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_any_to_empty(v) for v in node]
    return node


@lru_cache(maxsize=1)
def _registry():
    resources = []
    for path in SCHEMA_DIR.glob("*.json"):
        contents = _any_to_empty(json.loads(path.read_text()))
        resources.append((path.name, Resource.from_contents(contents, default_specification=DRAFT4)))
    return Registry().with_resources(resources)


def _format_checker():
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER

    @checker.checks("https-url")
    def https_url(value):
        return not isinstance(value, str) or urlsplit(value).scheme == "https"

    @checker.checks("external-id")
    def external_id(value):
        return not isinstance(value, str) or (value == value.strip() and value.isascii())

    return checker


FORMAT_CHECKER = _format_checker()


def validate(instance, schema_name: str):
    """Raise `jsonschema.ValidationError` unless `instance` fits Zendesk's schema `schema_name`."""
    schema = _registry().contents(schema_name)
    validator = jsonschema.Draft4Validator(schema, registry=_registry(),
                                           format_checker=FORMAT_CHECKER)
    validator.validate(instance)
