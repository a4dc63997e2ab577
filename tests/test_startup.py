"""Before a process serves: the schema is brought up to date once, and the key must fit."""
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from plugin import create_app
from plugin import schema
from plugin.db import db
from plugin.models import Installation
from plugin.secrets_box import KeyMismatch
from plugin.secrets_box import box
from plugin.startup import prepare
from tests.conftest import throwaway_database


def fresh_app(database_url, tmp_path, key="key-one"):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": key,
                       "INSTANCE_PATH": str(tmp_path)})


@pytest.fixture
def fresh_url(request, tmp_path, pg_server):
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    with throwaway_database(pg_server) as url:
        yield url


@pytest.mark.parametrize("fresh_url", ["sqlite", "postgresql"], indirect=True)
def test_processes_starting_together_migrate_once(fresh_url, tmp_path):
    apps = [fresh_app(fresh_url, tmp_path) for _ in range(3)]
    errors, barrier = [], threading.Barrier(len(apps))

    def start(app):
        barrier.wait()
        try:
            prepare(app)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with apps[0].app_context():
        assert schema.is_current()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("fresh_url", ["sqlite", "postgresql"], indirect=True)
def test_healthz_is_not_ready_until_the_schema_is_current(fresh_url, tmp_path):
    app = fresh_app(fresh_url, tmp_path)
    client = app.test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json["status"] == "not ready" and "schema" in answer.json["message"]
    prepare(app)
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()


@contextmanager
def started(url, tmp_path, key):
    """An app on `url` with `key`, prepared as a process start would; its pool closed after."""
    app = fresh_app(url, tmp_path, key)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def _seal_something(url, tmp_path, key="key-one"):
    with started(url, tmp_path, key) as app:
        prepare(app)
        with app.app_context():
            db.session.add(Installation(subdomain="acme", secret_sealed=box().seal("s" * 40)))
            db.session.commit()


@pytest.mark.parametrize("fresh_url", ["sqlite", "postgresql"], indirect=True)
def test_a_key_that_cannot_open_the_stored_credentials_refuses_to_start(fresh_url, tmp_path):
    _seal_something(fresh_url, tmp_path)
    with started(fresh_url, tmp_path, "another-hosts-key") as other:
        with pytest.raises(KeyMismatch, match="another key"):
            prepare(other)
        result = other.test_cli_runner().invoke(args=["keys", "check"])
    assert result.exit_code == 1 and "another key" in result.output


@pytest.mark.parametrize("fresh_url", ["sqlite", "postgresql"], indirect=True)
def test_rotation_reseals_everything_under_the_new_key(fresh_url, tmp_path):
    _seal_something(fresh_url, tmp_path)
    with started(fresh_url, tmp_path, "brand-new-key,key-one") as both:
        result = both.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Re-sealed 1" in result.output
    with started(fresh_url, tmp_path, "brand-new-key") as new_only:
        prepare(new_only)  # the old key is no longer needed
        with new_only.app_context():
            sealed = db.session.scalar(select(Installation.secret_sealed))
            assert box().open(sealed) == "s" * 40
