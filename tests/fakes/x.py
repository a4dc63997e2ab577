"""A fake X (API v2) for tests, served over loopback HTTP.

``FakeX`` keeps the state of one brand account (``@acme``) and its world: users, posts
(stored with every v2 field, see tests/fakes/x_posts.py), media, tokens. Tests seed it with
:meth:`FakeX.add_user`, :meth:`FakeX.post` and :meth:`FakeX.mention`, run it with
:meth:`FakeX.served`, deliver webhooks with :meth:`FakeX.deliver`, and inspect ``requests``,
``brand_posts()``, ``billed_reads`` and ``refreshes`` afterwards. Routes: tests/fakes/x_api.py
(API v2) and tests/fakes/x_oauth.py (OAuth 1.0a and 2.0).
"""
import base64
import contextlib
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from datetime import datetime
from datetime import timezone

import requests
from flask import Response

from tests.fakes import x_posts
from tests.fakes.server import LiveServer
from tests.fakes.x_api import TOO_MANY
from tests.fakes.x_api import XApi
from tests.fakes.x_oauth import DEFAULT_SCOPES
from tests.fakes.x_oauth import XAuth
from tests.fakes.x_render import v1_tweet

FIRST_USER_ID = 1600000000000000001
USER_ID_STEP = 1000003
DUPLICATE_WINDOW = 10  # how many of the brand's latest posts a new one may not repeat


class FakeX:
    """State of a fake X plus the Flask app (``.app``) serving it."""

    def __init__(self, consumer_key="ck", consumer_secret="cs", client_id="cid",
                 client_secret="csec", limits=None):
        """An X whose only user is the brand, ``@acme``; `limits` overrides per-endpoint
        limits per 15 minutes (names: me, mentions, search, timeline, users, tweets, create)."""
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.client_id = client_id
        self.client_secret = client_secret
        self.limits = dict(limits or {})
        self.url = None
        self.users = {}
        self.tweets = {}
        self.media = {}
        self.uploads = {}
        self.upload_types = {}
        self.requests = []
        self.reads_returned = 0
        self._billed = set()
        self._canned = []
        self._lock = threading.RLock()
        self._seq = 0
        self._next_user = FIRST_USER_ID
        self.brand = self.add_user("acme", "Acme Co")
        self.auth = XAuth(self)
        self.app = XApi(self).build()

    # ----- users -------------------------------------------------------------

    def add_user(self, username, name) -> dict:
        """Add a user (every v2 user field) and return it."""
        with self._lock:
            user_id = str(self._next_user)
            self._next_user += USER_ID_STEP
        user = {"id": user_id, "username": username, "name": name,
                "created_at": "2020-01-01T00:00:00.000Z", "description": "", "location": "",
                "url": "", "protected": False, "verified": False, "verified_type": "none",
                "profile_image_url": f"https://pbs.twimg.com/profile_images/{user_id}/avatar_normal.jpg",
                "public_metrics": {"followers_count": 0, "following_count": 0, "tweet_count": 0,
                                   "listed_count": 0, "like_count": 0}}
        with self._lock:
            self.users[user_id] = user
        return user

    def find_user(self, username) -> dict | None:
        """The user with this username (case-insensitive), if any."""
        lowered = username.lower()
        return next((u for u in self.users.values() if u["username"].lower() == lowered), None)

    def _user(self, user) -> dict:
        found = self.users.get(user["id"]) if isinstance(user, dict) else self.find_user(user)
        if found is None:
            raise KeyError(f"unknown user {user!r}: add it with add_user() first")
        return found

    def _tweet(self, tweet) -> dict | None:
        if tweet is None:
            return None
        return self.tweets[tweet["id"] if isinstance(tweet, dict) else str(tweet)]

    # ----- posts -------------------------------------------------------------

    def add_media(self, url, alt_text="", type="photo", mime_type=None) -> str:
        """Make a media id usable in ``POST /2/tweets`` (as if uploaded) and return it."""
        with self._lock:
            self._seq += 1
            media_id = x_posts.snowflake(datetime.now(timezone.utc), self._seq)
            self.uploads[media_id] = (url, alt_text, type)
            self.upload_types[media_id] = mime_type
        return media_id

    def describe_media(self, media_id, alt_text):
        """Set an uploaded media's alt text (``POST /2/media/metadata``)."""
        with self._lock:
            url, _, kind = self.uploads[media_id]
            self.uploads[media_id] = (url, alt_text, kind)

    def media_of(self, tweet_id) -> list[tuple[str | None, str]]:
        """(MIME type as uploaded, alt text) of each file a post carries."""
        keys = (self.tweets[str(tweet_id)].get("attachments") or {}).get("media_keys", [])
        return [(self.upload_types.get(key.split("_", 1)[1]), self.media[key]["alt_text"])
                for key in keys]

    def post(self, author, text, *, reply_to=None, quote_of=None, retweet_of=None,
             created_at=None, media=(), reply_settings="everyone") -> dict:
        """Store a post by `author` (user dict or username) and return it (v2, all fields).

        `media` is a list of (url, alt_text, type[, media id]); a retweet's text is X's
        ``RT @author: text``.
        """
        author = self._user(author)
        parent, quoted, retweeted = (self._tweet(t) for t in (reply_to, quote_of, retweet_of))
        if retweeted is not None:
            original = html.unescape(retweeted.get("note_tweet", retweeted)["text"])
            text = f"RT @{self.users[retweeted['author_id']]['username']}: {original}"
        moment = created_at or datetime.now(timezone.utc)
        with self._lock:
            self._seq += 1
            post_id = x_posts.snowflake(moment, self._seq)
            items = []
            for url, alt, kind, *uploaded in media:  # an uploaded one keeps its media id
                self._seq += 1
                media_id = uploaded[0] if uploaded else x_posts.snowflake(moment, self._seq)
                item = x_posts.media_item(media_id, url, alt, kind)
                self.media[item["media_key"]] = item
                items.append(item)
            users_by_name = {u["username"].lower(): u for u in self.users.values()}
            tweet = x_posts.build(post_id, author, text, moment, users_by_name, parent=parent,
                                  quoted=quoted, retweeted=retweeted, media=items,
                                  reply_settings=reply_settings)
            self.tweets[post_id] = tweet
            author["public_metrics"]["tweet_count"] += 1
            for ref, metric in ((parent, "reply_count"), (quoted, "quote_count"),
                                (retweeted, "retweet_count")):
                if ref is not None:
                    ref["public_metrics"][metric] += 1
        return tweet

    def mention(self, customer, text, *, reply_to=None, created_at=None) -> dict:
        """A post by `customer` that @mentions the brand (``@acme `` is prefixed if missing)."""
        handle = self.brand["username"]
        if not re.search(rf"(?<![\w@])@{handle}\b", text, re.IGNORECASE):
            text = f"@{handle} {text}"
        return self.post(customer, text, reply_to=reply_to, created_at=created_at)

    def brand_posts(self) -> list[dict]:
        """The brand's posts, oldest first."""
        return sorted((t for t in self.tweets.values() if t["author_id"] == self.brand["id"]),
                      key=lambda t: int(t["id"]))

    def recent_brand_texts(self) -> set[str]:
        """What the brand's latest posts said (X refuses to post one of them again)."""
        latest = self.brand_posts()[-DUPLICATE_WINDOW:]
        return {html.unescape(t.get("note_tweet", t)["text"]) for t in latest} | \
            {t.get("note_tweet", t)["text"] for t in latest}

    # ----- billing -----------------------------------------------------------

    def bill(self, tweet_ids):
        """Count posts returned; X bills each post once per UTC day."""
        day = datetime.now(timezone.utc).date()
        with self._lock:
            self.reads_returned += len(tweet_ids)
            self._billed.update((day, tweet_id) for tweet_id in tweet_ids)

    @property
    def billed_reads(self) -> int:
        """Posts billed so far (de-duplicated per UTC day per post)."""
        return len(self._billed)

    # ----- auth --------------------------------------------------------------

    def issue_user_token(self, scopes=DEFAULT_SCOPES) -> dict:
        """An OAuth 2.0 user-context token answer for the brand (as the token endpoint gives)."""
        return self.auth.issue(scopes)

    def expire_tokens(self):
        """Expire every OAuth 2.0 access token issued so far."""
        self.auth.expire_tokens()

    @property
    def oauth1_token(self) -> tuple[str, str]:
        """The brand's OAuth 1.0a (token, token_secret)."""
        return self.auth.oauth1_token

    @property
    def app_bearer(self) -> str:
        """The app-only bearer token (reads only)."""
        return self.auth.app_bearer

    @property
    def authorized_codes(self) -> dict:
        """Authorization codes issued and not yet exchanged."""
        return self.auth.authorized_codes

    @property
    def refreshes(self) -> int:
        """How many refresh-token grants succeeded."""
        return self.auth.refreshes

    # ----- failures ----------------------------------------------------------

    def fail_next(self, n, status=503, reset_in=None, path_prefix=None, body=None):
        """Answer the next `n` requests (under `path_prefix`) with `status`.

        A 429 is X's (problem body, `x-rate-limit-remaining: 0`, reset `reset_in` seconds
        ahead, no Retry-After); `body` (str or dict) replaces the default problem body.
        """
        if body is None:
            body = TOO_MANY if status == 429 else {"title": "Service Unavailable",
                                                    "detail": "Service Unavailable",
                                                    "type": "about:blank", "status": status}
        self._canned.append({"left": n, "prefix": path_prefix, "status": status,
                             "body": body, "reset_in": reset_in})

    def malform_next(self, n, body, path_prefix=None):
        """Answer the next `n` requests (under `path_prefix`) with 200 and `body` (a string)."""
        self._canned.append({"left": n, "prefix": path_prefix, "status": 200, "body": body,
                             "reset_in": None})

    def take_canned(self, path) -> Response | None:
        """The canned answer due for a request to `path`, if any (used by the routes)."""
        with self._lock:
            due = next((c for c in self._canned if c["left"] > 0 and
                        (c["prefix"] is None or path.startswith(c["prefix"]))), None)
            if due is None:
                return None
            due["left"] -= 1
        body = due["body"] if isinstance(due["body"], str) else json.dumps(due["body"])
        response = Response(body, status=due["status"], mimetype="application/json")
        if due["status"] == 429:
            reset = int(time.time()) + (due["reset_in"] if due["reset_in"] is not None else 900)
            response.headers.update({"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                                     "x-rate-limit-reset": str(reset)})
        return response

    # ----- webhooks ----------------------------------------------------------

    def crc(self, url) -> bool:
        """Send X's CRC challenge (`GET url?crc_token=…`) and check the answer."""
        token = secrets.token_urlsafe(32)
        answer = requests.get(url, params={"crc_token": token}, timeout=5)
        digest = hmac.new(self.consumer_secret.encode(), token.encode(), hashlib.sha256).digest()
        expected = "sha256=" + base64.b64encode(digest).decode()
        try:
            given = answer.json().get("response_token", "")
        except ValueError:
            return False
        return answer.status_code == 200 and hmac.compare_digest(given, expected)

    def webhook_body(self, tweets, for_user_id=None) -> bytes:
        """An Account Activity API delivery of stored `tweets` in v1.1 shape."""
        for_user_id = for_user_id or self.brand["id"]
        events = [v1_tweet(self._tweet(t), self) for t in tweets]
        body = {"for_user_id": for_user_id}
        if any(m["id_str"] == for_user_id for e in events for m in e["entities"]["user_mentions"]):
            # X adds this flag when the events mention the subscribed user.
            body["user_has_blocked"] = False
        body["tweet_create_events"] = events
        return json.dumps(body).encode()

    def sign(self, body: bytes) -> dict:
        """X's signature header for a delivery body."""
        digest = hmac.new(self.consumer_secret.encode(), body, hashlib.sha256).digest()
        return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()}

    def deliver(self, url, tweets, for_user_id=None) -> requests.Response:
        """POST a signed delivery of `tweets` to `url`, as X does."""
        body = self.webhook_body(tweets, for_user_id)
        return requests.post(url, data=body, timeout=5,
                             headers={"Content-Type": "application/json", **self.sign(body)})

    # ----- serving -----------------------------------------------------------

    @contextlib.contextmanager
    def served(self):
        """Serve on a loopback port; yields the fake with ``.url`` set."""
        with LiveServer(self.app) as server:
            self.url = server.url
            try:
                yield self
            finally:
                self.url = None
