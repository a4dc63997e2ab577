"""Reply attachments fetched from Zendesk: names, types, and what is never fetched."""
import pytest

from plugin.replies.attachments import AttachmentFailed
from plugin.replies.attachments import fetch_all
from plugin.replies.attachments import filename

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.mark.parametrize("url, name", [
    ("https://acme.zendesk.com/attachments/token/t/?name=torn%20parcel.png", "torn parcel.png"),
    ("https://acme.zendesk.com/files/receipt.pdf", "receipt.pdf"),
    ("https://acme.zendesk.com/attachments/token/t/?name=..%2F..%2Fetc%2Fpasswd", "passwd"),
    ("https://acme.zendesk.com/attachments/token/t/?name=C:%5Cx%5Cphoto.jpg", "photo.jpg"),
    ("https://acme.zendesk.com/", "attachment"),
])
def test_the_file_name_comes_from_zendesk(url, name):
    assert filename(url) == name


def test_a_file_sent_as_bytes_is_typed_by_its_name(app, connect, zendesk):
    account, _ = connect()
    url = zendesk.add_attachment(PNG, "application/octet-stream", "parcel.png")
    [upload] = fetch_all(account, [url], max_bytes=1000)
    assert (upload.filename, upload.mime_type, upload.content) == ("parcel.png", "image/png", PNG)
    assert upload.description == "parcel"


@pytest.mark.parametrize("url", [
    "https://acme.zendesk.com/attachments/token/t/",  # Zendesk's name, not where it is reached
    "file:///etc/passwd",
    "https://127.0.0.1.evil.example/x",
])
def test_nothing_off_the_accounts_zendesk_is_fetched(app, connect, zendesk, url):
    account, _ = connect()
    good = zendesk.add_attachment(PNG, "image/png", "a.png")
    with pytest.raises(AttachmentFailed) as failed:
        fetch_all(account, [good, url], max_bytes=1000)
    assert failed.value.code == "reply_attachment_elsewhere"
    assert not [r for r in zendesk.api_requests if r["path"].startswith("/attachments/")]
