"""Bluesky account settings as the admin form and the CLI submit them."""
import pytest

from plugin.platforms.bluesky import BlueskyAdapter
from plugin.platforms.errors import NotConfigured

BASE = {"handle": "acme.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}
DEFAULTS = {"handle": "acme.bsky.social", "base_url": "https://bsky.social",
            "long_replies": "split", "backfill_days": "7"}

VALID = [
    ("defaults filled in", {}, DEFAULTS),
    ("handle typed with an @", {"handle": "@acme.bsky.social"}, DEFAULTS),
    ("own PDS", {"base_url": "https://pds.acme.example/"},
     {**DEFAULTS, "base_url": "https://pds.acme.example"}),
    ("search terms tidied", {"search_terms": " Acme ,, acme support, Acme "},
     {**DEFAULTS, "search_terms": "Acme, acme support"}),
]

INVALID = [
    ("no handle", {"handle": " "}, "Handle is required"),
    ("no app password", {"app_password": ""}, "App password is required"),
    ("plain http", {"base_url": "http://bsky.social"}, "https URL"),
    ("unknown key", {"access_token": "x"}, "Unknown setting(s): access_token"),
]


@pytest.mark.parametrize(("values", "settings"), [row[1:] for row in VALID],
                         ids=[row[0] for row in VALID])
def test_clean_settings_accepts(values, settings):
    assert BlueskyAdapter.clean_settings({**BASE, **values}) == (
        settings, {"app_password": "abcd-efgh-ijkl-mnop"})


@pytest.mark.parametrize(("values", "words"), [row[1:] for row in INVALID],
                         ids=[row[0] for row in INVALID])
def test_clean_settings_refuses(values, words):
    with pytest.raises(NotConfigured) as raised:
        BlueskyAdapter.clean_settings({**BASE, **values})
    assert words in raised.value.message


def test_ids_are_ascii_and_fit_zendesk():
    adapter = BlueskyAdapter({"handle": "acme.bsky.social"}, {})
    uri = "at://did:web:" + "é" * 300 + "/app.bsky.feed.post/3lprdue7ggw26"
    assert adapter.post_id(uri).isascii() and len(adapter.post_id(uri)) <= 255
    assert adapter.post_id(uri) == adapter.post_id(uri) != adapter.post_id(uri + "x")
    assert adapter.author_id("did:plc:abc") == "bluesky:user:did:plc:abc"
