"""Fixtures for intake tests: the test-only Hooked platform, registered and connected."""
import pytest

from plugin import accounts
from plugin.platforms import REGISTRY
from tests.fakes.hooked import APP_SECRET
from tests.fakes.hooked import APP_SECRET_NAME
from tests.fakes.hooked import FakeHooked
from tests.fakes.hooked import HookedAdapter


@pytest.fixture
def hooked(app, monkeypatch):
    """The Hooked platform registered and configured, with its fake API served."""
    monkeypatch.setitem(REGISTRY, HookedAdapter.name, HookedAdapter)
    monkeypatch.setitem(app.config, "PLATFORM_SECRETS", {APP_SECRET_NAME: APP_SECRET})
    with FakeHooked.served() as fake:
        yield fake


@pytest.fixture
def connected(hooked):
    """A connected Hooked account of acme: (account, metadata)."""
    return accounts.connect("hooked", "acme", {"base_url": hooked.url,
                                               "access_token": hooked.token})
