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


# Times relative to the test's own now: (iat, exp) offsets, None for "no iat".
LONG_LIVED = [
    ("expires in 2999", 0, None),
    ("no iat, expires tomorrow", None, 86400),
    ("issued an hour before it expires", -3540, 60),
]


@pytest.mark.parametrize("iat,exp", [case[1:] for case in LONG_LIVED],
                         ids=[case[0] for case in LONG_LIVED])
def test_long_lived_tokens_are_refused(sidebar_get, installation, iat, exp):
    now = int(time.time())
    token = make_token(iat=None if iat is None else now + iat,
                       exp=32503680000 if exp is None else now + exp)
    response = sidebar_get(1001, token=token)
    assert response.status_code == 401
    assert response.get_json()["error"] == "token_too_long_lived"


@pytest.mark.parametrize("claims,code", [
    ({"ticket_id": "999"}, "claim_mismatch"),
    ({"ticket_id": "not-a-number"}, "invalid_claim"),
    ({"ticket_id": str(2**63)}, "invalid_claim"),
    ({"ticket_id": "1001", "requester_id": "0"}, "invalid_claim"),
    ({"ticket_id": "1001", "requester_id": "778"}, "claim_mismatch"),  # the query says 777
])
def test_claims_that_do_not_cover_the_request_are_403(sidebar_get, installation, claims, code):
    response = sidebar_get(1001, 777, token=make_token(**claims))
    assert response.status_code == 403
    assert response.get_json()["error"] == code


def test_requester_comes_from_the_token_not_the_query(client, sidebar_get, social_ticket,
                                                      mastodon):
    bob = mastodon.add_customer("bob", "Bob Smith")
    mastodon.post_status(bob, "<p>Hello world</p>")
    token = make_token(ticket_id="5001", requester_id="777")
    linked = client.post("/api/sidebar/links", headers={"Authorization": f"Bearer {token}"},
                         json={"ticket_id": 5001, "requester_id": 777, "platform": "mastodon",
                               "handle": "@bob"})
    assert linked.status_code == 200, linked.get_json()
    own = sidebar_get(5002, token=make_token(ticket_id="5002", requester_id="777"))
    assert own.get_json()["profile"]["handle"] == "@bob"
    # A token for another requester cannot read 777's profile through the query.
    other = sidebar_get(5002, 777, token=make_token(ticket_id="5002", requester_id="778"))
    assert other.status_code == 403 and other.get_json()["error"] == "claim_mismatch"
    assert "profile" not in other.get_json()


def test_link_for_another_requester_than_the_tokens_is_refused(client, sidebar_get,
                                                               social_ticket, mastodon):
    mastodon.add_customer("bob", "Bob Smith")
    token = make_token(ticket_id="5001", requester_id="778")
    response = client.post("/api/sidebar/links", headers={"Authorization": f"Bearer {token}"},
                           json={"ticket_id": 5001, "requester_id": 777, "platform": "mastodon",
                                 "handle": "@bob"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "claim_mismatch"
    assert sidebar_get(5002, 777).get_json()["state"] == "unknown"


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
