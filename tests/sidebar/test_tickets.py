"""The sidebar document: the real adapter path, caching, stale data, linking by hand."""
from datetime import timedelta

from sqlalchemy import update

from plugin.db import db
from plugin.models import HistoryCache
from plugin.models import utcnow
from tests.sidebar.conftest import SECRET


def _platform_calls(mastodon):
    return [r for r in mastodon.requests if r["path"].startswith("/api/v1/accounts/")]


def test_document_comes_from_the_platform(sidebar_get, social_ticket, mastodon):
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["state"] == "found"
    profile = body["profile"]
    assert profile["handle"] == "@jane@example.social"
    assert profile["name"] == "Jane Doe"
    assert profile["platform"] == "mastodon" and profile["platform_label"] == "Mastodon"
    assert profile["followers_count"] == social_ticket.customer["followers_count"]
    texts = [post["text"] for post in body["posts"]]
    assert texts[0] == "@mastodonpy_test My order is late and I'm annoyed"
    assert "What a lovely morning, great coffee!" in texts
    assert body["posts"][0]["mentions_brand"] is True
    assert not any(p["mentions_brand"] for p in body["posts"] if "coffee" in p["text"])
    counts = body["sentiment"]["counts"]
    assert counts["positive"] == 1 and counts["negative"] == 2
    assert body["sentiment"]["label"] == "negative"
    assert [point["posted_at"] for point in body["sentiment"]["trend"]] == \
        sorted(point["posted_at"] for point in body["sentiment"]["trend"])
    assert body["stale"] is False
    assert body["connected_platforms"] == [
        {"platform": "mastodon", "label": "Mastodon", "account": "@mastodonpy_test",
         "handle_example": "@name@instance.social", "can_link": True}]


def test_second_request_is_served_from_cache(sidebar_get, social_ticket, mastodon):
    sidebar_get(social_ticket.ticket_id, social_ticket.requester_id)
    calls = len(_platform_calls(mastodon))
    again = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id)
    assert again.status_code == 200 and again.get_json()["state"] == "found"
    assert len(_platform_calls(mastodon)) == calls


def test_expired_cache_is_served_then_refreshed(sidebar_get, social_ticket, mastodon):
    sidebar_get(social_ticket.ticket_id, social_ticket.requester_id)
    db.session.execute(update(HistoryCache).values(refresh_after=utcnow() - timedelta(1)))
    db.session.commit()
    mastodon.post_status(social_ticket.customer, "<p>Brand new post</p>")
    first = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert first["state"] == "found"
    later = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert later["posts"][0]["text"] == "Brand new post"


def test_platform_failure_shows_cached_data_flagged(sidebar_get, social_ticket, mastodon):
    sidebar_get(social_ticket.ticket_id, social_ticket.requester_id)
    db.session.execute(update(HistoryCache).values(refresh_after=utcnow() - timedelta(1)))
    db.session.commit()
    mastodon.fail_next(20, status=503)
    sidebar_get(social_ticket.ticket_id, social_ticket.requester_id)
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["state"] == "found" and body["posts"]
    assert body["stale"] is True and body["stale_reason"]


def test_cold_failure_falls_back_to_stored_mentions(sidebar_get, social_ticket, mastodon):
    mastodon.fail_next(20, status=503)
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["state"] == "found" and body["stale"] is True
    assert [p["text"] for p in body["posts"]] == [
        "@mastodonpy_test My order is late and I'm annoyed"]
    assert body["profile"]["handle"] == "@jane@example.social"


def test_email_ticket_is_linked_by_hand(client, sidebar_get, social_ticket, mastodon):
    from tests.sidebar.conftest import make_token

    bob = mastodon.add_customer("bob", "Bob Smith")
    mastodon.post_status(bob, "<p>Hello world</p>")
    email_ticket, requester = 5001, 777
    empty = sidebar_get(email_ticket, requester).get_json()
    assert empty["state"] == "unknown" and empty["connected_platforms"]
    token = make_token(ticket_id=str(email_ticket))
    linked = client.post("/api/sidebar/links", headers={"Authorization": f"Bearer {token}"},
                         json={"ticket_id": email_ticket, "requester_id": requester,
                               "platform": "mastodon", "handle": "@bob"})
    assert linked.status_code == 200, linked.get_json()
    assert linked.get_json()["profile"]["name"] == "Bob Smith"
    later = sidebar_get(5002, requester).get_json()
    assert later["state"] == "found" and later["profile"]["handle"] == "@bob"


def test_unknown_handle_is_a_404(client, installation, social_ticket):
    from tests.sidebar.conftest import make_token

    token = make_token(ticket_id="5001")
    response = client.post("/api/sidebar/links", headers={"Authorization": f"Bearer {token}"},
                           json={"ticket_id": 5001, "requester_id": 9, "platform": "mastodon",
                                 "handle": "@nobody@nowhere.example"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "profile_not_found"


def test_other_profiles_of_the_same_person(client, sidebar_get, social_ticket, mastodon):
    from tests.sidebar.conftest import make_token

    mastodon.add_customer("jane_alt", "Jane (work)")
    token = make_token(ticket_id=str(social_ticket.ticket_id))
    client.post("/api/sidebar/links", headers={"Authorization": f"Bearer {token}"},
                json={"ticket_id": social_ticket.ticket_id,
                      "requester_id": social_ticket.requester_id, "platform": "mastodon",
                      "handle": "jane_alt"})
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["profile"]["handle"] == "@jane@example.social"
    assert [p["handle"] for p in body["profile"]["other_profiles"]] == ["@jane_alt"]


def test_requester_identities_through_zenpy(app, monkeypatch, social_ticket, zendesk,
                                            sidebar_get):
    from plugin.models import TicketLink

    db.session.query(TicketLink).delete()  # as if Zendesk's event callback never came
    db.session.commit()
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", zendesk.api_netloc)
    result = app.test_cli_runner().invoke(args=[
        "installations", "add", "acme", "--secret", SECRET,
        "--api-email", "agent@acme.example", "--api-token", "zd-token"])
    assert result.exit_code == 0, result.output
    body = sidebar_get(social_ticket.ticket_id).get_json()
    assert body["state"] == "found"
    assert body["profile"]["handle"] == "@jane@example.social"
    paths = [r["path"] for r in zendesk.api_requests]
    assert f"/api/v2/tickets/{social_ticket.ticket_id}.json" in paths
    assert all(r["auth"].username == "agent@acme.example/token" for r in zendesk.api_requests)


def test_only_web_urls_reach_the_browser(sidebar_get, social_ticket, mastodon):
    hostile = mastodon.post_status(social_ticket.customer, "<p>click me</p>")
    hostile["url"] = "javascript:alert(1)"
    social_ticket.customer["url"] = "data:text/html,<script>alert(1)</script>"
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    post = next(p for p in body["posts"] if p["text"] == "click me")
    assert post["url"] is None
    assert body["profile"]["profile_url"] is None


def test_stale_reason_is_written_for_agents(sidebar_get, social_ticket, mastodon):
    mastodon.fail_next(20, status=503)
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id).get_json()
    assert body["stale_reason"] == "Mastodon could not be reached"


def forge_first(client, social_ticket, forged_ticket=999):
    """A stranger claims the ticket's mention for another ticket, then Zendesk's real
    event comes (again)."""
    from plugin.models import TicketLink

    link = db.session.query(TicketLink).one()
    db.session.query(TicketLink).delete()
    db.session.commit()
    for ticket_id in (forged_ticket, social_ticket.ticket_id):
        event = {"type_id": "resources_created_from_external_ids",
                 "timestamp": "2026-11-23T09:00:00Z", "subdomain": "acme",
                 "integration_name": "Murmur", "integration_id": "x", "data": {
                     "request_id": f"r{ticket_id}", "resource_events": [{
                         "type_id": "comment_on_new_ticket", "external_id": link.external_id,
                         "ticket_id": ticket_id, "comment_id": 1}]}}
        assert client.post("/channel/events", json={"events": [event]}).status_code == 200


def test_a_forged_event_sent_first_never_shows_another_customer(client, sidebar_get,
                                                                social_ticket):
    forge_first(client, social_ticket)
    assert sidebar_get(999).get_json()["state"] == "unknown"
    # Without Zendesk API access the contested claim is believed for neither ticket.
    assert sidebar_get(social_ticket.ticket_id).get_json()["state"] == "unknown"


def test_with_api_access_zendesk_decides_which_claim_is_true(app, monkeypatch, client,
                                                             social_ticket, zendesk, sidebar_get):
    forge_first(client, social_ticket)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", zendesk.api_netloc)
    app.test_cli_runner().invoke(args=[
        "installations", "add", "acme", "--secret", SECRET,
        "--api-email", "agent@acme.example", "--api-token", "zd-token"])
    real = sidebar_get(social_ticket.ticket_id).get_json()
    assert real["state"] == "found" and real["profile"]["handle"] == "@jane@example.social"
    assert sidebar_get(999).get_json()["state"] != "found"
