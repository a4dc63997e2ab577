"""A post's text in the ticket: link facets (UTF-8 byte ranges) give the full URL; facets that
do not fit the text leave it as written."""
import pytest

from plugin.platforms.bluesky.text import post_text

LINK = "app.bsky.richtext.facet#link"


def _record(text, *ranges_and_uris):
    facets = [{"index": {"byteStart": start, "byteEnd": end},
               "features": [{"$type": LINK, "uri": uri}]} for start, end, uri in ranges_and_uris]
    return {"text": text, "facets": facets}


def _span(text, shown):
    start = len(text[:text.index(shown)].encode())
    return start, start + len(shown.encode())


CASES = [
    # (name, text, shown part (or explicit byte range), full URI, expected)
    ("ascii", "see acme.example/o… now", "acme.example/o…", "https://acme.example/orders/1",
     "see https://acme.example/orders/1 now"),
    ("after a family emoji", "👨‍👩‍👧‍👦 acme.example/h…", "acme.example/h…",
     "https://acme.example/help", "👨‍👩‍👧‍👦 https://acme.example/help"),
    ("after CJK", "東京 acme.example/j… です", "acme.example/j…", "https://acme.example/jp",
     "東京 https://acme.example/jp です"),
    ("cuts a character", "東京 x", (1, 4), "https://bad.example", "東京 x"),
    ("past the end", "short", (2, 99), "https://bad.example", "short"),
    ("empty range", "short", (2, 2), "https://bad.example", "short"),
]


@pytest.mark.parametrize(("text", "shown", "uri", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_link_facets_expand_in_bytes(text, shown, uri, expected):
    start, end = shown if isinstance(shown, tuple) else _span(text, shown)
    assert post_text(_record(text, (start, end, uri))) == expected


def test_two_links_and_an_overlapping_one():
    text = "a.ex/1… and b.ex/2…"
    first, second = _span(text, "a.ex/1…"), _span(text, "b.ex/2…")
    record = _record(text, (*first, "https://a.ex/1"), (*second, "https://b.ex/2"),
                     (first[0] + 1, second[1], "https://overlap.example"))
    assert post_text(record) == "https://a.ex/1 and https://b.ex/2"


def test_mentions_and_tags_stay_as_written():
    record = {"text": "@jane.example.social #help", "facets": [
        {"index": {"byteStart": 0, "byteEnd": 20},
         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:x"}]},
        {"index": {"byteStart": 21, "byteEnd": 26},
         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "help"}]}]}
    assert post_text(record) == "@jane.example.social #help"
