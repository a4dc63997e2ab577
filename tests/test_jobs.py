"""Background work on Huey: the queue the configuration picks, real round trips, back-off."""
import os
import threading
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests
from flask_migrate import upgrade
from huey import RedisHuey
from huey import SqliteHuey
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from plugin import accounts
from plugin import create_app
from plugin.intake import polling as intake
from plugin.db import db
from plugin.jobs import make_huey
from plugin.models import Account
from plugin.models import StoredMention
from plugin.models import utcnow
from tests.fakes.mastodon import FakeMastodon

# Parallel runs on one machine each take their own database number.
REDIS_URL = os.environ.get("MURMUR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def flush_redis():
    try:
        RedisHuey("murmur-flush", url=REDIS_URL).storage.conn.flushdb()
    except redis.ConnectionError as exc:
        pytest.exit(f"The tests need Redis at {REDIS_URL} (set MURMUR_TEST_REDIS_URL to use "
                    f"another server; ./scripts/test starts the local one): {exc}", returncode=2)


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queued(request, database_url, tmp_path):
    """The app with a real (not immediate) queue: Huey on SQLite, or on Redis db 15."""
    config = {
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
        "PLATFORM_ALLOW_HTTP": True, "PLATFORM_ALLOW_LOOPBACK": True, "PLATFORM_RETRY_BACKOFF": 0, "HUEY_IMMEDIATE": False,
        "INSTANCE_PATH": str(tmp_path),
    }
    if request.param == "redis-queue":
        flush_redis()
        config["REDIS_URL"] = REDIS_URL
    app = create_app(config)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":  # the session's database: leave it empty
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    if request.param == "redis-queue":
        flush_redis()


def connect(fake, subdomain="acme"):
    account, _ = accounts.connect("mastodon", subdomain,
                                  {"base_url": fake.url, "access_token": fake.token})
    return account


def drain(huey):
    """Dequeue and run every queued task in-process, as a consumer would."""
    results = []
    while (task := huey.dequeue()) is not None:
        results.append(huey.execute(task))
    return results


def stored(account_id):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(StoredMention).where(
        StoredMention.account_id == account_id))


def test_make_huey_puts_the_sqlite_queue_beside_the_database(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    huey = make_huey({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'murmur.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    assert isinstance(huey, SqliteHuey)
    assert Path(huey.storage.filename).parent == folder


def test_make_huey_uses_the_instance_folder_without_sqlite(tmp_path):
    huey = make_huey({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
                      "INSTANCE_PATH": str(tmp_path)})
    assert isinstance(huey, SqliteHuey)
    assert Path(huey.storage.filename).parent == tmp_path


def test_make_huey_uses_redis_for_redis_url(tmp_path):
    flush_redis()
    huey = make_huey({"REDIS_URL": REDIS_URL, "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    assert isinstance(huey, RedisHuey)
    assert huey.storage.conn.connection_pool.connection_kwargs["db"] == int(REDIS_URL.rsplit("/", 1)[1])
    huey.enqueue(huey.task(name="murmur.noop")(lambda: None).s())
    assert huey.pending_count() == 1
    flush_redis()
    assert not (tmp_path / "huey.db").exists()


def test_poll_account_round_trip_through_the_queue(queued, mastodon):
    account = connect(mastodon)
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>first</p>")
    mastodon.mention(jane, "<p>second</p>")
    huey = queued.extensions["huey"]
    if queued.config.get("REDIS_URL"):
        assert isinstance(huey, RedisHuey)
    else:
        assert isinstance(huey, SqliteHuey)
        # tmp_path holds both the SQLite database and the instance folder here
        assert Path(huey.storage.filename).parent == Path(queued.config["INSTANCE_PATH"])

    queued.extensions["murmur.tasks"]["poll_account"](account.id)
    assert stored(account.id) == 0  # nothing happens until a consumer runs it
    assert huey.pending_count() == 1

    [result] = drain(huey)

    assert result.stored == 2
    assert stored(account.id) == 2
    assert db.session.get(Account, account.id).last_success_at is not None


def test_poll_due_queues_only_due_accounts(queued, mastodon):
    due, later, inactive = (connect(mastodon, sub) for sub in ("acme", "globex", "initech"))
    later.next_poll_at = utcnow() + timedelta(minutes=5)
    inactive.active = False
    db.session.commit()
    huey = queued.extensions["huey"]
    periodic = [t.name for t in huey.read_periodic(datetime.now())]
    assert any(name.endswith("murmur.poll_due") for name in periodic)

    queued.extensions["murmur.tasks"]["poll_due"].call_local()

    assert [task.args for task in huey.pending()] == [(due.id,)]


def test_one_failing_account_does_not_stop_another(queued, mastodon):
    with FakeMastodon.served() as broken_server:
        broken = connect(broken_server)
        healthy = connect(mastodon)
        jane = mastodon.add_customer("jane", "Jane")
        mastodon.mention(jane, "<p>hello</p>")
        broken_server.revoke_token()
        queued.extensions["murmur.tasks"]["poll_due"].call_local()
        drain(queued.extensions["huey"])
    db.session.rollback()
    assert stored(healthy.id) == 1
    assert db.session.get(Account, healthy.id).last_error is None
    assert db.session.get(Account, broken.id).last_error.startswith("platform_auth_failed")


def between(value, before, after, delta):
    return before + delta <= value <= after + delta


def test_rate_limit_backs_off_until_the_reset(app, connect, mastodon):
    account, _ = connect()
    mastodon.fail_next(1, status=429)
    assert intake.poll_account(account.id) is None
    probe = requests.get(mastodon.url + "/api/v2/instance", timeout=5)
    reset = datetime.fromisoformat(probe.headers["X-RateLimit-Reset"])
    assert account.next_poll_at == reset > utcnow()
    assert account.last_error.startswith("platform_rate_limited")
    assert account.id not in intake.due_accounts()
    assert account.id in intake.due_accounts(reset + timedelta(seconds=1))


def test_server_errors_back_off_exponentially_up_to_30_minutes(app, connect, mastodon):
    account, _ = connect()
    for failures, delay in [(1, 120), (2, 240), (3, 480)]:
        mastodon.fail_next(3, status=503)  # the GET and its two retries
        before = utcnow()
        intake.poll_account(account.id)
        assert account.consecutive_failures == failures
        assert between(account.next_poll_at, before, utcnow(), timedelta(seconds=delay))
    account.consecutive_failures = 9
    db.session.commit()
    mastodon.fail_next(3, status=503)
    before = utcnow()
    intake.poll_account(account.id)
    assert between(account.next_poll_at, before, utcnow(), timedelta(minutes=30))
    assert account.last_error.startswith("platform_unavailable")

    intake.poll_account(account.id)  # the platform is back
    assert account.consecutive_failures == 0 and account.last_error is None


def test_auth_failure_waits_15_minutes(app, connect, mastodon):
    account, _ = connect()
    mastodon.revoke_token()
    before = utcnow()
    intake.poll_account(account.id)
    assert "refused our credentials (401)" in account.last_error
    assert between(account.next_poll_at, before, utcnow(), timedelta(minutes=15))
    seen = len(mastodon.requests)
    app.extensions["murmur.tasks"]["poll_due"]()  # immediate mode: runs now
    assert len(mastodon.requests) == seen  # not polled again
    assert account.id in intake.due_accounts(utcnow() + timedelta(minutes=15, seconds=1))


def test_the_lease_prevents_concurrent_polls(app, connect, mastodon):
    account, _ = connect()
    mastodon.add_customer("jane", "Jane")
    mastodon.mention("jane", "<p>hi</p>")
    mastodon.set_latency(0.3)
    account_id = account.id  # the threads must not touch the test's session
    barrier, results = threading.Barrier(2, timeout=30), []

    def poll():
        with app.app_context():
            barrier.wait()
            results.append(intake.poll_account(account_id))

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r is None for r in results) == [False, True]
    fetches = [r for r in mastodon.requests  # first pages only (a poll then follows Link)
               if r["path"] == "/api/v1/notifications" and "max_id" not in r["query"]]
    assert len(fetches) == 1
    assert stored(account.id) == 1


def test_a_held_lease_is_respected_and_an_expired_one_taken_over(app, connect, mastodon):
    account, _ = connect()
    account.poll_lease_until = utcnow() + timedelta(minutes=1)
    db.session.commit()
    seen = len(mastodon.requests)
    assert intake.poll_account(account.id) is None
    assert len(mastodon.requests) == seen
    account.poll_lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert intake.poll_account(account.id) is not None
    assert account.poll_lease_until is None
