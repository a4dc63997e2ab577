"""The development network answers as Bluesky does, over plain HTTP: mentions with facets reach
the brand's notifications, replies land in their thread, app passwords open sessions."""
import pytest

from tests.devnet.network import DevAccount
from tests.devnet.network import XrpcError
from tests.devnet.network import eventually
from tests.devnet.network import link_facet
from tests.devnet.network import mention_facet


def _session(devnet, account, password):
    """A session opened with `password` (as Murmur opens one with an app password)."""
    made = devnet.call("com.atproto.server.createSession",
                       body={"identifier": account.handle, "password": password})
    return DevAccount(account.handle, made["did"], account.password, password,
                         made["accessJwt"])


def _notification(devnet, reader, uri):
    def read():
        answer = devnet.call("app.bsky.notification.listNotifications", reader, limit=50)
        return next((n for n in answer["notifications"] if n["uri"] == uri), None)
    return eventually(read)


def _thread_of(devnet, reader, uri):
    def read():
        try:
            return devnet.call("app.bsky.feed.getPostThread", reader, uri=uri)["thread"]
        except XrpcError as exc:
            if exc.status == 400 and "NotFound" in exc.body:
                return None
            raise
    return eventually(read)


def test_a_mention_with_facets_reaches_the_brands_notifications(devnet):
    brand, (alice, _) = devnet.brand, devnet.customers
    text = f"Héllo 👋🏽 @{brand.handle}, my parcel: example.com/track… still lost"
    facets = [mention_facet(text, brand.handle, brand.did),
              link_facet(text, "example.com/track…", "https://example.com/track/48151623")]
    posted = devnet.post(alice, text, facets)

    as_brand = _session(devnet, brand, brand.app_password)
    seen = _notification(devnet, as_brand, posted["uri"])

    assert seen, "the mention never reached the brand's notifications"
    assert seen["reason"] == "mention"
    assert seen["cid"] == posted["cid"]
    assert seen["author"]["handle"] == alice.handle
    assert seen["record"]["text"] == text
    assert seen["record"]["facets"] == facets
    mention = facets[0]["index"]
    assert text.encode()[mention["byteStart"]:mention["byteEnd"]].decode() == "@" + brand.handle


def test_replies_read_back_in_their_thread_with_root_and_parent(devnet):
    brand, (alice, bruno) = devnet.brand, devnet.customers
    opening = f"@{brand.handle} where is my order?"
    root = devnet.post(alice, opening, [mention_facet(opening, brand.handle, brand.did)])
    root_ref = {"uri": root["uri"], "cid": root["cid"]}
    answer = devnet.post(brand, "We are on it.", reply={"root": root_ref, "parent": root_ref})
    follow_up = devnet.post(bruno, "Mine too!", reply={
        "root": root_ref, "parent": {"uri": answer["uri"], "cid": answer["cid"]}})
    text = f"@{bruno.handle} 🇫🇷 e\u0301té: we will write to you."
    last = devnet.post(brand, text, [mention_facet(text, bruno.handle, bruno.did)], reply={
        "root": root_ref, "parent": {"uri": follow_up["uri"], "cid": follow_up["cid"]}})

    thread = _thread_of(devnet, bruno, last["uri"])

    assert thread, "the reply never appeared in the AppView"
    record = thread["post"]["record"]
    assert record["reply"]["root"] == root_ref
    assert record["reply"]["parent"] == {"uri": follow_up["uri"], "cid": follow_up["cid"]}
    assert thread["parent"]["post"]["uri"] == follow_up["uri"]
    assert thread["parent"]["parent"]["post"]["uri"] == answer["uri"]
    assert thread["parent"]["parent"]["parent"]["post"]["uri"] == root["uri"]
    assert record["facets"] == [mention_facet(text, bruno.handle, bruno.did)]
    assert _notification(devnet, brand, follow_up["uri"])["reason"] == "reply"


def test_an_app_password_opens_and_refreshes_sessions_until_revoked(devnet):
    brand = devnet.brand
    spare = devnet.call("com.atproto.server.createAppPassword", brand,
                        body={"name": "murmur-revoked"})["password"]
    made = devnet.call("com.atproto.server.createSession",
                       body={"identifier": brand.handle, "password": spare})
    refreshed = devnet.http.post(f"{devnet.pds}/xrpc/com.atproto.server.refreshSession",
                                 headers={"Authorization": f"Bearer {made['refreshJwt']}"},
                                 timeout=15)
    assert refreshed.status_code == 200
    assert refreshed.json()["did"] == brand.did
    assert "ratelimit-remaining" in refreshed.headers

    devnet.call("com.atproto.server.revokeAppPassword", brand, body={"name": "murmur-revoked"})

    with pytest.raises(XrpcError) as refused:
        devnet.call("com.atproto.server.createSession",
                    body={"identifier": brand.handle, "password": spare})
    assert refused.value.status == 401
