"""Polling a platform that pushes too: what a poll takes in is acknowledged only once stored, a
failed acknowledgement is retried, webhook-only platforms are never polled, and a platform with
both modes is polled only to reconcile while deliveries reach the account."""
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import update

from plugin import accounts
from plugin.db import db
from plugin.health import account_health
from plugin.intake import polling
from plugin.models import Account
from plugin.models import StoredMention
from plugin.models import utcnow
from plugin.platforms import REGISTRY
from tests.fakes.hooked import PushOnlyAdapter


def stored_ids(account_id):
    db.session.rollback()
    return list(db.session.scalars(select(StoredMention.external_id).where(
        StoredMention.account_id == account_id).order_by(StoredMention.seq)))


class StoreFails:
    """The database refuses to store mentions (a crash between fetch and commit)."""

    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self.refuse)
        return self

    def __exit__(self, *exc_info):
        event.remove(self.engine, "before_cursor_execute", self.refuse)

    @staticmethod
    def refuse(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO MENTIONS"):
            raise RuntimeError("the database went away")


def test_a_poll_acknowledges_what_it_stored(connected, hooked):
    account, _ = connected
    post = hooked.post("jane", "missed by the webhook")
    hooked.inbox.append(post)

    result = polling.poll_account(account.id)

    assert result.stored == 1 and stored_ids(account.id) == [f"hooked:{post['id']}"]
    assert hooked.read == [post["id"]]
    assert db.session.get(Account, account.id).unacknowledged == []


def test_a_crash_between_fetch_and_commit_acknowledges_nothing(app, connected, hooked):
    account, _ = connected
    post = hooked.post("jane", "hello")
    hooked.inbox.append(post)

    with StoreFails(db.engine), pytest.raises(RuntimeError):
        polling.poll_account(account.id)

    assert hooked.read == [] and stored_ids(account.id) == []
    db.session.execute(update(Account).values(poll_lease_until=None))  # the lease expires
    db.session.commit()
    polling.poll_account(account.id)
    assert stored_ids(account.id) == [f"hooked:{post['id']}"]
    assert hooked.read == [post["id"]]


def test_a_failed_acknowledgement_is_retried_on_the_next_poll(connected, hooked):
    account, _ = connected
    first, second = hooked.post("jane", "one"), hooked.post("bob", "two")
    hooked.inbox.append(first)
    hooked.fail_acknowledge = 10

    assert polling.poll_account(account.id).stored == 1

    assert hooked.read == []
    assert db.session.get(Account, account.id).unacknowledged == [first["id"]]
    assert db.session.get(Account, account.id).last_error is None  # stored: the poll succeeded
    hooked.fail_acknowledge = 0
    hooked.inbox.append(second)
    polling.poll_account(account.id)
    assert sorted(hooked.read) == sorted([first["id"], second["id"]])
    assert db.session.get(Account, account.id).unacknowledged == []
    assert len(stored_ids(account.id)) == 2


def test_a_platform_with_both_modes_is_polled_only_to_reconcile_while_deliveries_arrive(
        app, connected, hooked):
    account, _ = connected
    interval = timedelta(seconds=app.config["POLL_INTERVAL_SECONDS"])
    before = utcnow()
    polling.poll_account(account.id)  # no delivery yet (no webhook registered): every minute
    account = db.session.get(Account, account.id)
    assert account.next_poll_at <= before + interval

    account.last_delivery_at = utcnow()  # deliveries reach it
    account.next_poll_at = before = utcnow()
    db.session.commit()
    polling.poll_account(account.id)
    account = db.session.get(Account, account.id)
    assert account.next_poll_at >= before + polling.RECONCILE_INTERVAL - polling.TICK_SLACK
    account.last_polled_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert not polling.is_overdue(account)  # a pull never asks for an early poll
    assert account.id in polling.due_accounts(account.next_poll_at)

    account.last_delivery_at = utcnow() - polling.PUSH_QUIET  # deliveries stopped
    db.session.commit()
    assert polling.is_overdue(account)  # polled like any other again


def test_a_webhook_only_platform_is_never_polled(app, monkeypatch, hooked):
    monkeypatch.setitem(REGISTRY, PushOnlyAdapter.name, PushOnlyAdapter)
    account, _ = accounts.connect("hooked", "acme", {"base_url": hooked.url,
                                                     "access_token": hooked.token})
    hooked.inbox.append(hooked.post("jane", "hello"))

    assert account.id not in polling.due_accounts(utcnow() + timedelta(days=1))
    assert not polling.is_overdue(account)
    assert polling.poll_account(account.id) is None
    app.extensions["murmur.tasks"]["poll_due"]()

    assert stored_ids(account.id) == [] and hooked.read == []
    account = db.session.get(Account, account.id)
    account.next_poll_at = utcnow() - timedelta(hours=1)  # as connecting left it, long ago
    assert account_health(account)["state"] != "stalled"
