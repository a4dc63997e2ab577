"""X's Account Activity API deliveries: the CRC challenge, the signature, whom a delivery is
for, and the posts it carries (v1.1 tweet objects in `tweet_create_events`).

Both the challenge and the signature are HMAC-SHA256 keyed by the app's consumer secret,
base64-encoded and prefixed `sha256=`. One delivery names one subscribed user (`for_user_id`)
and carries one kind of event; only `tweet_create_events` (posts, replies, mentions, reposts,
quotes) become mentions.
"""
import base64
import hashlib
import json
from datetime import timezone
from email.utils import parsedate_to_datetime

from plugin.platforms.errors import Malformed
from plugin.platforms.errors import WebhookForged
from plugin.platforms.errors import WebhookUnsigned
from plugin.platforms.shapes import Mention
from plugin.platforms.shapes import WebhookRoute
from plugin.platforms.signing import hmac_sha256
from plugin.platforms.signing import same
from plugin.platforms.x import common

SIGNATURE = "x-twitter-webhooks-signature"
TWEETS = "tweet_create_events"


def challenge(query, consumer_secret: str) -> dict:
    """The answer to X's CRC: the `crc_token` keyed-hashed with the consumer secret.

    :raise Malformed: the request carries no `crc_token`.
    """
    token = query.get("crc_token")
    if not isinstance(token, str) or not token:
        raise Malformed("An X challenge carries a crc_token.")
    return {"response_token": _signed(token.encode(), consumer_secret)}


def verify(raw_body: bytes, headers, consumer_secret: str) -> None:
    """Check the delivery's `x-twitter-webhooks-signature` over `raw_body` in constant time.

    :raise WebhookUnsigned: the header is missing or empty.
    :raise WebhookForged: the signature does not match the body.
    """
    offered = next((value for name, value in headers.items() if name.lower() == SIGNATURE),
                   None)
    if not offered:
        raise WebhookUnsigned(f"An X delivery must carry {SIGNATURE}.")
    if not same(offered, _signed(raw_body, consumer_secret)):
        raise WebhookForged(f"The {SIGNATURE} does not match the delivery.")


def route(payload) -> WebhookRoute:
    """The subscribed user a delivery is for, and a key a redelivery repeats.

    X sends no delivery id, and a redelivered post may carry newer counts, so the key is the
    user and the ids of the posts; a delivery without posts (likes, follows …) is keyed by
    its whole content.

    :raise Malformed: the payload is not an object naming its user.
    """
    user_id = _for_user(payload)
    if payload.get(TWEETS) is None:
        content = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    else:
        ids = sorted(_id(tweet, "id_str") for tweet in _objects(payload, TWEETS))
        content = f"{user_id}:{','.join(ids)}"
    key = "sha256:" + hashlib.sha256(content.encode(errors="surrogatepass")).hexdigest()
    return WebhookRoute(key=key, brand_user_ids=(user_id,))


def parse(payload, brand_user_id: str) -> list[Mention]:
    """The posts a delivery for `brand_user_id` carries, oldest first; none for a delivery
    for another user or of other events.

    :raise Malformed: the payload or one of its posts is not shaped as X sends them.
    """
    if _for_user(payload) != brand_user_id:
        return []
    mentions = [to_mention(tweet) for tweet in _objects(payload, TWEETS)]
    return common.oldest_first(mentions)


def to_mention(tweet: dict) -> Mention:
    """A v1.1 tweet object as a `Mention`.

    Its whole text (`extended_tweet` when the root text is truncated) with links expanded and
    links to its own media left out; those media become attachments. A reply's thread is left
    for the pipeline to resolve: v1.1 posts carry no conversation id.
    """
    post_id = _id(tweet, "id_str")
    user = _object(tweet.get("user"), "user")
    user_id, username = _id(user, "id_str"), _text(user, "screen_name")
    if tweet.get("truncated") and tweet.get("extended_tweet") is not None:
        source = _object(tweet["extended_tweet"], "extended_tweet")
        text = source.get("full_text")
    else:
        source, text = tweet, tweet.get("full_text") or tweet.get("text")
    if not isinstance(text, str):
        raise Malformed(f"X post {post_id} has no text.")
    media = _objects(_optional(source, "extended_entities", dict), "media")
    links = _objects(_optional(source, "entities", dict), "urls")
    replying = tweet.get("in_reply_to_status_id_str") is not None
    parent = _id(tweet, "in_reply_to_status_id_str") if replying else None
    return Mention(
        platform=common.NAME, external_id=common.external_id(post_id),
        author=common.author(user_id, username, _maybe_text(user, "name"),
                             _maybe_text(user, "profile_image_url_https")),
        text=common.readable(text, links + media, {_text(item, "url") for item in media}),
        url=common.post_url(username, post_id), posted_at=_posted_at(tweet, post_id),
        reply_target=common.reply_target(post_id, user_id, username), raw=tweet,
        parent_id=common.external_id(parent) if parent else None,
        thread_id=None if parent else common.external_id(post_id),
        is_repost=tweet.get("retweeted_status") is not None,
        likes=_count(tweet, "favorite_count"),
        attachments=tuple(filter(None, map(_attachment, media))))


def _attachment(item: dict):
    """One of a post's files: a video or GIF at its best MP4, a photo as itself."""
    kind, still = _maybe_text(item, "type") or "", _maybe_text(item, "media_url_https")
    alt = _maybe_text(item, "ext_alt_text")
    video = common.best_mp4(_objects(_optional(item, "video_info", dict), "variants"),
                            "bitrate")
    if video:
        return common.attachment(kind, video, alt, preview=still)
    return common.attachment(kind, still, alt)


def _posted_at(tweet: dict, post_id: str):
    """`created_at` ("Wed Oct 10 20:19:24 +0000 2018") as an aware UTC datetime, read the same
    way whatever the process locale."""
    try:
        weekday, month, day, clock, offset, year = _text(tweet, "created_at").split()
        return parsedate_to_datetime(f"{weekday}, {day} {month} {year} {clock} {offset}") \
            .astimezone(timezone.utc)
    except (ValueError, TypeError):
        raise Malformed(f"X post {post_id} has no readable creation time.") from None


def _signed(data: bytes, consumer_secret: str) -> str:
    return "sha256=" + base64.b64encode(hmac_sha256(consumer_secret, data)).decode()


def _for_user(payload) -> str:
    return _id(_object(payload, "delivery"), "for_user_id")


def _object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise Malformed(f"An X delivery's {what} is not an object.")
    return value


def _optional(obj: dict, key: str, kind: type):
    """`obj[key]`, empty when absent or null; of `kind` otherwise."""
    value = obj.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise Malformed(f"An X delivery's {key} is not a {kind.__name__}.")
    return value


def _objects(obj: dict, key: str) -> list[dict]:
    """The list of objects `obj[key]`, empty when absent or null."""
    return [_object(item, key) for item in _optional(obj, key, list)]


def _maybe_text(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _count(obj: dict, key: str) -> int | None:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(obj: dict, key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise Malformed(f"An X delivery lacks {key}.")
    return value


def _id(obj: dict, key: str) -> str:
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise Malformed(f"An X delivery's {key} is not an id.")
    return value
