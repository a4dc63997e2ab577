"""What crosses our boundaries: strict JSON, schema validation, values the database can hold,
and the URL and time formats we hand to Zendesk and browsers."""
import json
import math
import re
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

    PostgreSQL text cannot hold NUL characters, neither database takes text that is not
    Unicode (a lone surrogate such as a JSON `"\\ud800"` cannot be encoded), and PostgreSQL's
    JSON cannot hold NaN or Infinity; letting any of them through turns garbage into a 500.

    :raise BadRequest: a string or key holds one of these, or a number is not finite.
    """
    problem = _unstorable(data)
    if problem:
        raise BadRequest(f"Invalid request: {problem}", code="invalid_request")


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(value):
    """`value` (platform data: strings, numbers, lists, dicts) as every database can store it.

    A platform's text is kept, not refused: NUL characters are dropped, a lone surrogate
    becomes U+FFFD, and a number that is not finite becomes None.
    """
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if value.isascii() or _is_unicode(value):
            return value
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(item) for item in value]
    return value


def _unstorable(data):
    """What in `data` the database cannot store, as a sentence; None when all is well."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return "NUL characters are not allowed."
            if not value.isascii() and not _is_unicode(value):
                return "text must be valid Unicode (no lone surrogates)."
        elif isinstance(value, float):
            if not math.isfinite(value):
                return "numbers must be finite."
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
    return None


def _is_unicode(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable_json(text):
    """Marshmallow validator for a field that carries JSON text (metadata, state).

    Text that is not JSON is left for the endpoint to judge; JSON must decode within our
    nesting limit to values the database can store.

    :raise ValidationError: the JSON nests too deep or holds unstorable values.
    """
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValidationError("JSON nests too deep.") from None
    except ValueError:
        return
    problem = _unstorable(value)
    if problem:
        raise ValidationError(problem)


def url_text(text):
    """Marshmallow validator: `text` parses as a URL (brackets, host and port included).

    :raise ValidationError: it does not.
    """
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it is what checks it
    except ValueError:
        raise ValidationError("Not a valid URL.") from None


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
