"""Polling: fetch each account's new mentions, store them, and keep its health."""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from plugin import pipeline
from plugin.accounts import adapter_for
from plugin.db import db
from plugin.models import Account
from plugin.models import utcnow
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import RateLimited

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=30)
AUTH_RETRY = timedelta(minutes=15)


def due_accounts(now=None) -> list[int]:
    """Ids of active accounts whose next poll is due."""
    now = now or utcnow()
    return list(db.session.scalars(select(Account.id).where(
        Account.active.is_(True),
        or_(Account.next_poll_at.is_(None), Account.next_poll_at <= now))))


def queue_poll(account_id: int):
    """Ask the worker to poll an account now (a newly connected one takes in its backfill)."""
    current_app.extensions["murmur.tasks"]["poll_account"](account_id)


def needs_inline_fetch(account: Account) -> bool:
    """Whether a pull should fetch first because the worker has not polled lately."""
    horizon = utcnow() - timedelta(seconds=current_app.config["INLINE_FETCH_AFTER_SECONDS"])
    return account.last_polled_at is None or account.last_polled_at < horizon


def poll_account(account_id: int, *, timeout=None):
    """Fetch and store one account's new mentions; record success or failure on the account.

    Returns the `IngestResult`, or None when another process holds the account's lease.
    Platform failures are recorded, never raised: one broken account never stops the rest.
    """
    if not _take_lease(account_id):
        return None
    account = db.session.get(Account, account_id)
    try:
        adapter = adapter_for(account)
        if timeout:
            adapter.http.timeout = timeout
        batch = adapter.fetch_mentions(account.cursor, account.backfill_since)
        result = pipeline.ingest(account, adapter, batch.mentions, cursor=batch.cursor)
    except PlatformError as exc:
        db.session.rollback()
        _record_failure(db.session.get(Account, account_id), exc)
        return None
    _record_success(account, more=batch.more)
    log.info("account %s: %s", account_id, result)
    if batch.more:  # a long backfill or a burst: carry on at once, within the rate limit
        queue_poll(account_id)
    return result


def _take_lease(account_id) -> bool:
    now = utcnow()
    taken = db.session.execute(update(Account).where(
        Account.id == account_id, Account.active.is_(True),
        or_(Account.poll_lease_until.is_(None), Account.poll_lease_until < now),
    ).values(poll_lease_until=now + LEASE)).rowcount
    db.session.commit()
    return taken == 1


def _record_success(account, more=False):
    now = utcnow()
    account.last_polled_at = now
    account.last_success_at = now
    account.last_error = None
    account.consecutive_failures = 0
    account.next_poll_at = now if more else now + timedelta(
        seconds=current_app.config["POLL_INTERVAL_SECONDS"])
    account.poll_lease_until = None
    db.session.commit()


def _record_failure(account, exc):
    now = utcnow()
    account.last_polled_at = now
    account.last_error = f"{exc.code}: {exc.message}"[:2000]
    account.last_error_at = now
    account.consecutive_failures += 1
    account.poll_lease_until = None
    interval = timedelta(seconds=current_app.config["POLL_INTERVAL_SECONDS"])
    backoff = now + (AUTH_RETRY if isinstance(exc, AuthFailed)
                     else min(interval * 2 ** account.consecutive_failures, MAX_BACKOFF))
    if isinstance(exc, RateLimited):
        account.next_poll_at = max(exc.resume_at, now)
    else:  # a Retry-After on a failure only ever delays us further
        account.next_poll_at = max(backoff, exc.resume_at or backoff)
    log.warning("account %s: poll failed: %s", account.id, account.last_error)
    db.session.commit()
