"""Liveness with per-account health, and Prometheus metrics."""
import hmac
from datetime import timedelta

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request
from prometheus_client import CollectorRegistry
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from plugin import schema
from plugin.db import db
from plugin.errors import Unauthorized
from plugin.intake import deliveries
from plugin.intake.polling import account_interval
from plugin.models import Account
from plugin.models import ReplyLedger
from plugin.models import StoredMention
from plugin.models import utcnow
from plugin.pauses import is_paused
from plugin.platforms import REGISTRY
from plugin.platforms.base import Adapter
from plugin.platforms.errors import BudgetSpent
from plugin.usage import COUNTERS
from plugin.usage import read_budget
from plugin.usage import usage_today

bp = Blueprint("health", __name__)
# An account whose poll is this much (or two intervals) past due is stalled.
STALL_AFTER = timedelta(minutes=3)
# Credentials that expire this soon (and that Murmur cannot renew) make the account "expiring".
EXPIRY_WARNING = timedelta(days=7)


def account_health(account: Account, usage: dict | None = None) -> dict:
    """One account's health as operators see it: intake, replies, any platform pause, its
    credentials and today's usage (`usage`, from `usage_today`, else read here).

    States, in this order: inactive; reconnect (the platform refused the credentials and no
    refresh fixed it: an admin must reconnect the account); paused (the platform asked us to
    wait: intake resumes by itself at `paused_until`); budget_spent (the daily read budget is
    spent: intake resumes at 00:00 UTC); failing (the last poll failed); replies_failing (the
    last reply failed); stalled (no poll for well past its schedule: is the worker running?);
    expiring (credentials Murmur cannot refresh expire within 7 days: reconnect before
    `credentials_expire_at`); waiting (never polled yet); ok.
    """
    now = utcnow()
    if usage is None:
        usage = usage_today([account.id]).get(account.id)
    usage = usage or dict.fromkeys(COUNTERS, 0)
    budget_spent = bool(account.last_error and account.last_error.startswith(
        BudgetSpent.code) and account.next_poll_at and account.next_poll_at > now)
    reconnect = account.credentials_failed_at is not None and (
        account.last_success_at is None or account.credentials_failed_at >= account.last_success_at)
    expiring = (account.credentials_expire_at is not None
                and account.credentials_expire_at < now + EXPIRY_WARNING
                and not _refreshes(account.platform))
    interval = account_interval(account)
    last_reply = db.session.execute(
        select(ReplyLedger.status, ReplyLedger.error).where(ReplyLedger.account_id == account.id)
        .order_by(ReplyLedger.id.desc()).limit(1)).first()
    reply_error = last_reply.error if last_reply and last_reply.status == "failed" else None
    overdue = interval and account.next_poll_at and \
        account.next_poll_at < now - max(2 * interval, STALL_AFTER)
    paused = is_paused(account, now)
    if not account.active:
        state = "inactive"
    elif reconnect:
        state = "reconnect"
    elif paused:
        state = "paused"
    elif budget_spent:
        state = "budget_spent"
    elif account.last_error and (account.last_success_at is None
                                 or account.last_error_at > account.last_success_at):
        state = "failing"
    elif reply_error:
        state = "replies_failing"
    elif overdue:
        state = "stalled"
    elif expiring:
        state = "expiring"
    elif account.last_success_at is None:
        state = "waiting"
    else:
        state = "ok"
    return {
        "id": account.id, "platform": account.platform, "state": state,
        "last_success_at": _iso(account.last_success_at),
        "last_error": account.last_error, "last_error_at": _iso(account.last_error_at),
        "next_poll_at": _iso(account.next_poll_at),
        "consecutive_failures": account.consecutive_failures,
        "paused_until": _iso(account.paused_until if paused else
                             account.next_poll_at if budget_spent else None),
        "pause_reason": (account.pause_reason if paused else
                         "daily read budget spent" if budget_spent else None),
        "last_reply_error": reply_error,
        "credentials_expire_at": _iso(account.credentials_expire_at),
        "credentials_error": account.credentials_error if reconnect else None,
        "usage_today": usage,
        "daily_read_budget": read_budget(account),
    }


def _refreshes(platform) -> bool:
    """Whether the platform's adapter renews its own credentials (no reconnect needed)."""
    cls = REGISTRY.get(platform)
    return cls is not None and cls.refresh_credentials is not Adapter.refresh_credentials


def _iso(value):
    return value.isoformat() if value else None


def require_operator():
    """Let only the operator (MURMUR_OPERATOR_TOKEN as a bearer token) see per-tenant state.

    :raise Unauthorized: no token, or the wrong one (or none is configured).
    """
    if not is_operator():
        raise Unauthorized("This needs the operator token (Authorization: Bearer …, set by "
                           "MURMUR_OPERATOR_TOKEN).", code="operator_token_required")


def is_operator() -> bool:
    """Whether the request carries the configured operator token."""
    token = current_app.config.get("OPERATOR_TOKEN")
    offered = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())


@bp.get("/healthz")
def healthz():
    """Public liveness: 200 while the database answers and the schema is current, else 503.

    With the operator token it also lists each account's health and how many webhook
    deliveries are pending, unroutable and failed.
    """
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means not alive
        return jsonify(status="unavailable", database="unreachable"), 503
    if not schema.is_current():
        return jsonify(status="not ready", database="schema behind",
                       message=f"The database schema is at {schema.current_revision() or 'nothing'}; "
                               f"this code needs {schema.head_revision()}. Run "
                               "`flask --app plugin schema upgrade` or restart a process."), 503
    if not is_operator():
        return jsonify(status="ok", database="ok")
    accounts = db.session.scalars(select(Account).order_by(Account.id)).all()
    usage = usage_today()
    return jsonify(status="ok", database="ok",
                   accounts=[account_health(a, usage.get(a.id)) for a in accounts],
                   webhook_deliveries=deliveries.counts())


class _DatabaseCollector:
    """Reads the counts at scrape time, so every web and worker process agrees."""

    def collect(self):
        mentions = GaugeMetricFamily("murmur_mentions", "Stored mentions by platform and fate",
                                     labels=["platform", "fate"])
        rows = db.session.execute(select(
            StoredMention.platform, StoredMention.filtered_reason, func.count())
            .group_by(StoredMention.platform, StoredMention.filtered_reason))
        for platform, reason, count in rows:
            mentions.add_metric([platform, reason or "delivered"], count)
        yield mentions
        replies = GaugeMetricFamily("murmur_replies", "Agent replies by status",
                                    labels=["status"])
        for status, count in db.session.execute(
                select(ReplyLedger.status, func.count()).group_by(ReplyLedger.status)):
            replies.add_metric([status], count)
        yield replies
        health = GaugeMetricFamily("murmur_accounts", "Accounts by intake health",
                                   labels=["platform", "state"])
        counts = {}
        usage = usage_today()
        for account in db.session.scalars(select(Account)):
            key = (account.platform, account_health(account, usage.get(account.id))["state"])
            counts[key] = counts.get(key, 0) + 1
        for key, count in counts.items():
            health.add_metric(list(key), count)
        yield health
        webhooks = GaugeMetricFamily("murmur_webhook_deliveries",
                                     "Webhook deliveries not done, by status", labels=["status"])
        for status, count in deliveries.counts().items():
            if count:
                webhooks.add_metric([status], count)
        yield webhooks
        yield from _usage_metrics(usage)


USAGE_METRICS = {
    "calls": "Platform calls made today (UTC) by account",
    "rate_limited": "Platform answers today (UTC) that said to slow down, by account",
    "billed_reads": "Billed reads (posts a paid API counts) today (UTC) by account",
}


def _usage_metrics(usage):
    platforms = dict(db.session.execute(select(Account.id, Account.platform)).all())
    for name, about in USAGE_METRICS.items():
        family = GaugeMetricFamily(f"murmur_platform_{name}_today", about,
                                   labels=["platform", "account"])
        for account_id, counters in usage.items():
            family.add_metric([platforms.get(account_id, ""), str(account_id)], counters[name])
        yield family


@bp.get("/metrics")
def metrics():
    """Prometheus text exposition (operator token required: it spans every tenant)."""
    require_operator()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector())
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
