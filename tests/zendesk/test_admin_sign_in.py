"""Connecting an account by signing in with the platform (OAuth 2.0 + PKCE), driven like the
admin's browser: the form in Zendesk's iframe, the sign-in window, the fake Mastodon's pages;
Murmur registering its client there, or using the deployment's own."""
import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from plugin.db import db
from plugin.models import Account
from plugin.models import OAuthClient
from plugin.models import OAuthSignIn
from plugin.models import utcnow
from plugin.platforms.connect import PASTED
from plugin.platforms.connect import Client
from plugin.platforms.connect import basic_auth
from plugin.platforms.mastodon.sign_in import SCOPES
from plugin.platforms.mastodon.sign_in import MastodonSignIn
from plugin.secrets_box import box
from tests.fakes import second_platform


def _soup(page):
    return BeautifulSoup(page.text, "html.parser")


def _title(page):
    return _soup(page).find("h1").get_text()


def _accounts():
    db.session.rollback()  # see what the served app committed
    return db.session.scalars(select(Account)).all()


def _start(zendesk, mastodon, **values):
    """Open the admin UI and press "Sign in"; returns the waiting form and the sign-in URL."""
    page = zendesk.open_admin()
    waiting = zendesk.submit_admin_form(page, {"base_url": mastodon.url, "sign_in": "1",
                                               **values})
    assert waiting.status_code == 200, waiting.text
    link = _soup(waiting).find("a", id="sign-in-open")
    assert link["target"] == "murmur-sign-in"
    return waiting, link["href"]


def _decide(url, decision="approve", **tamper):
    """The admin's answer on the platform's sign-in page; returns where it sends the browser."""
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    form = {node["name"]: node["value"] for node in _soup(page).find("form").find_all("input")}
    answer = requests.post(urlsplit(url)._replace(path="/oauth/authorize", query="").geturl(),
                           data={**form, **tamper, "decision": decision},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _sign_in(zendesk, mastodon, **values):
    """Sign in and approve; returns (waiting form, the callback's answer)."""
    waiting, url = _start(zendesk, mastodon, **values)
    callback = requests.get(_decide(url), timeout=10)
    return waiting, callback


def test_signing_in_connects_an_account_that_polls(app, mastodon, zendesk, signing_in):
    waiting, url = _start(zendesk, mastodon, hashtags="acme")
    sent = parse_qs(urlsplit(url).query)
    [registered] = [r for r in mastodon.requests if r["path"] == "/api/v1/apps"]
    callback_url = f"{signing_in.url}/channel/admin/oauth/callback"
    assert registered["data"]["redirect_uris"] == callback_url
    assert registered["data"]["scopes"].split() == list(SCOPES)
    assert url.startswith(f"{mastodon.url}/oauth/authorize?")
    assert sent["response_type"] == ["code"] and sent["redirect_uri"] == [callback_url]
    assert sent["code_challenge_method"] == ["S256"] and len(sent["state"][0]) >= 30
    assert sent["scope"] == [" ".join(SCOPES)]
    assert _accounts() == []

    callback = requests.get(_decide(url), timeout=10)
    assert callback.status_code == 200, callback.text
    assert _title(callback) == "Signed in"
    assert mastodon.token not in callback.text
    [exchange] = [r for r in mastodon.requests if r["path"] == "/oauth/token"]
    verifier = exchange["data"]["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert challenge.rstrip(b"=").decode() == sent["code_challenge"][0]
    assert verifier not in waiting.text + url + callback.text  # it never left the server

    done = zendesk.submit_admin_form(waiting, {"collect": "1"})
    assert done.status_code == 200, done.text
    instance = zendesk.finish_admin(done)
    assert instance.name == "Mastodon @mastodonpy_test"
    [account] = _accounts()
    assert box().open(account.credentials_sealed) == {"access_token": mastodon.token}
    assert account.settings["base_url"] == mastodon.url and account.settings["hashtags"] == "acme"
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>hello</p>")
    assert zendesk.pull_until_empty(instance) == 1

    # What the sign-in connected is collected once, and the form saves once.
    again = zendesk.submit_admin_form(waiting, {"collect": "1"})
    assert again.status_code == 409 and _title(again) == "This form was already used"


def test_murmur_registers_once_per_instance(app, mastodon, zendesk, signing_in):
    _start(zendesk, mastodon)
    _start(zendesk, mastodon)
    assert len([r for r in mastodon.requests if r["path"] == "/api/v1/apps"]) == 1
    [client] = db.session.scalars(select(OAuthClient)).all()
    [app_] = mastodon.oauth.apps.values()
    assert client.server == mastodon.url and client.client_id == app_["client_id"]
    assert box().open(client.client_secret_sealed) == app_["client_secret"]
    rows = str(db.session.execute(text("SELECT * FROM oauth_clients")).all())
    assert app_["client_secret"] not in rows


def test_a_state_is_used_once(app, mastodon, zendesk, signing_in):
    waiting, url = _start(zendesk, mastodon)
    back = _decide(url)
    assert requests.get(back, timeout=10).status_code == 200
    replay = requests.get(back, timeout=10)
    assert replay.status_code == 400 and _title(replay) == "This sign-in has expired"
    assert len(_accounts()) == 1


@pytest.mark.parametrize("state", ["", "not-the-state", "\x00", "é" * 500])
def test_a_state_not_started_here_is_refused(app, mastodon, zendesk, signing_in, state):
    waiting, url = _start(zendesk, mastodon)
    back = urlsplit(_decide(url))
    code = parse_qs(back.query)["code"][0]
    forged = back._replace(query=urlencode({"code": code, "state": state})).geturl()
    answer = requests.get(forged, timeout=10)
    assert answer.status_code == 400 and _title(answer) == "This sign-in has expired"
    assert "/oauth/token" not in [r["path"] for r in mastodon.requests]
    assert _accounts() == []


def test_an_expired_sign_in_is_refused(app, mastodon, zendesk, signing_in):
    waiting, url = _start(zendesk, mastodon)
    db.session.execute(update(OAuthSignIn).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    answer = requests.get(_decide(url), timeout=10)
    assert answer.status_code == 400 and _title(answer) == "This sign-in has expired"
    assert _accounts() == []


def test_a_code_issued_for_another_challenge_is_refused(app, mastodon, zendesk, signing_in):
    waiting, url = _start(zendesk, mastodon)
    # Someone swapped the PKCE challenge on the way: the verifier Murmur kept does not match.
    other = base64.urlsafe_b64encode(hashlib.sha256(b"attacker").digest()).rstrip(b"=").decode()
    answer = requests.get(_decide(url, code_challenge=other), timeout=10)
    assert answer.status_code == 422 and _title(answer) == "Signing in did not work"
    [exchange] = [r for r in mastodon.requests if r["path"] == "/oauth/token"]
    assert exchange["data"]["code_verifier"] not in answer.text
    assert _accounts() == []
    pending = zendesk.submit_admin_form(waiting, {"collect": "1"})
    assert pending.status_code == 200
    soup = _soup(pending)
    assert "has not finished yet" in soup.find(role="alert").get_text()
    assert soup.find(id="f-base_url")["value"] == mastodon.url and soup.find(id="sign-in")


def test_a_denied_sign_in_saves_nothing(app, mastodon, zendesk, signing_in):
    waiting, url = _start(zendesk, mastodon)
    back = _decide(url, decision="deny")
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]
    answer = requests.get(back, timeout=10)
    assert answer.status_code == 400 and _title(answer) == "Murmur was not allowed in"
    assert "/oauth/token" not in [r["path"] for r in mastodon.requests]
    assert _accounts() == []
    # The form is not used up: the admin signs in again from it.
    page = zendesk.submit_admin_form(waiting, {"base_url": mastodon.url, "sign_in": "1"})
    again = _soup(page).find("a", id="sign-in-open")["href"]
    assert requests.get(_decide(again), timeout=10).status_code == 200
    assert zendesk.submit_admin_form(waiting, {"collect": "1"}).status_code == 200


def test_an_instance_at_a_private_address_is_refused(app, mastodon, zendesk, signing_in):
    page = zendesk.open_admin()
    for address in ("http://10.0.0.1", "http://192.168.1.10:3000", "http://169.254.169.254"):
        refused = zendesk.submit_admin_form(page, {"base_url": address, "sign_in": "1"})
        assert refused.status_code == 422, refused.text
        soup = _soup(refused)
        assert "private or internal address" in soup.find(id="base_url-error").get_text()
    signing_in.app.config["PLATFORM_ALLOW_LOOPBACK"] = False
    refused = zendesk.submit_admin_form(page, {"base_url": mastodon.url, "sign_in": "1"})
    assert refused.status_code == 422 and _soup(refused).find(id="base_url-error")
    assert mastodon.requests == [] and db.session.scalars(select(OAuthClient)).all() == []


def test_signing_in_needs_https_unless_plain_http_is_allowed(app, mastodon, zendesk, service):
    service.app.config["PUBLIC_URL"] = service.url
    page = zendesk.open_admin()
    refused = zendesk.submit_admin_form(page, {"base_url": mastodon.url, "sign_in": "1"})
    assert refused.status_code == 422, refused.text
    assert "https" in _soup(refused).find(id="base_url-error").get_text()


class DeploymentSignIn(MastodonSignIn):
    """Mastodon's sign-in as a platform with one client per deployment, from the environment,
    that authenticates at the token endpoint with HTTP Basic (as X's confidential clients)."""

    token_auth = "client_secret_basic"
    dynamic_client = False

    def register(self, http, redirect_uri, secrets):
        return Client(secrets["SECOND_CLIENT_ID"], secrets["SECOND_CLIENT_SECRET"])


@pytest.fixture
def deployed(app, mastodon, signing_in, monkeypatch):
    """The second platform signing in with the client its operator made at the fake."""
    cls = second_platform.register(monkeypatch)
    monkeypatch.setattr(cls, "connect_flows", (PASTED, DeploymentSignIn()))
    made = requests.post(f"{mastodon.url}/api/v1/apps", timeout=10, json={
        "client_name": "Murmur", "scopes": " ".join(SCOPES),
        "redirect_uris": f"{signing_in.url}/channel/admin/oauth/callback"}).json()
    app.config["PLATFORM_SECRETS"] = {"SECOND_CLIENT_ID": made["client_id"],
                                      "SECOND_CLIENT_SECRET": made["client_secret"]}
    return made


def _sign_in_deployed(zendesk, mastodon):
    page = zendesk.submit_admin_form(zendesk.open_admin(), {"platform": "second",
                                                            "show_platform": "1"})
    waiting = zendesk.submit_admin_form(page, {"base_url": mastodon.url, "sign_in": "1"})
    assert waiting.status_code == 200, waiting.text
    url = _soup(waiting).find("a", id="sign-in-open")["href"]
    return url, requests.get(_decide(url), timeout=10)


def test_a_deployments_client_signs_in_with_http_basic(app, mastodon, zendesk, deployed):
    url, callback = _sign_in_deployed(zendesk, mastodon)
    assert parse_qs(urlsplit(url).query)["client_id"] == [deployed["client_id"]]
    assert callback.status_code == 200 and _title(callback) == "Signed in", callback.text
    assert len([r for r in mastodon.requests if r["path"] == "/api/v1/apps"]) == 1  # ours only
    [exchange] = [r for r in mastodon.requests if r["path"] == "/oauth/token"]
    assert exchange["headers"]["Authorization"] == basic_auth(deployed["client_id"],
                                                              deployed["client_secret"])
    assert "client_secret" not in exchange["data"]
    assert deployed["client_secret"] not in exchange["body"]


def test_a_rotated_client_secret_counts_at_the_next_sign_in(app, mastodon, zendesk, deployed):
    assert _sign_in_deployed(zendesk, mastodon)[1].status_code == 200
    mastodon.oauth.apps[deployed["client_id"]]["client_secret"] = "rotated-in-the-portal"
    app.config["PLATFORM_SECRETS"]["SECOND_CLIENT_SECRET"] = "rotated-in-the-portal"
    again = _sign_in_deployed(zendesk, mastodon)[1]
    assert again.status_code == 200 and _title(again) == "Signed in", again.text
    db.session.rollback()
    [client] = db.session.scalars(select(OAuthClient)).all()
    assert box().open(client.client_secret_sealed) == "rotated-in-the-portal"
