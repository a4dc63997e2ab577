"""Marshmallow schemas for the sidebar API."""
from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

# Zendesk's ids are positive and fit our signed 64-bit columns.
ZENDESK_ID = validate.Range(min=1, max=2**63 - 1)


class OtherProfile(Schema):
    platform = fields.String()
    platform_label = fields.String()
    handle = fields.String()
    name = fields.String()
    profile_url = fields.String(allow_none=True)


class Profile(Schema):
    platform = fields.String()
    platform_label = fields.String()
    author_id = fields.String()
    handle = fields.String()
    name = fields.String()
    avatar_url = fields.String(allow_none=True)
    profile_url = fields.String(allow_none=True)
    followers_count = fields.Integer(allow_none=True)
    other_profiles = fields.List(fields.Nested(OtherProfile))


class TrendPoint(Schema):
    posted_at = fields.String()
    score = fields.Float()
    label = fields.String()
    own = fields.Boolean()


class SentimentSummary(Schema):
    score = fields.Float()
    label = fields.String()
    direction = fields.String(validate=validate.OneOf(["improving", "worsening", "steady"]))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    trend = fields.List(fields.Nested(TrendPoint))


class Post(Schema):
    id = fields.String()
    text = fields.String()
    url = fields.String(allow_none=True)
    posted_at = fields.String()
    sentiment = fields.Float()
    label = fields.String()
    mentions_brand = fields.Boolean()
    likes = fields.Integer(allow_none=True)


class ConnectedPlatform(Schema):
    platform = fields.String()
    label = fields.String()
    account = fields.String()
    handle_example = fields.String()
    can_link = fields.Boolean()


class SidebarDocument(Schema):
    """GET /api/sidebar/tickets/<id>: everything the panel shows."""

    ticket_id = fields.Integer()
    state = fields.String(validate=validate.OneOf(["found", "unknown"]))
    profile = fields.Nested(Profile, allow_none=True)
    sentiment = fields.Nested(SentimentSummary, allow_none=True)
    posts = fields.List(fields.Nested(Post))
    stale = fields.Boolean()
    stale_code = fields.String(allow_none=True, validate=validate.OneOf(
        ["rate_limited", "budget_spent", "auth_failed", "unreachable"]))
    stale_reason = fields.String(allow_none=True)
    fetched_at = fields.DateTime(allow_none=True)
    connected_platforms = fields.List(fields.Nested(ConnectedPlatform))
    not_shared = fields.List(fields.String())


class TicketRequest(Schema):
    """GET /api/sidebar/tickets/<id>: the path's ticket id and the query's requester id."""

    ticket_id = fields.Integer(required=True, strict=False, validate=ZENDESK_ID)
    requester_id = fields.Integer(load_default=None, allow_none=True, strict=False,
                                  validate=ZENDESK_ID)


class LinkRequest(Schema):
    """POST /api/sidebar/links: link a handle on a platform to the ticket's requester."""

    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.Integer(required=True, strict=False, validate=ZENDESK_ID)
    requester_id = fields.Integer(required=True, strict=False, validate=ZENDESK_ID)
    platform = fields.String(required=True, validate=validate.Length(min=1, max=32))
    handle = fields.String(required=True, validate=validate.Length(min=1, max=255))


sidebar_document = SidebarDocument()
ticket_request = TicketRequest()
link_request = LinkRequest()
zendesk_id = fields.Integer(strict=False, validate=ZENDESK_ID)
