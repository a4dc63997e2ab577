"""Loading, errors and retry, resizing, and how the sidebar talks to the backend."""
import jwt
import requests
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy import update

from plugin.db import db
from plugin.models import Account
from plugin.models import Installation
from plugin.platforms import REGISTRY
from tests.browser.harness import INSTALLATION_ID
from tests.browser.harness import requested_tickets
from tests.browser.harness import sidebar_url
from tests.fakes.zaf_signing import OTHER_PRIVATE_KEY
from tests.fakes.zaf_signing import signed_token
from tests.sidebar.test_capabilities import ReticentAdapter


def open_ticket(sidebar, backend, requester, **options):
    zendesk = requested_tickets(backend.requester_id, backend.ticket_id)
    return sidebar.open(backend, backend.ticket_id, requester(backend.requester_id), zendesk=zendesk, **options)


def test_resize_follows_the_content_height(sidebar, sidebar_backend, requester):
    page = open_ticket(sidebar, sidebar_backend, requester)
    expect(page.locator(".earlier-tickets .ticket").first).to_be_visible()
    page.wait_for_function("""() => {
        const last = window.__zaf.resizes[window.__zaf.resizes.length - 1];
        const height = Math.ceil(document.getElementById('app').getBoundingClientRect().height);
        return last && last.width === '100%' && last.height === height + 'px';
    }""")
    heights = [int(r["height"].removesuffix("px")) for r in page.evaluate("window.__zaf.resizes")]
    assert heights[-1] > 400 and heights[0] < heights[-1]


def test_skeleton_while_the_backend_answers(sidebar, traffic, sidebar_backend, requester):
    traffic.hold()
    page = open_ticket(sidebar, sidebar_backend, requester)
    expect(page.locator(".skeleton")).to_be_visible()
    expect(page.locator("#app")).to_have_attribute("aria-busy", "true")
    traffic.release()
    expect(page.locator(".profile__name")).to_be_visible()
    expect(page.locator(".skeleton")).to_have_count(0)
    expect(page.locator("#app")).not_to_have_attribute("aria-busy", "true")


def test_server_error_then_retry(sidebar, traffic, sidebar_backend, requester):
    traffic.fail_next(500)
    page = open_ticket(sidebar, sidebar_backend, requester)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Couldn\u2019t load the social profile.")
    expect(alert).to_contain_text("error 500")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator(".profile__name")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert len(traffic.forwarded) == 2


def test_zendesk_vouches_for_the_page_and_it_uses_its_own_session(sidebar, traffic, sidebar_backend,
                                                                   requester):
    page = open_ticket(sidebar, sidebar_backend, requester)
    expect(page.locator(".profile__name")).to_be_visible()
    # The installation registered itself from Zendesk's signed load: no secret was set up.
    db.session.rollback()
    [installation] = db.session.scalars(select(Installation)).all()
    assert installation.secret_sealed is None and installation.app_installation_id == INSTALLATION_ID
    assert page.url.startswith(f"{sidebar_backend.base_url}/app/sidebar?origin=")
    ticket, requester_id = sidebar_backend.ticket_id, sidebar_backend.requester_id
    [sent] = traffic.forwarded
    assert sent["url"] == f"{sidebar_backend.base_url}/api/sidebar/tickets/{ticket}?requester_id={requester_id}"
    token = sent["headers"]["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["kid"] == "murmur-session"
    assert (claims["sub"], claims["inst"]) == ("acme", INSTALLATION_ID)
    # The backend is asked straight from the page; nothing goes through Zendesk's proxy.
    assert not [r for r in page.evaluate("window.__zaf.requests") if "/api/sidebar/" in r["url"]]


def test_a_page_zendesk_did_not_sign_shows_no_data(sidebar, traffic, sidebar_backend, requester):
    page = open_ticket(sidebar, sidebar_backend, requester, token=signed_token(key=OTHER_PRIVATE_KEY))
    expect(page.get_by_role("alert")).to_contain_text("Murmur cannot open this panel.")
    assert page.locator(".profile").count() == 0 and traffic.forwarded == []


def test_a_session_ended_by_a_reinstall_says_to_reopen(sidebar, traffic, sidebar_backend, requester):
    traffic.hold()
    page = open_ticket(sidebar, sidebar_backend, requester)
    expect(page.locator(".skeleton")).to_be_visible()
    reinstalled = requests.post(sidebar_url(sidebar_backend.base_url, "acme"), timeout=15,
                                data={"token": signed_token(installation_id=INSTALLATION_ID + 1)})
    assert reinstalled.status_code == 200
    traffic.release()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("reopen the ticket")
    assert page.locator(".profile").count() == 0


def test_outside_zendesk(sidebar, sidebar_backend, requester):
    # Signed, but without the origin and app_guid Zendesk puts in the iframe's URL.
    page = sidebar.open(sidebar_backend, 1, requester(1), url=f"{sidebar_backend.base_url}/app/sidebar")
    expect(page.get_by_role("alert")).to_have_text("Open this app from a Zendesk ticket.")


def test_a_platform_that_shares_no_history_is_said_plainly(sidebar, sidebar_backend, requester,
                                                           monkeypatch):
    monkeypatch.setitem(REGISTRY, ReticentAdapter.name, ReticentAdapter)
    db.session.execute(update(Account).values(platform=ReticentAdapter.name))
    db.session.commit()
    page = open_ticket(sidebar, sidebar_backend, requester)
    notice = page.locator(".not-shared")
    expect(notice).to_contain_text("Reticent does not share a customer\u2019s other posts")
    expect(notice).to_contain_text("Reticent does not share a customer\u2019s profile.")
    expect(page.locator("#posts-title")).to_have_text("Posts that mention you")
    expect(page.locator(".stale")).to_have_count(0)
