"""Every route `flask --app plugin routes` lists, as a strategy of hostile requests."""
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.fuzz.messages import JSON
from tests.fuzz.messages import documents
from tests.fuzz.messages import forms
from tests.fuzz.messages import json_bodies
from tests.fuzz.messages import metadata
from tests.fuzz.messages import request
from tests.fuzz.messages import tokens
from tests.fuzz.messages import zendesk_page_tokens
from tests.fuzz.values import INTEGERS
from tests.fuzz.values import NASTY_CLASSES
from tests.fuzz.values import PATH_SEGMENT
from tests.fuzz.values import TEXT
from tests.fuzz.values import weighted

CURSORS = st.sampled_from(['{"cursor": 0}', '{"cursor": 1}', '{"cursor": 9223372036854775807}',
                           ""])


def admin(world):
    return_url = st.sampled_from(["https://acme.zendesk.com/x", *NASTY_CLASSES["urls"]])
    form = forms({"return_url": return_url,
                  "subdomain": st.sampled_from(["acme", "acme.zendesk.com"]),
                  "metadata": st.one_of(st.just(""), metadata(world)), "state": CURSORS,
                  "locale": st.just("en-US"), "name": st.just("Brand"),
                  "platform": st.just("mastodon"), "instance_push_id": st.just("push-1"),
                  "zendesk_access_token": st.just("zd-token")})
    saved = forms({"form_token": TEXT, "platform": st.just("mastodon"),
                   "base_url": st.just("https://example.social"), "name": st.just("Brand")})
    return request("POST", "/channel/admin", weighted((2, form), (1, saved)))


def sign_in_callback(world):
    query = {"state": TEXT, "code": TEXT,
             "error": st.sampled_from(["access_denied", "server_error", ""])}
    return request("GET", "/channel/admin/oauth/callback", query=query)


def pull(world):
    return request("POST", "/channel/pull", forms({"metadata": metadata(world),
                                                   "state": CURSORS}))


def channelback(world):
    form = forms({"metadata": metadata(world), "message": st.just("Thanks!"),
                  "parent_id": st.just(world.external_id),
                  "thread_id": st.just(world.external_id),
                  "recipient_id": st.just("mastodon:fuzz:42"),
                  "request_unique_identifier": st.sampled_from(["r-1", "r-2"]),
                  # Never on the account's Zendesk host: the fuzz must not fetch real files.
                  "file_urls[]": st.sampled_from(["https://files.example/a.png",
                                                  "https://acme.zendesk.com.evil.example/a"])})
    return request("POST", "/channel/channelback", form)


def clickthrough(world):
    return request("GET", "/channel/clickthrough",
                   query={"external_id": st.just(world.external_id)})


def events(world):
    resource = documents({"external_id": st.just(world.external_id),
                          "ticket_id": st.sampled_from([world.ticket_id, str(world.ticket_id)])})
    data = documents({"resource_events": st.lists(resource, min_size=1, max_size=3),
                      "integration_instance_name": st.just("Mastodon")})
    event = documents({
        "type_id": st.sampled_from(["resources_created_from_external_ids", "pull_request"]),
        "subdomain": st.just("acme"), "timestamp": st.just("2026-11-23T09:00:00Z"),
        "data": data, "error": st.sampled_from([None, "boom"]),
        "integration_name": st.just("Mastodon"), "integration_id": st.just("1")})
    body = documents({"events": st.lists(event, min_size=1, max_size=3)})
    return request("POST", "/channel/events", json_bodies(body), JSON)


def webhooks(world):
    path = st.one_of(st.sampled_from(["mastodon", "hooked", "x"]), PATH_SEGMENT).map(
        "/webhooks/{}".format)
    fields = {"hub.mode": st.just("subscribe"), "hub.challenge": st.just("c"),
              "crc_token": st.just("t")}
    body = st.one_of(forms(fields), json_bodies(documents(fields)))
    unsigned = st.one_of(*[request(method, path, body, query=fields) for method in ("GET", "POST")])
    return weighted((2, unsigned), (1, signed_deliveries(world)), (1, signed_x_deliveries(world)))


def signed_deliveries(world):
    """Hooked deliveries signed with the app secret, so hostile ones reach storage and the
    worker (the test-only Hooked platform is registered in the fuzz world)."""
    author = {"id": st.just("77"), "handle": st.just("jane"), "name": st.just("Jane")}
    text = weighted((1, st.just("my parcel never came")), (1, TEXT))
    post = {"id": st.sampled_from(["5001", "5002", "5003"]), "text": text,
            "created_at": st.just("2026-11-23T09:00:00+00:00"),
            "in_reply_to": st.sampled_from([None, "5001"]), "conversation_id": st.just("5001")}
    # Mostly well-formed posts with hostile text, so many reach the pipeline and the database.
    good = st.fixed_dictionaries({**post, "author": st.fixed_dictionaries(author)})
    hostile = documents({**post, "author": documents(author)})
    delivery = documents({"delivery_id": st.integers(0, 10**9).map("d-{}".format),
                          "for_user_id": st.sampled_from([world.hooked_brand_id, "9999"]),
                          "posts": st.lists(weighted((3, good), (1, hostile)), min_size=1,
                                            max_size=2)})
    return request("POST", "/webhooks/hooked", json_bodies(delivery), JSON).map(
        world.sign_webhook)


def signed_x_deliveries(world):
    """X Account Activity deliveries signed with the consumer secret: v1.1 posts, mostly
    well-formed with hostile text, some hostile in their shape."""
    user = {"id_str": st.sampled_from(["77", world.x_brand_id]), "screen_name": st.just("jane"),
            "name": TEXT, "profile_image_url_https": st.just("https://pbs.twimg.com/a_normal.jpg")}
    url = {"url": st.just("https://t.co/abc"), "expanded_url": TEXT,
           "indices": st.just([0, 16])}
    post = {"id_str": st.sampled_from(["6001", "6002", "6003"]),
            "created_at": st.sampled_from(["Wed Oct 10 20:19:24 +0000 2018", "yesterday", ""]),
            "text": weighted((1, st.just("@acme my parcel never came")), (1, TEXT)),
            "in_reply_to_status_id_str": st.sampled_from([None, "6001", "x"]),
            "entities": documents({"urls": st.lists(documents(url), max_size=2)}),
            "truncated": st.booleans()}
    good = st.fixed_dictionaries({**post, "user": st.fixed_dictionaries(user)})
    hostile = documents({**post, "user": documents(user)})
    delivery = documents({"for_user_id": st.sampled_from([world.x_brand_id, "9999"]),
                          "tweet_create_events": st.lists(weighted((3, good), (1, hostile)),
                                                          min_size=1, max_size=2)})
    return request("POST", "/webhooks/x", json_bodies(delivery), JSON).map(world.sign_x)


def sidebar_ticket(world):
    path = weighted((2, st.just(str(world.ticket_id))), (1, INTEGERS.map(str)),
                    (1, PATH_SEGMENT))
    return request("GET", path.map("/api/sidebar/tickets/{}".format),
                   query={"requester_id": st.just(str(world.requester_id))},
                   auth=tokens(world))


def sidebar_links(world):
    body = documents({"ticket_id": st.just(world.ticket_id),
                      "requester_id": st.just(world.requester_id),
                      "platform": st.just("mastodon"),
                      "handle": st.sampled_from(["@jane", "@jane@example.social"])})
    return request("POST", "/api/sidebar/links", json_bodies(body), JSON, auth=tokens(world))


def sidebar_page(world):
    return request("POST", "/app/sidebar", forms({"token": zendesk_page_tokens(world)}),
                   query={"origin": st.just("https://acme.zendesk.com"), "app_guid": TEXT})


def plain_get(path):
    """A GET-only page: hostile query and Authorization are all a stranger can vary."""
    return lambda world: request("GET", path, auth=TEXT)


def static(world):
    name = st.one_of(st.just("admin.css"), PATH_SEGMENT)
    return request("GET", name.map("/static/{}".format))


@dataclass(frozen=True)
class Surface:
    """A route as `flask routes` prints it, and its hostile requests given the world."""

    rule: str
    requests: Callable


SURFACES = {
    "manifest": Surface("/channel/manifest.json", plain_get("/channel/manifest.json")),
    "admin": Surface("/channel/admin", admin),
    "sign_in_callback": Surface("/channel/admin/oauth/callback", sign_in_callback),
    "pull": Surface("/channel/pull", pull),
    "channelback": Surface("/channel/channelback", channelback),
    "clickthrough": Surface("/channel/clickthrough", clickthrough),
    "channel_health": Surface("/channel/health", plain_get("/channel/health")),
    "events": Surface("/channel/events", events),
    "webhooks": Surface("/webhooks/<platform>", webhooks),
    "sidebar_ticket": Surface("/api/sidebar/tickets/<ticket_id>", sidebar_ticket),
    "sidebar_links": Surface("/api/sidebar/links", sidebar_links),
    "sidebar_page": Surface("/app/sidebar", sidebar_page),
    "healthz": Surface("/healthz", plain_get("/healthz")),
    "metrics": Surface("/metrics", plain_get("/metrics")),
    "static": Surface("/static/<path:filename>", static),
}
# The admin UI may answer its errors as HTML pages: there we only ask for no 5xx.
HTML_ERRORS = {"admin", "sign_in_callback", "sidebar_page"}
