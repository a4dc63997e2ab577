"""The files an agent attached to a reply, fetched from the account's Zendesk.

Zendesk sends their URLs with the channelback (`file_urls[]`). Only URLs on that Zendesk
account's own API host (`ZENDESK_BASE_URL`) are fetched, with the account's push token,
through a session that connects to public addresses only, with a timeout and a size cap.
"""
import mimetypes
import time
from pathlib import PurePosixPath
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests
from flask import current_app
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from plugin.errors import AppError
from plugin.platforms.media import Upload
from plugin.secrets_box import box
from plugin.zendesk.gateway import api_url

# Zendesk takes no attachment over 50 MB: never hold more of one file in memory.
MAX_BYTES = 50 * 1024 * 1024
# (connect, read) for each request, and the most one file may take in all (a slow drip).
TIMEOUT_SECONDS = (5, 20)
TOTAL_SECONDS = 30
CHUNK = 64 * 1024
MAX_REDIRECTS = 3


class AttachmentFailed(AppError):
    """An attachment could not be fetched from Zendesk; nothing was posted."""

    status = 422
    code = "reply_attachment_failed"


def fetch_all(account, urls: list[str], max_bytes: int | None) -> list[Upload]:
    """Each of `urls` fetched from `account`'s Zendesk, in order, each at most `max_bytes`.

    :raise AttachmentFailed: a URL is not on that Zendesk's host (422), is refused or gone
        there (422), is too big (422), or Zendesk cannot be reached (503).
    """
    home = urlsplit(api_url(account.subdomain, "/"))
    for url in urls:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc.lower()) != (home.scheme, home.netloc.lower()):
            raise AttachmentFailed(f"An attachment is not on {home.netloc}, this account's "
                                   "Zendesk; nothing was posted.",
                                   code="reply_attachment_elsewhere")
    cap = min(max_bytes or MAX_BYTES, MAX_BYTES)
    token = box().open(account.push_token_sealed) if account.push_token_sealed else None
    with _session() as session:
        return [_fetch(session, url, token, cap) for url in urls]


def _session():
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    for scheme in ("https://", "http://"):
        session.mount(scheme, IPFilterAdapter(
            is_https_proto=scheme == "https://",
            allow_loopback=current_app.config["PLATFORM_ALLOW_LOOPBACK"]))
    return session


def _fetch(session, url, token, cap) -> Upload:
    name = filename(url)
    # requests drops the Authorization header if a redirect leaves the host.
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + TOTAL_SECONDS
    try:
        with session.get(url, headers=headers, stream=True, timeout=TIMEOUT_SECONDS) as answer:
            if answer.status_code != 200:
                raise AttachmentFailed(f"Zendesk answered {answer.status_code} for the "
                                       f"attachment {name}; nothing was posted.")
            declared = answer.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise _too_big(name, cap)
            content = bytearray()
            for chunk in answer.iter_content(CHUNK):
                content += chunk
                if len(content) > cap:
                    raise _too_big(name, cap)
                if time.monotonic() > deadline:
                    raise requests.Timeout("the download took too long")
            mime = answer.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    except (InvalidIPAddress, requests.RequestException) as exc:
        raise AttachmentFailed(f"The attachment {name} could not be fetched from Zendesk "
                               f"({type(exc).__name__}); nothing was posted. Try again.",
                               code="reply_attachment_unavailable", status=503) from None
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Upload(filename=name, mime_type=mime, content=bytes(content),
                  description=PurePosixPath(name).stem)


def filename(url: str) -> str:
    """The file's name: Zendesk's `?name=`, else the last part of the path."""
    parts = urlsplit(url)
    name = (parse_qs(parts.query).get("name") or [""])[0]
    name = name or PurePosixPath(parts.path).name
    return PurePosixPath(name.replace("\\", "/")).name[:255] or "attachment"


def _too_big(name, cap):
    return AttachmentFailed(f"The attachment {name} is over {cap / 1_048_576:.1f} MB, the most "
                            "a reply can carry here; nothing was posted.",
                            code="reply_attachment_too_big")
