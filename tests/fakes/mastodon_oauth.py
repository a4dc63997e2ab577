"""The OAuth side of the fake Mastodon: app registration, the sign-in page, the token endpoint.

Follows Mastodon's documented behaviour: `POST /api/v1/apps` registers a client,
`GET /oauth/authorize` shows a page (which refuses to be framed) where the user approves or
denies, and `POST /oauth/token` exchanges a code once, checking client (by HTTP Basic or the
form), redirect URI and the PKCE verifier. The token it issues is the one the fake's API
accepts; token answers have the recorded shapes (tests/fixtures/mastodon/oauth_token*.json).
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

from tests.fakes import mastodon_data as data

OPEN_PATHS = frozenset({"/api/v1/apps", "/oauth/authorize", "/oauth/token"})
NO_FRAMING = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
AUTHORIZE_PAGE = """<!doctype html><html><head><title>Authorize</title></head><body>
<h1>Authorization required</h1><p>{name} would like permission to access your account
({scopes}).</p><form method="post" action="/oauth/authorize">{fields}
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Deny</button></form></body></html>"""


class FakeMastodonOAuth:
    """Registered apps and issued codes of one fake Mastodon server."""

    def __init__(self, fake):
        """No apps registered yet; `fake.token` is the token a sign-in grants."""
        self.fake = fake
        self.apps = {}
        self.codes = {}
        self._lock = threading.Lock()

    def register(self, app):
        """Add the OAuth routes to the fake's Flask app."""
        app.add_url_rule("/api/v1/apps", view_func=self._create_app, methods=["POST"])
        app.add_url_rule("/oauth/authorize", view_func=self._authorize_page, methods=["GET"])
        app.add_url_rule("/oauth/authorize", endpoint="decide", view_func=self._decide,
                         methods=["POST"])
        app.add_url_rule("/oauth/token", view_func=self._token, methods=["POST"])

    def _create_app(self):
        body = request.get_json(silent=True) or request.form.to_dict()
        if not body.get("client_name") or not body.get("redirect_uris"):
            return jsonify(error="Validation failed: Name can't be blank"), 422
        client = {"id": str(len(self.apps) + 1), "name": body["client_name"],
                  "website": body.get("website"), "scopes": (body.get("scopes") or "read").split(),
                  "redirect_uri": body["redirect_uris"], "redirect_uris": body["redirect_uris"].split(),
                  "client_id": secrets.token_urlsafe(32), "client_secret": secrets.token_urlsafe(32),
                  "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="}
        with self._lock:
            self.apps[client["client_id"]] = client
        return jsonify({key: client[key] for key in ("id", "name", "website", "redirect_uri",
                                                      "client_id", "client_secret",
                                                      "vapid_key")})

    def _check_authorization(self, params):
        """The registered app an authorization request names, or an error response."""
        client = self.apps.get(params.get("client_id", ""))
        if client is None:
            return None, ("<h1>Client authentication failed</h1>", 401, NO_FRAMING)
        if params.get("redirect_uri") not in client["redirect_uris"]:
            return None, ("<h1>The redirect uri included is not valid.</h1>", 400, NO_FRAMING)
        if params.get("response_type") != "code" or not params.get("code_challenge") or \
                params.get("code_challenge_method") != "S256":
            return None, ("<h1>Unsupported authorization request.</h1>", 400, NO_FRAMING)
        if not set((params.get("scope") or "read").split()) <= set(client["scopes"]):
            return None, ("<h1>The requested scope is invalid.</h1>", 400, NO_FRAMING)
        return client, None

    def _authorize_page(self):
        client, problem = self._check_authorization(request.args)
        if problem:
            return problem
        keep = ("client_id", "redirect_uri", "response_type", "scope", "state",
                "code_challenge", "code_challenge_method")
        fields = "".join(f'<input type="hidden" name="{key}" value="{escape(request.args.get(key, ""))}">'
                         for key in keep)
        return AUTHORIZE_PAGE.format(name=escape(client["name"]), scopes=escape(
            request.args.get("scope", "read")), fields=fields), 200, NO_FRAMING

    def _decide(self):
        params = request.form
        client, problem = self._check_authorization(params)
        if problem:
            return problem
        back = {"state": params["state"]} if params.get("state") else {}
        if params.get("decision") != "approve":
            back.update(error="access_denied", error_description="The resource owner or "
                        "authorization server denied the request.")
            return redirect(f"{params['redirect_uri']}?{urlencode(back)}")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = {"client_id": client["client_id"], "scope": params.get("scope"),
                                "redirect_uri": params["redirect_uri"],
                                "challenge": params["code_challenge"]}
        return redirect(f"{params['redirect_uri']}?{urlencode({'code': code, **back})}")

    def _token(self):
        form = request.form
        # Doorkeeper takes the client's credentials from HTTP Basic or from the form.
        auth = request.authorization
        client_id, secret = ((auth.username, auth.password) if auth and auth.type == "basic"
                             else (form.get("client_id", ""), form.get("client_secret", "")))
        client = self.apps.get(client_id or "")
        if client is None or not secrets.compare_digest(secret or "", client["client_secret"]):
            return jsonify(error="invalid_client", error_description="Client authentication "
                           "failed due to unknown client, no client authentication included, "
                           "or unsupported authentication method."), 401
        if form.get("grant_type") != "authorization_code":
            return jsonify(error="unsupported_grant_type"), 400
        with self._lock:
            grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if grant is None or grant["client_id"] != client["client_id"] or \
                grant["redirect_uri"] != form.get("redirect_uri") or \
                challenge.rstrip(b"=").decode() != grant["challenge"]:
            return jsonify(data.recorded("oauth_token_invalid_grant.json")), 400
        return jsonify({**data.recorded("oauth_token.json"), "access_token": self.fake.token,
                        "scope": grant["scope"] or "read", "created_at": int(time.time())})
