"""Bluesky images both ways: a post's image embeds as `Attachment`s, and a reply's images
uploaded as blobs (`com.atproto.repo.uploadBlob`) for an `app.bsky.embed.images` embed."""
from plugin.platforms.http import parsed
from plugin.platforms.media import MediaRules
from plugin.platforms.media import Upload
from plugin.platforms.shapes import Attachment

IMAGES = "app.bsky.embed.images"
WITH_MEDIA = "app.bsky.embed.recordWithMedia"
CDN = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"
# The app.bsky.embed.images lexicon: at most 4 images of at most 1,000,000 bytes each.
RULES = MediaRules(max_count=4, max_bytes={"image": 1_000_000},
                   mime_types=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}))
ALT_LIMIT = 2000


def attachments(post: dict) -> tuple[Attachment, ...]:
    """The images of a post: from its hydrated `embed` view (a PostView) where present, else
    from the record's blob references, served by the Bluesky CDN."""
    view = _images(post.get("embed"), IMAGES + "#view")
    if view is not None:
        return tuple(Attachment(kind="image", url=image["fullsize"],
                                description=(image.get("alt") or "").strip(),
                                preview_url=image.get("thumb"))
                     for image in view
                     if isinstance(image.get("fullsize"), str) and image["fullsize"])
    did = post["author"]["did"]
    found = []
    for image in _images((post.get("record") or {}).get("embed"), IMAGES) or []:
        blob = image.get("image") or {}
        cid = (blob.get("ref") or {}).get("$link") or blob.get("cid")
        if isinstance(cid, str):
            found.append(Attachment(kind="image", url=CDN.format(did=did, cid=cid),
                                    description=(image.get("alt") or "").strip(),
                                    mime_type=blob.get("mimeType")))
    return tuple(found)


def has_images(record: dict) -> bool:
    """Whether a post record embeds images (directly or beside a quoted post)."""
    return bool(_images(record.get("embed"), IMAGES))


def _images(embed, kind):
    if not isinstance(embed, dict):
        return None
    embed_type = embed.get("$type", "")
    if embed_type.startswith(WITH_MEDIA):
        return _images(embed.get("media"), kind)
    return embed.get("images") if embed_type == kind else None


def upload(http, file: Upload) -> dict:
    """Upload `file` as a blob; the `app.bsky.embed.images` entry that shows it."""
    answer = parsed(http.post("/xrpc/com.atproto.repo.uploadBlob", data=file.content,
                              headers={"Content-Type": file.mime_type}))
    return {"alt": file.description[:ALT_LIMIT], "image": answer["blob"]}
