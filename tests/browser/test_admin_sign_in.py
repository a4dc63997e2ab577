"""An admin connects a Mastodon account by signing in, in a real browser.

Zendesk's admin page (served here in place of https://acme.zendesk.com) POSTs the admin UI
into an iframe with a push token the fake Zendesk vouches for. The admin types the instance,
presses "Sign in", opens the sign-in window, approves Murmur on the fake Mastodon's page
(which refuses to be framed), and the form in the iframe carries on by itself and hands the
account back to Zendesk. The account then polls.
"""
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from plugin.db import db
from plugin.intake import polling
from plugin.models import Account
from plugin.models import StoredMention
from tests.browser.conftest import CHROMIUM
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import NOT_LOOPBACK
from tests.fakes.zendesk import Instance

ZENDESK_PAGE = "https://acme.zendesk.com/admin/channels/channel-integrations"
ZENDESK_HTML = """<!doctype html><html><body><h1>Channel integrations</h1>
<iframe name="integration" title="Murmur" style="width:100%;height:1200px"></iframe></body></html>"""


@pytest.fixture(scope="module")
def browser():
    """Chromium that lets a public page (Zendesk, stood in for) frame our loopback server:
    its local-network checks would block that, where a deployment is public on both sides."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks"])
        yield browser
        browser.close()


@pytest.fixture
def admin_page(browser, service, zendesk, monkeypatch):
    """A page of Zendesk's Admin Center (stood in for) with nothing else reachable but loopback;
    the hand-back to Zendesk goes to the fake Zendesk."""
    service.app.config["PUBLIC_URL"] = service.url
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fakes speak plain http
    context = browser.new_context(viewport={"width": 900, "height": 1000})
    errors = []

    def zendesk_host(route):
        if route.request.method == "GET":
            route.fulfill(body=ZENDESK_HTML, content_type="text/html")
        else:  # the admin UI's hand-back: to the fake Zendesk's own handler
            path = urlsplit(route.request.url).path
            route.fulfill(response=route.fetch(url=zendesk.api_url + path))

    context.route(NOT_LOOPBACK, lambda route: route.abort())
    context.route(re.compile(r"^https://acme\.zendesk\.com/"), zendesk_host)
    context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
    page = context.new_page()
    page.goto(ZENDESK_PAGE)
    yield page
    context.close()
    assert not errors, f"uncaught errors: {errors}"


def _open_admin_ui(page, service, zendesk):
    """POST the admin UI into the iframe as Zendesk does; returns the iframe."""
    form = {"return_url": zendesk.return_url, "subdomain": "acme", "locale": "en-US",
            "name": "", "metadata": "", "state": "", **zendesk.issue_push_token()}
    page.evaluate("""([action, fields]) => {
        const form = Object.assign(document.createElement('form'),
                                   { method: 'post', action, target: 'integration' });
        for (const [name, value] of Object.entries(fields)) {
            form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }));
        }
        document.body.append(form);
        form.submit();
    }""", [f"{service.url}/channel/admin", form])
    frame = page.frame_locator("iframe[name=integration]")
    expect(frame.get_by_role("heading", name="Connect your Mastodon account")).to_be_visible()
    return frame


def test_admin_signs_in_with_mastodon_in_a_popup(admin_page, service, zendesk, mastodon):
    frame = _open_admin_ui(admin_page, service, zendesk)
    frame.get_by_label("Instance URL").fill(mastodon.url)
    frame.get_by_role("button", name="Sign in with Mastodon").click()
    expect(frame.get_by_role("status")).to_contain_text("in the window that opens")

    with admin_page.context.expect_page() as opened:
        frame.get_by_role("link", name="Open the sign-in window").click()
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.url.startswith(f"{mastodon.url}/oauth/authorize?")
    expect(popup.get_by_role("heading", name="Authorization required")).to_be_visible()
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Authorize").click()

    # The form in the iframe went on by itself and handed the account back to Zendesk.
    expect(frame.get_by_text("Account saved")).to_be_visible()
    [returned] = zendesk.returned
    assert returned["name"] == "Mastodon @mastodonpy_test"
    instance = Instance(name=returned["name"], metadata=returned["metadata"])

    db.session.rollback()
    [account] = db.session.scalars(select(Account)).all()
    jane = mastodon.add_customer("jane", "Jane Doe")
    mastodon.mention(jane, "<p>My order never arrived.</p>")
    polling.poll_account(account.id)
    db.session.rollback()
    [stored] = db.session.scalars(select(StoredMention)).all()
    assert stored.account_id == account.id
    assert zendesk.pull_until_empty(instance) == 1
