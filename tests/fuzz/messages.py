"""Hostile requests: forms, JSON bodies, metadata and sidebar JWTs around a route."""
import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import strategies as st

from tests.fakes.zaf_signing import PRIVATE_KEY
from tests.fakes.zaf_signing import installation_url

from tests.fuzz.values import JSON_VALUES
from tests.fuzz.values import RAW_JSON
from tests.fuzz.values import TEXT
from tests.fuzz.values import dumps
from tests.fuzz.values import form_body
from tests.fuzz.values import shaped
from tests.fuzz.values import weighted

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CONTENT_TYPES = [FORM, JSON, "text/plain", "multipart/form-data; boundary=x", "application/xml"]
EXTRA_HEADERS = st.lists(st.tuples(st.sampled_from(["Accept-Language", "X-Forwarded-For",
                                                    "Cookie"]), TEXT.map(lambda v: _header(v))),
                         max_size=1)


@dataclass(frozen=True)
class Request:
    """One request as the test client sends it; the body and query are bytes on the wire."""

    method: str
    path: str
    body: bytes
    content_type: str
    query: str
    headers: tuple


def request(method, path, body=None, content_type=FORM, query=None, auth=None):
    """Requests for `method path`, another method one time in ten.

    `path` and `body` may be strategies; `query` maps the query's usual field names to
    strategies of their values; `auth` is a strategy of Authorization header values.
    """
    authorization = st.just(()) if auth is None else auth.map(
        lambda value: (("Authorization", _header(value)),))
    return st.builds(
        Request, method=st.sampled_from([method] * 60 + METHODS),
        path=path if isinstance(path, st.SearchStrategy) else st.just(path),
        body=st.just(b"") if body is None else body,
        content_type=st.sampled_from([content_type] * 6 + CONTENT_TYPES),
        query=forms(query or {}).map(bytes.decode),
        headers=st.builds(lambda a, b: a + tuple(b), authorization, EXTRA_HEADERS))


def forms(fields):
    """Url-encoded forms shaped like `fields` (see `shaped`), now and then with a stray."""
    strays = st.lists(st.tuples(TEXT, JSON_VALUES), max_size=1)
    return st.builds(lambda pairs, extra: form_body(pairs + extra), shaped(fields), strays)


def documents(fields):
    """JSON objects shaped like `fields` (see `shaped`)."""
    return shaped(fields).map(dict)


def json_bodies(document):
    """JSON bodies: `document` (a strategy) mostly, anything at all, or broken text."""
    shaped_like = document.map(dumps)
    return st.one_of(shaped_like, shaped_like, shaped_like, JSON_VALUES.map(dumps), RAW_JSON)


def metadata(world):
    """Metadata as Zendesk echoes it: ours mostly, ours with a hostile part, or anything."""
    mixed = documents({"account": st.just(world.uid),
                       "secret": st.just(world.secret_of_metadata)})
    return weighted((2, st.just(world.metadata)), (1, mixed.map(lambda v: dumps(v).decode())),
                    (1, TEXT))


def tokens(world):
    """Authorization values: mostly a JWT signed with the installation's real secret, with
    hostile claims, so requests get past the signature; the rest are forged or garbage."""
    now = int(time.time())
    claims = documents({
        "iss": st.just("acme"), "exp": st.just(now + 300), "iat": st.just(now),
        "ticket_id": st.just(str(world.ticket_id)),
        "requester_id": st.just(str(world.requester_id))}).map(dumps)
    signed = st.builds(_jwt, st.just(b'{"alg":"HS256","typ":"JWT"}'), claims,
                       st.just(world.sidebar_secret)).map("Bearer {}".format)
    header = st.sampled_from([b'{"alg":"HS256","typ":"JWT"}', b'{"alg":"none"}',
                              b'{"alg":"HS512"}', b"[]", b"{"])
    forged = st.builds(_jwt, header, st.one_of(claims, RAW_JSON),
                       st.sampled_from([world.sidebar_secret, "wrong"]))
    session = documents({
        "iss": st.just("murmur-sidebar"), "aud": st.just("murmur-sidebar"),
        "sub": st.just("acme"), "inst": st.just(world.app_installation_id),
        "exp": st.just(now + 300), "iat": st.just(now)}).map(dumps)
    sessions = st.builds(_jwt, st.just(b'{"alg":"HS256","kid":"murmur-session"}'), session,
                         st.just(world.session_key)).map("Bearer {}".format)
    return weighted((3, signed), (2, sessions), (1, forged), (1, forged.map("Bearer {}".format)),
                    (1, TEXT))


def zendesk_page_tokens(world):
    """Page tokens as Zendesk signs them (RS256, the app's key) with hostile claims; or not."""
    now = int(time.time())
    audience = st.sampled_from([
        installation_url("acme", world.app_installation_id), installation_url("acme", 1),
        "https://acme.zendesk.com.evil.example/api/v2/apps/installations/1.json"])
    claims = documents({"iss": st.sampled_from(["acme.zendesk.com", "https://acme.zendesk.com"]),
                        "aud": audience, "exp": st.just(now + 300),
                        "iat": st.just(now)}).map(dumps)
    header = st.sampled_from([b'{"alg":"RS256","typ":"JWT"}', b'{"alg":"none"}',
                              b'{"alg":"HS256"}', b"[]"])
    signed = st.builds(_rs256, header, st.one_of(claims, RAW_JSON))
    return weighted((4, signed), (1, TEXT))


def _rs256(header: bytes, payload: bytes) -> str:
    signing_input = _b64(header) + "." + _b64(payload)
    signature = PRIVATE_KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64(signature)


def _jwt(header: bytes, payload: bytes, secret: str | bytes) -> str:
    signing_input = _b64(header) + "." + _b64(payload)
    key = secret if isinstance(secret, bytes) else secret.encode()
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _header(value: str) -> str:
    """A header value as a server reads the bytes (latin-1), minus what no server passes on."""
    raw = value.encode("utf-8", "surrogatepass").decode("latin-1")
    return "".join(" " if c in "\r\n\x00" else c for c in raw)[:4000]
