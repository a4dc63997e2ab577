"""The sidebar's reads: a customer's recent posts (reposts marked), profile and lookup."""
import pytest

from plugin.platforms.errors import Refused
from tests.fakes.bluesky import recorded

FEED = recorded("get_author_feed.json")["feed"]


def test_recent_posts_come_from_the_author_feed_with_reposts_marked(bluesky, adapter):
    bluesky.add_recorded_feed()
    author = adapter.lookup("@chriskenny.bsky.social")
    posts = adapter.recent_posts(author, limit=50)
    assert [p.external_id for p in posts] == ["bluesky:" + item["post"]["uri"] for item in FEED]
    assert [p.is_repost for p in posts] == [
        (item.get("reason") or {}).get("$type") == "app.bsky.feed.defs#reasonRepost"
        for item in FEED]
    assert sum(p.is_repost for p in posts) == 7
    assert [p.likes for p in posts] == [item["post"]["likeCount"] for item in FEED]
    assert all(p.url.startswith("https://bsky.app/profile/") for p in posts)


def test_hydrated_images_keep_their_urls(bluesky, adapter):
    bluesky.add_recorded_feed()
    author = adapter.lookup("chriskenny.bsky.social")
    posts = {p.external_id: p for p in adapter.recent_posts(author, limit=50)}
    item = next(i for i in FEED if (i["post"].get("embed") or {}).get("$type")
                == "app.bsky.embed.images#view")
    attachments = posts["bluesky:" + item["post"]["uri"]].attachments
    assert [a.url for a in attachments] == [i["fullsize"] for i in item["post"]["embed"]["images"]]
    assert [a.preview_url for a in attachments] == [
        i["thumb"] for i in item["post"]["embed"]["images"]]


def test_profile_and_lookup(bluesky, adapter, jane):
    bluesky.mention(jane, "hi")
    author = adapter.lookup("@jane.example.social")
    assert (author.id, author.name, author.handle) == (
        "bluesky:user:" + jane["did"], "Jane Doe", "@jane.example.social")
    profile = adapter.profile(author)
    assert profile.author == author and profile.followers_count == 12


def test_looking_up_nobody_is_a_404(adapter):
    with pytest.raises(Refused) as raised:
        adapter.lookup("@nobody.example.social")
    assert raised.value.status == 404
