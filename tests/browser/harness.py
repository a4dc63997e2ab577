"""Serving the app's assets as Zendesk would, and opening the sidebar in a Playwright page.

`ZendeskFrame` serves `manifest/assets/` on loopback plus `/__zendesk_proxy`, the server-side
half of the ZAF stub's `client.request`: the stub signs the JWT in the page and the relay
sends the request on to the backend, like Zendesk's proxy (so neither the app's CSP nor CORS
gets in the way, exactly as in Zendesk). The relay can fail or hold requests to the backend.
"""
import json
import threading
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from urllib.parse import quote

import jwt
import requests
from flask import Flask
from flask import Response
from flask import request
from flask import send_from_directory

ASSETS = Path(__file__).resolve().parents[2] / "manifest" / "assets"
SDK_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
STUB = Path(__file__).with_name("zaf_stub.js")
# A neutral head-and-shoulders picture for the screenshot's profile avatar.
AVATAR = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96">
<rect width="96" height="96" fill="#c2d9ec"/><circle cx="48" cy="38" r="18" fill="#5c6970"/>
<path d="M14 96c2-20 16-32 34-32s32 12 34 32z" fill="#5c6970"/></svg>"""


class ZendeskFrame:
    """The sidebar's assets and the proxy relay; `forwarded` lists what reached the backend."""

    def __init__(self):
        """No faults, nothing held."""
        self.forwarded = []
        self.asset_requests = []
        self.replaced = {}
        self._faults = []
        self._gate = threading.Event()
        self._gate.set()

    def replace(self, name, data):
        """Serve `data` as JSON in place of the asset `name` (a catalogue, say)."""
        self.replaced[name] = data

    def fail_next(self, status=500, body=None, times=1):
        """Answer the next `times` backend requests with `status` instead of forwarding them."""
        body = body or {"error": "internal", "message": "Something went wrong on our side."}
        self._faults.extend([(status, body)] * times)

    def hold(self):
        """Keep backend requests waiting until :meth:`release`."""
        self._gate.clear()

    def release(self):
        """Let held backend requests through."""
        self._gate.set()

    def app(self):
        """The Flask app: static assets and the relay."""
        app = Flask("zendesk-frame")

        @app.get("/__test/avatar.svg")
        def avatar():
            return Response(AVATAR, content_type="image/svg+xml")

        @app.get("/<path:name>")
        def asset(name):
            self.asset_requests.append(name)
            if name in self.replaced:
                return Response(json.dumps(self.replaced[name]), content_type="application/json")
            return send_from_directory(ASSETS, name, max_age=0)

        @app.post("/__zendesk_proxy")
        def relay():
            call = request.get_json()
            self._gate.wait(timeout=30)
            self.forwarded.append(call)
            if self._faults:
                status, body = self._faults.pop(0)
                return Response(json.dumps(body), status, content_type="application/json")
            try:
                answer = requests.request(call["method"], call["url"], headers=call["headers"],
                                          data=call["body"], timeout=15, allow_redirects=False)
            except requests.RequestException as exc:
                return Response(json.dumps({"error": "proxy", "message": str(exc)}), 502,
                                content_type="application/json")
            return Response(answer.content, answer.status_code,
                            content_type=answer.headers.get("Content-Type", "application/octet-stream"))

        return app


def stub_config(backend, ticket_id, requester, secret=None, zendesk=None, agent_locale="en-US"):
    """`window.__zafConfig` for the stub: what client.get/context/metadata/request answer."""
    return {
        "subdomain": backend.subdomain,
        "backend_url": backend.base_url,
        "secret": backend.secret if secret is None else secret,
        "data": {"ticket.id": ticket_id, "ticket.requester": requester,
                 "currentUser.locale": agent_locale},
        "zendesk": zendesk or {},
    }


def requester_of(requester_id, name="Jane Doe", email=None):
    """A `ticket.requester` as ZAF returns it."""
    return {"id": requester_id, "name": name, "email": email, "externalId": None,
            "identities": [{"type": "email", "value": email}] if email else []}


def open_sidebar(page, frame_url, config):
    """Load iframe.html in `page` with the stub SDK configured by `config`; returns the page."""
    page.add_init_script(f"window.__zafConfig = {json.dumps(config)};")
    page.route(SDK_URL, lambda route: route.fulfill(body=STUB.read_text(), content_type="text/javascript"))
    origin = quote(f"https://{config['subdomain']}.zendesk.com", safe="")
    page.goto(f"{frame_url}/iframe.html?origin={origin}&app_guid=test-app-guid")
    return page


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
    straight to the backend with a token as Zendesk's proxy signs it; returns the response."""
    token = jwt.encode({"iss": backend.subdomain, "ticket_id": str(ticket_id),
                        "requester_id": str(requester_id), "exp": _now() + 300, "iat": _now()},
                       backend.secret, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
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


def _now():
    return int(time.time())
