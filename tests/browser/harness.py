"""Opening the sidebar in a Playwright page as Zendesk does, and talking to its backend.

Zendesk loads a `"signed": true` location by POSTing a form with `token` (an RS256 JWT signed
with the app's key) into the app's iframe, keeping `origin` and `app_guid` in the URL. The
harness does the same with the test run's key pair, then the page, served by our real
backend, talks to that backend itself. The ZAF SDK is replaced by `zaf_stub.js`, which answers
`client.get`/`context`/`invoke` and Zendesk's own `/api/v2` from the test's data.
"""
import json
import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from urllib.parse import quote

import requests
from bs4 import BeautifulSoup

from tests.fakes.zaf_signing import signed_token

ASSETS = Path(__file__).resolve().parents[2] / "plugin" / "static" / "sidebar"
SDK_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
STUB = Path(__file__).with_name("zaf_stub.js")
INSTALLATION_ID = 7001
# A neutral head-and-shoulders picture for the screenshot's profile avatar.
AVATAR = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96">
<rect width="96" height="96" fill="#c2d9ec"/><circle cx="48" cy="38" r="18" fill="#5c6970"/>
<path d="M14 96c2-20 16-32 34-32s32 12 34 32z" fill="#5c6970"/></svg>"""
AVATAR_URL = "https://files.example.social/avatars/maya.svg"


class BackendTraffic:
    """What a page sent to the sidebar API, with faults and holds on the way (the network)."""

    def __init__(self):
        """No faults, nothing held."""
        self.forwarded = []
        self.asset_requests = []
        self._faults = []
        self._held = []
        self._holding = False

    def fail_next(self, status=500, body=None, times=1):
        """Answer the next `times` API requests with `status` instead of letting them through."""
        body = body or {"error": "internal", "message": "Something went wrong on our side."}
        self._faults.extend([(status, body)] * times)

    def hold(self):
        """Keep API requests waiting until :meth:`release`."""
        self._holding = True

    def release(self):
        """Let held API requests through."""
        self._holding = False
        while self._held:
            self._held.pop(0).continue_()

    def attach(self, page, service_url):
        """Watch `page`'s requests to the API at `service_url`."""
        page.on("request", lambda req: self.asset_requests.append(req.url))
        page.route(re.compile(re.escape(service_url) + r"/api/sidebar/.*"), self._route)

    def _route(self, route):
        request = route.request
        self.forwarded.append({"url": request.url, "method": request.method,
                               "headers": request.headers})
        if self._faults:
            status, body = self._faults.pop(0)
            route.fulfill(status=status, body=json.dumps(body), content_type="application/json")
        elif self._holding:
            self._held.append(route)
        else:
            route.continue_()


def stub_config(subdomain, ticket_id, requester, zendesk=None, agent_locale="en-US"):
    """`window.__zafConfig` for the stub: what client.get/context answer, and Zendesk's API."""
    return {
        "subdomain": subdomain,
        "data": {"ticket.id": ticket_id, "ticket.requester": requester,
                 "currentUser.locale": agent_locale},
        "zendesk": zendesk or {},
    }


def requester_of(requester_id, name="Jane Doe", email=None):
    """A `ticket.requester` as ZAF returns it."""
    return {"id": requester_id, "name": name, "email": email, "externalId": None,
            "identities": [{"type": "email", "value": email}] if email else []}


def catalogue_url(service_url, language):
    """Where the page fetches its strings for `language`."""
    return f"{service_url}/static/sidebar/i18n/{language}.json"


def sidebar_url(service_url, subdomain):
    """The location URL as Zendesk loads it: origin and app_guid in the query."""
    origin = quote(f"https://{subdomain}.zendesk.com", safe="")
    return f"{service_url}/app/sidebar?origin={origin}&app_guid=test-app-guid"


def load_signed(page, service_url, config, token=None, url=None):
    """POST the sidebar page (at `url`, by default as Zendesk addresses it) with a signed
    token, as Zendesk does; returns the page."""
    page.add_init_script(f"window.__zafConfig = {json.dumps(config)};")
    page.route(SDK_URL, lambda route: route.fulfill(body=STUB.read_text(), content_type="text/javascript"))
    token = token or signed_token(config["subdomain"], INSTALLATION_ID)
    with page.expect_navigation():
        page.evaluate("""([action, token]) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            const field = Object.assign(document.createElement('input'), { name: 'token', value: token });
            form.append(field);
            document.body.append(form);
            form.submit();
        }""", [url or sidebar_url(service_url, config["subdomain"]), token])
    return page


def session_for(base_url, subdomain):
    """A session token for `subdomain`, from a signed page load (what the page itself gets)."""
    answer = requests.post(sidebar_url(base_url, subdomain), timeout=15,
                           data={"token": signed_token(subdomain, INSTALLATION_ID)})
    answer.raise_for_status()
    meta = BeautifulSoup(answer.text, "html.parser").find("meta", attrs={"name": "murmur-session"})
    return meta["content"]


def requested_tickets(requester_id, current_ticket_id):
    """Zendesk's `users/{id}/tickets/requested.json` answer (newest first), current ticket included.

    Zendesk's own API, which the app calls through the ZAF client as the agent: the stub
    answers it from `stub_config(zendesk=...)`.
    """
    now = datetime.now(timezone.utc)
    rows = [(current_ticket_id, "Grinder stuck on descaling since Tuesday", "open", 0.1),
            (current_ticket_id - 37, "Descaling loop after firmware 4.1", "pending", 20),
            (current_ticket_id - 112, "Order 8812 arrived with a cracked carafe", "solved", 61),
            (current_ticket_id - 190, "Subscription: wrong beans in March box", "closed", 140)]
    tickets = [{"id": tid, "subject": subject, "status": status, "created_at": _iso(now - timedelta(days=days)),
                "updated_at": _iso(now - timedelta(days=days)), "requester_id": requester_id}
               for tid, subject, status, days in rows]
    return {f"/api/v2/users/{requester_id}/tickets/requested.json": {
        "tickets": tickets, "count": len(tickets), "next_page": None, "previous_page": None}}


def call_backend(backend, ticket_id, requester_id, link=None):
    """GET the ticket's sidebar document, or POST `link` ({platform, handle}) to link a profile,
    straight to the backend with the session a signed page load hands out; returns the response."""
    headers = {"Authorization": f"Bearer {session_for(backend.base_url, backend.subdomain)}"}
    if link is None:
        return requests.get(f"{backend.base_url}/api/sidebar/tickets/{ticket_id}",
                            params={"requester_id": requester_id}, headers=headers, timeout=15)
    return requests.post(f"{backend.base_url}/api/sidebar/links", headers=headers, timeout=15,
                         json={"ticket_id": ticket_id, "requester_id": requester_id, **link})


def fetch_document(backend, ticket_id, requester_id):
    """The ticket's sidebar document, straight from the backend."""
    answer = call_backend(backend, ticket_id, requester_id)
    answer.raise_for_status()
    return answer.json()


def _iso(moment):
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
