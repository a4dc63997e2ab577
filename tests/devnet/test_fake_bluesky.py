"""The fake Bluesky (tests/fakes/bluesky.py) answers with every field the real development
network's recorded answers have (tests/fixtures/bluesky-devnet/), apart from those an account
or a viewer may lack; the fake may add optional ones."""
import json
from pathlib import Path

import requests

from tests.devnet.shapes import shape
from tests.fakes.bluesky import FakeBluesky

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "bluesky-devnet"
# Per-account and per-viewer extras the dev network's fresh accounts show; the adapter reads
# none of them.
OPTIONAL = ("author.associated", "author.viewer.mutedOnly")


def _paths(value, prefix=""):
    if isinstance(value, dict):
        return {path for key, item in value.items()
                for path in _paths(item, f"{prefix}.{key}" if prefix else key)}
    if isinstance(value, list):
        return {prefix + "[]"} | {path for item in value[:1]
                                  for path in _paths(item, prefix + "[]")}
    return {f"{prefix}:{value}"}


def _missing(real, fake):
    return sorted(path for path in _paths(shape(real)) - _paths(shape(fake))
                  if not any(part in path for part in OPTIONAL))


def _recorded(name):
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_the_fakes_answers_have_the_networks_fields():
    with FakeBluesky.served() as fake:
        alice = fake.add_account("alice.test", "Alice Martin")
        mention = fake.mention(alice, "Where is my parcel?")
        session = fake.issue_session()
        auth = {"Authorization": f"Bearer {session['accessJwt']}"}
        notes = requests.get(f"{fake.url}/xrpc/app.bsky.notification.listNotifications",
                             headers=auth, timeout=5).json()
        ref = {"uri": mention["uri"], "cid": mention["cid"]}
        reply = {"$type": "app.bsky.feed.post", "text": "@alice.test Sorry!",
                 "createdAt": "2026-11-27T05:50:00.000Z", "reply": {"root": ref, "parent": ref}}
        created = requests.post(f"{fake.url}/xrpc/com.atproto.repo.createRecord", headers=auth,
                                json={"repo": fake.brand["did"], "record": reply,
                                      "collection": "app.bsky.feed.post"}, timeout=5).json()
        refused = requests.post(f"{fake.url}/xrpc/com.atproto.server.createSession",
                                json={"identifier": "acme.bsky.social", "password": "wrong"},
                                timeout=5)

    real_notes = _recorded("list_notifications.json")
    assert set(notes) == set(real_notes)
    assert _missing(real_notes["notifications"][0], notes["notifications"][0]) == []
    assert _missing(_recorded("create_record_reply.json"), created) == []
    assert refused.status_code == 401
    assert _missing(_recorded("create_session_invalid.json"), refused.json()) == []
