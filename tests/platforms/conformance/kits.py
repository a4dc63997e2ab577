"""Every platform's conformance kit, by registry key (a test checks none is missing)."""
from tests.platforms.bluesky.kit import BlueskyKit
from tests.platforms.mastodon.kit import MastodonKit
from tests.platforms.x.kit import XKit

KITS = {kit.platform: kit for kit in (BlueskyKit, MastodonKit, XKit)}
