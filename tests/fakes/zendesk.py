"""A fake Zendesk that drives a Channel Framework integration over loopback HTTP.

It does what Zendesk does with an integration: reads the manifest, opens the admin UI with a
push token it issued (and answers `validate_token` for it), takes the name and metadata the
page posts back to `return_url` on the account's own host, pulls with `state`, turns
external resources into tickets (threading by `thread_id`/`parent_id`, `already_imported`
on a repeated `external_id`), calls channelback when an agent replies, and sends event
callbacks. Everything it receives from the integration is checked against Zendesk's schemas.
"""
import itertools
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

import requests
from bs4 import BeautifulSoup
from flask import Flask
from flask import request

from tests.fakes.schemas import validate
from tests.fakes.server import LiveServer


@dataclass
class Ticket:
    """A ticket made from external resources."""

    id: int
    thread_id: str | None
    requester: dict
    comments: list = field(default_factory=list)
    fields: list = field(default_factory=list)
    status: str = "open"


@dataclass
class Instance:
    """An integration instance (a connected account) as Zendesk keeps it."""

    name: str
    metadata: str
    state: str = ""


class FakeZendesk:
    """One Zendesk account (`subdomain`) using the integration served at `service_url`."""

    def __init__(self, service_url, subdomain="acme"):
        self.service_url = service_url.rstrip("/")
        self.subdomain = subdomain
        self.http = requests.Session()
        self.tickets: dict[int, Ticket] = {}
        self.imported: dict[str, int] = {}
        self.instances: list[Instance] = []
        self.returned: list[dict] = []
        self.pull_results: list[dict] = []
        self._ids = itertools.count(1001)
        self.users: dict[int, dict] = {}
        self.api_requests: list[dict] = []
        self.push_tokens: dict[str, str] = {}  # instance_push_id -> zendesk_access_token
        self.validate_status = None  # answer validate_token with this status instead
        self.validate_delay = 0.0  # seconds validate_token takes to answer
        self.attachments: dict[str, tuple[bytes, str]] = {}  # token -> (content, type)
        self._server = LiveServer(self._return_app())
        self.manifest = None

    def __enter__(self):
        self._server.start()
        self.manifest = self.http.get(f"{self.service_url}/channel/manifest.json").json()
        validate(self.manifest, "manifest.json")
        return self

    def __exit__(self, *exc):
        self._server.stop()

    def _return_app(self):
        app = Flask("fake-zendesk")

        @app.post("/zendesk/channels/integration_service_instances/editor_finalizer")
        def finalizer():
            self.returned.append(request.form.to_dict())
            return "<p>Account saved</p>"

        @app.post("/api/v2/any_channel/validate_token")
        def validate_token():
            body = request.get_json(silent=True) or {}
            self.api_requests.append({"path": request.path, "auth": request.authorization,
                                      "json": body})
            time.sleep(self.validate_delay)
            if self.validate_status:
                return {"error": "ServerError"}, self.validate_status
            token = self.push_tokens.get(str(body.get("instance_push_id")))
            if token and request.headers.get("Authorization") == f"Bearer {token}":
                return "", 200
            return {"error": "invalid_token", "description": "Invalid access token"}, 401

        @app.get("/attachments/token/<token>/")
        def attachment(token):
            self.api_requests.append({"path": request.path, "auth": request.authorization,
                                      "headers": dict(request.headers)})
            if token not in self.attachments:
                return {"error": "RecordNotFound", "description": "Not found"}, 404
            content, content_type = self.attachments[token]
            if content_type == "redirect":  # Zendesk hands files out from another host
                return "", 302, {"Location": content}
            return content, 200, {"Content-Type": content_type}

        @app.get("/api/v2/tickets/<int:ticket_id>.json")
        def show_ticket(ticket_id):
            self.api_requests.append({"path": request.path, "auth": request.authorization})
            ticket = self.tickets.get(ticket_id)
            if ticket is None:
                return {"error": "RecordNotFound", "description": "Not found"}, 404
            return {"ticket": {"id": ticket.id, "requester_id": ticket.requester.get("user_id"),
                               "status": ticket.status, "subject": "Social mention"}}

        @app.get("/api/v2/users/<int:user_id>/identities.json")
        def identities(user_id):
            self.api_requests.append({"path": request.path, "auth": request.authorization})
            user = self.users.get(user_id)
            if user is None:
                return {"error": "RecordNotFound", "description": "Not found"}, 404
            return {"identities": user["identities"], "next_page": None, "previous_page": None,
                    "count": len(user["identities"])}

        return app

    @property
    def api_url(self):
        """Where Murmur should send REST calls (ZENDESK_BASE_URL)."""
        return self._server.url

    @property
    def api_netloc(self):
        """Where zenpy should send REST calls (ZENPY_FORCE_NETLOC)."""
        return self._server.url.split("://", 1)[1]

    @property
    def return_url(self):
        return (f"https://{self.subdomain}.zendesk.com/zendesk/channels/"
                "integration_service_instances/editor_finalizer")

    def issue_push_token(self):
        """A new instance_push_id and its zendesk_access_token, as the admin UI is given them."""
        push = {"instance_push_id": str(uuid.uuid4()),
                "zendesk_access_token": f"zat-{uuid.uuid4().hex}"}
        self.push_tokens[push["instance_push_id"]] = push["zendesk_access_token"]
        return push

    def _url(self, key):
        # Zendesk calls the manifest's https URLs; over loopback we keep their paths.
        path = self.manifest["urls"][key].split("://", 1)[1].split("/", 1)[1]
        return f"{self.service_url}/{path}"

    # -- admin UI -----------------------------------------------------------------------
    def open_admin(self, instance=None, **extra):
        """POST the admin UI as Zendesk does when an admin adds (or edits) an account.

        A fresh push token goes with it; pass `instance_push_id=None, zendesk_access_token=None`
        to send none.
        """
        form = {"return_url": self.return_url, "subdomain": self.subdomain, "locale": "en-US",
                "name": instance.name if instance else "",
                "metadata": instance.metadata if instance else "",
                "state": instance.state if instance else "", **self.issue_push_token(),
                **extra}
        return self.http.post(self._url("admin_ui"), data=form)

    def submit_admin_form(self, page, values):
        """Fill the admin page's form with `values` and submit it, like the admin's browser."""
        soup = BeautifulSoup(page.text, "html.parser")
        form = soup.find("form")
        data = {}
        for node in form.find_all(["input", "select"]):
            if node.name == "select":
                chosen = node.find("option", selected=True) or node.find("option")
                data[node["name"]] = chosen["value"] if chosen else ""
            else:
                data[node["name"]] = node.get("value", "")
        data.update(values)
        return self.http.post(self._url("admin_ui"), data=data)

    def finish_admin(self, page):
        """Run the page's hand-back form (what admin.js submits) and record the instance."""
        soup = BeautifulSoup(page.text, "html.parser")
        form = soup.find("form", id="finish")
        data = {node["name"]: node["value"] for node in form.find_all("input")}
        action = urlsplit(form["action"])
        assert action.scheme == "https" and action.netloc == f"{self.subdomain}.zendesk.com", (
            f"the page hands the account to {form['action']}, not to this Zendesk")
        answer = self.http.post(f"{self._server.url}{action.path}", data=data)
        answer.raise_for_status()
        returned = self.returned[-1]
        assert len(returned["metadata"]) <= 5000
        for instance in self.instances:
            if instance.name == returned["name"] or instance.metadata == returned["metadata"]:
                instance.name, instance.metadata = returned["name"], returned["metadata"]
                return instance
        instance = Instance(name=returned["name"], metadata=returned["metadata"])
        self.instances.append(instance)
        return instance

    def add_instance(self, name, metadata):
        """An instance created by the operator CLI instead of the admin UI."""
        instance = Instance(name=name, metadata=metadata)
        self.instances.append(instance)
        return instance

    # -- pull -----------------------------------------------------------------------------
    def pull(self, instance, *, keep_state=True):
        """One pull: import the answer's resources; returns the raw response."""
        response = self.http.post(self._url("pull_url"),
                                  data={"metadata": instance.metadata, "state": instance.state})
        if response.status_code != 200:
            return response
        body = response.json()
        validate(body, "pull_payload.json")
        results = [self._import(resource) for resource in body["external_resources"]]
        self.pull_results.append({"results": results})
        if keep_state and "state" in body:
            instance.state = body["state"]
        created = [r for r in results if r["status"]["code"] == "success"]
        if created:
            self._send_events([{
                "type_id": "resources_created_from_external_ids",
                "data": {"request_id": uuid.uuid4().hex, "resource_events": [
                    {"type_id": r["type_id"], "external_id": r["external_resource_id"],
                     "ticket_id": r["ticket_id"], "comment_id": next(self._ids)}
                    for r in created]}}])
        return response

    def pull_until_empty(self, instance, limit=50):
        """Pull until an answer has no resources; returns how many resources came in total."""
        total = 0
        for _ in range(limit):
            response = self.pull(instance)
            assert response.status_code == 200, response.text
            count = len(response.json()["external_resources"])
            total += count
            if count == 0:
                return total
        raise AssertionError("pull never ran dry")

    def _import(self, resource):
        external_id = resource["external_id"]
        result = {"external_resource_id": external_id}
        if external_id in self.imported:
            return {**result, "status": {"code": "already_imported"}}
        parent, thread = resource.get("parent_id"), resource.get("thread_id")
        assert not (parent and thread), "send parent_id or thread_id, never both"
        ticket = None
        if parent:
            if parent not in self.imported:
                return {**result, "status": {"code": "could_not_locate_parent_external_resource",
                                             "description": parent}}
            ticket = self.tickets[self.imported[parent]]
        elif thread:
            ticket = next((t for t in self.tickets.values()
                           if t.thread_id == thread and t.status != "closed"), None)
        type_id = "comment_on_existing_ticket"
        if ticket is None:
            ticket = Ticket(id=next(self._ids), thread_id=thread,
                            requester={**resource["author"], "user_id": self._user_for(resource)},
                            fields=resource.get("fields", []))
            self.tickets[ticket.id] = ticket
            type_id = "comment_on_new_ticket"
        ticket.comments.append({"external_id": external_id, "body": resource["message"],
                                "file_urls": resource.get("file_urls", []),
                                "author": resource["author"], "public": True,
                                "created_at": resource["created_at"], "via": "channel"})
        self.imported[external_id] = ticket.id
        return {**result, "status": {"code": "success"}, "ticket_id": ticket.id,
                "type_id": type_id}

    # -- agent replies ----------------------------------------------------------------------
    def add_attachment(self, content: bytes, content_type: str, name: str) -> str:
        """A file an agent attached, served on this Zendesk's host; returns its URL.

        With `content_type` "redirect", `content` is the URL the file's address redirects to.
        """
        token = uuid.uuid4().hex
        self.attachments[token] = (content, content_type)
        return f"{self._server.url}/attachments/token/{token}/?name={name}"

    def agent_reply(self, ticket_id, text, *, instance, request_id=None, file_urls=()):
        """An agent's public reply: Zendesk calls channelback and records the answer.

        `file_urls` go as `file_urls[]` fields, which Zendesk sends only when the manifest
        asks for them with `channelback_files`.
        """
        ticket = self.tickets[ticket_id]
        last = next(c for c in reversed(ticket.comments) if c["via"] == "channel")
        form = {"message": text, "parent_id": last["external_id"], "thread_id": ticket.thread_id,
                "recipient_id": ticket.requester["external_id"], "metadata": instance.metadata,
                "request_unique_identifier": request_id or uuid.uuid4().hex}
        if file_urls:
            assert self.manifest.get("channelback_files"), "the manifest takes no files"
            form["file_urls[]"] = list(file_urls)
        response = self.http.post(self._url("channelback_url"), data=form)
        if response.status_code == 200:
            body = response.json()
            validate(body, "channelback_payload.json")
            if body["external_id"] not in self.imported:  # a network retry adds nothing
                ticket.comments.append({"external_id": body["external_id"], "body": text,
                                        "public": True, "via": "agent"})
                self.imported[body["external_id"]] = ticket_id
        return response

    def _send_events(self, events):
        stamped = [{"timestamp": "2026-11-23T09:00:00Z", "subdomain": self.subdomain,
                    "integration_name": "murmur", "integration_id": "1", **e}
                   for e in events]
        for event in stamped:
            validate(event, "event_callback_any.json")
        response = self.http.post(self._url("event_callback_url"), json={"events": stamped})
        assert response.status_code == 200, response.text

    def _user_for(self, resource):
        """The end user Zendesk keeps for a resource's author, with an any_channel identity."""
        author = resource["author"]
        for user_id, user in self.users.items():
            if any(i["value"] == author["external_id"] for i in user["identities"]):
                return user_id
        user_id = next(self._ids)
        self.users[user_id] = {"name": author.get("name"), "identities": [{
            "id": next(self._ids), "user_id": user_id, "type": "any_channel",
            "value": author["external_id"], "primary": True, "verified": True}]}
        return user_id

    def ticket_for(self, external_id) -> Ticket:
        """The ticket an external id was imported onto."""
        return self.tickets[self.imported[external_id]]
