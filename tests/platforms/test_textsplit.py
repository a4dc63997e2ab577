"""Splitting over-long replies into numbered parts."""
import hashlib
import re
import time

import pytest

from plugin.platforms.mastodon.text import count_characters
from plugin.platforms.textsplit import TooManyParts
from plugin.platforms.textsplit import split_reply
from plugin.platforms.textsplit import tidy_whitespace

MARKER = re.compile(r" \((\d+)/(\d+)\)$")

LOREM = "\n\n".join(
    " ".join(
        f"Sentence {p}.{s} has a handful of ordinary words in it{'!' if s % 3 == 0 else '.'}"
        for s in range(1, 6)
    )
    for p in range(1, 8)
)
CJK = "今日はとても良い天気ですね。" * 12 + "明日は雨が降るかもしれません！" * 8
URLS = (
    "Please read https://docs.example.com/" + "a" * 200 + " first, then "
    "https://example.org/guides/" + "b" * 300 + "?step=2 and reply here. "
) * 4
EMOJI = "Thanks 👨\u200d👩\u200d👧\u200d👦 for the café\u0301 tip 👍🏽! " * 20
FAMILY = "👨\u200d👩\u200d👧\u200d👦" * 30
LONG_WORD = "x" * 700


def chunks_of(parts, prefix):
    """The body chunks inside the posted parts (prefix and marker removed)."""
    if len(parts) == 1:
        return [parts[0][len(prefix):]]
    return [MARKER.sub("", part)[len(prefix):] for part in parts]


@pytest.mark.parametrize(
    "body, prefix, limit, measure, expected",
    [
        pytest.param("short reply", "@bob ", 500, len, ["@bob short reply"], id="fits"),
        pytest.param("x" * 15, "@bob ", 20, len, ["@bob " + "x" * 15], id="exactly-at-limit"),
        pytest.param(
            "First paragraph here.\n\nSecond paragraph is here, and it is longer.",
            "@a ",
            60,
            len,
            [
                "@a First paragraph here. (1/2)",
                "@a Second paragraph is here, and it is longer. (2/2)",
            ],
            id="paragraph-break-preferred",
        ),
        pytest.param(
            "One two three. Four five six. Seven eight nine.",
            "",
            40,
            len,
            ["One two three. Four five six. (1/2)", "Seven eight nine. (2/2)"],
            id="sentence-end-preferred",
        ),
        pytest.param(
            "alpha beta gamma delta epsilon zeta eta theta",
            "",
            30,
            len,
            ["alpha beta gamma delta (1/2)", "epsilon zeta eta theta (2/2)"],
            id="whitespace",
        ),
        pytest.param(
            "x" * 30,
            "",
            20,
            len,
            ["x" * 14 + " (1/3)", "x" * 14 + " (2/3)", "xx (3/3)"],
            id="hard-split-long-word",
        ),
        pytest.param(
            " ".join(["abcd"] * 10),
            "",
            12,
            len,
            [f"abcd ({i}/10)" for i in range(1, 11)],
            id="marker-widens-at-ten-parts",
        ),
        pytest.param(
            "今日は晴れです。明日は雨です。",
            "@a ",
            17,
            len,
            ["@a 今日は晴れです。 (1/2)", "@a 明日は雨です。 (2/2)"],
            id="cjk-sentence-ends",
        ),
        pytest.param(
            "see https://example.com/" + "p" * 100 + " ok",
            "@bob@example.social ",
            40,
            count_characters,
            ["@bob@example.social see https://example.com/" + "p" * 100 + " ok"],
            id="url-and-mention-shortened-by-measure",
        ),
    ],
)
def test_split_reply_exact(body, prefix, limit, measure, expected):
    assert split_reply(body, prefix, limit, measure) == expected


@pytest.mark.parametrize("measure", [len, count_characters], ids=["len", "count_characters"])
@pytest.mark.parametrize(
    "body, prefix, limit, keeps_words",
    [
        pytest.param(LOREM, "@alice ", 100, True, id="paragraphs-100"),
        pytest.param(LOREM, "@alice@remote.example ", 500, True, id="paragraphs-500"),
        pytest.param(" ".join(LOREM.split()), "", 60, True, id="one-paragraph-60"),
        pytest.param(CJK, "@a ", 50, False, id="cjk"),
        pytest.param(EMOJI, "@bob ", 70, True, id="emoji"),
        pytest.param(LONG_WORD + " tail", "@bob ", 120, False, id="long-word"),
        pytest.param(LOREM * 6, "", 30, True, id="many-parts"),
    ],
)
def test_split_reply_properties(body, prefix, limit, keeps_words, measure):
    parts = split_reply(body, prefix, limit, measure)
    chunks = chunks_of(parts, prefix)

    assert all(measure(part) <= limit for part in parts)
    assert all(part.startswith(prefix) for part in parts)
    assert all(chunk and chunk == chunk.strip() for chunk in chunks)
    assert "".join("".join(chunk.split()) for chunk in chunks) == "".join(body.split())
    if keeps_words:
        assert [word for chunk in chunks for word in chunk.split()] == body.split()
    if len(parts) > 1:
        assert [MARKER.search(part).groups() for part in parts] == [
            (str(i), str(len(parts))) for i in range(1, len(parts) + 1)
        ]


def test_long_urls_stay_whole_under_mastodon_counting():
    parts = split_reply(URLS, "@bob@example.social ", 80, count_characters)
    urls = [word for word in URLS.split() if word.startswith("https://")]

    assert all(count_characters(part) <= 80 for part in parts)
    assert all(any(url in part.split() for part in parts) for url in urls)
    assert max(len(part) for part in parts) > 300  # a raw length check would have refused these


def test_hard_split_keeps_emoji_sequences_whole():
    parts = split_reply(FAMILY, "", 40, len)

    assert all(len(chunk) % 7 == 0 for chunk in chunks_of(parts, ""))


def weighted(text):
    """A Twitter-like measure: CJK characters weigh two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


@pytest.mark.parametrize(
    "body, prefix, limit, measure, message",
    [
        pytest.param(
            "a body that is too long", "@someone ", 10, len, "leaves no room", id="marker-too-wide"
        ),
        pytest.param(
            "a body that is too long",
            "@someone ",
            len("@someone  (9/9)"),
            len,
            "leaves no room",
            id="no-room-left",
        ),
        pytest.param(
            "a body that is too long",
            "@someone@far.example ",
            12,
            count_characters,
            "leaves no room",
            id="count-characters",
        ),
        pytest.param("字" * 5, "", 7, weighted, "cannot fit", id="character-wider-than-room"),
    ],
)
def test_split_reply_rejects_what_cannot_fit(body, prefix, limit, measure, message):
    with pytest.raises(ValueError, match=message):
        split_reply(body, prefix, limit, measure)


# Digests of the parts the splitter gave these bodies before it was made linear-time: the
# rewrite must cut ordinary text exactly where it did.
UNCHANGED = [
    pytest.param(LOREM, "@alice ", 100, 35, "86a05211a700dea9", id="paragraphs"),
    pytest.param(LOREM, "@alice@remote.example ", 500, 7, "10898193e212e3b8", id="remote"),
    pytest.param(CJK, "@a ", 50, 10, "11974f51003958cf", id="cjk"),
    pytest.param(URLS, "@bob@example.social ", 80, 8, "8b9197eafe61e6a9", id="urls"),
    pytest.param(EMOJI, "@bob ", 70, 10, "7c4cbd55b20b17f1", id="emoji"),
]


@pytest.mark.parametrize("body, prefix, limit, count, digest", UNCHANGED)
def test_ordinary_text_is_split_as_before(body, prefix, limit, count, digest):
    parts = split_reply(body, prefix, limit, count_characters)

    assert len(parts) == count
    assert hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16] == digest


PATHOLOGICAL = [
    pytest.param("hello " + " " * 65000 + " bye", id="spaces"),
    pytest.param("hello" + " \n" * 32000 + "bye", id="single-newlines"),
    pytest.param("a" + "." * 65000 + "b", id="dots"),
    pytest.param(("word " + " \t " * 50 + "\n") * 400, id="mixed"),
]


@pytest.mark.parametrize("body", PATHOLOGICAL)
def test_65kb_of_whitespace_or_punctuation_splits_quickly(body):
    started = time.process_time()
    try:
        split_reply(body, "@jane ", 500, count_characters, most_parts=10)
    except TooManyParts:
        pass
    assert time.process_time() - started < 0.5


@pytest.mark.parametrize(
    "text, tidy",
    [
        pytest.param("Hello  there,\tJane!", "Hello there, Jane!", id="runs-in-a-line"),
        pytest.param("One.   \n   Two.", "One.\nTwo.", id="around-newlines"),
        pytest.param("One.\n\n\n\n\nTwo.", "One.\n\nTwo.", id="many-blank-lines"),
        pytest.param("One.\r\n\r\nTwo.\rThree.", "One.\n\nTwo.\nThree.", id="carriage-returns"),
        pytest.param(" \n hi " + " " * 65000 + "\n", "hi", id="mostly-whitespace"),
        pytest.param(LOREM, LOREM, id="ordinary-text-unchanged"),
    ],
)
def test_tidy_whitespace(text, tidy):
    assert tidy_whitespace(text) == tidy


def test_more_parts_than_allowed_is_refused():
    body = " ".join(["word"] * 60)

    assert len(split_reply(body, "", 30, len, most_parts=15)) == 15
    with pytest.raises(TooManyParts, match="more than 5 posts") as raised:
        split_reply(body, "", 30, len, most_parts=5)
    assert raised.value.most == 5
