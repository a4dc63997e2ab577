"""A platform that shares no history or profiles: the sidebar says so plainly and never asks."""
import pytest
from sqlalchemy import update

from plugin.db import db
from plugin.models import Account
from plugin.platforms import REGISTRY
from plugin.platforms.base import HISTORY
from plugin.platforms.base import PROFILE
from plugin.platforms.mastodon import MastodonAdapter
from tests.sidebar.conftest import make_token


class ReticentAdapter(MastodonAdapter):
    """A test-only platform: Mastodon's API, but nothing beyond intake and replies."""

    name = "reticent"
    label = "Reticent"
    capabilities = frozenset()


@pytest.fixture
def reticent_ticket(monkeypatch, social_ticket):
    """The social ticket, its account now on a platform that shares neither posts nor
    profiles."""
    monkeypatch.setitem(REGISTRY, ReticentAdapter.name, ReticentAdapter)
    db.session.execute(update(Account).values(platform=ReticentAdapter.name))
    db.session.commit()
    return social_ticket


def test_the_document_says_what_is_not_shared_and_the_platform_is_not_asked(
        sidebar_get, reticent_ticket, mastodon):
    asked = len(mastodon.requests)
    body = sidebar_get(reticent_ticket.ticket_id, reticent_ticket.requester_id).get_json()
    assert body["state"] == "found"
    assert body["not_shared"] == [HISTORY, PROFILE]
    assert body["stale"] is False and body["stale_code"] is None
    assert body["profile"]["platform_label"] == "Reticent"
    assert body["profile"]["handle"] == "@jane@example.social"
    # What Murmur knows instead: the customer's mention of the brand, not her other posts.
    assert [post["text"] for post in body["posts"]] == ["@mastodonpy_test My order is late and I'm annoyed"]
    assert len(mastodon.requests) == asked
    assert body["connected_platforms"][0]["can_link"] is False


def test_linking_a_handle_there_is_refused_with_the_reason(client, reticent_ticket, mastodon):
    token = make_token(ticket_id=str(reticent_ticket.ticket_id))
    answer = client.post("/api/sidebar/links", json={
        "ticket_id": reticent_ticket.ticket_id, "requester_id": reticent_ticket.requester_id,
        "platform": ReticentAdapter.name, "handle": "@jane@example.social"},
        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "not_shared"
    assert "Reticent does not share" in answer.get_json()["message"]


def test_a_platform_with_history_has_nothing_unshared(sidebar_get, social_ticket):
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["not_shared"] == []
    assert all(isinstance(post["likes"], int) for post in body["posts"])
