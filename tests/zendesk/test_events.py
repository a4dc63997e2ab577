"""Channel Framework event callbacks: kept, logged, and mapped to tickets only for our own ids."""
import json
import logging
import uuid

import pytest
from sqlalchemy import select

from plugin.intake import polling as intake
from plugin.db import db
from plugin.models import Account
from plugin.models import TicketLink
from plugin.models import ZendeskEvent
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.schemas import validate


def zd_event(type_id, data, subdomain="acme", **extra):
    """One event as Zendesk sends it, checked against Zendesk's own schema."""
    event = {"type_id": type_id, "timestamp": "2026-11-23T09:00:00Z", "subdomain": subdomain,
             "integration_name": "Murmur", "integration_id": "60f1", "data": data, **extra}
    validate(event, "event_callback_any.json")
    return event


def created(*pairs, subdomain="acme", kind="comment_on_new_ticket"):
    """A `resources_created_from_external_ids` event for (external_id, ticket_id) pairs."""
    return zd_event("resources_created_from_external_ids", {
        "request_id": uuid.uuid4().hex, "resource_events": [
            {"type_id": kind, "external_id": external_id, "ticket_id": ticket_id,
             "comment_id": ticket_id * 10} for external_id, ticket_id in pairs]},
        subdomain=subdomain)


def send(client, *events):
    response = client.post("/channel/events", json={"events": list(events)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"received": len(events)}
    return response


def links():
    db.session.rollback()
    return {(link.subdomain, link.external_id): link.ticket_id
            for link in db.session.scalars(select(TicketLink))}


def pulled_ids(client, metadata):
    """Pull once (which takes in the fake's mentions) and return the external ids."""
    response = client.post("/channel/pull", data={"metadata": metadata})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["external_id"] for r in response.get_json()["external_resources"]]


@pytest.fixture
def acme(connect, mastodon, client):
    """An `acme` account with two mentions taken in; returns (metadata, [external ids])."""
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>first</p>")
    mastodon.mention(jane, "<p>second</p>")
    _, metadata = connect("acme")
    ids = pulled_ids(client, metadata)
    assert len(ids) == 2
    return metadata, ids


@pytest.fixture
def globex(connect, client):
    """An account of another Zendesk (`globex`) on another Mastodon server, with one mention."""
    with FakeMastodon.served() as other:
        bob = other.add_customer("bob", "Bob")
        other.mention(bob, "<p>globex question</p>")
        _, metadata = connect("globex", base_url=other.url, access_token=other.token)
        [external_id] = pulled_ids(client, metadata)
    return external_id


def test_every_event_is_kept_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="plugin.zendesk.events")
    batch = [
        zd_event("create_integration", {"manifest_url": "https://murmur.example/channel/manifest.json"}),
        zd_event("create_integration_instance", {"metadata": "{}"}),
        zd_event("pull_request", {"integration_instance_name": "Mastodon @brand",
                                  "url": "https://murmur.example/channel/pull",
                                  "request_id": "r1", "duplicate_external_ids": []},
                 error="pull failed: 502 from integration"),
        zd_event("channelback", {"integration_instance_name": "Mastodon @brand",
                                 "url": "https://murmur.example/channel/channelback",
                                 "request_id": "r2"}),
        zd_event("destroy_user_identity", {"author": {"external_id": "mastodon:x:user:1"}}),
        zd_event("deactivate_integration_instance", {"metadata": "{}"}, subdomain="Globex"),
    ]
    send(client, *batch)

    rows = db.session.scalars(select(ZendeskEvent).order_by(ZendeskEvent.id)).all()
    assert [r.type_id for r in rows] == [e["type_id"] for e in batch]
    assert [r.subdomain for r in rows] == ["acme"] * 5 + ["globex"]
    for row, sent in zip(rows, batch):  # kept as validated: what Zendesk sent, plus defaults
        assert row.payload == {"error": None, **sent}
    assert rows[2].integration_instance == "Mastodon @brand"
    assert rows[2].error == "pull failed: 502 from integration"
    assert [r.error for r in rows if r is not rows[2]] == [None] * 5
    assert links() == {}

    ours = [r for r in caplog.records
            if r.name == "plugin.zendesk.events" and r.msg.endswith(": %s")]
    assert len(ours) == len(batch)
    assert [r.levelno for r in ours] == [logging.INFO] * 2 + [logging.WARNING] + [logging.INFO] * 3
    assert "pull_request" in ours[2].getMessage()
    assert "pull failed: 502" in ours[2].getMessage()
    assert any("ignored" in r.getMessage() for r in caplog.records)  # the unproven deactivate


def test_created_resources_map_our_ids_to_tickets(client, acme):
    metadata, (first, second) = acme
    send(client, created((first, 5001)), created((second, 5001), kind="comment_on_existing_ticket"))
    assert links() == {("acme", first): 5001, ("acme", second): 5001}


def test_channelback_ids_are_linked_too(client, acme):
    metadata, (first, _) = acme
    answer = client.post("/channel/channelback", data={
        "metadata": metadata, "message": "On it!", "parent_id": first,
        "request_unique_identifier": "rui-1"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    reply_id = answer.get_json()["external_id"]
    send(client, created((reply_id, 7001), kind="external_id_associated_with_channelback"))
    assert links() == {("acme", reply_id): 7001}


def test_another_subdomains_ids_are_not_linked(client, acme, globex):
    _, (first, _) = acme
    send(client,
         created((globex, 6001)),  # acme claims globex's mention
         created((first, 6002), subdomain="globex"),  # globex claims acme's
         created((first, 6003), subdomain="initech"),  # nobody we know
         created(("mastodon:elsewhere:1", 6004)))  # not ours at all
    assert links() == {}
    assert db.session.scalar(select(db.func.count()).select_from(ZendeskEvent)) == 4

    send(client, created((first, 6101), ("mastodon:elsewhere:1", 6102), (globex, 6103)),
         created((globex, 6201), subdomain="globex"))
    assert links() == {("acme", first): 6101, ("globex", globex): 6201}


def test_duplicate_events_make_one_link(client, acme):
    _, (first, second) = acme
    event = created((first, 5001), (second, 5002))
    send(client, event, event)
    send(client, event)
    send(client, created((first, 5001)))
    assert links() == {("acme", first): 5001, ("acme", second): 5002}
    assert db.session.scalar(select(db.func.count()).select_from(ZendeskEvent)) == 4


def test_unusable_resource_events_are_kept_but_link_nothing(client, acme):
    _, (first, second) = acme
    huge = created((first, 10**30))  # schema-valid (a number), but no ticket id can be this big
    send(client, huge)
    odd = {**created((second, 1)), "data": {"request_id": "r", "resource_events": [
        "not an object", {"external_id": second}, {"ticket_id": 9},
        {"external_id": second, "ticket_id": True}, {"external_id": second, "ticket_id": "x"},
        {"external_id": second, "ticket_id": -4}, {"external_id": second, "ticket_id": 0}]}}
    send(client, odd, {**odd, "data": {"resource_events": "nope"}})
    assert links() == {}
    assert db.session.scalar(select(db.func.count()).select_from(ZendeskEvent)) == 3


def lifecycle(type_id, metadata, subdomain="acme"):
    data = {"metadata": metadata}
    if type_id == "deactivate_integration_instance":
        data["deactivated_by"] = "api"
    return zd_event(type_id, data, subdomain=subdomain)


@pytest.mark.parametrize("stop", ["deactivate_integration_instance",
                                  "destroy_integration_instance"])
def test_deactivated_instances_stop_polling_and_resume_from_their_cursor(
        client, acme, mastodon, stop):
    metadata, _ = acme
    send(client, lifecycle(stop, metadata))
    account = db.session.scalar(select(Account))
    assert account.active is False and intake.due_accounts() == []
    jane = mastodon.add_customer("jane2", "Jane Two")
    mastodon.mention(jane, "<p>posted while the account was off</p>")
    assert client.post("/channel/pull", data={"metadata": metadata}).status_code == 404

    send(client, lifecycle("activate_integration_instance", metadata))
    db.session.rollback()
    assert db.session.scalar(select(Account)).active is True
    assert intake.due_accounts() == [account.id]
    texts = [r["message"] for r in client.post(
        "/channel/pull", data={"metadata": metadata, "state": ""}).json["external_resources"]]
    assert texts[-1].endswith("posted while the account was off")
    assert len(texts) == 3  # resumed from the cursor: the two earlier mentions, once each


@pytest.mark.parametrize("metadata", [
    '{"account": "nope", "secret": "x"}', "not json", None])
def test_lifecycle_events_without_the_accounts_secret_change_nothing(client, acme, metadata):
    real, _ = acme
    forged = metadata or json.dumps({**json.loads(real), "secret": "guessed"})
    send(client, lifecycle("deactivate_integration_instance", forged))
    db.session.rollback()
    assert db.session.scalar(select(Account)).active is True


def test_lifecycle_events_for_another_subdomain_change_nothing(client, acme):
    metadata, _ = acme
    send(client, lifecycle("deactivate_integration_instance", metadata, subdomain="globex"))
    db.session.rollback()
    assert db.session.scalar(select(Account)).active is True
