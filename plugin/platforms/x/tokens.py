"""The brand's user-context credentials on X: an OAuth 2.0 bearer token that rotates, or an
OAuth 1.0a token pair that signs each request and never expires."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from requests_oauthlib import OAuth1

from plugin.platforms.connect import basic_auth
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import Refused
from plugin.platforms.http import BearerAuth
from plugin.platforms.http import parsed

TOKEN_PATH = "/2/oauth2/token"
CONSUMER_KEY, CONSUMER_SECRET = "X_CONSUMER_KEY", "X_CONSUMER_SECRET"
CLIENT_ID, CLIENT_SECRET = "X_CLIENT_ID", "X_CLIENT_SECRET"


def is_oauth1(credentials: dict) -> bool:
    """Whether the account signs with an OAuth 1.0a token pair."""
    return bool(credentials.get("oauth_token"))


def request_auth(credentials: dict, app_secrets: dict):
    """What signs one request for the brand.

    :raise NotConfigured: neither kind of credentials is there, or the deployment lacks the
        consumer key an OAuth 1.0a signature needs.
    """
    if is_oauth1(credentials):
        if not (app_secrets.get(CONSUMER_KEY) and app_secrets.get(CONSUMER_SECRET)):
            raise NotConfigured("X_CONSUMER_KEY and X_CONSUMER_SECRET are not set.")
        return OAuth1(app_secrets[CONSUMER_KEY], app_secrets[CONSUMER_SECRET],
                      credentials["oauth_token"], credentials.get("oauth_token_secret"))
    if credentials.get("access_token"):
        return BearerAuth(credentials["access_token"])
    raise NotConfigured("X needs a user access token; reconnect the account.")


def refreshed(http, credentials: dict, app_secrets: dict) -> dict:
    """`credentials` with a new access token and the new (single-use) refresh token.

    :raise AuthFailed: there is nothing to refresh with, or X refused the refresh token
        (spent or revoked): only a reconnect helps.
    """
    if not credentials.get("refresh_token") or not app_secrets.get(CLIENT_ID):
        raise AuthFailed("X's access token expired and cannot be renewed; reconnect the account.")
    headers = {}  # the form's own Content-Type is set by requests
    if app_secrets.get(CLIENT_SECRET):  # a confidential client authenticates with Basic
        headers["Authorization"] = basic_auth(app_secrets[CLIENT_ID], app_secrets[CLIENT_SECRET])
    try:
        answer = parsed(http.post(TOKEN_PATH, authenticate=False, headers=headers, data={
            "grant_type": "refresh_token", "refresh_token": credentials["refresh_token"],
            "client_id": app_secrets[CLIENT_ID]}))
    except Refused as exc:
        raise AuthFailed(f"X refused the refresh token: {exc.message}", status=exc.status) from exc
    return granted(credentials, answer)


def granted(credentials: dict, answer: dict) -> dict:
    """`credentials` updated from a token endpoint's answer."""
    if not isinstance(answer.get("access_token"), str):
        raise Malformed("X answered the token request without an access token.")
    fresh = {**credentials, "access_token": answer["access_token"]}
    if isinstance(answer.get("refresh_token"), str):
        fresh["refresh_token"] = answer["refresh_token"]
    if isinstance(answer.get("expires_in"), int):
        fresh["expires_at"] = (datetime.now(timezone.utc)
                               + timedelta(seconds=answer["expires_in"])).isoformat()
    return fresh


def expires_at(credentials: dict) -> datetime | None:
    """When the access token stops working, where X said."""
    value = credentials.get("expires_at")
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
