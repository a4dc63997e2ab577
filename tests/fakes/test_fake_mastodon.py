"""The fake Mastodon behaves like the real API, checked over real HTTP."""

import base64
import hashlib
import re
from datetime import datetime
from datetime import timezone
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_data import recorded
from tests.fakes.server import LiveServer

AUTH = {"Authorization": "Bearer good-token"}
LINK_RE = re.compile(r'<([^>]+)>; rel="(next|prev)"')


@pytest.fixture
def fake():
    """A served fake with one local and one remote customer."""
    with FakeMastodon.served() as server:
        server.alice = server.add_customer("alice", "Alice")
        server.bob = server.add_customer("bob", "Bob B", domain="example.social")
        yield server


def get(fake, path, **params):
    """GET an API path on the fake with the good token."""
    return requests.get(fake.url + path, params=params, headers=AUTH, timeout=5)


def links(response):
    """The Link header as ``{rel: url}``."""
    return {rel: url for url, rel in LINK_RE.findall(response.headers.get("Link", ""))}


def test_live_server_serves_any_wsgi_app():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hi"]

    with LiveServer(app) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert requests.get(server.url, timeout=5).text == "hi"


def test_mention_matches_recorded_shape(fake):
    notification = fake.mention(fake.bob, "my order is late!")
    body = get(fake, "/api/v1/notifications", **{"types[]": "mention"}).json()
    real = recorded("notifications_mentions.json")[0]
    assert body == [notification]
    assert body[0]["id"] == "21" and body[0]["group_key"] == "ungrouped-21"
    assert set(body[0]) == set(real)
    assert set(body[0]["status"]) - {"application"} <= set(real["status"])
    status = body[0]["status"]
    assert len(status["id"]) == 18
    assert status["account"]["acct"] == "bob@example.social"
    assert status["url"].startswith("https://example.social/@bob/")
    assert status["mentions"] == real["status"]["mentions"]
    assert 'class="u-url mention">@<span>mastodonpy_test</span>' in status["content"]


def test_min_id_walks_a_burst_forward_without_gaps(fake):
    for i in range(200):
        fake.mention(fake.alice, f"complaint {i}")
    fake.add_notification("favourite", fake.alice)
    seen, cursor = [], "0"
    while True:
        page = get(fake, "/api/v1/notifications", **{"types[]": "mention", "limit": 80,
                                                      "min_id": cursor}).json()
        if not page:
            break
        ids = [int(n["id"]) for n in page]
        assert ids == sorted(ids, reverse=True)  # newest first within the page
        seen.extend(ids)
        cursor = page[0]["id"]
    assert sorted(seen) == list(range(21, 221))
    # since_id jumps to the newest page instead: the oldest 120 are skipped.
    newest = get(fake, "/api/v1/notifications", since_id=0, limit=80, **{"types[]": "mention"})
    assert [n["id"] for n in newest.json()][-1] == "141"


def test_link_header_real_format_and_filters(fake):
    for i in range(3):
        fake.mention(fake.alice, f"hi {i}")
    fake.add_notification("follow", fake.bob)
    response = get(fake, "/api/v1/notifications", limit=2, **{"types[]": "mention"})
    assert [n["id"] for n in response.json()] == ["23", "22"]
    assert response.headers["Link"] == (
        f'<{fake.url}/api/v1/notifications?limit=2&max_id=22&types%5B%5D=mention>; rel="next", '
        f'<{fake.url}/api/v1/notifications?limit=2&min_id=23&types%5B%5D=mention>; rel="prev"')
    older = requests.get(links(response)["next"], headers=AUTH, timeout=5).json()
    assert [n["id"] for n in older] == ["21"]
    excluded = get(fake, "/api/v1/notifications", **{"exclude_types[]": "mention"}).json()
    assert [n["type"] for n in excluded] == ["follow"] and "status" not in excluded[0]
    empty = get(fake, "/api/v1/notifications", min_id=999)
    assert empty.json() == [] and "Link" not in empty.headers


def test_rate_limit_headers_on_every_response(fake):
    first = get(fake, "/api/v1/accounts/verify_credentials")
    second = get(fake, "/api/v2/instance")
    assert first.headers["X-RateLimit-Limit"] == "300"
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in (first, second)]
    assert remaining[1] == remaining[0] - 1
    reset = first.headers["X-RateLimit-Reset"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", reset)
    assert first.json()["acct"] == "mastodonpy_test" and "source" in first.json()
    assert second.json()["configuration"]["statuses"]["max_characters"] == 500


def test_401_with_real_body(fake):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = requests.get(fake.url + "/api/v1/notifications", headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json() == {"error": "The access token is invalid"}
    fake.revoke_token()
    assert get(fake, "/api/v2/instance").status_code == 401


def test_422_counts_urls_as_23_and_remote_mentions_as_local():
    with FakeMastodon.served(max_characters=60) as fake:
        fake.add_customer("carol", "Carol", domain="a-very-long-domain-name.example")
        url = "https://example.com/" + "x" * 200
        ok = "@carol@a-very-long-domain-name.example " + url + " " + "y" * 29  # 6+1+23+1+29 = 60
        response = requests.post(fake.url + "/api/v1/statuses", data={"status": ok},
                                 headers=AUTH, timeout=5)
        assert response.status_code == 200, response.text
        assert response.json()["mentions"][0]["acct"] == "carol@a-very-long-domain-name.example"
        too_long = requests.post(fake.url + "/api/v1/statuses", json={"status": ok + "!"},
                                 headers=AUTH, timeout=5)
        assert too_long.status_code == 422
        assert too_long.json() == {
            "error": "Validation failed: Text character limit of 60 exceeded"}
        blank = requests.post(fake.url + "/api/v1/statuses", data={"status": " "},
                              headers=AUTH, timeout=5)
        assert blank.json() == {"error": "Validation failed: Text can't be blank"}
        assert len(fake.posted) == 1


def test_reply_is_threaded_escaped_and_idempotent(fake):
    mention = fake.mention(fake.bob, "it broke", visibility="direct")
    form = {"status": "@bob@example.social sorry <b>& fixed</b>", "visibility": "direct",
            "in_reply_to_id": mention["status"]["id"]}
    headers = {**AUTH, "Idempotency-Key": "reply-1"}
    first = requests.post(fake.url + "/api/v1/statuses", data=form, headers=headers, timeout=5)
    again = requests.post(fake.url + "/api/v1/statuses", data=form, headers=headers, timeout=5)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and len(fake.posted) == 1
    reply = first.json()
    assert reply["account"]["id"] == "117020565966271181"
    assert reply["in_reply_to_account_id"] == fake.bob["id"]
    assert "&lt;b&gt;&amp; fixed&lt;/b&gt;" in reply["content"]
    assert fake.requests[-1]["headers"]["Idempotency-Key"] == "reply-1"
    assert fake.requests[-1]["data"]["visibility"] == "direct"
    missing = requests.post(fake.url + "/api/v1/statuses", headers=AUTH, timeout=5,
                            data={"status": "hi", "in_reply_to_id": "1"})
    assert missing.status_code == 404


def test_context_ancestors_oldest_first(fake):
    root = fake.mention(fake.alice, "first")["status"]
    brand_reply = fake.post_status(fake.brand, "<p>we are on it</p>", in_reply_to=root)
    follow_up = fake.mention(fake.alice, "still broken", in_reply_to=brand_reply)["status"]
    context = get(fake, f"/api/v1/statuses/{follow_up['id']}/context").json()
    assert [s["id"] for s in context["ancestors"]] == [root["id"], brand_reply["id"]]
    assert context["descendants"] == []
    below = get(fake, f"/api/v1/statuses/{root['id']}/context").json()
    assert [s["id"] for s in below["descendants"]] == [brand_reply["id"], follow_up["id"]]
    assert get(fake, "/api/v1/statuses/42/context").json() == {"error": "Record not found"}


def test_429_injection_has_retry_and_rate_headers(fake):
    fake.fail_next(1, status=429, retry_after=30, path_prefix="/api/v1/notifications")
    assert get(fake, "/api/v2/instance").status_code == 200  # other paths unaffected
    limited = get(fake, "/api/v1/notifications")
    assert limited.status_code == 429 and limited.json() == {"error": "Too many requests"}
    assert limited.headers["Retry-After"] == "30"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    reset = datetime.strptime(limited.headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert reset.replace(tzinfo=timezone.utc) > datetime.now(timezone.utc)
    assert get(fake, "/api/v1/notifications").status_code == 200


def test_account_lookup_statuses_and_tag_timeline(fake):
    fake.post_status(fake.bob, "loving the new release", tags=["acme"])
    fake.post_status(fake.bob, "private thoughts", visibility="private", tags=["acme"])
    fake.mention(fake.alice, "help", tags=["Acme"])
    account = get(fake, "/api/v1/accounts/lookup", acct="bob@example.social").json()
    assert account["id"] == fake.bob["id"]
    statuses = get(fake, f"/api/v1/accounts/{account['id']}/statuses", limit=1)
    assert [s["content"] for s in statuses.json()] == ['<p>loving the new release <a href="'
                                                       'http://localhost:3000/tags/acme" class="'
                                                       'mention hashtag" rel="tag">#<span>acme'
                                                       '</span></a></p>']
    assert set(links(statuses)) == {"next", "prev"}
    tagged = get(fake, "/api/v1/timelines/tag/acme").json()
    assert [s["account"]["username"] for s in tagged] == ["alice", "bob"]
    assert get(fake, "/api/v1/accounts/lookup", acct="nobody").status_code == 404


def test_oauth_sign_in_issues_the_api_token_once_for_the_right_verifier(fake):
    app = requests.post(fake.url + "/api/v1/apps", timeout=5, json={
        "client_name": "Murmur", "redirect_uris": "https://murmur.example/cb",
        "scopes": "read:accounts write:statuses"}).json()
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {"response_type": "code", "client_id": app["client_id"], "state": "s1",
             "redirect_uri": "https://murmur.example/cb", "scope": "read:accounts",
             "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256"}
    page = requests.get(fake.url + "/oauth/authorize", params=query, timeout=5)
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    assert requests.get(fake.url + "/oauth/authorize", timeout=5,
                        params={**query, "redirect_uri": "https://evil.example/"}).status_code == 400
    approved = requests.post(fake.url + "/oauth/authorize", data={**query, "decision": "approve"},
                             allow_redirects=False, timeout=5)
    back = parse_qs(urlsplit(approved.headers["Location"]).query)
    assert back["state"] == ["s1"]
    form = {"grant_type": "authorization_code", "code": back["code"][0],
            "client_id": app["client_id"], "client_secret": app["client_secret"],
            "redirect_uri": "https://murmur.example/cb"}

    wrong = requests.post(fake.url + "/oauth/token", timeout=5,
                          data={**form, "code_verifier": "w" * 50})
    assert wrong.status_code == 400 and wrong.json() == recorded("oauth_token_invalid_grant.json")
    again = requests.post(fake.url + "/oauth/authorize", allow_redirects=False, timeout=5,
                                 data={**query, "decision": "approve"})
    form["code"] = parse_qs(urlsplit(again.headers["Location"]).query)["code"][0]
    token = requests.post(fake.url + "/oauth/token", timeout=5,
                          data={**form, "code_verifier": verifier})
    assert token.status_code == 200 and set(token.json()) == set(recorded("oauth_token.json"))
    assert token.json()["access_token"] == fake.token and token.json()["scope"] == "read:accounts"
    reused = requests.post(fake.url + "/oauth/token", timeout=5,
                           data={**form, "code_verifier": verifier})
    assert reused.status_code == 400  # a code is exchanged once
