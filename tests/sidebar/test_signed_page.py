"""The signed sidebar page: Zendesk vouches, the installation registers itself, the page gets a
session; every forged, foreign or stale token gets a refusal page and registers nothing."""
import hashlib
import hmac
import json
import threading
import time

import jwt
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from jwt.utils import base64url_encode
from sqlalchemy import func
from sqlalchemy import select

from plugin.db import db
from plugin.models import Installation
from plugin.secrets_box import box
from tests.fakes.server import LiveServer
from tests.fakes.zaf_signing import OTHER_PRIVATE_KEY
from tests.fakes.zaf_signing import PUBLIC_PEM
from tests.fakes.zaf_signing import installation_url
from tests.fakes.zaf_signing import signed_token
from tests.sidebar.conftest import make_token

QUERY = "?origin=https%3A%2F%2Facme.zendesk.com&app_guid=6f0e-guid"


def load_page(client, token, query=QUERY):
    """POST the page as Zendesk does for a signed location."""
    return client.post(f"/app/sidebar{query}", data={"token": token} if token else {})


def session_of(page) -> str:
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    return soup.find("meta", attrs={"name": "murmur-session"})["content"]


def installations():
    db.session.rollback()
    return db.session.scalars(select(Installation)).all()


def test_signed_load_registers_the_installation_and_hands_out_a_session(client):
    page = load_page(client, signed_token())
    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    assert page.headers["Cache-Control"] == "no-store"
    [installation] = installations()
    assert (installation.subdomain, installation.app_installation_id) == ("acme", 7001)
    assert installation.secret_sealed is None and installation.vouched_at is not None
    # The page may be framed by Zendesk only, and runs no inline script.
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://*.zendesk.com" in policy
    assert "'unsafe-inline'" not in policy
    answer = client.get("/api/sidebar/tickets/1001",
                        headers={"Authorization": f"Bearer {session_of(page)}"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "unknown"


def test_session_is_short_lived_and_bound_to_the_installation(client, app):
    claims = jwt.decode(session_of(load_page(client, signed_token())),
                        options={"verify_signature": False})
    assert claims["sub"] == "acme" and claims["inst"] == 7001
    assert claims["exp"] - claims["iat"] == app.config["SIDEBAR_SESSION_SECONDS"] <= 3600


def test_a_second_load_keeps_one_installation(client):
    load_page(client, signed_token())
    load_page(client, signed_token())
    assert len(installations()) == 1


def test_private_install_keeps_its_secret_when_zendesk_vouches(client, installation):
    load_page(client, signed_token())
    [row] = installations()
    assert box().open(row.secret_sealed) == installation and row.app_installation_id == 7001


def test_reinstalled_app_ends_old_sessions(client):
    old = session_of(load_page(client, signed_token(installation_id=7001)))
    new = session_of(load_page(client, signed_token(installation_id=7002)))
    headers = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    refused = client.get("/api/sidebar/tickets/1001", headers=headers(old))
    assert refused.status_code == 401 and refused.get_json()["error"] == "session_expired"
    assert client.get("/api/sidebar/tickets/1001", headers=headers(new)).status_code == 200


def _hs256_with_public_key():
    # Algorithm confusion: the public key used as an HMAC secret (PyJWT refuses to make one).
    now = int(time.time())
    header = base64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    body = base64url_encode(json.dumps({"iss": "acme.zendesk.com", "iat": now, "exp": now + 300,
                                        "aud": installation_url("acme", 1)}).encode())
    signature = hmac.new(PUBLIC_PEM.encode(), header + b"." + body, hashlib.sha256).digest()
    return (header + b"." + body + b"." + base64url_encode(signature)).decode()


def _none_token():
    now = int(time.time())
    return jwt.encode({"iss": "acme.zendesk.com", "aud": installation_url("acme", 1), "iat": now,
                       "exp": now + 300}, None, algorithm="none")


BAD_TOKENS = [
    ("missing", lambda: None, 401, "missing_token"),
    ("not a jwt", lambda: "not.a.jwt", 401, "invalid_token"),
    ("another app's key", lambda: signed_token(key=OTHER_PRIVATE_KEY), 401, "invalid_token"),
    ("public key as HMAC secret", _hs256_with_public_key, 401, "invalid_token"),
    ("alg none", _none_token, 401, "invalid_token"),
    ("shared-secret token", lambda: make_token(), 401, "invalid_token"),
    ("expired", lambda: signed_token(iat=int(time.time()) - 900, exp=int(time.time()) - 600),
     401, "token_expired"),
    ("no exp", lambda: signed_token(exp=None), 401, "invalid_token"),
    ("no iat", lambda: signed_token(iat=None), 401, "invalid_token"),
    ("lives for years", lambda: signed_token(lifetime=10**9), 401, "token_too_long_lived"),
    ("no aud", lambda: signed_token(aud=None), 401, "invalid_token"),
    ("aud on another host", lambda: signed_token(
        aud="https://acme.zendesk.com.evil.example/api/v2/apps/installations/1.json"),
     401, "invalid_token"),
    ("aud with userinfo", lambda: signed_token(
        aud="https://acme.zendesk.com@evil.example/api/v2/apps/installations/1.json"),
     401, "invalid_token"),
    ("aud not an installation", lambda: signed_token(aud="https://acme.zendesk.com/"),
     401, "invalid_token"),
    ("no iss", lambda: signed_token(iss=None), 401, "invalid_token"),
    ("iss of another account", lambda: signed_token(iss="globex.zendesk.com"), 401, "invalid_token"),
    ("iss with a NUL", lambda: signed_token(iss="acme.zendesk.com\x00"), 401, "invalid_token"),
]


@pytest.mark.parametrize("make,status,code", [case[1:] for case in BAD_TOKENS],
                         ids=[case[0] for case in BAD_TOKENS])
def test_bad_page_tokens_are_refused_and_register_nothing(client, make, status, code):
    page = load_page(client, make())
    assert page.status_code == status
    assert page.content_type.startswith("text/html")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.find(attrs={"role": "alert"})["data-error"] == code
    assert soup.find("meta", attrs={"name": "murmur-session"}) is None
    assert installations() == []


SESSION_FORGERIES = [
    ("wrong key", lambda app: jwt.encode(
        {"iss": "murmur-sidebar", "aud": "murmur-sidebar", "sub": "acme", "inst": 7001,
         "iat": int(time.time()), "exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256",
        headers={"kid": "murmur-session"}), "invalid_token"),
    ("lives for years", lambda app: jwt.encode(
        {"iss": "murmur-sidebar", "aud": "murmur-sidebar", "sub": "acme", "inst": 7001,
         "iat": int(time.time()), "exp": 32503680000},
        box().signing_keys("murmur-session")[0], algorithm="HS256",
        headers={"kid": "murmur-session"}), "token_too_long_lived"),
    ("expired", lambda app: jwt.encode(
        {"iss": "murmur-sidebar", "aud": "murmur-sidebar", "sub": "acme", "inst": 7001,
         "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
        box().signing_keys("murmur-session")[0], algorithm="HS256",
        headers={"kid": "murmur-session"}), "session_expired"),
    ("another subdomain", lambda app: jwt.encode(
        {"iss": "murmur-sidebar", "aud": "murmur-sidebar", "sub": "globex", "inst": 7001,
         "iat": int(time.time()), "exp": int(time.time()) + 60},
        box().signing_keys("murmur-session")[0], algorithm="HS256",
        headers={"kid": "murmur-session"}), "session_expired"),
]


@pytest.mark.parametrize("make,code", [case[1:] for case in SESSION_FORGERIES],
                         ids=[case[0] for case in SESSION_FORGERIES])
def test_forged_sessions_are_refused(client, app, make, code):
    load_page(client, signed_token())
    answer = client.get("/api/sidebar/tickets/1001",
                        headers={"Authorization": f"Bearer {make(app)}"})
    assert answer.status_code == 401
    assert answer.get_json()["error"] == code


def test_sessions_survive_a_key_rotation(client, app):
    token = session_of(load_page(client, signed_token()))
    app.extensions["secrets_box"] = type(box())("new-key," + app.config["SECRET_KEY"])
    answer = client.get("/api/sidebar/tickets/1001", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_without_a_key_the_page_says_the_service_is_not_set_up(client, app):
    app.config["ZENDESK_APP_PUBLIC_KEY"] = None
    page = load_page(client, signed_token())
    assert page.status_code == 503
    assert "ZENDESK_APP_PUBLIC_KEY" in page.get_data(as_text=True)
    assert installations() == []


@pytest.fixture
def key_server():
    """Zendesk's anonymous `GET /api/v2/apps/{id}/public_key.pem`, counting its requests."""
    server = Flask("zendesk-keys")
    server.requests = []

    @server.get("/api/v2/apps/<int:app_id>/public_key.pem")
    def public_key(app_id):
        server.requests.append(app_id)
        if app_id != 451:
            return {"error": "RecordNotFound", "description": "Not found"}, 404
        return PUBLIC_PEM, 200, {"Content-Type": "application/x-pem-file"}

    with LiveServer(server) as live:
        server.url = live.url
        yield server


def test_key_is_fetched_from_zendesk_once(client, app, key_server):
    app.config.update(ZENDESK_APP_PUBLIC_KEY=None, ZENDESK_APP_ID="451",
                      ZENDESK_BASE_URL=key_server.url)
    pages = []
    threads = [threading.Thread(target=lambda: pages.append(
        app.test_client().post(f"/app/sidebar{QUERY}", data={"token": signed_token()})))
        for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert load_page(client, signed_token()).status_code == 200
    assert key_server.requests == [451]


def test_a_key_zendesk_will_not_give_is_a_clear_503(client, app, key_server):
    app.config.update(ZENDESK_APP_PUBLIC_KEY=None, ZENDESK_APP_ID="999",
                      ZENDESK_BASE_URL=key_server.url)
    page = load_page(client, signed_token())
    assert page.status_code == 503
    assert "could not be fetched" in page.get_data(as_text=True)
    assert installations() == []


def test_registered_installations_are_listed(client, app):
    load_page(client, signed_token(subdomain="globex", installation_id=88))
    result = app.test_cli_runner().invoke(args=["installations", "list"])
    assert "globex" in result.output
    assert db.session.scalar(select(func.count()).select_from(Installation)) == 1
