"""Builders for Mastodon entities used by the fake server.

Every account, status and notification is a deep copy of a body recorded
from a real Mastodon 4.6.4 server (see ``tests/fixtures/mastodon/SOURCES.md``);
only ids, text, author, timestamps, threading, visibility and uri/url are changed. Small sub-objects that the recordings do not contain
(hashtag ``tags`` entries, the ``source`` block of verify_credentials) follow
the shapes in the Mastodon API docs.
"""

import copy
import functools
import html
import json
import re
from datetime import datetime
from datetime import timezone
from pathlib import Path

import regex

RECORDED_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon"
# The recordings were made against a local dev server at this address.
RECORDED_BASE = "http://localhost:3000"
BRAND_ID = "117020565966271181"
VISIBILITIES = ("public", "unlisted", "private", "direct")

# Simple tokenisers for text posted through the API. They are deliberately
# independent of the product code and only approximate Mastodon's extractor.
GRAPHEME = regex.compile(r"\X")
URL_RE = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'’]")
MENTION_RE = re.compile(
    r"(?<![=/\w@])@(\w+(?:[\w.-]*\w)?)(?:@([\w-]+(?:\.[\w-]+)+(?::\d+)?))?",
    re.IGNORECASE,
)
HASHTAG_RE = re.compile(r"(?<![=/\w#&])#(\w*[^\W\d_]\w*)")
_TOKEN_RE = re.compile(
    f"(?P<url>{URL_RE.pattern})|(?P<mention>{MENTION_RE.pattern})|(?P<tag>{HASHTAG_RE.pattern})",
    re.IGNORECASE,
)


@functools.cache
def _load(name):
    return json.loads((RECORDED_DIR / name).read_text(encoding="utf-8"))


def recorded(name):
    """Return a fresh deep copy of the recorded body ``name`` (a file name)."""
    return copy.deepcopy(_load(name))


def _rebase(obj, base):
    """Move every recorded ``http://localhost:3000`` URL in ``obj`` to ``base``."""
    if base == RECORDED_BASE:
        return obj
    return json.loads(json.dumps(obj).replace(RECORDED_BASE, base))


def iso_ms(value=None):
    """Format a datetime (default now, UTC) like Mastodon: ``2026-08-01T13:51:42.823Z``."""
    if isinstance(value, str):
        return value
    value = (value or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def iso_us(value):
    """Format like the recorded ``X-RateLimit-Reset``: ``2026-08-01T13:55:00.940463Z``."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def brand_account(local_base=RECORDED_BASE):
    """The brand account: the recorded ``mastodonpy_test`` account, unchanged but for host."""
    account = recorded("account_statuses.json")[0]["account"]
    return _rebase(account, local_base)


def with_source(account):
    """Add the ``source`` block that verify_credentials returns (shape from the docs)."""
    account = copy.deepcopy(account)
    note = re.sub(r"<[^>]+>", "", account.get("note") or "")
    account["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "note": html.unescape(note),
        "fields": [
            {"name": f["name"], "value": f["value"], "verified_at": None}
            for f in account.get("fields", [])
        ],
        "follow_requests_count": 0,
    }
    return account


def customer_account(account_id, username, display_name, domain=None, local_base=RECORDED_BASE):
    """A customer account derived from the recorded ``admin`` account.

    With ``domain`` the account is remote: ``acct`` is ``user@domain`` and
    ``url``/``uri`` live on that domain, as Mastodon shows federated authors.
    """
    account = _rebase(recorded("notifications_mentions.json")[0]["account"], local_base)
    home = f"https://{domain}" if domain else local_base
    account.update(
        id=str(account_id),
        username=username,
        acct=f"{username}@{domain}" if domain else username,
        display_name=display_name,
        url=f"{home}/@{username}",
        uri=f"{home}/users/{username}" if domain else f"{local_base}/ap/users/{account_id}",
        roles=[],
        followers_count=0,
        statuses_count=0,
    )
    return account


def mention_ref(account):
    """The ``{id, username, url, acct}`` entry of a status's ``mentions`` list."""
    return {key: account[key] for key in ("id", "username", "url", "acct")}


def hcard(account):
    """Mention HTML exactly as in the recorded ``content`` (an ``h-card`` span)."""
    return (
        f'<span class="h-card" translate="no"><a href="{account["url"]}" '
        f'class="u-url mention">@<span>{account["username"]}</span></a></span>'
    )


def tag_entity(name, local_base=RECORDED_BASE):
    """A status ``tags`` entry: ``{name, url}`` (Tag entity, docs shape)."""
    name = name.lstrip("#").lower()
    return {"name": name, "url": f"{local_base}/tags/{name}"}


def hashtag_html(name, local_base=RECORDED_BASE):
    """Hashtag link HTML as Mastodon renders it inside ``content``."""
    return (
        f'<a href="{local_base}/tags/{name.lower()}" class="mention hashtag" '
        f'rel="tag">#<span>{name}</span></a>'
    )


def build_status(status_id, account, content, *, template="mention", local_base=RECORDED_BASE,
                 created_at=None, visibility="public", in_reply_to=None, mentions=(), tags=(),
                 spoiler="", reblog_of=None, language="en"):
    """A Status derived from a recorded one.

    ``template`` is ``"mention"`` (the status inside the recorded mention
    notification) or ``"reply"`` (the recorded reply, which carries
    ``pinned``: Mastodon adds it on the author's own statuses).
    """
    if template == "reply":
        status = recorded("status_reply_created.json")
    else:
        status = recorded("notifications_mentions.json")[0]["status"]
    status = _rebase(status, local_base)
    status_id = str(status_id)
    remote = "@" in account["acct"]
    status.update(
        id=status_id,
        created_at=iso_ms(created_at),
        in_reply_to_id=in_reply_to["id"] if in_reply_to else None,
        in_reply_to_account_id=in_reply_to["account"]["id"] if in_reply_to else None,
        sensitive=bool(spoiler),
        spoiler_text=spoiler,
        visibility=visibility,
        language=language,
        uri=f"{account['uri']}/statuses/{status_id}",
        url=f"{account['url']}/{status_id}",
        content=content,
        account=copy.deepcopy(account),
        mentions=[mention_ref(m) for m in mentions],
        tags=[tag_entity(t, local_base) for t in tags],
        reblog=None,
    )
    if remote:
        # Remote statuses carry no application (it is not federated).
        status.pop("application", None)
    if reblog_of is not None:
        status.update(content="", mentions=[], tags=[], in_reply_to_id=None,
                      in_reply_to_account_id=None, reblog=copy.deepcopy(reblog_of))
        status["uri"] = status["url"] = f"{account['uri']}/statuses/{status_id}/activity"
    return status


def build_notification(notification_id, ntype, account, status=None, created_at=None):
    """A Notification derived from the recorded mention notification."""
    notification = recorded("notifications_mentions.json")[0]
    notification.update(
        id=str(notification_id),
        type=ntype,
        created_at=iso_ms(created_at),
        group_key=f"ungrouped-{notification_id}",
        account=copy.deepcopy(account),
    )
    if status is None:
        notification.pop("status")
    else:
        notification["status"] = status
    return notification


def countable_length(text, spoiler=""):
    """Length as Mastodon counts it: a URL is 23 chars, ``@user@domain`` is ``@user``, and
    characters are grapheme clusters (Ruby's ``each_grapheme_cluster``)."""
    text = URL_RE.sub("x" * 23, text or "")
    text = MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    return len(GRAPHEME.findall(spoiler or "")) + len(GRAPHEME.findall(text))


def _escape(text):
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def text_to_html(text, resolve_mention, local_base=RECORDED_BASE):
    """Render plain status text as Mastodon does, roughly.

    Returns ``(content_html, mentioned_accounts, tag_names)``. Text is HTML
    escaped; blank lines make paragraphs, single newlines ``<br />``;
    ``@acct`` tokens that ``resolve_mention(username, domain)`` knows become
    h-card links; URLs and ``#tags`` become links.
    """
    mentioned, tags, out, pos = [], [], [], 0
    for match in _TOKEN_RE.finditer(text):
        out.append(_escape(text[pos:match.start()]))
        pos = match.end()
        token = match.group(0)
        if match.group("url"):
            out.append(f'<a href="{_escape(token)}" target="_blank" rel="nofollow noopener" '
                       f'translate="no">{_escape(token)}</a>')
        elif match.group("mention"):
            found = MENTION_RE.fullmatch(token)
            account = resolve_mention(found.group(1), found.group(2))
            if account is None:
                out.append(_escape(token))
            else:
                out.append(hcard(account))
                if account not in mentioned:
                    mentioned.append(account)
        else:
            name = token[1:]
            out.append(hashtag_html(name, local_base))
            if name.lower() not in tags:
                tags.append(name.lower())
    out.append(_escape(text[pos:]))
    body = "".join(out).strip()
    paragraphs = [p.replace("\n", "<br />") for p in re.split(r"\n\s*\n", body) if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs), mentioned, tags


def parse_limit(raw, default, maximum):
    """Mastodon's ``limit_param``: missing means default, else ``min(abs(int), maximum)``."""
    if raw is None:
        return default
    try:
        value = abs(int(raw))
    except ValueError:
        value = 0  # Ruby's "abc".to_i
    return min(value, maximum)


def parse_id(raw):
    """An id query parameter as an integer (ids compare numerically), or None."""
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def paginate(items, limit, max_id=None, since_id=None, min_id=None):
    """One page, newest first, with Mastodon's id cursor rules.

    ``min_id`` gives the ``limit`` items immediately newer than it (walks
    forward without gaps); otherwise the newest ``limit`` items below
    ``max_id`` and above ``since_id`` (``since_id`` can skip in a burst).
    """
    def key(item):
        return int(item["id"])

    if min_id is not None:
        newer = [i for i in items if key(i) > min_id and (max_id is None or key(i) < max_id)]
        return sorted(newer, key=key)[:limit][::-1]
    window = [i for i in items
              if (max_id is None or key(i) < max_id) and (since_id is None or key(i) > since_id)]
    return sorted(window, key=key, reverse=True)[:limit]
