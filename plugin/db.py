"""The database: SQLAlchemy 2 through Flask-SQLAlchemy, migrations through Flask-Migrate."""
from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=str(Path(__file__).parent / "migrations"))


def init_app(app):
    """Bind the database and migrations to `app`."""
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    migrate.init_app(app, db)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # web and worker write the same file: WAL lets readers run beside a writer,
    # and the busy timeout makes writers queue instead of failing at once.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of the app; only a power cut may lose the
        # last commits, and it saves an fsync on every commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def insert_ignoring_duplicates(model, rows, unique_columns) -> int:
    """INSERT each row unless it collides on `unique_columns`; return how many went in."""
    dialect = db.session.get_bind().dialect.name
    make = {"postgresql": pg_insert, "sqlite": sqlite_insert}[dialect]
    # Count the RETURNING rows: with an implicit RETURNING, psycopg reports rowcount -1.
    stmt = (make(model.__table__).on_conflict_do_nothing(index_elements=unique_columns)
            .returning(*model.__table__.primary_key.columns))
    connection = db.session.connection()
    return sum(len(connection.execute(stmt, row).all()) for row in rows)
