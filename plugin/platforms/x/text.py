"""How X counts a post: twitter-text's weighted length (configuration v3).

Most Latin, Greek and Cyrillic code points weigh 1, CJK and other scripts 2, an emoji
sequence (ZWJ families, flags, keycaps, skin tones) 2 as a whole, and every URL, with or
without a scheme, 23 (the t.co link it becomes). `twitter-text-parser` carries X's own tables
and URL rules, tested against X's conformance data, so we do not keep copies of them.
"""
from twitter_text import parse_tweet

from plugin.platforms.text import Limit
from plugin.platforms.text import TextRules

MOST = 280


def weighted_length(text: str) -> int:
    """The length X gives `text` (what its 280 limit counts)."""
    return parse_tweet(text).weightedLength


RULES = TextRules((Limit("characters", MOST, weighted_length),))
