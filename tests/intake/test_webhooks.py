"""Webhook intake end to end through `/webhooks/<platform>`, with the test-only Hooked platform:
the challenge, signatures, deliveries kept raw once, routing, redelivery after a dead worker."""
import base64
import hashlib
import hmac
import json
from datetime import timedelta

import requests
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from plugin import accounts
from plugin.db import db
from plugin.intake import deliveries
from plugin.models import Account
from plugin.models import StoredMention
from plugin.models import WebhookDelivery
from plugin.models import utcnow
from plugin.platforms import REGISTRY
from tests.conftest import OPERATOR
from tests.fakes.hooked import APP_SECRET
from tests.fakes.hooked import APP_SECRET_NAME
from tests.fakes.hooked import PushOnlyAdapter
from tests.fakes.hooked import sign
from tests.intake.test_pipeline import pull_all


def deliver(service, body, headers):
    return requests.post(f"{service.url}/webhooks/hooked", data=body, headers=headers,
                         timeout=10)


def rows():
    db.session.rollback()
    return db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def stored(account_id):
    db.session.rollback()
    return db.session.scalars(select(StoredMention).where(StoredMention.account_id == account_id)
                              .order_by(StoredMention.seq)).all()


def test_the_challenge_is_answered_with_the_keyed_token(service, hooked):
    answer = requests.get(f"{service.url}/webhooks/hooked", params={"crc_token": "abc"},
                          timeout=10)

    expected = hmac.new(APP_SECRET.encode(), b"abc", hashlib.sha256).digest()
    assert answer.status_code == 200
    assert answer.json() == {"response_token": "sha256=" + base64.b64encode(expected).decode()}
    bare = requests.get(f"{service.url}/webhooks/hooked", timeout=10)
    assert bare.status_code == 400 and bare.json()["error"] == "bad_challenge"


def test_a_platform_without_its_secrets_is_not_configured(service, hooked, app):
    app.config["PLATFORM_SECRETS"] = {}
    body, headers = hooked.delivery(hooked.post("jane", "hello"))

    for answer in (requests.get(f"{service.url}/webhooks/hooked", params={"crc_token": "a"},
                                timeout=10), deliver(service, body, headers)):
        assert answer.status_code == 404
        assert answer.json()["error"] == "not_configured"
        assert APP_SECRET_NAME in answer.json()["message"]
    assert rows() == []


def test_a_polled_platform_takes_no_webhooks(service, hooked):
    answer = requests.post(f"{service.url}/webhooks/mastodon", data=b"{}", timeout=10)
    assert answer.status_code == 404 and answer.json()["error"] == "no_webhooks"


def test_forged_and_unsigned_deliveries_are_refused_and_not_kept(service, connected, hooked):
    body, headers = hooked.delivery(hooked.post("jane", "hello"))
    unsigned = {k: v for k, v in headers.items() if k != "X-Hooked-Signature"}
    wrong_key = {**headers, "X-Hooked-Signature": sign(body, "not-our-secret")}

    assert deliver(service, body, unsigned).status_code == 401
    assert deliver(service, body, wrong_key).status_code == 403
    tampered = deliver(service, body.replace(b"hello", b"hellO"), headers)
    assert tampered.status_code == 403 and tampered.json()["error"] == "webhook_forged"
    assert rows() == []


def test_a_delivery_is_kept_raw_once_and_pulled_once(client, service, connected, hooked):
    account, metadata = connected
    post = hooked.post("jane", "my order never came")
    body, headers = hooked.delivery(post)

    first = deliver(service, body, headers)
    again = deliver(service, body, headers)
    deliver(service, *hooked.delivery(post))  # the post again, in a new delivery

    assert first.status_code == again.status_code == 200
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    kept = rows()
    assert [row.status for row in kept] == ["done", "done"]
    assert kept[0].body == body and kept[0].headers["X-Hooked-Signature"] == headers[
        "X-Hooked-Signature"]
    assert kept[0].account_ids == [account.id]
    assert db.session.get(Account, account.id).last_delivery_at is not None
    assert pull_all(client, metadata) == [f"hooked:{post['id']}"]
    assert [m.text for m in stored(account.id)] == ["my order never came"]


def test_out_of_order_deliveries_thread_together(client, service, connected, hooked):
    account, metadata = connected
    root = hooked.post("jane", "where is my parcel?")
    reply = hooked.post("bob", "same here", in_reply_to=root)
    deeper = hooked.post("jane", "still nothing", in_reply_to=reply)

    for post in (deeper, reply, root):  # the replies arrive before their parents
        assert deliver(service, *hooked.delivery(post)).status_code == 200

    answer = client.post("/channel/pull", data={"metadata": metadata, "state": ""})
    threads = {r["external_id"]: r["thread_id"] for r in answer.json["external_resources"]}
    assert threads == {f"hooked:{p['id']}": f"hooked:{root['id']}"
                       for p in (root, reply, deeper)}


def test_a_delivery_for_an_unknown_brand_is_kept_with_its_reason(client, service, connected,
                                                                  hooked):
    body, headers = hooked.delivery(hooked.post("jane", "hello"), for_user_id="9999")

    assert deliver(service, body, headers).status_code == 200

    [kept] = rows()
    assert kept.status == "unroutable" and "9999" in kept.reason
    assert stored(connected[0].id) == []
    health = client.get("/healthz", headers=OPERATOR).json
    assert health["webhook_deliveries"] == {"pending": 0, "unroutable": 1, "failed": 0}
    metrics = client.get("/metrics", headers=OPERATOR).get_data(as_text=True)
    assert 'murmur_webhook_deliveries{status="unroutable"} 1.0' in metrics


def test_a_signed_delivery_that_cannot_be_read_is_kept_as_failed(service, connected, hooked):
    body = b'{"posts": [1, 2'

    answer = deliver(service, body, {"X-Hooked-Signature": sign(body)})

    assert answer.status_code == 200
    [kept] = rows()
    assert kept.status == "failed" and kept.reason.startswith("unreadable")
    assert kept.body == body


def test_a_body_over_the_size_limit_is_refused(service, connected, hooked):
    body = b"{" + b" " * (300 * 1024) + b"}"
    answer = deliver(service, body, {"X-Hooked-Signature": sign(body)})
    assert answer.status_code == 413 and answer.json()["error"]
    assert rows() == []


def test_a_killed_workers_delivery_is_queued_again_and_processed(app, client, service,
                                                                  connected, hooked):
    account, metadata = connected
    huey = app.extensions["huey"]
    huey.immediate = False  # a real queue: nothing runs until a worker takes it
    try:
        post = hooked.post("jane", "lost in a crash?")
        assert deliver(service, *hooked.delivery(post)).status_code == 200
        assert [row.status for row in rows()] == ["pending"]
        assert huey.dequeue() is not None  # a worker takes the task, then dies with it
        assert client.get("/healthz", headers=OPERATOR).json["webhook_deliveries"][
            "pending"] == 1

        assert deliveries.requeue_stale() == []  # not while a worker may still be on it
        db.session.execute(update(WebhookDelivery).values(
            queued_at=utcnow() - deliveries.REQUEUE_AFTER - timedelta(seconds=1)))
        db.session.commit()
        app.extensions["murmur.tasks"]["requeue_deliveries"]()
        while (task := huey.dequeue()) is not None:  # the next worker
            huey.execute(task)
    finally:
        huey.immediate = True

    [kept] = rows()
    assert (kept.status, kept.attempts) == ("done", 2)
    assert pull_all(client, metadata) == [f"hooked:{post['id']}"]


def test_a_delivery_that_never_finishes_is_given_up_on(app, service, connected, hooked):
    app.extensions["huey"].immediate = False
    try:
        assert deliver(service, *hooked.delivery(hooked.post("jane", "hi"))).status_code == 200
    finally:
        app.extensions["huey"].immediate = True
    db.session.execute(update(WebhookDelivery).values(
        attempts=deliveries.MAX_ATTEMPTS, queued_at=utcnow() - timedelta(hours=1)))
    db.session.commit()

    assert deliveries.requeue_stale() == []

    [kept] = rows()
    assert kept.status == "failed" and "attempts" in kept.reason


def test_every_active_account_of_the_brand_gets_the_delivery(service, hooked):
    acme, _ = accounts.connect("hooked", "acme", {"base_url": hooked.url,
                                                  "access_token": hooked.token})
    globex, _ = accounts.connect("hooked", "globex", {"base_url": hooked.url,
                                                      "access_token": hooked.token})
    post = hooked.post("jane", "hello both")

    deliver(service, *hooked.delivery(post))

    assert rows()[0].account_ids == [acme.id, globex.id]
    assert [m.external_id for m in stored(acme.id)] == [m.external_id for m in stored(globex.id)]
    assert db.session.scalar(select(func.count()).select_from(StoredMention)) == 2


def test_a_delivery_key_no_database_can_store_is_kept_by_its_digest(service, connected, hooked):
    body = json.dumps({"delivery_id": "x\udc80\x00y", "for_user_id": "\ud800",
                       "posts": []}).encode()

    answer = deliver(service, body, {"X-Hooked-Signature": sign(body)})

    assert answer.status_code == 200
    [kept] = rows()
    assert kept.delivery_key.startswith("sha256:") and kept.status == "unroutable"


def test_a_push_only_account_is_healthy_once_a_delivery_arrives(client, service, monkeypatch,
                                                                 hooked):
    monkeypatch.setitem(REGISTRY, PushOnlyAdapter.name, PushOnlyAdapter)
    account, _ = accounts.connect("hooked", "acme", {"base_url": hooked.url,
                                                     "access_token": hooked.token})

    def state():
        db.session.rollback()  # the test client shares this session: read afresh
        [health] = client.get("/healthz", headers=OPERATOR).json["accounts"]
        return health["state"]

    assert state() == "waiting"
    deliver(service, *hooked.delivery(hooked.post("jane", "hello")))
    assert state() == "ok"
