"""Intake from X: one read per mention (expansions instead of lookups), bursts over several
polls without overlap, threads by conversation, reposts and the brand's own posts marked."""
from datetime import datetime
from datetime import timezone

from plugin.platforms.x.adapter import MAX_PAGES
from plugin.platforms.x.adapter import MENTIONS_REACH
from plugin.platforms.x.adapter import PAGE
from tests.platforms.conformance.test_intake import drain
from tests.platforms.x.kit import make_adapter

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _paths(x):
    return [path for _, path, _ in x.requests]


def test_a_mention_arrives_whole_from_one_read(x, adapter, jane):
    post = x.mention(jane, "my parcel never came https://shop.example/orders/1")
    [mention] = adapter.fetch_mentions(None, LONG_AGO).mentions
    assert mention.external_id == f"x:{post['id']}"
    assert (mention.author.handle, mention.author.name) == ("@jane", "Jane Doe")
    assert mention.text == "@acme my parcel never came https://shop.example/orders/1"
    assert mention.thread_id == mention.external_id
    assert mention.reply_target["tweet_id"] == post["id"]
    # The brand's id once, then the mentions: no user or post lookups per mention.
    assert _paths(x) == ["/2/users/me", f"/2/users/{x.brand['id']}/mentions"]
    assert x.billed_reads == 1


def test_a_burst_is_read_over_several_polls_each_post_once(x, adapter, jane):
    count = PAGE * MAX_PAGES + 37
    posted = [x.mention(jane, f"burst {n}")["id"] for n in range(count)]
    first = adapter.fetch_mentions(None, LONG_AGO)
    assert first.more and len(first.mentions) == PAGE * MAX_PAGES
    taken, cursor = drain(adapter, first.cursor)
    ids = [m.external_id for m in first.mentions + taken]
    assert sorted(ids) == sorted(f"x:{i}" for i in posted) and len(set(ids)) == count
    assert x.billed_reads == x.reads_returned == count
    assert drain(adapter, cursor)[0] == []


def test_a_conversation_is_one_thread_and_the_parent_is_known(x, adapter, jane):
    root = x.mention(jane, "order 1 is late")
    brand_reply = x.post(x.brand, "@jane sorry, checking", reply_to=root["id"])
    follow_up = x.mention(jane, "any news?", reply_to=brand_reply["id"])
    mentions = {m.external_id: m for m in adapter.fetch_mentions(None, LONG_AGO).mentions}
    later = mentions[f"x:{follow_up['id']}"]
    assert later.thread_id == f"x:{root['id']}"
    assert later.parent_id == f"x:{brand_reply['id']}"


def test_reposts_are_marked_and_quotes_kept(x, adapter, jane):
    original = x.mention(jane, "love it")
    bob = x.add_user("bob", "Bob")
    x.post(bob, "RT @jane: @acme love it", retweet_of=original["id"])
    quote = x.post(bob, "this @acme", quote_of=original["id"])
    mentions = adapter.fetch_mentions(None, LONG_AGO).mentions
    kinds = {m.external_id: m.is_repost for m in mentions}
    assert kinds[f"x:{quote['id']}"] is False and kinds[f"x:{original['id']}"] is False
    assert sorted(kinds.values()) == [False, False, True]


def test_search_terms_find_the_brand_named_without_an_at(x, jane):
    adapter = make_adapter(x, search_terms="acme widgets, acmehelp")
    named = x.post(jane, "my Acme Widgets arrived broken")
    tagged = x.post(jane, "#acmehelp anyone?")
    x.post(x.brand, "new acme widgets are here")  # the brand's own: not searched for
    both = x.mention(jane, "acmehelp @acme")  # found twice, taken once
    batch = adapter.fetch_mentions(None, LONG_AGO)
    assert sorted(m.external_id for m in batch.mentions) == sorted(
        f"x:{p['id']}" for p in (named, tagged, both))
    searched = [params for _, path, params in x.requests if path == "/2/tweets/search/recent"]
    assert '("acme widgets" OR acmehelp) -from:acme -is:retweet' in searched[0]["query"]


def test_the_cursor_reads_only_what_is_new(x, adapter, jane):
    x.mention(jane, "one")
    cursor = adapter.fetch_mentions(None, LONG_AGO).cursor
    assert adapter.fetch_mentions(cursor, LONG_AGO).mentions == []
    later = x.mention(jane, "two")
    assert [m.external_id for m in adapter.fetch_mentions(cursor, LONG_AGO).mentions] == [
        f"x:{later['id']}"]
    assert x.billed_reads == 2


def test_threads_of_webhook_posts_are_looked_up_once_per_batch(x, adapter, jane):
    root = x.mention(jane, "root")
    replies = [x.mention(jane, f"more {n}", reply_to=root["id"]) for n in range(3)]
    mentions = [m for m in adapter.fetch_mentions(None, LONG_AGO).mentions]
    unthreaded = [m.__class__(**{**m.__dict__, "thread_id": None}) for m in mentions]
    before = len(x.requests)
    threads = adapter.resolve_threads(unthreaded)
    assert len(x.requests) == before + 1
    assert {threads[f"x:{r['id']}"] for r in replies} == {f"x:{root['id']}"}


def test_mentions_beyond_the_timelines_reach_come_from_search_once(x, adapter, jane):
    posted = [x.mention(jane, f"backlog {n}")["id"] for n in range(MENTIONS_REACH + 150)]
    taken, cursor = drain(adapter, None)
    ids = [m.external_id for m in taken]
    assert sorted(ids) == sorted(f"x:{i}" for i in posted) and len(set(ids)) == len(ids)
    searched = [params for _, path, params in x.requests if path == "/2/tweets/search/recent"]
    assert searched and all(p["query"] == "@acme -from:acme" for p in searched)
    assert x.reads_returned == len(posted)  # nothing read twice
    later = x.mention(jane, "after the backlog")
    assert [m.external_id for m in drain(adapter, cursor)[0]] == [f"x:{later['id']}"]
