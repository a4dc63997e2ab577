"""What crosses our boundaries: strict JSON, schema validation, values the database can hold,
and the URL and time formats we hand to Zendesk and browsers."""
import json
import math
from datetime import datetime
from urllib.parse import urlsplit

from flask import request
from marshmallow import Schema
from marshmallow import ValidationError

from plugin.errors import BadRequest


def load(schema: Schema, data):
    """Validate `data` with `schema`.

    :raise BadRequest: the data does not fit, with each field's problem.
    """
    check_values(data)
    try:
        return schema.load(data)
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                             for name, msgs in sorted(exc.normalized_messages().items()))
        raise BadRequest(f"Invalid request: {problems}", code="invalid_request") from None


def check_values(data):
    """Refuse what no Zendesk payload holds and the database cannot store.

    PostgreSQL text cannot hold NUL characters, and its JSON cannot hold NaN or Infinity;
    letting either through turns garbage input into a 500.

    :raise BadRequest: a string holds a NUL character or a number is not finite.
    """
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise BadRequest("Invalid request: NUL characters are not allowed.",
                                 code="invalid_request")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise BadRequest("Invalid request: numbers must be finite.",
                                 code="invalid_request")
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)


def json_body():
    """The request's JSON body, strictly parsed (no NaN or Infinity, no runaway nesting).

    :raise BadRequest: the body is not JSON.
    """
    if not request.is_json:
        raise BadRequest("Expected a JSON body.", code="invalid_json")
    try:
        return json.loads(request.get_data(cache=True), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BadRequest("Expected a JSON body.", code="invalid_json") from None


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def web_url(value):
    """`value` if it is an http(s) URL, else None: platforms' URLs reach agents' browsers."""
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value
    return None


def iso_z(moment: datetime) -> str:
    """A UTC moment as Zendesk and the sidebar take it: `2026-11-23T09:00:00Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
