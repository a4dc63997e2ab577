"""X API v2 answers (a page of posts with its `includes`) as `Mention`s.

One request carries everything a ticket needs: the expansions put each post's author and its
media in `includes`, so no post costs a second read. The posts a mention answers or quotes are
not expanded: X bills each of them as a read, and the ticket needs only their ids (the thread
is `conversation_id`; a quote keeps its link).
"""
import re
from datetime import datetime
from datetime import timezone

from plugin.platforms.shapes import Mention
from plugin.platforms.x import common

# The link X appends for a post's own photo or video (older pages give no media_key on it).
_MEDIA_LINK = re.compile(r"/status/\d+/(photo|video)/\d+$")
SNOWFLAKE_EPOCH_MS = 1288834974657
# What every post read asks for (the reference list in X's docs, minus what we never show).
QUERY = {
    "expansions": "author_id,in_reply_to_user_id,attachments.media_keys",
    "tweet.fields": "author_id,created_at,conversation_id,in_reply_to_user_id,referenced_tweets,"
                    "entities,attachments,lang,public_metrics,reply_settings,note_tweet,"
                    "edit_history_tweet_ids",
    "user.fields": "username,name,profile_image_url,verified,protected,public_metrics",
    "media.fields": "type,url,preview_image_url,alt_text,variants",
}


class Page:
    """One answer of posts: its `data` and what `includes` lets us look up."""

    def __init__(self, answer: dict):
        self.posts = answer.get("data") or []
        includes = answer.get("includes") or {}
        self.users = {user["id"]: user for user in includes.get("users") or []}
        self.media = {item["media_key"]: item for item in includes.get("media") or []}
        self.meta = answer.get("meta") or {}

    def mentions(self) -> list[Mention]:
        """The page's posts as mentions, oldest first."""
        return common.oldest_first(self.mention(post) for post in self.posts)

    def mention(self, post: dict) -> Mention:
        """One post of the page as a `Mention`."""
        user = self.users.get(post.get("author_id")) or {}
        user_id = post.get("author_id") or user.get("id") or "unknown"
        references = {ref["type"]: ref["id"] for ref in post.get("referenced_tweets") or []}
        files = [self.media[key] for key in (post.get("attachments") or {}).get("media_keys", [])
                 if key in self.media]
        metrics = post.get("public_metrics") or {}
        return Mention(
            platform=common.NAME,
            external_id=common.external_id(post["id"]),
            author=common.author(user_id, user.get("username"), user.get("name"),
                                 user.get("profile_image_url")),
            text=_text(post),
            url=common.post_url(user.get("username"), post["id"]),
            posted_at=_time(post.get("created_at"), post["id"]),
            reply_target=common.reply_target(post["id"], post.get("author_id"),
                                             user.get("username")),
            raw=post,
            parent_id=(common.external_id(references["replied_to"])
                       if "replied_to" in references else None),
            thread_id=(common.external_id(post["conversation_id"])
                       if post.get("conversation_id") else None),
            is_repost="retweeted" in references,
            likes=metrics.get("like_count"),
            attachments=tuple(filter(None, (_attachment(item) for item in files))),
        )


def _text(post):
    note = post.get("note_tweet") or {}
    text, entities = ((note["text"], note.get("entities") or {}) if note.get("text")
                      else (post.get("text") or "", post.get("entities") or {}))
    urls = entities.get("urls") or []
    own_media = {url["url"] for url in urls if url.get("media_key") or (
        post.get("attachments") and _MEDIA_LINK.search(url.get("expanded_url") or ""))}
    return common.readable(text, urls, own_media)


def _attachment(item: dict):
    url = item.get("url")
    if item.get("type") in ("video", "animated_gif"):
        url = common.best_mp4(item.get("variants") or [], "bit_rate") or url
    return common.attachment(item.get("type", ""), url, item.get("alt_text"),
                             item.get("preview_image_url"))


def _time(value: str | None, post_id: str) -> datetime:
    """X's `created_at` (ISO 8601 with Z); where a page leaves it out, the time in the post's
    id (a snowflake: milliseconds since X's epoch above 22 bits)."""
    if value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    milliseconds = (int(post_id) >> 22) + SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(milliseconds / 1000, timezone.utc)
