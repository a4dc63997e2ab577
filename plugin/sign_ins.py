"""Signing in with a platform (OAuth 2.0 + PKCE) to connect an account.

Murmur registers a client once per platform, server and redirect URI and keeps it, its secret
sealed; a platform without registration has the deployment's own client, from the
environment. Each sign-in an admin starts is kept server-side under the hash of its `state`
(random, single-use, expiring, bound to the account form it started from); the PKCE verifier
is sealed there and never leaves the server. The callback claims the sign-in once and
exchanges the code (the client authenticating as its flow says); the account form then
collects what the sign-in connected, once. The protocol's messages are built and read by
oauthlib; every call goes through the SSRF-guarded `PlatformHTTP`.
"""
import hashlib
from datetime import timedelta

from flask import current_app
from oauthlib.oauth2 import OAuth2Error
from oauthlib.oauth2 import WebApplicationClient
from oauthlib.oauth2.rfc6749.utils import is_secure_transport
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from plugin.db import db
from plugin.errors import BadRequest
from plugin.models import OAuthClient
from plugin.models import OAuthSignIn
from plugin.models import utcnow
from plugin.platforms import adapter_class
from plugin.platforms.catalogue import N_
from plugin.platforms.connect import Candidate
from plugin.platforms.connect import basic_auth
from plugin.platforms.connect import sign_in_flow
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import Refused
from plugin.platforms.http import LocalCredentials
from plugin.platforms.http import PlatformHTTP
from plugin.secrets_box import box
from plugin.zendesk.channel import public_url

SIGN_IN_TTL = 600
FORM_ENCODED = {"Content-Type": "application/x-www-form-urlencoded"}


class SignInExpired(BadRequest):
    """The callback's `state` names no sign-in under way: unknown, used, or too old."""

    code = "sign_in_expired"

    def __init__(self):
        super().__init__("This sign-in is unknown, was already used, or has expired.")


def start(platform: str, values: dict, form: dict) -> str:
    """Start a sign-in for the account form `form` (its sealed context, with `nonce`) and
    return the URL to send the admin's browser to.

    :raise NotConfigured: the platform has no sign-in, the server address is not
        acceptable (not https, a private address), or the deployment's client is not set.
    :raise PlatformError: registering Murmur at the server failed.
    """
    cls = adapter_class(platform)
    flow = sign_in_flow(cls)
    if flow is None:
        raise NotConfigured(N_("%(platform)s accounts are connected with the fields below."),
                            params={"platform": cls.label})
    server = flow.server(cls, values, current_app.config["PLATFORM_ALLOW_HTTP"])
    if not is_secure_transport(flow.authorize_url(server)):
        # oauthlib refuses plain http unless OAUTHLIB_INSECURE_TRANSPORT is set (local fakes).
        raise NotConfigured(N_("Signing in needs an https address."), field=flow.server_field)
    client = _client(platform, flow, server)
    oauth = WebApplicationClient(client.client_id)
    verifier = oauth.create_code_verifier(64)
    state = oauth.state_generator()
    now = utcnow()
    db.session.execute(delete(OAuthSignIn).where(OAuthSignIn.expires_at < now))
    db.session.add(OAuthSignIn(
        state_hash=_digest(state), form_nonce=form["nonce"], client_id=client.id,
        verifier_sealed=box().seal(verifier), form_sealed=box().seal(form), claimed=False,
        expires_at=now + timedelta(seconds=SIGN_IN_TTL)))
    db.session.commit()
    return oauth.prepare_request_uri(
        flow.authorize_url(server), redirect_uri=client.redirect_uri, scope=list(flow.scopes),
        state=state, code_challenge=oauth.create_code_challenge(verifier, "S256"),
        code_challenge_method="S256")


def _client(platform, flow, server) -> OAuthClient:
    """The client registered at `server` for our redirect URI, registering it the first time
    (the deployment's own client, as configured now, for a platform without registration)."""
    redirect = public_url("admin.sign_in_callback")
    found = select(OAuthClient).where(OAuthClient.platform == platform,
                                      OAuthClient.server == server,
                                      OAuthClient.redirect_uri == redirect)
    client = db.session.scalar(found)
    if client is not None and flow.dynamic_client:
        return client
    registered = flow.register(platform_http(platform, server), redirect,
                               current_app.config["PLATFORM_SECRETS"])
    sealed = (box().seal(registered.client_secret)
              if registered.client_secret is not None else None)
    if client is not None:
        client.client_id, client.client_secret_sealed = registered.client_id, sealed
        db.session.commit()
        return client
    db.session.add(OAuthClient(platform=platform, server=server, redirect_uri=redirect,
                               client_id=registered.client_id, client_secret_sealed=sealed))
    try:
        db.session.commit()
    except IntegrityError:  # another admin registered at this server at the same moment
        db.session.rollback()
    return db.session.scalar(found)


def platform_http(platform: str, server: str, secrets=None) -> PlatformHTTP:
    """The guarded client for calls to a sign-in server (public addresses only, timeouts).

    It signs nothing; `secrets` (name → value) are only blotted out of its error messages.
    """
    cfg = current_app.config
    return PlatformHTTP(server, credentials=LocalCredentials(secrets or {}),
                        user_agent=adapter_class(platform).user_agent,
                        timeout=cfg["PLATFORM_TIMEOUT_SECONDS"],
                        backoff=cfg["PLATFORM_RETRY_BACKOFF"],
                        allow_loopback=cfg["PLATFORM_ALLOW_LOOPBACK"])


def claim(state: str) -> tuple[OAuthSignIn, dict]:
    """The sign-in `state` names, claimed for this callback alone, and its form.

    :raise SignInExpired: no sign-in under way has this state (or it was claimed before).
    """
    key = _digest(state or "")
    claimed = db.session.execute(
        update(OAuthSignIn).where(OAuthSignIn.state_hash == key, OAuthSignIn.claimed.is_(False),
                                  OAuthSignIn.expires_at >= utcnow())
        .values(claimed=True))
    db.session.commit()
    if claimed.rowcount != 1:
        raise SignInExpired()
    sign_in = db.session.get(OAuthSignIn, key)
    return sign_in, box().open(sign_in.form_sealed)


def exchange(sign_in: OAuthSignIn, code: str) -> tuple[str, list[Candidate]]:
    """Exchange the callback's `code` (with the PKCE verifier) and return the platform and
    what the sign-in grants.

    :raise PlatformError: the server refused the code or answered something else than a token.
    """
    client = db.session.get(OAuthClient, sign_in.client_id)
    flow = sign_in_flow(adapter_class(client.platform))
    verifier = box().open(sign_in.verifier_sealed)
    secret = box().open(client.client_secret_sealed) if client.client_secret_sealed else None
    basic = secret is not None and flow.token_auth == "client_secret_basic"
    oauth = WebApplicationClient(client.client_id)
    body = oauth.prepare_request_body(code=code, redirect_uri=client.redirect_uri,
                                      code_verifier=verifier,
                                      client_secret=None if basic else secret,
                                      include_client_id=True)
    headers = {**FORM_ENCODED, **({"Authorization": basic_auth(client.client_id, secret)}
                                  if basic else {})}
    http = platform_http(client.platform, client.server,
                         secrets={"code": code, "verifier": verifier, "client_secret": secret})
    answer = http.post(flow.token_url(client.server), data=body, headers=headers,
                       authenticate=False)
    try:
        token = oauth.parse_request_body_response(answer.text)
    except OAuth2Error as exc:
        raise Refused(f"{http.host} did not issue a token: {exc.error}.") from None
    except ValueError:
        raise Malformed(f"{http.host} answered the token request with something else than a "
                        "token.") from None
    return client.platform, flow.candidates(client.server, dict(token))


def finish(sign_in: OAuthSignIn, result: dict):
    """Keep what the sign-in connected (sealed) for its form to collect."""
    sign_in.result_sealed = box().seal(result)
    sign_in.expires_at = utcnow() + timedelta(seconds=SIGN_IN_TTL)
    db.session.commit()


def collect(form_nonce: str) -> dict | None:
    """What a sign-in from the form with `form_nonce` connected, once; None if nothing yet."""
    sign_in = db.session.scalar(select(OAuthSignIn).where(
        OAuthSignIn.form_nonce == form_nonce, OAuthSignIn.result_sealed.is_not(None),
        OAuthSignIn.expires_at >= utcnow()))
    if sign_in is None:
        return None
    result = box().open(sign_in.result_sealed)
    taken = db.session.execute(delete(OAuthSignIn).where(
        OAuthSignIn.state_hash == sign_in.state_hash))
    db.session.commit()
    return result if taken.rowcount == 1 else None


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()
