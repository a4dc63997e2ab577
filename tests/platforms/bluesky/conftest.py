"""Fixtures for the Bluesky adapter's tests: the fake PDS, an adapter with a session on it."""
import pytest

from tests.fakes.bluesky import FakeBluesky
from tests.platforms.bluesky.kit import make_adapter


@pytest.fixture
def bluesky():
    """A fake Bluesky PDS on a loopback port."""
    with FakeBluesky.served() as fake:
        yield fake


@pytest.fixture
def adapter(bluesky):
    """An adapter holding a fresh session on the fake."""
    return make_adapter(bluesky)


@pytest.fixture
def jane(bluesky):
    """A customer."""
    return bluesky.add_account("jane.example.social", "Jane Doe")
