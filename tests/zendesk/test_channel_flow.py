"""End to end through the Channel Framework: fake Zendesk ⇄ our service ⇄ fake Mastodon."""
import json


def test_mentions_become_threaded_tickets_once(connect, mastodon, zendesk):
    _, metadata = connect()
    instance = zendesk.add_instance("Mastodon @mastodonpy_test", metadata)
    jane = mastodon.add_customer("jane", "Jane Doe", domain="example.social")
    root = mastodon.mention(jane, "<p>My order never arrived &amp; I'm upset</p>")
    follow = mastodon.mention(jane, "<p>Any news?</p>", in_reply_to=root["status"])
    bob = mastodon.add_customer("bob", "Bob")
    other = mastodon.mention(bob, "<p>Love the new release, thank you!</p>")

    assert zendesk.pull_until_empty(instance) == 3
    assert zendesk.pull_until_empty(instance) == 0

    ticket = zendesk.ticket_for(f"mastodon:{_host(mastodon)}:{root['status']['id']}")
    assert [c["body"] for c in ticket.comments] == [
        "@mastodonpy_test My order never arrived & I'm upset", "@mastodonpy_test Any news?"]
    assert zendesk.ticket_for(f"mastodon:{_host(mastodon)}:{follow['status']['id']}") is ticket
    assert ticket.requester["name"] == "Jane Doe"
    assert ticket.requester["image_url"] == jane["avatar_static"]
    assert ticket.requester["external_id"].startswith("mastodon:")
    fields = {f["id"]: f["value"] for f in ticket.fields}
    assert fields["murmur_sentiment"] == "murmur_sentiment_negative"
    happy = zendesk.ticket_for(f"mastodon:{_host(mastodon)}:{other['status']['id']}")
    assert happy is not ticket
    assert {f["id"]: f["value"] for f in happy.fields}["murmur_sentiment"] == \
        "murmur_sentiment_positive"


def test_retried_pull_with_old_state_returns_the_same_items(connect, mastodon, zendesk):
    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane")
    for n in range(3):
        mastodon.mention(jane, f"<p>message {n}</p>")
    lost = zendesk.pull(instance, keep_state=False)  # Zendesk never saw this answer
    again = zendesk.pull(instance)
    ids = [r["external_id"] for r in lost.json()["external_resources"]]
    assert ids == [r["external_id"] for r in again.json()["external_resources"]]
    assert len(ids) == 3
    assert zendesk.pull_until_empty(instance) == 0


def test_pull_pages_at_256_oldest_first(app, connect, mastodon, zendesk):
    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.rate_limit = 10_000
    for n in range(300):
        mastodon.mention(jane, f"<p>message {n}</p>")
    first = zendesk.pull(instance).json()["external_resources"]
    second = zendesk.pull(instance).json()["external_resources"]
    assert len(first) == 256 and len(second) == 44
    texts = [r["message"] for r in first + second]
    assert texts == [f"@mastodonpy_test message {n}" for n in range(300)]


def test_agent_reply_goes_to_the_thread_once(connect, mastodon, zendesk):
    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane", domain="example.social")
    note = mastodon.mention(jane, "<p>Where is my parcel?</p>", visibility="unlisted")
    zendesk.pull_until_empty(instance)
    ticket = next(iter(zendesk.tickets.values()))

    first = zendesk.agent_reply(ticket.id, "Sorry! It ships today.", instance=instance,
                                request_id="rui-1")
    retry = zendesk.agent_reply(ticket.id, "Sorry! It ships today.", instance=instance,
                                request_id="rui-1")

    assert first.status_code == 200 and retry.status_code == 200
    assert first.json()["external_id"] == retry.json()["external_id"]
    assert len(mastodon.posted) == 1
    posted = mastodon.posted[0]
    assert posted["in_reply_to_id"] == note["status"]["id"]
    assert posted["visibility"] == "unlisted"
    assert _sent_texts(mastodon) == ["@jane@example.social Sorry! It ships today."]
    # Our own reply never comes back as a ticket comment.
    assert zendesk.pull_until_empty(instance) == 0
    assert len(ticket.comments) == 2


def test_customer_answer_to_our_reply_joins_the_ticket(connect, mastodon, zendesk):
    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>Broken again</p>")
    zendesk.pull_until_empty(instance)
    ticket = next(iter(zendesk.tickets.values()))
    reply = zendesk.agent_reply(ticket.id, "Can you DM us the order number?", instance=instance)
    ours = mastodon.posted[0]
    mastodon.mention(jane, "<p>It is 1234</p>", in_reply_to=ours)
    assert zendesk.pull_until_empty(instance) == 1
    assert len(zendesk.tickets) == 1
    assert ticket.comments[-1]["body"] == "@mastodonpy_test It is 1234"
    assert reply.status_code == 200


def test_long_reply_is_split_into_a_chain(connect, mastodon, zendesk):
    mastodon.max_characters = 100
    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane", domain="example.social")
    mastodon.mention(jane, "<p>help</p>")
    zendesk.pull_until_empty(instance)
    ticket = next(iter(zendesk.tickets.values()))
    text = " ".join(["We are looking into it and will write back soon."] * 5)
    answer = zendesk.agent_reply(ticket.id, text, instance=instance)
    assert answer.status_code == 200
    assert len(mastodon.posted) > 1
    for previous, part in zip(mastodon.posted, mastodon.posted[1:]):
        assert part["in_reply_to_id"] == previous["id"]
    assert all(text.startswith("@jane@example.social ") for text in _sent_texts(mastodon))
    assert all(len(text) <= 100 for text in _sent_texts(mastodon))


def test_long_reply_is_refused_when_the_admin_says_so(connect, mastodon, zendesk):
    mastodon.max_characters = 100
    _, metadata = connect(long_replies="refuse")
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>help</p>")
    zendesk.pull_until_empty(instance)
    ticket = next(iter(zendesk.tickets.values()))
    answer = zendesk.agent_reply(ticket.id, "x" * 150, instance=instance)
    assert answer.status_code == 422
    assert answer.json()["error"] == "reply_too_long"
    assert "limit is 100" in answer.json()["message"]
    assert mastodon.posted == []


def test_platform_refusal_reaches_the_agent(connect, mastodon, zendesk):
    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane")
    note = mastodon.mention(jane, "<p>help</p>")
    zendesk.pull_until_empty(instance)
    ticket = next(iter(zendesk.tickets.values()))
    del mastodon.statuses[note["status"]["id"]]  # the customer deleted the post
    answer = zendesk.agent_reply(ticket.id, "Hello?", instance=instance, request_id="r-9")
    assert answer.status_code == 422
    assert "no longer exists" in answer.json()["message"]


def test_clickthrough_and_events_map_tickets(app, connect, mastodon, zendesk):
    from plugin.models import TicketLink
    from plugin.db import db

    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane", domain="example.social")
    note = mastodon.mention(jane, "<p>hi</p>")
    zendesk.pull_until_empty(instance)
    external_id = f"mastodon:{_host(mastodon)}:{note['status']['id']}"
    link = db.session.query(TicketLink).filter_by(external_id=external_id).one()
    assert link.ticket_id == zendesk.ticket_for(external_id).id and link.subdomain == "acme"
    response = zendesk.http.get(f"{zendesk.service_url}/channel/clickthrough",
                                params={"external_id": external_id}, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"] == note["status"]["url"]


def _sent_texts(mastodon):
    return [r["data"]["status"] for r in mastodon.requests
            if r["method"] == "POST" and r["path"] == "/api/v1/statuses"]


def _host(mastodon):
    return mastodon.url.split("://", 1)[1]


def test_manifest_uses_public_url(client):
    body = client.get("/channel/manifest.json").get_json()
    assert body["urls"]["pull_url"] == "https://murmur.example/channel/pull"
    assert json.dumps(body).count("https://murmur.example/") == 6
