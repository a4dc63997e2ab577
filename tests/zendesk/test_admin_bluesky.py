"""Connecting Bluesky from the admin UI: its own fields, the app password checked first."""
from bs4 import BeautifulSoup
from sqlalchemy import select

from plugin.db import db
from plugin.models import Account
from tests.fakes.bluesky import FakeBluesky


def test_a_bad_app_password_is_refused_with_the_reason_then_the_right_one_connects(
        app, zendesk):
    with FakeBluesky.served() as bluesky:
        page = zendesk.open_admin()
        shown = zendesk.submit_admin_form(page, {"platform": "bluesky", "show_platform": "1"})
        soup = BeautifulSoup(shown.text, "html.parser")
        assert soup.find("h1").get_text() == "Connect your Bluesky account"
        assert soup.find(id="f-app_password")["type"] == "password"

        values = {"handle": bluesky.brand["handle"], "base_url": bluesky.url,
                  "app_password": "wrong-pass-word"}
        refused = zendesk.submit_admin_form(shown, values)
        assert refused.status_code == 422, refused.text
        error = BeautifulSoup(refused.text, "html.parser").find(id="app_password-error")
        assert error.get_text().startswith("Bluesky refused this handle and app password.")
        assert "wrong-pass-word" not in refused.text
        assert db.session.scalars(select(Account)).all() == []

        done = zendesk.submit_admin_form(refused, {"app_password": bluesky.app_password})
        assert done.status_code == 200, done.text
        zendesk.finish_admin(done)
        [account] = db.session.scalars(select(Account)).all()
        assert account.platform == "bluesky" and account.brand_user_id == bluesky.brand["did"]
