"""Split a reply that is too long for one post into numbered parts.

Every platform's reply path uses this with its own ``measure`` (``len``,
Mastodon's ``count_characters``, ...), so nothing here assumes how
characters are counted.  It does assume that adding text never makes a part
shorter by ``measure``, and that a marker with fewer digits is never wider
than one with more.
"""

import bisect
import re
import unicodedata
from typing import Callable, Sequence

# Where a part may end, best first: paragraph breaks, sentence ends, any
# whitespace.  A break sits where the match starts or ends, as noted.
_PARAGRAPH = re.compile(r"\s*\n\s*\n")  # match start
_SENTENCE = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』）]*")  # match end
_WHITESPACE = re.compile(r"\s+")  # match start
_SPACES = re.compile(r"\s*")


def split_reply(body: str, prefix: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """Return the posts to send for ``prefix + body`` under ``limit``.

    If it fits, that is the one post.  Otherwise ``body`` is cut into chunks
    and each post is ``prefix + chunk + " (i/n)"`` with ``measure(post) <=
    limit``.  Cuts fall at paragraph breaks if possible, then sentence ends,
    then whitespace; a single word is cut only when it cannot fit in a part
    on its own.  Raises ValueError when prefix and marker leave no room.
    """
    if measure(prefix + body) <= limit:
        return [prefix + body]
    digits = 1
    while True:
        widest = f" ({'9' * digits}/{'9' * digits})"
        if limit - measure(prefix + widest) <= 0:
            raise ValueError(
                f"prefix {prefix!r} plus a marker like {widest!r} leaves no room under limit {limit}"
            )
        chunks = _chunks(body.strip(), lambda chunk: measure(prefix + chunk + widest) <= limit)
        if len(str(len(chunks))) <= digits:
            total = len(chunks)
            return [f"{prefix}{chunk} ({i}/{total})" for i, chunk in enumerate(chunks, 1)]
        digits += 1


def _chunks(body: str, fits: Callable[[str], bool]) -> list[str]:
    # Break points are found once for the whole body; each part then only
    # measures text near its own start.
    end = [len(body)]
    levels = (
        [m.start() for m in _PARAGRAPH.finditer(body)] + end,
        [m.end() for m in _SENTENCE.finditer(body)] + end,
        [m.start() for m in _WHITESPACE.finditer(body)] + end,
    )
    chunks, start = [], 0
    while start < len(body):
        cut = _best_cut(body, start, levels, fits)
        chunks.append(body[start:cut].strip())
        start = _SPACES.match(body, cut).end()
    return chunks


def _best_cut(body: str, start: int, levels: tuple, fits_chunk: Callable[[str], bool]) -> int:
    def fits(cut: int) -> bool:
        return fits_chunk(body[start:cut].strip())

    for points in levels:
        cut = _last_fitting(points, bisect.bisect_right(points, start), fits)
        if cut is not None:
            return cut
    space = _WHITESPACE.search(body, start)
    word_end = space.start() if space else len(body)
    cut = _last_fitting(range(start + 1, word_end), 0, fits) or start
    # Inside a word the measure need not grow with every character (a URL
    # turns into a fixed-width placeholder once it is complete), so walk
    # back until the cut is both fitting and between two characters.
    while cut > start and not (_can_cut_at(body, cut) and fits(cut)):
        cut -= 1
    if cut == start:
        raise ValueError(f"cannot fit {body[start:start + 20]!r}... into a part")
    return cut


def _last_fitting(cuts: Sequence[int], lo: int, fits: Callable[[int], bool]) -> int | None:
    # Gallop, then bisect: the probes stay close to one part's worth of text
    # instead of measuring the whole remaining body.
    good, bad, step = lo - 1, len(cuts), 1
    while good + step < bad:
        if not fits(cuts[good + step]):
            bad = good + step
            break
        good += step
        step *= 2
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
