"""Our stored mentions as Channel Framework `external_resources`."""
from plugin.boundary import iso_z
from plugin.models import StoredMention
from plugin.platforms import adapter_class

SENTIMENT_TAG = "murmur_sentiment_{label}"
# Zendesk's documented limits for an external resource's file_urls (its schema allows 64).
MAX_FILE_URLS = 10
MAX_FILE_URL_LENGTH = 511


def external_resource(mention: StoredMention, sentiment_field: str) -> dict:
    """The external_resource for one stored mention (one ticket per thread via `thread_id`)."""
    platform = adapter_class(mention.platform).label
    author = {"external_id": mention.author_id, "name": mention.author_name[:255]}
    if mention.author_avatar and len(mention.author_avatar) <= 511:
        author["image_url"] = mention.author_avatar
    files = file_urls(mention.attachments or [])
    resource = {
        "external_id": mention.external_id,
        "message": (mention.text or _no_text(platform, mention.attachments))[:65535],
        "thread_id": mention.thread_id,
        "created_at": iso_z(mention.posted_at),
        "author": author,
        "allow_channelback": True,
        "display_info": [{"type": "murmur.mention", "data": {
            "platform": mention.platform, "url": mention.url, "handle": mention.author_handle,
            "sentiment": mention.sentiment, "sentiment_label": mention.sentiment_label,
            "visibility": mention.visibility}}],
        "fields": [
            {"id": "subject",
             "value": f"{platform} mention from {mention.author_handle}"[:255]},
            {"id": sentiment_field,
             "value": SENTIMENT_TAG.format(label=mention.sentiment_label)},
        ],
    }
    if files:
        resource["file_urls"] = files
    return resource


def file_urls(attachments: list[dict]) -> list[str]:
    """The attachments' URLs Zendesk can fetch: https, short enough, at most its count."""
    urls = [a.get("url") for a in attachments]
    usable = [url for url in urls if isinstance(url, str) and url.startswith("https://")
              and len(url) <= MAX_FILE_URL_LENGTH]
    return list(dict.fromkeys(usable))[:MAX_FILE_URLS]


def _no_text(platform, attachments) -> str:
    if attachments:
        count = len(attachments)
        return f"(a {platform} post with {count} attachment{'s' if count > 1 else ''} and no text)"
    return f"(a {platform} post with no text)"
