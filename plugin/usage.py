"""Platform calls, 429s and billed reads per account and UTC day, counted by every process.

Counting is one UPSERT per answered call (`n = n + 1` on the day's row), safe under any
number of concurrent writers; operators read it in /healthz, /metrics and `accounts list`.
"""
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from plugin.db import db
from plugin.models import AccountUsage
from plugin.models import utcnow

COUNTERS = ("calls", "rate_limited", "billed_reads")


def today() -> date:
    """The current UTC day."""
    return utcnow().date()


def next_midnight() -> datetime:
    """The start of the next UTC day (when a spent daily budget is renewed)."""
    return datetime.combine(today() + timedelta(days=1), time(), tzinfo=timezone.utc)


def count(connection, account_id: int, *, calls=0, rate_limited=0, billed_reads=0):
    """Add to the account's counters for today, in one statement."""
    make = {"postgresql": pg_insert, "sqlite": sqlite_insert}[connection.dialect.name]
    added = {"calls": calls, "rate_limited": rate_limited, "billed_reads": billed_reads}
    stmt = make(AccountUsage.__table__).values(account_id=account_id, day=today(), **added)
    table = AccountUsage.__table__
    connection.execute(stmt.on_conflict_do_update(
        index_elements=["account_id", "day"],
        set_={name: table.c[name] + stmt.excluded[name] for name in COUNTERS}))


def usage_today(account_ids=None) -> dict[int, dict]:
    """Today's counters by account id (accounts with no call today are left out)."""
    query = select(AccountUsage).where(AccountUsage.day == today())
    if account_ids is not None:
        query = query.where(AccountUsage.account_id.in_(account_ids))
    return {row.account_id: {name: getattr(row, name) for name in COUNTERS}
            for row in db.session.scalars(query)}


def read_budget(account) -> int | None:
    """The account's daily read budget (its setting; blank means none)."""
    value = (account.settings or {}).get("daily_read_budget")
    return int(value) if value else None
