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
from plugin.platforms import REGISTRY
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import RateLimited

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)
AUTH_RETRY = timedelta(minutes=15)
# The scheduler ticks once a minute: a poll due a little after a tick would wait a whole
# extra tick, so "due" allows for the time the last poll itself took to start.
TICK_SLACK = timedelta(seconds=10)
# A platform that also pushes webhooks is polled only to catch what a missed delivery dropped.
RECONCILE_INTERVAL = timedelta(minutes=15)
# Deliveries this long silent no longer count as reaching an account (X re-checks its webhook
# hourly, but a brand may go longer without a mention: polling again costs no billed reads).
PUSH_QUIET = timedelta(hours=1)
# Receipts kept for a later acknowledgement while the platform keeps refusing it.
MAX_OWED_RECEIPTS = 1000


def poll_interval(platform: str) -> timedelta | None:
    """How often accounts of `platform` are polled at most: None if never (its mentions are
    pushed)."""
    cls = REGISTRY.get(platform)
    if cls is None or "poll" not in cls.intake:
        return None
    return timedelta(seconds=current_app.config["POLL_INTERVAL_SECONDS"])


def fed_by_webhooks(account: Account, now=None) -> bool:
    """Whether deliveries reach the account: it is then polled only to reconcile what a missed
    one dropped. Until the first delivery (no webhook registered yet), and once they stop for
    `PUSH_QUIET`, it is polled like any other."""
    cls = REGISTRY.get(account.platform)
    return bool(cls and "webhook" in cls.intake and account.last_delivery_at
                and account.last_delivery_at > (now or utcnow()) - PUSH_QUIET)


def account_interval(account: Account) -> timedelta | None:
    """How often this account is polled now (see `fed_by_webhooks`)."""
    interval = poll_interval(account.platform)
    if interval and fed_by_webhooks(account):
        return max(interval, RECONCILE_INTERVAL)
    return interval


def due_accounts(now=None) -> list[int]:
    """Ids of active, polled accounts whose next poll is due (and that no pause holds)."""
    now = now or utcnow()
    polled = [platform for platform in REGISTRY if poll_interval(platform)]
    return list(db.session.scalars(select(Account.id).where(
        Account.active.is_(True), Account.platform.in_(polled),
        or_(Account.next_poll_at.is_(None), Account.next_poll_at <= now),
        or_(Account.paused_until.is_(None), Account.paused_until <= now))))


def queue_poll(account_id: int):
    """Ask the worker to poll an account now (a newly connected one takes in its backfill)."""
    current_app.extensions["murmur.tasks"]["poll_account"](account_id)


def is_overdue(account: Account) -> bool:
    """Whether the worker is late with this account (and nothing asked it to wait).

    A pull for such an account asks the worker to poll it at once; the pull itself never
    calls the platform, so a slow platform cannot hold up Zendesk's request. An account that
    is never polled, or that deliveries reach, is never overdue: its polls (if any) only
    reconcile, on their schedule.
    """
    if poll_interval(account.platform) is None or fed_by_webhooks(account):
        return False
    now = utcnow()
    horizon = now - timedelta(seconds=current_app.config["INLINE_FETCH_AFTER_SECONDS"])
    backing_off = account.consecutive_failures and account.next_poll_at \
        and account.next_poll_at > now
    return bool(account.active and not is_paused(account, now) and not backing_off
                and (account.last_polled_at is None or account.last_polled_at < horizon))


def poll_account(account_id: int):
    """Fetch and store one account's new mentions; record success or failure on the account.

    Returns the `IngestResult`, or None when another process holds the account's lease (or
    the account's platform is not polled). Platform failures are recorded, never raised: one
    broken account never stops the rest. What the batch asks to acknowledge is acknowledged
    only once the batch is committed.
    """
    account = db.session.get(Account, account_id)
    if account is None or poll_interval(account.platform) is None:
        return None
    lease = _take_lease(account_id)
    if lease is None:
        return None
    started = utcnow()
    try:
        adapter = adapter_for(account, lease_until=lease, budgeted=True)
        batch = adapter.fetch_mentions(account.cursor, account.backfill_since)
        result = pipeline.ingest(account, adapter, batch.mentions, cursor=batch.cursor)
    except PlatformError as exc:
        db.session.rollback()
        _record_failure(db.session.get(Account, account_id), exc)
        return None
    _acknowledge(db.session.get(Account, account_id), adapter, batch.receipts)
    _record_success(db.session.get(Account, account_id), started, more=batch.more)
    log.info("account %s: %s", account_id, result)
    if batch.more:  # a long backfill or a burst: carry on at once, within the rate limit
        queue_poll(account_id)
    return result


def _acknowledge(account, adapter, receipts):
    """Acknowledge a stored batch, with whatever an earlier failed acknowledgement left owed.

    The receipts are recorded as owed first, so a crash here leaves them to a later poll.
    """
    owed = list(dict.fromkeys([*account.unacknowledged, *receipts]))[-MAX_OWED_RECEIPTS:]
    if not owed:
        return
    account.unacknowledged = owed
    db.session.commit()
    try:
        adapter.acknowledge(owed)
    except PlatformError as exc:
        log.warning("account %s: acknowledging %d items failed, retried on the next poll: %s",
                    account.id, len(owed), exc)
        return
    account.unacknowledged = []
    db.session.commit()


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
    interval = account_interval(account)
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
