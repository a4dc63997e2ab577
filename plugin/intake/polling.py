"""Polling: fetch each account's new mentions, store them, and keep its health."""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from plugin.intake import pipeline
from plugin.accounts import adapter_for
from plugin.db import db
from plugin.models import Account
from plugin.models import utcnow
from plugin.pauses import LEASE
from plugin.pauses import is_paused
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import RateLimited

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)
AUTH_RETRY = timedelta(minutes=15)
# The scheduler ticks once a minute: a poll due a little after a tick would wait a whole
# extra tick, so "due" allows for the time the last poll itself took to start.
TICK_SLACK = timedelta(seconds=10)


def due_accounts(now=None) -> list[int]:
    """Ids of active accounts whose next poll is due (and that no platform pause holds)."""
    now = now or utcnow()
    return list(db.session.scalars(select(Account.id).where(
        Account.active.is_(True),
        or_(Account.next_poll_at.is_(None), Account.next_poll_at <= now),
        or_(Account.paused_until.is_(None), Account.paused_until <= now))))


def queue_poll(account_id: int):
    """Ask the worker to poll an account now (a newly connected one takes in its backfill)."""
    current_app.extensions["murmur.tasks"]["poll_account"](account_id)


def is_overdue(account: Account) -> bool:
    """Whether the worker is late with this account (and nothing asked it to wait).

    A pull for such an account asks the worker to poll it at once; the pull itself never
    calls the platform, so a slow platform cannot hold up Zendesk's request.
    """
    now = utcnow()
    horizon = now - timedelta(seconds=current_app.config["INLINE_FETCH_AFTER_SECONDS"])
    backing_off = account.consecutive_failures and account.next_poll_at \
        and account.next_poll_at > now
    return bool(account.active and not is_paused(account, now) and not backing_off
                and (account.last_polled_at is None or account.last_polled_at < horizon))


def poll_account(account_id: int):
    """Fetch and store one account's new mentions; record success or failure on the account.

    Returns the `IngestResult`, or None when another process holds the account's lease.
    Platform failures are recorded, never raised: one broken account never stops the rest.
    """
    lease = _take_lease(account_id)
    if lease is None:
        return None
    started = utcnow()
    account = db.session.get(Account, account_id)
    try:
        adapter = adapter_for(account, lease_until=lease, intake=True)
        batch = adapter.fetch_mentions(account.cursor, account.backfill_since)
        result = pipeline.ingest(account, adapter, batch.mentions, cursor=batch.cursor)
    except PlatformError as exc:
        db.session.rollback()
        _record_failure(db.session.get(Account, account_id), exc)
        return None
    _record_success(db.session.get(Account, account_id), started, more=batch.more)
    log.info("account %s: %s", account_id, result)
    if batch.more:  # a long backfill or a burst: carry on at once, within the rate limit
        queue_poll(account_id)
    return result


def _take_lease(account_id):
    """Take the account's poll lease (short; renewed before each platform call) or None."""
    now = utcnow()
    lease = now + LEASE
    taken = db.session.execute(update(Account).where(
        Account.id == account_id, Account.active.is_(True),
        or_(Account.poll_lease_until.is_(None), Account.poll_lease_until < now),
    ).values(poll_lease_until=lease)).rowcount
    db.session.commit()
    return lease if taken == 1 else None


def _record_success(account, started, more=False):
    now = utcnow()
    interval = timedelta(seconds=current_app.config["POLL_INTERVAL_SECONDS"])
    account.last_polled_at = now
    account.last_success_at = now
    account.last_error = None
    account.consecutive_failures = 0
    # From the start, not the end, of this poll: the interval is the poll period.
    next_poll = now if more else started + interval - TICK_SLACK
    account.next_poll_at = max(next_poll, account.paused_until or next_poll)
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
