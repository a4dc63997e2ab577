"""X: mentions from the brand's mention timeline (and optional recent search), by webhook
too; replies as posts that answer the customer's post, counted as X counts them."""
import json
import re
from datetime import datetime
from datetime import timezone
from urllib.parse import urlsplit

from plugin.platforms.base import COMMON_FIELDS
from plugin.platforms.base import comma_separated
from plugin.platforms.base import HISTORY
from plugin.platforms.base import LIKES
from plugin.platforms.base import MEDIA
from plugin.platforms.base import PROFILE
from plugin.platforms.base import Adapter
from plugin.platforms.catalogue import N_
from plugin.platforms.connect import PASTED
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import BudgetSpent
from plugin.platforms.errors import MediaRefused
from plugin.platforms.errors import CredentialsExpired
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Refused
from plugin.platforms.errors import ReplyNotAllowed
from plugin.platforms.http import parsed
from plugin.platforms.shapes import Batch
from plugin.platforms.shapes import Identity
from plugin.platforms.shapes import Posted
from plugin.platforms.shapes import Profile
from plugin.platforms.shapes import SettingField
from plugin.platforms.x import common
from plugin.platforms.x import media
from plugin.platforms.x import tokens
from plugin.platforms.x import webhook
from plugin.platforms.x.posts import QUERY
from plugin.platforms.x.posts import Page
from plugin.platforms.x.sign_in import XSignIn
from plugin.platforms.x.text import RULES

PAGE = 100
# Pages one stream reads per poll; a longer burst continues at the next (soon) poll.
MAX_PAGES = 5
# How deep X's mention timeline reaches; older mentions are found by recent search.
MENTIONS_REACH = 800
SEARCH = "/2/tweets/search/recent"
LOOKUP_BATCH = 100  # GET /2/tweets takes at most 100 ids
SEARCH_QUERY_MOST = 512
# The recent posts of ours searched for a reply X refused as a duplicate (a retried post).
DUPLICATE_SCAN = 5
# How X words a reply its rules do not allow (the 2026 mention rule, reply settings).
_REPLY_REFUSED = re.compile(r"not allowed because|reply_settings|not been mentioned|"
                            r"conversation.*(restricted|limited)", re.IGNORECASE)
_DUPLICATE = re.compile(r"duplicate content", re.IGNORECASE)
_GONE = re.compile(r"deleted or not visible", re.IGNORECASE)
_USAGE_CAPPED = "usage-capped"
_PAGED_PATHS = re.compile(r"/2/(users/[^/]+/(mentions|tweets)|tweets/search/recent)$")


class DuplicatePost(Refused):
    """X refused a post whose text the brand posted just before."""


class XAdapter(Adapter):
    """A brand account on X, connected with OAuth 2.0 (rotating tokens) or OAuth 1.0a."""

    name = common.NAME
    label = "X"
    default_base_url = "https://api.x.com"
    handle_example = "@name"
    capabilities = frozenset({HISTORY, PROFILE, LIKES, MEDIA})
    intake = frozenset({"poll", "webhook"})
    webhook_headers = (webhook.SIGNATURE,)
    connect_flows = (XSignIn(), PASTED)
    app_settings = (tokens.CONSUMER_KEY, tokens.CONSUMER_SECRET, tokens.CLIENT_ID,
                    tokens.CLIENT_SECRET)
    fields = (
        SettingField("access_token", N_("OAuth 2.0 access token"), N_(
            "The brand's user-context token (Sign in with X fills it in)."), secret=True,
            required=False),
        SettingField("refresh_token", N_("OAuth 2.0 refresh token"), N_(
            "Lets Murmur renew the access token (scope offline.access)."), secret=True,
            required=False),
        SettingField("oauth_token", N_("OAuth 1.0a access token"), N_(
            "Instead of OAuth 2.0: the brand's access token from the developer portal."),
            secret=True, required=False),
        SettingField("oauth_token_secret", N_("OAuth 1.0a access token secret"), N_(
            "The secret that goes with the OAuth 1.0a access token."), secret=True,
            required=False),
        SettingField("base_url", N_("API base URL"), N_("https://api.x.com unless testing."),
                     required=False, default="https://api.x.com"),
        SettingField("search_terms", N_("Search terms"), N_(
            "Optional: also take in posts with these words written without an @ (comma "
            "separated; each search reads, and X bills, every post it finds)."),
            required=False),
    ) + COMMON_FIELDS
    verify_advice = {
        **Adapter.verify_advice,
        AuthFailed: (None, N_(
            "X refused these credentials. Sign in with X again, or paste a new access token "
            "(with its refresh token) or an OAuth 1.0a token and secret.")),
    }

    @classmethod
    def clean_settings(cls, values, allow_http=False):
        settings, credentials = super().clean_settings(values, allow_http)
        if bool(credentials.get("oauth_token")) != bool(credentials.get("oauth_token_secret")):
            raise NotConfigured(N_("An OAuth 1.0a token needs its secret, and the secret its "
                                   "token."), field="oauth_token_secret")
        if not (credentials.get("access_token") or credentials.get("oauth_token")):
            raise NotConfigured(N_("Sign in with X, or paste an OAuth 2.0 access token or an "
                                   "OAuth 1.0a token and secret."), field="access_token")
        if "search_terms" in settings:
            terms = search_terms(settings["search_terms"])
            settings["search_terms"] = ", ".join(terms)
            if len(search_query(terms, "a" * 15)) > SEARCH_QUERY_MOST:
                raise NotConfigured(N_("The search terms make a query longer than X's 512 "
                                       "characters; use fewer."), field="search_terms")
        return settings, credentials

    @classmethod
    def web_hosts(cls, base_url, author_handle):
        return super().web_hosts(base_url, author_handle) | {"x.com", "twitter.com"}

    # ----- transport hooks -------------------------------------------------

    def auth(self, credentials):
        return tokens.request_auth(credentials, self.app_secrets)

    def classify(self, response):
        if response.status_code not in (401, 403, 429):
            return None
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        # v2 problems say it in `detail`; some answers still carry v1.1's `errors` messages.
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        detail = " ".join([str(body.get("detail") or body.get("title") or "")] + [
            str(error.get("message", "")) for error in errors if isinstance(error, dict)]).strip()
        if response.status_code == 401 and not tokens.is_oauth1(self.credentials) \
                and self.credentials.get("refresh_token"):
            return CredentialsExpired(f"X: {detail or 'Unauthorized'}", status=401)
        if response.status_code == 403 and _REPLY_REFUSED.search(detail):
            return ReplyNotAllowed(
                "X does not let the brand reply to this post: its author has not mentioned "
                "the brand or quoted its post, or limits who may reply. Ask the customer to "
                "mention the brand, or answer another way; nothing was posted.", status=403)
        if response.status_code == 403 and _GONE.search(detail):
            return Refused("The post being answered was deleted, or its author hides it from "
                           "the brand; nothing was posted.", status=404)
        if response.status_code == 403 and _DUPLICATE.search(detail):
            return DuplicatePost(f"X: {detail}", status=403)
        if response.status_code == 429 and _USAGE_CAPPED in str(body.get("type", "")):
            reset = self.rate_limit(response.headers)[1]
            if reset:
                return RateLimited("X's monthly post-read cap is used up.", resume_at=reset)
        return None

    def refresh_credentials(self, credentials):
        return tokens.refreshed(self.http, credentials, self.app_secrets)

    @classmethod
    def credentials_expire_at(cls, credentials):
        return tokens.expires_at(credentials)

    def rate_limit(self, headers):
        remaining, reset = headers.get("x-rate-limit-remaining"), headers.get("x-rate-limit-reset")
        if reset and reset.isdigit():
            reset = datetime.fromtimestamp(int(reset), timezone.utc)
        else:
            reset = None
        return (int(remaining) if remaining and remaining.isdigit() else None), reset

    def billed_reads(self, response):
        """Posts an answer returned: X bills each one read (the users with them are free
        expansions)."""
        if response.request.method != "GET" or not response.content:
            return 0
        try:
            body = response.json()
        except ValueError:
            return 0
        if not isinstance(body, dict):
            return 0
        data = body.get("data")
        posts = len(data) if isinstance(data, list) else 0
        if isinstance(data, dict) and "text" in data:
            posts = 1
        included = (body.get("includes") or {}).get("tweets") if isinstance(
            body.get("includes"), dict) else None
        return posts + (len(included) if isinstance(included, list) else 0)

    def most_billed_reads(self, method, url, params):
        if method != "GET":
            return 0
        path = urlsplit(url).path
        params = params or {}
        if _PAGED_PATHS.search(path):
            return int(params.get("max_results", 10))
        if path == "/2/tweets":
            return len(str(params.get("ids", "")).split(","))
        return 1 if path.startswith("/2/tweets/") else 0

    # ----- webhooks (the Account Activity API, keyed by the consumer secret) ----

    @classmethod
    def webhook_challenge(cls, query, secrets):
        return webhook.challenge(query, secrets[tokens.CONSUMER_SECRET])

    @classmethod
    def verify_webhook(cls, raw_body, headers, secrets):
        webhook.verify(raw_body, headers, secrets[tokens.CONSUMER_SECRET])

    @classmethod
    def route_webhook(cls, payload, headers):
        return webhook.route(payload)

    def parse_webhook(self, payload, brand_user_id):
        return webhook.parse(payload, brand_user_id)

    # ----- ids -------------------------------------------------------------

    def author_id(self, platform_user_id):
        return common.external_id(platform_user_id)

    # ----- the account -----------------------------------------------------

    def verify(self):
        me = self.http.get_json("/2/users/me")["data"]
        return Identity(user_id=me["id"], handle="@" + me["username"],
                        name=me.get("name") or me["username"])

    # ----- intake ----------------------------------------------------------

    def fetch_mentions(self, cursor, since):
        """Posts that mention the brand since `cursor` (and, with search terms, posts that
        name it), each read once: every stream pages on from its last newest id.

        X's mention timeline reaches only the newest ~800 mentions. When a burst (or a
        backfill, or a worker long down) reads that deep, the mentions older than the reach
        are taken from recent search (`@brand`, between the last id taken in and the oldest
        one read), so none is lost.
        """
        state = json.loads(cursor) if cursor else {}
        if not state.get("brand"):
            me = self.verify()
            state["brand"], state["name"] = me.user_id, me.handle.lstrip("@")
        brand, name = state["brand"], state["name"]
        found, more = {}, False
        streams = [("m", f"/2/users/{brand}/mentions", {})]
        if state.get("g"):
            streams.append(("g", SEARCH, {"query": f"@{name} -from:{name}"}))
        terms = search_terms(self.settings.get("search_terms", ""))
        if terms:
            streams.append(("s", SEARCH, {"query": search_query(terms, name)}))
        for key, path, extra in streams:
            try:
                mentions, state[key], pending = self._walk(path, extra, state.get(key) or {},
                                                           since)
            except BudgetSpent:
                if not found:
                    raise
                more = True  # keep what was read (and billed); the rest waits for the budget
                break
            more |= pending
            for mention in mentions:
                found.setdefault(mention.external_id, mention)
        if "gap" in state["m"]:
            gap = state["m"].pop("gap")
            if state.get("g"):  # a gap still being read lies below the new one: read both
                gap = {**{k: state["g"][k] for k in ("since", "start") if k in state["g"]},
                       "until": gap["until"]}
            state["g"], more = gap, True
        elif not state.get("g", {}).get("next"):
            state.pop("g", None)  # the gap is filled
        return Batch(mentions=common.oldest_first(found.values()),
                     cursor=json.dumps(state, sort_keys=True), more=more)

    def _walk(self, path, extra, position, since):
        """Read one stream newest first from its position, within `MAX_PAGES`.

        `position` is {"since": newest id taken in, or "start": the backfill's first moment;
        "until": an id to read below (a gap); while a burst is read over several polls,
        "next": the token of its unread older pages, "top": its newest id, "oldest": its
        oldest id so far and "read": how many it has read}. The query stays the same until the
        burst is read; a burst of the mention timeline that read to its reach ends with the
        "gap" left below it.
        """
        params = {**QUERY, **extra, "max_results": PAGE}
        if position.get("since"):
            params["since_id"] = position["since"]
        else:
            position = {**position,
                        "start": position.get("start") or since.strftime("%Y-%m-%dT%H:%M:%SZ")}
            params["start_time"] = position["start"]
        if position.get("until"):
            params["until_id"] = position["until"]
        token, top, mentions = position.get("next"), position.get("top"), []
        oldest, read = position.get("oldest"), position.get("read", 0)
        for _ in range(MAX_PAGES):
            try:
                answer = self.http.get_json(path, params={
                    **params, **({"pagination_token": token} if token else {})})
            except BudgetSpent:
                if not mentions:
                    raise
                break  # what was read is kept; the unread pages wait for the budget
            page = Page(answer)
            top = top or page.meta.get("newest_id")
            oldest = page.meta.get("oldest_id") or oldest
            read += len(page.posts)
            mentions.extend(page.mentions())
            token = page.meta.get("next_token")
            if not token:
                break
        if token:
            return mentions, {**position, "next": token, "top": top, "oldest": oldest,
                              "read": read}, True
        done = {"since": top or position["since"]} if top or position.get("since") else {}
        if path != SEARCH and read >= MENTIONS_REACH and oldest:
            below = {key: position[key] for key in ("since", "start") if position.get(key)}
            done["gap"] = {**below, "until": oldest}
        return mentions, done, False

    def resolve_threads(self, mentions):
        """The conversation of each post a webhook brought (v1.1 events do not name it), one
        lookup per hundred posts."""
        unknown = [common.tweet_id(m.external_id) for m in mentions if not m.thread_id]
        threads = {m.external_id: m.thread_id for m in mentions if m.thread_id}
        for start in range(0, len(unknown), LOOKUP_BATCH):
            answer = self.http.get_json("/2/tweets", params={
                "ids": ",".join(unknown[start:start + LOOKUP_BATCH]),
                "tweet.fields": "conversation_id"})
            for post in answer.get("data") or []:
                if post.get("conversation_id"):
                    threads[common.external_id(post["id"])] = common.external_id(
                        post["conversation_id"])
        return threads

    # ----- replies ---------------------------------------------------------

    def text_rules(self):
        return RULES

    def reply_prefix(self, target):
        # X threads a reply under the post and notifies its author; typing the @name would
        # only spend characters.
        return ""

    def media_rules(self):
        return media.RULES

    def check_media(self, files):
        super().check_media(files)
        reason = None if isinstance(files, int) else media.refusal(files)
        if reason:
            raise MediaRefused(f"On {self.label}, {reason}. Nothing was posted.")

    def post_reply(self, target, text, idempotency_key, files=()):
        """Post `text` (and `files`) in reply to `target`'s post.

        X takes no idempotency key, but refuses a text the brand has just posted: a retry
        whose first attempt did go through finds that post among the brand's latest instead
        of failing.
        """
        body = {"text": text, "reply": {"in_reply_to_tweet_id": target["tweet_id"]}}
        if files:
            body["media"] = {"media_ids": [media.upload(self.http, file) for file in files]}
        try:
            created = parsed(self.http.post("/2/tweets", json=body))["data"]
        except DuplicatePost:
            created = self._earlier(target, text)
            if created is None:
                raise
        return Posted(external_id=common.external_id(created["id"]),
                      url=common.post_url(None, created["id"]),
                      reply_target=common.reply_target(created["id"], None, None))

    def _earlier(self, target, text):
        """The brand's post of `text` answering `target`, if one of its latest is."""
        answer = self.http.get_json(f"/2/users/{self.verify().user_id}/tweets", params={
            "max_results": DUPLICATE_SCAN, "tweet.fields": "referenced_tweets"})
        for post in answer.get("data") or []:
            answers = {ref["id"] for ref in post.get("referenced_tweets") or []
                       if ref.get("type") == "replied_to"}
            if target["tweet_id"] in answers and post.get("text", "").endswith(text.strip()):
                return post
        return None

    # ----- the sidebar -----------------------------------------------------

    def recent_posts(self, author, limit=20):
        answer = self.http.get_json(f"/2/users/{common.tweet_id(author.id)}/tweets", params={
            **QUERY, "max_results": max(5, min(limit, PAGE))})
        return list(reversed(Page(answer).mentions()))[:limit]

    def profile(self, author):
        user = self._user(f"/2/users/{common.tweet_id(author.id)}", author.handle)
        return Profile(author=_author(user),
                       followers_count=(user.get("public_metrics") or {}).get("followers_count"))

    def lookup(self, handle):
        name = handle.strip().lstrip("@")
        if not re.fullmatch(r"\w{1,15}", name, re.ASCII):
            raise Refused(f"{handle!r} is not an X handle.", status=404)
        return _author(self._user(f"/2/users/by/username/{name}", handle))

    def _user(self, path, handle):
        answer = self.http.get_json(path, params={"user.fields": QUERY["user.fields"]})
        if not isinstance(answer.get("data"), dict):
            # X says "not found" as a 200 whose `errors` name the user.
            raise Refused(f"No X account {handle}.", status=404)
        return answer["data"]


def _author(user):
    return common.author(user["id"], user.get("username"), user.get("name"),
                         user.get("profile_image_url"))


def search_terms(value: str) -> list[str]:
    """The search terms of the setting (its quotes left out: the query quotes phrases)."""
    return comma_separated(value.replace('"', ""))


def search_query(terms: list[str], brand_name: str) -> str:
    """A recent-search query for posts naming the brand, leaving out its own and reposts."""
    words = " OR ".join(f'"{term}"' if " " in term else term for term in terms)
    mine = f" -from:{brand_name}" if brand_name else ""
    return f"({words}){mine} -is:retweet"
