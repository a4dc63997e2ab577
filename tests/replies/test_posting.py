"""The reply ledger: one post per Zendesk request, even when racing or resuming."""
import threading
import time

import pytest
from sqlalchemy import select

from plugin.replies import posting as replies
from plugin.replies.planning import plan
from plugin.accounts import adapter_for
from plugin.db import db
from plugin.models import Account
from plugin.models import ReplyLedger


def _ticket(connect, mastodon, zendesk, domain="example.social", **settings):
    _, metadata = connect(**settings)
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane", domain=domain)
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


def _sent(mastodon):
    return [r["data"]["status"] for r in mastodon.requests if r["method"] == "POST"]


@pytest.mark.parametrize("typed, sent", [
    ("@janet will call you.", "@jane @janet will call you."),
    ("@Jane, thanks for waiting!", "@Jane, thanks for waiting!"),
    ("Thanks   for\n\n\n\nwaiting.  ", "@jane Thanks for\n\nwaiting."),
], ids=["another-handle", "already-addressed", "whitespace-tidied"])
def test_the_customer_is_addressed_once(connect, mastodon, zendesk, typed, sent):
    ticket, instance = _ticket(connect, mastodon, zendesk, domain=None)
    assert zendesk.agent_reply(ticket.id, typed, instance=instance).status_code == 200
    assert _sent(mastodon) == [sent]


def test_a_reply_needing_too_many_posts_is_refused(connect, mastodon, zendesk):
    mastodon.max_characters = 100
    ticket, instance = _ticket(connect, mastodon, zendesk)
    answer = zendesk.agent_reply(ticket.id, "Sorry for the wait. " * 200, instance=instance)
    assert answer.status_code == 422
    assert answer.json()["error"] == "reply_too_many_parts"
    assert "10 posts" in answer.json()["message"]
    assert mastodon.posted == []


@pytest.mark.parametrize("first_fails", [False, True], ids=["after-posting", "after-failing"])
def test_a_retry_with_another_message_is_refused(connect, mastodon, zendesk, first_fails):
    ticket, instance = _ticket(connect, mastodon, zendesk)
    if first_fails:
        mastodon.fail_next(1, status=503, path_prefix="/api/v1/statuses")
    zendesk.agent_reply(ticket.id, "On it!", instance=instance, request_id="req-1")
    posted = list(mastodon.posted)
    again = zendesk.agent_reply(ticket.id, "Something else", instance=instance,
                                request_id="req-1")
    assert again.status_code == 409
    assert again.json()["error"] == "reply_request_changed"
    assert mastodon.posted == posted


def _killed_mid_post(account, ticket, message, request_id, reached_platform):
    """What a web process killed while posting leaves behind: its claim, maybe its post."""
    parent = ticket.comments[-1]["external_id"]
    target, thread = replies.reply_target(account.id, parent, ticket.thread_id)
    adapter = adapter_for(account)
    ledger, _ = replies.claim(account.id, request_id, parent, thread, message,
                              replies.claim_length(adapter))
    if reached_platform:
        text = plan(adapter, target, message, "split")[0]
        adapter.post_reply(target, text, replies.part_key(ledger, 0))


@pytest.mark.parametrize("reached_platform", [False, True], ids=["before-post", "after-post"])
def test_a_retry_takes_over_from_a_killed_process(app, connect, mastodon, zendesk,
                                                  reached_platform):
    app.config["PLATFORM_TIMEOUT_SECONDS"] = 1
    ticket, instance = _ticket(connect, mastodon, zendesk)
    account = db.session.scalar(select(Account))
    _killed_mid_post(account, ticket, "On it!", "killed", reached_platform)
    started = time.monotonic()
    while True:
        answer = zendesk.agent_reply(ticket.id, "On it!", instance=instance,
                                     request_id="killed")
        if answer.status_code != 409 or time.monotonic() - started > 10:
            break
        assert answer.json()["error"] == "reply_in_progress"
        time.sleep(0.2)
    assert answer.status_code == 200
    assert time.monotonic() - started < 4
    [status] = mastodon.posted
    assert answer.json()["external_id"].endswith(status["id"])
    assert "On it!" in status["content"]
