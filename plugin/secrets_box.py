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
from sqlalchemy import select

from plugin.db import db


class SecretsBox:
    """Seals and opens JSON-able values."""

    def __init__(self, secret_key):
        self._keys = [k.strip() for k in str(secret_key).split(",") if k.strip()]
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(k, b"fernet")))
                                    for k in self._keys])

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

    def signing_keys(self, purpose: str) -> list[bytes]:
        """HMAC keys for `purpose`, one per key of SECRET_KEY: the first signs, all verify."""
        return [_derive(k, b"sign:" + purpose.encode()) for k in self._keys]

    def rotate(self, token: str) -> str:
        """Re-seal a token under the first key; raises `ValueError` if no key opens it."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise ValueError("sealed value is invalid") from exc


def _derive(secret: str, info: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"murmur-at-rest", info=info)
    return hkdf.derive(secret.encode())


def init_app(app):
    """Make the box for this app's SECRET_KEY."""
    app.extensions["secrets_box"] = SecretsBox(app.config["SECRET_KEY"])


def box() -> SecretsBox:
    """The current app's box."""
    return current_app.extensions["secrets_box"]


class KeyMismatch(RuntimeError):
    """SECRET_KEY cannot open what is stored: another host's or an older key."""


def sealed_columns():
    """Every (model, column name) that holds a sealed value."""
    return [(mapper.class_, column.key) for mapper in db.Model.registry.mappers
            for column in mapper.columns if column.key.endswith("_sealed")]


def check_key():
    """Refuse to run with a key that cannot open the stored secrets.

    :raise KeyMismatch: a stored sealed value does not open with any key of SECRET_KEY.
    """
    for model, name in sealed_columns():
        column = getattr(model, name)
        token = db.session.scalar(select(column).where(column.is_not(None)).limit(1))
        if token is None:
            continue
        try:
            box().open(token)
        except ValueError:
            raise KeyMismatch(
                f"SECRET_KEY cannot open the credentials stored in {model.__tablename__}: they "
                "were sealed with another key (another host's, or one replaced since). Start "
                "with the key they were sealed with (SECRET_KEY, or instance/secret_key), or "
                "list it after the new one: SECRET_KEY=new,old.") from None
    return True


def reseal_all() -> int:
    """Re-seal every stored secret under the first key of SECRET_KEY; return how many.

    :raise KeyMismatch: a value opens with no key given (nothing is changed then).
    """
    count = 0
    for model, name in sealed_columns():
        for row in db.session.scalars(select(model).where(getattr(model, name).is_not(None))):
            try:
                setattr(row, name, box().rotate(getattr(row, name)))
            except ValueError:
                db.session.rollback()
                raise KeyMismatch(f"A value in {model.__tablename__} opens with none of the "
                                  "keys in SECRET_KEY; nothing was re-sealed.") from None
            count += 1
    db.session.commit()
    return count
