"""Garbage on every endpoint: always a 4xx JSON error (on the admin UI, which Zendesk shows in
an iframe, a 4xx HTML page), never a 500, and nothing half-written."""
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func
from sqlalchemy import select

from plugin.db import db
from plugin.models import Account
from plugin.models import PostedReply
from plugin.models import ReplyLedger
from plugin.models import StoredMention
from plugin.models import TicketLink
from plugin.models import ZendeskEvent

MB = "x" * (1 << 20)
ADMIN = {"return_url": "https://acme.zendesk.com/finish", "subdomain": "acme"}


def assert_json_error(response, status=None, code=None):
    """The one shape of every refusal: a 4xx with a JSON `{"error", "message"}` body."""
    text = response.get_data(as_text=True)[:300]
    assert 400 <= response.status_code < 500, (response.status_code, text)
    assert response.mimetype == "application/json", text
    body = response.get_json()
    assert isinstance(body, dict) and {"error", "message"} <= set(body), text
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    if status is not None:
        assert response.status_code == status, text
    if code is not None:
        assert body["error"] == code, text
    return body


def assert_admin_page(response, status):
    """The admin UI's refusal: a 4xx HTML page with a heading, never JSON."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text[:300])
    assert response.mimetype == "text/html", text[:300]
    assert "<h1>" in text


def _md(ctx):
    return ctx.metadata


def _wrong_secret(ctx):
    return json.dumps({"account": ctx.uid, "secret": "not-the-secret"})


def _unknown_uid(ctx):
    return json.dumps({"account": "00000000-0000-0000-0000-000000000000", "secret": "s"})


def pull(state):
    return {"data": lambda ctx: {"metadata": ctx.metadata, "state": state}}


def cb(**fields):
    base = {"message": "hi", "parent_id": "mastodon:nowhere:1", "request_unique_identifier": "r1"}
    return {"data": lambda ctx: {"metadata": ctx.metadata, **base, **fields}}


def event(**fields):
    return {"json": {"events": [{"type_id": "pull_request", "subdomain": "acme",
                                 "timestamp": "2026-11-23T09:00:00Z", "data": {}, **fields}]}}


def case(name, method, path, status, code=None, **request):
    return SimpleNamespace(name=name, method=method, path=path, request=request, status=status,
                           code=code)


METHODS = [
    *[case(f"{m} {p}", m, p, 405, "method_not_allowed") for m, p in [
        ("GET", "/channel/pull"), ("PUT", "/channel/pull"), ("GET", "/channel/channelback"),
        ("POST", "/channel/manifest.json"), ("GET", "/channel/admin"),
        ("DELETE", "/channel/admin"), ("PUT", "/channel/events"), ("GET", "/channel/events"),
        ("POST", "/channel/clickthrough"), ("POST", "/channel/health"),
        ("PATCH", "/webhooks/mastodon")]],
]
MISSING = [
    case("pull-empty", "POST", "/channel/pull", 400, "invalid_request"),
    case("pull-state-only", "POST", "/channel/pull", 400, "invalid_request", data={"state": ""}),
    case("cb-no-metadata", "POST", "/channel/channelback", 400, "invalid_request",
         data={"message": "hi", "parent_id": "p", "request_unique_identifier": "r"}),
    case("cb-no-message", "POST", "/channel/channelback", 400, "invalid_request",
         data=lambda ctx: {"metadata": ctx.metadata, "request_unique_identifier": "r"}),
    case("cb-no-request-id", "POST", "/channel/channelback", 400, "invalid_request",
         data=lambda ctx: {"metadata": ctx.metadata, "message": "hi", "parent_id": "p"}),
    case("admin-empty", "POST", "/channel/admin", 400, "invalid_request"),
    case("admin-no-subdomain", "POST", "/channel/admin", 400, "invalid_request",
         data={"return_url": ADMIN["return_url"]}),
    case("admin-no-return-url", "POST", "/channel/admin", 400, "invalid_request",
         data={"subdomain": "acme"}),
]
METADATA = [
    *[case(f"pull-metadata-{name}", "POST", "/channel/pull", 400, code,
           data={"metadata": value}) for name, value, code in [
        ("not-json", "not json", "invalid_metadata"),
        ("no-secret", '{"account": "x"}', "invalid_metadata"),
        ("no-account", '{"secret": "x"}', "invalid_metadata"),
        ("list", '["account", "secret"]', "invalid_metadata"),
        ("number", "5", "invalid_metadata"),
        ("nul-escape", '{"account": "a\\u0000", "secret": "s"}', "invalid_request"),
        ("nul", "a\x00b", "invalid_request"),
        ("surrogate", '{"account": "\\ud800", "secret": "s"}', "invalid_request"),
        ("surrogate-secret", '{"account": "a", "secret": "\\udfff"}', "invalid_request"),
        ("huge", "m" * 6000, "invalid_request")]],
    case("cb-metadata-surrogate", "POST", "/channel/channelback", 400, "invalid_request",
         data=lambda ctx: {**cb()["data"](ctx), "metadata": '{"account": "\\ud800"}'}),
    case("admin-metadata-surrogate", "POST", "/channel/admin", 400, "invalid_request",
         data={**ADMIN, "metadata": '{"account": "\\ud800", "secret": "s"}'}),
    case("pull-unknown-uid", "POST", "/channel/pull", 404, "unknown_account",
         data=lambda ctx: {"metadata": _unknown_uid(ctx)}),
    case("pull-wrong-secret", "POST", "/channel/pull", 401, "invalid_metadata",
         data=lambda ctx: {"metadata": _wrong_secret(ctx)}),
    case("cb-unknown-uid", "POST", "/channel/channelback", 404, "unknown_account",
         data=lambda ctx: {**cb()["data"](ctx), "metadata": _unknown_uid(ctx)}),
    case("cb-wrong-secret", "POST", "/channel/channelback", 401, "invalid_metadata",
         data=lambda ctx: {**cb()["data"](ctx), "metadata": _wrong_secret(ctx)}),
    case("admin-wrong-secret", "POST", "/channel/admin", 401, "invalid_metadata",
         data=lambda ctx: {**ADMIN, "metadata": _wrong_secret(ctx)}),
    case("admin-other-subdomain", "POST", "/channel/admin", 404, "unknown_account",
         data=lambda ctx: {"return_url": "https://other.zendesk.com/finish",
                           "subdomain": "other", "metadata": ctx.metadata}),
]
STATE = [
    *[case(f"state-{state}", "POST", "/channel/pull", 400, "invalid_state", **pull(state))
      for state in ['{"cursor": -1}', "abc", '{"cursor": "1"}', '{"cursor": true}',
                    '{"cursor": 1.5}', '{"cursor": 9223372036854775808}', "[]", "{}", "null"]],
    case("state-deep", "POST", "/channel/pull", 400, "invalid_request",
         **pull("[" * 2500 + "]" * 2500)),
    case("state-deep-cursor", "POST", "/channel/pull", 400, "invalid_request",
         **pull('{"cursor": ' + "[" * 2400 + "]" * 2400 + "}")),
]
TOO_BIG = [
    case("pull-1mb", "POST", "/channel/pull", 413, data={"metadata": MB}),
    case("cb-1mb", "POST", "/channel/channelback", 413, data={"message": MB}),
    case("admin-1mb", "POST", "/channel/admin", 413, data={**ADMIN, "name": MB}),
    case("events-1mb", "POST", "/channel/events", 413, data=MB, content_type="application/json"),
]
EVENTS = [
    case("events-not-json", "POST", "/channel/events", 400, "invalid_json", data="{nope",
         content_type="application/json"),
    case("events-form", "POST", "/channel/events", 400, "invalid_json", data={"events": "[]"}),
    case("events-nan", "POST", "/channel/events", 400, "invalid_json",
         data='{"events": [{"type_id": "x", "subdomain": "acme", "timestamp": NaN}]}',
         content_type="application/json"),
    case("events-deep", "POST", "/channel/events", 400, "invalid_json",
         data='{"events": ' + "[" * 100_000 + "]" * 100_000 + "}",
         content_type="application/json"),
    *[case(f"events-{name}", "POST", "/channel/events", 400, "invalid_request", json=body)
      for name, body in [("no-events", {}), ("list", []), ("string", "events"),
                         ("events-string", {"events": "x"}), ("events-ints", {"events": [1]}),
                         ("null-events", {"events": None})]],
    *[case(f"event-{name}", "POST", "/channel/events", 400, "invalid_request", **event(**fields))
      for name, fields in [
          ("type-int", {"type_id": 5}), ("no-type", {"type_id": None}),
          ("no-subdomain", {"subdomain": None}), ("long-subdomain", {"subdomain": "a" * 64}),
          ("nul-subdomain", {"subdomain": "ac\x00me"}), ("bad-subdomain", {"subdomain": "a b"}),
          ("data-string", {"data": "x"}), ("data-list", {"data": [1]}),
          ("data-null", {"data": None}), ("nul-error", {"error": "boom\x00"}),
          ("nul-instance", {"data": {"integration_instance_name": "\x00"}}),
          ("surrogate-error", {"error": "boom\ud800"}),
          ("surrogate-data", {"data": {"note": "\udc00"}}),
          ("surrogate-key", {"data": {"\ud800": 1}})]],
]
CLICKTHROUGH = [
    *[case(f"click-{name}", "GET", "/channel/clickthrough", 404, "unknown_external_id",
           query_string=query) for name, query in [
        ("none", {}), ("empty", {"external_id": ""}), ("unknown", {"external_id": "mastodon:x:1"}),
        ("javascript", {"external_id": "javascript:alert(1)"}),
        ("nul", {"external_id": "a\x00b"}), ("long", {"external_id": "m" * 5000})]],
]
CHANNELBACK = [
    case("cb-unknown-parent", "POST", "/channel/channelback", 404, "unknown_parent", **cb()),
    case("cb-no-parent", "POST", "/channel/channelback", 404, "unknown_parent",
         **cb(parent_id="")),
    case("cb-empty-message", "POST", "/channel/channelback", 400, "invalid_request",
         **cb(message="")),
    case("cb-blank-message", "POST", "/channel/channelback", 400, "empty_message",
         **cb(message=" \n\t ")),
    case("cb-long-message", "POST", "/channel/channelback", 400, "invalid_request",
         **cb(message="y" * 65536)),
    case("cb-nul-parent", "POST", "/channel/channelback", 400, "invalid_request",
         **cb(parent_id="a\x00")),
]
ADMIN_UI = [
    case("admin-javascript-return", "POST", "/channel/admin", 400, "invalid_return_url",
         data={**ADMIN, "return_url": "javascript:alert(1)"}),
    *[case(f"admin-return-url-{name}", "POST", "/channel/admin", 400, "invalid_request",
           data={**ADMIN, "return_url": url}) for name, url in [
        ("open-ipv6", "https://[::1"), ("bad-ipv6", "https://[nope]/x"),
        ("bad-port", "https://acme.zendesk.com:99999/x"),
        ("port-word", "https://acme.zendesk.com:port/x")]],
    case("admin-bad-subdomain", "POST", "/channel/admin", 400, "invalid_subdomain",
         data={**ADMIN, "subdomain": "../../etc"}),
    case("admin-forged-token", "POST", "/channel/admin", 400, "form_expired",
         data={"form_token": "gAAAAAforged", "platform": "mastodon"}),
    case("admin-unicode-token", "POST", "/channel/admin", 400, "form_expired",
         data={"form_token": "ä€", "platform": "mastodon"}),
]
ROUTES = [
    case("unknown-route", "GET", "/nope", 404, "not_found"),
    case("unknown-channel-route", "POST", "/channel/push", 404, "not_found"),
    case("webhooks-mastodon-get", "GET", "/webhooks/mastodon", 404, "no_webhooks"),
    case("webhooks-mastodon-post", "POST", "/webhooks/mastodon", 404, "no_webhooks",
         data={"x": "y"}),
]


@pytest.fixture
def ctx(app, connect):
    # Garbage should reach the admin UI's deeper checks; test_admin_trust covers Zendesk's token.
    app.config["ADMIN_REQUIRE_ZENDESK_TOKEN"] = False
    account, metadata = connect()
    return SimpleNamespace(metadata=metadata, uid=account.uid)


def _rows():
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Account, StoredMention, ReplyLedger, PostedReply, TicketLink,
                          ZendeskEvent)}


GROUPS = {"methods": METHODS, "missing": MISSING, "metadata": METADATA, "state": STATE,
          "too_big": TOO_BIG, "events": EVENTS, "clickthrough": CLICKTHROUGH,
          "channelback": CHANNELBACK, "admin_ui": ADMIN_UI, "routes": ROUTES}
CLEAN = {"accounts": 1, "mentions": 0, "replies": 0, "posted_replies": 0, "ticket_links": 0,
         "zendesk_events": 0}


@pytest.mark.parametrize("group", GROUPS)
def test_garbage_gets_a_json_4xx_and_writes_nothing(client, ctx, group):
    failures = []
    for c in GROUPS[group]:
        kwargs = {key: value(ctx) if callable(value) else value
                  for key, value in c.request.items()}
        response = client.open(c.path, method=c.method, **kwargs)
        db.session.rollback()  # the client shares our session; production's teardown drops it
        try:
            if c.path == "/channel/admin" and c.method == "POST":
                assert_admin_page(response, c.status)
            else:
                assert_json_error(response, c.status, c.code)
            if c.status == 405:
                assert response.headers.get("Allow"), "a 405 names the allowed methods"
            assert _rows() == CLEAN, _rows()
        except AssertionError as exc:
            failures.append(f"{c.name} ({c.method} {c.path}): {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_webhook_platform_is_404(client, method):
    assert_json_error(client.open("/webhooks/nope", method=method), 404)


def test_clickthrough_never_redirects_to_a_script_url(client, app, connect):
    account, _ = connect()
    for n, url in enumerate(["javascript:alert(1)", "JavaScript:alert(1)", " javascript:x",
                             "data:text/html,<script>x</script>", "//evil.example/x"]):
        db.session.add(StoredMention(
            account_id=account.id, seq=n + 1, platform="mastodon", external_id=f"m:{n}",
            thread_id=f"m:{n}", author_id="a", author_handle="@a", author_name="A", text="t",
            url=url, reply_target={}, posted_at=account.created_at, sentiment=0.0,
            sentiment_label="neutral", raw={}))
    db.session.commit()
    for n in range(5):
        response = client.get("/channel/clickthrough", query_string={"external_id": f"m:{n}"})
        assert_json_error(response, 404, "unknown_external_id")
        assert "Location" not in response.headers


@pytest.mark.parametrize("url", [
    "https://evil.example/@a/1",            # another host than the author's server
    "https://example.social.evil.example/1",
    "https://evil.example/example.social",
    "https://user@evil.example/",
])
def test_clickthrough_only_sends_agents_to_the_posts_own_server(client, connect, url):
    account, _ = connect()
    db.session.add(StoredMention(
        account_id=account.id, seq=1, platform="mastodon", external_id="m:1", thread_id="m:1",
        author_id="a", author_handle="@jane@example.social", author_name="J", text="t", url=url,
        reply_target={}, posted_at=account.created_at, sentiment=0.0, sentiment_label="neutral",
        raw={}))
    db.session.commit()
    response = client.get("/channel/clickthrough", query_string={"external_id": "m:1"})
    assert_json_error(response, 404, "unknown_external_id")


def test_clickthrough_of_a_deactivated_account_is_404(client, connect):
    account, _ = connect()
    db.session.add(StoredMention(
        account_id=account.id, seq=1, platform="mastodon", external_id="m:1", thread_id="m:1",
        author_id="a", author_handle="@jane@example.social", author_name="J", text="t",
        url="https://social.example.social/@jane/1", reply_target={}, posted_at=account.created_at,
        sentiment=0.0, sentiment_label="neutral", raw={}))
    db.session.commit()
    assert client.get("/channel/clickthrough", query_string={"external_id": "m:1"}).status_code == 302
    account.active = False
    db.session.commit()
    response = client.get("/channel/clickthrough", query_string={"external_id": "m:1"})
    assert_json_error(response, 404, "unknown_external_id")
