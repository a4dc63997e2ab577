"""A fake Mastodon server for tests, served over loopback HTTP.

``FakeMastodon`` keeps the state of one brand account's home server
(accounts, statuses, notifications) and exposes it through a Flask app with
the real REST shapes, paging rules, Link headers, rate-limit headers and
error bodies. Tests seed it with :meth:`FakeMastodon.add_customer` and
:meth:`FakeMastodon.mention`, run it with :meth:`FakeMastodon.served`, and
inspect ``posted`` and ``requests`` afterwards.
"""

import contextlib
import functools
import threading
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from http import HTTPStatus
from urllib.parse import quote

from flask import Flask
from flask import jsonify
from flask import request

from tests.fakes import mastodon_data as data
from tests.fakes.mastodon_media import FakeMedia
from tests.fakes.server import LiveServer

FIRST_NOTIFICATION_ID = 21  # the recorded notification id
FIRST_STATUS_ID = 117020577157693549  # the recorded mention status id
FIRST_ACCOUNT_ID = 117020566100000000  # above the recorded account ids
ID_STEP = 65536  # Mastodon ids are snowflakes: (ms << 16) | sequence


class _hybrid:
    """Descriptor: ``Cls.method(**kw)`` builds ``Cls(**kw)`` first; ``obj.method()`` uses obj."""

    def __init__(self, func):
        self.func = func
        functools.update_wrapper(self, func)

    def __get__(self, obj, cls):
        if obj is None:
            return lambda **kwargs: self.func(cls(**kwargs))
        return functools.partial(self.func, obj)


class FakeMastodon:
    """State of a fake Mastodon server plus the Flask app (``.app``) serving it."""

    def __init__(self, token="good-token", max_characters=500, local_base=data.RECORDED_BASE,
                 rate_limit=300):
        """Create an empty server whose only account is the brand (``mastodonpy_test``)."""
        self.token = token
        self.max_characters = max_characters
        self.local_base = local_base
        self.rate_limit = rate_limit
        self.revoked = False
        self.latency = 0.0
        self.url = None
        self.brand = data.brand_account(local_base)
        self.accounts = {self.brand["id"]: self.brand}
        self.statuses = {}
        self.notifications = []
        self.posted = []
        self.requests = []
        self._idempotency = {}
        self._failures = []
        self._malformed = []
        self._lock = threading.RLock()
        self._seq = {"notification": FIRST_NOTIFICATION_ID, "status": FIRST_STATUS_ID,
                     "account": FIRST_ACCOUNT_ID}
        self._window_reset = None
        self._remaining = rate_limit
        self.media = FakeMedia(self)
        self.app = self._build_app()

    # ----- seeding -------------------------------------------------------

    def _next_id(self, kind):
        with self._lock:
            value = self._seq[kind]
            self._seq[kind] += 1 if kind == "notification" else ID_STEP
            return str(value)

    def add_customer(self, username, display_name, domain=None):
        """Add a customer account (remote when ``domain`` is given) and return it."""
        account = data.customer_account(self._next_id("account"), username, display_name,
                                        domain, self.local_base)
        with self._lock:
            self.accounts[account["id"]] = account
        return account

    def _account(self, account):
        if isinstance(account, dict):
            found = self.accounts.get(account["id"])
        else:
            found = self.lookup(account)
        if found is None:
            raise KeyError(f"unknown account {account!r}: add it with add_customer() first")
        return found

    def _status_ref(self, status):
        if status is None:
            return None
        return self.statuses[status["id"] if isinstance(status, dict) else str(status)]

    def post_status(self, account, text_html, *, in_reply_to=None, visibility="public",
                    created_at=None, tags=(), spoiler="", reblog_of=None, mentions=(), media=()):
        """Store a status by ``account`` (dict or acct) without any notification.

        ``text_html`` becomes ``content`` as given (wrapped in ``<p>`` if it is
        not HTML already); ``tags`` adds hashtag links and ``tags`` entries;
        ``mentions`` lists accounts to put in ``mentions``; ``media`` are its
        ``media_attachments`` (see ``mastodon_media.media_entity``).
        """
        account = self._account(account)
        parent = self._status_ref(in_reply_to)
        content = text_html if text_html.lstrip().startswith("<p") else f"<p>{text_html}</p>"
        missing = [t for t in tags if f"/tags/{t.lower()}\"" not in content]
        if missing and content.endswith("</p>"):
            links = " ".join(data.hashtag_html(t, self.local_base) for t in missing)
            content = content[:-4] + " " + links + "</p>"
        template = "reply" if account["id"] == self.brand["id"] else "mention"
        status = data.build_status(
            self._next_id("status"), account, content, template=template,
            local_base=self.local_base, created_at=created_at, visibility=visibility,
            in_reply_to=parent, mentions=[self._account(m) for m in mentions], tags=tags,
            spoiler=spoiler, reblog_of=self._status_ref(reblog_of),
        )
        status["media_attachments"] = list(media)
        with self._lock:
            self.statuses[status["id"]] = status
            if parent is not None:
                parent["replies_count"] += 1
        return status

    def mention(self, customer, text_html, *, in_reply_to=None, visibility="public",
                created_at=None, tags=(), spoiler="", reblog_of=None, also_mention=(), media=()):
        """A customer status mentioning the brand, plus its ``mention`` notification.

        The brand's h-card is put in front of ``text_html`` unless the text
        already contains it; ``also_mention`` adds more mentioned accounts.
        Returns the notification (its ``status`` is the stored status).
        """
        others = [self._account(a) for a in also_mention]
        text = text_html
        if f'href="{self.brand["url"]}"' not in text:
            cards = " ".join(data.hcard(a) for a in [self.brand, *others])
            inner = text[3:-4] if text.startswith("<p>") and text.count("<p>") == 1 else text
            text = f"<p>{cards} {inner}</p>"
        status = self.post_status(customer, text, in_reply_to=in_reply_to, visibility=visibility,
                                  created_at=created_at, tags=tags, spoiler=spoiler,
                                  reblog_of=reblog_of, mentions=[self.brand, *others],
                                  media=media)
        return self.add_notification("mention", customer, status, created_at=created_at)

    def add_notification(self, ntype, account, status=None, created_at=None):
        """Append a notification of any type (``favourite``, ``follow``, ...) and return it."""
        notification = data.build_notification(
            self._next_id("notification"), ntype, self._account(account),
            self._status_ref(status), created_at or (status or {}).get("created_at"),
        )
        with self._lock:
            self.notifications.append(notification)
        return notification

    def lookup(self, acct):
        """The account whose ``acct`` matches (``user``, ``user@domain``, leading ``@`` ok)."""
        acct = acct.lstrip("@").lower()
        local_host = self.local_base.split("://", 1)[1]
        if acct.endswith("@" + local_host):
            acct = acct.rsplit("@", 1)[0]
        for account in self.accounts.values():
            if account["acct"].lower() == acct:
                return account
        return None

    # ----- failure injection and control --------------------------------

    def fail_next(self, n, status=503, retry_after=None, path_prefix=None, after=0):
        """Make the next ``n`` requests (under ``path_prefix`` if given) fail with ``status``,
        once ``after`` matching requests have gone through."""
        with self._lock:
            self._failures.append({"left": n, "status": status, "retry_after": retry_after,
                                   "path_prefix": path_prefix, "skip": after})

    def malform_next(self, n, body, path_prefix=None):
        """Answer the next ``n`` requests (under ``path_prefix``) 200 with the raw ``body``:
        text that is not JSON, or JSON of the wrong shape."""
        with self._lock:
            self._malformed.append({"left": n, "body": body, "path_prefix": path_prefix})

    def set_latency(self, seconds):
        """Sleep ``seconds`` before answering every request."""
        self.latency = seconds

    def revoke_token(self):
        """Invalidate the token: every API call now gets 401."""
        self.revoked = True

    # ----- serving -------------------------------------------------------

    @_hybrid
    @contextlib.contextmanager
    def served(self):
        """Serve on a loopback port; yields the fake with ``.url`` set.

        ``with FakeMastodon.served(max_characters=100) as fake:`` builds one;
        ``with fake.served():`` serves an existing instance.
        """
        with LiveServer(self.app) as server:
            self.url = server.url
            try:
                yield self
            finally:
                self.url = None

    def _build_app(self):
        app = Flask(__name__)
        app.json.sort_keys = False
        app.json.ensure_ascii = False
        app.before_request(self._before)
        app.after_request(self._after)
        self._register_routes(app)
        for code in (404, 405):
            app.register_error_handler(code, lambda e: (jsonify(error="Record not found"), e.code))
        return app

    def _record(self):
        query = {k: (v if k.endswith("[]") or len(v) > 1 else v[0])
                 for k, v in request.args.lists()}
        body = request.get_data(as_text=True)
        if request.is_json:
            parsed = request.get_json(silent=True)
        else:
            parsed = request.form.to_dict(flat=True)
        with self._lock:
            self.requests.append({"method": request.method, "path": request.path, "query": query,
                                  "headers": dict(request.headers), "body": body,
                                  "data": parsed or {}})

    def _rate_headers(self, remaining=None):
        now = datetime.now(timezone.utc)
        with self._lock:
            if self._window_reset is None or now >= self._window_reset:
                self._window_reset = now + timedelta(minutes=5)
                self._remaining = self.rate_limit
            if remaining is None:
                remaining = self._remaining
            return {"X-RateLimit-Limit": str(self.rate_limit),
                    "X-RateLimit-Remaining": str(remaining),
                    "X-RateLimit-Reset": data.iso_us(self._window_reset)}

    def _error(self, status, message=None, headers=None):
        message = message or ("Too many requests" if status == 429 else HTTPStatus(status).phrase)
        return jsonify(error=message), status, headers or {}

    def _before(self):
        self._record()
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            failure = next((f for f in self._failures if f["left"] > 0 and (
                f["path_prefix"] is None or request.path.startswith(f["path_prefix"]))), None)
            if failure is not None and failure["skip"] > 0:
                failure["skip"] -= 1
                failure = None
            elif failure is not None:
                failure["left"] -= 1
            malformed = next((m for m in self._malformed if m["left"] > 0 and (
                m["path_prefix"] is None or request.path.startswith(m["path_prefix"]))), None)
            if malformed is not None and failure is None:
                malformed["left"] -= 1
                return malformed["body"], 200, {"Content-Type": "application/json"}
        if failure is not None:
            headers = {}
            if failure["status"] == 429:
                headers = self._rate_headers(remaining=0)
            if failure["retry_after"] is not None:
                headers["Retry-After"] = str(failure["retry_after"])
            return self._error(failure["status"], headers=headers)
        self._rate_headers()  # roll the window if it has passed
        with self._lock:
            if self._remaining <= 0:
                return self._error(429, headers=self._rate_headers(remaining=0))
            self._remaining -= 1
        expected = f"Bearer {self.token}"
        if self.revoked or request.headers.get("Authorization") != expected:
            return self._error(401, "The access token is invalid")
        return None

    def _after(self, response):
        for key, value in self._rate_headers().items():
            response.headers.setdefault(key, value)
        return response

    # ----- queries used by the routes -------------------------------------

    def can_see(self, status):
        """Whether the brand may see ``status`` (public/unlisted, own, or mentioning it)."""
        return (status["visibility"] in ("public", "unlisted")
                or status["account"]["id"] == self.brand["id"]
                or any(m["id"] == self.brand["id"] for m in status["mentions"]))

    def link_header(self, path, params, page, *, has_next=True):
        """``Link`` value with rel next/prev, query keys sorted and escaped like Rails."""
        if not page:
            return None
        base = request.host_url.rstrip("/") + quote(path)

        def url(extra):
            # Rails' to_query: one chunk per key (array values keep their
            # order), chunks sorted as escaped strings.
            chunks = {}
            for key, value in [*params, extra]:
                pair = f"{quote(key, safe='')}={quote(str(value), safe='')}"
                chunks.setdefault(key, []).append(pair)
            return f"<{base}?{'&'.join(sorted('&'.join(c) for c in chunks.values()))}>"

        links = [f'{url(("max_id", page[-1]["id"]))}; rel="next"'] if has_next else []
        links.append(f'{url(("min_id", page[0]["id"]))}; rel="prev"')
        return ", ".join(links)

    # ----- routes --------------------------------------------------------

    def _register_routes(self, app):
        get = [
            ("/api/v1/accounts/verify_credentials", self._verify_credentials),
            ("/api/v2/instance", self._instance),
            ("/api/v1/notifications", self._notifications),
            ("/api/v1/notifications/<nid>", self._notification),
            ("/api/v1/timelines/tag/<hashtag>", self._tag_timeline),
            ("/api/v1/statuses/<sid>", self._status),
            ("/api/v1/statuses/<sid>/context", self._context),
            ("/api/v1/accounts/lookup", self._lookup),
            ("/api/v1/accounts/<aid>", self._account_view),
            ("/api/v1/accounts/<aid>/statuses", self._account_statuses),
        ]
        for rule, view in get:
            app.add_url_rule(rule, view_func=view, methods=["GET"])
        app.add_url_rule("/api/v1/statuses", view_func=self._create_status, methods=["POST"])
        app.add_url_rule("/api/v1/notifications/<nid>/dismiss", view_func=self._dismiss,
                         methods=["POST"])
        self.media.register(app)

    def _not_found(self):
        return self._error(404, "Record not found")

    def _paged(self, items, path, keep, default, maximum, *, next_needs_full=False):
        """Respond with one page of ``items`` and its Link header."""
        args = request.args
        limit = data.parse_limit(args.get("limit"), default, maximum)
        page = data.paginate(items, limit, data.parse_id(args.get("max_id")),
                             data.parse_id(args.get("since_id")), data.parse_id(args.get("min_id")))
        params = [(k, v) for k in keep for v in args.getlist(k)]
        response = jsonify(page)
        link = self.link_header(path, params, page,
                                has_next=not next_needs_full or len(page) == limit)
        if link:
            response.headers["Link"] = link
        return response

    def _verify_credentials(self):
        return jsonify(data.with_source(self.brand))

    def _instance(self):
        # Instance bodies were not recorded: this is the minimal real shape of
        # GET /api/v2/instance from the Mastodon API docs (methods/instance).
        host = request.host_url.rstrip("/")
        return jsonify({
            "domain": self.local_base.split("://", 1)[1], "title": "Mastodon",
            "version": "4.6.4", "source_url": "https://github.com/mastodon/mastodon",
            "description": "", "usage": {"users": {"active_month": len(self.accounts)}},
            "languages": ["en"],
            "configuration": {
                "urls": {"streaming": host.replace("http", "ws", 1)},
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {"max_characters": self.max_characters,
                             "max_media_attachments": self.media.max_attachments,
                             "characters_reserved_per_url": 23},
                "media_attachments": self.media.configuration(),
                "polls": {"max_options": 4, "max_characters_per_option": 50,
                          "min_expiration": 300, "max_expiration": 2629746},
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
            "api_versions": {"mastodon": 7},
            "contact": {"email": "", "account": self.brand},
            "rules": [],
        })

    def _notifications(self):
        args = request.args
        types = args.getlist("types[]") or args.getlist("types")
        excluded = args.getlist("exclude_types[]") or args.getlist("exclude_types")
        from_account = args.get("account_id")
        with self._lock:
            items = [n for n in self.notifications
                     if (not types or n["type"] in types) and n["type"] not in excluded
                     and (not from_account or n["account"]["id"] == from_account)]
            return self._paged(items, request.path, ["account_id", "exclude_types[]", "limit",
                                                     "types[]", "include_filtered"], 40, 80)

    def _notification(self, nid):
        found = next((n for n in self.notifications if n["id"] == nid), None)
        return jsonify(found) if found else self._not_found()

    def _dismiss(self, nid):
        with self._lock:
            self.notifications = [n for n in self.notifications if n["id"] != nid]
        return jsonify({})

    def _tag_timeline(self, hashtag):
        name = hashtag.lower()
        local_only = request.args.get("local") in ("true", "1")
        with self._lock:
            items = [s for s in self.statuses.values()
                     if s["visibility"] == "public" and any(t["name"] == name for t in s["tags"])
                     and not (local_only and "@" in s["account"]["acct"])]
            return self._paged(items, request.path, ["limit", "local", "only_media"], 20, 40)

    def _status(self, sid):
        status = self.statuses.get(sid)
        if status is None or not self.can_see(status):
            return self._not_found()
        return jsonify(status)

    def _context(self, sid):
        with self._lock:
            status = self.statuses.get(sid)
            if status is None or not self.can_see(status):
                return self._not_found()
            ancestors, parent_id = [], status["in_reply_to_id"]
            while parent_id in self.statuses:
                parent = self.statuses[parent_id]
                ancestors.insert(0, parent)
                parent_id = parent["in_reply_to_id"]
            descendants = self._descendants(sid)
            return jsonify({"ancestors": [s for s in ancestors if self.can_see(s)],
                            "descendants": [s for s in descendants if self.can_see(s)]})

    def _descendants(self, sid):
        """Replies below ``sid`` in depth-first order, oldest branch first."""
        children = sorted((s for s in self.statuses.values() if s["in_reply_to_id"] == sid),
                          key=lambda s: int(s["id"]))
        result = []
        for child in children:
            result.append(child)
            result.extend(self._descendants(child["id"]))
        return result

    def _lookup(self):
        account = self.lookup(request.args.get("acct", ""))
        return jsonify(account) if account else self._not_found()

    def _account_view(self, aid):
        account = self.accounts.get(aid)
        return jsonify(account) if account else self._not_found()

    def _account_statuses(self, aid):
        if aid not in self.accounts:
            return self._not_found()
        args = request.args
        own = aid == self.brand["id"]
        flags = {k: args.get(k) in ("true", "1") for k in
                 ("exclude_replies", "exclude_reblogs", "only_media", "pinned")}
        tagged = (args.get("tagged") or "").lower()
        with self._lock:
            items = [
                s for s in self.statuses.values()
                if s["account"]["id"] == aid
                and (own or s["visibility"] in ("public", "unlisted"))
                and not (flags["exclude_replies"] and s["in_reply_to_id"]
                         and s["in_reply_to_account_id"] != aid)
                and not (flags["exclude_reblogs"] and s["reblog"])
                and not (flags["only_media"] and not s["media_attachments"])
                and not flags["pinned"]  # pinning is not emulated
                and (not tagged or any(t["name"] == tagged for t in s["tags"]))
            ]
            keep = ["exclude_reblogs", "exclude_replies", "limit", "only_media", "pinned", "tagged"]
            return self._paged(items, request.path, keep, 20, 40, next_needs_full=True)

    def _resolve_mention(self, username, domain):
        return self.lookup(f"{username}@{domain}" if domain else username)

    def _create_status(self):
        params = (request.get_json(silent=True) if request.is_json else request.form) or {}
        text = str(params.get("status") or "")
        spoiler = str(params.get("spoiler_text") or "")
        reply_id = params.get("in_reply_to_id")
        reply_id = str(reply_id) if reply_id not in (None, "") else None
        visibility = params.get("visibility") or "public"
        key = request.headers.get("Idempotency-Key")
        media_ids = [str(m) for m in ((params.get("media_ids") or []) if request.is_json
                                      else request.form.getlist("media_ids[]"))]
        with self._lock:
            parent = self.statuses.get(reply_id) if reply_id else None
            if reply_id and (parent is None or not self.can_see(parent)):
                return self._error(404, "The post you are trying to reply to does not appear "
                                        "to exist.")
            if key and (self.token, key) in self._idempotency:
                # Mastodon returns the status made by the first request (200).
                return jsonify(self.statuses[self._idempotency[(self.token, key)]])
            if visibility not in data.VISIBILITIES:
                # Unverified wording; Mastodon answers 422 for an unknown visibility.
                return self._error(422, f"'{visibility}' is not a valid visibility")
            media, refusal = self.media.attach(media_ids)
            if refusal:
                return self._error(422, refusal)
            if not text.strip() and not media:
                return self._error(422, "Validation failed: Text can't be blank")
            if data.countable_length(text, spoiler) > self.max_characters:
                return self._error(422, "Validation failed: Text character limit of "
                                        f"{self.max_characters} exceeded")
            content, mentioned, tags = data.text_to_html(text, self._resolve_mention,
                                                         self.local_base)
            status = data.build_status(
                self._next_id("status"), self.brand, content, template="reply",
                local_base=self.local_base, visibility=visibility, in_reply_to=parent,
                mentions=mentioned, tags=tags, spoiler=spoiler,
                language=params.get("language") or "en",
            )
            status["media_attachments"] = media
            self.media.attached_to(media_ids, status["id"])
            self.statuses[status["id"]] = status
            if parent is not None:
                parent["replies_count"] += 1
            self.posted.append(status)
            if key:
                self._idempotency[(self.token, key)] = status["id"]
            return jsonify(status)
