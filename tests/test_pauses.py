"""A platform's pause belongs to the account: learnt once, honoured by every process and path;
leases are short and renewed; health says what is happening."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update

from plugin import create_app
from plugin.intake import polling as intake
from plugin.db import db
from plugin.models import Account
from plugin.models import ReplyLedger
from plugin.models import utcnow
from plugin.pauses import LEASE
from tests.conftest import OPERATOR
from tests.fakes.mastodon import FakeMastodon
from tests.sidebar.conftest import installation  # noqa: F401 - fixtures of the sidebar tests
from tests.sidebar.conftest import sidebar_get  # noqa: F401
from tests.sidebar.conftest import social_ticket  # noqa: F401


def other_process(app):
    """A second app on the same database, as another web or worker process would be."""
    return create_app({**{k: app.config[k] for k in (
        "DATABASE_URL", "SECRET_KEY", "PLATFORM_ALLOW_HTTP", "PLATFORM_ALLOW_LOOPBACK",
        "PLATFORM_RETRY_BACKOFF",
        "INSTANCE_PATH", "OPERATOR_TOKEN")}, "TESTING": True, "HUEY_IMMEDIATE": True,
        "INLINE_FETCH_AFTER_SECONDS": 0})


def calls(mastodon):
    return len(mastodon.requests)


def test_a_retry_after_learnt_by_the_worker_stops_every_other_path(app, client, connect,
                                                                   mastodon):
    account, metadata = connect()
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>hello</p>")
    mastodon.fail_next(1, status=429, retry_after=600, path_prefix="/api/v1/notifications")
    intake.poll_account(account.id)  # the worker's poll learns the 600 s pause
    db.session.rollback()
    paused = db.session.get(Account, account.id)
    assert paused.paused_until > utcnow() + timedelta(seconds=590)
    assert paused.next_poll_at >= paused.paused_until - timedelta(seconds=1)
    assert intake.due_accounts() == []

    web = other_process(app)
    before = calls(mastodon)
    with web.test_client() as other:
        # A pull 180 s later (the inline catch-up would have fetched): no platform call.
        pulled = other.post("/channel/pull", data={"metadata": metadata, "state": ""})
        assert pulled.status_code == 200 and pulled.json["external_resources"] == []
        health = other.get("/healthz", headers=OPERATOR).json["accounts"][0]
    assert calls(mastodon) == before
    assert health["state"] == "paused" and "429" in health["pause_reason"]
    with web.app_context():
        from plugin.accounts import adapter_for
        from plugin.platforms.errors import RateLimited
        with pytest.raises(RateLimited):  # a sidebar refresh or a reply: refused before a call
            adapter_for(db.session.get(Account, account.id)).recent_posts(
                adapter_for(db.session.get(Account, account.id)).lookup("jane"))
        db.session.remove()
        db.engine.dispose()
    assert calls(mastodon) == before


def test_a_spent_window_is_honoured_by_a_later_adapter(app, connect):
    from plugin.accounts import adapter_for
    with FakeMastodon.served(rate_limit=3) as small:
        account, _ = connect(base_url=small.url, access_token=small.token)  # spends one call
        small.add_customer("jane", "Jane")
        adapter_for(account).lookup("jane")
        adapter_for(account).lookup("jane")  # the window's last call: remaining 0
        db.session.rollback()
        assert db.session.get(Account, account.id).paused_until is not None
        before = calls(small)
        intake.poll_account(account.id)  # a new adapter object: it still knows
        assert calls(small) == before


def test_a_pause_only_ever_grows(app, connect):
    account, _ = connect()
    from plugin.pauses import AccountGuard
    guard = AccountGuard(account.id)
    later, sooner = utcnow() + timedelta(minutes=10), utcnow() + timedelta(minutes=1)
    guard.learned_pause(later, "first")
    guard.learned_pause(sooner, "second")
    db.session.rollback()
    assert db.session.get(Account, account.id).paused_until == later


def test_a_killed_poll_holds_its_lease_one_short_period(app, connect, mastodon):
    account, _ = connect()
    assert LEASE <= timedelta(seconds=60)
    held = intake._take_lease(account.id)  # a poll that then died: no heartbeat, no release
    assert intake.poll_account(account.id) is None  # held for now …
    db.session.rollback()
    db.session.get(Account, account.id).poll_lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()  # … until its short lease runs out
    assert held is not None and intake.poll_account(account.id) is not None


def test_a_poll_renews_its_lease_before_each_platform_call(app, connect, mastodon):
    account, _ = connect()
    lease = intake._take_lease(account.id)
    from plugin.accounts import adapter_for
    adapter = adapter_for(account, lease_until=lease)
    adapter.lookup("mastodonpy_test")
    db.session.rollback()
    assert db.session.get(Account, account.id).poll_lease_until > lease


def test_health_shows_a_stalled_account(app, client, connect, mastodon):
    account, _ = connect()
    intake.poll_account(account.id)
    db.session.rollback()
    stuck = db.session.get(Account, account.id)
    stuck.next_poll_at = utcnow() - timedelta(minutes=10)  # the worker stopped polling it
    db.session.commit()
    assert client.get("/healthz", headers=OPERATOR).json["accounts"][0]["state"] == "stalled"


def test_health_shows_failing_replies(app, client, connect, mastodon):
    account, _ = connect()
    intake.poll_account(account.id)
    db.session.add(ReplyLedger(account_id=account.id, request_key="r", idempotency_key="k",
                               parent_id="p", thread_id="t", message_sha256="0" * 64,
                               status="failed", error="platform_auth_failed: write scope"))
    db.session.commit()
    health = client.get("/healthz", headers=OPERATOR).json["accounts"][0]
    assert health["state"] == "replies_failing"
    assert health["last_reply_error"].startswith("platform_auth_failed")


@pytest.mark.parametrize("interval", [60, 120, 300])
def test_polls_come_at_the_configured_interval(app, connect, mastodon, interval):
    """The scheduler ticks each minute and a poll starts a moment after its tick: the tick one
    interval on must find the account due (it used to be one tick later: 120 s for 60)."""
    app.config["POLL_INTERVAL_SECONDS"] = interval
    account, _ = connect()
    started = utcnow()
    intake.poll_account(account.id)
    next_tick = started + timedelta(seconds=interval) - timedelta(seconds=5)
    assert account.id in intake.due_accounts(now=next_tick)
    assert account.id not in intake.due_accounts(now=started + timedelta(seconds=interval / 2))


def test_a_pull_never_reaches_an_account_in_auth_back_off(client, connect, mastodon):
    account, metadata = connect()
    mastodon.revoke_token()
    intake.poll_account(account.id)  # 401: back off for 15 minutes
    before = calls(mastodon)
    for _ in range(3):
        assert client.post("/channel/pull", data={"metadata": metadata}).status_code == 200
    assert calls(mastodon) == before


def test_a_pause_learnt_by_the_worker_holds_pull_and_sidebar_until_its_reset(
        app, sidebar_get, social_ticket, zendesk, mastodon):
    account_id = db.session.scalar(select(Account.id))
    mastodon.mention(social_ticket.customer, "<p>Still waiting for my order</p>")
    mastodon.fail_next(1, status=429, retry_after=600, path_prefix="/api/v1/notifications")
    intake.poll_account(account_id)  # the worker's poll learns the pause
    db.session.rollback()
    polled_at = db.session.get(Account, account_id).last_polled_at
    before = calls(mastodon)

    # Zendesk pulls (another thread, like another process): no inline fetch, no poll queued.
    assert zendesk.pull(social_ticket.instance).json()["external_resources"] == []
    # The sidebar: stored posts, marked rate-limited, and not one request to the platform.
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["state"] == "found" and body["stale"] is True
    assert body["stale_code"] == "rate_limited"
    assert [p["text"] for p in body["posts"]] == [
        "@mastodonpy_test My order is late and I'm annoyed"]
    assert calls(mastodon) == before
    db.session.rollback()
    assert db.session.get(Account, account_id).last_polled_at == polled_at

    db.session.execute(update(Account).where(Account.id == account_id).values(
        paused_until=utcnow() - timedelta(seconds=1),
        next_poll_at=utcnow() - timedelta(seconds=1)))  # the reset has passed
    db.session.commit()
    assert zendesk.pull_until_empty(social_ticket.instance) == 1  # the pull polls again
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["stale"] is False  # fetched from the platform again
    assert "Still waiting for my order" in [p["text"] for p in body["posts"]][0]
