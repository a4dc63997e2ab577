"""The one interface every platform adapter implements (its shapes are in `shapes`).

Adapters know HTTP and their platform; they know nothing of Flask, Zendesk or the database.
Cursors are opaque strings the adapter alone reads (ids, timestamps or a platform's own
cursor); reply targets are JSON objects holding whatever the platform needs to answer a post
(a status id and handle on Mastodon, uri and cid of root and parent on Bluesky).
"""
import functools
from abc import ABC
from abc import abstractmethod
from datetime import datetime
from typing import ClassVar
from typing import Mapping
from urllib.parse import urlsplit

from plugin.platforms.catalogue import N_
from plugin.platforms.connect import PASTED
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import MediaRefused
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import NotShared
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Refused
from plugin.platforms.errors import Unavailable
from plugin.platforms.errors import WebhookUnsigned
from plugin.platforms.http import USER_AGENT
from plugin.platforms.http import LocalCredentials
from plugin.platforms.http import PlatformHTTP
from plugin.platforms.http import check_base_url
from plugin.platforms.media import MediaRules
from plugin.platforms.media import Upload
from plugin.platforms.shapes import Author
from plugin.platforms.shapes import Batch
from plugin.platforms.shapes import Identity
from plugin.platforms.shapes import Mention
from plugin.platforms.shapes import Posted
from plugin.platforms.shapes import Profile
from plugin.platforms.shapes import SettingField
from plugin.platforms.shapes import WebhookRoute
from plugin.platforms.text import TextRules


REPLY_MODES = ("split", "refuse")

# What a platform may or may not let Murmur do beyond intake and replies. An adapter declares
# the ones it has; the sidebar says plainly what a platform does not share.
HISTORY = "history"  # a customer's recent public posts
PROFILE = "profile"  # a customer's profile, and finding a customer by handle
MEDIA = "media"  # attachments in mentions and in replies
LIKES = "likes"  # how many people liked a post
CAPABILITIES = (HISTORY, PROFILE, MEDIA, LIKES)


# The adapter methods that read platform answers; a mis-shaped answer in any of them is a
# `Malformed` platform failure, never a KeyError deep in our code.
PARSING_METHODS = ("verify", "fetch_mentions", "resolve_threads", "post_reply", "recent_posts",
                   "profile", "lookup", "text_rules", "media_rules", "parse_webhook")
SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def _guarded(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except PlatformError:
            raise
        except SHAPE_ERRORS as exc:
            raise Malformed(f"{self.label} sent an answer Murmur cannot read "
                            f"({type(exc).__name__} in {method.__name__}).") from exc
    call.guarded = True
    return call


class Adapter(ABC):
    """A platform adapter bound to one account's settings and credentials."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in PARSING_METHODS:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "guarded", False):
                setattr(cls, name, _guarded(method))

    name: ClassVar[str]
    label: ClassVar[str]
    intake: ClassVar[frozenset] = frozenset({"poll"})
    # The optional capabilities (CAPABILITIES) this platform has.
    capabilities: ClassVar[frozenset] = frozenset()
    fields: ClassVar[tuple] = ()
    default_base_url: ClassVar[str | None] = None
    # Environment names of the app-level settings the platform needs (one developer app per
    # deployment: webhook secrets, OAuth clients). While one is missing the platform is "not
    # configured": listed as such, and no account of it can be connected.
    app_settings: ClassVar[tuple[str, ...]] = ()
    # How an admin connects an account (`plugin.platforms.connect`): pasting `fields`, and
    # optionally signing in with the platform.
    connect_flows: ClassVar[tuple] = (PASTED,)
    # Request headers a webhook delivery is kept with (its signature, its delivery id).
    webhook_headers: ClassVar[tuple[str, ...]] = ()
    # An example handle, as an agent would type it to look someone up.
    handle_example: ClassVar[str] = "@name"
    # What the connect form says when `verify` fails, by kind of failure: (field, advice).
    # `%(platform)s` is the label; adapters replace entries with their own words.
    verify_advice: ClassVar[dict] = {
        AuthFailed: (None, N_("%(platform)s refused these credentials. Check them, or create "
                              "new ones, and paste them here.")),
        Refused: ("base_url", N_("This address did not answer like %(platform)s. Check the "
                                 "API base URL.")),
        Unavailable: ("base_url", N_("Murmur could not reach %(platform)s at this address. "
                                     "Check the address, or try again in a few minutes.")),
        RateLimited: (None, N_("%(platform)s asked Murmur to slow down. Wait a few minutes, "
                               "then save again.")),
    }

    # Sent with every request to the platform (some platforms require their own form).
    user_agent: ClassVar[str] = USER_AGENT

    def __init__(self, settings: dict, credentials: dict, *, allow_http=False, timeout=10.0,
                 backoff=0.5, guard=None, store=None, allow_loopback=False, app_secrets=None):
        self.settings = settings
        # The deployment's `app_settings` (a consumer key that signs every request).
        self.app_secrets = app_secrets or {}
        self.base_url = check_base_url(settings.get("base_url") or self.default_base_url,
                                       allow_http)
        self.http = self.transport(store or LocalCredentials(credentials), guard=guard,
                                   timeout=timeout, backoff=backoff,
                                   allow_loopback=allow_loopback)

    def transport(self, store, **options) -> PlatformHTTP:
        """The one place an adapter's HTTP session is made: this adapter's hooks, wired in."""
        refreshes = type(self).refresh_credentials is not Adapter.refresh_credentials
        return PlatformHTTP(self.base_url, credentials=store, auth=self.auth,
                            refresh=self.refresh_credentials if refreshes else None,
                            expires_at=self.credentials_expire_at, classify=self.classify,
                            billed_reads=self.billed_reads, most_billed=self.most_billed_reads,
                            own_hosts=self.own_hosts(), user_agent=self.user_agent,
                            rate_limit=self.rate_limit, **options)

    @property
    def credentials(self) -> dict:
        """The account's credentials as they are now (a refresh may have replaced them)."""
        return self.http.credentials.current

    @classmethod
    def clean_settings(cls, values: dict, allow_http=False) -> tuple[dict, dict]:
        """Split submitted form values into (settings, credentials), checking each field.

        :raise NotConfigured: a required value is missing or a value is not allowed.
        """
        settings, credentials = {}, {}
        for spec in cls.fields:
            value = (values.get(spec.name) or "").strip() or spec.default
            about = {"field": spec.name, "params": {"label": spec.label}}
            if spec.required and not value:
                raise NotConfigured(N_("%(label)s is required."), **about)
            if value and spec.choices and value not in spec.choices:
                about["params"]["choices"] = ", ".join(spec.choices)
                raise NotConfigured(N_("%(label)s must be one of %(choices)s."), **about)
            if value and spec.max_int is not None and not (
                    value.isascii() and value.isdigit() and int(value) <= spec.max_int):
                about["params"]["max"] = spec.max_int
                raise NotConfigured(N_("%(label)s must be a whole number from 0 to %(max)s."),
                                    **about)
            if value:
                (credentials if spec.secret else settings)[spec.name] = value
        unknown = set(values) - {spec.name for spec in cls.fields}
        if unknown:
            raise NotConfigured(N_("Unknown setting(s): %(names)s."),
                                params={"names": ", ".join(sorted(unknown))})
        if "base_url" in settings:
            try:
                settings["base_url"] = check_base_url(settings["base_url"], allow_http)
            except NotConfigured as exc:
                exc.field = "base_url"
                raise
        return settings, credentials

    @classmethod
    def missing_app_settings(cls, platform_secrets: dict) -> list[str]:
        """The names in `app_settings` that `platform_secrets` (from the environment) lacks."""
        return [name for name in cls.app_settings if not platform_secrets.get(name)]

    @classmethod
    def web_hosts(cls, base_url: str | None, author_handle: str) -> set[str]:
        """Hosts whose pages may show this account's posts (where clickthrough may send agents).

        By default the API's own host; a federated platform adds the author's home server.
        Subdomains of these hosts are allowed too.
        """
        host = urlsplit(base_url or cls.default_base_url or "").hostname
        return {host} if host else set()

    @classmethod
    def advice_for(cls, exc) -> tuple[str | None, str, dict]:
        """What a connect form shows for a failed `verify`: (field, template, params)."""
        for kind in type(exc).__mro__:
            if kind in cls.verify_advice:
                field_name, template = cls.verify_advice[kind]
                return field_name, template, {"platform": cls.label}
        return exc.field, exc.template, exc.params

    def auth(self, credentials: dict):
        """A `requests.auth.AuthBase` that signs one request with `credentials` (a bearer
        token, an OAuth 1.0a signature), or None. Called for every request to `own_hosts`.

        :raise NotConfigured: the credentials lack what the platform needs.
        """
        return None

    def own_hosts(self) -> set[str]:
        """Hosts besides the API base URL's that may receive the account's credentials."""
        return set()

    def classify(self, response):
        """The typed error a platform answer stands for, or None to apply the status rules
        (401/403 AuthFailed, 429 RateLimited, other 4xx Refused, 5xx Unavailable).

        Platforms override it for their own shapes: an error inside a 200, throttling sent as
        400/403 with a code (`RateLimited`), an expired token (`CredentialsExpired`, which
        triggers a refresh), a post that may not be answered (`ReplyNotAllowed`).
        """
        return None

    def refresh_credentials(self, credentials: dict) -> dict:
        """New credentials from `credentials` (e.g. spending a rotating refresh token).

        Only adapters whose credentials change after connect override this; the transport
        calls it at most once at a time per account and stores the result atomically.

        :raise AuthFailed: the grant is revoked (or, as here, the platform cannot renew
            credentials): the account must be reconnected.
        """
        raise AuthFailed(f"{self.label} credentials cannot be renewed; reconnect the account.")

    @classmethod
    def credentials_expire_at(cls, credentials: dict) -> datetime | None:
        """When `credentials` stop working (None: not known to expire)."""
        return None

    def billed_reads(self, response) -> int:
        """How many billed reads (posts a paid API counts) one answer cost."""
        return 0

    def most_billed_reads(self, method: str, url: str, params) -> int:
        """The most billed reads a call could cost (e.g. its page size), asked before it."""
        return 0

    def rate_limit(self, headers) -> tuple[int | None, datetime | None]:
        """Calls left in the platform's rate-limit window and when it resets, from headers."""
        return None, None

    @abstractmethod
    def verify(self) -> Identity:
        """Check the credentials against the platform and return the brand's identity.

        :raise AuthFailed: the credentials are refused.
        """

    @abstractmethod
    def fetch_mentions(self, cursor: str | None, since: datetime) -> Batch:
        """Mentions after `cursor`, oldest first; with no cursor, those posted after `since`."""

    def acknowledge(self, receipts: list[str]) -> None:
        """Tell the platform these fetched items are taken in (mark an inbox read).

        Called only after the batch that carried `receipts` is committed, so nothing is
        acknowledged that was not stored; a failure (a `PlatformError`) is retried on a later
        poll with the same receipts. Platforms with nothing to acknowledge keep this no-op.
        """

    # Webhooks: for a platform whose `intake` includes "webhook". The class methods are
    # app-level (one developer app per deployment, secrets from `app_settings`); only
    # `parse_webhook` runs per account.

    @classmethod
    def webhook_challenge(cls, query: Mapping[str, str], secrets: dict) -> dict | str:
        """The answer to the platform's GET challenge (a CRC token, a hub.challenge).

        A dict is sent as JSON, a string as text/plain.

        :raise AuthFailed: the challenge does not carry our verify token.
        :raise Malformed: the challenge lacks what the platform always sends.
        """
        raise Malformed(f"{cls.label} sends no webhook challenge.")

    @classmethod
    def verify_webhook(cls, raw_body: bytes, headers: Mapping[str, str], secrets: dict) -> None:
        """Check a delivery's signature over `raw_body`, comparing in constant time.

        :raise WebhookUnsigned: the delivery carries no signature.
        :raise WebhookForged: the signature does not match.
        """
        raise WebhookUnsigned(f"{cls.label} deliveries cannot be verified.")

    @classmethod
    def route_webhook(cls, payload, headers: Mapping[str, str]) -> WebhookRoute:
        """Whom a verified delivery (its JSON `payload`) is for, and its dedupe key.

        :raise Malformed: the payload is not what the platform sends.
        """
        raise Malformed(f"{cls.label} deliveries cannot be routed.")

    def parse_webhook(self, payload, brand_user_id: str) -> list[Mention]:
        """The mentions, oldest first, a verified delivery carries for the brand account
        `brand_user_id` (leaving out events for other brands and events that are not posts).
        """
        raise Malformed(f"{self.label} deliveries cannot be read.")

    def resolve_threads(self, mentions: list[Mention]) -> dict[str, str]:
        """The root post's external id for each of `mentions` whose thread is not known.

        Called outside any database transaction, once per batch: an adapter that must ask the
        platform batches and caches (one lookup answers every post of a thread). Mentions it
        cannot place are left out and start a thread of their own.
        """
        return {m.external_id: m.thread_id or m.external_id for m in mentions}

    @abstractmethod
    def text_rules(self) -> TextRules:
        """The limits one post must keep (see `plugin.platforms.text`)."""

    def reply_prefix(self, target: dict) -> str:
        """Text every reply part must start with (for example the customer's @handle)."""
        return ""

    def without_address(self, text: str, target: dict) -> str:
        """`text` without an opening that already addresses the reply's target, else unchanged.

        Platforms whose handles have more than one spelling override this; here only the
        prefix itself, as a whole word and in any case, counts.
        """
        prefix = self.reply_prefix(target).strip()
        words = text.split(None, 1)
        if prefix and words and words[0].lower() == prefix.lower():
            return words[1] if len(words) > 1 else ""
        return text

    def media_rules(self) -> MediaRules | None:
        """What a reply may carry as attachments here (capability "media"); None when replies
        take none."""
        return None

    def check_media(self, files: list[Upload] | int) -> None:
        """Refuse `files` (or, before they are fetched, a count of files) unless one reply can
        carry them all. Called before anything is posted.

        :raise MediaRefused: the platform takes no attachments, or not these.
        """
        if not files:
            return
        rules = self.media_rules() if MEDIA in self.capabilities else None
        if rules is None:
            raise MediaRefused(f"{self.label} replies cannot carry attachments; nothing was "
                               "posted. Send the reply without them, or link to the file.")
        reason = (rules.count_refusal(files) if isinstance(files, int)
                  else rules.refusal(files))
        if reason:
            raise MediaRefused(f"On {self.label}, {reason}. Nothing was posted.")

    @abstractmethod
    def post_reply(self, target: dict, text: str, idempotency_key: str,
                   files: tuple[Upload, ...] = ()) -> Posted:
        """Post `text` (already within the limit) as a reply to `target`, with `files`
        (already passed by `check_media`) uploaded and attached."""

    def recent_posts(self, author: Author, limit: int = 20) -> list[Mention]:
        """The author's recent public posts, newest first (capability "history").

        :raise NotShared: the platform does not share them.
        """
        raise NotShared(HISTORY, self.label)

    def profile(self, author: Author) -> Profile:
        """The author's current public profile (capability "profile").

        :raise NotShared: the platform does not share it.
        """
        raise NotShared(PROFILE, self.label)

    def lookup(self, handle: str) -> Author:
        """The author behind a handle as an agent types it (capability "profile").

        :raise Refused: no such author (status 404).
        :raise NotShared: the platform does not let Murmur look people up.
        """
        raise NotShared(PROFILE, self.label)

    def is_own(self, mention: Mention, identity_user_id: str) -> bool:
        """Whether the brand account itself wrote `mention`."""
        return mention.author.id == self.author_id(identity_user_id)

    @abstractmethod
    def author_id(self, platform_user_id: str) -> str:
        """Our external id for a platform user id."""


def comma_separated(value: str) -> list[str]:
    """The distinct items of a comma-separated setting (search terms), in order."""
    items = [item.strip() for item in value.split(",")]
    return list(dict.fromkeys(item for item in items if item))


COMMON_FIELDS = (
    SettingField("long_replies", N_("Replies over the length limit"),
                 N_("split: post them as several replies that each answer the previous one; "
                    "refuse: send nothing and tell the agent."), required=False,
                 default="split", choices=REPLY_MODES),
    SettingField("backfill_days", N_("Backfill on connect (days)"),
                 N_("How far back to take in mentions when the account is first connected."),
                 required=False, default="7", max_int=90),
    SettingField("daily_read_budget", N_("Daily read budget"),
                 N_("Optional: the most billed reads (posts a paid API charges for) intake may "
                    "use per UTC day; then it waits for the next day. Replies and the sidebar "
                    "are never refused for it, but their reads count. Blank: no limit."),
                 required=False, max_int=10**9),
)
