"""Garbage in the sidebar's tokens, paths, queries and bodies: a JSON 4xx, never a 500."""
import base64
import hashlib
import hmac

import pytest

from tests.sidebar.conftest import SECRET
from tests.sidebar.conftest import make_token
from tests.zendesk.test_bad_input import assert_json_error

BIG = 2**63
DEEP = "[" * 3000 + "]" * 3000


def raw_token(payload: str, secret=SECRET):
    """An HS256 JWT over exactly `payload`, for claims json.dumps would not write."""
    def part(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = part(b'{"alg":"HS256","typ":"JWT"}') + "." + part(payload.encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + part(signature)


TOKENS = [
    ("iss surrogate", make_token(iss="\ud800")),
    ("iss nul", make_token(iss="ac\x00me")),
    ("iss number", raw_token('{"iss": 5, "exp": 4102444800}')),
    ("iss list", raw_token('{"iss": ["acme"], "exp": 4102444800}')),
    ("iss deep", raw_token('{"iss": ' + DEEP + ', "exp": 4102444800}')),
    ("claims deep", raw_token('{"iss": "acme", "exp": 4102444800, "x": ' + DEEP + "}")),
    ("exp huge", raw_token('{"iss": "acme", "exp": 1e400}')),
    ("exp nan", raw_token('{"iss": "acme", "exp": NaN}')),
]


@pytest.mark.parametrize("token", [t[1] for t in TOKENS], ids=[t[0] for t in TOKENS])
def test_hostile_token_claims_are_refused(client, installation, token):
    response = client.get("/api/sidebar/tickets/1001",
                          headers={"Authorization": f"Bearer {token}"})
    assert_json_error(response, 401)


@pytest.mark.parametrize("ticket_id,query", [(BIG, {}), (BIG * 4, {}), ("9" * 5000, {}),
                                             (1001, {"requester_id": str(BIG)}),
                                             (1001, {"requester_id": "-1"})])
def test_out_of_range_ids_in_path_and_query_are_refused(client, installation, ticket_id, query):
    token = make_token(ticket_id=str(ticket_id))
    response = client.get(f"/api/sidebar/tickets/{ticket_id}", query_string=query,
                          headers={"Authorization": f"Bearer {token}"})
    assert_json_error(response)


LINKS = [
    ("ticket huge", {"ticket_id": BIG}),
    ("requester huge", {"requester_id": BIG}),
    ("requester string huge", {"requester_id": str(BIG * 10)}),
    ("handle surrogate", {"handle": "jane\ud800"}),
    ("handle nul", {"handle": "ja\x00ne"}),
    ("platform surrogate", {"platform": "\udfff"}),
    ("key surrogate", {"\ud800": 1}),
]


@pytest.mark.parametrize("fields", [c[1] for c in LINKS], ids=[c[0] for c in LINKS])
def test_hostile_link_bodies_are_refused(client, installation, connect, fields):
    connect()
    body = {"ticket_id": 1001, "requester_id": 7, "platform": "mastodon", "handle": "jane",
            **fields}
    token = make_token(ticket_id=str(body["ticket_id"]))
    response = client.post("/api/sidebar/links", headers={"Authorization": f"Bearer {token}"},
                           json=body)
    assert_json_error(response, 400, "invalid_request")
