"""Mastodon adapter: normalising recorded statuses, verify, settings and typed errors."""
import re
import socket
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from operator import attrgetter

import pytest
import requests

from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Unavailable
from plugin.platforms.mastodon.adapter import MastodonAdapter
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_data import BRAND_ID
from tests.fakes.mastodon_data import recorded

HOST = "mastodon.social"
RECORDED = "http://localhost:3000"
ADMIN = f"mastodon:{HOST}:user:117020565693913441"
SINCE = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def offline():
    """An adapter for normalising bodies; it never talks to a server."""
    return MastodonAdapter({"base_url": f"https://{HOST}/"}, {"access_token": "t"})


def mention_status():
    return recorded("notifications_mentions.json")[0]["status"]


def reblog_status():
    """A reblog (as the timelines return one) wrapping the recorded mention."""
    return {**recorded("account_statuses.json")[0], "id": "117020590000000001", "content": "",
            "reblog": mention_status()}


def direct_status():
    status = mention_status()
    status["visibility"] = "direct"
    status["account"].update(display_name="Ada :blobcat:", avatar_static=None,
                             avatar="https://cdn.example/a.gif", acct="ada@example.social")
    return status


NORMALISED = [
    ("recorded mention", mention_status, {
        "external_id": f"mastodon:{HOST}:117020577157693549",
        "author.id": ADMIN, "author.handle": "@admin", "author.name": "admin",
        "author.avatar_url": f"{RECORDED}/avatars/original/missing.png",
        "author.profile_url": f"{RECORDED}/@admin",
        "text": "@mastodonpy_test hello!", "url": f"{RECORDED}/@admin/117020577157693549",
        "posted_at": datetime(2026, 8, 1, 13, 51, 42, 823000, tzinfo=timezone.utc),
        "parent_id": None, "thread_id": f"mastodon:{HOST}:117020577157693549",
        "visibility": "public", "is_repost": False,
        "reply_target": {"status_id": "117020577157693549", "acct": "admin",
                         "visibility": "public"},
    }),
    ("recorded timeline status", lambda: recorded("account_statuses.json")[0], {
        "author.handle": "@mastodonpy_test", "author.name": "John Lennon",
        "text": "Toot number 9!", "visibility": "unlisted", "parent_id": None,
        "thread_id": f"mastodon:{HOST}:117020580518794573",
    }),
    ("recorded reply", lambda: recorded("status_reply_created.json"), {
        "external_id": f"mastodon:{HOST}:117020583258292382", "author.name": "admin",
        "text": "@mastodonpy_test_2 same!",
        "parent_id": f"mastodon:{HOST}:117020583245459824", "thread_id": None,
    }),
    ("reblog of the mention", reblog_status, {
        "external_id": f"mastodon:{HOST}:117020590000000001",
        "author.handle": "@mastodonpy_test", "text": "@mastodonpy_test hello!",
        "is_repost": True,
    }),
    ("direct message from a remote author", direct_status, {
        "author.handle": "@ada@example.social", "author.name": "Ada :blobcat:",
        "author.avatar_url": "https://cdn.example/a.gif", "visibility": "direct",
        "reply_target": {"status_id": "117020577157693549", "acct": "ada@example.social",
                         "visibility": "direct"},
    }),
]


@pytest.mark.parametrize(("status", "expected"), [row[1:] for row in NORMALISED],
                         ids=[row[0] for row in NORMALISED])
def test_normalises_status(offline, status, expected):
    body = status()
    mention = offline.to_mention(body, raw={"wrapped": body})
    assert {key: attrgetter(key)(mention) for key in expected} == expected
    assert mention.platform == "mastodon"
    assert mention.raw == {"wrapped": body}


ALL_RECORDED = [mention_status(), recorded("status_reply_created.json"),
                *recorded("account_statuses.json")]


@pytest.mark.parametrize("status", ALL_RECORDED, ids=[s["id"] for s in ALL_RECORDED])
def test_every_recorded_status_keeps_the_shape_rules(offline, status):
    mention = offline.to_mention(status, raw=status)
    assert re.fullmatch(rf"mastodon:{re.escape(HOST)}:\d+", mention.external_id)
    assert mention.external_id.isascii() and len(mention.external_id) <= 255
    assert mention.text and "<" not in mention.text and "&amp;" not in mention.text
    assert mention.posted_at.tzinfo is not None


def test_external_ids_of_an_idn_instance_are_ascii():
    adapter = MastodonAdapter({"base_url": "https://Bücher.example"}, {"access_token": "t"})
    mention = adapter.to_mention(mention_status(), raw={})
    assert mention.external_id == "mastodon:xn--bcher-kva.example:117020577157693549"
    assert mention.author.id.isascii()


def test_ids_of_a_very_long_host_stay_within_zendesk_limits():
    host = ".".join(["a" * 60] * 4) + ".example"
    adapter = MastodonAdapter({"base_url": f"https://{host}"}, {"access_token": "t"})
    mention = adapter.to_mention(mention_status(), raw={})
    assert len(mention.external_id) <= 255 and len(mention.author.id) <= 255
    again = MastodonAdapter({"base_url": f"https://{host}/"}, {"access_token": "t"})
    assert again.to_mention(mention_status(), raw={}).external_id == mention.external_id


def test_verify_returns_the_brand(adapter):
    identity = adapter.verify()
    assert (identity.user_id, identity.handle) == (BRAND_ID, "@mastodonpy_test")
    assert identity.name == "John Lennon"


def test_no_request_goes_out_without_the_token(mastodon, adapter):
    alice = mastodon.add_customer("alice", "Alice")
    status = mastodon.mention(alice, "help")["status"]
    mention = adapter.to_mention(status, raw=status)
    adapter.verify()
    adapter.fetch_mentions(None, SINCE)
    adapter.text_rules()
    adapter.recent_posts(mention.author)
    adapter.post_reply(mention.reply_target, "@alice hi", "key-1")
    assert len(mastodon.requests) >= 5
    assert {r["headers"].get("Authorization") for r in mastodon.requests} == {
        f"Bearer {mastodon.token}"}


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_unreachable_instance_is_unavailable():
    adapter = MastodonAdapter({"base_url": closed_port_url()}, {"access_token": "t"},
                              allow_http=True, allow_loopback=True, backoff=0)
    with pytest.raises(Unavailable):
        adapter.verify()


def test_slow_instance_times_out_as_unavailable(mastodon, adapter):
    adapter.http.timeout = 0.2
    mastodon.set_latency(1)
    with pytest.raises(Unavailable):
        adapter.verify()


ERRORS = [
    # (name, how the fake misbehaves, error, requests made)
    ("401", lambda fake: fake.fail_next(1, 401), AuthFailed, 1),
    ("revoked token", lambda fake: fake.revoke_token(), AuthFailed, 1),
    ("503 persistent", lambda fake: fake.fail_next(10, 503), Unavailable, 3),
    ("500", lambda fake: fake.fail_next(1, 500), Unavailable, 1),
]


@pytest.mark.parametrize(("breaks", "error", "calls"), [row[1:] for row in ERRORS],
                         ids=[row[0] for row in ERRORS])
def test_failures_become_typed_errors(mastodon, adapter, breaks, error, calls):
    breaks(mastodon)
    with pytest.raises(error):
        adapter.fetch_mentions(None, SINCE)
    assert len(mastodon.requests) == calls
    assert all(r["headers"].get("Authorization") for r in mastodon.requests)


def test_503_once_is_retried(mastodon, adapter):
    mastodon.fail_next(1, 503)
    assert adapter.verify().user_id == BRAND_ID
    assert [r["path"] for r in mastodon.requests] == ["/api/v1/accounts/verify_credentials"] * 2


def test_429_resumes_at_the_iso_rate_limit_reset(mastodon, adapter):
    probe = requests.get(mastodon.url + "/api/v1/accounts/verify_credentials", timeout=5,
                         headers={"Authorization": f"Bearer {mastodon.token}"})
    reset = probe.headers["X-RateLimit-Reset"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", reset)
    mastodon.fail_next(1, 429)
    with pytest.raises(RateLimited) as raised:
        adapter.fetch_mentions(None, SINCE)
    assert raised.value.resume_at == datetime.fromisoformat(reset.replace("Z", "+00:00"))


def test_a_spent_rate_limit_window_stops_calls_until_its_reset():
    with FakeMastodon.served(rate_limit=2) as fake:
        adapter = MastodonAdapter({"base_url": fake.url}, {"access_token": fake.token},
                                  allow_http=True, allow_loopback=True, backoff=0)
        adapter.verify()
        adapter.verify()  # answered with X-RateLimit-Remaining: 0
        with pytest.raises(RateLimited) as raised:
            adapter.verify()
        assert len(fake.requests) == 2
    assert raised.value.resume_at > datetime.now(timezone.utc)


def test_429_with_retry_after_resumes_after_those_seconds(mastodon, adapter):
    mastodon.fail_next(1, 429, retry_after=5)
    with pytest.raises(RateLimited) as raised:
        adapter.verify()
    expected = datetime.now(timezone.utc) + timedelta(seconds=5)
    assert abs(raised.value.resume_at - expected) < timedelta(seconds=2)
    assert len(mastodon.requests) == 1
