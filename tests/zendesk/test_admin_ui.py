"""The Channel Framework admin UI, driven through the fake Zendesk like an admin's browser."""
import time
from types import SimpleNamespace

from bs4 import BeautifulSoup
from cryptography import fernet
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from plugin.db import db
from plugin.models import Account
from plugin.secrets_box import SecretsBox
from plugin.secrets_box import box
from tests.fakes.zendesk import Instance

SCRIPT = "<script>alert(1)</script>"


def _form(page):
    """The form's fields as the browser would submit them, and the page's soup."""
    soup = BeautifulSoup(page.text, "html.parser")
    fields = {node["name"]: node for node in soup.find("form").find_all(["input", "select"])}
    return fields, soup


def _json_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code and body["message"]


def _page(response, status, title):
    """An HTML page (never JSON) with `title` as its heading; returns its soup."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/html"), response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("h1").get_text() == title
    return soup


def _accounts():
    db.session.rollback()  # see what the served app committed, not our cached view
    return db.session.scalars(select(Account)).all()


def _connect(zendesk, mastodon, **values):
    page = zendesk.open_admin()
    done = zendesk.submit_admin_form(page, {"base_url": mastodon.url,
                                            "access_token": mastodon.token, **values})
    assert done.status_code == 200, done.text
    return page, done, zendesk.finish_admin(done)


def test_connect_round_trip(app, mastodon, zendesk):
    push = zendesk.issue_push_token()
    page = zendesk.open_admin(**push)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    [checked] = zendesk.api_requests  # Zendesk vouched for its token before the form showed
    assert checked["json"] == {"instance_push_id": push["instance_push_id"]}
    assert checked["auth"].token == push["zendesk_access_token"]
    fields, soup = _form(page)
    assert {"form_token", "platform", "name", "base_url", "access_token", "hashtags"} <= set(fields)
    assert fields["access_token"]["type"] == "password"
    assert soup.find("form")["method"] == "post"
    for secret in push.values():  # kept server-side, sealed into form_token
        assert secret not in page.text

    done = zendesk.submit_admin_form(page, {"base_url": mastodon.url,
                                            "access_token": mastodon.token,
                                            "hashtags": "#Acme, support"})
    assert done.status_code == 200, done.text
    assert mastodon.token not in done.text
    soup = BeautifulSoup(done.text, "html.parser")
    finish = soup.find("form", id="finish")
    assert finish["action"] == zendesk.return_url and finish["method"] == "post"
    assert any("admin.js" in (s.get("src") or "") for s in soup.find_all("script"))
    script = zendesk.http.get(f"{zendesk.service_url}/static/admin.js")
    assert 'getElementById("finish").submit()' in script.text

    instance = zendesk.finish_admin(done)
    assert zendesk.returned[-1] == {"name": instance.name, "metadata": instance.metadata}
    assert instance.name == "Mastodon @mastodonpy_test"
    assert mastodon.token not in instance.metadata and len(instance.metadata) <= 5000

    [account] = _accounts()
    assert account.subdomain == "acme" and account.settings["hashtags"] == "acme support"
    assert account.instance_push_id == push["instance_push_id"]
    assert box().open(account.push_token_sealed) == push["zendesk_access_token"]
    assert box().open(account.credentials_sealed) == {"access_token": mastodon.token}
    row = str(db.session.execute(text("SELECT * FROM accounts")).all())
    assert mastodon.token not in row and push["zendesk_access_token"] not in row

    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>hello</p>")
    assert zendesk.pull_until_empty(instance) == 1


def test_wrong_token_shows_the_form_again(app, mastodon, zendesk):
    page = zendesk.open_admin()
    again = zendesk.submit_admin_form(page, {"base_url": mastodon.url,
                                             "access_token": "wrong-token-123",
                                             "hashtags": "acme"})
    assert again.status_code == 422
    assert again.headers["Content-Type"].startswith("text/html")
    fields, soup = _form(again)
    assert "Not saved." in soup.find(role="alert").get_text()
    assert fields["access_token"]["aria-invalid"] == "true"
    assert soup.find(id="access_token-error").get_text() == (
        "Mastodon refused this access token. Create a new one under Preferences → Development "
        "and paste it here.")
    # No internals in what the admin reads (the form token, random, is an attribute).
    assert "401" not in soup.get_text() and "wrong-token-123" not in again.text
    assert fields["base_url"]["value"] == mastodon.url and fields["hashtags"]["value"] == "acme"
    assert _accounts() == [] and zendesk.returned == []

    # The admin fixes the token on the same form and carries on.
    done = zendesk.submit_admin_form(again, {"access_token": mastodon.token})
    assert done.status_code == 200, done.text
    assert zendesk.pull(zendesk.finish_admin(done)).status_code == 200
    assert len(_accounts()) == 1


def test_edit_keeps_token_and_issues_new_metadata(app, mastodon, zendesk):
    _, _, instance = _connect(zendesk, mastodon, hashtags="acme")
    old = Instance(name=instance.name, metadata=instance.metadata)

    page = zendesk.open_admin(instance)
    assert page.status_code == 200, page.text
    fields, soup = _form(page)
    assert soup.find("h1").get_text().startswith("Edit")
    assert fields["base_url"]["value"] == mastodon.url and fields["hashtags"]["value"] == "acme"
    assert fields["name"]["value"] == instance.name
    assert not fields["access_token"].get("value") and mastodon.token not in page.text

    done = zendesk.submit_admin_form(page, {"hashtags": "support help"})  # token left blank
    assert done.status_code == 200, done.text
    assert zendesk.finish_admin(done) is instance and len(zendesk.instances) == 1
    assert instance.metadata != old.metadata
    [account] = _accounts()
    assert account.settings["hashtags"] == "support help"
    assert box().open(account.credentials_sealed) == {"access_token": mastodon.token}

    _json_error(zendesk.pull(old), 401, "invalid_metadata")
    assert zendesk.pull(instance).status_code == 200


def test_failed_edit_changes_nothing(app, mastodon, zendesk):
    _, _, instance = _connect(zendesk, mastodon, hashtags="acme")
    page = zendesk.open_admin(instance)
    again = zendesk.submit_admin_form(page, {"access_token": "wrong", "hashtags": "other"})
    assert again.status_code == 422
    [account] = _accounts()
    assert account.settings["hashtags"] == "acme"
    assert zendesk.pull(instance).status_code == 200


def test_a_forged_form_is_a_page_that_says_to_reopen_it(app, mastodon, zendesk):
    page = zendesk.open_admin()
    token = _form(page)[0]["form_token"]["value"]
    values = {"base_url": mastodon.url, "access_token": mastodon.token}
    forged = SecretsBox("another-deployment").seal(
        {"return_url": zendesk.return_url, "subdomain": "acme", "account": None})
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (forged, tampered, "", "not-a-token"):
        soup = _page(zendesk.submit_admin_form(page, {**values, "form_token": bad}), 400,
                     "This form has expired")
        assert "Close this window and open the account again" in soup.get_text()
        assert soup.find("form") is None  # nothing of a forged token is trusted
    assert _accounts() == [] and zendesk.returned == []


def _two_hours_later(monkeypatch):
    later = time.time() + 2 * 3600
    monkeypatch.setattr(fernet, "time", SimpleNamespace(time=lambda: later))


def test_an_expired_form_offers_to_start_again(app, mastodon, zendesk, monkeypatch):
    push = zendesk.issue_push_token()
    page = zendesk.open_admin(**push)
    _two_hours_later(monkeypatch)
    expired = zendesk.submit_admin_form(page, {"base_url": mastodon.url,
                                               "access_token": mastodon.token})
    soup = _page(expired, 400, "This form has expired")
    assert "Nothing was saved." in soup.find(role="alert").get_text()
    restart = {node["name"]: node["value"] for node in soup.find("form").find_all("input")}
    assert set(restart) == {"restart", "locale"} and restart["locale"] == "en-US"
    assert push["zendesk_access_token"] not in expired.text
    assert _accounts() == [] and zendesk.returned == []

    fresh = zendesk.submit_admin_form(expired, {})  # "Start again", vouched for anew
    assert zendesk.api_requests[-1]["auth"].token == push["zendesk_access_token"]
    fields, soup = _form(fresh)
    assert fresh.status_code == 200 and soup.find("h1").get_text() == "Connect your Mastodon account"
    done = zendesk.submit_admin_form(fresh, {"base_url": mastodon.url,
                                             "access_token": mastodon.token})
    assert zendesk.pull(zendesk.finish_admin(done)).status_code == 200


def test_starting_again_needs_zendesk_to_still_vouch(app, mastodon, zendesk, monkeypatch):
    expired_page = zendesk.open_admin()
    _two_hours_later(monkeypatch)
    expired = zendesk.submit_admin_form(expired_page, {})
    zendesk.push_tokens.clear()  # Zendesk revoked the token meanwhile
    _page(zendesk.submit_admin_form(expired, {}), 403, "Zendesk did not vouch for this request")


def test_an_expired_edit_says_to_reopen_the_account(app, mastodon, zendesk, monkeypatch):
    _, _, instance = _connect(zendesk, mastodon)
    page = zendesk.open_admin(instance)
    _two_hours_later(monkeypatch)
    soup = _page(zendesk.submit_admin_form(page, {}), 400, "This form has expired")
    assert soup.find("form") is None and "open the account again" in soup.get_text()


def test_user_content_is_escaped(app, mastodon, zendesk):
    name = f"Brand {SCRIPT}"
    page = zendesk.open_admin(name=name)
    fields, _ = _form(page)
    assert SCRIPT not in page.text and fields["name"]["value"] == name

    refused = zendesk.submit_admin_form(page, {"base_url": mastodon.url,
                                               "access_token": mastodon.token,
                                               "hashtags": f"acme {SCRIPT}"})
    assert refused.status_code == 422
    assert SCRIPT not in refused.text and "&lt;script&gt;" in refused.text
    assert _form(refused)[0]["hashtags"]["value"] == f"acme {SCRIPT}"

    bad_url = zendesk.submit_admin_form(page, {"base_url": f"javascript:{SCRIPT}",
                                               "access_token": mastodon.token})
    assert bad_url.status_code == 422 and SCRIPT not in bad_url.text

    done = zendesk.submit_admin_form(page, {"base_url": mastodon.url,
                                            "access_token": mastodon.token})
    assert done.status_code == 200 and SCRIPT not in done.text
    instance = zendesk.finish_admin(done)
    assert instance.name == name  # Zendesk gets the name as typed
    edit = zendesk.open_admin(instance)
    assert SCRIPT not in edit.text and _form(edit)[0]["name"]["value"] == name
    assert db.session.scalar(select(func.count()).select_from(Account)) == 1


def test_a_form_submitted_twice_saves_once(app, mastodon, zendesk):
    page = zendesk.open_admin()
    values = {"base_url": mastodon.url, "access_token": mastodon.token}
    first = zendesk.submit_admin_form(page, values)
    assert first.status_code == 200, first.text
    checks = len(mastodon.requests)
    again = zendesk.submit_admin_form(page, values)  # a double click, or a replay
    soup = _page(again, 409, "This form was already used")
    assert soup.find("form") is None and mastodon.token not in again.text
    assert len(mastodon.requests) == checks  # not even checked with the platform again
    assert len(_accounts()) == 1
    assert zendesk.pull(zendesk.finish_admin(first)).status_code == 200


def test_a_form_submitted_twice_at_once_saves_one_account(app, mastodon, zendesk):
    import threading

    page = zendesk.open_admin()
    values = {"base_url": mastodon.url, "access_token": mastodon.token}
    mastodon.set_latency(0.3)  # the first submission is still checking the token
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        zendesk.submit_admin_form(page, values))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert len(_accounts()) == 1
