"""Polling: a backfill takes its whole window, malformed answers are recorded failures, and a
burst of replies costs a handful of thread lookups made outside any transaction."""
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from plugin.intake import polling as intake
from plugin.db import db
from plugin.models import Account
from plugin.models import StoredMention
from plugin.models import utcnow
from tests.intake.test_pipeline import pull_all


def stored(account_id):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(StoredMention).where(
        StoredMention.account_id == account_id))


def test_a_backfill_longer_than_one_poll_takes_the_whole_window(client, connect, mastodon):
    mastodon.rate_limit = 10_000
    customers = [mastodon.add_customer(f"c{n}", f"C {n}") for n in range(7)]
    start = utcnow() - timedelta(days=6)
    for n in range(2_100):
        mastodon.mention(customers[n % 7], f"<p>mention {n}</p>",
                         created_at=start + timedelta(seconds=n * 60))
    mastodon.mention(customers[0], "<p>too old</p>", created_at=utcnow() - timedelta(days=9))
    account, metadata = connect()

    delivered = pull_all(client, metadata)  # the pull's own fetch, then the queued follow-ups

    assert len(delivered) == 2_100 == len(set(delivered))
    assert stored(account.id) == 2_100
    late = mastodon.mention(customers[1], "<p>after the backfill</p>")
    intake.poll_account(account.id)
    assert pull_all(client, metadata)[-1].endswith(late["status"]["id"])


MALFORMED = [
    ("not json", "<html>Bad gateway</html>"),
    ("object for a list", '{"error": "surprise"}'),
    ("items of the wrong type", "[1, 2, 3]"),
    ("items missing keys", '[{"id": "9", "type": "mention", "status": {"id": "1"}}]'),
    ("truncated", '[{"id": "9", "type": "mention", "status": {'),
]


@pytest.mark.parametrize("body", [b for _, b in MALFORMED], ids=[n for n, _ in MALFORMED])
def test_a_malformed_answer_is_a_recorded_failure_and_the_account_recovers(
        client, connect, mastodon, body):
    account, metadata = connect()
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>hello</p>")
    mastodon.malform_next(1, body, path_prefix="/api/v1/notifications")

    answer = client.post("/channel/pull", data={"metadata": metadata, "state": ""})

    assert answer.status_code == 200 and answer.json["external_resources"] == []
    db.session.rollback()
    failed = db.session.get(Account, account.id)
    assert failed.last_error.startswith("platform_malformed")
    assert failed.next_poll_at > utcnow() and failed.poll_lease_until is None
    failed.next_poll_at = utcnow()
    db.session.commit()
    intake.poll_account(account.id)
    assert stored(account.id) == 1
    assert db.session.get(Account, account.id).last_error is None


def test_a_burst_of_replies_costs_one_thread_lookup_outside_any_transaction(
        app, connect, mastodon):
    account, _ = connect()
    alice, bob = mastodon.add_customer("alice", "Alice"), mastodon.add_customer("bob", "Bob")
    intake.poll_account(account.id)
    root = mastodon.post_status(alice, "<p>a post that does not mention the brand</p>")
    parent = mastodon.mention(bob, "<p>first</p>", in_reply_to=root)["status"]
    for n in range(200):
        parent = mastodon.mention(alice if n % 2 else bob, f"<p>reply {n}</p>",
                                  in_reply_to=parent)["status"]
    mastodon.requests.clear()
    # (begin|end, how many platform requests had been made by then)
    timeline = []
    listeners = {"begin": "begin", "commit": "end", "rollback": "end"}

    def recorder(kind):
        return lambda *args: timeline.append((kind, len(mastodon.requests)))

    hooks = [(name, recorder(kind)) for name, kind in listeners.items()]
    for name, hook in hooks:
        event.listen(db.engine, name, hook)
    try:
        intake.poll_account(account.id)
    finally:
        for name, hook in hooks:
            event.remove(db.engine, name, hook)

    lookups = [n for n, r in enumerate(mastodon.requests) if r["path"].endswith("/context")]
    assert len(lookups) == 1
    before = [kind for kind, count in timeline if count <= lookups[0]]
    assert before and before[-1] == "end", "the thread lookup ran inside a transaction"
    threads = set(db.session.scalars(select(StoredMention.thread_id).where(
        StoredMention.account_id == account.id)))
    assert threads == {f"mastodon:{mastodon.url.split('//')[1]}:{root['id']}"}
