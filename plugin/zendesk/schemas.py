"""Marshmallow schemas for what Zendesk sends the Channel Framework endpoints."""
import math

from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate

from plugin.errors import BadRequest

CF_STRING = validate.Length(max=5000)


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE


class PullForm(_Form):
    """POST pull_url."""

    metadata = fields.String(required=True, validate=CF_STRING)
    state = fields.String(load_default="", validate=CF_STRING)


class ChannelbackForm(_Form):
    """POST channelback_url."""

    message = fields.String(required=True, validate=validate.Length(min=1, max=65535))
    parent_id = fields.String(load_default=None, validate=validate.Length(max=511))
    thread_id = fields.String(load_default=None, validate=validate.Length(max=511))
    recipient_id = fields.String(load_default=None, validate=validate.Length(max=255))
    metadata = fields.String(required=True, validate=CF_STRING)
    request_unique_identifier = fields.String(required=True,
                                              validate=validate.Length(min=1, max=255))


class AdminForm(_Form):
    """POST admin_ui, as Zendesk opens the account form."""

    return_url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    subdomain = fields.String(required=True, validate=validate.Length(min=1, max=255))
    locale = fields.String(load_default="en", validate=validate.Length(max=32))
    name = fields.String(load_default="", validate=validate.Length(max=255))
    metadata = fields.String(load_default="", validate=CF_STRING)
    state = fields.String(load_default="", validate=CF_STRING)
    instance_push_id = fields.String(load_default=None, validate=validate.Length(max=255))
    zendesk_access_token = fields.String(load_default=None, validate=validate.Length(max=1024))


class EventSchema(Schema):
    """One event callback."""

    class Meta:
        unknown = EXCLUDE

    type_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    timestamp = fields.Raw(load_default=None)
    # A bare Zendesk subdomain, as the accounts table keeps it (at most 63 characters).
    subdomain = fields.String(required=True, validate=validate.Regexp(
        r"[A-Za-z0-9][A-Za-z0-9-]{0,62}\Z", error="Not a Zendesk subdomain."))
    integration_name = fields.String(load_default=None, allow_none=True)
    integration_id = fields.String(load_default=None, allow_none=True)
    data = fields.Dict(load_default=dict)
    error = fields.Raw(load_default=None, allow_none=True)


class EventsPayload(Schema):
    """POST event_callback_url."""

    class Meta:
        unknown = EXCLUDE

    events = fields.List(fields.Nested(EventSchema), required=True,
                         validate=validate.Length(max=1000))


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


pull_form = PullForm()
channelback_form = ChannelbackForm()
admin_form = AdminForm()
events_payload = EventsPayload()
