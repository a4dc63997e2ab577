"""Bluesky: mentions, replies and quotes from notifications (and optional keyword search),
replies as `app.bsky.feed.post` records, sessions from an app password."""
import hashlib
import json
import re
from datetime import datetime
from datetime import timezone

from plugin.platforms.base import COMMON_FIELDS
from plugin.platforms.base import comma_separated
from plugin.platforms.base import HISTORY
from plugin.platforms.base import LIKES
from plugin.platforms.base import MEDIA
from plugin.platforms.base import PROFILE
from plugin.platforms.base import Adapter
from plugin.platforms.bluesky import media
from plugin.platforms.bluesky import paging
from plugin.platforms.bluesky.paging import parse_time
from plugin.platforms.bluesky.session import expires_at
from plugin.platforms.bluesky.session import record_key
from plugin.platforms.bluesky.session import session_credentials
from plugin.platforms.bluesky.text import post_text
from plugin.platforms.bluesky.text import reply_facets
from plugin.platforms.catalogue import N_
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import CredentialsExpired
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import Refused
from plugin.platforms.errors import ReplyNotAllowed
from plugin.platforms.errors import Unavailable
from plugin.platforms.http import BearerAuth
from plugin.platforms.http import parsed
from plugin.platforms.shapes import Author
from plugin.platforms.shapes import Batch
from plugin.platforms.shapes import Identity
from plugin.platforms.shapes import Mention
from plugin.platforms.shapes import Posted
from plugin.platforms.shapes import Profile
from plugin.platforms.shapes import SettingField
from plugin.platforms.text import Limit
from plugin.platforms.text import TextRules
from plugin.platforms.text import graphemes
from plugin.platforms.text import utf8_bytes

POST = "app.bsky.feed.post"
PAGE = 100
HYDRATE_BATCH = 25  # app.bsky.feed.getPosts takes at most 25 uris
REASONS = ("mention", "reply", "quote")
PREFIX = "bluesky:"
MAX_ID = 255
# Errors the PDS names for a session that is not coming back (only a reconnect helps).
DEAD_SESSION = {"InvalidToken", "AuthenticationRequired", "AccountTakedown",
                "AccountDeactivated", "AuthFactorTokenRequired"}
# How a PDS words a reply that a threadgate, a block or a closed thread does not allow.
_REPLY_REFUSED = re.compile(r"\brepl(y|ies)\b.*\b(not allowed|disabled|threadgate|blocked)\b",
                            re.IGNORECASE)


class BlueskyAdapter(Adapter):
    """A brand account on a PDS (bsky.social or the brand's own), with an app password."""

    name = "bluesky"
    label = "Bluesky"
    default_base_url = "https://bsky.social"
    handle_example = "@name.bsky.social"
    capabilities = frozenset({HISTORY, PROFILE, MEDIA, LIKES})
    fields = (
        SettingField("handle", N_("Handle"), N_(
            "The brand account's handle (e.g. acme.bsky.social), its DID or its e-mail.")),
        SettingField("app_password", N_("App password"), N_(
            "From Settings → Privacy and security → App passwords (not the account "
            "password)."), secret=True),
        SettingField("base_url", N_("PDS URL"), N_(
            "The account's server; https://bsky.social for accounts hosted by Bluesky."),
            required=False, default="https://bsky.social"),
        SettingField("search_terms", N_("Search terms"), N_(
            "Optional: also take in posts with these words written without an @ (comma "
            "separated)."), required=False),
    ) + COMMON_FIELDS
    verify_advice = {
        **Adapter.verify_advice,
        AuthFailed: ("app_password", N_(
            "Bluesky refused this handle and app password. Check the handle, or create a new "
            "app password under Settings → Privacy and security → App passwords.")),
        Refused: ("base_url", N_(
            "This address did not answer like a Bluesky PDS. Leave it at "
            "https://bsky.social unless the account is hosted elsewhere.")),
    }

    @classmethod
    def clean_settings(cls, values, allow_http=False):
        settings, credentials = super().clean_settings(values, allow_http)
        settings["handle"] = settings["handle"].lstrip("@")
        if "search_terms" in settings:
            settings["search_terms"] = ", ".join(comma_separated(settings["search_terms"]))
        return settings, credentials

    @classmethod
    def web_hosts(cls, base_url, author_handle):
        return super().web_hosts(base_url, author_handle) | {"bsky.app"}

    # ----- transport hooks -------------------------------------------------

    def auth(self, credentials):
        if not credentials.get("accessJwt"):
            raise NotConfigured("Bluesky needs a session; reconnect the account.")
        return BearerAuth(credentials["accessJwt"])

    def classify(self, response):
        if response.status_code not in (400, 401):
            return None
        try:
            body = response.json()
            error, message = body.get("error") or "", body.get("message") or ""
        except (ValueError, AttributeError):
            return None
        status = response.status_code
        if error == "ExpiredToken":
            return CredentialsExpired(f"Bluesky: {message or error}", status=status)
        if error in DEAD_SESSION:
            return AuthFailed(f"Bluesky refused the session ({error}): {message}", status=status)
        if _REPLY_REFUSED.search(message):
            return ReplyNotAllowed(f"Bluesky does not let the brand reply here: {message}",
                                   status=status)
        if status == 400 and error:
            return Refused(f"Bluesky refused the request ({error}): {message}", status=status)
        return None

    def refresh_credentials(self, credentials):
        """A new session: `refreshSession` with the single-use refresh JWT, or, when that is
        refused (spent, expired, revoked), one `createSession` with the app password."""
        if credentials.get("refreshJwt"):
            try:
                answer = self.http.post(
                    "/xrpc/com.atproto.server.refreshSession", authenticate=False,
                    headers={"Authorization": f"Bearer {credentials['refreshJwt']}"})
                return session_credentials(credentials, parsed(answer))
            except (AuthFailed, Refused):
                pass
        return self._create_session(credentials)

    def _create_session(self, credentials):
        if not credentials.get("app_password"):
            raise AuthFailed("Bluesky needs the app password again; reconnect the account.")
        answer = self.http.post("/xrpc/com.atproto.server.createSession", authenticate=False,
                                json={"identifier": self.settings["handle"],
                                      "password": credentials["app_password"]})
        return session_credentials(credentials, parsed(answer))

    @classmethod
    def credentials_expire_at(cls, credentials):
        return expires_at(credentials)

    def rate_limit(self, headers):
        remaining, reset = headers.get("RateLimit-Remaining"), headers.get("RateLimit-Reset")
        reset = (datetime.fromtimestamp(int(reset), timezone.utc)
                 if reset and reset.isdigit() else None)
        return (int(remaining) if remaining and remaining.isdigit() else None), reset

    # ----- ids -------------------------------------------------------------

    def author_id(self, platform_user_id):
        return _external(PREFIX + "user:" + platform_user_id)

    def post_id(self, uri: str) -> str:
        """Our external id for a post's at-uri."""
        return _external(PREFIX + uri)

    # ----- the account -----------------------------------------------------

    def verify(self):
        """The brand's DID, handle and name; first a session from the app password, when the
        credentials hold none yet (connecting)."""
        if not self.credentials.get("accessJwt"):
            store = self.http.credentials
            store.refreshed(store.version, self._create_session, self.credentials_expire_at)
        me = self.http.get_json("/xrpc/com.atproto.server.getSession")
        profile = self.http.get_json("/xrpc/app.bsky.actor.getProfile",
                                     params={"actor": me["did"]})
        return Identity(user_id=me["did"], handle="@" + me["handle"],
                        name=profile.get("displayName") or me["handle"])

    # ----- intake ----------------------------------------------------------

    def fetch_mentions(self, cursor, since):
        """Mentions, replies and quotes since `cursor`, within a page budget per stream.

        Each stream (notifications, each search term) keeps its own position; see
        `paging.walk`.
        """
        state = json.loads(cursor) if cursor else {}
        found, more = {}, False
        notes, state["n"], pending = paging.walk(
            self.http, "/xrpc/app.bsky.notification.listNotifications",
            {"limit": PAGE, "reasons": list(REASONS)}, "notifications", state.get("n"), since)
        more |= pending
        notes = [note for note in notes if note.get("reason") in REASONS
                 and note.get("record", {}).get("$type") == POST]
        views = self._hydrated([note["uri"] for note in notes
                                if media.has_images(note["record"])])
        for note in notes:
            mention = self.to_mention(views.get(note["uri"], note), raw=note)
            found[mention.external_id] = mention
        searches = state.get("s", {})
        for term in comma_separated(self.settings.get("search_terms", "")):
            posts, searches[term], pending = paging.walk(
                self.http, "/xrpc/app.bsky.feed.searchPosts",
                {"q": term, "sort": "latest", "limit": PAGE}, "posts", searches.get(term), since)
            more |= pending
            for post in posts:
                mention = self.to_mention(post, raw=post)
                found.setdefault(mention.external_id, mention)
        state["s"] = {term: value for term, value in searches.items() if value}
        ordered = sorted(found.values(), key=lambda m: (m.posted_at, m.external_id))
        return Batch(mentions=ordered, cursor=json.dumps(state, sort_keys=True), more=more)

    def _hydrated(self, uris):
        """PostViews (with image URLs) of the posts at `uris`, by uri."""
        views = {}
        for start in range(0, len(uris), HYDRATE_BATCH):
            answer = self.http.get_json("/xrpc/app.bsky.feed.getPosts",
                                        params={"uris": uris[start:start + HYDRATE_BATCH]})
            views.update({view["uri"]: view for view in answer["posts"]})
        return views

    def to_mention(self, post, raw, is_repost=False):
        """Normalise a notification or a PostView (both carry uri, cid, author, record and
        indexedAt) to a `Mention`."""
        record, author = post["record"], post["author"]
        reply = record.get("reply") or {}
        external_id = self.post_id(post["uri"])
        root = reply.get("root") or {"uri": post["uri"], "cid": post["cid"]}
        return Mention(
            platform=self.name,
            external_id=external_id,
            author=self.to_author(author),
            text=post_text(record),
            url=_web_url(author, post["uri"]),
            posted_at=_posted_at(record, post["indexedAt"]),
            reply_target={"uri": post["uri"], "cid": post["cid"], "root_uri": root["uri"],
                          "root_cid": root["cid"], "handle": author["handle"],
                          "did": author["did"]},
            raw=raw,
            parent_id=self.post_id(reply["parent"]["uri"]) if reply.get("parent") else None,
            thread_id=self.post_id(root["uri"]),
            is_repost=is_repost,
            likes=post.get("likeCount"),
            attachments=media.attachments(post),
        )

    def to_author(self, actor):
        """Normalise a Bluesky profile view to an `Author` (named, never by DID)."""
        return Author(
            id=self.author_id(actor["did"]),
            handle="@" + actor["handle"],
            name=(actor.get("displayName") or "").strip() or actor["handle"],
            avatar_url=actor.get("avatar"),
            profile_url=f"https://bsky.app/profile/{actor['handle']}",
        )

    # ----- replies ---------------------------------------------------------

    def text_rules(self):
        return TextRules((Limit("graphemes", 300, graphemes), Limit("bytes", 3000, utf8_bytes)))

    def reply_prefix(self, target):
        return f"@{target['handle']} "

    def media_rules(self):
        return media.RULES

    def post_reply(self, target, text, idempotency_key, files=()):
        """Post `text` under `target` with the record key `record_key(idempotency_key)`: a
        retry finds the record the first attempt made instead of posting again."""
        repo = self.credentials.get("did") or self.settings["handle"]
        # Our own posts need no check, and the AppView may not have indexed one just made
        # (the parts of a split reply, a second reply in a row).
        if not target["uri"].startswith(f"at://{repo}/"):
            self._check_answerable(target["uri"])
        rkey = record_key(idempotency_key)
        record = {
            "$type": POST, "text": text,
            "createdAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "reply": {"root": {"uri": target["root_uri"], "cid": target["root_cid"]},
                      "parent": {"uri": target["uri"], "cid": target["cid"]}},
        }
        facets = reply_facets(text, target["handle"], target["did"])
        if facets:
            record["facets"] = facets
        if files:
            record["embed"] = {"$type": media.IMAGES,
                               "images": [media.upload(self.http, file) for file in files]}
        try:
            created = parsed(self.http.post("/xrpc/com.atproto.repo.createRecord", json={
                "repo": repo, "collection": POST, "rkey": rkey, "record": record}))
        except (Refused, Unavailable) as exc:
            if isinstance(exc, ReplyNotAllowed):
                raise
            created = self._existing(repo, rkey, target)
            if created is None:
                raise
        uri = created["uri"]
        return Posted(external_id=self.post_id(uri),
                      url=f"https://bsky.app/profile/{repo}/post/{uri.rsplit('/', 1)[1]}",
                      reply_target={**target, "uri": uri, "cid": created["cid"]})

    def _check_answerable(self, uri):
        answer = self.http.get_json("/xrpc/app.bsky.feed.getPosts", params={"uris": [uri]})
        if not answer["posts"]:
            raise Refused("The post being answered no longer exists on Bluesky.", status=404)
        if (answer["posts"][0].get("viewer") or {}).get("replyDisabled"):
            raise ReplyNotAllowed("The author of this Bluesky post does not let the brand "
                                  "reply to it; nothing was posted.")

    def _existing(self, repo, rkey, target):
        """The reply an earlier attempt stored under `rkey`, if there is one."""
        try:
            found = self.http.get_json("/xrpc/com.atproto.repo.getRecord",
                                       params={"repo": repo, "collection": POST, "rkey": rkey})
        except (Refused, Unavailable):
            return None
        parent = ((found.get("value") or {}).get("reply") or {}).get("parent") or {}
        return found if parent.get("uri") == target["uri"] else None

    # ----- the sidebar -----------------------------------------------------

    def recent_posts(self, author, limit=20):
        feed = self.http.get_json("/xrpc/app.bsky.feed.getAuthorFeed",
                                  params={"actor": _actor(author), "limit": min(limit, 100)})
        return [self.to_mention(item["post"], raw=item,
                                is_repost=(item.get("reason") or {}).get("$type", "")
                                .endswith("#reasonRepost"))
                for item in feed["feed"]]

    def profile(self, author):
        found = self._profile(_actor(author))
        return Profile(author=self.to_author(found), followers_count=found.get("followersCount"))

    def lookup(self, handle):
        return self.to_author(self._profile(handle.strip().lstrip("@")))

    def _profile(self, actor):
        try:
            return self.http.get_json("/xrpc/app.bsky.actor.getProfile", params={"actor": actor})
        except Refused as exc:
            if exc.status == 400:  # XRPC says "Profile not found" as an InvalidRequest
                raise Refused(f"No Bluesky account {actor}: {exc.message}", status=404) from exc
            raise


def _external(value: str) -> str:
    # Zendesk's external ids are ASCII of at most 255 characters.
    if value.isascii() and len(value) <= MAX_ID:
        return value
    return PREFIX + "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _actor(author: Author) -> str:
    did = author.id.removeprefix(PREFIX + "user:")
    return did if did.startswith("did:") else author.handle.lstrip("@")


def _web_url(author, uri):
    return f"https://bsky.app/profile/{author['handle']}/post/{uri.rsplit('/', 1)[1]}"


def _posted_at(record, indexed_at):
    # A client may backdate createdAt (imports) or set it ahead: never later than indexing.
    indexed = parse_time(indexed_at)
    try:
        return min(parse_time(record["createdAt"]), indexed)
    except (KeyError, TypeError, ValueError):
        return indexed
