"""Fixtures for the X adapter's tests: the fake X API, an adapter with user tokens on it."""
import pytest

from plugin import accounts
from tests.fakes.x import FakeX
from tests.platforms.x.kit import SECRETS
from tests.platforms.x.kit import XKit
from tests.platforms.x.kit import make_adapter


@pytest.fixture
def x():
    """A fake X API on a loopback port."""
    with FakeX().served() as fake:
        yield fake


@pytest.fixture
def deployed(app, x):
    """The fake X, with the app configured with the deployment's X app."""
    app.config["PLATFORM_SECRETS"] = dict(SECRETS)
    return x


@pytest.fixture
def connected(deployed):
    """acme's X account, connected as the admin form would: (account, metadata)."""
    return accounts.connect("x", "acme", XKit(deployed).connect_values())


@pytest.fixture
def adapter(x):
    """An adapter holding fresh OAuth 2.0 user tokens on the fake."""
    return make_adapter(x)


@pytest.fixture
def jane(x):
    """A customer."""
    return x.add_user("jane", "Jane Doe")
