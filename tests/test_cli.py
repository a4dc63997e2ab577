"""The operator CLI: `flask --app plugin accounts …`, `… installations …` and `… platforms`."""
import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from plugin.intake import polling as intake
from plugin.db import db
from plugin.models import Account
from plugin.models import Installation
from plugin.models import StoredMention
from plugin.secrets_box import box
from tests.fakes import second_platform


@pytest.fixture
def runner(app):
    """Flask's CLI runner for the test app (pytest-flask has no runner fixture)."""
    return app.test_cli_runner()


def add(runner, mastodon, *extra, token=None, subdomain="acme", platform="mastodon"):
    args = ["accounts", "add", platform, "--subdomain", subdomain,
            "--set", f"base_url={mastodon.url}",
            "--set", f"access_token={token or mastodon.token}", *extra]
    return runner.invoke(args=args)


def last_line(result):
    return result.stdout.strip().splitlines()[-1]


def account_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Account))


def test_accounts_add_prints_metadata_last_and_pull_accepts_it(runner, client, mastodon):
    jane = mastodon.add_customer("jane", "Jane Doe")
    mastodon.mention(jane, "<p>Where is my order?</p>")

    result = add(runner, mastodon, "--name", "Brand on Mastodon")

    assert result.exit_code == 0, result.output
    metadata = last_line(result)
    assert set(json.loads(metadata)) == {"account", "secret"}
    assert mastodon.token not in result.output  # credentials are never printed
    account = db.session.scalar(select(Account))
    assert account.name == "Brand on Mastodon" and account.subdomain == "acme"

    pulled = client.post("/channel/pull", data={"metadata": metadata, "state": ""})
    assert pulled.status_code == 200
    messages = [r["message"] for r in pulled.json["external_resources"]]
    assert messages == ["@mastodonpy_test Where is my order?"]


def test_accounts_add_with_a_bad_token_fails_clearly(runner, mastodon):
    result = add(runner, mastodon, token="wrong-token")
    assert result.exit_code != 0
    assert "refused our credentials" in result.output
    assert "Traceback" not in result.output
    assert account_count() == 0


def test_accounts_add_unknown_platform(runner, mastodon):
    result = add(runner, mastodon, platform="myspace")
    assert result.exit_code != 0
    assert "Unknown platform 'myspace'" in result.output
    assert "mastodon" in result.output  # it says which platforms exist
    assert account_count() == 0


@pytest.mark.parametrize("bad", ["no-equals-sign", "=value"])
def test_accounts_add_bad_set_syntax(runner, mastodon, bad):
    result = add(runner, mastodon, "--set", bad)
    assert result.exit_code == 2  # click's usage error
    assert "expected KEY=VALUE" in result.output
    assert account_count() == 0


def test_accounts_add_unknown_setting_is_refused(runner, mastodon):
    result = add(runner, mastodon, "--set", "colour=blue")
    assert result.exit_code != 0
    assert "Unknown setting(s): colour" in result.output
    assert account_count() == 0


@pytest.mark.parametrize("subdomain", ["Not A Subdomain", "-acme", "acme.example.com", "x" * 64])
def test_accounts_add_invalid_subdomain(runner, mastodon, subdomain):
    result = add(runner, mastodon, subdomain=subdomain)
    assert result.exit_code != 0
    assert "is not a Zendesk subdomain" in result.output
    assert account_count() == 0


def test_accounts_add_accepts_the_full_zendesk_host(runner, mastodon):
    result = add(runner, mastodon, subdomain="ACME.zendesk.com")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Account.subdomain)) == "acme"


def test_accounts_list_shows_health(app, runner, mastodon):
    app.extensions["huey"].immediate = False  # the backfill poll waits for a worker
    assert runner.invoke(args=["accounts", "list"]).stdout.strip() == "No accounts."
    assert add(runner, mastodon).exit_code == 0
    account_id = db.session.scalar(select(Account.id))

    fresh = runner.invoke(args=["accounts", "list"])
    assert fresh.exit_code == 0
    line = fresh.stdout.strip()
    assert line.startswith(f"{account_id}\tmastodon\tacme\t")
    assert "\twaiting\t" in line and "last success: never" in line

    intake.poll_account(account_id)
    ok = runner.invoke(args=["accounts", "list"]).stdout.strip()
    success = db.session.get(Account, account_id).last_success_at
    assert "\tok\t" in ok and f"last success: {success.isoformat()}" in ok
    assert "last error: -" in ok

    mastodon.revoke_token()
    intake.poll_account(account_id)
    failing = runner.invoke(args=["accounts", "list"]).stdout.strip()
    assert "\treconnect\t" in failing
    assert "last error: platform_auth_failed: The platform refused our credentials (401)" \
        in failing
    assert f"last success: {success.isoformat()}" in failing  # the last good poll stays


def test_installations_add_prints_a_new_secret_last(runner):
    result = runner.invoke(args=["installations", "add", "acme"])
    assert result.exit_code == 0, result.output
    secret = last_line(result)
    assert len(secret) >= 32 and " " not in secret
    installation = db.session.scalar(select(Installation))
    assert installation.subdomain == "acme"
    assert installation.secret_sealed != secret  # sealed at rest
    assert box().open(installation.secret_sealed) == secret


def test_installations_add_uses_the_given_secret_and_updates(runner):
    first = runner.invoke(args=["installations", "add", "acme", "--secret", "s" * 32])
    assert first.exit_code == 0 and last_line(first) == "s" * 32
    again = runner.invoke(args=["installations", "add", "Acme.zendesk.com", "--secret", "t" * 40])
    assert again.exit_code == 0 and last_line(again) == "t" * 40
    db.session.rollback()
    rows = db.session.scalars(select(Installation)).all()
    assert [r.subdomain for r in rows] == ["acme"]
    assert box().open(rows[0].secret_sealed) == "t" * 40


def test_installations_add_refuses_a_short_secret(runner):
    result = runner.invoke(args=["installations", "add", "acme", "--secret", "s" * 31])
    assert result.exit_code != 0
    assert "The shared secret must be at least" in result.output
    assert db.session.scalar(select(func.count()).select_from(Installation)) == 0


def test_installations_add_refuses_a_bad_subdomain(runner):
    result = runner.invoke(args=["installations", "add", "not/valid"])
    assert result.exit_code != 0
    assert "is not a Zendesk subdomain" in result.output


def test_connecting_one_brand_account_again_edits_it(runner, client, mastodon):
    jane = mastodon.add_customer("jane", "Jane Doe")
    mastodon.mention(jane, "<p>one</p>")
    metadatas = [last_line(add(runner, mastodon, "--name", f"take {n}")) for n in range(3)]
    assert account_count() == 1
    assert db.session.scalar(select(Account.name)) == "take 2"
    mastodon.mention(jane, "<p>two</p>")
    pulled = client.post("/channel/pull", data={"metadata": metadatas[-1], "state": ""})
    assert [r["message"] for r in pulled.json["external_resources"]] == [
        "@mastodonpy_test one", "@mastodonpy_test two"]
    # The newest connection is the one Zendesk pulls with; older metadata no longer works.
    assert client.post("/channel/pull", data={"metadata": metadatas[0]}).status_code == 401


def test_secrets_come_from_standard_input_or_the_environment(runner, mastodon, monkeypatch):
    args = ["accounts", "add", "mastodon", "--subdomain", "acme",
            "--set", f"base_url={mastodon.url}"]
    from_stdin = runner.invoke(args=[*args, "--set", "access_token=-"],
                               input=mastodon.token + "\n")
    assert from_stdin.exit_code == 0, from_stdin.output
    assert mastodon.token not in from_stdin.output
    monkeypatch.setenv("BRAND_TOKEN", mastodon.token)
    from_env = runner.invoke(args=[*args, "--set-env", "access_token=BRAND_TOKEN"])
    assert from_env.exit_code == 0, from_env.output
    missing = runner.invoke(args=[*args, "--set-env", "access_token=NO_SUCH_VARIABLE"])
    assert missing.exit_code == 2 and "NO_SUCH_VARIABLE" in missing.output
    empty = runner.invoke(args=[*args, "--set", "access_token=-"], input="")
    assert empty.exit_code == 2 and "standard input is empty" in empty.output
    assert account_count() == 1


def test_accounts_remove_deletes_the_account_and_what_it_took_in(runner, client, mastodon):
    mastodon.mention(mastodon.add_customer("jane", "Jane"), "<p>hello</p>")
    metadata = last_line(add(runner, mastodon))
    assert client.post("/channel/pull", data={"metadata": metadata}).status_code == 200
    account_id = db.session.scalar(select(Account.id))
    assert runner.invoke(args=["accounts", "remove", str(account_id)], input="n\n").exit_code == 1
    assert account_count() == 1
    result = runner.invoke(args=["accounts", "remove", str(account_id), "--yes"])
    assert result.exit_code == 0, result.output
    assert account_count() == 0
    assert db.session.scalar(select(func.count()).select_from(StoredMention)) == 0
    assert runner.invoke(args=["accounts", "remove", "999", "--yes"]).exit_code == 1


def test_installations_list_shows_subdomains_without_secrets(runner, mastodon):
    secret = last_line(runner.invoke(args=["installations", "add", "acme"]))
    add(runner, mastodon)
    runner.invoke(args=["installations", "add", "globex", "--secret", "-"], input="g" * 40 + "\n")
    result = runner.invoke(args=["installations", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["acme", "globex"]
    assert "1 account(s)" in lines[0] and "0 account(s)" in lines[1]
    assert secret not in result.output and "g" * 40 not in result.output
    db.session.rollback()
    globex = db.session.scalar(select(Installation).where(Installation.subdomain == "globex"))
    assert box().open(globex.secret_sealed) == "g" * 40


@pytest.mark.parametrize("base_url", ["https://10.1.2.3", "https://169.254.169.254",
                                      "https://localhost:8443"])
def test_connecting_to_an_internal_address_is_refused(app, runner, base_url):
    app.config["PLATFORM_ALLOW_LOOPBACK"] = False
    result = runner.invoke(args=["accounts", "add", "mastodon", "--subdomain", "acme",
                                 "--set", f"base_url={base_url}", "--set", "access_token=t"])
    assert result.exit_code == 1 and "private or internal address" in result.output
    assert account_count() == 0


def test_platforms_lists_how_each_connects_and_what_is_not_configured(runner, monkeypatch):
    second_platform.register(monkeypatch)
    lines = runner.invoke(args=["platforms"]).stdout.splitlines()
    assert lines == ["mastodon\tMastodon\tconnect: oauth2, pasted\tready",
                     "bluesky\tBluesky\tconnect: pasted\tready",
                     "x\tX\tconnect: oauth2, pasted\tnot configured: set X_CONSUMER_KEY, "
                     "X_CONSUMER_SECRET, X_CLIENT_ID, X_CLIENT_SECRET",
                     "second\tSecond Network\tconnect: pasted\tnot configured: set "
                     "SECOND_CLIENT_ID, SECOND_CLIENT_SECRET"]
    runner.app.config["PLATFORM_SECRETS"] = dict.fromkeys(second_platform.APP_SETTINGS, "x")
    assert runner.invoke(args=["platforms"]).stdout.splitlines()[-1].endswith("\tready")


def test_accounts_add_refuses_a_platform_that_is_not_configured(runner, mastodon, monkeypatch):
    second_platform.register(monkeypatch)
    result = add(runner, mastodon, platform="second")
    assert result.exit_code != 0
    assert ("Second Network is not configured on this Murmur service: its operator must set "
            "SECOND_CLIENT_ID, SECOND_CLIENT_SECRET.") in result.output
    assert account_count() == 0
    runner.app.config["PLATFORM_SECRETS"] = dict.fromkeys(second_platform.APP_SETTINGS, "x")
    assert add(runner, mastodon, platform="second").exit_code == 0
