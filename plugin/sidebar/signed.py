"""Zendesk vouching for a sidebar load, and the session token the page gets in return.

With `"signed": true` on the app's location, Zendesk loads the sidebar with a POST whose form
field `token` is an RS256 JWT signed with the app's private key. Its `aud` names the Zendesk
account and the app installation (`https://acme.zendesk.com/api/v2/apps/installations/7.json`)
and its `iss` the account's host. A token that checks out registers the installation (the
first time) and is exchanged for a session token of ours, bound to that installation, which
the page sends with its API calls.
"""
import re
import threading
import time
from dataclasses import dataclass

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.errors import AppError
from plugin.errors import Unauthorized
from plugin.models import Installation
from plugin.models import utcnow
from plugin.secrets_box import box
from plugin.zendesk import gateway

AUDIENCE = re.compile(r"https://(?P<subdomain>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.zendesk\.com"
                      r"/api/v2/apps/installations/(?P<installation>[1-9][0-9]{0,17})\.json")
LEEWAY_SECONDS = 30
# Zendesk's page tokens live minutes; one claiming to live longer is not one of them.
MAX_ZENDESK_LIFETIME = 3600
SESSION_KEY_ID = "murmur-session"
SESSION_AUDIENCE = "murmur-sidebar"
_key_lock = threading.Lock()


class NotConfigured(AppError):
    """This service has no way to check Zendesk's signature."""

    status = 503
    code = "signed_requests_not_configured"


@dataclass(frozen=True)
class Vouched:
    """What Zendesk's signature vouches for."""

    subdomain: str
    app_installation_id: int


def verify_zendesk_token(token: str) -> Vouched:
    """Check Zendesk's RS256 page token: signature, expiry, audience and issuer.

    :raise Unauthorized: anything about the token is wrong.
    :raise NotConfigured: neither ZENDESK_APP_PUBLIC_KEY nor ZENDESK_APP_ID is set.
    """
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthorized("Zendesk's token is not a JWT.", code="invalid_token") from None
    audience = unverified.get("aud")
    match = AUDIENCE.fullmatch(audience) if isinstance(audience, str) else None
    if header.get("alg") != "RS256" or match is None:
        raise Unauthorized("This is not a token Zendesk signs for an app installation.",
                           code="invalid_token")
    subdomain = match["subdomain"]
    try:
        claims = jwt.decode(token, _public_key(subdomain), algorithms=["RS256"],
                            audience=audience, leeway=LEEWAY_SECONDS,
                            options={"require": ["exp", "iat", "aud", "iss"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Zendesk's token has expired.", code="token_expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"Zendesk's token was refused: {exc}.", code="invalid_token") from None
    if claims["iss"] not in (f"{subdomain}.zendesk.com", f"https://{subdomain}.zendesk.com"):
        raise Unauthorized("Zendesk's token names another account as its issuer.",
                           code="invalid_token")
    if int(claims["exp"]) - int(claims["iat"]) > MAX_ZENDESK_LIFETIME:
        raise Unauthorized("Zendesk's token lives too long to be one of Zendesk's.",
                           code="token_too_long_lived")
    return Vouched(subdomain, int(match["installation"]))


def register(vouched: Vouched) -> Installation:
    """The installation Zendesk vouched for, registered or brought up to date."""
    insert_ignoring_duplicates(Installation, [{"subdomain": vouched.subdomain}], ["subdomain"])
    db.session.execute(update(Installation).where(Installation.subdomain == vouched.subdomain)
                       .values(app_installation_id=vouched.app_installation_id,
                               vouched_at=utcnow()))
    db.session.commit()
    return db.session.scalar(select(Installation).where(
        Installation.subdomain == vouched.subdomain))


def issue_session(installation: Installation) -> str:
    """A short-lived token of ours for the page's API calls, bound to `installation`."""
    now = int(time.time())
    claims = {"iss": SESSION_AUDIENCE, "aud": SESSION_AUDIENCE, "sub": installation.subdomain,
              "inst": installation.app_installation_id, "iat": now,
              "exp": now + current_app.config["SIDEBAR_SESSION_SECONDS"]}
    key = box().signing_keys(SESSION_KEY_ID)[0]
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": SESSION_KEY_ID})


def is_session(token: str) -> bool:
    """Whether `token` claims to be one of our session tokens (unverified: it picks the check)."""
    try:
        return jwt.get_unverified_header(token).get("kid") == SESSION_KEY_ID
    except jwt.PyJWTError:
        return False


def verify_session(token: str) -> tuple[str, dict]:
    """The subdomain and claims of a session token of ours, for an installation still vouched.

    :raise Unauthorized: forged, expired, too long-lived, or its installation was replaced.
    """
    claims = None
    for key in box().signing_keys(SESSION_KEY_ID):
        try:
            claims = jwt.decode(token, key, algorithms=["HS256"], audience=SESSION_AUDIENCE,
                                issuer=SESSION_AUDIENCE, leeway=LEEWAY_SECONDS,
                                options={"require": ["exp", "iat", "sub", "inst"]})
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            raise Unauthorized("This panel's session has ended; reopen the ticket.",
                               code="session_expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The session token was refused: {exc}.",
                               code="invalid_token") from None
    if claims is None:
        raise Unauthorized("The session token was refused: bad signature.", code="invalid_token")
    if int(claims["exp"]) - int(claims["iat"]) > current_app.config["SIDEBAR_SESSION_SECONDS"]:
        raise Unauthorized("The session token lives too long.", code="token_too_long_lived")
    installation = db.session.scalar(select(Installation).where(
        Installation.subdomain == claims["sub"]))
    if installation is None or installation.app_installation_id != claims["inst"]:
        raise Unauthorized("The app was installed again since this panel opened; reopen the "
                           "ticket.", code="session_expired")
    return claims["sub"], claims


def _public_key(subdomain: str) -> RSAPublicKey:
    """The app's public key, loaded once per process: configured, or fetched from Zendesk."""
    cache = current_app.extensions.setdefault("murmur.zendesk_app_key", {})
    with _key_lock:
        if "key" not in cache:
            cache["key"] = _load_public_key(subdomain)
        return cache["key"]


def _load_public_key(subdomain: str) -> RSAPublicKey:
    config = current_app.config
    if config["ZENDESK_APP_PUBLIC_KEY"]:
        # An environment variable often carries a PEM's line breaks as literal "\n".
        return _rsa_key(config["ZENDESK_APP_PUBLIC_KEY"].replace("\\n", "\n"))
    if not config["ZENDESK_APP_ID"]:
        raise NotConfigured("This Murmur service cannot check Zendesk's signature: set "
                            "ZENDESK_APP_PUBLIC_KEY or ZENDESK_APP_ID.")
    try:
        return _rsa_key(gateway.app_public_key(subdomain, config["ZENDESK_APP_ID"]))
    except (gateway.ZendeskUnavailable, NotConfigured) as exc:
        raise gateway.ZendeskUnavailable(
            f"Zendesk's key for this app could not be fetched ({exc.message}); reload the "
            "ticket in a moment.") from None


def _rsa_key(pem: str) -> RSAPublicKey:
    """The RSA public key in `pem`.

    :raise NotConfigured: it is not one.
    """
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, RSAPublicKey):
        raise NotConfigured("The app's public key is not an RSA public key in PEM form.")
    return key
