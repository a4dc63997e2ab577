"""Split a reply that is too long for one post into numbered parts.

Every platform's reply path uses this with its own ``measure`` (``len``, a
platform's own character count, ...), so nothing here assumes how
characters are counted.  It does assume that adding text never makes a part
shorter by ``measure``, and that a marker with fewer digits is never wider
than one with more.
"""

import bisect
import re
import unicodedata
from typing import Callable, Sequence

# Where a part may end, best first: paragraph breaks (a run of whitespace
# with a blank line in it), sentence ends, any whitespace.  A break sits where
# the match starts or ends, as noted.  Every pattern runs in linear time: no
# match may start inside a run an earlier attempt already scanned.
_SENTENCE = re.compile(r"(?<![.!?…])[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』）]*")  # match end
_WHITESPACE = re.compile(r"\s+")  # match start
_SPACES = re.compile(r"\s*")
_LINE_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class TooManyParts(ValueError):
    """The body needs more than ``most`` parts."""

    def __init__(self, most: int):
        super().__init__(f"the reply would need more than {most} posts")
        self.most = most


def tidy_whitespace(text: str) -> str:
    """Return ``text`` with its whitespace as a reader sees it.

    Line breaks become ``\\n``, runs of other whitespace one space, lines
    lose the spaces at either end, and more than one blank line becomes one.
    """
    text = _LINE_SPACE.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace(" \n", "\n").replace("\n ", "\n")
    return _BLANK_LINES.sub("\n\n", text).strip()


def split_reply(body: str, prefix: str, limit: int, measure: Callable[[str], int],
                most_parts: int | None = None) -> list[str]:
    """Return the posts to send for ``prefix + body`` under ``limit``.

    If it fits, that is the one post.  Otherwise ``body`` is cut into chunks
    and each post is ``prefix + chunk + " (i/n)"`` with ``measure(post) <=
    limit``.  Cuts fall at paragraph breaks if possible, then sentence ends,
    then whitespace; a single word is cut only when it cannot fit in a part
    on its own.  Each part costs at worst about linear time in ``len(body)``,
    and the work stops once ``most_parts`` is exceeded.  Raises TooManyParts past
    ``most_parts``, and ValueError when prefix and marker leave no room, or
    when not even one character of ``body`` fits beside them.
    """
    if measure(prefix + body) <= limit:
        return [prefix + body]
    digits = 1
    while True:
        widest = f" ({'9' * digits}/{'9' * digits})"
        if limit - measure(prefix + widest) <= 0:
            raise ValueError(
                f"prefix {prefix!r} plus a marker like {widest!r} "
                f"leaves no room under limit {limit}"
            )
        most = 10**digits - 1
        if most_parts is not None:
            most = min(most, most_parts)
        chunks = _chunks(
            body.strip(), lambda chunk: measure(prefix + chunk + widest) <= limit, most
        )
        if len(chunks) <= most:
            total = len(chunks)
            return [f"{prefix}{chunk} ({i}/{total})" for i, chunk in enumerate(chunks, 1)]
        if most == most_parts:
            raise TooManyParts(most_parts)
        digits += 1


def _chunks(body: str, fits: Callable[[str], bool], most: int) -> list[str]:
    # Break points are found once for the whole body, and chunking stops as
    # soon as there are more chunks than the marker has digits for.
    end = [len(body)]
    levels = (
        [m.start() for m in _WHITESPACE.finditer(body) if m.group().count("\n") > 1] + end,
        [m.end() for m in _SENTENCE.finditer(body)] + end,
        [m.start() for m in _WHITESPACE.finditer(body)] + end,
    )
    chunks, start = [], 0
    while start < len(body) and len(chunks) <= most:
        cut = _best_cut(body, start, levels, fits)
        chunks.append(body[start:cut].strip())
        start = _SPACES.match(body, cut).end()
    return chunks


def _best_cut(body: str, start: int, levels: tuple, fits_chunk: Callable[[str], bool]) -> int:
    def fits(cut: int) -> bool:
        return fits_chunk(body[start:cut].strip())

    reach = _reach(body, start, fits)
    for points in levels:
        lo, hi = bisect.bisect_right(points, start), bisect.bisect_right(points, reach)
        cut = _last_fitting(points, lo, hi, fits)
        if cut is not None:
            return cut
    spaces = levels[-1]
    word_end = spaces[bisect.bisect_right(spaces, start)]
    cuts = range(start + 1, min(word_end, reach + 1))
    cut = _last_fitting(cuts, 0, len(cuts), fits) or start
    # Inside a word the measure need not grow with every character (a URL
    # turns into a fixed-width placeholder once it is complete), so walk
    # back until the cut is both fitting and between two characters.
    while cut > start and not (_can_cut_at(body, cut) and fits(cut)):
        cut -= 1
    if cut == start:
        raise ValueError(f"cannot fit {body[start:start + 20]!r}... into a part")
    return cut


def _reach(body: str, start: int, fits: Callable[[int], bool]) -> int:
    # Double the span until it stops fitting: nothing beyond that fits
    # either, so no probe below measures much more than one part's text.
    span = 64
    while start + span < len(body) and fits(start + span):
        span *= 2
    return min(start + span, len(body))


def _last_fitting(cuts: Sequence[int], lo: int, hi: int, fits: Callable[[int], bool]) -> int | None:
    # The last of cuts[lo:hi] that fits, by bisection.
    good, bad = lo - 1, hi
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(cuts[middle]):
            good = middle
        else:
            bad = middle
    return cuts[good] if good >= lo else None


def _can_cut_at(text: str, i: int) -> bool:
    # Keep accents, skin tones and joined emoji on the character they belong to.
    return (
        not unicodedata.category(text[i]).startswith("M")
        and not 0x1F3FB <= ord(text[i]) <= 0x1F3FF
        and "\u200d" not in (text[i], text[i - 1])
    )
