"""The sidebar speaks the agent's Zendesk language, string by string falling back to English."""
import json
import re

import pytest
from playwright.sync_api import expect

from plugin.platforms import REGISTRY
from tests.browser.harness import ASSETS
from tests.browser.harness import catalogue_url
from tests.browser.harness import fetch_document
from tests.browser.harness import requested_tickets

GERMAN = json.loads((ASSETS / "i18n" / "de.json").read_text())
SENTIMENT = {"positive": "Positiv", "neutral": "Neutral", "negative": "Negativ"}
DIRECTION = {"improving": "wird besser", "worsening": "wird schlechter", "steady": "gleichbleibend"}


def open_as(sidebar, backend, requester, agent_locale, catalogue=None):
    """The panel for an agent in `agent_locale`, served `catalogue` as its German strings."""
    zendesk = requested_tickets(backend.requester_id, backend.ticket_id)
    replaced = {catalogue_url(backend.base_url, "de"): catalogue} if catalogue else {}
    page = sidebar.open(backend, backend.ticket_id, requester(backend.requester_id), zendesk=zendesk,
                        agent_locale=agent_locale, replaced=replaced)
    expect(page.locator(".earlier-tickets .ticket").first).to_be_visible()
    return page


@pytest.mark.parametrize("agent_locale", ["de", "de-CH"])
def test_the_panel_in_german(sidebar, sidebar_backend, requester, agent_locale):
    doc = fetch_document(sidebar_backend, sidebar_backend.ticket_id, sidebar_backend.requester_id)
    page = open_as(sidebar, sidebar_backend, requester, agent_locale)
    assert page.evaluate("document.documentElement.lang") == "de"
    expect(page.locator("#sentiment-title")).to_have_text("Stimmung")
    expect(page.locator(".sentiment__summary .badge")).to_have_text(SENTIMENT[doc["sentiment"]["label"]])
    expect(page.locator(".sentiment__direction")).to_have_text(DIRECTION[doc["sentiment"]["direction"]])
    expect(page.locator("#posts-title")).to_have_text("Neueste Beiträge")
    expect(page.locator(".posts > li .badge").first).to_have_text(SENTIMENT[doc["posts"][0]["label"]])
    expect(page.locator(".posts > li time").first).to_have_text(re.compile(r"^(gerade eben|vor \d+ Min\.)$"))
    expect(page.locator(".tag--brand").first).to_have_text("Erwähnt Sie")
    expect(page.locator("#tickets-title")).to_have_text("Frühere Tickets")
    expect(page.locator(".earlier-tickets .status")).to_have_text(["Wartend", "Gelöst", "Geschlossen"])
    expect(page.locator(".profile__meta .platform")).to_have_text(doc["profile"]["platform_label"])


def test_a_language_without_a_catalogue_is_english(sidebar, sidebar_backend, requester):
    page = open_as(sidebar, sidebar_backend, requester, "fr-FR")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("#sentiment-title")).to_have_text("Sentiment")


def test_a_string_missing_from_a_catalogue_is_english(sidebar, sidebar_backend, requester):
    partial = {key: text for key, text in GERMAN.items() if key != "recent_posts"}
    page = open_as(sidebar, sidebar_backend, requester, "de", catalogue=partial)
    expect(page.locator("#posts-title")).to_have_text("Recent posts")
    expect(page.locator("#tickets-title")).to_have_text("Frühere Tickets")


def test_the_sidebar_scripts_name_no_platform():
    scripts = "\n".join(path.read_text() for path in ASSETS.glob("*.js")).lower()
    catalogues = "\n".join(path.read_text() for path in (ASSETS / "i18n").glob("*.json")).lower()
    for name, adapter in REGISTRY.items():
        for word in (name, adapter.label.lower()):
            # A one-letter name (X) is looked for as a literal or a domain, not inside words.
            pattern = (re.escape(word) if len(word) > 2
                       else rf"[\"'`]{word}[\"'`:]|\b{word}\.com\b")
            for text in (scripts, catalogues):
                assert re.search(pattern, text) is None, word
