"""The media API of the fake Mastodon: uploads, processing, and attachments on statuses.

No media bodies were recorded; the shapes follow Mastodon's API docs (entities/MediaAttachment,
methods/media, methods/statuses) and its validation messages (config/locales/en.yml).
"""
import threading

from flask import jsonify
from flask import request

IMAGE_SIZE_LIMIT = 16 * 1024 * 1024
VIDEO_SIZE_LIMIT = 99 * 1024 * 1024
SUPPORTED_MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4",
                        "video/webm", "audio/mpeg", "audio/ogg"]
DESCRIPTION_LIMIT = 1500
FIRST_MEDIA_ID = 117020590000000000


def media_entity(media_id, kind, url, *, description=None, preview_url=None, remote_url=None):
    """A MediaAttachment as Mastodon renders it (`url` None while processing)."""
    return {"id": str(media_id), "type": kind, "url": url,
            "preview_url": preview_url or url, "remote_url": remote_url,
            "preview_remote_url": None, "text_url": None,
            "meta": {"original": {"width": 640, "height": 480, "size": "640x480",
                                  "aspect": 1.3333333333333333}} if kind == "image" else {},
            "description": description, "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}"}


class FakeMedia:
    """Uploaded media of the brand account, and the limits the instance publishes."""

    def __init__(self, server):
        self.server = server
        self.uploads = {}  # id -> {"entity", "content", "mime", "polls_left", "status_id"}
        self.image_size_limit = IMAGE_SIZE_LIMIT
        self.video_size_limit = VIDEO_SIZE_LIMIT
        self.supported_mime_types = list(SUPPORTED_MIME_TYPES)
        self.max_attachments = 4
        self.processing_polls = 0  # answer 202/206 this many times before a file is ready
        self._lock = threading.Lock()
        self._next = FIRST_MEDIA_ID

    def configuration(self):
        """`configuration.media_attachments` of /api/v2/instance."""
        return {"supported_mime_types": self.supported_mime_types,
                "description_limit": DESCRIPTION_LIMIT,
                "image_size_limit": self.image_size_limit, "image_matrix_limit": 33177600,
                "video_size_limit": self.video_size_limit, "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400}

    def register(self, app):
        app.add_url_rule("/api/v2/media", view_func=self._upload, methods=["POST"])
        app.add_url_rule("/api/v1/media/<mid>", view_func=self._show, methods=["GET"])

    def _upload(self):
        file = request.files.get("file")
        if file is None:
            return self.server._error(422, "Validation failed: File can't be blank")
        content, mime = file.read(), (file.mimetype or "").lower()
        description = request.form.get("description")
        if mime not in self.supported_mime_types:
            return self.server._error(422, "Validation failed: File content type is invalid, "
                                           "File is invalid")
        kind = {"video": "video", "audio": "audio"}.get(mime.split("/")[0], "image")
        limit = self.image_size_limit if kind == "image" else self.video_size_limit
        if len(content) > limit:
            return self.server._error(422, "Validation failed: File file size must be less "
                                           f"than {limit // 1_048_576} MB")
        if description and len(description) > DESCRIPTION_LIMIT:
            return self.server._error(422, "Validation failed: Description is too long "
                                           f"(maximum is {DESCRIPTION_LIMIT} characters)")
        with self._lock:
            media_id = str(self._next)
            self._next += 1
        url = f"{self.server.local_base}/system/media_attachments/files/{media_id}/original.bin"
        entity = media_entity(media_id, kind, url, description=description)
        self.uploads[media_id] = {"entity": entity, "content": content, "mime": mime,
                                  "filename": file.filename,
                                  "polls_left": self.processing_polls, "status_id": None}
        if self.processing_polls:
            return jsonify({**entity, "url": None}), 202
        return jsonify(entity)

    def _show(self, mid):
        upload = self.uploads.get(mid)
        if upload is None:
            return self.server._error(404, "Record not found")
        if upload["polls_left"] > 0:
            upload["polls_left"] -= 1
            return jsonify({**upload["entity"], "url": None}), 206
        return jsonify(upload["entity"])

    def attach(self, media_ids):
        """The entities for a new status's `media_ids[]`, or (status, message) to refuse it."""
        if len(media_ids) > self.max_attachments:
            return None, f"Cannot attach more than {self.max_attachments} files"
        found = [self.uploads[m] for m in media_ids
                 if m in self.uploads and self.uploads[m]["status_id"] is None]
        if any(upload["polls_left"] > 0 for upload in found):
            return None, ("Cannot attach files that have not finished processing. Try again "
                          "in a moment!")
        return [upload["entity"] for upload in found], None

    def attached_to(self, media_ids, status_id):
        """Mark uploads as used by a status (each may go on one status only)."""
        for media_id in media_ids:
            if media_id in self.uploads:
                self.uploads[media_id]["status_id"] = status_id
