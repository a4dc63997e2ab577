"""X's length: 280 weighted characters, as X's documentation weighs them (twitter-text v3).

Each expected count is worked out by hand from X's published weights: code points in Latin,
Greek, Cyrillic and general punctuation weigh 1; CJK and other scripts 2; an emoji sequence 2
whatever its code points; a URL 23, with a scheme or without.
"""
import json
from pathlib import Path

import pytest

from plugin.platforms.errors import ReplyTooLong
from plugin.platforms.x.adapter import XAdapter
from plugin.platforms.x.text import RULES
from plugin.platforms.x.text import weighted_length
from plugin.replies.planning import plan

CASES = [
    ("ascii", "Thanks for waiting", 18),
    ("accented latin", "Grüße, señora", 13),
    ("cyrillic", "Привет", 6),
    ("cjk", "東京の天気は晴れです", 20),
    ("hangul", "안녕하세요", 10),
    ("cjk beside latin", "order 注文 42", 13),
    ("emoji", "👍", 2),
    ("emoji with skin tone", "👍🏿", 2),
    ("zwj family", "👨‍👩‍👧‍👦", 2),
    ("zwj profession", "👩🏽‍🚒", 2),
    ("flag", "🇩🇪", 2),
    ("keycap", "1\ufe0f\u20e3", 2),
    ("text then emoji", "ok 🎉", 5),
    ("url with a scheme", "https://support.example.com/orders/12345?ref=social", 23),
    ("url without a scheme", "example.com/help", 23),
    ("url in a sentence", "see https://example.com/a/very/long/path/that/goes/on and on", 34),
    ("two urls", "a.com b.org", 47),
    ("combining acute (NFC é)", "e\u0301", 1),
    ("combining marks", "e\u0301e\u0301 n\u0303", 4),
    ("handle", "@jane hello", 11),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_weighted_length_is_what_x_counts(text, expected):
    assert weighted_length(text) == expected


@pytest.mark.parametrize(("text", "fits"), [
    ("a" * 280, True), ("a" * 281, False), ("東" * 140, True), ("東" * 141, False),
    ("👨‍👩‍👧‍👦" * 140, True), ("👨‍👩‍👧‍👦" * 141, False),
    ("x" * 256 + " https://example.com/" + "p" * 200, True),
    ("x" * 257 + " https://example.com/" + "p" * 200, False),
])
def test_the_limit_is_280_weighted(text, fits):
    assert RULES.fits(text) is fits


def test_a_long_reply_is_split_into_numbered_posts_each_within_280():
    body = ("東京の天気は晴れです。" * 30).strip()
    parts = RULES.split(body, "")
    assert len(parts) > 1
    assert all(weighted_length(part) <= 280 for part in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")


def test_refusing_names_the_weighted_length():
    with pytest.raises(ReplyTooLong) as refused:
        plan(XAdapter({}, {"access_token": "t"}), {"tweet_id": "1"}, "東" * 200, "refuse")
    assert (refused.value.length, refused.value.limit) == (400, 280)


CONFORMANCE = json.loads((Path(__file__).parents[2] / "fixtures" / "x" / "twitter-text"
                          / "validate-v3.json").read_text())
X_CASES = [case for cases in CONFORMANCE.values() for case in cases]


@pytest.mark.parametrize("case", X_CASES, ids=[c["description"] for c in X_CASES])
def test_x_conformance_data(case):
    """X's own conformance cases for configuration v3 (twitter-text's validate.yml)."""
    assert weighted_length(case["text"]) == case["weightedLength"]
    assert RULES.fits(case["text"]) is (case["weightedLength"] <= 280)
