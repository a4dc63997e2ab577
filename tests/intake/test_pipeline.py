"""The shared intake pipeline: filter with a reason, store once, number in order, score."""
import threading
from datetime import timedelta

from sqlalchemy import select

from plugin.intake import polling as intake
from plugin.intake import pipeline
from plugin.intake import sentiment
from plugin.accounts import adapter_for
from plugin.db import db
from plugin.models import Account
from plugin.models import StoredMention
from plugin.models import utcnow


def rows(account_id):
    db.session.rollback()
    return db.session.scalars(select(StoredMention).where(
        StoredMention.account_id == account_id).order_by(StoredMention.id)).all()


def pull_all(client, metadata):
    """Every external_id Zendesk would get by pulling until nothing is new."""
    state, delivered = "", []
    while True:
        answer = client.post("/channel/pull", data={"metadata": metadata, "state": state})
        assert answer.status_code == 200, answer.json
        delivered += [r["external_id"] for r in answer.json["external_resources"]]
        if answer.json["state"] == state:
            return delivered
        state = answer.json["state"]


def mentions_of(account, mastodon_notes):
    adapter = adapter_for(account)
    return adapter, [adapter.to_mention(n["status"], raw=n) for n in mastodon_notes]


def test_own_posts_reposts_and_echoes_are_stored_with_a_reason_never_delivered(
        client, connect, mastodon):
    account, metadata = connect(hashtags="acme")
    jane = mastodon.add_customer("jane", "Jane", domain="example.social")
    bob = mastodon.add_customer("bob", "Bob")
    question = mastodon.mention(jane, "<p>Is the #acme app down?</p>", tags=["acme"])
    own = mastodon.post_status(mastodon.brand, "Our new release is out", tags=["acme"])
    intake.poll_account(account.id)
    reply = client.post("/channel/channelback", data={
        "metadata": metadata, "message": "Not down, just slow today #acme",
        "parent_id": rows(account.id)[0].external_id, "request_unique_identifier": "r-1"})
    assert reply.status_code == 200, reply.json
    repost = mastodon.post_status(bob, "", reblog_of=question["status"])
    adapter = adapter_for(account)
    pipeline.ingest(account, adapter, [adapter.to_mention(repost, raw=repost)])

    delivered = pull_all(client, metadata)  # each pull polls again: the echo comes back

    reasons = {r.external_id.rsplit(":", 1)[1]: r.filtered_reason for r in rows(account.id)}
    assert reasons == {question["status"]["id"]: None, own["id"]: "own_post",
                       mastodon.posted[0]["id"]: "echo_of_our_reply",
                       repost["id"]: "repost"}
    assert reply.json["external_id"].endswith(mastodon.posted[0]["id"])
    assert [d.rsplit(":", 1)[1] for d in delivered] == [question["status"]["id"]]


def test_the_same_mention_twice_is_stored_and_delivered_once(client, connect, mastodon):
    account, metadata = connect()
    jane = mastodon.add_customer("jane", "Jane")
    adapter, mentions = mentions_of(account, [mastodon.mention(jane, "<p>help</p>")])

    first = pipeline.ingest(account, adapter, mentions)
    again = pipeline.ingest(account, adapter, mentions)
    intake.poll_account(account.id)  # and the poll sees it a third time

    assert (first.stored, again.stored, again.duplicates) == (1, 0, 1)
    assert len(rows(account.id)) == 1
    assert pull_all(client, metadata) == [mentions[0].external_id]


def test_concurrent_ingests_of_one_mention_store_it_once(app, client, connect, mastodon):
    account, metadata = connect()
    jane = mastodon.add_customer("jane", "Jane")
    _, mentions = mentions_of(account, [mastodon.mention(jane, "<p>burst</p>"),
                                        mastodon.mention(jane, "<p>burst 2</p>")])
    account_id = account.id  # the threads must not touch the test's session
    db.session.commit()
    barrier, results, errors = threading.Barrier(4, timeout=30), [], []

    def ingest():
        with app.app_context():
            mine = db.session.get(Account, account_id)
            barrier.wait()
            try:
                results.append(pipeline.ingest(mine, adapter_for(mine), mentions))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=ingest) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.stored for r in results) == 2
    assert sum(r.duplicates for r in results) == 6
    stored = rows(account.id)
    assert [r.external_id for r in stored] == [m.external_id for m in mentions]
    assert stored[0].seq < stored[1].seq
    assert pull_all(client, metadata) == [m.external_id for m in mentions]


def test_seq_numbers_strictly_increase_in_posting_order(connect, mastodon):
    account, _ = connect()
    jane = mastodon.add_customer("jane", "Jane")
    start = utcnow() - timedelta(hours=1)
    notes = [mastodon.mention(jane, f"<p>message {n}</p>", created_at=start + timedelta(minutes=n))
             for n in range(8)]
    adapter, mentions = mentions_of(account, notes)
    pipeline.ingest(account, adapter, mentions[:5])
    pipeline.ingest(account, adapter, mentions[3:])  # overlaps the first batch
    intake.poll_account(account.id)

    stored = rows(account.id)
    assert [r.external_id for r in stored] == [m.external_id for m in mentions]
    seqs = [r.seq for r in stored]
    assert all(a < b for a, b in zip(seqs, seqs[1:]))
    assert db.session.get(Account, account.id).last_seq >= seqs[-1]


def test_mentions_older_than_the_backfill_window_are_left_alone(connect, mastodon):
    account, _ = connect(backfill_days="2")
    jane = mastodon.add_customer("jane", "Jane")
    old = mastodon.mention(jane, "<p>last week</p>", created_at=utcnow() - timedelta(days=3))
    new = mastodon.mention(jane, "<p>today</p>")
    adapter, mentions = mentions_of(account, [old, new])
    result = pipeline.ingest(account, adapter, mentions)
    assert (result.stored, result.too_old) == (1, 1)
    assert [r.text for r in rows(account.id)] == ["@mastodonpy_test today"]


def test_sentiment_score_and_label_are_stored(connect, mastodon):
    account, _ = connect()
    jane = mastodon.add_customer("jane", "Jane")
    texts = {"I love the new app, thank you so much!": "positive",
             "This is terrible, the worst support ever. I hate it.": "negative",
             "The parcel arrived on Tuesday.": "neutral"}
    for text in texts:
        mastodon.mention(jane, f"<p>{text}</p>")
    intake.poll_account(account.id)

    stored = rows(account.id)
    assert [r.sentiment_label for r in stored] == list(texts.values())
    for row in stored:
        assert row.sentiment == sentiment.score(row.text).score
    assert stored[0].sentiment > 0.5 and stored[1].sentiment < -0.5
    assert stored[0].raw["status"]["id"] == stored[0].reply_target["status_id"]


def test_text_no_database_can_store_is_kept_cleaned_not_lost(connect, mastodon):
    """A NUL or a lone surrogate from a platform is not a reason to lose the mention (or to
    stall the account's intake on it)."""
    account, _ = connect()
    mastodon.app.json.ensure_ascii = True  # JSON's \u escapes carry what UTF-8 cannot
    odd = mastodon.add_customer("odd", "Odd\x00 \ud800Name")
    mastodon.mention(odd, "<p>broken\x00 text \udc00 here</p>")
    mastodon.mention(odd, "<p>and a normal one</p>")
    intake.poll_account(account.id)

    stored = rows(account.id)
    assert len(stored) == 2
    assert stored[0].text.endswith("broken text \ufffd here")
    assert stored[0].author_name == "Odd \ufffdName"
    assert db.session.get(Account, account.id).last_error is None
