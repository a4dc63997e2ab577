"""X bills every post read: a daily read budget the admin sets is never exceeded, by intake
or by the sidebar's history; what was read before the budget ran out is kept, not read again."""
from sqlalchemy import func
from sqlalchemy import select

from plugin import accounts
from plugin.db import db
from plugin.intake import polling
from plugin.models import Account
from plugin.models import StoredMention
from plugin.sidebar.history import history
from plugin.usage import usage_today
from tests.conftest import OPERATOR
from tests.conftest import poll_now
from tests.platforms.x.kit import XKit

BUDGET = 200


def _stored(account_id):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(StoredMention).where(
        StoredMention.account_id == account_id))


def test_intake_and_the_sidebar_keep_within_the_daily_read_budget(client, deployed, x):
    account, _ = accounts.connect("x", "acme", {**XKit(x).connect_values(),
                                                "daily_read_budget": str(BUDGET)})
    jane = x.add_user("jane", "Jane")
    for n in range(420):
        x.mention(jane, f"complaint {n}")
    for _ in range(4):
        poll_now(account.id)
    # Two full pages fit the budget; a third could exceed it, so it was never asked for.
    assert x.billed_reads == _stored(account.id) == 200
    assert usage_today()[account.id]["billed_reads"] == 200
    health = client.get("/healthz", headers=OPERATOR).json["accounts"][0]
    assert health["state"] == "budget_spent"
    assert polling.due_accounts() == []

    before = len(x.requests)
    seen = history(db.session.get(Account, account.id),
                   XKit(x).adapter().lookup("@jane"))
    assert (seen.stale, seen.stale_code) == (True, "budget_spent")
    # Profiles are not billed as posts; the customer's posts were never asked for.
    assert not [path for _, path, _ in x.requests[before:] if path.endswith("/tweets")]
    assert x.billed_reads == 200
