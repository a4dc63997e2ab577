"""A second registered platform for tests of the seam's platform-agnostic parts.

It speaks Mastodon's API (so the fake Mastodon serves it) but has its own name and label,
only the pasted-fields connect flow, and app-level settings an operator must provide.
"""
from plugin.platforms import REGISTRY
from plugin.platforms.connect import PASTED
from plugin.platforms.mastodon.adapter import MastodonAdapter

APP_SETTINGS = ("SECOND_CLIENT_ID", "SECOND_CLIENT_SECRET")


class SecondAdapter(MastodonAdapter):
    """Mastodon's API under another name, needing app settings."""

    name = "second"
    label = "Second Network"
    app_settings = APP_SETTINGS
    connect_flows = (PASTED,)


def register(monkeypatch):
    """Add the second platform to the registry for this test."""
    monkeypatch.setitem(REGISTRY, SecondAdapter.name, SecondAdapter)
    return SecondAdapter
