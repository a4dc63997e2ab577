"""Plain text out of Mastodon statuses, and Mastodon's way of counting it.

``status_text`` turns a Status entity (``content`` is sanitised HTML) into
the plain text a helpdesk ticket shows.  ``count_characters`` measures a
reply the way the server will when it checks the instance's limit.
``without_address`` drops a reply's opening mention of the account it answers.

What Mastodon 4.x counts (``app/validators/status_length_validator.rb``,
mastodon/mastodon; docs: https://docs.joinmastodon.org/user/posting/):

* ``countable_length(str)`` is ``str.each_grapheme_cluster.size`` -- extended
  grapheme clusters, not code points.  PR mastodon/mastodon#34039 (2025)
  swapped in this call for the deprecated ``mb_chars.grapheme_length``, which
  also counted grapheme clusters, so every 4.x release counts them.
* ``countable_text`` finds URLs (twitter-text, with
  ``extract_url_without_protocol: false``, so only URLs that start with a
  scheme) and mentions (``Account::MENTION_RE``), drops overlapping matches,
  then rewrites each URL to ``URL_PLACEHOLDER = 'x' * 23`` and each mention to
  ``"@#{screen_name.split('@').first}"``, so ``@bob@example.social`` counts
  as ``@bob``.  23 is ``URL_PLACEHOLDER_CHARS``, which instances publish as
  ``configuration.statuses.characters_reserved_per_url``.
* Text that is blank (only whitespace) counts as 0.
* The status length is ``spoiler_text`` plus that countable text, so callers
  posting a content warning add ``count_characters(cw)`` themselves.

The URL pattern follows Mastodon's overrides in
``config/initializers/twitter_regex.rb`` (schemes, characters that may end a
path or a query).  Known approximations: any alphabetic TLD is accepted
(twitter-text checks a TLD list); grapheme clusters come from the ``regex``
module's ``\\X`` (full UAX #29, which the stdlib lacks).
"""

import re

from bs4 import BeautifulSoup
from bs4 import NavigableString
from bs4 import Tag

from plugin.platforms.text import graphemes

_BLOCK_TAGS = {"p", "pre", "blockquote", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}

_SCHEMES = "https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini"
_URL_RE = re.compile(
    rf"(?<![A-Za-z0-9@＠$#＃])(?:{_SCHEMES})://"
    r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:xn--[\w-]+|[^\W\d_]{2,})"
    r"(?::\d+)?"
    r"(?:[/?][^\s<>]*)?",
    re.IGNORECASE,
)
_PATH_BAD_END = set("()?!*\"'「」<>;:=,.$%[]~&|@")
_QUERY_BAD_END = set("!?*'();:+$%[],.~|@^")
_MENTION_RE = re.compile(
    r"(?<![=/\w])@((?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))(?:@\w+(?:[.-]+\w+)*)?"
)
# twitter-text's end_mention_match: a mention directly followed by one of
# these is part of something else (an email-like string, a URL, ...).
_MENTION_BAD_FOLLOWER = re.compile(r"[@＠À-ÖØ-öø-ÿĀ-ɏ]|://")
_AFTER_ADDRESS = re.compile(r"[,:]?\s*")


def status_text(status: dict) -> str:
    """Return a Mastodon status as plain ticket text.

    Paragraphs are separated by a blank line and ``<br>`` becomes a newline.
    Links become their full ``href``, mentions become ``@acct`` (so remote
    users read ``@user@domain``) and hashtags become ``#tag``.  A content
    warning comes first as ``CW: ...``, and media attachments come last, one
    per line as ``[type] url — description``.  Returns "" when nothing but
    whitespace is left.
    """
    mentions = {m.get("url"): m.get("acct") for m in status.get("mentions") or []}
    # The wrapper keeps bs4 from mistaking bare link-like content for a URL
    # or file name (MarkupResemblesLocatorWarning).
    soup = BeautifulSoup(f"<div>{status.get('content') or ''}</div>", "html.parser")
    body = _tidy(_render(soup.div, mentions))
    media = [_media_line(m) for m in status.get("media_attachments") or []]
    spoiler = (status.get("spoiler_text") or "").strip()
    sections = [f"CW: {spoiler}" if spoiler else "", body, "\n".join(media)]
    return "\n\n".join(s for s in sections if s.strip())


def count_characters(text: str, url_length: int = 23) -> int:
    """Return the length Mastodon's StatusLengthValidator gives ``text``.

    Each URL counts as ``url_length`` characters, ``@user@domain`` counts as
    ``@user``, and everything is counted in grapheme clusters.
    """
    if not text.strip():
        return 0
    entities = [(start, end, "x" * url_length) for start, end in _url_spans(text)]
    entities += [(m.start(), m.end(), "@" + m.group(1)) for m in _mentions(text)]
    pieces, cursor = [], 0
    for start, end, replacement in sorted(entities):
        if start < cursor:  # overlaps an earlier entity; Mastodon drops it
            continue
        pieces += [text[cursor:start], replacement]
        cursor = end
    pieces.append(text[cursor:])
    return graphemes("".join(pieces))


def without_address(text: str, acct: str, local_domain: str) -> str:
    """Return ``text`` without an opening mention of the account ``acct``.

    Only a whole handle counts (``@janet`` does not mention ``jane``), with
    case ignored.  A handle without a domain names an account of
    ``local_domain``, the instance the reply is posted from, so ``@jane`` and
    ``@jane@local_domain`` are one person, whichever way ``acct`` is given;
    ``@jane@another.instance`` is someone else.  A comma or colon right after
    the handle goes with it.  Any other text comes back unchanged.
    """
    match = _MENTION_RE.match(text)
    if not match or _MENTION_BAD_FOLLOWER.match(text, match.end()):
        return text
    if _account_key(match.group(0)[1:], local_domain) != _account_key(acct, local_domain):
        return text
    return text[_AFTER_ADDRESS.match(text, match.end()).end():]


def _account_key(acct: str, local_domain: str) -> tuple[str, str]:
    username, _, domain = acct.lstrip("@").partition("@")
    return username.lower(), (domain or local_domain).lower()


def _render(node: Tag, mentions: dict) -> str:
    parts = []
    for child in node.children:
        if isinstance(child, NavigableString):
            parts.append(re.sub(r"[ \t\r\n\f]+", " ", str(child)))
        elif child.name == "br":
            parts.append("\n")
        elif child.name == "a":
            parts.append(_link_text(child, mentions))
        elif child.name in _BLOCK_TAGS:
            parts.append(f"\n\n{_render(child, mentions)}\n\n")
        elif child.name == "li":
            parts.append(f"\n{_render(child, mentions)}\n")
        else:
            parts.append(_render(child, mentions))
    return "".join(parts)


def _link_text(link: Tag, mentions: dict) -> str:
    classes = link.get("class") or []
    visible = link.get_text().strip()
    href = link.get("href") or ""
    if "hashtag" in classes:
        return "#" + visible.lstrip("#")
    if "mention" in classes:
        acct = mentions.get(href)
        return f"@{acct}" if acct else visible
    return href or visible


def _tidy(text: str) -> str:
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _media_line(media: dict) -> str:
    # Mastodon leaves ``url`` null for remote media it has not cached yet.
    url = media.get("url") or media.get("remote_url") or ""
    line = f"[{media.get('type') or 'unknown'}] {url}".rstrip()
    description = (media.get("description") or "").strip()
    return f"{line} — {description}" if description else line


def _url_spans(text: str):
    for match in _URL_RE.finditer(text):
        start, end = match.span()
        while _bad_url_end(text[start:end]):
            end -= 1
        yield start, end


def _bad_url_end(url: str) -> bool:
    last = url[-1]
    if "?" in url:
        return last in _QUERY_BAD_END
    if last == ")":
        return url.count("(") < url.count(")")
    return last in _PATH_BAD_END


def _mentions(text: str):
    for match in _MENTION_RE.finditer(text):
        if not _MENTION_BAD_FOLLOWER.match(text, match.end()):
            yield match
