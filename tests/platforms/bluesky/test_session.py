"""Sessions: created once from the app password, renewed with the single-use refresh JWT,
created again only when that is refused; a revoked app password means reconnecting."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import jwt
import pytest

from plugin import accounts
from plugin.db import db
from plugin.models import Account
from plugin.platforms.bluesky import BlueskyAdapter
from plugin.platforms.errors import AuthFailed
from plugin.secrets_box import box
from tests.platforms.bluesky.kit import make_adapter

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _fresh(bluesky, app_password=None):
    """An adapter holding only the app password, as a connect starts."""
    return BlueskyAdapter({"base_url": bluesky.url, "handle": bluesky.brand["handle"]},
                          {"app_password": app_password or bluesky.app_password}, allow_http=True,
                          allow_loopback=True, backoff=0)


def test_verify_creates_one_session_and_names_the_brand_by_did(bluesky):
    adapter = _fresh(bluesky)
    identity = adapter.verify()
    assert identity.user_id == bluesky.brand["did"]
    assert identity.handle == "@acme.bsky.social" and identity.name == "Acme Support"
    assert bluesky.sessions_created == 1
    assert {"accessJwt", "refreshJwt", "did", "app_password"} <= set(adapter.credentials)
    adapter.fetch_mentions(None, LONG_AGO)
    adapter.verify()
    assert bluesky.sessions_created == 1  # the session is kept, never made per call


def test_a_wrong_app_password_is_refused(bluesky):
    with pytest.raises(AuthFailed, match="Invalid identifier or password"):
        _fresh(bluesky, "wxyz-wxyz-wxyz-wxyz").verify()


def test_the_expiry_is_the_access_jwts_exp(bluesky):
    exp = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    token = jwt.encode({"exp": int(exp.timestamp())}, "k" * 32, algorithm="HS256")
    assert BlueskyAdapter.credentials_expire_at({"accessJwt": token}) == exp
    assert BlueskyAdapter.credentials_expire_at({}) < datetime.now(timezone.utc)
    assert BlueskyAdapter.credentials_expire_at({"accessJwt": "not a jwt"}) < exp


def test_an_expired_access_token_is_refreshed_once_without_a_new_session(bluesky, adapter):
    before = dict(adapter.credentials)
    bluesky.expire_access_tokens()
    adapter.fetch_mentions(None, LONG_AGO)
    assert bluesky.sessions_created == 0
    assert adapter.credentials["refreshJwt"] != before["refreshJwt"]
    refreshes = [r for r in bluesky.requests if r[1].endswith("refreshSession")]
    assert len(refreshes) == 1


def test_an_access_token_about_to_expire_is_refreshed_before_the_call(bluesky):
    bluesky.access_lifetime = timedelta(seconds=30)
    adapter = make_adapter(bluesky)
    adapter.fetch_mentions(None, LONG_AGO)
    methods = [r[1] for r in bluesky.requests]
    assert methods[0] == "com.atproto.server.refreshSession"


def test_a_spent_refresh_token_falls_back_to_the_app_password(bluesky, adapter):
    spent = dict(adapter.credentials)
    bluesky.expire_access_tokens()
    adapter.fetch_mentions(None, LONG_AGO)  # spends the refresh JWT
    other = make_adapter(bluesky)
    other.http.credentials.current = spent  # a copy holding the spent one
    bluesky.expire_access_tokens()
    other.fetch_mentions(None, LONG_AGO)
    assert bluesky.sessions_created == 1


def test_a_revoked_app_password_needs_a_reconnect(bluesky, adapter):
    bluesky.revoke_app_password()
    bluesky.expire_access_tokens()
    with pytest.raises(AuthFailed, match="Refreshing the credentials failed"):
        adapter.fetch_mentions(None, LONG_AGO)


def test_a_stored_account_writes_its_new_session_back(app, bluesky):
    values = {"base_url": bluesky.url, "handle": "acme.bsky.social",
              "app_password": bluesky.app_password}
    account, _ = accounts.connect("bluesky", "acme", values)
    assert bluesky.sessions_created == 1
    stored = box().open(account.credentials_sealed)
    bluesky.expire_access_tokens()
    accounts.adapter_for(account).fetch_mentions(None, LONG_AGO)
    db.session.expire_all()
    account = db.session.get(Account, account.id)
    renewed = box().open(account.credentials_sealed)
    assert renewed["refreshJwt"] != stored["refreshJwt"]
    assert renewed["app_password"] == bluesky.app_password
    assert account.credentials_version == 1 and bluesky.sessions_created == 1


def test_a_stored_account_whose_app_password_is_revoked_is_marked_for_reconnection(app, bluesky):
    values = {"base_url": bluesky.url, "handle": "acme.bsky.social",
              "app_password": bluesky.app_password}
    account, _ = accounts.connect("bluesky", "acme", values)
    bluesky.revoke_app_password()
    bluesky.expire_access_tokens()
    with pytest.raises(AuthFailed):
        accounts.adapter_for(account).fetch_mentions(None, LONG_AGO)
    db.session.expire_all()
    account = db.session.get(Account, account.id)
    assert account.credentials_failed_at is not None
    assert "Invalid identifier or password" in account.credentials_error
    assert bluesky.app_password not in account.credentials_error
