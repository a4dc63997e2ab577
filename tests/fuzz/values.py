"""Hostile values: text, numbers, JSON, URLs and encodings a stranger can put on the wire."""
import json
from urllib.parse import quote

from hypothesis import strategies as st

DEEP = 5000
# What the 13,196-request fuzz of issue 7 found, and its neighbours, class by class.
NASTY_CLASSES = {
    "surrogates": ["\ud800", "\udfff", "x\udc80y", "😀\ud83d",
                   '{"account": "\\ud800", "secret": "s"}'],
    "nul": ["\x00", "a\x00b", "acme\x00", '{"account": "a\\u0000", "secret": "s"}'],
    "numbers": ["-1", "0", "1.5", "1e400", "NaN", "Infinity", str(2**63), str(2**64), "9" * 4400],
    "deep": ["[" * DEEP + "]" * DEEP, '{"a":' * 999 + "1" + "}" * 999,
             '{"cursor": ' + "[" * 2400 + "]" * 2400 + "}"],
    "urls": ["https://[::1", "https://[::1]:99999/", "http://[", "https://[nope]/x",
             "https://acme.zendesk.com:port/x", "https://acme.zendesk.com@evil.example/x",
             "https://acme.zendesk.com.evil.example/", "javascript:alert(1)", "//evil.example",
             "http://127.0.0.1:1/", "../../etc/passwd", "%00", "%ED%A0%80"],
    "odd": ["", " ", "\ufeff", "\u202e", "😀", "ä€", "null", "ACME", "acme.zendesk.com",
            "mastodon:x:1", '{"cursor": 9223372036854775808}', "x" * 5001, "y" * 70000],
}
# Lone surrogates and NULs break the databases themselves, so they come twice as often.
NASTY_TEXT = st.one_of(*[st.sampled_from(NASTY_CLASSES[name]) for name in [
    "surrogates", "surrogates", "nul", "nul", "numbers", "deep", "urls", "odd"]])
# Short random text (surrogates and controls included) or a known-nasty string.
TEXT = st.one_of(NASTY_TEXT, st.text(st.characters(codec=None, exclude_categories=()),
                                     max_size=40))
INTEGERS = st.one_of(st.sampled_from([0, -1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64,
                                      10**100]), st.integers())
NASTY = st.one_of(NASTY_TEXT, INTEGERS, st.sampled_from(
    [float("nan"), float("inf"), 1e308, None, True, False, [], {}]))
SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS,
                    st.floats(allow_nan=True, allow_infinity=True), TEXT)
# Any JSON-ish value: scalars, then lists and objects of them, a few levels deep.
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)
# Bodies no encoder would write: deep nesting, bad UTF-8, giant numbers, bare bytes.
RAW_JSON = st.one_of(
    st.sampled_from([b"[" * DEEP + b"]" * DEEP, b'{"events": ' + b"[" * DEEP,
                     b'{"events": [{"a": 1' + b"9" * 5000 + b"}]}", b"\xed\xa0\x80",
                     b'{"x": "\xff\xfe"}', b"", b"null", b"NaN", b"\x00" * 10]),
    st.binary(max_size=64))
# What goes in the one field a request makes hostile: mostly the known-nasty strings.
HOSTILE = st.one_of(NASTY_TEXT, NASTY_TEXT, NASTY, JSON_VALUES)
KEEP = st.sampled_from([True] * 9 + [False])


def weighted(*choices):
    """Draw from one of `(weight, strategy)` choices in proportion to its weight.

    `st.one_of` flattens nested one_ofs and picks among all their branches alike, so a
    strategy like TEXT (nine branches) would swamp the others.
    """
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy)


@st.composite
def shaped(draw, fields):
    """(name, value) pairs for `fields` (name -> strategy of good values): at most one field
    hostile, so the others carry a request deep enough for it to matter; a field is left
    out one time in ten."""
    target = draw(st.sampled_from([None, *fields]))
    return [(name, draw(HOSTILE if name == target else values))
            for name, values in fields.items() if draw(KEEP)]


def dumps(value) -> bytes:
    """JSON text as a sender writes it: surrogates escaped, NaN written as NaN."""
    return json.dumps(value).encode()


def form_body(pairs) -> bytes:
    """`pairs` url-encoded as a browser would, lone surrogates passed through as bytes."""
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs).encode()


def _quote(value):
    value = value if isinstance(value, str) else json.dumps(value)
    return quote(value, safe="", errors="surrogatepass")


PATH_SEGMENT = TEXT.map(lambda value: _quote(value) or "x")
