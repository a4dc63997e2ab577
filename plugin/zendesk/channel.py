"""The Channel Framework endpoints Zendesk calls: manifest, pull, channelback and friends."""
import json
import logging
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import request
from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import defer

from plugin.intake import polling as intake
from plugin.replies import posting as replies
from plugin.accounts import from_metadata
from plugin.platforms import adapter_class
from plugin.db import db
from plugin.errors import AppError
from plugin.errors import BadRequest
from plugin.errors import NotFound
from plugin.models import Account
from plugin.models import PostedReply
from plugin.models import StoredMention
from plugin.boundary import json_body
from plugin.boundary import load
from plugin.boundary import web_url
from plugin.zendesk import events
from plugin.zendesk import schemas
from plugin.zendesk.resources import external_resource

log = logging.getLogger(__name__)
bp = Blueprint("channel", __name__, url_prefix="/channel")

PULL_LIMIT = 256
INTEGRATION_ID = "com.murmur.social-mentions"
ENDPOINTS = {
    "admin_ui": "admin.admin_ui", "pull_url": "channel.pull",
    "channelback_url": "channel.channelback", "clickthrough_url": "channel.clickthrough",
    "healthcheck_url": "channel.health", "event_callback_url": "channel.event_callback",
}


def public_url(endpoint: str) -> str:
    """The absolute URL Zendesk must use for `endpoint`, built from PUBLIC_URL.

    Never from the request's Host header (anyone can send any Host), except in development.

    :raise AppError: 503, PUBLIC_URL is not set on a deployed service.
    """
    base = current_app.config["PUBLIC_URL"]
    if not base and (current_app.debug or current_app.testing):
        base = request.host_url
    if not base:
        raise AppError("This Murmur deployment has no PUBLIC_URL set; its operator must set "
                       "it to the https address Zendesk reaches it on.", code="public_url_unset",
                       status=503)
    return base.rstrip("/") + url_for(endpoint)


@bp.get("/manifest.json")
def manifest():
    """The integration manifest Zendesk reads when the app is installed."""
    body = {
        "name": "Murmur", "id": INTEGRATION_ID, "version": "1.0.0", "author": "Murmur",
        "channelback_files": True, "create_followup_tickets": True,
        "urls": {key: public_url(endpoint) for key, endpoint in ENDPOINTS.items()},
    }
    if current_app.config["ZENDESK_PUSH_CLIENT_ID"]:
        body["push_client_id"] = current_app.config["ZENDESK_PUSH_CLIENT_ID"]
    return jsonify(body)


@bp.post("/pull")
def pull():
    """New mentions since Zendesk's `state`, oldest first, at most 256 per call."""
    form = load(schemas.pull_form, request.form.to_dict())
    account = from_metadata(form["metadata"])
    cursor = _cursor(form["state"])
    if intake.is_overdue(account):
        intake.queue_poll(account.id)  # the worker fetches; this answer is from the database
    rows = db.session.scalars(select(StoredMention).options(defer(StoredMention.raw)).where(
        StoredMention.account_id == account.id, StoredMention.seq > cursor)
        .order_by(StoredMention.seq).limit(PULL_LIMIT)).all()
    field = current_app.config["SENTIMENT_FIELD"]
    resources = [external_resource(m, field) for m in rows if m.filtered_reason is None]
    state = rows[-1].seq if rows else cursor
    return jsonify(external_resources=resources, state=json.dumps({"cursor": state}))


def _cursor(state: str) -> int:
    if not state:
        return 0
    try:
        cursor = json.loads(state)["cursor"]
    except (ValueError, KeyError, TypeError):
        raise BadRequest("state is not one Murmur issued.", code="invalid_state") from None
    # bool is an int to Python, and seq is a signed 64-bit column.
    if not isinstance(cursor, int) or isinstance(cursor, bool) or not 0 <= cursor < 2**63:
        raise BadRequest("state is not one Murmur issued.", code="invalid_state")
    return cursor


@bp.post("/channelback")
def channelback():
    """Post an agent's reply to the original thread, then answer with its external id."""
    fields = {**request.form.to_dict(), "file_urls[]": request.form.getlist("file_urls[]")}
    form = load(schemas.channelback_form, fields)
    account = from_metadata(form["metadata"])
    posted = replies.send(account, message=form["message"], parent_id=form["parent_id"],
                          thread_id=form["thread_id"],
                          request_key=form["request_unique_identifier"],
                          file_urls=form["file_urls"])
    return jsonify(external_id=posted.external_id, allow_channelback=True)


@bp.get("/clickthrough")
def clickthrough():
    """Send the agent to the post's public page: a stored post of an active account, on a
    host of its platform's (or a subdomain of one); anything else is 404 (never an open
    redirect)."""
    external_id = request.args.get("external_id", "")
    if not external_id or len(external_id) > 255 or "\x00" in external_id:
        raise NotFound("Murmur has no public link for this item.", code="unknown_external_id")
    found = db.session.execute(select(StoredMention.url, StoredMention.author_handle, Account)
                               .join(Account).where(StoredMention.external_id == external_id,
                                                    Account.active.is_(True)).limit(1)).first()
    found = found or db.session.execute(select(PostedReply.url, Account.brand_handle, Account)
                                        .join(Account).where(PostedReply.external_id == external_id,
                                                             Account.active.is_(True))
                                        .limit(1)).first()
    if found is None or not _on_platform(*found):
        raise NotFound("Murmur has no public link for this item.", code="unknown_external_id")
    return redirect(found[0], code=302)


def _on_platform(url, author_handle, account) -> bool:
    url = web_url(url)
    if not url:
        return False
    hosts = adapter_class(account.platform).web_hosts(account.settings.get("base_url"),
                                                      author_handle or "")
    host = urlsplit(url).hostname or ""
    # A server's web pages may sit on a subdomain of its name (social.example.com).
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


@bp.get("/health")
def health():
    """Zendesk's health check."""
    return jsonify(status="ok")


@bp.post("/events")
def event_callback():
    """Keep and log Zendesk's event callbacks; map our external ids to ticket ids."""
    payload = load(schemas.events_payload, json_body())
    stored = events.record(payload["events"])
    return jsonify(received=stored)

