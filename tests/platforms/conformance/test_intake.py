"""Intake: cursors that never skip or repeat, the whole backfill window, and the brand's own
posts and echoes of our replies stored with their reason, never delivered."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from sqlalchemy import select

from plugin import accounts
from plugin.db import db
from plugin.intake import pipeline
from plugin.models import StoredMention
from plugin.replies import posting

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)


def drain(adapter, cursor, since=LONG_AGO):
    """Every mention fetched from `cursor` until the platform has no more; and the cursor."""
    found = []
    while True:
        batch = adapter.fetch_mentions(cursor, since)
        found += batch.mentions
        cursor = batch.cursor
        if not batch.more:
            return found, cursor


def test_cursors_never_skip_or_repeat_across_pages(kit):
    adapter = kit.adapter()
    people = [kit.customer(f"c{n}") for n in range(3)]
    first = [kit.mention(people[n % 3], f"first {n}") for n in range(2 * kit.page_size + 3)]
    taken, cursor = drain(adapter, None)
    assert sorted(m.external_id for m in taken) == sorted(first)
    assert drain(adapter, cursor)[0] == []
    later = [kit.mention(people[n % 3], f"later {n}") for n in range(kit.page_size + 1)]
    taken, cursor = drain(adapter, cursor)
    assert [m.external_id for m in taken] == later  # oldest first, each once
    assert drain(adapter, cursor)[0] == []


def test_backfill_takes_the_whole_window_and_nothing_older(kit):
    now = datetime.now(timezone.utc)
    customer = kit.customer("early")
    inside = [kit.mention(customer, f"day {days}", posted_at=now - timedelta(days=days, hours=1))
              for days in (6, 3, 0)]
    kit.mention(customer, "too old", posted_at=now - timedelta(days=8))
    taken, _ = drain(kit.adapter(), None, since=now - timedelta(days=7))
    window = [m.external_id for m in taken if m.posted_at >= now - timedelta(days=7)]
    assert sorted(window) == sorted(inside)


def test_own_posts_and_echoes_of_our_replies_are_never_delivered(app, kit, zendesk):
    app.config["PLATFORM_SECRETS"] = {**app.config["PLATFORM_SECRETS"], **kit.app_secrets}
    account, metadata = accounts.connect(kit.platform, "acme", kit.connect_values())
    adapter = kit.adapter()
    customer = kit.customer("dana")
    asked = kit.mention(customer, "where is my parcel?")
    own = kit.own_post("Our spring sale starts today")
    _ingest_all(account, adapter)
    posted = posting.send(account, message=kit.visible_reply("It ships tomorrow"),
                          parent_id=asked, thread_id=asked, request_key="req-1")
    _ingest_all(account, adapter)
    fates = dict(db.session.execute(select(StoredMention.external_id,
                                           StoredMention.filtered_reason)).all())
    assert fates[asked] is None
    assert fates[own] == "own_post"
    assert fates[posted.external_id] in ("echo_of_our_reply", "own_post")
    instance = zendesk.add_instance(adapter.label, metadata)
    zendesk.pull_until_empty(instance)
    delivered = [c["external_id"] for t in zendesk.tickets.values() for c in t.comments]
    assert delivered == [asked]


def _ingest_all(account, adapter):
    db.session.refresh(account)
    taken, cursor = drain(adapter, account.cursor, since=account.backfill_since)
    pipeline.ingest(account, adapter, taken, cursor=cursor)
