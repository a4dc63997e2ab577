"""How the fake X shows stored posts: API v2 answers (fields and expansions chosen by the
request, as X does) and v1.1 objects (the Account Activity API's webhook deliveries)."""
import html
from datetime import datetime
from datetime import timezone

from tests.fakes import x_posts

DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
DEFAULT_MEDIA_FIELDS = ("media_key", "type")
V1_TIME = "%a %b %d %H:%M:%S +0000 %Y"


def _listed(params, name) -> list[str]:
    return [item for item in (params.get(name) or "").split(",") if item]


def pick(item: dict, defaults, params, name) -> dict:
    """`item` with only the default fields and those asked for in `params[name]`."""
    wanted = (*defaults, *_listed(params, name))
    return {key: item[key] for key in wanted if key in item}


def not_found(resource_type: str, parameter: str, value: str) -> dict:
    """X's entry in `errors` for something a lookup could not find."""
    noun = "tweet" if resource_type == "tweet" else "user"
    detail = f"Could not find {noun} with {parameter}: [{value}]."
    return {"value": value, "detail": detail, "title": "Not Found Error",
            "resource_type": resource_type, "parameter": parameter, "resource_id": value,
            "type": "https://api.twitter.com/2/problems/resource-not-found"}


class V2:
    """Renders posts and users of one fake for one request's `params`."""

    def __init__(self, fake, params):
        """`fake` gives `tweets`, `users` and `media`; `params` the request's query."""
        self.fake = fake
        self.params = params
        self.expansions = set(_listed(params, "expansions"))

    def user(self, user: dict) -> dict:
        """A user with the requested `user.fields`."""
        return pick(user, DEFAULT_USER_FIELDS, self.params, "user.fields")

    def tweet(self, tweet: dict) -> dict:
        """A post with the requested `tweet.fields`."""
        return pick(tweet, DEFAULT_TWEET_FIELDS, self.params, "tweet.fields")

    def page(self, tweets: list[dict], meta: dict | None = None) -> dict:
        """`{data, includes, errors, meta}` for `tweets`, keys only when they have content."""
        body = {}
        if tweets:
            body["data"] = [self.tweet(t) for t in tweets]
        body.update(self.includes(tweets))
        if meta is not None:
            body["meta"] = meta
        return body

    def includes(self, tweets: list[dict]) -> dict:
        """`includes` (users, tweets, media) and `errors` for the requested expansions."""
        users, referenced, media, errors = {}, {}, {}, []

        def add_user(user_id):
            if user_id and user_id in self.fake.users:
                users.setdefault(user_id, self.user(self.fake.users[user_id]))

        for tweet in tweets:
            if "author_id" in self.expansions:
                add_user(tweet["author_id"])
            if "in_reply_to_user_id" in self.expansions:
                add_user(tweet.get("in_reply_to_user_id"))
            if "entities.mentions.username" in self.expansions:
                for mention in tweet.get("entities", {}).get("mentions", ()):
                    add_user(mention["id"])
            if "attachments.media_keys" in self.expansions:
                for key in tweet.get("attachments", {}).get("media_keys", ()):
                    media.setdefault(key, pick(self.fake.media[key], DEFAULT_MEDIA_FIELDS,
                                               self.params, "media.fields"))
            for ref in tweet.get("referenced_tweets", ()):
                target = self.fake.tweets.get(ref["id"])
                wants_tweet = "referenced_tweets.id" in self.expansions
                if target is None:
                    if wants_tweet:
                        errors.append(not_found("tweet", "referenced_tweets.id", ref["id"]))
                    continue
                if wants_tweet:
                    referenced.setdefault(target["id"], self.tweet(target))
                if "referenced_tweets.id.author_id" in self.expansions:
                    add_user(target["author_id"])
        includes = {key: list(value.values()) for key, value in
                    (("users", users), ("tweets", referenced), ("media", media)) if value}
        body = {"includes": includes} if includes else {}
        if errors:
            body["errors"] = errors
        return body


def _v1_time(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def v1_user(user: dict) -> dict:
    """A v1.1 user object."""
    return {"id": int(user["id"]), "id_str": user["id"], "name": user["name"],
            "screen_name": user["username"], "location": user.get("location"),
            "description": user.get("description", ""), "protected": False, "verified": False,
            "followers_count": user["public_metrics"]["followers_count"],
            "friends_count": user["public_metrics"]["following_count"],
            "statuses_count": user["public_metrics"]["tweet_count"],
            "created_at": _v1_time(user["created_at"]).strftime(V1_TIME),
            "profile_image_url_https": user["profile_image_url"]}


def _v1_entities(entities: dict, users: dict, media: list) -> dict:
    found = {"hashtags": [{"text": h["tag"], "indices": [h["start"], h["end"]]}
                          for h in entities.get("hashtags", ())],
             "urls": [{"url": u["url"], "expanded_url": u["expanded_url"],
                       "display_url": u["display_url"], "indices": [u["start"], u["end"]]}
                      for u in entities.get("urls", ()) if "media_key" not in u],
             "user_mentions": [{"screen_name": m["username"], "name": users[m["id"]]["name"],
                                "id": int(m["id"]), "id_str": m["id"],
                                "indices": [m["start"], m["end"]]}
                               for m in entities.get("mentions", ())],
             "symbols": []}
    if media:
        found["media"] = media
    return found


def _v1_media(tweet: dict, fake) -> list:
    link = next((u for u in tweet.get("note_tweet", tweet).get("entities", {}).get("urls", ())
                 if "media_key" in u), None)
    if link is None:
        return []
    found = []
    for key in tweet["attachments"]["media_keys"]:
        item = fake.media[key]
        media_id = key.split("_", 1)[1]
        entry = {"id": int(media_id), "id_str": media_id, "indices": [link["start"], link["end"]],
                 "media_url_https": item.get("url") or item.get("preview_image_url"),
                 "url": link["url"], "display_url": link["display_url"],
                 "expanded_url": link["expanded_url"], "type": item["type"],
                 "ext_alt_text": item.get("alt_text") or None}
        if "variants" in item:
            entry["video_info"] = {"variants": item["variants"]}
        found.append(entry)
    return found


def _truncated(tweet: dict, text: str, entities: dict) -> tuple[str, dict]:
    """A long post's v1.1 `text` and `entities`: its start, "…" and a t.co link to it."""
    link = x_posts.tco(f"{tweet['id']}:status")
    keep = 140 - len(link) - 2
    kept = {key: [e for e in value if e["indices"][1] <= keep]
            for key, value in entities.items() if key != "media"}
    start = keep + 2
    kept["urls"].append({"url": link, "expanded_url": f"https://twitter.com/i/web/status/{tweet['id']}",
                         "display_url": f"twitter.com/i/web/status/{tweet['id'][:7]}…",
                         "indices": [start, start + len(link)]})
    return f"{text[:keep]}… {link}", kept


def v1_tweet(tweet: dict, fake, nested: bool = True) -> dict:
    """A stored post as a v1.1 (Account Activity API) tweet object.

    Over 140 characters, `text` is cut (with `truncated: true`) and the whole text is in
    `extended_tweet.full_text`, as X renders posts in compatibility mode.
    """
    users = fake.users
    author = users[tweet["author_id"]]
    full = tweet.get("note_tweet", tweet)
    media = _v1_media(tweet, fake)
    entities = _v1_entities(full.get("entities", {}), users, media)
    parent_ref = next((r for r in tweet.get("referenced_tweets", ()) if r["type"] == "replied_to"), None)
    quoted_ref = next((r for r in tweet.get("referenced_tweets", ()) if r["type"] == "quoted"), None)
    retweet_ref = next((r for r in tweet.get("referenced_tweets", ()) if r["type"] == "retweeted"), None)
    parent = fake.tweets.get(parent_ref["id"]) if parent_ref else None
    long = len(html.unescape(full["text"])) > 140
    obj = {"created_at": _v1_time(tweet["created_at"]).strftime(V1_TIME),
           "id": int(tweet["id"]), "id_str": tweet["id"],
           "text": full["text"],
           "source": '<a href="https://mobile.x.com" rel="nofollow">X Web App</a>',
           "truncated": long,
           "in_reply_to_status_id": int(parent_ref["id"]) if parent_ref else None,
           "in_reply_to_status_id_str": parent_ref["id"] if parent_ref else None,
           "in_reply_to_user_id": int(tweet["in_reply_to_user_id"]) if parent_ref else None,
           "in_reply_to_user_id_str": tweet.get("in_reply_to_user_id"),
           "in_reply_to_screen_name": users[parent["author_id"]]["username"] if parent else None,
           "user": v1_user(author), "geo": None, "coordinates": None, "place": None,
           "contributors": None, "is_quote_status": quoted_ref is not None,
           "quote_count": tweet["public_metrics"]["quote_count"],
           "reply_count": tweet["public_metrics"]["reply_count"],
           "retweet_count": tweet["public_metrics"]["retweet_count"],
           "favorite_count": tweet["public_metrics"]["like_count"],
           "entities": entities, "favorited": False, "retweeted": False,
           "filter_level": "low", "lang": tweet["lang"],
           "timestamp_ms": str(int(_v1_time(tweet["created_at"]).timestamp() * 1000))}
    if long:
        obj["text"], obj["entities"] = _truncated(tweet, full["text"], entities)
        obj["extended_tweet"] = {"full_text": full["text"],
                                 "display_text_range": [0, len(full["text"])],
                                 "entities": entities}
        if media:
            obj["extended_tweet"]["extended_entities"] = {"media": media}
    if media:
        obj["extended_entities"] = {"media": media}
    if quoted_ref:
        obj["quoted_status_id"] = int(quoted_ref["id"])
        obj["quoted_status_id_str"] = quoted_ref["id"]
        if nested and quoted_ref["id"] in fake.tweets:
            obj["quoted_status"] = v1_tweet(fake.tweets[quoted_ref["id"]], fake, nested=False)
    if retweet_ref and nested and retweet_ref["id"] in fake.tweets:
        obj["retweeted_status"] = v1_tweet(fake.tweets[retweet_ref["id"]], fake, nested=False)
    return obj
