"""Channel Framework event callbacks: stored, logged, and turned into ticket links."""
import logging

from sqlalchemy import select

from plugin.accounts import from_metadata
from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.models import Account
from plugin.models import PostedReply
from plugin.models import StoredMention
from plugin.models import TicketLink
from plugin.models import ZendeskEvent
from plugin.models import utcnow
from plugin.errors import AppError

log = logging.getLogger(__name__)


def record(events: list[dict]) -> int:
    """Store each event; link external ids to tickets from `resources_created_from_external_ids`.

    Event callbacks are not signed, so a link is only made for an external id that belongs to
    one of the event's own subdomain's accounts, and it is only a claim: a forged one sent
    first never locks out the real one (see `plugin.sidebar.resolve`).
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
        elif event["type_id"] in LIFECYCLE:
            _lifecycle(subdomain, event["type_id"], data.get("metadata"))
    db.session.commit()
    return len(events)


# Whether each integration-instance event leaves the account polling.
LIFECYCLE = {"activate_integration_instance": True, "deactivate_integration_instance": False,
             "destroy_integration_instance": False}


def _lifecycle(subdomain, type_id, metadata):
    """Stop or resume an account's intake when Zendesk (de)activates or removes its instance.

    Only an event whose metadata carries the account's own secret counts (the callbacks are
    unsigned; the secret is what Zendesk alone holds). Resuming keeps the stored cursor, so
    what was posted while the account was off is taken in.
    """
    try:
        account = from_metadata(metadata if isinstance(metadata, str) else "", active_only=False)
    except AppError as exc:
        log.warning("zendesk event %s for %s ignored (%s)", type_id, subdomain, exc.message)
        return
    if account.subdomain != subdomain:
        log.warning("zendesk event %s for %s names another subdomain's account", type_id,
                    subdomain)
        return
    active = LIFECYCLE[type_id]
    if active and not account.active:
        account.next_poll_at = utcnow()
    account.active = active
    account.poll_lease_until = None
    log.info("account %s %s by Zendesk", account.id, "resumed" if active else "stopped")


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
    insert_ignoring_duplicates(TicketLink, rows, ["subdomain", "external_id", "ticket_id"])
