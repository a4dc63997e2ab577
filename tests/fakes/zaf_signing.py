"""Zendesk's signing of sidebar loads, emulated with a key pair made for the test run.

With `"signed": true`, Zendesk POSTs the app's page a form field `token`: an RS256 JWT signed
with the app's private key, its `aud` the app installation's API URL and its `iss` the
account's host. `PUBLIC_PEM` is what an operator puts in ZENDESK_APP_PUBLIC_KEY.
"""
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _key_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, public.decode("ascii")


PRIVATE_KEY, PUBLIC_PEM = _key_pair()
# Another app's keys: a token signed with them must never be believed.
OTHER_PRIVATE_KEY, OTHER_PUBLIC_PEM = _key_pair()


def installation_url(subdomain, installation_id):
    """The `aud` Zendesk gives an app installation's tokens."""
    return f"https://{subdomain}.zendesk.com/api/v2/apps/installations/{installation_id}.json"


def signed_token(subdomain="acme", installation_id=7001, key=None, lifetime=300, **claims):
    """A page token as Zendesk signs it; `claims` override (None drops a claim)."""
    now = int(time.time())
    body = {"iss": f"{subdomain}.zendesk.com", "aud": installation_url(subdomain, installation_id),
            "iat": now, "exp": now + lifetime, "qsh": "unused-by-murmur",
            "context": {"product": "support", "location": "ticket_sidebar"}, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key or PRIVATE_KEY,
                      algorithm="RS256")
