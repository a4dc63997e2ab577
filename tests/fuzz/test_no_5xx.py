"""Thousands of hostile requests at every route, on SQLite and PostgreSQL: never a 5xx, and
every refusal is a JSON `{"error", "message"}` (the admin UI may refuse with an HTML page)."""
import dataclasses
import json
import socket

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

from plugin import accounts
from plugin.db import db
from plugin.models import StoredMention
from plugin.models import TicketLink
from plugin.platforms import REGISTRY
from plugin.secrets_box import box
from plugin.sidebar import signed
from tests.fuzz.surfaces import HTML_ERRORS
from tests.fuzz.surfaces import SURFACES
from tests.fakes.hooked import APP_SECRET
from tests.fakes.hooked import APP_SECRET_NAME
from tests.fakes.hooked import FakeHooked
from tests.fakes.hooked import HookedAdapter
from tests.fakes.hooked import sign
from tests.platforms.x.kit import SECRETS as X_SECRETS
from tests.platforms.x.kit import XKit
from tests.sidebar.conftest import SECRET

# Requests per route and database; small routes get fewer, the deep ones more.
QUOTA = {"manifest": 60, "admin": 125, "sign_in_callback": 50, "pull": 125, "channelback": 125,
         "clickthrough": 75, "channel_health": 50, "events": 175, "webhooks": 125,
         "sidebar_ticket": 175,
         "sidebar_links": 125, "sidebar_page": 100, "healthz": 45, "metrics": 45, "static": 40}
FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


class World:
    """The real ids and secrets hostile requests mix in, so some reach deep code."""

    def __init__(self, account, metadata):
        self.uid = account.uid
        self.metadata = metadata
        self.secret_of_metadata = json.loads(metadata)["secret"]
        self.sidebar_secret = SECRET
        self.external_id = "mastodon:fuzz:1"
        self.ticket_id = 1001
        self.requester_id = 7
        self.app_installation_id = 7001
        self.session_key = box().signing_keys("murmur-session")[0]
        self.hooked_brand_id = None
        self.x_brand_id = None
        self.x_signed = None  # the fake X's signing: body -> headers

    @staticmethod
    def sign_webhook(req):
        """`req` with the Hooked signature of its body, as the platform sends it."""
        return dataclasses.replace(req, headers=req.headers + (
            ("X-Hooked-Signature", sign(req.body)),))

    def sign_x(self, req):
        """`req` with X's signature of its body, keyed by the consumer secret."""
        signature = tuple(self.x_signed(req.body).items())
        return dataclasses.replace(req, headers=req.headers + signature)


@pytest.fixture
def world(app, connect, monkeypatch):
    """acme with a connected account, an installation, and one mention mapped to a ticket;
    also the test-only Hooked platform, configured, with an account, for signed webhooks.

    The admin UI opens without Zendesk's push token, so hostile forms reach its deeper checks.
    """
    app.config["ADMIN_REQUIRE_ZENDESK_TOKEN"] = False
    account, metadata = connect()
    result = app.test_cli_runner().invoke(args=["installations", "add", "acme", "--secret",
                                                SECRET])
    assert result.exit_code == 0, result.output
    signed.register(signed.Vouched("acme", 7001))
    world = World(account, metadata)
    db.session.add(StoredMention(
        account_id=account.id, seq=1, platform="mastodon", external_id=world.external_id,
        thread_id=world.external_id, author_id="mastodon:fuzz:42", author_handle="@jane",
        author_name="Jane", text="hello", url="https://example.social/@jane/1",
        reply_target={"status_id": "1", "acct": "jane"}, posted_at=account.created_at,
        sentiment=0.0, sentiment_label="neutral", raw={}))
    db.session.add(TicketLink(subdomain="acme", external_id=world.external_id,
                              ticket_id=world.ticket_id))
    db.session.commit()
    monkeypatch.setitem(REGISTRY, HookedAdapter.name, HookedAdapter)
    monkeypatch.setitem(app.config, "PLATFORM_SECRETS",
                        {APP_SECRET_NAME: APP_SECRET, **X_SECRETS})
    with FakeHooked.served() as hooked, XKit.served() as x:
        accounts.connect("hooked", "acme", {"base_url": hooked.url, "access_token": hooked.token})
        accounts.connect("x", "acme", XKit(x).connect_values())
        world.hooked_brand_id, world.x_brand_id = hooked.brand_id, x.brand["id"]
        world.x_signed = x.sign
        yield world


def test_every_route_is_fuzzed(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == {surface.rule for surface in SURFACES.values()}


# A failure's example holds 10 kB strings; Hypothesis warns as it prints them.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_no_request_gets_a_5xx(client, world):
    sent = sum(len(_fuzz(client, name, SURFACES[name].requests(world))) for name in SURFACES)
    assert sent == sum(QUOTA.values()) == 1440  # per database: 2,880 requests in all


def test_admin_ui_with_zendesk_unreachable_only_says_so(client, app, world):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app.config.update(ADMIN_REQUIRE_ZENDESK_TOKEN=True,
                      ZENDESK_BASE_URL=f"http://127.0.0.1:{port}")
    statuses = _fuzz(client, "admin", SURFACES["admin"].requests(world), examples=60,
                     unavailable=True)
    assert len(statuses) == 60 and 503 in statuses  # some forms got as far as asking Zendesk


def _fuzz(client, name, requests, examples=None, unavailable=False):
    """Send `examples` (the route's quota) requests; their statuses.

    `unavailable`: Zendesk is down, so the admin UI may say so with a 503.
    """
    sent = []

    @settings(FUZZ, max_examples=examples or QUOTA[name])
    @given(requests)
    def send(req):
        response = client.open(req.path, method=req.method, data=req.body,
                               content_type=req.content_type, query_string=req.query,
                               headers=list(req.headers))
        db.session.rollback()  # the client shares our session; production's teardown drops it
        sent.append(response.status_code)
        try:
            _check(name, req, response, unavailable)
        finally:
            response.close()  # a static file's stream stays open otherwise

    send()
    return sent


def _check(name, req, response, unavailable=False):
    shown = (f"{name}: {req.method} {req.path[:80]} -> {response.status_code}: "
             f"{response.get_data(as_text=True)[:300]!r}")
    if unavailable and response.status_code == 503:
        assert "Zendesk could not be reached" in response.get_data(as_text=True), shown
        return
    assert response.status_code < 500, shown
    if response.status_code < 400 or name in HTML_ERRORS or req.method == "HEAD":
        return
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and set(body) == {"error", "message"}, shown
    assert all(isinstance(body[key], str) and body[key] for key in body), shown
