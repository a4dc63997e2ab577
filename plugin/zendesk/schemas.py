"""Marshmallow schemas for what Zendesk sends the Channel Framework endpoints."""
import re

from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from plugin.accounts import SUBDOMAIN
from plugin.boundary import storable_json
from plugin.boundary import url_text

CF_STRING = validate.Length(max=5000)
# metadata and state are JSON we issued; what comes back may be anything.
CF_JSON = [CF_STRING, storable_json]
# Far above any platform's limit: the adapter refuses more than it takes, with its reason.
MAX_REPLY_FILES = 64


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE


class PullForm(_Form):
    """POST pull_url."""

    metadata = fields.String(required=True, validate=CF_JSON)
    state = fields.String(load_default="", validate=CF_JSON)


class ChannelbackForm(_Form):
    """POST channelback_url."""

    message = fields.String(required=True, validate=validate.Length(min=1, max=65535))
    parent_id = fields.String(load_default=None, validate=validate.Length(max=511))
    thread_id = fields.String(load_default=None, validate=validate.Length(max=511))
    recipient_id = fields.String(load_default=None, validate=validate.Length(max=255))
    metadata = fields.String(required=True, validate=CF_JSON)
    request_unique_identifier = fields.String(required=True,
                                              validate=validate.Length(min=1, max=255))
    # Sent as repeated `file_urls[]` fields when the manifest sets `channelback_files`.
    file_urls = fields.List(fields.String(validate=[validate.Length(min=1, max=2048), url_text]),
                            data_key="file_urls[]", load_default=list,
                            validate=validate.Length(max=MAX_REPLY_FILES))


class AdminForm(_Form):
    """POST admin_ui, as Zendesk opens the account form."""

    return_url = fields.String(required=True,
                               validate=[validate.Length(min=1, max=2048), url_text])
    subdomain = fields.String(required=True, validate=validate.Length(min=1, max=255))
    locale = fields.String(load_default="en", validate=validate.Length(max=32))
    name = fields.String(load_default="", validate=validate.Length(max=255))
    metadata = fields.String(load_default="", validate=CF_JSON)
    state = fields.String(load_default="", validate=CF_JSON)
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
        SUBDOMAIN.pattern, flags=re.IGNORECASE, error="Not a Zendesk subdomain."))
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


pull_form = PullForm()
channelback_form = ChannelbackForm()
admin_form = AdminForm()
events_payload = EventsPayload()
