"""Fixtures for the sidebar API: installations, signed tokens, and a social ticket."""
import time
from dataclasses import dataclass

import jwt
import pytest

SECRET = "acme-shared-secret-" + "0123456789abcdef" * 4


def make_token(secret=SECRET, algorithm="HS256", **claims):
    """A token as Zendesk's proxy signs it for `client.request({jwt: …})`."""
    now = int(time.time())
    body = {"iss": "acme", "iat": now, "exp": now + 300, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret,
                      algorithm=algorithm)


@pytest.fixture
def installation(app):
    """`acme` registered through the operator CLI with a known shared secret."""
    result = app.test_cli_runner().invoke(args=["installations", "add", "acme",
                                                "--secret", SECRET])
    assert result.exit_code == 0, result.output
    return SECRET


@dataclass
class SocialTicket:
    """A ticket Zendesk made from a pulled Mastodon mention."""

    ticket_id: int
    requester_id: int
    customer: dict
    instance: object


@pytest.fixture
def social_ticket(installation, connect, mastodon, zendesk):
    """Jane's mention pulled into acme's Zendesk, with some public history on Mastodon."""
    _, metadata = connect()
    instance = zendesk.add_instance("Mastodon", metadata)
    jane = mastodon.add_customer("jane", "Jane Doe", domain="example.social")
    mastodon.post_status(jane, "<p>What a lovely morning, great coffee!</p>")
    mastodon.post_status(jane, "<p>Terrible, awful delivery experience today.</p>")
    mastodon.mention(jane, "<p>My order is late and I'm annoyed</p>")
    zendesk.pull_until_empty(instance)
    ticket = next(iter(zendesk.tickets.values()))
    return SocialTicket(ticket.id, ticket.requester["user_id"], jane, instance)


@pytest.fixture
def sidebar_get(client):
    """GET the sidebar document with a token for `iss` (default acme)."""

    def get(ticket_id, requester_id=None, token=None, **claims):
        token = token or make_token(ticket_id=str(ticket_id), **claims)
        query = {"requester_id": requester_id} if requester_id else {}
        return client.get(f"/api/sidebar/tickets/{ticket_id}", query_string=query,
                          headers={"Authorization": f"Bearer {token}"})

    return get
