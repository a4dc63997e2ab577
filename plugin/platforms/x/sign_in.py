"""Signing in with X: OAuth 2.0 with PKCE, as the deployment's own X app.

X registers no clients on request: the client is the one the operator created in X's
developer portal (`X_CLIENT_ID`, and `X_CLIENT_SECRET` for a confidential client, which X
requires to authenticate with HTTP Basic at the token endpoint). `offline.access` grants a
refresh token; the access token lasts about two hours.
"""
from plugin.platforms.connect import Candidate
from plugin.platforms.connect import Client
from plugin.platforms.connect import OAuth2
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import NotConfigured

API = "https://api.x.com"
AUTHORIZE = "https://x.com/i/oauth2/authorize"
CLIENT_ID = "X_CLIENT_ID"
CLIENT_SECRET = "X_CLIENT_SECRET"
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")


class XSignIn(OAuth2):
    """The admin approves Murmur's X app on x.com; the token endpoint is on the API server."""

    scopes = SCOPES
    fills = ("access_token", "refresh_token")
    token_auth = "client_secret_basic"
    dynamic_client = False

    def authorize_url(self, server):
        # The approval page lives on x.com, not on the API host; a test fake serves both.
        return AUTHORIZE if server == API else f"{server}/i/oauth2/authorize"

    def token_url(self, server):
        return f"{server}/2/oauth2/token"

    def register(self, http, redirect_uri, secrets):
        """The deployment's X app; a confidential one when its secret is set.

        :raise NotConfigured: `X_CLIENT_ID` is not set.
        """
        client_id = secrets.get(CLIENT_ID)
        if not client_id:
            raise NotConfigured("Signing in with X needs the server's %(name)s setting.",
                                params={"name": CLIENT_ID})
        return Client(client_id, secrets.get(CLIENT_SECRET) or None)

    def candidates(self, server, token):
        """The brand's tokens, as the form's fields (X's two-hour expiry is learnt from the
        first refusal, which renews them)."""
        access, refresh = token.get("access_token"), token.get("refresh_token")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise Malformed(f"{server} answered the sign-in without an access and a refresh "
                            "token (is offline.access granted?).")
        return [Candidate("X", {"base_url": server, "access_token": access,
                                "refresh_token": refresh})]
