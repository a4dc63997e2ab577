"""Secrets at rest: JSON sealed with Fernet keys derived from SECRET_KEY.

SECRET_KEY may hold several comma-separated keys: the first seals, all of them open, so a key
is rotated by putting the new one first and re-sealing at leisure.
"""
import base64
import json

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class SecretsBox:
    """Seals and opens JSON-able values."""

    def __init__(self, secret_key):
        keys = [k.strip() for k in str(secret_key).split(",") if k.strip()]
        self._fernet = MultiFernet([Fernet(_derive(k)) for k in keys])

    def seal(self, value) -> str:
        """Encrypt `value` (any JSON-able object) to an ASCII token."""
        return self._fernet.encrypt(json.dumps(value).encode()).decode("ascii")

    def open(self, token: str, ttl: int | None = None):
        """Decrypt a token made by `seal`; raises `ValueError` if it is forged, stale or foreign."""
        try:
            if ttl is None:
                data = self._fernet.decrypt(token.encode("ascii"))
            else:
                data = self._fernet.decrypt(token.encode("ascii"), ttl=ttl)
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise ValueError("sealed value is invalid or expired") from exc
        return json.loads(data)


def _derive(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"murmur-at-rest", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def init_app(app):
    """Make the box for this app's SECRET_KEY."""
    app.extensions["secrets_box"] = SecretsBox(app.config["SECRET_KEY"])


def box() -> SecretsBox:
    """The current app's box."""
    return current_app.extensions["secrets_box"]
