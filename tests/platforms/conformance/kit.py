"""What each platform's tests give the conformance suite: its fake, driven the same way.

A platform's author writes one `Kit` subclass in `tests/platforms/<platform>/kit.py` and adds
it to `KITS` in `tests/platforms/conformance/kits.py`; every behaviour in this folder then runs
against that platform's adapter and fake.
"""
from abc import ABC
from abc import abstractmethod
from datetime import datetime


class Kit(ABC):
    """One platform's fake over loopback HTTP and the moves the suite makes on it."""

    # The registry key of the platform.
    platform: str
    # How many mentions fill one page of the adapter's intake (to post more than two pages).
    page_size: int

    def __init__(self, fake):
        self.fake = fake

    @abstractmethod
    def adapter(self):
        """An adapter bound to the fake (loopback and plain http allowed, no back-off)."""

    @abstractmethod
    def connect_values(self) -> dict:
        """Form values that connect the fake's brand account (as the CLI takes them)."""

    @abstractmethod
    def customer(self, name: str):
        """A new customer account on the fake; the suite passes it back to `mention`."""

    @abstractmethod
    def mention(self, customer, text: str, *, reply_to: str | None = None,
                posted_at: datetime | None = None) -> str:
        """`customer` mentions the brand (in reply to our external id `reply_to`); returns the
        post's external id as the adapter names it."""

    @abstractmethod
    def own_post(self, text: str) -> str:
        """The brand posts something intake sees (its own post); returns its external id."""

    @abstractmethod
    def visible_reply(self, text: str) -> str:
        """`text` made into a reply that intake will see again (an echo to be recognised)."""

    @abstractmethod
    def parent_of(self, external_id: str) -> str | None:
        """The external id of the post that `external_id` answers, as the fake holds it."""

    @abstractmethod
    def posts_by_brand(self) -> int:
        """How many posts the brand has made on the fake."""

    @abstractmethod
    def fail_next(self, status: int, retry_after: int | None = None):
        """The next request to the fake fails with `status` (and `Retry-After`)."""

    @abstractmethod
    def malform_next(self, body: str):
        """The next request to the fake gets 200 with `body`, which is not what the API sends."""

    @abstractmethod
    def accepts(self, text: str) -> bool:
        """Whether the fake (which counts as the platform does) takes `text` as one post."""

    # The length `text_rules().measure` must give each hard string (see hard_strings.py),
    # as the platform counts it: {case id: {unit: length}}.
    expected_lengths: dict

    # Platforms with the "media" capability: a post with an image, and what a post carries.
    def mention_with_image(self, customer, url: str, description: str) -> str:
        """`customer` mentions the brand with one image at `url`; returns its external id."""
        raise NotImplementedError

    def media_of(self, external_id: str) -> list[tuple[str, str]]:
        """(MIME type, description) of each file the fake holds on a post."""
        raise NotImplementedError

    # The deployment's app-level settings (`app_settings`) the platform needs, as the
    # environment would give them; the kit's webhook deliveries are signed with them too.
    app_secrets: dict = {}

    def signed_delivery(self, body: bytes) -> dict:
        """Headers that sign a webhook delivery of `body` (platforms that take webhooks)."""
        raise NotImplementedError

    def webhook_delivery(self, customer, text: str) -> tuple[bytes, str]:
        """The raw body of a delivery in which `customer` mentions the brand, and the external
        id the adapter gives that post (platforms that take webhooks)."""
        raise NotImplementedError
