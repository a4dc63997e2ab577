"""HMAC signatures as platforms sign webhooks: computed over raw bytes, compared in constant
time."""
import hashlib
import hmac


def hmac_sha256(secret: str, data: bytes) -> bytes:
    """The HMAC-SHA256 digest of `data` keyed by the app secret `secret`."""
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def same(offered: str, expected: str) -> bool:
    """Whether a signature as sent equals the one we computed, in constant time."""
    return hmac.compare_digest(offered.encode(), expected.encode())
