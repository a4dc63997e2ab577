"""Migrations carry an older database forward without losing what it holds."""
from contextlib import contextmanager

from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy import text

from plugin import create_app
from plugin.db import db
from plugin.models import Account
from plugin.models import StoredMention

T0 = "'2026-11-01 00:00:00+00'"


@contextmanager
def database_at_0002(database_url, tmp_path):
    """An app context on a database migrated only to revision 0002 (before this release)."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        _empty_schema()
        upgrade(revision="0002")
        try:
            yield
        finally:
            db.session.remove()
            _empty_schema()  # the next test's upgrade starts from nothing
            db.engine.dispose()


def _empty_schema():
    """PostgreSQL's test database is shared by the session: start and leave it with no tables."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()


def legacy_account(id_, subdomain="acme", base_url="https://one.example", user="7"):
    db.session.execute(text(
        "INSERT INTO accounts (id, uid, platform, subdomain, name, settings, credentials_sealed, "
        "metadata_secret_hash, brand_user_id, brand_handle, active, backfill_since, last_seq, "
        "consecutive_failures, created_at, updated_at) VALUES (:id, :uid, 'mastodon', :sub, "
        f"'n', :settings, 'x', 'h', :user, '@b', true, {T0}, 1, 0, {T0}, {T0})"),
        {"id": id_, "uid": f"u{id_}", "sub": subdomain, "user": user,
         "settings": f'{{"base_url": "{base_url}"}}'})


def test_duplicate_accounts_of_one_brand_collapse_to_the_newest(database_url, tmp_path):
    with database_at_0002(database_url, tmp_path):
        legacy_account(1)
        legacy_account(2)
        legacy_account(3, base_url="https://two.example")
        legacy_account(4, subdomain="globex")
        db.session.commit()
        upgrade()
        active = {a.id: a.active for a in db.session.scalars(select(Account))}
        assert active == {1: False, 2: True, 3: True, 4: True}


def test_upgrading_keeps_every_mention(database_url, tmp_path):
    """SQLite rebuilds a table to alter it: the rebuild must not cascade-delete child rows."""
    with database_at_0002(database_url, tmp_path):
        legacy_account(1)
        db.session.execute(text(
            "INSERT INTO mentions (id, account_id, seq, platform, external_id, thread_id, "
            "author_id, author_handle, author_name, text, visibility, reply_target, posted_at, "
            "sentiment, sentiment_label, raw, ingested_at) VALUES (1, 1, 1, 'mastodon', 'e', "
            f"'e', 'a', '@a', 'A', 't', 'public', '{{}}', {T0}, 0, 'neutral', '{{}}', {T0})"))
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT count(*) FROM mentions")).scalar() == 1
        # Mentions taken in before attachments were kept have none.
        assert db.session.scalar(select(StoredMention.attachments)) == []
