"""Channel Framework event callbacks: stored, logged, and turned into ticket links."""
import logging

from sqlalchemy import select

from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.models import Account
from plugin.models import PostedReply
from plugin.models import StoredMention
from plugin.models import TicketLink
from plugin.models import ZendeskEvent

log = logging.getLogger(__name__)


def record(events: list[dict]) -> int:
    """Store each event; link external ids to tickets from `resources_created_from_external_ids`.

    Event callbacks are not signed, so a link is only made for an external id that belongs to
    one of the event's own subdomain's accounts.
    """
    for event in events:
        subdomain = event["subdomain"].lower()
        data = event["data"] or {}
        db.session.add(ZendeskEvent(
            subdomain=subdomain, type_id=event["type_id"],
            integration_instance=str(data.get("integration_instance_name") or "")[:255] or None,
            error=str(event["error"])[:2000] if event.get("error") else None, payload=event))
        level = logging.WARNING if event.get("error") else logging.INFO
        log.log(level, "zendesk event %s for %s: %s", event["type_id"], subdomain,
                event.get("error") or "ok")
        if event["type_id"] == "resources_created_from_external_ids":
            _link(subdomain, data.get("resource_events") or [])
    db.session.commit()
    return len(events)


def _link(subdomain, resource_events):
    pairs = {}
    for item in resource_events:
        if isinstance(item, dict) and item.get("external_id") and item.get("ticket_id"):
            ticket_id = item["ticket_id"]
            if isinstance(ticket_id, bool):
                continue
            try:
                ticket_id = int(ticket_id)
            except (TypeError, ValueError, OverflowError):
                continue
            if 0 < ticket_id < 2**63:  # ticket_links.ticket_id is a signed 64-bit column
                pairs[str(item["external_id"])[:255]] = ticket_id
    if not pairs:
        return
    accounts = select(Account.id).where(Account.subdomain == subdomain)
    ours = set(db.session.scalars(select(StoredMention.external_id).where(
        StoredMention.account_id.in_(accounts), StoredMention.external_id.in_(pairs))))
    ours |= set(db.session.scalars(select(PostedReply.external_id).where(
        PostedReply.account_id.in_(accounts), PostedReply.external_id.in_(pairs))))
    rows = [{"subdomain": subdomain, "external_id": external_id, "ticket_id": ticket_id}
            for external_id, ticket_id in pairs.items() if external_id in ours]
    insert_ignoring_duplicates(TicketLink, rows, ["subdomain", "external_id"])
