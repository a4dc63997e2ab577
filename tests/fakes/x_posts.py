"""How the fake X builds a stored post (API v2 field set) from what its author wrote.

Follows X's rules: ids are snowflakes, links become t.co links (23 weighted characters),
`&`, `<` and `>` are escaped and entity offsets count code points of that escaped text, a text
over 280 weighted characters (twitter-text v3) keeps its whole text in `note_tweet` and is cut
to 280 in `text`, and a post's media are linked by a t.co link at its end.
"""
import hashlib
import html
import re
from datetime import datetime
from datetime import timezone

from twitter_text import extract_urls_with_indices
from twitter_text import parse_tweet

TWEPOCH_MS = 1288834974657
MAX_WEIGHTED = 280
MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})\b")
HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w*[^\W\d]\w*)")
MEDIA_PREFIX = {"photo": "3", "video": "7", "animated_gif": "16"}
MEDIA_PATH = {"photo": "photo", "video": "video", "animated_gif": "photo"}


def snowflake(created_at: datetime, seq: int) -> str:
    """A post id as X makes them: milliseconds since X's epoch, then a 22-bit sequence."""
    ms = int(created_at.timestamp() * 1000)
    return str(((ms - TWEPOCH_MS) << 22) | (seq & 0x3FFFFF))


def iso(moment: datetime) -> str:
    """X's timestamp format: `2022-03-10T16:47:48.000Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def weighted_length(text: str) -> int:
    """The length X counts (URLs 23, most CJK and emoji 2)."""
    return parse_tweet(text).weightedLength


def tco(seed: str) -> str:
    """A t.co link (10 characters after the slash), stable for one seed."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return "https://t.co/" + "".join(chr(ord("a") + int(c, 16)) if i % 2 else c
                                     for i, c in enumerate(digest[:10]))


def _display(url: str) -> str:
    bare = re.sub(r"^https?://(www\.)?", "", url)
    return bare if len(bare) <= 26 else bare[:25] + "…"


def shorten(text: str, seed: str) -> tuple[str, list[tuple[str, str]]]:
    """`text` with every URL X recognises replaced by a t.co link, and (t.co, expanded) pairs."""
    pieces, links, last = [], [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        url = found["url"]
        expanded = url if re.match(r"https?://", url) else "http://" + url
        short = tco(f"{seed}:{start}:{url}")
        pieces += [text[last:start], short]
        links.append((short, expanded))
        last = end
    return "".join(pieces) + text[last:], links


def entities(text: str, links: list, users_by_name: dict, media_links=()) -> dict:
    """X's `entities` for a (shortened, escaped) text; keys only for kinds present."""
    found = {}
    urls, cursor = [], 0
    for short, expanded, *media_key in [*links, *media_links]:
        start = text.find(short, cursor)
        if start < 0:
            continue
        cursor = start + len(short)
        entity = {"start": start, "end": cursor, "url": short, "expanded_url": expanded,
                  "display_url": _display(expanded)}
        if media_key:
            entity["media_key"] = media_key[0]
            entity["display_url"] = "pic.x.com/" + short.rsplit("/", 1)[1]
        urls.append(entity)
    mentions = [{"start": m.start(), "end": m.end(), "username": users_by_name[m[1].lower()]["username"],
                 "id": users_by_name[m[1].lower()]["id"]}
                for m in MENTION_RE.finditer(text) if m[1].lower() in users_by_name]
    hashtags = [{"start": m.start(), "end": m.end(), "tag": m[1]} for m in HASHTAG_RE.finditer(text)]
    for key, value in (("urls", urls), ("mentions", mentions), ("hashtags", hashtags)):
        if value:
            found[key] = value
    return found


def cut(text: str) -> str:
    """The first 280 weighted characters of a long text, as X shows it in `text`."""
    low, high = 0, len(text)
    while low < high:  # the longest prefix (in code points) X would accept
        middle = (low + high + 1) // 2
        if weighted_length(text[:middle]) <= MAX_WEIGHTED:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def media_item(media_id: str, url: str, alt_text: str, kind: str) -> dict:
    """An entry of X's media store (`includes.media`)."""
    item = {"media_key": f"{MEDIA_PREFIX.get(kind, '3')}_{media_id}", "type": kind,
            "width": 1200, "height": 675, "alt_text": alt_text or ""}
    if kind == "photo":
        item["url"] = url
    else:
        item["preview_image_url"] = url
        item["variants"] = [{"content_type": "video/mp4", "url": url, "bit_rate": 832000}]
        if kind == "video":
            item["duration_ms"] = 12000
    return item


def build(post_id: str, author: dict, text: str, created_at: datetime, users_by_name: dict, *,
          parent: dict | None, quoted: dict | None, retweeted: dict | None, media: list,
          reply_settings: str) -> dict:
    """The stored v2 post (every field X can return) for what `author` wrote."""
    short, links = shorten(text, post_id)
    escaped = html.escape(short, quote=False)
    media_links = []
    if media:
        link = tco(f"{post_id}:media")
        expanded = f"https://x.com/{author['username']}/status/{post_id}/" \
            f"{MEDIA_PATH.get(media[0]['type'], 'photo')}/1"
        escaped = f"{escaped} {link}" if escaped else link
        media_links.append((link, expanded, media[0]["media_key"]))
    full_entities = entities(escaped, links, users_by_name, media_links)
    tweet = {"id": post_id, "text": escaped, "edit_history_tweet_ids": [post_id],
             "author_id": author["id"], "created_at": iso(created_at),
             "conversation_id": parent["conversation_id"] if parent else post_id,
             "lang": "en", "possibly_sensitive": False, "reply_settings": reply_settings,
             "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0,
                                "quote_count": 0, "bookmark_count": 0, "impression_count": 0}}
    if full_entities:
        tweet["entities"] = full_entities
    if weighted_length(short) > MAX_WEIGHTED:
        tweet["note_tweet"] = {"text": escaped, "entities": full_entities}
        tweet["text"] = cut(escaped)
        kept = entities(tweet["text"], links, users_by_name, media_links)
        tweet.pop("entities", None)
        if kept:
            tweet["entities"] = kept
    references = [{"type": kind, "id": ref["id"]} for kind, ref in
                  (("replied_to", parent), ("quoted", quoted), ("retweeted", retweeted)) if ref]
    if references:
        tweet["referenced_tweets"] = references
    if parent:
        tweet["in_reply_to_user_id"] = parent["author_id"]
    if media:
        tweet["attachments"] = {"media_keys": [item["media_key"] for item in media]}
    return tweet
