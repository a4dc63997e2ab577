"""/healthz (liveness with per-account health) and /metrics (Prometheus text)."""
import json

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from plugin import health
from plugin.intake import polling as intake
from plugin.db import db
from tests.conftest import OPERATOR
from tests.fakes.mastodon import FakeMastodon


def samples(text):
    """{(name, frozenset(labels)): value} from Prometheus text."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_healthz_reports_each_account_without_secrets(client, connect, mastodon, app):
    waiting, waiting_md = connect("acme")
    ok, ok_md = connect("globex")
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>hello</p>")
    intake.poll_account(ok.id)
    with FakeMastodon.served(token="other-token") as other:
        failing, failing_md = connect("initech", base_url=other.url,
                                      access_token=other.token)
        other.revoke_token()
        intake.poll_account(failing.id)
    ids = {"waiting": waiting.id, "ok": ok.id, "failing": failing.id}
    db.session.commit()

    answer = client.get("/healthz", headers=OPERATOR)

    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    body = answer.json
    assert body["status"] == "ok" and body["database"] == "ok"
    states = {a["id"]: a for a in body["accounts"]}
    assert {state: states[i]["state"] for state, i in ids.items()} == {
        "waiting": "waiting", "ok": "ok", "failing": "reconnect"}  # a 401: no refresh helps
    assert states[failing.id]["credentials_error"].startswith("platform_auth_failed")
    assert states[ok.id]["last_success_at"] and states[waiting.id]["last_success_at"] is None
    assert states[failing.id]["last_error"].startswith("platform_auth_failed")
    assert states[failing.id]["consecutive_failures"] == 1
    assert all(a["platform"] == "mastodon" for a in body["accounts"])
    text = answer.get_data(as_text=True)
    secrets = [mastodon.token, "other-token", app.config["SECRET_KEY"], "acme", "globex",
               "initech"] + [json.loads(md)["secret"] for md in (waiting_md, ok_md, failing_md)]
    for secret in secrets:
        assert secret not in text
    for key in ("subdomain", "credentials", "settings", "metadata", "access_token", "uid"):
        assert all(key not in a for a in body["accounts"])


def test_healthz_with_no_accounts(client):
    answer = client.get("/healthz", headers=OPERATOR)
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "database": "ok", "accounts": [],
                           "webhook_deliveries": {"pending": 0, "unroutable": 0, "failed": 0}}


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    monkeypatch.setattr(health, "text", lambda _: text("SELECT * FROM no_such_table"))
    answer = client.get("/healthz", headers=OPERATOR)
    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"


def test_metrics_counts_mentions_replies_and_accounts(client, connect, mastodon):
    account, metadata = connect(hashtags="acme")
    jane = mastodon.add_customer("jane", "Jane")
    mastodon.mention(jane, "<p>my order is late</p>")
    mastodon.mention(jane, "<p>still late</p>")
    mastodon.post_status(mastodon.brand, "Big sale today", tags=["acme"])
    intake.poll_account(account.id)
    pulled = client.post("/channel/pull", data={"metadata": metadata})
    parent = pulled.json["external_resources"][0]["external_id"]
    reply = client.post("/channel/channelback", data={
        "metadata": metadata, "message": "Sorry, checking now.", "parent_id": parent,
        "request_unique_identifier": "r-1"})
    assert reply.status_code == 200
    connect("globex")  # a second account, never polled

    answer = client.get("/metrics", headers=OPERATOR)

    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    for name in ("murmur_mentions", "murmur_replies", "murmur_accounts"):
        assert f"# TYPE {name} gauge" in text
    values = samples(text)
    mention = frozenset({"platform": "mastodon", "fate": "delivered"}.items())
    own = frozenset({"platform": "mastodon", "fate": "own_post"}.items())
    assert values[("murmur_mentions", mention)] == 2
    assert values[("murmur_mentions", own)] == 1
    assert values[("murmur_replies", frozenset({"status": "posted"}.items()))] == 1
    accounts = {dict(labels)["state"]: v for (name, labels), v in values.items()
                if name == "murmur_accounts"}
    assert accounts == {"ok": 1, "waiting": 1}
    assert "acme" not in text and mastodon.token not in text


def test_metrics_on_an_empty_database(client):
    answer = client.get("/metrics", headers=OPERATOR)
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "# HELP murmur_mentions" in text and "# HELP murmur_accounts" in text
    assert all(not name.startswith("murmur_") for name, _ in samples(text))


def test_strangers_see_liveness_only(client, connect, mastodon):
    connect("acme")
    public = client.get("/healthz")
    assert public.status_code == 200 and public.json == {"status": "ok", "database": "ok"}
    wrong = client.get("/healthz", headers={"Authorization": "Bearer not-the-token"})
    assert "accounts" not in wrong.json
    for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "Basic x"}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401 and answer.json["error"] == "operator_token_required"


def test_without_a_configured_operator_token_nobody_sees_tenants(app, client, connect):
    connect("acme")
    app.config["OPERATOR_TOKEN"] = None
    assert "accounts" not in client.get("/healthz", headers={"Authorization": "Bearer "}).json
    assert client.get("/metrics", headers={"Authorization": "Bearer None"}).status_code == 401
