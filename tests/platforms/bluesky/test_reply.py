"""Replies: reply refs to root and parent, facets in exact UTF-8 bytes, record keys from the
idempotency key, and the posts Bluesky will not let the brand answer."""
import re
from datetime import datetime
from datetime import timezone

import pytest

from plugin.platforms.bluesky.session import record_key
from plugin.platforms.errors import Refused
from plugin.platforms.errors import ReplyNotAllowed
from plugin.platforms.errors import Unavailable
from plugin.platforms.media import Upload
from plugin.replies.planning import plan
from tests.platforms.bluesky.kit import make_adapter

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}\Z")
MENTION = "app.bsky.richtext.facet#mention"
LINK = "app.bsky.richtext.facet#link"

BODIES = [
    # (name, body after the prefix, the URLs in it as links)
    ("ascii", "Thanks, see https://acme.example/help.", ["https://acme.example/help"]),
    ("emoji with skin tone and family", "👍🏽 Sorry 👨‍👩‍👧‍👦 — https://acme.example/x?q=1 🇯🇵",
     ["https://acme.example/x?q=1"]),
    ("cjk", "東京の天気は晴れです https://acme.example/日本 です", ["https://acme.example/日本"]),
    ("combining marks", "Cafe\u0301 (https://acme.example/a_(b)) ok",
     ["https://acme.example/a_(b)"]),
    ("the handle again", "@jane.example.social, really", []),
]


def _taken(adapter):
    return adapter.fetch_mentions(None, LONG_AGO).mentions


def _posted(bluesky, posted):
    return bluesky.posts[posted.external_id.removeprefix("bluesky:")]["record"]


@pytest.mark.parametrize(("body", "urls"), [row[1:] for row in BODIES],
                         ids=[row[0] for row in BODIES])
def test_facets_cover_exactly_the_handle_and_the_urls_in_bytes(bluesky, adapter, jane, body,
                                                               urls):
    bluesky.mention(jane, "help?")
    [mention] = _taken(adapter)
    text = adapter.reply_prefix(mention.reply_target) + body
    record = _posted(bluesky, adapter.post_reply(mention.reply_target, text, "k"))
    raw = record["text"].encode("utf-8")
    spans = [(raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode("utf-8"),
              f["features"][0]) for f in record["facets"]]
    handle = ("@jane.example.social", {"$type": MENTION, "did": jane["did"]})
    assert spans == [handle] * (1 + body.count("@jane")) + [
        (url, {"$type": LINK, "uri": url}) for url in urls]


def test_the_customer_is_mentioned_even_when_the_agent_typed_no_handle(bluesky, adapter, jane):
    bluesky.mention(jane, "help?")
    [mention] = _taken(adapter)
    [text] = plan(adapter, mention.reply_target, "On its way!", "split")
    record = _posted(bluesky, adapter.post_reply(mention.reply_target, text, "k"))
    assert record["text"] == "@jane.example.social On its way!"
    assert record["facets"][0]["index"] == {"byteStart": 0, "byteEnd": 20}


def test_a_reply_deep_in_a_thread_keeps_its_root(bluesky, adapter, jane):
    root = bluesky.post(jane, "a question for everyone")
    middle = bluesky.post(bluesky.add_account("sam.example.social", "Sam"), "same here",
                          reply_to=root["uri"])
    asked = bluesky.mention(jane, "any news?", reply_to=middle["uri"])
    [mention] = _taken(adapter)
    first = adapter.post_reply(mention.reply_target, "@jane.example.social Soon", "k-1")
    second = adapter.post_reply(first.reply_target, "@jane.example.social Now!", "k-2")
    refs = [_posted(bluesky, p)["reply"] for p in (first, second)]
    assert [r["root"] for r in refs] == [{"uri": root["uri"], "cid": root["cid"]}] * 2
    assert refs[0]["parent"] == {"uri": asked["uri"], "cid": asked["cid"]}
    assert refs[1]["parent"]["uri"] == first.external_id.removeprefix("bluesky:")
    assert mention.thread_id == "bluesky:" + root["uri"]


def test_record_keys_are_valid_tids_fixed_by_the_idempotency_key():
    keys = [record_key(key) for key in ("req-1:0", "req-1:1", "req-2:0", "é" * 500)]
    assert all(TID.match(key) for key in keys)
    assert len(set(keys)) == 4 and record_key("req-1:0") == keys[0]


def test_a_retry_by_another_process_finds_the_first_post(bluesky, jane):
    bluesky.mention(jane, "hello?")
    [mention] = _taken(make_adapter(bluesky))
    once = make_adapter(bluesky).post_reply(mention.reply_target, "@jane.example.social Hi",
                                            "req-9")
    again = make_adapter(bluesky).post_reply(mention.reply_target, "@jane.example.social Hi",
                                             "req-9")
    assert once == again and len(bluesky.brand_posts()) == 1
    assert once.external_id.endswith("/" + record_key("req-9"))


def test_a_failed_post_that_made_nothing_is_reported(bluesky, adapter, jane):
    bluesky.mention(jane, "hello?")
    [mention] = _taken(adapter)
    bluesky.fail_next(1, status=500, path="com.atproto.repo.createRecord")
    with pytest.raises(Unavailable):
        adapter.post_reply(mention.reply_target, "@jane.example.social Hi", "req-1")
    assert bluesky.brand_posts() == []


def test_a_post_whose_author_shut_out_replies_is_refused_before_posting(bluesky, adapter, jane):
    asked = bluesky.mention(jane, "hello?")
    [mention] = _taken(adapter)
    bluesky.reply_disabled.add(asked["uri"])
    with pytest.raises(ReplyNotAllowed):
        adapter.post_reply(mention.reply_target, "@jane.example.social Hi", "req-1")
    assert bluesky.brand_posts() == []


def test_a_reply_the_pds_refuses_as_not_allowed_is_reply_not_allowed(bluesky, adapter, jane):
    bluesky.mention(jane, "hello?")
    [mention] = _taken(adapter)
    bluesky.fail_next(1, status=400, error="InvalidRequest",
                      message="Replies to this post are not allowed",
                      path="com.atproto.repo.createRecord")
    with pytest.raises(ReplyNotAllowed):
        adapter.post_reply(mention.reply_target, "@jane.example.social Hi", "req-1")


def test_a_deleted_post_cannot_be_answered(bluesky, adapter, jane):
    asked = bluesky.mention(jane, "hello?")
    [mention] = _taken(adapter)
    del bluesky.posts[asked["uri"]]
    with pytest.raises(Refused, match="no longer exists") as raised:
        adapter.post_reply(mention.reply_target, "@jane.example.social Hi", "req-1")
    assert raised.value.status == 404


def test_an_image_goes_up_as_a_blob_with_its_alt_text(bluesky, adapter, jane):
    bluesky.mention(jane, "photo?")
    [mention] = _taken(adapter)
    image = Upload("box.png", "image/png", b"\x89PNG" + b"\0" * 32, "The box")
    record = _posted(bluesky, adapter.post_reply(mention.reply_target,
                                                 "@jane.example.social Here", "k", (image,)))
    [entry] = record["embed"]["images"]
    assert entry["alt"] == "The box" and entry["image"]["mimeType"] == "image/png"
