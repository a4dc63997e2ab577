"""The fake X answers like the real API v2 (checked against recorded bodies), over real HTTP."""
import base64
import hashlib
import hmac
import json
import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask import request as flask_request
from oauthlib.oauth1 import Client as OAuth1Client

from tests.fakes.server import LiveServer
from tests.fakes.x import FakeX
from tests.fakes.x_oauth import challenge_of
from tests.fakes.x_posts import TWEPOCH_MS
from tests.fakes.x_shapes import unlike

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x"
EVERYTHING = {
    "expansions": "author_id,in_reply_to_user_id,referenced_tweets.id,"
                  "referenced_tweets.id.author_id,entities.mentions.username,attachments.media_keys",
    "tweet.fields": "attachments,author_id,conversation_id,created_at,entities,id,"
                    "in_reply_to_user_id,lang,public_metrics,text,possibly_sensitive,"
                    "referenced_tweets,reply_settings,note_tweet,edit_history_tweet_ids",
    "user.fields": "created_at,description,id,location,name,profile_image_url,protected,"
                   "public_metrics,url,username,verified,verified_type",
    "media.fields": "alt_text,duration_ms,height,media_key,preview_image_url,type,url,width,variants",
}
# Fields X added after the recordings were made (2021-2022).
NEWER = {"bookmark_count", "impression_count", "like_count", "verified_type",
         "edit_history_tweet_ids", "note_tweet", "alt_text", "variants", "media_key"}


def recorded(name):
    """A recorded X body from tests/fixtures/x."""
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fake():
    """A served fake X with two customers."""
    with FakeX(limits={"create": 1000}).served() as server:
        server.alice = server.add_user("alice", "Alice Martin")
        server.bob = server.add_user("bob", "Bob")
        server.token = server.issue_user_token()["access_token"]
        yield server


def call(fake, method, path, token=None, **kwargs):
    """A request to the fake as the brand (OAuth 2.0 user token unless `token` is given)."""
    headers = {"Authorization": f"Bearer {token or fake.token}"}
    return requests.request(method, fake.url + path, headers=headers, timeout=5, **kwargs)


def mentions(fake, **params):
    """GET the brand's mentions."""
    return call(fake, "GET", f"/2/users/{fake.brand['id']}/mentions", params=params)


def _newer(path):
    return bool(NEWER & set(re.split(r"[.\[\]]+", path)))


# ----- shapes of the recorded bodies -------------------------------------------------------

def test_default_fields_mention_page_has_the_recorded_structure(fake):
    for i in range(12):
        fake.mention(fake.alice, f"order {i} is late")
    body = mentions(fake).json()
    assert unlike(body, recorded("users_mentions_tweepy_2022.json")) == {}
    assert set(body["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert set(body["meta"]) == {"result_count", "newest_id", "oldest_id", "next_token"}


def test_expanded_mention_page_has_the_recorded_structure(fake):
    question = fake.post(fake.bob, "Does @acme ship to Berlin? #shipping https://example.com/faq")
    fake.mention(fake.alice, "@bob @acme same question & more: https://example.com/a/b",
                 reply_to=question)
    body = mentions(fake, **EVERYTHING).json()
    differences = {p: why for p, why in unlike(body, recorded(
        "reply_mentioning_brand_with_expansions_twarc_2022.json")).items()
        if not p.startswith("meta.") and not _newer(p)}
    assert differences == {}
    assert body["includes"]["tweets"][0]["id"] == question["id"]


def test_timeline_page_with_media_has_the_recorded_structure(fake):
    for i in range(10):
        fake.post(fake.alice, f"note {i}")
    first = fake.post(fake.alice, "hello", media=[("https://pbs.twimg.com/media/a.jpg", "a box", "photo")])
    fake.post(fake.alice, "clip", media=[("https://pbs.twimg.com/v.jpg", "", "video")])
    fake.post(fake.alice, "@bob yes #thanks https://example.com", reply_to=fake.post(fake.bob, "hi @alice"))
    fake.post(fake.alice, "", retweet_of=first)
    body = call(fake, "GET", f"/2/users/{fake.alice['id']}/tweets", params=EVERYTHING).json()
    assert len(body["includes"]["media"]) == 2 and "next_token" in body["meta"]
    differences = {p: why for p, why in unlike(
        body, recorded("user_timeline_with_expansions_twarc_2021.json"),
        recorded("reply_mentioning_brand_with_expansions_twarc_2022.json")).items()
        if not _newer(p)}
    assert differences == {}


def test_create_answer_has_the_recorded_structure(fake):
    answer = call(fake, "POST", "/2/tweets", json={"text": "Test Tweet"})
    assert answer.status_code == 201
    assert unlike(answer.json(), recorded("create_tweet_201_tweepy_2021.json")) == \
        {"data.edit_history_tweet_ids[]": "str, recorded absent"}
    assert answer.headers["location"].endswith("/2/tweets/" + answer.json()["data"]["id"])


# ----- stored posts -------------------------------------------------------------------------

def test_ids_are_snowflakes_of_the_creation_time_and_increase(fake):
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    ids = [int(fake.post(fake.alice, f"p{i}", created_at=moment)["id"]) for i in range(3)]
    assert ids == sorted(set(ids))
    assert all((i >> 22) + TWEPOCH_MS == int(moment.timestamp() * 1000) for i in ids)
    later = [int(fake.post(fake.alice, f"q{i}")["id"]) for i in range(50)]
    assert later == sorted(set(later))
    assert fake.tweets[str(ids[0])]["created_at"] == "2026-03-01T12:00:00.000Z"


def test_links_mentions_and_threads_are_stored_as_x_does(fake):
    root = fake.post(fake.bob, "question for @acme")
    reply = fake.mention(fake.alice, "me too <3 see https://example.com/orders/42 @ghost", reply_to=root)
    assert reply["text"].startswith("@acme me too &lt;3 see https://t.co/")
    url = reply["entities"]["urls"][0]
    assert re.fullmatch(r"https://t\.co/\w{10}", url["url"])
    assert reply["text"][url["start"]:url["end"]] == url["url"]
    assert (url["expanded_url"], url["display_url"]) == ("https://example.com/orders/42",
                                                         "example.com/orders/42")
    assert reply["entities"]["mentions"] == [{"start": 0, "end": 5, "username": "acme",
                                              "id": fake.brand["id"]}]
    assert reply["conversation_id"] == root["id"]
    assert reply["in_reply_to_user_id"] == fake.bob["id"]
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": root["id"]}]
    deeper = fake.post(fake.bob, "ok", reply_to=reply)
    assert deeper["conversation_id"] == root["id"]
    assert root["public_metrics"]["reply_count"] == 1


@pytest.mark.parametrize("text, weighted", [
    ("a" * 280, 280),
    ("é" * 280, 280),
    ("👋🏽" * 140, 280),
    ("日本" * 70, 280),
    ("x " * 128 + "https://example.com/" + "y" * 300, 279),
])
def test_length_is_counted_by_x_rules(fake, text, weighted):
    post = fake.post(fake.alice, text)
    assert "note_tweet" not in post
    assert call(fake, "POST", "/2/tweets", json={"text": text}).status_code == 201


@pytest.mark.parametrize("text", ["a" * 281, "日本" * 70 + "a", "👋🏽" * 141])
def test_long_posts_keep_the_whole_text_in_note_tweet(fake, text):
    post = fake.post(fake.alice, text)
    assert post["note_tweet"]["text"] == text
    assert text.startswith(post["text"]) and len(post["text"]) < len(text)
    refused = call(fake, "POST", "/2/tweets", json={"text": text})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"].startswith("Your Tweet text is too long.")


# ----- reading ------------------------------------------------------------------------------

def test_mentions_page_newest_first_and_follow_next_token(fake):
    made = [fake.mention(fake.alice, f"late {i}")["id"] for i in range(25)]
    seen, params = [], {"max_results": 10}
    while True:
        body = mentions(fake, **params).json()
        seen += [t["id"] for t in body["data"]]
        assert body["meta"]["newest_id"] == body["data"][0]["id"]
        if "next_token" not in body["meta"]:
            break
        params["pagination_token"] = body["meta"]["next_token"]
    assert seen == made[::-1]
    newer = mentions(fake, since_id=made[-3]).json()
    assert [t["id"] for t in newer["data"]] == made[:-3:-1]
    assert mentions(fake, since_id=made[-1]).json() == {"meta": {"result_count": 0}}


@pytest.mark.parametrize("size", ["4", "101", "ten"])
def test_max_results_out_of_range_is_an_invalid_request(fake, size):
    answer = mentions(fake, max_results=size)
    assert answer.status_code == 400
    assert answer.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert answer.json()["errors"][0]["parameters"] == {"max_results": [size]}


def test_only_the_newest_800_mentions_are_reachable(fake):
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(805):
        fake.mention(fake.alice, f"m{i}", created_at=moment)
    count, params = 0, {"max_results": 100}
    while True:
        body = mentions(fake, **params).json()
        count += body["meta"]["result_count"]
        if "next_token" not in body["meta"]:
            break
        params["pagination_token"] = body["meta"]["next_token"]
    assert count == 800


def test_time_window_filters(fake):
    old = fake.mention(fake.alice, "old", created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    new = fake.mention(fake.alice, "new", created_at=datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert [t["id"] for t in mentions(fake, start_time="2026-01-15T00:00:00Z").json()["data"]] == [new["id"]]
    assert [t["id"] for t in mentions(fake, end_time="2026-01-15T00:00:00Z").json()["data"]] == [old["id"]]
    assert [t["id"] for t in mentions(fake, until_id=new["id"]).json()["data"]] == [old["id"]]


@pytest.mark.parametrize("query, expected", [
    ("acme", {"brand", "quoted"}),
    ('"big box"', {"phrase"}),
    ("@acme", {"at", "rt"}),
    ('(acme OR "big box" OR @acme) -from:acme -is:retweet', {"brand", "at", "phrase"}),
    ("acme -is:retweet -@acme", {"brand", "quoted"}),
    ("from:bob", {"phrase", "rt", "reply"}),
    ("is:reply", {"reply"}),
])
def test_search_recent_understands_x_queries(fake, query, expected):
    posts = {"brand": fake.post(fake.alice, "I like Acme."),
             "quoted": fake.post(fake.brand, "acme news"),
             "at": fake.mention(fake.alice, "help"),
             "phrase": fake.post(fake.bob, "a big box arrived"),
             "old": fake.post(fake.alice, "acme", created_at=datetime.now(timezone.utc) - timedelta(days=8))}
    posts["rt"] = fake.post(fake.bob, "", retweet_of=posts["at"])
    posts["reply"] = fake.post(fake.bob, "thanks", reply_to=posts["phrase"])
    body = call(fake, "GET", "/2/tweets/search/recent", params={"query": query}).json()
    names = {name for name, post in posts.items()
             for found in body.get("data", ()) if found["id"] == post["id"]}
    assert names == expected


def test_user_timeline_excludes_retweets_and_replies(fake):
    own = fake.post(fake.alice, "mine")
    fake.post(fake.alice, "", retweet_of=fake.post(fake.bob, "theirs"))
    fake.post(fake.alice, "re", reply_to=own)
    body = call(fake, "GET", f"/2/users/{fake.alice['id']}/tweets",
                params={"exclude": "retweets,replies"}).json()
    assert [t["id"] for t in body["data"]] == [own["id"]]


def test_lookups_and_not_found_errors(fake):
    post = fake.mention(fake.alice, "hi")
    assert call(fake, "GET", "/2/users/me").json() == {"data": {
        "id": fake.brand["id"], "name": "Acme Co", "username": "acme"}}
    by_name = call(fake, "GET", "/2/users/by/username/ALICE",
                   params={"user.fields": "public_metrics"}).json()["data"]
    assert by_name["id"] == fake.alice["id"] and "followers_count" in by_name["public_metrics"]
    missing = call(fake, "GET", "/2/users/by/username/nobody")
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["title"] == "Not Found Error"
    both = call(fake, "GET", "/2/tweets", params={"ids": f"{post['id']},1"}).json()
    assert [t["id"] for t in both["data"]] == [post["id"]]
    assert both["errors"][0]["resource_id"] == "1"
    assert call(fake, "GET", f"/2/tweets/{post['id']}").json()["data"]["id"] == post["id"]
    assert call(fake, "GET", "/2/tweets", params={"ids": ",".join(["1"] * 101)}).status_code == 400


def test_reads_are_billed_once_per_post_per_day(fake):
    for i in range(3):
        fake.mention(fake.alice, f"x{i}")
    mentions(fake)
    mentions(fake)
    assert (fake.reads_returned, fake.billed_reads) == (6, 3)


# ----- writing ------------------------------------------------------------------------------

def test_reply_to_a_mention_is_stored_and_threaded(fake):
    mention = fake.mention(fake.alice, "where is my parcel?")
    answer = call(fake, "POST", "/2/tweets", json={"text": "Sorry! Checking now.",
                                                   "reply": {"in_reply_to_tweet_id": mention["id"]}})
    assert answer.status_code == 201
    reply = fake.brand_posts()[-1]
    assert reply["id"] == answer.json()["data"]["id"]
    assert reply["conversation_id"] == mention["id"]
    assert fake.requests[-1] == ("POST", "/2/tweets", {"text": "Sorry! Checking now.",
                                                       "reply": {"in_reply_to_tweet_id": mention["id"]}})


def _refusal(fake, case):
    if case == "not engaged":
        return {"reply": {"in_reply_to_tweet_id": fake.post(fake.alice, "no mention")["id"]}}
    if case == "restricted":
        restricted = fake.post(fake.alice, "@acme hi", reply_settings="following")
        return {"reply": {"in_reply_to_tweet_id": restricted["id"]}}
    if case == "deleted":
        return {"reply": {"in_reply_to_tweet_id": "1234"}}
    fake.post(fake.brand, "We are on it.")
    return {}


@pytest.mark.parametrize("case, text, detail", [
    ("not engaged", "hello", "Reply to this conversation is not allowed because you have not "
                             "been mentioned or otherwise engaged by the author of the post"),
    ("restricted", "hello", "Reply to this conversation is not allowed"),
    ("deleted", "hello", "You attempted to reply to a Tweet that is deleted or not visible to you."),
    ("duplicate", "We are on it.", "You are not allowed to create a Tweet with duplicate content."),
])
def test_refused_posts_are_403_worded_as_x(fake, case, text, detail):
    answer = call(fake, "POST", "/2/tweets", json={"text": text, **_refusal(fake, case)})
    assert answer.status_code == 403
    assert answer.json()["title"] == "Forbidden" and answer.json()["status"] == 403
    assert answer.json()["detail"].startswith(detail)


def test_reply_allowed_to_a_quote_of_the_brand_and_to_the_brand_itself(fake):
    ours = fake.post(fake.brand, "News!")
    quote = fake.post(fake.alice, "look at this", quote_of=ours)
    for target in (quote, ours):
        answer = call(fake, "POST", "/2/tweets", json={
            "text": f"thanks {target['id']}", "reply": {"in_reply_to_tweet_id": target["id"]}})
        assert answer.status_code == 201


def test_media_ids_must_be_known(fake):
    media_id = fake.add_media("https://img.example/a.png", "receipt")
    assert call(fake, "POST", "/2/tweets", json={"text": "pic", "media": {"media_ids": [media_id]}}).status_code == 201
    assert fake.brand_posts()[-1]["attachments"]["media_keys"][0].startswith("3_")
    assert call(fake, "POST", "/2/tweets", json={"text": "pic", "media": {"media_ids": ["9"]}}).status_code == 400


def test_app_only_bearer_reads_but_cannot_post(fake):
    fake.mention(fake.alice, "hi")
    assert mentions(fake).status_code == 200
    read = call(fake, "GET", f"/2/users/{fake.brand['id']}/mentions", token=fake.app_bearer)
    assert read.status_code == 200
    answer = call(fake, "POST", "/2/tweets", token=fake.app_bearer, json={"text": "hi"})
    assert answer.status_code == 403
    assert answer.json()["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"


# ----- auth ---------------------------------------------------------------------------------

UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


def test_bad_and_expired_tokens_are_401(fake):
    assert call(fake, "GET", "/2/users/me", token="nope").json() == UNAUTHORIZED
    fake.expire_tokens()
    answer = call(fake, "GET", "/2/users/me")
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


def _oauth1(fake, method, path, secret=None, **kwargs):
    token, token_secret = fake.oauth1_token
    client = OAuth1Client(fake.consumer_key, client_secret=fake.consumer_secret,
                          resource_owner_key=token, resource_owner_secret=secret or token_secret)
    url = fake.url + path
    headers = {"Content-Type": "application/json"} if "json" in kwargs else {}
    uri, headers, _ = client.sign(url, http_method=method, headers=headers)
    return requests.request(method, uri, headers=headers, timeout=5, **kwargs)


def test_oauth1_signatures_are_checked(fake):
    assert _oauth1(fake, "GET", "/2/users/me?user.fields=id").json()["data"]["username"] == "acme"
    assert _oauth1(fake, "POST", "/2/tweets", json={"text": "signed"}).status_code == 201
    assert _oauth1(fake, "GET", "/2/users/me", secret="wrong").status_code == 401


def _authorize(fake, session, verifier="v" * 43, state="s1", scope="tweet.read tweet.write users.read offline.access"):
    params = {"response_type": "code", "client_id": "cid", "redirect_uri": "https://murmur.test/cb",
              "scope": scope, "state": state, "code_challenge": challenge_of(verifier),
              "code_challenge_method": "S256"}
    page = session.get(fake.url + "/i/oauth2/authorize", params=params, timeout=5)
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    assert "Authorize app" in page.text
    decided = session.post(fake.url + "/i/oauth2/authorize", data={**params, "decision": "approve"},
                           allow_redirects=False, timeout=5)
    back = urlsplit(decided.headers["Location"])
    assert back.netloc == "murmur.test"
    query = parse_qs(back.query)
    assert query["state"] == [state]
    return query["code"][0]


def _token(fake, **form):
    return requests.post(fake.url + "/2/oauth2/token", data=form, auth=("cid", "csec"), timeout=5)


def test_oauth2_code_with_pkce_then_rotating_refresh(fake):
    session = requests.Session()
    code = _authorize(fake, session)
    exchange = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": "https://murmur.test/cb", "code_verifier": "v" * 43}
    tokens = _token(fake, **exchange).json()
    assert set(tokens) == {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
    assert (tokens["token_type"], tokens["expires_in"]) == ("bearer", 7200)
    assert call(fake, "GET", "/2/users/me", token=tokens["access_token"]).status_code == 200
    assert _token(fake, **exchange).json() == {"error": "invalid_request", "error_description":
                                               "Value passed for the token was invalid."}
    fresh = _token(fake, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert fresh.status_code == 200 and fake.refreshes == 1
    new = fresh.json()
    assert call(fake, "GET", "/2/users/me", token=new["access_token"]).status_code == 200
    replay = _token(fake, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert replay.status_code == 400
    assert call(fake, "GET", "/2/users/me", token=new["access_token"]).status_code == 401
    assert _token(fake, grant_type="refresh_token", refresh_token=new["refresh_token"]).status_code == 400


def test_oauth2_refuses_a_wrong_verifier_and_a_wrong_client(fake):
    code = _authorize(fake, requests.Session())
    wrong = _token(fake, grant_type="authorization_code", code=code,
                   redirect_uri="https://murmur.test/cb", code_verifier="w" * 43)
    assert wrong.status_code == 400
    stranger = requests.post(fake.url + "/2/oauth2/token", auth=("cid", "bad"),
                             data={"grant_type": "refresh_token", "refresh_token": "x"}, timeout=5)
    assert stranger.status_code == 401


# ----- limits and failures ------------------------------------------------------------------

def test_rate_limit_headers_and_429_without_retry_after():
    with FakeX(limits={"mentions": 3}).served() as fake:
        fake.token = fake.issue_user_token()["access_token"]
        answers = [mentions(fake) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-rate-limit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[3].json() == {"title": "Too Many Requests", "detail": "Too Many Requests",
                                 "type": "about:blank", "status": 429}
    assert "Retry-After" not in answers[3].headers
    assert int(answers[3].headers["x-rate-limit-reset"]) > datetime.now().timestamp()


def test_fail_next_and_malform_next(fake):
    fake.fail_next(1, status=429, reset_in=60, path_prefix="/2/users")
    fake.fail_next(1, status=503)
    limited = mentions(fake)
    assert limited.status_code == 429 and limited.headers["x-rate-limit-remaining"] == "0"
    assert abs(int(limited.headers["x-rate-limit-reset"]) - datetime.now().timestamp() - 60) < 5
    assert mentions(fake).status_code == 503
    fake.malform_next(1, "{not json")
    broken = mentions(fake)
    assert (broken.status_code, broken.text) == (200, "{not json")
    assert mentions(fake).status_code == 200


def test_unknown_paths_are_404_problems(fake):
    answer = call(fake, "GET", "/2/nothing/here")
    assert answer.status_code == 404 and answer.json()["status"] == 404


# ----- webhooks -----------------------------------------------------------------------------

def test_webhook_delivery_is_v11_and_signed(fake):
    root = fake.post(fake.brand, "Our news")
    long_text = "@acme " + "word " * 40 + "https://example.com/x"
    event_tweet = fake.mention(fake.alice, long_text, reply_to=root)
    received = []
    hook = Flask("hook")

    @hook.route("/hook", methods=["GET", "POST"])
    def _hook():
        if flask_request.method == "GET":
            digest = hmac.new(b"cs", flask_request.args["crc_token"].encode(), hashlib.sha256).digest()
            return {"response_token": "sha256=" + base64.b64encode(digest).decode()}
        received.append((flask_request.get_data(), dict(flask_request.headers)))
        return "", 200

    with LiveServer(hook) as server:
        assert fake.crc(server.url + "/hook")
        assert fake.deliver(server.url + "/hook", [event_tweet]).status_code == 200
    body, headers = received[0]
    assert headers["X-Twitter-Webhooks-Signature"] == fake.sign(body)["x-twitter-webhooks-signature"]
    payload = json.loads(body)
    assert payload["for_user_id"] == fake.brand["id"]
    event = payload["tweet_create_events"][0]
    assert event["id_str"] == event_tweet["id"] and event["truncated"] is True
    assert event["extended_tweet"]["full_text"].endswith(event_tweet["entities"]["urls"][0]["url"])
    assert event["extended_tweet"]["entities"]["urls"][0]["expanded_url"] == "https://example.com/x"
    assert len(event["text"]) <= 140 and event["text"].startswith("@acme word")
    status_link = event["entities"]["urls"][-1]
    assert event["text"].endswith("… " + status_link["url"])
    assert status_link["expanded_url"].endswith("/status/" + event_tweet["id"])
    assert event["user"]["screen_name"] == "alice"
    assert event["in_reply_to_status_id_str"] == root["id"]
    assert event["in_reply_to_screen_name"] == "acme"
    assert event["entities"]["user_mentions"][0]["indices"] == [0, 5]
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d \+0000 \d{4}", event["created_at"])
