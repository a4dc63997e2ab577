"""The shapes adapters speak in: posts, authors, what a fetch returns, what a reply made."""
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime


@dataclass(frozen=True)
class Author:
    """Who wrote a post. `id` is our stable, platform-prefixed external id."""

    id: str
    handle: str
    name: str
    avatar_url: str | None = None
    profile_url: str | None = None


@dataclass(frozen=True)
class Profile:
    """An author's public profile beyond what a post carries."""

    author: Author
    followers_count: int | None = None


ATTACHMENT_KINDS = ("image", "video", "gif", "audio", "other")


@dataclass(frozen=True)
class Attachment:
    """A file a post carries: its kind (one of `ATTACHMENT_KINDS`), where it is, and its alt
    text. `mime_type` and `preview_url` are set when the platform says them."""

    kind: str
    url: str
    description: str = ""
    mime_type: str | None = None
    preview_url: str | None = None


@dataclass(frozen=True)
class Mention:
    """One public post, normalised. Every adapter and entry point produces this shape."""

    platform: str
    external_id: str
    author: Author
    text: str
    url: str | None
    posted_at: datetime
    reply_target: dict
    raw: dict
    parent_id: str | None = None
    thread_id: str | None = None
    visibility: str = "public"
    is_repost: bool = False
    # How many people liked the post, where the platform says (capability "likes").
    likes: int | None = None
    # Its files, where the platform shares them (capability "media").
    attachments: tuple[Attachment, ...] = ()


@dataclass
class Batch:
    """What one fetch returned, oldest first, and the cursor to continue from.

    `more` says the fetch stopped at its page budget with more waiting (a long backfill or a
    burst): the caller polls again soon instead of waiting a whole interval.
    """

    mentions: list[Mention]
    cursor: str | None
    more: bool = False
    # What to `acknowledge` once these mentions are stored (read markers, inbox ids): opaque
    # strings only the adapter reads.
    receipts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookRoute:
    """Whom a verified webhook delivery is for, and the key that makes a redelivery a repeat.

    `brand_user_ids` are the platform user ids of the connected brand accounts the events
    concern (one delivery may carry events for several).
    """

    key: str
    brand_user_ids: tuple[str, ...]


@dataclass(frozen=True)
class Identity:
    """The connected (brand) account, as the platform reports it."""

    user_id: str
    handle: str
    name: str


@dataclass(frozen=True)
class Posted:
    """A reply we posted: its external id, public URL and the target for answering it."""

    external_id: str
    url: str | None
    reply_target: dict


@dataclass(frozen=True)
class SettingField:
    """One account setting as the admin form and the CLI show it."""

    name: str
    label: str
    help: str = ""
    secret: bool = False
    required: bool = True
    default: str | None = None
    choices: tuple = field(default_factory=tuple)
    max_int: int | None = None
