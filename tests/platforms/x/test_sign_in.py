"""Signing in with X: the deployment's own client, X's addresses, and what a token grants."""

import pytest

from plugin.platforms.connect import Client
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.http import PlatformHTTP
from plugin.platforms.x.sign_in import XSignIn

API = "https://api.x.com"
# X's token answer as its OAuth 2.0 guide describes it (a two-hour access token, and a
# refresh token for offline.access); the values are made up.
TOKEN = {"token_type": "bearer", "expires_in": 7200, "scope": "tweet.read tweet.write users.read "
         "offline.access", "access_token": "VGhpcyBpcyBhbiBhY2Nlc3MgdG9rZW4", "refresh_token":
         "bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcxbTVxdEFXcW5tOjE2MjIxNDc3NDM5MTQ6MToxOnJ0OjE"}


@pytest.mark.parametrize(("server", "authorize", "token"), [
    (API, "https://x.com/i/oauth2/authorize", "https://api.x.com/2/oauth2/token"),
    ("http://127.0.0.1:5123", "http://127.0.0.1:5123/i/oauth2/authorize",
     "http://127.0.0.1:5123/2/oauth2/token"),
])
def test_the_admin_approves_on_x_and_the_code_is_exchanged_at_the_api(server, authorize, token):
    assert (XSignIn().authorize_url(server), XSignIn().token_url(server)) == (authorize, token)


def test_murmur_asks_to_read_post_and_stay_signed_in():
    flow = XSignIn()
    assert flow.scopes == ("tweet.read", "tweet.write", "users.read", "offline.access")
    assert flow.server_field is None and flow.fills == ("access_token", "refresh_token")
    assert flow.token_auth == "client_secret_basic" and not flow.dynamic_client


@pytest.mark.parametrize(("secrets", "client"), [
    ({"X_CLIENT_ID": "cmVnaXN0ZXJlZA", "X_CLIENT_SECRET": "c2VjcmV0"},
     Client("cmVnaXN0ZXJlZA", "c2VjcmV0")),
    ({"X_CLIENT_ID": "cmVnaXN0ZXJlZA"}, Client("cmVnaXN0ZXJlZA", None)),  # a public client
    ({"X_CLIENT_ID": "cmVnaXN0ZXJlZA", "X_CLIENT_SECRET": ""}, Client("cmVnaXN0ZXJlZA", None)),
])
def test_the_client_is_the_deployments_own_x_app(secrets, client):
    # Nothing is asked of X: the address is unreachable on purpose.
    http = PlatformHTTP("https://x.invalid")
    assert XSignIn().register(http, "https://murmur.example/cb", secrets) == client


@pytest.mark.parametrize("secrets", [{}, {"X_CLIENT_ID": ""}, {"X_CLIENT_SECRET": "c2VjcmV0"}])
def test_without_a_client_id_signing_in_is_not_configured(secrets):
    with pytest.raises(NotConfigured) as caught:
        XSignIn().register(PlatformHTTP("https://x.invalid"), "https://murmur.example/cb", secrets)
    assert "X_CLIENT_ID" in caught.value.message


def test_a_token_becomes_the_fields_of_a_pasted_token():
    [candidate] = XSignIn().candidates(API, TOKEN)
    assert candidate.values == {"base_url": API, "access_token": TOKEN["access_token"],
                                "refresh_token": TOKEN["refresh_token"]}


@pytest.mark.parametrize("change", [
    {"access_token": None}, {"access_token": ""}, {"access_token": 7},
    {"refresh_token": None}, {"refresh_token": ""}, {"refresh_token": ["r"]},
])
def test_a_token_answer_without_both_tokens_is_malformed(change):
    with pytest.raises(Malformed):
        XSignIn().candidates(API, {**TOKEN, **change})


def test_a_token_answer_without_offline_access_is_malformed():
    token = {key: value for key, value in TOKEN.items() if key != "refresh_token"}
    with pytest.raises(Malformed, match="offline.access"):
        XSignIn().candidates(API, {**token, "scope": "tweet.read tweet.write users.read"})
