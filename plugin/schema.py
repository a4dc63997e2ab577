"""The database schema: bring it to the code's revision once, whoever starts first.

Every process that serves or works (gunicorn's master, the Huey consumer, the operator CLI)
calls `upgrade()` before it starts, and a `release` step may call it earlier; a lock makes
concurrent starts take turns, so exactly one applies each migration and the rest find the
schema current.
"""
import fcntl
import functools
import logging
from contextlib import contextmanager

from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade as alembic_upgrade
from sqlalchemy import inspect
from sqlalchemy import text

from plugin.db import db
from plugin.db import migrate
from plugin.jobs import embedded_folder

log = logging.getLogger(__name__)

# Any fixed 64-bit number: PostgreSQL's advisory locks are keyed by it database-wide.
ADVISORY_LOCK_KEY = 0x6D75726D7572  # "murmur"


@functools.cache
def head_revision() -> str:
    """The revision the code expects."""
    config = migrate.get_config(migrate.directory)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str | None:
    """The revision the database is at (None before the first migration)."""
    # Read Alembic's table directly: /healthz asks often, and a MigrationContext logs each time.
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_current() -> bool:
    """Whether the database schema matches the code."""
    return current_revision() == head_revision()


def upgrade():
    """Apply any pending migrations, once, even when several processes start together."""
    with _migration_lock():
        if is_current():
            return
        log.info("migrating the database from %s to %s", current_revision(), head_revision())
        alembic_upgrade(directory=migrate.directory)


@contextmanager
def _migration_lock():
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": ADVISORY_LOCK_KEY})
                connection.commit()
        return
    # SQLite: a file lock beside the database, which every process on this host shares.
    path = embedded_folder(current_app.config) / "migrate.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
