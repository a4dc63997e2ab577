"""X's Account Activity deliveries: CRC, signatures, routing and posts, from documented shapes
(tests/fixtures/x/webhook_*.json, sources in tests/fixtures/x/SOURCES.md)."""
import base64
import copy
import hashlib
import hmac
import json
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest

from plugin.platforms.errors import Malformed
from plugin.platforms.errors import WebhookForged
from plugin.platforms.errors import WebhookUnsigned
from plugin.platforms.shapes import Attachment
from plugin.platforms.shapes import Author
from plugin.platforms.x import webhook

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x"
BRAND = "2244994945"
SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"webhook_{name}.json").read_text())


def signature(body: bytes, secret=SECRET) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256)
                                        .digest()).decode()


# CRC

def test_the_challenge_answers_xs_documented_example():
    answer = webhook.challenge({"crc_token": "9b4507b3-9040-4669-9ca3-6b94edb50553"}, SECRET)
    assert answer == {"response_token": "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}


@pytest.mark.parametrize("query", [{}, {"crc_token": ""}, {"hub.challenge": "abc"}])
def test_a_challenge_without_a_crc_token_is_malformed(query):
    with pytest.raises(Malformed):
        webhook.challenge(query, SECRET)


# Signatures

BODY = json.dumps(fixture("mention_photo")).encode()


@pytest.mark.parametrize("name", ["x-twitter-webhooks-signature", "X-Twitter-Webhooks-Signature",
                                  "X-TWITTER-WEBHOOKS-SIGNATURE"])
def test_a_signed_delivery_passes_whatever_the_header_case(name):
    webhook.verify(BODY, {"Content-Type": "application/json", name: signature(BODY)}, SECRET)


@pytest.mark.parametrize("headers", [{}, {"x-twitter-webhooks-signature": ""},
                                     {"X-Hub-Signature-256": signature(BODY)}])
def test_an_unsigned_delivery_is_refused(headers):
    with pytest.raises(WebhookUnsigned):
        webhook.verify(BODY, headers, SECRET)


@pytest.mark.parametrize(("body", "offered"), [
    (BODY, signature(BODY, secret="another app's secret")),
    (BODY + b" ", signature(BODY)),  # the body changed after signing
    (BODY, signature(BODY).removeprefix("sha256=")),
    (BODY, "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()),  # hex
    (BODY, "sha256=é"),
])
def test_a_forged_delivery_is_refused(body, offered):
    with pytest.raises(WebhookForged):
        webhook.verify(body, {"x-twitter-webhooks-signature": offered}, SECRET)


# Routing

@pytest.mark.parametrize("name", ["mention_photo", "reply_extended", "retweet", "quote_video",
                                  "favorite"])
def test_every_delivery_routes_to_its_subscribed_user(name):
    route = webhook.route(fixture(name))
    assert route.brand_user_ids == (BRAND,)
    assert route.key.startswith("sha256:") and len(route.key) <= 255


def test_a_redelivery_repeats_its_key_even_with_newer_counts_and_another_order():
    first = fixture("mention_photo")
    first["tweet_create_events"] += fixture("reply_extended")["tweet_create_events"]
    again = copy.deepcopy(first)
    again["tweet_create_events"].reverse()
    again["tweet_create_events"][0]["favorite_count"] = 99
    assert webhook.route(again).key == webhook.route(first).key


@pytest.mark.parametrize("other", [
    lambda p: p.update(for_user_id="783214"),
    lambda p: p["tweet_create_events"][0].update(id_str="706860403981099009"),
    lambda p: p["tweet_create_events"].append(fixture("retweet")["tweet_create_events"][0]),
])
def test_other_posts_or_users_get_another_key(other):
    changed = fixture("mention_photo")
    other(changed)
    assert webhook.route(changed).key != webhook.route(fixture("mention_photo")).key


def test_deliveries_without_posts_are_told_apart_by_their_content():
    like, other_like = fixture("favorite"), fixture("favorite")
    other_like["favorite_events"][0]["id"] = "b8cb60fbc1c0dcb497f8bdfebd38a653"
    assert webhook.route(like).key == webhook.route(fixture("favorite")).key
    assert webhook.route(like).key != webhook.route(other_like).key


@pytest.mark.parametrize("payload", [
    [], "x", None, {}, {"for_user_id": ""}, {"for_user_id": None}, {"for_user_id": True},
    {"for_user_id": "@TwitterDev"}, {"for_user_id": BRAND, "tweet_create_events": {}},
    {"for_user_id": BRAND, "tweet_create_events": ["706860403981099008"]},
    {"for_user_id": BRAND, "tweet_create_events": [{"text": "no id"}]},
])
def test_a_payload_that_is_not_xs_is_malformed(payload):
    with pytest.raises(Malformed):
        webhook.route(payload)


def test_a_numeric_user_id_routes_like_its_string():
    route = webhook.route({"for_user_id": int(BRAND), "follow_events": []})
    assert route.brand_user_ids == (BRAND,)


# Posts

JEREMY = Author(id="x:783214", handle="@jeremycloud", name="Jeremy Cloud",
                avatar_url="https://pbs.twimg.com/profile_images/436903139183054849/i_MjWCvJ.jpeg",
                profile_url="https://x.com/jeremycloud")

CASES = {
    "mention_photo": dict(
        external_id="x:706860403981099008", author=JEREMY,
        text="@TwitterDev Peek-a-boo! & hello",
        url="https://x.com/jeremycloud/status/706860403981099008",
        posted_at=datetime(2016, 3, 7, 15, 13, 47, tzinfo=timezone.utc),
        reply_target={"tweet_id": "706860403981099008", "author_id": "783214",
                      "username": "jeremycloud"},
        parent_id=None, thread_id="x:706860403981099008", is_repost=False, likes=7,
        attachments=(
            Attachment("image", "https://pbs.twimg.com/media/Cc9FyscUkAEQaOw.jpg",
                       "An owl peeking out of a hollow tree"),
            Attachment("image", "https://pbs.twimg.com/media/Cc9FyscUkAAxyzA.jpg"))),
    "reply_extended": dict(
        external_id="x:994633657141813248",
        author=Author(id="x:944480690", handle="@FloodSocial", name="Flood Social Monitor",
                      avatar_url="https://pbs.twimg.com/profile_images/875087697177567232/"
                                 "Qfy0kRIP.jpg",
                      profile_url="https://x.com/FloodSocial"),
        text='@TwitterDev Just another Extended Tweet with more than 140 characters, generated '
             'as a documentation example, showing that ["truncated": true] and the presence of '
             'an "extended_tweet" object with complete text and "entities" #documentation '
             '#parsingJSON #GeoTagged https://developer.twitter.com/en/docs/tweets/'
             'data-dictionary/overview/intro-to-tweet-json',
        url="https://x.com/FloodSocial/status/994633657141813248",
        posted_at=datetime(2018, 5, 10, 17, 41, 57, tzinfo=timezone.utc),
        reply_target={"tweet_id": "994633657141813248", "author_id": "944480690",
                      "username": "FloodSocial"},
        parent_id="x:1304102743196356610", thread_id=None, is_repost=False, likes=3,
        attachments=()),
    "retweet": dict(
        external_id="x:1307032311570583552",
        text="RT @TwitterDev: Here’s an article that highlights the updates in the new Tweet "
             "payload v2 https://dev.to/twitterdev/understanding-the-new-tweet-payload-in-the-"
             "twitter-api-v2-1fg5",
        posted_at=datetime(2020, 9, 18, 19, 2, 41, tzinfo=timezone.utc),
        parent_id=None, thread_id="x:1307032311570583552", is_repost=True, likes=0,
        attachments=()),
    "quote_video": dict(
        external_id="x:1307971605326405633",
        author=Author(id="x:1196134839712710656", handle="@dev_jamie", name="dev_jamie",
                      avatar_url=None, profile_url="https://x.com/dev_jamie"),
        text="Walked through this with @TwitterDev's article <3 "
             "https://twitter.com/TwitterDev/status/1307025659294674945",
        parent_id=None, thread_id="x:1307971605326405633", is_repost=False, likes=1,
        attachments=(Attachment(
            "video", "https://video.twimg.com/ext_tw_video/1307971536824852480/pu/vid/1280x720/"
                     "yHlFc0Io0uhn6IWd.mp4?tag=10",
            preview_url="https://pbs.twimg.com/ext_tw_video_thumb/1307971536824852480/pu/img/"
                        "mQ3tXnF0w0bN6Ky5.jpg"),)),
}


@pytest.mark.parametrize(("name", "expected"), CASES.items())
def test_a_delivered_post_becomes_a_mention(name, expected):
    payload = fixture(name)
    [mention] = webhook.parse(payload, BRAND)
    assert mention.platform == "x" and mention.visibility == "public"
    assert mention.raw == payload["tweet_create_events"][0]
    for field, value in expected.items():
        assert getattr(mention, field) == value, field


@pytest.mark.parametrize("name", ["favorite"])
def test_deliveries_of_other_events_carry_no_mentions(name):
    assert webhook.parse(fixture(name), BRAND) == []


def test_a_delivery_for_another_user_carries_no_mentions():
    assert webhook.parse(fixture("mention_photo"), "783214") == []


def test_posts_come_oldest_first():
    payload = fixture("quote_video")
    payload["tweet_create_events"] += (fixture("mention_photo")["tweet_create_events"]
                                       + fixture("reply_extended")["tweet_create_events"])
    assert [m.external_id for m in webhook.parse(payload, BRAND)] == [
        "x:706860403981099008", "x:994633657141813248", "x:1307971605326405633"]


def test_an_untruncated_post_keeps_its_root_text_even_beside_an_extended_copy():
    payload = fixture("mention_photo")
    payload["tweet_create_events"][0]["extended_tweet"] = {"full_text": "something else"}
    [mention] = webhook.parse(payload, BRAND)
    assert mention.text == "@TwitterDev Peek-a-boo! & hello"


def test_a_truncated_post_without_its_extended_copy_keeps_what_it_has():
    payload = fixture("reply_extended")
    del payload["tweet_create_events"][0]["extended_tweet"]
    [mention] = webhook.parse(payload, BRAND)
    assert mention.text.endswith("showi… https://twitter.com/i/web/status/994633657141813248")


def _set(path, value):
    def change(tweet):
        *parents, last = (int(key) if key.isdigit() else key for key in path.split("."))
        for key in parents:
            tweet = tweet[key]
        tweet[last] = value
    return change


MIS_SHAPED = [("mention_photo", change) for change in [
    _set("id_str", None), _set("id_str", "abc"), _set("user", None), _set("user", "783214"),
    _set("user.id_str", ""), _set("user.screen_name", None), _set("text", None),
    _set("text", 7), _set("created_at", "2016-03-07T15:13:47Z"), _set("created_at", None),
    _set("created_at", "Mon Foo 07 15:13:47 +0000 2016"),
    _set("in_reply_to_status_id_str", "../1"), _set("entities", []),
    _set("entities.urls", {}), _set("extended_entities", []),
    _set("extended_entities.media", {}), _set("extended_entities.media", [{}]),
    _set("extended_entities.media", ["photo"]),
    _set("extended_entities.media.0.video_info", []),
]] + [("reply_extended", change) for change in [
    _set("extended_tweet", "text"), _set("extended_tweet.full_text", None),
    _set("extended_tweet.entities", "urls"),
]]


@pytest.mark.parametrize(("name", "change"), MIS_SHAPED)
def test_a_mis_shaped_post_is_malformed(name, change):
    payload = fixture(name)
    change(payload["tweet_create_events"][0])
    with pytest.raises(Malformed):
        webhook.parse(payload, BRAND)


@pytest.mark.parametrize("payload", [
    None, [], {"for_user_id": BRAND, "tweet_create_events": "x"},
    {"for_user_id": BRAND, "tweet_create_events": [None]},
])
def test_a_mis_shaped_delivery_is_malformed(payload):
    with pytest.raises(Malformed):
        webhook.parse(payload, BRAND)
