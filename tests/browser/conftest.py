"""Fixtures for the sidebar's browser tests: chromium, the served app and the backend.

The backend is the real plugin served over loopback (`service`), its data coming from the
fake Mastodon through the real adapter, and its tickets from the fake Zendesk's pulls.
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

from tests.browser.harness import ZendeskFrame
from tests.browser.harness import call_backend
from tests.browser.harness import fetch_document
from tests.browser.harness import open_sidebar
from tests.browser.harness import requester_of
from tests.browser.harness import stub_config
from tests.fakes.server import LiveServer
from tests.sidebar.conftest import SECRET
from tests.sidebar.conftest import installation  # noqa: F401
from tests.sidebar.conftest import social_ticket  # noqa: F401

CHROMIUM = os.environ.get("MURMUR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NOT_LOOPBACK = re.compile(r"^(?!http://127\.0\.0\.1[:/])")


class SidebarBackend(NamedTuple):
    """A running sidebar API and one ticket whose requester has a known social profile."""

    base_url: str
    secret: str
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
def sidebar_backend(social_ticket, service):  # noqa: F811
    """Our app for installation `acme`, and the ticket made from Jane's pulled mention."""
    return SidebarBackend(service.url, SECRET, "acme", social_ticket.ticket_id, social_ticket.requester_id)


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
def showcase(installation, connect, mastodon, zendesk, service, frame):  # noqa: F811
    """The screenshot's ticket: Maya's mention of @murmurcoffee, pulled by Zendesk, with her
    posts of the last days and a second profile of hers linked by an agent."""
    brand = mastodon.brand
    brand.update(username="murmurcoffee", acct="murmurcoffee", display_name="Murmur Coffee",
                 url=brand["url"].rsplit("/", 1)[0] + "/@murmurcoffee")
    _, metadata = connect()
    instance = zendesk.add_instance("Mastodon", metadata)
    maya = mastodon.add_customer("maya", "Maya Okafor", domain="fosstodon.org")
    avatar = f"{frame.url}/__test/avatar.svg"  # same origin as the app, so its CSP lets it load
    maya.update(followers_count=1287, avatar=avatar, avatar_static=avatar)
    mastodon.add_customer("maya", "Maya Okafor", domain="mastodon.social")
    now = datetime.now(timezone.utc)
    for hours, text in SHOWCASE_POSTS:
        mastodon.post_status(maya, text, created_at=now - timedelta(hours=hours))
    mastodon.mention(maya, f"<p>{SHOWCASE_MENTION}</p>".replace("'", "&#39;"),
                     created_at=now - timedelta(minutes=40))
    zendesk.pull_until_empty(instance)
    [ticket] = zendesk.tickets.values()
    backend = SidebarBackend(service.url, SECRET, "acme", ticket.id, ticket.requester["user_id"])
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
def frame():
    """The app's assets and the Zendesk proxy relay on a loopback port."""
    zendesk_frame = ZendeskFrame()
    with LiveServer(zendesk_frame.app()) as server:
        zendesk_frame.url = server.url
        yield zendesk_frame
        zendesk_frame.release()


class Sidebar:
    """Opens the sidebar in fresh browser contexts; records dialogs and uncaught page errors."""

    def __init__(self, browser, frame):
        """Nothing opened yet."""
        self.browser = browser
        self.frame = frame
        self.dialogs = []
        self.errors = []
        self._contexts = []

    def open(self, backend, ticket_id, requester, secret=None, zendesk=None, agent_locale="en-US",
             **context_options):
        """A page showing the sidebar for `ticket_id` and `requester` (a ZAF requester dict),
        for an agent whose Zendesk language is `agent_locale`."""
        options = {"viewport": {"width": 320, "height": 900}, "locale": "en-US", "timezone_id": "UTC",
                   **context_options}
        context = self.browser.new_context(**options)
        self._contexts.append(context)
        # Loopback only: the CDN SDK is routed to the stub per page, everything else is refused.
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        page = context.new_page()
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return open_sidebar(page, self.frame.url,
                            stub_config(backend, ticket_id, requester, secret=secret, zendesk=zendesk,
                                        agent_locale=agent_locale))

    def close(self):
        """Close every context opened."""
        for context in self._contexts:
            context.close()


@pytest.fixture
def sidebar(browser, frame):
    """Open sidebars with `sidebar.open(...)`; fails the test on any uncaught page error."""
    opener = Sidebar(browser, frame)
    yield opener
    opener.close()
    assert not opener.errors, f"uncaught errors in the sidebar: {opener.errors}"


@pytest.fixture
def requester():
    """Build a ZAF `ticket.requester`."""
    return requester_of
