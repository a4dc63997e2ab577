"""Bluesky end to end against the real development network: a customer's mention with facets →
our intake → a Zendesk ticket (fake Zendesk) → the agent's reply through channelback → the reply
read back from the network, in its thread, mentioning the customer exactly."""
import uuid

from plugin import accounts
from plugin.intake.polling import poll_account
from plugin.platforms.text import graphemes
from tests.devnet.network import eventually
from tests.devnet.network import link_facet
from tests.devnet.network import mention_facet


def _ticket_with(zendesk, fragment):
    return next(t for t in zendesk.tickets.values()
                if any(fragment in c["body"] for c in t.comments))


def _connect_brand(devnet):
    """The brand's account connected as the CLI and admin UI do: (account, metadata)."""
    brand = devnet.brand
    return accounts.connect("bluesky", "acme", {
        "handle": brand.handle, "app_password": brand.app_password, "base_url": devnet.pds})


def _brand_reply_under(devnet, reader, parent_uri):
    return eventually(lambda: next(iter(_brand_replies(devnet, reader, parent_uri)), None))


def test_a_mention_becomes_a_ticket_and_the_agents_reply_lands_in_its_thread(devnet, zendesk):
    brand, (alice, bruno) = devnet.brand, devnet.customers
    account, metadata = _connect_brand(devnet)
    instance = zendesk.add_instance(f"Bluesky @{brand.handle}", metadata)
    tag = uuid.uuid4().hex[:8]
    opening = f"@{brand.handle} has anyone had a parcel arrive? ({tag})"
    root = devnet.post(bruno, opening, [mention_facet(opening, brand.handle, brand.did)])
    text = f"Same here 👩‍👩‍👧‍👦 @{brand.handle}: see example.com/t/{tag}… ({tag})"
    mention = devnet.post(alice, text, [
        mention_facet(text, brand.handle, brand.did),
        link_facet(text, f"example.com/t/{tag}…", f"https://example.com/track/{tag}/full")],
        reply={"root": {"uri": root["uri"], "cid": root["cid"]},
               "parent": {"uri": root["uri"], "cid": root["cid"]}})

    poll_account(account.id)
    zendesk.pull_until_empty(instance)

    # The shortened link comes in as the link facet's full URL.
    ticket = _ticket_with(zendesk, f"see https://example.com/track/{tag}/full ({tag})")
    assert ticket.comments[-1]["author"]["name"] == "Alice Martin"
    answer = zendesk.agent_reply(ticket.id, "Sorry! 🇫🇷 Your parcel ships today.",
                                 instance=instance, request_id=f"rui-{tag}")
    assert answer.status_code == 200, answer.text

    reply = _brand_reply_under(devnet, alice, mention["uri"])
    assert reply, "the agent's reply never reached the network"
    record = reply["record"]
    assert record["reply"]["root"] == {"uri": root["uri"], "cid": root["cid"]}
    assert record["reply"]["parent"] == {"uri": mention["uri"], "cid": mention["cid"]}
    assert record["text"] == f"@{alice.handle} Sorry! 🇫🇷 Your parcel ships today."
    assert record["facets"] == [mention_facet(record["text"], alice.handle, alice.did)]

    retried = zendesk.agent_reply(ticket.id, "Sorry! 🇫🇷 Your parcel ships today.",
                                  instance=instance, request_id=f"rui-{tag}")
    assert retried.json()["external_id"] == answer.json()["external_id"]
    poll_account(account.id)
    assert zendesk.pull_until_empty(instance) == 0


def test_a_reply_retried_with_the_same_key_is_posted_once(devnet, app):
    brand, (alice, _) = devnet.brand, devnet.customers
    account, _ = _connect_brand(devnet)
    adapter = accounts.adapter_for(account)
    tag = uuid.uuid4().hex[:8]
    text = f"@{brand.handle} hello? ({tag})"
    mention = devnet.post(alice, text, [mention_facet(text, brand.handle, brand.did)])
    target = {"uri": mention["uri"], "cid": mention["cid"], "root_uri": mention["uri"],
              "root_cid": mention["cid"], "handle": alice.handle, "did": alice.did}

    # The network answers a second record under the same key with a 500, not a 4xx.
    first = adapter.post_reply(target, f"@{alice.handle} Hello!", f"rui-{tag}")
    again = adapter.post_reply(target, f"@{alice.handle} Hello!", f"rui-{tag}")

    assert again.external_id == first.external_id
    replies = eventually(lambda: devnet.call("app.bsky.feed.getPostThread", alice,
                                             uri=mention["uri"])["thread"]["replies"])
    assert [r["post"]["author"]["did"] for r in replies] == [brand.did]


def test_a_reply_of_300_graphemes_goes_whole_and_a_longer_one_becomes_a_chain(devnet, zendesk):
    """Flags, skin tones and combining marks: many code points and bytes, one grapheme each."""
    brand, (_, bruno) = devnet.brand, devnet.customers
    account, metadata = _connect_brand(devnet)
    instance = zendesk.add_instance(f"Bluesky @{brand.handle}", metadata)
    tag = uuid.uuid4().hex[:8]
    text = f"@{brand.handle} my order is broken ({tag})"
    mention = devnet.post(bruno, text, [mention_facet(text, brand.handle, brand.did)])
    poll_account(account.id)
    zendesk.pull_until_empty(instance)
    ticket = _ticket_with(zendesk, tag)

    prefix = f"@{bruno.handle} "
    body = " ".join(["🇫🇷👍🏽e\u0301"] * 72)
    body += "!" * (300 - graphemes(prefix + body))
    assert graphemes(prefix + body) == 300 and len(prefix + body) > 300
    whole = zendesk.agent_reply(ticket.id, body, instance=instance, request_id=f"whole-{tag}")
    assert whole.status_code == 200, whole.text
    [reply] = eventually(lambda: _brand_replies(devnet, bruno, mention["uri"]))
    assert reply["record"]["text"] == prefix + body

    longer = zendesk.agent_reply(ticket.id, body + " and one more sentence.",
                                 instance=instance, request_id=f"longer-{tag}")
    assert longer.status_code == 200, longer.text
    first = eventually(lambda: [r for r in _brand_replies(devnet, bruno, mention["uri"])
                                if r["uri"] != reply["uri"]])[0]
    [second] = eventually(lambda: _brand_replies(devnet, bruno, first["uri"]))
    for part, parent in ((first, mention), (second, first)):
        record = part["record"]
        assert record["reply"]["parent"] == {"uri": parent["uri"], "cid": parent["cid"]}
        assert record["reply"]["root"] == {"uri": mention["uri"], "cid": mention["cid"]}
        assert record["text"].startswith(prefix) and graphemes(record["text"]) <= 300
        assert record["facets"] == [mention_facet(record["text"], bruno.handle, bruno.did)]
    assert first["record"]["text"].endswith("(1/2)") and second["record"]["text"].endswith("(2/2)")


def _brand_replies(devnet, reader, parent_uri):
    thread = devnet.call("app.bsky.feed.getPostThread", reader, uri=parent_uri)["thread"]
    return [r["post"] for r in thread.get("replies", [])
            if r["post"]["author"]["did"] == devnet.brand.did]
