"""Text rules on the shared hard strings: measured as the platform counts, split only between
grapheme clusters, every part within every limit."""
from datetime import datetime
from datetime import timezone

import pytest
import regex

from plugin.platforms.textsplit import tidy_whitespace
from plugin.replies.planning import plan
from tests.platforms.conformance.hard_strings import HARD_STRINGS

CASES = sorted(HARD_STRINGS)
CLUSTER = regex.compile(r"\X")
MARKER = regex.compile(r" \(\d+/\d+\)\Z")
LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)


def test_every_hard_string_has_an_expected_length(kit):
    assert sorted(kit.expected_lengths) == CASES


@pytest.mark.parametrize("case", CASES)
def test_measured_as_the_platform_counts(kit, case):
    rules = kit.adapter().text_rules()
    assert rules.measure(HARD_STRINGS[case]) == kit.expected_lengths[case]


@pytest.mark.parametrize("case", CASES)
def test_at_the_limit_fits_and_the_platform_agrees(kit, case):
    """Repeat the string up to the first limit: what our rules pass, the platform accepts,
    and one more repetition past any limit is caught before sending."""
    rules = kit.adapter().text_rules()
    text = HARD_STRINGS[case]
    while rules.fits(text + " " + HARD_STRINGS[case]):
        text += " " + HARD_STRINGS[case]
    assert kit.accepts(text)
    longer = text + " " + HARD_STRINGS[case]
    assert not rules.fits(longer)
    assert not kit.accepts(longer)


@pytest.mark.parametrize("case", CASES)
def test_a_long_reply_splits_between_clusters_within_every_limit(kit, case):
    adapter = kit.adapter()
    target = _a_mention(kit).reply_target
    rules = adapter.text_rules()
    copies = 1
    # Twice over the tightest limit: a second limit ten times looser (bytes) need not be.
    while not any(rules.measure(_repeated(case, copies))[limit.unit] > 2 * limit.most
                  for limit in rules.limits):
        copies *= 2
    body = _repeated(case, copies)
    parts = plan(adapter, target, body, "split")
    prefix = adapter.reply_prefix(target)
    assert len(parts) > 1
    pieces = []
    for part in parts:
        assert adapter.text_rules().fits(part) and kit.accepts(part)
        assert part.startswith(prefix)
        pieces.append(MARKER.sub("", part[len(prefix):]))
    clusters = set(CLUSTER.findall(body))
    assert all(set(CLUSTER.findall(piece)) <= clusters for piece in pieces)
    assert "".join(pieces).replace(" ", "") == tidy_whitespace(body).replace(" ", "")


def test_a_handle_at_the_edge_of_the_limit(kit):
    """A reply whose prefix (the customer's handle) brings it exactly to the limit goes whole;
    one more character splits it."""
    adapter = kit.adapter()
    target = _a_mention(kit).reply_target
    rules = adapter.text_rules()
    prefix = adapter.reply_prefix(target)
    body = "x"
    while rules.fits(prefix + body + "x"):
        body += "x"
    assert plan(adapter, target, body, "split") == [prefix + body]
    assert len(plan(adapter, target, body + " x", "split")) == 2


def _repeated(case, copies):
    return " ".join([HARD_STRINGS[case]] * copies)


def _a_mention(kit):
    """A customer's mention, as the adapter takes it in from the fake."""
    external_id = kit.mention(kit.customer("edge"), "hello")
    batch = kit.adapter().fetch_mentions(None, LONG_AGO)
    return next(m for m in batch.mentions if m.external_id == external_id)
