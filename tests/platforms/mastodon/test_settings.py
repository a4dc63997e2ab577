"""Mastodon account settings as the admin form submits them."""
import pytest

from plugin.platforms.errors import NotConfigured
from plugin.platforms.mastodon.adapter import MastodonAdapter

BASE = {"base_url": "https://mastodon.social", "access_token": "tok"}
DEFAULTS = {"base_url": "https://mastodon.social", "long_replies": "split", "backfill_days": "7"}

VALID = [
    # (name, submitted values, expected settings; credentials are always the token)
    ("defaults filled in", {}, DEFAULTS),
    ("trailing slash trimmed", {"base_url": "https://mastodon.social/"}, DEFAULTS),
    ("hashtags normalised", {"hashtags": "Brand, #Help  #help,,#café"},
     {**DEFAULTS, "hashtags": "brand help café"}),
    ("refuse long replies", {"long_replies": "refuse"}, {**DEFAULTS, "long_replies": "refuse"}),
    ("backfill at the maximum", {"backfill_days": "90"}, {**DEFAULTS, "backfill_days": "90"}),
    ("backfill off", {"backfill_days": "0"}, {**DEFAULTS, "backfill_days": "0"}),
    ("values stripped", {"backfill_days": " 3 ", "long_replies": " refuse "},
     {**DEFAULTS, "backfill_days": "3", "long_replies": "refuse"}),
]

INVALID = [
    # (name, submitted values, allow_http, words the message must contain)
    ("hashtag with a dash", {"hashtags": "brand, #bad-tag"}, False, "Hashtags"),
    ("hashtag with a dot", {"hashtags": "v1.2"}, False, "Hashtags"),
    ("plain http", {"base_url": "http://mastodon.social"}, False, "https URL"),
    ("not a URL", {"base_url": "mastodon.social"}, True, "base URL"),
    ("unknown key", {"colour": "red"}, False, "Unknown setting(s): colour"),
    ("long replies mode", {"long_replies": "truncate"}, False, "split, refuse"),
    ("backfill over 90", {"backfill_days": "91"}, False, "0 to 90"),
    ("backfill negative", {"backfill_days": "-1"}, False, "0 to 90"),
    ("backfill in words", {"backfill_days": "seven"}, False, "0 to 90"),
    ("backfill fractional", {"backfill_days": "1.5"}, False, "0 to 90"),
    ("backfill superscript digit", {"backfill_days": "²"}, False, "0 to 90"),
    ("no access token", {"access_token": ""}, False, "Access token is required"),
    ("no instance URL", {"base_url": "  "}, False, "Instance URL is required"),
]


@pytest.mark.parametrize(("values", "settings"), [row[1:] for row in VALID],
                         ids=[row[0] for row in VALID])
def test_clean_settings_accepts(values, settings):
    assert MastodonAdapter.clean_settings({**BASE, **values}) == (settings, {"access_token": "tok"})


@pytest.mark.parametrize(("values", "allow_http", "words"), [row[1:] for row in INVALID],
                         ids=[row[0] for row in INVALID])
def test_clean_settings_refuses(values, allow_http, words):
    with pytest.raises(NotConfigured) as raised:
        MastodonAdapter.clean_settings({**BASE, **values}, allow_http=allow_http)
    assert words in raised.value.message


def test_http_instance_allowed_when_enabled():
    settings, _ = MastodonAdapter.clean_settings({**BASE, "base_url": "http://127.0.0.1:3000/"},
                                                 allow_http=True)
    assert settings["base_url"] == "http://127.0.0.1:3000"


def test_token_is_a_credential_not_a_setting():
    settings, credentials = MastodonAdapter.clean_settings(BASE)
    assert "access_token" not in settings and credentials == {"access_token": "tok"}


def test_adapter_without_a_token_is_not_configured():
    adapter = MastodonAdapter({"base_url": "https://mastodon.social"}, {})
    with pytest.raises(NotConfigured, match="access token"):  # before any request goes out
        adapter.verify()


def test_adapter_refuses_plain_http_by_default():
    with pytest.raises(NotConfigured, match="https URL"):
        MastodonAdapter({"base_url": "http://mastodon.social"}, {"access_token": "t"})
