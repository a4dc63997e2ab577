"""Mastodon media: attachments of mentions, the instance's upload limits, uploads on replies."""
import pytest

from plugin.platforms.base import MEDIA
from plugin.platforms.shapes import Attachment
from plugin.platforms.media import Upload
from plugin.platforms.errors import MediaRefused
from plugin.platforms.errors import Refused
from plugin.platforms.errors import Unavailable
from plugin.platforms.mastodon import media
from tests.fakes.mastodon_media import media_entity

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PHOTO = "https://files.example.social/media/1/original.png"


def upload(name="parcel.png", mime="image/png", content=PNG, description="A torn parcel"):
    return Upload(filename=name, mime_type=mime, content=content, description=description)


@pytest.mark.parametrize("entity, expected", [
    (media_entity(1, "image", PHOTO, description=" A torn parcel ",
                  preview_url="https://files.example.social/media/1/small.png"),
     Attachment("image", PHOTO, "A torn parcel",
                preview_url="https://files.example.social/media/1/small.png")),
    (media_entity(2, "gifv", "https://f.example/2.mp4"),
     Attachment("gif", "https://f.example/2.mp4", preview_url="https://f.example/2.mp4")),
    (media_entity(3, "video", "https://f.example/3.mp4"),
     Attachment("video", "https://f.example/3.mp4", preview_url="https://f.example/3.mp4")),
    (media_entity(4, "audio", "https://f.example/4.mp3"),
     Attachment("audio", "https://f.example/4.mp3", preview_url="https://f.example/4.mp3")),
    # Remote media the instance has not cached: only remote_url is known.
    ({**media_entity(5, "unknown", None, remote_url="https://their.example/5.bin"),
      "preview_url": None},
     Attachment("other", "https://their.example/5.bin")),
])
def test_status_media_become_attachments(entity, expected):
    assert media.attachments({"media_attachments": [entity]}) == (expected,)


def test_media_without_any_url_are_left_out():
    assert media.attachments({"media_attachments": [media_entity(1, "image", None)]}) == ()
    assert media.attachments({"media_attachments": None}) == ()


def test_a_mention_carries_its_media_and_keeps_the_description_in_its_text(mastodon, adapter,
                                                                          alice):
    photo = media_entity(9, "image", PHOTO, description="A torn parcel")
    status = mastodon.mention(alice, "look at this", media=[photo])["status"]
    mention = adapter.to_mention(status, raw=status)
    assert mention.attachments == (Attachment("image", PHOTO, "A torn parcel",
                                              preview_url=PHOTO),)
    assert mention.text.endswith(f"[image] {PHOTO} — A torn parcel")


def test_a_boost_carries_the_boosted_posts_media(mastodon, adapter, alice, bob):
    original = mastodon.post_status(bob, "photo", media=[media_entity(9, "image", PHOTO)])
    boost = mastodon.post_status(alice, "", reblog_of=original)
    assert adapter.to_mention(boost, raw=boost).attachments[0].url == PHOTO


def test_rules_come_from_the_instance(mastodon, adapter):
    mastodon.media.image_size_limit = 1000
    mastodon.media.max_attachments = 2
    rules = adapter.media_rules()
    assert rules.max_count == 2
    assert rules.max_bytes["image"] == 1000
    assert rules.max_bytes["video"] == rules.max_bytes["audio"] == mastodon.media.video_size_limit
    assert "image/png" in rules.mime_types and "application/pdf" not in rules.mime_types


def test_rules_default_to_mastodons_own_when_the_instance_says_nothing():
    rules = media.rules_from({"configuration": {}})
    assert rules.max_count == 4
    assert rules.max_bytes == {"image": 16 * 1024 * 1024, "video": 99 * 1024 * 1024,
                               "audio": 99 * 1024 * 1024}
    assert "image/jpeg" in rules.mime_types


@pytest.mark.parametrize("files, reason", [
    ([upload(name="notes.pdf", mime="application/pdf")],
     "notes.pdf is application/pdf, a type it does not take"),
    ([upload()] * 5, "at most 4 attachments go with one reply; this one has 5"),
    ([upload(content=b"x" * (16 * 1024 * 1024 + 1))], "parcel.png is 16.0 MB; the limit is"),
])
def test_files_the_instance_cannot_take_are_refused_with_the_reason(adapter, files, reason):
    with pytest.raises(MediaRefused) as refused:
        adapter.check_media(files)
    assert reason in refused.value.message
    assert "Nothing was posted" in refused.value.message


def test_files_within_the_limits_pass(adapter):
    adapter.check_media([upload(), upload(name="clip.mp4", mime="video/mp4")])
    adapter.check_media([])


def test_a_reply_with_a_file_posts_it_with_its_description(mastodon, adapter, alice):
    target = adapter.to_mention(mastodon.mention(alice, "hi")["status"], raw={}).reply_target
    posted = adapter.post_reply(target, "@alice here it is", "intent-m1", files=(upload(),))
    [sent] = [r for r in mastodon.requests if r["path"] == "/api/v2/media"]
    assert "multipart/form-data" in sent["headers"]["Content-Type"]
    [status] = mastodon.posted
    assert posted.external_id == adapter.status_id(status["id"])
    [attached] = status["media_attachments"]
    assert attached["type"] == "image" and attached["description"] == "A torn parcel"
    assert mastodon.media.uploads[attached["id"]]["content"] == PNG


def test_a_file_still_processing_is_waited_for(mastodon, adapter, alice, monkeypatch):
    monkeypatch.setattr(media, "POLL_INTERVAL", 0.01)
    mastodon.media.processing_polls = 2
    target = adapter.to_mention(mastodon.mention(alice, "hi")["status"], raw={}).reply_target
    adapter.post_reply(target, "@alice video", "intent-m2",
                       files=(upload(name="clip.mp4", mime="video/mp4"),))
    polls = [r for r in mastodon.requests if r["path"].startswith("/api/v1/media/")]
    assert len(polls) == 3  # 206, 206, 200
    assert len(mastodon.posted[0]["media_attachments"]) == 1


def test_a_file_that_never_finishes_processing_posts_nothing(mastodon, adapter, alice,
                                                             monkeypatch):
    monkeypatch.setattr(media, "POLL_INTERVAL", 0.01)
    monkeypatch.setattr(media, "PROCESSING_WAIT", 0.05)
    mastodon.media.processing_polls = 1000
    target = adapter.to_mention(mastodon.mention(alice, "hi")["status"], raw={}).reply_target
    with pytest.raises(Unavailable, match="still processing clip.mp4"):
        adapter.post_reply(target, "@alice video", "intent-m3",
                           files=(upload(name="clip.mp4", mime="video/mp4"),))
    assert mastodon.posted == []


def test_a_file_mastodon_refuses_is_the_agents_to_see(mastodon, adapter, alice):
    mastodon.media.supported_mime_types.remove("image/png")  # the instance sniffs otherwise
    target = adapter.to_mention(mastodon.mention(alice, "hi")["status"], raw={}).reply_target
    with pytest.raises(Refused) as refused:
        adapter.post_reply(target, "@alice photo", "intent-m4", files=(upload(),))
    assert refused.value.status == 422 and "content type is invalid" in refused.value.message
    assert mastodon.posted == []


@pytest.mark.parametrize("without", ["the capability", "rules"])
def test_a_platform_without_media_refuses_every_file(adapter, without):
    class Textual(type(adapter)):
        if without == "the capability":
            capabilities = type(adapter).capabilities - {MEDIA}
        else:
            def media_rules(self):
                return None

    plain = Textual(adapter.settings, adapter.credentials, allow_http=True)
    plain.check_media([])
    with pytest.raises(MediaRefused, match="Mastodon replies cannot carry attachments"):
        plain.check_media(1)
