"""Who is calling the fake X: OAuth 2.0 (authorization code + PKCE, rotating refresh tokens),
OAuth 1.0a (HMAC-SHA1 signatures checked with oauthlib) and the app-only bearer token.

X's answers: a bad token endpoint request is 400 `{"error": "invalid_request",
"error_description": "Value passed for the token was invalid."}`; a refresh token works once,
and replaying a used one revokes the whole grant.
"""
import base64
import hashlib
import secrets
import threading
import time
from html import escape
from urllib.parse import urlencode

from flask import jsonify
from flask import redirect
from flask import request
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature
from oauthlib.oauth1.rfc5849 import utils

TOKEN_LIFETIME = 7200
DEFAULT_SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")
NO_FRAMING = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
INVALID = {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
AUTHORIZE_PAGE = """<!doctype html><html><head><title>Authorize app</title></head><body>
<h1>{client} wants to access your X account.</h1><p>It will be able to: {scopes}</p>
<form method="post" action="/i/oauth2/authorize">{fields}
<button type="submit" name="decision" value="approve">Authorize app</button>
<button type="submit" name="decision" value="deny">Cancel</button></form></body></html>"""
AUTHORIZE_KEYS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                  "code_challenge", "code_challenge_method")


def challenge_of(verifier: str) -> str:
    """The S256 PKCE challenge of a verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class XAuth:
    """Tokens and grants of one fake X, and the routes that issue them."""

    def __init__(self, fake):
        """`fake` holds the app's credentials (consumer and OAuth 2.0 client)."""
        self.fake = fake
        self.app_bearer = "AAAA" + secrets.token_urlsafe(40)
        self.oauth1_token = (f"{fake.brand['id']}-{secrets.token_urlsafe(20)}",
                             secrets.token_urlsafe(30))
        self.access = {}  # access token -> {"grant", "scopes", "expires_at"}
        self.refresh = {}  # refresh token -> {"grant", "used"}
        self.revoked = set()  # grant ids
        self.authorized_codes = {}  # code -> the authorize request's parameters
        self.refreshes = 0
        self._lock = threading.Lock()

    # ----- tokens ------------------------------------------------------------

    def issue(self, scopes=DEFAULT_SCOPES, grant=None) -> dict:
        """A fresh token answer (refresh token only with `offline.access`)."""
        scopes = tuple(scopes)
        grant = grant or secrets.token_hex(8)
        access = secrets.token_urlsafe(60)
        with self._lock:
            self.access[access] = {"grant": grant, "scopes": scopes,
                                   "expires_at": time.time() + TOKEN_LIFETIME}
        answer = {"token_type": "bearer", "expires_in": TOKEN_LIFETIME, "access_token": access,
                  "scope": " ".join(scopes)}
        if "offline.access" in scopes:
            answer["refresh_token"] = secrets.token_urlsafe(60)
            with self._lock:
                self.refresh[answer["refresh_token"]] = {"grant": grant, "scopes": scopes,
                                                         "used": False}
        return answer

    def expire_tokens(self):
        """Make every issued access token expired (refresh tokens keep working)."""
        with self._lock:
            for token in self.access.values():
                token["expires_at"] = 0

    def caller(self) -> dict | None:
        """`{"kind": "user"|"app", "scopes"}` for this request's credentials, or None."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header[len("Bearer "):]
            if secrets.compare_digest(token, self.app_bearer):
                return {"kind": "app", "scopes": ()}
            found = self.access.get(token)
            if found and found["grant"] not in self.revoked and found["expires_at"] > time.time():
                return {"kind": "user", "scopes": found["scopes"]}
            return None
        if header.startswith("OAuth "):
            return {"kind": "user", "scopes": DEFAULT_SCOPES} if self._oauth1_ok(header) else None
        return None

    def _oauth1_ok(self, header) -> bool:
        try:
            params = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}
        except ValueError:
            return False
        if params.get("oauth_consumer_key") != self.fake.consumer_key or \
                params.get("oauth_token") != self.oauth1_token[0] or \
                params.get("oauth_signature_method") != "HMAC-SHA1":
            return False
        form = request.get_data(as_text=True) if request.mimetype == \
            "application/x-www-form-urlencoded" else None
        signed = OAuthRequest(request.url, request.method, form, dict(request.headers))
        signed.params = signature.collect_parameters(
            uri_query=request.query_string.decode(), body=form, headers={"Authorization": header})
        signed.signature = params.get("oauth_signature", "")
        return signature.verify_hmac_sha1(signed, self.fake.consumer_secret, self.oauth1_token[1])

    # ----- routes ------------------------------------------------------------

    def register(self, app):
        """Add the OAuth 2.0 routes to the fake's Flask app."""
        app.add_url_rule("/i/oauth2/authorize", view_func=self._authorize_page, methods=["GET"])
        app.add_url_rule("/i/oauth2/authorize", endpoint="decide", view_func=self._decide,
                         methods=["POST"])
        app.add_url_rule("/2/oauth2/token", view_func=self._token, methods=["POST"])

    def _bad_authorize(self, params) -> bool:
        return params.get("response_type") != "code" or \
            params.get("client_id") != self.fake.client_id or not params.get("redirect_uri") or \
            not params.get("scope") or not params.get("state") or \
            not params.get("code_challenge") or params.get("code_challenge_method") != "S256"

    def _authorize_page(self):
        if self._bad_authorize(request.args):
            return "<h1>Something went wrong</h1><p>You weren't able to give access to the App.</p>", \
                400, NO_FRAMING
        fields = "".join(f'<input type="hidden" name="{key}" value="{escape(request.args[key])}">'
                         for key in AUTHORIZE_KEYS)
        return AUTHORIZE_PAGE.format(client=escape(self.fake.client_id), fields=fields,
                                     scopes=escape(request.args["scope"])), 200, NO_FRAMING

    def _decide(self):
        params = {key: request.form.get(key, "") for key in AUTHORIZE_KEYS}
        if self._bad_authorize(params):
            return "<h1>Something went wrong</h1>", 400, NO_FRAMING
        if request.form.get("decision") != "approve":
            query = urlencode({"error": "access_denied", "state": params["state"]})
            return redirect(f"{params['redirect_uri']}?{query}")
        code = secrets.token_urlsafe(40)
        with self._lock:
            self.authorized_codes[code] = params
        return redirect(f"{params['redirect_uri']}?{urlencode({'state': params['state'], 'code': code})}")

    def _client_ok(self) -> bool:
        auth = request.authorization
        return auth is not None and auth.type == "basic" and \
            auth.username == self.fake.client_id and \
            secrets.compare_digest(auth.password or "", self.fake.client_secret)

    def _token(self):
        if not self._client_ok():
            return jsonify(error="unauthorized_client",
                           error_description="Missing valid authorization header"), 401
        form = request.form
        if form.get("grant_type") == "authorization_code":
            with self._lock:
                grant = self.authorized_codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri") or \
                    challenge_of(form.get("code_verifier", "")) != grant["code_challenge"]:
                return jsonify(INVALID), 400
            return jsonify(self.issue(grant["scope"].split()))
        if form.get("grant_type") == "refresh_token":
            return self._rotate(form.get("refresh_token", ""))
        return jsonify(INVALID), 400

    def _rotate(self, token):
        with self._lock:
            found = self.refresh.get(token)
            if found is None or found["grant"] in self.revoked:
                return jsonify(INVALID), 400
            if found["used"]:
                self.revoked.add(found["grant"])
                return jsonify(INVALID), 400
            found["used"] = True
            self.refreshes += 1
        return jsonify(self.issue(found["scopes"], grant=found["grant"]))
