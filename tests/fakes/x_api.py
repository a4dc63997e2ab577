"""The API v2 routes of the fake X: timelines, search, lookups and creating posts, with X's
paging, problem bodies and per-endpoint rate limits (`x-rate-limit-*` headers, 429 without
`Retry-After`)."""
import json
import threading
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from flask import Flask
from flask import Response
from flask import jsonify
from flask import request

from tests.fakes import x_posts
from tests.fakes.x_render import V2
from tests.fakes.x_render import not_found
from tests.fakes.x_search import QueryError
from tests.fakes.x_search import compile_query

WINDOW = 900
# Per 15 minutes, from X's rate-limit table (user context where the two differ).
LIMITS = {"me": 75, "mentions": 450, "search": 450, "timeline": 900, "users": 300,
          "tweets": 450, "create": 100, "media": 500, "media_metadata": 500}
# One-shot uploads X takes (tweet_image, tweet_gif): types and the largest size of each.
UPLOADS = {"image/jpeg": 5 * 2 ** 20, "image/png": 5 * 2 ** 20, "image/webp": 5 * 2 ** 20,
           "image/gif": 15 * 2 ** 20}
REACHABLE = {"mentions": 800, "timeline": 3200}
PAGE_SIZES = {"mentions": (5, 100), "timeline": (5, 100), "search": (10, 100)}
TOKEN_PREFIX = "7140dib"
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401,
                "detail": "Unauthorized"}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
            "status": 429}
APP_ONLY_FORBIDDEN = {
    "title": "Unsupported Authentication",
    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
              "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    "type": "https://api.twitter.com/2/problems/unsupported-authentication", "status": 403}
# X's wordings, as clients have logged them (tweepy, x-ruby, iembot and others).
TOO_LONG = ("Your Tweet text is too long. For more information on how Twitter determines text "
            "length see https://github.com/twitter/twitter-text.")
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
NOT_ENGAGED = ("Reply to this conversation is not allowed because you have not been mentioned or "
               "otherwise engaged by the author of the post you are replying to.")
DELETED_PARENT = "You attempted to reply to a Tweet that is deleted or not visible to you."


def problem(status: int, title: str, detail: str, kind: str = "about:blank"):
    """X's problem JSON with `status`."""
    return jsonify(title=title, detail=detail, type=kind, status=status), status


def forbidden(detail: str):
    """A 403 refusal worded as X words it."""
    return problem(403, "Forbidden", detail)


def invalid(parameter: str | None, value, message: str):
    """X's 400 invalid-request answer (naming the parameter when there is one)."""
    error = {"parameters": {parameter: [str(value)]}} if parameter else {}
    return jsonify(errors=[{**error, "message": message}], title="Invalid Request",
                   detail="One or more parameters to your request was invalid.",
                   type="https://api.twitter.com/2/problems/invalid-request"), 400


def _page_token(tweet_id: str) -> str:
    return TOKEN_PREFIX + format(int(tweet_id), "x")


def _after_token(token: str) -> int | None:
    try:
        return int(token.removeprefix(TOKEN_PREFIX), 16) if token.startswith(TOKEN_PREFIX) else None
    except ValueError:
        return None


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class XApi:
    """Builds the Flask app of a fake X (`fake` holds the state)."""

    def __init__(self, fake):
        """Routes read and change `fake`."""
        self.fake = fake
        self.windows = {}
        self._lock = threading.Lock()

    def build(self) -> Flask:
        """The Flask app: OAuth routes, API routes, and the checks around every request."""
        app = Flask("fake_x")
        self.fake.auth.register(app)
        app.before_request(self._before)
        app.after_request(self._after)
        routes = [("/2/users/me", self.me, "me", ["GET"]),
                  ("/2/users/<user_id>/mentions", self.mentions, "mentions", ["GET"]),
                  ("/2/users/<user_id>/tweets", self.timeline, "timeline", ["GET"]),
                  ("/2/tweets/search/recent", self.search, "search", ["GET"]),
                  ("/2/users/<user_id>", self.user, "users", ["GET"]),
                  ("/2/users/by/username/<username>", self.user_by_name, "users_by_name", ["GET"]),
                  ("/2/tweets", self.tweets, "tweets", ["GET"]),
                  ("/2/tweets", self.create, "create", ["POST"]),
                  ("/2/tweets/<tweet_id>", self.tweet, "tweet", ["GET"]),
                  ("/2/media/upload", self.upload, "media", ["POST"]),
                  ("/2/media/metadata", self.metadata, "media_metadata", ["POST"])]
        for rule, view, endpoint, methods in routes:
            app.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=methods)
        app.register_error_handler(404, lambda e: problem(404, "Not Found Error",
                                                          "Sorry, that page does not exist"))
        app.register_error_handler(405, lambda e: problem(405, "Method Not Allowed",
                                                          "Method Not Allowed"))
        return app

    # ----- around every request ---------------------------------------------

    @staticmethod
    def _limit_name():
        name = request.endpoint or ""
        return {"tweet": "tweets", "users_by_name": "users"}.get(name, name) \
            if name in (*LIMITS, "tweet", "users_by_name") else None

    def _before(self):
        fake = self.fake
        params = request.get_json(silent=True) if request.is_json else \
            {**request.args.to_dict(), **request.form.to_dict()}
        fake.requests.append((request.method, request.path, params or {}))
        canned = fake.take_canned(request.path)
        if canned is not None:
            return canned
        limit = self._limit_name()
        if limit is None:
            return None
        request.environ["fake_x.caller"] = caller = fake.auth.caller()
        if caller is None:
            return jsonify(UNAUTHORIZED), 401
        with self._lock:
            window = self._window(limit)
            if window["used"] >= window["limit"]:
                return jsonify(TOO_MANY), 429
            window["used"] += 1
        return None

    def _window(self, name):
        now = time.time()
        window = self.windows.get(name)
        limit = self.fake.limits.get(name, LIMITS[name])
        if window is None or now >= window["reset"]:
            window = self.windows[name] = {"reset": int(now) + WINDOW, "used": 0, "limit": limit}
        window["limit"] = limit
        return window

    def _after(self, response):
        limit = self._limit_name()
        if limit is not None and "x-rate-limit-limit" not in response.headers:
            with self._lock:
                window = self._window(limit)
            response.headers["x-rate-limit-limit"] = str(window["limit"])
            response.headers["x-rate-limit-remaining"] = str(max(0, window["limit"] - window["used"]))
            response.headers["x-rate-limit-reset"] = str(window["reset"])
        return response

    @staticmethod
    def _caller():
        return request.environ["fake_x.caller"]

    # ----- reads -------------------------------------------------------------

    def _billed(self, body: dict) -> dict:
        returned = [t["id"] for t in body.get("data", ()) if isinstance(t, dict)]
        returned += [t["id"] for t in body.get("includes", {}).get("tweets", ())]
        self.fake.bill(returned)
        return body

    def _listing(self, kind, tweets, *, since_days=None):
        """A page of `tweets` (any order) for this request's paging parameters."""
        args = request.args
        low, high = PAGE_SIZES[kind]
        size = args.get("max_results", str(max(low, 10)))
        if not size.isdigit() or not low <= int(size) <= high:
            return invalid("max_results", size, f"The `max_results` query parameter value "
                           f"[{size}] is not between {low} and {high}")
        ordered = sorted(tweets, key=lambda t: int(t["id"]), reverse=True)
        if kind in REACHABLE:
            ordered = ordered[:REACHABLE[kind]]
        for name in ("since_id", "until_id"):
            if name in args and not args[name].isdigit():
                return invalid(name, args[name], f"The `{name}` query parameter value "
                               f"[{args[name]}] is not valid")
        if "since_id" in args:
            ordered = [t for t in ordered if int(t["id"]) > int(args["since_id"])]
        if "until_id" in args:
            ordered = [t for t in ordered if int(t["id"]) < int(args["until_id"])]
        for name, keep in (("start_time", lambda t, m: _moment(t["created_at"]) >= m),
                           ("end_time", lambda t, m: _moment(t["created_at"]) < m)):
            if name in args:
                try:
                    moment = _moment(args[name])
                except ValueError:
                    return invalid(name, args[name], f"Invalid '{name}':'{args[name]}'.")
                ordered = [t for t in ordered if keep(t, moment)]
        if since_days is not None:
            oldest = datetime.now(timezone.utc) - timedelta(days=since_days)
            ordered = [t for t in ordered if _moment(t["created_at"]) >= oldest]
        if "pagination_token" in args:
            after = _after_token(args["pagination_token"])
            if after is None:
                return invalid("pagination_token", args["pagination_token"],
                               f"The `pagination_token` query parameter value "
                               f"[{args['pagination_token']}] is not valid")
            ordered = [t for t in ordered if int(t["id"]) < after]
        page = ordered[:int(size)]
        meta = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if len(ordered) > len(page):
            meta["next_token"] = _page_token(page[-1]["id"])
        return jsonify(self._billed(V2(self.fake, args).page(page, meta)))

    def mentions(self, user_id):
        """GET /2/users/:id/mentions: posts that @mention the user, newest first."""
        found = [t for t in self.fake.tweets.values()
                 if any(m["id"] == user_id for m in
                        t.get("note_tweet", t).get("entities", {}).get("mentions", ()))]
        return self._listing("mentions", found)

    def timeline(self, user_id):
        """GET /2/users/:id/tweets, with `exclude=retweets,replies`."""
        excluded = {"retweets": "retweeted", "replies": "replied_to"}
        skip = {excluded[e] for e in request.args.get("exclude", "").split(",") if e in excluded}
        found = [t for t in self.fake.tweets.values() if t["author_id"] == user_id and
                 not skip & {r["type"] for r in t.get("referenced_tweets", ())}]
        return self._listing("timeline", found)

    def search(self):
        """GET /2/tweets/search/recent: the last 7 days' posts matching `query`."""
        query = request.args.get("query", "")
        try:
            predicate = compile_query(query, self.fake.users)
        except QueryError as error:
            return invalid("query", query, f"There were errors processing your request: {error}")
        found = [t for t in self.fake.tweets.values() if predicate(t)]
        return self._listing("search", found, since_days=7)

    def tweets(self):
        """GET /2/tweets?ids=…: found posts in `data`, missing ones in `errors`."""
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not ids or len(ids) > 100:
            return invalid("ids", request.args.get("ids", ""),
                           "The `ids` query parameter value must contain 1 to 100 ids")
        render = V2(self.fake, request.args)
        found = [self.fake.tweets[i] for i in ids if i in self.fake.tweets]
        body = render.page(found)
        missing = [not_found("tweet", "ids", i) for i in ids if i not in self.fake.tweets]
        if missing:
            body["errors"] = missing + body.get("errors", [])
        return jsonify(self._billed(body))

    def tweet(self, tweet_id):
        """GET /2/tweets/:id."""
        found = self.fake.tweets.get(tweet_id)
        if found is None:
            return jsonify(errors=[not_found("tweet", "id", tweet_id)])
        render = V2(self.fake, request.args)
        body = {"data": render.tweet(found), **render.includes([found])}
        return jsonify(self._billed(body))

    def _user_answer(self, user, parameter, value):
        if user is None:
            return jsonify(errors=[not_found("user", parameter, value)])
        return jsonify(data=V2(self.fake, request.args).user(user))

    def me(self):
        """GET /2/users/me: the brand (user context only)."""
        if self._caller()["kind"] != "user":
            return jsonify(APP_ONLY_FORBIDDEN), 403
        return self._user_answer(self.fake.brand, "id", self.fake.brand["id"])

    def user(self, user_id):
        """GET /2/users/:id."""
        return self._user_answer(self.fake.users.get(user_id), "id", user_id)

    def user_by_name(self, username):
        """GET /2/users/by/username/:username."""
        return self._user_answer(self.fake.find_user(username), "username", username)

    # ----- writes ------------------------------------------------------------

    def create(self):
        """POST /2/tweets as the brand: 201 `{"data": {id, text, edit_history_tweet_ids}}`."""
        caller = self._caller()
        if caller["kind"] != "user":
            return jsonify(APP_ONLY_FORBIDDEN), 403
        if "tweet.write" not in caller["scopes"]:
            return forbidden("You are not permitted to perform this action.")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not (body.get("text") or body.get("media")):
            return invalid("text", "", "$.text: is missing but it is required")
        text = body.get("text") or ""
        media_ids = (body.get("media") or {}).get("media_ids") or []
        unknown = [m for m in media_ids if m not in self.fake.uploads]
        if unknown:
            return invalid("media.media_ids", ",".join(map(str, unknown)),
                           "Your media IDs are invalid.")
        target = None
        if body.get("reply"):
            target = self.fake.tweets.get(str(body["reply"].get("in_reply_to_tweet_id")))
            if target is None:
                return forbidden(DELETED_PARENT)
            refusal = self._reply_refusal(target)
            if refusal:
                return forbidden(refusal)
        if x_posts.weighted_length(text) > x_posts.MAX_WEIGHTED:
            return invalid(None, None, TOO_LONG)
        if text and text in self.fake.recent_brand_texts():
            return forbidden(DUPLICATE)
        stored = self.fake.post(self.fake.brand, text, reply_to=target,
                                media=[(*self.fake.uploads[m], m) for m in media_ids])
        answer = {"data": {"id": stored["id"], "text": stored["text"],
                           "edit_history_tweet_ids": stored["edit_history_tweet_ids"]}}
        return Response(json.dumps(answer), status=201, mimetype="application/json",
                        headers={"location": f"{request.host_url}2/tweets/{stored['id']}"})

    def upload(self):
        """POST /2/media/upload, one shot (multipart `media`, `media_category`): the media's
        ids, usable in a post for a day."""
        caller = self._caller()
        if caller["kind"] != "user":
            return jsonify(APP_ONLY_FORBIDDEN), 403
        media = request.files.get("media")
        if media is None:
            return invalid("media", "", "$.media: is missing but it is required")
        content = media.read()
        kind = request.form.get("media_type") or media.mimetype
        if kind not in UPLOADS:
            return invalid("media_type", kind, f"Unsupported media type: {kind}")
        if len(content) > UPLOADS[kind]:
            return invalid("media", len(content), "File size exceeds the maximum allowed.")
        category = "animated_gif" if kind == "image/gif" else "photo"
        media_id = self.fake.add_media(f"https://pbs.twimg.com/media/{len(self.fake.uploads)}"
                                       f".{kind.split('/')[1]}", "", category, mime_type=kind)
        key = ("16_" if category == "animated_gif" else "3_") + media_id
        return jsonify(data={"id": media_id, "media_key": key, "size": len(content),
                             "expires_after_secs": 86400,
                             "image": {"image_type": kind, "w": 1200, "h": 675}})

    def metadata(self):
        """POST /2/media/metadata: alt text for an uploaded image or GIF."""
        body = request.get_json(silent=True) or {}
        media_id = str(body.get("id"))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if media_id not in self.fake.uploads:
            return invalid("id", media_id, "Your media IDs are invalid.")
        if not isinstance(alt, str) or len(alt) > 1000:
            return invalid("metadata.alt_text.text", alt, "Alt text is at most 1000 characters.")
        self.fake.describe_media(media_id, alt)
        return jsonify(data={"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}})

    def _reply_refusal(self, target) -> str | None:
        """Why X refuses the brand's reply to `target`, if it does."""
        brand = self.fake.brand["id"]
        if target["author_id"] == brand:
            return None
        mentioned = any(m["id"] == brand for m in
                        target.get("note_tweet", target).get("entities", {}).get("mentions", ()))
        quoted_brand = any(r["type"] == "quoted" and
                           self.fake.tweets.get(r["id"], {}).get("author_id") == brand
                           for r in target.get("referenced_tweets", ()))
        if target["reply_settings"] != "everyone" and not (
                target["reply_settings"] == "mentionedUsers" and mentioned):
            return NOT_ENGAGED
        if not (mentioned or quoted_brand):
            return NOT_ENGAGED
        return None
