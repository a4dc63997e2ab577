"""Fixtures for the Mastodon adapter's tests: adapters on the fake server, two customers."""
import pytest

from plugin.platforms.mastodon.adapter import MastodonAdapter


def make_adapter(fake, **settings):
    """An adapter on the fake server with extra settings and no retry backoff."""
    return MastodonAdapter({"base_url": fake.url, **settings}, {"access_token": fake.token},
                           allow_http=True, allow_loopback=True, backoff=0)


@pytest.fixture
def adapter(mastodon):
    """An adapter on the fake server."""
    return make_adapter(mastodon)


@pytest.fixture
def alice(mastodon):
    """A customer on the brand's own instance."""
    return mastodon.add_customer("alice", "Alice")


@pytest.fixture
def bob(mastodon):
    """A customer on another instance."""
    return mastodon.add_customer("bob", "Bob", domain="example.social")
