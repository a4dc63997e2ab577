"""The admin UI's failures as pages: a bad field is marked on the form, in plain words."""
import pytest
from bs4 import BeautifulSoup
from flask import Flask

from tests.fakes.server import LiveServer

TOKEN_ADVICE = ("Mastodon refused this access token. Create a new one under Preferences → "
                "Development and paste it here.")
# (case, form values given a fake Mastodon's URL and token, field marked, words shown there)
FIELD_PROBLEMS = [
    ("wrong token", lambda m: {"access_token": "wrong"}, "access_token", TOKEN_ADVICE),
    ("not a web address", lambda m: {"base_url": "javascript:alert(1)"}, "base_url",
     "The API base URL must be an http or https URL, got 'javascript:alert(1)'."),
    ("nothing listens there", lambda m: {"base_url": "http://127.0.0.1:9"}, "base_url",
     "Murmur could not reach a Mastodon server at this address. Check the instance URL, or "
     "try again in a few minutes."),
    ("another kind of server", lambda m: {"base_url": m.url + "/elsewhere"}, "base_url",
     "This address did not answer like a Mastodon server. Check the instance URL, e.g. "
     "https://mastodon.social."),
    ("bad hashtag", lambda m: {"hashtags": "acme sup-port"}, "hashtags",
     "Hashtags may hold only letters, digits and underscores."),
    ("bad backfill", lambda m: {"backfill_days": "a week"}, "backfill_days",
     "Backfill on connect (days) must be a whole number from 0 to 90."),
]


def _values(mastodon, change):
    return {"base_url": mastodon.url, "access_token": mastodon.token, **change(mastodon)}


@pytest.mark.parametrize(("change", "field", "words"), [c[1:] for c in FIELD_PROBLEMS],
                         ids=[c[0] for c in FIELD_PROBLEMS])
def test_a_bad_field_is_marked_with_plain_words(app, mastodon, zendesk, change, field, words):
    page = zendesk.submit_admin_form(zendesk.open_admin(), _values(mastodon, change))
    assert page.status_code == 422 and page.headers["Content-Type"].startswith("text/html")
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.find(role="alert").get_text(" ", strip=True) == \
        "Not saved. Check the field marked below."
    [marked] = soup.find_all(attrs={"aria-invalid": "true"})
    assert marked["name"] == field and marked["aria-describedby"] == f"{field}-error"
    assert soup.find(id=f"{field}-error").get_text() == words
    for internal in ("Error", "(4", "(5", "{"):
        assert internal not in soup.find(id=f"{field}-error").get_text()


def test_a_problem_with_no_field_is_said_above_the_form(app, mastodon, zendesk):
    mastodon.fail_next(1, status=429, retry_after=60)
    page = zendesk.submit_admin_form(zendesk.open_admin(), _values(mastodon, lambda m: {}))
    assert page.status_code == 422
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.find(role="alert").get_text(" ", strip=True) == (
        "Not saved. Mastodon asked Murmur to slow down. Wait a few minutes, then save again.")
    assert not soup.find_all(attrs={"aria-invalid": "true"})


@pytest.fixture
def web_page_server():
    """A server that answers every path with an HTML page, as an ordinary website does."""
    site = Flask("website")
    site.add_url_rule("/<path:anything>", view_func=lambda anything: "<html>Welcome</html>")
    with LiveServer(site) as server:
        yield server


def test_our_own_failure_is_a_page_too(app, mastodon, zendesk, web_page_server):
    page = zendesk.submit_admin_form(zendesk.open_admin(),
                                     _values(mastodon, lambda m: {"base_url": web_page_server.url}))
    assert page.headers["Content-Type"].startswith("text/html"), page.text
    assert page.status_code in (422, 500)
    assert "nothing was saved" in page.text.lower() or "Not saved." in page.text


@pytest.mark.parametrize(("metadata", "status", "title"), [
    ('{"account": "gone", "secret": "x"}', 404, "This account is no longer connected"),
    ("not json", 400, "Murmur does not recognise this account"),
])
def test_an_account_zendesk_names_wrongly_is_a_page(app, zendesk, metadata, status, title):
    page = zendesk.open_admin(name="Old", metadata=metadata)
    assert page.status_code == status and page.headers["Content-Type"].startswith("text/html")
    assert BeautifulSoup(page.text, "html.parser").find("h1").get_text() == title


def test_machine_endpoints_keep_json_errors(app, zendesk):
    answer = zendesk.http.post(f"{zendesk.service_url}/channel/pull", data={"metadata": "x"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_metadata"
