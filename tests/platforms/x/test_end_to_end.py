"""X end to end: fake Zendesk ⇄ our service ⇄ fake X, through the webhook, the pull, the
poll that reconciles and the channelback."""
import base64
import hashlib
import hmac

import requests
from sqlalchemy import select

from plugin.db import db
from plugin.models import Account
from plugin.models import StoredMention
from plugin.models import WebhookDelivery
from tests.conftest import poll_now

SIGNATURE = "x-twitter-webhooks-signature"


def _hook(service):
    return f"{service.url}/webhooks/x"


def _stored(account_id):
    db.session.rollback()
    return db.session.scalars(select(StoredMention).where(
        StoredMention.account_id == account_id)).all()


def test_the_crc_answer_is_the_consumer_secret_keyed_hash(service, deployed, x):
    assert x.crc(_hook(service))
    answer = requests.get(_hook(service), params={"crc_token": "challenge"}, timeout=10)
    digest = hmac.new(b"cs", b"challenge", hashlib.sha256).digest()
    assert answer.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}


def test_unsigned_forged_and_other_body_deliveries_are_refused(service, connected, x):
    jane = x.add_user("jane", "Jane")
    body = x.webhook_body([x.mention(jane, "hello")])
    other = x.webhook_body([x.mention(jane, "another")])
    signed = x.sign(body)
    forged = {SIGNATURE: "sha256=" + base64.b64encode(b"0" * 32).decode()}
    assert requests.post(_hook(service), data=body, timeout=10).status_code == 401
    assert requests.post(_hook(service), data=body, headers=forged, timeout=10).status_code == 403
    assert requests.post(_hook(service), data=other, headers=signed,
                         timeout=10).status_code == 403
    db.session.rollback()
    assert db.session.scalars(select(WebhookDelivery)).all() == []


def test_a_delivered_mention_is_one_ticket_once_and_the_reply_goes_back(service, connected, x,
                                                                         zendesk):
    account, metadata = connected
    instance = zendesk.add_instance("X @acme", metadata)
    jane = x.add_user("jane", "Jane Doe")
    post = x.mention(jane, "my parcel never came")

    first = x.deliver(_hook(service), [post])
    again = x.deliver(_hook(service), [post])
    assert first.status_code == again.status_code == 200
    assert zendesk.pull_until_empty(instance) == 1
    # The poll that reconciles finds the same post and adds nothing.
    poll_now(account.id)
    assert zendesk.pull_until_empty(instance) == 0
    assert len(_stored(account.id)) == 1

    ticket = zendesk.ticket_for(f"x:{post['id']}")
    assert ticket.requester["name"] == "Jane Doe"
    assert ticket.comments[0]["body"] == "@acme my parcel never came"
    answer = zendesk.agent_reply(ticket.id, "Sorry Jane, it ships today.", instance=instance)
    assert answer.status_code == 200, answer.text
    [reply] = x.brand_posts()
    assert reply["text"].endswith("Sorry Jane, it ships today.")
    assert {"type": "replied_to", "id": post["id"]} in reply["referenced_tweets"]


def test_a_missed_delivery_is_caught_by_the_poll_in_its_thread(service, connected, x, zendesk):
    account, metadata = connected
    instance = zendesk.add_instance("X @acme", metadata)
    jane = x.add_user("jane", "Jane Doe")
    root = x.mention(jane, "order 7 is late")
    x.deliver(_hook(service), [root])
    follow = x.mention(jane, "any news?", reply_to=root["id"])  # its delivery never came
    reply_by_hook = x.mention(jane, "hello??", reply_to=follow["id"])
    x.deliver(_hook(service), [reply_by_hook])
    assert zendesk.pull_until_empty(instance) >= 2
    poll_now(account.id)
    zendesk.pull_until_empty(instance)
    ticket = zendesk.ticket_for(f"x:{root['id']}")
    assert zendesk.ticket_for(f"x:{follow['id']}") is ticket
    assert zendesk.ticket_for(f"x:{reply_by_hook['id']}") is ticket


def test_a_reply_x_does_not_allow_is_a_failure_the_agent_can_act_on(service, connected, x,
                                                                   zendesk):
    account, metadata = connected
    instance = zendesk.add_instance("X @acme", metadata)
    jane = x.add_user("jane", "Jane Doe")
    # Jane lets only the people she follows reply, and she does not follow the brand.
    x.post(jane, "@acme help", reply_settings="following")
    poll_now(account.id)
    zendesk.pull_until_empty(instance)
    ticket = next(iter(zendesk.tickets.values()))
    answer = zendesk.agent_reply(ticket.id, "Hi Jane", instance=instance)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "reply_not_allowed"
    db.session.rollback()
    assert db.session.get(Account, account.id).credentials_failed_at is None
