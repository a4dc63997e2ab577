"""Webhook deliveries: kept raw once, then routed to their accounts and handed to the pipeline.

A verified delivery is committed before the platform gets its 2xx, and only then processed by
the worker, so a crash anywhere loses nothing: a delivery still pending after
`REQUEUE_AFTER` is queued again (up to `MAX_ATTEMPTS` times, then marked failed).
"""
import hashlib
import json
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from plugin.accounts import adapter_for
from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.intake import pipeline
from plugin.models import Account
from plugin.models import WebhookDelivery
from plugin.models import utcnow
from plugin.platforms.base import SHAPE_ERRORS
from plugin.platforms.errors import PlatformError

log = logging.getLogger(__name__)

REQUEUE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5
# Kept with each delivery besides those the adapter names: enough to tell senders apart.
KEPT_HEADERS = ("Content-Type", "User-Agent")
# What a body that is not the platform's JSON raises while being read and routed (a deeply
# nested document exhausts the parser's recursion).
UNREADABLE = (PlatformError, RecursionError, *SHAPE_ERRORS)


def store(cls, raw_body: bytes, headers) -> tuple[WebhookDelivery, bool]:
    """Keep a verified delivery for platform `cls` once; return it and whether it is new.

    A delivery the adapter cannot read or route is kept too, as failed with the reason.
    """
    row = {"platform": cls.name, "body": raw_body, "status": "pending",
           "headers": {name: headers[name] for name in (*KEPT_HEADERS, *cls.webhook_headers)
                       if name in headers}}
    try:
        route = cls.route_webhook(json.loads(raw_body), headers)
        row.update(delivery_key=_storable_key(str(route.key)),
                   brand_user_ids=[str(user_id) for user_id in route.brand_user_ids
                                   if _storable(str(user_id))])
    except UNREADABLE as exc:
        row.update(delivery_key=_digest(raw_body),
                   brand_user_ids=[], status="failed", processed_at=utcnow(),
                   reason=f"unreadable: {type(exc).__name__}: {exc}"[:2000])
    created = insert_ignoring_duplicates(WebhookDelivery, [row], ["platform", "delivery_key"])
    db.session.commit()
    delivery = db.session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.platform == cls.name,
        WebhookDelivery.delivery_key == row["delivery_key"]))
    return delivery, created == 1


def _storable(value: str) -> bool:
    """Whether every database takes `value` as a short string (no NUL, no lone surrogate)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return 0 < len(value) <= 255 and "\x00" not in value


def _storable_key(key: str) -> str:
    return key if _storable(key) else _digest(key.encode(errors="surrogatepass"))


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def queue(delivery_id: int):
    """Ask the worker to process a stored delivery."""
    current_app.extensions["murmur.tasks"]["process_delivery"](delivery_id)


def process(delivery_id: int):
    """Route a pending delivery to the active accounts it is for and ingest their mentions.

    Ends as done, unroutable (no such brand account here) or failed (the platform's adapter
    could not read it for some account: the others still get theirs). Anything else leaves it
    pending, to be queued again.
    """
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return
    accounts = db.session.scalars(select(Account).where(
        Account.platform == delivery.platform, Account.active.is_(True),
        Account.brand_user_id.in_(delivery.brand_user_ids)).order_by(Account.id)).all()
    if not accounts:
        ids = ", ".join(delivery.brand_user_ids) or "none"
        _finish(delivery_id, [], "unroutable", f"no active account is brand user {ids}")
        return
    payload = json.loads(delivery.body)
    targets = [(account.id, account.brand_user_id) for account in accounts]
    failures = []
    for account_id, brand_user_id in targets:
        account = db.session.get(Account, account_id)
        try:
            adapter = adapter_for(account)
            pipeline.ingest(account, adapter, adapter.parse_webhook(payload, brand_user_id))
            _took_in(account_id, polled="poll" in adapter.intake)
        except PlatformError as exc:
            db.session.rollback()
            failures.append(f"account {account_id}: {exc.code}: {exc.message}")
    _finish(delivery_id, [account_id for account_id, _ in targets],
            "failed" if failures else "done", "; ".join(failures)[:2000] or None)


def _took_in(account_id, polled):
    """A delivery reached the account: a polled one now polls only to reconcile; for a
    push-only one this is when intake last worked (its health)."""
    now = utcnow()
    values = {"last_delivery_at": now}
    if not polled:
        values["last_success_at"] = now
    db.session.execute(update(Account).where(Account.id == account_id).values(**values))
    db.session.commit()


def _finish(delivery_id, account_ids, status, reason):
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(
        account_ids=account_ids, status=status, reason=reason, processed_at=utcnow()))
    db.session.commit()
    if status != "done":
        log.warning("webhook delivery %s: %s (%s)", delivery_id, status, reason)


def requeue_stale() -> list[int]:
    """Queue again each delivery left pending (its worker died); give up after MAX_ATTEMPTS.

    Returns the ids queued.
    """
    now = utcnow()
    stale = (WebhookDelivery.status == "pending", WebhookDelivery.queued_at < now - REQUEUE_AFTER)
    db.session.execute(update(WebhookDelivery).where(
        *stale, WebhookDelivery.attempts >= MAX_ATTEMPTS).values(
        status="failed", processed_at=now,
        reason=f"not processed after {MAX_ATTEMPTS} attempts"))
    ids = list(db.session.scalars(update(WebhookDelivery).where(*stale).values(
        queued_at=now, attempts=WebhookDelivery.attempts + 1).returning(WebhookDelivery.id)))
    db.session.commit()
    for delivery_id in ids:
        queue(delivery_id)
    return ids


def counts() -> dict[str, int]:
    """How many deliveries are pending, unroutable and failed (done ones are not counted)."""
    found = dict(db.session.execute(
        select(WebhookDelivery.status, func.count()).where(WebhookDelivery.status != "done")
        .group_by(WebhookDelivery.status)).all())
    return {status: found.get(status, 0) for status in ("pending", "unroutable", "failed")}
