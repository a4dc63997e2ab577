"""An X account's bad days: its grant revoked (health says reconnect, the admin reconnects and
nothing posted meanwhile is lost or doubled), and a 429 that pauses it for every process."""
import json
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
import requests
from sqlalchemy import select
from sqlalchemy import update

from plugin import accounts
from plugin.db import db
from plugin.intake import polling
from plugin.models import Account
from plugin.models import StoredMention
from plugin.models import utcnow
from plugin.platforms.connect import basic_auth
from plugin.platforms.x.common import author
from plugin.platforms.x.tokens import TOKEN_PATH
from plugin.secrets_box import box
from plugin.sidebar import history
from tests.conftest import OPERATOR
from tests.conftest import poll_now
from tests.platforms.x.kit import SECRETS
from tests.platforms.x.kit import XKit
from tests.test_pauses import other_process


@pytest.fixture
def account(connected):
    """acme's connected X account."""
    return connected[0]


def _stored(account_id):
    db.session.rollback()
    return sorted(db.session.scalars(select(StoredMention.external_id).where(
        StoredMention.account_id == account_id)))


def _health(client, account_id):
    db.session.rollback()
    [found] = [a for a in client.get("/healthz", headers=OPERATOR).json["accounts"]
               if a["id"] == account_id]
    return found


def _mentions_reads(x):
    return [params for method, path, params in x.requests
            if method == "GET" and path.endswith("/mentions")]


def _spend_elsewhere(x, refresh_token):
    """Another copy of the grant (a stale deployment, a leaked backup) renews it first."""
    answer = requests.post(f"{x.url}{TOKEN_PATH}", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": SECRETS["X_CLIENT_ID"]}, headers={
        "Authorization": basic_auth(SECRETS["X_CLIENT_ID"], SECRETS["X_CLIENT_SECRET"])})
    assert answer.status_code == 200, answer.text


def test_a_revoked_grant_asks_for_a_reconnect_that_loses_and_doubles_nothing(
        client, x, account):
    jane = x.add_user("jane", "Jane Doe")
    first = x.mention(jane, "order 7 is late")
    poll_now(account.id)
    assert _stored(account.id) == [f"x:{first['id']}"]
    assert _health(client, account.id)["state"] == "ok"

    # X rotates refresh tokens and revokes the grant when a spent one comes back: ours is
    # spent by another copy, then the access token expires.
    _spend_elsewhere(x, box().open(account.credentials_sealed)["refresh_token"])
    x.expire_tokens()
    meanwhile = [x.mention(jane, "any news?", reply_to=first["id"]),
                 x.mention(x.add_user("joe", "Joe"), "my refund?")]
    poll_now(account.id)
    assert x.auth.revoked  # the replayed refresh token revoked the whole grant
    assert _stored(account.id) == [f"x:{first['id']}"]
    health = _health(client, account.id)
    assert health["state"] == "reconnect"
    assert health["credentials_error"].startswith("platform_auth_failed")

    # The admin reconnects the same brand with a fresh grant: the same account, its cursor.
    db.session.rollback()
    cursor = db.session.get(Account, account.id).cursor
    again, _ = accounts.connect("x", "acme", XKit(x).connect_values())
    assert again.id == account.id and again.cursor == cursor
    reads = len(_mentions_reads(x))
    polling.queue_poll(again.id)  # as the admin UI and the CLI do after connecting
    [read] = _mentions_reads(x)[reads:]
    assert read["since_id"] == json.loads(cursor)["m"]["since"] == first["id"]
    assert _stored(account.id) == sorted(
        f"x:{post['id']}" for post in [first, *meanwhile])
    poll_now(account.id)
    assert len(_stored(account.id)) == 3
    health = _health(client, account.id)
    assert health["state"] == "ok" and health["credentials_error"] is None


def test_a_429_pauses_the_account_for_every_process_until_x_resets(app, client, x,
                                                                   account):
    jane = x.add_user("jane", "Jane Doe")
    poll_now(account.id)  # the account polls as usual: its cursor knows the brand
    post = x.mention(jane, "hello?")
    x.fail_next(1, status=429, reset_in=600, path_prefix="/2/users/")
    poll_now(account.id)
    assert x.requests[-1][1].endswith("/mentions")  # the poll's read got the 429
    reset = datetime.now(timezone.utc) + timedelta(seconds=600)
    assert _stored(account.id) == []

    health = _health(client, account.id)
    assert health["state"] == "paused" and "429" in health["pause_reason"]
    paused_until = datetime.fromisoformat(health["paused_until"])
    assert abs(paused_until.replace(tzinfo=timezone.utc) - reset) < timedelta(seconds=5)
    assert account.id not in polling.due_accounts()

    before = len(x.requests)
    web = other_process(app)
    with web.app_context():
        account = db.session.get(Account, account.id)
        customer = author(jane["id"], jane["username"], jane["name"], None)
        seen = history.history(account, customer)  # the sidebar's refresh, in another process
        assert seen.stale and seen.stale_code == "rate_limited"
        assert account.id not in polling.due_accounts()
        db.session.remove()
        db.engine.dispose()
    assert len(x.requests) == before

    # X's window resets: the poll and the sidebar reach X again.
    db.session.execute(update(Account).where(Account.id == account.id).values(
        paused_until=utcnow() - timedelta(seconds=1),
        next_poll_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert account.id in polling.due_accounts()
    poll_now(account.id)
    assert _stored(account.id) == [f"x:{post['id']}"]
    before = len(x.requests)
    seen = history.history(db.session.get(Account, account.id), customer)
    assert not seen.stale and len(x.requests) > before
