"""A platform's length rules for one post: several limits at once, measured, checked, split.

A platform may count a post more than one way and hold it to each (Bluesky: 300 graphemes and
3,000 bytes of UTF-8). `TextRules` holds them all; a text fits when it is within every limit,
and a long reply is split so that every part is.
"""
from dataclasses import dataclass
from typing import Callable

import regex

from plugin.platforms.textsplit import split_reply

_GRAPHEME = regex.compile(r"\X")
# Every limit is rescaled to this many units, so one measure can stand for all of them.
_SCALE = 1_000_000


def graphemes(text: str) -> int:
    """The number of extended grapheme clusters (what a reader counts as characters)."""
    return len(_GRAPHEME.findall(text))


def utf8_bytes(text: str) -> int:
    """The length of `text` in UTF-8."""
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Limit:
    """At most `most` `unit`s (characters, bytes, …) as `measure` counts them."""

    unit: str
    most: int
    measure: Callable[[str], int]


@dataclass(frozen=True)
class Overrun:
    """A text over one limit: how long it is in that limit's unit."""

    limit: Limit
    length: int


@dataclass(frozen=True)
class TextRules:
    """The limits one post must keep, and whether a longer reply may become a thread.

    `can_thread` is False where a platform cannot answer our own reply (the reply is then
    refused with the reason, whatever the account's setting).
    """

    limits: tuple[Limit, ...]
    can_thread: bool = True

    def measure(self, text: str) -> dict[str, int]:
        """The length of `text` in each limit's unit."""
        return {limit.unit: limit.measure(text) for limit in self.limits}

    def overruns(self, text: str) -> list[Overrun]:
        """Each limit `text` is over, with its length there (empty when it fits)."""
        found = []
        for limit in self.limits:
            length = limit.measure(text)
            if length > limit.most:
                found.append(Overrun(limit, length))
        return found

    def fits(self, text: str) -> bool:
        """Whether `text` keeps every limit."""
        return all(limit.measure(text) <= limit.most for limit in self.limits)

    def split(self, body: str, prefix: str, most_parts: int | None = None) -> list[str]:
        """Posts of `prefix` + a piece of `body` (+ " (i/n)"), each within every limit.

        Pieces end at paragraph breaks, sentence ends or spaces where they can, and never
        inside a grapheme cluster. See `textsplit.split_reply` for what it raises.
        """
        return split_reply(body, prefix, _SCALE, self._scaled, most_parts=most_parts)

    def _scaled(self, text: str) -> int:
        # Within every limit exactly when this is at most _SCALE: ceil(n·S/most) ≤ S ⇔ n ≤ most.
        return max(-(-limit.measure(text) * _SCALE // limit.most) for limit in self.limits)
