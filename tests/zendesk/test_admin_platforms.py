"""The admin UI's platforms: each shows its own settings, and one whose app settings the
operator has not set is listed as not configured and cannot be connected."""
from bs4 import BeautifulSoup
from sqlalchemy import select

from plugin.db import db
from plugin.models import Account
from plugin.platforms.x.adapter import XAdapter
from tests.fakes import second_platform


def _soup(page):
    return BeautifulSoup(page.text, "html.parser")


def _options(page):
    return {node["value"]: node for node in _soup(page).find(id="platform").find_all("option")}


def test_a_platform_without_its_app_settings_is_listed_as_not_configured(
        app, mastodon, zendesk, monkeypatch):
    second_platform.register(monkeypatch)
    page = zendesk.open_admin()
    options = _options(page)
    assert not options["mastodon"].has_attr("disabled")
    assert options["second"].has_attr("disabled")
    assert options["second"].get_text() == "Second Network (not configured)"
    notes = [node.get_text() for node in _soup(page).select(".not-configured")]
    assert ("Second Network is not configured on this Murmur service: its "
                               "operator must set SECOND_CLIENT_ID, SECOND_CLIENT_SECRET.") in notes

    forced = zendesk.submit_admin_form(page, {"platform": "second", "base_url": mastodon.url,
                                              "access_token": mastodon.token})
    assert forced.status_code == 422, forced.text
    assert "its operator must set SECOND_CLIENT_ID" in _soup(forced).find(role="alert").get_text()
    assert db.session.scalars(select(Account)).all() == []


def test_switching_the_platform_shows_its_own_settings(app, mastodon, zendesk, monkeypatch):
    second_platform.register(monkeypatch)
    app.config["PLATFORM_SECRETS"] = dict.fromkeys(
        second_platform.APP_SETTINGS + XAdapter.app_settings, "set")
    page = zendesk.open_admin()
    soup = _soup(page)
    assert soup.find("h1").get_text() == "Connect your Mastodon account"
    assert soup.find(id="sign-in") and not soup.select(".not-configured")
    token = soup.find("input", attrs={"name": "form_token"})["value"]

    shown = zendesk.submit_admin_form(page, {"platform": "second", "show_platform": "1",
                                             "name": "kept"})
    assert shown.status_code == 200, shown.text
    soup = _soup(shown)
    assert soup.find("h1").get_text() == "Connect your Second Network account"
    assert soup.find("input", attrs={"name": "form_token"})["value"] == token
    assert soup.find(id="name")["value"] == "kept"
    assert soup.find(id="sign-in") is None and soup.find("details") is None  # fields only
    assert soup.find(id="f-access_token")["type"] == "password"
    assert _options(shown)["second"].has_attr("selected")

    done = zendesk.submit_admin_form(shown, {"base_url": mastodon.url,
                                             "access_token": mastodon.token})
    assert done.status_code == 200, done.text
    [account] = db.session.scalars(select(Account)).all()
    assert account.platform == "second"


def test_pasting_a_token_stays_an_advanced_option(app, mastodon, zendesk):
    page = zendesk.open_admin()
    details = _soup(page).find("details")
    assert details.find(id="f-access_token") and not details.has_attr("open")
    assert not details.find(id="f-access_token").has_attr("required")
    wrong = zendesk.submit_admin_form(page, {"base_url": mastodon.url, "access_token": "nope-1"})
    assert wrong.status_code == 422
    assert _soup(wrong).find("details").has_attr("open")  # its error is not hidden
