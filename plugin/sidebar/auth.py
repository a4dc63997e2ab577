"""The sidebar's bearer JWT: HS256, signed by Zendesk's proxy with the installation's secret."""
import jwt
from flask import request
from sqlalchemy import select

from plugin.db import db
from plugin.errors import Unauthorized
from plugin.models import Installation
from plugin.secrets_box import box

LEEWAY_SECONDS = 30


def authorised_subdomain() -> tuple[str, dict]:
    """Verify the request's bearer token; return its subdomain and claims.

    The token must be HS256 (nothing else is accepted, `none` included), carry `exp` and
    `iss`, and be signed with the secret of the installation `iss` names.

    :raise Unauthorized: no token, or any check fails.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the app's JWT as `Authorization: Bearer <token>`.",
                           code="missing_token")
    token = token.strip()
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        subdomain = str(unverified.get("iss", "")).lower()
    except jwt.PyJWTError:
        raise Unauthorized("The token is not a JWT.", code="invalid_token") from None
    installation = db.session.scalar(select(Installation).where(
        Installation.subdomain == subdomain)) if subdomain else None
    if installation is None:
        raise Unauthorized("No installation matches the token's issuer.", code="invalid_token")
    secret = box().open(installation.secret_sealed)
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=subdomain,
                            leeway=LEEWAY_SECONDS, options={"require": ["exp", "iss"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired.", code="token_expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"The token was refused: {exc}.", code="invalid_token") from None
    return subdomain, claims
