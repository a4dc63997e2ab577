"""Intake from recorded notifications: only mentions, replies and quotes become mentions, named
by display name or handle, with full URLs and images."""
from datetime import datetime
from datetime import timezone

import pytest

from plugin import accounts
from plugin.platforms.bluesky.adapter import PAGE
from plugin.platforms.bluesky.paging import MAX_PAGES
from plugin.platforms.errors import AuthFailed
from tests.fakes.bluesky import recorded

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)
RECORDED = recorded("list_notifications.json")["notifications"]


def _mentions(bluesky, adapter):
    bluesky.add_recorded_notifications()
    return adapter.fetch_mentions(None, LONG_AGO).mentions


def test_likes_reposts_and_follows_never_become_mentions(bluesky, adapter):
    taken = _mentions(bluesky, adapter)
    kept = [n for n in RECORDED if n["reason"] in ("mention", "reply", "quote")]
    assert len(taken) == len(kept) == 18
    assert {m.external_id for m in taken} == {"bluesky:" + n["uri"] for n in kept}
    assert [m.posted_at for m in taken] == sorted(m.posted_at for m in taken)


def test_reasons_are_asked_for_and_filtered_on_our_side_too(bluesky, adapter):
    _mentions(bluesky, adapter)
    [(_, _, params)] = [r for r in bluesky.requests if r[1].endswith("listNotifications")]
    assert params["reasons"] == ["mention", "reply", "quote"] and params["limit"] == ["100"]


def test_authors_are_named_by_display_name_or_handle_never_by_did(bluesky, adapter):
    by_id = {m.external_id: m for m in _mentions(bluesky, adapter)}
    for note in RECORDED:
        mention = by_id.get("bluesky:" + note["uri"])
        if mention is None:
            continue
        expected = (note["author"].get("displayName") or "").strip() or note["author"]["handle"]
        assert mention.author.name == expected and "did:" not in mention.author.name
        assert mention.author.handle == "@" + note["author"]["handle"]
        assert mention.author.id == "bluesky:user:" + note["author"]["did"]


def test_a_link_facet_puts_the_full_url_in_the_text(bluesky, adapter):
    by_id = {m.external_id: m for m in _mentions(bluesky, adapter)}
    checked = 0
    for note in RECORDED:
        mention = by_id.get("bluesky:" + note["uri"])
        for facet in (note["record"].get("facets") or []) if mention else []:
            feature = facet["features"][0]
            if feature["$type"] == "app.bsky.richtext.facet#link":
                raw = note["record"]["text"].encode()
                shown = raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode()
                assert feature["uri"] in mention.text
                if shown != feature["uri"]:  # the shortened text is gone, the URL stands
                    assert shown not in mention.text.replace(feature["uri"], "")
                checked += 1
    assert checked >= 10


def test_images_become_attachments_with_their_alt_text(bluesky, adapter):
    by_id = {m.external_id: m for m in _mentions(bluesky, adapter)}
    with_images = [n for n in RECORDED if "bluesky:" + n["uri"] in by_id
                   and (n["record"].get("embed") or {}).get("$type") == "app.bsky.embed.images"]
    assert len(with_images) == 3
    for note in with_images:
        images = note["record"]["embed"]["images"]
        attachments = by_id["bluesky:" + note["uri"]].attachments
        assert [(a.kind, a.description) for a in attachments] == [
            ("image", (i.get("alt") or "").strip()) for i in images]
        assert [a.url for a in attachments] == [
            f"https://cdn.bsky.app/img/feed_fullsize/plain/{note['author']['did']}/"
            f"{i['image']['ref']['$link']}@jpeg" for i in images]


def test_threads_come_from_the_reply_root(bluesky, adapter):
    by_id = {m.external_id: m for m in _mentions(bluesky, adapter)}
    for note in RECORDED:
        mention = by_id.get("bluesky:" + note["uri"])
        if mention is None:
            continue
        reply = note["record"].get("reply")
        assert mention.thread_id == "bluesky:" + (reply["root"]["uri"] if reply else note["uri"])
        assert mention.parent_id == ("bluesky:" + reply["parent"]["uri"] if reply else None)
        assert mention.reply_target["root_cid"] == (reply["root"]["cid"] if reply else note["cid"])


def test_a_reply_to_the_brand_is_taken_in(bluesky, adapter, jane):
    ours = bluesky.post(bluesky.brand, "We are on it")
    asked = bluesky.mention(jane, "thanks!", reply_to=ours["uri"])
    [mention] = adapter.fetch_mentions(None, LONG_AGO).mentions
    assert mention.external_id == "bluesky:" + asked["uri"]
    assert bluesky.notifications[-1]["reason"] == "reply"


def test_a_burst_at_one_instant_is_taken_once(bluesky, adapter, jane):
    first = bluesky.mention(jane, "one")
    batch = adapter.fetch_mentions(None, LONG_AGO)
    twin = dict(bluesky.mention(jane, "two"), indexedAt=first["indexedAt"])
    bluesky.notifications[-1]["indexedAt"] = first["indexedAt"]
    again = adapter.fetch_mentions(batch.cursor, LONG_AGO)
    assert [m.external_id for m in again.mentions] == ["bluesky:" + twin["uri"]]
    assert adapter.fetch_mentions(again.cursor, LONG_AGO).mentions == []


def test_rate_limit_headers_are_read_as_epoch_seconds(adapter):
    remaining, reset = adapter.rate_limit({"RateLimit-Remaining": "2963",
                                           "RateLimit-Reset": "1747676784"})
    assert remaining == 2963
    assert reset == datetime(2025, 5, 19, 17, 46, 24, tzinfo=timezone.utc)


def test_a_long_backfill_stops_at_its_page_budget_and_goes_on_later(bluesky, adapter, jane):
    asked = [bluesky.mention(jane, f"n{n}")["uri"] for n in range(PAGE * MAX_PAGES + 1)]
    first = adapter.fetch_mentions(None, LONG_AGO)
    assert first.more and len(first.mentions) == PAGE * MAX_PAGES
    newer = bluesky.mention(jane, "while walking")["uri"]
    second = adapter.fetch_mentions(first.cursor, LONG_AGO)
    assert not second.more and [m.external_id for m in second.mentions] == ["bluesky:" + asked[0]]
    third = adapter.fetch_mentions(second.cursor, LONG_AGO)
    assert [m.external_id for m in third.mentions] == ["bluesky:" + newer]


def test_intake_resumes_from_its_cursor_after_a_reconnect(app, bluesky, jane):
    values = {"base_url": bluesky.url, "handle": "acme.bsky.social",
              "app_password": bluesky.app_password}
    account, _ = accounts.connect("bluesky", "acme", values)
    bluesky.mention(jane, "before")
    cursor = accounts.adapter_for(account).fetch_mentions(None, LONG_AGO).cursor
    bluesky.revoke_app_password()
    bluesky.expire_access_tokens()
    meanwhile = bluesky.mention(jane, "while disconnected")
    with pytest.raises(AuthFailed):
        accounts.adapter_for(account).fetch_mentions(cursor, LONG_AGO)
    bluesky.new_app_password("new1" * 4)
    account, _ = accounts.connect("bluesky", "acme", {**values, "app_password": "new1" * 4})
    taken = accounts.adapter_for(account).fetch_mentions(cursor, LONG_AGO).mentions
    assert [m.external_id for m in taken] == ["bluesky:" + meanwhile["uri"]]
