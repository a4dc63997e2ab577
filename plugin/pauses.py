"""What every platform call of one account checks and learns, whichever process makes it.

A rate-limit pause belongs to the account, not to one adapter object: it is written to the
database the moment any process learns it (a 429, or a spent window with its reset time) and
read before every call by every process and path: the worker's poll, the pull's catch-up,
a channelback, a sidebar refresh. A poll's lease is renewed on the same beat, so a lease only
outlives its process by one short period. Every answered call is counted (see `usage`), and
intake refuses a call that could take the account past its daily read budget.
"""
from datetime import datetime
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from plugin.db import db
from plugin.models import Account
from plugin.models import utcnow
from plugin.models import AccountUsage
from plugin.platforms.errors import BudgetSpent
from plugin.platforms.errors import RateLimited
from plugin.usage import count
from plugin.usage import next_midnight
from plugin.usage import today

LEASE = timedelta(seconds=60)


class AccountGuard:
    """The database side of one account's platform calls (adapters only see its methods)."""

    def __init__(self, account_id: int, lease_until: datetime | None = None,
                 read_budget: int | None = None):
        self.account_id = account_id
        self.lease_until = lease_until  # set while this process holds the account's poll lease
        # Set for intake only: channelback and the sidebar are never refused for the budget
        # (their reads still count towards it).
        self.read_budget = read_budget
        # Bound now: adapters may call from worker threads that have no app context.
        self.engine = db.engine

    def before_call(self, most_billed: int = 0):
        """Refuse a call while the account is paused, or one that could take intake past the
        daily read budget (`most_billed` is the most it can bill); renew a poll lease this
        process holds.

        :raise RateLimited: paused until a moment still to come.
        :raise BudgetSpent: the budget could be exceeded: wait for the next UTC day.
        """
        billed_today = (select(AccountUsage.billed_reads).where(
            AccountUsage.account_id == self.account_id, AccountUsage.day == today())
            .scalar_subquery())
        with self.engine.connect() as connection:
            paused_until, reason, billed = connection.execute(
                select(Account.paused_until, Account.pause_reason, billed_today)
                .where(Account.id == self.account_id)).one()
        if paused_until and paused_until > utcnow():
            raise RateLimited(f"Paused until {paused_until:%H:%M:%S} UTC: {reason}.",
                              resume_at=paused_until)
        if self.read_budget is not None and (billed or 0) + most_billed > self.read_budget:
            raise BudgetSpent(f"The daily read budget ({self.read_budget}) is spent; intake "
                              "resumes at 00:00 UTC.", resume_at=next_midnight())
        if self.lease_until is not None:
            self.renew_lease()

    def record_call(self, rate_limited: bool, billed_reads: int):
        """Count one answered platform call (`rate_limited`: it said to slow down)."""
        with self.engine.begin() as connection:
            count(connection, self.account_id, calls=1, rate_limited=int(rate_limited),
                  billed_reads=billed_reads)

    def renew_lease(self):
        """Push this process's poll lease a period further (only if it is still ours)."""
        renewed = utcnow() + LEASE
        with self.engine.begin() as connection:
            taken = connection.execute(update(Account).where(
                Account.id == self.account_id, Account.poll_lease_until == self.lease_until)
                .values(poll_lease_until=renewed)).rowcount
        if taken:
            self.lease_until = renewed

    def learned_pause(self, until: datetime, reason: str):
        """Record that the platform wants no calls before `until` (a pause only ever grows)."""
        with self.engine.begin() as connection:
            connection.execute(update(Account).where(
                Account.id == self.account_id,
                or_(Account.paused_until.is_(None), Account.paused_until < until))
                .values(paused_until=until, pause_reason=reason[:255]))


def is_paused(account: Account, now=None) -> bool:
    """Whether `account` is inside a pause some process learnt."""
    return bool(account.paused_until and account.paused_until > (now or utcnow()))
