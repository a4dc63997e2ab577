"""Fixtures for the sidebar's browser tests: chromium, the served app and the backend.

The backend is the real plugin served over loopback (`service`), its data coming from the
fake Mastodon through the real adapter, and its tickets from the fake Zendesk's pulls. No
secret is set up by hand: the installation registers itself on Zendesk's first signed load.
"""
import os
import re
import uuid
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import NamedTuple

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.harness import AVATAR
from tests.browser.harness import AVATAR_URL
from tests.browser.harness import BackendTraffic
from tests.browser.harness import call_backend
from tests.browser.harness import fetch_document
from tests.browser.harness import load_signed
from tests.browser.harness import requester_of
from tests.browser.harness import stub_config
from tests.sidebar.conftest import social_ticket  # noqa: F401

CHROMIUM = os.environ.get("MURMUR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NOT_LOOPBACK = re.compile(r"^(?!http://127\.0\.0\.1[:/])")


class SidebarBackend(NamedTuple):
    """A running sidebar API and one ticket whose requester has a known social profile."""

    base_url: str
    subdomain: str
    ticket_id: int
    requester_id: int


class UnlinkedTicket(NamedTuple):
    """Two tickets (this one and a later one) of a requester with no known social profile."""

    ticket_id: int
    later_ticket_id: int
    requester_id: int


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: the browser tests check the panel, other suites check both databases."""
    return f"sqlite:///{tmp_path / 'murmur.db'}"


@pytest.fixture
def installation():
    """Nothing registered by hand: Zendesk's signed load registers `acme` itself."""
    return None


@pytest.fixture
def sidebar_backend(social_ticket, service):  # noqa: F811
    """Our app for installation `acme`, and the ticket made from Jane's pulled mention."""
    return SidebarBackend(service.url, "acme", social_ticket.ticket_id, social_ticket.requester_id)


@pytest.fixture
def unlinked_ticket(sidebar_backend):
    """Tickets of a requester the backend has never seen (an email ticket, say)."""
    return UnlinkedTicket(sidebar_backend.ticket_id + 100, sidebar_backend.ticket_id + 101,
                          sidebar_backend.requester_id + 100)


@pytest.fixture
def linkable_handle(sidebar_backend):
    """(platform, handle) that a lookup finds: the known ticket's own profile."""
    doc = fetch_document(sidebar_backend, sidebar_backend.ticket_id, sidebar_backend.requester_id)
    return doc["profile"]["platform"], doc["profile"]["handle"]


@pytest.fixture
def missing_handle():
    """A handle no connected platform knows."""
    return "@nobody" + uuid.uuid4().hex[:10]


# Maya's public history for the screenshot, oldest first: (hours ago, text).
SHOWCASE_POSTS = [
    (98, "Honestly the @murmurcoffee oat flat white is the best in town."),
    (50, "Sunday morning, beans from the market, window open. Good start."),
    (27, "Anyone know if the 4.2 firmware fixed the descaling loop?"),
    (9, "Day three without coffee. This is miserable. @murmurcoffee please?"),
]
SHOWCASE_MENTION = ("my grinder has been stuck on 'descaling' since Tuesday and nobody has answered. "
                    "Really disappointed, this is a 200\u20ac machine.")


@pytest.fixture
def showcase(connect, mastodon, zendesk, service):
    """The screenshot's ticket: Maya's mention of @murmurcoffee, pulled by Zendesk, with her
    posts of the last days and a second profile of hers linked by an agent."""
    brand = mastodon.brand
    brand.update(username="murmurcoffee", acct="murmurcoffee", display_name="Murmur Coffee",
                 url=brand["url"].rsplit("/", 1)[0] + "/@murmurcoffee")
    _, metadata = connect()
    instance = zendesk.add_instance("Mastodon", metadata)
    maya = mastodon.add_customer("maya", "Maya Okafor", domain="fosstodon.org")
    maya.update(followers_count=1287, avatar=AVATAR_URL, avatar_static=AVATAR_URL)
    mastodon.add_customer("maya", "Maya Okafor", domain="mastodon.social")
    now = datetime.now(timezone.utc)
    for hours, text in SHOWCASE_POSTS:
        mastodon.post_status(maya, text, created_at=now - timedelta(hours=hours))
    mastodon.mention(maya, f"<p>{SHOWCASE_MENTION}</p>".replace("'", "&#39;"),
                     created_at=now - timedelta(minutes=40))
    zendesk.pull_until_empty(instance)
    [ticket] = zendesk.tickets.values()
    backend = SidebarBackend(service.url, "acme", ticket.id, ticket.requester["user_id"])
    linked = call_backend(backend, ticket.id, ticket.requester["user_id"],
                          link={"platform": "mastodon", "handle": "@maya@mastodon.social"})
    assert linked.status_code == 200, linked.text
    return backend


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright (no downloads here: CI installs the apt package)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"chromium is missing at {CHROMIUM}: the sidebar's browser tests need Debian's "
                    "chromium package (apt-get install chromium), or set MURMUR_CHROMIUM", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def traffic():
    """The pages' requests to the sidebar API, which a test may fail or hold."""
    watcher = BackendTraffic()
    yield watcher
    watcher.release()


def _serve_json(data):
    return lambda route: route.fulfill(json=data)


class Sidebar:
    """Opens the sidebar in fresh browser contexts; records dialogs and uncaught page errors."""

    def __init__(self, browser, traffic):
        """Nothing opened yet."""
        self.browser = browser
        self.traffic = traffic
        self.dialogs = []
        self.errors = []
        self._contexts = []

    def open(self, backend, ticket_id, requester, zendesk=None, agent_locale="en-US", token=None,
             url=None, replaced=None, **context_options):
        """A page showing the sidebar for `ticket_id` and `requester` (a ZAF requester dict),
        for an agent whose Zendesk language is `agent_locale`, loaded with `token` (by default
        one Zendesk signed for `backend`'s account), with `replaced` ({url: JSON}) served in
        place of those files."""
        options = {"viewport": {"width": 320, "height": 900}, "locale": "en-US", "timezone_id": "UTC",
                   **context_options}
        context = self.browser.new_context(**options)
        self._contexts.append(context)
        # Loopback only: the CDN SDK is routed to the stub per page, everything else is refused.
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        context.route(AVATAR_URL, lambda route: route.fulfill(body=AVATAR, content_type="image/svg+xml"))
        page = context.new_page()
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.traffic.attach(page, backend.base_url)
        for served, data in (replaced or {}).items():
            page.route(served, _serve_json(data))
        config = stub_config(backend.subdomain, ticket_id, requester, zendesk=zendesk,
                             agent_locale=agent_locale)
        return load_signed(page, backend.base_url, config, token=token, url=url)

    def close(self):
        """Close every context opened."""
        for context in self._contexts:
            context.close()


@pytest.fixture
def sidebar(browser, traffic):
    """Open sidebars with `sidebar.open(...)`; fails the test on any uncaught page error."""
    opener = Sidebar(browser, traffic)
    yield opener
    opener.close()
    assert not opener.errors, f"uncaught errors in the sidebar: {opener.errors}"


@pytest.fixture
def requester():
    """Build a ZAF `ticket.requester`."""
    return requester_of
