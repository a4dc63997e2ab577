"""Platform calls, 429s and billed reads per account and UTC day: counted by every process,
shown to operators, and a daily read budget intake keeps within."""
import threading
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone

from prometheus_client.parser import text_string_to_metric_families

from plugin.accounts import adapter_for
from plugin.db import db
from plugin.intake import polling as intake
from plugin.models import Account
from plugin.models import utcnow
from plugin.pauses import AccountGuard
from plugin.usage import usage_today
from tests.conftest import OPERATOR


def test_every_answered_call_is_counted_with_its_429s(app, client, connect, mastodon):
    account, _ = connect()  # its check comes before the account exists: not counted
    intake.poll_account(account.id)
    mastodon.fail_next(1, status=429, retry_after=60, path_prefix="/api/v1/notifications")
    db.session.rollback()
    db.session.get(Account, account.id).next_poll_at = utcnow()
    db.session.commit()
    intake.poll_account(account.id)
    calls = len(mastodon.requests) - 1
    usage = usage_today()[account.id]
    assert usage == {"calls": calls, "rate_limited": 1, "billed_reads": 0}
    health = client.get("/healthz", headers=OPERATOR).json["accounts"][0]
    assert health["usage_today"] == usage and health["daily_read_budget"] is None


def test_concurrent_counting_loses_nothing(app, connect, mastodon):
    account, _ = connect()
    before = usage_today().get(account.id, {"calls": 0})["calls"]
    guard = AccountGuard(account.id)

    def count():
        for _ in range(20):
            guard.record_call(False, 2)

    threads = [threading.Thread(target=count) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = usage_today()[account.id]
    assert usage["calls"] == before + 120 and usage["billed_reads"] == 240


def test_metrics_and_the_cli_show_todays_usage(app, client, connect, mastodon):
    account, _ = connect()
    adapter_for(account).lookup("mastodonpy_test")
    text = client.get("/metrics", headers=OPERATOR).get_data(as_text=True)
    samples = {(s.name, s.labels.get("account")): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples["murmur_platform_calls_today", str(account.id)] == 1
    assert samples["murmur_platform_rate_limited_today", str(account.id)] == 0
    line = app.test_cli_runner().invoke(args=["accounts", "list"]).stdout
    assert "today: calls 1, rate-limited 0, billed reads 0" in line


def next_midnight():
    return datetime.combine(utcnow().date() + timedelta(days=1), time(), tzinfo=timezone.utc)


def test_intake_never_exceeds_the_daily_read_budget(app, client, tokens):
    from plugin import accounts
    account, _ = accounts.connect("rotating", "acme", {
        "base_url": tokens.url, "daily_read_budget": "5", **tokens.grant()})
    intake.poll_account(account.id)  # bills a page of 3
    assert usage_today()[account.id]["billed_reads"] == 3
    db.session.rollback()
    db.session.get(Account, account.id).next_poll_at = utcnow()
    db.session.commit()
    before = len(tokens.requests)
    intake.poll_account(account.id)  # another page could bill 6 > 5: refused before the call
    assert len(tokens.requests) == before
    db.session.rollback()
    spent = db.session.get(Account, account.id)
    assert spent.next_poll_at == next_midnight()
    assert intake.due_accounts() == []
    health = client.get("/healthz", headers=OPERATOR).json["accounts"][0]
    assert health["state"] == "budget_spent"
    assert health["pause_reason"] == "daily read budget spent"
    assert health["paused_until"] == next_midnight().isoformat()
    assert health["usage_today"]["billed_reads"] == 3 and health["daily_read_budget"] == 5
    # Replies are never refused for it, nor an unbudgeted read (their reads still count).
    adapter_for(spent).recent_posts(adapter_for(spent).lookup("@jane"))
    assert len(tokens.requests) == before + 1
