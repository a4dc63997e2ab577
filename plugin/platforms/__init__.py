"""The explicit registry of platform adapters."""
from plugin.platforms.bluesky.adapter import BlueskyAdapter
from plugin.platforms.errors import NotConfigured
from plugin.platforms.mastodon.adapter import MastodonAdapter
from plugin.platforms.x.adapter import XAdapter

# The first is the admin form's default platform.
REGISTRY = {
    MastodonAdapter.name: MastodonAdapter,
    BlueskyAdapter.name: BlueskyAdapter,
    XAdapter.name: XAdapter,
}


def adapter_class(platform: str):
    """The adapter class registered for `platform`.

    :raise NotConfigured: the platform is unknown.
    """
    try:
        return REGISTRY[platform]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise NotConfigured(f"Unknown platform {platform!r}; Murmur knows {known}.") from None
