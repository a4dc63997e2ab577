"""Mastodon status HTML to ticket text, and Mastodon's character counting."""
import json
from pathlib import Path

import pytest

from plugin.platforms.mastodon.text import count_characters
from plugin.platforms.mastodon.text import status_text
from plugin.platforms.mastodon.text import without_address

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def recorded(name):
    """Load a recorded Mastodon response body by file name."""
    return json.loads((FIXTURES / "mastodon" / name).read_text(encoding="utf-8"))


def mention_status():
    """The status inside the recorded mention notification."""
    return recorded("notifications_mentions.json")[0]["status"]


def variant(**changes):
    """The recorded mention status with some fields replaced."""
    return {**mention_status(), **changes}


BOB = {
    "id": "117020566092212399",
    "username": "bob",
    "url": "https://example.social/@bob",
    "acct": "bob@example.social",
}
LONG_URL = "https://docs.example.com/support/troubleshooting/avatars-not-loading?lang=en"
SHOT_URL = "http://localhost:3000/system/media_attachments/files/117/020/577/original/shot.png"
RICH_CONTENT = (
    '<p>Hi <span class="h-card" translate="no"><a href="https://example.social/@bob" '
    'class="u-url mention">@<span>bob</span></a></span>, the app shows &amp; then '
    "&lt;img src=x&gt; instead of my avatar.<br />Steps are in "
    f'<a href="{LONG_URL}" target="_blank" rel="nofollow noopener" translate="no">'
    '<span class="invisible">https://</span><span class="ellipsis">docs.example.com/'
    'support/troub</span><span class="invisible">leshooting/avatars-not-loading?lang=en'
    "</span></a><br />Tried twice.</p>"
    "<p>It started after the update.</p>"
    '<p>Thanks! <a href="http://localhost:3000/tags/bugreport" class="mention hashtag" '
    'rel="tag">#<span>BugReport</span></a></p>'
)
RICH_TEXT = (
    "CW: app bug, screenshots\n"
    "\n"
    "Hi @bob@example.social, the app shows & then <img src=x> instead of my avatar.\n"
    f"Steps are in {LONG_URL}\n"
    "Tried twice.\n"
    "\n"
    "It started after the update.\n"
    "\n"
    "Thanks! #BugReport\n"
    "\n"
    f"[image] {SHOT_URL} — Avatar area showing a broken image icon"
)


@pytest.mark.parametrize(
    "status, expected",
    [
        pytest.param(mention_status(), "@mastodonpy_test hello!", id="mention-notification"),
        pytest.param(
            recorded("status_reply_created.json"), "@mastodonpy_test_2 same!", id="created-reply"
        ),
        *(
            pytest.param(status, f"Toot number {9 - i}!", id=f"account-status-{i}")
            for i, status in enumerate(recorded("account_statuses.json"))
        ),
    ],
)
def test_status_text_of_recorded_bodies(status, expected):
    assert status_text(status) == expected


@pytest.mark.parametrize(
    "changes, expected",
    [
        pytest.param(
            {
                "content": RICH_CONTENT,
                "spoiler_text": "app bug, screenshots",
                "mentions": [BOB],
                "media_attachments": [
                    {
                        "type": "image",
                        "url": SHOT_URL,
                        "description": "Avatar area showing a broken image icon",
                    }
                ],
            },
            RICH_TEXT,
            id="html-heavy-post",
        ),
        pytest.param(
            {
                "content": '<p><span class="h-card"><a class="u-url mention" '
                'href="https://elsewhere.example/users/carol">@<span>carol</span></a></span>'
                " hi</p>",
                "mentions": [BOB],
            },
            "@carol hi",
            id="unlisted-mention-falls-back-to-visible-text",
        ),
        pytest.param(
            {"content": "<p>a &amp; b &lt;img src=x&gt; &quot;q&quot; &#39;s&#39; caf&eacute;</p>"},
            "a & b <img src=x> \"q\" 's' café",
            id="entities",
        ),
        pytest.param(
            {"content": "<p>one\ntwo  three</p>\n<p>four</p>"},
            "one two three\n\nfour",
            id="source-whitespace-collapses",
        ),
        pytest.param(
            {"content": "https://example.com/just-a-link"},
            "https://example.com/just-a-link",
            id="bare-url-content",
        ),
        pytest.param(
            {"content": "<p>x<br>y<br/><br />z</p>"},
            "x\ny\n\nz",
            id="br-variants",
        ),
        pytest.param(
            {
                "content": "",
                "media_attachments": [{"type": "video", "url": SHOT_URL, "description": None}],
            },
            f"[video] {SHOT_URL}",
            id="media-only-without-description",
        ),
        pytest.param(
            {
                "content": "<p> </p>",
                "spoiler_text": "spoilers",
                "media_attachments": [
                    {"type": "gifv", "url": None, "remote_url": SHOT_URL, "description": "cat"}
                ],
            },
            f"CW: spoilers\n\n[gifv] {SHOT_URL} — cat",
            id="cw-and-uncached-remote-media",
        ),
        pytest.param(
            {"content": "<p> </p><p><br /></p>", "spoiler_text": "  "}, "", id="whitespace-only"
        ),
        pytest.param({"content": "", "spoiler_text": "", "media_attachments": []}, "", id="empty"),
    ],
)
def test_status_text_of_variants(changes, expected):
    assert status_text(variant(**changes)) == expected


def test_status_text_leaves_no_markup():
    text = status_text(variant(content=RICH_CONTENT, mentions=[BOB]))

    assert not any(tag in text for tag in ("<p", "<a ", "<span", "<br", "class="))


@pytest.mark.parametrize(
    "text, url_length, expected",
    [
        pytest.param("", 23, 0, id="empty"),
        pytest.param("  \n\t", 23, 0, id="blank-counts-zero"),
        pytest.param("hello!", 23, 6, id="plain"),
        pytest.param("@bob@example.social hi", 23, len("@bob hi"), id="remote-mention"),
        pytest.param("@mastodonpy_test hello!", 23, 23, id="local-mention"),
        pytest.param(
            "hi @alice@mastodon.social and https://joinmastodon.org",
            23,
            len("hi @alice and ") + 23,
            id="mention-and-url",
        ),
        pytest.param(f"see {LONG_URL}", 23, 4 + 23, id="long-url"),
        pytest.param("see https://example.com/a.", 23, 4 + 23 + 1, id="trailing-dot-not-in-url"),
        pytest.param("(https://en.wikipedia.org/wiki/Foo_(bar))", 23, 25, id="balanced-parens"),
        pytest.param("https://example.com/x", 30, 30, id="instance-url-length"),
        pytest.param("https://example.com/@bob@example.social", 23, 23, id="mention-inside-url"),
        pytest.param("http://localhost:3000/x", 23, 23, id="no-tld-counts-literally"),
        pytest.param("ftp://example.com/file", 23, 22, id="unknown-scheme-counts-literally"),
        pytest.param("example.com/page", 23, 16, id="no-scheme-counts-literally"),
        pytest.param("mail me@bob.example", 23, 19, id="email-is-not-a-mention"),
        pytest.param("👨\u200d👩\u200d👧\u200d👦", 23, 1, id="zwj-family"),
        pytest.param("🏳️\u200d🌈", 23, 1, id="rainbow-flag"),
        pytest.param("👍🏽 ok", 23, 4, id="skin-tone"),
        pytest.param("🇫🇷🇩🇪", 23, 2, id="flag-pairs"),
        pytest.param("cafe\u0301", 23, 4, id="combining-accent"),
        pytest.param("한국어 \u1100\u1161\u11a8", 23, 5, id="hangul"),
        pytest.param("日本語テキスト", 23, 7, id="cjk"),
        pytest.param("a\r\nb", 23, 3, id="crlf"),
    ],
)
def test_count_characters(text, url_length, expected):
    assert count_characters(text, url_length=url_length) == expected


# The brand's instance is brand.example: a bare @user there means a local account.
@pytest.mark.parametrize(
    "acct, text, left",
    [
        pytest.param("jane", "@janet will call you", "@janet will call you",
                     id="longer-username-is-someone-else"),
        pytest.param("jane", "@jane@brand.example thanks", "thanks", id="local-with-own-domain"),
        pytest.param("jane", "@jane@their.instance thanks", "@jane@their.instance thanks",
                     id="same-username-other-instance"),
        pytest.param("jane@brand.example", "@jane thanks", "thanks",
                     id="acct-given-with-own-domain"),
        pytest.param("jane@their.instance", "@jane@their.instance thanks", "thanks",
                     id="remote"),
        pytest.param("jane@their.instance", "@jane thanks", "@jane thanks",
                     id="bare-handle-is-the-local-account"),
        pytest.param("jane@their.instance", "@jane@other.example thanks",
                     "@jane@other.example thanks", id="remote-other-instance"),
        pytest.param("Jane", "@JANE thanks", "thanks", id="username-case"),
        pytest.param("jane@Their.Instance", "@Jane@their.INSTANCE thanks", "thanks",
                     id="domain-case"),
        pytest.param("jane", "@jane, thanks", "thanks", id="comma"),
        pytest.param("jane", "@jane: see below", "see below", id="colon"),
        pytest.param("jane", "@jane!", "!", id="other-punctuation-stays"),
        pytest.param("jane", "@jane", "", id="handle-alone"),
        pytest.param("jane", "@jane.doe hi", "@jane.doe hi", id="dotted-username"),
        pytest.param("jane", "@jane_doe hi", "@jane_doe hi", id="underscored-username"),
        pytest.param("jane", "@jane@brand.example.evil hi", "@jane@brand.example.evil hi",
                     id="longer-domain"),
        pytest.param("jane", "hi @jane", "hi @jane", id="not-at-the-start"),
        pytest.param("jane", "@jane@ x", "@jane@ x", id="not-a-whole-handle"),
    ],
)
def test_without_address(acct, text, left):
    assert without_address(text, acct, "brand.example") == left
