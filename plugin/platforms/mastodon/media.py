"""Mastodon media both ways: a status's `media_attachments` as `Attachment`s, the instance's
upload limits, and a reply's files uploaded through the media API.

Uploads go to `POST /api/v2/media` (multipart `file` and `description`). It answers 200 with
the attachment when processing is done, or 202 with `url: null` while it is still going on;
`GET /api/v1/media/:id` then answers 206 until the attachment is ready and 200 after. A status
may only take media that are ready (else 422), so we wait for them, briefly.
"""
import time

from plugin.platforms.shapes import Attachment
from plugin.platforms.media import MediaRules
from plugin.platforms.media import Upload
from plugin.platforms.errors import Unavailable
from plugin.platforms.http import parsed

KINDS = {"image": "image", "gifv": "gif", "video": "video", "audio": "audio"}
# What Mastodon 4.x takes when an instance does not say (app/models/media_attachment.rb):
# 4 attachments, images up to 16 MiB, video and audio up to 99 MiB.
DEFAULT_MAX_ATTACHMENTS = 4
DEFAULT_IMAGE_LIMIT = 16 * 1024 * 1024
DEFAULT_VIDEO_LIMIT = 99 * 1024 * 1024
DEFAULT_MIME_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp",
    "image/avif", "video/webm", "video/mp4", "video/quicktime", "video/ogg", "audio/wave",
    "audio/wav", "audio/x-wav", "audio/x-pn-wave", "audio/vnd.wave", "audio/ogg",
    "audio/vorbis", "audio/mpeg", "audio/mp3", "audio/webm", "audio/flac", "audio/aac",
    "audio/m4a", "audio/x-m4a", "audio/mp4", "audio/3gpp", "video/x-ms-asf",
})
# MediaAttachment::MAX_DESCRIPTION_LENGTH: a longer description is refused with 422.
DESCRIPTION_LIMIT = 1500
# How long a reply waits for Mastodon to finish processing its uploads, and how often it asks.
PROCESSING_WAIT = 8.0
POLL_INTERVAL = 0.5


def attachments(status: dict) -> tuple[Attachment, ...]:
    """The media of a Status entity, in order; media with no URL at all are left out."""
    found = []
    for media in status.get("media_attachments") or []:
        # Mastodon leaves `url` null for remote media it has not cached yet.
        url = media.get("url") or media.get("remote_url")
        if not isinstance(url, str) or not url:
            continue
        found.append(Attachment(kind=KINDS.get(media.get("type"), "other"), url=url,
                                description=(media.get("description") or "").strip(),
                                preview_url=media.get("preview_url") or None))
    return tuple(found)


def rules_from(instance: dict) -> MediaRules:
    """The upload limits an instance publishes (v2 or v1 shape), with Mastodon's defaults for
    what it leaves out."""
    configuration = instance.get("configuration") or {}
    media = configuration.get("media_attachments") or {}
    statuses = configuration.get("statuses") or {}
    video = int(media.get("video_size_limit") or DEFAULT_VIDEO_LIMIT)
    return MediaRules(
        max_count=int(statuses.get("max_media_attachments") or DEFAULT_MAX_ATTACHMENTS),
        mime_types=frozenset(media.get("supported_mime_types") or DEFAULT_MIME_TYPES),
        max_bytes={"image": int(media.get("image_size_limit") or DEFAULT_IMAGE_LIMIT),
                   "video": video, "audio": video},
    )


def upload(http, file: Upload) -> str:
    """Upload `file` with its description; return its media id once Mastodon has processed it.

    :raise Unavailable: still processing after `PROCESSING_WAIT` seconds (the agent may send
        the reply again).
    """
    data = {"description": file.description[:DESCRIPTION_LIMIT]} if file.description else {}
    response = http.post("/api/v2/media", data=data,
                         files={"file": (file.filename, file.content, file.mime_type)})
    media = parsed(response)
    media_id = str(media["id"])
    deadline = time.monotonic() + PROCESSING_WAIT
    while response.status_code != 200 or media.get("url") is None:
        if time.monotonic() >= deadline:
            raise Unavailable(f"Mastodon is still processing {file.filename}; nothing was "
                              "posted. Send the reply again in a minute.")
        time.sleep(POLL_INTERVAL)
        response = http.get(f"/api/v1/media/{media_id}")
        media = parsed(response)
    return media_id
