"""Who may use the admin UI: only a page Zendesk vouches for, handing back only to that Zendesk,
saving each form once, and never sending stored credentials to a new host."""
import socket
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from plugin.db import db
from plugin.models import Account
from plugin.models import UsedFormToken
from plugin.models import utcnow
from plugin.secrets_box import box
from plugin.zendesk import gateway
from tests.fakes.mastodon import FakeMastodon

NO_TOKEN = {"instance_push_id": None, "zendesk_access_token": None}
NOT_VOUCHED = "Zendesk did not vouch for this request"


def _page(response, status, title):
    """An HTML page with `title` as its heading and no form in it; returns its text."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/html"), response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("h1").get_text() == title
    assert soup.find("form") is None
    return soup.get_text()


def _nothing_stored(zendesk):
    db.session.rollback()  # see what the served app committed
    assert db.session.scalars(select(Account)).all() == [] and zendesk.returned == []


def _values(mastodon, **more):
    return {"base_url": mastodon.url, "access_token": mastodon.token, **more}


def _forged(zendesk):
    """Push fields Zendesk did not issue together, or not at all."""
    issued, other = zendesk.issue_push_token(), zendesk.issue_push_token()
    return {
        "none": NO_TOKEN,
        "push-id-only": {**NO_TOKEN, "instance_push_id": issued["instance_push_id"]},
        "token-only": {**NO_TOKEN, "zendesk_access_token": issued["zendesk_access_token"]},
        "wrong-token": {**issued, "zendesk_access_token": "zat-guessed"},
        "unknown-push-id": {**issued, "instance_push_id": "made-up"},
        "another-instances-token": {**issued,
                                    "zendesk_access_token": other["zendesk_access_token"]},
    }


@pytest.mark.parametrize("case", ["none", "push-id-only", "token-only", "wrong-token",
                                  "unknown-push-id", "another-instances-token"])
def test_a_page_zendesk_does_not_vouch_for_is_refused(app, zendesk, case):
    text = _page(zendesk.open_admin(**_forged(zendesk)[case]), 403, NOT_VOUCHED)
    assert "Channel integrations" in text
    _nothing_stored(zendesk)


def test_the_refusal_speaks_the_admins_language(app, zendesk):
    _page(zendesk.open_admin(locale="de-DE", **NO_TOKEN), 403,
          "Zendesk hat diese Anfrage nicht bestätigt")


def test_a_strangers_edit_learns_nothing_of_the_account(app, mastodon, zendesk, connect):
    _, metadata = connect()
    _page(zendesk.open_admin(metadata=metadata, **NO_TOKEN), 403, NOT_VOUCHED)
    _page(zendesk.open_admin(metadata='{"account": "x", "secret": "y"}', **NO_TOKEN), 403,
          NOT_VOUCHED)


def _down(app, zendesk, monkeypatch, how):
    if how == "timeout":
        monkeypatch.setattr(gateway, "TIMEOUT_SECONDS", 0.2)
        zendesk.validate_delay = 1
    elif how == "unreachable":
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        monkeypatch.setitem(app.config, "ZENDESK_BASE_URL", f"http://127.0.0.1:{port}")
    else:
        zendesk.validate_status = how


@pytest.mark.parametrize("how", [500, 503, 429, "timeout", "unreachable"])
def test_zendesk_down_is_a_retryable_page(app, zendesk, monkeypatch, how):
    _down(app, zendesk, monkeypatch, how)
    text = _page(zendesk.open_admin(), 503, "Zendesk could not be reached")
    assert "try again in a few minutes" in text
    _nothing_stored(zendesk)


def test_the_token_is_required_unless_local_development_says_otherwise(app, mastodon,
                                                                       zendesk):
    assert app.config["ADMIN_REQUIRE_ZENDESK_TOKEN"] is True
    app.config["ADMIN_REQUIRE_ZENDESK_TOKEN"] = False
    page = zendesk.open_admin(**NO_TOKEN)
    assert page.status_code == 200 and zendesk.api_requests == []
    assert zendesk.submit_admin_form(page, _values(mastodon)).status_code == 200


FOREIGN = [
    "https://acme.zendesk.com.evil.example/zendesk/x",
    "https://acme.zendesk.com@evil.example/zendesk/x",
    "https://user@acme.zendesk.com/zendesk/x",
    "https://@acme.zendesk.com/zendesk/x",
    "https://evil.example/?acme.zendesk.com",
    "https://evil.example/acme.zendesk.com",
    "https://globex.zendesk.com/zendesk/x",
    "https://zendesk.com/zendesk/x",
    "http://acme.zendesk.com/zendesk/x",
    "https://acme.zendesk.com:8443/zendesk/x",
    "https://acme.zendesk.com:99999/x",
    "https://[::1",
    "https://[::1]/x",
    "//acme.zendesk.com/x",
    "javascript:alert(1)",
    "https:///nohost",
]


@pytest.mark.parametrize("url", FOREIGN)
def test_return_url_must_be_this_zendesk(app, zendesk, url):
    assert app.config["PLATFORM_ALLOW_HTTP"]  # which no longer relaxes return_url
    response = zendesk.open_admin(return_url=url)
    assert response.status_code == 400, response.text
    assert BeautifulSoup(response.text, "html.parser").find("h1").get_text() == (
        "Open this page from Zendesk")
    assert zendesk.api_requests == []  # refused before Zendesk was even asked


@pytest.mark.parametrize("url", ["https://ACME.Zendesk.com/zendesk/x",
                                 "https://acme.zendesk.com:443/zendesk/x"])
def test_return_url_spelled_otherwise_on_this_zendesk(app, zendesk, url):
    assert zendesk.open_admin(return_url=url).status_code == 200


def test_the_save_uses_what_zendesk_vouched_for(app, mastodon, zendesk):
    page = zendesk.open_admin()
    done = zendesk.submit_admin_form(page, _values(
        mastodon, return_url="https://evil.example/", subdomain="globex"))
    assert done.status_code == 200, done.text
    finish = BeautifulSoup(done.text, "html.parser").find("form", id="finish")
    assert finish["action"] == zendesk.return_url
    assert zendesk.finish_admin(done).metadata
    assert db.session.scalars(select(Account.subdomain)).all() == ["acme"]


def test_an_edit_form_replayed_saves_nothing(app, mastodon, zendesk):
    instance = zendesk.finish_admin(zendesk.submit_admin_form(zendesk.open_admin(),
                                                              _values(mastodon)))
    page = zendesk.open_admin(instance)
    assert zendesk.submit_admin_form(page, {"hashtags": "first"}).status_code == 200
    _page(zendesk.submit_admin_form(page, {"hashtags": "second"}), 409,
          "This form was already used")
    db.session.rollback()
    assert db.session.scalar(select(Account)).settings["hashtags"] == "first"


def test_used_forms_are_forgotten_once_expired(app, mastodon, zendesk):
    db.session.add(UsedFormToken(nonce="long-ago", expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    zendesk.submit_admin_form(zendesk.open_admin(), _values(mastodon))
    db.session.rollback()
    [used] = db.session.scalars(select(UsedFormToken)).all()
    assert used.nonce != "long-ago" and used.expires_at > utcnow()


@pytest.fixture
def elsewhere():
    """Another Mastodon server, which must never see the first one's token."""
    with FakeMastodon.served(token="elsewhere-token") as fake:
        yield fake


def test_an_edit_moving_to_another_host_needs_its_credentials(app, mastodon, zendesk,
                                                              elsewhere):
    instance = zendesk.finish_admin(zendesk.submit_admin_form(zendesk.open_admin(),
                                                              _values(mastodon)))
    page = zendesk.open_admin(instance)
    moved = zendesk.submit_admin_form(page, {"base_url": elsewhere.url})  # token left blank
    assert moved.status_code == 422, moved.text
    error = BeautifulSoup(moved.text, "html.parser").find(id="access_token-error").get_text()
    assert error == ("Enter the Access token for this address: Murmur sends stored credentials "
                     "only to the server they were saved for.")
    assert elsewhere.requests == []

    done = zendesk.submit_admin_form(moved, {"base_url": elsewhere.url,
                                             "access_token": elsewhere.token})
    assert done.status_code == 200, done.text
    assert all(mastodon.token not in str(r["headers"]) for r in elsewhere.requests)
    db.session.rollback()
    account = db.session.scalar(select(Account))
    assert account.settings["base_url"] == elsewhere.url
    assert box().open(account.credentials_sealed) == {"access_token": elsewhere.token}
