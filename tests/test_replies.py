"""The reply ledger: one post per Zendesk request, even when racing or resuming."""
import threading

from sqlalchemy import select

from plugin.db import db
from plugin.models import ReplyLedger


def _ticket(connect, mastodon, zendesk, **settings):
    _, metadata = connect(**settings)
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane", domain="example.social")
    mastodon.mention(jane, "<p>help</p>")
    zendesk.pull_until_empty(instance)
    return next(iter(zendesk.tickets.values())), instance


def test_racing_retries_post_once(connect, mastodon, zendesk):
    ticket, instance = _ticket(connect, mastodon, zendesk)
    mastodon.set_latency(0.3)  # both requests are in flight together
    answers = []

    def reply():
        answers.append(zendesk.agent_reply(ticket.id, "On it!", instance=instance,
                                           request_id="same-request"))

    threads = [threading.Thread(target=reply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mastodon.posted) == 1
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([200, 200], [200, 409])
    assert all(a.json()["external_id"].endswith(mastodon.posted[0]["id"])
               for a in answers if a.status_code == 200)


def test_a_failed_part_is_resumed_not_repeated(connect, mastodon, zendesk):
    mastodon.max_characters = 100
    ticket, instance = _ticket(connect, mastodon, zendesk)
    text = " ".join(["We are looking into it and will write back soon."] * 5)
    # the first part goes out, the second fails
    mastodon.fail_next(1, status=503, path_prefix="/api/v1/statuses", after=1)
    first = zendesk.agent_reply(ticket.id, text, instance=instance, request_id="long-one")
    assert first.status_code == 503
    ledger = db.session.scalar(select(ReplyLedger))
    assert ledger.status == "failed" and "503" in ledger.error
    assert len(mastodon.posted) == 1
    retry = zendesk.agent_reply(ticket.id, text, instance=instance, request_id="long-one")
    assert retry.status_code == 200
    assert retry.json()["external_id"].endswith(mastodon.posted[0]["id"])
    parts = mastodon.posted
    assert len(parts) >= 3
    assert len({part["content"] for part in parts}) == len(parts)  # nothing posted twice
    for previous, part in zip(parts, parts[1:]):
        assert part["in_reply_to_id"] == previous["id"]
    db.session.expire_all()
    assert db.session.scalar(select(ReplyLedger)).status == "posted"
