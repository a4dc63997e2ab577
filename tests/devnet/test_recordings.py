"""The bodies recorded from the development network (tests/fixtures/bluesky-devnet/) keep the
shape the pinned network answers with today."""
import json
from pathlib import Path

from tests.devnet.network import eventually
from tests.devnet.network import link_facet
from tests.devnet.network import mention_facet
from tests.devnet.shapes import shape

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "bluesky-devnet"


def _recorded(name):
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_a_mention_and_the_brands_reply_answer_as_recorded(devnet):
    brand, (alice, _) = devnet.brand, devnet.customers
    text = f"Héllo 👋🏽 @{brand.handle}, my parcel: example.com/track… still lost"
    mention = devnet.post(alice, text, [
        mention_facet(text, brand.handle, brand.did),
        link_facet(text, "example.com/track…", "https://example.com/track/48151623")])
    ref = {"uri": mention["uri"], "cid": mention["cid"]}
    reply_text = f"@{alice.handle} Sorry! We are on it."
    reply = devnet.post(brand, reply_text, [mention_facet(reply_text, alice.handle, alice.did)],
                        reply={"root": ref, "parent": ref})

    notifications = devnet.call("app.bsky.notification.listNotifications", brand, limit=100)
    ours = next(n for n in notifications["notifications"] if n["uri"] == mention["uri"])
    recorded = _recorded("list_notifications.json")
    assert shape(ours) == shape(recorded["notifications"][0])
    assert set(notifications) == set(recorded)
    assert shape(reply) == shape(_recorded("create_record_reply.json"))
    thread = eventually(lambda: devnet.call("app.bsky.feed.getPostThread", alice, uri=reply["uri"]))
    assert shape(thread) == shape(_recorded("get_post_thread.json"))
