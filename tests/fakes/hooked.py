"""A test-only platform that pushes webhooks, and a fake server for its small REST API.

"Hooked" is shaped after the platforms Murmur takes webhooks from: each delivery is JSON
signed with HMAC-SHA256 over the raw body, keyed by the deployment's app secret
(`X-Hooked-Signature: sha256=<hex>`), names the brand user it is for and carries a delivery
id; a GET challenge (`crc_token`) is answered with a keyed hash of the token, as X's CRC is.
It is also polled, from an inbox whose items are marked read once taken in (as Reddit's), so
it exercises `Batch.receipts` and `acknowledge`.

Tests register `HookedAdapter` into `REGISTRY` with `monkeypatch.setitem` and run
`FakeHooked.served()` for its API.
"""
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
from datetime import datetime
from datetime import timezone

from flask import Flask
from flask import jsonify
from flask import request

from plugin.platforms.base import COMMON_FIELDS
from plugin.platforms.base import Adapter
from plugin.platforms.shapes import Author
from plugin.platforms.shapes import Batch
from plugin.platforms.shapes import Identity
from plugin.platforms.shapes import Mention
from plugin.platforms.shapes import SettingField
from plugin.platforms.shapes import WebhookRoute
from plugin.platforms.errors import Refused
from plugin.platforms.errors import WebhookForged
from plugin.platforms.errors import WebhookUnsigned
from plugin.platforms.http import BearerAuth
from plugin.platforms.signing import hmac_sha256
from plugin.platforms.signing import same
from plugin.platforms.text import Limit
from plugin.platforms.text import TextRules
from tests.fakes.server import LiveServer

APP_SECRET_NAME = "HOOKED_APP_SECRET"
APP_SECRET = "hooked-app-secret"
SIGNATURE = "X-Hooked-Signature"
DELIVERY = "X-Hooked-Delivery"
BRAND_ID = "1001"


class HookedAdapter(Adapter):
    """A brand account on the Hooked platform: mentions pushed by webhook, and polled."""

    name = "hooked"
    label = "Hooked"
    intake = frozenset({"poll", "webhook"})
    app_settings = (APP_SECRET_NAME,)
    webhook_headers = (SIGNATURE, DELIVERY)
    fields = (
        SettingField("base_url", "API base URL"),
        SettingField("access_token", "Access token", secret=True),
        *COMMON_FIELDS,
    )

    def auth(self, credentials):
        return BearerAuth(credentials["access_token"])

    @classmethod
    def webhook_challenge(cls, query, secrets):
        digest = hmac_sha256(secrets[APP_SECRET_NAME], query["crc_token"].encode())
        return {"response_token": "sha256=" + base64.b64encode(digest).decode()}

    @classmethod
    def verify_webhook(cls, raw_body, headers, secrets):
        offered = headers.get(SIGNATURE)
        if not offered:
            raise WebhookUnsigned(f"A {cls.label} delivery must carry {SIGNATURE}.")
        expected = "sha256=" + hmac_sha256(secrets[APP_SECRET_NAME], raw_body).hex()
        if not same(offered, expected):
            raise WebhookForged(f"The {SIGNATURE} does not match the delivery.")

    @classmethod
    def route_webhook(cls, payload, headers):
        return WebhookRoute(key=headers.get(DELIVERY) or payload["delivery_id"],
                            brand_user_ids=(str(payload["for_user_id"]),))

    def parse_webhook(self, payload, brand_user_id):
        if str(payload["for_user_id"]) != brand_user_id:
            return []
        return [self.to_mention(post) for post in payload["posts"]]

    def to_mention(self, post) -> Mention:
        """A post as the API and deliveries show it, as a `Mention`."""
        author = post["author"]
        post_id, parent, conversation = (_text(post["id"]), post["in_reply_to"],
                                         _text(post["conversation_id"]))
        return Mention(
            platform=self.name, external_id=f"hooked:{post_id}",
            author=Author(id=self.author_id(_text(author["id"])),
                          handle="@" + _text(author["handle"]), name=_text(author["name"])),
            text=_text(post["text"]), url=f"{self.base_url}/posts/{post_id}",
            posted_at=datetime.fromisoformat(post["created_at"]).astimezone(timezone.utc),
            reply_target={"post_id": post_id}, raw=post,
            parent_id=f"hooked:{_text(parent)}" if parent is not None else None,
            thread_id=f"hooked:{conversation}")

    def verify(self):
        me = self.http.get_json("/me")
        return Identity(user_id=str(me["id"]), handle="@" + me["handle"], name=me["name"])

    def fetch_mentions(self, cursor, since):
        """The unread inbox, oldest first; each item is a receipt to mark read."""
        posts = self.http.get_json("/inbox", expect=list)
        return Batch([self.to_mention(post) for post in posts], cursor=None,
                     receipts=[post["id"] for post in posts])

    def acknowledge(self, receipts):
        self.http.post("/inbox/read", json={"ids": receipts})

    def text_rules(self):
        return TextRules((Limit("characters", 280, len),))

    def post_reply(self, target, text, idempotency_key, files=()):
        raise Refused("The fake Hooked platform takes no replies.")

    def author_id(self, platform_user_id):
        return f"hooked:user:{platform_user_id}"


class PushOnlyAdapter(HookedAdapter):
    """Hooked as a platform whose mentions only ever arrive by webhook."""

    intake = frozenset({"webhook"})


def _text(value) -> str:
    """A string field of a post; anything else is a malformed post."""
    if not isinstance(value, str) or not 0 < len(value) < 100:
        raise TypeError(f"expected a short string, got {type(value).__name__}")
    return value


def sign(body: bytes, secret=APP_SECRET) -> str:
    """The signature header value Hooked sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeHooked:
    """The brand's side of the Hooked platform: its posts, inbox, and the deliveries it sends."""

    def __init__(self, token="hooked-token", brand_id=BRAND_ID):
        self.token = token
        self.brand_id = brand_id
        self.inbox = []
        self.read = []
        self.fail_acknowledge = 0
        self.url = None
        self._ids = itertools.count(5001)
        self.app = self._make_app()

    @classmethod
    @contextlib.contextmanager
    def served(cls, **kwargs):
        """A fake on a loopback port, stopped on exit."""
        fake = cls(**kwargs)
        with LiveServer(fake.app) as server:
            fake.url = server.url
            yield fake

    def post(self, handle, text, in_reply_to=None, created_at=None) -> dict:
        """A new post mentioning the brand (as a reply to the post `in_reply_to`)."""
        post_id = str(next(self._ids))
        return {"id": post_id, "text": text,
                "author": {"id": hashlib.sha256(handle.encode()).hexdigest()[:12], "handle": handle,
                           "name": handle.title()},
                "created_at": (created_at or datetime.now(timezone.utc)).isoformat(),
                "in_reply_to": in_reply_to["id"] if in_reply_to else None,
                "conversation_id": in_reply_to["conversation_id"] if in_reply_to else post_id}

    def delivery(self, *posts, delivery_id=None, for_user_id=None, secret=APP_SECRET):
        """The body and headers of a signed delivery of `posts`."""
        delivery_id = delivery_id or f"d-{next(self._ids)}"
        body = json.dumps({"delivery_id": delivery_id, "for_user_id": for_user_id or self.brand_id,
                           "posts": list(posts)}).encode()
        return body, {SIGNATURE: sign(body, secret), DELIVERY: delivery_id,
                      "Content-Type": "application/json"}

    def _make_app(self):
        app = Flask("fake_hooked")

        @app.before_request
        def _authorise():
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return jsonify(error="unauthorized"), 401
            return None

        @app.get("/me")
        def me():
            return jsonify(id=self.brand_id, handle="brand", name="Brand")

        @app.get("/inbox")
        def inbox():
            return jsonify([post for post in self.inbox if post["id"] not in self.read])

        @app.post("/inbox/read")
        def mark_read():
            if self.fail_acknowledge:
                self.fail_acknowledge -= 1
                return jsonify(error="unavailable"), 503
            self.read += [post_id for post_id in request.json["ids"] if post_id not in self.read]
            return jsonify(ok=True)

        return app
