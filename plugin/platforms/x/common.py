"""What both of X's post formats (API v2 pages, v1.1 webhook events) are turned into: our ids,
authors, links and text."""
import html

from plugin.platforms.shapes import Attachment
from plugin.platforms.shapes import Author

NAME = "x"
PREFIX = NAME + ":"
WEB = "https://x.com"
# X's media types and ours.
MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "gif"}


def external_id(tweet_id: str) -> str:
    """Our external id for a post id."""
    return PREFIX + str(tweet_id)


def tweet_id(external: str) -> str:
    """The post id inside our external id."""
    return external.removeprefix(PREFIX)


def oldest_first(mentions) -> list:
    """`mentions` in the order they were posted (ids break ties: X's ids grow with time)."""
    return sorted(mentions, key=lambda m: (m.posted_at, int(tweet_id(m.external_id))))


def post_url(username: str | None, tweet: str) -> str:
    """A post's permalink (X's generic one when the author's name is unknown)."""
    return f"{WEB}/{username}/status/{tweet}" if username else f"{WEB}/i/web/status/{tweet}"


def author(user_id: str, username: str | None, name: str | None,
           avatar: str | None = None) -> Author:
    """An author from the fields both formats carry; the avatar at its original size."""
    handle = username or user_id
    return Author(id=external_id(user_id), handle="@" + handle, name=(name or "").strip() or handle,
                  avatar_url=avatar.replace("_normal.", ".") if avatar else None,
                  profile_url=f"{WEB}/{username}" if username else None)


def reply_target(tweet: str, user_id: str | None, username: str | None) -> dict:
    """What a reply to post `tweet` by `user_id` needs."""
    return {"tweet_id": str(tweet), "author_id": user_id, "username": username}


def readable(text: str, urls: list | None, media_urls: set[str] = frozenset()) -> str:
    """`text` with each t.co link replaced by the address it stands for, links to the post's
    own media left out (they become attachments) and HTML entities unescaped (X escapes
    `&`, `<` and `>`)."""
    for entity in urls or ():
        short = entity.get("url")
        if not isinstance(short, str) or not short:
            continue
        full = entity.get("unwound_url") or entity.get("expanded_url") or short
        text = text.replace(short, "" if short in media_urls else full)
    return html.unescape(text).strip()


def best_mp4(variants: list, rate_key: str) -> str | None:
    """The address of a video's MP4 variant with the highest bit rate (v2 names it
    `bit_rate`, v1.1 `bitrate`), if it has one."""
    mp4 = [v for v in variants if isinstance(v, dict) and v.get("content_type") == "video/mp4"
           and isinstance(v.get("url"), str)]
    return max(mp4, key=lambda v: v.get(rate_key) or 0)["url"] if mp4 else None


def attachment(kind: str, url: str | None, alt: str | None = None,
               preview: str | None = None) -> Attachment | None:
    """One file of a post, if X gave it an address."""
    if not url:
        return None
    return Attachment(kind=MEDIA_KINDS.get(kind, "other"), url=url, description=alt or "",
                      preview_url=preview)
