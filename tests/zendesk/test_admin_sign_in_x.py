"""Connecting X from the admin UI: "Sign in with X" (OAuth 2.0 + PKCE as the deployment's own
confidential client, Basic at the token endpoint) on the fake X's pages, or pasting an OAuth
1.0a token pair in the form's advanced part; driven like the admin's browser."""
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from flask import request
from sqlalchemy import select

from plugin.db import db
from plugin.models import OAuthSignIn
from plugin.platforms.connect import basic_auth
from plugin.platforms.x.adapter import XAdapter
from plugin.platforms.x.sign_in import SCOPES
from plugin.secrets_box import box
from tests.conftest import poll_now
from tests.fakes.x import FakeX
from tests.fakes.x_oauth import challenge_of
from tests.platforms.x.kit import SECRETS
from tests.zendesk.test_admin_sign_in import _accounts
from tests.zendesk.test_admin_sign_in import _soup
from tests.zendesk.test_admin_sign_in import _title

TOKEN_PATH = "/2/oauth2/token"


@pytest.fixture
def x(app, monkeypatch):
    """The fake X as the one X server, its token requests' headers kept in `token_calls`."""
    app.config["PLATFORM_SECRETS"] = dict(SECRETS)
    fake = FakeX()
    fake.token_calls = []

    @fake.app.before_request
    def _keep_token_calls():
        if request.path == TOKEN_PATH:
            fake.token_calls.append({"authorization": request.headers.get("Authorization"),
                                     "form": request.form.to_dict()})

    with fake.served():
        monkeypatch.setattr(XAdapter, "default_base_url", fake.url)
        yield fake


def _x_form(zendesk):
    """The admin UI switched to X's settings."""
    page = zendesk.submit_admin_form(zendesk.open_admin(), {"platform": "x",
                                                            "show_platform": "1"})
    assert page.status_code == 200, page.text
    assert _title(page) == "Connect your X account"
    return page


def _start(zendesk):
    """Press "Sign in with X"; returns the waiting form and the sign-in URL."""
    waiting = zendesk.submit_admin_form(_x_form(zendesk), {"sign_in": "1"})
    assert waiting.status_code == 200, waiting.text
    link = _soup(waiting).find("a", id="sign-in-open")
    assert link["target"] == "murmur-sign-in"
    return waiting, link["href"]


def _decide(url, decision="approve"):
    """The admin's answer on X's authorize page; returns where it sends the browser."""
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    form = _soup(page).find("form")
    fields = {node["name"]: node["value"] for node in form.find_all("input")}
    answer = requests.post(urlsplit(url)._replace(path=form["action"], query="").geturl(),
                           data={**fields, "decision": decision}, allow_redirects=False,
                           timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_signing_in_with_x_connects_an_account_that_polls(app, zendesk, x, signing_in):
    waiting, url = _start(zendesk)
    sent = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{x.url}/i/oauth2/authorize?")
    assert sent["client_id"] == [SECRETS["X_CLIENT_ID"]]
    assert sent["redirect_uri"] == [f"{signing_in.url}/channel/admin/oauth/callback"]
    assert sent["scope"] == [" ".join(SCOPES)] and "offline.access" in SCOPES
    assert sent["code_challenge_method"] == ["S256"] and len(sent["state"][0]) >= 30
    assert x.requests == [] and _accounts() == []  # X registers no clients: nothing asked yet

    callback = requests.get(_decide(url), timeout=10)
    assert callback.status_code == 200, callback.text
    assert _title(callback) == "Signed in"
    [exchange] = x.token_calls
    # A confidential client: Basic at the token endpoint, the secret nowhere in the body.
    assert exchange["authorization"] == basic_auth(SECRETS["X_CLIENT_ID"],
                                                   SECRETS["X_CLIENT_SECRET"])
    assert exchange["form"]["grant_type"] == "authorization_code"
    assert "client_secret" not in exchange["form"]
    verifier = exchange["form"]["code_verifier"]
    assert challenge_of(verifier) == sent["code_challenge"][0]
    assert verifier not in waiting.text + url + callback.text  # it never left the server
    [access], [refresh] = list(x.auth.access), list(x.auth.refresh)
    assert access not in callback.text and refresh not in callback.text

    done = zendesk.submit_admin_form(waiting, {"collect": "1"})
    assert done.status_code == 200, done.text
    instance = zendesk.finish_admin(done)
    assert instance.name == "X @acme"
    [account] = _accounts()
    assert account.platform == "x" and account.settings["base_url"] == x.url
    assert account.brand_user_id == x.brand["id"] and account.brand_handle == "@acme"
    assert box().open(account.credentials_sealed) == {"access_token": access,
                                                      "refresh_token": refresh}
    assert access not in account.credentials_sealed

    jane = x.add_user("jane", "Jane Doe")
    post = x.mention(jane, "where is my parcel?")
    poll_now(account.id)
    assert zendesk.pull_until_empty(instance) == 1
    ticket = zendesk.ticket_for(f"x:{post['id']}")
    assert ticket.comments[0]["body"] == "@acme where is my parcel?"


def test_a_denied_x_sign_in_saves_nothing(app, zendesk, x, signing_in):
    waiting, url = _start(zendesk)
    back = _decide(url, decision="deny")
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]
    answer = requests.get(back, timeout=10)
    assert answer.status_code == 400 and _title(answer) == "Murmur was not allowed in"
    assert x.token_calls == [] and TOKEN_PATH not in [path for _, path, _ in x.requests]
    assert _accounts() == []
    pending = zendesk.submit_admin_form(waiting, {"collect": "1"})
    assert "has not finished yet" in _soup(pending).find(role="alert").get_text()


def test_a_wrong_client_secret_connects_nothing(app, zendesk, x, signing_in):
    app.config["PLATFORM_SECRETS"]["X_CLIENT_SECRET"] = "not-the-portals"
    waiting, url = _start(zendesk)
    answer = requests.get(_decide(url), timeout=10)
    assert answer.status_code == 422 and _title(answer) == "Signing in did not work"
    assert "not-the-portals" not in answer.text
    assert _accounts() == []


def test_without_x_client_id_the_form_says_x_is_not_configured(app, zendesk, x, signing_in):
    app.config["PLATFORM_SECRETS"] = {k: v for k, v in SECRETS.items() if k != "X_CLIENT_ID"}
    page = zendesk.open_admin()
    option = _soup(page).find(id="platform").find("option", value="x")
    assert option.has_attr("disabled") and option.get_text() == "X (not configured)"
    notes = [node.get_text() for node in _soup(page).select(".not-configured")]
    assert ("X is not configured on this Murmur service: its operator must set "
            "X_CLIENT_ID.") in notes

    refused = zendesk.submit_admin_form(_x_form(zendesk), {"sign_in": "1"})
    assert refused.status_code == 422, refused.text
    soup = _soup(refused)
    assert "its operator must set X_CLIENT_ID" in soup.find(role="alert").get_text()
    assert soup.find(id="sign-in-open") is None
    assert x.requests == [] and x.token_calls == []
    assert db.session.scalars(select(OAuthSignIn)).all() == [] and _accounts() == []


def test_pasting_an_oauth1_token_pair_connects(app, zendesk, x):
    token, secret = x.oauth1_token
    form = _x_form(zendesk)
    assert _soup(form).find(id="f-oauth_token_secret")["type"] == "password"
    done = zendesk.submit_admin_form(form, {"base_url": x.url, "oauth_token": token,
                                            "oauth_token_secret": secret})
    assert done.status_code == 200, done.text
    assert token not in done.text and secret not in done.text
    instance = zendesk.finish_admin(done)
    assert instance.name == "X @acme"
    [account] = _accounts()
    assert account.brand_user_id == x.brand["id"]
    assert box().open(account.credentials_sealed) == {"oauth_token": token,
                                                      "oauth_token_secret": secret}
    assert account.credentials_expire_at is None  # a token pair does not expire

    jane = x.add_user("jane", "Jane Doe")
    x.mention(jane, "signed with OAuth 1.0a")
    poll_now(account.id)
    assert zendesk.pull_until_empty(instance) == 1


def test_an_oauth1_token_without_its_secret_is_a_field_error(app, zendesk, x):
    token, _ = x.oauth1_token
    refused = zendesk.submit_admin_form(_x_form(zendesk), {"base_url": x.url,
                                                           "oauth_token": token})
    assert refused.status_code == 422, refused.text
    soup = _soup(refused)
    assert "needs its secret" in soup.find(id="oauth_token_secret-error").get_text()
    assert soup.find(id="f-oauth_token_secret")["aria-invalid"] == "true"
    assert token not in refused.text
    assert x.requests == [] and _accounts() == []
