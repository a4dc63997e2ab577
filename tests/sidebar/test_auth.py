"""The sidebar JWT: every way a token can be wrong gets a 401 JSON and no data."""
import time

import jwt
import pytest

from tests.sidebar.conftest import SECRET
from tests.sidebar.conftest import make_token


def _none_token():
    return jwt.encode({"iss": "acme", "exp": int(time.time()) + 60}, None, algorithm="none")


BAD_AUTH = [
    ("missing", None, "missing_token"),
    ("not bearer", "Basic YWNtZTpzZWNyZXQ=", "missing_token"),
    ("empty bearer", "Bearer ", "missing_token"),
    ("not a jwt", "Bearer not.a.jwt", "invalid_token"),
    ("wrong secret", "Bearer " + make_token(secret="x" * 32), "invalid_token"),
    ("alg none", "Bearer " + _none_token(), "invalid_token"),
    ("HS512", "Bearer " + make_token(algorithm="HS512"), "invalid_token"),
    ("expired", "Bearer " + make_token(exp=int(time.time()) - 120), "token_expired"),
    ("no exp", "Bearer " + make_token(exp=None), "invalid_token"),
    ("no iss", "Bearer " + make_token(iss=None), "invalid_token"),
    ("unknown iss", "Bearer " + make_token(iss="globex"), "invalid_token"),
]


@pytest.mark.parametrize("header,code", [case[1:] for case in BAD_AUTH],
                         ids=[case[0] for case in BAD_AUTH])
def test_bad_tokens_get_401_json(client, installation, header, code):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/sidebar/tickets/1001", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == code
    assert response.get_json()["message"]


def test_small_clock_skew_is_tolerated(sidebar_get, installation):
    token = make_token(exp=int(time.time()) - 10)
    assert sidebar_get(1001, token=token).status_code == 200


def test_claim_for_another_ticket_is_refused(sidebar_get, installation):
    response = sidebar_get(1001, token=make_token(ticket_id="999"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "claim_mismatch"


def test_another_subdomains_token_sees_nothing_of_acme(app, sidebar_get, social_ticket):
    runner = app.test_cli_runner()
    globex_secret = "globex-shared-secret-" + "9" * 40
    runner.invoke(args=["installations", "add", "globex", "--secret", globex_secret])
    token = make_token(secret=globex_secret, iss="globex", ticket_id=str(social_ticket.ticket_id))
    body = sidebar_get(social_ticket.ticket_id, social_ticket.requester_id, token=token).get_json()
    assert body["state"] == "unknown"
    assert body["profile"] is None and body["posts"] == []
    assert body["connected_platforms"] == []
    # and acme's own secret can't be used to claim to be globex
    forged = make_token(secret=SECRET, iss="globex")
    assert sidebar_get(social_ticket.ticket_id, token=forged).status_code == 401
