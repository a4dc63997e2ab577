"""Bluesky's kit for the conformance suite: the fake PDS, driven as the suite asks."""
from plugin.platforms.bluesky import BlueskyAdapter
from plugin.platforms.bluesky.adapter import PAGE
from plugin.platforms.bluesky.session import session_credentials
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.bluesky import invalid_post
from tests.platforms.conformance.kit import Kit

TERM = "acmehelp"


def make_adapter(fake, **settings):
    """An adapter on `fake` holding a fresh session (as a connected account would)."""
    credentials = session_credentials({"app_password": fake.app_password}, fake.issue_session())
    return BlueskyAdapter({"base_url": fake.url, "handle": fake.brand["handle"], **settings},
                          credentials, allow_http=True, allow_loopback=True, backoff=0)


class BlueskyKit(Kit):
    """Intake follows the brand's notifications and a search for "acmehelp"."""

    platform = BlueskyAdapter.name
    page_size = PAGE
    served = FakeBluesky.served
    expected_lengths = {
        "ascii": {"graphemes": 18, "bytes": 18}, "zwj_family": {"graphemes": 1, "bytes": 25},
        "zwj_profession": {"graphemes": 1, "bytes": 15},
        "flags": {"graphemes": 3, "bytes": 24}, "skin_tones": {"graphemes": 2, "bytes": 16},
        "combining": {"graphemes": 4, "bytes": 10}, "cjk": {"graphemes": 10, "bytes": 30},
        "rtl": {"graphemes": 15, "bytes": 28}, "keycap": {"graphemes": 2, "bytes": 14},
        # Bluesky counts a URL as written (the app only shortens how it shows it).
        "url": {"graphemes": 55, "bytes": 55}, "bare_domain": {"graphemes": 20, "bytes": 20},
        "handle": {"graphemes": 11, "bytes": 11},
    }

    def adapter(self):
        return make_adapter(self.fake, search_terms=TERM)

    def connect_values(self):
        return {"base_url": self.fake.url, "handle": self.fake.brand["handle"],
                "app_password": self.fake.app_password, "search_terms": TERM}

    def customer(self, name):
        return self.fake.add_account(f"{name}.example.social", name.title())

    def _id(self, view):
        return "bluesky:" + view["uri"]

    def _uri(self, external_id):
        return external_id.removeprefix("bluesky:")

    def mention(self, customer, text, *, reply_to=None, posted_at=None):
        view = self.fake.mention(customer, text, created_at=posted_at,
                                 reply_to=self._uri(reply_to) if reply_to else None)
        return self._id(view)

    def own_post(self, text):
        return self._id(self.fake.post(self.fake.brand, f"{text} #{TERM}"))

    def visible_reply(self, text):
        return f"{text} #{TERM}"

    def parent_of(self, external_id):
        reply = self.fake.posts[self._uri(external_id)]["record"].get("reply")
        return "bluesky:" + reply["parent"]["uri"] if reply else None

    def posts_by_brand(self):
        return len(self.fake.brand_posts())

    def fail_next(self, status, retry_after=None):
        self.fake.fail_next(1, status=status, retry_after=retry_after)

    def malform_next(self, body):
        self.fake.malform_next(1, body)

    def mention_with_image(self, customer, url, description):
        return self._id(self.fake.mention(customer, "look", images=[(url, description)]))

    def media_of(self, external_id):
        embed = self.fake.posts[self._uri(external_id)]["record"].get("embed") or {}
        return [(image["image"]["mimeType"], image["alt"]) for image in embed.get("images", [])]

    def accepts(self, text):
        return invalid_post({"text": text, "createdAt": "2026-01-01T00:00:00.000Z"}, {}) is None
