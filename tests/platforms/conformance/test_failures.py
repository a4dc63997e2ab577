"""Failure classification: every way a platform says no becomes the one typed error that
tells the caller what to do (reconnect, wait until, retry later, give up on this post)."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Unavailable
from tests.platforms.conformance.test_intake import LONG_AGO

STATUSES = [
    ("revoked", 401, AuthFailed),
    ("server error", 500, Unavailable),
    ("overloaded", 503, Unavailable),
]


@pytest.mark.parametrize(("status", "error"), [row[1:] for row in STATUSES],
                         ids=[row[0] for row in STATUSES])
def test_status_becomes_its_typed_error(kit, status, error):
    adapter = kit.adapter()
    for _ in range(3):  # transient failures may be retried inside one call
        kit.fail_next(status)
    with pytest.raises(error):
        adapter.fetch_mentions(None, LONG_AGO)


def test_too_many_requests_says_when_to_come_back(kit):
    adapter = kit.adapter()
    kit.fail_next(429, retry_after=120)
    with pytest.raises(RateLimited) as raised:
        adapter.fetch_mentions(None, LONG_AGO)
    expected = datetime.now(timezone.utc) + timedelta(seconds=120)
    assert abs(raised.value.resume_at - expected) < timedelta(seconds=10)
    with pytest.raises(RateLimited):  # the adapter itself holds off until then
        adapter.fetch_mentions(None, LONG_AGO)


@pytest.mark.parametrize("body", ["<html>gateway</html>", "[]", '{"unexpected": true}'])
def test_an_answer_not_shaped_like_the_api_is_malformed(kit, body):
    kit.malform_next(body)
    with pytest.raises(Malformed):
        kit.adapter().verify()
