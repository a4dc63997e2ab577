"""Hostile profiles and posts are text and unsafe URLs are not links; stale data says so."""
import html
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from plugin.db import db
from plugin.models import HistoryCache
from plugin.models import utcnow
from tests.browser.harness import call_backend
from tests.browser.harness import fetch_document
from tests.browser.harness import requested_tickets

IMG = "<img src=x onerror=alert(1)>"
PWN = '<img src=x onerror="window.__pwned=true;alert(2)">'
NAME = "<b onmouseover=alert(3)>Jane</b>"
OTHER = "<svg/onload=alert(4)>"


@pytest.fixture
def hostile_ticket(sidebar_backend, social_ticket, mastodon):
    """Jane's ticket once her profile and newest posts hold markup and script URLs.

    Mastodon delivers post text as HTML with the markup escaped, and a display name as it
    was typed; the URLs are edited in the fake's stored objects, as a hostile server could send.
    """
    jane = social_ticket.customer
    jane.update(display_name=NAME, url="javascript:alert(1)", avatar="javascript:alert(1)",
                avatar_static="javascript:alert(1)")
    mastodon.post_status(jane, f"<p>{html.escape(IMG)}</p>")["url"] = "javascript:alert(1)"
    mastodon.mention(jane, f"<p>{html.escape(PWN)}</p>")["status"]["url"] = "data:text/html,<script>alert(5)</script>"
    mastodon.add_customer(OTHER, "Jane at work")["url"] = " JaVaScRiPt:alert(1)"
    linked = call_backend(sidebar_backend, sidebar_backend.ticket_id, sidebar_backend.requester_id,
                          link={"platform": "mastodon", "handle": "@" + OTHER})
    assert linked.status_code == 200, linked.text
    return sidebar_backend


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "without-csp"])
def test_hostile_text_is_shown_literally_and_runs_nothing(sidebar, traffic, hostile_ticket, social_ticket, mastodon,
                                                          requester, bypass_csp):
    backend = hostile_ticket
    zendesk = requested_tickets(backend.requester_id, backend.ticket_id)
    zendesk[f"/api/v2/users/{backend.requester_id}/tickets/requested.json"]["tickets"][1]["subject"] = IMG
    page = sidebar.open(backend, backend.ticket_id, requester(backend.requester_id), zendesk=zendesk,
                        bypass_csp=bypass_csp)
    hostile_posts = page.locator(".posts > li", has_text="onerror")
    expect(hostile_posts.locator(".post__text")).to_have_text([f"@{mastodon.brand['acct']} {PWN}", IMG])
    expect(page.locator(".profile__name")).to_have_text(NAME)
    expect(page.locator(".other-profile")).to_have_text(f"Mastodon @{OTHER}")
    expect(page.locator(".earlier-tickets .ticket a").first).to_contain_text(IMG)
    page.wait_for_load_state("networkidle")
    page.locator(".profile__name").hover()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert sidebar.dialogs == []
    assert not [url for url in traffic.asset_requests if url.endswith("/x")]
    expect(page.locator("#app img, #app b, #app svg:not(.trend)")).to_have_count(0)
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs
    expect(page.locator(".profile__handle a, .other-profile a")).to_have_count(0)
    expect(hostile_posts.locator("a")).to_have_count(0)
    expect(page.locator(".profile__handle")).to_have_text("@" + social_ticket.customer["acct"])


@pytest.mark.parametrize("status", [503, 429])
def test_stale_data_says_it_may_be_out_of_date(sidebar, sidebar_backend, mastodon, requester, status):
    backend = sidebar_backend

    def view():
        page = sidebar.open(backend, backend.ticket_id, requester(backend.requester_id))
        expect(page.locator(".posts > li").first).to_be_visible()
        return page

    expect(view().locator(".stale")).to_have_count(0)  # fetched from Mastodon and cached
    db.session.execute(update(HistoryCache).values(refresh_after=utcnow() - timedelta(days=1)))
    db.session.commit()
    mastodon.fail_next(20, status=status)
    view()  # the expired cache is served at once while a refresh runs, and fails
    page = view()
    doc = fetch_document(backend, backend.ticket_id, backend.requester_id)
    assert doc["stale"] is True and doc["stale_reason"] and doc["posts"]
    reason = doc["stale_reason"].removesuffix(".")  # the notice ends the reason with one period
    expect(page.locator(".stale")).to_have_text(f"May be out of date: {reason}. Last updated just now.")
    expect(page.locator(".posts > li")).to_have_count(len(doc["posts"]))


def test_fresh_data_has_no_stale_notice(sidebar, sidebar_backend, requester):
    page = sidebar.open(sidebar_backend, sidebar_backend.ticket_id, requester(sidebar_backend.requester_id))
    expect(page.locator(".posts > li").first).to_be_visible()
    expect(page.locator(".stale")).to_have_count(0)
