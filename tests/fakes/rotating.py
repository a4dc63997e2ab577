"""A test-only platform whose credentials change after connect, and its loopback fake.

The fake is an OAuth 2.0 server as real ones behave with rotating refresh tokens: each
refresh token is single-use, a refresh returns a new access token and a new refresh token,
and presenting a spent refresh token again revokes the whole family (every token descended
from that grant), since it means a refresh token leaked. Its API answers expired access
tokens with `401 {"error": "token_expired"}`, and serves mentions billed per post read.

`RotatingAdapter` is registered into `REGISTRY` by tests (`monkeypatch.setitem`), never by
the app: the registry test forbids platform names in the app's code.
"""
import itertools
import secrets
import threading
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from flask import Flask
from flask import jsonify
from flask import request

from plugin.platforms.base import COMMON_FIELDS
from plugin.platforms.base import Adapter
from plugin.platforms.shapes import Author
from plugin.platforms.shapes import Batch
from plugin.platforms.shapes import Identity
from plugin.platforms.shapes import Profile
from plugin.platforms.shapes import SettingField
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import CredentialsExpired
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Refused
from plugin.platforms.errors import ReplyNotAllowed
from plugin.platforms.http import BearerAuth
from plugin.platforms.http import parsed
from plugin.platforms.text import Limit
from plugin.platforms.text import TextRules

ACCESS_LIFETIME = timedelta(hours=1)
PAGE = 3


class FakeTokenServer:
    """The fake platform: token endpoint, one identity route, billed mentions, error shapes."""

    def __init__(self, refresh_latency=0.0):
        self.refresh_latency = refresh_latency
        self.refreshes = 0  # successful refreshes
        self.replays = 0  # spent refresh tokens presented again
        self.requests = []
        self._lock = threading.Lock()
        self._families = {}  # family -> {"access", "refresh", "revoked", "expired"}
        self._spent = {}  # spent refresh token -> family
        self._family_ids = itertools.count(1)
        self.app = self._build_app()
        self.url = None  # set by whoever serves it

    def grant(self, expires_in=ACCESS_LIFETIME) -> dict:
        """Credentials of a fresh grant (what connecting the account stores)."""
        with self._lock:
            family = next(self._family_ids)
            self._families[family] = {"revoked": False, "expired": False}
            return self._issue(family, expires_in)

    def expire_access_tokens(self):
        """Every current access token now answers `token_expired`."""
        with self._lock:
            for family in self._families.values():
                family["expired"] = True

    def valid_refresh_tokens(self) -> set[str]:
        """Refresh tokens that would still be accepted."""
        with self._lock:
            return {f["refresh"] for f in self._families.values() if not f["revoked"]}

    def revoked_families(self) -> int:
        """How many grants were revoked (a spent refresh token was replayed)."""
        with self._lock:
            return sum(f["revoked"] for f in self._families.values())

    def _issue(self, family, expires_in):
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self._families[family].update(access=access, refresh=refresh, expired=False)
        expires_at = datetime.now(timezone.utc) + expires_in
        return {"access_token": access, "refresh_token": refresh,
                "expires_at": expires_at.isoformat()}

    def _build_app(self):
        app = Flask(__name__)

        @app.before_request
        def record():
            with self._lock:
                self.requests.append({"path": request.path,
                                      "authorization": request.headers.get("Authorization")})

        @app.post("/oauth/token")
        def token():
            time.sleep(self.refresh_latency)  # long enough for refreshes to overlap
            offered = request.form.get("refresh_token", "")
            with self._lock:
                if request.form.get("grant_type") != "refresh_token":
                    return jsonify(error="unsupported_grant_type"), 400
                if offered in self._spent:
                    self.replays += 1
                    self._families[self._spent[offered]]["revoked"] = True
                    return jsonify(error="invalid_grant"), 400
                family = next((k for k, f in self._families.items()
                               if f["refresh"] == offered and not f["revoked"]), None)
                if family is None:
                    return jsonify(error="invalid_grant"), 400
                self._spent[offered] = family
                self.refreshes += 1
                issued = self._issue(family, ACCESS_LIFETIME)
            return jsonify(access_token=issued["access_token"],
                           refresh_token=issued["refresh_token"],
                           expires_in=int(ACCESS_LIFETIME.total_seconds()))

        @app.get("/api/me")
        def me():
            return self._authorised() or jsonify(id="42", handle="brand", name="Brand")

        @app.get("/api/mentions")
        def mentions():
            limit = int(request.args.get("limit", PAGE))
            return self._authorised() or jsonify([{"id": str(i)} for i in range(limit)])

        @app.get("/api/error-in-200")
        def error_in_200():
            return jsonify(errors=[{"message": "Something broke"}])

        @app.get("/api/throttled")
        def throttled():
            return jsonify(error="throttled", retry_in=120), 400

        @app.post("/api/replies")
        def replies():
            return jsonify(error="reply_not_allowed"), 403

        return app

    def _authorised(self):
        """None if the bearer token is a live access token, else the refusal to send."""
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            family = next((f for f in self._families.values() if f["access"] == offered), None)
        if family is None or family["revoked"]:
            return jsonify(error="invalid_token"), 401
        if family["expired"]:
            return jsonify(error="token_expired"), 401
        return None


class RotatingAdapter(Adapter):
    """An account on the fake: bearer tokens that expire, rotating refresh tokens."""

    name = "rotating"
    label = "Rotating"
    fields = (
        SettingField("base_url", "API base URL"),
        SettingField("access_token", "Access token", secret=True),
        SettingField("refresh_token", "Refresh token", secret=True),
        SettingField("expires_at", "Expires at", secret=True, required=False),
    ) + COMMON_FIELDS
    user_agent = "Murmur-test/1.0 (rotating)"

    def auth(self, credentials):
        return BearerAuth(credentials["access_token"])

    def classify(self, response):
        try:
            body = response.json()
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        if response.status_code == 401 and error == "token_expired":
            return CredentialsExpired("The access token expired.", status=401)
        if response.status_code == 400 and error == "invalid_grant":
            return AuthFailed("The refresh token was refused.", status=400)
        if response.status_code == 400 and error == "throttled":
            resume_at = datetime.now(timezone.utc) + timedelta(seconds=body["retry_in"])
            return RateLimited("Throttled.", resume_at=resume_at, status=400)
        if response.status_code == 403 and error == "reply_not_allowed":
            return ReplyNotAllowed("The author does not accept replies from this account.",
                                   status=403)
        if response.status_code == 200 and isinstance(body, dict) and body.get("errors"):
            return Refused(body["errors"][0]["message"], status=200)
        return None

    def refresh_credentials(self, credentials):
        answer = parsed(self.http.post("/oauth/token", authenticate=False, data={
            "grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]}))
        expires_at = datetime.now(timezone.utc) + timedelta(seconds=answer["expires_in"])
        return {"access_token": answer["access_token"], "refresh_token": answer["refresh_token"],
                "expires_at": expires_at.isoformat()}

    @classmethod
    def credentials_expire_at(cls, credentials):
        value = credentials.get("expires_at")
        return datetime.fromisoformat(value) if value else None

    def billed_reads(self, response):
        mentions = response.ok and response.url.split("?")[0].endswith("/api/mentions")
        return len(response.json()) if mentions else 0

    def most_billed_reads(self, method, url, params):
        return int((params or {}).get("limit", 0)) if url.endswith("/api/mentions") else 0

    def verify(self):
        me = self.http.get_json("/api/me")
        return Identity(user_id=me["id"], handle="@" + me["handle"], name=me["name"])

    def fetch_mentions(self, cursor, since):
        self.http.get_json("/api/mentions", expect=list, params={"limit": PAGE})
        return Batch(mentions=[], cursor=cursor)

    def text_rules(self):
        return TextRules((Limit("characters", 280, len),))

    def post_reply(self, target, text, idempotency_key, files=()):
        self.http.post("/api/replies", data={"text": text})
        raise AssertionError("the fake never accepts a reply")

    def recent_posts(self, author, limit=20):
        self.http.get_json("/api/me")
        return []

    def profile(self, author):
        return Profile(author=author)

    def lookup(self, handle):
        return Author(id=self.author_id(handle.lstrip("@")), handle=handle, name=handle)

    def author_id(self, platform_user_id):
        return f"rotating:user:{platform_user_id}"
