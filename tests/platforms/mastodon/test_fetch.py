"""Mastodon adapter: taking in mentions (backfill window, min_id cursor, hashtags)."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone


from tests.platforms.conftest import make_adapter


def ago(**delta):
    return datetime.now(timezone.utc) - timedelta(**delta)


def ids(adapter, notifications_or_statuses):
    """Our external ids for notifications (or bare statuses), in the given order."""
    return [adapter.status_id(item.get("status", item)["id"]) for item in notifications_or_statuses]


def notification_calls(fake):
    return [r["query"] for r in fake.requests if r["path"] == "/api/v1/notifications"]


def test_first_fetch_backfills_the_window_across_pages_oldest_first(mastodon, adapter, alice):
    for days in (30, 20, 10):
        mastodon.mention(alice, f"old {days}", created_at=ago(days=days))
    recent = [mastodon.mention(alice, f"new {i}", created_at=ago(minutes=300 - i))
              for i in range(100)]
    batch = adapter.fetch_mentions(None, since=ago(days=7))
    assert [m.external_id for m in batch.mentions] == ids(adapter, recent)
    calls = notification_calls(mastodon)
    assert len(calls) >= 2 and "max_id" in calls[1]  # paged backwards via Link rel=next
    assert calls[0]["types[]"] == ["mention"]


def test_window_is_measured_on_the_post_not_the_notification(mastodon, adapter, alice):
    status = mastodon.post_status(alice, "an old post", created_at=ago(days=30))
    mastodon.add_notification("mention", alice, status, created_at=ago(minutes=1))
    fresh = mastodon.mention(alice, "fresh")
    batch = adapter.fetch_mentions(None, since=ago(days=7))
    assert [m.external_id for m in batch.mentions] == ids(adapter, [fresh])


def test_cursor_picks_up_only_new_mentions(mastodon, adapter, alice, bob):
    mastodon.mention(alice, "first")
    first = adapter.fetch_mentions(None, since=ago(days=7))
    later = [mastodon.mention(bob, "second"), mastodon.mention(alice, "third")]
    second = adapter.fetch_mentions(first.cursor, since=ago(days=7))
    assert [m.external_id for m in second.mentions] == ids(adapter, later)
    assert "min_id" in notification_calls(mastodon)[-1]
    third = adapter.fetch_mentions(second.cursor, since=ago(days=7))
    assert third.mentions == []
    assert third.cursor == second.cursor


def test_burst_between_polls_is_collected_whole(mastodon, adapter, alice):
    mastodon.mention(alice, "before")
    cursor = adapter.fetch_mentions(None, since=ago(days=7)).cursor
    polled = len(notification_calls(mastodon))
    burst = [mastodon.mention(alice, f"burst {i}") for i in range(200)]
    batch = adapter.fetch_mentions(cursor, since=ago(days=7))
    got = [m.external_id for m in batch.mentions]
    assert got == ids(adapter, burst)  # oldest first, none skipped, none twice
    pages = notification_calls(mastodon)[polled:]
    assert len(pages) == 4  # 80 + 80 + 40, then an empty page ends the walk
    assert all("min_id" in q and "since_id" not in q for q in pages)


def test_first_fetch_on_a_quiet_account_then_a_burst(mastodon, adapter, alice):
    empty = adapter.fetch_mentions(None, since=ago(days=7))
    assert empty.mentions == []
    burst = [mastodon.mention(alice, f"burst {i}") for i in range(90)]
    batch = adapter.fetch_mentions(empty.cursor, since=ago(days=7))
    assert [m.external_id for m in batch.mentions] == ids(adapter, burst)


def test_other_notification_types_are_ignored(mastodon, adapter, alice):
    brand_post = mastodon.post_status(mastodon.brand, "our news")
    mastodon.add_notification("favourite", alice, brand_post)
    mastodon.add_notification("follow", alice)
    mention = mastodon.mention(alice, "question")
    mastodon.add_notification("reblog", alice, brand_post)
    batch = adapter.fetch_mentions(None, since=ago(days=7))
    assert [m.external_id for m in batch.mentions] == ids(adapter, [mention])


def test_hashtags_pull_tag_timelines_and_dedupe(mastodon, alice, bob):
    adapter = make_adapter(mastodon, hashtags="brand, #Help")
    both = mastodon.mention(alice, "love it", tags=["brand"])
    tagged = mastodon.post_status(bob, "anyone?", tags=["Help"])
    mastodon.post_status(bob, "unrelated", tags=["cats"])
    batch = adapter.fetch_mentions(None, since=ago(days=7))
    assert [m.external_id for m in batch.mentions] == ids(adapter, [both, tagged])
    assert batch.mentions[1].author.handle == "@bob@example.social"
    paths = {r["path"] for r in mastodon.requests}
    assert {"/api/v1/timelines/tag/brand", "/api/v1/timelines/tag/help"} <= paths


def test_hashtag_cursor_continues_each_timeline(mastodon, alice, bob):
    adapter = make_adapter(mastodon, hashtags="help")
    mastodon.post_status(bob, "old question", tags=["help"])
    first = adapter.fetch_mentions(None, since=ago(days=7))
    later = [mastodon.post_status(alice, "new question", tags=["help"]),
             mastodon.mention(bob, "ping")]
    second = adapter.fetch_mentions(first.cursor, since=ago(days=7))
    assert sorted(m.external_id for m in second.mentions) == sorted(ids(adapter, later))


def test_hashtag_posts_outside_the_window_are_left(mastodon, bob):
    adapter = make_adapter(mastodon, hashtags="help")
    mastodon.post_status(bob, "ancient", tags=["help"], created_at=ago(days=60))
    fresh = mastodon.post_status(bob, "today", tags=["help"])
    batch = adapter.fetch_mentions(None, since=ago(days=7))
    assert [m.external_id for m in batch.mentions] == ids(adapter, [fresh])


def test_a_stale_post_on_the_first_page_does_not_end_the_backfill(mastodon, adapter, alice):
    recent = [mastodon.mention(alice, f"new {i}", created_at=ago(minutes=300 - i))
              for i in range(100)]
    # A late notification for an old post (an edit adding the brand, a late federation).
    status = mastodon.post_status(alice, "edited to mention you", created_at=ago(days=30))
    mastodon.add_notification("mention", alice, status, created_at=ago(minutes=1))
    batch = adapter.fetch_mentions(None, since=ago(days=7))
    assert [m.external_id for m in batch.mentions] == ids(adapter, recent)
