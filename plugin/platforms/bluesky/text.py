"""Bluesky rich text both ways: a post's link facets expanded into the ticket text, and the
facets a reply needs (the customer's mention, its links), in UTF-8 byte offsets."""
import re

LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
_URL = re.compile(r"https?://[^\s<>\"]+")
# Punctuation that ends a sentence rather than a URL.
_URL_TAIL = ".,;:!?'\")]}"


def post_text(record: dict) -> str:
    """The post's text with each link facet's shortened text replaced by its full URI.

    Facets index UTF-8 bytes; one that is out of range, overlaps another or cuts a character
    is left as written.
    """
    raw = record.get("text", "").encode("utf-8")
    links = []
    for facet in record.get("facets") or []:
        uri = next((f.get("uri") for f in facet.get("features") or []
                    if f.get("$type") == LINK and isinstance(f.get("uri"), str)), None)
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if uri and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(raw):
            links.append((start, end, uri))
    parts, at = [], 0
    for start, end, uri in sorted(links):
        if start < at or not (_boundary(raw, start) and _boundary(raw, end)):
            continue
        parts += [raw[at:start].decode("utf-8"), uri]
        at = end
    parts.append(raw[at:].decode("utf-8"))
    return "".join(parts)


def reply_facets(text: str, handle: str, did: str) -> list[dict]:
    """Facets for a reply: `@handle` (the customer, wherever it stands as a whole word)
    mentions `did`, and each http(s) URL is a link."""
    facets = []
    mention = re.compile(r"(?<![\w@.])@" + re.escape(handle) + r"(?![\w.-]*\w)", re.IGNORECASE)
    for match in mention.finditer(text):
        facets.append(_facet(text, match.start(), match.end(),
                             {"$type": MENTION, "did": did}))
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TAIL and not _balanced(text[start:end]):
            end -= 1
        facets.append(_facet(text, start, end, {"$type": LINK, "uri": text[start:end]}))
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])


def _facet(text, start, end, feature):
    byte_start = len(text[:start].encode("utf-8"))
    byte_end = byte_start + len(text[start:end].encode("utf-8"))
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}


def _balanced(url: str) -> bool:
    # A closing parenthesis belongs to the URL when it closes one the URL opened.
    return url.endswith(")") and url.count("(") >= url.count(")")


def _boundary(raw: bytes, offset: int) -> bool:
    """Whether `offset` falls between two UTF-8 characters (not inside one)."""
    return offset == len(raw) or (raw[offset] & 0xC0) != 0x80
