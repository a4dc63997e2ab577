"""Bluesky (AT Protocol): mentions from notifications, replies as app.bsky.feed.post records."""
from plugin.platforms.bluesky.adapter import BlueskyAdapter

__all__ = ["BlueskyAdapter"]
