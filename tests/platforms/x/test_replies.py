"""Replies on X: threaded under the customer's post without typing their handle, X's reply
rules as a failure the agent can act on, a retried post found instead of doubled."""
from datetime import datetime
from datetime import timezone

import pytest

from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import MediaRefused
from plugin.platforms.errors import Refused
from plugin.platforms.errors import ReplyNotAllowed
from plugin.platforms.media import Upload
from tests.platforms.x.kit import make_adapter

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _target(adapter):
    return adapter.fetch_mentions(None, LONG_AGO).mentions[-1].reply_target


def test_a_reply_answers_the_post_without_typing_the_handle(x, adapter, jane):
    post = x.mention(jane, "help?")
    target = _target(adapter)
    assert adapter.reply_prefix(target) == ""
    posted = adapter.post_reply(target, "We're on it.", "k1")
    stored = x.tweets[posted.external_id.removeprefix("x:")]
    assert stored["in_reply_to_user_id"] == jane["id"]
    assert {"type": "replied_to", "id": post["id"]} in stored["referenced_tweets"]
    assert posted.url.endswith(f"/status/{stored['id']}")


def test_a_post_that_never_engaged_the_brand_cannot_be_answered(x, adapter, jane):
    x.mention(jane, "hi")
    target = _target(adapter)
    untouched = x.post(jane, "unrelated thoughts")
    with pytest.raises(ReplyNotAllowed) as refused:
        adapter.post_reply({**target, "tweet_id": untouched["id"]}, "Hello!", "k2")
    assert "mention" in refused.value.message and refused.value.status == 403
    assert x.brand_posts() == []


def test_a_retried_reply_is_found_not_doubled(x, adapter, jane):
    x.mention(jane, "hello?")
    target = _target(adapter)
    once = adapter.post_reply(target, "Hi there", "k3")
    again = adapter.post_reply(target, "Hi there", "k3")
    assert once.external_id == again.external_id
    assert len(x.brand_posts()) == 1


def test_oauth1_tokens_sign_reads_and_posts(x, jane):
    token, secret = x.oauth1_token
    adapter = make_adapter(x, {"oauth_token": token, "oauth_token_secret": secret})
    assert adapter.verify().user_id == x.brand["id"]
    x.mention(jane, "hey")
    adapter.post_reply(_target(adapter), "Hello from OAuth 1.0a", "k4")
    assert len(x.brand_posts()) == 1
    forged = make_adapter(x, {"oauth_token": token, "oauth_token_secret": "wrong"})
    with pytest.raises(AuthFailed):
        forged.verify()


def test_a_deleted_post_is_not_found_not_a_credentials_problem(x, adapter, jane):
    x.mention(jane, "hi")
    target = _target(adapter)
    with pytest.raises(Refused) as refused:
        adapter.post_reply({**target, "tweet_id": "1999999999999999999"}, "Hello!", "k5")
    assert refused.value.status == 404 and not isinstance(refused.value, AuthFailed)
    assert "deleted" in refused.value.message


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
GIF = b"GIF89a" + b"\0" * 64


def test_images_go_up_with_their_alt_text_and_a_gif_goes_alone(x, adapter, jane):
    x.mention(jane, "which one?")
    target = _target(adapter)
    photos = [Upload(f"p{n}.png", "image/png", PNG, f"Option {n}") for n in range(2)]
    posted = adapter.post_reply(target, "These two", "k6", files=photos)
    assert x.media_of(posted.external_id.removeprefix("x:")) == [
        ("image/png", "Option 0"), ("image/png", "Option 1")]
    uploads = [params for _, path, params in x.requests if path == "/2/media/upload"]
    assert [u["media_category"] for u in uploads] == ["tweet_image"] * 2
    with pytest.raises(MediaRefused, match="GIF goes with a post alone"):
        adapter.check_media([Upload("a.gif", "image/gif", GIF), *photos])
    with pytest.raises(MediaRefused, match="at most 4"):
        adapter.check_media(5)
