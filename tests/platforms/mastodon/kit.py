"""Mastodon's kit for the conformance suite: the fake Mastodon, driven as the suite asks."""
from plugin.platforms.mastodon import MastodonAdapter
from plugin.platforms.mastodon.adapter import NOTIFICATIONS_PAGE
from tests.fakes import mastodon_data as data
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_media import media_entity
from tests.platforms.conformance.kit import Kit

TAG = "acmehelp"


class MastodonKit(Kit):
    """Intake follows the brand's notifications and the #acmehelp hashtag."""

    platform = MastodonAdapter.name
    page_size = NOTIFICATIONS_PAGE
    served = FakeMastodon.served
    expected_lengths = {
        "ascii": {"characters": 18}, "zwj_family": {"characters": 1},
        "zwj_profession": {"characters": 1}, "flags": {"characters": 3},
        "skin_tones": {"characters": 2}, "combining": {"characters": 4},
        "cjk": {"characters": 10}, "rtl": {"characters": 15}, "keycap": {"characters": 2},
        # Every URL with a scheme counts 23; a bare domain is plain text to Mastodon.
        "url": {"characters": 4 + 23}, "bare_domain": {"characters": 20},
        "handle": {"characters": 11},
    }

    def adapter(self):
        return MastodonAdapter({"base_url": self.fake.url, "hashtags": TAG},
                               {"access_token": self.fake.token}, allow_http=True,
                               allow_loopback=True, backoff=0)

    def connect_values(self):
        return {"base_url": self.fake.url, "access_token": self.fake.token, "hashtags": TAG}

    def customer(self, name):
        return self.fake.add_customer(name, name.title(), domain="example.social")

    def _id(self, status):
        return self.adapter().status_id(status["id"])

    def _local(self, external_id):
        return external_id.rsplit(":", 1)[1]

    def mention(self, customer, text, *, reply_to=None, posted_at=None):
        created = posted_at.isoformat().replace("+00:00", "Z") if posted_at else None
        parent = self._local(reply_to) if reply_to else None
        note = self.fake.mention(customer, f"<p>{text}</p>", in_reply_to=parent,
                                 created_at=created)
        return self._id(note["status"])

    def own_post(self, text):
        return self._id(self.fake.post_status(self.fake.brand, f"<p>{text}</p>", tags=[TAG]))

    def visible_reply(self, text):
        return f"{text} #{TAG}"

    def parent_of(self, external_id):
        parent = self.fake.statuses[self._local(external_id)].get("in_reply_to_id")
        return self.adapter().status_id(parent) if parent else None

    def posts_by_brand(self):
        return sum(1 for s in self.fake.statuses.values() if s["account"]["id"] == self.fake.brand["id"])

    def fail_next(self, status, retry_after=None):
        self.fake.fail_next(1, status=status, retry_after=retry_after)

    def malform_next(self, body):
        self.fake.malform_next(1, body)

    def mention_with_image(self, customer, url, description):
        image = media_entity(1, "image", url, description=description)
        return self._id(self.fake.mention(customer, "<p>look</p>", media=[image])["status"])

    def media_of(self, external_id):
        status = self.fake.statuses[self._local(external_id)]
        uploads = {u["entity"]["id"]: u for u in self.fake.media.uploads.values()}
        return [(uploads[m["id"]]["mime"], m["description"]) for m in status["media_attachments"]]

    def accepts(self, text):
        return data.countable_length(text, "") <= self.fake.max_characters
