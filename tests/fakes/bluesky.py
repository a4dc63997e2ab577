"""A fake Bluesky PDS (with the AppView calls it proxies), served over loopback HTTP.

Shapes come from the recorded bodies in `tests/fixtures/bluesky/`: profile views, post
records and views, notifications, createRecord answers, XRPC error bodies
(`{"error": ..., "message": ...}`) and the `RateLimit-*` headers. Sessions behave as the PDS's
do: `createSession` (counted: it is limited per day) gives an access JWT that expires and a
refresh JWT that works once. `createRecord` validates what the real PDS (and the AppView)
would refuse: reply refs, facet byte ranges, 300 graphemes / 3000 bytes, a taken record key.
"""
import contextlib
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import jwt
import regex
from flask import Flask
from flask import jsonify
from flask import make_response
from flask import request

from tests.fakes.server import LiveServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bluesky"
POST = "app.bsky.feed.post"
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}\Z")
_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
SIGNING_KEY = "fake-pds-signing-key-of-32-bytes!"
CDN = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"
OPEN = {"com.atproto.server.createSession", "com.atproto.server.refreshSession"}


def recorded(name):
    """A recorded body from tests/fixtures/bluesky/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def stamp(moment: datetime) -> str:
    """An AT Protocol datetime: UTC, milliseconds, Z."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


class FakeBluesky:
    """State of one PDS with the brand's account, customers, posts and notifications."""

    def __init__(self, access_lifetime=timedelta(hours=2), rate_limit=3000):
        template = next(n for n in recorded("list_notifications.json")["notifications"]
                        if n["reason"] == "mention")
        self._author_template = template["author"]
        self.access_lifetime = access_lifetime
        self.rate_limit = rate_limit
        self.app_password = "abcd-efgh-ijkl-mnop"
        self.brand = self.add_account("acme.bsky.social", "Acme Support",
                                      did="did:plc:5c2r73erhng4bszmxlfdtscf")
        self.posts = {}  # uri -> {"uri", "cid", "author", "record", "indexedAt", ...}
        self.notifications = []  # newest last
        self.blobs = {}
        self.feeds = {}  # did -> recorded getAuthorFeed items served for that author
        self.reply_disabled = set()  # uris whose threadgate shuts the brand out
        self.sessions_created = 0
        self.requests = []
        self.url = None
        self._lock = threading.RLock()
        self._refresh_tokens = {}  # refresh jwt -> "live" | "spent"
        self._revoked = False
        self._issued, self._expired = set(), set()  # ids (jti) of access JWTs
        self._failures = []
        self._malformed = []
        self._clock = datetime(2000, 1, 1, tzinfo=timezone.utc)
        self._counter = itertools.count(1)
        self._remaining = rate_limit
        self.app = self._build_app()

    # ----- seeding ---------------------------------------------------------

    def add_account(self, handle, display_name, did=None):
        """A profile view (shaped as recorded) for a new account."""
        did = did or "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        return {**self._author_template, "did": did, "handle": handle,
                "displayName": display_name,
                "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkrei{did[-8:]}@jpeg"}

    def _now(self, at=None):
        # Strictly increasing, so every post has its own indexedAt (as sortAt ordering needs).
        with self._lock:
            moment = at or max(datetime.now(timezone.utc), self._clock + timedelta(
                milliseconds=1))
            if at is None:
                self._clock = moment
            return moment

    def _tid(self):
        value = (int(time.time() * 1_000_000) << 10) | (next(self._counter) & 0x3FF)
        return "".join(_SORTABLE[(value >> s) & 31] for s in range(60, -1, -5))

    def post(self, author, text, *, reply_to=None, facets=(), embed=None, created_at=None,
             rkey=None):
        """Store a post by `author` (a profile view) and return its view."""
        at = self._now(created_at)
        record = {"$type": POST, "createdAt": stamp(at), "langs": ["en"], "text": text}
        if facets:
            record["facets"] = list(facets)
        if embed:
            record["embed"] = embed
        if reply_to:
            parent = self.posts[reply_to]
            root = parent["record"].get("reply", {}).get("root") or {
                "uri": parent["uri"], "cid": parent["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"],
                                                         "cid": parent["cid"]}}
        return self._store(author, record, rkey or self._tid(), at)

    def _store(self, author, record, rkey, at):
        uri = f"at://{author['did']}/{POST}/{rkey}"
        cid = "bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52]
        view = {"uri": uri, "cid": cid, "author": author, "record": record,
                "indexedAt": stamp(at), "likeCount": 0, "replyCount": 0, "repostCount": 0,
                "quoteCount": 0, "labels": []}
        with self._lock:
            self.posts[uri] = view
        return view

    def mention(self, customer, text, *, reply_to=None, created_at=None, images=()):
        """`customer` posts `text` mentioning the brand (a mention facet on `@handle` added
        at the end); the brand gets a `mention` (or `reply`) notification."""
        text = f"{text} @{self.brand['handle']}"
        start = len(text.encode()) - len(self.brand["handle"]) - 1
        facets = [{"index": {"byteStart": start, "byteEnd": len(text.encode())},
                   "features": [{"$type": "app.bsky.richtext.facet#mention",
                                 "did": self.brand["did"]}]}]
        embed = None
        if images:
            embed = {"$type": "app.bsky.embed.images", "images": [
                {"alt": alt, "image": self._blob(url)} for url, alt in images]}
        view = self.post(customer, text, reply_to=reply_to, facets=facets, embed=embed,
                         created_at=created_at)
        replying_to_brand = reply_to and self.posts[reply_to]["author"]["did"] == \
            self.brand["did"]
        self.notify("reply" if replying_to_brand else "mention", view)
        return view

    def _blob(self, url):
        cid = "bafkrei" + hashlib.sha256(url.encode()).hexdigest()[:52]
        self.blobs[cid] = {"url": url, "mimeType": "image/jpeg"}
        return {"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/jpeg", "size": 1000}

    def notify(self, reason, view, *, other=None):
        """A notification of `reason` about the post `view` (or, for likes, follows and
        reposts, an `other` record of that kind)."""
        note = {"uri": view["uri"], "cid": view["cid"], "author": view["author"],
                "reason": reason, "record": other or view["record"], "isRead": False,
                "indexedAt": view["indexedAt"], "labels": []}
        with self._lock:
            self.notifications.append(note)
        return note

    def add_recorded_notifications(self):
        """Serve the recorded page (follows, likes, reposts, mentions, quotes) as is."""
        with self._lock:
            page = recorded("list_notifications.json")["notifications"]
            self.notifications.extend(reversed(page))
            for note in page:
                if note["record"].get("$type") == POST:
                    self.posts.setdefault(note["uri"], {**note, "likeCount": 0})

    def add_recorded_feed(self):
        """Serve the recorded getAuthorFeed page (with reposts) for its author; returns it."""
        page = recorded("get_author_feed.json")
        author = page["feed"][0]["post"]["author"]
        with self._lock:
            self.feeds[author["did"]] = page["feed"]
            self.posts.update({item["post"]["uri"]: item["post"] for item in page["feed"]
                               if item["post"]["author"]["did"] == author["did"]})
        return page

    def revoke_app_password(self):
        """The brand revokes its app password: sessions end, createSession refuses it."""
        with self._lock:
            self._revoked = True
            self._refresh_tokens.clear()

    def new_app_password(self, password):
        """The brand creates a new app password (after revoking the old one)."""
        with self._lock:
            self.app_password, self._revoked = password, False

    def fail_next(self, n, status=503, retry_after=None, error=None, message=None, path=None):
        """The next `n` requests (to methods starting with `path`) fail with `status`."""
        with self._lock:
            self._failures += [(status, retry_after, error, message, path)] * n

    def malform_next(self, n, body):
        """The next `n` requests get 200 with `body` as is."""
        with self._lock:
            self._malformed += [body] * n

    def expire_access_tokens(self):
        """Every access JWT issued so far counts as expired."""
        with self._lock:
            self._expired |= self._issued

    # ----- sessions --------------------------------------------------------

    def issue_session(self):
        """A fresh session for the brand, as createSession answers (not counted)."""
        now = int(time.time())
        jti = secrets.token_hex(8)
        access = jwt.encode({"scope": "com.atproto.appPass", "sub": self.brand["did"],
                             "iat": now, "exp": now + int(self.access_lifetime.total_seconds()),
                             "jti": jti}, SIGNING_KEY, algorithm="HS256")
        refresh = jwt.encode({"scope": "com.atproto.refresh", "sub": self.brand["did"],
                              "iat": now, "exp": now + 90 * 86400,
                              "jti": secrets.token_hex(8)}, SIGNING_KEY, algorithm="HS256")
        with self._lock:
            self._refresh_tokens[refresh] = "live"
            self._issued.add(jti)
        return {"did": self.brand["did"], "handle": self.brand["handle"], "accessJwt": access,
                "refreshJwt": refresh, "active": True, "email": "support@acme.example"}

    # ----- serving ---------------------------------------------------------

    @contextlib.contextmanager
    def served(self=None, **kwargs):
        """Serve on a loopback port (`FakeBluesky.served()` builds one first)."""
        fake = self if isinstance(self, FakeBluesky) else FakeBluesky(**kwargs)
        with LiveServer(fake.app) as server:
            fake.url = server.url
            yield fake

    def _build_app(self):
        app = Flask("fake_bluesky")
        app.add_url_rule("/xrpc/<method>", "xrpc", self._xrpc, methods=["GET", "POST"])
        return app

    def _xrpc(self, method):
        with self._lock:
            self.requests.append((request.method, method, request.args.to_dict(flat=False)))
            self._remaining = max(self._remaining - 1, 0)
            failure = next((f for f in self._failures
                            if f[4] is None or method.startswith(f[4])), None)
            if failure:
                self._failures.remove(failure)
            malformed = self._malformed.pop(0) if self._malformed and not failure else None
        if failure:
            status, retry_after, error, message, _ = failure
            response = self._error(status, error or _ERROR_NAMES.get(status, "InternalServerError"),
                                   message or "Injected failure")
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        if malformed is not None:
            response = make_response(malformed, 200)
            response.headers["Content-Type"] = "application/json"
            return self._headers(response)
        handler = self._methods().get(method)
        if handler is None:
            return self._error(501, "MethodNotImplemented", "Method Not Implemented")
        if method not in OPEN:
            problem = self._check_access()
            if problem:
                return problem
        return handler()

    def _methods(self):
        return {
            "com.atproto.server.createSession": self._create_session,
            "com.atproto.server.refreshSession": self._refresh_session,
            "com.atproto.server.getSession": self._get_session,
            "app.bsky.notification.listNotifications": self._list_notifications,
            "app.bsky.feed.searchPosts": self._search_posts,
            "app.bsky.feed.getPosts": self._get_posts,
            "app.bsky.feed.getPostThread": self._get_post_thread,
            "app.bsky.feed.getAuthorFeed": self._get_author_feed,
            "app.bsky.actor.getProfile": self._get_profile,
            "com.atproto.repo.getRecord": self._get_record,
            "com.atproto.repo.createRecord": self._create_record,
            "com.atproto.repo.uploadBlob": self._upload_blob,
        }

    def _headers(self, response):
        response.headers["RateLimit-Limit"] = str(self.rate_limit)
        response.headers["RateLimit-Remaining"] = str(self._remaining)
        response.headers["RateLimit-Reset"] = str(int(time.time()) + 300)
        response.headers["RateLimit-Policy"] = f"{self.rate_limit};w=300"
        return response

    def _ok(self, body):
        return self._headers(jsonify(body))

    def _error(self, status, error, message):
        response = jsonify({"error": error, "message": message})
        response.status_code = status
        return self._headers(response)

    def _bearer(self):
        header = request.headers.get("Authorization", "")
        return header[len("Bearer "):] if header.startswith("Bearer ") else None

    def _check_access(self):
        token = self._bearer()
        if not token:
            return self._error(401, "AuthenticationRequired", "Authentication Required")
        try:
            claims = jwt.decode(token, SIGNING_KEY, algorithms=["HS256"],
                                options={"verify_exp": False})
        except jwt.InvalidTokenError:
            return self._error(400, "InvalidToken", "Malformed token")
        if claims.get("scope") != "com.atproto.appPass":
            return self._error(400, "InvalidToken", "Bad token scope")
        if claims["exp"] <= time.time() or claims["jti"] in self._expired:
            return self._error(400, "ExpiredToken", "Token has expired")
        return None

    def _create_session(self):
        body = request.get_json(silent=True) or {}
        identifier = body.get("identifier")
        if identifier not in (self.brand["handle"], self.brand["did"], "support@acme.example") \
                or body.get("password") != self.app_password or self._revoked:
            return self._error(401, "AuthenticationRequired", "Invalid identifier or password")
        with self._lock:
            self.sessions_created += 1
        return self._ok(self.issue_session())

    def _refresh_session(self):
        token = self._bearer()
        with self._lock:
            state = self._refresh_tokens.get(token)
            if state != "live":
                return self._error(400, "ExpiredToken", "Token has been revoked")
            self._refresh_tokens[token] = "spent"
        return self._ok(self.issue_session())

    def _get_session(self):
        return self._ok({"did": self.brand["did"], "handle": self.brand["handle"],
                         "email": "support@acme.example", "active": True})

    def _limit(self, default=50):
        value = request.args.get("limit", str(default))
        if not value.isdigit() or not 1 <= int(value) <= 100:
            return None
        return int(value)

    def _list_notifications(self):
        limit = self._limit()
        if limit is None:
            return self._error(400, "InvalidRequest", "limit must be between 1 and 100")
        reasons = set(request.args.getlist("reasons"))
        cursor = request.args.get("cursor")
        with self._lock:
            notes = sorted(self.notifications, key=lambda n: n["indexedAt"], reverse=True)
        notes = [n for n in notes if (not reasons or n["reason"] in reasons)
                 and (cursor is None or n["indexedAt"] < cursor)]
        page = notes[:limit]
        body = {"notifications": page, "priority": False, "seenAt": stamp(self._clock)}
        if len(notes) > limit:
            body["cursor"] = page[-1]["indexedAt"]
        return self._ok(body)

    def _search_posts(self):
        limit, query = self._limit(25), (request.args.get("q") or "").lower()
        offset = int(request.args.get("cursor") or 0)
        with self._lock:
            posts = sorted((p for p in self.posts.values()
                            if query and query in p["record"]["text"].lower()),
                           key=lambda p: p["indexedAt"], reverse=True)
        page = posts[offset:offset + limit]
        body = {"posts": [self._view(p) for p in page]}
        if offset + limit < len(posts):
            body["cursor"] = str(offset + limit)
        return self._ok(body)

    def _view(self, post):
        """A PostView: the stored post with hydrated image URLs and the brand's viewer state."""
        view = {**post, "viewer": {"replyDisabled": post["uri"] in self.reply_disabled}}
        embed = post["record"].get("embed") or {}
        if embed.get("$type") == "app.bsky.embed.images":
            view["embed"] = {"$type": "app.bsky.embed.images#view", "images": [
                {"fullsize": self._blob_url(post["author"]["did"], i["image"]["ref"]["$link"]),
                 "thumb": "", "alt": i.get("alt", "")} for i in embed["images"]]}
        return view

    def _blob_url(self, did, cid):
        known = self.blobs.get(cid)
        return known["url"] if known else CDN.format(did=did, cid=cid)

    def _get_posts(self):
        uris = request.args.getlist("uris")
        if len(uris) > 25:
            return self._error(400, "InvalidRequest", "uris must not have more than 25 elements")
        return self._ok({"posts": [self._view(self.posts[u]) for u in uris if u in self.posts]})

    def _get_post_thread(self):
        post = self.posts.get(request.args.get("uri"))
        if post is None:
            return self._error(400, "NotFound", f"Post not found: {request.args.get('uri')}")
        thread = node = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self._view(post)}
        while "reply" in node["post"]["record"]:
            parent = self.posts.get(node["post"]["record"]["reply"]["parent"]["uri"])
            if parent is None:
                break
            node["parent"] = {"$type": "app.bsky.feed.defs#threadViewPost",
                              "post": self._view(parent)}
            node = node["parent"]
        return self._ok({"thread": thread})

    def _actor(self, actor):
        with self._lock:
            authors = {p["author"]["did"]: p["author"] for p in self.posts.values()}
        authors[self.brand["did"]] = self.brand
        return next((a for a in authors.values() if actor in (a["did"], a["handle"])), None)

    def _get_author_feed(self):
        author = self._actor(request.args.get("actor"))
        if author is None:
            return self._error(400, "InvalidRequest", "Profile not found")
        limit = self._limit()
        if author["did"] in self.feeds:
            return self._ok({"feed": self.feeds[author["did"]][:limit]})
        posts = sorted((p for p in self.posts.values() if p["author"]["did"] == author["did"]),
                       key=lambda p: p["indexedAt"], reverse=True)[:limit]
        return self._ok({"feed": [{"post": self._view(p)} for p in posts]})

    def _get_profile(self):
        author = self._actor(request.args.get("actor"))
        if author is None:
            return self._error(400, "InvalidRequest", "Profile not found")
        return self._ok({**author, "followersCount": 12, "followsCount": 3, "postsCount": 40})

    def _get_record(self):
        args = request.args
        uri = f"at://{args.get('repo')}/{args.get('collection')}/{args.get('rkey')}"
        post = self.posts.get(uri)
        if post is None:
            return self._error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return self._ok({"uri": uri, "cid": post["cid"], "value": post["record"]})

    def _upload_blob(self):
        data = request.get_data()
        if len(data) > 1_000_000:
            return self._error(400, "BlobTooLarge", "This file is too large")
        cid = "bafkrei" + hashlib.sha256(data).hexdigest()[:52]
        mime = request.headers.get("Content-Type", "application/octet-stream")
        self.blobs[cid] = {"url": CDN.format(did=self.brand["did"], cid=cid), "mimeType": mime}
        return self._ok({"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime,
                                  "size": len(data)}})

    def _create_record(self):
        body = request.get_json(silent=True) or {}
        record, rkey = body.get("record") or {}, body.get("rkey") or self._tid()
        if body.get("repo") not in (self.brand["did"], self.brand["handle"]):
            return self._error(400, "InvalidRequest", "Invalid repo")
        if body.get("collection") != POST or record.get("$type") != POST:
            return self._error(400, "InvalidRequest", "Invalid collection")
        if not TID.match(rkey):
            return self._error(400, "InvalidRequest", f"Invalid record key: {rkey}")
        problem = invalid_post(record, self.posts)
        if problem:
            return self._error(400, "InvalidRecord", problem)
        parent = record.get("reply", {}).get("parent", {}).get("uri")
        if parent in self.reply_disabled:
            return self._error(400, "InvalidRequest", "Replies to this post are not allowed")
        uri = f"at://{self.brand['did']}/{POST}/{rkey}"
        with self._lock:
            if uri in self.posts:
                # As the development network answers (tests/fixtures/bluesky-devnet/).
                return self._error(500, "InternalServerError", "Internal Server Error")
            view = self._store(self.brand, record, rkey, self._now())
        answer = recorded("create_record_reply.json")
        return self._ok({**answer, "uri": view["uri"], "cid": view["cid"]})

    def brand_posts(self):
        """The brand's own posts, oldest first."""
        return sorted((p for p in self.posts.values() if p["author"]["did"] == self.brand["did"]),
                      key=lambda p: p["indexedAt"])


_ERROR_NAMES = {400: "InvalidRequest", 401: "AuthenticationRequired", 429: "RateLimitExceeded",
                500: "InternalServerError", 502: "UpstreamFailure", 503: "NotEnoughResources"}


def invalid_post(record, posts):
    """Why the PDS (or the AppView) would refuse this post record, or None."""
    text = record.get("text")
    if not isinstance(text, str) or not isinstance(record.get("createdAt"), str):
        return "Record/text and Record/createdAt are required"
    raw = text.encode("utf-8")
    if len(regex.findall(r"\X", text)) > 300:
        return "Record/text must not be longer than 300 graphemes"
    if len(raw) > 3000:
        return "Record/text must not be longer than 3000 characters"
    for facet in record.get("facets") or []:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        if not 0 <= start < end <= len(raw):
            return f"Record/facets: byte range {start}-{end} outside the text"
        try:
            raw[start:end].decode("utf-8")
        except UnicodeDecodeError:
            return f"Record/facets: byte range {start}-{end} cuts a character"
    reply = record.get("reply")
    if reply:
        for ref in ("root", "parent"):
            target = posts.get(reply.get(ref, {}).get("uri"))
            if target is None or target["cid"] != reply[ref].get("cid"):
                return f"Record/reply/{ref} does not point at an existing post"
        parent = posts[reply["parent"]["uri"]]
        root = parent["record"].get("reply", {}).get("root", {}).get("uri") or parent["uri"]
        if reply["root"]["uri"] != root:
            return "Record/reply/root is not the root of the parent's thread"
    return None
