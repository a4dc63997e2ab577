"""Bluesky sessions and record keys: what an app password's session holds, when its access
token runs out, and the record key a reply gets from its idempotency key.

`createSession` (app password → access and refresh JWTs) is limited per account per day, so a
session is created once and then renewed with `refreshSession`, whose refresh JWT is
single-use.
"""
import hashlib
from datetime import datetime
from datetime import timezone

import jwt

# What a session answer holds that the account keeps (besides the app password).
SESSION_KEYS = ("accessJwt", "refreshJwt", "did")
# Long past: credentials without an access token count as expired, so the transport creates
# or refreshes a session before the first signed call.
NO_SESSION = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
# TIDs count microseconds since 1970; keys derived here fall between 2023 and about 2040.
_TID_EPOCH_US = 1_672_531_200_000_000
_TID_SPAN_US = 1 << 49


def session_credentials(credentials: dict, session: dict) -> dict:
    """`credentials` with the session of a createSession/refreshSession answer in place."""
    return {**credentials, **{key: session[key] for key in SESSION_KEYS}}


def expires_at(credentials: dict) -> datetime:
    """When the access JWT stops working (its `exp`, read without checking the signature:
    only the PDS that signed it can, and it checks every call)."""
    token = credentials.get("accessJwt")
    if not token:
        return NO_SESSION
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return datetime.fromtimestamp(int(claims["exp"]), timezone.utc)
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError, OverflowError):
        return NO_SESSION


def record_key(idempotency_key: str) -> str:
    """A valid TID (13 base32-sortable characters) that depends on `idempotency_key` only.

    The same key always gives the same record key, so a retried reply is refused by the PDS
    as a record that already exists instead of being posted twice.
    """
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big")
    micros = _TID_EPOCH_US + (digest >> 10) % _TID_SPAN_US
    value = (micros << 10) | (digest & 0x3FF)  # the top bit stays 0, as TIDs require
    return "".join(_SORTABLE[(value >> shift) & 31] for shift in range(60, -1, -5))
