"""The sidebar API's bearer token.

Either the session token the signed sidebar page was given (see `signed`), or, for a private
install set up with `installations add`, an HS256 JWT that Zendesk's proxy signs with the
installation's shared secret. Browser code writes that JWT's claims, so it proves only which
Zendesk account sent it.
"""
import time

import jwt
from flask import request
from marshmallow import ValidationError
from sqlalchemy import select

from plugin.accounts import SUBDOMAIN
from plugin.db import db
from plugin.errors import Forbidden
from plugin.errors import Unauthorized
from plugin.models import Installation
from plugin.secrets_box import box
from plugin.sidebar import signed
from plugin.sidebar.schemas import zendesk_id

LEEWAY_SECONDS = 30
# The app asks Zendesk's proxy for 300-second tokens; anything longer-lived is not one of them.
MAX_LIFETIME_SECONDS = 600
ID_CLAIMS = ("ticket_id", "requester_id")


def authorised_subdomain() -> tuple[str, dict]:
    """Verify the request's bearer token; return its subdomain and claims.

    A shared-secret token must be HS256 (nothing else is accepted, `none` included), carry
    `exp` and `iss`, be signed with the secret of the installation `iss` names, and live at
    most MAX_LIFETIME_SECONDS (from `iat` when it has one, and from now).

    :raise Unauthorized: no token, or any check fails.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the app's JWT as `Authorization: Bearer <token>`.",
                           code="missing_token")
    token = token.strip()
    if signed.is_session(token):
        return signed.verify_session(token)
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthorized("The token is not a JWT.", code="invalid_token") from None
    subdomain = unverified.get("iss")
    # Checked before it reaches the database: it is whatever the sender wrote.
    if not isinstance(subdomain, str) or not SUBDOMAIN.match(subdomain):
        raise Unauthorized("The token's issuer is not a Zendesk subdomain.", code="invalid_token")
    installation = db.session.scalar(select(Installation).where(
        Installation.subdomain == subdomain))
    if installation is None or installation.secret_sealed is None:
        raise Unauthorized("No installation with a shared secret matches the token's issuer.",
                           code="invalid_token")
    secret = box().open(installation.secret_sealed)
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=subdomain,
                            leeway=LEEWAY_SECONDS, options={"require": ["exp", "iss"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired.", code="token_expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"The token was refused: {exc}.", code="invalid_token") from None
    _check_lifetime(claims)
    return subdomain, claims


def _check_lifetime(claims):
    # jwt.decode has checked that exp (and iat, when present) are integers.
    exp = int(claims["exp"])
    issued = int(claims["iat"]) if "iat" in claims else None
    if exp > time.time() + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS or (
            issued is not None and exp - issued > MAX_LIFETIME_SECONDS):
        raise Unauthorized(f"The token lives longer than {MAX_LIFETIME_SECONDS} seconds.",
                           code="token_too_long_lived")


def vouched_ids(claims: dict, asked: dict) -> dict:
    """`asked` (ticket and requester ids from the request) with the token's claims winning.

    A claim the token carries replaces the request's value; a request naming another id
    than the token's is refused, never quietly answered for the claim.

    :raise Forbidden: a claim is not a Zendesk id, or the request names another one.
    """
    ids = dict(asked)
    for name in ID_CLAIMS:
        if name not in claims:
            continue
        try:
            claimed = zendesk_id.deserialize(claims[name])
        except ValidationError:
            raise Forbidden(f"The token's {name} is not a Zendesk id.",
                            code="invalid_claim") from None
        if asked.get(name) is not None and asked[name] != claimed:
            raise Forbidden(f"The token's {name} does not match the request.",
                            code="claim_mismatch")
        ids[name] = claimed
    return ids
