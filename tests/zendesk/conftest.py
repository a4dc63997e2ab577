"""Fixtures for the Zendesk-side tests."""
import pytest


@pytest.fixture
def signing_in(service, monkeypatch):
    """The served app reaches its callback on its loopback URL; the fakes speak plain http."""
    service.app.config["PUBLIC_URL"] = service.url
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib's switch for http URLs
    return service
