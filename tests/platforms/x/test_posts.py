"""X API v2 pages as mentions, from recorded answers and small variations on them."""
import copy
import json
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest

from plugin.platforms.x.posts import Page

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x"


def _page(name):
    return json.loads((FIXTURES / name).read_text())


REPLY = "reply_mentioning_brand_with_expansions_twarc_2022.json"
TIMELINE = "user_timeline_with_expansions_twarc_2021.json"
BARE = "users_mentions_tweepy_2022.json"


def test_a_reply_with_expansions_has_everything_a_ticket_needs():
    (mention,) = Page(_page(REPLY)).mentions()
    assert mention.external_id == "x:1501963039859363843"
    assert mention.author.id == "x:495430242"
    assert mention.author.handle == "@IgorBrigadir"
    # The 48 px "_normal" avatar gives way to the original.
    assert mention.author.avatar_url.endswith("/xiveugt78rc97y1dasxf.jpeg")
    assert mention.url == "https://x.com/IgorBrigadir/status/1501963039859363843"
    assert mention.thread_id == mention.parent_id == "x:1501958949863661574"
    assert mention.posted_at == datetime(2022, 3, 10, 16, 47, 48, tzinfo=timezone.utc)
    assert mention.likes == 3
    assert mention.reply_target == {"tweet_id": "1501963039859363843", "author_id": "495430242",
                                    "username": "IgorBrigadir"}
    # t.co gives way to the address it stands for, and X's HTML escapes are undone.
    assert mention.text.endswith("Fields & Expansions, twarc does it for you: "
                                 "https://twarc-project.readthedocs.io/en/latest/twarc2_en_us/")


def test_a_page_without_fields_still_reads_taking_the_time_from_the_id():
    mentions = Page(_page(BARE)).mentions()
    assert len(mentions) == 10
    assert [m.posted_at for m in mentions] == sorted(m.posted_at for m in mentions)
    assert {m.posted_at.date().isoformat() for m in mentions} == {"2022-10-07"}


def test_a_timeline_keeps_reposts_marked_and_photos_as_attachments():
    mentions = Page(_page(TIMELINE)).mentions()
    assert len(mentions) == 100
    reposts = [m for m in mentions if m.is_repost]
    assert len(reposts) == 34
    with_photos = next(m for m in mentions if m.external_id == "x:1252393618570006529")
    assert [a.kind for a in with_photos.attachments] == ["image"] * 4
    # The link X appends for the photos is not left in the text.
    assert with_photos.text.endswith("via @Patriots....thoughts?")


def _one(**changes):
    page = copy.deepcopy(_page(REPLY))
    page["data"][0].update(changes)
    return page


CASES = [
    ("a long post reads whole from note_tweet",
     _one(note_tweet={"text": "word " * 80 + "end"}), lambda m: m.text.endswith("end")),
    ("a quote is kept, not a repost",
     _one(referenced_tweets=[{"type": "quoted", "id": "1"}]),
     lambda m: not m.is_repost and m.parent_id is None),
    ("a retweet is a repost",
     _one(referenced_tweets=[{"type": "retweeted", "id": "1"}]), lambda m: m.is_repost),
    ("a top-level post is its own conversation",
     _one(referenced_tweets=[], conversation_id="1501963039859363843"),
     lambda m: m.thread_id == m.external_id and m.parent_id is None),
]


@pytest.mark.parametrize(("page", "check"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_variations(page, check):
    assert check(Page(page).mentions()[0])


def test_a_video_is_its_best_mp4_with_its_preview():
    page = _one(attachments={"media_keys": ["7_1"]})
    page["includes"]["media"] = [{
        "media_key": "7_1", "type": "video", "preview_image_url": "https://pbs.twimg.com/p.jpg",
        "alt_text": "unboxing", "variants": [
            {"content_type": "application/x-mpegURL", "url": "https://video.twimg.com/v.m3u8"},
            {"content_type": "video/mp4", "bit_rate": 256000,
             "url": "https://video.twimg.com/lo.mp4"},
            {"content_type": "video/mp4", "bit_rate": 2176000,
             "url": "https://video.twimg.com/hi.mp4"},
        ]}]
    (attachment,) = Page(page).mentions()[0].attachments
    assert (attachment.kind, attachment.url, attachment.preview_url, attachment.description) == (
        "video", "https://video.twimg.com/hi.mp4", "https://pbs.twimg.com/p.jpg", "unboxing")
