"""X's kit for the conformance suite: the fake X API, driven as the suite asks."""
from plugin.platforms.x.adapter import PAGE
from plugin.platforms.x.adapter import XAdapter
from plugin.platforms.x.common import external_id
from plugin.platforms.x.common import tweet_id
from plugin.platforms.x.text import weighted_length
from tests.fakes.x import FakeX
from tests.platforms.conformance.kit import Kit

SECRETS = {"X_CONSUMER_KEY": "ck", "X_CONSUMER_SECRET": "cs", "X_CLIENT_ID": "cid",
           "X_CLIENT_SECRET": "csec"}


def make_adapter(fake, credentials=None, **settings):
    """An adapter on `fake` holding fresh OAuth 2.0 user tokens for the brand."""
    return XAdapter({"base_url": fake.url, **settings},
                    credentials or fake.issue_user_token(), allow_http=True,
                    allow_loopback=True, backoff=0, app_secrets=SECRETS)


class XKit(Kit):
    """Intake follows the brand's mention timeline."""

    platform = XAdapter.name
    page_size = PAGE
    app_secrets = SECRETS
    expected_lengths = {
        "ascii": {"characters": 18}, "zwj_family": {"characters": 2},
        "zwj_profession": {"characters": 2}, "flags": {"characters": 6},
        "skin_tones": {"characters": 4}, "combining": {"characters": 4},
        "cjk": {"characters": 20}, "rtl": {"characters": 15}, "keycap": {"characters": 4},
        # Every URL counts 23 (the t.co link it becomes), with a scheme or without.
        "url": {"characters": 27}, "bare_domain": {"characters": 27},
        "handle": {"characters": 11},
    }

    @staticmethod
    def served():
        """A new fake X, served."""
        return FakeX().served()

    def adapter(self):
        return make_adapter(self.fake)

    def connect_values(self):
        token = self.fake.issue_user_token()
        return {"base_url": self.fake.url, "access_token": token["access_token"],
                "refresh_token": token["refresh_token"]}

    def customer(self, name):
        return self.fake.add_user(name, name.title())

    def mention(self, customer, text, *, reply_to=None, posted_at=None):
        post = self.fake.mention(customer, text, created_at=posted_at,
                                 reply_to=tweet_id(reply_to) if reply_to else None)
        return external_id(post["id"])

    def own_post(self, text):
        brand = self.fake.brand
        return external_id(self.fake.post(brand, f"{text} @{brand['username']}")["id"])

    def visible_reply(self, text):
        return f"@{self.fake.brand['username']} {text}"

    def parent_of(self, external):
        post = self.fake.tweets[tweet_id(external)]
        parent = next((ref["id"] for ref in post.get("referenced_tweets") or []
                       if ref["type"] == "replied_to"), None)
        return external_id(parent) if parent else None

    def posts_by_brand(self):
        return len(self.fake.brand_posts())

    def fail_next(self, status, retry_after=None):
        self.fake.fail_next(1, status=status, reset_in=retry_after)

    def malform_next(self, body):
        self.fake.malform_next(1, body)

    def mention_with_image(self, customer, url, description):
        post = self.fake.post(customer, f"@{self.fake.brand['username']} look",
                              media=[(url, description, "photo")])
        return external_id(post["id"])

    def media_of(self, external):
        return self.fake.media_of(tweet_id(external))

    def accepts(self, text):
        return weighted_length(text) <= 280

    def signed_delivery(self, body):
        return self.fake.sign(body)

    def webhook_delivery(self, customer, text):
        post = self.fake.mention(customer, text)
        return self.fake.webhook_body([post]), external_id(post["id"])
