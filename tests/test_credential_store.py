"""Credentials that change after connect: refreshed once per account however many processes
need them at once, written by compare-and-swap, and an account no refresh can save is marked
for reconnection."""
import multiprocessing
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from plugin import create_app
from plugin.accounts import adapter_for
from plugin.db import db
from plugin.models import Account
from plugin.models import utcnow
from plugin.platforms import REGISTRY
from plugin.platforms.base import Adapter
from plugin.platforms.errors import AuthFailed
from plugin.secrets_box import box
from tests.conftest import OPERATOR
from tests.fakes.rotating import RotatingAdapter

PROCESS_CONFIG = ("DATABASE_URL", "SECRET_KEY", "PLATFORM_ALLOW_HTTP", "PLATFORM_ALLOW_LOOPBACK",
                  "PLATFORM_RETRY_BACKOFF", "PLATFORM_TIMEOUT_SECONDS", "INSTANCE_PATH")


def verify_in_another_process(config, account_id, start, results):
    """A separate process (a worker, a web process) calling the platform for the account."""
    REGISTRY[RotatingAdapter.name] = RotatingAdapter
    app = create_app(config)
    with app.app_context():
        adapter = adapter_for(db.session.get(Account, account_id))
        start.wait(timeout=60)
        try:
            identity = adapter.verify()
            results.put(("ok", identity.user_id, adapter.credentials["refresh_token"]))
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            results.put(("error", f"{type(exc).__name__}: {exc}", None))
        finally:
            db.session.remove()
            db.engine.dispose()


def stored(account_id):
    db.session.rollback()
    account = db.session.get(Account, account_id)
    return account, box().open(account.credentials_sealed)


def store(account_id, credentials):
    db.session.execute(update(Account).where(Account.id == account_id)
                       .values(credentials_sealed=box().seal(credentials)))
    db.session.commit()


@pytest.mark.parametrize("trigger", ["expired", "expiring"])
def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
        app, tokens, rotating_account, trigger):
    account_id = rotating_account.id
    account, before = stored(account_id)
    version = account.credentials_version
    if trigger == "expired":  # both get 401 token_expired, then refresh
        tokens.expire_access_tokens()
    else:  # both see the stored expiry is near, and refresh before calling
        soon = utcnow() + timedelta(seconds=30)
        store(account_id, {**before, "expires_at": soon.isoformat()})
    config = {**{key: app.config[key] for key in PROCESS_CONFIG}, "TESTING": True}
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(2), spawn.Queue()
    processes = [spawn.Process(target=verify_in_another_process,
                               args=(config, account_id, start, results)) for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=90) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    assert [outcome[:2] for outcome in outcomes] == [("ok", "42")] * 2, outcomes
    assert tokens.refreshes == 1 and tokens.replays == 0 and tokens.revoked_families() == 0
    account, now_stored = stored(account_id)
    assert account.credentials_version == version + 1
    assert now_stored["refresh_token"] != before["refresh_token"]
    assert tokens.valid_refresh_tokens() == {now_stored["refresh_token"]}
    assert {outcome[2] for outcome in outcomes} == {now_stored["refresh_token"]}
    assert account.credentials_expire_at > utcnow() + timedelta(minutes=50)
    assert account.refresh_lease_until is None


def test_a_process_that_finds_newer_credentials_uses_them_without_refreshing(
        app, tokens, rotating_account):
    first, second = adapter_for(rotating_account), adapter_for(rotating_account)
    tokens.expire_access_tokens()
    first.verify()  # refreshes
    second.verify()  # its token is expired too: it finds the new version and re-reads it
    assert tokens.refreshes == 1 and tokens.replays == 0
    assert second.credentials == first.credentials == stored(rotating_account.id)[1]


def test_a_refresh_no_longer_accepted_marks_the_account_for_reconnection(
        app, client, tokens, rotating_account):
    credentials = stored(rotating_account.id)[1]
    tokens.expire_access_tokens()
    store(rotating_account.id, {**credentials, "refresh_token": "never-issued-token"})
    with pytest.raises(AuthFailed, match="Refreshing the credentials failed"):
        adapter_for(rotating_account).verify()
    db.session.rollback()  # the test's session read the account before the mark
    health = client.get("/healthz", headers=OPERATOR).json["accounts"][0]
    assert health["state"] == "reconnect"
    assert "Refreshing the credentials failed" in health["credentials_error"]
    assert "never-issued-token" not in str(health)


def test_a_revoked_grant_marks_the_account_for_reconnection(app, client, tokens,
                                                            rotating_account):
    spent = stored(rotating_account.id)[1]["refresh_token"]
    for _ in range(2):  # a leaked refresh token replayed: the server revokes the grant
        requests.post(tokens.url + "/oauth/token", timeout=5,
                      data={"grant_type": "refresh_token", "refresh_token": spent})
    with pytest.raises(AuthFailed):
        adapter_for(rotating_account).verify()
    db.session.rollback()
    assert client.get("/healthz", headers=OPERATOR).json["accounts"][0]["state"] == "reconnect"


def test_reconnecting_clears_the_mark_and_outranks_a_refresh_in_flight(app, tokens,
                                                                       rotating_account):
    from plugin import accounts
    adapter = adapter_for(rotating_account)  # holds version 0
    store_version = adapter.http.credentials.version
    accounts.connect("rotating", "acme", {"base_url": tokens.url, **tokens.grant()},
                     account=db.session.get(Account, rotating_account.id))
    account, reconnected = stored(rotating_account.id)
    assert account.credentials_version == store_version + 1
    # The old adapter's refresh now finds the newer credentials and takes them instead.
    assert adapter.http.credentials.refreshed(store_version, lambda c: pytest.fail(),
                                              lambda c: None) == reconnected


class FixedAdapter(RotatingAdapter):
    """Credentials that expire and cannot be refreshed: only a reconnect renews them."""

    name = "fixed"
    refresh_credentials = Adapter.refresh_credentials


@pytest.mark.parametrize(("cls", "state"), [(FixedAdapter, "expiring"),
                                            (RotatingAdapter, "waiting")])
def test_health_warns_of_credentials_that_expire_within_a_week(app, client, tokens,
                                                               monkeypatch, cls, state):
    from plugin import accounts
    monkeypatch.setitem(REGISTRY, cls.name, cls)
    grant = tokens.grant(expires_in=timedelta(days=3))
    accounts.connect(cls.name, "acme", {"base_url": tokens.url, **grant})
    health = client.get("/healthz", headers=OPERATOR).json["accounts"][0]
    assert health["state"] == state
    assert health["credentials_expire_at"] == grant["expires_at"]
