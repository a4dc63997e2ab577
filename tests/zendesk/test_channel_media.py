"""Media through the Channel Framework: a post's files reach the ticket as file_urls, and the
files an agent attaches to a reply reach Mastodon, or the agent is told why not."""
from datetime import datetime
from datetime import timezone

import pytest
from flask import Flask
from flask import request

from plugin.db import db
from plugin.models import ReplyLedger
from plugin.models import StoredMention
from plugin.secrets_box import box
from plugin.zendesk.resources import external_resource
from tests.fakes.mastodon_media import media_entity
from tests.fakes.schemas import validate
from tests.fakes.server import LiveServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 256
PHOTO = "https://files.example.social/media/1/original.png"


@pytest.fixture
def ticket(connect, mastodon, zendesk):
    """A ticket from one mention, and the integration instance it came through."""
    account, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane", domain="example.social")
    mastodon.mention(jane, "<p>Look at my parcel</p>")
    zendesk.pull_until_empty(instance)
    found = next(iter(zendesk.tickets.values()))
    found.instance, found.account = instance, account
    return found


def reply(zendesk, ticket, *file_urls, text="Sorry about that!", request_id=None):
    return zendesk.agent_reply(ticket.id, text, instance=ticket.instance, file_urls=file_urls,
                               request_id=request_id)


def uploads(mastodon):
    return [r for r in mastodon.requests if r["path"] == "/api/v2/media"]


def test_a_mentions_images_reach_the_ticket_as_file_urls(connect, mastodon, zendesk):
    _, metadata = connect()
    instance = zendesk.add_instance("acct", metadata)
    jane = mastodon.add_customer("jane", "Jane", domain="example.social")
    second = "https://files.example.social/media/2/original.jpg"
    mastodon.mention(jane, "<p>Broken on arrival</p>", media=[
        media_entity(1, "image", PHOTO, description="A torn parcel"),
        media_entity(2, "image", second),
        media_entity(3, "image", "http://plain.example/3.png"),  # Zendesk fetches https only
        media_entity(4, "image", "https://files.example.social/" + "x" * 500),  # too long
    ])
    response = zendesk.pull(instance)  # validated against Zendesk's schema by the fake
    [resource] = response.json()["external_resources"]
    assert resource["file_urls"] == [PHOTO, second]
    [ticket] = zendesk.tickets.values()
    comment = ticket.comments[0]
    assert comment["file_urls"] == [PHOTO, second]
    assert f"[image] {PHOTO} — A torn parcel" in comment["body"]


def stored(text, attachments):
    return StoredMention(
        platform="mastodon", external_id="mastodon:x:1", thread_id="mastodon:x:1",
        author_id="mastodon:x:user:1", author_handle="@jane", author_name="Jane", text=text,
        url=None, visibility="public", posted_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
        sentiment=0.0, sentiment_label="neutral", attachments=attachments)


def test_a_post_of_media_alone_still_reads_sensibly(app):
    files = [{"kind": "image", "url": f"{PHOTO}?n={n}"} for n in range(12)]
    resource = external_resource(stored("", files), "murmur_sentiment")
    validate(resource, "external_resource.json")
    assert resource["message"] == "(a Mastodon post with 12 attachments and no text)"
    assert resource["file_urls"] == [f"{PHOTO}?n={n}" for n in range(10)]  # Zendesk's limit


def test_a_post_without_media_sends_no_file_urls(app):
    resource = external_resource(stored("hello", []), "murmur_sentiment")
    assert "file_urls" not in resource
    assert external_resource(stored("", []), "murmur_sentiment")["message"] == \
        "(a Mastodon post with no text)"


def test_the_manifest_asks_for_reply_files(zendesk):
    assert zendesk.manifest["channelback_files"] is True


def test_an_attached_image_goes_out_with_the_reply(app, ticket, mastodon, zendesk):
    account = db.session.merge(ticket.account)
    account.push_token_sealed = box().seal("zat-push-1")
    db.session.commit()
    url = zendesk.add_attachment(PNG, "image/png", "torn parcel.png")
    answer = reply(zendesk, ticket, url)
    assert answer.status_code == 200, answer.text
    [status] = mastodon.posted
    [attached] = status["media_attachments"]
    assert attached["type"] == "image"
    assert attached["description"] == "torn parcel"  # Zendesk has no alt text: the file name
    assert mastodon.media.uploads[attached["id"]]["content"] == PNG
    [fetch] = [r for r in zendesk.api_requests if r["path"].startswith("/attachments/")]
    assert fetch["headers"]["Authorization"] == "Bearer zat-push-1"


def test_a_retried_reply_with_a_file_posts_once(ticket, mastodon, zendesk):
    url = zendesk.add_attachment(PNG, "image/png", "parcel.png")
    first = reply(zendesk, ticket, url, request_id="rui-media")
    again = reply(zendesk, ticket, url, request_id="rui-media")
    assert first.status_code == again.status_code == 200
    assert first.json()["external_id"] == again.json()["external_id"]
    assert len(mastodon.posted) == 1 and len(uploads(mastodon)) == 1


def test_a_retry_with_other_files_is_refused(ticket, mastodon, zendesk):
    first = zendesk.add_attachment(PNG, "image/png", "a.png")
    second = zendesk.add_attachment(PNG, "image/png", "b.png")
    assert reply(zendesk, ticket, first, request_id="rui-x").status_code == 200
    answer = reply(zendesk, ticket, second, request_id="rui-x")
    assert answer.status_code == 409 and answer.json()["error"] == "reply_request_changed"
    assert len(mastodon.posted) == 1


def test_a_split_reply_carries_its_files_on_the_first_part(ticket, mastodon, zendesk):
    mastodon.max_characters = 100
    url = zendesk.add_attachment(PNG, "image/png", "parcel.png")
    text = " ".join(["We are looking into it and will write back soon."] * 5)
    assert reply(zendesk, ticket, url, text=text).status_code == 200
    assert len(mastodon.posted) > 1
    assert len(mastodon.posted[0]["media_attachments"]) == 1
    assert all(part["media_attachments"] == [] for part in mastodon.posted[1:])


@pytest.mark.parametrize("files, setup, code, words", [
    ([("notes.pdf", "application/pdf", b"%PDF-1.4")], None, "reply_media_refused",
     "notes.pdf is application/pdf, a type it does not take"),
    ([("p.png", "image/png", PNG)] * 5, None, "reply_media_refused",
     "at most 4 attachments go with one reply; this one has 5"),
    ([("big.png", "image/png", b"x" * 1_500_000)], {"image_size_limit": 1_048_576},
     "reply_media_refused", "big.png is 1.4 MB; the limit is 1.0 MB"),
    ([("huge.png", "image/png", b"x" * 3_000_000)],
     {"image_size_limit": 1_048_576, "video_size_limit": 2_097_152},
     "reply_attachment_too_big", "over 2.0 MB"),
])
def test_files_the_platform_cannot_take_fail_the_reply_with_the_reason(
        app, ticket, mastodon, zendesk, files, setup, code, words):
    for name, value in (setup or {}).items():
        setattr(mastodon.media, name, value)
    urls = [zendesk.add_attachment(content, mime, name) for name, mime, content in files]
    answer = reply(zendesk, ticket, *urls, request_id="rui-refused")
    assert answer.status_code == 422
    assert answer.json()["error"] == code
    assert words in answer.json()["message"]
    assert mastodon.posted == [] and uploads(mastodon) == []
    ledger = db.session.query(ReplyLedger).filter_by(request_key="rui-refused").one()
    assert ledger.status == "failed" and code in ledger.error


def test_too_many_files_are_refused_before_any_is_fetched(ticket, mastodon, zendesk):
    urls = [zendesk.add_attachment(PNG, "image/png", f"{n}.png") for n in range(5)]
    assert reply(zendesk, ticket, *urls).status_code == 422
    assert not [r for r in zendesk.api_requests if r["path"].startswith("/attachments/")]


@pytest.mark.parametrize("url", [
    "https://evil.example/attachments/token/x/?name=a.png",
    "http://127.0.0.1:1/attachments/token/x/?name=a.png",
])
def test_a_file_on_another_host_is_never_fetched(ticket, mastodon, zendesk, url):
    answer = reply(zendesk, ticket, url)
    assert answer.status_code == 422
    assert answer.json()["error"] == "reply_attachment_elsewhere"
    assert mastodon.posted == [] and uploads(mastodon) == []


def test_a_file_zendesk_no_longer_has_fails_the_reply(ticket, mastodon, zendesk):
    url = zendesk.add_attachment(PNG, "image/png", "gone.png")
    zendesk.attachments.clear()
    answer = reply(zendesk, ticket, url)
    assert answer.status_code == 422
    assert answer.json()["error"] == "reply_attachment_failed"
    assert "Zendesk answered 404 for the attachment gone.png" in answer.json()["message"]
    assert mastodon.posted == []


def test_a_redirect_to_another_host_gets_the_file_without_the_push_token(app, ticket, mastodon,
                                                                        zendesk):
    account = db.session.merge(ticket.account)
    account.push_token_sealed = box().seal("zat-push-2")
    db.session.commit()
    seen = []
    files = Flask("file-host")

    @files.get("/parcel.png")
    def parcel():
        seen.append(request.headers.get("Authorization"))
        return PNG, 200, {"Content-Type": "image/png"}

    with LiveServer(files) as host:
        url = zendesk.add_attachment(f"{host.url}/parcel.png", "redirect", "parcel.png")
        assert reply(zendesk, ticket, url).status_code == 200
    assert seen == [None]
    assert len(mastodon.posted[0]["media_attachments"]) == 1
