"""The fake PDS refuses what the real one refuses, in XRPC's error shape."""
import pytest
import requests

from tests.fakes.bluesky import POST
from tests.fakes.bluesky import FakeBluesky


@pytest.fixture
def pds():
    with FakeBluesky.served() as fake:
        session = fake.issue_session()
        client = requests.Session()
        client.headers["Authorization"] = f"Bearer {session['accessJwt']}"
        yield fake, client


def _create(pds, record, rkey="3lprdue7ggw26"):
    fake, client = pds
    return client.post(f"{fake.url}/xrpc/com.atproto.repo.createRecord", json={
        "repo": fake.brand["did"], "collection": POST, "rkey": rkey,
        "record": {"$type": POST, "createdAt": "2026-01-01T00:00:00.000Z", **record}})


def _reply_to(view):
    return {"root": {"uri": view["uri"], "cid": view["cid"]},
            "parent": {"uri": view["uri"], "cid": view["cid"]}}


BAD = [
    ("301 graphemes", {"text": "👍🏽" * 301}, "300 graphemes"),
    ("over 3000 bytes", {"text": "👨‍👩‍👧‍👦" * 121}, "3000"),
    ("facet past the end", {"text": "hi", "facets": [
        {"index": {"byteStart": 0, "byteEnd": 3}, "features": []}]}, "outside"),
    ("facet inside a character", {"text": "東京", "facets": [
        {"index": {"byteStart": 1, "byteEnd": 3}, "features": []}]}, "cuts a character"),
    ("reply to nothing", {"text": "hi", "reply": {
        "root": {"uri": "at://did:plc:x/app.bsky.feed.post/3abc", "cid": "bafy"},
        "parent": {"uri": "at://did:plc:x/app.bsky.feed.post/3abc", "cid": "bafy"}}}, "root"),
]


@pytest.mark.parametrize(("record", "words"), [row[1:] for row in BAD], ids=[r[0] for r in BAD])
def test_invalid_posts_are_refused_as_xrpc_errors(pds, record, words):
    answer = _create(pds, record)
    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidRecord" and words in answer.json()["message"]
    assert answer.headers["RateLimit-Policy"] == "3000;w=300"


def test_a_reply_must_name_the_threads_root_and_a_record_key_is_used_once(pds):
    fake, _ = pds
    customer = fake.add_account("jane.example.social", "Jane")
    root = fake.post(customer, "root")
    child = fake.post(customer, "child", reply_to=root["uri"])
    assert _create(pds, {"text": "x", "reply": _reply_to(child)}).status_code == 400
    good = {"text": "x", "reply": {"root": _reply_to(root)["root"],
                                   "parent": _reply_to(child)["parent"]}}
    assert _create(pds, good).status_code == 200
    again = _create(pds, good)
    assert again.status_code == 500 and again.json()["error"] == "InternalServerError"
    assert _create(pds, good, rkey="not-a-tid").status_code == 400


def test_expired_and_missing_tokens(pds):
    fake, client = pds
    url = f"{fake.url}/xrpc/com.atproto.server.getSession"
    assert client.get(url).status_code == 200
    fake.expire_access_tokens()
    assert client.get(url).json() == {"error": "ExpiredToken", "message": "Token has expired"}
    assert requests.get(url).status_code == 401


def test_a_refresh_token_works_once(pds):
    fake, _ = pds
    refresh = fake.issue_session()["refreshJwt"]
    url = f"{fake.url}/xrpc/com.atproto.server.refreshSession"
    headers = {"Authorization": f"Bearer {refresh}"}
    assert requests.post(url, headers=headers).status_code == 200
    assert requests.post(url, headers=headers).json()["error"] == "ExpiredToken"


def test_get_post_thread_walks_up_to_the_root(pds):
    fake, client = pds
    customer = fake.add_account("jane.example.social", "Jane")
    root = fake.post(customer, "root")
    child = fake.post(customer, "child", reply_to=root["uri"])
    thread = client.get(f"{fake.url}/xrpc/app.bsky.feed.getPostThread",
                        params={"uri": child["uri"]}).json()["thread"]
    assert thread["post"]["uri"] == child["uri"]
    assert thread["parent"]["post"]["uri"] == root["uri"] and "parent" not in thread["parent"]
