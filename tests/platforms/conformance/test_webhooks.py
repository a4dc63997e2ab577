"""Webhooks, for every platform that takes them: signatures checked over the raw bytes, a
delivery routed to the brand it is for under a stable key, and parsed into its mentions."""
import json

import pytest

from plugin.platforms import REGISTRY
from plugin.platforms.base import Adapter
from plugin.platforms.errors import WebhookForged
from plugin.platforms.errors import WebhookUnsigned

HOOKS = ("verify_webhook", "route_webhook", "parse_webhook")


def overrides(cls, name) -> bool:
    """Whether `cls` (not `Adapter`) defines `name`."""
    return any(name in vars(klass) for klass in cls.__mro__[:cls.__mro__.index(Adapter)])


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_platform_implements_the_webhook_hooks_exactly_when_it_takes_webhooks(name):
    cls = REGISTRY[name]
    for hook in HOOKS:
        assert overrides(cls, hook) == ("webhook" in cls.intake), hook


@pytest.fixture
def pushing(kit):
    """The kit, for platforms that take webhooks."""
    if "webhook" not in REGISTRY[kit.platform].intake:
        pytest.skip(f"{kit.platform} takes no webhooks")
    return kit


def test_only_a_body_as_signed_verifies(pushing):
    cls = REGISTRY[pushing.platform]
    body, _ = pushing.webhook_delivery(pushing.customer("jane"), "hello")
    headers = pushing.signed_delivery(body)

    cls.verify_webhook(body, headers, pushing.app_secrets)
    with pytest.raises(WebhookForged):
        cls.verify_webhook(body + b" ", headers, pushing.app_secrets)
    with pytest.raises(WebhookForged):
        cls.verify_webhook(body, pushing.signed_delivery(body + b" "), pushing.app_secrets)
    with pytest.raises(WebhookUnsigned):
        cls.verify_webhook(body, {}, pushing.app_secrets)


def test_a_delivery_is_routed_to_the_brand_and_parsed(pushing):
    cls = REGISTRY[pushing.platform]
    adapter = pushing.adapter()
    brand = adapter.verify().user_id
    body, external_id = pushing.webhook_delivery(pushing.customer("jane"), "where is my order?")
    headers = pushing.signed_delivery(body)

    route = cls.route_webhook(json.loads(body), headers)
    again = cls.route_webhook(json.loads(body), headers)

    assert brand in route.brand_user_ids and route.key == again.key
    [mention] = adapter.parse_webhook(json.loads(body), brand)
    assert mention.external_id == external_id and "where is my order?" in mention.text
    assert adapter.parse_webhook(json.loads(body), "not-" + brand) == []
