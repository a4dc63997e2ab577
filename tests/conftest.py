"""Shared fixtures: the app on SQLite and PostgreSQL, fakes of Mastodon and Zendesk, the AT Protocol
development network."""
import os
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from plugin import create_app
from plugin import accounts
from plugin.db import db
from plugin.platforms import REGISTRY
from tests.devnet.network import DevNetwork
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.rotating import FakeTokenServer
from tests.fakes.rotating import RotatingAdapter
from tests.fakes.server import LiveServer
from tests.fakes.zaf_signing import PUBLIC_PEM
from tests.fakes.zendesk import FakeZendesk

OPERATOR_TOKEN = "operator-test-token"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def poll_now(account_id):
    """The worker's next poll of the account, at once (as if it were due)."""
    from plugin.intake import polling
    from plugin.models import Account
    from plugin.models import utcnow
    db.session.rollback()  # see what other processes committed
    db.session.get(Account, account_id).next_poll_at = utcnow()
    db.session.commit()
    return polling.poll_account(account_id)
PG_ADMIN = os.environ.get("MURMUR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server URL to make throwaway databases on; stops the run if none answers."""
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.exit(f"The tests need PostgreSQL at {PG_ADMIN} (set MURMUR_TEST_PG to use another "
                    f"server; ./scripts/test starts the local one): {exc}", returncode=2)
    return PG_ADMIN


@contextmanager
def throwaway_database(pg_server):
    """A new, empty PostgreSQL database on `pg_server`; its URL, dropped afterwards."""
    name = f"murmur_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database(pg_server):
    """One throwaway PostgreSQL database for the session; each test leaves it empty."""
    with throwaway_database(pg_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each test that uses the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'murmur.db'}"
    return request.getfixturevalue("pg_database")


def _empty_tables():
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """The app with migrations applied, talking http to local fakes."""
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "PUBLIC_URL": "https://murmur.example",
        "PLATFORM_ALLOW_HTTP": True,
        "PLATFORM_ALLOW_LOOPBACK": True,
        "PLATFORM_RETRY_BACKOFF": 0,
        "PLATFORM_TIMEOUT_SECONDS": 5,
        "HUEY_IMMEDIATE": True,
        "INLINE_FETCH_AFTER_SECONDS": 0,
        "OPERATOR_TOKEN": OPERATOR_TOKEN,
        "ZENDESK_APP_PUBLIC_KEY": PUBLIC_PEM,
        "INSTANCE_PATH": str(tmp_path),
    })
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def devnet(pg_server):
    """The real AT Protocol development network (PLC, PDS, AppView) on loopback, started once per
    session when a test first asks for it, with the brand's account `acmeco.test` and two
    customers' (`network.customers`); fails, never skips, when its install is missing."""
    with throwaway_database(pg_server) as url, DevNetwork.started(url) as network:
        yield network


@pytest.fixture
def mastodon():
    """A fake Mastodon instance on a loopback port."""
    with FakeMastodon.served() as fake:
        yield fake


@pytest.fixture
def service(app):
    """Our app served over loopback HTTP, as Zendesk reaches it."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def zendesk(service):
    """A fake Zendesk account `acme` using the served integration (and called by it)."""
    with FakeZendesk(service.url, subdomain="acme") as fake:
        service.app.config["ZENDESK_BASE_URL"] = fake.api_url
        yield fake


@pytest.fixture
def connect(app, mastodon):
    """Connect your Mastodon account (as the CLI and admin UI do); returns (account, metadata)."""

    def _connect(subdomain="acme", **values):
        settings = {"base_url": mastodon.url, "access_token": mastodon.token, **values}
        return accounts.connect("mastodon", subdomain, settings)

    return _connect


@pytest.fixture
def tokens(monkeypatch):
    """A fake platform with expiring access and single-use rotating refresh tokens, its
    test-only adapter registered as `rotating`."""
    monkeypatch.setitem(REGISTRY, RotatingAdapter.name, RotatingAdapter)
    fake = FakeTokenServer(refresh_latency=0.3)
    with LiveServer(fake.app) as live:
        fake.url = live.url
        yield fake


@pytest.fixture
def rotating_account(app, tokens):
    """An account connected on the `tokens` fake with a fresh grant."""
    account, _ = accounts.connect("rotating", "acme", {"base_url": tokens.url, **tokens.grant()})
    return account
