"""Mastodon: mentions from notifications and hashtags, replies as statuses."""
from plugin.platforms.mastodon.adapter import MastodonAdapter

__all__ = ["MastodonAdapter"]
