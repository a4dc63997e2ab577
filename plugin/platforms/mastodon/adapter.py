"""Mastodon: mentions from notifications (and hashtag timelines), replies as statuses."""
import functools
import hashlib
import json
from datetime import datetime
from urllib.parse import quote
from urllib.parse import urlsplit

from plugin.platforms.base import COMMON_FIELDS
from plugin.platforms.base import HISTORY
from plugin.platforms.base import LIKES
from plugin.platforms.base import MEDIA
from plugin.platforms.base import PROFILE
from plugin.platforms.base import Adapter
from plugin.platforms.shapes import Author
from plugin.platforms.shapes import Batch
from plugin.platforms.shapes import Identity
from plugin.platforms.shapes import Mention
from plugin.platforms.shapes import Posted
from plugin.platforms.shapes import Profile
from plugin.platforms.shapes import SettingField
from plugin.platforms.catalogue import N_
from plugin.platforms.connect import PASTED
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import Refused
from plugin.platforms.errors import Unavailable
from plugin.platforms.http import BearerAuth
from plugin.platforms.http import parsed
from plugin.platforms.mastodon.sign_in import MastodonSignIn
from plugin.platforms.mastodon import media
from plugin.platforms.mastodon.text import count_characters
from plugin.platforms.mastodon.text import status_text
from plugin.platforms.mastodon.text import without_address
from plugin.platforms.text import Limit
from plugin.platforms.text import TextRules

NOTIFICATIONS_PAGE = 80
TAG_PAGE = 40
MAX_PAGES = 25
DEFAULT_LIMIT = 500
DEFAULT_URL_LENGTH = 23
# "mastodon:" + host + ":user:" + a 20-digit id must fit Zendesk's 255-character ids.
MAX_HOST_IN_ID = 200


class MastodonAdapter(Adapter):
    """A brand account on one Mastodon instance (the instance URL is the API base URL)."""

    name = "mastodon"
    label = "Mastodon"
    handle_example = "@name@instance.social"
    connect_flows = (MastodonSignIn(), PASTED)
    capabilities = frozenset({HISTORY, PROFILE, MEDIA, LIKES})
    fields = (
        SettingField("base_url", N_("Instance URL"), N_("Your brand account's server, e.g. "
                                                       "https://mastodon.social")),
        SettingField("access_token", N_("Access token"), N_(
            "Instead of signing in: from Preferences → Development → New application, with "
            "read:notifications read:statuses read:accounts write:statuses write:media."),
            secret=True),
        SettingField("hashtags", N_("Hashtags"), N_(
            "Optional: also take in public posts with these hashtags (space or comma "
            "separated)."), required=False),
    ) + COMMON_FIELDS
    verify_advice = {
        **Adapter.verify_advice,
        AuthFailed: ("access_token", N_(
            "Mastodon refused this access token. Create a new one under Preferences → "
            "Development and paste it here.")),
        Refused: ("base_url", N_(
            "This address did not answer like a Mastodon server. Check the instance URL, "
            "e.g. https://mastodon.social.")),
        Unavailable: ("base_url", N_(
            "Murmur could not reach a Mastodon server at this address. Check the instance "
            "URL, or try again in a few minutes.")),
    }

    def __init__(self, settings, credentials, **kwargs):
        super().__init__(settings, credentials, **kwargs)
        self.host = _id_host(urlsplit(self.base_url).netloc.lower())
        self._instance_rules = None
        self._media_rules = None

    @classmethod
    def clean_settings(cls, values, allow_http=False):
        settings, credentials = super().clean_settings(values, allow_http)
        if "hashtags" in settings:
            tags = hashtags(settings["hashtags"])
            if not all(tag.replace("_", "").isalnum() for tag in tags):
                raise NotConfigured(N_("Hashtags may hold only letters, digits and "
                                       "underscores."), field="hashtags")
            settings["hashtags"] = " ".join(tags)
        return settings, credentials

    @classmethod
    def web_hosts(cls, base_url, author_handle):
        # A remote author's post lives on their own server: @user@their.server.
        home = author_handle.lstrip("@").partition("@")[2].lower()
        return super().web_hosts(base_url, author_handle) | ({home} if home else set())

    def auth(self, credentials):
        token = credentials.get("access_token")
        if not token:
            raise NotConfigured("An access token is required.")
        return BearerAuth(token)

    def rate_limit(self, headers):
        # Mastodon sends the reset as an ISO-8601 timestamp, not epoch seconds.
        remaining, reset = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Reset")
        try:
            reset = datetime.fromisoformat(reset) if reset else None
        except ValueError:
            reset = None
        return (int(remaining) if remaining and remaining.isdigit() else None), reset

    def author_id(self, platform_user_id):
        return f"mastodon:{self.host}:user:{platform_user_id}"

    def status_id(self, status_id):
        """Our external id for a status id on this instance."""
        return f"mastodon:{self.host}:{status_id}"

    def verify(self):
        me = self.http.get_json("/api/v1/accounts/verify_credentials")
        return Identity(user_id=str(me["id"]), handle="@" + me["acct"],
                        name=me.get("display_name") or me["acct"])

    def fetch_mentions(self, cursor, since):
        """Mentions (and hashtag posts) since `cursor`, within a page budget per call.

        Each stream's cursor is either the newest id taken in (walk forward with min_id) or,
        while the backfill window is still being read, `{"max": id, "top": id}`: walk back
        from `max` (exclusive) until the window ends, then go forward from `top`, the newest
        id seen when the backfill began. A stream that stops at its budget says `more`.
        """
        state = json.loads(cursor) if cursor else {}
        found, more = {}, False
        params = {"types[]": "mention", "limit": NOTIFICATIONS_PAGE}
        items, state["n"], pending = self._walk("/api/v1/notifications", params, state.get("n"),
                                                since)
        more |= pending
        for note in items:
            if note.get("type") == "mention" and note.get("status"):
                mention = self.to_mention(note["status"], raw=note)
                found[mention.external_id] = mention
        tags_state = state.get("t", {})
        for tag in hashtags(self.settings.get("hashtags", "")):
            path = f"/api/v1/timelines/tag/{quote(tag)}"
            statuses, tags_state[tag], pending = self._walk(path, {"limit": TAG_PAGE},
                                                            tags_state.get(tag), since)
            more |= pending
            for status in statuses:
                mention = self.to_mention(status, raw=status)
                found.setdefault(mention.external_id, mention)
        state["t"] = {tag: value for tag, value in tags_state.items() if value}
        ordered = sorted(found.values(), key=lambda m: (m.posted_at, m.external_id))
        return Batch(mentions=ordered, cursor=json.dumps(state, sort_keys=True), more=more)

    def _walk(self, path, params, position, since):
        """Items after `position` (see fetch_mentions), the new position, and whether more wait."""
        if isinstance(position, str):
            return self._forward(path, params, position)
        position = position or {}
        items, top, max_id = [], position.get("top"), position.get("max")
        for _ in range(MAX_PAGES):
            query = {**params, "max_id": max_id} if max_id else params
            page = self.http.get_json(path, expect=list, params=query)
            if not page:
                return items, top, False
            ids = [item["id"] for item in page]
            top = top or max(ids, key=int)
            fresh = [item for item in page if _posted_at(item) >= since]
            items.extend(fresh)
            # Notifications come in notification order, not post order: a stale post can sit
            # among fresh ones (an edit adding the brand), so only an all-stale page ends it.
            if not fresh:
                return items, top, False
            max_id = min(ids, key=int)
        return items, {"max": max_id, "top": top}, True

    def _forward(self, path, params, min_id):
        items = []
        for _ in range(MAX_PAGES):
            # min_id returns the page just after it; walking forward never skips a burst.
            page = self.http.get_json(path, expect=list, params={**params, "min_id": min_id})
            if not page:
                return items, min_id, False
            items.extend(page)
            min_id = max((item["id"] for item in page), key=int)
        return items, min_id, True

    def to_mention(self, status, raw):
        """Normalise a Mastodon Status to a `Mention`."""
        original = status.get("reblog") or status
        account = status["account"]
        parent = status.get("in_reply_to_id")
        external_id = self.status_id(status["id"])
        return Mention(
            platform=self.name,
            external_id=external_id,
            author=self.to_author(account),
            text=status_text(original),
            url=status.get("url") or status.get("uri"),
            posted_at=_parse_time(status["created_at"]),
            reply_target={"status_id": str(status["id"]), "acct": account["acct"],
                          "visibility": status.get("visibility", "public")},
            raw=raw,
            parent_id=self.status_id(parent) if parent else None,
            thread_id=None if parent else external_id,
            visibility=status.get("visibility", "public"),
            is_repost=status.get("reblog") is not None,
            likes=original.get("favourites_count"),
            attachments=media.attachments(original),
        )

    def to_author(self, account):
        """Normalise a Mastodon Account to an `Author`."""
        return Author(
            id=self.author_id(account["id"]),
            handle="@" + account["acct"],
            name=account.get("display_name") or account["acct"],
            avatar_url=account.get("avatar_static") or account.get("avatar"),
            profile_url=account.get("url"),
        )

    def resolve_threads(self, mentions):
        """Roots from each reply's context; one lookup places every ancestor it names."""
        roots = {}
        for mention in mentions:
            if mention.thread_id:
                roots[mention.external_id] = mention.thread_id
                continue
            parent = mention.parent_id
            if parent in roots:  # a reply to a post this batch has placed already
                roots[mention.external_id] = roots[parent]
                continue
            try:
                context = self.http.get_json(
                    f"/api/v1/statuses/{mention.reply_target['status_id']}/context")
            except Refused:
                continue
            ancestors = context.get("ancestors") or []
            root = self.status_id(ancestors[0]["id"]) if ancestors else mention.external_id
            for ancestor in ancestors:
                roots[self.status_id(ancestor["id"])] = root
            roots[mention.external_id] = root
        return roots

    def _rules(self):
        if self._instance_rules is None:
            self._instance_rules = self._read_instance_rules()
        return self._instance_rules

    def _read_instance_rules(self):
        try:
            v2 = self.http.get_json("/api/v2/instance")
            statuses, domain = v2["configuration"]["statuses"], v2.get("domain")
        except (PlatformError, KeyError, TypeError, ValueError):
            # Pre-4.0 servers only have v1, where the limit may sit elsewhere.
            v1 = self.http.get_json("/api/v1/instance")
            statuses = (v1.get("configuration") or {}).get("statuses") or {}
            statuses.setdefault("max_characters", v1.get("max_toot_chars", DEFAULT_LIMIT))
            domain = v1.get("uri")
        # The accounts' domain may differ from the API host (LOCAL_DOMAIN vs WEB_DOMAIN).
        domain = domain if isinstance(domain, str) and domain else urlsplit(self.base_url).hostname
        return (int(statuses.get("max_characters", DEFAULT_LIMIT)),
                int(statuses.get("characters_reserved_per_url", DEFAULT_URL_LENGTH)), domain)

    def text_rules(self):
        limit, url_length, _ = self._rules()
        return TextRules((Limit("characters", limit,
                                functools.partial(count_characters, url_length=url_length)),))

    def reply_prefix(self, target):
        return f"@{target['acct']} "

    def without_address(self, text, target):
        return without_address(text, target["acct"], self._rules()[2])

    def media_rules(self):
        if self._media_rules is None:
            try:
                instance = self.http.get_json("/api/v2/instance")
            except Refused:  # pre-4.0 servers only have v1, which has the same keys (3.4+)
                instance = self.http.get_json("/api/v1/instance")
            self._media_rules = media.rules_from(instance)
        return self._media_rules

    def post_reply(self, target, text, idempotency_key, files=()):
        data = {"status": text, "in_reply_to_id": target["status_id"],
                "visibility": target.get("visibility", "public")}
        if files:
            data["media_ids[]"] = [media.upload(self.http, file) for file in files]
        try:
            status = self.http.post("/api/v1/statuses", data=data,
                                    headers={"Idempotency-Key": idempotency_key})
            status = parsed(status)
        except Refused as exc:
            if exc.status == 404:
                raise Refused("The post being answered no longer exists on Mastodon.",
                              status=404) from exc
            raise
        return Posted(
            external_id=self.status_id(status["id"]),
            url=status.get("url") or status.get("uri"),
            reply_target={**target, "status_id": str(status["id"])},
        )

    def recent_posts(self, author, limit=20):
        # The brand's own instance answers for remote authors too (federated copies).
        statuses = self.http.get(f"/api/v1/accounts/{_local_id(author)}/statuses",
                                 params={"limit": min(limit, 40), "exclude_reblogs": "true"})
        return [self.to_mention(status, raw=status) for status in parsed(statuses, list)]

    def profile(self, author):
        account = self.http.get_json(f"/api/v1/accounts/{_local_id(author)}")
        return Profile(author=self.to_author(account),
                       followers_count=account.get("followers_count"))

    def lookup(self, handle):
        acct = handle.strip().lstrip("@")
        if not acct or any(ch.isspace() for ch in acct):
            raise Refused(f"{handle!r} is not a Mastodon handle.", status=404)
        try:
            account = self.http.get_json("/api/v1/accounts/lookup", params={"acct": acct})
        except Refused as exc:
            raise Refused(f"No Mastodon account @{acct} is known to {self.host}.",
                          status=404) from exc
        return self.to_author(account)


def hashtags(value: str) -> list[str]:
    """Hashtags from an admin's list: split on spaces or commas, '#' and case dropped."""
    seen = []
    for word in value.replace(",", " ").split():
        tag = word.lstrip("#").lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _id_host(netloc: str) -> str:
    """The instance as it appears in our ids: ASCII, and short enough that ids stay ≤ 255."""
    host = netloc if netloc.isascii() else netloc.encode("idna").decode("ascii")
    if len(host) > MAX_HOST_IN_ID:
        return "h-" + hashlib.sha256(host.encode()).hexdigest()[:32]
    return host


def _local_id(author) -> str:
    """The author's account id on the brand's instance (the last part of our author id)."""
    return author.id.rsplit(":", 1)[1]


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _posted_at(item) -> datetime:
    status = item.get("status") or item
    return _parse_time(status["created_at"])
