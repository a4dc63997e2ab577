"""Media: a mention's files come with it; a reply's files go with it, or are refused before
anything is posted; a platform without the media capability refuses every file."""
import pytest

from plugin.platforms.base import MEDIA
from plugin.platforms.shapes import Attachment
from plugin.platforms.media import Upload
from plugin.platforms.errors import MediaRefused
from tests.platforms.conformance.test_intake import drain

PHOTO = "https://files.example.social/media/parcel.png"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _needs_media(kit):
    if MEDIA not in kit.adapter().capabilities:
        pytest.skip(f"{kit.platform} does not share media")


def test_a_mentions_image_comes_with_it(kit):
    _needs_media(kit)
    adapter = kit.adapter()
    asked = kit.mention_with_image(kit.customer("gina"), PHOTO, "A torn parcel")
    mention = next(m for m in drain(adapter, None)[0] if m.external_id == asked)
    [attachment] = mention.attachments
    assert isinstance(attachment, Attachment)
    assert (attachment.kind, attachment.url, attachment.description) == (
        "image", PHOTO, "A torn parcel")


def test_a_replys_image_goes_with_it_and_a_refused_file_posts_nothing(kit):
    _needs_media(kit)
    adapter = kit.adapter()
    asked = kit.mention(kit.customer("hal"), "is this broken?")
    mention = next(m for m in drain(adapter, None)[0] if m.external_id == asked)
    text = adapter.reply_prefix(mention.reply_target) + "Like this?"
    image = Upload("parcel.png", "image/png", PNG, "A whole parcel")
    adapter.check_media([image])
    posted = adapter.post_reply(mention.reply_target, text, "m-1", files=(image,))
    assert kit.media_of(posted.external_id) == [("image/png", "A whole parcel")]
    before = kit.posts_by_brand()
    with pytest.raises(MediaRefused):
        adapter.check_media([Upload("tool.exe", "application/x-msdownload", b"MZ")])
    assert kit.posts_by_brand() == before


def test_without_the_capability_every_file_is_refused(kit):
    adapter = kit.adapter()
    if MEDIA in adapter.capabilities:
        adapter.capabilities = adapter.capabilities - {MEDIA}
    adapter.check_media([])
    with pytest.raises(MediaRefused, match="cannot carry attachments"):
        adapter.check_media(1)
