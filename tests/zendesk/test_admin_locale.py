"""The admin UI speaks the language of Zendesk's `locale`, through every round trip."""
import pytest
from bs4 import BeautifulSoup
from flask_babel import gettext

from plugin.i18n import best_language
from plugin.i18n import use_locale


@pytest.mark.parametrize(("zendesk_locale", "language"), [
    ("de", "de"), ("de-DE", "de"), ("de-ch", "de"), ("DE_AT", "de"), ("en-US", "en"),
    ("en-gb", "en"), ("fr", "en"), ("pt-BR", "en"), ("", "en"), (None, "en"), ("x" * 40, "en"),
])
def test_the_closest_language_or_english(zendesk_locale, language):
    assert best_language(zendesk_locale) == language


def _soup(page):
    return BeautifulSoup(page.text, "html.parser")


def test_german_form_errors_and_done_page(app, mastodon, zendesk):
    page = zendesk.open_admin(locale="de-DE")
    soup = _soup(page)
    assert soup.find("html")["lang"] == "de"
    assert soup.find("h1").get_text() == "Mastodon-Konto verbinden"
    assert soup.find("label", attrs={"for": "f-base_url"}).get_text() == "Instanz-URL"
    assert soup.find(id="sign-in").get_text() == "Mit Mastodon anmelden"
    assert soup.find(id="connect").get_text() == "Verbinden"

    again = zendesk.submit_admin_form(page, {"base_url": mastodon.url, "access_token": "wrong"})
    soup = _soup(again)
    assert again.status_code == 422 and soup.find("html")["lang"] == "de"
    assert soup.find(role="alert").get_text(" ", strip=True) == \
        "Nicht gespeichert. Prüfen Sie das unten markierte Feld."
    assert soup.find(id="access_token-error").get_text().startswith(
        "Mastodon hat dieses Zugriffstoken abgelehnt.")

    blank = zendesk.submit_admin_form(again, {"base_url": "  ", "access_token": mastodon.token})
    assert _soup(blank).find(id="base_url-error").get_text() == "Instanz-URL ist erforderlich."

    done = zendesk.submit_admin_form(blank, {"base_url": mastodon.url,
                                             "access_token": mastodon.token})
    assert _soup(done).find("h1").get_text() == "Verbunden"
    assert zendesk.finish_admin(done).name == "Mastodon @mastodonpy_test"


def test_german_expired_form(app, zendesk):
    page = zendesk.open_admin(locale="de")
    expired = zendesk.submit_admin_form(page, {"form_token": "not-a-token"})
    assert expired.status_code == 400
    assert _soup(expired).find("h1").get_text() == "Dieses Formular ist abgelaufen"


def test_unsupported_language_is_english(app, zendesk):
    soup = _soup(zendesk.open_admin(locale="fr-FR"))
    assert soup.find("html")["lang"] == "en"
    assert soup.find("h1").get_text() == "Connect your Mastodon account"


def test_a_string_missing_from_a_catalogue_is_english(app):
    with app.test_request_context():
        use_locale("de")
        assert gettext("Connect") == "Verbinden"
        assert gettext("A sentence no catalogue holds.") == "A sentence no catalogue holds."
