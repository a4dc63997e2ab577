"""A reply's images on X: each uploaded in one request (`POST /2/media/upload`), given its
alt text (`POST /2/media/metadata`), then named in the post.

X takes up to four images, or one animated GIF, with a post; one-shot uploads are images of
at most 5 MB (videos need the chunked upload, which Murmur does not make).
"""
from plugin.platforms.http import parsed
from plugin.platforms.media import MediaRules
from plugin.platforms.media import Upload

GIF = "image/gif"
RULES = MediaRules(max_count=4, max_bytes={"image": 5 * 2 ** 20},
                   mime_types=frozenset({"image/jpeg", "image/png", "image/webp", GIF}))
ALT_LIMIT = 1000


def refusal(files: list[Upload]) -> str | None:
    """What X's rules beyond count, type and size say against `files`."""
    if len(files) > 1 and any(file.mime_type == GIF for file in files):
        return "an animated GIF goes with a post alone"
    return None


def upload(http, file: Upload) -> str:
    """Upload `file` (and its alt text); its media id."""
    answer = parsed(http.post("/2/media/upload", data={
        "media_category": "tweet_gif" if file.mime_type == GIF else "tweet_image",
        "media_type": file.mime_type,
    }, files={"media": (file.filename, file.content, file.mime_type)}))
    media_id = str(answer["data"]["id"])
    if file.description:
        http.post("/2/media/metadata", json={
            "id": media_id, "metadata": {"alt_text": {"text": file.description[:ALT_LIMIT]}}})
    return media_id
