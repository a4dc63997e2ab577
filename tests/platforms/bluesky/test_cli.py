"""`flask --app plugin accounts add bluesky …` checks the handle and app password with the PDS
first, keeps the session it made, and the account's mentions reach Zendesk."""
import json

from sqlalchemy import func
from sqlalchemy import select

from plugin.db import db
from plugin.models import Account
from plugin.secrets_box import box


def _add(app, bluesky, password=None):
    return app.test_cli_runner().invoke(args=[
        "accounts", "add", "bluesky", "--subdomain", "acme",
        "--set", "handle=acme.bsky.social",
        "--set", f"app_password={password or bluesky.app_password}",
        "--set", f"base_url={bluesky.url}"])


def test_accounts_add_connects_and_zendesk_pulls_the_mentions(app, client, bluesky, jane):
    bluesky.mention(jane, "Where is my order? acme.example/o…")
    result = _add(app, bluesky)
    assert result.exit_code == 0, result.output
    assert bluesky.app_password not in result.output
    metadata = result.stdout.strip().splitlines()[-1]
    assert set(json.loads(metadata)) == {"account", "secret"}
    stored = box().open(db.session.scalar(select(Account.credentials_sealed)))
    assert set(stored) == {"app_password", "accessJwt", "refreshJwt", "did"}
    assert bluesky.sessions_created == 1

    pulled = client.post("/channel/pull", data={"metadata": metadata, "state": ""})
    assert pulled.status_code == 200
    [resource] = pulled.json["external_resources"]
    assert resource["message"] == "Where is my order? acme.example/o… @acme.bsky.social"
    assert resource["author"]["name"] == "Jane Doe"
    assert bluesky.sessions_created == 1


def test_accounts_add_refuses_a_wrong_app_password_with_the_reason(app, bluesky):
    result = _add(app, bluesky, password="wxyz-wxyz-wxyz-wxyz")
    assert result.exit_code != 0
    assert "Bluesky refused the session (AuthenticationRequired): Invalid identifier or " \
        "password" in result.output and "Refreshing" not in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0
