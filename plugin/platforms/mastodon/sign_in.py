"""Signing in with Mastodon: Murmur registers itself once per instance, then OAuth 2.0."""
from plugin.platforms.connect import Candidate
from plugin.platforms.connect import Client
from plugin.platforms.connect import OAuth2
from plugin.platforms.errors import Malformed
from plugin.platforms.http import parsed

SCOPES = ("read:notifications", "read:statuses", "read:accounts", "write:statuses",
          "write:media")


class MastodonSignIn(OAuth2):
    """The admin names the instance; Murmur registers an app there (`POST /api/v1/apps`)."""

    scopes = SCOPES
    server_field = "base_url"
    fills = ("access_token",)

    def authorize_url(self, server):
        return f"{server}/oauth/authorize"

    def token_url(self, server):
        return f"{server}/oauth/token"

    def register(self, http, redirect_uri, secrets):
        app = parsed(http.post("/api/v1/apps", json={
            "client_name": "Murmur", "redirect_uris": redirect_uri, "scopes": " ".join(self.scopes),
        }))
        if not (isinstance(app.get("client_id"), str) and isinstance(app.get("client_secret"), str)):
            raise Malformed(f"{http.host} registered Murmur without a client id and secret.")
        return Client(app["client_id"], app["client_secret"])

    def candidates(self, server, token):
        if not isinstance(token.get("access_token"), str):
            raise Malformed(f"{server} answered the sign-in without an access token.")
        return [Candidate(server, {"base_url": server, "access_token": token["access_token"]})]
