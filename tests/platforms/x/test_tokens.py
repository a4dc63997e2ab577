"""X's OAuth 2.0 user tokens expire in two hours and rotate: an expired one is renewed once,
the new refresh token kept; a revoked grant needs a reconnect. 429s say when to come back."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import RateLimited
from plugin.platforms.x.tokens import expires_at
from tests.platforms.x.kit import make_adapter


def test_an_expired_token_is_renewed_once_and_the_new_refresh_token_kept(x, adapter):
    first = dict(adapter.credentials)
    x.expire_tokens()
    assert adapter.verify().user_id == x.brand["id"]
    renewed = adapter.credentials
    assert x.refreshes == 1
    assert renewed["access_token"] != first["access_token"]
    assert renewed["refresh_token"] != first["refresh_token"]
    assert expires_at(renewed) > datetime.now(timezone.utc) + timedelta(hours=1)
    adapter.verify()
    assert x.refreshes == 1


def test_a_revoked_grant_needs_a_reconnect(x):
    spent = x.issue_user_token()
    adapter = make_adapter(x, dict(spent))
    x.expire_tokens()
    adapter.verify()  # spends the refresh token
    stale = make_adapter(x, dict(spent))  # a copy still holding the spent one
    with pytest.raises(AuthFailed):
        stale.verify()


def test_a_429_says_when_the_window_resets(x, adapter):
    x.fail_next(1, status=429, reset_in=300)
    with pytest.raises(RateLimited) as limited:
        adapter.verify()
    expected = datetime.now(timezone.utc) + timedelta(seconds=300)
    assert abs(limited.value.resume_at - expected) < timedelta(seconds=5)
